"""Invariants of the money path, checked set-based; each finding names what is wrong and where."""

from django.db import connection

from disbursement.budget.models import MOVES, Indicator, LedgerEntry, LedgerState
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Card, Person
from disbursement.rosters.models import Roster, RosterLine, RosterStatus

# Payment statuses whose money the ledger still holds in "reserved".
HELD = (PaymentStatus.PENDING, PaymentStatus.SENT, PaymentStatus.FAILED, PaymentStatus.HELD)


def ledger_findings() -> list[str]:
    entry, indicator, payment, roster, line, person, card = (
        m._meta.db_table for m in (LedgerEntry, Indicator, Payment, Roster, RosterLine, Person, Card))
    states = [s for s in LedgerState.values if s != LedgerState.SOURCE]
    balance = ", ".join(
        f"SUM(CASE WHEN credit = '{s}' THEN amount_fen WHEN debit = '{s}' THEN -amount_fen ELSE 0 END) AS {s}"
        for s in states
    )
    moves = " OR ".join(f"(movement = '{m}' AND debit = '{d}' AND credit = '{c}')" for m, (d, c) in MOVES.items())
    findings: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, movement, debit, credit FROM {entry} WHERE NOT ({moves})")
        findings += [f"ledger entry {r[0]}: {r[1]} cannot move {r[2]} → {r[3]}" for r in cursor.fetchall()]
        cursor.execute(f"SELECT indicator_id, {balance} FROM {entry} GROUP BY indicator_id")
        for row in cursor.fetchall():
            for state, value in zip(states, row[1:], strict=True):
                if value < 0:
                    findings.append(f"indicator {row[0]}: {state} balance is negative ({value} fen)")
        # What the ledger says each roster holds per state must be what its payments say (FULL OUTER JOIN:
        # PostgreSQL, and SQLite from 3.39).
        for state, statuses in ((LedgerState.RESERVED, HELD), (LedgerState.PAID, (PaymentStatus.PAID,)),
                                (LedgerState.RETURNED, (PaymentStatus.RETURNED,))):
            marks = ", ".join(["%s"] * len(statuses))
            cursor.execute(f"""
                WITH ledger AS (
                    SELECT roster_id, indicator_id,
                           SUM(CASE WHEN credit = %s THEN amount_fen WHEN debit = %s THEN -amount_fen ELSE 0 END) AS fen
                    FROM {entry} WHERE roster_id IS NOT NULL GROUP BY roster_id, indicator_id),
                paid AS (
                    SELECT roster_id, indicator_id, SUM(amount_fen) AS fen FROM {payment}
                    WHERE status IN ({marks}) GROUP BY roster_id, indicator_id)
                SELECT COALESCE(l.roster_id, p.roster_id), COALESCE(l.indicator_id, p.indicator_id),
                       COALESCE(l.fen, 0), COALESCE(p.fen, 0)
                FROM ledger l FULL OUTER JOIN paid p ON p.roster_id = l.roster_id AND p.indicator_id = l.indicator_id
                WHERE COALESCE(l.fen, 0) <> COALESCE(p.fen, 0)""", [state, state, *statuses])
            findings += [f"roster {r[0]}, indicator {r[1]}: ledger {state} {r[2]} fen but payments {r[3]} fen"
                         for r in cursor.fetchall()]
        # An approved roster pays each live line exactly once (re-issues replace, never add).
        approved = [RosterStatus.FINANCE_APPROVED, RosterStatus.SENT, RosterStatus.SETTLED,
                    RosterStatus.PARTLY_FAILED, RosterStatus.CLOSED]
        marks = ", ".join(["%s"] * len(approved))
        cursor.execute(f"""
            SELECT l.roster_id, l.row_number, COUNT(p.id) FROM {line} l JOIN {roster} r ON r.id = l.roster_id
            LEFT JOIN {payment} p ON p.line_id = l.id AND p.status NOT IN (%s, %s)
            WHERE r.status IN ({marks}) AND NOT l.is_void
            GROUP BY l.roster_id, l.row_number HAVING COUNT(p.id) <> 1""",
                       [PaymentStatus.REISSUED, PaymentStatus.CANCELLED, *approved])
        findings += [f"roster {r[0]} row {r[1]}: {r[2]} live payments instead of 1" for r in cursor.fetchall()]
        cursor.execute(f"""
            SELECT p.reference FROM {payment} p JOIN {line} l ON l.id = p.line_id
            WHERE p.amount_fen <> l.amount_fen""")
        findings += [f"payment {r[0]}: amount differs from its roster line" for r in cursor.fetchall()]
        # Lines, payments and cards reference persons and cards without database constraints (bulk speed):
        # check that nothing points at a missing row.
        for table, column, target in ((line, "person_id", person), (line, "card_id", card),
                                      (payment, "person_id", person), (payment, "card_id", card),
                                      (payment, "indicator_id", indicator), (card, "person_id", person)):
            cursor.execute(f"""SELECT COUNT(*) FROM {table} x WHERE NOT EXISTS
                               (SELECT 1 FROM {target} t WHERE t.id = x.{column})""")
            missing = cursor.fetchone()[0]
            if missing:
                findings.append(f"{table}.{column}: {missing} rows point at a missing {target} row")
    return findings
