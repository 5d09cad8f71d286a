"""Celery finds the app's tasks here (autodiscovery looks for <app>.tasks)."""

from disbursement.alerts.tasks import alerts_escalate_overdue
from disbursement.banking.tasks import bank_file_notify
from disbursement.notifications.tasks import notices_requeue, notices_send
from disbursement.payments.tasks import payments_return_unhandled
from disbursement.registry.tasks import register_import_run
from disbursement.risk.tasks import risk_scan_run, risk_scan_targeted_run
from disbursement.rosters.tasks import import_run, imports_requeue
from disbursement.supervision.tasks import supervision_facts_refresh, supervision_facts_refresh_all

__all__ = [
    "alerts_escalate_overdue", "bank_file_notify", "import_run", "imports_requeue", "notices_requeue",
    "notices_send", "payments_return_unhandled", "register_import_run", "risk_scan_run", "risk_scan_targeted_run",
    "supervision_facts_refresh", "supervision_facts_refresh_all",
]
