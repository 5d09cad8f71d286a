"""Payment files out to the agent bank and return files back in, both set-based.

Generating: the pending payments of a roster and bank move to "sent" with one conditional UPDATE that also
names the file they belong to; the file is rendered from exactly those rows and stored, so asking again
finds nothing pending and returns the same stored bytes — nothing is ever sent twice.

Reconciling: the return file is checked whole (framing, count, total, checksum; then every reference and
amount against the payment file) before anything changes; then one UPDATE … FROM a staging table settles
every payment, and one ledger movement per indicator moves the paid money reserved → paid. Importing the
same return file again changes nothing.
"""

import hashlib

import pandas as pd
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disbursement import bulk, pii
from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.banking import formats
from disbursement.budget.models import Movement
from disbursement.budget.services import ledger_move
from disbursement.errors import Conflict, NotFound, ValidationFailed
from disbursement.notifications.services import notices_enqueue_many
from disbursement.payments.holds import payments_hold_sync
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.queueing import PublishFailed, task_publish
from disbursement.registry.models import Card
from disbursement.rosters.models import Roster, RosterStatus
from disbursement.supervision.services import facts_refresh_enqueue

# Short codes for the banks in the payment file's header; others travel as "OTHER" with their name.
BANK_CODES = {
    "中国农业银行": "ABC", "中国工商银行": "ICBC", "中国建设银行": "CCB", "中国银行": "BOC", "交通银行": "BOCOM",
    "中国邮政储蓄银行": "PSBC", "招商银行": "CMB", "湖南省农村信用社联合社": "HNRCU", "湖南农信": "HNRCU",
}
SENDABLE = (RosterStatus.FINANCE_APPROVED, RosterStatus.SENT, RosterStatus.PARTLY_FAILED)


def bank_code(bank: str) -> str:
    return BANK_CODES.get(bank, "OTHER")


@transaction.atomic
def bank_files_generate(*, actor, roster_id: int) -> list[BankFile]:
    """Payment files for every pending payment of an approved roster, one per agent bank; returns the new ones."""
    roster = Roster.objects.select_for_update().select_related("item").filter(pk=roster_id).first()
    if roster is None:
        raise NotFound(_("Roster not found."))
    action_check(actor, "bankfile.generate", region_code=roster.township_id, not_found=_("Roster not found."))
    if roster.status not in SENDABLE:
        raise Conflict(_("Only an approved roster goes to the bank."))
    # 事前拦截 again, against the history as it is now: lines whose alert was dismissed go out in this file,
    # lines that gained an open high alert since approval stay out.
    held, released = payments_hold_sync(roster_id=roster.pk)
    banks = list(Payment.objects.filter(roster=roster, status=PaymentStatus.PENDING)
                 .values_list("bank", flat=True).distinct().order_by("bank"))
    created = []
    for bank in banks:
        sequence = (BankFile.objects.filter(roster=roster, bank=bank).aggregate(n=Max("sequence"))["n"] or 0) + 1
        file_id = f"OC{roster.pk:08d}-{bank_code(bank)}-{sequence}"
        bank_file = BankFile.objects.create(roster=roster, bank=bank, sequence=sequence, file_id=file_id,
                                            content=b"", sha256="", record_count=0, total_fen=0, created_by=actor)
        Payment.objects.filter(roster=roster, bank=bank, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.SENT, bank_file=bank_file)
        content, count, total = _render(bank_file, roster)
        BankFile.objects.filter(pk=bank_file.pk).update(content=pii.seal(content),
                                                        sha256=hashlib.sha256(content).hexdigest(),
                                                        record_count=count, total_fen=total)
        bank_file.refresh_from_db()
        created.append(bank_file)
    if created:
        Roster.objects.filter(pk=roster.pk, status__in=[RosterStatus.FINANCE_APPROVED, RosterStatus.PARTLY_FAILED]
                              ).update(status=RosterStatus.SENT)
    facts_refresh_enqueue(region_code=roster.township_id, period=roster.period)  # the supervisor's figures
    # Audit last: its chain lock is held until commit, so nothing slow may follow it in this transaction.
    if held or released:
        audit_record(actor=actor, action="roster.holds", obj=roster, region_code=roster.township_id,
                     held=held, released=released)
    for bank_file in created:
        audit_record(actor=actor, action="bankfile.generate", obj=bank_file, region_code=roster.township_id,
                     records=bank_file.record_count, total_fen=bank_file.total_fen)
    return created


