"""Duplicates: one item and period paid twice, claimed in two townships, benefits that exclude each other held
together, and once-only items paid twice (U1–U4)."""

from disbursement.alerts.models import Severity
from disbursement.catalog.models import Frequency
from disbursement.risk import item_sets
from disbursement.risk.base import Finding, Rule, rule
from disbursement.risk.rules._common import (
    PAID,
    T,
    in_list,
    line_subject,
    payment_subject,
    period_starts_ends,
    person_subject,
    region_lowest,
    region_where,
    yuan,
)
from disbursement.risk.sql import frame
from disbursement.rosters.models import Roster

# A claim: a line still standing, or a voided one whose money was paid all the same. Void lines are few (a
# returned roster's), so the paid ones are one small set computed once, not a lookup per line.
PAID_VOID = (f"SELECT v.id FROM {T['line']} v JOIN {T['payment']} q ON q.roster_id = v.roster_id AND q.line_id = v.id "
             f"WHERE v.is_void AND q.status = '{PAID}'")
CLAIMED = f"(NOT l.is_void OR l.id IN ({PAID_VOID}))"
PAID_VOID_PERSONS = PAID_VOID.replace("SELECT v.id", "SELECT v.person_id", 1)
LINE_COLUMNS = ("l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, l.item_id, l.period, "
                "r.township_id, pe.id_masked")


def _persons_of_roster(scope, params: list, *, same_period: bool) -> str:
    """' AND …' for a roster's check: its people, and only its item (and period), which is all it can repeat."""
    if scope is None or scope.roster_id is None:
        return ""
    roster = Roster.objects.values("item_id", "period").get(pk=scope.roster_id)
    params += [scope.roster_id, roster["item_id"]] + ([roster["period"]] if same_period else [])
    return (f" AND l.person_id IN (SELECT x.person_id FROM {T['line']} x WHERE x.roster_id = %s)"
            f" AND l.item_id = %s" + (" AND l.period = %s" if same_period else ""))


def _lines_finding(group, summary: str, facts: dict, *, item=None, period="") -> Finding:
    first = group.iloc[0]
    amount = int(group["amount_fen"].sum() - group["amount_fen"].max())
    return Finding(
        subjects=(person_subject(first.person_id),
                  *(line_subject(r.id, r.roster_id, r.row_number) for r in group.itertuples())),
        region_code=region_lowest(group["village_id"]), summary=summary,
        facts={**facts, "id_masked": first.id_masked, "lines": [
            {"roster_id": int(r.roster_id), "row": int(r.row_number), "item": r.item_id, "period": r.period,
             "township": r.township_id, "amount_fen": int(r.amount_fen)} for r in group.itertuples()]},
        amount_fen=amount, item_code=item, period=period,
        roster_id=int(first.roster_id) if group["roster_id"].nunique() == 1 else None,
    )


