"""The promotion-bar check, one rule row at a time, on hand-built cadres. Each test cites its article."""

from datetime import date

import polars as pl

from transforms.promotion import promotion_check
from warehouse.rules import load_influence_periods, load_promotion_bar

PERIODS, BAR = load_influence_periods(), load_promotion_bar()


def _event(
    person: str, source: str, category: str, outcome: str, day: str, **extra: object
) -> dict[str, object]:
    return {"event_id": f"{source}|{person}|{day}", "person_no": person, "link_status": "linked", "source": source,
            "category": category, "outcome": outcome, "event_date": date.fromisoformat(day), "term_months": None} | extra  # fmt: skip


def _check(events: list[dict[str, object]], as_of: str) -> dict[str, dict[str, object]]:
    frame = pl.DataFrame(events, schema_overrides={"term_months": pl.Int64})
    cadres = pl.DataFrame(
        {"person_no": sorted({str(e["person_no"]) for e in events} | {"RY-CLEAN"})}
    )
    out = promotion_check(
        frame.lazy(), cadres.lazy(), PERIODS, BAR, date.fromisoformat(as_of)
    ).collect()
    return {row["person_no"]: row for row in out.iter_rows(named=True)}


def test_zhengwu_jiguo_bars_twelve_months() -> None:
    # 公职人员政务处分法 第八条: 记过 12 months. 2024-05-20 → bars until 2025-05-20.
    row = _check([_event("A", "sanction", "政务处分", "记过", "2024-05-20")], "2025-01-01")["A"]
    assert (row["barred"], row["bar_until"]) == (True, date(2025, 5, 20))
    reason = row["reasons"][0]
    assert (
        reason["rule_id"] == "ZW-JGUO"
        and "第八条" in reason["article"]
        and "第二十四条" in reason["bar_article"]
    )
    assert (
        _check([_event("A", "sanction", "政务处分", "记过", "2024-05-20")], "2025-05-20")["A"][
            "barred"
        ]
        is False
    )


def test_dangji_yanzhong_jinggao_bars_eighteen_months() -> None:
    # 纪律处分条例: 严重警告 18 months. 2023-07-15 → bars until 2025-01-15.
    row = _check([_event("B", "sanction", "党纪处分", "严重警告", "2023-07-15")], "2024-12-31")["B"]
    assert (row["barred"], row["bar_until"]) == (True, date(2025, 1, 15))


def test_jiemian_no_longer_bars_after_six_months() -> None:
    # 诫勉 6 months (a figure to check): 2024-02-01 → ended 2024-08-01; on 2024-12-31 nothing bars.
    row = _check([_event("C", "sanction", "组织处理", "诫勉", "2024-02-01")], "2024-12-31")["C"]
    assert (row["barred"], row["bar_until"], row["reasons"]) == (False, None, [])


def test_last_years_jiben_chenzhi_bars_with_no_end() -> None:
    # 选拔任用条例 第二十四条: last year's annual grade 基本称职 bars; the bar has no end date.
    row = _check([_event("D", "assessment", "年度考核", "基本称职", "2024-12-31")], "2025-03-01")[
        "D"
    ]
    assert (row["barred"], row["bar_until"]) == (True, None)
    assert row["reasons"][0]["rule_id"] == "PB-GRADE"
    # Two years ago does not count, nor does 称职.
    assert (
        _check([_event("D", "assessment", "年度考核", "基本称职", "2023-12-31")], "2025-03-01")[
            "D"
        ]["barred"]
        is False
    )
    assert (
        _check([_event("D", "assessment", "年度考核", "称职", "2024-12-31")], "2025-03-01")["D"][
            "barred"
        ]
        is False
    )


def test_a_tolerated_audit_finding_bars_nothing() -> None:
    # 容错: an audit finding tolerated (容错认定 予以容错) and a 予以容错 decision are not sanctions.
    events = [
        _event("E", "audit", "违规招投标", "直接责任/予以容错", "2024-06-01"),
        _event("E", "tolerance", "重点项目建设", "予以容错", "2024-07-01"),
    ]
    assert _check(events, "2024-12-31")["E"]["barred"] is False


def test_overlapping_periods_take_the_latest_end() -> None:
    # 警告 (6 months from 2024-06-01) and 记大过 (18 months from 2024-03-01): the later end decides.
    events = [
        _event("F", "sanction", "政务处分", "警告", "2024-06-01"),
        _event("F", "sanction", "政务处分", "记大过", "2024-03-01"),
    ]
    row = _check(events, "2024-10-01")["F"]
    assert row["bar_until"] == date(2025, 9, 1)
    assert [r["rule_id"] for r in row["reasons"]] == ["ZW-JDG", "ZW-JG"]


def test_liudang_chakan_adds_its_probation() -> None:
    # 留党察看 with a 12-month probation: 12 + 24 months.
    row = _check(
        [_event("G", "sanction", "党纪处分", "留党察看", "2024-01-10", term_months=12)],
        "2026-06-01",
    )["G"]
    assert row["bar_until"] == date(2027, 1, 10)


def test_the_rule_in_force_on_the_decision_date_applies() -> None:
    # A 记过 of 2020-03-01 falls under 公务员法 第六十四条, not the later 政务处分法.
    row = _check([_event("H", "sanction", "政务处分", "记过", "2020-03-01")], "2020-12-01")["H"]
    assert (
        row["reasons"][0]["rule_id"] == "GWY-JGUO" and "第六十四条" in row["reasons"][0]["article"]
    )


def test_unlinked_events_and_clean_cadres() -> None:
    # A sanction nobody could be linked to bars nobody; a cadre with nothing is not barred.
    events = [_event("I", "sanction", "政务处分", "撤职", "2024-01-01") | {"link_status": "review"}]
    result = _check(events, "2024-06-01")
    assert result["I"]["barred"] is False and result["RY-CLEAN"]["barred"] is False
