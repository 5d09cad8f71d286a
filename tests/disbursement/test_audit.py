"""The audit log as a hash chain: appends link, verify_audit names edited, deleted and reordered records."""

import importlib
import io
import threading
import types

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from disbursement.accounts.roles import Role
from disbursement.audit.models import GENESIS_HASH, AuditEvent
from disbursement.audit.selectors import AuditProblem, audit_chain_verify
from disbursement.audit.services import audit_record
from geo.models import Region
from tests.conftest import YISUHE_TOWN

TABLE = AuditEvent._meta.db_table


def record(n: int, *, actor=None, **detail) -> list[AuditEvent]:
    town = Region.objects.get(code=YISUHE_TOWN)
    return [audit_record(actor=actor, action="test.event", obj=town, region_code=town.code, i=i, **detail)
            for i in range(n)]


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue(), str(failure.value)


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_records_link_into_a_chain_that_verifies(make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)  # creating a user is itself audit record 1
    first = AuditEvent.objects.get()
    assert (first.seq, first.action, first.prev_hash) == (1, "user.create", GENESIS_HASH)
    events = record(4, actor=clerk, amount_yuan="50.00", ratio=1.0, big=1e20, nested={"b": [1, 2.5], "a": "中文"})
    assert [e.seq for e in events] == [2, 3, 4, 5]
    assert events[0].prev_hash == first.hash
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    stored = AuditEvent.objects.order_by("seq")
    assert [e.hash for e in stored] == [first.hash] + [e.hash for e in events]
    assert all(e.digest() == e.hash for e in stored)  # what reads back from jsonb hashes as it was written
    assert verify().strip() == f"audit chain ok: 5 records, seq 1..5, tail hash {events[-1].hash}"


@pytest.mark.django_db
def test_an_empty_log_verifies():
    assert verify().strip() == "audit chain ok: no records"


@pytest.mark.django_db
def test_a_record_rolls_back_with_its_transaction_and_leaves_no_gap():
    record(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(1)
        raise RuntimeError("the state change failed")
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    assert record(1)[0].seq == 2
    assert audit_chain_verify() == []


@pytest.mark.django_db
def test_a_detail_edited_by_sql_is_named():
    events = record(5)
    sql(f"UPDATE {TABLE} SET detail = %s WHERE seq = 3", ['{"i": 2, "field": "card_number"}'])
    errors, summary = verify_fails()
    assert errors.strip() == f"seq 3 (id {events[2].pk}): edited: its content does not match its hash"
    assert "1 problem(s) at 1 record(s)" in summary


@pytest.mark.django_db
def test_a_deleted_record_is_named_by_the_gap_it_leaves():
    events = record(5)
    sql(f"DELETE FROM {TABLE} WHERE seq = 3")
    errors, _ = verify_fails()
    assert errors.strip() == f"seq 4 (id {events[3].pk}): deleted: seq 3 missing before it"


@pytest.mark.django_db
def test_a_deleted_record_whose_successors_were_renumbered_is_named():
    events = record(5)
    sql(f"DELETE FROM {TABLE} WHERE seq = 2")
    for seq in (3, 4, 5):
        sql(f"UPDATE {TABLE} SET seq = seq - 1 WHERE seq = %s", [seq])
    errors, _ = verify_fails()
    lines = errors.strip().splitlines()
    assert f"seq 2 (id {events[2].pk}): unlinked: its prev_hash is not the hash of the record before it" in lines
    assert {f"seq {s} (id {events[s].pk}): edited: its content does not match its hash" for s in (2, 3, 4)} \
        <= set(lines)


@pytest.mark.django_db
def test_two_records_with_swapped_times_are_named():
    events = record(4)
    sql(f"""UPDATE {TABLE} t SET at = o.at FROM {TABLE} o
            WHERE (t.seq, o.seq) IN ((2, 3), (3, 2))""")
    errors, _ = verify_fails()
    assert errors.strip().splitlines() == [
        f"seq 2 (id {events[1].pk}): edited: its content does not match its hash",
        f"seq 3 (id {events[2].pk}): edited: its content does not match its hash",
    ]


@pytest.mark.django_db
def test_two_records_with_swapped_places_are_named():
    events = record(4)
    sql(f"UPDATE {TABLE} SET seq = 0 WHERE seq = 2")
    sql(f"UPDATE {TABLE} SET seq = 2 WHERE seq = 3")
    sql(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 0")
    errors, _ = verify_fails()
    lines = errors.strip().splitlines()
    second, third = events[2].pk, events[1].pk  # now at seq 2 and 3
    assert f"seq 2 (id {second}): edited: its content does not match its hash" in lines
    assert f"seq 2 (id {second}): unlinked: its prev_hash is not the hash of the record before it" in lines
    assert f"seq 3 (id {third}): edited: its content does not match its hash" in lines
    assert f"seq 3 (id {third}): reordered: its id is lower than that of seq 2 (id {second})" in lines
    assert f"seq 4 (id {events[3].pk}): unlinked: its prev_hash is not the hash of the record before it" in lines
    assert not [line for line in lines if line.startswith("seq 1 ")]


@pytest.mark.django_db
def test_verification_reads_in_batches_and_finds_the_same():
    events = record(7)
    assert verify("--batch-size", "2").startswith("audit chain ok: 7 records")
    sql(f"UPDATE {TABLE} SET action = 'test.other' WHERE seq IN (2, 5)")
    sql(f"DELETE FROM {TABLE} WHERE seq = 6")
    expected = audit_chain_verify(batch_size=5000)
    assert audit_chain_verify(batch_size=2) == expected
    assert [(f.seq, f.id, f.problem) for f in expected] == [
        (2, events[1].pk, AuditProblem.EDITED), (5, events[4].pk, AuditProblem.EDITED),
        (7, events[6].pk, AuditProblem.DELETED),
    ]


@pytest.mark.django_db
def test_the_migration_chains_existing_records_in_id_order(monkeypatch):
    """Records from before the chain: the data migration gives them seq and hashes in id order."""
    events = record(6)
    sql(f"UPDATE {TABLE} SET seq = 2000000000 - id, prev_hash = '', hash = ''")  # seq in reverse id order
    migration = importlib.import_module("disbursement.migrations.0004_audit_hash_chain")
    monkeypatch.setattr(migration, "BATCH", 4)
    migration.chain_existing(apps, types.SimpleNamespace(connection=connection))
    assert list(AuditEvent.objects.order_by("seq").values_list("id", flat=True)) == [e.pk for e in events]
    assert [e.hash for e in AuditEvent.objects.order_by("seq")] == [e.hash for e in events]  # same as written
    assert audit_chain_verify() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_eight_connections_never_fork_the_chain(reference_in_transactional_db):
    town = Region.objects.get(code=YISUHE_TOWN)
    threads_count, per_thread = 8, 25
    barrier = threading.Barrier(threads_count)
    errors = []

    def append(thread: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit_record(actor=None, action="test.concurrent", obj=town, region_code=town.code,
                                 thread=thread, i=i)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = threads_count * per_thread
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    assert AuditEvent.objects.values("prev_hash").distinct().count() == total  # no two records share a parent
    assert audit_chain_verify() == []
    assert verify().startswith(f"audit chain ok: {total} records")
