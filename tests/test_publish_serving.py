"""The serving database (SQLite file; the real PostgreSQL server with row-level security) and the
DuckDB catalog, published from a copy of the baseline warehouse."""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.publish.catalog import write_catalog
from warehouse.publish.serving import publish_serving, resolve_url
from warehouse.sources import ConfigError
from warehouse.store import Warehouse

POSTGRES = os.environ.get(
    "DAJIANDU_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="module")
def warehouse(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A private copy of the baseline (publishing writes serving.db and catalog.duckdb into it)."""
    copy = tmp_path_factory.mktemp("serving") / "warehouse"
    shutil.copytree(baseline, copy, symlinks=True)
    return Warehouse(copy)


def _gold_rows(store: Warehouse, name: str) -> int:
    return store.scan("gold", name).select(pl.len()).collect().item()


def test_sqlite_serving_holds_every_gold_row_and_republishes_the_same(warehouse) -> None:
    first = publish_serving(warehouse)
    for name in ("cadre_profile", "cadre_timeline", "warning", "promotion_check", "tolerance_case"):
        assert first.tables[name] == _gold_rows(warehouse, name), name
    path = warehouse.root / "serving.db"
    written = path.stat().st_mtime_ns
    second = publish_serving(warehouse)
    assert second.tables == first.tables  # idempotent: the same tables again, nothing written
    assert sorted(second.carried) == sorted(first.tables) and path.stat().st_mtime_ns == written
    with closing(sqlite3.connect(path)) as conn, conn:
        scoped = conn.execute(
            'SELECT count(*) FROM list_promotion_check WHERE "管理权限" = ? AND "行政区划代码" = ?',
            ("市管", "450101"),
        ).fetchone()[0]
        by_category = conn.execute("SELECT by_category FROM cadre_profile LIMIT 1").fetchone()[0]
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert (
        scoped
        == warehouse.scan("silver", "cadre")
        .filter(pl.col("scope_level") == "市管")
        .collect()
        .height
    )
    assert by_category.startswith("[")  # nested gold columns arrive as JSON text
    assert "ix_cadre_timeline_person_no" in indexes and "ix_cadre_profile_scope" in indexes
    assert not list(warehouse.root.glob(".serving.db.*"))  # no building file left behind


def test_a_serving_url_takes_credentials_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("DJD_TEST_PW", "s3cret")
    assert (
        resolve_url("postgresql+psycopg://pub:${DJD_TEST_PW}@db/x")
        == "postgresql+psycopg://pub:s3cret@db/x"
    )
    monkeypatch.delenv("DJD_TEST_PW")
    with pytest.raises(ConfigError, match="DJD_TEST_PW is not set"):
        resolve_url("postgresql+psycopg://pub:${DJD_TEST_PW}@db/x")


def test_a_run_with_an_unset_serving_variable_stops_before_it_starts(
    generated, tmp_path, capsys
) -> None:
    from orchestration.cli import main

    url = "postgresql+psycopg://pub:${DJD_UNSET_PW}@db/x"
    sources = str(generated / "sources.yaml")
    assert (
        main(["run", "--sources", sources, "--warehouse", str(tmp_path), "--serving-url", url]) == 2
    )
    assert "environment variable DJD_UNSET_PW is not set" in capsys.readouterr().err
    assert not (tmp_path / "bronze").exists()


def test_the_catalog_has_a_view_per_table_that_follows_new_versions(warehouse) -> None:
    path, views = write_catalog(warehouse)
    assert {
        "gold.cadre_profile",
        "gold.warning",
        "silver.cadre",
        "silver.supervision_event",
    } <= set(views)
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM gold.cadre_profile").fetchone()[0] == _gold_rows(
            warehouse, "cadre_profile"
        )
        sources = {
            r[0]
            for r in conn.execute("SELECT DISTINCT source FROM silver.supervision_event").fetchall()
        }
    assert "petition" in sources  # the partition key of a partitioned table comes back
    # A new version of a table (here: one row fewer) shows through the same view, unrebuilt.
    smaller = warehouse.scan("gold", "warning").collect().head(-1)
    warehouse.publish(warehouse.stage("gold", "warning", smaller))
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM gold.warning").fetchone()[0] == smaller.height


def _server() -> None:
    try:
        with psycopg.connect(sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(
                hide_password=False), connect_timeout=5):  # fmt: skip
            pass
    except psycopg.OperationalError as error:
        message = f"no postgres server at {sa.make_url(POSTGRES).render_as_string()}: {str(error).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema (and its reader roles) of this test alone, dropped afterwards."""
    _server()
    schema = f"djd_test_{uuid.uuid4().hex[:8]}"
    yield schema
    admin = sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in (schema, f"{schema}_acl"):
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        for (role,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{schema}%",)
        ).fetchall():
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgres
def test_a_scoped_role_sees_exactly_its_scope_on_postgresql(warehouse, pg_schema) -> None:
    result = publish_serving(warehouse, POSTGRES, pg_schema)
    assert result.tables["cadre_timeline"] == _gold_rows(warehouse, "cadre_timeline")
    again = publish_serving(warehouse, POSTGRES, pg_schema)  # the swap, with a live schema
    assert again.tables == result.tables
    role = f"{pg_schema}_officer"
    admin = sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:  # as the README tells a DBA to do
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE "{pg_schema}_reader"')
        conn.execute(
            f'INSERT INTO "{pg_schema}_acl".role_scope (role_name, granted_level, granted_region) '
            "VALUES (%s, '市管', '450100')", (role,),
        )  # fmt: skip
    cadres = warehouse.scan("silver", "cadre").collect()
    city = cadres.filter(pl.col("scope_level") == "市管")
    timeline = warehouse.scan("gold", "cadre_timeline").join(
        city.lazy(), on="person_no", how="semi"
    )
    as_reader = (
        sa.make_url(POSTGRES)
        .set(drivername="postgresql", username=role)
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(as_reader) as conn:

        def count(sql: str) -> int:
            return conn.execute(sql.replace("S.", f'"{pg_schema}".')).fetchone()[0]

        assert count("SELECT count(*) FROM S.cadre_profile") == city.height
        assert count("SELECT count(DISTINCT region) FROM S.cadre_profile") == 1
        assert count("SELECT count(*) FROM S.cadre_profile WHERE scope_level <> '市管'") == 0
        assert (
            count("SELECT count(*) FROM S.cadre_timeline")
            == timeline.select(pl.len()).collect().item()
        )
        assert count("SELECT count(*) FROM S.list_promotion_check") == city.height
        assert count("SELECT count(*) FROM S.tolerance_case") == _gold_rows(
            warehouse, "tolerance_case"
        )
        assert count("SELECT count(*) FROM S.unit_portrait_scope WHERE scope_level <> '市管'") == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            count("SELECT count(*) FROM S.unit_portrait")  # counts every 管理权限 together
    with psycopg.connect(as_reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f'INSERT INTO "{pg_schema}".cadre_profile (person_no) VALUES (%s)', ("X",))


def test_sqlite_serving_stores_each_type_as_sqlites_own_adapters_would(tmp_path) -> None:
    # Why: the tables are loaded from Arrow (ADBC bulk ingest), not bound row by row by the
    # sqlite3 module; a reader of serving.db must find the same values as before: dates as
    # YYYY-MM-DD text, times as datetime.isoformat(" "), booleans as 0/1, nested as JSON text,
    # nulls as NULL — over several batches.
    from datetime import date, datetime, timedelta, timezone

    from transforms.publishing import json_text
    from warehouse.publish.serving import _publish_sqlite, sql_table
    from warehouse.publish.serving_tables import ServingTable

    zone = timezone(timedelta(hours=8))
    frame = pl.DataFrame(
        {
            "k": ["a", "b", None],
            "n": pl.Series([1, None, 3], dtype=pl.UInt32),
            "x": [1.5, None, -2.25],
            "ok": [True, False, None],
            "day": [date(2026, 12, 6), None, date(1999, 1, 31)],
            "at": [
                datetime(2026, 12, 6, 2, 0, tzinfo=zone),
                None,
                datetime(2026, 1, 1, 9, 30, 5, 7, tzinfo=zone),
            ],
            "tags": [["甲", "乙"], None, []],
            "blank": [None, None, None],
        }
    )
    batches = [frame.head(2), frame.tail(1)]
    table = ServingTable("t", lambda: iter(batches), "public", inputs_version="v1")
    result = _publish_sqlite(tmp_path / "serving.db", [table], lambda _: None)
    assert result.tables == {"t": 3}
    with closing(sqlite3.connect(tmp_path / "serving.db")) as conn, conn:
        got = conn.execute("SELECT * FROM t ORDER BY rowid").fetchall()
    # The reference: the sqlite3 module binding the same rows with its default adapters.
    with closing(sqlite3.connect(tmp_path / "reference.db")) as conn, conn:
        created = sa.schema.CreateTable(sql_table(sa.MetaData(), "t", frame))
        conn.execute(str(created.compile(dialect=sa.dialects.sqlite.dialect())))
        flat = json_text(frame).with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
        rows = [
            tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in r)
            for r in flat.rows()
        ]
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * frame.width)})", rows)
        expected = conn.execute("SELECT * FROM t ORDER BY rowid").fetchall()
    assert got == expected
    assert (got[0][4], got[0][6], got[1][3], got[1][4]) == ("2026-12-06", '["甲","乙"]', 0, None)
    assert got[0][5].startswith("2026-12-0") and got[0][5][10] == " "  # isoformat(" ")


