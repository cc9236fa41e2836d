"""The readers' boundary (issue 23 points 7–8, issue 19 point 6): a row that can be quarantined
never holds its source, and the same fact written with invisible differences is the same fact.

Each test reproduces one probe a new user made on the landed code — with the demo's data and a
small hand-made change — and checks what happens now. Fast: readers and the ingest core, no
Dagster; one end-to-end run checks the messages a data engineer reads."""

import json
import sqlite3
import unicodedata
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from quality.row_rules import quarantine_outcomes, reader_outcomes
from transforms import normalize as nz
from transforms.cleaning import annotate, bronze_rows, quarantine_rows
from transforms.specs import AUDIT, ROSTER, SANCTION
from warehouse.clock import today
from warehouse.ingest import ingest
from warehouse.readers import read_source
from warehouse.samples import ROSTER_COLUMNS, SANCTION_COLUMNS
from warehouse.sources import SourceConfig, SourceError
from warehouse.store import Warehouse

AS_OF = date(2025, 12, 31)


def _row(
    name: str = "张伟", number: str = "RY1", day: str = "2024-05-20", why: str = "事由"
) -> list[str]:
    return [name, "", number, "政务处分", "记过", "", day, "县监委", why, ""]


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode(encoding))
    return path


def _files(folder: Path, pattern: str, name: str = "sanction") -> SourceConfig:
    return SourceConfig(name, "files", pattern=str(folder / pattern), base=str(folder))


def _ingest(folder: Path, pattern: str = "*.csv", spec=SANCTION):  # type: ignore[no-untyped-def]
    store = Warehouse(folder / "warehouse")
    report = ingest(spec, _files(folder / "inbox", pattern, spec.name), store, as_of=AS_OF)
    return (
        report,
        store.scan("bronze", spec.name).collect(),
        store.scan("quarantine", spec.name).collect(),
    )


# ---------------------------------------------------------------- one bad row, not the source


def test_an_exact_duplicate_line_lands_once_and_the_copy_is_quarantined(tmp_path: Path) -> None:
    # One exact duplicate line in a sanction CSV held all of bronze/sanction (its key twice in a
    # partition, an ERROR). Now the first copy lands and the others go to quarantine, naming the
    # line they repeat (also across files), reported as a WARN; a row that only shares the key
    # but differs is no duplicate and is not dropped.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "a.csv", [SANCTION_COLUMNS, _row(), _row("李四", "RY2"), _row(), _row()])
    _csv(inbox / "b.csv", [SANCTION_COLUMNS, _row("李四", "RY2"), _row("王五", "RY3")])
    report, bronze, quarantine = _ingest(tmp_path)
    assert bronze.select("_source_file", "_source_row").rows() == [
        ("a.csv", 2), ("a.csv", 3), ("b.csv", 3),
    ]  # fmt: skip
    assert quarantine.select("_source_file", "_source_row", "reason").rows() == [
        ("a.csv", 4, "exact duplicate of line 2"),
        ("a.csv", 5, "exact duplicate of line 2"),
        ("b.csv", 2, "exact duplicate of line 3 of a.csv"),
    ]
    assert report.conserved()
    assert '"姓名":"李四"' in quarantine.filter(pl.col("_source_file") == "b.csv")["raw"][0]
    [outcome] = quarantine_outcomes("bronze/sanction", quarantine, report.rows_read)
    assert (outcome.check, outcome.severity, outcome.failed) == ("row.exact_duplicate", "WARN", 3)


def test_a_duplicate_is_found_again_when_its_first_copy_is_carried_over(tmp_path: Path) -> None:
    # The second run reads only new files and carries the rows of unchanged ones over: a copy in
    # a new file must still meet the first one (now a carried bronze row), or bronze holds the
    # key twice again.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "a.csv", [SANCTION_COLUMNS, _row()])
    _ingest(tmp_path)
    _csv(inbox / "b.csv", [SANCTION_COLUMNS, _row()])
    report, bronze, quarantine = _ingest(tmp_path)
    assert report.reused_files == 1
    assert bronze.select("_source_file", "_source_row").rows() == [("a.csv", 2)]
    assert quarantine["reason"].to_list() == ["exact duplicate of line 2 of a.csv"]


