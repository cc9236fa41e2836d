"""Issue #15 on hand-built cadres as of 2024-12-31: overdue is about the deadline, a 容错 decision
clears what it covers, inconsistencies are listed, and gold's invariants check each basis.

Each case says which rule (DOMAIN.md, the rule files) it checks and why it exists.
"""

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from quality.gold_checks import covered_measures_raise_nothing, overdue_warnings_are_due
from transforms.inconsistency import inconsistencies
from transforms.promotion import promotion_check
from transforms.tolerance_cover import covered_measures, mark_tolerated, tolerance_review
from transforms.warnings import warnings
from warehouse.rules import RuleError, load_rules
from warehouse.tolerance_decisions import read_tolerance_decisions

RULES = load_rules()
AS_OF = date(2024, 12, 31)
POLICY = RULES.tolerance_coverage
NO_DECISIONS = read_tolerance_decisions(None)
JIEMIAN_TEXT = "在推进棚户区改造项目中未经充分论证调整补偿方案造成损失"
SCHEMA = {"event_id": pl.String, "source_key": pl.String, "person_no": pl.String,
          "link_status": pl.String, "source": pl.String, "category": pl.String,
          "outcome": pl.String, "event_date": pl.Date, "due_date": pl.Date,
          "term_months": pl.Int64, "counts_against": pl.Boolean, "amount_wan": pl.Float64,
          "_source_file": pl.String, "_source_row": pl.Int64, "subject_name": pl.String,
          "unit_given": pl.String, "post_given": pl.String}  # fmt: skip


def _event(n: int, source: str, category: str | None, outcome: str, day: str, **extra: object) -> dict[str, object]:  # fmt: skip
    return {"event_id": f"{source}|f|{n}|0", "source_key": f"K{n}", "person_no": "A",
            "link_status": "linked", "source": source, "category": category, "outcome": outcome,
            "event_date": date.fromisoformat(day), "due_date": None, "term_months": None,
            "counts_against": source != "tolerance", "amount_wan": None, "_source_file": "f",
            "_source_row": n, "subject_name": "周飞丹", "unit_given": None, "post_given": None,
            } | extra  # fmt: skip


def _frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=SCHEMA).lazy()


def _matters(texts: dict[int, tuple[str, str, str | None]]) -> pl.LazyFrame:
    """By source row: (source, matter text, reference)."""
    return pl.LazyFrame(
        [{"source": s, "matter": m, "reference": r, "_source_file": "f", "_source_row": n}
         for n, (s, m, r) in texts.items()],
        schema={"source": pl.String, "matter": pl.String, "reference": pl.String,
                "_source_file": pl.String, "_source_row": pl.Int64},
    )  # fmt: skip


def _gold(rows: list[dict[str, object]], matters: pl.LazyFrame, decisions: pl.DataFrame):  # type: ignore[no-untyped-def]
    events = _frame(rows)
    review = tolerance_review(events, matters, decisions, POLICY).collect()
    covered = covered_measures(review.lazy()).collect().lazy()
    marked = mark_tolerated(events, covered)
    periods, bar = RULES.influence_periods, RULES.promotion_bar
    cadres = pl.LazyFrame({"person_no": ["A"]})
    check = promotion_check(marked, cadres, periods, bar, AS_OF, covered.filter("clears_bar"))
    warned = warnings(marked, RULES.warnings, periods, bar, AS_OF, covered.filter("clears_warning"))
    return review, check.collect().row(0, named=True), set(warned.collect()["rule_id"])


# --- 1. overdue is about the deadline -------------------------------------------------------


@pytest.mark.parametrize(
    ("fed_back", "due", "outcome", "overdue", "why"),
    [
        ("2024-05-20", "2025-03-31", "未整改", False, "issue #15: fed back long ago, not yet due"),
        ("2024-05-20", "2024-12-30", "未整改", True, "due yesterday: one day past"),
        ("2024-05-20", "2024-12-31", "整改中", False, "due today: not yet past"),
        ("2024-05-20", "2024-06-30", "已整改", False, "past its deadline but rectified"),
    ],
)
def test_overdue_is_about_the_deadline(fed_back, due, outcome, overdue, why) -> None:  # type: ignore[no-untyped-def]
    # W-YEL-OVERDUE (warning_rules.csv): 未整改/整改中 and 整改时限 before the as-of date.
    row = _event(1, "inspection", "x", outcome, fed_back, due_date=date.fromisoformat(due))
    out = warnings(
        _frame([row]), RULES.warnings, RULES.influence_periods, RULES.promotion_bar, AS_OF
    )
    assert ("W-YEL-OVERDUE" in set(out.collect()["rule_id"])) is overdue, why


# --- 2. 容错 clears what it covers ----------------------------------------------------------

