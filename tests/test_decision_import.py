"""Decisions made in the officers' own spreadsheets: the review list's Excel carries 决定, 理由,
经办人, 日期; ``dajiandu decisions import`` checks each decided row like a source row and appends
it to ``tolerance_decisions.csv`` with what it replaced; a later 撤销 takes one back.

Small cases on hand-written workbooks (openpyxl), the history read forward
(:func:`transforms.decisions_check.in_force`), and the round trip on generated sources: a 确认
typed into the published ``容错复核清单.xlsx`` and imported changes the promotion bar and the
profile on the next run; a 撤销 typed into the next list restores the previous bytes.
"""

import csv
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from orchestration.cli import main
from orchestration.publish_cli import CST
from orchestration.runner import run_pipeline
from tests.publish_support import table_bytes, type_into_list, write_sheet
from transforms.decisions_check import check_tolerance_decisions
from transforms.pages import reviewed_links
from transforms.publishing import DECISION_HEADERS
from transforms.scope import Scope
from warehouse.decision_import import ImportError_, import_decisions
from warehouse.publish.bundle import write_bundle
from warehouse.rule_files import DEFAULT_RULES
from warehouse.store import Warehouse
from warehouse.tolerance_decisions import read_tolerance_decisions

LIST_HEADER = ["人员编号", "案例编号", "措施来源", "措施记录", "复核状态", *DECISION_HEADERS]
TODAY = date(2026, 12, 6)


def _pair(case: str = "RC1", decision: str = "", reason: str = "", who: str = "", day: object = "") -> list[object]:  # fmt: skip
    return ["RY1", case, "处分与组织处理", "4501********1234/诫勉/2024-06-24", "待复核",
            decision, reason, who, day]  # fmt: skip


def _lines(folder: Path) -> list[dict[str, str]]:
    with (folder / "tolerance_decisions.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_decided_row_is_appended_with_the_code_words_and_undecided_rows_are_left(tmp_path: Path) -> None:  # fmt: skip
    sheet = write_sheet(tmp_path / "容错复核清单.xlsx", LIST_HEADER, [
        _pair("RC1", "确认", "同一事项", "李明", "2026-12-01"), _pair("RC2"),
    ])  # fmt: skip
    done = import_decisions(sheet, tmp_path, TODAY)
    assert done.lines == [2] and done.undecided == 1
    [line] = _lines(tmp_path)
    assert line["case_no"] == "RC1" and line["measure_source"] == "sanction"
    assert line["decision"] == "confirm" and line["decided_by"] == "李明"
    assert (
        line["decided_at"] == "2026-12-01" and line["note"] == "同一事项" and line["replaces"] == ""
    )


def test_english_column_names_are_accepted(tmp_path: Path) -> None:
    header = ["case_no", "measure_source", "measure_key", "decision", "decided_by", "note"]
    sheet = write_sheet(
        tmp_path / "d.xlsx", header, [["RC1", "audit", "SJ1/3", "reject", "王芳", "另一事项"]]
    )
    import_decisions(sheet, tmp_path, TODAY)
    [line] = _lines(tmp_path)
    assert (line["measure_source"], line["decision"], line["decided_at"]) == (
        "audit",
        "reject",
        "2026-12-06",
    )


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "容错复核清单.xlsx", LIST_HEADER, [
        _pair("RC1", "同意", "", "李明"),             # not a decision word
        _pair("RC2", "否决", "", "李明"),             # a 否决 without 理由
        _pair("RC3", "确认", "", ""),                 # nobody decided it
        _pair("RC4", "确认", "", "李明", "12月1日"),  # not a date
        _pair("RC5", "撤销", "错了", "李明"),         # nothing in force to take back
        _pair("RC6", "确认", "", "李明"), _pair("RC6", "否决", "不同", "王芳"),  # twice
    ])  # fmt: skip
    with pytest.raises(ImportError_) as raised:
        import_decisions(sheet, tmp_path, TODAY)
    said = raised.value.problems
    assert [p.split(": ", 1)[0] for p in said] == [f"{sheet}, row {n}" for n in (2, 3, 4, 5, 6, 8)]
    assert "决定 must be 确认, 否决 or 撤销" in said[0] and "理由 is empty" in said[1]
    assert "empty 经办人" in said[2] and "is not a date" in said[3]
    assert "no decision about this pair is in force" in said[4] and "same pair as row 7" in said[5]
    assert not (tmp_path / "tolerance_decisions.csv").exists()


def test_a_sheet_without_the_decision_columns_is_refused_naming_them(tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "预警名单.xlsx", ["人员编号", "姓名"], [["RY1", "张伟"]])
    with pytest.raises(
        ImportError_,
        match=r"row 1: not a review list with decision columns \(容错复核清单: missing 案例编号",
    ):
        import_decisions(sheet, tmp_path, TODAY)


def test_a_later_decision_replaces_one_and_an_undo_brings_the_earlier_back(tmp_path: Path) -> None:
    # History: line 2 rejects, line 3 (imported) confirms in its place, line 4 takes line 3 back:
    # line 2's rejection is in force again, and the file still says who did what, when, why.
    decided = [
        ("否决", "另一事项", "王芳"),
        ("确认", "核实为同一事项", "李明"),
        ("撤销", "误操作", "李明"),
    ]
    for n, (word, why, who) in enumerate(decided):
        sheet = write_sheet(tmp_path / f"s{n}.xlsx", LIST_HEADER, [_pair("RC1", word, why, who)])
        import_decisions(sheet, tmp_path, TODAY)
        check = check_tolerance_decisions(
            read_tolerance_decisions(tmp_path / "tolerance_decisions.csv")
        )
        assert check.problems.height == 0
        assert check.applied["decision"].to_list() == [["reject", "confirm", "reject"][n]]
        assert check.applied["line"].to_list() == [[2, 3, 2][n]]
    assert [r["replaces"] for r in _lines(tmp_path)] == ["", "2", "3"]


