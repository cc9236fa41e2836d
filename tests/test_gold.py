"""Gold on hand-built cadres: every default warning rule row, clearance, profile, portrait, cases.

Each warning test names the rule row it checks (``warning_rules.csv``) and the basis it cites.
"""

from datetime import date, timedelta

import polars as pl
import pytest

from transforms.cases import public_id, tolerance_cases
from transforms.events import PetitionCounting
from transforms.profile import (
    cadre_profile,
    cadre_timeline,
    clearance,
    split_points,
    unit_portrait,
)
from transforms.promotion import promotion_check
from transforms.warnings import rectification_months, warning_level, warnings
from warehouse.rules import (
    RuleError,
    load_deid_rules,
    load_influence_periods,
    load_promotion_bar,
    load_warning_rules,
)

PERIODS, BAR, RULES = load_influence_periods(), load_promotion_bar(), load_warning_rules()
DEID = load_deid_rules()
AS_OF = date(2025, 6, 30)


def _event(person: str, source: str, category: str | None, outcome: str, day: str, against: bool = True, **extra: object) -> dict[str, object]:  # fmt: skip
    return {"event_id": f"{source}|{person}|{day}|{outcome}", "source_key": f"{person}/{day}", "person_no": person,
            "link_status": "linked", "source": source, "category": category, "outcome": outcome,
            "event_date": date.fromisoformat(day), "due_date": None, "term_months": None, "counts_against": against,
            "amount_wan": None} | extra  # fmt: skip


def _frame(events: list[dict[str, object]]) -> pl.LazyFrame:
    return pl.DataFrame(
        events,
        schema_overrides={"term_months": pl.Int64, "amount_wan": pl.Float64, "due_date": pl.Date},
    ).lazy()


def _fired(events: list[dict[str, object]], as_of: date = AS_OF) -> dict[str, set[str]]:
    out = warnings(_frame(events), RULES, PERIODS, BAR, as_of).collect()
    fired: dict[str, set[str]] = {}
    for person, rule in out.select("person_no", "rule_id").iter_rows():
        fired.setdefault(person, set()).add(rule)
    return fired


def test_red_while_a_party_or_government_sanction_runs():
    # W-RED-SANCTION (纪律处分条例; 政务处分法 art. 8): 政务记过 on 2024-11-01 runs 12 months.
    fired = _fired([_event("A", "sanction", "政务处分", "记过", "2024-11-01")])
    assert fired == {"A": {"W-RED-SANCTION"}}
    assert _fired([_event("A", "sanction", "政务处分", "记过", "2023-11-01")]) == {}


def test_two_substantiated_reports_in_a_year_are_red_one_is_yellow():
    # W-RED-REPORTS / W-YEL-REPORT (信访举报: 属实/部分属实 count).
    two = [_event("B", "petition", "违反廉洁纪律", "属实", "2025-01-10"),
           _event("B", "petition", "违反廉洁纪律", "部分属实", "2025-03-10")]  # fmt: skip
    assert _fired(two) == {"B": {"W-RED-REPORTS"}}
    assert _fired(two[:1]) == {"B": {"W-YEL-REPORT"}}


def test_untrue_repeated_or_old_reports_raise_nothing():
    # 不实/查无实据 and false accusations do not count (counts_against false); older than 12 months neither.
    events = [
        _event("C", "petition", "x", "不实", "2025-02-01", against=False),
        _event("C", "petition", "x", "属实", "2025-03-01", against=False),  # 诬告陷害 or 重复件
        _event("C", "petition", "x", "属实", "2024-01-01"),
    ]
    assert _fired(events) == {}


def test_jiemian_in_the_last_year_is_yellow():
    # W-YEL-JIEMIAN (选拔任用条例 art. 24): a 诫勉 within 12 months.
    assert _fired([_event("D", "sanction", "组织处理", "诫勉", "2025-01-15")]) == {
        "D": {"W-YEL-JIEMIAN"}
    }
    assert _fired([_event("D", "sanction", "组织处理", "诫勉", "2024-01-15")]) == {}


def _finding(outcome: str, fed_back: str, due: str | None) -> dict[str, object]:
    due_date = date.fromisoformat(due) if due else None
    return _event("E", "inspection", "x", outcome, fed_back, due_date=due_date)