JIEMIAN = _event(1, "sanction", "问责", "诫勉", "2024-09-05")
TOLERATED = _event(2, "tolerance", "城市管理", "予以容错", "2024-10-20")
SAME_MATTER = _matters({1: ("sanction", JIEMIAN_TEXT, None), 2: ("tolerance", "张某" + JIEMIAN_TEXT + "，已及时纠正", None)})  # fmt: skip


def _decision(verdict: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"case_no": ["K2"], "measure_source": ["sanction"], "measure_key": ["K1"],
         "decision": [verdict], "decided_by": ["干部监督科"]}
    )  # fmt: skip


def test_an_unconfirmed_pair_is_listed_and_still_bars() -> None:
    # Issue #15: 诫勉 2024-09-05, 予以容错 2024-10-20 on the same matter. Until a person confirms
    # the pair (no 文号 joins them), it waits in the review list and the 诫勉 still bars and warns.
    review, check, fired = _gold([JIEMIAN, TOLERATED], SAME_MATTER, NO_DECISIONS)
    assert review.select("case_no", "measure_key", "status").rows() == [("K2", "K1", "pending")]
    assert review["similarity"][0] > POLICY.min_similarity
    assert check["barred"] and check["bar_until"] == date(2025, 3, 5)
    assert "W-YEL-JIEMIAN" in fired


def test_a_confirmed_pair_clears_the_bar_and_the_warning() -> None:
    # DOMAIN: a tolerated error does not count against assessment or promotion.
    review, check, fired = _gold([JIEMIAN, TOLERATED], SAME_MATTER, _decision("confirm"))
    assert review["status"].to_list() == ["confirmed"]
    assert not check["barred"] and check["reasons"] == []
    assert "W-YEL-JIEMIAN" not in fired


def test_a_rejected_pair_clears_nothing() -> None:
    _, check, fired = _gold([JIEMIAN, TOLERATED], SAME_MATTER, _decision("reject"))
    assert check["barred"] and "W-YEL-JIEMIAN" in fired


def test_a_cited_document_number_is_an_exact_match() -> None:
    # The decision cites the measure's 文号: no review needed, even with unlike texts.
    matters = _matters({1: ("sanction", "违反规定", "安组干〔2024〕9号"),
                        2: ("tolerance", "对安组干〔2024〕9号诫勉决定所涉事项予以容错", None)})  # fmt: skip
    review, check, fired = _gold([JIEMIAN, TOLERATED], matters, NO_DECISIONS)
    assert review.select("status", "exact").rows() == [("exact", True)]
    assert not check["barred"] and "W-YEL-JIEMIAN" not in fired


def test_a_different_matter_or_a_distant_date_is_no_candidate() -> None:
    # Unlike texts below min_similarity, or a measure 3 years before the decision: not listed.
    unlike = _matters({1: ("sanction", "公车私用", None), 2: ("tolerance", JIEMIAN_TEXT, None)})
    assert _gold([JIEMIAN, TOLERATED], unlike, NO_DECISIONS)[0].height == 0
    old = _event(1, "sanction", "问责", "诫勉", "2021-09-05")
    assert _gold([old, TOLERATED], SAME_MATTER, NO_DECISIONS)[0].height == 0


def test_naming_the_same_cadre_and_unit_does_not_make_two_matters_alike() -> None:
    # Seen on generated data: an audit finding "临平县江南镇人民政府资金闲置问题" scored 0.6 against
    # a decision that names the same town government, the cadre and the post, on another matter.
    # Who the records are about is shared by construction; only the matter may make a pair.
    finding = _event(1, "audit", "资金闲置", "直接责任/未申请", "2024-06-01",
                     unit_given="临平县江南镇人民政府")  # fmt: skip
    decision = _event(2, "tolerance", "城市管理", "予以容错", "2024-10-20",
                      unit_given="临平县江南镇人民政府", post_given="镇长")  # fmt: skip
    matters = _matters({
        1: ("audit", "临平县江南镇人民政府资金闲置问题", None),
        2: ("tolerance", "临平县江南镇人民政府镇长周飞丹（身份证号450103196501301510）在推进项目中"
                         "因政策调整造成损失约7万元，已及时纠正。", None),
    })  # fmt: skip
    assert _gold([finding, decision], matters, NO_DECISIONS)[0].height == 0


def test_partial_tolerance_keeps_the_bar_but_not_the_warning() -> None:
    # 部分容错 (tolerance_coverage.yaml): the measure was mitigated, not voided.
    partly = _event(2, "tolerance", "城市管理", "部分容错", "2024-10-20")
    review, check, fired = _gold([JIEMIAN, partly], SAME_MATTER, _decision("confirm"))
    assert review.select("clears_bar", "clears_warning").rows() == [(False, True)]
    assert check["barred"] and check["bar_until"] == date(2025, 3, 5)
    assert "W-YEL-JIEMIAN" not in fired