def _render(bank_file: BankFile, roster: Roster) -> tuple[bytes, int, int]:
    payment, card = Payment._meta.db_table, Card._meta.db_table
    with connection.cursor() as cursor:
        rows = bulk.rows_fetch(cursor, f"""
            SELECT p.reference, c.number_cipher, p.payee_name, p.amount_fen FROM {payment} p
            JOIN {card} c ON c.id = p.card_id WHERE p.bank_file_id = %s ORDER BY p.reference""",
                               [bank_file.pk], columns=["reference", "cipher", "name", "amount_fen"])
    frame = pd.DataFrame({
        "reference": rows["reference"],
        "card_number": [pii.decrypt(token) for token in rows["cipher"]],
        "name": rows["name"],
        "amount_fen": rows["amount_fen"].astype("int64"),
        "item": roster.item_id,
        "period": roster.period,
    })
    content = formats.payment_file_render(file_id=bank_file.file_id, bank_code=bank_code(bank_file.bank),
                                          payer=roster.township_id[:6], created=timezone.localdate(), rows=frame)
    return content, len(frame), int(frame["amount_fen"].sum())


def bank_file_download(*, actor, bank_file_id: int) -> BankFile:
    """The stored file (with whole card numbers: finance only); every download is audited."""
    bank_file = BankFile.objects.select_related("roster").filter(pk=bank_file_id).first()
    if bank_file is None:
        raise NotFound(_("Bank file not found."))
    action_check(actor, "bankfile.download", region_code=bank_file.roster.township_id,
                 not_found=_("Bank file not found."))
    audit_record(actor=actor, action="bankfile.download", obj=bank_file, region_code=bank_file.roster.township_id)
    return bank_file


@transaction.atomic
def return_file_import(*, actor, data: bytes) -> BankFile:
    try:
        header, rows = formats.return_file_parse(data)
    except formats.BankFileError as exc:
        raise ValidationFailed(str(exc), field="file") from None
    digest = hashlib.sha256(data).hexdigest()
    bank_file = (BankFile.objects.select_for_update().select_related("roster")
                 .filter(file_id=header.payment_file_id).first())
    if bank_file is None:
        raise ValidationFailed(_("The return file answers %(id)s, which is not a payment file of this system.")
                               % {"id": header.payment_file_id}, field="file")
    action_check(actor, "returnfile.import", region_code=bank_file.roster.township_id,
                 not_found=_("Roster not found."))
    if bank_file.return_sha256 == digest:
        bank_file.already_done = True  # the page says so instead of repeating the success
        return bank_file  # the same return file again: already reconciled, nothing changes
    if bank_file.return_sha256:
        raise Conflict(_("A different return file for %(id)s was already imported.") % {"id": bank_file.file_id})
    if len(rows) != bank_file.record_count or int(rows["amount_fen"].sum()) != bank_file.total_fen:
        raise ValidationFailed(
            _("The return file has %(n)s records totalling %(total)s fen; the payment file had %(m)s totalling "
              "%(expected)s fen.") % {"n": len(rows), "total": int(rows["amount_fen"].sum()),
                                      "m": bank_file.record_count, "expected": bank_file.total_fen},
            field="file")
    payment = Payment._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, "return_stage", {"reference": "text", "result": "text", "reason": "text",
                                                   "amount_fen": "bigint", "bank_txn": "text"})
        bulk.stage_fill(cursor, "return_stage", rows[["reference", "result", "reason", "amount_fen", "bank_txn"]],
                        text_columns=("reason", "bank_txn"))
        cursor.execute(f"""
            SELECT COUNT(*) FROM return_stage s LEFT JOIN {payment} p
              ON p.reference = s.reference AND p.bank_file_id = %s
            WHERE p.id IS NULL OR p.amount_fen <> s.amount_fen OR p.status <> %s""",
                       [bank_file.pk, PaymentStatus.SENT])
        mismatched = cursor.fetchone()[0]
        if mismatched:
            raise ValidationFailed(_("%(n)s lines of the return file do not match the payment file's references "
                                     "and amounts.") % {"n": mismatched}, field="file")
        cursor.execute(f"""
            UPDATE {payment} SET status = CASE s.result WHEN 'S' THEN %s ELSE %s END,
                   result_code = s.reason, bank_txn = s.bank_txn, settled_at = %s
            FROM return_stage s
            WHERE {payment}.reference = s.reference AND {payment}.bank_file_id = %s AND {payment}.status = %s""",
                       [PaymentStatus.PAID, PaymentStatus.FAILED, now, bank_file.pk, PaymentStatus.SENT])
        cursor.execute(f"""
            SELECT indicator_id, SUM(amount_fen) FROM {payment}
            WHERE bank_file_id = %s AND status = %s GROUP BY indicator_id ORDER BY indicator_id""",
                       [bank_file.pk, PaymentStatus.PAID])
        paid = cursor.fetchall()
        bulk.stage_drop(cursor, "return_stage")
    for indicator_id, amount in paid:
        ledger_move(indicator_id=indicator_id, movement=Movement.PAY, amount_fen=int(amount), actor=actor,
                    roster=bank_file.roster, reference=bank_file.file_id)
    BankFile.objects.filter(pk=bank_file.pk).update(return_sha256=digest, returned_at=now)
    roster_settle(roster_id=bank_file.roster_id)
    # Residents' notices are queued by a task after commit: a million of them must not hold the money transaction.
    transaction.on_commit(lambda: bank_file_notify_publish(bank_file_id=bank_file.pk))
    facts_refresh_enqueue(region_code=bank_file.roster.township_id, period=bank_file.roster.period)
    # Audit last: its chain lock is held until commit, so nothing slow may follow it in this transaction.
    audit_record(actor=actor, action="bankfile.return", obj=bank_file, region_code=bank_file.roster.township_id,
                 paid=int(sum(a for _, a in paid)), records=len(rows))
    bank_file.refresh_from_db()
    return bank_file


