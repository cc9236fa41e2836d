"""Issue #23 point 4: decisions files are read like a source.

``link_decisions.csv`` and ``tolerance_decisions.csv``: a file that cannot be read stops the run
with one line naming the file and the line; a bad line is rejected (file, line, reason) and the
rest applied; a line naming a record or pair this run no longer has is stale; the run summary
counts each. Each case says why it exists; each failed on the code before #23 (the reader raised
or the line was silently applied, ignored or "last wins").
"""

import shutil
from pathlib import Path

import polars as pl
import pytest

from orchestration.cli import decisions_line, main
from tests.conftest import run
from transforms import linking
from transforms.decisions_check import (
    check_link_decisions,
    check_tolerance_decisions,
    stale_tolerance_decisions,
)
from transforms.link_keys import model_of
from warehouse.decisions import read_decisions
from warehouse.rule_files import RuleError
from warehouse.rules import load_linking_rules
from warehouse.store import Warehouse
from warehouse.tolerance_decisions import read_tolerance_decisions

UNITS = model_of(load_linking_rules())

HEADER = "source,source_key,subject_name,decision,decided_by,override\n"
CADRES = pl.LazyFrame(
    {
        "person_no": ["RY1", "RY2", "RY3", "RY5"],
        "name": ["李强", "王芳", "王芳", "周涛"],
        "unit": ["安平县财政局", "安平县住建局", "安平县教育局", "平平市发展和改革委员会"],
    }
)
POSTS = pl.concat(
    [
        CADRES.select("person_no", "unit"),
        pl.LazyFrame({"person_no": ["RY1"], "unit": ["临平县财政局"]}),
    ]
)  # RY1 held a post in 临平县 before 安平县
MENTIONS = pl.LazyFrame(
    {
        "source": ["petition"] * 5,
        "source_key": ["XF1", "XF2", "XF3", "XF4", "XF5"],
        "subject_name": ["李强", "王芳", "周涛", "张伟", "李 强"],
        "unit_given": [
            "安平县财政局",
            "安平县住建局",
            "安平县财政局",
            "安平县财政局",
            "临平县财政局",
        ],
    }
)


