"""Readers: each export kind with its mess, and each way a file can be unreadable."""

import sqlite3
from pathlib import Path

import opencc
import pytest
import xlsxwriter

from transforms.specs import ASSESSMENT, AUDIT, INSPECTION, PETITION, SANCTION
from warehouse.readers import read_source
from warehouse.samples import SANCTION_COLUMNS
from warehouse.sources import SourceConfig, SourceError

SANCTION_HEADER = SANCTION_COLUMNS
SANCTION_ROW = [
    "张伟",
    "11010519491231002X",
    "RY1",
    "政务处分",
    "记过",
    "",
    "2024-05-20",
    "县监委",
    "事由",
    "",
]


def _files(tmp_path: Path, pattern: str) -> SourceConfig:
    return SourceConfig("x", "files", pattern=str(tmp_path / pattern))


def _csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode(encoding))


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    # Upstream CSVs come in GB18030 or UTF-8, with or without BOM, never declared.
    _csv(tmp_path / "s.csv", [SANCTION_HEADER, SANCTION_ROW], encoding)
    batch = read_source(_files(tmp_path, "*.csv"), SANCTION)
    assert batch.rows["姓名"].to_list() == ["张伟"]
    assert batch.rows["_source_row"].to_list() == [2]
    assert batch.files[0].encoding == encoding.replace("-sig", "-sig")


