"""Bronze costs what changed (issue 20): a SQL source read by its ``更新时间`` watermark, merged
(the latest version of a key wins), equal to a full read; a source whose inputs are unchanged
does no work at all."""

import sqlite3
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.bronze import high_watermark, merge_versions
from transforms.specs import ROSTER
from warehouse import ingest as ingest_module
from warehouse.ingest import ingest
from warehouse.sources import SourceConfig
from warehouse.store import Warehouse

NOW = datetime(2025, 6, 1, 12, 0)
COLUMNS = ["人员编号", "姓名", "单位名称", "管理权限", "更新时间"]


def _raw(rows: list[tuple[str, str, str | None]], load_id: str) -> pl.DataFrame:
    """Roster rows as a reader gives them: (key, name, 更新时间), every other field empty."""
    frame = pl.DataFrame(
        {"人员编号": [r[0] for r in rows], "姓名": [r[1] for r in rows],
         "更新时间": [r[2] for r in rows]},
        schema={"人员编号": pl.String, "姓名": pl.String, "更新时间": pl.String},
    )  # fmt: skip
    return frame.with_columns(
        pl.lit("roster.db#cadre_roster").alias("_source_file"),
        pl.lit(0, dtype=pl.Int64).alias("_source_row"),
        pl.lit(load_id).alias("_load_id"),
    )


def test_the_latest_version_of_a_key_wins_and_rows_are_numbered_as_a_full_read() -> None:
    # A changed row replaces its earlier version (not added beside it); a new row joins; an
    # untouched row keeps the read that brought it (lineage per row).
    state = _raw(
        [("A1", "张伟", "2025-01-01 08:00:00"), ("B2", "李强", "2025-01-02 08:00:00")], "r1"
    )
    delta = _raw(
        [("A1", "張偉", "2025-05-01 08:00:00"), ("C3", "王五", "2025-05-02 08:00:00")], "r2"
    )
    merged = merge_versions(state, delta, ROSTER)
    assert merged.select("人员编号", "姓名", "_source_row", "_load_id").rows() == [
        ("A1", "張偉", 1, "r2"),
        ("B2", "李强", 2, "r1"),
        ("C3", "王五", 3, "r2"),
    ]
    # The same table read in full gives the same rows and numbers; only the lineage differs.
    full = merge_versions(state.clear(), pl.concat([delta[0], state[1], delta[1]]), ROSTER)
    assert_frame_equal(full.drop("_load_id"), merged.drop("_load_id"))


def test_a_deletion_is_seen_only_by_a_full_read() -> None:
    # An incremental read cannot see a row that is gone; a full read (empty state) reconciles.
    state = _raw(
        [("A1", "张伟", "2025-01-01 08:00:00"), ("B2", "李强", "2025-01-02 08:00:00")], "r1"
    )
    nothing = _raw([], "r2")
    assert merge_versions(state, nothing, ROSTER)["人员编号"].to_list() == ["A1", "B2"]
    full = merge_versions(state.clear(), state.filter(pl.col("人员编号") == "A1"), ROSTER)
    assert full["人员编号"].to_list() == ["A1"]


def test_the_watermark_ignores_empty_and_future_stamps() -> None:
    # A row without 更新时间, or stamped after the read, is read on every run: it must not move
    # the watermark past rows that arrive later with an earlier stamp.
    delta = _raw(
        [("A1", "a", None), ("B2", "b", "2025-05-01 08:00:00"), ("C3", "c", "2031-01-01 00:00:00")],
        "r",
    )
    assert high_watermark(delta, NOW) == "2025-05-01 08:00:00"
    assert high_watermark(_raw([("A1", "a", None)], "r"), NOW) is None


def _roster_db(path: Path, rows: list[tuple[str, str, str | None]]) -> SourceConfig:
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE cadre_roster ({', '.join(COLUMNS)})")
        conn.executemany("INSERT INTO cadre_roster VALUES (?, ?, '县财政局', '县管', ?)", rows)
    return SourceConfig("roster", "sql", url=f"sqlite:///{path}", table="cadre_roster")


