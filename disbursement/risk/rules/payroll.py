"""Payroll and pensions: aid granted on a means test to people with a public salary or a pension (P1, P2)."""

from disbursement.alerts.models import Severity
from disbursement.risk import item_sets
from disbursement.risk.base import Finding, Rule, rule
from disbursement.risk.rules._common import (
    T,
    in_list,
    iso,
    line_subject,
    period_starts_ends,
    person_subject,
    scope_where,
    yuan,
)
from disbursement.risk.sql import frame

LINE_COLUMNS = ("l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, r.item_id, r.period, "
                "pe.id_masked")


def _lines_of_items(item_where: str, register: str, columns: str) -> str:
    """Standing lines of the items `item_where` selects, joined to a side register by the payee's blind index."""
    return f"""
        SELECT {LINE_COLUMNS}, {columns}
        FROM {T['line']} l
        JOIN {T['roster']} r ON r.id = l.roster_id
        JOIN {T['item']} i ON i.code = r.item_id
        JOIN {T['person']} pe ON pe.id = l.person_id
        JOIN {T[register]} s ON s.id_hash = pe.id_hash
        WHERE NOT l.is_void AND ({item_where})"""


MEANS_TESTED = (f"i.category_id IN {in_list(item_sets.MEANS_TESTED_CATEGORIES)} "
                f"OR i.code IN {in_list(item_sets.MEANS_TESTED_ITEMS)}")


@rule
class PayrollOnMeansTestedAid(Rule):
    code = "P1"
    name = "财政供养人员领取困难类补贴"
    name_en = "public employee on means-tested aid"
    family = "payroll"
    severity = Severity.HIGH
    needs = ("payroll", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(_lines_of_items(MEANS_TESTED, "payroll", 's.employer, s.start, s."end" AS until')
                     + where, params)
        if rows.empty:
            return []
        rows["start"], rows["until"] = rows["start"].map(iso), rows["until"].map(iso)
        rows["period_start"], rows["period_end"] = period_starts_ends(rows["period"])
        employed = (((rows["start"] == "") | (rows["start"] <= rows["period_end"]))
                    & ((rows["until"] == "") | (rows["until"] >= rows["period_start"])))
        rows = rows[employed].drop_duplicates("id")
        return [
            Finding(
                subjects=(line_subject(r.id, r.roster_id, r.row_number), person_subject(r.person_id)),
                region_code=r.village_id,
                summary=f"财政供养人员领取困难类补贴：{r.period} 期间在 {r.employer} 领取工资"
                        f"（{r.start or '—'} 至 {r.until or '今'}），清册第 {r.row_number} 行 {yuan(r.amount_fen)} 元",
                facts={"employer": r.employer, "payroll_from": r.start, "payroll_until": r.until,
                       "period": r.period, "roster_id": int(r.roster_id), "row": int(r.row_number),
                       "amount_fen": int(r.amount_fen), "id_masked": r.id_masked},
                amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
            )
            for r in rows.itertuples(index=False)
        ]


@rule
class PensionerOnDibao(Rule):
    code = "P2"
    name = "养老金领取人领低保"
    name_en = "pensioner above the line on 低保"
    family = "payroll"
    severity = Severity.MEDIUM
    needs = ("pensions", "rosters")
    # Monthly pension (fen) above which a pensioner is taken to be above the 低保 line.
    defaults = {"monthly_pension_fen": 100_000}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        limit = int(thresholds["monthly_pension_fen"])
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(_lines_of_items(f"i.category_id = '{item_sets.DIBAO_CATEGORY}'", "pension",
                                     "s.monthly_fen, s.start") + " AND s.monthly_fen > %s" + where,
                     [limit, *params])
        if rows.empty:
            return []
        rows["start"] = rows["start"].map(iso)
        rows["period_start"], rows["period_end"] = period_starts_ends(rows["period"])
        rows = rows[(rows["start"] == "") | (rows["start"] <= rows["period_end"])]
        rows = rows.sort_values("monthly_fen", ascending=False).drop_duplicates("id")
        return [
            Finding(
                subjects=(line_subject(r.id, r.roster_id, r.row_number), person_subject(r.person_id)),
                region_code=r.village_id,
                summary=f"养老金领取人领低保：月养老金 {yuan(r.monthly_fen)} 元，高于 {yuan(limit)} 元，"
                        f"{r.period} 领取低保 {yuan(r.amount_fen)} 元",
                facts={"monthly_pension_fen": int(r.monthly_fen), "limit_fen": limit, "pension_from": r.start,
                       "period": r.period, "roster_id": int(r.roster_id), "row": int(r.row_number),
                       "amount_fen": int(r.amount_fen), "id_masked": r.id_masked},
                amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
            )
            for r in rows.itertuples(index=False)
        ]
