"""Reporter protection inside text (issue 12): the masking function, and the readers that use it
for petitions from files and from SQLite (PostgreSQL and MariaDB: tests/test_sql_servers.py)."""

import csv
import sqlite3
from pathlib import Path

import orjson
import polars as pl
import pytest
import sqlalchemy as sa

from transforms.reporter_mask import mask_reporter_text
from transforms.specs import PETITION
from warehouse.ingest import stage_ingest
from warehouse.protection import replaced_in_query
from warehouse.readers import read_source
from warehouse.rules import load_deid_rules
from warehouse.sources import SourceConfig
from warehouse.store import Warehouse

RULES = load_deid_rules()
REPORTER = ("王建国", "13912345678", "45010319890610934X")
SUMMARY = (
    "举报人王建国（电话139-1234-5678，身份证４５０１０３１９８９０６１０９３４Ｘ）反映张伟在低保评定中优亲厚友，"
    "来信人李秀英称另有证人电话0771-5551234，邮箱jubao2023@163.com，卡号6222021001123450006"
)
SECRETS = ("王建国", "13912345678", "139-1234-5678", "45010319890610934X", "４５０１０３１９８９０６１０９３４Ｘ",
           "李秀英", "0771-5551234", "jubao2023@163.com", "6222021001123450006")  # fmt: skip


def test_the_rows_own_reporter_values_go_everywhere_and_free_text_is_masked() -> None:
    # The row's own name, phone and ID number go wherever they are written and in any written
    # form (the phone with dashes, the ID in full-width digits: issue 23); the free text also
    # loses every other phone, ID number, e-mail and bank number and the name after a reporter
    # cue; the accused (张伟) stays, the counts say what went.
    out, counts = mask_reporter_text(SUMMARY, REPORTER, RULES)
    assert out == (
        "举报人[举报人]（电话[举报人]，身份证[举报人]）反映张伟在低保评定中优亲厚友，"
        "来信人[姓名]称另有证人电话[电话]，邮箱[电子邮箱]，卡号[银行账号]"
    )
    assert counts == {"reporter": 3, "phone": 1, "person": 1, "email": 1, "bank_card": 1}


def test_a_field_that_is_not_free_text_loses_only_the_reporters_own_values() -> None:
    # 被反映人单位 may hold a phone number of the unit: only the reporter's own values go there.
    out, counts = mask_reporter_text("王建国所在村 0771-5551234", REPORTER, RULES, free_text=False)
    assert (out, dict(counts)) == ("[举报人]所在村 0771-5551234", {"reporter": 1})


def test_short_or_empty_reporter_values_are_not_searched_for() -> None:
    # A one-character or blank reporter field would erase text if replaced everywhere.
    out, counts = mask_reporter_text("王某反映张伟问题", ("王", " ", None), RULES)
    assert (out, dict(counts)) == ("王某反映张伟问题", {})


def _csv_source(tmp_path: Path) -> SourceConfig:
    folder = tmp_path / "inbox"
    folder.mkdir()
    header = ["件号", "收件日期", "举报人姓名", "举报人联系电话", "举报人身份证号", "被反映人姓名",
              "被反映人单位", "问题摘要", "办理结果"]  # fmt: skip
    rows = [
        ["XF1", "2024-05-06", *REPORTER, "张伟", "王建国家附近的村委", SUMMARY, "属实"],
        ["XF2", "2024-05-07", "", "", "", "李强", "某局", "反映李强迟到", "不实"],
        [
            "XF3",
            "2024-05-08",
            *REPORTER,
            "赵六",
            "某局",
            SUMMARY,
            "待定",
        ],  # unknown 办理结果: quarantine
    ]
    with (folder / "petitions.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return SourceConfig("petition", "files", pattern=str(folder / "*.csv"), base=str(tmp_path))


def _counts(batch_rows: pl.DataFrame) -> list[list[dict[str, object]]]:
    return [orjson.loads(v) for v in batch_rows["脱敏计数"].to_list()]


def test_petitions_from_a_file_are_masked_in_the_reader(tmp_path: Path) -> None:
    # A petition source may switch kind: from files, the reporter values are in memory once read,
    # so they are replaced before the protected columns are dropped, and nothing read carries them.
    batch = read_source(_csv_source(tmp_path), PETITION)
    dumped = batch.rows.write_csv() + batch.rejects.write_csv()
    assert not [s for s in SECRETS if s in dumped]
    assert (
        batch.rows.filter(pl.col("件号") == "XF1")["被反映人单位"].item() == "[举报人]家附近的村委"
    )
    assert _counts(batch.rows)[1] == []
    # 问题摘要 (name, dashed phone, full-width ID) and 被反映人单位 (name)
    assert {"kind": "举报人", "count": 4} in _counts(batch.rows)[0]
    assert batch.rows["实名"].to_list() == ["是", "否", "是"]


def test_bronze_petition_counts_what_was_masked_and_quarantine_shows_none_of_it(
    tmp_path: Path,
) -> None:
    # Through the whole ingest: 脱敏计数 is a typed list of (kind, count) in bronze, and the
    # quarantined row (unknown 办理结果) keeps its masked text, never the values.
    store = Warehouse(tmp_path / "wh")
    staged = stage_ingest(PETITION, _csv_source(tmp_path), store)
    bronze = staged.bronze.scan().collect()
    quarantine = staged.quarantine.scan().collect()
    assert bronze.schema["脱敏计数"] == pl.List(pl.Struct({"kind": pl.String, "count": pl.Int32}))
    first = bronze.filter(pl.col("件号") == "XF1")["脱敏计数"].item().to_list()
    assert {"kind": "电话", "count": 1} in first and {"kind": "姓名", "count": 1} in first
    text = bronze.write_ndjson() + quarantine.write_ndjson()
    assert quarantine.height == 1 and not [s for s in SECRETS if s in text]


def _sqlite(path: Path) -> SourceConfig:
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE petition ("件号", "收件日期", "举报人姓名", "举报人联系电话", "举报人身份证号", "被反映人姓名", "问题摘要", "办理结果")')  # fmt: skip
        conn.executemany(
            "INSERT INTO petition VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("XF1", "2024-05-06", *REPORTER, "张伟", SUMMARY, "属实"),
                ("XF2", "2024-05-06", "王", None, "", "王五", "王五反映", "不实"),
            ],  # fmt: skip
        )
    return SourceConfig("petition", "sql", url=f"sqlite:///{path}", table="petition")


