"""Pure publishing transforms on small hand-made frames: scope, masking, spreadsheet safety, lists,
the serving database's JSON columns and the scope-cut portraits."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from transforms.pages import booklet, profile_pages, scope_portraits, search_index
from transforms.publishing import (
    cst_text,
    csv_cell,
    inconsistency_list,
    json_text,
    mask_id,
    mask_id_text,
    promotion_list,
    warning_list,
)
from transforms.scope import Scope, ScopeError


@pytest.mark.parametrize(
    ("text", "level", "region", "prefix"),
    [
        ("县管/450321", "县管", "450321", "450321"),  # a county is itself alone
        ("市管/450300", "市管", "450300", "4503"),  # a city code covers every code of the city
        ("省管/450000", "省管", "450000", "45"),  # a province code covers the province
        (" 县管／450321 ", "县管", "450321", "450321"),  # a full-width slash and spaces, as typed
    ],
)
def test_a_scope_is_parsed_with_the_reach_of_its_code(text, level, region, prefix) -> None:
    scope = Scope.parse(text)
    assert (scope.level, scope.region, scope.prefix) == (level, region, prefix)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("450321", "expected 管理权限/行政区划代码"),  # no 管理权限 at all
        ("区管/450321", "管理权限 must be one of"),  # not a level the roster knows
        ("县管/45032", "must be 6 digits"),  # a code one digit short
        ("县管/000000", "must be 6 digits"),  # the empty code covers everything: refused
    ],
)
def test_a_scope_not_understood_is_named_with_the_expected_form(text, says) -> None:
    with pytest.raises(ScopeError, match=says) as caught:
        Scope.parse(text)
    assert text.strip() in str(caught.value)


def test_the_scope_filter_matches_level_exactly_and_region_by_reach() -> None:
    cadres = pl.DataFrame(
        {
            "person_no": ["a", "b", "c", "d", "e", "f"],
            "scope_level": ["县管", "县管", "市管", "县管", None, "县管"],
            "region": ["450321", "450322", "450321", "450421", "450321", None],
        }
    )
    county = cadres.filter(Scope.parse("县管/450321").expr())["person_no"].to_list()
    city = cadres.filter(Scope.parse("县管/450300").expr())["person_no"].to_list()
    # b is in the same city but another county; c is the same county but 市管; d another city;
    # e and f lack a level or a region and are never in any scope.
    assert county == ["a"]
    assert city == ["a", "b"]
    assert Scope.parse("县管/450300").covers("县管", "450322")
    assert not Scope.parse("县管/450321").covers("市管", "450321")


def test_id_numbers_are_masked_to_region_and_last_four() -> None:
    frame = pl.DataFrame({"id": ["450321199001011234", "45032119900101123X", "123", None]})
    masked = frame.select(mask_id(pl.col("id")))["id"].to_list()
    # 18 characters keep 6 + 4; a value too short to be an ID number is not shown at all.
    assert masked == ["450321********1234", "450321********123X", None, None]
    assert mask_id_text("450321199001011234") == "450321********1234"
    assert mask_id_text(None) is None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),  # a formula
        ("+86 139", "'+86 139"),  # a phone-like text Excel would compute
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("张伟", "张伟"),  # ordinary text passes untouched
        (-3, -3),  # a number is a number, never prefixed
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_become_text(value, cell) -> None:
    assert csv_cell(value) == cell


def test_times_are_shown_in_cst_with_the_zone_named() -> None:
    moment = datetime(2026, 12, 1, 8, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert cst_text(moment) == "2026-12-01 08:05 CST（北京时间，UTC+08:00）"
    with pytest.raises(ValueError, match="aware"):
        cst_text(datetime(2026, 12, 1, 8, 5))  # a naive time would hide its zone
    with pytest.raises(ValueError, match="Asia/Shanghai"):
        cst_text(datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=0))))


def test_nested_columns_become_json_text_and_null_stays_null() -> None:
    frame = pl.DataFrame({"k": [1, 2, 3], "l": [[{"a": 1, "b": "中文"}], None, []]})
    out = json_text(frame)
    assert out["l"].to_list() == ['[{"a":1,"b":"中文"}]', None, "[]"]
    assert out["k"].to_list() == [1, 2, 3]


def _cadres() -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "person_no": ["P1", "P2", "P3"],
            "name": ["张伟", "李强", "王芳"],
            "unit": ["某局", "某局", "某镇"],
            "post": ["局长", "副局长", "镇长"],
            "scope_level": ["县管", "市管", "县管"],
            "region": ["450321"] * 3,
            "id_number": ["450321199001011234", None, "450321198001011238"],
            "post_since": [date(2020, 1, 1)] * 3,
        }
    )


def _timeline() -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "person_no": ["P1", "P1", "P3"],
            "date": [date(2025, 3, 1), date(2025, 6, 1), date(2025, 1, 1)],
            "event_id": ["e1", "e2", "e3"],
            "source": ["petition", "sanction", "inspection"],
            "source_key": ["XF2025-1", "ID/诫勉/2025-06-01", "2025年第1轮/WT1"],
            "category": ["违反廉洁纪律", "组织处理", "落实巡视巡察整改"],
            "outcome": ["属实", "诫勉", "未整改"],
            "counts_against": [True, True, True],
        }
    )


def test_the_warning_list_puts_red_first_and_names_the_records() -> None:
    warning = pl.LazyFrame(
        {
            "person_no": ["P3", "P1"],
            "level": ["yellow", "red"],
            "rule_id": ["W-Y", "W-R"],
            "label": ["逾期未整改", "两次属实"],
            "basis": ["整改要求", "规则"],
            "events": [1, 2],
            "event_ids": [["e3"], ["e2", "e1"]],
        }
    )
    rows = warning_list(warning, _cadres(), _timeline()).collect().to_dicts()
    # Red before yellow whatever the input order; each record is named by source and key.
    assert [r["预警等级"] for r in rows] == ["红色预警", "黄色预警"]
    assert rows[0]["相关记录"] == "信访举报 XF2025-1；处分与组织处理 ID/诫勉/2025-06-01"
    assert rows[0]["姓名"] == "张伟" and rows[0]["行政区划代码"] == "450321"


def test_the_promotion_list_says_why_until_when_and_which_article() -> None:
    reason = {
        "condition": "influence_period", "measure": "组织处理/诫勉", "date": date(2025, 6, 1),
        "until": date(2025, 12, 1), "rule_id": "IP-1", "article": "问责规定 第十九条",
        "bar_rule_id": "PB-1", "bar_article": "条例 第二十四条", "event_id": "e2",
    }  # fmt: skip
    grade = {**reason, "condition": "last_annual_grade", "measure": "年度考核/基本称职",
             "until": None, "article": "条例 第二十四条"}  # fmt: skip
    promotion = pl.LazyFrame(
        {
            "person_no": ["P1", "P3"],
            "as_of": [date(2025, 7, 1)] * 2,
            "barred": [True, True],
            "bar_until": [date(2025, 12, 1), None],
            "reasons": [[reason], [grade]],
        }
    )
    rows = promotion_list(promotion, _cadres()).collect().to_dicts()
    assert rows[0]["暂停提拔"] == "是" and rows[0]["限制截止日期"] == date(2025, 12, 1)
    assert rows[0]["原因及依据"] == (
        "影响期未满：组织处理/诫勉（2025-06-01 起，至 2025-12-01；依据 问责规定 第十九条）"
    )
    # A grade bar has no end date, and the text says so instead of leaving a blank.
    assert "无固定截止日期" in rows[1]["原因及依据"] and rows[1]["限制截止日期"] is None


def test_a_portrait_for_one_scope_counts_only_that_scopes_cadres() -> None:
    # 某局 holds P1 (县管) and P2 (市管): the 县管 portrait of the unit must not count P2's event.
    events = pl.LazyFrame(
        {
            "person_no": ["P1", "P2", "P2"],
            "link_status": ["linked"] * 3,
            "event_date": [date(2025, 3, 1)] * 3,
            "source": ["petition", "petition", "audit"],
            "category": ["违反廉洁纪律", "违反廉洁纪律", "资金闲置"],
            "outcome": ["属实", "属实", "直接责任/未申请"],
            "counts_against": [True, True, True],
            "amount_wan": [None, None, 12.5],
            "due_date": pl.Series([None] * 3, dtype=pl.Date),
        }
    )
    warning = pl.LazyFrame(schema={"person_no": pl.String, "level": pl.String})
    rows = scope_portraits(events, _cadres(), warning, date(2025, 7, 1)).collect()
    unit = rows.filter((pl.col("grain") == "unit") & (pl.col("name") == "某局"))
    by_level = {r["scope_level"]: r for r in unit.to_dicts()}
    assert by_level["县管"]["cadres"] == 1 and by_level["县管"]["reports"] == 1
    assert by_level["县管"]["audit_amount_wan"] == 0.0
    assert by_level["市管"]["audit_amount_wan"] == 12.5 and by_level["市管"]["region"] == "450321"


def _profile() -> pl.DataFrame:
    base = {f"{s}_{k}": [0, 0] for s in ("inspection", "audit", "petition", "assessment",
            "sanction", "tolerance") for k in ("against", "other")}  # fmt: skip
    return pl.DataFrame(
        {
            "person_no": ["P3", "P1"], "name": ["王芳", "张伟"], "unit": ["某镇", "某局"],
            "post": ["镇长", "局长"], "warning_level": ["none", "red"], "barred": [False, True],
            "events": [1, 2], "events_against": [1, 2], **base,
        }
    )  # fmt: skip


def test_profile_pages_carry_the_masked_id_and_each_cadres_own_rows() -> None:
    empty_warning = pl.DataFrame(schema={"person_no": pl.String, "level": pl.String,
                                         "event_ids": pl.List(pl.String)})  # fmt: skip
    promotion = pl.DataFrame({"person_no": ["P1"], "barred": [True], "reasons": [[]]},
                             schema_overrides={"reasons": pl.List(pl.Struct({"condition": pl.String,
                             "event_id": pl.String}))})  # fmt: skip
    pages = profile_pages(
        _profile(), _cadres().collect(), _timeline().collect(), empty_warning, promotion,
        pl.DataFrame(schema={"person_no": pl.String}),
        pl.DataFrame(schema={"person_no": pl.String, "start": pl.Date}),
    )  # fmt: skip
    assert [p["person_no"] for p in pages] == ["P1", "P3"]  # sorted by 人员编号
    assert pages[0]["id_masked"] == "450321********1234"
    assert [e["source_key"] for e in pages[0]["timeline"]] == ["XF2025-1", "ID/诫勉/2025-06-01"]
    assert pages[1]["promotion"] == {"barred": False, "reasons": []}  # no row: not barred
    assert search_index(_profile())[1] == {
        "p": "P1",
        "f": "P1",  # the page's file name: the key itself when it is a plain name
        "n": "张伟",
        "u": "某局",
        "t": "局长",
        "w": "红色预警",
        "b": True,
    }


def test_the_booklet_groups_by_field_and_keeps_refusals_apart() -> None:
    cases = pl.DataFrame(
        {
            "case_id": ["TC-2", "TC-1", "TC-3"],
            "field": ["脱贫攻坚", "招商引资", "招商引资"],
            "year": [2024, 2023, 2024],
            "counter_example": [False, False, True],
        }
    )
    book = booklet(cases)
    assert [s["field"] for s in book["sections"]] == ["招商引资", "脱贫攻坚"]
    assert [c["case_id"] for c in book["counter"]] == ["TC-3"]
    assert book["total"] == 3


def test_a_large_case_library_is_printed_in_volumes_that_stay_put_when_cases_are_added() -> None:
    from warehouse.publish.booklet import PDF_NAME, volumes

    # Thousands of cases cannot be laid out as one PDF in memory: they go in volumes, a field's
    # cases of one year (at most `size`) in each, refusals last, so that a new case changes only
    # its field's volumes of its year.
    cases = pl.DataFrame(
        {
            "case_id": [f"TC-{i:03d}" for i in range(8)],
            "field": ["乙", "甲", "甲", "乙", "甲", "丙", "甲", "甲"],
            "year": [2024, 2024, 2024, 2024, 2024, 2024, 2024, None],
            "counter_example": [False, False, True, False, False, False, False, False],
        }
    )
    parts = volumes(cases, size=2)
    assert [(p.name, p.label, list(p.cases["case_id"])) for p in parts] == [
        ("典型案例汇编-丙-2024-01.pdf", "（丙 · 2024年）", ["TC-005"]),
        ("典型案例汇编-乙-2024-01.pdf", "（乙 · 2024年）", ["TC-000", "TC-003"]),
        ("典型案例汇编-甲-2024-01.pdf", "（甲 · 2024年 第 1 册）", ["TC-001", "TC-004"]),
        ("典型案例汇编-甲-2024-02.pdf", "（甲 · 2024年 第 2 册）", ["TC-006"]),
        ("典型案例汇编-甲-年份不详-01.pdf", "（甲 · 年份不详）", ["TC-007"]),
        ("典型案例汇编-不予容错-2024-01.pdf", "（不予容错 · 2024年）", ["TC-002"]),
    ]  # fields in code-point order, as the booklet's sections, years in order; refusals last
    same = {p.name: list(p.cases["case_id"]) for p in parts}

    def touched(grown: pl.DataFrame) -> set[str]:
        after = {p.name: list(p.cases["case_id"]) for p in volumes(grown, size=2)}
        return {n for n in same.keys() | after.keys() if same.get(n) != after.get(n)}

    def case(case_id: str, field: str, year: int) -> pl.DataFrame:
        return pl.DataFrame({"case_id": [case_id], "field": [field], "year": [year],
                             "counter_example": [False]}, schema=cases.schema)  # fmt: skip

    # A month's new case, of a new year, is a new volume; every other volume is as it was.
    assert touched(pl.concat([cases, case("TC-100", "乙", 2025)])) == {
        "典型案例汇编-乙-2025-01.pdf"
    }
    # A case id is a hash: a new case of a year falls anywhere in it, and moves that year's
    # volumes of its field only (甲's cases of 2024 shift; 乙, 丙 and 甲's undated ones stay).
    assert touched(pl.concat([cases, case("TC-002a", "甲", 2024)])) == {
        "典型案例汇编-甲-2024-01.pdf", "典型案例汇编-甲-2024-02.pdf"}  # fmt: skip
    # Refusals of every field share their section: its volumes go by year, not by field.
    refusals = pl.concat([case("TC-200", "乙", 2025), case("TC-201", "甲", 2024)]).with_columns(
        counter_example=True
    )
    assert [p.name for p in volumes(refusals, size=1)] == [
        "典型案例汇编-不予容错-2024-01.pdf", "典型案例汇编-不予容错-2025-01.pdf"]  # fmt: skip
    # A library that fits in one volume is one booklet, as is an empty one.
    assert [(p.name, p.label) for p in volumes(cases, size=8)] == [(PDF_NAME, "")]
    assert len(volumes(cases.head(0))) == 1


def test_the_inconsistency_list_shows_both_values_and_masks_an_id_in_a_key() -> None:
    # A sanction's key is <ID or 人员编号>/<measure>/<date>: the list an officer prints shows the
    # upstream 影响期截止 beside the computed one, never the whole ID number.
    found = pl.LazyFrame(
        {"kind": ["influence_end_disagrees"], "kind_label": ["影响期截止与计算不一致"],
         "person_no": ["RY1"], "event_id": ["sanction|f|2|0"], "source": ["sanction"],
         "source_key": ["450321198001011234/记过/2024-05-20"], "upstream": ["2026-05-20"],
         "computed": ["2025-05-20"], "note": [None]},
        schema_overrides={"note": pl.String},
    )  # fmt: skip
    cadres = pl.LazyFrame(
        {"person_no": ["RY1", "RY2"], "name": ["张伟", "李强"], "unit": ["财政局", "教育局"],
         "post": ["局长", "局长"], "scope_level": ["县管", "县管"], "region": ["450321", "450321"]}
    )  # fmt: skip
    row = inconsistency_list(found, cadres).collect().row(0, named=True)
    assert (row["姓名"], row["来源"], row["上游数据"], row["按规则计算"]) == (
        "张伟", "处分与组织处理", "2026-05-20", "2025-05-20",
    )  # fmt: skip
    assert row["记录"] == "450321********1234/记过/2024-05-20"


def test_invisible_characters_are_counted_per_field_inside_lists_and_structs() -> None:
    # Why: the serving step's WARN lines count, per field, the values whose control or bidi
    # characters it strips; the count runs over every row of every changed table (1,000,000
    # profiles a night), so it is one query over all fields. It must count what opening each
    # field as a series counts: a value per list element, nested fields by their path, nulls
    # and empty lists as nothing.
    from transforms.publishing import invisible_counts

    def _string_leaves(series: pl.Series, path: str):  # type: ignore[no-untyped-def]
        # The count's oracle: each field opened as a series, one after the other.
        if series.dtype == pl.String:
            yield path, series
        elif isinstance(series.dtype, pl.List):
            yield from _string_leaves(series.explode(), f"{path}[]")
        elif isinstance(series.dtype, pl.Struct):
            for field in series.dtype.fields:
                yield from _string_leaves(series.struct.field(field.name), f"{path}.{field.name}")

    frame = pl.DataFrame(
        {
            "name": ["张\u202e三", "李四", None, "王\x00五"],
            "notes": [["正常", "含\u200e标记"], [], None, ["\ufeff开头"]],
            "by": [
                [{"category": "信访\x1b", "n": 1}],
                [{"category": "审计", "n": 2}, {"category": None, "n": 0}],
                None,
                [],
            ],
            "plain": [1, 2, 3, 4],
            "clean": ["甲", "乙", "丙", "丁"],
        }
    )
    expected = {"name": 2, "notes[]": 2, "by[].category": 1}
    assert invisible_counts(frame) == expected
    oracle = {}
    for column in frame.columns:
        for field, values in _string_leaves(frame.get_column(column), column):
            found = int(
                values.str.contains(
                    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u202e\ufeff]"
                ).sum()
            )
            if found:
                oracle[field] = found
    assert oracle == expected
    assert invisible_counts(frame.select("plain", "clean")) == {}
