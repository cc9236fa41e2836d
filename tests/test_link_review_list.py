"""关联复核清单: the records the linker could not settle, published per scope with that scope's
candidates only, and the officers' 确认 / 撤销 typed into its Excel imported into
``link_decisions.csv`` by the same importer as the 容错 list (one importer, two sheet kinds).

Small cases on hand-made frames and workbooks, then the round trip on generated sources: a 确认
typed into the published list links the record to that cadre with the reviewed mark on the
profile; a 撤销 restores ``silver/supervision_event`` byte for byte.
"""

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from orchestration.cli import main
from orchestration.publish_cli import CST
from orchestration.runner import run_pipeline
from tests.publish_support import table_bytes, type_into_list, write_sheet
from transforms.decisions_check import check_link_decisions
from transforms.link_keys import model_of
from transforms.publishing import DECISION_HEADERS, link_review_list
from transforms.scope import Scope
from warehouse.decision_import import ImportError_, import_decisions
from warehouse.decisions import read_decisions
from warehouse.publish.bundle import write_bundle
from warehouse.rule_files import DEFAULT_RULES
from warehouse.rules import load_linking_rules
from warehouse.store import Warehouse

TODAY = date(2026, 12, 6)
LIST_HEADER = ["来源", "记录", "记录日期", "记录所写姓名", "记录所写单位", "人员编号", "姓名",
               "单位", "职务", "当时任职", "匹配得分", *DECISION_HEADERS]  # fmt: skip


def _review() -> pl.LazyFrame:
    """One audit record with two candidates, one in each of two scopes; one petition record whose
    only candidate is in the other scope."""
    return pl.LazyFrame({
        "candidate_person_no": ["RY1", "RY2", "RY2"], "candidate_unit": ["甲局", "乙局", "乙局"],
        "candidate_post": ["局长", "局长", "局长"], "score": [0.65, 0.7, 0.9],
        "source": ["audit", "audit", "petition"], "source_key": ["SJ1/1", "SJ1/1", "XF1"],
        "subject_name": ["李明", "李明", "王芳"], "subject_index": [0, 0, 0],
        "unit_given": ["甲局", "甲局", "乙局"], "reason": ["r", "r", "r"],
    }, schema_overrides={"subject_index": pl.Int32})  # fmt: skip


def _events() -> pl.LazyFrame:
    return pl.LazyFrame({
        "source": ["audit", "petition"], "source_key": ["SJ1/1", "XF1"], "subject_index": [0, 0],
        "event_date": [date(2024, 5, 1), date(2024, 6, 1)],
    }, schema_overrides={"subject_index": pl.Int32})  # fmt: skip


def _cadres(*person_nos: str) -> pl.LazyFrame:
    every = pl.LazyFrame({
        "person_no": ["RY1", "RY2"], "name": ["李明", "李明"], "unit": ["甲局", "乙局"],
        "post": ["局长", "局长"], "scope_level": ["县管", "市管"], "region": ["450101", "450101"],
    })  # fmt: skip
    return every.filter(pl.col("person_no").is_in(list(person_nos)))


def test_a_scope_sees_only_its_own_candidates_and_only_records_it_has_one_for() -> None:
    # The 县管 scope holds RY1 only: the audit record is listed with RY1 beside it, never RY2
    # (a cadre of another scope), and the petition, whose only candidate is RY2, not at all.
    listed = link_review_list(_review(), _events(), _cadres("RY1")).collect()
    assert listed.columns == LIST_HEADER
    assert listed.rows() == [
        ("审计", "SJ1/1", date(2024, 5, 1), "李明", "甲局", "RY1", "李明", "甲局", "局长",
         "甲局 局长", 0.65, None, None, None, None),
    ]  # fmt: skip
    other = link_review_list(_review(), _events(), _cadres("RY2")).collect()
    assert other["人员编号"].to_list() == ["RY2", "RY2"]
    assert "reason" not in other.columns and "依据" not in other.columns


def test_a_sanction_key_is_printed_masked() -> None:
    review = _review().with_columns(
        pl.lit("sanction").alias("source"), pl.lit("450101198001016109/记大过/2023-02-10").alias("source_key")
    )  # fmt: skip
    events = _events().with_columns(
        pl.lit("sanction").alias("source"), pl.lit("450101198001016109/记大过/2023-02-10").alias("source_key")
    )  # fmt: skip
    listed = link_review_list(review, events, _cadres("RY1")).collect()
    assert listed["记录"].to_list() == ["450101********6109/记大过/2023-02-10"]


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    return write_sheet(path, LIST_HEADER, rows)


