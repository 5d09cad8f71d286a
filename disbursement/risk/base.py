"""The shape every risk rule has, and the registry of rules.

A rule is a class with its code, names, family, severity, the registers it needs and default thresholds, and
one method that runs a set-based query (SQL over the whole history, or over one roster's lines for the
pre-payment check) and turns each result row into a Finding. Rules never write: the scan hands their
findings to disbursement.alerts.services.alerts_upsert.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

from disbursement.alerts.models import Severity, SubjectKind


@dataclass(frozen=True)
class Subject:
    kind: str  # SubjectKind
    ref: str  # the object's id, or a region code for SubjectKind.REGION
    detail: dict = field(default_factory=dict, compare=False, hash=False)  # e.g. {"roster_id": 7, "row": 12}


@dataclass(frozen=True)
class Finding:
    """One reason to warn: what it is about, where, how much money, and the facts a person reads."""

    subjects: tuple[Subject, ...]
    region_code: str  # the lowest region containing every subject
    summary: str  # one Chinese sentence, e.g. "死亡后仍发放：2026-03-02 发放，2025-11-14 死亡（民政殡葬）"
    facts: dict  # JSON-able facts; a change of facts re-opens a dismissed alert
    amount_fen: int = 0
    item_code: str | None = None
    period: str = ""
    roster_id: int | None = None
    # For findings about a state that comes and goes (a county's treasury band): the day the episode began.
    # Part of the alert's key, so a re-entry after leaving is a new alert; empty for facts that stay.
    episode: str = ""


@dataclass(frozen=True)
class Scope:
    """Where a scan looks: everything (None), one region's subtree, or one roster's lines (pre-payment)."""

    region_code: str | None = None
    roster_id: int | None = None


class Rule(ABC):
    code: str = ""
    name: str = ""  # Chinese
    name_en: str = ""
    family: str = ""  # death, payroll, cadre, card, identity, duplicate, amount, land, assets, fund, trend
    severity: str = Severity.MEDIUM
    needs: tuple[str, ...] = ()  # side register kinds (SIDE_REGISTERS keys) and/or "payments", "rosters", …
    defaults: dict = {}  # threshold name -> default value
    # Whether the rule can judge one roster's unpaid lines before money leaves (the pre-payment check).
    checks_roster: bool = False

    @abstractmethod
    def findings(self, *, thresholds: dict, scope: Scope) -> Iterable[Finding]:
        """Run the rule's query within `scope` with these thresholds (defaults overlaid by the admin's)."""


RULES: dict[str, Rule] = {}


def rule(cls: type[Rule]) -> type[Rule]:
    """Class decorator: register one instance of the rule under its code."""
    if cls.code in RULES:
        raise ValueError(f"rule {cls.code} registered twice")
    RULES[cls.code] = cls()
    return cls


__all__ = ["Finding", "RULES", "Rule", "Scope", "Severity", "Subject", "SubjectKind", "rule"]
