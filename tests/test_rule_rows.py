"""One case per row of every rule file that decides a bar, a warning or a count (issue #15,
point 4): each row of ``influence_periods.csv``, ``promotion_bar.csv``, ``warning_rules.csv``,
``petition_counting.csv``, ``tolerance_exclusions.csv`` and (issue #24)
``assessment_weighting.csv``, ``reuse_rules.csv`` and ``commendation.csv`` is exercised on a
hand-built cadre with the as-of date the case needs, and checked against the article the row cites.

A row added to a shipped rule file without a case here fails ``test_every_*_row_has_a_case``:
the cases are read from the files, never the other way round.
"""

import csv
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from transforms.cases import _exclusion
from transforms.events import petition_events
from transforms.practices import assessment_composite, commendations, sanction_followup
from transforms.promotion import promotion_check
from transforms.warnings import RankInputs, warnings
from warehouse.rules import DEFAULT_RULES, load_rules

RULES = load_rules()
SCHEMA = {"event_id": pl.String, "person_no": pl.String, "link_status": pl.String,
          "source": pl.String, "category": pl.String, "outcome": pl.String,
          "event_date": pl.Date, "due_date": pl.Date, "term_months": pl.Int64,
          "counts_against": pl.Boolean, "amount_wan": pl.Float64}  # fmt: skip


def _rows(name: str) -> list[dict[str, str]]:
    with (Path(DEFAULT_RULES) / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _event(n: int, source: str, category: str | None, outcome: str, day: date, **extra: object) -> dict[str, object]:  # fmt: skip
    return {"event_id": f"{source}|f|{n}|0", "person_no": "A", "link_status": "linked",
            "source": source, "category": category, "outcome": outcome, "event_date": day,
            "due_date": None, "term_months": None, "counts_against": True,
            "amount_wan": None} | extra  # fmt: skip


def _frame(events: list[dict[str, object]]) -> pl.LazyFrame:
    return pl.DataFrame(events, schema=SCHEMA).lazy()


def _check(events: list[dict[str, object]], as_of: date) -> dict[str, object]:
    out = promotion_check(
        _frame(events), pl.LazyFrame({"person_no": ["A"]}), RULES.influence_periods,
        RULES.promotion_bar, as_of,
    )  # fmt: skip
    return out.collect().row(0, named=True)


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, day.day)  # day 15: always a day


# --- influence_periods.csv: each measure bars for its months, under the law in force then ----


@pytest.mark.parametrize("row", _rows("influence_periods.csv"), ids=lambda r: r["rule_id"])
def test_each_influence_period_row_bars_for_its_months(row: dict[str, str]) -> None:
    # The decision is dated inside the row's validity window (the 15th: every month has one),
    # so the row in force then is the one that applies (公务员法 before 2020-07-01, 政务处分法 after).
    start = date.fromisoformat(row["effective_from"]) if row["effective_from"] else date(2023, 3, 1)
    decided = date(start.year, start.month, 15)
    term = 12 if row["plus_term"] == "true" else 0  # 留党察看: its probation is added
    until = _months_later(decided, int(row["months"]) + term)
    event = _event(1, "sanction", row["category"], row["measure"], decided,
                   term_months=term or None)  # fmt: skip
    barred = _check([event], until - timedelta(days=1))
    reason = barred["reasons"][0]
    assert (barred["barred"], barred["bar_until"]) == (True, until), row
    assert reason["rule_id"] == row["rule_id"], reason
    assert reason["article"] == f"{row['source_document']} {row['article']}", reason
    assert "第二十四条" in reason["bar_article"]  # 选拔任用条例: why a running period bars
    assert _check([event], until)["barred"] is False  # the day it ends, it no longer bars


# --- promotion_bar.csv ----------------------------------------------------------------------


def test_every_promotion_bar_row_has_a_case() -> None:
    assert {r["rule_id"] for r in _rows("promotion_bar.csv")} == {"PB-PERIOD", "PB-GRADE"}


