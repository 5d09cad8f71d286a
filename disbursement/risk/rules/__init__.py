"""Every risk rule, one module per family; importing this package registers them all in RULES."""

from disbursement.risk.rules import amount, assets, fund, land, trend  # noqa: F401