def test_an_implausible_date_quarantines_its_row_not_the_source(tmp_path: Path) -> None:
    # 决定日期 2099 held all of bronze/sanction (an ERROR expectation). Now the row is quarantined
    # with the as-of date in its reason, as is a date before 1949-10-01; a deadline that may lie
    # ahead (影响期截止, within 30 years) still lands.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ahead = _row("赵六", "RY4")
    ahead[-1] = "2027-05-20"
    rows = [
        _row("张伟", "RY1", "2099-05-20"),
        _row("李四", "RY2", "1930-01-01"),
        _row("王五", "RY3"),
        ahead,
    ]
    _csv(inbox / "a.csv", [SANCTION_COLUMNS, *rows])
    _, bronze, quarantine = _ingest(tmp_path)
    assert bronze["姓名"].to_list() == ["王五", "赵六"]
    assert quarantine["reason"].to_list() == [
        "决定日期: '2099-05-20' is after the run's as-of date 2025-12-31",
        "决定日期: '1930-01-01' is before 1949-10-01",
    ]
    assert {r["rule"] for rs in quarantine["reasons"].to_list() for r in rs} == {
        "决定日期.plausible_date"
    }


def test_a_date_quarantined_as_future_is_read_again_on_a_later_as_of(tmp_path: Path) -> None:
    # Unchanged files keep their rows from the last run; a row quarantined only because its date
    # lay after that run's as-of date must be judged again by a later run (it is real now), and
    # a run dated earlier than the last must not keep rows that now lie after its date.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "a.csv", [SANCTION_COLUMNS, _row("张伟", "RY1", "2025-06-01")])
    _csv(inbox / "b.csv", [SANCTION_COLUMNS, _row("李四", "RY2", "2024-06-01")])
    store = Warehouse(tmp_path / "warehouse")
    config = _files(inbox, "*.csv")
    early = ingest(SANCTION, config, store, as_of=date(2025, 1, 1))
    assert (early.landed, early.quarantined) == (1, 1)
    later = ingest(SANCTION, config, store, as_of=date(2025, 12, 31))
    assert (later.landed, later.quarantined, later.reused_files) == (2, 0, 1)  # b.csv carried
    backdated = ingest(SANCTION, config, store, as_of=date(2025, 1, 1))
    assert (backdated.landed, backdated.quarantined, backdated.reused_files) == (1, 1, 0)


def test_office_lock_and_hidden_files_are_skipped_and_listed(tmp_path: Path) -> None:
    # An Excel owner file ~$2024年第1轮….xlsx left in the inbox stopped the source ("cannot open
    # workbook"), and hidden files were passed over without a word. Both are skipped now and
    # listed (run summary flags, quality report WARN), not an error.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "处分决定.csv", [SANCTION_COLUMNS, _row()])
    (inbox / "~$处分决定.csv").write_bytes(b"\x0bAdministrator" + b"\x00" * 40)
    (inbox / ".处分决定.csv").write_bytes(b"\x00\x05\x16\x07Mac OS X")  # AppleDouble
    report, bronze, _ = _ingest(tmp_path)
    assert bronze.height == 1
    assert report.skipped_files == {
        ".处分决定.csv": "skipped: a hidden file (its name or folder begins with '.')",
        "~$处分决定.csv": "skipped: an Office lock file (~$…), left while the workbook was open",
    }
    assert (
        report.flags[
            "~$处分决定.csv: skipped: an Office lock file (~$…), left while the workbook was open"
        ]
        == 1
    )
    [outcome] = reader_outcomes("bronze/sanction", {}, report.skipped_files, report.rows_read)
    assert (outcome.check, outcome.severity, outcome.failed) == ("file.not_an_export", "WARN", 2)


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_utf16_and_utf32_exports_are_read(tmp_path: Path, encoding: str) -> None:
    # Excel's "Unicode text" export (UTF-16 with a BOM, fields separated by tabs) was reported
    # as a missing header, and a UTF-32 file was decoded as UTF-16 (its BOM begins alike). Now
    # each is read, with or without a BOM, and the encoding is recorded by its name.
    rows = [SANCTION_COLUMNS, _row(), _row("李四", "RY2")]
    (tmp_path / "s.csv").write_bytes(("\r\n".join("\t".join(r) for r in rows)).encode(encoding))
    batch = read_source(_files(tmp_path, "*.csv"), SANCTION)
    assert batch.rows["姓名"].to_list() == ["张伟", "李四"]
    assert batch.files[0].encoding == (
        encoding if encoding[-2:] in ("le", "be") else encoding + "-le"
    )


