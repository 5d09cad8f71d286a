"""Treasury tasks. Thin: they take region codes and call services."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def treasury_after_import(region_codes: list[str]) -> None:
    """Queued (on commit) after statements were imported and their levels recomputed. The alerts that follow
    from the new levels (bands entered, idle spells, forecast gaps) are written by the alerts side of the
    treasury package through `treasury_refresh_alerts` in this module; until that exists this does nothing.
    Kept apart so the import's answer never waits for, or fails with, the alerts."""
    hook = globals().get("treasury_refresh_alerts")
    if hook is not None:
        hook(region_codes)
