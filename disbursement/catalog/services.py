"""Loading the subsidy catalog from its versioned data file (disbursement/data/catalog.toml)."""

import hashlib
import tomllib
from pathlib import Path

from django.db import transaction

from disbursement.catalog.eligibility import eligibility_validate
from disbursement.catalog.models import CatalogRelease, Category, Department, Frequency, Item, Unit

CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "catalog.toml"
_SHARES = ("central", "provincial", "city", "county")


class CatalogFileError(ValueError):
    """The catalog file is malformed; the message names the item and the field."""


def _item_from(entry: dict, *, version: str, categories: set[str]) -> Item:
    code = entry.get("code", "?")

    def fail(field: str, why: str) -> None:
        raise CatalogFileError(f"item {code}, {field}: {why}")

    for field in ("code", "category", "name", "name_en", "department", "unit", "frequency", "funding"):
        if field not in entry:
            fail(field, "missing")
    if entry["category"] not in categories:
        fail("category", f"unknown category {entry['category']!r}")
    if not code.startswith(entry["category"]):
        fail("code", f"must start with its category code {entry['category']}")
    for field, choices in (("department", Department), ("unit", Unit), ("frequency", Frequency)):
        if entry[field] not in choices.values:
            fail(field, f"{entry[field]!r} is not one of {', '.join(choices.values)}")
    standard, rule = entry.get("standard_fen"), entry.get("standard_rule", "")
    if standard is None and not rule:
        fail("standard_fen", "give a standard in fen or a standard_rule")
    if standard is not None and (not isinstance(standard, int) or isinstance(standard, bool) or standard <= 0):
        fail("standard_fen", "must be a positive whole number of fen")
    funding = entry["funding"]
    if set(funding) != set(_SHARES) or not all(isinstance(funding[s], int) and funding[s] >= 0 for s in _SHARES):
        fail("funding", f"needs whole percents for exactly {', '.join(_SHARES)}")
    if sum(funding.values()) != 100:
        fail("funding", f"shares sum to {sum(funding.values())}%, not 100%")
    days = entry.get("publicity_days", 0)
    if not isinstance(days, int) or not 0 <= days <= 60:
        fail("publicity_days", "must be a whole number of days from 0 to 60")
    problems = eligibility_validate(entry.get("eligibility", []))
    if problems:
        fail("eligibility", "; ".join(problems))
    return Item(
        code=code,
        category_id=entry["category"],
        name=entry["name"],
        name_en=entry["name_en"],
        department=entry["department"],
        unit=entry["unit"],
        standard_fen=standard,
        standard_rule=rule,
        frequency=entry["frequency"],
        share_central=funding["central"],
        share_provincial=funding["provincial"],
        share_city=funding["city"],
        share_county=funding["county"],
        publicity_days=days,
        eligibility=entry.get("eligibility", []),
        is_active=True,
        catalog_version=version,
    )


def _flag(entry: dict, key: str, path: Path) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise CatalogFileError(f"{path.name}: category {entry.get('code')}: {key} must be true or false")
    return value


def catalog_read(path: Path = CATALOG_FILE) -> tuple[str, list[Category], list[Item], str]:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogFileError(f"{path.name}: not valid UTF-8 TOML ({exc})") from None
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise CatalogFileError(f"{path.name}: a version string is required")
    categories = [Category(code=c["code"], name=c["name"], name_en=c["name_en"],
                           basic_livelihood=_flag(c, "basic_livelihood", path))
                  for c in data.get("categories", [])]
    category_codes = {c.code for c in categories}
    if len(category_codes) != len(categories):
        raise CatalogFileError(f"{path.name}: a category code appears twice")
    items = [_item_from(entry, version=version, categories=category_codes) for entry in data.get("items", [])]
    for field in ("code", "name"):
        values = [getattr(item, field) for item in items]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise CatalogFileError(f"{path.name}: item {field} repeated: {', '.join(repeated)}")
    return version, categories, items, hashlib.sha256(raw).hexdigest()


@transaction.atomic
def catalog_load(path: Path = CATALOG_FILE) -> dict[str, object]:
    """Load a catalog version. The same file content again changes nothing (and keeps admin edits);
    a changed file updates every item it names and deactivates the items it no longer lists."""
    version, categories, items, checksum = catalog_read(path)
    counts: dict[str, object] = {"version": version, "categories": len(categories), "items": len(items)}
    if CatalogRelease.objects.filter(checksum=checksum).exists():
        return {**counts, "status": "unchanged"}
    Category.objects.bulk_create(
        categories, update_conflicts=True, unique_fields=["code"], update_fields=["name", "name_en", "basic_livelihood"]
    )
    item_fields = [f.name for f in Item._meta.concrete_fields if f.name != "code"]
    Item.objects.bulk_create(items, update_conflicts=True, unique_fields=["code"], update_fields=item_fields)
    retired = Item.objects.exclude(code__in=[i.code for i in items]).filter(is_active=True).update(is_active=False)
    CatalogRelease.objects.create(version=version, checksum=checksum, categories=len(categories), items=len(items))
    return {**counts, "retired": retired, "status": "loaded"}