def test_a_refused_decision_covers_nothing() -> None:
    refused = _event(2, "tolerance", "城市管理", "不予容错", "2024-10-20")
    assert _gold([JIEMIAN, refused], SAME_MATTER, _decision("confirm"))[0].height == 0


def test_the_timeline_marks_a_covered_measure() -> None:
    from transforms.profile import cadre_timeline

    events = _frame([JIEMIAN, TOLERATED])
    review = tolerance_review(events, SAME_MATTER, _decision("confirm"), POLICY)
    marked = mark_tolerated(events, covered_measures(review))
    rows = pl.concat([p.collect() for p in cadre_timeline(marked, AS_OF)])
    jiemian = rows.filter(pl.col("event_id") == JIEMIAN["event_id"]).row(0, named=True)
    # A confirmed pair rests on a person's decision: the mark says whose (issue #24).
    assert (jiemian["tolerance"], jiemian["counts_against"]) == (
        "已容错（K2 经干部监督科复核确认）",
        False,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("case_no,measure_source,measure_key,decision\n", r"line 1: missing column\(s\) decided_by"),
        ("case_no,measure_source,measure_key,decision,decided_by\nK2,sanction,K1,maybe,科\n",
         "line 2: decision must be confirm"),
        ("case_no,measure_source,measure_key,decision,decided_by\nK2,petition,K1,确认,科\n",
         "line 2: measure_source must be sanction or audit"),
        ("case_no,measure_source,measure_key,decision,decided_by\nK2,sanction,,确认,科\n",
         "line 2: empty measure_key"),
        ("case_no,measure_source,measure_key,decision,decided_by\nK2,sanction,K1,确认,科\n"
         "K2,sanction,K1,否决,科\n", "line 3: contradictory: line.s. 2 decide the same pair otherwise"),
    ],
)  # fmt: skip
def test_a_bad_decisions_file_is_named_with_its_line(tmp_path: Path, text: str, problem: str) -> None:  # fmt: skip
    # A file that cannot be read stops the run; a bad line is rejected with its reason and the
    # rest applied (#23): either way the file and the line are named.
    from transforms.decisions_check import check_tolerance_decisions

    path = tmp_path / "tolerance_decisions.csv"
    path.write_text(text, encoding="utf-8")
    try:
        said = "\n".join(check_tolerance_decisions(read_tolerance_decisions(path)).listed())
    except RuleError as error:
        said = str(error)
    assert re.search(problem, said) and str(path) in said, said


# --- 3. inconsistencies are flagged, not trusted --------------------------------------------


def _audit(five: list[bool | None]) -> pl.LazyFrame:
    from transforms.specs import FIVE_CHECKS

    return pl.LazyFrame(
        {"容错认定": ["予以容错"], **{c: [v] for c, v in zip(FIVE_CHECKS, five, strict=True)},
         "_source_file": ["f"], "_source_row": [1]},
        schema_overrides={c: pl.Boolean for c in FIVE_CHECKS},
    )  # fmt: skip


def _inconsistent(events: list[dict[str, object]], audit: pl.LazyFrame, ends: list[str | None]) -> pl.DataFrame:  # fmt: skip
    sanctions = pl.LazyFrame(
        {"影响期截止": [date.fromisoformat(e) if e else None for e in ends],
         "_source_file": ["f"] * len(ends), "_source_row": list(range(1, len(ends) + 1))},
        schema_overrides={"影响期截止": pl.Date, "_source_file": pl.String, "_source_row": pl.Int64},
    )  # fmt: skip
    return inconsistencies(
        _frame(events), sanctions, audit, RULES.influence_periods, RULES.combined_cap
    ).collect()


@pytest.mark.parametrize(
    ("five", "listed"), [([True] * 5, False), ([True, False, True, True, True], True),
                         ([True, True, True, True, None], True)],
)  # fmt: skip
def test_audit_tolerance_needs_all_five_checks(five: list[bool | None], listed: bool) -> None:
    # DOMAIN (Ningbo audit 五个看): all five must hold; four of five is listed, not trusted.
    finding = _event(1, "audit", "重大经济事项决策", "直接责任/予以容错", "2024-06-30")
    out = _inconsistent([finding], _audit(five), [])
    assert (out.height == 1) is listed
    if listed:
        assert out["kind_label"][0] == "审计容错认定与五个看不符"
        assert (
            out["upstream"][0] == "容错认定：予以容错" and "五个看未全部成立" in out["computed"][0]
        )