def test_a_serving_load_that_fills_the_disk_says_so_and_leaves_the_old_file(tmp_path) -> None:
    # Why: ADBC's own rollback after SQLite's had replaced "database or disk is full" with
    # "cannot rollback - no transaction is active" (an error no one could act on, not retried,
    # and the run's message lost "is full"). The load runs in one transaction and SQLite's words
    # come out as the sqlite3 module's error, as they did before ADBC.
    from orchestration.runner import storage_problem
    from tests.conftest import small_tmpfs
    from warehouse.publish.serving import _publish_sqlite
    from warehouse.publish.serving_tables import ServingTable

    frame = pl.DataFrame({"a": list(range(30_000)), "b": ["监督" * 60] * 30_000})  # ~11 MB
    table = ServingTable("t", lambda: iter([frame]), "public", inputs_version="v1")
    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full") as raised:
            _publish_sqlite(disk / "serving.db", [table], lambda _: None)
        assert sorted(p.name for p in disk.iterdir()) == []  # no half-built copy left
        assert storage_problem(raised.value, disk).startswith(
            f"the disk holding {disk.resolve()} is full"
        )


def _cadre_table(frame: pl.DataFrame, version: str, date_column: str | None = "as_of"):  # type: ignore[no-untyped-def]
    """A serving table of cadre rows in two batches (a cadre's rows may straddle them)."""
    from warehouse.publish.serving_tables import ServingTable

    half = frame.height // 2
    return ServingTable(
        "t", lambda: iter([frame.head(half), frame.slice(half)]), "scoped",
        index=("person_no",), inputs_version=version, key="person_no", date_column=date_column,
    )  # fmt: skip


