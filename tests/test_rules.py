"""Rule files: the shipped ones load; a malformed one is named with its line."""

import shutil
from pathlib import Path

import pytest

from warehouse.decisions import read_decisions
from warehouse.rules import DEFAULT_RULES, RuleError, load_linking_rules


def test_shipped_linking_rules_load() -> None:
    rules = load_linking_rules()
    assert rules.abbreviations["发改局"] == "发展和改革局"
    assert rules.review_threshold <= rules.link_threshold


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("link_threshold: 0.80", "link_threshold: high"),
            "link_threshold must be a number",
        ),
        (
            lambda t: t.replace("review_threshold: 0.55", "review_threshold: 0.95"),
            "must not exceed link_threshold",
        ),
        (lambda t: t.replace("post: 0.35", "post: 0.45"), "must add up to 1"),
        (  # name and unit alone would link a village cadre who shares a town cadre's name
            lambda t: t.replace("name: 0.30", "name: 0.50").replace("post: 0.35", "post: 0.15"),
            "name and unit alone must never",
        ),
        (lambda t: t + "\n  bad: [\n", r"linking.yaml, line \d+: not valid YAML"),
    ],
)
def test_a_malformed_linking_file_is_named(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    (folder / "linking.yaml").write_text(
        edit((folder / "linking.yaml").read_text(encoding="utf-8")), encoding="utf-8"
    )
    with pytest.raises(RuleError, match=message):
        load_linking_rules(folder)


def test_an_empty_abbreviation_cell_is_named_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    with (folder / "unit_abbreviations.csv").open("a", encoding="utf-8") as handle:
        handle.write("统计局,,\n")
    with pytest.raises(RuleError, match=r"unit_abbreviations.csv, line \d+: empty full_name"):
        load_linking_rules(folder)


def test_a_region_that_is_not_a_gbt2260_code_is_named_with_its_line(tmp_path: Path) -> None:
    # A deployment replaces regions.csv with its own table: a code of five digits stops the run.
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    with (folder / "regions.csv").open("a", encoding="utf-8") as handle:
        handle.write("33020,宁波市\n")
    with pytest.raises(RuleError, match=r"regions.csv, line \d+: a region is a six-digit code"):
        load_linking_rules(folder)


def test_decisions_file_is_checked(tmp_path: Path) -> None:
    file = tmp_path / "link_decisions.csv"
    assert read_decisions(file).height == 0  # no file yet: no decisions
    file.write_text(
        "source,source_key,subject_name,decision,decided_by\npetitions,XF1,张伟,RY1,甲\n",
        encoding="utf-8",
    )
    # A bad line is no longer a stop: it comes back with its problem and is rejected (#23).
    lines = read_decisions(file)
    assert lines.select("line", "problem").row(0)[0] == 2
    assert lines["problem"][0].startswith("unknown source 'petitions'")
    file.write_text(
        "source,source_key,subject_name,decision\npetition,XF1,张伟,RY1\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match="missing column"):
        read_decisions(file)
