"""Cadres and clerks: village-reviewed aid to cadres and their households, clerks paying themselves, and people
who moved in just before a benefit (C1–C4)."""

import pandas as pd

from disbursement.accounts.models import User
from disbursement.alerts.models import Severity
from disbursement.risk import item_sets
from disbursement.risk.base import Finding, Rule, Scope, rule
from disbursement.risk.rules._common import (
    T,
    in_list,
    iso,
    line_subject,
    period_starts_ends,
    person_subject,
    scope_where,
    shift_days,
    yuan,
)
from disbursement.risk.sql import frame, table

VILLAGE_REVIEW = (f"i.category_id IN {in_list(item_sets.VILLAGE_REVIEW_CATEGORIES)} "
                  f"OR i.code IN {in_list(item_sets.VILLAGE_REVIEW_ITEMS)}")
LINES = f"""
    FROM {T['line']} l
    JOIN {T['roster']} r ON r.id = l.roster_id
    JOIN {T['item']} i ON i.code = r.item_id
    JOIN {T['person']} pe ON pe.id = l.person_id"""
LINE_COLUMNS = ("l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, r.item_id, r.period, "
                "pe.id_masked")


def _serving(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose cadre's term overlaps the line's period (no end: still serving)."""
    rows["term_start"], rows["term_end"] = rows["term_start"].map(iso), rows["term_end"].map(iso)
    rows["period_start"], rows["period_end"] = period_starts_ends(rows["period"])
    serving = (((rows["term_start"] == "") | (rows["term_start"] <= rows["period_end"]))
               & ((rows["term_end"] == "") | (rows["term_end"] >= rows["period_start"])))
    return rows[serving].drop_duplicates("id")


def _line_finding(r, summary: str, facts: dict, extra_subjects=()) -> Finding:
    return Finding(
        subjects=(line_subject(r.id, r.roster_id, r.row_number), person_subject(r.person_id), *extra_subjects),
        region_code=r.village_id, summary=summary,
        facts={**facts, "period": r.period, "roster_id": int(r.roster_id), "row": int(r.row_number),
               "amount_fen": int(r.amount_fen), "id_masked": r.id_masked},
        amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
    )


@rule
class CadreAsRecipient(Rule):
    code = "C1"
    name = "村干部本人领取评议类补贴"
    name_en = "cadre as recipient"
    family = "cadre"
    severity = Severity.MEDIUM
    needs = ("cadres", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            SELECT {LINE_COLUMNS}, c.post, c.village_id AS cadre_village, c.term_start, c.term_end
            {LINES} JOIN {T['cadre']} c ON c.id_hash = pe.id_hash
            WHERE NOT l.is_void AND ({VILLAGE_REVIEW}){where}""", params)
        if rows.empty:
            return []
        return [
            _line_finding(r, f"村干部本人领取评议类补贴：{r.cadre_village} {r.post}，{r.period} 领取 "
                             f"{yuan(r.amount_fen)} 元（清册第 {r.row_number} 行）",
                          {"post": r.post, "cadre_village": r.cadre_village, "term_start": r.term_start,
                           "term_end": r.term_end})
            for r in _serving(rows).itertuples(index=False)
        ]


