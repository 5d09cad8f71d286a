"""Loading the region tree from the committed Hunan extract (geo/data/hunan_regions.csv)."""

import csv
from pathlib import Path

from django.db import connection, transaction

from geo import codes
from geo.models import Region, RegionLevel

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "hunan_regions.csv"


class RegionFileError(ValueError):
    """The region file is malformed; the message names the line and the field."""


def regions_read(path: Path = REGIONS_FILE) -> list[Region]:
    """Parse and check the region file into unsaved Region objects, parents before children."""
    rows: list[Region] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, level, parent = row["code"], row["level"], row["parent_code"] or None
            try:
                derived = codes.region_level(code)
            except ValueError as exc:
                raise RegionFileError(f"{path.name} line {line}, code: {exc}") from None
            if level not in RegionLevel.values or level != derived:
                raise RegionFileError(f"{path.name} line {line}, level: {level!r} but the code {code} is a {derived}")
            if code in seen:
                raise RegionFileError(f"{path.name} line {line}, code: {code} appears twice")
            if level != RegionLevel.PROVINCE:
                expected = codes.ancestor_codes(code)[-2]
                if parent != expected or parent not in seen:
                    raise RegionFileError(
                        f"{path.name} line {line}, parent_code: {parent!r}; expected {expected}, listed earlier"
                    )
            seen.add(code)
            rows.append(
                Region(
                    code=code,
                    name=row["name"].strip(),
                    level=level,
                    parent_id=parent,
                    is_statistical=row["is_statistical"] == "1",
                )
            )
    return rows


@transaction.atomic
def regions_load(path: Path = REGIONS_FILE) -> dict[str, int]:
    """Insert or update every region of the file; running it again changes nothing.

    Regions missing from the file are kept (data may still point at them) and counted as "retired".
    """
    regions = regions_read(path)
    Region.objects.bulk_create(
        regions,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent", "is_statistical"],
    )
    counts = {level: 0 for level in RegionLevel.values}
    for region in regions:
        counts[region.level] += 1
    counts["statistical"] = sum(region.is_statistical for region in regions)
    counts["retired"] = Region.objects.count() - len(regions)
    with connection.cursor() as cursor:  # fresh planner statistics for 31,000 new rows (lookups join regions)
        cursor.execute(f"ANALYZE {Region._meta.db_table}")
    return counts
