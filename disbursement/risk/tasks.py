from celery import shared_task

from disbursement.risk.services import risk_scan, risk_scan_targeted


@shared_task(ignore_result=True, acks_late=True)
def risk_scan_run() -> None:
    """The periodic full scan: every enabled rule over the whole history. Idempotent, so a repeat is harmless."""
    risk_scan()


@shared_task(ignore_result=True, acks_late=True)
def risk_scan_targeted_run(kind: str, scope_code: str | None = None) -> None:
    """After a side register import: the rules that read that register."""
    risk_scan_targeted(kind=kind, scope_code=scope_code)