def _rows(path: Path) -> list[tuple]:  # type: ignore[type-arg]
    with closing(sqlite3.connect(path)) as conn, conn:
        return sorted(conn.execute("SELECT * FROM t").fetchall(), key=repr)


def test_a_changed_cadre_table_loads_only_the_cadres_whose_rows_changed(tmp_path) -> None:
    # Why: a night that moves the date, or a month that brings a few records, used to load the
    # serving tables of every cadre again (1,000,000 profile rows, 4.8M timeline rows). Now the
    # cadres whose rows differ are deleted and loaded again and the date is set in place, and
    # the table must hold exactly what a whole load of the same rows holds.
    from datetime import date

    from warehouse.publish.serving import _publish_sqlite

    def day(d: date, rows: list[tuple[str, int, str | None]]) -> pl.DataFrame:
        frame = pl.DataFrame(rows, schema={"person_no": pl.String, "n": pl.Int64, "scope_level": pl.String},
                             orient="row")  # fmt: skip
        return frame.with_columns(region=pl.lit("450100"), as_of=pl.lit(d))

    before = [(f"P{i:03d}", i, "县管") for i in range(40)] + [("P001", 99, "县管")]
    after = [r for r in before if r[0] not in ("P002", "P003")]  # P002 gone, P003 changed:
    after += [("P003", 3, "市管"), ("P100", 1, "县管")]  # P100 new
    after = after[::-1]  # the same rows of the other cadres in another order: not changed
    said: list[str] = []
    db = tmp_path / "serving.db"
    _publish_sqlite(db, [_cadre_table(day(date(2026, 12, 6), before), "v1")], said.append)
    _publish_sqlite(db, [_cadre_table(day(date(2026, 12, 7), after), "v2")], said.append)
    assert said[-1] == "serving t: 41 rows (2 loaded again, the others kept)"  # P003 and P100
    whole = tmp_path / "whole.db"
    _publish_sqlite(whole, [_cadre_table(day(date(2026, 12, 7), after), "v2")], lambda _: None)
    assert _rows(db) == _rows(whole)
    assert {r[-1] for r in _rows(db)} == {"2026-12-07"}  # the date moved on in every row
    # A third night: the kept digests are those of what the table now holds.
    again = [("P003", 4, "市管") if r[0] == "P003" else r for r in after]
    _publish_sqlite(db, [_cadre_table(day(date(2026, 12, 8), again), "v3")], said.append)
    _publish_sqlite(whole, [_cadre_table(day(date(2026, 12, 8), again), "v3")], lambda _: None)
    assert said[-1] == "serving t: 41 rows (1 loaded again, the others kept)"
    assert _rows(db) == _rows(whole)
    # Most cadres changed: loaded whole (one bulk load and one index build beat the deletes).
    most = [(p, n + 1, s) for p, n, s in again]
    _publish_sqlite(db, [_cadre_table(day(date(2026, 12, 8), most), "v4")], said.append)
    assert said[-1] == "serving t: 41 rows"
    _publish_sqlite(whole, [_cadre_table(day(date(2026, 12, 8), most), "v4")], lambda _: None)
    assert _rows(db) == _rows(whole)


