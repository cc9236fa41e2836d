"""The serving database: gold and the lists, published through SQLAlchemy for downstream systems.

- **SQLite** (default): ``serving.db`` in the warehouse. The new database is built in a file
  beside it (rows in one transaction, ``executemany``) and renamed over the old one: a reader
  opens the old file or the new, never half of either.
- **PostgreSQL** (``serving_url``): the tables are built in a staging schema, bulk-loaded with
  ``COPY`` (psycopg 3), indexed, given their row-level-security policies and grants, then swapped
  in with two ``ALTER SCHEMA … RENAME`` in one transaction. Scope is enforced by the database:
  a reader role (a member of ``<schema>_reader``) sees the rows of the scopes granted to it in
  ``<schema>_acl.role_scope`` — see the README for creating one.

Publishing twice from the same warehouse gives the same tables (everything is rebuilt).
"""

import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from transforms.publishing import json_text
from warehouse.publish.serving_tables import (
    ServingResult,
    ServingTable,
    serving_tables,
    stripped_tables,
)
from warehouse.sources import ConfigError, _expand, safe_url
from warehouse.store import Warehouse

SERVING_FILE = "serving.db"
DEFAULT_SCHEMA = "dajiandu"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def sql_type(dtype: pl.DataType, json: bool) -> sa.types.TypeEngine[Any]:
    """The column type for a Polars dtype (nested columns arrive as JSON text)."""
    if dtype == pl.Int64 or dtype == pl.UInt32 or dtype == pl.UInt64:
        return sa.BigInteger()
    if dtype.is_integer():
        return sa.Integer()
    if dtype.is_float():
        return sa.Float(53)
    if dtype == pl.Boolean:
        return sa.Boolean()
    if dtype == pl.Date:
        return sa.Date()
    if isinstance(dtype, pl.Datetime):
        return sa.DateTime(timezone=dtype.time_zone is not None)
    if json:
        return sa.Text().with_variant(postgresql.JSONB(), "postgresql")
    return sa.Text()


def sql_table(meta: sa.MetaData, name: str, first: pl.DataFrame) -> sa.Table:
    """The table for batches like ``first`` (before their nested columns are encoded)."""
    columns = [
        sa.Column(c, sql_type(t, isinstance(t, pl.List | pl.Struct)))
        for c, t in first.schema.items()
    ]
    return sa.Table(name, meta, *columns)


def resolve_url(url: str) -> str:
    """``serving_url`` with ``${VAR}`` read from the environment (credentials stay out of files).

    Raises:
        ConfigError: a variable is not set, or the URL is not one SQLAlchemy reads.
    """
    expanded = _expand(url, "serving_url")
    try:
        sa.make_url(expanded)
    except sa.exc.ArgumentError as error:
        raise ConfigError(f"serving_url {safe_url(expanded)!r} is not a database URL") from error
    return expanded


def publish_serving(
    store: Warehouse,
    url: str = "",
    schema: str = DEFAULT_SCHEMA,
    now: datetime | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> ServingResult:
    """Publish the serving database: SQLite ``serving.db`` in the warehouse when ``url`` is
    empty, else the database ``url`` names (PostgreSQL: into ``schema``)."""
    start = time.perf_counter()
    found: dict[str, int] = {}
    tables = stripped_tables(serving_tables(store, now or datetime.now().astimezone()), found)
    if not url:
        result = _publish_sqlite(store.root / SERVING_FILE, tables, say)
    else:
        url = resolve_url(url)
        if sa.make_url(url).get_backend_name() != "postgresql":
            raise ConfigError(
                f"serving_url {safe_url(url)}: only PostgreSQL (or the default SQLite file) is supported"
            )
        if not _SCHEMA_NAME.match(schema):
            raise ConfigError(f"serving schema {schema!r}: lower-case letters, digits and _ only")
        from warehouse.publish.serving_pg import publish_postgres

        result = publish_postgres(url, schema, tables, say)
    result.warnings = [
        f"WARN serving {field}: {n:,} value(s) with control or bidi characters (NUL among "
        "them, which PostgreSQL refuses) loaded without them"
        for field, n in sorted(found.items())
    ]
    for line in result.warnings:
        say(line)
    result.seconds = time.perf_counter() - start
    return result


def _publish_sqlite(
    target: Path, tables: list[ServingTable], say: Callable[[str], None]
) -> ServingResult:
    """Build the whole database in a file beside ``target``, then rename it over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    result = ServingResult(f"sqlite:///{target}")
    engine = sa.create_engine(f"sqlite:///{building}")
    try:
        raw = engine.raw_connection()
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        load = 0.0
        for table in tables:
            rows, seconds = _sqlite_table(engine, cursor, table)
            result.tables[table.name] = rows
            load += seconds
            say(f"serving {table.name}: {rows:,} rows")
        raw.commit()
        raw.close()
        result.load_seconds = load
    except BaseException:
        engine.dispose()
        building.unlink(missing_ok=True)
        raise
    engine.dispose()
    os.replace(building, target)
    return result


def _sqlite_table(engine: sa.Engine, cursor, table: ServingTable) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    meta = sa.MetaData()
    rows, seconds, insert = 0, 0.0, ""
    for batch in table.batches():
        if not insert:
            created = sql_table(meta, table.name, batch)
            cursor.execute(str(sa.schema.CreateTable(created).compile(engine)))
            marks = ", ".join("?" for _ in batch.columns)
            names = ", ".join(f'"{c}"' for c in batch.columns)
            insert = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608 (names from our schema)
        clock = time.perf_counter()
        flat = json_text(batch).with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
        cursor.executemany(insert, flat.rows())
        seconds += time.perf_counter() - clock
        rows += batch.height
    for column in table.index:
        cursor.execute(f'CREATE INDEX "ix_{table.name}_{column}" ON "{table.name}" ("{column}")')
    if table.access == "scoped":
        level, region = table.scope_columns
        cursor.execute(
            f'CREATE INDEX "ix_{table.name}_scope" ON "{table.name}" ("{level}", "{region}")'
        )
    return rows, seconds
