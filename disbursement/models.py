"""The app's models live in one module per concept; Django finds them through this one."""

from disbursement.accounts.models import ApiToken, User
from disbursement.catalog.models import CatalogRelease, Category, Item

__all__ = ["ApiToken", "CatalogRelease", "Category", "Item", "User"]
