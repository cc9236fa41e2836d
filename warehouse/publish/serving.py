"""The serving database: gold and the lists, published through SQLAlchemy for downstream systems.

- **SQLite** (default): ``serving.db`` in the warehouse. The new database is built in a file
  beside it (rows in one transaction, ``executemany``) and renamed over the old one: a reader
  opens the old file or the new, never half of either.
- **PostgreSQL** (``serving_url``): the tables are built in a staging schema, bulk-loaded with
  ``COPY`` (psycopg 3), indexed, given their row-level-security policies and grants, then swapped
  in with two ``ALTER SCHEMA … RENAME`` in one transaction. Scope is enforced by the database:
  a reader role (a member of ``<schema>_reader``) sees the rows of the scopes granted to it in
  ``<schema>_acl.role_scope`` — see the README for creating one.

Only what changed is loaded: each table carries the fingerprint of what the warehouse tables it
is made from hold (their files' digests, not their version names) and of the code (:func:`~warehouse.publish.serving_tables.with_versions`), kept
in the database's ``_serving_versions``; a table whose fingerprint is unchanged is left as it is.
On SQLite the changed tables are replaced in a copy of the file renamed over it (readers never
wait and never see half); on PostgreSQL they are loaded into a staging schema and moved into the
live one in one transaction. Nothing changed, nothing is written. Publishing twice from the same
warehouse gives the same tables, whichever were carried over.

A changed table of cadre rows (the profile, timeline, warnings, promotion check, clearance and
the lists) is not loaded whole: the database keeps a digest of each cadre's rows
(``_serving_digests``, granted to no reader), and only the cadres whose rows changed are deleted
and loaded again, the as-of date set in place (:mod:`~warehouse.publish.serving_delta`) — on
SQLite in the copy (deleted rows overwritten), on PostgreSQL in the live table, in the
transaction that moves the other changed tables in (a table whose date moved is loaded whole
there). The table then holds the rows a whole load would, in another physical order: readers
order what they read.
"""

import functools
import hashlib
import os
import re
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from transforms.publishing import json_text
from warehouse.fingerprint import code_fingerprint
from warehouse.publish import serving_delta as delta_module
from warehouse.publish import serving_tables as tables_module
from warehouse.publish.serving_delta import (
    DIGEST_SCHEMA,
    DIGESTS,
    SHAPES,
    Delta,
    Digested,
    changed_rows,
    current_shapes,
    planned,
    whole,
)
from warehouse.publish.serving_tables import (
    ServingResult,
    ServingTable,
    released,
    serving_tables,
    stripped_tables,
    with_versions,
)
from warehouse.sources import ConfigError, _expand, safe_url
from warehouse.store import Warehouse

SERVING_FILE = "serving.db"
VERSIONS = "_serving_versions"
"""The table recording, per serving table, the fingerprint it was loaded from and its rows."""
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


@functools.cache
def code_version() -> str:
    """The fingerprint of the code that shapes the serving tables (with the page shaping)."""
    from transforms import pages, publishing, scope

    loader = (Path(__file__).parent / "serving_pg.py").read_bytes()
    extra = hashlib.sha256(loader).hexdigest()
    return code_fingerprint(
        sys.modules[__name__], tables_module, delta_module, pages, publishing, scope, extra=extra
    )


def changed_tables(
    tables: list[ServingTable], before: dict[str, tuple[str, int]], result: ServingResult
) -> list[ServingTable]:
    """The tables whose fingerprint differs from the one the database holds (``before``: name →
    fingerprint, rows); the others are counted in ``result`` as carried over."""
    changed = []
    for table in tables:
        was = before.get(table.name)
        if was is not None and was[0] == table.inputs_version:
            result.tables[table.name] = was[1]
            result.carried.append(table.name)
        else:
            changed.append(table)
    return changed


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
    tables = serving_tables(store, now or datetime.now().astimezone())
    tables = stripped_tables(with_versions(store, tables, code_version()), found)
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


def _sqlite_records(target: Path, table: str, columns: str) -> list[tuple[Any, ...]]:
    """The rows of a record table of ``target`` (``_serving_versions``, ``_serving_shapes``); none
    when the file is missing or older than that record."""
    if not target.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as conn:
            return conn.execute(f'SELECT {columns} FROM "{table}"').fetchall()  # noqa: S608
    except sqlite3.Error:
        return []


