from celery import shared_task

from disbursement.alerts import services


@shared_task(acks_late=True, ignore_result=True)
def alerts_escalate_overdue() -> None:
    services.alerts_escalate_overdue()
