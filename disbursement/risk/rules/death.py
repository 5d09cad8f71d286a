"""Death: money paid, or about to be paid, to someone registered dead (D1, D2)."""

from disbursement.alerts.models import Severity
from disbursement.risk.base import Finding, Rule, rule
from disbursement.risk.rules._common import (
    PAID,
    UNSETTLED,
    T,
    iso,
    line_subject,
    local_dates,
    payment_subject,
    person_subject,
    scope_where,
    shift_days,
)
from disbursement.risk.sql import as_date, date_add_days, frame

# A payee's deaths: rows of the death register (by blind index) and the register's own date of death. Joined
# from the payee by keys (person id, then id_hash), so one roster's check touches only its own people.
DEATHS = f"""
    JOIN {T['person']} pe ON pe.id = {{person}}
    LEFT JOIN {T['death']} d ON d.id_hash = pe.id_hash"""
DEAD = "(d.id IS NOT NULL OR pe.deceased_on IS NOT NULL)"
# The earlier of the two dates (ISO dates compare as text on SQLite too).
DIED_ON = ("CASE WHEN d.died_on IS NULL OR (pe.deceased_on IS NOT NULL AND pe.deceased_on < d.died_on) "
           "THEN pe.deceased_on ELSE d.died_on END")
SOURCE = "CASE WHEN d.died_on IS NULL OR (pe.deceased_on IS NOT NULL AND pe.deceased_on < d.died_on) THEN '' " \
         "ELSE d.source END"


def _earliest_death(rows, key: str):
    """One row per `key`: the earliest death registered for its person (a register may say it twice)."""
    rows["died_on"] = rows["died_on"].map(iso)
    rows["source"] = rows["source"].fillna("")
    return rows.sort_values(["died_on", "source"], ascending=[True, False]).drop_duplicates(key)


@rule
class PaidAfterDeath(Rule):
    code = "D1"
    name = "死亡人员领取"
    name_en = "paid after death"
    family = "death"
    severity = Severity.HIGH
    needs = ("deaths", "payments")
    defaults = {"grace_days": 0}

    def findings(self, *, thresholds, scope):
        grace = int(thresholds["grace_days"])
        where, params = scope_where(scope, village="p.village_id", roster="p.roster_id")
        # The value date is the local date of settled_at; UTC is at most a day behind it, so the SQL keeps
        # one extra day and pandas decides on the local date.
        rows = frame(f"""
            SELECT p.id, p.reference, p.roster_id, l.row_number, p.person_id, p.village_id, p.amount_fen,
                   p.settled_at, r.item_id, r.period, {DIED_ON} AS died_on, {SOURCE} AS source, pe.id_masked
            FROM {T['payment']} p
            {DEATHS.format(person='p.person_id')}
            JOIN {T['line']} l ON l.id = p.line_id
            JOIN {T['roster']} r ON r.id = p.roster_id
            WHERE p.status = %s AND p.settled_at IS NOT NULL AND {DEAD}
              AND {as_date('p.settled_at')} > {date_add_days(DIED_ON, grace - 1)}{where}""",
                     [PAID, *params])
        if rows.empty:
            return []
        rows["paid_on"] = local_dates(rows["settled_at"])
        rows = _earliest_death(rows, "id")
        rows["grace_end"] = shift_days(rows["died_on"], grace)
        rows = rows[rows["paid_on"] > rows["grace_end"]]
        return [
            Finding(
                subjects=(payment_subject(r.id, r.reference, r.roster_id, r.row_number), person_subject(r.person_id)),
                region_code=r.village_id,
                summary=f"死亡后仍发放：{r.paid_on} 发放，死亡登记 {r.died_on}（{r.source or '户籍登记'}）",
                facts={"paid_on": r.paid_on, "died_on": r.died_on, "death_source": r.source or "户籍登记",
                       "grace_days": grace, "payment_reference": r.reference, "amount_fen": int(r.amount_fen),
                       "id_masked": r.id_masked},
                amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
            )
            for r in rows.itertuples(index=False)
        ]


@rule
class DeceasedOnRoster(Rule):
    code = "D2"
    name = "死亡人员仍在册"
    name_en = "deceased still on a roster"
    family = "death"
    severity = Severity.HIGH
    needs = ("deaths", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        statuses = ", ".join(["%s"] * len(UNSETTLED))
        rows = frame(f"""
            SELECT l.id, l.roster_id, l.row_number, l.person_id, l.village_id, l.amount_fen, r.item_id, r.period,
                   {DIED_ON} AS died_on, {SOURCE} AS source, pe.id_masked
            FROM {T['line']} l
            JOIN {T['roster']} r ON r.id = l.roster_id
            {DEATHS.format(person='l.person_id')}
            WHERE NOT l.is_void AND r.status IN ({statuses}) AND {DEAD}
              AND NOT EXISTS (SELECT 1 FROM {T['payment']} p
                              WHERE p.roster_id = l.roster_id AND p.line_id = l.id AND p.status = %s){where}""",
                     [*UNSETTLED, PAID, *params])
        if rows.empty:
            return []
        rows = _earliest_death(rows, "id")
        return [
            Finding(
                subjects=(line_subject(r.id, r.roster_id, r.row_number), person_subject(r.person_id)),
                region_code=r.village_id,
                summary=f"死亡人员仍在册：清册第 {r.row_number} 行，死亡登记 {r.died_on}（{r.source or '户籍登记'}）",
                facts={"died_on": r.died_on, "death_source": r.source or "户籍登记", "roster_id": int(r.roster_id),
                       "row": int(r.row_number), "amount_fen": int(r.amount_fen), "id_masked": r.id_masked},
                amount_fen=int(r.amount_fen), item_code=r.item_id, period=r.period, roster_id=int(r.roster_id),
            )
            for r in rows.itertuples(index=False)
        ]