def test_petitions_from_sqlite_are_masked_with_the_values_replaced_in_the_query(
    tmp_path: Path,
) -> None:
    # From a database the reporter's own values never reach memory: the query replaces them.
    config = _sqlite(tmp_path / "p.db")
    engine = sa.create_engine(str(config.url))
    table = sa.table(
        "petition", *(sa.column(c) for c in ("问题摘要", "举报人姓名", "举报人联系电话"))
    )
    reporters = [table.c["举报人姓名"], table.c["举报人联系电话"]]
    query = sa.select(replaced_in_query(table.c["问题摘要"], reporters, RULES)).order_by(
        table.c["问题摘要"]
    )
    with engine.connect() as conn:
        fetched = [r[0] for r in conn.execute(query)]
    engine.dispose()
    assert fetched[0].startswith("举报人[举报人]（电话139-1234-5678") and "王建国" not in fetched[0]
    assert fetched[1] == "王五反映"  # a one-character reporter name (王) is not searched for
    batch = read_source(config, PETITION)
    dumped = batch.rows.write_csv()
    assert not [s for s in SECRETS if s in dumped]
    assert batch.rows["被反映人姓名"].to_list() == ["张伟", "王五"]
    # the name and, written 3-4-4 (a variant the reader's query also replaces), the phone
    assert _counts(batch.rows)[0][0] == {"kind": "举报人", "count": 2}


@pytest.mark.parametrize("summary", [None, "", "没有举报人信息"])
def test_empty_and_plain_summaries_pass_unchanged(summary: str | None) -> None:
    # NULL and empty text stay as they are; a text with nothing to mask is not touched.
    assert mask_reporter_text(summary, REPORTER, RULES) == (summary, {})


# ---- issue 23: masking never raises; every field, every written form; the reporter who shares
# the accused's name.
HEADER = ["件号", "收件日期", "举报人姓名", "举报人联系电话", "举报人身份证号", "被反映人姓名",
          "被反映人职务", "问题摘要", "办理结果"]  # fmt: skip
FORMS_ROWS = [
    # the reporter's name and phone only in 被反映人职务; a summary with nothing to mask (this
    # raised "unexpected KeyError" in the ingest)
    ["XF1", "2024-05-06", *REPORTER, "张伟", "副局长（举报人王建国电话13912345678）", "反映张伟迟到", "属实"],
    # the name with a space inside, the phone in Chinese numerals (一 and 幺), full-width ID
    ["XF2", "2024-05-07", *REPORTER, "李强", "局长（来电人王 建国）",
     "王　建国称李强违规，回电一三九一二三四五六七八或幺三九 幺二三四 五六七八，"
     "证件４５０１０３１９８９０６１０９３４Ｘ", "属实"],
    # a WeChat id and a QQ number without any label
    ["XF3", "2024-05-08", "赵六", "", "", "李强", "科长", "可加zhao_liu88或2468013579了解李强问题", "不实"],
    # the reporter shares the accused's name: the accused field stays (the event links), the
    # phone and the name elsewhere are masked, the row is flagged
    ["XF4", "2024-05-09", "张伟", "13807714321", "", "张伟", "副局长", "张伟（13807714321）反映张伟问题", "属实"],
]  # fmt: skip
FORM_SECRETS = (*SECRETS, "王 建国", "王　建国", "一三九一二三四五六七八", "幺三九 幺二三四 五六七八",
                "zhao_liu88", "2468013579", "13807714321")  # fmt: skip