@rule
class CadreHouseholdOnAid(Rule):
    code = "C2"
    name = "村干部近亲属领取"
    name_en = "cadre's household on aid"
    family = "cadre"
    severity = Severity.MEDIUM
    needs = ("cadres", "register", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            SELECT {LINE_COLUMNS}, c.post, c.village_id AS cadre_village, c.term_start, c.term_end,
                   cp.id AS cadre_person_id, cp.id_masked AS cadre_id_masked
            {LINES}
            JOIN {T['person']} cp ON cp.household_id = pe.household_id AND cp.id <> pe.id
            JOIN {T['cadre']} c ON c.id_hash = cp.id_hash
            WHERE NOT l.is_void AND pe.household_id IS NOT NULL AND ({VILLAGE_REVIEW}){where}""", params)
        if rows.empty:
            return []
        return [
            _line_finding(r, f"村干部同户成员领取评议类补贴：同户有 {r.cadre_village} {r.post}，{r.period} 领取 "
                             f"{yuan(r.amount_fen)} 元（清册第 {r.row_number} 行）",
                          {"post": r.post, "cadre_village": r.cadre_village, "cadre_id_masked": r.cadre_id_masked,
                           "term_start": r.term_start, "term_end": r.term_end},
                          (person_subject(r.cadre_person_id),))
            for r in _serving(rows).itertuples(index=False)
        ]


@rule
class ClerkSelfDealing(Rule):
    code = "C3"
    name = "经办人员本人或亲属领取"
    name_en = "clerk self-dealing"
    family = "cadre"
    severity = Severity.HIGH
    needs = ("users", "register", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        by_roster = Scope(roster_id=scope.roster_id) if scope else None
        staff_where, staff_params = scope_where(by_roster, village="", roster="r.id")
        approval_where, approval_params = scope_where(by_roster, village="", roster="a.roster_id")
        # Users are matched to persons through User.person, which the administrator sets.
        rows = frame(f"""
            WITH staff AS (
                SELECT r.id AS roster_id, r.created_by_id AS user_id, 'upload' AS act FROM {T['roster']} r
                WHERE r.created_by_id IS NOT NULL{staff_where}
                UNION
                SELECT a.roster_id, a.actor_id, 'approve' FROM {T['approval']} a
                JOIN {T['roster']} r ON r.id = a.roster_id
                WHERE a.actor_id IS NOT NULL{approval_where})
            SELECT {LINE_COLUMNS}, u.id AS user_id, u.username, st.act, up.id AS staff_person_id
            {LINES}
            JOIN staff st ON st.roster_id = l.roster_id
            JOIN {table(User)} u ON u.id = st.user_id
            JOIN {T['person']} up ON up.id = u.person_id
            WHERE NOT l.is_void
              AND (pe.id = up.id OR (pe.household_id IS NOT NULL AND pe.household_id = up.household_id)){where}""",
                     [*staff_params, *approval_params, *params])
        if rows.empty:
            return []
        rows["relation"] = (rows["person_id"] == rows["staff_person_id"]).map({True: "本人", False: "同户"})
        rows["act"] = rows["act"].map({"upload": "上传", "approve": "审批"})
        rows = rows.sort_values(["relation", "act", "user_id"]).drop_duplicates("id")
        return [
            _line_finding(r, f"经办人员{r.relation}领取：{r.username}（{r.act}该清册）{r.relation}为第 "
                             f"{r.row_number} 行收款人，{yuan(r.amount_fen)} 元",
                          {"user": r.username, "act": r.act, "relation": r.relation})
            for r in rows.itertuples(index=False)
        ]


@rule
class MovedInJustBefore(Rule):
    code = "C4"
    name = "迁入即享受"
    name_en = "moved in just before the benefit"
    family = "cadre"
    severity = Severity.MEDIUM
    needs = ("moves", "rosters")
    defaults = {"days": 180}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        days = int(thresholds["days"])
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            SELECT {LINE_COLUMNS}, m.moved_on, m.from_region_id, m.to_region_id, r.township_id
            {LINES} JOIN {T['move']} m ON m.id_hash = pe.id_hash
            WHERE NOT l.is_void AND substr(m.to_region_id, 1, 9) = substr(r.township_id, 1, 9)
              AND substr(m.from_region_id, 1, 9) <> substr(r.township_id, 1, 9){where}""", params)
        if rows.empty:
            return []
        rows["moved_on"] = rows["moved_on"].map(iso)
        rows["period_start"], rows["period_end"] = period_starts_ends(rows["period"])
        recent = ((rows["moved_on"] > shift_days(rows["period_start"], -days))
                  & (rows["moved_on"] <= rows["period_end"]))
        rows = rows[recent].sort_values("moved_on", ascending=False).drop_duplicates("id")
        return [
            _line_finding(r, f"迁入即享受：{r.moved_on} 自 {r.from_region_id} 迁入 {r.township_id}，"
                             f"{r.period}（{r.period_start} 起）即领取 {yuan(r.amount_fen)} 元",
                          {"moved_on": r.moved_on, "from_code": r.from_region_id, "to_code": r.to_region_id,
                           "period_start": r.period_start, "days": days})
            for r in rows.itertuples(index=False)
        ]