def test_a_cadre_table_whose_columns_changed_is_loaded_whole(tmp_path) -> None:
    # Why: digests of rows of other columns (a new code version adds one) compare nothing; the
    # table keeps the columns it was created with, so the new rows go into a new table.
    from warehouse.publish.serving import _publish_sqlite

    one = pl.DataFrame({"person_no": ["A", "B", "C", "D", "E"], "n": [1, 2, 3, 4, 5]})
    db, said = tmp_path / "serving.db", []
    _publish_sqlite(db, [_cadre_table(one, "v1", None)], said.append)
    two = one.with_columns(m=pl.lit("新"))
    _publish_sqlite(db, [_cadre_table(two, "v2", None)], said.append)
    assert said[-1] == "serving t: 5 rows"
    assert _rows(db) == sorted(two.rows(), key=repr)


def test_a_delta_load_reads_the_table_once_and_twice_only_when_a_cadre_straddles_unseen(
    tmp_path,
) -> None:
    # Why: a delta keeps the changed cadres' rows as the table is read for its digests, so the
    # table (a scope join over millions of rows) is not read a second time. A cadre whose rows
    # straddle two batches, the first part equal to all the database held of it, is not kept
    # in that batch: the kept rows then fall short of the cadre's, and the table must be read
    # again rather than lose them.
    from warehouse.publish.serving import _publish_sqlite
    from warehouse.publish.serving_tables import ServingTable

    reads: list[int] = []

    def table(parts: list[list[tuple[str, int]]], version: str) -> ServingTable:
        frames = [pl.DataFrame(p, schema={"person_no": pl.String, "n": pl.Int64}, orient="row") for p in parts]  # fmt: skip
        return ServingTable("t", lambda: (reads.append(1), iter(frames))[1], "scoped",
                            index=("person_no",), inputs_version=version, key="person_no")  # fmt: skip

    others = [(f"Q{i:02d}", i) for i in range(20)]
    db, whole = tmp_path / "serving.db", tmp_path / "whole.db"
    _publish_sqlite(db, [table([[("A", 1), ("A", 2)], others], "v1")], lambda _: None)
    reads.clear()  # one cadre changed (Q00): read once
    night = [[("A", 1), ("A", 2)], [("Q00", 7), *others[1:]]]
    _publish_sqlite(db, [table(night, "v2")], lambda _: None)
    assert len(reads) == 1
    _publish_sqlite(whole, [table(night, "v2")], lambda _: None)
    assert _rows(db) == _rows(whole)
    reads.clear()  # A gains a row in the next batch: its first part is what was held
    night = [[("A", 1), ("A", 2)], [("A", 3), ("Q00", 7), *others[1:]]]
    _publish_sqlite(db, [table(night, "v3")], lambda _: None)
    assert len(reads) == 2
    _publish_sqlite(whole, [table(night, "v3")], lambda _: None)
    assert _rows(db) == _rows(whole)
    assert [r for r in _rows(db) if r[0] == "A"] == [("A", 1), ("A", 2), ("A", 3)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_a_delta_load_holds_what_a_whole_load_holds_for_any_versions(tmp_path, data) -> None:
    # Why: whatever the versions are (duplicate rows, a cadre's rows split over both batches,
    # cadres gone or new, empty tables), the table after each delta load holds the same rows as
    # one loaded whole: the digests are multisets of rows, and a wrong or stale one (a later
    # night compares with the digests an earlier one left) would keep stale rows.
    from warehouse.publish.serving import _publish_sqlite

    row = st.tuples(st.sampled_from([f"P{i}" for i in range(30)]), st.integers(0, 3))
    versions = [data.draw(st.lists(row, max_size=60))]
    for _ in range(data.draw(st.integers(1, 3))):  # each night drops a few rows and adds a few
        kept = [r for r in versions[-1] if data.draw(st.integers(0, 9)) != 0]
        versions.append(kept + data.draw(st.lists(row, max_size=4)))
    schema = {"person_no": pl.String, "n": pl.Int64}
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    for k, rows in enumerate(versions):
        frame = pl.DataFrame(rows, schema=schema, orient="row")
        _publish_sqlite(folder / "a.db", [_cadre_table(frame, f"v{k}", None)], lambda _: None)
        _publish_sqlite(folder / f"{k}.db", [_cadre_table(frame, f"v{k}", None)], lambda _: None)
        assert _rows(folder / "a.db") == _rows(folder / f"{k}.db") == sorted(rows, key=repr)


@pytest.mark.postgres
def test_postgresql_loads_a_changed_cadre_table_by_its_changed_cadres_in_place(pg_schema) -> None:
    # Why: as on SQLite, a month's few changed cadres must not reload a table of every cadre;
    # on PostgreSQL the delta is applied to the live table in the transaction that moves the
    # other changed tables in, so the table keeps its policies and grants and readers see the
    # old rows or the new, never half.
    from datetime import date

    from warehouse.publish.serving_pg import publish_postgres

    url = sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)

    def night(d: date, rows: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
        frame = pl.DataFrame(rows, schema={"person_no": pl.String, "n": pl.Int64}, orient="row")
        return frame.with_columns(
            scope_level=pl.lit("县管"), region=pl.lit("450101"), as_of=pl.lit(d)
        )

    def held() -> list[tuple]:  # type: ignore[type-arg]
        with psycopg.connect(url) as conn:
            return sorted(conn.execute(f'SELECT * FROM "{pg_schema}".t').fetchall())

    before = [(f"P{i:02d}", i) for i in range(20)] + [("P01", 7)]
    after = [r for r in before if r[0] != "P02"] + [("P30", 1)]
    after = [("P03", 33) if r[0] == "P03" else r for r in after]
    said: list[str] = []

    def publish(d: date, rows: list[tuple[str, int]], version: str) -> str:
        publish_postgres(POSTGRES, pg_schema, [_cadre_table(night(d, rows), version)], said.append)
        assert held() == sorted(night(d, rows).rows())
        return said[-1]

    publish(date(2026, 12, 6), before, "v1")
    # The same day, a month's records: P03 changed, P30 came (P02 went: nothing to load).
    assert (
        publish(date(2026, 12, 6), after, "v2")
        == "serving t: 21 rows (2 loaded again, the others kept)"
    )
    with psycopg.connect(url) as conn:  # the table kept its row-level security and its grant
        security = conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", (f'"{pg_schema}".t',)
        ).fetchone()
        grants = conn.execute(
            "SELECT count(*) FROM information_schema.role_table_grants WHERE table_schema = %s "
            "AND table_name = 't' AND grantee = %s",
            (pg_schema, f"{pg_schema}_reader"),
        ).fetchone()
    assert security == (True,) and grants == (1,)
    # The date moved: loaded whole (an UPDATE of every row would leave a dead copy of each).
    again = [("P03", 34) if r[0] == "P03" else r for r in after]
    assert publish(date(2026, 12, 7), again, "v3") == "serving t: 21 rows"
    # The next change compares with the digests the whole load left.
    once_more = [("P04", 44) if r[0] == "P04" else r for r in again]
    assert (
        publish(date(2026, 12, 7), once_more, "v4")
        == "serving t: 21 rows (1 loaded again, the others kept)"
    )
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SET ROLE {pg_schema}_reader")
        conn.execute(f'SELECT * FROM "{pg_schema}"._serving_digests')


