"""One case per row of every rule file that decides a bar, a warning or a count (issue #15,
point 4): each row of ``influence_periods.csv``, ``promotion_bar.csv``, ``warning_rules.csv``,
``petition_counting.csv`` and ``tolerance_exclusions.csv`` is exercised on a hand-built cadre
with the as-of date the case needs, and checked against the article the row cites.

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
from transforms.promotion import promotion_check
from transforms.warnings import warnings
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


def _fired(events: list[dict[str, object]]) -> set[str]:
    out = warnings(
        _frame(events), RULES.warnings, RULES.influence_periods, RULES.promotion_bar, AS_OF
    )
    return set(out.collect()["rule_id"])


def test_every_warning_rule_row_has_a_case() -> None:
    assert {r["rule_id"] for r in _rows("warning_rules.csv")} == set(WARNING_CASES)


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