def roster_settle(*, roster_id: int) -> None:
    """Derive a sent roster's status from its payments: settled, partly failed, or closed when nothing is open.
    A held payment is still owed (its money stays reserved), so a roster holding one is never settled or
    closed: it stays sent (or partly failed) until the hold is released and paid, or the line is voided."""
    statuses = set(Payment.objects.filter(roster_id=roster_id).values_list("status", flat=True).distinct())
    open_ = statuses & {PaymentStatus.PENDING, PaymentStatus.SENT}
    if open_:
        return
    if PaymentStatus.HELD in statuses:
        target = RosterStatus.PARTLY_FAILED if PaymentStatus.FAILED in statuses else RosterStatus.SENT
    elif PaymentStatus.FAILED in statuses:
        target = RosterStatus.PARTLY_FAILED
    elif statuses & {PaymentStatus.RETURNED, PaymentStatus.REISSUED}:
        target = RosterStatus.CLOSED
    else:
        target = RosterStatus.SETTLED
    Roster.objects.filter(pk=roster_id, status__in=[RosterStatus.SENT, RosterStatus.PARTLY_FAILED]).update(
        status=target)


def bank_file_notify_publish(*, bank_file_id: int) -> None:
    """Queue the task that builds a reconciled file's notices. Without a broker, build them here instead (after
    commit, so the reconciliation stands either way): they land in the notices outbox, whose sweep sends them."""
    from disbursement.banking.tasks import bank_file_notify

    try:
        task_publish(bank_file_notify, args=[bank_file_id])
    except PublishFailed:
        paid_notices_enqueue(bank_file_id=bank_file_id)


def paid_notices_enqueue(*, bank_file_id: int) -> None:
    """One SMS-style notice per paid payment of a bank file, built set-based; running it again adds nothing
    (the payment reference is the notice's deduplication key)."""
    bank_file = BankFile.objects.select_related("roster", "roster__item").get(pk=bank_file_id)
    roster = bank_file.roster
    with connection.cursor() as cursor:
        paid = bulk.rows_fetch(cursor, f"""
            SELECT person_id, reference, amount_fen, card_masked FROM {Payment._meta.db_table}
            WHERE bank_file_id = %s AND status = %s""", [bank_file.pk, PaymentStatus.PAID],
                               columns=["person_id", "reference", "amount_fen", "card_masked"])
    if paid.empty:
        return
    with translation.override("zh-hans"):  # residents are told in Chinese whatever the clerk's language
        template = _("Your %(item)s for %(period)s, %(amount)s yuan, was paid to your card ending %(tail)s.")
    fen = paid["amount_fen"].astype("int64")
    amount = (fen // 100).astype(str) + "." + (fen % 100).astype(str).str.zfill(2)
    head, tail = template.split("%(amount)s", 1)
    head = head % {"item": roster.item.name, "period": roster.period}
    before_tail, after_tail = tail.split("%(tail)s", 1)
    text = head + amount + before_tail + paid["card_masked"].str[-4:] + after_tail
    notices_enqueue_many(rows=pd.DataFrame({"person_id": paid["person_id"], "kind": "payment_settled",
                                            "dedup_key": paid["reference"], "text": text}))
