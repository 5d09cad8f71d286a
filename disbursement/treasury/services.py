"""Writes of the treasury tables: statement imports and the coverage levels derived from them.

Coverage level (库款保障水平), for day d of region r:
  window          every statement day of r from the first day of the month (window_months − 1) months before
                  d's month through d itself (fewer days while r's history is shorter); days without a statement
                  do not exist (imports refuse gaps), and a day or month with zero outflow counts (it lowers the
                  average)
  daily_avg       sum(outflow in window) ÷ number of statement days in window
  avg_monthly_outflow_fen = daily_avg × 30, rounded half up to the fen
  level           closing_fen ÷ avg_monthly_outflow_fen, rounded half up to 4 decimals; NULL when that average is 0
  days_of_cover   closing_fen ÷ daily_avg, rounded half up to 0.1 day; NULL when daily_avg is 0
  band            selectors.band_for: < warning_below 预警, < low_below 偏低, ≤ idle_above 正常, above 闲置; no level:
                  闲置 when the treasury holds cash, 预警 when it is empty
"""

import contextlib
import datetime
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement import bulk
from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.errors import Conflict
from disbursement.money import fen_to_yuan
from disbursement.registry.tabular import TableError, table_read
from disbursement.treasury.models import TreasuryImport, TreasuryLevel, TreasuryStatement
from disbursement.treasury.selectors import treasury_settings
from disbursement.treasury.statements import FIGURES, statements_link, statements_read
from geo.models import Region

logger = logging.getLogger(__name__)

ERRORS_RETURNED = 1000
_CORRECTIONS = "treasury_corrections"
_FIGURE_COLUMNS = {name: f"{name}_fen" for name in FIGURES}


@dataclass
class StatementImportResult:
    status: str  # "accepted" or "rejected"
    rows: int
    errors: list[dict] = field(default_factory=list)  # the first ERRORS_RETURNED: row, field, code, message
    error_count: int = 0
    message: str = ""
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    region_codes: list[str] = field(default_factory=list)
    import_id: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # by phase, for the benchmark

    def as_json(self) -> dict:
        # `code` and `message` also make a rejection (422) a body of the API's one error shape.
        return {"status": self.status, "code": self.status, "rows": self.rows, "errors": self.errors,
                "error_count": self.error_count,
                "message": self.message, "inserted": self.inserted, "replaced": self.replaced,
                "unchanged": self.unchanged}


class _Rejected(Exception):
    def __init__(self, errors: pd.DataFrame):
        super().__init__("rejected")
        self.errors = errors


def statements_import(*, actor, content: bytes, file_name: str) -> StatementImportResult:
    """Check a statement file whole and store it whole or not at all; then recompute the levels of the regions
    it touched and queue the alert refresh after commit.

    1. Who: the role may import treasury statements (PermissionDenied otherwise); each row's treasury must be
       in the actor's reach (a row error otherwise). `actor=None` is the system (commands, demo, benchmark).
    2. Read and check single values and the file's own relations (treasury.statements.statements_read).
    3. Lock the file's regions (in code order), read the stored statements the file's days replace and their
       stored neighbours, and check the days link up (statements_link).
    4. Write: new days by COPY straight into the table (nothing can conflict under the locks), corrected days
       by an upsert from a staging table (ids kept); identical days are left alone.
    5. Recompute the levels of the touched regions from the first imported day on; audit each corrected day
       (old and new figures) and the import, last.
    Locks: the file's Region rows, FOR NO KEY UPDATE, in code order; then the audit chain.
    """
    action_check(actor, "treasury.import", check_region=False)
    clock = _Clock()
    try:
        frame = table_read(content)
    except TableError as exc:
        return _rejected(0, [{"row": None, "field": None, "code": "file", "message": str(exc)}])
    total = len(frame)
    clock.lap("read")
    today = timezone.localdate()
    try:
        rows, errors = statements_read(frame, actor=actor, today=today)
    except TableError as exc:
        return _rejected(total, [{"row": None, "field": None, "code": "missing_column", "message": str(exc)}])
    clock.lap("check")
    try:
        with transaction.atomic():
            outcome = _statements_store(rows, errors, actor=actor, file_name=file_name, content=content,
                                        clock=clock)
    except _Rejected as rejected:
        found = rejected.errors
        return _rejected(total, [{"row": int(r.row), "field": r.field, "code": r.code, "message": r.message}
                                 for r in found.head(ERRORS_RETURNED).itertuples(index=False)],
                         error_count=len(found), bad_rows=found["row"].nunique())
    except IntegrityError:
        raise Conflict(_("Another import of these treasuries was accepted while this file was being checked; "
                         "upload it again.")) from None
    clock.lap("commit")
    outcome.rows = total
    outcome.seconds = clock.laps
    return outcome


