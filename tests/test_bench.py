"""The benchmark harness: child timing and the child protocol, aligned tables (no benchmark runs)."""

import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import polars as pl
import pytest

from orchestration.bench.harness import (
    Column,
    Table,
    child_command,
    ratio,
    save_figures,
    timed,
)
from orchestration.bench.link import _outsiders, _print_classes, _why
from orchestration.cli import parser

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


@pytest.mark.parametrize(
    "module", ["harness", "ingest", "link", "quality", "gold", "tolerance", "incremental"]
)
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


def _linked(*rows: tuple[int, str | None, str]) -> pl.DataFrame:
    """A linker's output: row number, the person linked and the status."""
    return pl.DataFrame(
        [("petition", "f", r, 0, p, s) for r, p, s in rows],
        schema=["source", "_source_file", "_source_row", "subject_index", "person_no",
                "link_status"],
        orient="row",
    )  # fmt: skip


def _truth(*rows: tuple[int, str | None, str, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        [("petition", "f", r, 0, p, c, res) for r, p, c, res in rows],
        schema=["source", "file", "row", "subject_index", "person_no", "class", "resolvable"],
        orient="row",
    )


def test_links_made_for_people_off_the_roster_are_counted_per_class() -> None:
    # Why: "outsiders linked" is a figure of its own in bench link (issue 19): a link for a
    # village cadre or an outsider, and a resolvable record whose cadre never landed.
    out = _linked((1, "RY1", "linked"), (2, "RY1", "linked"), (3, None, "review"),
                  (4, "RY2", "linked"), (5, None, "unlinked"))  # fmt: skip
    truth = _truth((1, "RY1", "current", True), (2, None, "outsider", False),
                   (3, None, "village", False), (4, None, "village", False),
                   (5, "RY9", "left_cadre", True))  # fmt: skip
    cadres = pl.DataFrame({"person_no": ["RY1", "RY2"]})
    counts, unlanded = _outsiders(out, truth, cadres)
    assert counts == {"outsider": 1, "village": 1, "all": 2}
    assert unlanded == 1  # RY9 is resolvable in the truth but not among the landed cadres


def _class(name: str, links: int, wrong: int, precision: float | None) -> dict[str, object]:
    return {"class": name, "records": 10, "resolvable": 8, "links": links, "wrong": wrong,
            "precision": precision, "recall": 0.5, "review": 1, "outsiders": 0}  # fmt: skip


def test_a_class_of_ours_below_the_floor_is_flagged_and_splinks_is_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Why: the bench exits 1 on a class of ours below precision 0.999, on any profile; Splink's
    # precision is a figure beside ours, never a failure.
    figures = {
        "run": "ok",
        "ours": {"per_class": [_class("short_unit_form", 100, 1, 0.99), _class("current", 5, 0, 1.0)]},
        "ours-noS8": {"per_class": [_class("short_unit_form", 0, 0, None)]},
        "splink": {"per_class": [_class("current", 10, 5, 0.5)]},
    }  # fmt: skip
    below = _print_classes("prefecture", 2000, figures)
    assert below == [
        "(ours) PRECISION BELOW 0.999 on profile prefecture at 2,000 cadres: class "
        "short_unit_form: 1 wrong of 100 links"
    ]
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].split()[:4] == ["class", "records", "resolv.", "P"]
    row = next(line for line in printed if line.startswith("current"))
    assert row.split()[-5:] == ["0.5000", "0.500", "1", "5", "0"]  # Splink beside ours


def test_a_linker_not_run_leaves_its_columns_blank(capsys: pytest.CaptureFixture[str]) -> None:
    # Why: `--linker ours` alone must still print the class table; Splink and ours-noS8 were
    # not run, which is not a nan (run, with nothing to score) nor a 0.
    figures = {"run": "ok", "ours": {"per_class": [_class("current", 5, 0, 1.0)]}}
    assert _print_classes("default", 2000, figures) == []
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("current"))
    assert row.split() == ["current", "10", "8", "1.0000", "0.500", "1", "0", "0"]


