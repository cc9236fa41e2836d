"""The whole pipeline, end to end, on generated sources: conservation, quarantine, protection, atomicity."""

import csv
import hashlib
import shutil
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import files_containing, run
from transforms.specs import SPECS
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow


def _bronze_fingerprint(warehouse: Path) -> dict[str, str]:
    """Every bronze and quarantine file (through the table links) with its SHA-256."""
    out = {}
    for layer in ("bronze", "quarantine"):
        for link in sorted((warehouse / layer).iterdir()):
            for file in sorted(link.resolve().rglob("*.parquet")):
                out[f"{layer}/{link.name}/{file.relative_to(link.resolve())}"] = hashlib.sha256(
                    file.read_bytes()
                ).hexdigest()
    return out


def _place(file: str) -> str:
    """A file or table named without the folder the sources happen to sit in."""
    path, _, table = file.partition("#")
    return Path(path).name + (f"#{table}" if table else "")


def test_every_source_lands_and_no_row_is_lost(baseline: Path) -> None:
    store = Warehouse(baseline)
    for name in SPECS:
        landed = store.scan("bronze", name).select(pl.len()).collect().item()
        quarantined = store.scan("quarantine", name).select(pl.len()).collect().item()
        manifest = (baseline / "bronze" / name).resolve() / "_manifest.json"
        assert landed > 0 and manifest.exists(), name
        assert quarantined > 0, f"{name}: the generator injects defects into every source"


def test_every_injected_defect_and_nothing_else_is_quarantined(
    baseline: Path, generated: Path
) -> None:
    with (generated / "truth" / "defects.csv").open(encoding="utf-8") as handle:
        injected = {(r["source"], _place(r["file"]), int(r["row"])) for r in csv.DictReader(handle)}
    store = Warehouse(baseline)
    found = set()
    for name in SPECS:
        rows = (
            store.scan("quarantine", name)
            .select("source", "_source_file", "_source_row", "reason")
            .collect()
        )
        assert rows["reason"].null_count() == 0 and (rows["reason"] != "").all()
        found |= {(s, _place(f), r) for s, f, r, _ in rows.iter_rows()}
    assert found == injected


def test_bad_id_numbers_are_landed_and_flagged(baseline: Path) -> None:
    audit = Warehouse(baseline).scan("bronze", "audit").collect()
    statuses = set(audit["公民身份号码_状态"].drop_nulls().to_list())
    assert {"valid", "bad_check"} <= statuses


def test_reporter_values_never_leave_extraction(baseline: Path, generated: Path) -> None:
    # Every file a run writes (bronze, quarantine, silver, gold, reports, logs, .dagster/) is
    # scanned for the reporters' values and for every value the generator wrote into a
    # petition's 问题摘要 (the reporter's own name, phone and ID in several forms, other phones,
    # e-mails, bank cards, a co-reporter after a cue), as written and width-normalised.
    with (generated / "truth" / "reporters.csv").open(encoding="utf-8") as handle:
        reporters = [v for row in csv.DictReader(handle) for v in row.values() if v]
    assert len(reporters) > 30
    with (generated / "truth" / "planted.csv").open(encoding="utf-8") as handle:
        planted = [r for r in csv.DictReader(handle) if r["source"] == "petition"]
    kinds = {r["kind"] for r in planted}
    assert {"reporter", "phone", "person", "email", "bank_card"} <= kinds, kinds
    assert any(unicodedata.normalize("NFKC", r["written"]) != r["written"] for r in planted)
    reporters += [r["written"] for r in planted]
    reporters += [unicodedata.normalize("NFKC", r["written"]) for r in planted]
    accused = Warehouse(baseline).scan("bronze", "petition").select("被反映人姓名").collect()
    control = accused.to_series().drop_nulls()[0]
    assert files_containing(baseline, [control])  # the scan sees inside every kind of file
    hits = files_containing(baseline, reporters)
    assert hits == {}


def test_a_second_run_gives_identical_bytes(
    baseline: Path, generated: Path, tmp_path: Path
) -> None:
    before = _bronze_fingerprint(baseline)
    again = tmp_path / "again"
    shutil.copytree(baseline, again, symlinks=True)
    assert run(generated, again).success
    assert _bronze_fingerprint(again) == before
    fresh = tmp_path / "fresh"
    assert run(generated, fresh).success
    assert _bronze_fingerprint(fresh) == before


def _break_missing_database(inbox: Path) -> str:
    (inbox / "petition.db").unlink()
    return r"source petition \(sqlite:///.*petition\.db#petition\): database file .* does not exist"


def _break_corrupt_workbook(inbox: Path) -> str:
    victim = sorted((inbox / "inspections").iterdir())[2]
    victim.write_bytes(victim.read_bytes()[:300])
    return rf"source inspection \(.*{victim.name}\): cannot open workbook"