@pytest.mark.parametrize(
    ("grade", "barred"),
    [("基本称职", True), ("不称职", True), ("称职", False), ("优秀", False), ("不定等次", False)],
)
def test_pb_grade_bars_on_last_years_low_grade_only(grade: str, barred: bool) -> None:
    # PB-GRADE (选拔任用条例 第二十四条): last year's annual grade 基本称职 or 不称职 bars with no
    # end date; 不定等次 (not graded: new in post, on leave) is no low grade and bars nothing.
    event = _event(1, "assessment", "年度考核", grade, date(2023, 12, 31))
    row = _check([event], date(2024, 6, 30))
    assert row["barred"] is barred and row["bar_until"] is None
    if barred:
        assert [r["rule_id"] for r in row["reasons"]] == ["PB-GRADE"]
    # Two years back it is no longer last year's grade.
    assert _check([event], date(2025, 6, 30))["barred"] is False


def test_pb_period_is_the_rule_a_running_period_bars_by() -> None:
    event = _event(1, "sanction", "政务处分", "记过", date(2024, 5, 15))
    reason = _check([event], date(2024, 12, 31))["reasons"][0]
    assert reason["bar_rule_id"] == "PB-PERIOD", reason


# --- warning_rules.csv: each rule fires on its case and not on the case beside it ------------

AS_OF = date(2024, 12, 31)
D = lambda text: date.fromisoformat(text)  # noqa: E731
WARNING_CASES: dict[str, tuple[list[dict[str, object]], list[dict[str, object]]]] = {
    # rule_id: (events that fire it, events that do not), as of 2024-12-31
    "W-RED-SANCTION": (
        [_event(1, "sanction", "政务处分", "记过", D("2024-05-15"))],  # running until 2025-05-15
        [_event(1, "sanction", "政务处分", "记过", D("2023-05-15"))],  # ended 2024-05-15
    ),
    "W-RED-REPORTS": (
        [_event(1, "petition", "x", "属实", D("2024-03-01")),
         _event(2, "petition", "x", "部分属实", D("2024-09-01"))],
        [_event(1, "petition", "x", "属实", D("2023-03-01")),  # outside the 12 months
         _event(2, "petition", "x", "部分属实", D("2024-09-01"))],
    ),
    "W-YEL-REPORT": (
        [_event(1, "petition", "x", "属实", D("2024-09-01"))],
        [_event(1, "petition", "x", "不实", D("2024-09-01"), counts_against=False)],
    ),
    "W-YEL-JIEMIAN": (
        [_event(1, "sanction", "问责", "诫勉", D("2024-03-01"))],
        [_event(1, "sanction", "问责", "诫勉", D("2023-11-30"))],  # 13 months before
    ),
    "W-YEL-OVERDUE": (
        [_event(1, "inspection", "x", "未整改", D("2024-05-20"), due_date=D("2024-11-30"))],
        [_event(1, "inspection", "x", "未整改", D("2024-05-20"), due_date=D("2025-03-31"))],
    ),
    "W-YEL-AUDIT": (
        [_event(1, "audit", "x", "直接责任/未申请", D("2023-06-01"))],
        [_event(1, "audit", "x", "直接责任/予以容错", D("2023-06-01"), counts_against=False)],
    ),
    "W-BLUE-LETTER": (
        [_event(1, "sanction", "组织处理", "函询", D("2024-08-01"))],
        [_event(1, "sanction", "组织处理", "函询", D("2023-08-01"))],
    ),
    "W-BLUE-GRADE": (
        [_event(1, "assessment", "年度考核", "基本称职", D("2023-12-31"))],
        [_event(1, "assessment", "年度考核", "称职", D("2023-12-31"))],
    ),
}  # fmt: skip