def test_an_overdue_unrectified_finding_is_yellow():
    # W-YEL-OVERDUE: the deadline (整改时限) passed and the finding is still 未整改 / 整改中.
    assert _fired([_finding("整改中", "2024-12-01", "2025-03-31")]) == {"E": {"W-YEL-OVERDUE"}}
    assert _fired([_finding("已整改", "2024-12-01", "2025-03-31")]) == {}
    # Fed back long ago but due after the as-of date: not overdue (issue #15).
    assert _fired([_finding("未整改", "2024-05-20", "2025-12-31")]) == {}


def test_a_finding_without_deadline_takes_the_default_window():
    # W-YEL-OVERDUE window_months = 2: no 整改时限 → due 2 months after 反馈日期 (in silver).
    from transforms.events import inspection_events

    bronze = pl.LazyFrame(
        {"轮次": ["R1", "R1"], "问题编号": ["1", "2"], "责任人": ["张伟", "张伟"], "责任人职务": [None, None],
         "被巡察单位": ["某局", "某局"], "问题类别": ["x", "x"], "整改状态": ["未整改", "未整改"],
         "整改时限": [None, date(2025, 3, 31)], "反馈日期": [date(2025, 4, 29), date(2024, 5, 20)],
         "_source_file": ["f", "f"], "_source_row": [1, 2]},
        schema_overrides={"责任人职务": pl.String, "整改时限": pl.Date},
    )  # fmt: skip
    months = rectification_months(RULES)
    due = inspection_events(bronze, months).collect()["due_date"].to_list()
    assert months == 2 and due == [date(2025, 6, 29), date(2025, 3, 31)]
    late = _finding("未整改", "2025-04-29", "2025-06-29")
    row = warnings(_frame([late]), RULES, PERIODS, BAR, AS_OF).collect().row(0, named=True)
    assert (row["rule_id"], row["detail"]) == ("W-YEL-OVERDUE", "整改时限 2025-06-29，逾期 1 天")
    # Due on the as-of date itself: not yet past.
    assert _fired([_finding("未整改", "2025-04-30", "2025-06-30")]) == {}


def test_a_direct_audit_finding_without_tolerance_is_yellow():
    # W-YEL-AUDIT: 直接责任 and no 容错; a tolerated one (counts_against false) raises nothing.
    assert _fired([_event("F", "audit", "x", "直接责任/未申请", "2025-02-01")]) == {
        "F": {"W-YEL-AUDIT"}
    }
    assert (
        _fired([_event("F", "audit", "x", "直接责任/予以容错", "2025-02-01", against=False)]) == {}
    )
    assert _fired([_event("F", "audit", "x", "领导责任/未申请", "2025-02-01")]) == {}


def test_letters_talks_and_a_basic_grade_are_blue():
    # W-BLUE-LETTER (函询/提醒谈话 within 12 months) and W-BLUE-GRADE (last year's 基本称职).
    events = [
        _event("G", "sanction", "组织处理", "函询", "2025-04-01", against=False),
        _event("H", "assessment", "年度考核", "基本称职", "2024-12-31"),
        _event("I", "assessment", "年度考核", "基本称职", "2023-12-31"),
    ]
    assert _fired(events) == {"G": {"W-BLUE-LETTER"}, "H": {"W-BLUE-GRADE"}}


def test_the_highest_level_is_the_cadres_level():
    events = [_event("J", "sanction", "组织处理", "函询", "2025-04-01", against=False),
              _event("J", "sanction", "党纪处分", "警告", "2025-01-01")]  # fmt: skip
    levels = warning_level(warnings(_frame(events), RULES, PERIODS, BAR, AS_OF)).collect()
    assert levels.row(0, named=True)["warning_level"] == "red"