def _break_wrong_encoding(inbox: Path) -> str:
    victim = sorted((inbox / "audits").iterdir())[1]
    victim.write_bytes(victim.read_bytes() + b"\x81\x20\xff\xfe\x80\x80\r\n")
    return rf"source audit \(.*{victim.name}\): cannot decode text: not UTF-8 and not GB18030"


def _break_missing_column(inbox: Path) -> str:
    victim = sorted((inbox / "sanctions").iterdir())[2]
    text = victim.read_text(encoding="utf-8").replace("处理措施", "措施", 1)
    victim.write_text(text, encoding="utf-8")
    return rf"source sanction \(.*{victim.name}\): missing required column\(s\) 处理措施"


def _break_empty_file(inbox: Path) -> str:
    victim = inbox / "tolerance" / "容错纠错认定.xlsx"
    victim.write_bytes(b"")
    return rf"source tolerance \(.*{victim.name}\): empty file"


@pytest.mark.parametrize(
    "breakage",
    [
        _break_missing_database,
        _break_corrupt_workbook,
        _break_wrong_encoding,
        _break_missing_column,
        _break_empty_file,
    ],
    ids=lambda f: f.__name__.removeprefix("_break_"),
)
def test_bad_input_fails_clearly_and_leaves_the_last_good_warehouse(
    breakage, baseline: Path, sources: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    before = _bronze_fingerprint(warehouse)
    pattern = breakage(sources / "inbox")
    outcome = run(sources, warehouse)
    assert not outcome.success
    assert outcome.failure is not None
    import re

    assert re.search(pattern, outcome.failure), outcome.failure
    assert _bronze_fingerprint(warehouse) == before


CONTRACT = ["source", "source_key", "subject_name", "cadre_id", "person_no", "link_method", "link_score",
            "event_date", "category", "counts_against"]  # fmt: skip


def test_supervision_events_meet_the_contract_and_the_quality_bar(
    baseline: Path, generated: Path
) -> None:
    from transforms.link_quality import evaluate

    store = Warehouse(baseline)
    events = store.scan("silver", "supervision_event").collect()
    assert set(CONTRACT) <= set(events.columns)
    assert events["event_id"].is_unique().all()
    assert set(events["source"].unique()) == {
        "inspection",
        "audit",
        "petition",
        "assessment",
        "sanction",
        "tolerance",
    }
    linked = events.filter(pl.col("link_status") == "linked")
    assert (
        linked["person_no"].null_count() == 0 and (linked["cadre_id"] == linked["person_no"]).all()
    )
    cadres = store.scan("silver", "cadre").collect()
    assert cadres["person_no"].is_unique().all()
    metrics = evaluate(
        events.lazy(), pl.scan_parquet(generated / "truth" / "links.parquet"), cadres.lazy()
    )
    overall = metrics.filter(pl.col("source") == "all").row(0, named=True)
    assert overall["precision"] >= 0.995 and overall["recall"] >= 0.95, metrics
    assert metrics["homonym_links"].sum() == 0


def test_a_reviewed_decision_survives_reruns(baseline: Path, sources: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    review = Warehouse(warehouse).scan("silver", "link_review").collect()
    assert review.height > 0, (
        "the generated sources always hold some records only a person can resolve"
    )
    pick = review.row(0, named=True)
    decisions = pl.DataFrame(
        {
            "source": [pick["source"]], "source_key": [pick["source_key"]], "subject_name": [pick["subject_name"]],
            "decision": [pick["candidate_person_no"]], "decided_by": ["审核员"], "note": ["核实于2026-11"],
        }
    )  # fmt: skip
    decisions.write_csv(sources / "link_decisions.csv")
    for _ in range(2):  # applied on this run and on every later one
        assert run(sources, warehouse).success
        events = Warehouse(warehouse).scan("silver", "supervision_event").collect()
        row = events.filter(
            (pl.col("source") == pick["source"])
            & (pl.col("source_key") == pick["source_key"])
            & (pl.col("subject_name") == pick["subject_name"])
        ).row(0, named=True)
        assert (row["person_no"], row["link_method"], row["link_status"]) == (
            pick["candidate_person_no"],
            "manual",
            "linked",
        )


def test_link_bench_runs_both_linkers_on_the_same_data(baseline: Path, generated: Path) -> None:
    """The benchmark's two linkers work and are scored alike (figures come from `dajiandu bench link`)."""
    pytest.importorskip("splink", reason="the bench extra (splink) is not installed")
    from orchestration.bench.link import run_ours, run_splink
    from transforms.link_quality import evaluate

    truth = pl.scan_parquet(generated / "truth" / "links.parquet")
    for runner in (run_ours, run_splink):
        out, cadres, spent = runner(baseline)
        overall = (
            evaluate(out.lazy(), truth, cadres.lazy())
            .filter(pl.col("source") == "all")
            .row(0, named=True)
        )
        assert spent.seconds > 0 and spent.cpu_seconds > 0 and overall["records"] > 100
        assert overall["precision"] >= 0.99, (runner.__name__, overall)


def test_link_bench_reuses_a_kept_warehouse_and_runs_only_the_linker_asked_for(
    baseline: Path, generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Why: at 1,000,000 cadres generating and running take half an hour; `--reuse --linker ours`
    # re-times our linker alone on the warehouse a previous bench made (issue 19).
    import json

    from orchestration.bench.link import SAMPLE_RECORD, bench_link
    from tests.conftest import SMALL

    root = tmp_path / str(SMALL)
    root.mkdir()
    (root / "sources").symlink_to(generated)
    (root / "warehouse").symlink_to(baseline)
    made = {"cadres": SMALL, "seed": 11, "profile": "default", "run": "ok"}
    (root / SAMPLE_RECORD).write_text(json.dumps(made))
    assert bench_link([SMALL], tmp_path, seed=11, linkers=["ours"], reuse=True) == 0
    printed = capsys.readouterr().out
    assert f"reusing {root} (run: ok)" in printed
    rows = [line.split() for line in printed.splitlines() if line.strip().startswith(str(SMALL))]
    assert [row[1] for row in rows] == ["ours"]  # neither ours-noS8 nor Splink ran
    assert "CPU seconds;" in printed and "load average" in printed
    assert (root / "sources").is_symlink() and (root / "warehouse").is_symlink()  # not remade
    saved = json.loads((tmp_path / "bench-link.json").read_text())[0]
    assert saved["run"] == "ok" and "splink" not in saved and saved["ours"]["cpu_seconds"] > 0


def test_link_stages_say_where_the_memory_goes(
    baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Why: issue 19 asks what the linker's memory is spent on at 1,000,000 cadres; the stages
    # child names each stage link() collects, with its peak and the frames it made.
    import json

    from orchestration.bench.link import stages

    stages(str(baseline))
    said = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["stage"] for s in said] == [
        "evidence", "deterministic", "joined", "candidates", "decided",
    ]  # fmt: skip
    mentions = said[0]["frames"]["mentions"]["rows"]
    assert mentions > 100 and said[-1]["frames"]["decided"]["rows"] == mentions
    assert said[1]["frames"]["deterministic"]["rows"] == mentions
    for s in said:
        assert 0 < s["rss_mb"] <= s["peak_mb"] + 1 and s["seconds"] >= 0
        assert all(f["mb"] >= 0 and f["bytes_per_row"] > 0 for f in s["frames"].values())
    # With COPIES, as the scale child: every event of the six sources, repeated, and the review queue.
    stages(str(baseline), "2")
    scaled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events = scaled[0]["frames"]["mentions"]["rows"]
    assert events > 2 * mentions and events % 2 == 0
    assert scaled[-1]["frames"]["decided"]["rows"] == events
    assert scaled[-1]["frames"]["review"]["rows"] > 0


def test_every_cadre_gets_a_promotion_check_with_cited_reasons(baseline: Path) -> None:
    store = Warehouse(baseline)
    check = store.scan("gold", "promotion_check").collect()
    cadres = store.scan("silver", "cadre").select("person_no").collect()
    assert sorted(check["person_no"].to_list()) == sorted(cadres["person_no"].to_list())
    barred = check.filter(pl.col("barred"))
    assert barred.height > 0, "the generated sanctions and grades bar somebody"
    reasons = barred.select(pl.col("reasons").explode()).unnest("reasons")
    assert reasons["rule_id"].null_count() == 0 and reasons["article"].null_count() == 0
    known = set(
        store.scan("silver", "supervision_event").select("event_id").collect()["event_id"].to_list()
    )
    assert set(reasons["event_id"].to_list()) <= known  # every reason traces to an event


def test_warnings_and_tolerance_pairs_are_true_on_generated_data(
    baseline: Path, generated: Path
) -> None:
    # Issue #15 against the generator's truth: the latest inspection round is fed back in autumn
    # 2026 with deadlines into 2027, one finding in ten has no 整改时限, and about half the 容错
    # decisions review an earlier measure of the same cadre (with decoys on other matters).
    from transforms.warning_quality import overdue_quality, pair_quality

    store = Warehouse(baseline)
    as_of = store.scan("gold", "promotion_check").select("as_of").first().collect().item()
    events = store.scan("silver", "supervision_event")
    findings = pl.scan_csv(generated / "truth" / "findings.csv", infer_schema=False)
    overdue = overdue_quality(store.scan("gold", "warning"), events, findings, as_of)
    assert overdue["warned"] == overdue["truly_overdue"] > 0 and overdue["warned_false"] == 0
    pairs = pl.scan_csv(generated / "truth" / "tolerance_pairs.csv", infer_schema=False)
    found = pair_quality(store.scan("gold", "tolerance_review"), events, pairs)
    assert found["true_pairs"] > 0 and found["recall"] == 1.0 and found["decoys_listed"] == 0, found
