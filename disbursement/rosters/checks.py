"""Validation of a roster file, whole columns at a time, collecting every reason for every row.

1. single values (ID, card, money, text) with the vectorised validators;
2. relations inside the file (same person twice, one card for two people, village in the township,
   quantity × rate = amount, eligibility rules of the item);
3. relations to the database (register agreement, deaths, closed or foreign cards, the same person on
   another roster of the item and period) as joins against a staging table, never a query per row.
"""

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement import bulk, pii
from disbursement.catalog.models import Item
from disbursement.catalog.standards import standard_label, standards_for_rows
from disbursement.registry import validators
from disbursement.registry.models import Card, DeathRecord, LandContract, Person, VillageCadre
from disbursement.registry.tabular import TableError, alias_table, columns_canonical
from disbursement.rosters.models import RosterLine
from geo.models import Region, RegionLevel

ROSTER_COLUMNS = {
    "name": ["姓名"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码"],
    "card_number": ["社保卡号", "卡号", "银行卡号", "一卡通账号", "账号"],
    "bank": ["开户银行", "开户行"],
    "village_code": ["村(社区)代码", "村代码", "村(社区)编码"],
    "village": ["村(社区)", "村(社区)名称", "村名", "村"],
    "group": ["村民小组", "组"],
    "quantity": ["数量"],
    "rate": ["标准"],
    "amount": ["金额", "发放金额"],
    "phone": ["联系电话", "电话", "手机号"],
    "remark": ["备注"],
}
ROSTER_ALIASES = alias_table(ROSTER_COLUMNS)
# Problems about a row as a whole rather than one of its cells.
ROW_FIELDS = {"eligibility": gettext_lazy("Eligibility")}


def roster_field_header(field: str) -> str:
    """What an error's field is called in the page: the column's header as the roster template writes it
    (the file's own words, so the clerk finds the cell), or a word for row-wide problems."""
    if field in ROSTER_COLUMNS:
        return ROSTER_COLUMNS[field][0]
    return str(ROW_FIELDS.get(field, field or ""))
ROSTER_REQUIRED = {
    "name": "姓名", "id_number": "身份证号", "card_number": "卡号", "quantity": "数量", "amount": "金额",
}

MESSAGES = {
    "village.required": gettext_lazy("Give the village code or the village name."),
    "village.unknown": gettext_lazy("No such village code."),
    "village.not_in_township": gettext_lazy("This village does not belong to the roster's township."),
    "village.unknown_name": gettext_lazy("No village of this name in the roster's township."),
    "village.ambiguous_name": gettext_lazy("Several villages of the township have this name; give the village code."),
    "rate.required": gettext_lazy("This item has no fixed standard: give the rate of every row."),
    "rate.mismatch": gettext_lazy("The rate differs from the standard in force: %(standard)s."),
    "rate.no_band": gettext_lazy("No band of the standard in force fits the person's age: %(standard)s."),
    "rate.band_required": gettext_lazy(
        "Give the rate: the standard depends on a grade the roster does not show (%(standard)s)."),
    "rate.not_a_band": gettext_lazy("The rate is none of the amounts of the standard in force: %(standard)s."),
    "rate.no_standard": gettext_lazy("The item has no standard in force in this township on %(date)s."),
    "amount.mismatch": gettext_lazy("The amount is not quantity × rate (to the fen)."),
    "phone.bad_format": gettext_lazy("Not a phone number (11-digit mobile or a landline with area code)."),
    "*.control_character": gettext_lazy(
        "The cell contains an invisible control character (such as NUL or BEL); retype the cell."),
    "remark.too_long": gettext_lazy("The remark is longer than 200 characters."),
    "group.too_long": gettext_lazy("The village group is longer than 60 characters."),
    "id_number.duplicate_in_file": gettext_lazy("The same person appears earlier in this file (row %(first)s)."),
    "card_number.shared": gettext_lazy("The same card is given for different people in this file."),
    "id_number.register_mismatch": gettext_lazy(
        "This ID number is registered with a different name or village; correct the row or the register."),
    "id_number.deceased": gettext_lazy("The person is registered as deceased (%(date)s)."),
    "card_number.closed": gettext_lazy("This card is closed; use the person's active card."),
    "card_number.other_person": gettext_lazy("This card is registered to another person."),
    "card_number.differs": gettext_lazy(
        "The person's registered card is a different one; update the register before paying to a new card."),
    "id_number.duplicate_roster": gettext_lazy(
        "The person is already on roster %(roster)s for this item and period."),
    "eligibility.age": gettext_lazy("The person's age does not meet the item's age rule."),
    "eligibility.region": gettext_lazy("The item is not paid in this region."),
    "eligibility.attribute": gettext_lazy("The register does not show the required status “%(attribute)s”."),
}


@dataclass
class CheckResult:
    errors: pd.DataFrame  # row, field, code, message
    rows: pd.DataFrame  # prepared values, one per data row, indexed by row number


# Validators key their messages by kind of value: "id.bad_checksum", "card.bad_luhn", "money.not_positive".
_VALUE_KIND = {"id_number": "id", "card_number": "card", "quantity": "money", "amount": "money", "rate": "money"}


def _message(field: str, code: str) -> str:
    text = (MESSAGES.get(f"{field}.{code}") or MESSAGES.get(f"*.{code}")
            or validators.ERROR_MESSAGES.get(f"{_VALUE_KIND.get(field, field)}.{code}"))
    return str(text) if text is not None else code


class ErrorList:
    """Errors gathered as frames (one per check), so that a million rows never means a million calls.

    `message` turns (field, code) into the sentence shown; other importers (the side registers) pass their own."""

    def __init__(self, message=None):
        self.parts: list[pd.DataFrame] = []
        self.message = message or _message

    def add(self, rows, field: str, code: str, **params) -> None:
        rows = pd.Index(rows)
        if len(rows) == 0:
            return
        message = self.message(field, code)
        if params:
            # Per-row parameters (e.g. the first row of a duplicate) arrive as aligned Series.
            first = next(iter(params.values()))
            if isinstance(first, pd.Series):
                texts = pd.Series(message, index=rows)
                for key, values in params.items():
                    texts = pd.Series(
                        [t.replace(f"%({key})s", str(v)) for t, v in zip(texts, values.loc[rows], strict=True)],
                        index=rows,
                    )
                message_column = texts.to_numpy()
            else:
                message_column = message % params
        else:
            message_column = message
        self.parts.append(pd.DataFrame({"row": rows, "field": field, "code": code, "message": message_column}))

    def add_codes(self, field: str, codes: pd.Series) -> None:
        """Rows of a validator's `error` column, grouped by code."""
        failing = codes[codes != ""]
        for code, rows in failing.groupby(failing).groups.items():
            self.add(rows, field, code)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["row", "field", "code", "message"])
        errors = pd.concat(self.parts, ignore_index=True)
        return errors.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def roster_check(frame: pd.DataFrame, *, item: Item, township: Region, period: str, period_end: date,
                 progress=lambda phase, done: None) -> CheckResult:
    frame = columns_canonical(frame, ROSTER_ALIASES, ROSTER_REQUIRED)
    if "village_code" not in frame and "village" not in frame:
        raise TableError(_("Required column(s) missing: %(columns)s.") % {"columns": "村(社区)代码 / 村(社区)"})
    errors = ErrorList()
    frame = _controls_reject(frame, errors)
    rows = pd.DataFrame(index=frame.index)
    text = {name: frame[name].str.strip() if name in frame else pd.Series("", index=frame.index)
            for name in ("name", "bank", "group", "remark", "village_code", "village", "phone")}

    # 1. Single values.
    names = validators.names(frame["name"])
    errors.add_codes("name", names["error"])
    rows["name"] = names["value"]
    errors.add(frame.index[text["group"].str.len() > 60], "group", "too_long")
    errors.add(frame.index[text["remark"].str.len() > 200], "remark", "too_long")
    rows["group"], rows["remark"] = text["group"], text["remark"]

    ids = validators.id_numbers(frame["id_number"])
    errors.add_codes("id_number", ids["error"])
    rows["id_number"], rows["birth_date"], rows["sex"] = ids["value"], ids["birth_date"], ids["sex"]
    progress("checking", len(frame) // 4)

    cards = validators.card_numbers(frame["card_number"])
    errors.add_codes("card_number", cards["error"])
    rows["card_number"] = cards["value"]
    rows["bank"] = text["bank"].where(text["bank"] != "", cards["bank"])

    quantity = validators.money(frame["quantity"], decimals=3)
    errors.add_codes("quantity", quantity["error"])
    amount = validators.money(frame["amount"], decimals=2)
    errors.add_codes("amount", amount["error"])
    if "rate" in frame:
        rate = validators.money(frame["rate"], decimals=2)
        given = frame["rate"].str.strip() != ""
        rate_error = rate["error"].where(given, "")
        errors.add_codes("rate", rate_error)
    else:
        rate = pd.DataFrame({"value": 0, "error": ""}, index=frame.index)
        given = pd.Series(False, index=frame.index)
        rate_error = rate["error"]
    rate_fen = _rates_check(item, township, period_end, rows["birth_date"], rate, given, rate_error, ids, errors)
    rows["quantity_milli"], rows["rate_fen"], rows["amount_fen"] = quantity["value"], rate_fen, amount["value"]
    numbers_ok = (quantity["error"] == "") & (amount["error"] == "") & (rate_error == "")
    # quantity is in thousandths: amount = round_half_up(quantity_milli × rate_fen / 1000), in integers.
    expected = (quantity["value"].astype("int64") * rate_fen + 500) // 1000
    errors.add(frame.index[numbers_ok & (expected != amount["value"])], "amount", "mismatch")

    phone = text["phone"].str.replace(r"[\s-]", "", regex=True)
    phone_ok = phone.str.fullmatch(r"(1[3-9]\d{9}|0\d{9,11})") | (phone == "")
    errors.add(frame.index[~phone_ok], "phone", "bad_format")
    rows["phone"] = phone.where(phone_ok, "")
    progress("checking", len(frame) // 2)

    # 2. Relations inside the file.
    _villages_resolve(frame, text, township, rows, errors)
    valid_id = ids["error"] == ""
    id_rows = frame.index[valid_id]
    rows["id_hash"] = ""
    rows.loc[id_rows, "id_hash"] = pii.blind_index_many(rows.loc[id_rows, "id_number"].tolist())
    valid_card = cards["error"] == ""
    card_rows = frame.index[valid_card]
    rows["card_hash"] = ""
    rows.loc[card_rows, "card_hash"] = pii.blind_index_many(rows.loc[card_rows, "card_number"].tolist())

    keyed = rows.loc[id_rows, "id_hash"]
    first_row = pd.Series(keyed.index, index=keyed.index).groupby(keyed.to_numpy()).transform("min")
    repeated = first_row[first_row != first_row.index]
    errors.add(repeated.index, "id_number", "duplicate_in_file", first=repeated)
    both = rows.loc[valid_id & valid_card, ["id_hash", "card_hash"]]
    people_per_card = both.groupby("card_hash")["id_hash"].transform("nunique")
    errors.add(people_per_card.index[people_per_card > 1], "card_number", "shared")

    _eligibility_check(item, rows, valid_id, period_end, errors)
    progress("checking", 3 * len(frame) // 4)

    # 3. Relations to the database.
    _register_check(rows, valid_id, valid_card, item, period, period_end, errors)
    progress("checking", len(frame))
    return CheckResult(errors=errors.frame(), rows=rows)


def _rates_check(item: Item, township: Region, period_end: date, birth_dates, rate, given, rate_error, ids,
                 errors: ErrorList) -> pd.Series:
    """The rate of each row against the standard in force for the township on the period's last day (see
    catalog.standards); errors name the standard used. Items set per case (no standard in force, a standard_rule)
    take the rate column as given. Returns the rate in fen per row."""
    index = birth_dates.index
    given_rate = rate["value"].where(given, 0).astype("int64")
    applying = standards_for_rows(item, township.code, period_end, birth_dates)
    checked = given & (rate_error == "")
    if not applying.standards:
        if item.standard_fen is not None:  # a fixed-amount item with no standard on that date (e.g. before it)
            errors.add(index, "rate", "no_standard", date=period_end.isoformat())
        else:
            errors.add(index[~given], "rate", "required")
        return given_rate
    if applying.choices:
        errors.add(index[~given], "rate", "band_required", standard=applying.label)
        errors.add(index[checked & ~rate["value"].isin(applying.choices)], "rate", "not_a_band",
                   standard=applying.label)
        return given_rate
    known = applying.expected.notna()
    expected = applying.expected.fillna(0).astype("int64")
    errors.add(index[checked & known & (rate["value"] != expected)], "rate", "mismatch", standard=applying.label)
    everyone = "; ".join(standard_label(s) for s in applying.standards)
    errors.add(index[~known & (ids["error"] == "")], "rate", "no_band",
               standard=pd.Series(everyone, index=index))
    return expected.where(known, given_rate).astype("int64")


def _controls_reject(frame: pd.DataFrame, errors: ErrorList) -> pd.DataFrame:
    """A control character left after trimming a cell's outer whitespace (a trailing \\r, a tab) is an error of
    its row and column; the character is then removed so that the remaining checks (and PostgreSQL, which
    refuses NUL) see ordinary text. The file is rejected either way."""
    for position, column in enumerate(frame.columns):  # by position: extra columns may share a header
        values = frame.iloc[:, position]
        suspect = values.str.contains(validators.CONTROL_CHARACTERS, regex=True)
        if not suspect.any():  # the common case: one vectorised scan per column
            continue
        inside = values[suspect].str.strip().str.contains(validators.CONTROL_CHARACTERS, regex=True)
        errors.add(inside.index[inside.to_numpy()], column, "control_character")
        frame = frame.copy()
        frame.iloc[:, position] = values.str.replace(validators.CONTROL_CHARACTERS, "", regex=True)
    return frame


def _villages_resolve(frame, text, township: Region, rows, errors: ErrorList) -> None:
    villages = pd.DataFrame(
        Region.objects.filter(level=RegionLevel.VILLAGE).within(township.code).values_list("code", "name"),
        columns=["code", "name"],
    )
    code, name = text["village_code"], text["village"]
    rows["village_id"] = ""
    by_code = code != ""
    in_township = code.isin(villages["code"])
    rows.loc[by_code & in_township, "village_id"] = code[by_code & in_township]
    outside = by_code & ~in_township
    if outside.any():
        known = set(Region.objects.filter(code__in=code[outside].unique().tolist()).values_list("code", flat=True))
        errors.add(frame.index[outside & code.isin(known)], "village", "not_in_township")
        errors.add(frame.index[outside & ~code.isin(known)], "village", "unknown")
    by_name = ~by_code & (name != "")
    counts = villages["name"].value_counts()
    unique_names = villages[villages["name"].map(counts) == 1].set_index("name")["code"]
    # Clerks write "石门村" or "石门村村民委员会"; the register uses the latter, so try both.
    short = villages["name"].str.replace(r"(村民委员会|居民委员会|居委会|村委会)$", "", regex=True)
    stripped = villages.assign(short=short)
    short_counts = stripped["short"].value_counts()
    short_unique = stripped[stripped["short"].map(short_counts) == 1].set_index("short")["code"]
    resolved = name.map(unique_names).fillna(name.map(short_unique))
    rows.loc[by_name & resolved.notna(), "village_id"] = resolved[by_name & resolved.notna()]
    ambiguous = by_name & resolved.isna() & (name.map(counts).fillna(0) > 1)
    errors.add(frame.index[ambiguous], "village", "ambiguous_name")
    errors.add(frame.index[by_name & resolved.isna() & ~ambiguous], "village", "unknown_name")
    errors.add(frame.index[~by_code & (name == "")], "village", "required")


def _eligibility_check(item: Item, rows, valid_id, period_end: date, errors: ErrorList) -> None:
    for rule in item.eligibility:
        if rule["rule"] == "age":
            birth = rows["birth_date"]
            end = pd.Timestamp(period_end)
            before_birthday = (birth.dt.month > end.month) | ((birth.dt.month == end.month) & (birth.dt.day > end.day))
            age = end.year - birth.dt.year - before_birthday.astype("int64")
            bad = valid_id & ((age < rule.get("min", 0)) | (age > rule.get("max", 200)))
            errors.add(rows.index[bad.fillna(False)], "eligibility", "age")
        elif rule["rule"] == "region":
            village = rows["village_id"]
            ok = village.str.startswith(tuple(rule["codes"]))
            errors.add(rows.index[(village != "") & ~ok], "eligibility", "region")
    # Attribute rules read the register, so they run with the database checks.


STAGE = "roster_stage"
STAGE_COLUMNS = {
    "row_number": "bigint", "id_hash": "uuid", "card_hash": "uuid", "name": "text", "village_id": "text",
    "grp": "text", "quantity_milli": "bigint", "rate_fen": "bigint", "amount_fen": "bigint", "remark": "text",
}


def _register_check(rows, valid_id, valid_card, item: Item, period: str, period_end: date,
                    errors: ErrorList) -> None:
    """Runs inside the import's transaction; leaves the staging table for roster_persist to insert from."""
    stage = rows.loc[valid_id, ["id_hash", "card_hash", "name", "village_id", "group", "quantity_milli", "rate_fen",
                                "amount_fen", "remark"]].rename(columns={"group": "grp"})
    stage.insert(0, "row_number", stage.index)
    stage["card_hash"] = stage["card_hash"].where(valid_card[valid_id], None)
    for column in ("quantity_milli", "rate_fen", "amount_fen"):
        stage[column] = pd.to_numeric(stage[column], errors="coerce").fillna(0).astype("int64")
    person, card, death, line = (m._meta.db_table for m in (Person, Card, DeathRecord, RosterLine))
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, STAGE, STAGE_COLUMNS)
        bulk.stage_fill(cursor, STAGE, stage, text_columns=("name", "village_id", "grp", "remark"))
        # One pass over the staged rows with every register table joined once; only rows with a problem return.
        # (Each join matches at most one row: unique blind indexes, one active card, one line per item+period, and
        # deaths folded per person, since two registers' files may both report one death.)
        found = bulk.rows_fetch(cursor, f"""
            SELECT s.row_number,
                   p.id IS NOT NULL AND (p.name <> s.name OR (s.village_id <> '' AND p.village_id <> s.village_id))
                       AS mismatch,
                   COALESCE(p.deceased_on, d.died_on) AS died_on,
                   c.id IS NOT NULL AND c.person_id <> COALESCE(p.id, -1) AS card_other,
                   c.id IS NOT NULL AND c.person_id = p.id AND c.status = 'closed' AS card_closed,
                   a.id IS NOT NULL AND s.card_hash IS NOT NULL AND a.number_hash <> s.card_hash AS card_differs,
                   l.roster_id
            FROM {STAGE} s
            LEFT JOIN {person} p ON p.id_hash = s.id_hash
            LEFT JOIN (SELECT id_hash, MIN(died_on) AS died_on FROM {death} GROUP BY id_hash) d
                   ON d.id_hash = s.id_hash
            LEFT JOIN {card} c ON c.number_hash = s.card_hash
            LEFT JOIN {card} a ON a.person_id = p.id AND a.status = 'active'
            LEFT JOIN {line} l ON l.person_id = p.id AND l.item_id = %s AND l.period = %s AND NOT l.is_void
            WHERE (p.id IS NOT NULL AND (p.name <> s.name OR (s.village_id <> '' AND p.village_id <> s.village_id)))
               OR p.deceased_on IS NOT NULL OR d.died_on IS NOT NULL
               OR (c.id IS NOT NULL AND (c.person_id <> COALESCE(p.id, -1) OR c.status = 'closed'))
               OR (a.id IS NOT NULL AND s.card_hash IS NOT NULL AND a.number_hash <> s.card_hash)
               OR l.id IS NOT NULL""", [item.code, period])
        rows_of = found.set_index("row_number")
        errors.add(rows_of.index[rows_of["mismatch"].astype(bool)], "id_number", "register_mismatch")
        died = rows_of["died_on"].dropna()
        errors.add(died.index, "id_number", "deceased", date=died.astype(str))
        errors.add(rows_of.index[rows_of["card_other"].astype(bool)], "card_number", "other_person")
        errors.add(rows_of.index[rows_of["card_closed"].astype(bool)], "card_number", "closed")
        errors.add(rows_of.index[rows_of["card_differs"].astype(bool)], "card_number", "differs")
        on_roster = rows_of["roster_id"].dropna()
        errors.add(on_roster.index, "id_number", "duplicate_roster", roster=on_roster.astype("int64"))
        attribute_rules = [rule for rule in item.eligibility if rule["rule"] == "attribute"]
        if attribute_rules:
            known = bulk.rows_fetch(cursor, f"""
                SELECT s.row_number, p.attributes FROM {STAGE} s JOIN {person} p ON p.id_hash = s.id_hash""")
            facts = pd.DataFrame(
                [_as_dict(value) for value in known["attributes"]], index=known["row_number"]
            ).reindex(rows.index[valid_id])
            # Some facts come from their own registers rather than from the person's attributes.
            # A cadre counts while serving: no term end, or a term that lasts to the period's end.
            for name, table, condition, params in (
                ("land_contract", LandContract, "", []),
                ("village_cadre", VillageCadre, " AND (t.term_end IS NULL OR t.term_end >= %s)",
                 [period_end.isoformat()]),
            ):
                if any(rule["name"] == name for rule in attribute_rules):
                    present = bulk.rows_fetch(cursor, f"""
                        SELECT s.row_number FROM {STAGE} s WHERE EXISTS (
                            SELECT 1 FROM {table._meta.db_table} t WHERE t.id_hash = s.id_hash{condition})""",
                                              params)["row_number"]
                    facts[name] = facts.index.isin(present)
            for rule in attribute_rules:
                value = facts[rule["name"]] if rule["name"] in facts else pd.Series(np.nan, index=facts.index)
                allowed = rule.get("values")
                if allowed:
                    ok = value.astype(str).isin(allowed)
                else:  # present and true: False, 0, "", "0", "false", "no" and missing all count as absent
                    text = value.astype(str).str.strip().str.lower()
                    ok = value.notna() & ~text.isin(["", "0", "false", "no", "none", "nan"])
                errors.add(facts.index[~ok.fillna(False)], "eligibility", "attribute", attribute=rule["name"])

def _as_dict(value) -> dict:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}