def test_a_delta_load_keeps_the_table_as_a_whole_load_would_in_every_awkward_case(tmp_path) -> None:
    # Why: found by a review of the delta: a key the load strips (its stored form is not the key
    # compared: stale duplicates), a null key (the digests' key cannot be null), a change of the
    # table's access or indexes (a delta kept the old ones: on PostgreSQL a public policy on a
    # scoped table), a publish by a version that kept no digests between two that do (the
    # digests describe rows no longer held), -0.0 for 0.0 (one hash), and the bytes of deleted
    # rows (readable in the file). Each night must leave what a whole load of its rows leaves.
    from warehouse.publish.serving import _publish_sqlite

    def frame(rows: list[tuple[str | None, float, str]]) -> pl.DataFrame:
        return pl.DataFrame(rows, schema={"person_no": pl.String, "x": pl.Float64, "note": pl.String},
                            orient="row").with_columns(scope_level=pl.lit("县管"), region=pl.lit("450101"))  # fmt: skip

    base = [(f"P{i:02d}", float(i), "常规") for i in range(40)]
    said: list[str] = []

    def night(rows, version, **changes):  # type: ignore[no-untyped-def]
        table = replace(_cadre_table(frame(rows), version, None), **changes)
        _publish_sqlite(tmp_path / "a.db", [table], said.append)
        _publish_sqlite(tmp_path / f"{version}.db", [table], lambda _: None)
        assert _rows(tmp_path / "a.db") == _rows(tmp_path / f"{version}.db")
        return said[-1]

    night(base, "v1")
    stripped_key = [("P01\u200e", 1.0, "常规") if r[0] == "P01" else r for r in base]
    assert night(stripped_key, "v2") == "serving t: 40 rows"  # whole: the key would be stripped
    assert night(base, "v3") == "serving t: 40 rows"  # no digests were kept for v2
    assert night([*base, (None, 0.0, "无编号")], "v4") == "serving t: 41 rows"  # a null key
    assert night(base, "v5") == "serving t: 40 rows"
    assert night(base[:-1], "v6").endswith("(0 loaded again, the others kept)")
    assert night(base[:-1], "v7", index=("region",)) == "serving t: 39 rows"  # its indexes changed
    with closing(sqlite3.connect(tmp_path / "a.db")) as conn, conn:
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 't'"
            )
        }
    assert indexes == {"ix_t_region", "ix_t_scope"}
    assert night(base[:-1], "v8", index=("region",), access="public") == "serving t: 39 rows"
    secret = [("P05", 5.0, "保密内容甲") if r[0] == "P05" else r for r in base[:-1]]
    night(secret, "v9", index=("region",), access="public")
    assert night(base[:-1], "v10", index=("region",), access="public").endswith(
        "(1 loaded again, the others kept)"
    )
    assert "保密内容甲".encode() not in (tmp_path / "a.db").read_bytes()  # deleted rows overwritten
    negative = [("P00", -0.0, "常规") if r[0] == "P00" else r for r in base[:-1]]
    assert night(negative, "v11", index=("region",), access="public").endswith(
        "(1 loaded again, the others kept)"
    )
    # A version that kept no digests loads a table (it rewrites the table and its fingerprint in
    # _serving_versions, not the digests): the next publish must not trust the digests.
    with closing(sqlite3.connect(tmp_path / "a.db")) as conn, conn:
        conn.execute("UPDATE t SET note = '旧版' WHERE person_no = 'P06'")
        conn.execute("UPDATE _serving_versions SET inputs = 'old' WHERE name = 't'")
    assert night(negative, "v12", index=("region",), access="public") == "serving t: 39 rows"