def test_csv_that_is_neither_utf8_nor_gb18030_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes(
        ",".join(SANCTION_HEADER).encode("gb18030") + b"\n\x81\x20\xff\xfe\x80\x80\n"
    )
    with pytest.raises(SourceError, match=r"source sanction \(.*s\.csv\): cannot decode text"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_big5_export_decoded_as_gb18030_fails_on_its_header(tmp_path: Path) -> None:
    # A Big5 export (traditional headers): whether decoded as mojibake or as Big5, the header check names it.
    traditional = opencc.OpenCC("s2t")
    rows = [[traditional.convert(c) for c in row] for row in (SANCTION_HEADER, SANCTION_ROW)]
    _csv(tmp_path / "s.csv", rows, "big5")
    with pytest.raises(SourceError, match="missing required column"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    header = [h for h in SANCTION_HEADER if h != "处理措施"]
    _csv(tmp_path / "s.csv", [header, SANCTION_ROW[:-1]], "utf-8")
    with pytest.raises(SourceError, match=r"s\.csv\): missing required column\(s\) 处理措施"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(SourceError, match="empty file"):
        read_source(_files(tmp_path, "*.csv"), SANCTION)


def test_ragged_csv_rows_are_rejected_not_dropped(tmp_path: Path) -> None:
    rows = [
        SANCTION_HEADER,
        SANCTION_ROW,
        SANCTION_ROW[:4],
        SANCTION_ROW + ["", ""],
        SANCTION_ROW + ["extra"],
    ]
    _csv(tmp_path / "s.csv", rows, "utf-8")
    batch = read_source(_files(tmp_path, "*.csv"), SANCTION)
    # Trailing empty fields (a common export habit) are fine; a short row or a filled extra field is not.
    assert batch.rows["_source_row"].to_list() == [2, 4]
    assert batch.rejects.select("_source_row", "reason").rows() == [
        (3, "row has 4 fields, the header has 10"),
        (5, "row has 11 fields, the header has 10"),
    ]
    assert batch.rows_read == 4


def test_header_aliases_and_full_width_brackets(tmp_path: Path) -> None:
    header = ["审计项目编号", "问题编号", "涉及金额(万元)", "报告日期"]
    _csv(tmp_path / "a.csv", [header, ["SJ1", "1", '"1,234.5"', "2024-01-02"]], "gb18030")
    batch = read_source(_files(tmp_path, "*.csv"), AUDIT)
    assert batch.rows["涉及金额（万元）"].to_list() == ["1,234.5"]


def _workbook(
    path: Path, sheet: str, title: str | None, header: list[str], rows: list[list[object]]
) -> None:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    at = 0
    if title:
        ws.merge_range(0, 0, 0, len(header) - 1, title)
        at = 2  # a title, then an empty spacer row
    ws.write_row(at, 0, header)
    for i, row in enumerate(rows, start=at + 1):
        ws.write_row(i, 0, row)
    ws.write_row(at + len(rows) + 2, 0, ["合计", f"{len(rows)}条"])
    book.close()


INSPECTION_HEADER = ["轮次", "被巡察单位", "问题编号", "责任人", "整改时限"]


def test_xlsx_with_title_blank_and_total_rows(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["2024年第3轮", "安平县财政局", "1", "张伟", 45418],
        ["2024年第3轮", "安平县财政局", "2", "", "2024/5/6"],
    ]
    _workbook(
        tmp_path / "r.xlsx", "问题清单", "XX市委巡察办 巡察发现问题清单", INSPECTION_HEADER, rows
    )
    batch = read_source(_files(tmp_path, "*.xlsx"), INSPECTION)
    assert batch.rows["问题编号"].to_list() == ["1", "2"]
    assert batch.rows["_source_row"].to_list() == [
        4,
        5,
    ]  # spreadsheet row numbers, as a person sees them
    assert batch.rows["整改时限"].to_list() == ["45418", "2024/5/6"]
    assert batch.files[0].skipped == {"title": 2, "blank": 1, "total": 1}


def test_a_corrupt_workbook_is_named(tmp_path: Path) -> None:
    (tmp_path / "r.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match=r"source inspection \(.*r\.xlsx\): cannot open workbook"):
        read_source(_files(tmp_path, "*.xlsx"), INSPECTION)


def test_a_workbook_without_the_named_sheet(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "r.xlsx"))
    book.add_worksheet("Sheet1").write_row(0, 0, INSPECTION_HEADER)
    book.add_worksheet("Sheet2")
    book.close()
    with pytest.raises(SourceError, match="no sheet '问题清单'"):
        read_source(_files(tmp_path, "*.xlsx"), INSPECTION)


def test_jsonl_bad_lines_are_rejected_with_their_line_number(tmp_path: Path) -> None:
    lines = [
        '{"人员编号": "RY1", "考核年度": 2024, "考核类型": "年度考核", "考核周期": "2024", "综合得分": 91.5}',
        '{"人员编号": "RY2", "考核年度": 2024, "考核类型": "年度考核", "考核周期": "2024"',
        "",
        '["not", "an", "object"]',
        # a key no earlier line has (each line's keys are its own: the file's are their union)
        '{"人员编号": "RY3", "考核年度": 2024, "单位人数": 30}',
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = read_source(_files(tmp_path, "*.jsonl"), ASSESSMENT)
    assert batch.rows.select("人员编号", "综合得分", "单位人数").rows() == [
        ("RY1", "91.5", None), ("RY3", None, "30")
    ]  # fmt: skip
    assert [r[0] for r in batch.rejects.select("_source_row").rows()] == [2, 4]
    assert batch.rows_read == 4 and batch.files[0].skipped == {"blank": 1}


PETITION_COLUMNS = [
    "件号",
    "收件日期",
    "举报人姓名",
    "举报人联系电话",
    "举报人身份证号",
    "被反映人姓名",
    "办理结果",
    "更新时间",
]


def _petition_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE TABLE petition ({', '.join(chr(34) + c + chr(34) for c in PETITION_COLUMNS)})"
        )
        conn.executemany(
            "INSERT INTO petition VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    "XF2",
                    "2024-05-06",
                    "李举报",
                    "13900000001",
                    "110105194912310021",
                    "张伟",
                    "属实",
                    "2024-06-01",
                ),
                ("XF1", 45418, None, "", None, "王五", "不实", "2024-06-01"),
            ],
        )


def test_sqlite_petitions_drop_reporters_at_extraction(tmp_path: Path) -> None:
    _petition_db(tmp_path / "p.db")
    config = SourceConfig("petition", "sql", url=f"sqlite:///{tmp_path / 'p.db'}", table="petition")
    batch = read_source(config, PETITION)
    assert not {"举报人姓名", "举报人联系电话", "举报人身份证号"} & set(batch.rows.columns)
    assert batch.rows.select("件号", "收件日期", "实名").rows() == [
        ("XF1", "45418", "否"),
        ("XF2", "2024-05-06", "是"),
    ]
    text = batch.rows.write_csv() + batch.rejects.write_csv() + repr(batch.files)
    assert "李举报" not in text and "13900000001" not in text and "110105194912310021" not in text


def test_a_missing_sqlite_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    config = SourceConfig(
        "petition", "sql", url=f"sqlite:///{tmp_path / 'nope.db'}", table="petition"
    )
    with pytest.raises(SourceError, match="database file .*nope.db does not exist"):
        read_source(config, PETITION)
    assert not (tmp_path / "nope.db").exists()


def test_a_missing_table_is_named(tmp_path: Path) -> None:
    _petition_db(tmp_path / "p.db")
    config = SourceConfig(
        "petition", "sql", url=f"sqlite:///{tmp_path / 'p.db'}", table="petitions"
    )
    with pytest.raises(SourceError, match="no table 'petitions'"):
        read_source(config, PETITION)


def test_a_sqlite_table_is_read_as_its_text_whatever_its_first_rows_hold(tmp_path: Path) -> None:
    # SQLite is read through ADBC (Arrow), which types a result column by its first rows: a
    # column empty (NULL) for thousands of rows, then text, failed with a type mismatch, and
    # one holding numbers must come as the text SQLite gives them. Every value is read as the
    # database's CAST to text gives it, NULL stays NULL, '' stays '', a value starting with
    # the mark the read adds ('v') keeps it.
    from transforms.specs import POST_HISTORY

    db = tmp_path / "r.db"
    late = ["", None, 5, 1.5, "v开头", "任 2020 1号", "x" * 300]
    rows = [
        (f"P{i:05d}", None if i % 3 else "001", "财政局", "局长", "2020-01-01",
         None if i < 2_400 else "2021-02-03", None if i < 2_300 else late[i % len(late)])
        for i in range(2_500)
    ]  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE h (人员编号 TEXT, 单位代码, 单位名称 TEXT, 职务 TEXT, 任职时间, 免职时间, 任免文号)"
        )
        conn.executemany("INSERT INTO h VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        names = [f.name for f in POST_HISTORY.fields]
        cast = ", ".join(f'CAST("{n}" AS TEXT)' for n in names)
        order = ", ".join(f'"{n}"' for n in POST_HISTORY.sql_order)
        expected = conn.execute(f"SELECT {cast} FROM h ORDER BY {order}").fetchall()  # noqa: S608
    config = SourceConfig("post_history", "sql", url=f"sqlite:///{db}", table="h")
    batch = read_source(config, POST_HISTORY)
    assert batch.rows.select(names).rows() == expected
    assert {"", "v开头", "5", "1.5", None} <= set(batch.rows["任免文号"].to_list())


def test_a_sqlite_table_is_read_in_batches_and_named_by_their_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read holds one batch at a time (a whole post history in Arrow took 400 MB more at
    # 1,000,000 cadres); the read's name (load_id, what the manifest records of a table without
    # 更新时间) is the digest of its batches as text, the same whatever way the rows are fetched.
    # Its rows are each named <table>@- (a row's version is its text), so an unchanged row lands
    # the same bytes whatever else the table changed, in the spec's order (任职时间 first).
    import hashlib

    import polars as pl

    from transforms.specs import POST_HISTORY
    from warehouse import read_sql

    monkeypatch.setattr(read_sql, "_BATCH", 7)
    db = tmp_path / "r.db"
    rows = [(f"P{i:03d}", None, "财政局", "局长", f"2020-01-{1 + i % 28:02d}", None, None)
            for i in range(50)]  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE h (人员编号, 单位代码, 单位名称, 职务, 任职时间, 免职时间, 任免文号)"
        )
        conn.executemany("INSERT INTO h VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    config = SourceConfig("post_history", "sql", url=f"sqlite:///{db}", table="h")
    batch = read_source(config, POST_HISTORY)
    names = [f.name for f in POST_HISTORY.fields]
    order = sorted(rows, key=lambda r: (r[4], r[0], r[2], r[3]))
    assert batch.rows["人员编号"].to_list() == [r[0] for r in order]
    assert set(batch.rows["_load_id"]) == {"h@-"}
    expected = pl.DataFrame(order, schema=names, orient="row")
    digest = hashlib.sha256()
    for start in range(0, 50, 7):
        digest.update(expected.slice(start, 7).write_csv().encode())
    assert batch.files[0].load_id == digest.hexdigest()[:16]


def test_batches_of_any_size_are_cut_again_to_the_read_size_in_order() -> None:
    # ADBC's batches need not be the read's size; the read's digest is of batches of that size.
    import polars as pl

    from warehouse.read_sql import _sized

    frames = [
        pl.DataFrame({"v": list(range(a, b))}) for a, b in ((0, 3), (3, 13), (13, 13), (13, 17))
    ]
    cut = list(_sized(iter(frames), 7))
    assert [f.height for f in cut] == [7, 7, 3]
    assert pl.concat(cut)["v"].to_list() == list(range(17))
    assert list(_sized(iter([]), 7)) == []


def test_text_that_is_not_utf8_in_a_sqlite_table_names_its_column_and_row_not_its_value(
    tmp_path: Path,
) -> None:
    # SQLite keeps whatever bytes it is given: a petition written in GBK (its summary naming the
    # reporter) reached Polars unchecked through ADBC and failed with a bare UnicodeDecodeError.
    # It is a SourceError naming the column and row; the value never shows (it may be a
    # reporter's).
    db = tmp_path / "p.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            'CREATE TABLE petition ("件号", "收件日期", "举报人姓名", "被反映人姓名", "问题摘要", "办理结果")'
        )
        conn.execute(
            "INSERT INTO petition VALUES ('XF1', '2024-05-06', '李举报', '张伟', '正常', '属实')"
        )
        conn.execute(
            "INSERT INTO petition VALUES ('XF2', '2024-05-07', '李举报', '张伟', CAST(? AS TEXT), '属实')",
            ("李举报反映张伟".encode("gbk"),),
        )
    config = SourceConfig("petition", "sql", url=f"sqlite:///{db}", table="petition")
    with pytest.raises(SourceError) as raised:
        read_source(config, PETITION)
    said = str(raised.value)
    assert "column 问题摘要, row 2" in said and "not UTF-8 text" in said
    assert "李举报" not in said and "张伟" not in said and "\ufffd" not in said
