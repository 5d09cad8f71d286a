"""Celery finds the app's tasks here (autodiscovery looks for <app>.tasks)."""

from disbursement.notifications.tasks import notices_requeue, notices_send
from disbursement.rosters.tasks import import_run, imports_requeue

__all__ = ["import_run", "imports_requeue"]
__all__ += ["notices_requeue", "notices_send"]