def test_a_delta_night_warns_of_every_stripped_value_of_the_table(tmp_path) -> None:
    # Why: the WARN lines count the values whose control characters were stripped; a delta load
    # strips only the rows it loads, but the warning must still count the whole table's, as a
    # whole load's does, or the lines vanish on the nights a delta is made.
    from warehouse.publish.serving import _publish_sqlite
    from warehouse.publish.serving_tables import stripped_tables

    rows = [(f"P{i:02d}", f"备注\u202e{i}" if i % 4 == 0 else "备注") for i in range(40)]
    counts = []
    for version, changed in (
        ("v1", rows),
        ("v2", [("P01", "新") if r[0] == "P01" else r for r in rows]),
    ):
        frame = pl.DataFrame(
            changed, schema={"person_no": pl.String, "note": pl.String}, orient="row"
        )
        found: dict[str, int] = {}
        table = stripped_tables([_cadre_table(frame, version, None)], found)[0]
        said: list[str] = []
        _publish_sqlite(tmp_path / "a.db", [table], said.append)
        counts.append((found, said[-1]))
    assert counts == [({"t.note": 10}, "serving t: 40 rows"),
                      ({"t.note": 10}, "serving t: 40 rows (1 loaded again, the others kept)")]  # fmt: skip
    assert all("\u202e" not in r[1] for r in _rows(tmp_path / "a.db"))


@pytest.mark.postgres
def test_postgresql_warns_of_the_stripped_values_of_a_table_without_cadre_rows(pg_schema) -> None:
    # Why: a table loaded whole on PostgreSQL without a key (the unit portraits, the case
    # library) lost its count of stripped control characters once the delta came in: its rows
    # were stripped without being counted, and the WARN line was never said.
    from warehouse.publish.serving_pg import publish_postgres
    from warehouse.publish.serving_tables import ServingTable, stripped_tables

    frame = pl.DataFrame(
        {"case_id": ["C1", "C2", "C3"], "facts": ["事实\u202e甲", "事实", "乙\x00"]}
    )
    found: dict[str, int] = {}
    table = ServingTable("cases", lambda: iter([frame]), "public", inputs_version="v1")
    publish_postgres(POSTGRES, pg_schema, stripped_tables([table], found), lambda _: None)
    assert found == {"cases.facts": 2}
