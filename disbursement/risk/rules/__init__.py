"""Every risk rule, one module per family; importing this package registers them all in base.RULES."""

from disbursement.risk.rules import (  # noqa: F401
    amount,
    assets,
    cadre,
    card,
    death,
    duplicate,
    fund,
    identity,
    land,
    payroll,
    trend,
)