def test_a_header_that_does_not_fit_names_the_encoding_it_was_read_in(tmp_path: Path) -> None:
    # "missing required column" alone sent people looking for a column: the message now says
    # which encoding the text was read in.
    _csv(tmp_path / "s.csv", [["编号", "名称"], ["1", "2"]], "utf-16")
    with pytest.raises(SourceError, match="missing required column.*read as UTF-16-LE"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_a_utf16_export_that_does_not_decode_is_named(tmp_path: Path) -> None:
    # A UTF-16 file cut in the middle of a character: the error says the file is UTF-16 instead
    # of "missing required column".
    data = ("\r\n".join(",".join(r) for r in [SANCTION_COLUMNS, _row()])).encode("utf-16-le")
    (tmp_path / "s.csv").write_bytes(data[:-1])
    with pytest.raises(SourceError, match=r"s\.csv\): file is UTF-16 \(no byte-order mark\)"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_a_duplicated_header_column_is_an_error_naming_both(tmp_path: Path) -> None:
    # A header with 决定日期 twice was read silently from its first copy; which one is meant
    # cannot be told, so the file is refused naming both columns (the header, never a row).
    header = [*SANCTION_COLUMNS, "决定日期"]
    _csv(tmp_path / "s.csv", [header, [*_row(), "2024-06-01"]])
    with pytest.raises(SourceError) as error:
        read_source(_files(tmp_path, "*.csv"), SANCTION)
    assert (
        "duplicated header column: column 7 (G) '决定日期' and column 11 (K) '决定日期' both "
        "give 决定日期"
    ) in str(error.value)


# ------------------------------------------------------------------- one text normalisation


def _roster_db(path: Path, rows: list[dict[str, str]]) -> SourceConfig:
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE TABLE cadre_roster ({', '.join(chr(34) + c + chr(34) for c in ROSTER_COLUMNS)})"
        )
        conn.executemany(
            f"INSERT INTO cadre_roster VALUES ({', '.join('?' for _ in ROSTER_COLUMNS)})",
            [[row.get(c) for c in ROSTER_COLUMNS] for row in rows],
        )
    return SourceConfig("roster", "sql", url=f"sqlite:///{path}", table="cadre_roster")


def _cadre(number: str, name: str, unit: str, region: str) -> dict[str, str]:
    return {"人员编号": number, "姓名": name, "单位名称": unit, "管理权限": "县管",
            "行政区划代码": region, "公民身份号码": "", "更新时间": "2025-01-01 08:00:00"}  # fmt: skip


def test_invisible_characters_and_foreign_digits_are_the_same_fact(tmp_path: Path) -> None:
    # 李\u200b勇 stayed unlinked, 平平县\u200b应急管理局 was no unit, ４５０１０２ passed the
    # six-digit check and put the cadre in no scope, a zero-width character in a 人员编号 made a
    # new key, U+202E reached the pages. Now every reader removes invisible characters and makes
    # codes NFKC with ASCII digits, counting per field what it changed (never the values).
    config = _roster_db(tmp_path / "r.db", [
        _cadre("RY\u200b0001", "李\u200b勇", "平平县\u200b应急管理局", "４５０１０２"),
        _cadre("RY0002", "\u202e王芳", "平平县财政局\ufeff", "٤٥٠١٠٢"),
        _cadre("RY0003", "陈\u00ad明", "平平县教育局", "450102"),
    ])  # fmt: skip
    batch = read_source(config, ROSTER)
    assert sorted(batch.rows.select("人员编号", "姓名", "单位名称", "行政区划代码").rows()) == [
        ("RY0001", "李勇", "平平县应急管理局", "450102"),
        ("RY0002", "王芳", "平平县财政局", "450102"),
        ("RY0003", "陈明", "平平县教育局", "450102"),
    ]
    assert batch.text_counts == {
        "人员编号": {"invisible": 1},
        "姓名": {"invisible": 3},
        "单位名称": {"invisible": 2},
        "行政区划代码": {"folded": 2},
    }
    outcomes = reader_outcomes("bronze/roster", batch.text_counts, {}, batch.rows_read)
    assert [(o.check, o.severity, o.failed, o.partitions) for o in outcomes] == [
        ("text.invisible_removed", "WARN", 6, {"人员编号": 1, "姓名": 3, "单位名称": 2}),
        ("text.digits_folded", "INFO", 2, {"行政区划代码": 2}),
    ]


def test_a_code_still_not_a_code_is_quarantined_showing_the_character(tmp_path: Path) -> None:
    # A region code with a letter O for a zero passed nowhere visible: it now goes to quarantine
    # (it held the whole roster as an ERROR before) with the character's code point.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [
        _cadre("RY1", "李勇", "平平县财政局", "45O102"),
        _cadre("RY2", "王芳", "平平县财政局", "４５０１０２"),
    ]
    _csv(inbox / "r.csv", [ROSTER_COLUMNS, *([r.get(c, "") for c in ROSTER_COLUMNS] for r in rows)])
    _, bronze, quarantine = _ingest(tmp_path, spec=ROSTER)
    assert bronze.select("人员编号", "行政区划代码").rows() == [("RY2", "450102")]
    assert quarantine["reason"].to_list() == [
        "行政区划代码: '45O102' is not a 6-digit region code (GB/T 2260) (holds U+004F 'O')"
    ]


