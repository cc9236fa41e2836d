"""Silver and gold cost what changed: a rerun on unchanged inputs carries every silver and gold
table over by reference (no new version is written), and a warehouse brought up to date run by run
holds the same bytes as one built in a single run from the final inputs.

What the store promises (:mod:`warehouse.store`): a table's partitions are Parquet files whose
SHA-256 its manifest lists, and writing the same rows gives the same bytes. So "the same" here is
the same files (path and SHA-256) and row counts, table by table, and the same version names.
"""

import dataclasses
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from orchestration.runner import run_pipeline
from tests.conftest import linked_whole
from warehouse.store import Warehouse, table_links

pytestmark = pytest.mark.slow

AS_OF = "2025-12-31"
LAYERS_HERE = ("silver", "gold")


def _run(sources: Path, warehouse: Path, as_of: str = AS_OF) -> str:
    """The run's log (Dagster's lines at INFO)."""
    outcome = run_pipeline(sources / "sources.yaml", warehouse, as_of=as_of, log_level="WARNING")
    assert outcome.success, outcome.failure
    assert outcome.log_file is not None
    return outcome.log_file.read_text(encoding="utf-8")


def _tables(warehouse: Path) -> dict[str, tuple[int, dict[str, str], str]]:
    """Each silver and gold table: its rows, its files with their SHA-256, its version name."""
    store, out = Warehouse(warehouse), {}
    for table, version in table_links(warehouse).items():
        layer, name = table.split("/")
        if layer in LAYERS_HERE:
            manifest = store.manifest(layer, name)
            assert manifest is not None
            out[table] = (manifest["rows"], manifest["files"], version.name)
    return out


def _versions(warehouse: Path) -> set[Path]:
    return {p for layer in LAYERS_HERE for p in warehouse.glob(f".versions/{layer}/*/v-*")}


def _new_month(sources: Path) -> None:
    """New petition rows, one new audit file, one changed S8 row."""
    inbox = sources / "inbox"
    with sqlite3.connect(inbox / "petition.db") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(petition)")]
        # Stamped after every row read so far, as a system stamps what it writes (a row written
        # with an older stamp is the watermark's documented limit, seen by the next full read).
        (stamp,) = conn.execute(
            "SELECT datetime(max(更新时间), '+1 second') FROM petition WHERE 更新时间 <= datetime('now')"
        ).fetchone()
        named = conn.execute(
            "SELECT 被反映人姓名, 被反映人单位 FROM petition WHERE 被反映人姓名 IS NOT NULL LIMIT 6"
        ).fetchall()
        new = [{**dict.fromkeys(columns), "件号": f"XF2026-{i:07d}", "收件日期": f"2025-12-{10 + i}",
                "被反映人姓名": name, "被反映人单位": unit, "办理结果": "办理中",
                "更新时间": stamp}
               for i, (name, unit) in enumerate(named)]  # fmt: skip
        conn.executemany(
            f"INSERT INTO petition VALUES ({', '.join('?' for _ in columns)})",
            [[r[c] for c in columns] for r in new],
        )
    audits = sorted((inbox / "audits").glob("*.csv"))
    lines = audits[-1].read_bytes().decode("gb18030").splitlines()
    fresh = [lines[0]] + [line.replace("SJ2025-", "SJ2025-9") for line in lines[1:4]]
    (inbox / "audits" / "2025年12月审计发现问题.csv").write_bytes(
        ("\n".join(fresh) + "\n").encode("gb18030")
    )
    with sqlite3.connect(inbox / "roster.db") as conn:
        changed = conn.execute(
            "UPDATE cadre_post_history SET 职务 = 职务 || '（兼）' "
            "WHERE rowid = (SELECT min(rowid) FROM cadre_post_history WHERE 职务 IS NOT NULL)"
        ).rowcount
    assert changed == 1


