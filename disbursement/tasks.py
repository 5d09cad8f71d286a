"""Celery finds the app's tasks here (autodiscovery looks for <app>.tasks)."""

from disbursement.rosters.tasks import import_run, imports_requeue

__all__ = ["import_run", "imports_requeue"]