@rule
class PaidTwice(Rule):
    code = "U1"
    name = "同项目同期重复发放"
    name_en = "paid twice for one item and period"
    family = "duplicate"
    severity = Severity.HIGH
    needs = ("payments",)
    defaults = {}

    def findings(self, *, thresholds, scope):
        # Only paid payments count: a re-issue of a failed payment is the same money's second try, not a duplicate.
        region, params = region_where(scope, "p.village_id")
        rows = frame(f"""
            WITH twice AS (
                SELECT p.person_id, r.item_id, r.period FROM {T['payment']} p JOIN {T['roster']} r ON r.id = p.roster_id
                WHERE p.status = %s GROUP BY p.person_id, r.item_id, r.period HAVING COUNT(*) > 1)
            SELECT p.id, p.reference, p.roster_id, l.row_number, p.person_id, p.village_id, p.amount_fen,
                   l.item_id, l.period, pe.id_masked
            FROM {T['payment']} p
            JOIN twice t ON t.person_id = p.person_id
            JOIN {T['roster']} r ON r.id = p.roster_id AND r.item_id = t.item_id AND r.period = t.period
            JOIN {T['line']} l ON l.id = p.line_id
            JOIN {T['person']} pe ON pe.id = p.person_id
            WHERE p.status = %s{region}""", [PAID, PAID, *params])
        findings = []
        for (person_id, item, period), group in rows.groupby(["person_id", "item_id", "period"]):
            if len(group) < 2:
                continue
            references = sorted(group["reference"])
            findings.append(Finding(
                subjects=(person_subject(person_id),
                          *(payment_subject(r.id, r.reference, r.roster_id, r.row_number)
                            for r in group.itertuples())),
                region_code=region_lowest(group["village_id"]),
                summary=f"同项目同期重复发放：{item} {period} 已发放 {len(group)} 笔（{'、'.join(references)}），"
                        f"共 {yuan(group['amount_fen'].sum())} 元",
                facts={"item": item, "period": period, "references": references, "payments": int(len(group)),
                       "id_masked": group.iloc[0].id_masked, "amount_fen": int(group["amount_fen"].sum())},
                amount_fen=int(group["amount_fen"].sum() - group["amount_fen"].max()), item_code=item, period=period,
            ))
        return findings


@rule
class TwoTownships(Rule):
    code = "U2"
    name = "跨乡镇重复"
    name_en = "claimed in two townships"
    family = "duplicate"
    severity = Severity.HIGH
    needs = ("rosters",)
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        # Standing lines are unique per person, item and period (a database constraint), so a second township's
        # claim is always a voided line that was paid anyway: only the people of such lines are looked at.
        region, params = region_where(scope, "l.village_id")
        roster_params: list = []
        roster = _persons_of_roster(scope, roster_params, same_period=True)
        rows = frame(f"""
            WITH twice AS (
                SELECT l.person_id, l.item_id, l.period FROM {T['line']} l JOIN {T['roster']} r ON r.id = l.roster_id
                WHERE {CLAIMED}{roster} AND l.person_id IN ({PAID_VOID_PERSONS})
                GROUP BY l.person_id, l.item_id, l.period HAVING COUNT(DISTINCT r.township_id) > 1)
            SELECT {LINE_COLUMNS}
            FROM {T['line']} l
            JOIN twice t ON t.person_id = l.person_id AND t.item_id = l.item_id AND t.period = l.period
            JOIN {T['roster']} r ON r.id = l.roster_id
            JOIN {T['person']} pe ON pe.id = l.person_id
            WHERE {CLAIMED}{region}""", [*roster_params, *params])
        return [
            _lines_finding(group, f"跨乡镇重复：{item} {period} 在 {group['township_id'].nunique()} 个乡镇"
                                  f"（{'、'.join(sorted(group['township_id'].unique()))}）重复申领",
                           {"item": item, "period": period, "townships": sorted(group["township_id"].unique())},
                           item=item, period=period)
            for (_person, item, period), group in rows.groupby(["person_id", "item_id", "period"])
            if group["township_id"].nunique() > 1
        ]


