from celery import shared_task

from disbursement.supervision import services


@shared_task(ignore_result=True, acks_late=True)
def supervision_facts_refresh(county_codes: list[str], years: list[int]) -> None:
    """Rebuild the facts of counties and years the money path just changed (queued on commit)."""
    services.facts_refresh_claimed(county_codes=county_codes, years=years)


@shared_task(ignore_result=True, acks_late=True)
def supervision_facts_refresh_all() -> None:
    """Nightly: every county, every year; catches whatever a lost or unqueued refresh missed."""
    services.facts_refresh()
