"""Writing an accepted roster: new persons and cards, the roster and its lines, all set-based.

Runs in the import's transaction right after rosters.checks, from the staging table the checks filled.
"""

import json

import pandas as pd
from django.db import connection
from django.utils import timezone

from disbursement import bulk, pii
from disbursement.catalog.models import Item
from disbursement.registry.models import Card, CardKind, CardStatus, Person
from disbursement.rosters.checks import STAGE
from disbursement.rosters.models import Roster, RosterLine, RosterStatus
from geo.models import Region


def _masked(values: pd.Series, head: int, tail: int, middle: str) -> pd.Series:
    return values.str[:head] + middle + values.str[-tail:]


def roster_persist(rows: pd.DataFrame, *, item: Item, township: Region, period: str, file_sha256: str,
                   created_by) -> Roster:
    person_table, card_table, line_table = (m._meta.db_table for m in (Person, Card, RosterLine))
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        # 1. Persons the register does not know yet.
        new_people = bulk.rows_fetch(cursor, f"""
            SELECT s.row_number FROM {STAGE} s
            WHERE NOT EXISTS (SELECT 1 FROM {person_table} p WHERE p.id_hash = s.id_hash)""")["row_number"]
        if len(new_people):
            people = rows.loc[new_people.to_numpy()]
            phone = people["phone"]
            has_phone = phone != ""
            phone_cipher = pd.Series("", index=people.index)
            phone_cipher[has_phone] = pii.encrypt_many(phone[has_phone].tolist())
            frame = pd.DataFrame({
                "name": people["name"],
                "id_hash": people["id_hash"],
                "id_cipher": pii.encrypt_many(people["id_number"].tolist()),
                "id_masked": _masked(people["id_number"], 3, 4, "*" * 11),
                "sex": people["sex"],
                "birth_date": people["birth_date"].dt.strftime("%Y-%m-%d"),
                "village_id": people["village_id"],
                "group": people["group"],
                "phone_cipher": phone_cipher,
                "phone_masked": _masked(phone, 3, 4, "****").where(has_phone, ""),
                "attributes": json.dumps({}),
                "created_at": now,
            })
            # In blind-index order, the unique index on it is filled page by page instead of at random.
            bulk.table_copy(cursor, person_table, frame.sort_values("id_hash"),
                            text_columns=("group", "phone_cipher", "phone_masked"))

        # 2. Cards the register does not know yet, owned by the row's person.
        new_cards = bulk.rows_fetch(cursor, f"""
            SELECT s.row_number FROM {STAGE} s
            WHERE NOT EXISTS (SELECT 1 FROM {card_table} c WHERE c.number_hash = s.card_hash)""")["row_number"]
        if len(new_cards):
            cards = rows.loc[new_cards.to_numpy()]
            staged = pd.DataFrame({
                "id_hash": cards["id_hash"],
                "bank": cards["bank"],
                "number_hash": cards["card_hash"],
                "number_cipher": pii.encrypt_many(cards["card_number"].tolist()),
                "number_masked": _masked(cards["card_number"], 4, 4, " **** **** "),
            })
            bulk.stage_create(cursor, "card_stage", {"id_hash": "uuid", "bank": "text", "number_hash": "uuid",
                                                     "number_cipher": "text", "number_masked": "text"})
            bulk.stage_fill(cursor, "card_stage", staged, text_columns=("bank",))
            cursor.execute(f"""
                INSERT INTO {card_table} (person_id, bank, kind, number_hash, number_cipher, number_masked, status,
                                          created_at)
                SELECT p.id, n.bank, %s, n.number_hash, n.number_cipher, n.number_masked, %s, %s
                FROM card_stage n JOIN {person_table} p ON p.id_hash = n.id_hash
                ORDER BY n.number_hash""",
                           [CardKind.SOCIAL_SECURITY, CardStatus.ACTIVE, now])
            bulk.stage_drop(cursor, "card_stage")

        # 3. The roster and its lines.
        roster = Roster.objects.create(
            item=item, township=township, period=period, status=RosterStatus.VALIDATED, file_sha256=file_sha256,
            line_count=len(rows), total_fen=int(rows["amount_fen"].sum()), created_by=created_by,
        )
        cursor.execute(f"""
            INSERT INTO {line_table} (roster_id, row_number, person_id, card_id, village_id, "group", quantity_milli,
                                      rate_fen, amount_fen, remark, item_id, period, is_void)
            SELECT %s, s.row_number, p.id, c.id, s.village_id, s.grp, s.quantity_milli, s.rate_fen, s.amount_fen,
                   s.remark, %s, %s, %s
            FROM {STAGE} s JOIN {person_table} p ON p.id_hash = s.id_hash JOIN {card_table} c
              ON c.number_hash = s.card_hash
            ORDER BY p.id""", [roster.pk, item.code, period, False])
        if cursor.rowcount != len(rows):
            raise RuntimeError(f"roster {roster.pk}: wrote {cursor.rowcount} lines for {len(rows)} rows")
        bulk.stage_drop(cursor, STAGE)
    return roster