def test_bench_link_takes_linkers_and_refuses_an_unknown_one() -> None:
    # Why: `--linker` is repeatable and limited to the bench's linkers; `--reuse` is off unless asked.
    args = parser().parse_args(["bench", "link", "--linker", "ours", "--linker", "splink"])
    assert args.linker == ["ours", "splink"] and args.reuse is False
    assert parser().parse_args(["bench", "link", "--reuse"]).reuse is True
    with pytest.raises(SystemExit):
        parser().parse_args(["bench", "link", "--linker", "fellegi"])


def test_why_a_run_stopped_is_its_failure_line() -> None:
    # Why: a profile whose run stops is still benched; the table says why it stopped.
    stderr = "Traceback …\nSystemExit: run failed: cadre: silver/cadre_post was not published\n"
    assert _why(f"bench run at 2,000 cadres failed:\n{stderr}") == (
        "cadre: silver/cadre_post was not published"
    )


def test_bench_link_takes_profiles_and_refuses_an_unknown_one() -> None:
    # Why: `--profile` is repeatable and limited to the generator's profiles.
    args = parser().parse_args(
        ["bench", "link", "--profile", "prefecture", "--profile", "autonomous"]
    )
    assert args.profile == ["prefecture", "autonomous"]
    with pytest.raises(SystemExit):
        parser().parse_args(["bench", "link", "--profile", "shanghai"])


def test_the_memory_of_each_step_is_its_highest_sample_between_its_start_and_end() -> None:
    from datetime import datetime

    from orchestration.bench.incremental import Sampler, step_cpu, step_memory

    # Two steps from a run log as Dagster writes it, samples before, during and between them: a
    # step's peak is the highest sample inside its span (not the process's high-water mark), its
    # rise that less the last sample before it started (its first, when none came before); a step
    # no sample fell in is left out.
    def line(at: str, event: str, step: str) -> str:
        verb = "Started" if event == "STEP_START" else "Finished"
        return (f"2026-12-07 {at} - dagster - DEBUG - dajiandu - 1f - 10805 - {step} - {event} - "
                f'{verb} execution of step "{step}".')  # fmt: skip

    log = "\n".join([
        line("01:00:00,000", "STEP_START", "ingest_roster"),
        "2026-12-07 01:00:00,500 - dagster - INFO - roster: 5 rows",
        line("01:00:01,000", "STEP_SUCCESS", "ingest_roster"),
        line("01:00:02,000", "STEP_START", "gold"),
        line("01:00:03,000", "STEP_FAILURE", "gold"),
        line("01:00:04,000", "STEP_START", "serving_db"),
        line("01:00:04,010", "STEP_SUCCESS", "serving_db"),
    ])  # fmt: skip
    at = lambda t: datetime.strptime(f"2026-12-07 01:00:{t}", "%Y-%m-%d %H:%M:%S.%f").timestamp()  # noqa: E731
    samples = [(at("00.0"), 90.0), (at("00.2"), 300.0), (at("00.9"), 250.0),
               (at("01.5"), 280.0), (at("02.4"), 200.0), (at("05.0"), 900.0)]  # fmt: skip
    assert step_memory(log, samples) == {"ingest_roster": [300.0, 210.0], "gold": [200.0, -80.0]}
    # A step's CPU: the last sample up to its end less the last one before it started (its first
    # when none came before).
    cpu = [(t, mb, c) for (t, mb), c in zip(samples, [1.0, 1.5, 3.0, 3.25, 7.0, 9.0], strict=True)]
    assert step_cpu(log, cpu) == {"ingest_roster": 2.0, "gold": 3.75}
    assert step_memory(log, cpu) == step_memory(log, samples)
    # The sampler reads this process's resident memory and CPU time.
    sampler = Sampler(every=0.01)
    sampler.start()
    while not sampler.samples:  # its first sample, then some CPU for it to see
        time.sleep(0.001)
    busy = time.process_time() + 0.1
    while time.process_time() < busy:
        pass
    sampler.done.wait(0.05)
    sampler.done.set()
    sampler.join()
    assert sampler.samples and all(mb > 10 for _, mb, _ in sampler.samples)
    assert sampler.samples[-1][2] > sampler.samples[0][2]


