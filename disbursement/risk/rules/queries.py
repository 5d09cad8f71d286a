"""Query pieces the amount, land, assets, fund and trend rules share: where a scan looks, the periods' first and
last days as a VALUES table, and how a roster line becomes a subject. Plain SQL both PostgreSQL and SQLite run."""

from datetime import date

import pandas as pd

from disbursement.catalog.models import Item
from disbursement.errors import ValidationFailed
from disbursement.risk.base import Scope, Subject
from disbursement.risk.sql import frame
from disbursement.rosters.models import RosterLine
from disbursement.rosters.periods import period_bounds
from geo.codes import subtree_bounds

# Far enough out that no birth or registration date falls beyond them; typed dates keep PostgreSQL's VALUES typed.
EARLIEST = date(1, 1, 1)
LATEST = date(9999, 12, 31)
# Distinct (item, period) pairs per VALUES table: well under SQLite's limit on parameters.
PAIRS_PER_QUERY = 2000


def scope_where(scope: Scope, *, village: str, roster: str | None = None) -> tuple[str, list]:
    """SQL conditions (starting with AND) keeping rows in `scope`: a region's subtree by the row's village
    column, and one roster by its roster column (when the query has one)."""
    sql, params = "", []
    if scope.region_code:
        low, high = subtree_bounds(scope.region_code)
        sql += f" AND {village} BETWEEN %s AND %s"
        params += [low, high]
    if scope.roster_id is not None and roster is not None:
        sql += f" AND {roster} = %s"
        params.append(scope.roster_id)
    return sql, params


def period_days(pairs: pd.DataFrame) -> pd.DataFrame:
    """First and last day of each distinct (item_id, period) pair, by the item's frequency; pairs spelled
    wrongly for their item (none pass the import) are dropped."""
    frequency = dict(Item.objects.filter(pk__in=pairs["item_id"].unique().tolist()).values_list("code", "frequency"))
    rows = []
    for item_id, period in pairs[["item_id", "period"]].drop_duplicates().itertuples(index=False):
        try:
            starts_on, ends_on = period_bounds(period, frequency[item_id])
        except (KeyError, ValidationFailed):
            continue
        rows.append((item_id, period, starts_on, ends_on))
    return pd.DataFrame(rows, columns=["item_id", "period", "starts_on", "ends_on"])


def values_cte(name: str, columns: list[str], rows: list[tuple]) -> tuple[str, list]:
    """`name(columns) AS (VALUES (...), ...)` for a WITH clause, with its parameters."""
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    return f"{name}({', '.join(columns)}) AS (VALUES {placeholders})", [v for row in rows for v in row]


def frame_by_pairs(pairs: pd.DataFrame, extra: list[str], sql_for, params: list) -> pd.DataFrame:
    """Run `sql_for(cte)` once per chunk of (item_id, period, *extra) rows given as a WITH table `periods`,
    and concatenate the results."""
    columns = ["item_id", "period", *extra]
    parts = []
    for start in range(0, len(pairs), PAIRS_PER_QUERY):
        chunk = pairs.iloc[start:start + PAIRS_PER_QUERY][columns]
        cte, cte_params = values_cte("periods", columns, list(chunk.itertuples(index=False, name=None)))
        parts.append(frame(sql_for(cte), cte_params + params))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def distinct_pairs(scope: Scope, *, item_filter: str, item_params: list) -> pd.DataFrame:
    """The distinct (item, period) pairs of live roster lines in scope, of the items `item_filter` selects
    (an SQL condition on the line alias `l`)."""
    where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
    return frame(f"""
        SELECT DISTINCT l.item_id, l.period FROM {RosterLine._meta.db_table} l
        WHERE l.is_void = %s AND {item_filter}{where}""", [False, *item_params, *params])


def line_subject(row) -> Subject:
    return Subject("line", str(int(row.line_id)), {"roster_id": int(row.roster_id), "row": int(row.row_number)})


def in_list(values) -> str:
    """Placeholders for an IN list (never empty: an empty list matches nothing)."""
    return ", ".join(["%s"] * len(values)) if len(values) else "NULL"


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th in a common year)."""
    year = day.year - years
    if year < 1:
        return EARLIEST
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def rosters_of(rows: pd.DataFrame, hits: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The sorted roster ids behind each of `hits`' groups, gathered from the (roster-level) `rows` only for the
    few groups that fired: a Python list per group over the whole history would cost more than the query."""
    found = rows.merge(hits[keys].drop_duplicates(), on=keys)
    lists = found.groupby(keys)["roster_id"].agg(lambda ids: sorted(int(i) for i in ids))
    return hits.join(lists.rename("rosters"), on=keys)["rosters"]
