"""The benchmark harness: child timing and the child protocol, aligned tables (no benchmark runs)."""

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.bench.harness import (
    Column,
    Table,
    child_command,
    ratio,
    save_figures,
    timed,
)

CHILD = (
    "from orchestration.bench.harness import child_main, emit; "
    "child_main({'two': lambda a, b: emit({'a': a, 'b': int(b)})})"
)
"""A child as a bench module writes one: ``child_main`` over its functions, figures by ``emit``."""


def test_timed_runs_a_child_and_keeps_what_it_printed() -> None:
    run = timed([sys.executable, "-c", "print(1)"], "print")
    assert run.seconds > 0 and run.stdout == "1\n"
    assert run.peak_mb != run.peak_mb  # NaN: a child that is not a bench prints no peak_rss_mb=
    assert run.records == []


def test_a_bench_child_reports_its_figures_then_its_peak_memory() -> None:
    run = timed([sys.executable, "-c", CHILD, "two", "x", "3"], "two")
    assert run.records == [{"a": "x", "b": 3}]
    assert run.stdout.splitlines()[-1].startswith("peak_rss_mb=")
    assert 1 < run.peak_mb < 10_000


def test_a_failing_child_stops_the_bench_with_its_stderr() -> None:
    command = [sys.executable, "-c", "import sys; sys.exit('the child broke')"]
    with pytest.raises(
        RuntimeError, match=r"bench broken at 2,000 cadres failed:\nthe child broke"
    ):
        timed(command, "broken at 2,000 cadres")


@pytest.mark.parametrize("module", ["harness", "ingest", "link", "quality", "gold", "tolerance"])
def test_every_child_command_resolves_to_a_module_with_children(module: str) -> None:
    # A renamed module or a missing `child_main` would only show in a long benchmark run.
    command = child_command(module, "no-such-child")
    assert command[:3] == [sys.executable, "-m", f"orchestration.bench.{module}"]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    assert child.returncode == 1
    assert "unknown bench child 'no-such-child'; one of " in child.stderr


def test_a_table_aligns_as_the_hand_written_formats_did() -> None:
    # The columns of `bench ingest`, and of `bench quality` (a suffixed ratio, blank cells).
    ingest = Table(
        Column("cadres", 10, ","),
        Column("phase", 22, left=True, gap=2),
        Column("seconds", 9, ".1f"),
        Column("peak MB", 9, ",.0f"),
    )
    assert ingest.header() == f"{'cadres':>10}  {'phase':<22}{'seconds':>9}{'peak MB':>9}"
    assert ingest.row(2000, "reference read", 3.44, 1234.5) == (
        f"{2000:>10,}  {'reference read':<22}{3.44:>9.1f}{1234.5:>9,.0f}"
    )
    assert ingest.aside("ours / theirs: 2.0×") == f"{'':>10}  ours / theirs: 2.0×"
    quality = Table(
        Column("table", 28, left=True),
        Column("exp.", 6),
        Column("GX/Polars", 11, ".1f", suffix="×"),
    )
    assert quality.header() == f"{'table':<28}{'exp.':>6}{'GX/Polars':>11}"
    assert quality.row("total", None, 17.25) == f"{'total':<28}{'':>6}{17.25:>10.1f}×"
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        quality.row("total", 1)


def test_ratio_of_zero_is_not_a_number_not_a_crash() -> None:
    assert ratio(3, 2) == 1.5
    assert ratio(3, 0) != ratio(3, 0)


def test_figures_are_saved_as_json_and_the_path_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save_figures(tmp_path / "new", "ingest", [{"cadres": 2000, "seconds": 1.5}])
    assert path == tmp_path / "new" / "bench-ingest.json"
    assert path.read_text() == '[\n {\n  "cadres": 2000,\n  "seconds": 1.5\n }\n]'
    assert capsys.readouterr().out == f"figures saved to {path}\n"
