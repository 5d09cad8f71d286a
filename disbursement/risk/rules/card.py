"""Cards: one card for several people, one person on several cards, households paid for more people than they
have, and unusually large payments (K1, K2, K5, K6).

K3 (card holder ≠ payee) and K4 (one phone for many households) are not rules yet: bank return files carry
no holder name or ID (banking.formats.RETURN_COLUMNS), and phone numbers are stored only encrypted, with no
blind index to group them by.
"""

import pandas as pd
from django.db import transaction

from disbursement.alerts.models import Severity
from disbursement.catalog.models import Unit
from disbursement.risk.base import Finding, Rule, Subject, rule
from disbursement.risk.rules._common import (
    PAID,
    T,
    line_subject,
    payment_subject,
    person_subject,
    region_lowest,
    region_where,
    scope_where,
    yuan,
)
from disbursement.risk.rules.standards import FLAT, roster_standards_stage
from disbursement.risk.sql import frame


@rule
class OneCardManyPeople(Rule):
    code = "K1"
    name = "一卡多人"
    name_en = "one card for several people"
    family = "card"
    severity = Severity.HIGH
    needs = ("payments",)
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        # A card is registered to the person whose roster row brought it in (rosters.persist), who is paid on it
        # first; so a card pays more than one person exactly when a line pays someone else on it. Asked that way
        # it is a join on the card's key, which a roster's pre-payment check can afford.
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            SELECT l.id, l.roster_id, l.row_number, l.person_id, l.card_id, l.village_id, l.amount_fen,
                   l.item_id, l.period, c.number_masked, c.person_id AS owner_id, pe.id_masked,
                   owner.id_masked AS owner_id_masked, owner.village_id AS owner_village
            FROM {T['line']} l
            JOIN {T['card']} c ON c.id = l.card_id
            JOIN {T['person']} pe ON pe.id = l.person_id
            JOIN {T['person']} owner ON owner.id = c.person_id
            WHERE NOT l.is_void AND l.person_id <> c.person_id{where}""", params)
        findings = []
        for (card_id, item, period), group in rows.groupby(["card_id", "item_id", "period"]):
            first = group.iloc[0]
            payees = sorted(group["id_masked"].unique())
            amount = int(group["amount_fen"].sum())
            findings.append(Finding(
                subjects=(Subject("card", str(int(card_id))), person_subject(first.owner_id),
                          *(line_subject(r.id, r.roster_id, r.row_number) for r in group.itertuples()),
                          *(person_subject(p) for p in sorted(group["person_id"].unique()))),
                region_code=region_lowest([*group["village_id"], first.owner_village]),
                summary=f"一卡多人：卡号 {first.number_masked} 登记在 {first.owner_id_masked} 名下，"
                        f"{item} {period} 又为 {'、'.join(payees)} 领取 {yuan(amount)} 元",
                facts={"card_masked": first.number_masked, "owner_id_masked": first.owner_id_masked,
                       "payee_id_masked": payees, "lines": int(len(group)), "amount_fen": amount},
                amount_fen=amount, item_code=item, period=period,
                roster_id=int(first.roster_id) if group["roster_id"].nunique() == 1 else None,
            ))
        return findings


@rule
class OnePersonManyCards(Rule):
    code = "K2"
    name = "一人多卡"
    name_en = "one person on several cards"
    family = "card"
    severity = Severity.MEDIUM
    needs = ("payments",)
    defaults = {"cards_per_year": 2}
    checks_roster = False

    def findings(self, *, thresholds, scope):
        limit = int(thresholds["cards_per_year"])
        where, params = scope_where(scope, village="p.village_id", roster="p.roster_id")
        rows = frame(f"""
            SELECT p.id, p.reference, p.roster_id, l.row_number, p.person_id, p.card_id, p.card_masked,
                   p.village_id, p.amount_fen, l.item_id, l.period, pe.id_masked
            FROM {T['payment']} p
            JOIN {T['line']} l ON l.id = p.line_id
            JOIN {T['person']} pe ON pe.id = p.person_id
            WHERE p.status = %s AND p.person_id IN (
                SELECT person_id FROM {T['payment']} WHERE status = %s GROUP BY person_id
                HAVING COUNT(DISTINCT card_id) > 1){where}""", [PAID, PAID, *params])
        if rows.empty:
            return []
        rows["year"] = rows["period"].str[:4]
        findings = []
        for (person_id, year), group in rows.groupby(["person_id", "year"]):
            cards = group.drop_duplicates("card_id").sort_values("card_id")
            if len(cards) > limit:
                findings.append(Finding(
                    subjects=(person_subject(person_id), *(Subject("card", str(int(c))) for c in cards["card_id"])),
                    region_code=region_lowest(group["village_id"]),
                    summary=f"一人多卡：{year} 年在 {len(cards)} 张卡上领取（{'、'.join(cards['card_masked'])}），"
                            f"超过 {limit} 张",
                    facts={"year": year, "cards": int(len(cards)), "card_masked": list(cards["card_masked"]),
                           "limit": limit, "id_masked": group.iloc[0].id_masked,
                           "amount_fen": int(group["amount_fen"].sum())},
                    amount_fen=0, period=year,
                ))
        for (person_id, item, period), group in rows.groupby(["person_id", "item_id", "period"]):
            if group["card_id"].nunique() > 1:
                findings.append(Finding(
                    subjects=(person_subject(person_id),
                              *(payment_subject(r.id, r.reference, r.roster_id, r.row_number)
                                for r in group.itertuples())),
                    region_code=region_lowest(group["village_id"]),
                    summary=f"一人多卡：{item} {period} 同一项目同一期在 {group['card_id'].nunique()} 张卡上领取"
                            f"（{'、'.join(sorted(group['card_masked'].unique()))}）",
                    facts={"item": item, "period": period, "card_masked": sorted(group["card_masked"].unique()),
                           "references": sorted(group["reference"]), "id_masked": group.iloc[0].id_masked,
                           "amount_fen": int(group["amount_fen"].sum())},
                    amount_fen=int(group["amount_fen"].sum() - group["amount_fen"].max()), item_code=item,
                    period=period,
                ))
        return findings


@rule
class MorePayeesThanMembers(Rule):
    code = "K5"
    name = "一户超人数领取"
    name_en = "more payees than household members"
    family = "card"
    severity = Severity.HIGH
    needs = ("register", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        region, region_params = region_where(scope, "h.village_id")
        roster = ""
        params = []
        if scope and scope.roster_id is not None:
            roster = (f" AND pe.household_id IN (SELECT y.household_id FROM {T['line']} x "
                      f"JOIN {T['person']} y ON y.id = x.person_id WHERE x.roster_id = %s)")
            params.append(scope.roster_id)
        # Per-person items: a line's quantity is the number of people it pays for.
        rows = frame(f"""
            WITH paid_for AS (
                SELECT pe.household_id, l.item_id, l.period, SUM(l.quantity_milli) AS quantity_milli
                FROM {T['line']} l
                JOIN {T['item']} i ON i.code = l.item_id
                JOIN {T['person']} pe ON pe.id = l.person_id
                WHERE NOT l.is_void AND i.unit = %s AND pe.household_id IS NOT NULL{roster}
                GROUP BY pe.household_id, l.item_id, l.period),
            members AS (
                SELECT household_id, COUNT(*) AS members FROM {T['person']}
                WHERE household_id IN (SELECT household_id FROM paid_for) GROUP BY household_id)
            SELECT l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, l.quantity_milli,
                   l.item_id, l.period, pe.household_id, m.members, f.quantity_milli AS total_milli
            FROM paid_for f
            JOIN members m ON m.household_id = f.household_id
            JOIN {T['person']} pe ON pe.household_id = f.household_id
            JOIN {T['line']} l ON l.person_id = pe.id AND l.item_id = f.item_id AND l.period = f.period
            JOIN {T['household']} h ON h.id = f.household_id
            WHERE NOT l.is_void AND f.quantity_milli > 1000 * m.members{region}""",
                     [Unit.PERSON, *params, *region_params])
        if rows.empty:
            return []
        findings = []
        for (household, item, period), group in rows.groupby(["household_id", "item_id", "period"]):
            first = group.iloc[0]
            paid_for = int(first.total_milli) // 1000
            amount = int(group["amount_fen"].sum())
            excess = amount - amount * int(first.members) * 1000 // int(first.total_milli)
            findings.append(Finding(
                subjects=(*(person_subject(p) for p in sorted(group["person_id"].unique())),
                          *(line_subject(r.id, r.roster_id, r.row_number) for r in group.itertuples())),
                region_code=region_lowest(group["village_id"]),
                summary=f"一户超人数领取：{item} {period} 按人发放 {paid_for} 人，该户在册仅 {int(first.members)} 人",
                facts={"household_id": int(household), "members": int(first.members), "paid_for": paid_for,
                       "amount_fen": amount},
                amount_fen=max(excess, 0), item_code=item, period=period,
                roster_id=int(first.roster_id) if group["roster_id"].nunique() == 1 else None,
            ))
        return findings


# Units where the standard is per case, so a single payment far above it stands out; for quantities (mu, head,
# tonne …) only the absolute bound applies, since a big farm is paid many standards.
PER_CASE_UNITS = (Unit.PERSON, Unit.HOUSEHOLD, Unit.SET)


@rule
class UnusuallyLargePayment(Rule):
    code = "K6"
    name = "单笔大额"
    name_en = "unusually large payment"
    family = "card"
    severity = Severity.MEDIUM
    needs = ("payments",)
    defaults = {"standard_multiple": 10, "absolute_fen": 5_000_000}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        multiple, absolute = int(thresholds["standard_multiple"]), int(thresholds["absolute_fen"])
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        units = ", ".join(["%s"] * len(PER_CASE_UNITS))
        with transaction.atomic():
            roster_standards_stage(scope)
            rows = frame(f"""
                SELECT l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, l.item_id, l.period,
                       s.top_fen AS standard_fen, pe.id_masked
                FROM {T['line']} l
                JOIN {T['item']} i ON i.code = l.item_id
                JOIN {T['person']} pe ON pe.id = l.person_id
                LEFT JOIN {FLAT} s ON s.roster_id = l.roster_id
                WHERE NOT l.is_void AND (l.amount_fen > %s OR (s.top_fen IS NOT NULL AND i.unit IN ({units})
                                                            AND l.amount_fen > s.top_fen * %s)){where}""",
                         [absolute, *PER_CASE_UNITS, multiple, *params])
        findings = []
        for r in rows.itertuples(index=False):
            standard = None if pd.isna(r.standard_fen) else int(r.standard_fen)
            if int(r.amount_fen) > absolute:
                reason = f"超过单笔上限 {yuan(absolute)} 元"
            else:
                reason = f"超过标准 {yuan(standard)} 元的 {multiple} 倍"
            findings.append(Finding(
                subjects=(line_subject(r.id, r.roster_id, r.row_number), person_subject(r.person_id)),
                region_code=r.village_id,
                summary=f"单笔大额：{r.item_id} {r.period} 清册第 {r.row_number} 行 {yuan(r.amount_fen)} 元，{reason}",
                facts={"amount_fen": int(r.amount_fen), "standard_fen": standard, "standard_multiple": multiple,
                       "absolute_fen": absolute, "roster_id": int(r.roster_id), "row": int(r.row_number),
                       "id_masked": r.id_masked},
                amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
            ))
        return findings
