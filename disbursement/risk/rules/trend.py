"""Trend rules: a village's total jumping against its own history or its township's villages (T1), a roster
full of first-time payees (T2), and many new cards of one roster opened the same day at one bank (T3)."""

from disbursement.alerts.models import Severity
from disbursement.money import fen_to_yuan
from disbursement.registry.models import Card
from disbursement.risk.base import Finding, Rule, Subject, rule
from disbursement.risk.rules.queries import rosters_of, scope_where
from disbursement.risk.sql import as_date, frame, table
from disbursement.rosters.models import Roster, RosterLine, RosterStatus
from geo.codes import PREFIX_LENGTHS

# Lines that stand: not voided, of a roster not returned to its clerk.
_LIVE = f"l.is_void = %s AND r.status <> '{RosterStatus.REJECTED.value}'"


@rule
class VillageTotalJump(Rule):
    """A village's total for an item and period against (a) the median of its own earlier periods (at least
    `min_history` of them) and (b) the median of its township's villages in the same period (at least
    `min_peers`); above `ratio` × either fires. Periods of one item share one spelling, so they sort as text."""

    code = "T1"
    name = "村级金额突增"
    name_en = "A village's total jumps"
    family = "trend"
    severity = Severity.MEDIUM
    needs = ("payments", "rosters")
    defaults = {"ratio": 3.0, "min_history": 3, "min_peers": 3, "min_total_fen": 100_000}

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id")
        rows = frame(f"""
            SELECT l.roster_id, l.village_id, l.item_id, l.period, SUM(l.amount_fen) AS total_fen, COUNT(*) AS lines
            FROM {table(RosterLine)} l JOIN {table(Roster)} r ON r.id = l.roster_id
            WHERE {_LIVE}{where}
            GROUP BY l.roster_id, l.village_id, l.item_id, l.period""", [False, *params])
        if rows.empty:
            return []
        rows[["total_fen", "lines"]] = rows[["total_fen", "lines"]].astype("int64")
        keys = ["village_id", "item_id"]
        df = (rows.groupby([*keys, "period"], as_index=False)
              .agg(total_fen=("total_fen", "sum"), lines=("lines", "sum"))
              .sort_values([*keys, "period"]).reset_index(drop=True))
        running = df.groupby(keys)["total_fen"].expanding().median().reset_index(level=[0, 1], drop=True)
        df["own_median"] = running.sort_index()
        df["own_median"] = df.groupby(keys)["own_median"].shift()
        df["history"] = df.groupby(keys).cumcount()
        df["township"] = df["village_id"].str[:PREFIX_LENGTHS["township"]]
        peers = df.groupby(["township", "item_id", "period"])["total_fen"]
        df["peer_median"], df["peers"] = peers.transform("median"), peers.transform("count")
        ratio = float(thresholds["ratio"])
        df["own_jump"] = (df["history"] >= int(thresholds["min_history"])) & (
            df["total_fen"] > ratio * df["own_median"])
        df["peer_jump"] = (df["peers"] >= int(thresholds["min_peers"])) & (
            df["total_fen"] > ratio * df["peer_median"])
        hits = df[(df["own_jump"] | df["peer_jump"]) & (df["total_fen"] >= int(thresholds["min_total_fen"]))]
        if hits.empty:
            return []
        hits = hits.copy()
        hits["rosters"] = rosters_of(rows, hits, [*keys, "period"])
        if scope.roster_id is not None:
            hits = hits[hits["rosters"].map(lambda ids: scope.roster_id in ids)]
        findings = []
        for row in hits.itertuples(index=False):
            baseline = int(row.own_median) if row.own_jump else int(row.peer_median)
            facts = {"item": row.item_id, "period": row.period, "village": row.village_id,
                     "total_fen": int(row.total_fen), "lines": int(row.lines), "ratio": ratio, "rosters": row.rosters,
                     "own_median_fen": int(row.own_median) if row.history else None,
                     "earlier_periods": int(row.history),
                     "township_median_fen": int(row.peer_median), "township_villages": int(row.peers)}
            against = (f"为本村此前 {int(row.history)} 期中位数 {fen_to_yuan(int(row.own_median))} 元的 "
                       f"{row.total_fen / row.own_median:.1f} 倍" if row.own_jump else
                       f"为本乡镇 {int(row.peers)} 个村中位数 {fen_to_yuan(int(row.peer_median))} 元的 "
                       f"{row.total_fen / row.peer_median:.1f} 倍")
            summary = (f"村级金额突增：{row.village_id} 村 {row.item_id} {row.period} 合计 "
                       f"{fen_to_yuan(int(row.total_fen))} 元（{int(row.lines)} 人），{against}")
            subjects = (Subject("region", row.village_id), *(Subject("roster", str(r)) for r in row.rosters))
            findings.append(Finding(subjects=subjects, region_code=row.village_id, summary=summary, facts=facts,
                                    amount_fen=int(row.total_fen) - baseline, item_code=row.item_id,
                                    period=row.period, roster_id=row.rosters[0] if len(row.rosters) == 1 else None))
        return findings


