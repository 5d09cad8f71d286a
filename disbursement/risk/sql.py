"""The few spots where PostgreSQL and SQLite spell SQL differently, for rule queries that must run on both
(production and the embedded demo). Everything else in a rule's query is plain SQL both accept."""

import pandas as pd
from django.db import connection

from disbursement import bulk


def table(model) -> str:
    return model._meta.db_table


def as_date(expression: str) -> str:
    """The calendar date of a date or timestamp column (SQLite keeps both as ISO text)."""
    return f"CAST({expression} AS date)" if connection.vendor == "postgresql" else f"date({expression})"


def date_add_days(expression: str, days: int) -> str:
    """`expression` (a date) plus a whole number of days; `days` is an int from a threshold, never user text."""
    days = int(days)
    if connection.vendor == "postgresql":
        return f"(CAST({expression} AS date) + {days})"
    return f"date({expression}, '{days:+d} days')"


def frame(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run one read query and return its rows as a frame (column names from the query)."""
    with connection.cursor() as cursor:
        return bulk.rows_fetch(cursor, sql, params)