def _row(person: str = "RY1", decision: str = "", reason: str = "", who: str = "", key: str = "SJ1/1") -> list[object]:  # fmt: skip
    return ["审计", key, "2024-05-01", "李明", "甲局", person, "李明", "甲局", "局长", "甲局 局长",
            0.65, decision, reason, who, "2026-12-01"]  # fmt: skip


def _lines(folder: Path) -> list[dict[str, str]]:
    with (folder / "link_decisions.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_confirmed_candidate_becomes_a_link_decision_and_an_undo_takes_it_back(tmp_path: Path) -> None:  # fmt: skip
    done = import_decisions(
        _sheet(tmp_path / "a.xlsx", [_row("RY1", "确认", "", "李明"), _row("RY2")]), tmp_path, TODAY
    )
    assert (done.kind, done.lines, done.undecided) == ("关联复核清单", [2], 1)
    assert not (tmp_path / "tolerance_decisions.csv").exists()
    [line] = _lines(tmp_path)
    assert (line["source"], line["source_key"], line["subject_name"], line["decision"]) == (
        "audit", "SJ1/1", "李明", "RY1",
    )  # fmt: skip
    assert (line["decided_by"], line["decided_at"], line["replaces"]) == ("李明", "2026-12-01", "")
    import_decisions(
        _sheet(tmp_path / "b.xlsx", [_row("RY1", "撤销", "误判", "李明")]), tmp_path, TODAY
    )
    assert [(r["decision"], r["replaces"]) for r in _lines(tmp_path)] == [
        ("RY1", ""),
        ("undo", "2"),
    ]
    # Read forward, the history applies nothing: the confirmation was taken back.
    mentions = pl.LazyFrame({"source": ["audit"], "source_key": ["SJ1/1"], "subject_name": ["李明"],
                             "unit_given": ["甲局"]})  # fmt: skip
    posts = _cadres("RY1").select("person_no", "unit")
    check = check_link_decisions(
        read_decisions(tmp_path / "link_decisions.csv"), mentions, _cadres("RY1"), posts,
        model_of(load_linking_rules()),
    )  # fmt: skip
    assert check.applied.height == 0 and check.problems.height == 0


def test_every_bad_link_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path / "关联复核清单.xlsx", [
        _row("RY1", "否决", "", "李明"),                                  # a 否决 without its reason
        _row("", "确认", "", "李明", key="SJ9/1"),                        # no 人员编号 to link to
        _row("RY1", "撤销", "错了", "李明", key="SJ8/1"),                 # nothing in force
        _row("RY1", "确认", "", "李明", key="SJ7/1"), _row("RY2", "确认", "", "王芳", key="SJ7/1"),
        _row("RY1", "否决", "不是", "李明", key="SJ6/1"), _row("RY1", "确认", "", "李明", key="SJ6/1"),
    ])  # fmt: skip
    with pytest.raises(ImportError_) as raised:
        import_decisions(sheet, tmp_path, TODAY)
    said = raised.value.problems
    assert [p.split(": ", 1)[0] for p in said] == [f"{sheet}, row {n}" for n in (2, 3, 4, 6, 8)]
    assert "理由 is empty: a 否决 needs the reason" in said[0] and "empty 人员编号" in said[1]
    assert "no decision about this record and 人员编号 RY1 is in force" in said[2]
    assert "confirms another candidate of the same record as row 5" in said[3]
    assert "same record and candidate as row 7" in said[4]
    assert not (tmp_path / "link_decisions.csv").exists()


def _check(folder: Path, mentions: pl.LazyFrame | None = None) -> tuple[list[tuple[object, ...]], list[str]]:  # fmt: skip
    """The lines of ``folder``'s link_decisions.csv the check applies (decision, rejected, key)
    and those it does not, on the one audit record SJ1/1 (or ``mentions``) and RY1, RY2."""
    mentions = mentions if mentions is not None else pl.LazyFrame(
        {"source": ["audit"], "source_key": ["SJ1/1"], "subject_name": ["李明"], "unit_given": ["甲局"]}
    )  # fmt: skip
    cadres = _cadres("RY1", "RY2")
    check = check_link_decisions(
        read_decisions(folder / "link_decisions.csv"), mentions, cadres,
        cadres.select("person_no", "unit"), model_of(load_linking_rules()),
    )  # fmt: skip
    applied = check.applied.select("decision", "rejected", "source_key").rows()
    return applied, check.listed()


