"""Input and faults the sample generator never makes (issue 10): each test reproduces one thing a
new user met on the landed code — a crash, a leak, a silent wrong answer, a warehouse that could
not heal, a report that misled — and checks what happens now."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from orchestration.cli import main
from tests.conftest import files_containing, small_tmpfs
from transforms.specs import SPECS
from warehouse.lock import WarehouseLock
from warehouse.samples import PETITION_COLUMNS
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow

REPORTER = ("黎明远", "13907714321", "450102198001011234")
"""A reporter planted in inputs below: none of these values may appear in anything a run writes."""


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _run_cli(capsys, sources: Path, warehouse: Path, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return _cli(capsys, "run", "--sources", str(sources / "sources.yaml"), "--warehouse",
                str(warehouse), "--quiet", *extra)  # fmt: skip


def _sources_yaml(sources: Path, **entries: str) -> None:
    lines = [f"{key}: {value}" for key, value in entries.items()]
    (sources / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


ROSTER = '{sql: "sqlite:///inbox/roster.db", table: cadre_roster}'


# ------------------------------------------------------------------------------------ crashes


def test_a_row_breaking_several_rules_keeps_every_reason(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # One row with an unknown 处理措施, an unreadable 留党察看期限 and an impossible 决定日期:
    # the reasons' explode crashed every source (ShapeError) as soon as a row had two.
    victim = sources / "inbox" / "sanctions" / "处分决定_3.csv"
    with victim.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    rows[5][header.index("处理措施")] = "罚款"
    rows[5][header.index("留党察看期限")] = "半年"
    rows[5][header.index("决定日期")] = "2024-02-31"
    with victim.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    code, out, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 0, err
    assert "from the post history (S8" in out
    quarantine = Warehouse(tmp_path / "w").scan("quarantine", "sanction").collect()
    row = quarantine.filter(pl.col("_source_row") == 7).row(0, named=True)
    assert len(row["reasons"]) == 3, row["reasons"]
    code, out, _ = _cli(capsys, "quarantine", "--source", "sanction", "--warehouse",
                        str(tmp_path / "w"), "--rule", "决定日期.valid_date")  # fmt: skip
    assert code == 0 and "row 7" in out and "留党察看期限.valid_number" in out


def test_sources_with_no_data_yet_are_empty_tables(sources: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # Every date-partitioned source left out, or matching no file: the run crashed on the
    # missing partition column ("month", "year"); now they are empty tables with every column.
    _sources_yaml(sources, roster=ROSTER, sanctions='{files: "inbox/nothing-yet/*.csv"}')
    code, out, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 0, err
    store = Warehouse(tmp_path / "w")
    for name, spec in SPECS.items():
        if name == "roster":
            continue
        frame = store.scan("bronze", name).collect()
        assert frame.height == 0, name
        assert spec.partition is None or spec.partition[1] in frame.columns, name
        assert f"\n{name} " in out and "(no data yet)" in out
    assert "linking: current posts only" in out  # no S8: the summary says what linking lacks


def test_a_workbook_with_one_cell_at_the_far_corner_is_refused_by_name(
    sources: Path, tmp_path: Path
) -> None:
    # An 8 KB workbook whose one stray cell sits at XFD1048576: calamine asked for 512 GB and
    # aborted the process (exit 134) naming no file. Run in a child: an abort must not take the
    # test process with it.
    book = sources / "inbox" / "inspections" / "2025年第9轮巡察问题清单.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("问题清单")
    sheet.write_row(0, 0, ["轮次", "被巡察单位", "问题编号", "责任人"])
    sheet.write_row(1, 0, ["2025年第9轮", "安平县财政局", "WT9", ""])
    sheet.write_string(1048575, 16383, " ")
    workbook.close()
    assert book.stat().st_size < 10_000
    child = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--sources", str(sources / "sources.yaml"),
         "--warehouse", str(tmp_path / "w"), "--quiet"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert child.returncode == 1, child.stderr[-2000:]
    assert "Traceback" not in child.stderr
    assert (
        f"source inspection ({book}): cannot read workbook: sheet '问题清单' spans 16,384 columns × 1,048,576 rows"
        in child.stderr
    )


# ------------------------------------------------------------------------- leaks through side doors


def _petitions_as_files(sources: Path) -> Path:
    folder = sources / "inbox" / "petitions"
    folder.mkdir()
    _sources_yaml(sources, roster=ROSTER, petitions='{files: "inbox/petitions/*"}')
    return folder


def _petition_row(number: str) -> dict[str, str]:
    row = dict.fromkeys(PETITION_COLUMNS, "")
    row.update({"件号": number, "收件日期": "2025-03-02", "来源渠道": "来信", "办理结果": "不实",
                "举报人姓名": REPORTER[0], "举报人联系电话": REPORTER[1], "举报人身份证号": REPORTER[2],
                "被反映人姓名": "张伟", "被反映人单位": "安平县财政局", "问题摘要": "反映工作作风问题"})  # fmt: skip
    return row


def _assert_no_reporter_anywhere(*roots: Path) -> None:
    hits = {}
    for root in roots:
        hits |= files_containing(root, list(REPORTER))
    assert hits == {}


def test_a_petition_export_without_its_header_names_columns_not_values(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # Exported without the header row: the error quoted "header found: <the first data row>",
    # the reporter's name, phone and ID, on stderr and in Dagster's run storage.
    folder = _petitions_as_files(sources)
    rows = [list(_petition_row(f"XF2025-{n:07d}").values()) for n in range(3)]
    with (folder / "信访.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, out, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 1
    assert "missing required column(s) 件号、收件日期、办理结果; the header row found has" in err
    assert "the header row may be missing" in err
    for value in REPORTER:
        assert value not in out + err
    _assert_no_reporter_anywhere(tmp_path / "w")


def test_a_petition_line_that_is_a_json_array_keeps_no_raw_text(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # A JSONL petition line that is an array (a row exported positionally) kept its raw text,
    # reporter values included, in quarantine.
    folder = _petitions_as_files(sources)
    good = _petition_row("XF2025-0000001")
    lines = [
        json.dumps(good, ensure_ascii=False),
        json.dumps(list(good.values()), ensure_ascii=False),
    ]
    (folder / "信访.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 0, err
    quarantine = Warehouse(tmp_path / "w").scan("quarantine", "petition").collect()
    assert quarantine.select("_source_row", "reason", "raw").rows() == [
        (2, "not a JSON object", "(withheld)")
    ]
    _assert_no_reporter_anywhere(tmp_path / "w")


def test_a_link_or_glob_leading_out_of_the_inbox_is_refused(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # An inbox symlink to /etc/passwd was followed and its first line echoed in the error; a
    # glob like ../../x/*.csv read files anywhere.
    os.symlink("/etc/passwd", sources / "inbox" / "sanctions" / "处分决定_9.csv")
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 1
    assert "处分决定_9.csv): refused: it resolves outside" in err
    assert "root:" not in err  # nothing of the file is echoed
    _sources_yaml(sources, roster=ROSTER, sanctions='{files: "../../x/*.csv"}')
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 2 and "sources stay inside the folder of sources.yaml" in err
    _sources_yaml(sources, roster=ROSTER, sanctions='{files: "../../x/*.csv", allow_outside: true}')
    code, _, err = _run_cli(capsys, sources, tmp_path / "fresh")
    assert code == 0, err  # said on purpose: allowed (and nothing matches there)


# --------------------------------------------------------------------------------- silent wrongness


def test_a_utf8_row_inside_a_gb18030_file_is_read_as_utf8(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # A UTF-8 row pasted into a GB18030 export decoded (陈海 → 闄堟捣) and landed as mojibake.
    victim = sources / "inbox" / "sanctions" / "处分决定_2.csv"  # the GB18030 one
    row = ["陈海", "", "RY00000007", "组织处理", "诫勉", "", "2025-05-06", "县委组织部", "事由", ""]
    victim.write_bytes(victim.read_bytes() + (",".join(row) + "\r\n").encode("utf-8"))
    code, out, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 0, err
    names = Warehouse(tmp_path / "w").scan("bronze", "sanction").collect()["姓名"].to_list()
    assert "陈海" in names and "闄堟捣" not in names
    assert "lines in UTF-8 inside a GB18030 file" in out


def test_two_people_under_one_person_number_are_quarantined_not_merged(
    sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # Two different people exported under one 人员编号: the later row won and the other's
    # records counted on his profile.
    import sqlite3

    with sqlite3.connect(sources / "inbox" / "roster.db") as conn:
        first = conn.execute("SELECT * FROM cadre_roster WHERE 人员编号 = 'RY00000010'").fetchone()
        other = list(first)
        other[1], other[5] = "欧阳修远", None  # another name, no ID number
        marks = ", ".join("?" for _ in other)
        conn.execute(f"INSERT INTO cadre_roster VALUES ({marks})", other)
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 0, err
    store = Warehouse(tmp_path / "w")
    quarantine = store.scan("quarantine", "roster").collect()
    held = quarantine.filter(
        pl.col("reason").str.contains("'RY00000010' is held by rows naming different people")
    )
    assert held.height == 2
    assert (
        store.scan("silver", "cadre").filter(pl.col("person_no") == "RY00000010").collect().height
        == 0
    )


def test_an_empty_roster_fails_the_run_naming_it(sources: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # An empty roster gave a green run with every event unlinked.
    import sqlite3

    with sqlite3.connect(sources / "inbox" / "roster.db") as conn:
        conn.execute("DELETE FROM cadre_roster")
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 1
    assert "silver/cadre was not published" in err and "rows.roster_present" in err
    assert "0 cadres from sqlite:///" in err


def test_an_as_of_date_in_the_future_is_a_usage_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # --as-of 2031-06-30 was accepted silently.
    with pytest.raises(SystemExit) as caught:
        main(["run", "--sources", "s.yaml", "--warehouse", str(tmp_path), "--as-of", "2031-06-30"])
    assert caught.value.code == 2
    assert "--as-of 2031-06-30 is in the future" in capsys.readouterr().err


# --------------------------------------------------------------------- a warehouse that heals


def _versions(warehouse: Path) -> dict[str, str]:
    return {f"{layer}/{link.name}": link.resolve().name
            for layer in ("bronze", "quarantine", "silver", "gold")
            for link in sorted((warehouse / layer).iterdir())}  # fmt: skip


def _table_bytes(warehouse: Path) -> dict[str, bytes]:
    return {str(f.relative_to(warehouse)): f.read_bytes()
            for layer in ("bronze", "quarantine", "silver", "gold")
            for f in sorted((warehouse / layer).glob("*/**/*.parquet"))}  # fmt: skip


def _rot(warehouse: Path, how: str) -> str:
    victim = {"truncate": ("silver", "cadre"), "flip": ("gold", "cadre_profile"),
              "remove": ("bronze", "sanction")}[how]  # fmt: skip
    files = sorted((warehouse / victim[0] / victim[1]).resolve().rglob("*.parquet"))
    file = files[-1]
    data = file.read_bytes()
    if how == "truncate":
        file.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        middle = len(data) // 2
        file.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:
        file.unlink()
    return f"{victim[0]}/{victim[1]}"


@pytest.mark.parametrize("how", ["truncate", "flip", "remove"])
def test_a_rotten_file_is_found_named_and_rebuilt(
    how: str, baseline: Path, generated: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # A published Parquet file that rotted was reported fine by `dajiandu quality`; the next run
    # failed with a bare "parquet: File out of specification", and reruns never repaired it.
    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    clean_versions, clean_bytes = _versions(warehouse), _table_bytes(warehouse)
    table = _rot(warehouse, how)
    code, out, _ = _cli(capsys, "verify", "--warehouse", str(warehouse))
    assert code == 1 and f"{table} (v-" in out
    assert {"truncate": "SHA-256 differs", "flip": "SHA-256 differs", "remove": "missing"}[
        how
    ] in out
    code, out, _ = _cli(capsys, "quality", "--warehouse", str(warehouse))
    assert code == 1 and "DAMAGED" in out
    code, _, err = _run_cli(capsys, generated, warehouse)
    assert code == 0, err
    assert _cli(capsys, "verify", "--warehouse", str(warehouse))[0] == 0
    assert _versions(warehouse) == clean_versions
    assert _table_bytes(warehouse) == clean_bytes


def test_a_killed_run_is_marked_failed_and_its_leftovers_removed(
    generated: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # A run killed during a write left .staging-* folders forever and stayed STARTED in Dagster.
    import dagster as dg

    warehouse = tmp_path / "w"
    child = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--sources", str(generated / "sources.yaml"),
         "--warehouse", str(warehouse), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 300
    staging: list[Path] = []
    while time.time() < deadline and child.poll() is None and not staging:
        staging = list(warehouse.glob(".versions/*/*/.staging-*"))
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert staging, "the child was killed while it was writing a table"
    code, _, err = _run_cli(capsys, generated, warehouse)
    assert code == 0, err
    assert not list(warehouse.glob(".versions/*/*/.staging-*"))
    with dg.DagsterInstance.from_config(str(warehouse / ".dagster")) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]


def test_a_second_run_on_a_held_warehouse_says_who_holds_it(
    generated: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # Two runs at once both reported success while the last writer won table by table.
    warehouse = tmp_path / "w"
    with WarehouseLock(warehouse, "run-holding-it"):
        code, _, err = _run_cli(capsys, generated, warehouse)
    assert code == 1
    assert f"warehouse {warehouse.resolve()} is in use by run run-holding-it (host " in err
    assert f"pid {os.getpid()}, started 20" in err and "+08:00" in err
    # A lock left by a process that died is free: the next run takes it over.
    (warehouse / ".lock").write_text(
        json.dumps({"run_id": "dead", "host": "h", "pid": 1, "started": "x"})
    )
    code, _, err = _run_cli(capsys, generated, warehouse)
    assert code == 0, err


def test_a_post_ending_before_it_began_fails_by_name_without_a_stack(  # type: ignore[no-untyped-def]
    sources: Path, tmp_path: Path, capsys
) -> None:
    # An S8 row whose 免职时间 is before its 任职时间 holds bronze/post_history (the intervals
    # every link is judged by). Dagster's console logger printed the step's Python stack beside
    # the named check: it read as a crash. The stack stays in the event log, not on the console.
    import sqlite3

    with sqlite3.connect(sources / "inbox" / "roster.db") as conn:
        conn.execute(  # a post begun after 2001 (the rows are in order of 任职时间)
            "UPDATE cadre_post_history SET 免职时间 = '2001-01-01' WHERE rowid = (SELECT min(rowid)"
            " FROM cadre_post_history WHERE 任职时间 LIKE '2010-%' AND 人员编号 <> '')"
        )
    code, _, err = _run_cli(capsys, sources, tmp_path / "w")
    assert code == 1 and "免职时间.not_before_任职时间" in err and "a post cannot end before" in err
    assert "Stack Trace" not in err and 'File "' not in err and "Traceback" not in err
    # The failure is said once: table, file, row and problem, then where the full log is; no
    # Dagster error class names, no "Dependencies for step … were not executed: ['gold', …]".
    assert "dagster._core" not in err and "Dependencies for step" not in err
    assert err.count("a post cannot end before") == 1
    assert re.search(
        r"rows: roster\.db#cadre_post_history row \d+ \(免职时间 / 任职时间: 2001-01-01", err
    )
    last = err.strip().splitlines()[-1]
    assert last.startswith("full log: ") and Path(last.removeprefix("full log: ")).is_file()


def test_a_full_disk_is_one_clear_line(generated: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # A full disk gave a raw traceback ("database or disk is full") instead of the run-failed line.
    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        code, _, err = _run_cli(capsys, generated, disk / "w")
    assert code == 1
    # (Since runs check free space first, 4 MB is refused before anything is written.)
    assert "need 8.0 MB, 4.0 MB free on" in err and "the last good warehouse is unchanged" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------ reports that mislead


def test_reports_say_what_really_happened(
    baseline: Path, sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from quality.report import latest

    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    # A rerun on unchanged inputs showed its carried checks as 0 / 0.
    code, _, err = _run_cli(capsys, sources, warehouse)
    assert code == 0, err
    summary = latest(warehouse)
    assert summary is not None and summary["status"] == "succeeded"
    assert "+08:00" in summary["started"]  # CST, not UTC
    audit = next(t for t in summary["tables"] if t["table"] == "bronze/audit")
    assert audit["validated_partitions"] == [] and audit["carried_partitions"]
    assert all(o["checked"] > 0 and o["checked_earlier"] == o["checked"]
               for o in audit["outcomes"] if o["kind"] == "expectation")  # fmt: skip
    page = (warehouse / "reports" / "quality" / "index.html").read_text(encoding="utf-8")
    assert "（北京时间）" in page and "UTC" not in page
    # GX's page of a published table said "Status: Failed" because a WARN expectation failed.
    docs = sorted((warehouse / "reports" / "quality" / "docs").glob("*/bronze.audit.html"))
    assert docs and "Failed" not in docs[-1].read_text(encoding="utf-8").split("Expectation")[0]
    # After a failed run, the summary still printed "quality: 0 blocking failure(s)".
    (sources / "inbox" / "roster.db").unlink()
    code, out, err = _run_cli(capsys, sources, warehouse)
    assert code == 1
    assert "quality: run FAILED;" in out
    summary = latest(warehouse)
    assert summary is not None and summary["status"] == "failed"
    assert any("ingest_roster: source roster" in line for line in summary["failures"])
    code, out, _ = _cli(capsys, "quality", "--warehouse", str(warehouse))
    assert "the run FAILED" in out and "failed: ingest_roster" in out


# ------------------------------------------------------------------------ passwords in URLs


def test_a_password_with_an_unencoded_at_never_shows(sources: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # A password with an unencoded '@' (postgres:Zq7@Xk9vR@127.0.0.1): SQLAlchemy split it at the
    # first '@', masked "Zq7" and showed "Xk9vR@127.0.0.1" as the host — in the error, the
    # Dagster event log and the quality report. The roster is read from PostgreSQL here (trust
    # authentication: the password is not checked, only whether it shows).
    import sqlalchemy as sa

    server = os.environ.get(
        "DAJIANDU_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    roster = pl.read_database(
        "SELECT * FROM cadre_roster",
        sa.create_engine(f"sqlite:///{sources / 'inbox' / 'roster.db'}"),
    )
    table = f"roster_{os.getpid()}_{time.monotonic_ns() % 10**8}"
    engine = sa.create_engine(server, connect_args={"connect_timeout": 5})
    try:
        roster.write_database(table, engine)
    except sa.exc.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL server: {error.orig}")
        pytest.skip(f"no PostgreSQL server: {error.orig}")
    url = sa.make_url(server)
    secret = f"{url.drivername}://{url.username}:Zq7@Xk9vR@{url.host}:{url.port}/{url.database}"
    text = (sources / "sources.yaml").read_text(encoding="utf-8")
    roster_line = next(line for line in text.splitlines() if line.startswith("roster:"))
    (sources / "sources.yaml").write_text(
        text.replace(roster_line, f'roster: {{sql: "{secret}", table: {table}}}'), encoding="utf-8"
    )
    try:
        code, out, err = _run_cli(capsys, sources, tmp_path / "w")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    assert code == 0, err  # the whole password reaches the server, the host is the host
    assert "Zq7" not in out + err and "Xk9vR" not in out + err
    store = Warehouse(tmp_path / "w")
    lineage = store.scan("bronze", "roster").select("_source_file").head(1).collect().item()
    assert (
        lineage
        == f"{url.drivername}://{url.username}:***@{url.host}:{url.port}/{url.database}#{table}"
    )
    # nowhere in the warehouse: the Dagster storage (.dagster), the quality report, the tables
    assert files_containing(tmp_path / "w", ["Zq7", "Xk9vR"]) == {}