# Bottom ranks: a unit of three (A, B, C); each case gives A's and the others' 综合得分 per year
# (督查 result equal for all, so the order is the scores'), and A's post.
def _ranked(a_scores: dict[int, float], post: str = "科员") -> RankInputs:
    rows, events = [], []
    for year, a in a_scores.items():
        for person, score in (("A", a), ("B", 80.0), ("C", 85.0)):
            n = len(rows)
            rows.append({"考核类型": "年度考核", "考核周期": str(year), "考核等次": "称职",
                         "综合得分": score, "督考联动得分": 80.0, "单位内排名": None,
                         "单位人数": None, "_source_file": "a", "_source_row": n})  # fmt: skip
            events.append(_event(n, "assessment", "年度考核", "称职", date(year, 12, 31),
                                 person_no=person, counts_against=False) | {"_source_file": "a", "_source_row": n})  # fmt: skip
    cadres = pl.LazyFrame({"person_no": ["A", "B", "C"], "unit": ["某局"] * 3,
                           "post": [post, "科员", "科员"]})  # fmt: skip
    bronze = pl.DataFrame(rows, schema_overrides={"单位内排名": pl.Int64, "单位人数": pl.Int64})
    frame = pl.DataFrame(
        events, schema={**SCHEMA, "_source_file": pl.String, "_source_row": pl.Int64}
    )
    composite = assessment_composite(
        bronze.lazy(), frame.lazy(), cadres, RULES.assessment_weighting, AS_OF
    )
    return RankInputs(composite.collect().lazy(), cadres, RULES.post_terms)


BOTTOM_CASES: dict[str, tuple[RankInputs, RankInputs]] = {
    # W-YEL-BOTTOM: last of the unit in 2022 and 2023 (the two years before 2024-12-31) fires;
    # last in 2023 only does not (second of three in 2022).
    "W-YEL-BOTTOM": (_ranked({2022: 60.0, 2023: 61.0}), _ranked({2022: 82.0, 2023: 61.0})),
    # W-YEL-LEADER-LAST (约谈): a 局长 (head) last in 2023 fires; a 科员 last does not.
    "W-YEL-LEADER-LAST": (_ranked({2023: 61.0}, "局长"), _ranked({2023: 61.0}, "科员")),
}


def _fired(events: list[dict[str, object]], ranks: RankInputs | None = None) -> set[str]:
    out = warnings(
        _frame(events), RULES.warnings, RULES.influence_periods, RULES.promotion_bar, AS_OF,
        ranks=ranks,
    )  # fmt: skip
    return set(out.filter(pl.col("person_no") == "A").collect()["rule_id"])


def test_every_warning_rule_row_has_a_case() -> None:
    assert {r["rule_id"] for r in _rows("warning_rules.csv")} == {*WARNING_CASES, *BOTTOM_CASES}


@pytest.mark.parametrize("rule_id", sorted(BOTTOM_CASES))
def test_each_bottom_rank_rule_fires_on_its_case_only(rule_id: str) -> None:
    fires, quiet = BOTTOM_CASES[rule_id]
    assert rule_id in _fired([], fires)
    assert rule_id not in _fired([], quiet)


def test_tied_last_places_are_both_last() -> None:
    # Two cadres with the same composite at the bottom share the last place (from_bottom 1) and
    # the rank (1, 2, 2): the rule cannot pick one of them by the order of the rows.
    ranks = _ranked({2022: 80.0, 2023: 80.0})  # A ties B (80.0) below C (85.0)
    rows = ranks.composite.filter(pl.col("year") == 2023).sort("person_no").collect()
    assert rows["rank"].to_list() == [2, 2, 1] and rows["from_bottom"].to_list() == [1, 1, 3]
    fired = warnings(_frame([]), RULES.warnings, RULES.influence_periods, RULES.promotion_bar,
                     AS_OF, ranks=ranks).collect()  # fmt: skip
    assert sorted(fired.filter(pl.col("rule_id") == "W-YEL-BOTTOM")["person_no"]) == ["A", "B"]