class _Clock:
    def __init__(self):
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 3)
        self.last = now


def _rejected(total: int, errors: list[dict], *, error_count: int | None = None,
              bad_rows: int | None = None) -> StatementImportResult:
    count = len(errors) if error_count is None else error_count
    if bad_rows is None:
        message = errors[0]["message"] if errors else ""
    else:
        message = (_("%(count)s problem(s) in %(rows)s row(s); nothing was saved. Fix the rows and upload the "
                     "file again.") % {"count": count, "rows": bad_rows})
    return StatementImportResult(status="rejected", rows=total, errors=errors, error_count=count, message=message)


def _statements_store(rows: pd.DataFrame, errors, *, actor, file_name: str, content: bytes,
                      clock: "_Clock") -> StatementImportResult:
    usable = rows[rows["usable"]]
    codes = sorted(usable["region_id"].unique().tolist())
    # Imports of one treasury take turns: both would read the same neighbours and both write.
    list(Region.objects.select_for_update(no_key=True).filter(code__in=codes).order_by("code")
         .values_list("code", flat=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '128MB'")
    spans = usable.groupby("region_id")["day"].agg(["min", "max"]).reset_index() if len(usable) else None
    stored = _stored_around(spans) if spans is not None else _empty_stored()

    # Stored days the file gives again: identical ones are left alone, different ones are corrections.
    if stored.empty:  # the common case: days the database has not seen
        statements_link(rows, stored, errors)
        new, corrected, unchanged = usable, usable.iloc[:0].assign(stored_id=pd.Series(dtype="int64")), 0
    else:
        mine = usable.reset_index(names="row")
        merged = mine.merge(stored.rename(columns={"id": "stored_id"}), on=["region_id", "day"], how="left",
                            suffixes=("", "_old"), indicator=True)
        again = (merged["_merge"] == "both").to_numpy()
        same = np.ones(len(merged), dtype=bool)
        for name in FIGURES:
            same &= (merged[name].fillna(-1).to_numpy(dtype=np.int64)
                     == merged[f"{name}_old"].fillna(-1).to_numpy(dtype=np.int64))
        replaced_days = set(zip(merged.loc[again, "region_id"], merged.loc[again, "day"], strict=True))
        kept = np.array([(r, d) not in replaced_days for r, d in zip(stored["region_id"], stored["day"],
                                                                      strict=True)], dtype=bool)
        statements_link(rows, stored.loc[kept], errors)
        new, corrected, unchanged = merged.loc[~again], merged.loc[again & ~same], int((again & same).sum())
    found = errors.frame()
    if len(found):
        raise _Rejected(found)
    clock.lap("link")

    job = TreasuryImport.objects.create(
        file_name=file_name[:255], file_sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        rows_total=len(rows), rows_inserted=len(new), rows_replaced=len(corrected))
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        if len(new):
            table = TreasuryStatement._meta.db_table
            with _indexes_rebuilt(cursor, table, len(new)):
                bulk.table_copy(cursor, table, _table_frame(new, job.pk, now))
        if len(corrected):
            _corrections_write(cursor, _table_frame(corrected, job.pk, now))
    clock.lap("write")
    if len(new) + len(corrected):
        bulk.tables_analyze(TreasuryStatement)
        changed = pd.concat([new, corrected])
        since = datetime.date.fromisoformat(changed["day"].min())
        touched = sorted(changed["region_id"].unique().tolist())
        levels_recompute(touched, since=since)
        _after_commit(touched)
    else:
        touched = []
    clock.lap("levels")
    replaced_rows = TreasuryStatement.objects.in_bulk([int(pk) for pk in corrected["stored_id"]])
    for record in corrected.itertuples(index=False):
        audit_record(actor=actor, action="treasury.statement.correct", obj=replaced_rows[int(record.stored_id)],
                     region_code=record.region_id, day=record.day, import_id=job.pk,
                     old={name: _yuan(getattr(record, f"{name}_old")) for name in FIGURES},
                     new={name: _yuan(getattr(record, name)) for name in FIGURES})
    audit_record(actor=actor, action="treasury.import", obj=job, region_code=codes[0] if len(codes) == 1 else None,
                 rows=len(rows), inserted=len(new), replaced=len(corrected), file_sha256=job.file_sha256)
    message = _("%(rows)s statement(s) accepted: %(new)s new day(s), %(corrected)s corrected, %(same)s unchanged.") % {
        "rows": len(rows), "new": len(new), "corrected": len(corrected), "same": unchanged}
    return StatementImportResult(status="accepted", rows=len(rows), message=message, inserted=len(new),
                                 replaced=len(corrected), unchanged=unchanged, region_codes=touched,
                                 import_id=job.pk)


def _yuan(value) -> str | None:
    return None if pd.isna(value) else fen_to_yuan(int(value))


def _empty_stored() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "region_id", "day", *FIGURES])