def _recomputed(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("a layer whose inputs did not change was computed again")


def test_a_rerun_carries_silver_and_gold_and_a_new_month_equals_a_full_build(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assets import gold
    from transforms import silver

    sources = tmp_path / "sources"
    shutil.copytree(generated, sources)
    b, c = tmp_path / "b", tmp_path / "c"
    _run(sources, b)
    first, written = _tables(b), _versions(b)
    assert {t.split("/")[0] for t in first} == set(LAYERS_HERE) and len(first) > 10

    # Nothing changed: nothing computed, the same versions, not one new version directory.
    with monkeypatch.context() as patched:
        for module, name in ((silver, "cadre_tables"), (silver, "link_tables"),
                             (gold, "gold_tables")):  # fmt: skip
            patched.setattr(module, name, _recomputed)
        _run(sources, b)
    assert _tables(b) == first
    assert _versions(b) == written

    events = b / "silver" / "supervision_event"
    files = {f.parent.name: (f.stat().st_ino, f.read_bytes()) for f in events.resolve().glob("*/data.parquet")}  # fmt: skip
    _new_month(sources)
    log = _run(sources, b)  # brought up to date
    # At the same date, gold's per-cadre tables are computed for the cadres the month touched.
    spliced = re.search(r"computed for the ([\d,]+) cadre\(s\) whose inputs changed", log)
    assert spliced is not None and 0 < int(spliced.group(1).replace(",", "")) < 100
    _run(sources, c)  # built in one run from the same inputs
    incremental, full = _tables(b), _tables(c)
    # The partitions of sources that brought nothing, none of whose records could name the
    # cadre whose post changed, are the earlier files themselves (linked, not written again);
    # so is every partition relinked into the same rows (the store finds their digest).
    now = {f.parent.name: (f.stat().st_ino, f.read_bytes()) for f in events.resolve().glob("*/data.parquet")}  # fmt: skip
    linked = {p for p, (inode, _) in now.items() if files.get(p, (0,))[0] == inode}
    same = {p for p, (_, data) in now.items() if p in files and files[p][1] == data}
    assert "source=tolerance" in linked and linked == same and len(same) < len(now)
    assert incremental.keys() == full.keys()
    for table in sorted(full):
        assert incremental[table] == full[table], table
    assert incremental["silver/supervision_event"] != first["silver/supervision_event"]
    assert incremental["silver/cadre_post"] != first["silver/cadre_post"]
    # A month that brought no assessment keeps the composite scores (the same version); one
    # S8 row keeps the cadres.
    assert incremental["gold/assessment_composite"] == first["gold/assessment_composite"]
    assert incremental["silver/cadre"][:2] == first["silver/cadre"][:2]


def test_a_changed_post_relinks_only_the_records_that_could_name_that_cadre(
    baseline: Path, sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One S8 row changes: the records that could name its cadre are linked again, the others
    keep their decision, and the result is what linking everything afresh gives."""
    from polars.testing import assert_frame_equal

    from transforms import event_links, silver
    from transforms.specs import POST_HISTORY
    from warehouse.ingest import ingest
    from warehouse.layer_inputs import cadre_inputs, event_inputs
    from warehouse.rules import load_rules
    from warehouse.sources import load_sources

    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    store = Warehouse(warehouse)
    named = (  # the cadre most records are linked to
        store.scan("silver", "supervision_event")
        .filter(pl.col("link_status") == "linked")
        .group_by("person_no")
        .len()
        .sort("len", "person_no", descending=[True, False])
        .collect()["person_no"][0]
    )
    with sqlite3.connect(sources / "inbox" / "roster.db") as conn:
        changed = conn.execute(
            "UPDATE cadre_post_history SET 任职时间 = '1990-01-01' WHERE rowid = "
            "(SELECT min(rowid) FROM cadre_post_history WHERE 人员编号 = ?)",
            (named,),
        ).rowcount
    assert changed == 1
    rules = load_rules()
    ingest(POST_HISTORY, load_sources(sources / "sources.yaml")["post_history"], store)
    read = cadre_inputs(store, rules)
    assert read.frames.cadre is not None  # only S8 changed: silver/cadre is taken as it is
    tables = silver.cadre_tables(read.frames, rules.linking)
    afresh = silver.cadre_tables(dataclasses.replace(read.frames, cadre=None), rules.linking)
    for name in ("cadre", "cadre_post", "unit_alias", "post_keys"):
        assert_frame_equal(getattr(tables, name), getattr(afresh, name))
    for name in ("cadre", "cadre_post", "unit_alias"):
        store.publish(store.stage("silver", name, getattr(tables, name)))
    decisions = sources / "link_decisions.csv"
    again = silver.link_tables(event_inputs(store, rules, decisions).frames, rules)
    whole = linked_whole(again, store)
    total = whole.height
    assert 0 < again.linked_now < total / 10 and again.reused + again.linked_now == total
    # A source none of whose records could name that cadre keeps its partition as it is.
    assert again.carried and again.events.height < total

    (warehouse / "silver" / "supervision_event").unlink()  # no earlier decisions
    full = silver.link_tables(event_inputs(store, rules, decisions).frames, rules)
    assert full.linked_now == total and not full.carried
    assert_frame_equal(whole, full.events)
    assert_frame_equal(again.review, full.review)
    # Linked in chunks of records (what memory holds at a province's scale): the same.
    monkeypatch.setattr(event_links, "LINK_CHUNK", total // 4)
    chunked = silver.link_tables(event_inputs(store, rules, decisions).frames, rules)
    assert_frame_equal(chunked.events, full.events)
    assert_frame_equal(chunked.review, full.review)
    # Each chunk's links held on disk while the others are linked (as the asset does): the same.
    with store.spill("link") as hold:
        spilled = silver.link_tables(event_inputs(store, rules, decisions).frames, rules, hold)
        assert len(list((warehouse / ".spill").glob("link-*/*.arrow"))) >= 2  # one a chunk
    assert_frame_equal(spilled.events, full.events)
    assert_frame_equal(spilled.review, full.review)
    assert not (warehouse / ".spill").exists()


def test_a_new_date_keeps_the_gold_tables_computed_without_it_and_equals_a_full_build(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nightly run's as-of date moves on every night: the tables computed without it (the
    容错 review and case library, clearance, inconsistency: ``DATELESS``) keep their versions and
    are not computed again (the case library's de-identification is gold's costliest step), and
    so do those that read it only as a cut of the events (the timeline, the composite scores:
    ``CUT``) when no event lies between the two dates; the others are computed at the new date,
    and the whole equals a build made at that date (a date with events between:
    ``test_two_dates_with_the_same_cut_give_the_same_timeline`` in test_gold). The invariants
    of a kept table are not checked again: they show what they found when it was published —
    unless the ledger does not hold that (here the case library's, taken out) or was written by
    other check code (here the clearance list's): then they are, and find the same."""
    import json

    from quality import gold_checks
    from quality.gold_checks import GOLD_INVARIANTS
    from transforms import gold
    from transforms.gold import CUT, DATELESS, TABLES

    sources = tmp_path / "sources"
    shutil.copytree(generated, sources)
    b, c, later = tmp_path / "b", tmp_path / "c", "2026-01-01"
    _run(sources, b)
    first = _tables(b)
    ledger = b / ".quality" / "ledger"

    def invariants(name: str) -> list[dict[str, object]]:
        return json.loads((ledger / f"gold.{name}.json").read_text(encoding="utf-8"))["invariants"]

    found_first = {name: invariants(name) for name in TABLES}
    for name, tamper in (("tolerance_case", "invariants"), ("clearance", "checks")):
        entry = json.loads((ledger / f"gold.{name}.json").read_text(encoding="utf-8"))
        if tamper == "invariants":
            del entry["invariants"]
        else:
            entry["checks"] = "an earlier version of the checks"
        (ledger / f"gold.{name}.json").write_text(json.dumps(entry), encoding="utf-8")
    checked: list[str] = []

    def recorded(check):  # type: ignore[no-untyped-def]
        def called(table, *args, **kwargs):  # type: ignore[no-untyped-def]
            checked.append(table)
            return check(table, *args, **kwargs)

        return called

    events = Warehouse(b).scan("silver", "supervision_event").select("source", "event_date")
    events = events.collect()
    between = events.filter(pl.col("event_date").is_between(date(2026, 1, 1), date(2026, 1, 1)))
    assert between.height == 0, "the generated events end before the later date"
    with monkeypatch.context() as patched:
        for name in (
            "tolerance_cases",
            "inconsistencies",
            "cadre_timeline",
            "assessment_composite",
        ):
            patched.setattr(gold, name, _recomputed)
        for name in ("composite_is_weighted", "nothing_inconsistent"):
            patched.setattr(gold_checks, name, _recomputed)
        for name in ("cited_events_exist", "cadres_exist", "ids_unique"):
            patched.setattr(gold_checks, name, recorded(getattr(gold_checks, name)))
        _run(sources, b, later)
    checked_again = {"gold/tolerance_case", "gold/clearance"}
    kept_names = {f"gold/{n}" for n in (*DATELESS, *CUT)} - checked_again
    assert checked_again | {"gold/cadre_profile"} <= set(checked)
    assert not kept_names & set(checked)
    for name in TABLES:  # every invariant a table declares is in its ledger, found or shown
        assert {o["check"] for o in invariants(name)} >= set(GOLD_INVARIANTS[name]), name
    for name in (*DATELESS, *CUT):  # shown as found, or found again the same
        assert invariants(name) == found_first[name], name
    _run(sources, c, later)
    moved, full = _tables(b), _tables(c)
    assert moved == full
    for name in TABLES:
        kept = moved[f"gold/{name}"] == first[f"gold/{name}"]
        assert kept == (name in DATELESS or name in CUT), name