def test_an_audit_tolerance_without_five_checks_counts_against() -> None:
    from transforms.events import audit_events

    bronze = _audit([True, False, True, True, True]).with_columns(
        pl.lit("P1").alias("审计项目编号"), pl.lit("1").alias("问题编号"), pl.lit(None, dtype=pl.String).alias("被审计领导干部"),
        pl.lit(None, dtype=pl.String).alias("被审计单位"), pl.lit(None, dtype=pl.String).alias("公民身份号码"),
        pl.lit(date(2024, 6, 30)).alias("报告日期"), pl.lit("x").alias("问题类型"), pl.lit("直接责任").alias("责任类型"),
        pl.lit(1.0).alias("涉及金额_万元"),
    )  # fmt: skip
    assert audit_events(bronze).collect()["counts_against"].to_list() == [True]


def test_an_upstream_influence_end_that_disagrees_is_listed() -> None:
    # 政务处分法 art. 8: 记过 runs 12 months; an upstream end of 18 months is listed with both.
    jiguo = _event(1, "sanction", "政务处分", "记过", "2024-03-01")
    out = _inconsistent([jiguo], _audit([True] * 5).filter(pl.lit(False)), ["2025-09-01"])
    assert out.select("upstream", "computed").rows() == [
        ("影响期截止：2025-09-01", "按规则 ZW-JGUO 计算至 2025-03-01")
    ]
    assert (
        _inconsistent([jiguo], _audit([True] * 5).filter(pl.lit(False)), ["2025-03-01"]).height == 0
    )


def test_several_zhengwu_sanctions_are_capped_at_48_months() -> None:
    # 政务处分法 art. 15: three 记大过 on one day may run from 18 months up to their sum (54),
    # at most 48. The bar runs on the longest single period; 36 months agrees, 54 exceeds the cap.
    same_day = [_event(n, "sanction", "政务处分", "记大过", "2024-03-01") for n in (1, 2, 3)]
    none = _audit([True] * 5).filter(pl.lit(False))
    assert _inconsistent(same_day, none, ["2027-03-01"] * 3).height == 0
    over = _inconsistent(same_day, none, ["2028-09-01"] * 3)
    assert over.height == 3 and "48 个月上限" in over["note"][0]
    check = promotion_check(_frame(same_day), pl.LazyFrame({"person_no": ["A"]}), RULES.influence_periods,
                            RULES.promotion_bar, AS_OF).collect().row(0, named=True)  # fmt: skip
    assert check["bar_until"] == date(2025, 9, 1)


def test_an_undetermined_grade_neither_bars_nor_warns() -> None:
    # 公务员法: 不定等次 is no grade; only 基本称职 or lower bars (PB-GRADE) or warns (W-BLUE-GRADE).
    grade = _event(1, "assessment", "年度考核", "不定等次", "2023-12-31", counts_against=False)
    check = promotion_check(_frame([grade]), pl.LazyFrame({"person_no": ["A"]}), RULES.influence_periods,
                            RULES.promotion_bar, AS_OF).collect().row(0, named=True)  # fmt: skip
    fired = warnings(
        _frame([grade]), RULES.warnings, RULES.influence_periods, RULES.promotion_bar, AS_OF
    )
    assert not check["barred"] and fired.collect().height == 0


# --- 5. gold checks each warning's basis ----------------------------------------------------


def test_the_invariant_fails_a_planted_wrong_overdue_warning() -> None:
    # A wrong rule (the old one: 反馈日期 before as-of) would warn on a finding due 2025-03-31.
    finding = _event(1, "inspection", "x", "未整改", "2024-05-20", due_date=date(2025, 3, 31))
    planted = pl.LazyFrame({"person_no": ["A"], "rule_id": ["W-YEL-OVERDUE"], "event_id": [finding["event_id"]]})  # fmt: skip
    outcome = overdue_warnings_are_due(planted, _frame([finding]), RULES.warnings, AS_OF)
    assert not outcome.passed and outcome.failed == 1
    late = _event(1, "inspection", "x", "未整改", "2024-05-20", due_date=date(2024, 11, 30))
    assert overdue_warnings_are_due(planted, _frame([late]), RULES.warnings, AS_OF).passed


def test_the_invariant_fails_a_bar_from_a_covered_measure() -> None:
    review = tolerance_review(
        _frame([JIEMIAN, TOLERATED]), SAME_MATTER, _decision("confirm"), POLICY
    )
    planted = pl.LazyFrame({"person_no": ["A"], "event_id": [JIEMIAN["event_id"]]})
    assert not covered_measures_raise_nothing(
        "gold/promotion_check", planted, review, "clears_bar"
    ).passed
    pending = tolerance_review(_frame([JIEMIAN, TOLERATED]), SAME_MATTER, NO_DECISIONS, POLICY)
    assert covered_measures_raise_nothing(
        "gold/promotion_check", planted, pending, "clears_bar"
    ).passed