def _stored_around(spans: pd.DataFrame) -> pd.DataFrame:
    """The stored statements of each region from the file's first to its last day, and the stored day just
    before and just after that span (one query, the spans inlined as a VALUES list of checked codes and days)."""
    table = TreasuryStatement._meta.db_table
    as_date = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(f"(%s, {as_date}, {as_date})" for _ in range(len(spans)))
    params = [v for r in spans.itertuples(index=False) for v in (r.region_id, r.min, r.max)]
    columns = ", ".join(["s.id", "s.region_id", "s.day", *(f"s.{c}" for c in _FIGURE_COLUMNS.values())])
    sql = f"""
        WITH span (region_id, lo, hi) AS (VALUES {values})
        SELECT {columns} FROM {table} s JOIN span p ON s.region_id = p.region_id AND s.day BETWEEN p.lo AND p.hi
        UNION ALL
        SELECT {columns} FROM {table} s JOIN (
            SELECT t.region_id, MAX(t.day) AS day FROM {table} t JOIN span p ON t.region_id = p.region_id
            WHERE t.day < p.lo GROUP BY t.region_id) x ON s.region_id = x.region_id AND s.day = x.day
        UNION ALL
        SELECT {columns} FROM {table} s JOIN (
            SELECT t.region_id, MIN(t.day) AS day FROM {table} t JOIN span p ON t.region_id = p.region_id
            WHERE t.day > p.hi GROUP BY t.region_id) x ON s.region_id = x.region_id AND s.day = x.day"""
    with connection.cursor() as cursor:
        found = bulk.rows_fetch(cursor, sql, params, columns=["id", "region_id", "day", *FIGURES])
    if found.empty:
        return _empty_stored()
    found["day"] = found["day"].map(lambda day: day if isinstance(day, str) else day.isoformat())
    for name in FIGURES:
        found[name] = found[name].astype("Int64")
    return found


def _table_frame(rows: pd.DataFrame, job_id: int, now: str) -> pd.DataFrame:
    frame = pd.DataFrame({"region_id": rows["region_id"].to_numpy(), "day": rows["day"].to_numpy()})
    for name, column in _FIGURE_COLUMNS.items():
        frame[column] = rows[name].to_numpy()
    frame["import_job_id"] = job_id
    frame["imported_at"] = now
    return frame


def _corrections_write(cursor, frame: pd.DataFrame) -> None:
    """Corrected days replace the stored ones in place (their ids stay, so the audit names the row)."""
    columns = list(frame.columns)
    bulk.stage_create(cursor, _CORRECTIONS, {"region_id": "text", "day": "date",
                                             **{c: "bigint" for c in _FIGURE_COLUMNS.values()},
                                             "import_job_id": "bigint", "imported_at": "text"})
    bulk.stage_fill(cursor, _CORRECTIONS, frame)
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("region_id", "day"))
    imported_at = "CAST(imported_at AS timestamptz)" if connection.vendor == "postgresql" else "imported_at"
    selected = ", ".join(imported_at if c == "imported_at" else c for c in columns)
    # WHERE true: SQLite needs it to parse ON CONFLICT after INSERT … SELECT.
    cursor.execute(f"""
        INSERT INTO {TreasuryStatement._meta.db_table} ({names}) SELECT {selected} FROM {_CORRECTIONS} WHERE true
        ON CONFLICT (region_id, day) DO UPDATE SET {updates}""")
    bulk.stage_drop(cursor, _CORRECTIONS)


# Above this many rows a bulk write to a treasury table drops its secondary indexes and unique constraints and
# builds them again afterwards (one sorted build each instead of half a million index insertions). The table is
# then locked (ACCESS EXCLUSIVE) until the transaction ends: a few seconds, for a full rewrite only.
BULK_REBUILD_ROWS = 100_000


