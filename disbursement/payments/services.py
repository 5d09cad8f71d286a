"""Payment instructions: created set-based from an approved roster's lines."""

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from disbursement import bulk
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Card, Person
from disbursement.rosters.models import RosterLine


def roster_line_amounts(*, roster_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers and amounts of a roster's live lines, in row order."""
    with connection.cursor() as cursor:
        frame = bulk.rows_fetch(cursor, f"""
            SELECT row_number, amount_fen FROM {RosterLine._meta.db_table}
            WHERE roster_id = %s AND NOT is_void ORDER BY row_number""", [roster_id],
                                columns=["row_number", "amount_fen"])
    return frame["row_number"].to_numpy(dtype=np.int64), frame["amount_fen"].to_numpy(dtype=np.int64)


def payments_create(*, roster, row_numbers: np.ndarray, funded_by: np.ndarray) -> int:
    """One pending payment per live line, freezing payee name, card and village; returns the count."""
    payment, line, person, card = (m._meta.db_table for m in (Payment, RosterLine, Person, Card))
    now = timezone.now().isoformat()
    indicators = np.unique(funded_by)
    with connection.cursor() as cursor:
        if len(indicators) == 1:
            source, indicator_sql, params = "", "%s", [int(indicators[0])]
        else:
            bulk.stage_create(cursor, "funding_stage", {"row_number": "bigint", "indicator_id": "bigint"})
            bulk.stage_fill(cursor, "funding_stage", pd.DataFrame({"row_number": row_numbers,
                                                                   "indicator_id": funded_by}))
            source, indicator_sql, params = " JOIN funding_stage f ON f.row_number = l.row_number", "f.indicator_id", []
        cursor.execute(f"""
            INSERT INTO {payment} (reference, roster_id, line_id, indicator_id, person_id, card_id, payee_name,
                                   card_masked, bank, village_id, amount_fen, status, attempt, result_code, bank_txn,
                                   created_at)
            SELECT 'P' || CAST(l.roster_id AS TEXT) || '-' || CAST(l.row_number AS TEXT) || '-1', l.roster_id, l.id,
                   {indicator_sql}, l.person_id, l.card_id, p.name, c.number_masked, c.bank, l.village_id,
                   l.amount_fen, %s, 1, '', '', %s
            FROM {line} l JOIN {person} p ON p.id = l.person_id JOIN {card} c ON c.id = l.card_id{source}
            WHERE l.roster_id = %s AND NOT l.is_void
            ORDER BY l.row_number""", [*params, PaymentStatus.PENDING, now, roster.pk])
        created = cursor.rowcount
        if source:
            bulk.stage_drop(cursor, "funding_stage")
    bulk.tables_analyze(Payment)
    return created

