"""The quality gate end to end on generated sources: defects named, bad exports held, report kept."""

import csv
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from orchestration import cli
from quality import report
from tests.conftest import run
from tests.test_pipeline import _place
from warehouse.samples import DEFECTS
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow

SANCTIONS = ("inbox", "sanctions")
ENCODING = {
    "处分决定_1.csv": "utf-8-sig",
    "处分决定_2.csv": "gb18030",
    "处分决定_3.csv": "utf-8",
    "处分决定_4.csv": "utf-8",
}

# The kind of rule each injected defect must be caught by (the generator names defects in words).
EXPECTED_RULE = {
    "impossible": (".valid_date",),
    "unknown": (".known_value",),
    "empty": (".required",),
    "no person key": ("person_key.present",),
    "ragged row": ("row.field_count",),
    "invalid JSON": ("row.valid_json",),
    "unreadable amount": (".valid_amount",),
}


def _summary(warehouse: Path) -> dict:
    summary = report.latest(warehouse)
    assert summary is not None
    return summary


def _table(summary: dict, table: str) -> dict:
    return next(t for t in summary["tables"] if t["table"] == table)


def _rows(file: Path) -> tuple[list[str], list[list[str]]]:
    with file.open(encoding=ENCODING[file.name], newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _write(file: Path, header: list[str], rows: list[list[str]]) -> None:
    with file.open("w", encoding=ENCODING[file.name], newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


def _add_sanction(sources: Path, decided: str, **values: str) -> None:
    """A new export file with one decision, copied from the last row of 处分决定_3.csv."""
    header, rows = _rows(sources.joinpath(*SANCTIONS, "处分决定_3.csv"))
    row = list(rows[-1])
    row[header.index("决定日期")] = decided
    for name, value in values.items():
        row[header.index(name)] = value
    row[header.index("事由")] = f"{row[header.index('事由')]}（{decided}）"
    _write(sources.joinpath(*SANCTIONS, "处分决定_4.csv"), header, [row])


def _warehouse_copy(baseline: Path, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse"
    shutil.copytree(baseline, target, symlinks=True)
    return target


def _version(warehouse: Path, layer: str, name: str) -> str:
    return (warehouse / layer / name).resolve().name


def test_every_injected_defect_is_named_by_a_rule_and_nothing_false_alarms(baseline, generated):
    summary = _summary(baseline)
    # A clean generated source passes every ERROR expectation and invariant.
    assert summary["errors"] == 0 and summary["blocked"] == [], summary["blocked"]
    store = Warehouse(baseline)
    with (generated / "truth" / "defects.csv").open(encoding="utf-8") as handle:
        defects = list(csv.DictReader(handle))
    assert len(defects) == len(DEFECTS) == 20
    for defect in defects:
        quarantine = store.scan("quarantine", defect["source"]).collect()
        row = quarantine.filter(
            pl.col("_source_file").str.ends_with(_place(defect["file"]))
            & (pl.col("_source_row") == int(defect["row"]))
        )
        assert row.height == 1, defect
        rules = {r["rule"] for r in row["reasons"][0]}
        wanted = next(v for k, v in EXPECTED_RULE.items() if defect["defect"].startswith(k))
        assert any(rule.endswith(w) for rule in rules for w in wanted), (defect, rules)
        reported = {
            o["check"]
            for o in _table(summary, f"bronze/{defect['source']}")["outcomes"]
            if o["kind"] == "row rule" and o["failed"] > 0
        }
        assert rules <= reported, (defect, rules, reported)
    # ID numbers whose check character fails are landed and flagged: a WARN expectation says so.
    warned = {
        (t["table"], o["check"])
        for t in summary["tables"]
        for o in t["outcomes"]
        if o["severity"] == "WARN" and not o["passed"]
    }
    assert ("bronze/audit", "公民身份号码.check_character") in warned


def test_a_blocking_failure_holds_the_partition_and_keeps_gold(baseline, sources, tmp_path):
    warehouse = _warehouse_copy(baseline, tmp_path)
    before = {
        t: _version(warehouse, *t.split("/"))
        for t in (
            "bronze/sanction",
            "quarantine/sanction",
            "silver/supervision_event",
            "gold/promotion_check",
        )
    }
    # 留党察看 for 36 months (the rules allow 12 or 24): an ERROR expectation. (A 决定日期 of
    # 2099 was the example here; it now quarantines its row instead, issue 23 point 7.)
    _add_sanction(sources, "2026-03-01", 留党察看期限="36")
    outcome = run(sources, warehouse)
    assert not outcome.success
    assert "bronze/sanction was not published" in outcome.failure
    assert "留党察看期限.months" in outcome.failure and "2026-03" in outcome.failure
    assert "36" in outcome.failure  # the offending value, as a sample
    after = {t: _version(warehouse, *t.split("/")) for t in before}
    assert after == before  # nothing of the bad export reached silver or gold
    summary = _summary(warehouse)
    assert summary["blocked"] == ["bronze/sanction"]
    held = _table(summary, "bronze/sanction")
    failed = [o for o in held["outcomes"] if not o["passed"] and o["severity"] == "ERROR"]
    assert [o["check"] for o in failed] == ["留党察看期限.months"]
    assert failed[0]["partitions"] == {"2026-03": 1}
    page = (warehouse / "reports" / "quality" / "index.html").read_text(encoding="utf-8")
    assert "已阻断" in page and "留党察看期限.months" in page


def test_a_new_month_validates_only_the_new_month(baseline, sources, tmp_path):
    warehouse = _warehouse_copy(baseline, tmp_path)
    assert run(sources, warehouse).success
    # Issue 20: a source whose inputs did not change does no work at all (nothing validated);
    # the report still shows it, as last validated, every partition carried.
    unchanged = _table(_summary(warehouse), "bronze/sanction")
    assert unchanged["validated_partitions"] == [] and unchanged["carried_partitions"]
    assert unchanged.get("carried_forward") is True
    _add_sanction(sources, "2026-10-15")
    assert run(sources, warehouse).success
    sanction = _table(_summary(warehouse), "bronze/sanction")
    assert sanction["validated_partitions"] == ["2026-10"]
    assert len(sanction["carried_partitions"]) == len(unchanged["carried_partitions"])
    # Warnings found earlier in carried partitions are still reported.
    before = {o["check"]: o["failed"] for o in unchanged["outcomes"]}
    now = {o["check"]: o["failed"] for o in sanction["outcomes"]}
    assert now["公民身份号码.check_character"] == before["公民身份号码.check_character"] > 0


def test_a_halved_source_is_held_unless_the_operator_accepts_it(baseline, sources, tmp_path):
    warehouse = _warehouse_copy(baseline, tmp_path)
    for name in ("处分决定_2.csv", "处分决定_3.csv"):
        sources.joinpath(*SANCTIONS, name).unlink()
    outcome = run(sources, warehouse)
    assert not outcome.success and "rows.within_band_of_previous" in outcome.failure
    from orchestration.runner import run_pipeline

    accepted = run_pipeline(
        sources / "sources.yaml", warehouse, log_level="WARNING", accept_drop="sanction"
    )
    assert accepted.success, accepted.failure


def test_a_corrected_re_export_replaces_its_quarantined_rows(baseline, sources, tmp_path):
    warehouse = _warehouse_copy(baseline, tmp_path)
    file = sources.joinpath(*SANCTIONS, "处分决定_1.csv")
    header, rows = _rows(file)
    rows[0][header.index("处理措施")] = "警告"  # was 罚款, not a measure
    rows[1][header.index("人员编号")] = "RY00000001"  # was no person key at all
    rows[2][header.index("决定日期")] = "2024-04-30"  # was 2024-04-31
    _write(file, header, rows)
    store = Warehouse(warehouse)
    landed = store.scan("bronze", "sanction").select(pl.len()).collect().item()
    assert run(sources, warehouse).success
    quarantine = store.scan("quarantine", "sanction").collect()
    assert quarantine.height == 0
    assert store.scan("bronze", "sanction").select(pl.len()).collect().item() == landed + 3
    sanction = _table(_summary(warehouse), "bronze/sanction")
    assert not [o for o in sanction["outcomes"] if o["kind"] == "row rule"]


def test_quality_and_quarantine_commands(baseline, capsys):
    assert cli.main(["quality", "--warehouse", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "bronze/petition" in out and "index.html" in out and "收件日期.valid_date" in out
    assert cli.main(["quality", "--warehouse", str(baseline), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["errors"] == 0
    assert cli.main(["quarantine", "--source", "sanction", "--warehouse", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "3 row(s)" in out and "[决定日期.valid_date]" in out and "处分决定_1.csv" in out
    rule = ["--rule", "person_key.present"]
    assert (
        cli.main(["quarantine", "--source", "sanction", "--warehouse", str(baseline), *rule]) == 0
    )
    assert "1 row(s)" in capsys.readouterr().out
