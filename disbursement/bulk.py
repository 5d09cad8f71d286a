"""Set-based bulk work: temporary staging tables filled by PostgreSQL COPY (executemany on SQLite).

A frame goes into the database in one stream; lookups and inserts then run as joins in SQL instead of
a query per row.
"""

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection

_TYPES = {
    "postgresql": {"bigint": "bigint", "text": "text", "uuid": "uuid", "date": "date", "bool": "boolean"},
    "sqlite": {"bigint": "integer", "text": "text", "uuid": "char(32)", "date": "date", "bool": "bool"},
}
COPY_CHUNK_ROWS = 250_000


def _temp_schema() -> str:
    return "pg_temp" if connection.vendor == "postgresql" else "temp"


def stage_create(cursor, name: str, columns: dict[str, str]) -> None:
    """A temporary table, private to this connection; dropped by stage_drop (and by PostgreSQL at the end of
    the transaction at the latest)."""
    types = _TYPES[connection.vendor]
    body = ", ".join(f"{column} {types[kind]}" for column, kind in columns.items())
    stage_drop(cursor, name)
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    cursor.execute(f"CREATE TEMP TABLE {name} ({body}){on_commit}")


def stage_drop(cursor, name: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {_temp_schema()}.{name}")


def stage_fill(cursor, name: str, frame: pd.DataFrame, *, text_columns: tuple[str, ...] = ()) -> None:
    """Write every row of `frame` (its columns in table order). Empty strings stay empty in
    `text_columns`; elsewhere an empty cell is NULL."""
    columns = ", ".join(frame.columns)
    if connection.vendor == "postgresql":
        not_null = f", FORCE_NOT_NULL ({', '.join(text_columns)})" if text_columns else ""
        sql = f"COPY {name} ({columns}) FROM STDIN WITH (FORMAT csv{not_null})"
        # psycopg's COPY bypasses Django's error translation; restore it so a unique violation is an IntegrityError.
        with connection.wrap_database_errors, cursor.copy(sql) as copy:
            for start in range(0, len(frame), COPY_CHUNK_ROWS):
                copy.write(_csv_bytes(frame.iloc[start:start + COPY_CHUNK_ROWS]))
    else:
        placeholders = ", ".join(["%s"] * frame.shape[1])
        values = frame.astype(object).where(frame.notna(), None)
        if text_columns:
            values[list(text_columns)] = values[list(text_columns)].fillna("")
        cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({placeholders})",
                           list(values.itertuples(index=False, name=None)))


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for COPY by pyarrow's writer (several times faster than pandas'); nulls are empty fields,
    empty strings are quoted "" so PostgreSQL keeps them as empty strings."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, write_options=pa_csv.WriteOptions(include_header=False))
    return buffer.getvalue()


def rows_fetch(cursor, sql: str, params: list | tuple = (), columns: list[str] | None = None) -> pd.DataFrame:
    cursor.execute(sql, params)
    names = columns or [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def table_copy(cursor, table: str, frame: pd.DataFrame, *, text_columns: tuple[str, ...] = ()) -> None:
    """Append rows straight into a real table (COPY on PostgreSQL): for rows nothing else can conflict with."""
    quoted = pd.DataFrame(frame)
    quoted.columns = [f'"{column}"' for column in frame.columns]
    stage_fill(cursor, table, quoted, text_columns=tuple(f'"{column}"' for column in text_columns))


def tables_analyze(*models) -> None:
    """Refresh the planner's statistics after a bulk load: a table that grew by a million rows since autovacuum
    last looked gets plans made for its old size (a lookup then hash-joins whole tables instead of using indexes)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
