"""The ingest core (no Dagster): incremental reuse of unchanged files, conservation."""

import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest

from transforms import bronze as bronze_module
from transforms.specs import SANCTION
from warehouse import ingest as ingest_module
from warehouse.ingest import ConservationError, ingest
from warehouse.sources import load_sources
from warehouse.store import Warehouse


def _bytes(store: Warehouse, layer: str, name: str) -> dict[str, str]:
    root = store.table_path(layer, name).resolve()
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def _add_sanction_file(sources: Path, name: str = "处分决定_9.csv") -> None:
    header = "姓名,公民身份号码,人员编号,处理类别,处理措施,留党察看期限,决定日期,决定机关,事由,影响期截止"
    rows = [
        "张伟,,RY00000001,组织处理,诫勉,,2026-01-05,县委组织部,事由,",
        "李四,,RY00000002,问责,通报,,2026-13-01,县纪委,事由,",
    ]
    (sources / "inbox" / "sanctions" / name).write_text(
        "\n".join([header, *rows]) + "\n", encoding="utf-8"
    )


def test_a_new_file_costs_a_new_file_and_gives_the_bytes_of_a_full_rebuild(
    sources: Path, tmp_path: Path
) -> None:
    store = Warehouse(tmp_path / "incremental")
    first = ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    assert first.reused_files == 0
    _add_sanction_file(sources)
    second = ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    assert second.reused_files == 3  # the three generated files are not parsed again
    assert second.rows_read == first.rows_read + 2
    assert second.quarantined == first.quarantined + 1  # the new file's impossible date
    full = Warehouse(tmp_path / "full")
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], full)
    for layer in ("bronze", "quarantine"):
        assert _bytes(store, layer, "sanction") == _bytes(full, layer, "sanction")


def test_a_changed_file_is_read_again(sources: Path, tmp_path: Path) -> None:
    store = Warehouse(tmp_path / "w")
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    victim = sorted((sources / "inbox" / "sanctions").iterdir())[2]
    victim.write_text(
        victim.read_text(encoding="utf-8")
        + "王五,,RY09999003,组织处理,诫勉,,2026-01-05,部,事由,\n",
        encoding="utf-8",
    )
    report = ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    assert report.reused_files == 2
    landed = store.scan("bronze", "sanction").filter(pl.col("人员编号") == "RY09999003").collect()
    assert landed.height == 1


def test_new_cleaning_code_reads_everything_again(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Warehouse(tmp_path / "w")
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    monkeypatch.setattr(ingest_module, "cleaning_fingerprint", lambda _spec: "changed")
    report = ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    assert report.reused_files == 0


def test_a_removed_file_takes_its_rows_with_it(sources: Path, tmp_path: Path) -> None:
    store = Warehouse(tmp_path / "w")
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    gone = sorted((sources / "inbox" / "sanctions").iterdir())[0]
    shutil.move(gone, tmp_path / gone.name)
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    files = (
        store.scan("bronze", "sanction")
        .select("_source_file")
        .unique()
        .collect()
        .to_series()
        .to_list()
    )
    assert f"inbox/sanctions/{gone.name}" not in files and len(files) == 2


def test_rows_lost_between_read_and_write_stop_the_publish(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Warehouse(tmp_path / "w")
    ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    before = _bytes(store, "bronze", "sanction")
    real = bronze_module.bronze_rows
    monkeypatch.setattr(
        bronze_module, "bronze_rows", lambda annotated, spec: real(annotated, spec).slice(1)
    )
    monkeypatch.setattr(ingest_module, "cleaning_fingerprint", lambda _spec: "changed")
    with pytest.raises(
        ConservationError, match="source sanction: rows lost or invented, nothing published"
    ):
        ingest(SANCTION, load_sources(sources / "sources.yaml")["sanction"], store)
    assert _bytes(store, "bronze", "sanction") == before


def test_a_new_month_of_petitions_links_only_the_new_month(
    baseline: Path, sources: Path, tmp_path: Path
) -> None:
    import sqlite3

    from polars.testing import assert_frame_equal

    from tests.conftest import linked_whole
    from transforms.silver import link_tables
    from transforms.specs import EVENT_SOURCES, PETITION
    from warehouse.layer_inputs import event_inputs
    from warehouse.rules import load_rules

    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    with sqlite3.connect(sources / "inbox" / "petition.db") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(petition)")]
        new = [{**dict.fromkeys(columns), "件号": f"XF2026-{i:07d}", "收件日期": "2026-01-1" + str(i), "被反映人姓名": name,
                "被反映人单位": "安平县财政局", "办理结果": "办理中", "更新时间": "2026-01-20 10:00:00"}
               for i, name in enumerate(["张三", "李四", "王五"])]  # fmt: skip
        conn.executemany(
            f"INSERT INTO petition VALUES ({', '.join('?' for _ in columns)})",
            [[r[c] for c in columns] for r in new],
        )
    store = Warehouse(warehouse)
    ingest(PETITION, load_sources(sources / "sources.yaml")["petition"], store)
    rules, decisions = load_rules(), sources / "link_decisions.csv"
    before = store.scan("silver", "supervision_event").select(pl.len()).collect().item()
    report = link_tables(event_inputs(store, rules, decisions).frames, rules)
    assert report.linked_now == 3 and report.reused == before  # the new month only
    # The other sources' partitions stand as they are: not joined, sorted or written again.
    assert set(report.carried) == set(EVENT_SOURCES) - {"petition"}
    # ...and their records in review keep their candidates in the queue (compared below).
    assert report.review.filter(pl.col("source").is_in(report.carried)).height > 0
    whole = linked_whole(report, store)
    full_copy = tmp_path / "full"
    shutil.copytree(warehouse, full_copy, symlinks=True)
    (full_copy / "silver" / "supervision_event").unlink()  # no earlier decisions: link everything
    full = link_tables(event_inputs(Warehouse(full_copy), rules, decisions).frames, rules)
    assert full.linked_now == before + 3
    assert_frame_equal(whole, full.events)
    assert_frame_equal(report.review, full.review)
