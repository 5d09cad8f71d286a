from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def risk_scan_targeted_run(kind: str, scope_code: str) -> None:
    """After a side register's import: the rules that read that register, over its scope."""
    from disbursement.risk.services import risk_scan_targeted

    risk_scan_targeted(kind=kind, scope_code=scope_code)