@pytest.mark.parametrize("rule_id", sorted(WARNING_CASES))
def test_each_warning_rule_fires_on_its_case_only(rule_id: str) -> None:
    fires, quiet = WARNING_CASES[rule_id]
    assert rule_id in _fired(fires)
    assert rule_id not in _fired(quiet)


# --- petition_counting.csv: each outcome and flag counts as its row says ---------------------


def _petition(outcome: str, **flags: bool) -> pl.LazyFrame:
    return pl.LazyFrame(
        {"件号": ["J1"], "收件日期": [date(2024, 1, 1)], "被反映人姓名": ["张伟"],
         "被反映人姓名_原文": ["张伟"], "被反映人单位": [None], "被反映人职务": [None],
         "被反映人身份证号": [None], "问题类别": [None], "办理结果": [outcome],
         "是否诬告陷害": [flags.get("是否诬告陷害", False)], "重复件": [flags.get("重复件", False)],
         "更新时间": [None], "_source_file": ["f"], "_source_row": [1]},
        schema_overrides={"更新时间": pl.Datetime, "被反映人单位": pl.String, "被反映人职务": pl.String,
                          "被反映人身份证号": pl.String, "问题类别": pl.String},
    )  # fmt: skip


@pytest.mark.parametrize(
    "row", _rows("petition_counting.csv"), ids=lambda r: f"{r['kind']}-{r['value']}"
)
def test_each_petition_counting_row_counts_as_it_says(row: dict[str, str]) -> None:
    # DOMAIN: only 属实/部分属实 count; never a false accusation (诬告陷害), never a repeat (重复件).
    if row["kind"] == "outcome":
        frame = _petition(row["value"])
    else:  # a flag voids an outcome that would otherwise count
        frame = _petition("属实", **{row["value"]: True})
    counts = petition_events(frame, RULES.petition_counting).collect()["counts_against"].item()
    assert counts is (row["counts"] == "true"), row


# --- tolerance_exclusions.csv: each refusal is classified by its exclusion --------------------


@pytest.mark.parametrize("row", _rows("tolerance_exclusions.csv"), ids=lambda r: r["exclusion_id"])
def test_each_exclusion_names_the_refusals_it_describes(row: dict[str, str]) -> None:
    assert (
        _exclusion(f"经研究，属于{row['text']}情形，不予容错", RULES.tolerance_exclusions)
        == row["exclusion_id"]
    )


# --- assessment_weighting.csv: the 督查 result's weight, and how missing quarters count --------


def _composite(rows: list[tuple[str, str, float | None, float | None]]) -> dict[str, object]:
    """One cadre's composite from ``(考核类型, 考核周期, 综合得分, 督考联动得分)`` rows."""
    bronze = pl.DataFrame(
        [{"考核类型": t, "考核周期": p, "考核等次": "称职" if t == "年度考核" else None,
          "综合得分": s, "督考联动得分": q, "单位内排名": None, "单位人数": None,
          "_source_file": "a", "_source_row": n} for n, (t, p, s, q) in enumerate(rows)],
        schema_overrides={"单位内排名": pl.Int64, "单位人数": pl.Int64, "综合得分": pl.Float64,
                          "督考联动得分": pl.Float64, "考核等次": pl.String},
    )  # fmt: skip
    ends = {"Q1": (3, 31), "Q2": (6, 30), "Q3": (9, 30), "Q4": (12, 31)}
    events = [
        _event(n, "assessment", t, "称职", date(int(p[:4]), *ends.get(p[4:], (12, 31))),
               counts_against=False) | {"_source_file": "a", "_source_row": n}
        for n, (t, p, _, _) in enumerate(rows)
    ]  # fmt: skip
    frame = pl.DataFrame(
        events, schema={**SCHEMA, "_source_file": pl.String, "_source_row": pl.Int64}
    )
    cadres = pl.LazyFrame({"person_no": ["A"], "unit": ["某局"], "post": ["科员"]})
    out = assessment_composite(
        bronze.lazy(), frame.lazy(), cadres, RULES.assessment_weighting, AS_OF
    )
    return out.collect().row(0, named=True)


