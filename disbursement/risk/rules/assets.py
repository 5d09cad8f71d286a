"""Assets rules: 低保 paid to a household that owns a vehicle (E1) or a business (E2), and money paid by a
township its payee had moved away from (E3). Household members are found through the register's households."""

import pandas as pd

from disbursement.alerts.models import Severity
from disbursement.catalog.models import Item
from disbursement.money import fen_to_yuan
from disbursement.pii import mask_name
from disbursement.registry.models import Enterprise, EnterpriseRole, HouseholdMove, Person, Vehicle
from disbursement.risk.base import Finding, Rule, rule
from disbursement.risk.item_sets import DIBAO_CATEGORY
from disbursement.risk.rules.queries import (
    distinct_pairs,
    frame_by_pairs,
    in_list,
    line_subject,
    period_days,
    scope_where,
)
from disbursement.risk.sql import frame, table
from disbursement.rosters.models import Roster, RosterLine
from geo.codes import PREFIX_LENGTHS

ROLE_NAMES = {EnterpriseRole.LEGAL_REPRESENTATIVE: "法定代表人", EnterpriseRole.SHAREHOLDER: "股东",
              EnterpriseRole.SOLE_TRADER: "个体户"}


def _dibao_items() -> list[str]:
    return list(Item.objects.filter(category_id=DIBAO_CATEGORY).values_list("code", flat=True))


def _members_cte(items: list[str], where: str) -> str:
    """`members(line_id, member_id, is_self)`: each live 低保 line's payee and the other members of the payee's
    household. Two joins in a UNION rather than one OR-join, so each side can use its index."""
    line, person = table(RosterLine), table(Person)
    base = f"l.is_void = %s AND l.item_id IN ({in_list(items)}){where}"
    return f"""members AS (
        SELECT l.id AS line_id, p.id AS member_id, 1 AS is_self
        FROM {line} l JOIN {person} p ON p.id = l.person_id WHERE {base}
        UNION
        SELECT l.id AS line_id, m.id AS member_id, 0 AS is_self
        FROM {line} l JOIN {person} p ON p.id = l.person_id
        JOIN {person} m ON m.household_id = p.household_id AND m.id <> p.id
        WHERE p.household_id IS NOT NULL AND {base})"""


def _holder_findings(rows: pd.DataFrame, *, word: str, describe) -> list[Finding]:
    """One finding per line, listing every register record of its household (`describe(record) -> (fact, text)`).
    One pass over the rows, gathered by line in a dict: a pandas group per line costs a millisecond each."""
    by_line: dict[int, tuple] = {}
    for record in rows.sort_values("line_id").itertuples(index=False):
        first, records, texts = by_line.setdefault(int(record.line_id), (record, [], set()))
        fact, text = describe(record)
        records.append(fact)
        texts.add(text)
    findings = []
    for first, records, texts in by_line.values():
        facts = {"item": first.item_id, "period": first.period, "payee": mask_name(first.payee_name),
                 "records": sorted(records, key=lambda r: sorted(r.items())), "amount_fen": int(first.amount_fen)}
        summary = (f"{word}：{mask_name(first.payee_name)} 领取 {first.item_id} {first.period} "
                   f"{fen_to_yuan(first.amount_fen)} 元，{'；'.join(sorted(texts))}")
        findings.append(Finding(subjects=(line_subject(first),), region_code=first.village_id, summary=summary,
                                facts=facts, amount_fen=int(first.amount_fen), item_code=first.item_id,
                                period=first.period, roster_id=int(first.roster_id)))
    return findings


def _who(record) -> str:
    return "本人" if int(record.is_self) else f"家庭成员 {mask_name(record.member_name)}"


@rule
class VehicleOnDibao(Rule):
    """A vehicle registered to the payee or a household member on or before the last day of the paid period.
    Types named in `excluded_vehicle_types` (motorcycles, tricycles, farm machines) are not held against 低保."""

    code = "E1"
    name = "有车领低保"
    name_en = "Vehicle owner on 低保"
    family = "assets"
    severity = Severity.MEDIUM
    needs = ("vehicles", "rosters")
    defaults = {"excluded_vehicle_types": ["摩托", "三轮", "拖拉机", "农用"]}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        items = _dibao_items()
        pairs = distinct_pairs(scope, item_filter=f"l.item_id IN ({in_list(items)})", item_params=items)
        if pairs.empty:
            return []
        days = period_days(pairs)
        if days.empty:
            return []
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        member_params = [False, *items, *params] * 2
        rows = frame_by_pairs(days, ["ends_on"], lambda cte: f"""
            WITH {cte}, {_members_cte(items, where)}
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.amount_fen,
                   p.name AS payee_name, mb.is_self, m.name AS member_name, v.vehicle_type, v.plate, v.registered_on
            FROM members mb JOIN {table(RosterLine)} l ON l.id = mb.line_id
            JOIN {table(Person)} p ON p.id = l.person_id
            JOIN {table(Person)} m ON m.id = mb.member_id
            JOIN {table(Vehicle)} v ON v.id_hash = m.id_hash
            JOIN periods pr ON pr.item_id = l.item_id AND pr.period = l.period
            WHERE v.registered_on <= pr.ends_on""", member_params)
        if rows.empty:
            return []
        excluded = [t for t in thresholds["excluded_vehicle_types"] if t]
        if excluded:
            rows = rows[~rows["vehicle_type"].str.contains("|".join(excluded), regex=True)]

        def describe(record):
            registered = pd.Timestamp(record.registered_on).date().isoformat()
            plate = f"{record.plate[:2]}***{record.plate[-2:]}" if len(record.plate) > 4 else record.plate
            fact = {"member": _who(record), "vehicle_type": record.vehicle_type, "plate": plate,
                    "registered_on": registered, "register": "车辆"}
            return fact, f"{_who(record)}名下有{record.vehicle_type}（{plate}，{registered} 登记）"

        return _holder_findings(rows, word="有车领低保", describe=describe)


