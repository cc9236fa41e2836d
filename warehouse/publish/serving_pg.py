"""PostgreSQL serving: a staging schema loaded with ``COPY``, row-level security on 管理权限 and
region, and a swap of schemas in one transaction.

Roles and grants (names derive from the schema, ``dajiandu`` by default):

- ``<schema>_reader`` (NOLOGIN): the group every scoped reader belongs to; it may read the
  published schema, and row-level security shows it only its scopes' rows;
- ``<schema>_acl.role_scope``: which role may see which scope (``granted_level``,
  ``granted_region``; a city or province code covers its counties). A reader sees only its own
  grants there. This schema is never swapped, so grants survive every publish.
"""

import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from queue import Queue
from typing import Any

import polars as pl
import psycopg
import sqlalchemy as sa
from psycopg import sql

from transforms.publishing import json_text
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
          table: ServingTable, batches: Iterator[pl.DataFrame]) -> tuple[int, float]:  # fmt: skip
    from warehouse.publish.serving import sql_table

    target = sql.Identifier(stage, table.name)
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


def _records(conn: psycopg.Connection, schema: str, table: str, columns: str) -> list[tuple[Any, ...]]:  # fmt: skip
    """The rows of a record table of the live ``schema`` (``_serving_versions``,
    ``_serving_shapes``); none when it does not exist."""
    found = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{table}"',)).fetchone()
    if found is None or found[0] is None:
        return []
    listed = sql.SQL(columns)
    return conn.execute(
        sql.SQL("SELECT {} FROM {}").format(listed, sql.Identifier(schema, table))
    ).fetchall()


def _versions(conn: psycopg.Connection, schema: str) -> dict[str, tuple[str, int]]:
    """What the live ``schema`` was loaded from (table → fingerprint, rows); empty when it does
    not exist or keeps no record (then every table is loaded and the schemas are swapped)."""
    from warehouse.publish.serving import VERSIONS

    rows = _records(conn, schema, VERSIONS, 'name, inputs, "rows"')
    return {name: (inputs, count) for name, inputs, count in rows}


def _old_digests(conn: psycopg.Connection, digests: sql.Identifier, name: str) -> pl.DataFrame:
    statement = sql.SQL('COPY (SELECT key, digest, "rows" FROM {} WHERE name = {}) TO STDOUT '
                        "(FORMAT csv)").format(digests, sql.Literal(name))  # fmt: skip
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        raw = b"".join(bytes(chunk) for chunk in copy)
    if not raw:
        return pl.DataFrame(schema=DIGEST_SCHEMA)
    return pl.read_csv(raw, has_header=False, new_columns=list(DIGEST_SCHEMA),
                       schema_overrides=DIGEST_SCHEMA)  # fmt: skip


def _held_date(conn: psycopg.Connection, schema: str, table: ServingTable) -> str | None:
    if table.date_column is None:
        return None
    found = conn.execute(
        sql.SQL("SELECT {}::text FROM {} LIMIT 1").format(
            sql.Identifier(table.date_column), sql.Identifier(schema, table.name)
        )
    ).fetchone()
    return None if found is None else found[0]


def _write_digests(
    conn: psycopg.Connection, home: str, name: str, inputs: str, now: Digested | None,
    keys: pl.DataFrame | None = None,
) -> None:  # fmt: skip
    """The digests of table ``name`` as ``now`` has them, and their shape, recorded as of the
    rows of fingerprint ``inputs``: all of them replaced (none when ``now`` is None or not
    usable), or only those of ``keys``."""
    digests, shapes = sql.Identifier(home, DIGESTS), sql.Identifier(home, SHAPES)
    conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(shapes), (name,))
    if keys is None:
        conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(digests), (name,))
    else:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE name = %s AND key = ANY(%s)").format(digests),
            (name, keys["key"].to_list()),
        )
    if now is None or not now.usable:
        return
    found = now.digests if keys is None else now.digests.join(keys, on="key", how="semi")
    if found.height:
        copy_rows(conn, digests, found.select(pl.lit(name).alias("name"), pl.all()))
    conn.execute(
        sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(shapes), (name, now.shape, inputs)
    )


def _apply_delta(
    conn: psycopg.Connection, schema: str, table: ServingTable, change: Delta, now: Digested
) -> float:
    """In the live table: delete the changed keys' rows, copy theirs in again and replace their
    digests. Returns the seconds spent copying."""
    assert table.key is not None
    target = sql.Identifier(schema, table.name)
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(target, sql.Identifier(table.key)),
        (change.keys["key"].to_list(),),
    )
    clock = time.perf_counter()
    batches = changed_rows(table, change)
    first = next(batches, None)
    if first is not None:
        _stream(conn, target, first.columns, _ahead(chain([first], batches), []), freeze=False)
    seconds = time.perf_counter() - clock
    _write_digests(conn, schema, table.name, table.inputs_version, now, change.keys)
    return seconds