def test_every_weighting_row_has_a_case() -> None:
    assert [r["rule_id"] for r in _rows("assessment_weighting.csv")] == ["DK-WEIGHT"]


def test_dk_weight_counts_the_annual_supervision_score_at_its_weight() -> None:
    # DK-WEIGHT (督考联动: 全年督查结果按20%权重计入年度考核): 0.8 × 90 + 0.2 × 70 = 86.
    row = _composite([("年度考核", "2023", 90.0, 70.0)])
    assert row["weight"] == float(_rows("assessment_weighting.csv")[0]["supervision_weight"])
    assert (row["supervision"], row["composite"], row["rule_id"]) == (70.0, 86.0, "DK-WEIGHT")
    assert row["supervision_basis"] == "年度督考联动得分" and "20%" in row["basis"]


def test_dk_weight_quarters_present_replace_the_annual_score_missing_ones_do_not_count() -> None:
    # Quarterly 督查 scores exported (2023Q1, Q2, Q4; Q3 missing): the year's result is their
    # mean (missing_quarters = mean_of_present), not the annual row's 督考联动得分 (50).
    row = _composite([("年度考核", "2023", 90.0, 50.0), ("平时考核", "2023Q1", None, 60.0),
                      ("平时考核", "2023Q2", None, 70.0), ("平时考核", "2023Q4", None, 80.0)])  # fmt: skip
    assert (row["supervision"], row["quarters"], row["composite"]) == (70.0, 3, 86.0)
    assert row["supervision_basis"].startswith("季度督查 3/4 季度（Q1,Q2,Q4）")


def test_no_supervision_result_means_no_composite_and_no_rank() -> None:
    row = _composite([("年度考核", "2023", 90.0, None)])
    assert (row["composite"], row["rank"], row["supervision_basis"]) == (None, None, "无督查结果")


# --- reuse_rules.csv: each condition of re-use, met and not met --------------------------------


def _followup(events: list[dict[str, object]], as_of: date) -> dict[str, object]:
    out = sanction_followup(_frame(events), RULES.influence_periods, RULES.reuse, as_of).collect()
    return out.row(0, named=True)


MEASURE = _event(1, "sanction", "组织处理", "诫勉", D("2023-03-15"))  # ZZ-JM: 6 months
# The grade of a year after the decision's (2023's own grade rates the months before it too).
GOOD_YEAR = _event(2, "assessment", "年度考核", "称职", D("2024-12-31"), counts_against=False)
REUSE_CASES: dict[str, tuple[list[dict[str, object]], date, list[dict[str, object]], date]] = {
    # condition: (events where it is met, as of; events where it is not, as of); in the first
    # every condition is met, in the second this one fails (and re-use with it).
    "period_over": ([MEASURE, GOOD_YEAR], D("2025-06-30"), [MEASURE, GOOD_YEAR], D("2023-09-14")),
    "grades_since": (
        [MEASURE, GOOD_YEAR], D("2025-06-30"),
        [MEASURE, _event(2, "assessment", "年度考核", "基本称职", D("2024-12-31"))], D("2025-06-30"),
    ),
    "no_new_record": (
        [MEASURE, GOOD_YEAR, _event(3, "petition", "x", "不实", D("2024-01-10"), counts_against=False)],
        D("2025-06-30"),
        [MEASURE, GOOD_YEAR, _event(3, "petition", "x", "属实", D("2024-01-10"))], D("2025-06-30"),
    ),
}  # fmt: skip


def test_every_reuse_row_has_a_case() -> None:
    assert {r["condition"] for r in _rows("reuse_rules.csv")} == set(REUSE_CASES)


