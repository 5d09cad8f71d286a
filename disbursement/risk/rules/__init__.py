"""Every risk rule, one module per family; importing this package registers them all in base.RULES."""

from disbursement.risk.rules import cadre, card, death, duplicate, identity, payroll  # noqa: F401

# Colleague G2's families, to import here once merged:
# from disbursement.risk.rules import amount, assets, fund, land, trend  # noqa: F401
