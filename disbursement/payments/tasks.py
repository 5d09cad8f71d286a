from celery import shared_task
from django.conf import settings

from disbursement.payments.corrections import payments_return_expired


@shared_task(ignore_result=True)
def payments_return_unhandled() -> None:
    """Failed payments nobody re-issued within PAYMENT_RETURN_DAYS go back to their indicators."""
    payments_return_expired(days=settings.PAYMENT_RETURN_DAYS)