@rule
class MutuallyExclusive(Rule):
    code = "U3"
    name = "互斥待遇并享"
    name_en = "mutually exclusive benefits"
    family = "duplicate"
    severity = Severity.HIGH
    needs = ("catalog", "payments")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        findings, seen = [], set()
        # In a roster's check, its lines may stand on either side of a pair: one indexed query per side.
        sides = ["a.roster_id", "b.roster_id"] if scope and scope.roster_id is not None else [None]
        for (left, right, label), side in ((pair, side) for pair in item_sets.MUTUALLY_EXCLUSIVE for side in sides):
            region, params = region_where(scope, "a.village_id")
            roster = ""
            if side:
                roster = f" AND {side} = %s"
                params.append(scope.roster_id)
            # Same year in SQL; whether the two periods overlap is decided on their calendar bounds below.
            rows = frame(f"""
                SELECT a.id AS a_id, a.roster_id AS a_roster, a.row_number AS a_row, a.item_id AS a_item,
                       a.period AS a_period, a.amount_fen AS a_amount, a.village_id,
                       b.id AS b_id, b.roster_id AS b_roster, b.row_number AS b_row, b.item_id AS b_item,
                       b.period AS b_period, b.amount_fen AS b_amount, b.village_id AS b_village, a.person_id
                FROM {T['line']} a
                JOIN {T['line']} b ON b.person_id = a.person_id AND substr(b.period, 1, 4) = substr(a.period, 1, 4)
                WHERE NOT a.is_void AND NOT b.is_void AND a.item_id IN {in_list(left)}
                  AND b.item_id IN {in_list(right)}{roster}{region}""", params)
            if rows.empty:
                continue
            a_start, a_end = period_starts_ends(rows["a_period"])
            b_start, b_end = period_starts_ends(rows["b_period"])
            rows = rows[(a_start <= b_end) & (b_start <= a_end)]
            for r in rows.itertuples(index=False):
                if (r.a_id, r.b_id) in seen:
                    continue
                seen.add((r.a_id, r.b_id))
                amount = min(int(r.a_amount), int(r.b_amount))
                findings.append(Finding(
                    subjects=(person_subject(r.person_id), line_subject(r.a_id, r.a_roster, r.a_row),
                              line_subject(r.b_id, r.b_roster, r.b_row)),
                    region_code=region_lowest([r.village_id, r.b_village]),
                    summary=f"互斥待遇并享（{label}）：{r.a_item} {r.a_period} 与 {r.b_item} {r.b_period} 同时领取",
                    facts={"pair": label, "items": [r.a_item, r.b_item], "periods": [r.a_period, r.b_period],
                           "amounts_fen": [int(r.a_amount), int(r.b_amount)]},
                    amount_fen=amount, item_code=r.b_item, period=r.b_period,
                    roster_id=int(r.b_roster) if r.a_roster == r.b_roster else None,
                ))
        return findings


@rule
class OnceOnlyTwice(Rule):
    code = "U4"
    name = "一次性补贴重复"
    name_en = "once-only item paid twice"
    family = "duplicate"
    severity = Severity.HIGH
    needs = ("payments",)
    # 0604 春节慰问金 is spelled "once" in the catalog but given every Spring Festival: a new year is no repeat.
    defaults = {"exempt_items": ["0604"]}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        exempt = [str(code) for code in thresholds["exempt_items"]]
        region, params = region_where(scope, "l.village_id")
        roster_params: list = []
        roster = _persons_of_roster(scope, roster_params, same_period=False)
        not_exempt = f" AND l.item_id NOT IN {in_list(exempt)}" if exempt else ""
        rows = frame(f"""
            WITH twice AS (
                SELECT l.person_id, l.item_id FROM {T['line']} l JOIN {T['item']} i ON i.code = l.item_id
                WHERE i.frequency = %s AND {CLAIMED}{not_exempt}{roster}
                GROUP BY l.person_id, l.item_id HAVING COUNT(*) > 1)
            SELECT {LINE_COLUMNS}
            FROM {T['line']} l
            JOIN twice t ON t.person_id = l.person_id AND t.item_id = l.item_id
            JOIN {T['roster']} r ON r.id = l.roster_id
            JOIN {T['person']} pe ON pe.id = l.person_id
            WHERE {CLAIMED}{region}""", [Frequency.ONCE, *roster_params, *params])
        return [
            _lines_finding(group, f"一次性补贴重复：{item} 为一次性补贴，已申领 {len(group)} 次"
                                  f"（{'、'.join(sorted(group['period']))}）",
                           {"item": item, "periods": sorted(group["period"])}, item=item)
            for (_person, item), group in rows.groupby(["person_id", "item_id"])
            if len(group) > 1
        ]
