"""The notebooks' one door to the database: Django set up on the project's settings, every connection read-only,
and a few readers the notebooks share. Nothing here (or in a notebook) writes.

    from _db import read_sql, table
    frame = read_sql(f"SELECT code, name FROM {table('geo.Region')} WHERE level = %s", ["county"])

Which database: the settings' choice, i.e. DATABASE_URL when set (PostgreSQL), else the demo's SQLite file
(var/one-card.sqlite3, what `make demo` fills). Read-only is enforced by the database, not by good manners:
PostgreSQL sessions start with default_transaction_read_only on, SQLite connections with PRAGMA query_only.
"""

import os
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
# A Jupyter kernel runs cells inside an event loop, which Django takes for async code and refuses the ORM in;
# a notebook is one thread doing one thing at a time, so the guard protects nothing here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402


def _read_only(sender, connection, **kwargs) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET default_transaction_read_only = on")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")


connection_created.connect(_read_only, dispatch_uid="notebooks-read-only")
connection.close()  # the next query opens a connection, read-only from its first statement

PROVINCE = "430000000000"


def read_sql(sql: str, params=None) -> pd.DataFrame:
    """The rows of one SELECT as a DataFrame. Placeholders are %s on both databases (Django's cursor)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def table(label: str) -> str:
    """The database table of a model, e.g. table("disbursement.Payment"), so the SQL follows the models."""
    return apps.get_model(label)._meta.db_table


def county_sql(column: str) -> str:
    """SQL for the county code of a region code column (6 digits + 000000; both databases)."""
    return f"SUBSTR({column}, 1, 6) || '000000'"


def household_sql(person_alias: str = "pe") -> str:
    """A person's household as one distinct key: the register's household, or the person alone when the register
    has none for them (roster imports create persons without a household)."""
    return (f"COALESCE('h' || CAST({person_alias}.household_id AS VARCHAR(20)), "
            f"'p' || CAST({person_alias}.id AS VARCHAR(20)))")


def within(code: str) -> tuple[str, str]:
    """The code range of a region's subtree (geo.codes), for `BETWEEN %s AND %s`."""
    from geo import codes

    return codes.subtree_bounds(code)


def region_name(code: str) -> str:
    from geo.selectors import region_get

    return region_get(code=code).name


def counties(region: str = PROVINCE) -> pd.DataFrame:
    """The county-level units (statistics-only zones too) inside a region: code, name, city."""
    low, high = within(region)
    return read_sql(f"SELECT code, name, parent_id AS city FROM {table('geo.Region')} "
                    "WHERE level = 'county' AND code BETWEEN %s AND %s ORDER BY code", [low, high])


def payment_year_sql(roster_alias: str = "r") -> str:
    """A payment's year is its roster's period's year (2026, 2026H2, 2026Q4 and 2026-11 all start with it):
    what supervisors mean by "the 2026 subsidies", whenever the bank paid."""
    return f"SUBSTR({roster_alias}.period, 1, 4)"


def latest_payment_year() -> int | None:
    frame = read_sql(f"SELECT MAX({payment_year_sql()}) AS year FROM {table('disbursement.Payment')} p "
                     f"JOIN {table('disbursement.Roster')} r ON r.id = p.roster_id WHERE p.status = 'paid'")
    year = frame["year"].iloc[0]
    return int(year) if year else None