def test_a_malformed_warning_rule_names_file_and_line(tmp_path):
    text = (load_warning_rules.__globals__["DEFAULT_RULES"] / "warning_rules.csv").read_text(
        encoding="utf-8"
    )
    lines = text.splitlines()
    lines[3] = lines[3].replace(",yellow,", ",orange,", 1)
    (tmp_path / "warning_rules.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RuleError, match=r"warning_rules.csv, line 4: level must be one of"):
        load_warning_rules(tmp_path)


def _petitions(rows: list[tuple[str, bool, bool, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "件号": [r[0] for r in rows], "是否澄清正名": [r[1] for r in rows],
            "是否诬告陷害": [r[2] for r in rows], "办理结果": [r[3] for r in rows],
            "收件日期": [date(2024, 1, 1)] * len(rows), "办结日期": [date(2024, 3, 1)] * len(rows),
            "更新时间": [None] * len(rows), "_source_row": list(range(len(rows))),
        },
        schema_overrides={"件号": pl.String, "是否澄清正名": pl.Boolean, "是否诬告陷害": pl.Boolean,
                          "办理结果": pl.String, "更新时间": pl.Datetime, "_source_row": pl.Int64},
    )  # fmt: skip


CADRES = pl.LazyFrame(
    {
        "person_no": ["A", "B"], "name": ["张伟", "李娜"], "gender": ["男", "女"],
        "birth_month": [date(1980, 1, 1)] * 2, "unit_code": ["U1", "U1"],
        "unit": ["安平县发改局", "安平县发改局"], "post": ["局长", "科员"], "grade": [None, None],
        "scope_level": ["县管", "县管"], "region": ["450101", "450101"],
        "scope": ["县管/450101", "县管/450101"], "post_since": [date(2020, 1, 1)] * 2,
        "status": ["在职", "在职"],
    }
)  # fmt: skip


def test_clearance_lists_cleared_cadres_and_false_accusations():
    events = _frame([
        _event("A", "petition", "x", "不实", "2024-01-01", against=False, source_key="J1"),
        _event("B", "petition", "x", "不实", "2024-01-01", against=False, source_key="J2"),
        _event("B", "petition", "x", "属实", "2024-01-01", source_key="J3"),
    ])  # fmt: skip
    petitions = _petitions(
        [("J1", True, False, "不实"), ("J2", False, True, "不实"), ("J3", False, False, "属实")]
    )
    out = clearance(events, petitions, CADRES).collect()
    assert out.select("person_no", "source_key", "protection").rows() == [
        ("A", "J1", "澄清正名"), ("B", "J2", "诬告陷害"),
    ]  # fmt: skip


def test_every_profile_number_traces_to_its_timeline():
    events = _frame([
        _event("A", "petition", "x", "属实", "2025-01-10"),
        _event("A", "petition", "x", "不实", "2025-02-10", against=False),
        _event("A", "assessment", "年度考核", "称职", "2024-12-31", against=False),
        _event("A", "sanction", "政务处分", "记过", "2025-01-01"),
        _event("A", "audit", "x", "直接责任/未申请", "2026-01-01"),  # after as-of: not yet
    ])  # fmt: skip
    promotion = promotion_check(events, CADRES, PERIODS, BAR, AS_OF)
    warned = warnings(events, RULES, PERIODS, BAR, AS_OF)
    empty = clearance(events, _petitions([]), CADRES)
    out = cadre_profile(events, CADRES, promotion, warning_level(warned), empty, AS_OF).collect()
    (timeline,) = cadre_timeline(events, AS_OF)
    a_rows = timeline.collect().filter(pl.col("person_no") == "A")
    a = out.filter(pl.col("person_no") == "A").row(0, named=True)
    assert (a["petition_against"], a["petition_other"], a["sanction_against"]) == (1, 1, 1)
    assert a["events"] == a_rows.height == 4
    assert a["events_against"] == a_rows["counts_against"].sum() == 2
    assert a_rows["date"].is_sorted()  # the timeline reads in date order
    assert a["by_category"] == [
        {"source": "assessment", "category": "年度考核", "against": 0, "other": 1},
        {"source": "petition", "category": "x", "against": 1, "other": 1},
        {"source": "sanction", "category": "政务处分", "against": 1, "other": 0},
    ]
    assert a["latest_grades"] == [{"year": 2024, "grade": "称职"}]
    assert a["barred"] and a["warning_level"] == "red" and a["running"] == ["政务处分/记过"]
    b = out.filter(pl.col("person_no") == "B").row(0, named=True)
    assert (b["events"], b["by_category"], b["warning_level"], b["barred"]) == (
        0,
        [],
        "none",
        False,
    )


def test_latest_grades_are_the_three_newest_annual_grades_before_this_year():
    # The profile shows the last three 年度考核 grades, newest first; this year's is not final.
    # Two grades of one year (a correction exported twice) are ordered by the grade, so the
    # list is the same every run.
    events = _frame([
        _event("A", "assessment", "年度考核", grade, day, against=False, source_key=f"A/{day}/{grade}")
        for grade, day in [("称职", "2021-12-31"), ("优秀", "2022-12-31"), ("称职", "2023-12-31"),
                           ("基本称职", "2024-12-31"), ("称职", "2024-12-31"), ("优秀", "2025-06-01")]
    ] + [_event("A", "assessment", "平时考核", "好", "2024-09-30", against=False)])  # fmt: skip
    out = cadre_profile(
        events, CADRES, promotion_check(events, CADRES, PERIODS, BAR, AS_OF),
        warning_level(warnings(events, RULES, PERIODS, BAR, AS_OF)),
        clearance(events, _petitions([]), CADRES), AS_OF,
    ).collect()  # fmt: skip
    grades = out.filter(pl.col("person_no") == "A")["latest_grades"].item().to_list()
    assert grades == [
        {"year": 2024, "grade": "基本称职"},
        {"year": 2024, "grade": "称职"},
        {"year": 2023, "grade": "称职"},
    ]


def test_the_timeline_in_pieces_is_the_whole_timeline_in_order():
    # gold/cadre_timeline is sorted and written one person_no range at a time, to bound memory;
    # one piece after another must be exactly the timeline sorted at once.
    people = [f"P{n:03d}" for n in range(40)]
    events = _frame([
        _event(p, "petition", "x", "属实", f"2024-{1 + (n * 7) % 12:02d}-{1 + n % 28:02d}", source_key=f"J{n}")
        for n, p in enumerate(people * 3)
    ])  # fmt: skip
    (whole,) = cadre_timeline(events, AS_OF)
    bounds = split_points(pl.Series(people), 4)
    assert bounds == ["P010", "P020", "P030"]
    pieces = [piece.collect() for piece in cadre_timeline(events, AS_OF, bounds)]
    assert [piece.height for piece in pieces] == [30, 30, 30, 30]
    assert pl.concat(pieces).equals(whole.collect())
    assert split_points(pl.Series(["P1"]), 4) == [] and split_points(pl.Series(people), 1) == []


def test_unit_portrait_rates_per_hundred_cadres():
    events = _frame([
        _event("A", "petition", "x", "属实", "2025-01-10"),
        _event("B", "petition", "x", "不实", "2025-02-10", against=False),
        _event("A", "inspection", "x", "未整改", "2025-01-01", due_date=date(2025, 3, 1)),
        _event("A", "inspection", "x", "整改中", "2025-03-01", due_date=date(2025, 9, 1)),  # not due
        _event("B", "audit", "x", "领导责任/未申请", "2024-05-01", amount_wan=12.5),
    ])  # fmt: skip
    warned = warnings(events, RULES, PERIODS, BAR, AS_OF)
    out = unit_portrait(events, CADRES, warned, AS_OF).collect()
    unit = out.filter(pl.col("grain") == "unit").row(0, named=True)
    assert unit["name"] == "安平县发改局" and unit["cadres"] == 2
    assert unit["petition_per_100"] == 100.0 and unit["substantiated_rate"] == 0.5
    assert (unit["findings_unrectified"], unit["findings_overdue"]) == (2, 1)
    assert unit["audit_amount_wan"] == 12.5
    assert unit["trend"] == [
        {"year": 2024, "events": 1, "against": 1},
        {"year": 2025, "events": 4, "against": 3},
    ]
    assert unit["by_category"] == [
        {"source": "audit", "category": "x", "events": 1, "against": 1, "per_100": 50.0},
        {"source": "inspection", "category": "x", "events": 2, "against": 2, "per_100": 100.0},
        {"source": "petition", "category": "x", "events": 2, "against": 1, "per_100": 100.0},
    ]
    assert out.filter(pl.col("grain") == "region")["name"].to_list() == ["450101"]


def test_public_ids_are_stable_and_reveal_nothing():
    assert public_id("tolerance", "RC2024-0001") == public_id("tolerance", "RC2024-0001")
    assert "RC2024" not in public_id("tolerance", "RC2024-0001")


def test_a_case_is_de_identified_as_a_whole_with_its_removals_counted():
    # The case library's own person and a colleague would both be 张某: 张某甲/张某乙 in every
    # field and in the person column; each kind removed is counted, never shown.
    base = {"姓名": "张伟", "人员编号": "A", "单位": "安平县发改局", "职务": "局长", "领域": "乡村振兴",
            "事项描述": "张伟与经办人张强（电话139-1234-5678）在青山村推进项目，于2024年3月5日损失5万元。",
            "申请日期": date(2024, 1, 1), "认定日期": date(2024, 2, 1), "认定机关": "县委组织部",
            "动机态度": "符合", "客观条件": "符合", "程序方法": "符合", "性质程度": "符合", "后果影响": "符合",
            "挽回损失": "符合", "三个区分开来": "张强的失误属探索性失误", "纠错措施": "张伟组织整改",
            "案例编号": "R1", "认定结果": "予以容错", "不予容错情形": None, "可否公开": True}  # fmt: skip
    audit = pl.DataFrame(schema={"容错认定": pl.String, **{c: pl.Boolean for c in ("符合改革方向", "经集体研究", "未造成重大不良后果", "未发现利益输送", "尽力避免损失")}})  # fmt: skip
    case = tolerance_cases(pl.DataFrame([base]), audit, [], [], deid_rules=DEID).row(0, named=True)
    assert case["person"] == "张某甲" and case["unit"] == "某县发改局"
    assert case["facts"] == "张某甲与经办人张某乙（电话×××）在某村推进项目，于2024年损失5万元。"
    assert (
        case["distinction"] == "张某乙的失误属探索性失误" and case["correction"] == "张某甲组织整改"
    )
    assert case["removed"] == [
        {"kind": "姓名", "count": 4}, {"kind": "电话", "count": 1}, {"kind": "地址", "count": 1},
        {"kind": "具体日期", "count": 1},
    ]  # fmt: skip


def test_refusals_stay_as_counter_examples_and_unpublishable_cases_are_left_out():
    base = {"姓名": "张伟", "人员编号": "A", "单位": "安平县发改局", "职务": "局长", "领域": "项目建设",
            "事项描述": "张伟推进项目", "申请日期": date(2024, 1, 1), "认定日期": date(2024, 2, 1),
            "认定机关": "县委组织部", "动机态度": "符合", "客观条件": "符合", "程序方法": "符合",
            "性质程度": "不符合", "后果影响": "不符合", "挽回损失": "符合", "三个区分开来": "区分",
            "纠错措施": "整改"}  # fmt: skip
    tolerance = pl.DataFrame([
        base | {"案例编号": "R1", "认定结果": "不予容错", "不予容错情形": "谋取私利", "可否公开": True},
        base | {"案例编号": "R2", "认定结果": "予以容错", "不予容错情形": None, "可否公开": False},
    ])  # fmt: skip
    audit = pl.DataFrame(schema={"容错认定": pl.String, **{c: pl.Boolean for c in ("符合改革方向", "经集体研究", "未造成重大不良后果", "未发现利益输送", "尽力避免损失")}})  # fmt: skip
    cases = tolerance_cases(tolerance, audit, [], [], deid_rules=DEID)
    assert cases.height == 1
    case = cases.row(0, named=True)
    assert case["counter_example"] and case["exclusion"] == "谋取私利"
    assert case["elements_failed"] == ["性质程度", "后果影响"] and case["person"] == "张某"
    assert case["facts"] == "张某推进项目"


def test_two_dates_with_the_same_cut_give_the_same_timeline() -> None:
    # The timeline and the composite scores read the as-of date only as a cut of the events
    # (event_date <= as_of): a nightly run whose date moved past no event keeps them, as
    # fingerprinted by the latest event date up to the date (cut_dates), not the date. Here one
    # timeline at every date of a span, beside the cut: equal cuts, equal timelines; an event
    # between two dates (here of any source, even unlinked) moves the cut.
    from transforms.gold import CUT, cut_dates
    from transforms.profile import cadre_timeline

    days = [date(2025, 1, 1), date(2025, 1, 5), date(2025, 1, 5), date(2025, 2, 1), None]
    events = pl.DataFrame({
        "person_no": ["A", "A", "B", "B", "A"], "event_date": days,
        "event_id": ["e1", "e2", "e3", "e4", "e5"],
        "source": ["petition", "assessment", "audit", "assessment", "audit"],
        "source_key": ["k1", "k2", "k3", "k4", "k5"], "category": ["x"] * 5, "outcome": ["y"] * 5,
        "counts_against": [True, False, True, False, True],
        "link_status": ["linked", "linked", "unlinked", "linked", "linked"],
    }).lazy()  # fmt: skip
    seen: dict[object, pl.DataFrame] = {}
    for offset in range(0, 45):
        as_of = date(2024, 12, 30) + timedelta(days=offset)
        cut = cut_dates(events, as_of)
        assert set(cut) == set(CUT)
        made = pl.concat([piece.collect() for piece in cadre_timeline(events, as_of)])
        key = cut["cadre_timeline"]
        if key in seen:
            assert made.equals(seen[key]), as_of
        seen[key] = made
        if as_of >= date(2025, 1, 5):  # the latest assessment up to the date
            want = date(2025, 2, 1) if as_of >= date(2025, 2, 1) else date(2025, 1, 5)
            assert cut["assessment_composite"] == want
    assert list(seen) == [None, date(2025, 1, 1), date(2025, 1, 5), date(2025, 2, 1)]
    assert cut_dates(events, date(2024, 12, 31)) == {
        "cadre_timeline": None,
        "assessment_composite": None,
    }


def test_a_case_whose_row_did_not_change_is_taken_from_the_earlier_library_as_it_was():
    # De-identifying a case is gold's costliest step; a month adds a few cases to thousands. A
    # case whose source row (the columns read) is the one the earlier library was made from is
    # taken as it was; a changed row, a new row and a key written twice are made again, and a
    # row gone takes its case with it. The result equals a library made from scratch.
    from transforms.cases import EarlierCases

    base = {"姓名": "张伟", "人员编号": "A", "单位": "安平县发改局", "职务": "局长", "领域": "项目建设",
            "事项描述": "张伟推进项目", "申请日期": date(2024, 1, 1), "认定日期": date(2024, 2, 1),
            "认定机关": "县委组织部", "动机态度": "符合", "客观条件": "符合", "程序方法": "符合",
            "性质程度": "符合", "后果影响": "符合", "挽回损失": "符合", "三个区分开来": "区分",
            "纠错措施": "整改", "认定结果": "予以容错", "不予容错情形": None, "可否公开": True}  # fmt: skip
    audit = pl.DataFrame(schema={"容错认定": pl.String, **{c: pl.Boolean for c in ("符合改革方向", "经集体研究", "未造成重大不良后果", "未发现利益输送", "尽力避免损失")}})  # fmt: skip
    before = pl.DataFrame([
        base | {"案例编号": "SAME"}, base | {"案例编号": "EDITED"}, base | {"案例编号": "GONE"},
        base | {"案例编号": "TWICE"}, base | {"案例编号": "TWICE", "认定机关": "市委组织部"},
    ])  # fmt: skip
    after = pl.DataFrame([
        base | {"案例编号": "SAME", "认定机关": "市委组织部"},  # a column no case shows: unchanged
        base | {"案例编号": "EDITED", "事项描述": "张伟推进另一项目"}, base | {"案例编号": "NEW"},
        base | {"案例编号": "TWICE"}, base | {"案例编号": "TWICE", "认定机关": "市委组织部"},
    ])  # fmt: skip
    made = tolerance_cases(before, audit, [], [], deid_rules=DEID)
    # What the earlier run wrote, marked: a case taken from it keeps the mark.
    marked = made.with_columns(facts=pl.col("facts") + "【上次】")
    earlier = EarlierCases(marked.lazy(), before.lazy(), audit.lazy())
    again = tolerance_cases(after, audit, [], [], deid_rules=DEID, earlier=earlier)
    ids = {public_id("tolerance", k): k for k in ("SAME", "EDITED", "GONE", "TWICE", "NEW")}
    taken = {
        ids[c] for c, f in again.select("case_id", "facts").iter_rows() if f.endswith("【上次】")
    }
    assert taken == {"SAME"}
    assert sorted(ids[c] for c in again["case_id"]) == ["EDITED", "NEW", "SAME", "TWICE", "TWICE"]
    fresh = tolerance_cases(after, audit, [], [], deid_rules=DEID)
    unmarked = again.with_columns(facts=pl.col("facts").str.replace("【上次】", "", literal=True))
    assert unmarked.equals(fresh)
    # Earlier rows of an older bronze schema (a column read since is missing): nothing is taken,
    # the library is made as from nothing, and the run goes on.
    older = EarlierCases(marked.lazy(), before.drop("纠错措施").lazy(), audit.lazy())
    assert tolerance_cases(after, audit, [], [], deid_rules=DEID, earlier=older).equals(fresh)


@pytest.mark.slow
def test_gold_on_generated_sources(baseline, generated):
    import re

    from warehouse.store import Warehouse

    store = Warehouse(baseline)
    tables = {n: store.scan("gold", n).collect() for n in ("promotion_check", "warning", "clearance", "cadre_profile", "cadre_timeline", "unit_portrait", "tolerance_case")}  # fmt: skip
    assert all(t.height > 0 for t in tables.values()), {n: t.height for n, t in tables.items()}
    events = store.scan("silver", "supervision_event").select("event_id", "source_key").collect()
    profile = tables["cadre_profile"]
    # Every profile number is a count of the cadre's timeline rows, the timeline is sorted by
    # cadre and date, and every timeline row is a silver event.
    timeline = tables["cadre_timeline"]
    counted = timeline.group_by("person_no").agg(
        pl.len().alias("rows"), pl.col("counts_against").sum().alias("against")
    )
    traced = profile.join(counted, on="person_no", how="left").with_columns(
        pl.col("rows", "against").fill_null(0)
    )
    assert (traced["events"] == traced["rows"]).all() and traced["events"].sum() == timeline.height
    assert (traced["events_against"] == traced["against"]).all()
    by_category = (
        profile.select("person_no", "by_category").explode("by_category").unnest("by_category")
    ).drop_nulls("source")
    per_category = timeline.group_by("person_no", "source", "category").agg(
        pl.col("counts_against").sum().alias("a"), (~pl.col("counts_against")).sum().alias("o")
    )
    both = by_category.join(per_category, on=["person_no", "source", "category"], nulls_equal=True)
    assert both.height == by_category.height == per_category.height
    assert (both["against"] == both["a"]).all() and (both["other"] == both["o"]).all()
    assert timeline.select("person_no", "date").equals(
        timeline.select("person_no", "date").sort(pl.all())
    )
    # … with its source key as officers read it: an ID number inside a sanction's key masked.
    from transforms.normalize import mask_id_numbers

    shown = events.with_columns(mask_id_numbers(pl.col("source_key")).alias("source_key"))
    assert timeline.join(shown, on=["event_id", "source_key"], how="anti").height == 0
    assert not timeline["source_key"].str.contains(r"\d{17}[\dXx]").any()
    fired = tables["warning"].select(pl.col("event_ids").explode().alias("event_id"))
    assert fired.join(events, on="event_id", how="anti").height == 0
    # The case library shows none of the names, phone numbers or ID numbers of the source texts.
    tolerance = store.scan("bronze", "tolerance").collect()
    audit = store.scan("bronze", "audit").collect()
    texts = tolerance["事项描述"].drop_nulls().to_list() + audit["问题描述"].drop_nulls().to_list()
    secrets = set(tolerance["姓名"].drop_nulls()) | set(audit["被审计领导干部"].drop_nulls())
    roster_names = set(store.scan("silver", "cadre").select("name").collect()["name"])
    for text in texts:
        secrets |= set(re.findall(r"1[3-9]\d{9}", text)) | set(re.findall(r"\d{17}[\dX]", text))
        secrets |= {n for n in roster_names if n and n in text}
    assert any(re.fullmatch(r"1[3-9]\d{9}", s) for s in secrets)  # the scan has phones to find
    # and every identifier the generator planted in a published case's 事项描述, as written
    public = set(tolerance.filter(pl.col("可否公开"))["案例编号"])
    planted = pl.read_csv(generated / "truth" / "planted.csv", infer_schema=False).filter(
        (pl.col("source") == "tolerance") & pl.col("source_key").is_in(public)
    )
    assert set(planted["kind"]) >= {"person", "phone", "id_number", "bank_card", "email", "uscc"}
    secrets |= set(planted["written"])
    cases = tables["tolerance_case"]
    rendered = "\n".join(str(v) for row in cases.iter_rows() for v in row if v is not None)
    leaked = sorted(s for s in secrets if len(s) >= 2 and s in rendered)
    assert leaked == [], leaked[:10]
    assert cases["counter_example"].any() and cases["case_id"].is_unique().all()
    counted = cases.select(pl.col("removed").explode()).unnest("removed")
    assert {"姓名", "电话", "身份证号"} <= set(counted["kind"]) and (counted["count"] > 0).all()


def test_counting_and_case_rules_are_data_checked_at_load(tmp_path):
    from warehouse.rules import (
        DEFAULT_RULES,
        load_fields,
        load_petition_counting,
        load_tolerance_exclusions,
    )

    counting = load_petition_counting()
    assert counting == PetitionCounting(("属实", "部分属实"), ("是否诬告陷害", "重复件"))
    assert {e.text for e in load_tolerance_exclusions()} >= {"谋取私利", "弄虚作假"}
    assert "脱贫攻坚" in load_fields()
    lines = (DEFAULT_RULES / "petition_counting.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "petition_counting.csv").write_text(
        "\n".join(lines[:4] + lines[5:]), encoding="utf-8"
    )
    with pytest.raises(RuleError, match="no rule for 办理结果 查无实据"):
        load_petition_counting(tmp_path)
    lines[2] = lines[2].replace(",部分属实,", ",基本属实,")
    (tmp_path / "petition_counting.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RuleError, match=r"line 3: '基本属实' is not a 办理结果"):
        load_petition_counting(tmp_path)


def test_a_deployment_can_count_differently():
    # With a rule file that also voids nothing, a repeat (重复件) would count: the rule is data.
    from transforms.events import petition_events
    from warehouse.rules import load_petition_counting

    bronze = pl.LazyFrame(
        {"件号": ["J1"], "收件日期": [date(2024, 1, 1)], "被反映人姓名": ["张伟"], "被反映人姓名_原文": ["张伟"],
         "被反映人单位": [None], "被反映人职务": [None], "被反映人身份证号": [None], "问题类别": [None], "办理结果": ["属实"],
         "是否诬告陷害": [False], "重复件": [True], "更新时间": [None], "_source_file": ["f"], "_source_row": [1]},
        schema_overrides={"更新时间": pl.Datetime, "被反映人单位": pl.String, "被反映人职务": pl.String,
                          "被反映人身份证号": pl.String, "问题类别": pl.String},
    )  # fmt: skip
    shipped = (
        petition_events(bronze, load_petition_counting()).collect()["counts_against"].to_list()
    )
    other = petition_events(bronze, PetitionCounting(("属实",), ())).collect()
    assert shipped == [False] and other["counts_against"].to_list() == [True]


@pytest.mark.slow
def test_a_gold_step_that_fails_discards_what_it_staged(baseline, tmp_path, monkeypatch):
    # Gold stages table after table; when a later one fails (here the inconsistency list, the
    # last table, cannot be read), the tables staged before it must not be left behind, and the
    # published gold stays as it was.
    import shutil

    import transforms.gold as gold_module
    from transforms.gold import gold_tables
    from warehouse.layer_inputs import silver_inputs
    from warehouse.rules import load_rules
    from warehouse.store import Warehouse

    def unreadable(*_args: object) -> pl.LazyFrame:
        raise OSError("bronze/sanction cannot be read")

    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    versions = sorted(p.name for p in (warehouse / ".versions" / "gold").glob("*/*"))
    links = {p.name: p.resolve() for p in (warehouse / "gold").iterdir()}
    monkeypatch.setattr(gold_module, "inconsistencies", unreadable)
    store, progress = Warehouse(warehouse), []
    # another date than the baseline's, so every staged table is a new version
    tables = gold_tables(silver_inputs(store), load_rules(), date(2025, 1, 1))
    with pytest.raises((pl.exceptions.PolarsError, OSError)):
        store.stage_many("gold", tables, progress.append)
    assert len(progress) == 10  # ten tables were staged before the failure (the last one)
    assert sorted(p.name for p in (warehouse / ".versions" / "gold").glob("*/*")) == versions
    assert {p.name: p.resolve() for p in (warehouse / "gold").iterdir()} == links
