from celery import shared_task

from disbursement.registry import side_imports


@shared_task(acks_late=True, ignore_result=True)
def register_import_run(job_id: int) -> None:
    side_imports.register_import_execute(job_id=job_id)