def _sqlite_versions(target: Path) -> dict[str, tuple[str, int]]:
    """What ``target`` was loaded from (table → fingerprint, rows); empty when it is missing or
    older than the record (then every table is loaded)."""
    rows = _sqlite_records(target, VERSIONS, 'name, inputs, "rows"')
    return {name: (inputs, count) for name, inputs, count in rows}


def _publish_sqlite(
    target: Path, tables: list[ServingTable], say: Callable[[str], None]
) -> ServingResult:
    """Load the changed tables into a copy of ``target`` (a new file when there is none, or it
    holds no record of its versions), then rename the copy over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    result = ServingResult(f"sqlite:///{target}")
    before = _sqlite_versions(target)
    changed = changed_tables(tables, before, result)
    gone = sorted(set(before) - {t.name for t in tables})
    if not changed and not gone:
        say("serving: every table unchanged, nothing written")
        return result
    shapes = current_shapes(_sqlite_records(target, SHAPES, "name, shape, inputs"), before)
    building = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    if before:
        shutil.copyfile(target, building)
    try:
        _load_sqlite(building, changed, gone, shapes, result, say)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    os.replace(building, target)
    return result


def _load_sqlite(
    building: Path,
    changed: list[ServingTable],
    gone: list[str],
    shapes: dict[str, str],
    result: ServingResult,
    say: Callable[[str], None],
) -> None:
    """Drop ``gone`` from ``building`` and load the ``changed`` tables, in one transaction: a
    table of cadre rows whose digests were computed as now (``shapes``) by its cadres whose rows
    changed (:mod:`~warehouse.publish.serving_delta`), any other whole. Deleted rows are
    overwritten (``secure_delete``): the file does not keep what it no longer holds. SQLite's own
    errors (a full disk among them) are raised as the ``sqlite3`` module raises them, with
    SQLite's words."""
    try:
        with closing(adbc_sqlite.connect(str(building), autocommit=False)) as connection:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode = OFF")  # a copy: renamed over the file when done
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{VERSIONS}" (name TEXT PRIMARY KEY, inputs TEXT, "rows" BIGINT)'
            )
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{SHAPES}" (name TEXT PRIMARY KEY, shape TEXT, inputs TEXT)'
            )
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{DIGESTS}" (name TEXT NOT NULL, key TEXT NOT NULL, '
                'digest BIGINT, "rows" BIGINT, PRIMARY KEY (name, key)) WITHOUT ROWID'
            )
            for name in [*gone, *(t.name for t in changed)]:
                cursor.execute(f'DELETE FROM "{VERSIONS}" WHERE name = ?', (name,))  # noqa: S608
            for name in gone:
                _sqlite_drop(cursor, name)
            for table in changed:
                rows, seconds, loaded = _sqlite_load(cursor, table, shapes.get(table.name))
                released(table)
                cursor.execute(
                    f'INSERT INTO "{VERSIONS}" VALUES (?, ?, ?)',
                    (table.name, table.inputs_version, rows),
                )  # noqa: S608
                result.tables[table.name] = rows
                result.load_seconds += seconds
                how = "" if loaded == rows else f" ({loaded:,} loaded again, the others kept)"
                say(f"serving {table.name}: {rows:,} rows{how}")
            cursor.close()
            connection.commit()
    except adbc_sqlite.Error as error:  # "INTERNAL: failed to execute: database or disk is full"
        said = (str(error).strip() or type(error).__name__).splitlines()[0]
        raise sqlite3.OperationalError(said.split(": ", 1)[-1]) from error


def _sqlite_drop(cursor: Any, name: str) -> None:
    cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
    cursor.execute(f'DELETE FROM "{DIGESTS}" WHERE name = ?', (name,))  # noqa: S608
    cursor.execute(f'DELETE FROM "{SHAPES}" WHERE name = ?', (name,))  # noqa: S608


def _sqlite_load(
    cursor: Any, table: ServingTable, shape_before: str | None
) -> tuple[int, float, int]:
    """Load ``table``: by delta when it has a key, the database holds its digests computed as
    now (``shape_before``) and few enough rows changed, else whole (with its digests when it has
    a key its rows allow). Returns its rows, the seconds spent loading rows and the rows loaded."""
    change, now = planned(table, shape_before, lambda: _sqlite_old_digests(cursor, table.name))
    if change is not None and now is not None:
        seconds = _sqlite_delta(cursor, table, change, now)
        return now.rows, seconds, change.inserted
    _sqlite_drop(cursor, table.name)
    batches, digests_of = whole(table, now)
    rows, seconds = _sqlite_table(cursor, table, batches)
    now = digests_of()
    if now is not None and now.usable:
        _sqlite_digests(cursor, table.name, now.digests)
        cursor.execute(f'INSERT INTO "{SHAPES}" VALUES (?, ?, ?)',  # noqa: S608
                       (table.name, now.shape, table.inputs_version))  # fmt: skip
    return rows, seconds, rows