@rule
class BusinessOnDibao(Rule):
    """A legal representative or shareholder in the payee's household. Sole traders (个体户) are often small
    stalls a 低保 family may keep, so they count only when `include_sole_traders` is set."""

    code = "E2"
    name = "有企业领低保"
    name_en = "Business owner on 低保"
    family = "assets"
    severity = Severity.MEDIUM
    needs = ("enterprises", "rosters")
    defaults = {"include_sole_traders": False}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        items = _dibao_items()
        roles = [EnterpriseRole.LEGAL_REPRESENTATIVE.value, EnterpriseRole.SHAREHOLDER.value]
        if thresholds["include_sole_traders"]:
            roles.append(EnterpriseRole.SOLE_TRADER.value)
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            WITH {_members_cte(items, where)}
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.amount_fen,
                   p.name AS payee_name, mb.is_self, m.name AS member_name, e.enterprise, e.credit_code, e.role
            FROM members mb JOIN {table(RosterLine)} l ON l.id = mb.line_id
            JOIN {table(Person)} p ON p.id = l.person_id
            JOIN {table(Person)} m ON m.id = mb.member_id
            JOIN {table(Enterprise)} e ON e.id_hash = m.id_hash
            WHERE e.role IN ({in_list(roles)})""", [*[False, *items, *params] * 2, *roles])
        if rows.empty:
            return []

        def describe(record):
            role = ROLE_NAMES.get(record.role, record.role)
            fact = {"member": _who(record), "enterprise": record.enterprise, "credit_code": record.credit_code,
                    "role": role, "register": "工商登记"}
            return fact, f"{_who(record)}为{record.enterprise}（{record.credit_code}）{role}"

        return _holder_findings(rows, word="有企业领低保", describe=describe)


@rule
class PaidAfterMovingAway(Rule):
    """Paid by a township whose household register the payee left before the period began, and did not return
    to before it began."""

    code = "E3"
    name = "迁出仍领取"
    name_en = "Paid after moving away"
    family = "assets"
    severity = Severity.MEDIUM
    needs = ("moves", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        # Driven from the moves register (small) to the lines of the persons in it, by the line's person index.
        pairs = frame(f"""
            SELECT DISTINCT l.item_id, l.period FROM {table(HouseholdMove)} hm
            JOIN {table(Person)} p ON p.id_hash = hm.id_hash JOIN {table(RosterLine)} l ON l.person_id = p.id
            WHERE l.is_void = %s{where}""", [False, *params])
        if pairs.empty:
            return []
        days = period_days(pairs)
        if days.empty:
            return []
        town = PREFIX_LENGTHS["township"]
        move = table(HouseholdMove)
        rows = frame_by_pairs(days, ["starts_on"], lambda cte: f"""
            WITH {cte}
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.amount_fen,
                   p.name AS payee_name, r.township_id, mv.from_region_id, mv.to_region_id, mv.moved_on, pr.starts_on
            FROM {table(RosterLine)} l JOIN {table(Roster)} r ON r.id = l.roster_id
            JOIN {table(Person)} p ON p.id = l.person_id
            JOIN {move} mv ON mv.id_hash = p.id_hash
            JOIN periods pr ON pr.item_id = l.item_id AND pr.period = l.period
            WHERE l.is_void = %s AND mv.moved_on < pr.starts_on
              AND substr(mv.from_region_id, 1, {town}) = substr(r.township_id, 1, {town})
              AND substr(mv.to_region_id, 1, {town}) <> substr(r.township_id, 1, {town})
              AND NOT EXISTS (SELECT 1 FROM {move} back WHERE back.id_hash = mv.id_hash
                              AND back.moved_on > mv.moved_on AND back.moved_on < pr.starts_on
                              AND substr(back.to_region_id, 1, {town}) = substr(r.township_id, 1, {town})){where}
            ORDER BY l.id, mv.moved_on""", [False, *params])
        findings = []
        for row in rows.groupby("line_id", sort=True).tail(1).itertuples(index=False):
            moved, starts = pd.Timestamp(row.moved_on).date(), pd.Timestamp(row.starts_on).date()
            facts = {"item": row.item_id, "period": row.period, "payee": mask_name(row.payee_name),
                     "paying_township": row.township_id, "moved_from": row.from_region_id,
                     "moved_to": row.to_region_id, "moved_on": moved.isoformat(), "period_start": starts.isoformat(),
                     "register": "户籍迁移", "amount_fen": int(row.amount_fen)}
            summary = (f"迁出仍领取：{mask_name(row.payee_name)} 已于 {moved.isoformat()} 从 {row.from_region_id} 迁往 "
                       f"{row.to_region_id}，{row.township_id} 仍发放 {row.item_id} {row.period}（期初 "
                       f"{starts.isoformat()}）{fen_to_yuan(row.amount_fen)} 元")
            findings.append(Finding(subjects=(line_subject(row),), region_code=row.village_id, summary=summary,
                                    facts=facts, amount_fen=int(row.amount_fen), item_code=row.item_id,
                                    period=row.period, roster_id=int(row.roster_id)))
        return findings