@pytest.mark.parametrize("row", _rows("reuse_rules.csv"), ids=lambda r: r["rule_id"])
def test_each_reuse_condition_decides_as_its_row_says(row: dict[str, str]) -> None:
    met_events, met_as_of, unmet_events, unmet_as_of = REUSE_CASES[row["condition"]]
    met, unmet = _followup(met_events, met_as_of), _followup(unmet_events, unmet_as_of)

    def condition(out: dict[str, object]) -> dict[str, object]:
        conditions = out["conditions"]
        assert isinstance(conditions, list)
        return next(c for c in conditions if c["condition"] == row["condition"])

    assert condition(met)["met"] is True and met["reusable"] is True, met
    assert condition(unmet)["met"] is False and unmet["reusable"] is False, unmet
    assert condition(met)["article"] == f"{row['source_document']} {row['article']}"
    assert condition(met)["rule_id"] == row["rule_id"]


def test_the_grade_of_the_decisions_own_year_is_not_since() -> None:
    # A 2023 诫勉 and only 2023's annual grade (dated 2023-12-31, after the decision): that
    # grade rates months before the decision, so no grade "since" exists and re-use waits.
    own_year = _event(2, "assessment", "年度考核", "优秀", D("2023-12-31"), counts_against=False)
    out = _followup([MEASURE, own_year], D("2024-06-30"))
    assert out["assessments_since"] == [] and out["reusable"] is False


def test_followup_lists_the_new_record_and_the_days_to_go() -> None:
    # Still running on 2023-09-14 (诫勉 of 2023-03-15 ends 2023-09-15): one day to go; a
    # substantiated report after the decision is named by its event id.
    report = _event(3, "petition", "x", "属实", D("2023-06-01"))
    out = _followup([MEASURE, report], D("2023-09-14"))
    assert (out["period_end"], out["days_to_go"]) == (D("2023-09-15"), 1)
    assert out["new_record_ids"] == [report["event_id"]] and out["assessments_since"] == []


# --- commendation.csv: 嘉奖 for an annual 优秀, 记三等功 for three in a row ---------------------


def _awards(grades: dict[int, str], as_of: date = date(2026, 6, 30)) -> list[tuple[int, str]]:
    events = [_event(y, "assessment", "年度考核", g, date(y, 12, 31), counts_against=False)
              for y, g in grades.items()]  # fmt: skip
    out = commendations(_frame(events), RULES.commendation, as_of).collect()
    if not out.height:
        return []
    return [(c["year"], c["rule_id"]) for c in out["commendations"][0]]


COMMENDATION_CASES = {
    # rule_id: (grades that earn it, in the year given; grades that do not)
    "CM-JIAJIANG": ({2024: "优秀"}, 2024, {2024: "称职"}),
    "CM-SANDENGGONG": ({2022: "优秀", 2023: "优秀", 2024: "优秀"}, 2024,
                       {2022: "优秀", 2023: "称职", 2024: "优秀", 2025: "优秀"}),  # broken run
}  # fmt: skip


def test_every_commendation_row_has_a_case() -> None:
    assert {r["rule_id"] for r in _rows("commendation.csv")} == set(COMMENDATION_CASES)


@pytest.mark.parametrize("row", _rows("commendation.csv"), ids=lambda r: r["rule_id"])
def test_each_commendation_row_is_earned_by_its_case_only(row: dict[str, str]) -> None:
    earns, year, misses = COMMENDATION_CASES[row["rule_id"]]
    assert (year, row["rule_id"]) in _awards(earns)
    assert all(rule != row["rule_id"] for _, rule in _awards(misses))
    assert "公务员考核规定" in row["source_document"]


def test_six_years_of_excellence_bring_two_third_class_merits() -> None:
    # Runs are cut in blocks of three: 2020–2025 all 优秀 is 记三等功 for 2022 and for 2025.
    awards = _awards({y: "优秀" for y in range(2020, 2026)})
    assert [y for y, rule in awards if rule == "CM-SANDENGGONG"] == [2022, 2025]
    assert len([1 for _, rule in awards if rule == "CM-JIAJIANG"]) == 6