def _sqlite_old_digests(cursor: Any, name: str) -> pl.DataFrame:
    cursor.execute(f'SELECT key, digest, "rows" FROM "{DIGESTS}" WHERE name = ?', (name,))  # noqa: S608
    read = pl.from_arrow(cursor.fetch_arrow_table())
    assert isinstance(read, pl.DataFrame)
    return read.cast(DIGEST_SCHEMA)  # type: ignore[arg-type]


def _sqlite_digests(cursor: Any, name: str, digests: pl.DataFrame) -> None:
    if digests.height:
        cursor.adbc_ingest(DIGESTS, digests.select(pl.lit(name).alias("name"), pl.all()).to_arrow(),
                           mode="append")  # fmt: skip


def _sqlite_delta(cursor: Any, table: ServingTable, change: Delta, now: Digested) -> float:
    """Delete the rows of the changed keys, load theirs again, set the date column where it
    moved on, and replace the changed keys' digests. Returns the seconds spent loading rows."""
    name, key = table.name, table.key
    if change.keys.height:
        cursor.adbc_ingest(
            "_serving_changed", change.keys.to_arrow(), mode="replace", temporary=True
        )
        changed = 'SELECT key FROM temp."_serving_changed"'
        cursor.execute(f'DELETE FROM "{name}" WHERE "{key}" IN ({changed})')  # noqa: S608
        cursor.execute(f'DELETE FROM "{DIGESTS}" WHERE name = ? AND key IN ({changed})', (name,))  # noqa: S608
        cursor.execute('DROP TABLE temp."_serving_changed"')
    _, seconds = _sqlite_table(cursor, table, changed_rows(table, change), create=False)
    if table.date_column and now.dates:
        value = _sqlite_flat(pl.DataFrame({"d": now.dates[:1]}))["d"][0]
        column = table.date_column
        cursor.execute(
            f'UPDATE "{name}" SET "{column}" = ? WHERE "{column}" IS NOT ?',  # noqa: S608
            (value, value),
        )
    _sqlite_digests(cursor, name, now.digests.join(change.keys, on="key", how="semi"))
    cursor.execute(f'UPDATE "{SHAPES}" SET inputs = ? WHERE name = ?', (table.inputs_version, name))  # noqa: S608
    return seconds


def _sqlite_flat(batch: pl.DataFrame) -> pl.DataFrame:
    """A batch as SQLite stores it: dates as ``YYYY-MM-DD`` text and times as
    ``datetime.isoformat(" ")``, as SQLite's own adapters write them; nested columns as JSON."""
    return json_text(batch).with_columns(
        pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
        pl.col(pl.Datetime).map_elements(lambda v: v.isoformat(" "), return_dtype=pl.String),
    )


def _sqlite_table(
    cursor: Any, table: ServingTable, batches: Iterator[pl.DataFrame], create: bool = True
) -> tuple[int, float]:
    """Load ``batches`` into ``table`` with ADBC's bulk ingest (one statement a batch), as
    :func:`_sqlite_flat` writes them; ``create``: create the table and its indexes first (from
    the first batch's columns), else append to it."""
    meta = sa.MetaData()
    rows, seconds, created = 0, 0.0, not create
    for batch in batches:
        if not created:
            ddl = sa.schema.CreateTable(sql_table(meta, table.name, batch))
            cursor.execute(str(ddl.compile(dialect=sqlite_dialect.dialect())))
            created = True
        clock = time.perf_counter()
        cursor.adbc_ingest(table.name, _sqlite_flat(batch).to_arrow(), mode="append")
        seconds += time.perf_counter() - clock
        rows += batch.height
    if not create:
        return rows, seconds
    for column in table.index:
        cursor.execute(f'CREATE INDEX "ix_{table.name}_{column}" ON "{table.name}" ("{column}")')
    if table.access == "scoped":
        level, region = table.scope_columns
        cursor.execute(
            f'CREATE INDEX "ix_{table.name}_scope" ON "{table.name}" ("{level}", "{region}")'
        )
    return rows, seconds