def test_python_and_polars_normalise_alike() -> None:
    # The decisions files are read outside the source readers and call boundary_value; it must
    # give what boundary_text gives every source, for every format, control and digit character.
    chars = [chr(c) for c in [*range(0x20000), *range(0xE0000, 0xE1000)]
             if unicodedata.category(chr(c)) in ("Cf", "Cc", "Nd", "Mn", "Zs", "Lo")][::7]  # fmt: skip
    values = ["李" + c + "勇" for c in chars] + ["４５０１０２", "RY\u200b01", None]
    frame = pl.DataFrame({"v": values})
    for form in ("code", "text"):
        polars = frame.select(nz.boundary_text(pl.col("v"), form))["v"].to_list()  # type: ignore[arg-type]
        assert polars == [nz.boundary_value(v, form) for v in values], form  # type: ignore[arg-type]


# --------------------------------------------------------------------- ID numbers, issue 19.6


def test_an_id_number_with_an_impossible_birth_date_is_flagged_not_quarantined() -> None:
    # 11 audit findings whose ID number had a typo in its birth date (month 13) were quarantined
    # whole: the finding, which also names the unit and the person, never became an event. It
    # lands now, its ID flagged bad_birth_date (never evidence, like a failing check character);
    # an ID of the wrong length is still no ID number.
    raw = pl.DataFrame(
        {"审计项目编号": ["SJ1", "SJ2"], "问题编号": ["1", "2"], "报告日期": ["2024-01-02"] * 2,
         "被审计领导干部": ["李勇", "王芳"], "公民身份号码": ["45010219801301002X", "4501021980"],
         "_source_file": ["a.csv"] * 2, "_source_row": [2, 3], "_load_id": ["x"] * 2}
    )  # fmt: skip
    missing = [f.name for f in AUDIT.fields if f.name not in raw.columns]
    frame = raw.with_columns(pl.lit(None, dtype=pl.String).alias(m) for m in missing).lazy()
    annotated = annotate(frame, AUDIT, AS_OF)
    bronze = bronze_rows(annotated, AUDIT).collect()
    assert bronze.select("被审计领导干部", "公民身份号码_状态").rows() == [
        ("李勇", "bad_birth_date")
    ]
    quarantined = quarantine_rows(annotated, AUDIT).collect()
    assert quarantined["_source_row"].to_list() == [3]


# ------------------------------------------------------------------------- the whole run


