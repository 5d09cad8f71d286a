"""The app's models live in one module per concept; Django finds them through this one."""

from disbursement.accounts.models import ApiToken, User
from disbursement.alerts.models import Alert, AlertEvent, AlertSubject, InboxEntry
from disbursement.audit.models import AuditEvent
from disbursement.budget.models import Indicator, LedgerEntry
from disbursement.catalog.models import CatalogRelease, Category, Item
from disbursement.complaints.models import Complaint  # noqa: F401
from disbursement.notifications.models import Notice
from disbursement.payments.models import BankFile, Payment
from disbursement.registry.models import (
    Card,
    DeathRecord,
    Enterprise,
    Household,
    HouseholdMove,
    LandContract,
    PayrollRecord,
    Pension,
    Person,
    Vehicle,
    VillageCadre,
)
from disbursement.risk.models import RuleSetting
from disbursement.rosters.models import ImportJob, Roster, RosterApproval, RosterLine
from disbursement.supervision.models import FactsRefresh, PaymentFact, ReachFact, RegisterFact
from disbursement.treasury.models import (
    ScheduledTransfer,
    TreasuryImport,
    TreasuryLevel,
    TreasurySettings,
    TreasuryStatement,
)

__all__ = [
    "ApiToken", "AuditEvent", "Card", "CatalogRelease", "Category", "DeathRecord", "Household", "ImportJob", "Item",
    "LandContract", "Person", "Roster", "RosterLine", "User", "VillageCadre", "Indicator", "LedgerEntry",
    "BankFile", "Payment", "RosterApproval",
    "Notice", "Alert", "AlertEvent", "AlertSubject", "InboxEntry", "Enterprise", "HouseholdMove", "PayrollRecord",
    "Pension", "Vehicle", "RuleSetting", "FactsRefresh", "PaymentFact", "ReachFact", "RegisterFact",
    "ScheduledTransfer", "TreasuryImport", "TreasuryLevel", "TreasurySettings", "TreasuryStatement",
]