def test_a_rejected_candidate_is_a_reject_line_and_an_undo_takes_it_back(tmp_path: Path) -> None:
    # Why: 否决 says the record is not this cadre (the linker never links the pair again); two
    # candidates of one record may both be rejected, and each 撤销 takes back its own row's.
    done = import_decisions(_sheet(tmp_path / "a.xlsx", [
        _row("RY1", "否决", "不是本人", "李明"), _row("RY2", "否决", "另有其人", "李明"),
    ]), tmp_path, TODAY)  # fmt: skip
    assert done.lines == [2, 3]
    assert [(r["decision"], r["rejected"], r["note"], r["replaces"]) for r in _lines(tmp_path)] == [
        ("reject", "RY1", "不是本人", ""), ("reject", "RY2", "另有其人", ""),
    ]  # fmt: skip
    assert _check(tmp_path) == ([("reject", "RY1", "SJ1/1"), ("reject", "RY2", "SJ1/1")], [])
    import_decisions(_sheet(tmp_path / "b.xlsx", [_row("RY2", "撤销", "看错了", "李明")]), tmp_path, TODAY)  # fmt: skip
    assert [(r["decision"], r["replaces"]) for r in _lines(tmp_path)][-1] == ("undo", "3")
    assert _check(tmp_path) == ([("reject", "RY1", "SJ1/1")], [])


def test_a_later_decision_about_the_same_candidate_takes_the_place_of_the_earlier(tmp_path: Path) -> None:  # fmt: skip
    # Why: an officer changes their mind: a 确认 of a rejected candidate replaces the 否决 (and a
    # 否决 of a confirmed one the 确认), so the file never holds both; undoing the 确认 brings
    # the 否决 back.
    import_decisions(_sheet(tmp_path / "a.xlsx", [_row("RY1", "否决", "不是", "李明")]), tmp_path, TODAY)  # fmt: skip
    import_decisions(_sheet(tmp_path / "b.xlsx", [_row("RY1", "确认", "", "王芳")]), tmp_path, TODAY)  # fmt: skip
    assert [(r["decision"], r["replaces"]) for r in _lines(tmp_path)] == [
        ("reject", ""),
        ("RY1", "2"),
    ]
    assert _check(tmp_path) == ([("RY1", None, "SJ1/1")], [])
    import_decisions(_sheet(tmp_path / "c.xlsx", [_row("RY1", "撤销", "再核", "王芳")]), tmp_path, TODAY)  # fmt: skip
    assert _check(tmp_path) == ([("reject", "RY1", "SJ1/1")], [])


def test_a_line_saying_a_record_is_and_is_not_a_cadre_applies_neither(tmp_path: Path) -> None:
    # Why: written by hand without replaces, the two lines contradict: nobody can tell which holds.
    (tmp_path / "link_decisions.csv").write_text(
        "source,source_key,subject_name,decision,decided_by,rejected\n"
        "audit,SJ1/1,李明,RY1,李明,\naudit,SJ1/1,李明,reject,王芳,RY1\n",
        encoding="utf-8",
    )
    applied, listed = _check(tmp_path)
    assert applied == [] and len(listed) == 2 and all("contradictory" in line for line in listed)


def test_a_masked_record_is_decided_as_the_list_shows_it(tmp_path: Path) -> None:
    # Why: the list prints a sanction's key with the ID number masked; the decision is written as
    # shown (no ID number in the decisions file) and read as the one record of the run that fits;
    # two records fitting one masked key decide nothing.
    raw, twin = "450101198001016109/记大过/2023-02-10", "450101199912316109/记大过/2023-02-10"
    shown = "450101********6109/记大过/2023-02-10"
    assert shown == link_review_list(
        _review().with_columns(pl.lit("sanction").alias("source"), pl.lit(raw).alias("source_key")),
        _events().with_columns(pl.lit("sanction").alias("source"), pl.lit(raw).alias("source_key")),
        _cadres("RY1"),
    ).collect()["记录"][0]  # fmt: skip
    row = _row("RY1", "否决", "不是本人", "李明", key=shown)
    import_decisions(_sheet(tmp_path / "a.xlsx", [["处分与组织处理", *row[1:]]]), tmp_path, TODAY)
    assert [r["source_key"] for r in _lines(tmp_path)] == [shown]
    one = pl.LazyFrame({"source": ["sanction"], "source_key": [raw], "subject_name": ["李明"],
                        "unit_given": ["甲局"]})  # fmt: skip
    assert _check(tmp_path, one) == ([("reject", "RY1", raw)], [])
    two = pl.concat([one, one.with_columns(pl.lit(twin).alias("source_key"))])
    applied, listed = _check(tmp_path, two)
    assert applied == [] and "ambiguous: 2 records" in listed[0] and "1980" not in listed[0]