@rule
class NewPayeeSurge(Rule):
    """A payee is first-time on a roster when the roster's period is the first in which they hold the item. The
    item's norm is the median first-time share of its rosters that follow an earlier roster of their township
    (a township's first roster is all first-timers by definition, and is never judged)."""

    code = "T2"
    name = "同项目新增人数异常"
    name_en = "New payees surge"
    family = "trend"
    severity = Severity.MEDIUM
    needs = ("rosters",)
    defaults = {"ratio": 3.0, "min_share": 0.3, "min_lines": 20, "min_rosters": 3}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        line, roster = table(RosterLine), table(Roster)
        where, params = scope_where(scope, village="r.township_id")
        item_only, item_params = "", []
        if scope.roster_id is not None:
            # One roster is judged against its item's norm only: the other items need not be counted.
            item_only, item_params = f" AND item_id = (SELECT item_id FROM {roster} WHERE id = %s)", [scope.roster_id]
        rows = frame(f"""
            WITH firsts AS (SELECT item_id, person_id, MIN(period) AS first_period FROM {line}
                            WHERE is_void = %s{item_only} GROUP BY item_id, person_id)
            SELECT r.id AS roster_id, r.item_id, r.township_id, r.period, COUNT(*) AS lines,
                   SUM(CASE WHEN f.first_period = l.period THEN 1 ELSE 0 END) AS first_time
            FROM {line} l JOIN {roster} r ON r.id = l.roster_id
            JOIN firsts f ON f.item_id = l.item_id AND f.person_id = l.person_id
            WHERE {_LIVE}{where}
            GROUP BY r.id, r.item_id, r.township_id, r.period""", [False, *item_params, False, *params])
        if rows.empty:
            return []
        rows[["lines", "first_time"]] = rows[["lines", "first_time"]].astype("int64")
        rows["share"] = rows["first_time"] / rows["lines"]
        first_period = rows.groupby(["item_id", "township_id"])["period"].transform("min")
        judged = rows[rows["period"] > first_period].copy()
        norms = judged.groupby("item_id")["share"].agg(["median", "count"])
        norms.columns = ["item_norm", "rosters_in_norm"]
        judged = judged.join(norms, on="item_id")
        hits = judged[(judged["rosters_in_norm"] >= int(thresholds["min_rosters"]))
                      & (judged["lines"] >= int(thresholds["min_lines"]))
                      & (judged["share"] >= float(thresholds["min_share"]))
                      & (judged["share"] > float(thresholds["ratio"]) * judged["item_norm"])]
        if scope.roster_id is not None:
            hits = hits[hits["roster_id"] == scope.roster_id]
        findings = []
        for row in hits.sort_values("roster_id").itertuples(index=False):
            facts = {"roster": int(row.roster_id), "item": row.item_id, "period": row.period,
                     "lines": int(row.lines), "first_time": int(row.first_time), "share": round(float(row.share), 3),
                     "item_norm": round(float(row.item_norm), 3),
                     "rosters_in_norm": int(row.rosters_in_norm)}
            summary = (f"同项目新增人数异常：清册 {int(row.roster_id)}（{row.item_id} {row.period}）"
                       f"{int(row.lines)} 人中 {int(row.first_time)} 人首次领取（{facts['share']:.0%}），"
                       f"该项目清册通常为 {facts['item_norm']:.0%}")
            findings.append(Finding(subjects=(Subject("roster", str(int(row.roster_id))),), region_code=row.township_id,
                                    summary=summary, facts=facts, amount_fen=0, item_code=row.item_id,
                                    period=row.period, roster_id=int(row.roster_id)))
        return findings


@rule
class CardBurst(Rule):
    """Cards new to one roster — registered since the township's previous roster was made — that were registered
    the same day at one bank. Payees listed again carry older cards and do not count; a township's first roster
    has no previous one and is skipped, since every card is new when a township starts using the system."""

    code = "T3"
    name = "集中开卡"
    name_en = "Cards opened in a burst"
    family = "trend"
    severity = Severity.LOW
    needs = ("cards", "rosters")
    defaults = {"min_cards": 30}

    def findings(self, *, thresholds, scope):
        roster = table(Roster)
        opened = as_date("c.created_at")
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            WITH since AS (SELECT r.id AS roster_id, r.township_id, r.item_id, r.period,
                                  -- a window, once per roster (a correlated MAX here ran once per joined line)
                                  MAX(r.created_at) OVER (PARTITION BY r.township_id ORDER BY r.id
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_at
                           FROM {roster} r WHERE r.status <> '{RosterStatus.REJECTED.value}')
            SELECT l.roster_id, s.township_id, s.item_id, s.period, c.bank, {opened} AS opened_on,
                   COUNT(DISTINCT c.id) AS cards
            FROM {table(RosterLine)} l JOIN since s ON s.roster_id = l.roster_id
            JOIN {table(Card)} c ON c.id = l.card_id
            WHERE l.is_void = %s AND c.created_at > s.previous_at{where}
            GROUP BY l.roster_id, s.township_id, s.item_id, s.period, c.bank, {opened}
            HAVING COUNT(DISTINCT c.id) >= %s
            ORDER BY l.roster_id, c.bank""", [False, *params, int(thresholds["min_cards"])])
        findings = []
        for roster_id, group in rows.groupby("roster_id", sort=True):
            first = group.iloc[0]
            bursts = [{"bank": b.bank, "opened_on": str(b.opened_on)[:10], "cards": int(b.cards)}
                      for b in group.itertuples(index=False)]
            facts = {"roster": int(roster_id), "item": first.item_id, "period": first.period, "bursts": bursts,
                     "min_cards": int(thresholds["min_cards"])}
            text = "；".join(f"{b['opened_on']} {b['bank'] or '未知银行'} {b['cards']} 张" for b in bursts)
            summary = f"集中开卡：清册 {int(roster_id)}（{first.item_id} {first.period}）的领取人新卡集中登记：{text}"
            findings.append(Finding(subjects=(Subject("roster", str(int(roster_id))),), region_code=first.township_id,
                                    summary=summary, facts=facts, amount_fen=0, item_code=first.item_id,
                                    period=first.period, roster_id=int(roster_id)))
        return findings


__all__ = ["CardBurst", "NewPayeeSurge", "VillageTotalJump"]
