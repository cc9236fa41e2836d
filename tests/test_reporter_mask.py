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
    # The row's own name and phone go wherever they are written (the exact values); the free text
    # also loses every phone, ID number, e-mail and bank number in any form and the name after a
    # reporter cue; the accused (张伟) stays, the counts say what went.
    out, counts = mask_reporter_text(SUMMARY, REPORTER, RULES)
    assert out == (
        "举报人[举报人]（电话[电话]，身份证[身份证号]）反映张伟在低保评定中优亲厚友，"
        "来信人[姓名]称另有证人电话[电话]，邮箱[电子邮箱]，卡号[银行账号]"
    )
    assert counts == {
        "reporter": 1,
        "phone": 2,
        "id_number": 1,
        "person": 1,
        "email": 1,
        "bank_card": 1,
    }


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
    assert {"kind": "举报人", "count": 2} in _counts(batch.rows)[0]  # 问题摘要 and 被反映人单位
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
    assert {"kind": "电话", "count": 2} in first and {"kind": "姓名", "count": 1} in first
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
    assert _counts(batch.rows)[0][0] == {"kind": "举报人", "count": 1}


@pytest.mark.parametrize("summary", [None, "", "没有举报人信息"])
def test_empty_and_plain_summaries_pass_unchanged(summary: str | None) -> None:
    # NULL and empty text stay as they are; a text with nothing to mask is not touched.
    assert mask_reporter_text(summary, REPORTER, RULES) == (summary, {})
