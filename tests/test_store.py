"""The warehouse store: staged writes, atomic publish, identical bytes for identical rows."""

import os
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
