"""Cleaning: which rows land, which are quarantined, and with which reasons (small hand-made frames)."""

import polars as pl

from transforms.cleaning import annotate, bronze_rows, quarantine_rows
from transforms.specs import PETITION, SANCTION, SourceSpec


def _raw(spec: SourceSpec, rows: list[dict[str, str | None]]) -> pl.LazyFrame:
    names = [f.name for f in spec.fields]
    data = {n: [r.get(n) for r in rows] for n in names}
    lineage = {
        "_source_file": ["f.csv"] * len(rows),
        "_source_row": list(range(2, 2 + len(rows))),
        "_load_id": ["L1"] * len(rows),
    }
    return pl.DataFrame({**data, **lineage}, schema_overrides={n: pl.String for n in names}).lazy()


def _split(
    spec: SourceSpec, rows: list[dict[str, str | None]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    annotated = annotate(_raw(spec, rows), spec)
    return bronze_rows(annotated, spec).collect(), quarantine_rows(annotated, spec).collect()


GOOD_PETITION = {"件号": "XF1", "收件日期": "2024/5/6", "办理结果": "不属实", "实名": "是"}


def test_a_clean_petition_lands_typed_and_partitioned_by_month() -> None:
    bronze, quarantine = _split(PETITION, [GOOD_PETITION])
    assert quarantine.height == 0
    row = bronze.row(0, named=True)
    assert row["收件日期"].isoformat() == "2024-05-06"
    assert row["办理结果"] == "不实"  # the synonym is mapped to its canonical value
    assert row["实名"] is True
    assert row["_partition"] == "2024-05"
    assert (row["_source_file"], row["_source_row"]) == ("f.csv", 2)


def test_every_reason_of_a_row_is_kept() -> None:
    # A row with three problems is quarantined once, with all three reasons, not just the first.
    bad = {"件号": None, "收件日期": "2024-02-30", "办理结果": "待定"}
    bronze, quarantine = _split(PETITION, [GOOD_PETITION, bad])
    assert bronze.height == 1 and quarantine.height == 1
    reasons = quarantine["reasons"].to_list()[0]
    assert [(r["rule"], r["field"], r["value"]) for r in reasons] == [
        ("件号.required", "件号", None),
        ("收件日期.valid_date", "收件日期", "2024-02-30"),
        ("办理结果.known_value", "办理结果", "待定"),
    ]
    assert [r["message"] for r in reasons] == [
        "件号: empty (required)",
        "收件日期: '2024-02-30' is not a valid date",
        "办理结果: '待定' is not a known value (属实、部分属实、不实、查无实据、办理中)",
    ]
    assert quarantine["reason"].to_list() == ["; ".join(r["message"] for r in reasons)]
    assert quarantine["_source_row"].to_list() == [3]


def test_quarantine_keeps_the_raw_text() -> None:
    _, quarantine = _split(PETITION, [{**GOOD_PETITION, "收件日期": "2024年13月1日"}])
    raw = quarantine["raw"].str.json_decode().to_list()[0]
    assert raw["收件日期"] == "2024年13月1日" and raw["件号"] == "XF1"


def test_an_optional_field_that_cannot_be_read_is_still_a_hard_error() -> None:
    # 办结日期 is optional, but a value that is there and cannot be read must not silently become null.
    _, quarantine = _split(PETITION, [{**GOOD_PETITION, "办结日期": "2024-06-31"}])
    assert quarantine["reason"].to_list() == ["办结日期: '2024-06-31' is not a valid date"]


def test_a_sanction_needs_an_id_number_or_a_person_number() -> None:
    base = {"处理类别": "政务处分", "处理措施": "记过", "决定日期": "2024-05-20"}
    rows = [
        {**base, "人员编号": "RY1"},
        {**base, "公民身份号码": "11010519491231002X"},
        {**base},  # neither: nobody can tell whom this sanction concerns
    ]
    bronze, quarantine = _split(SANCTION, rows)
    assert bronze.height == 2
    assert quarantine["reason"].to_list() == [
        "no person key: 公民身份号码 and 人员编号 are all empty"
    ]


def test_a_bad_id_number_is_flagged_not_quarantined_nor_repaired() -> None:
    rows = [
        {
            "公民身份号码": "11010519491231003X",
            "处理类别": "政务处分",
            "处理措施": "记过",
            "决定日期": "2024-05-20",
        }
    ]
    bronze, quarantine = _split(SANCTION, rows)
    assert quarantine.height == 0
    assert bronze.select("公民身份号码", "公民身份号码_状态").row(0) == (
        "11010519491231003X",
        "bad_check",
    )


def test_no_rows_gives_empty_typed_tables() -> None:
    # A source with no data yet still has its schema, so downstream reads do not break.
    bronze, quarantine = _split(PETITION, [])
    assert bronze.height == 0 and quarantine.height == 0
    assert bronze.schema["收件日期"] == pl.Date


def test_a_cadre_who_left_may_have_no_unit() -> None:
    # A retired or transferred cadre's roster row names no unit (nor post): it was quarantined as
    # 单位名称 empty (required), so the cadre never landed and a record about them linked the
    # namesake who now holds the post (prefecture profile, 100,000 cadres: 651 rows, 868 records).
    from transforms.specs import ROSTER

    base = {"人员编号": "RY1", "姓名": "李云", "管理权限": "县管", "单位名称": None}
    rows = [
        {**base, "在职状态": "退休"},
        {**base, "人员编号": "RY2", "在职状态": "调离"},
        {**base, "人员编号": "RY3", "在职状态": "在职"},
        {**base, "人员编号": "RY4"},  # no status: in service, as a roster without the column
    ]
    bronze, quarantine = _split(ROSTER, rows)
    assert bronze["人员编号"].to_list() == ["RY1", "RY2"]
    assert quarantine["reason"].to_list() == ["单位名称: empty (required)"] * 2


def test_reasons_made_for_failing_rows_only_are_every_reason_of_every_row() -> None:
    """The reasons are formatted only for rows failing a check (most rows fail none): over an
    export read in several chunks, as readers give it, every row still gets exactly the reasons,
    in order, that evaluating every check on every row gives. The export this guards against
    made Polars 2.1's streaming engine panic when the failing rows were filtered in one plan."""
    from datetime import date

    from transforms import cleaning
    from transforms.specs import INSPECTION

    good = {"轮次": "2024年第一轮", "被巡察单位": "甲县财政局", "问题编号": "W1", "类型": "巡察",
            "问题描述": "未按规定", "整改时限": "2024-08-01", "反馈日期": "2024-06-01"}  # fmt: skip
    broken = [
        {"类型": "1000条"},  # not a known value
        {"类型": " ", "问题编号": None},  # blank, and a required field empty
        {"整改时限": "2099-01-01", "反馈日期": "1900-01-01"},  # two implausible dates
        {"轮次": "第一轮"},  # no year: no partition
    ]
    rows = [dict(good, 问题编号=f"W{i}") for i in range(3_000)]
    for at, change in zip((5, 1_200, 2_999, 2_000), broken, strict=True):
        rows[at] = {**rows[at], **change}
    parts = [_raw(INSPECTION, rows[i : i + 700]).collect() for i in range(0, len(rows), 700)]
    raw = pl.concat(parts, rechunk=False)
    assert raw.n_chunks() > 1
    as_of = date(2026, 12, 6)
    made = annotate(raw.lazy(), INSPECTION, as_of).collect()

    # The oracle: every check's reason evaluated for every row (as annotate once did).
    checks = [c for f in INSPECTION.fields for c in cleaning._reasons(f, as_of)]
    renamed = raw.select(
        *cleaning.LINEAGE, *(pl.col(f.name).alias(f"raw:{f.name}") for f in INSPECTION.fields)
    )
    typed = renamed.with_columns(
        *(e for f in INSPECTION.fields for e in cleaning._typed(cleaning._as_raw(f)))
    ).with_columns(cleaning._partition(INSPECTION).alias(cleaning.PARTITION))
    where, _ = INSPECTION.partition or ("", "")
    unplaced = pl.col(cleaning.PARTITION).is_null() & pl.col(where).is_not_null()
    given = pl.col(f"raw:{where}")
    message = pl.format(f"{where}: cannot tell the year from '{{}}'", given)
    checks.append((unplaced, cleaning.reason(f"{where}.has_period", where, given, message)))
    checks += cleaning._key_conflicts(INSPECTION)
    expected = typed.select(
        pl.concat_list(pl.when(c).then(r) for c, r in checks).list.drop_nulls().alias("_reasons")
    )
    assert made["_reasons"].to_list() == expected["_reasons"].to_list()
    failing = made.with_row_index().filter(pl.col("_reasons").list.len() > 0)["index"]
    assert failing.to_list() == [5, 1_200, 2_000, 2_999]
    assert made.drop("_reasons").equals(typed)