def _state(store: Warehouse) -> dict[str, pl.DataFrame]:
    return {
        layer: store.scan(layer, "roster").collect()  # lineage included: it names row versions
        for layer in ("extract", "bronze", "quarantine")
    }


def _assert_equal(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    for layer in a:
        assert_frame_equal(a[layer], b[layer], check_row_order=True)


def test_an_incremental_read_equals_a_full_read_until_a_row_is_deleted(tmp_path: Path) -> None:
    db = tmp_path / "roster.db"
    config = _roster_db(db, [("A1", "张伟", "2025-01-01 08:00:00"),
                             ("B2", "李强", "2025-01-02 08:00:00"),
                             ("D4", "赵六", None),
                             ("F6", "周八", "2024-12-01 08:00:00")])  # fmt: skip
    store = Warehouse(tmp_path / "incremental")
    ingest(ROSTER, config, store)
    first = dict(store.scan("bronze", "roster").select("人员编号", "_load_id").collect().rows())
    with sqlite3.connect(db) as conn:  # a new month upstream
        conn.execute(
            "UPDATE cadre_roster SET 姓名='张卫', 更新时间='2025-05-01 08:00:00' WHERE 人员编号='A1'"
        )
        conn.execute(
            "INSERT INTO cadre_roster VALUES ('C3', '王五', '县财政局', '县管', '2025-05-02 08:00:00')"
        )
        conn.execute(
            "UPDATE cadre_roster SET 姓名='赵陆' WHERE 人员编号='D4'"
        )  # no stamp: read every run
        conn.execute(
            "INSERT INTO cadre_roster VALUES ('E5', '孙七', '县财政局', '县管', '1999-01-01 00:00:00')"
        )
    ingest(ROSTER, config, store)
    sql = store.manifest("bronze", "roster")["extra"]["sql"]  # type: ignore[index]
    # Read: the rows stamped at or after the watermark (B2 at it: a row committed late in the
    # same second is not lost), and D4 (no stamp). E5, inserted with an old stamp, is missed
    # until a full read (the documented limit of a watermark).
    assert sql["changed_rows"] == 4 and sql["watermark"] == "2025-05-02 08:00:00"
    rows = store.scan("bronze", "roster").select("人员编号", "姓名", "_load_id").collect()
    assert rows.select("人员编号", "姓名").rows() == [
        ("A1", "张卫"), ("B2", "李强"), ("C3", "王五"), ("D4", "赵陆"), ("F6", "周八")
    ]  # fmt: skip
    loads = dict(rows.select("人员编号", "_load_id").rows())
    # Each row names the version read (table and 更新时间), whichever read brought it.
    assert loads["A1"] == "cadre_roster@2025-05-01 08:00:00" != first["A1"]
    assert loads["F6"] == first["F6"] == "cadre_roster@2024-12-01 08:00:00"
    assert loads["D4"] == "cadre_roster@-"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM cadre_roster WHERE 人员编号='E5'")
    full = Warehouse(tmp_path / "full")
    ingest(ROSTER, config, full)
    _assert_equal(_state(store), _state(full))
    with sqlite3.connect(db) as conn:  # deleted upstream: only a full read sees it
        conn.execute("DELETE FROM cadre_roster WHERE 人员编号='B2'")
    ingest(ROSTER, config, store)
    assert "B2" in store.scan("bronze", "roster").collect()["人员编号"].to_list()
    ingest(ROSTER, config, store, full_refresh=True)
    refreshed = Warehouse(tmp_path / "refreshed")
    ingest(ROSTER, config, refreshed)
    _assert_equal(_state(store), _state(refreshed))
    assert "B2" not in store.scan("bronze", "roster").collect()["人员编号"].to_list()
    assert store.manifest("bronze", "roster")["extra"]["sql"]["changed_rows"] is None  # type: ignore[index]


def test_an_unchanged_source_does_no_bronze_work(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second run of the roster and the sanctions (SQL and files) reads nothing, writes
    # nothing and never builds Great Expectations: the tables stay the versions they were.
    from assets.bronze import bronze_assets
    from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
    from quality import gx_runner
    from transforms.specs import SANCTION

    resources = {
        "sources": SourcesResource(path=str(generated / "sources.yaml")),
        "warehouse": WarehouseResource(root=str(tmp_path / "w")),
        "settings": RunSettings(as_of="2025-12-31"),
        "gx": GXResource(data_docs=False),
    }
    assets = [bronze_assets(ROSTER), bronze_assets(SANCTION)]
    assert dg.materialize(assets, resources=resources).success
    versions = sorted((tmp_path / "w" / ".versions").glob("*/*/v-*"))
    links = {p: p.resolve() for p in (tmp_path / "w").glob("*/*") if p.is_symlink()}

    def no_work(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an unchanged source was read, staged or validated again")

    monkeypatch.setattr(ingest_module, "read_source", no_work)
    monkeypatch.setattr(ingest_module, "bronze_tables", no_work)
    monkeypatch.setattr(gx_runner, "engine", no_work)
    import assets.bronze as bronze_module

    monkeypatch.setattr(bronze_module, "stage_bronze", no_work)
    again = dg.materialize(assets, resources=resources)
    assert again.success
    meta = {
        "/".join(e.asset_key.path): e.materialization.metadata
        for e in again.get_asset_materialization_events()
    }
    assert set(meta) == {
        "bronze/roster",
        "quarantine/roster",
        "bronze/sanction",
        "quarantine/sanction",
    }
    assert all(m["unchanged"].value is True for m in meta.values())
    assert all(e.passed for e in again.get_asset_check_evaluations())
    assert sorted((tmp_path / "w" / ".versions").glob("*/*/v-*")) == versions
    assert {p: p.resolve() for p in links} == links


def test_a_full_read_comes_round_every_full_refresh_days(tmp_path: Path) -> None:
    # The watermark is used until the last full read is full_refresh_days old; then (and after
    # a cleaning change, or without an extract to merge into) the source is read in full.
    from datetime import date

    from warehouse.ingest import _sql_plan

    config = _roster_db(tmp_path / "roster.db", [("A1", "张伟", "2025-01-01 08:00:00")])
    store = Warehouse(tmp_path / "w")
    ingest(ROSTER, config, store)
    manifest = store.manifest("bronze", "roster")
    fingerprint = manifest["extra"]["cleaning"]  # type: ignore[index]
    read_on = date.fromisoformat(manifest["extra"]["sql"]["full_read_on"])  # type: ignore[index]
    weekly = SourceConfig("roster", "sql", url=config.url, table=config.table, full_refresh_days=7)
    later = date.fromordinal(read_on.toordinal() + 6)
    assert _sql_plan(weekly, manifest, store, fingerprint, False, later) == "2025-01-01 08:00:00"
    week = date.fromordinal(read_on.toordinal() + 7)
    assert _sql_plan(weekly, manifest, store, fingerprint, False, week) is None
    assert _sql_plan(weekly, manifest, store, fingerprint, True, later) is None  # --full-refresh
    assert _sql_plan(weekly, manifest, store, "new cleaning code", False, later) is None


@pytest.mark.parametrize("days", ["0", "seven", "true"])
def test_full_refresh_days_must_be_a_whole_number_of_days(tmp_path: Path, days: str) -> None:
    from warehouse.sources import ConfigError, load_sources

    file = tmp_path / "sources.yaml"
    (tmp_path / "r.db").touch()
    file.write_text(
        f'roster: {{sql: "sqlite:///r.db", table: t, full_refresh_days: {days}}}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="full_refresh_days must be a whole number of days"):
        load_sources(file)
    file.write_text('roster: {sql: "sqlite:///r.db", table: t, full_refresh_days: 2}\n')
    assert load_sources(file)["roster"].full_refresh_days == 2


def test_full_refresh_names_a_sql_source_of_the_sources_file(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A typo (or a file source) stops the run before anything is read, naming the SQL sources.
    from orchestration.cli import main

    args = ["run", "--sources", str(generated / "sources.yaml"), "--warehouse", str(tmp_path)]
    assert main([*args, "--full-refresh", "audit"]) == 2
    err = capsys.readouterr().err
    assert (
        "--full-refresh audit: not a SQL source" in err and "petition, post_history, roster" in err
    )
    assert not (tmp_path / "bronze").exists()


def test_a_sql_table_without_a_stamp_is_read_but_not_cleaned_again_when_its_rows_are_the_same(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The post history (S8) has no 更新时间: every run reads it in full, and when the rows read
    # are the ones the current bronze was made from (same digest) nothing is cleaned, staged or
    # validated.
    import assets.bronze as bronze_module
    from assets.bronze import bronze_assets
    from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
    from quality import gx_runner
    from transforms.specs import POST_HISTORY

    resources = {
        "sources": SourcesResource(path=str(generated / "sources.yaml")),
        "warehouse": WarehouseResource(root=str(tmp_path / "w")),
        "settings": RunSettings(as_of="2025-12-31"),
        "gx": GXResource(data_docs=False),
    }
    assets = [bronze_assets(POST_HISTORY)]
    assert dg.materialize(assets, resources=resources).success
    reads: list[str] = []
    real_read = ingest_module.read_source
    monkeypatch.setattr(
        ingest_module, "read_source", lambda *a, **k: reads.append("read") or real_read(*a, **k)
    )

    def no_work(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the same rows were cleaned, staged or validated again")

    monkeypatch.setattr(ingest_module, "bronze_tables", no_work)
    monkeypatch.setattr(bronze_module, "bronze_tables", no_work)
    monkeypatch.setattr(bronze_module, "stage_bronze", no_work)
    monkeypatch.setattr(gx_runner, "engine", no_work)
    again = dg.materialize(assets, resources=resources)
    assert again.success and reads == ["read"]
    meta = {
        "/".join(e.asset_key.path): e.materialization.metadata
        for e in again.get_asset_materialization_events()
    }
    assert meta["bronze/post_history"]["unchanged"].value is True


def test_an_unexpected_error_while_computing_petitions_is_withheld(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The computation now runs outside the reader: an error it did not expect (whose text might
    # quote a row) is still replaced by one naming only its kind.
    import assets.bronze as bronze_module
    from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
    from transforms.specs import PETITION

    def boom(*_args: object, **_kwargs: object) -> None:
        raise ValueError("row 3: 举报人李举报 13900000001")

    monkeypatch.setattr(bronze_module, "bronze_tables", boom)
    result = dg.materialize(
        [bronze_module.bronze_assets(PETITION)],
        resources={
            "sources": SourcesResource(path=str(generated / "sources.yaml")),
            "warehouse": WarehouseResource(root=str(tmp_path / "w")),
            "settings": RunSettings(as_of="2025-12-31"),
            "gx": GXResource(data_docs=False),
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "unexpected ValueError" in failure and "李举报" not in failure


def test_a_key_written_twice_keeps_both_rows_when_one_of_them_changes(tmp_path: Path) -> None:
    # An export may hold two rows of one key (a 件号 entered twice). The merge replaces a key's rows
    # by the rows read, so the incremental read takes every row of a key that has a changed row:
    # reading only the changed one lost its twin until the next full read (bench incremental,
    # 10,000 cadres: one petition row missing).
    db = tmp_path / "roster.db"
    config = _roster_db(db, [("A1", "张伟", "2023-01-01 08:00:00"),
                             ("A1", "张伟", "2024-02-23 10:00:00"),
                             ("B2", "李强", "2025-01-02 08:00:00"),
                             (None, "无名", "2022-01-01 08:00:00")])  # fmt: skip
    store = Warehouse(tmp_path / "incremental")
    ingest(ROSTER, config, store)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE cadre_roster SET 姓名='张卫', 更新时间='2025-05-01 08:00:00' "
            "WHERE 人员编号='A1' AND 更新时间='2024-02-23 10:00:00'"
        )
    ingest(ROSTER, config, store)
    full = Warehouse(tmp_path / "full")
    ingest(ROSTER, config, full)
    _assert_equal(_state(store), _state(full))
    assert store.scan("extract", "roster").collect().height == 4


_ROW = st.tuples(
    # 人员编号: shared (A1 is A1 ), copies, none
    st.sampled_from(["A1", "A1 ", "B2", "C3", "D4", None]),
    # 姓名: a second name under a key conflicts
    st.sampled_from(["张伟", "張偉", "李强", "", None]),
    # ID: valid, bad check, malformed
    st.sampled_from(["11010519491231002X", "110105194912310021", "12345", None]),
    # 管理权限: one not a known value, one missing
    st.sampled_from(["市管", "县管", "省管", "乡管", None]),
    # 任现职时间: one day two ways, future, unreadable
    st.sampled_from(["2020-01-01", "2020/1/1", "2025-06-20", "2030-01-01", "不详", None]),
    st.sampled_from(["2025-01-01 08:00:00", "2025-05-01 08:00:00", None]),  # 更新时间
)


def _rows(drawn: list[tuple[str | None, ...]], load_id: str) -> pl.DataFrame:
    """Roster rows as a SQL reader gives them (every field text, lineage after)."""
    fields = [f.name for f in ROSTER.fields]
    given = ["人员编号", "姓名", "公民身份号码", "管理权限", "任现职时间", "更新时间"]
    frame = pl.DataFrame(drawn, schema={c: pl.String for c in given}, orient="row")
    return frame.with_columns(
        pl.lit("安平县发展和改革局").alias("单位名称"),
        *(pl.lit(None, dtype=pl.String).alias(c) for c in fields if c not in (*given, "单位名称")),
    ).select(fields).with_columns(
        pl.lit("roster.db#cadre_roster").alias("_source_file"),
        pl.lit(0, dtype=pl.Int64).alias("_source_row"),
        pl.format("{}@{}", pl.lit(load_id), pl.col("更新时间")).alias("_load_id"),
    )  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    before=st.lists(_ROW, max_size=8),
    delta=st.lists(_ROW, max_size=4),
    full_read=st.booleans(),
    later=st.sampled_from([0, 3, 400]),
)
# A row written twice (a copy: the first lands, the second is quarantined showing its text)
@example(
    before=[("A1", "张伟", None, "市管", "2020-01-01", "2025-01-01 08:00:00")] * 2
    + [("B2", "李强", None, "县管", "2020-01-01", None)],
    delta=[],
    full_read=False,
    later=0,
)
# A key written with a space (A1 is A1 ) naming another person: the two conflict (found by review:
# the unchanged row was taken and both landed)
@example(
    before=[("A1", "张伟", None, "市管", "2020-01-01", "2025-01-01 08:00:00")],
    delta=[("A1 ", "李强", None, "市管", "2020-01-01", "2025-05-01 08:00:00")],
    full_read=False,
    later=0,
)
# One day written two ways in two copies of a row: the copy shows its own text in quarantine
@example(
    before=[("B2", "李强", None, "县管", "2020/1/1", None)],
    delta=[("B2", "李强", None, "县管", "2020-01-01", None)],
    full_read=True,
    later=0,
)
def test_rows_taken_from_the_last_bronze_give_what_checking_every_row_gives(
    before: list[tuple[str | None, ...]],
    delta: list[tuple[str | None, ...]],
    full_read: bool,
    later: int,
) -> None:
    # A SQL source's rows that did not change are taken from the last bronze instead of being
    # typed and checked again; keys shared by several rows (conflicts, copies), rows held for a
    # date after the as-of date, a later as-of date, and a full read (the whole table again, a
    # deleted row among them) must give what checking every row gives.
    from datetime import date, timedelta

    from transforms.bronze import BronzeFrames, EarlierBronze, bronze_tables

    first_day = date(2025, 6, 1)
    first = bronze_tables(
        BronzeFrames(_rows(before, "r1"), pl.DataFrame(), first_day, state=_rows([], "r1"), read_at=NOW),
        ROSTER,
    )  # fmt: skip
    assert first.extract is not None
    day = first_day + timedelta(days=later)
    if full_read:  # the table read again in full: a row of before gone, the delta's rows added
        rows, state = pl.concat([_rows(before[1:], "r1"), _rows(delta, "r2")]), _rows([], "r2")
    else:
        rows, state = _rows(delta, "r2"), first.extract
    earlier = EarlierBronze(first.extract.lazy(), first.bronze.lazy(), first_day)
    made = [
        bronze_tables(BronzeFrames(rows, pl.DataFrame(), day, state=state, read_at=NOW, earlier=e), ROSTER)
        for e in (None, earlier)
    ]  # fmt: skip
    assert_frame_equal(made[0].bronze, made[1].bronze)
    assert_frame_equal(made[0].quarantine, made[1].quarantine)
    assert made[0].extract is not None and made[1].extract is not None
    assert_frame_equal(made[0].extract, made[1].extract)


def test_a_new_appointment_or_a_closed_post_changes_only_its_years_post_history(
    tmp_path: Path,
) -> None:
    from datetime import date

    from transforms.specs import POST_HISTORY

    # The post history has no 更新时间: it is read in full every run. Partitioned by the year of
    # 任职时间, read in that order, with each row named <table>@-, a month's usual changes (a new
    # appointment, a post closed) change the bytes of their year's partition only: the gate
    # validates that year and carries the others' results over by their digest. Dates in the
    # forms clerks write (2018年3月5日, 2018.05.01) sort by their year as 2021-02-01 does.
    db = tmp_path / "roster.db"
    rows = [("P1", "A01", "县财政局", "科员", "2018年3月5日", "2021-01-31", "安组干〔2018〕3号"),
            ("P2", "A02", "县教育局", "副局长", "2018.05.01", None, None),
            ("P1", "A01", "县财政局", "副局长", "2021-02-01", None, "安组干〔2021〕9号"),
            ("P3", "A03", "县卫健局", "局长", "2025.01.05", None, None),
            ("P4", "A01", "县财政局", "科员", "2023-07-01", None, None)]  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE cadre_post_history (人员编号, 单位代码, 单位名称, 职务, 任职时间, 免职时间, 任免文号)"
        )
        conn.executemany("INSERT INTO cadre_post_history VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    config = SourceConfig("post_history", "sql", url=f"sqlite:///{db}", table="cadre_post_history")
    store = Warehouse(tmp_path / "w")
    as_of = date(2025, 12, 1)

    def files() -> dict[str, str]:
        return store.manifest("bronze", "post_history")["files"]  # type: ignore[index,no-any-return]

    ingest(POST_HISTORY, config, store, as_of=as_of)
    before = files()
    assert {name.split("/")[0] for name in before} == {
        "year=2018",
        "year=2021",
        "year=2023",
        "year=2025",
    }
    with sqlite3.connect(db) as conn:  # P0 appointed on 2025-11-03; P3's post closed
        conn.execute(
            "INSERT INTO cadre_post_history VALUES ('P0', 'A03', '县卫健局', '副局长', '2025-11-03', NULL, NULL)"
        )
        conn.execute("UPDATE cadre_post_history SET 免职时间 = '2025-11-02' WHERE 人员编号 = 'P3'")
    ingest(POST_HISTORY, config, store, as_of=as_of)
    after = files()
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == [name for name in after if name.startswith("year=2025")]
    landed = store.scan("bronze", "post_history").collect()
    assert landed.height == 6 and set(landed["_load_id"]) == {"cadre_post_history@-"}
