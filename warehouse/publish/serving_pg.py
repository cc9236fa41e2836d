"""PostgreSQL serving: a staging schema loaded with ``COPY``, row-level security on 管理权限 and
region, and a swap of schemas in one transaction.

Roles and grants (names derive from the schema, ``dajiandu`` by default):

- ``<schema>_reader`` (NOLOGIN): the group every scoped reader belongs to; it may read the
  published schema, and row-level security shows it only its scopes' rows;
- ``<schema>_acl.role_scope``: which role may see which scope (``granted_level``,
  ``granted_region``; a city or province code covers its counties). A reader sees only its own
  grants there. This schema is never swapped, so grants survive every publish.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from itertools import chain
from queue import Queue

import polars as pl
import psycopg
import sqlalchemy as sa
from psycopg import sql

from transforms.publishing import json_text
from warehouse.publish.serving_tables import ServingResult, ServingTable, released
from warehouse.sources import safe_url

_ACL = """
CREATE SCHEMA IF NOT EXISTS {acl};
CREATE TABLE IF NOT EXISTS {acl}.role_scope (
  role_name name NOT NULL,
  granted_level text NOT NULL CHECK (granted_level IN ('省管', '市管', '县管')),
  granted_region text NOT NULL CHECK (granted_region ~ '^[0-9]{{6}}$'),
  region_prefix text GENERATED ALWAYS AS (CASE
    WHEN granted_region LIKE '%0000' THEN left(granted_region, 2)
    WHEN granted_region LIKE '%00' THEN left(granted_region, 4)
    ELSE granted_region END) STORED,
  PRIMARY KEY (role_name, granted_level, granted_region));
ALTER TABLE {acl}.role_scope ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_grants ON {acl}.role_scope;
CREATE POLICY own_grants ON {acl}.role_scope FOR SELECT USING (role_name = current_user);
GRANT USAGE ON SCHEMA {acl} TO {reader};
GRANT SELECT ON {acl}.role_scope TO {reader};
"""
_SCOPED = """
CREATE POLICY scope_read ON {table} FOR SELECT TO {reader} USING (EXISTS (
  SELECT 1 FROM {acl}.role_scope g WHERE g.role_name = current_user
  AND g.granted_level = {level} AND starts_with({region}, g.region_prefix)))