def _forms_csv(tmp_path: Path) -> SourceConfig:
    folder = tmp_path / "inbox"
    folder.mkdir()
    with (folder / "petitions.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *FORMS_ROWS])
    return SourceConfig("petition", "files", pattern=str(folder / "*.csv"), base=str(tmp_path))


def _forms_sqlite(path: Path) -> SourceConfig:
    columns = ", ".join(f'"{c}"' for c in HEADER)
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE petition ({columns})")
        conn.executemany(
            f"INSERT INTO petition VALUES ({', '.join('?' * len(HEADER))})", FORMS_ROWS
        )
    return SourceConfig("petition", "sql", url=f"sqlite:///{path}", table="petition")


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_reporter_values_in_any_field_and_any_form_are_masked_and_nothing_raises(
    tmp_path: Path, kind: str
) -> None:
    # Issue 23: a file and a database source (values replaced inside the query) give the same
    # result: no row raises, no form of any reporter value is left, the accused stays.
    config = _forms_csv(tmp_path) if kind == "csv" else _forms_sqlite(tmp_path / "p.db")
    batch = read_source(config, PETITION)
    rows = {r["件号"]: r for r in batch.rows.iter_rows(named=True)}
    dumped = batch.rows.write_csv() + batch.rejects.write_csv()
    assert not [s for s in FORM_SECRETS if s in dumped], dumped
    assert rows["XF1"]["被反映人职务"] == "副局长（举报人[举报人]电话[举报人]）"
    assert rows["XF1"]["问题摘要"] == "反映张伟迟到"
    assert [rows[k]["被反映人姓名"] for k in ("XF1", "XF2", "XF3", "XF4")] == [
        "张伟",
        "李强",
        "李强",
        "张伟",
    ]
    assert "李强违规" in rows["XF2"]["问题摘要"] and "李强问题" in rows["XF3"]["问题摘要"]


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_a_reporter_who_shares_the_accuseds_name_keeps_the_accused_and_flags_the_row(
    tmp_path: Path, kind: str
) -> None:
    # Issue 23: the accused's name became [举报人] and the event was lost to linking. Now the
    # accused field stays, the row is flagged by a count (never the value), and the reporter's
    # phone and the name in the other fields are still masked.
    config = _forms_csv(tmp_path) if kind == "csv" else _forms_sqlite(tmp_path / "p.db")
    batch = read_source(config, PETITION)
    row = batch.rows.filter(pl.col("件号") == "XF4").row(0, named=True)
    assert row["被反映人姓名"] == "张伟"
    assert row["问题摘要"] == "[举报人]（[举报人]）反映[举报人]问题"
    counts = orjson.loads(row["脱敏计数"])
    assert {"kind": "举报人与被反映人同名", "count": 1} in counts
    others = batch.rows.filter(pl.col("件号") != "XF4")["脱敏计数"].to_list()
    assert not [c for c in others if "同名" in c]


def test_mask_reporter_text_keeps_the_reporters_name_in_a_subject_field_only() -> None:
    # The subject field (被反映人姓名) keeps a name equal to the reporter's and says so; any
    # other field loses it, in any written form.
    assert mask_reporter_text("张伟", ("张伟", "13807714321"), RULES, False, subject=True) == (
        "张伟",
        {"same_name": 1},
    )
    out, counts = mask_reporter_text(
        "张 伟称一三八〇七七一四三二一", ("张伟", "13807714321"), RULES
    )
    assert (out, counts) == ("[举报人]称[举报人]", {"reporter": 2})


def test_a_dictated_number_in_a_field_that_is_not_free_text_goes_and_a_units_phone_stays(
    tmp_path: Path,
) -> None:
    # Issue 23: from a database the reporter's values are not in memory, so a phone dictated in
    # Chinese numerals or typed full-width into 被反映人职务 could only be found by its form: no
    # office writes its own number so; the unit's ASCII phone stays.
    row = ["XF9", "2024-05-06", "王建国", "13912345678", "", "张伟",
           "副局长（来电幺三九 幺二三四 五六七八，备用１３５８８７７６６５５）", "反映张伟", "属实"]  # fmt: skip
    path = tmp_path / "p.db"
    columns = ", ".join(f'"{c}"' for c in HEADER)
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE petition ({columns})")
        conn.execute(f"INSERT INTO petition VALUES ({', '.join('?' * len(HEADER))})", row)
    config = SourceConfig("petition", "sql", url=f"sqlite:///{path}", table="petition")
    got = read_source(config, PETITION).rows.row(0, named=True)
    # (the spaced Chinese form is no variant the query builds: it goes by its form, as [电话])
    assert got["被反映人职务"] == "副局长（来电[电话]，备用[电话]）"
    out, _ = mask_reporter_text("某局 0771-5551234", (), RULES, free_text=False)
    assert out == "某局 0771-5551234"
