from celery import shared_task

from disbursement.notifications import services


@shared_task(acks_late=True, ignore_result=True)
def notices_send(notice_ids: list[int]) -> None:
    outcome = services.notices_send(notice_ids=notice_ids)
    for delay, retry_ids in outcome.retry.items():
        services.notices_dispatch(notice_ids=retry_ids, countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def notices_requeue() -> None:
    # A full batch means more may be stuck: go on at once rather than at the next beat.
    if len(services.notices_requeue()) == services.SWEEP_LIMIT:
        notices_requeue.delay()