@contextlib.contextmanager
def _indexes_rebuilt(cursor, table: str, rows: int):
    if connection.vendor != "postgresql" or rows < BULK_REBUILD_ROWS:
        yield
        return
    cursor.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                      WHERE conrelid = %s::regclass AND contype = 'u'""", [table])
    constraints = cursor.fetchall()
    cursor.execute("""SELECT i.indexname, i.indexdef FROM pg_indexes i
                      WHERE i.tablename = %s AND i.indexname NOT IN (
                          SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)""", [table, table])
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        cursor.execute(definition)


def _after_commit(region_codes: list[str]) -> None:
    """Queue the alert refresh of these treasuries once the import commits; robust, so the import's answer
    never depends on the broker."""
    from disbursement.treasury.tasks import treasury_refresh_alerts

    codes = list(region_codes)
    transaction.on_commit(lambda: treasury_refresh_alerts.delay(codes), robust=True)


# ------------------------------------------------------------------------------------------------ levels


def _months_back(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def levels_recompute(region_codes=None, *, since: datetime.date | None = None,
                     seconds: dict | None = None) -> int:
    """Recompute the level, band and days of cover of the given regions (all when None) for every statement
    day from `since` on (all days when None), set-based: one read of the statements they need, numpy over the
    whole column, and delete + COPY of those regions' levels. Returns how many levels were written. The
    definition is in this module's docstring."""
    clock = _Clock()
    settings = treasury_settings()
    window = int(settings.window_months)
    load_from = _months_back(since, window - 1) if since else None
    frame = _statements_for_levels(region_codes, load_from)
    clock.lap("read")
    levels = levels_frame(frame, settings=settings)
    if since is not None:
        levels = levels[(levels["day"] >= since.isoformat()).to_numpy(dtype=bool)]
    clock.lap("compute")
    table = TreasuryLevel._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        where, params = [], []
        if region_codes is not None:
            codes = list(region_codes)
            if not codes:
                return 0
            where.append(f"region_id IN ({', '.join(['%s'] * len(codes))})")
            params += codes
        if since is not None:
            where.append("day >= %s")
            params.append(since)
        if not where and connection.vendor == "postgresql":
            # Everything is rewritten: TRUNCATE (transactional in PostgreSQL) instead of deleting row by row.
            cursor.execute(f"TRUNCATE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}" + (f" WHERE {' AND '.join(where)}" if where else ""), params)
        clock.lap("delete")
        if len(levels):
            with _indexes_rebuilt(cursor, table, len(levels)):
                bulk.table_copy(cursor, table, levels, text_columns=("band",))
        clock.lap("copy")
    bulk.tables_analyze(TreasuryLevel)
    clock.lap("analyze")
    if seconds is not None:
        seconds.update(clock.laps)
    return len(levels)


