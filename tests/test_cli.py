"""The dajiandu command: exit codes and messages a data engineer sees."""

import importlib
import re
from pathlib import Path

import pytest

from orchestration.cli import main


def test_run_prints_a_summary_with_zero_rows_lost(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--sources",
            str(generated / "sources.yaml"),
            "--warehouse",
            str(tmp_path / "w"),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "rows lost: 0" in out
    for source in (
        "roster",
        "petition",
        "inspection",
        "audit",
        "assessment",
        "sanction",
        "tolerance",
    ):
        assert f"\n{source} " in out
    assert "check character fails" in out  # flagged ID numbers are reported, not hidden
    assert re.search(
        r"events: [\d,]+ \(one per record and person named\): linked [\d,]+, for review", out
    )


def test_a_broken_sources_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sources.yaml").write_text("rosters: {files: x}\n", encoding="utf-8")
    code = main(
        ["run", "--sources", str(tmp_path / "sources.yaml"), "--warehouse", str(tmp_path / "w")]
    )
    assert code == 2
    assert "rosters: unknown source" in capsys.readouterr().err


def test_a_failing_source_exits_1_and_says_the_warehouse_is_unchanged(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sources / "inbox" / "roster.db").unlink()
    code = main(
        [
            "run",
            "--sources",
            str(sources / "sources.yaml"),
            "--warehouse",
            str(tmp_path / "w"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "last good warehouse is unchanged" in err
    assert re.search(
        r"source roster \(sqlite:///.*/inbox/roster\.db#cadre_roster\): database file .* does not exist",
        err,
    )


def test_a_bad_as_of_date_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", "--sources", "s.yaml", "--warehouse", str(tmp_path), "--as-of", "2025-02-30"])
    assert caught.value.code == 2


def test_a_negative_bench_volume_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # bench gold --events repeats silver events to exactly N; -5 would silently cut rows off.
    with pytest.raises(SystemExit) as caught:
        main(["bench", "gold", "--events", "-5"])
    assert caught.value.code == 2
    assert "--events wants a whole number" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["ingest", "link", "quality", "gold", "deid", "tolerance"])
def test_every_bench_parses_its_help_and_has_its_module(
    what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # `dajiandu bench <what>` imports `orchestration.bench.<what>.bench_<what>` only when run.
    with pytest.raises(SystemExit) as caught:
        main(["bench", what, "--help"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: dajiandu bench {what} ")
    module = importlib.import_module(f"orchestration.bench.{what}")
    assert callable(getattr(module, f"bench_{what}"))


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert (
            main(["generate", "--out", str(tmp_path / name), "--cadres", "120", "--seed", "3"]) == 0
        )
    for file in (tmp_path / "a").rglob("*"):
        if file.is_file() and file.suffix in (".csv", ".jsonl", ".yaml", ".db"):
            assert (
                file.read_bytes()
                == (tmp_path / "b" / file.relative_to(tmp_path / "a")).read_bytes()
            ), file


def test_a_broken_rule_file_stops_the_run_before_it_starts(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from warehouse.rules import DEFAULT_RULES

    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    path = rules / "warning_rules.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",count,petition,", ",tally,petition,", 1),
        encoding="utf-8",
    )
    warehouse = tmp_path / "w"
    code = main(
        [
            "run",
            "--sources",
            str(generated / "sources.yaml"),
            "--warehouse",
            str(warehouse),
            "--rules",
            str(rules),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "warning_rules.csv, line 3: kind must be one of" in err
    assert not warehouse.exists()  # nothing was read or written