def _judge(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "link_decisions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return check_link_decisions(read_decisions(path), MENTIONS, CADRES, POSTS, UNITS)


def _kinds(check) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(check.problems.select("line", "kind").iter_rows())


GOOD = "petition,XF2,王芳,RY2,审核员,\n"


# --- lines bad in themselves: rejected, the rest applied ---------------------------------------


def test_a_ragged_line_is_rejected_and_the_rest_applied(tmp_path: Path) -> None:
    # A comma inside a name shifts every field: Polars stopped the whole run with ComputeError.
    check = _judge(tmp_path, "petition,XF1,李,强,RY1,审核员,\n" + GOOD)
    assert _kinds(check) == {2: "ragged"}
    assert check.listed() == [f"{tmp_path / 'link_decisions.csv'}, line 2: ragged: 7 field(s), the header has 6"]  # fmt: skip
    assert check.applied["line"].to_list() == [3]


def test_a_line_cut_short_is_ragged_but_trailing_optional_cells_may_be_left_out(tmp_path: Path) -> None:  # fmt: skip
    # A field left out in the middle (no subject) is ragged; a line without the optional
    # trailing override cell is a whole line, as spreadsheet exports write it.
    check = _judge(tmp_path, "petition,XF1,RY1,审核员\npetition,XF2,王芳,RY2,审核员\n")
    assert _kinds(check) == {2: "ragged"}
    assert check.applied["line"].to_list() == [3]


def test_an_empty_line_and_an_empty_cell_are_rejected(tmp_path: Path) -> None:
    # Was: "empty …" stopped the whole run, every other decision with it.
    check = _judge(tmp_path, ",,,,,\npetition,XF1,李强,,审核员,\n" + GOOD)
    assert _kinds(check) == {2: "empty", 3: "empty"}
    assert "line 3: empty decision" in check.listed()[1]
    assert check.applied["line"].to_list() == [4]


def test_an_unknown_source_is_rejected(tmp_path: Path) -> None:
    # Was: a stop for the whole file; now the line alone.
    check = _judge(tmp_path, "petitions,XF1,李强,RY1,审核员,\n" + GOOD)
    assert _kinds(check) == {2: "invalid"}
    assert "unknown source 'petitions'" in check.listed()[0]


def test_a_rejection_names_its_cadre_and_needs_no_likeness(tmp_path: Path) -> None:
    # Why: a ``reject`` line says who the record is not, in ``rejected``: without it the line says
    # nothing (rejected), ``rejected`` on a link line is a slip (rejected); a rejection of a cadre
    # of another name (周涛 for 王芳's record) needs no override — only a link is checked for
    # likeness — but one of a 人员编号 not on the roster is.
    path = tmp_path / "link_decisions.csv"
    path.write_text(
        HEADER.rstrip("\n") + ",rejected\n"
        "petition,XF2,王芳,reject,审核员,,\n"
        "petition,XF2,王芳,RY2,审核员,,RY3\n"
        "petition,XF2,王芳,reject,审核员,,RY5\n"
        "petition,XF2,王芳,reject,审核员,,RY9\n",
        encoding="utf-8",
    )
    check = check_link_decisions(read_decisions(path), MENTIONS, CADRES, POSTS, UNITS)
    assert _kinds(check) == {2: "invalid", 3: "invalid", 5: "unknown_cadre"}
    assert "reject names no cadre" in check.listed()[0]
    assert "rejected is for reject lines only" in check.listed()[1]
    assert check.applied.select("line", "rejected").rows() == [(4, "RY5")]


# --- files that cannot be read at all: the run stops, naming file and line ---------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "line 1: empty file, not even a header line"),
        ("source,source_key,subject_name,decision\n", "line 1: missing column(s) decided_by"),
        (HEADER.replace("override", "decision"), "line 1: column(s) named twice: decision"),
        (HEADER + GOOD + 'petition,"XF1,李强,RY1,审核员,\n', "line 3: not readable as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_stops_naming_file_and_line(tmp_path: Path, text: str, said: str) -> None:  # fmt: skip
    # An empty file ended in "unexpected NoDataError — a bug"; a quote never closed swallows
    # every later line, so nothing can be trusted: stop, naming where.
    path = tmp_path / "link_decisions.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        read_decisions(path)
    assert str(raised.value).startswith(f"{path}, ") and said in str(raised.value)
    assert "\n" not in str(raised.value)


# --- lines judged against the events and the roster --------------------------------------------


def test_contradictory_lines_are_all_rejected_identical_ones_applied_once(tmp_path: Path) -> None:
    # Was: "last wins" silently. Two people decided one record two ways: neither is applied.
    body = ("petition,XF2,王芳,RY2,甲,\npetition,XF2,王芳,RY3,乙,\n"
            "petition,XF1,李强,RY1,甲,\npetition,XF1,李 强,RY1,乙,\n")  # fmt: skip
    check = _judge(tmp_path, body)
    assert _kinds(check) == {2: "contradictory", 3: "contradictory"}
    assert "line(s) 3 decide the same record otherwise (RY2 / RY3)" in check.listed()[0]
    assert check.applied.select("line", "decision").rows() == [(4, "RY1")]


def test_a_line_naming_nobody_the_record_names_is_rejected(tmp_path: Path) -> None:
    # Was: ignored without a word (the decision matched no mention).
    check = _judge(tmp_path, "petition,XF4,李强,RY1,审核员,\n")
    assert _kinds(check) == {2: "unknown_record"}
    assert "petition record XF4 names nobody called 李强" in check.listed()[0]


def test_a_line_naming_a_record_that_is_gone_is_stale(tmp_path: Path) -> None:
    # Was: ignored without a word. Not wrong, but aged: counted apart from the rejected.
    check = _judge(tmp_path, "petition,XF9,李强,RY1,审核员,\n" + GOOD)
    assert _kinds(check) == {2: "stale"}
    assert (check.count("stale"), check.count("rejected"), check.applied.height) == (1, 0, 1)


def test_a_reason_never_carries_a_whole_id_number(tmp_path: Path) -> None:
    # A sanction's key holds the cadre's ID number; the reason goes to the quality report and
    # the log, so it is masked there as the review list prints it.
    check = _judge(tmp_path, "sanction,450321199001011234/诫勉/2024-01-05,李强,RY1,审核员,\n")
    assert "sanction record 450321********1234/诫勉/2024-01-05" in check.listed()[0]
    assert "199001011234" not in check.listed()[0]


def test_a_cadre_not_on_the_roster_is_rejected(tmp_path: Path) -> None:
    # Was: applied, linking the record to a 人员编号 no cadre has.
    check = _judge(tmp_path, "petition,XF1,李强,RY99,审核员,\n")
    assert _kinds(check) == {2: "unknown_cadre"}


def test_a_cadre_of_another_name_needs_an_override(tmp_path: Path) -> None:
    # Was: applied, putting 张伟's record on 李强's file. With a reason in override it stands.
    check = _judge(tmp_path, "petition,XF4,张伟,RY1,审核员,\n")
    assert _kinds(check) == {2: "name_differs"}
    assert "cadre RY1 is 李强, the record names 张伟" in check.listed()[0]
    check = _judge(tmp_path, "petition,XF4,张伟,RY1,审核员,举报材料把李强写成张伟\n")
    assert check.problems.height == 0 and check.applied["override"].to_list() == [
        "举报材料把李强写成张伟"
    ]


def test_a_cadre_outside_the_records_region_needs_an_override(tmp_path: Path) -> None:
    # The issue's probe: a county record linked to a 市管 cadre of the city, same name. Refused
    # unless override says why; a cadre who once held a post in the record's county is fine.
    check = _judge(tmp_path, "petition,XF3,周涛,RY5,审核员,\npetition,XF5,李强,RY1,审核员,\n")
    assert _kinds(check) == {2: "outside_region"}
    assert (
        "the record names 安平县财政局, cadre RY5 held posts only in 平平市发展和改革委员会"
        in check.listed()[0]
    )  # the units as written, not the region keys (平平) the check compares
    assert check.applied["line"].to_list() == [3]
    check = _judge(
        tmp_path, "petition,XF3,周涛,RY5,审核员,\npetition,XF3,周涛,RY5,审核员,市管干部兼任\n"
    )
    assert check.problems.height == 0  # an identical repeat giving the reason is the one applied
    assert check.applied.select("line", "override").rows() == [(3, "市管干部兼任")]


def test_the_issues_probe_another_name_in_another_region_says_both(tmp_path: Path) -> None:
    # Issue #23's probe: a county record decided to a city cadre elsewhere under another name was
    # applied (and raised a warning on that cadre). Refused, with both reasons on the line.
    check = _judge(tmp_path, "petition,XF1,李强,RY5,审核员,\n")
    assert _kinds(check) == {2: "name_differs"} and check.applied.height == 0
    assert (
        "cadre RY5 is 周涛, the record names 李强; outside the record's region" in check.listed()[0]
    )


def test_the_override_reason_is_in_the_link_note() -> None:
    # An applied override is visible on the record, not just in the file.
    linked = pl.LazyFrame({"source": ["petition"], "source_key": ["XF4"], "name_key": ["张伟"],
                           "person_no": [None], "link_method": [None], "link_status": ["unlinked"],
                           "link_score": [None], "link_note": [""]},
                          schema_overrides={"person_no": pl.String, "link_method": pl.String, "link_score": pl.Float64})  # fmt: skip
    decisions = pl.LazyFrame({"source": ["petition"], "source_key": ["XF4"], "subject_name": ["张伟"],
                              "decision": ["RY1"], "decided_by": ["审核员"], "override": ["写错了名字"]})  # fmt: skip
    row = linking.apply_decisions(linked, decisions).collect().row(0, named=True)
    assert (
        row["person_no"] == "RY1"
        and row["link_note"] == "reviewed by 审核员: RY1 (override: 写错了名字)"
    )


def test_apply_decisions_never_lets_the_last_line_win() -> None:
    # Was: unique(keep="last"): of two contradictory decisions the later silently won.
    linked = pl.LazyFrame({"source": ["petition"], "source_key": ["XF2"], "name_key": ["王芳"],
                           "person_no": ["RY2"], "link_method": ["name_unit"], "link_status": ["linked"],
                           "link_score": [0.9], "link_note": ["linker"]})  # fmt: skip
    decisions = pl.LazyFrame({"source": ["petition"] * 2, "source_key": ["XF2"] * 2, "subject_name": ["王芳"] * 2,
                              "decision": ["RY2", "RY3"], "decided_by": ["甲", "乙"]})  # fmt: skip
    row = linking.apply_decisions(linked, decisions).collect().row(0, named=True)
    assert (row["person_no"], row["link_method"]) == ("RY2", "name_unit")


# --- tolerance_decisions.csv ---------------------------------------------------------------------

TOLERANCE_HEADER = "case_no,measure_source,measure_key,decision,decided_by\n"


def test_tolerance_bad_lines_are_rejected_and_the_rest_applied(tmp_path: Path) -> None:
    # Was: the first bad line (or any repeat, even identical) stopped gold entirely.
    path = tmp_path / "tolerance_decisions.csv"
    path.write_text(TOLERANCE_HEADER + "K1,sanction,S1,确认,科\nK1,sanction,S1,confirm,科\n"
                    "K2,audit,A1,maybe,科\nK3,petition,P1,确认,科\nK4,audit,A4,确认\n"
                    "K5,audit,A5,确认,科\nK5,audit,A5,否决,科\n", encoding="utf-8")  # fmt: skip
    check = check_tolerance_decisions(read_tolerance_decisions(path))
    assert _kinds(check) == {4: "invalid", 5: "invalid", 6: "ragged", 7: "contradictory", 8: "contradictory"}  # fmt: skip
    assert check.applied.select("line", "decision").rows() == [(2, "confirm")]  # 确认 = confirm


def test_tolerance_lines_matching_no_pair_are_stale() -> None:
    # Was: ignored without a word (the left join found nothing).
    lines = pl.DataFrame(
        {"file": ["f"] * 2, "line": [2, 3], "case_no": ["K1", "K9"], "measure_source": ["sanction"] * 2,
         "measure_key": ["S1", "S9"], "decision": ["confirm"] * 2, "decided_by": ["科"] * 2,
         "problem": [None, None]}, schema_overrides={"problem": pl.String},
    )  # fmt: skip
    review = pl.LazyFrame(
        {"case_no": ["K1"], "measure_source": ["sanction"], "measure_key": ["S1"]}
    )
    check = stale_tolerance_decisions(check_tolerance_decisions(lines), review)
    assert _kinds(check) == {3: "stale"} and check.applied["line"].to_list() == [2]
    assert "no pair of 容错 decision K9 and sanction S9" in check.listed()[0]


# --- the run ------------------------------------------------------------------------------------


def test_the_run_stops_on_an_unreadable_decisions_file_with_one_line(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was: "link_events: unexpected ComputeError … — a bug". Now: before anything is read, one
    # line naming the file and the line, exit 2, no traceback.
    sources = tmp_path / "sources"
    shutil.copytree(generated, sources)
    (sources / "link_decisions.csv").write_text(HEADER + GOOD + 'petition,"XF1,李强\n', encoding="utf-8")  # fmt: skip
    code = main(["run", "--sources", str(sources / "sources.yaml"), "--warehouse", str(tmp_path / "w")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"dajiandu: {sources / 'link_decisions.csv'}, line 3: not readable as CSV "
        "(unexpected end of data); a quote opened and never closed?"
    ]
    assert "Traceback" not in err and not (tmp_path / "w" / "bronze").exists()


def test_the_run_counts_applied_rejected_and_stale_lines(baseline: Path, sources: Path, tmp_path: Path) -> None:  # fmt: skip
    # The summary's decisions line and the quality report's list of lines not applied, on a
    # whole run; and a file broken mid-run (the Dagster UI path, no CLI check) fails the step
    # with the same one line, not "unexpected … a bug".
    warehouse = tmp_path / "warehouse"
    shutil.copytree(baseline, warehouse, symlinks=True)
    store = Warehouse(warehouse)
    events = store.scan("silver", "supervision_event").filter(pl.col("link_method") == "person_no")
    picks = events.select("source", "source_key", "subject_name", "person_no").unique("source_key").sort("source_key").head(2).collect().rows()  # fmt: skip
    (source, key, name, person), (other, other_key, other_name, _) = picks
    (sources / "link_decisions.csv").write_text(
        HEADER + f"{source},{key},{name},{person},审核员,\n"  # applied (its own cadre)
        f"{source},{key},{name},{person},审核员,\n"  # identical: applied once
        f"{source},{key}-gone,{name},{person},审核员,\n"  # stale
        f"{other},{other_key},{other_name},RY-NOBODY,审核员,\n"  # unknown cadre
        ",,,,,\n",  # empty
        encoding="utf-8",
    )  # fmt: skip
    pair = store.scan("gold", "tolerance_review").select("case_no", "measure_source", "measure_key").head(1).collect().row(0)  # fmt: skip
    (sources / "tolerance_decisions.csv").write_text(
        TOLERANCE_HEADER + "{},{},{},确认,科\n".format(*pair)  # applied
        + "K-GONE,audit,P/1,否决,科\n"  # stale
        + "K7,audit,P/7,确认,科\nK7,audit,P/7,否决,科\n",  # contradictory: both rejected
        encoding="utf-8",
    )  # fmt: skip
    outcome = run(sources, warehouse)
    assert outcome.success, outcome.failure
    assert outcome.decisions == {
        "link": {"applied": 1, "rejected": 2, "stale": 1},
        "tolerance": {"applied": 1, "rejected": 2, "stale": 1},
    }
    assert decisions_line(outcome.decisions).startswith(
        "decisions: link 1 applied, 2 rejected, 1 stale; 容错 1 applied, 2 rejected, 1 stale"
    )
    linked = (
        Warehouse(warehouse).scan("silver", "supervision_event").filter(pl.col("source_key") == key)
    )
    assert linked.select("link_method").collect()["link_method"].to_list()[0] == "manual"
    report = warehouse / "reports" / "quality"
    listed = "\n".join(p.read_text(encoding="utf-8") for p in report.rglob("*.json"))
    assert "link_decisions.csv, line 4: stale" in listed and "tolerance_decisions.csv, line 4: contradictory" in listed  # fmt: skip

    (sources / "link_decisions.csv").write_text("", encoding="utf-8")
    outcome = run(sources, warehouse)
    assert not outcome.success
    assert outcome.failure == (
        f"link_events: {sources / 'link_decisions.csv'}, line 1: empty file, not even a header "
        "line; write the header (source,source_key,subject_name,decision,decided_by) or remove the file"
    )