"""


def _ensure_reader(conn: psycopg.Connection, reader: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (reader,)).fetchone()
    if exists is None:
        try:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(reader)))
        except psycopg.errors.DuplicateObject:  # created meanwhile by another publisher
            conn.rollback()


def copy_rows(conn: psycopg.Connection, target: sql.Composable, batch: pl.DataFrame) -> None:
    """One frame into ``target`` with one COPY."""
    _stream(conn, target, batch.columns, iter([_csv(batch)]), freeze=False)


def _csv(batch: pl.DataFrame) -> bytes:
    return json_text(batch).write_csv(include_header=False).encode("utf-8")


def _stream(
    conn: psycopg.Connection, target: sql.Composable, names: list[str], chunks: Iterator[bytes],
    freeze: bool,
) -> None:  # fmt: skip
    """One COPY of every chunk (CSV bytes); FREEZE when the table was made in this transaction."""
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in names)
    options = sql.SQL("FORMAT csv, FREEZE true" if freeze else "FORMAT csv")
    statement = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(target, columns, options)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)


def _ahead(batches: Iterator[pl.DataFrame], counted: list[int]) -> Iterator[bytes]:
    """The batches as CSV bytes, made one step ahead on a thread: Parquet reading, joins and
    encoding (Polars, GIL released) overlap with the server parsing the previous chunk."""
    done = object()
    queue: Queue[object] = Queue(maxsize=2)

    def produce() -> None:
        try:
            for batch in batches:
                counted.append(batch.height)
                queue.put(_csv(batch))
        except BaseException as error:  # handed to the consumer, which raises it
            queue.put(error)
            return
        queue.put(done)

    worker = threading.Thread(target=produce, name="copy-producer", daemon=True)
    worker.start()
    while (item := queue.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, bytes)
        yield item
    worker.join()


def _load(conn: psycopg.Connection, engine: sa.Engine, stage: str, reader: str, acl: str,
          table: ServingTable) -> tuple[int, float]:  # fmt: skip
    from warehouse.publish.serving import sql_table

    target = sql.Identifier(stage, table.name)
    batches = table.batches()
    first = next(batches)
    ddl = sa.schema.CreateTable(sql_table(sa.MetaData(schema=stage), table.name, first))
    conn.execute(str(ddl.compile(engine)))
    counted: list[int] = []
    clock = time.perf_counter()
    _stream(conn, target, first.columns, _ahead(chain([first], batches), counted), freeze=True)
    seconds, rows = time.perf_counter() - clock, sum(counted)
    for column in table.index:
        conn.execute(sql.SQL("CREATE INDEX ON {} ({})").format(target, sql.Identifier(column)))
    conn.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(target))
    names = {"table": target, "reader": sql.Identifier(reader), "acl": sql.Identifier(acl)}
    if table.access == "scoped":
        level, region = (sql.Identifier(c) for c in table.scope_columns)
        conn.execute(sql.SQL("CREATE INDEX ON {} ({}, {})").format(target, level, region))
        conn.execute(sql.SQL(_SCOPED).format(level=level, region=region, **names))
    elif table.access == "public":
        conn.execute(
            sql.SQL(
                "CREATE POLICY public_read ON {table} FOR SELECT TO {reader} USING (true)"
            ).format(**names)
        )
    if table.access != "private":
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(target, sql.Identifier(reader)))
    return rows, seconds


def _versions(conn: psycopg.Connection, schema: str) -> dict[str, tuple[str, int]]:
    """What the live ``schema`` was loaded from (table → fingerprint, rows); empty when it does
    not exist or keeps no record (then every table is loaded and the schemas are swapped)."""
    from warehouse.publish.serving import VERSIONS

    found = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{VERSIONS}"',)).fetchone()
    if found is None or found[0] is None:
        return {}
    rows = conn.execute(
        sql.SQL('SELECT name, inputs, "rows" FROM {}').format(sql.Identifier(schema, VERSIONS))
    ).fetchall()
    return {name: (inputs, count) for name, inputs, count in rows}


def publish_postgres(
    url: str, schema: str, tables: list[ServingTable], say: Callable[[str], None]
) -> ServingResult:
    """Load the tables whose fingerprint changed into a staging schema, then put them in
    ``schema`` in one transaction: the whole schema swapped when it is new (or keeps no record of
    its versions), else each changed table moved in for the old one."""
    from warehouse.publish.serving import VERSIONS, changed_tables

    reader, acl = f"{schema}_reader", f"{schema}_acl"
    stage, old = (
        f"{schema}__staging_{uuid.uuid4().hex[:8]}",
        f"{schema}__old_{uuid.uuid4().hex[:8]}",
    )
    result = ServingResult(safe_url(url) + f" (schema {schema})")
    engine = sa.create_engine(url, connect_args={"connect_timeout": 10})
    libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=False) as conn:
        _ensure_reader(conn, reader)
        conn.execute(sql.SQL(_ACL).format(acl=sql.Identifier(acl), reader=sql.Identifier(reader)))
        conn.commit()
        before = _versions(conn, schema)
        changed = changed_tables(tables, before, result)
        gone = sorted(set(before) - {t.name for t in tables})
        if not changed and not gone:
            conn.rollback()
            say("serving: every table unchanged, nothing written")
            engine.dispose()
            return result
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(stage)))
        conn.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(stage), sql.Identifier(reader)
            )
        )
        versions = sql.Identifier(stage if not before else schema, VERSIONS)
        try:
            if not before:
                conn.execute(
                    sql.SQL(
                        'CREATE TABLE {} (name text PRIMARY KEY, inputs text, "rows" bigint)'
                    ).format(versions)
                )
            for table in changed:
                rows, seconds = _load(conn, engine, stage, reader, acl, table)
                released(table)
                result.tables[table.name] = rows
                result.load_seconds += seconds
                say(f"serving {table.name}: {rows:,} rows")
            conn.commit()
            for name in [*gone, *(t.name for t in changed)]:
                conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(versions), (name,))
            for table in changed:
                conn.execute(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(versions),
                    (table.name, table.inputs_version, result.tables[table.name]),
                )
            if before:
                _move(conn, schema, stage, [t.name for t in changed], gone)
            else:
                _swap(conn, schema, stage, old)
        except BaseException:
            conn.rollback()
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(stage)))
            conn.commit()
            raise
    engine.dispose()
    return result


def _move(
    conn: psycopg.Connection, schema: str, stage: str, changed: list[str], gone: list[str]
) -> None:
    """One transaction (the version records' changes already in it): each changed table's old
    version dropped and the staged one moved into ``schema``; tables no longer published go."""
    for name in [*gone, *changed]:
        conn.execute(
            sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schema, name))
        )
    for name in changed:
        conn.execute(
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(stage, name), sql.Identifier(schema)
            )
        )
    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(stage)))
    conn.commit()


def _swap(conn: psycopg.Connection, schema: str, stage: str, old: str) -> None:
    """One transaction: the live schema steps aside, the staged one takes its name, the old goes."""
    live = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if live is not None:
        conn.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(schema), sql.Identifier(old)
            )
        )
    conn.execute(
        sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(stage), sql.Identifier(schema)
        )
    )
    if live is not None:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(old)))
    conn.commit()