def _statements_for_levels(region_codes, load_from: datetime.date | None) -> pd.DataFrame:
    """region_id, day (ISO), outflow_fen, closing_fen in region and day order; by COPY on PostgreSQL."""
    table = TreasuryStatement._meta.db_table
    where = []
    if region_codes is not None:
        codes = [code for code in region_codes if code.isdigit() and len(code) == 12]
        if not codes:
            return pd.DataFrame(columns=["region_id", "day", "outflow_fen", "closing_fen"])
        where.append(f"region_id IN ({', '.join(repr(code) for code in codes)})")
    if load_from is not None:
        where.append(f"day >= '{load_from.isoformat()}'")
    sql = (f"SELECT region_id, day, outflow_fen, closing_fen FROM {table}"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY region_id, day")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
            if buffer.tell() == 0:
                return pd.DataFrame(columns=["region_id", "day", "outflow_fen", "closing_fen"])
            buffer.seek(0)
            table_ = pa_csv.read_csv(buffer, read_options=pa_csv.ReadOptions(
                column_names=["region_id", "day", "outflow_fen", "closing_fen"]),
                convert_options=pa_csv.ConvertOptions(column_types={"region_id": pa.string(), "day": pa.date32()}))
            return table_.to_pandas(date_as_object=False)
        return bulk.rows_fetch(cursor, sql, columns=["region_id", "day", "outflow_fen", "closing_fen"])


def levels_frame(statements: pd.DataFrame, *, settings) -> pd.DataFrame:
    """The levels of every statement row (region_id, day ISO, outflow_fen, closing_fen; any order), as the
    rows of TreasuryLevel: region_id, day (ISO), closing_fen, avg_monthly_outflow_fen, level and days_of_cover
    as decimal text (<NA> when undefined), band; text columns are pyarrow strings.

    The window of row i begins at the first statement of its region on or after the first day of the month
    (window − 1) months back: a binary search on (region, day) keys. Sums come from one running total
    (int64 wraps around on overflow, but a difference of two running totals is exact while the true window
    sum fits). All rounding is integer and half up."""
    columns = ["region_id", "day", "closing_fen", "avg_monthly_outflow_fen", "level", "band", "days_of_cover"]
    if statements.empty:
        return pd.DataFrame(columns=columns)
    window = int(settings.window_months)
    region_index, names = pd.factorize(statements["region_id"], sort=True)
    days = statements["day"].to_numpy()
    days = days.astype("M8[D]") if np.issubdtype(days.dtype, np.datetime64) else np.asarray(
        days.astype(str), dtype="M8[D]")
    order = np.lexsort((days.astype(np.int64), region_index))
    region_index, days = region_index[order].astype(np.int64), days[order]
    outflow = statements["outflow_fen"].to_numpy(dtype=np.int64)[order]
    closing = statements["closing_fen"].to_numpy(dtype=np.int64)[order]
    ordinal = days.astype(np.int64)
    keys = region_index * 1_000_000 + ordinal
    starts = (days.astype("M8[M]") - np.timedelta64(window - 1, "M")).astype("M8[D]").astype(np.int64)
    first = np.searchsorted(keys, region_index * 1_000_000 + starts, side="left")
    running = np.concatenate([[0], np.cumsum(outflow)])
    position = np.arange(len(outflow))
    window_sum = running[position + 1] - running[first]
    window_days = position + 1 - first

    monthly = (window_sum * 30 + window_days // 2) // window_days
    has_average = monthly > 0
    safe_monthly = np.where(has_average, monthly, 1)
    level = (closing * 10_000 + safe_monthly // 2) // safe_monthly
    has_daily = window_sum > 0
    safe_sum = np.where(has_daily, window_sum, 1)
    # closing × days × 10 passes int64 only for amounts no treasury holds; those rows go through Python ints.
    fits = closing <= (np.iinfo(np.int64).max - safe_sum) // (window_days * 10)
    cover = np.zeros(len(closing), dtype=np.int64)
    cover[fits] = (closing[fits] * window_days[fits] * 10 + safe_sum[fits] // 2) // safe_sum[fits]
    for i in np.flatnonzero(~fits):
        cover[i] = min((int(closing[i]) * int(window_days[i]) * 10 + int(safe_sum[i]) // 2) // int(safe_sum[i]),
                       np.iinfo(np.int64).max)

    thresholds = [int(value * 10_000) for value in (settings.warning_below, settings.low_below, settings.idle_above)]
    band = np.select(
        [~has_average & (closing > 0), ~has_average, level < thresholds[0], level < thresholds[1],
         level <= thresholds[2]], [3, 0, 0, 1, 2], default=3)
    # Text columns stay pyarrow strings: half a million Python strings would cost more than the arithmetic.
    text = pd.ArrowDtype(pa.string())
    return pd.DataFrame({
        "region_id": pd.Series(pc.take(pa.array(np.asarray(names, dtype=object), pa.string()), region_index),
                               dtype=text),
        "day": pd.Series(pc.cast(pa.array(days, pa.date32()), pa.string()), dtype=text),
        "closing_fen": closing,
        "avg_monthly_outflow_fen": monthly,
        "level": pd.Series(_decimal_text(level, 4, has_average), dtype=text),
        "band": pd.Series(pc.take(pa.array(["warning", "low", "normal", "idle"]), band), dtype=text),
        "days_of_cover": pd.Series(_decimal_text(cover, 1, has_daily), dtype=text),
    }, columns=columns)


def _decimal_text(scaled: np.ndarray, places: int, defined: np.ndarray) -> pa.Array:
    """Non-negative integers in units of 10**-places as decimal text ("2.3310"), null where not `defined`."""
    whole = pc.cast(pa.array(scaled // 10**places), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(scaled % 10**places), pa.string()), places, "0")
    return pc.if_else(pa.array(defined), pc.binary_join_element_wise(whole, fraction, "."),
                      pa.scalar(None, pa.string()))