# --- the round trip on generated sources ---------------------------------------------------------


def _undo_in_list(folder: Path, key: str, person: str, reason: str, sources: Path) -> None:
    """撤销 typed into the officer's list in ``folder`` for (``key``, ``person``) and imported."""
    typed = type_into_list(folder, "关联复核清单", {"记录": key, "人员编号": person},
                           {"决定": "撤销", "理由": reason, "经办人": "李明"})  # fmt: skip
    assert (
        main(["decisions", "import", str(typed), "--sources", str(sources / "sources.yaml")]) == 0
    )


def test_a_candidate_confirmed_in_the_list_is_linked_with_the_mark_and_undoing_restores_the_events(
    baseline: Path, sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Warehouse(baseline)
    cadres = store.scan("silver", "cadre").select("person_no", "name", "scope_level", "region")
    # A record in review whose candidate has the record's name (so no override is needed) and
    # whose key holds no ID number (the list prints those masked).
    review = (
        store.scan("silver", "link_review")
        .join(cadres, left_on="candidate_person_no", right_on="person_no")
        .filter((pl.col("name") == pl.col("subject_name")) & ~pl.col("source_key").str.contains(r"\d{17}"))
        .sort("source", "source_key", "candidate_person_no")
        .collect()
    )  # fmt: skip
    assert review.height > 0, "the generated sources hold no record in link review to confirm"
    pick = review.row(0, named=True)
    person, key = pick["candidate_person_no"], pick["source_key"]
    scope = Scope(pick["scope_level"], pick["region"])
    warehouse = tmp_path / "warehouse"

    def run() -> pl.DataFrame:
        outcome = run_pipeline(sources / "sources.yaml", warehouse, log_level="WARNING",
                               rules_dir=str(DEFAULT_RULES))  # fmt: skip
        assert outcome.success, outcome.failure
        return (
            Warehouse(warehouse).scan("silver", "supervision_event")
            .filter((pl.col("source") == pick["source"]) & (pl.col("source_key") == key)
                    & (pl.col("subject_name") == pick["subject_name"]))
            .collect()
        )  # fmt: skip

    def publish() -> Path:
        return write_bundle(Warehouse(warehouse), scope, tmp_path / "out", datetime.now(CST),
                            pdfs=False).path  # fmt: skip

    [event] = run().rows(named=True)
    assert event["link_status"] == "review" and event["person_no"] is None
    before = table_bytes(warehouse, "silver", "supervision_event")
    bundle = publish()
    kept = tmp_path / "kept" / "excel"  # the officer's copy of the first list
    kept.mkdir(parents=True)
    shutil.copy(bundle / "excel" / "关联复核清单.xlsx", kept)
    listed = pl.read_csv(bundle / "excel" / "关联复核清单.csv", infer_schema=False)
    in_scope = set(
        Warehouse(warehouse).scan("silver", "cadre").filter(scope.expr())
        .select("person_no").collect()["person_no"]
    )  # fmt: skip
    assert listed.height > 0 and set(listed["人员编号"]) <= in_scope, (
        "a candidate outside the scope"
    )
    assert 'href="lists/link-review.html"' in (bundle / "index.html").read_text(encoding="utf-8")
    assert (bundle / "lists" / "link-review.html").exists()

    typed = type_into_list(bundle, "关联复核清单", {"记录": key, "人员编号": person},
                       {"决定": "确认", "理由": "同一人", "经办人": "李明", "日期": "2026-12-01"})  # fmt: skip
    assert (
        main(["decisions", "import", str(typed), "--sources", str(sources / "sources.yaml")]) == 0
    )
    assert "imported 1 decision(s)" in capsys.readouterr().out
    [event] = run().rows(named=True)
    assert (event["person_no"], event["link_method"], event["link_status"]) == (
        person, "manual", "linked",
    )  # fmt: skip
    bundle = publish()
    page = (bundle / "profiles" / f"{person}.html").read_text(encoding="utf-8")
    assert "关联经人工复核（李明）" in page, "the profile does not mark the reviewed link"
    listed = pl.read_csv(bundle / "excel" / "关联复核清单.csv", infer_schema=False)
    assert key not in listed["记录"].to_list(), "a linked record is still listed for review"

    # The undo is typed into the list the officer still has (the record left the new one).
    _undo_in_list(kept.parent, key, person, "误判，撤回", sources)
    run()
    assert table_bytes(warehouse, "silver", "supervision_event") == before
    history = [(r["decision"], r["decided_by"], r["replaces"]) for r in _lines(sources)]
    assert history == [(person, "李明", ""), ("undo", "李明", "2")]
    shutil.rmtree(tmp_path / "out")


def test_a_candidate_rejected_in_the_list_leaves_it_and_undoing_restores_the_events(
    baseline: Path, sources: Path, tmp_path: Path
) -> None:
    # Why: 否决 typed into the published list must stop the linker from ever linking that pair —
    # the candidate leaves the review queue and the list, the record goes to no one on the
    # strength of the rejection — and its 撤销 must give back the same events, byte for byte.
    store = Warehouse(baseline)
    cadres = store.scan("silver", "cadre").select("person_no", "scope_level", "region")
    # A record in review with two candidates or more in one scope, its key without an ID number.
    review = (
        store.scan("silver", "link_review")
        .join(cadres, left_on="candidate_person_no", right_on="person_no")
        .filter(~pl.col("source_key").str.contains(r"\d{17}"))
        .filter(pl.len().over("source", "source_key", "subject_name", "scope_level", "region") >= 2)
        .sort("source", "source_key", "subject_name", "candidate_person_no")
        .collect()
    )  # fmt: skip
    assert review.height > 0, "the generated sources hold no record in review with two candidates"
    pick = review.row(0, named=True)
    person, key, name = pick["candidate_person_no"], pick["source_key"], pick["subject_name"]
    scope = Scope(pick["scope_level"], pick["region"])
    warehouse = tmp_path / "warehouse"
    record = (
        (pl.col("source") == pick["source"])
        & (pl.col("source_key") == key)
        & (pl.col("subject_name") == name)
    )
    # The record's other candidates: all of them (the queue) and the scope's (the list).
    others = set(
        store.scan("silver", "link_review").filter(record).collect()["candidate_person_no"]
    )
    others -= {person}
    mine = (pl.col("scope_level") == pick["scope_level"]) & (pl.col("region") == pick["region"])
    in_scope = others & set(review.filter(record & mine)["candidate_person_no"])

    def run() -> tuple[pl.DataFrame, pl.DataFrame]:
        outcome = run_pipeline(sources / "sources.yaml", warehouse, log_level="WARNING",
                               rules_dir=str(DEFAULT_RULES))  # fmt: skip
        assert outcome.success, outcome.failure
        now = Warehouse(warehouse)
        return (now.scan("silver", "supervision_event").filter(record).collect(),
                now.scan("silver", "link_review").filter(record).collect())  # fmt: skip

    def listed(bundle: Path) -> set[str]:
        rows = pl.read_csv(bundle / "excel" / "关联复核清单.csv", infer_schema=False)
        return set(rows.filter(pl.col("记录") == key)["人员编号"])

    event, queue = run()
    assert event["link_status"].to_list() == ["review"] and person in set(
        queue["candidate_person_no"]
    )
    before = table_bytes(warehouse, "silver", "supervision_event")
    bundle = write_bundle(Warehouse(warehouse), scope, tmp_path / "out", datetime.now(CST),
                          pdfs=False).path  # fmt: skip
    assert listed(bundle) == {person} | in_scope
    kept = tmp_path / "kept" / "excel"  # the officer's copy of the first list
    kept.mkdir(parents=True)
    shutil.copy(bundle / "excel" / "关联复核清单.xlsx", kept)

    typed = type_into_list(bundle, "关联复核清单", {"记录": key, "人员编号": person},
                           {"决定": "否决", "理由": "单位不符，不是本人", "经办人": "李明"})  # fmt: skip
    assert (
        main(["decisions", "import", str(typed), "--sources", str(sources / "sources.yaml")]) == 0
    )
    event, queue = run()
    # Not linked (the rejection alone is no evidence for the others); in review with the other
    # candidates when one of them is still plausible, else unlinked and out of the queue.
    [status] = event["link_status"].to_list()
    assert event["person_no"].to_list() == [None] and status in ("review", "unlinked"), status
    assert set(queue["candidate_person_no"]) == (others if status == "review" else set())
    shutil.rmtree(tmp_path / "out")
    bundle = write_bundle(Warehouse(warehouse), scope, tmp_path / "out", datetime.now(CST),
                          pdfs=False).path  # fmt: skip
    assert listed(bundle) == (in_scope if status == "review" else set())

    _undo_in_list(kept.parent, key, person, "看错了，撤回", sources)
    run()
    assert table_bytes(warehouse, "silver", "supervision_event") == before
    history = [(r["decision"], r["rejected"], r["replaces"]) for r in _lines(sources)]
    assert history == [("reject", person, ""), ("undo", "", "2")]