def test_a_new_month_run_equals_a_full_rebuild_and_the_check_sees_one_byte(
    baseline, sources, tmp_path
) -> None:
    import shutil

    from orchestration.bench.incremental import differences, new_month
    from tests.conftest import run

    # The bench's own steps at small scale: the baseline warehouse (a run on these sources) gets
    # the new month's sources; a run into an empty warehouse on the same sources must equal it.
    incremental = tmp_path / "incremental"
    shutil.copytree(baseline, incremental, symlinks=True)
    changes = new_month(sources / "sources.yaml")
    assert changes["petitions_new"] >= 3 and changes["inspection_findings"] > 0
    assert run(sources, incremental).success
    assert run(sources, tmp_path / "full").success
    assert differences(incremental, tmp_path / "full") == []
    # The check cannot pass vacuously: one byte of one table's file changed is found and named.
    version = (tmp_path / "full" / "gold" / "warning").resolve()
    data = sorted(version.rglob("*.parquet"))[0]
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    found = differences(incremental, tmp_path / "full")
    assert found == [f"gold/warning: {data.relative_to(version).as_posix()} differs"]
    # The serving databases: the incremental one loaded by delta, compared row by row.
    with closing(sqlite3.connect(tmp_path / "full" / "serving.db")) as conn, conn:
        conn.execute("UPDATE cadre_timeline SET outcome = 'x' WHERE rowid = 7")
    found = differences(incremental, tmp_path / "full")
    assert found[1:] == ["serving cadre_timeline: rows differ"]


def test_a_bronze_table_carried_from_an_earlier_day_equals_one_cleaned_today(tmp_path) -> None:
    # Why: the next-day phase carries an unchanged source's bronze, whose manifest keeps the date
    # it was cleaned at; the full rebuild cleans it today. The rows are the same; anything else
    # in a manifest (or the date of another layer's table) still counts.
    import json

    from orchestration.bench.incremental import _same_file

    def manifest(name: str, table: str, **extra: object) -> Path:
        path = tmp_path / name / "_manifest.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"table": table, "extra": extra}), encoding="utf-8")
        return path

    old = manifest("a", "bronze/roster", as_of="2026-12-05", inputs="x")
    assert _same_file(old, manifest("b", "bronze/roster", as_of="2026-12-06", inputs="x"))
    assert not _same_file(old, manifest("c", "bronze/roster", as_of="2026-12-06", inputs="y"))
    gold = manifest("d", "gold/warning", as_of="2026-12-05")
    assert not _same_file(gold, manifest("e", "gold/warning", as_of="2026-12-06"))


def test_serving_databases_compare_a_column_empty_in_its_first_thousand_rows(tmp_path) -> None:
    # Why: ADBC types a column by its first 1,024 rows; a profile's bar_until NULL in all of them
    # (the autonomous profile's sample) was typed as a number and the comparison crashed on its
    # first date. Equal databases compare equal; one date changed after the NULLs is found.
    from orchestration.bench.incremental import serving_differences

    def database(name: str, last: str, published: str) -> Path:
        path = tmp_path / name
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("CREATE TABLE cadre_profile (person_no TEXT, bar_until DATE, "
                         "events INTEGER, published_at TEXT)")  # fmt: skip
            rows = [(f"RY{i:05d}", None, i, published) for i in range(1_500)]
            conn.executemany("INSERT INTO cadre_profile VALUES (?, ?, ?, ?)", rows)
            conn.execute(
                "INSERT INTO cadre_profile VALUES ('RY99999', ?, NULL, ?)", (last, published)
            )
        return path

    one = database("one.db", "2027-01-01", "2026-12-06T10:00:00")
    assert serving_differences(one, database("same.db", "2027-01-01", "2026-12-07T10:00:00")) == []
    other = database("other.db", "2027-01-02", "2026-12-06T10:00:00")
    assert serving_differences(one, other) == ["serving cadre_profile: rows differ"]
