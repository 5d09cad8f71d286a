from celery import shared_task

from disbursement.rosters import services


@shared_task(acks_late=True, ignore_result=True)
def import_run(job_id: int) -> None:
    services.import_job_execute(job_id=job_id)


@shared_task(ignore_result=True)
def imports_requeue() -> None:
    services.imports_requeue()


@shared_task(ignore_result=True)
def import_files_expire() -> None:
    services.import_files_expire()
