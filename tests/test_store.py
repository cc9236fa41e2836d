"""The warehouse store: staged writes, atomic publish, identical bytes for identical rows."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from warehouse.store import Warehouse, WarehouseError

FRAME = pl.DataFrame(
    {"k": ["a", "b", "c"], "month": ["2024-01", "2024-02", "2024-01"], "v": [1, 2, 3]}
)


def test_partitioned_write_reads_back(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    staged = store.stage("bronze", "t", FRAME, partition_by="month", partition_key="month")
    assert staged.partitions == {"month=2024-01": 2, "month=2024-02": 1}
    store.publish(staged)
    back = store.scan("bronze", "t").collect().sort("k")
    assert back.select("k", "v").rows() == [("a", 1), ("b", 2), ("c", 3)]
    assert back["month"].to_list() == ["2024-01", "2024-02", "2024-01"]


def test_same_rows_give_the_same_version_and_bytes(tmp_path: Path) -> None:
    one, two = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    first = one.stage("bronze", "t", FRAME, partition_by="month")
    second = two.stage("bronze", "t", FRAME, partition_by="month")
    assert first.path.name == second.path.name
    for file in first.path.rglob("*.parquet"):
        assert file.read_bytes() == (second.path / file.relative_to(first.path)).read_bytes()


def test_a_kept_partition_is_the_earlier_file_and_gives_the_version_writing_it_would(
    tmp_path: Path,
) -> None:
    # Why: the link keeps the partition of a source whose records all kept their decision (4M
    # of 4.8M events at 1,000,000 cadres): linked, not written again, yet the same version as
    # a full write, so a full rebuild and an incremental run agree; a kept file that rotted
    # since its manifest was written must not be published under a digest of its rot.
    store, whole = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    store.publish(store.stage("silver", "t", FRAME, "month", "month"))
    changed = FRAME.with_columns(v=pl.col("v") * 10)
    kept = store.partition_files("silver", "t", ["2024-02", "2099-01"])
    assert list(kept) == ["2024-02"]  # no partition, nothing to keep
    newer = changed.filter(pl.col("month") != "2024-02")
    staged = store.stage("silver", "t", newer, "month", "month", keep=kept)
    full = whole.stage("silver", "t", changed.with_columns(
        v=pl.when(pl.col("month") == "2024-02").then(pl.col("v") // 10).otherwise("v")),
        "month", "month")  # fmt: skip
    assert staged.path.name == full.path.name and staged.partitions == full.partitions
    manifest = (staged.path / "_manifest.json").read_text()
    assert manifest == (full.path / "_manifest.json").read_text()  # the kept rows' digest too
    earlier = kept["2024-02"].file
    file = staged.path / "month=2024-02" / "data.parquet"
    assert file.stat().st_ino == earlier.stat().st_ino and kept["2024-02"].rows == 1
    # Only kept partitions (every record as it was), and a kept file that rotted since: written
    # over, cut short (checked before anything reads it) or gone.
    only = store.stage("silver", "t", newer.head(0), "month", "month", keep=kept)
    assert only.partitions == {"month=2024-02": 1}
    os.chmod(earlier, 0o644)
    with earlier.open("r+b") as rotten:
        rotten.write(b"XXXX")
    with pytest.raises(WarehouseError, match="damaged"):
        store.stage("silver", "t", newer, "month", "month", keep=kept)
    os.truncate(earlier, 10)
    with pytest.raises(WarehouseError, match="damaged"):
        store.stage("silver", "t", newer, "month", "month", keep=kept)
    for linked in (earlier, file, only.path / "month=2024-02" / "data.parquet"):
        linked.unlink()
    with pytest.raises(WarehouseError, match="is gone"):
        store.stage("silver", "t", newer, "month", "month", keep=kept)
    assert not list((tmp_path / "a" / ".versions" / "silver" / "t").glob(".staging-*"))


def test_the_same_rows_staged_again_link_the_current_file_and_any_change_writes(
    tmp_path: Path,
) -> None:
    # Why: a table whose inputs changed often comes out with the same rows (silver/cadre and
    # post_keys when one S8 row's document changed, at 1,000,000 cadres 60 MB written again a
    # night). Its file is linked from the current version when the rows' digest is the one the
    # current manifest records, and the version is still what writing would give; a change
    # anywhere (a value, -0.0 for 0.0, a null for "", a type, the order) writes, and so does a
    # current file that rotted.
    store, whole = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    frame = pl.DataFrame({"k": ["a", "b", ""], "x": [0.0, 1.5, None], "n": [[1], [], None]})
    store.publish(store.stage("silver", "t", frame, extra={"inputs": "one"}))
    earlier = store.table_path("silver", "t").resolve() / "data.parquet"
    again = store.stage("silver", "t", frame, extra={"inputs": "two"})
    assert (again.path / "data.parquet").stat().st_ino == earlier.stat().st_ino
    written = whole.stage("silver", "t", frame, extra={"inputs": "two"})
    assert again.path.name == written.path.name
    assert (again.path / "_manifest.json").read_text() == (
        written.path / "_manifest.json"
    ).read_text()
    changes = [
        frame.with_columns(x=pl.Series([-0.0, 1.5, None])),
        frame.with_columns(k=pl.Series(["a", "b", None])),
        frame.with_columns(pl.col("n").cast(pl.List(pl.Int32))),
        frame.reverse(),
        frame.with_columns(n=pl.Series([[1], None, None])),
    ]
    for changed in changes:
        staged = store.stage("silver", "t", changed, extra={"inputs": "two"})
        assert (staged.path / "data.parquet").stat().st_ino != earlier.stat().st_ino
        assert (
            staged.path.name
            == whole.stage("silver", "t", changed, extra={"inputs": "two"}).path.name
        )
    nan = frame.with_columns(x=pl.Series([0.0, float("nan"), None]))  # NaNs differ in bits
    store.publish(store.stage("silver", "t", nan, extra={"inputs": "one"}))
    before = store.table_path("silver", "t").resolve() / "data.parquet"
    after = store.stage("silver", "t", nan, extra={"inputs": "two"}).path / "data.parquet"
    assert after.stat().st_ino != before.stat().st_ino
    store.publish(store.stage("silver", "t", frame, extra={"inputs": "one"}))
    earlier = store.table_path("silver", "t").resolve() / "data.parquet"
    os.chmod(earlier, 0o644)
    with earlier.open("r+b") as rotten:
        rotten.write(b"XXXX")
    rewritten = store.stage("silver", "t", frame, extra={"inputs": "three"})
    assert (rewritten.path / "data.parquet").stat().st_ino != earlier.stat().st_ino
    assert (
        rewritten.path.name
        == whole.stage("silver", "t", frame, extra={"inputs": "three"}).path.name
    )


def test_an_unpublished_stage_leaves_the_current_table(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    store.publish(store.stage("bronze", "t", FRAME))
    staged = store.stage("bronze", "t", FRAME.head(1))  # e.g. a check then fails
    store.discard(staged)
    assert store.scan("bronze", "t").collect().height == 3
    assert not staged.path.exists()


def test_a_failed_write_leaves_no_staging_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Warehouse(tmp_path)
    store.publish(store.stage("bronze", "t", FRAME))

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("warehouse.store._write_parquet", disk_full)
    with pytest.raises(WarehouseError, match="bronze/t: cannot write in .*No space left"):
        store.stage("bronze", "t", FRAME.head(1))
    assert store.scan("bronze", "t").collect().height == 3
    assert not list((tmp_path / ".versions" / "bronze" / "t").glob(".staging-*"))


def test_pieces_are_appended_in_order_to_one_file_the_same_every_time(tmp_path: Path) -> None:
    # A table too large for memory is staged from a generator of pieces (gold/cadre_timeline).
    def pieces() -> Iterator[pl.DataFrame]:
        yield FRAME.head(2)
        yield FRAME.tail(1)

    one, two = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    first, second = one.stage("gold", "t", pieces()), two.stage("gold", "t", pieces())
    assert first.rows == 3 and first.partitions == {"all": 3}
    assert first.scan().collect().equals(FRAME)
    assert pq.ParquetFile(first.path / "data.parquet").num_row_groups == 2  # one per piece
    assert first.path.name == second.path.name
    assert (first.path / "data.parquet").read_bytes() == (second.path / "data.parquet").read_bytes()


def test_a_piece_that_fails_leaves_no_staging_behind(tmp_path: Path) -> None:
    # The second piece fails while the first is being written on the writer thread.
    def pieces() -> Iterator[pl.DataFrame]:
        yield FRAME
        raise pl.exceptions.ComputeError("the second piece cannot be computed")

    store = Warehouse(tmp_path)
    store.publish(store.stage("gold", "t", FRAME.head(1)))
    with pytest.raises(pl.exceptions.ComputeError, match="second piece"):
        store.stage("gold", "t", pieces())
    assert store.scan("gold", "t").collect().height == 1
    assert not list((tmp_path / ".versions" / "gold" / "t").glob(".staging-*"))
    with pytest.raises(ValueError, match="nothing to write"):
        store.stage("gold", "t", iter([]))
    with pytest.raises(ValueError, match="cannot be partitioned"):
        store.stage("gold", "t", [FRAME], partition_by="month")


def test_publish_swaps_a_link_and_keeps_a_few_old_versions(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    for n in range(1, 6):
        store.publish(store.stage("bronze", "t", FRAME.head(n)))
    link = store.table_path("bronze", "t")
    assert (
        link.is_symlink() and store.scan("bronze", "t").collect().height == 3
    )  # FRAME.head(5) has 3 rows
    assert len(list((tmp_path / ".versions" / "bronze" / "t").glob("v-*"))) <= 3


def test_a_real_directory_in_the_way_is_an_error(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    os.makedirs(store.table_path("bronze", "t"))
    with pytest.raises(WarehouseError, match="real directory"):
        store.publish(store.stage("bronze", "t", FRAME))


def test_reading_a_table_never_written_is_named(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="bronze/nope does not exist"):
        Warehouse(tmp_path).scan("bronze", "nope")


# ----------------------------------------------------------------- one swap for a whole run


def _links(root: Path) -> dict[str, Path]:
    from warehouse.store import table_links

    return table_links(root)


def _run_over(tmp_path: Path) -> tuple[Warehouse, dict[str, Path]]:
    """A warehouse whose first run committed bronze/t and gold/g; the links it left."""
    from warehouse.store import RunSnapshot

    first = RunSnapshot(tmp_path, "first")
    first.store.publish(first.store.stage("bronze", "t", FRAME))
    first.store.publish(first.store.stage("gold", "g", FRAME.head(1)))
    assert first.commit() == ["bronze/t", "gold/g"]
    return Warehouse(tmp_path), _links(tmp_path)


def test_a_run_reads_its_own_tables_and_publishes_every_layer_at_once(tmp_path: Path) -> None:
    # A failed run published table after table (28 new tables while the message said "the last
    # good warehouse is unchanged"). Now a run publishes into its own snapshot: the assets
    # downstream read the new tables there, readers see none of them until one swap at the end.
    from warehouse.store import RunSnapshot

    store, before = _run_over(tmp_path)
    run = RunSnapshot(tmp_path, "second")
    run.store.publish(run.store.stage("bronze", "t", FRAME.head(2)))
    assert run.store.scan("bronze", "t").collect().height == 2  # downstream sees the new bronze
    assert store.scan("bronze", "t").collect().height == 3  # readers still see the old one
    run.store.publish(run.store.stage("gold", "g", FRAME.head(2)))
    assert _links(tmp_path) == before and run.changed() == ["bronze/t", "gold/g"]
    assert run.commit() == ["bronze/t", "gold/g"]
    assert store.scan("bronze", "t").collect().height == 2
    assert store.scan("gold", "g").collect().height == 2
    assert (tmp_path / "gold").is_symlink() and os.readlink(tmp_path / "gold") == ".current/gold"


def test_an_aborted_run_leaves_every_table_and_removes_what_it_wrote(tmp_path: Path) -> None:
    # The other half of the swap: a run that fails anywhere leaves the whole previous
    # warehouse, and the versions only it wrote do not stay behind.
    from warehouse.store import RunSnapshot

    store, before = _run_over(tmp_path)
    run = RunSnapshot(tmp_path, "failing")
    staged = run.store.stage("bronze", "t", FRAME.head(2))
    run.store.publish(staged)
    run.abort()
    assert _links(tmp_path) == before and store.scan("bronze", "t").collect().height == 3
    assert not staged.path.exists() and not run.path.exists()
    for version in before.values():
        assert version.is_dir()


def test_a_commit_without_room_refuses_in_one_line_and_changes_nothing(tmp_path: Path) -> None:
    # With 6 MB free the serving database and catalog failed after every table was published.
    # The commit checks free space against what is still to be written, before the swap.
    from warehouse.store import MB, RunSnapshot, free_bytes

    _, before = _run_over(tmp_path)
    run = RunSnapshot(tmp_path, "too-big")
    run.store.publish(run.store.stage("bronze", "t", FRAME.head(2)))
    too_much = free_bytes(tmp_path) + 10 * MB
    with pytest.raises(
        WarehouseError, match=r"not published .*: need [\d,.]+ MB, [\d,.]+ MB free on /"
    ):
        run.commit(need_after=too_much)
    assert _links(tmp_path) == before and not run.committed


def test_a_killed_run_leaves_a_snapshot_the_next_cleans(tmp_path: Path) -> None:
    # A run killed before its commit leaves its snapshot and the versions it staged; the next
    # run (under the lock) removes both and keeps every current table.
    from warehouse.integrity import clean_leftovers
    from warehouse.store import RunSnapshot

    store, before = _run_over(tmp_path)
    dead = RunSnapshot(tmp_path, "killed")
    staged = dead.store.stage("gold", "g", FRAME.head(2))
    dead.store.publish(staged)  # and then the process dies
    assert clean_leftovers(store) == 1
    assert not dead.path.exists() and not staged.path.exists()
    assert _links(tmp_path) == before and store.scan("gold", "g").collect().height == 1


def test_a_warehouse_of_real_layer_folders_moves_to_snapshots(tmp_path: Path) -> None:
    # Warehouses written before snapshots had real layer folders of table links (tools still
    # publish one table that way): the first run's commit takes them over, tables unchanged.
    from warehouse.store import RunSnapshot

    store = Warehouse(tmp_path)
    store.publish(store.stage("bronze", "t", FRAME))
    store.publish(store.stage("silver", "s", FRAME.head(1)))
    assert (tmp_path / "bronze").is_dir() and not (tmp_path / "bronze").is_symlink()
    before = _links(tmp_path)
    run = RunSnapshot(tmp_path, "first-with-snapshots")
    assert run.store.scan("silver", "s").collect().height == 1
    assert run.commit() == []
    assert _links(tmp_path) == before and (tmp_path / "bronze").is_symlink()
    assert store.scan("bronze", "t").collect().height == 3
    assert not list(tmp_path.glob(".bronze.*"))


def test_a_tool_publishing_one_table_after_a_run_swaps_it_in_the_current_snapshot(
    tmp_path: Path,
) -> None:
    # Outside a run (tools, benches) one table is still published alone; <root>/bronze is then
    # a link into the current snapshot, and the table link must resolve from where it lies.
    store, _ = _run_over(tmp_path)
    store.publish(store.stage("bronze", "t", FRAME.head(2)))
    assert store.scan("bronze", "t").collect().height == 2
    copy = tmp_path.parent / f"{tmp_path.name}-copy"
    shutil.copytree(tmp_path, copy, symlinks=True)  # relative links: a copy is a warehouse
    assert Warehouse(copy).scan("bronze", "t").collect().height == 2


def test_an_earlier_version_is_found_by_what_it_holds_and_never_when_damaged(
    tmp_path: Path,
) -> None:
    # The case library finds the bronze rows its cases were made from by their files' digests,
    # not by a version name (a full rebuild names its versions otherwise). A kept version whose
    # file was damaged is not used: the library is then made again, as from nothing.
    store = Warehouse(tmp_path / "wh")
    first = store.stage("bronze", "audit", pl.DataFrame({"x": [1, 2]}))
    store.publish(first)
    files = store.manifest("bronze", "audit")["files"]  # type: ignore[index]
    store.publish(store.stage("bronze", "audit", pl.DataFrame({"x": [3]})))
    found = store.scan_content("bronze", "audit", files)
    assert found is not None and found.collect()["x"].to_list() == [1, 2]
    assert store.scan_content("bronze", "audit", {"data.parquet": "0" * 64}) is None
    assert store.scan_content("bronze", "audit", {}) is None
    (first.path / "data.parquet").write_bytes(b"damaged")
    assert store.scan_content("bronze", "audit", files) is None


def test_a_spill_reads_back_what_it_was_given_and_is_gone_when_the_block_ends(
    tmp_path: Path,
) -> None:
    # A computation's intermediate frames wait on disk (the link's chunks at a province's
    # scale); the files are removed when the block ends, also when it fails.
    store = Warehouse(tmp_path)
    with store.spill("t") as hold:
        held = [hold(FRAME), hold(FRAME.filter(pl.col("v") > 1))]
        assert len(list((tmp_path / ".spill").glob("t-*/*.arrow"))) == 2
        assert pl.concat(held).collect().equals(pl.concat([FRAME, FRAME.filter(pl.col("v") > 1)]))
    assert not (tmp_path / ".spill").exists()
    with pytest.raises(RuntimeError), store.spill("t") as hold:
        hold(FRAME)
        raise RuntimeError("the computation failed")
    assert not (tmp_path / ".spill").exists()