@pytest.mark.slow
def test_a_run_lands_what_one_bad_row_or_file_used_to_hold(  # type: ignore[no-untyped-def]
    sources: Path, baseline: Path, tmp_path: Path, capsys
) -> None:
    # The demo's data with the probes of issue 23 (points 7, 8) and 19 (point 6) made by hand:
    # before, the run failed (bronze/sanction held by one repeated line and one 决定日期 2099,
    # the inspection source stopped by an Excel owner file) and the probed cadre and finding were
    # lost. Now it succeeds and says what it skipped, removed and quarantined.
    from orchestration.cli import main

    old = Warehouse(baseline)
    victim = sources / "inbox" / "sanctions" / "处分决定_1.csv"
    lines = victim.read_text(encoding="utf-8-sig").splitlines()
    landed = old.scan("bronze", "sanction").filter(
        pl.col("_source_file").str.ends_with(victim.name)
    )
    first = int(landed.select(pl.col("_source_row").min()).collect().item())
    copy = lines[first - 1]
    future = copy.split(",")
    future[6], future[8] = "2099-05-20", "另一事由"
    victim.write_text("\n".join([*lines, copy, ",".join(future)]) + "\n", encoding="utf-8-sig")
    lock = sources / "inbox" / "inspections" / "~$2024年第1轮巡察问题清单.xlsx"
    lock.write_bytes(b"\x0dAdministrator" + b"\x20" * 40 + b"\x00" * 110)

    events = old.scan("silver", "supervision_event").filter(pl.col("link_status") == "linked")
    counts = events.group_by("person_no").len().sort("len", "person_no", descending=True).collect()
    person, linked = counts.row(0)
    cadre = (
        old.scan("silver", "cadre")
        .filter(pl.col("person_no") == person)
        .collect()
        .row(0, named=True)
    )
    with sqlite3.connect(sources / "inbox" / "roster.db") as conn:
        conn.execute(
            'UPDATE cadre_roster SET "人员编号" = ?, "姓名" = ?, "行政区划代码" = ? WHERE "人员编号" = ?',
            (person[:2] + "\u200b" + person[2:], cadre["name"][0] + "\u200b" + cadre["name"][1:],
             unicodedata.normalize("NFKC", cadre["region"]).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
             person),
        )  # fmt: skip

    audit = (
        old.scan("bronze", "audit")
        .filter(pl.col("公民身份号码_状态") == "valid")
        .collect()
        .row(0, named=True)
    )
    file = sources / audit["_source_file"]
    number = audit["公民身份号码"].encode()
    assert file.read_bytes().count(number) == 1
    file.write_bytes(file.read_bytes().replace(number, number[:10] + b"13" + number[12:]))

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
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (
        f"flagged  inspection: 1 × inbox/inspections/{lock.name}: skipped: an Office lock file"
        in out
    )
    assert "flagged  roster: 1 × 人员编号: invisible characters removed" in out
    assert "flagged  audit: 1 × 公民身份号码: impossible birth date, a typo" in out

    store = Warehouse(tmp_path / "w")
    quarantined = store.scan("quarantine", "sanction").filter(
        pl.col("_source_file").str.ends_with(victim.name)
    )
    reasons = quarantined.select("_source_row", "reason").collect().rows()
    assert reasons[-2:] == [
        (len(lines) + 1, f"exact duplicate of line {first}"),
        (
            len(lines) + 2,
            f"决定日期: '2099-05-20' is after the run's as-of date {today().isoformat()}",
        ),
    ]
    now = store.scan("silver", "cadre").filter(pl.col("person_no") == person).collect()
    assert now.select("name", "region").rows() == [(cadre["name"], cadre["region"])]
    relinked = store.scan("silver", "supervision_event").filter(
        (pl.col("person_no") == person) & (pl.col("link_status") == "linked")
    )
    assert relinked.select(pl.len()).collect().item() == linked
    finding = store.scan("bronze", "audit").filter(
        (pl.col("_source_file") == audit["_source_file"])
        & (pl.col("_source_row") == audit["_source_row"])
    )
    assert finding.select("公民身份号码_状态").collect().item() == "bad_birth_date"
    event = store.scan("silver", "supervision_event").filter(
        (pl.col("source") == "audit") & (pl.col("_source_row") == audit["_source_row"])
        & (pl.col("_source_file") == audit["_source_file"])
    )  # fmt: skip
    assert (
        "birth date is impossible (a typo): not used as evidence"
        in event.select("link_note").collect().item()
    )

    summary = json.loads(
        (tmp_path / "w" / "reports" / "quality" / "summary.json").read_text(encoding="utf-8")
    )
    assert summary["blocked"] == []
    checks = {
        (t["table"], o["check"]): o["severity"] for t in summary["tables"] for o in t["outcomes"]
    }
    assert checks[("bronze/sanction", "row.exact_duplicate")] == "WARN"
    assert checks[("bronze/inspection", "file.not_an_export")] == "WARN"
    assert checks[("bronze/roster", "text.invisible_removed")] == "WARN"