def publish_postgres(
    url: str, schema: str, tables: list[ServingTable], say: Callable[[str], None]
) -> ServingResult:
    """Load the tables whose fingerprint changed into a staging schema, then put them in
    ``schema`` in one transaction: the whole schema swapped when it is new (or keeps no record of
    its versions), else each changed table moved in for the old one — or, for a table of cadre
    rows whose digests the live schema holds, only its changed cadres' rows deleted and copied
    in again (:mod:`~warehouse.publish.serving_delta`), in that same transaction. One publisher
    at a time per schema (an advisory lock on its name)."""
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
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"dajiandu serving {schema}",))
        conn.commit()
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
        shapes = current_shapes(_records(conn, schema, SHAPES, "name, shape, inputs"), before)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(stage)))
        conn.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(stage), sql.Identifier(reader)
            )
        )
        home = stage if not before else schema
        versions = sql.Identifier(home, VERSIONS)
        try:
            conn.execute(
                sql.SQL(
                    'CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, inputs text, "rows" bigint)'
                ).format(versions)
            )
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, shape text, "
                        "inputs text)").format(sql.Identifier(home, SHAPES))
            )  # fmt: skip
            conn.execute(
                sql.SQL('CREATE TABLE IF NOT EXISTS {} (name text, key text, digest bigint, '
                        '"rows" bigint, PRIMARY KEY (name, key))').format(sql.Identifier(home, DIGESTS))
            )  # fmt: skip
            staged = _stage_changed(conn, engine, (stage, reader, acl), schema, home, changed,
                                    shapes, result, say)  # fmt: skip
            conn.commit()
            for table in changed:
                if table.name in staged.deltas:
                    _delta_in_place(conn, schema, table, staged, result, say)
                else:
                    taken = staged.taken.get(table.name)
                    _write_digests(conn, home, table.name, table.inputs_version, taken)
            for name in [*gone, *(t.name for t in changed)]:
                conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(versions), (name,))
            for name in gone:
                _write_digests(conn, home, name, "", None)
            for table in changed:
                conn.execute(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(versions),
                    (table.name, table.inputs_version, result.tables[table.name]),
                )
            if before:
                moved = [t.name for t in changed if t.name not in staged.deltas]
                _move(conn, schema, stage, moved, gone)
            else:
                _swap(conn, schema, stage, old)
        except BaseException:
            conn.rollback()
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(stage)))
            conn.commit()
            raise
    engine.dispose()
    return result


@dataclass
class _Staged:
    """What :func:`_stage_changed` did: the tables left for a delta (with what was read for
    them), and the digests taken from each table loaded whole."""

    deltas: dict[str, tuple[Delta, Digested]] = field(default_factory=dict)
    taken: dict[str, Digested | None] = field(default_factory=dict)


def _stage_changed(
    conn: psycopg.Connection, engine: sa.Engine, where: tuple[str, str, str], schema: str,
    home: str, changed: list[ServingTable], shapes: dict[str, str], result: ServingResult,
    say: Callable[[str], None],
) -> _Staged:  # fmt: skip
    """Each changed table planned for a delta (:func:`~warehouse.publish.serving_delta.planned`:
    on PostgreSQL only where its date did not move, since an UPDATE of every row would leave a
    dead copy of each), or loaded whole into the
    staging schema (``where``: it, the reader role and the ACL schema), its digests taken."""
    staged = _Staged()
    for table in changed:
        change, now = planned(
            table, shapes.get(table.name),
            functools.partial(_old_digests, conn, sql.Identifier(home, DIGESTS), table.name),
            functools.partial(_held_date, conn, schema, table),
        )  # fmt: skip
        if change is not None and now is not None:
            staged.deltas[table.name] = (change, now)
            if change.rows is not None:  # its rows are kept: the computed frame may go
                released(table)
            continue
        batches, digests_of = whole(table, now)
        rows, seconds = _load(conn, engine, *where, table, batches)
        released(table)
        staged.taken[table.name] = digests_of()
        result.tables[table.name] = rows
        result.load_seconds += seconds
        say(f"serving {table.name}: {rows:,} rows")
    return staged


def _delta_in_place(
    conn: psycopg.Connection, schema: str, table: ServingTable, staged: _Staged,
    result: ServingResult, say: Callable[[str], None],
) -> None:  # fmt: skip
    change, now = staged.deltas[table.name]
    result.load_seconds += _apply_delta(conn, schema, table, change, now)
    staged.deltas[table.name] = (replace(change, rows=None), now)  # the kept rows may go
    released(table)
    result.tables[table.name] = now.rows
    say(f"serving {table.name}: {now.rows:,} rows ({change.inserted:,} loaded again, the "
        "others kept)")  # fmt: skip


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
