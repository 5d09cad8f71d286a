"""Treasury tasks. Thin: they take region codes and call services."""

from celery import shared_task

from disbursement.treasury.alerting import treasury_alerts_refresh


@shared_task(ignore_result=True, acks_late=True)
def treasury_refresh_alerts(region_codes: list[str] | None = None) -> None:
    """Raise, refresh and close the treasury alerts of these regions (all when None): after a statement import
    for the regions it touched, and daily for all. Idempotent, so a repeat is harmless."""
    treasury_alerts_refresh(region_codes)

