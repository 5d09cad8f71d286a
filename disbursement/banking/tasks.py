from celery import shared_task

from disbursement.banking import services


@shared_task(acks_late=True, ignore_result=True)
def bank_file_notify(bank_file_id: int) -> None:
    """Queue the residents' notices for a reconciled bank file (idempotent by payment reference)."""
    services.paid_notices_enqueue(bank_file_id=bank_file_id)