def test_a_hand_written_line_replacing_another_pair_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "tolerance_decisions.csv"
    path.write_text(
        "case_no,measure_source,measure_key,decision,decided_by,replaces\n"
        "RC1,sanction,K1,confirm,李明,\n"
        "RC2,sanction,K2,undo,李明,2\n",
        encoding="utf-8",
    )
    check = check_tolerance_decisions(read_tolerance_decisions(path))
    assert check.applied["line"].to_list() == [2]
    assert check.listed() == [
        f"{path}, line 3: replaces line 2, which is no decision in force about the same "
        "case_no / measure_source / measure_key (RC2 / sanction / K2)"
    ]


def test_a_link_a_person_decided_is_marked_with_who_decided_it() -> None:
    events = pl.LazyFrame({
        "event_id": ["e1", "e2", "e3"], "link_method": ["manual", "name_unit", "manual"],
        "link_note": ["reviewed by 王芳: RY1", None, "reviewed by 李明: RY2 (override: 同一人，单位更名)"],
    })  # fmt: skip
    marks = dict(reviewed_links(events).collect().iter_rows())
    assert marks == {"e1": "关联经人工复核（王芳）", "e3": "关联经人工复核（李明）"}


# --- the round trip on generated sources ---------------------------------------------------------


def test_a_decision_typed_into_the_list_changes_the_bar_and_the_profile_and_undoing_it_restores_them(
    baseline: Path, sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review = Warehouse(baseline).scan("gold", "tolerance_review").collect()
    # A deployment whose 诫勉 bars for 60 months (influence_periods.csv is rules data): the
    # generated 诫勉 of 2022–2025 still bar today, and confirming a pending pair lifts the bar.
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    periods = rules / "influence_periods.csv"
    periods.write_text(
        periods.read_text(encoding="utf-8").replace(",诫勉,6,", ",诫勉,60,"), encoding="utf-8"
    )
    pending = review.filter(
        (pl.col("status") == "pending") & pl.col("clears_bar") & pl.col("measure").str.ends_with("诫勉")
    ).sort("case_no")  # fmt: skip
    assert pending.height > 0, "the generated sources hold no pending pair that would lift a bar"
    pair = pending.row(0, named=True)
    person = pair["person_no"]
    warehouse = tmp_path / "warehouse"

    def run() -> tuple[dict[str, object], dict[str, object]]:
        outcome = run_pipeline(
            sources / "sources.yaml", warehouse, log_level="WARNING", rules_dir=str(rules)
        )
        assert outcome.success, outcome.failure
        store = Warehouse(warehouse)
        bar = store.scan("gold", "promotion_check").filter(pl.col("person_no") == person).collect()
        profile = (
            store.scan("gold", "cadre_profile").filter(pl.col("person_no") == person).collect()
        )
        return bar.row(0, named=True), profile.row(0, named=True)

    def publish() -> Path:
        cadre = Warehouse(warehouse).scan("silver", "cadre").filter(pl.col("person_no") == person)
        level, region = cadre.select("scope_level", "region").collect().row(0)
        from datetime import datetime

        return write_bundle(Warehouse(warehouse), Scope(level, region), tmp_path / "out",
                            datetime.now(CST), pdfs=False).path  # fmt: skip

    bar, profile = run()
    assert pair["measure"] in [r["measure"] for r in bar["reasons"]], (
        f"{pair['measure']} does not bar {person}"
    )
    before_bar, before_profile = (
        table_bytes(warehouse, "gold", "promotion_check"),
        table_bytes(warehouse, "gold", "cadre_profile"),
    )

    typed = type_into_list(publish(), "容错复核清单", {"案例编号": pair["case_no"], "措施记录": pair["measure_key"]},
                            {"决定": "确认", "理由": "核实为同一事项", "经办人": "李明", "日期": "2026-12-01"})  # fmt: skip
    assert (
        main(["decisions", "import", str(typed), "--sources", str(sources / "sources.yaml")]) == 0
    )
    assert "imported 1 decision(s)" in capsys.readouterr().out
    bar, profile = run()
    measures = [r["measure"] for r in bar["reasons"]]
    assert pair["measure"] not in measures, "the confirmed 容错 decision still bars"
    assert any("经李明复核确认" in t for t in profile["tolerated"])
    assert table_bytes(warehouse, "gold", "promotion_check") != before_bar

    bundle = publish()
    page = (bundle / "profiles" / f"{person}.html").read_text(encoding="utf-8")
    assert f"{pair['case_no']} 经李明复核确认" in page, (
        "the profile page does not say who confirmed it"
    )
    typed = type_into_list(bundle, "容错复核清单", {"案例编号": pair["case_no"], "措施记录": pair["measure_key"]},
                            {"决定": "撤销", "理由": "误判，撤回确认", "经办人": "李明"})  # fmt: skip
    assert (
        main(["decisions", "import", str(typed), "--sources", str(sources / "sources.yaml")]) == 0
    )
    run()
    assert table_bytes(warehouse, "gold", "promotion_check") == before_bar
    assert table_bytes(warehouse, "gold", "cadre_profile") == before_profile
    history = _lines(sources)
    assert [(r["decision"], r["decided_by"], r["replaces"]) for r in history] == [
        ("confirm", "李明", ""),
        ("undo", "李明", "2"),
    ]
    shutil.rmtree(tmp_path / "out")
