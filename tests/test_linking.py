"""The linker, one hard case at a time, on a hand-made roster (each test says why it exists)."""

import polars as pl
import pytest

from transforms import linking as lk
from warehouse.rules import load_linking_rules

RULES = load_linking_rules()

ROSTER = [
    # person_no, name, ID number, unit, post
    ("RY1", "张伟", "11010519491231002X", "安平县发展和改革局", "局长"),
    ("RY2", "张伟", None, "临江县发展和改革局", "局长"),  # cross-unit homonym of RY1
    ("RY3", "李强", None, "安平县住房和城乡建设局", "副局长"),
    (
        "RY4",
        "李强",
        None,
        "安平县住房和城乡建设局",
        "副局长",
    ),  # same-unit, same-post homonym of RY3
    ("RY5", "王芳", None, "安平县住房和城乡建设局", "局长"),
    (
        "RY6",
        "王芳",
        None,
        "安平县住房和城乡建设局",
        "副局长",
    ),  # same-unit homonym, told apart by post
    ("RY7", "欧阳修", None, "安平县江安镇人民政府", "镇长"),
    ("RY8", "赵敏", None, "安平县市场监督管理局", "股长"),
]


def _cadres() -> pl.LazyFrame:
    frame = pl.DataFrame(
        ROSTER, schema=["person_no", "name", "id_number", "unit", "post"], orient="row"
    )
    return lk.prepare_cadres(frame.lazy().with_columns(pl.col("name").alias("name_key")), RULES)


def _link(*mentions: dict[str, str | None], decisions: pl.DataFrame | None = None) -> pl.DataFrame:
    columns = [
        "source",
        "source_key",
        "subject_name",
        "unit_given",
        "post_given",
        "person_no_given",
        "id_given",
    ]
    rows = [
        {c: m.get(c) for c in columns}
        | {"source": m.get("source", "petition"), "source_key": m.get("source_key", f"XF{i}")}
        for i, m in enumerate(mentions)
    ]
    frame = (
        pl.DataFrame(rows, schema={c: pl.String for c in columns})
        .with_row_index("mention_id")
        .with_columns(pl.lit(0, dtype=pl.Int32).alias("subject_index"))
    )
    prepared = lk.prepare_mentions(frame.lazy(), RULES)
    out, _ = lk.link(prepared, _cadres(), RULES, None if decisions is None else decisions.lazy())
    return out.sort("mention_id").collect()


def _one(**mention: str | None) -> dict[str, object]:
    return _link(mention).row(0, named=True)


def test_traditional_characters_link() -> None:
    # 張偉 in a petition is 张伟 in the roster.
    row = _one(subject_name="張偉", unit_given="安平县发展和改革局", post_given="局长")
    assert (row["person_no"], row["link_method"]) == ("RY1", "name_unit")


def test_spaced_name_links() -> None:
    # 欧阳 修: a space padding the name, not two people.
    row = _one(subject_name="欧阳 修", unit_given="安平县江安镇人民政府", post_given="镇长")
    assert row["person_no"] == "RY7"


def test_unit_abbreviation_and_missing_county_link() -> None:
    # 发改局 = 发展和改革局; the county prefix may be missing; 江安镇 = 江安镇人民政府.
    assert (
        _one(subject_name="张伟", unit_given="安平县发改局", post_given="局长")["person_no"]
        == "RY1"
    )
    assert _one(subject_name="欧阳修", unit_given="江安镇", post_given=None)["person_no"] == "RY7"
    assert (
        _one(subject_name="赵敏", unit_given="安平县市场监管局", post_given="股长")["person_no"]
        == "RY8"
    )


def test_id_number_links_deterministically() -> None:
    row = _one(subject_name="张伟", id_given="110105 19491231 002x")
    assert (row["person_no"], row["link_method"], row["link_score"]) == ("RY1", "id_number", 1.0)


def test_id_typo_is_not_evidence_and_says_why() -> None:
    # A wrong check character: not used; with no unit named, nobody may be linked by name alone.
    row = _one(subject_name="张伟", id_given="11010519491231003X")
    assert row["person_no"] is None
    assert row["link_status"] == "review"  # two 张伟 in the roster: a person decides
    assert "fails its check character" in str(row["link_note"])


def test_id_typo_falls_back_to_name_and_unit() -> None:
    row = _one(
        subject_name="张伟",
        id_given="11010519491231003X",
        unit_given="安平县发展和改革局",
        post_given="局长",
    )
    assert (row["person_no"], row["link_method"]) == ("RY1", "name_unit")
    assert "fails its check character" in str(row["link_note"])


def test_same_unit_homonyms_are_never_guessed() -> None:
    # Two 李强, both 副局长 of the same bureau: indistinguishable, so review, never a pick.
    row = _one(subject_name="李强", unit_given="安平县住建局", post_given="副局长")
    assert (row["person_no"], row["link_status"]) == (None, "review")


def test_same_unit_homonyms_told_apart_by_post() -> None:
    assert (
        _one(subject_name="王芳", unit_given="安平县住建局", post_given="副局长")["person_no"]
        == "RY6"
    )
    assert (
        _one(subject_name="王芳", unit_given="安平县住建局", post_given="局长")["person_no"]
        == "RY5"
    )


def test_same_unit_homonyms_without_post_go_to_review() -> None:
    assert (
        _one(subject_name="王芳", unit_given="安平县住建局", post_given=None)["link_status"]
        == "review"
    )


def test_cross_unit_homonym_follows_the_unit() -> None:
    # 张伟 of 临江县 is not 张伟 of 安平县.
    assert (
        _one(subject_name="张伟", unit_given="临江县发改局", post_given="局长")["person_no"]
        == "RY2"
    )


def test_cross_unit_homonym_without_county_goes_to_review() -> None:
    # 发改局 without a county fits both 张伟: review.
    assert (
        _one(subject_name="张伟", unit_given="发改局", post_given="局长")["link_status"] == "review"
    )


def test_outsider_stays_unlinked() -> None:
    # A village cadre nobody in the roster fits.
    row = _one(subject_name="刘村", unit_given="安平县江安村民委员会", post_given="村党支部书记")
    assert (row["person_no"], row["link_status"]) == (None, "unlinked")


def test_person_number_links_and_unknown_number_is_noted() -> None:
    assert _one(subject_name="赵敏", person_no_given="RY8")["link_method"] == "person_no"
    row = _one(
        subject_name="赵敏",
        person_no_given="RY99",
        unit_given="安平县市场监督管理局",
        post_given="股长",
    )
    assert row["person_no"] == "RY8" and "人员编号 not in the roster" in str(row["link_note"])


@pytest.mark.parametrize(
    ("decision", "person_no", "status"),
    [("RY4", "RY4", "linked"), (lk.NOT_IN_ROSTER, None, "unlinked")],
)
def test_reviewed_decision_is_applied(decision: str, person_no: str | None, status: str) -> None:
    # A person decided which 李强 this petition concerns (or that it is nobody on the roster).
    decisions = pl.DataFrame(
        {
            "source": ["petition"],
            "source_key": ["XF0"],
            "subject_name": ["李 强"],
            "decision": [decision],
            "decided_by": ["审核员甲"],
        }
    )
    row = _link(
        {"subject_name": "李强", "unit_given": "安平县住建局", "post_given": "副局长"},
        decisions=decisions,
    ).row(0, named=True)
    assert (row["person_no"], row["link_status"], row["link_method"]) == (
        person_no,
        status,
        "manual",
    )
    assert "审核员甲" in str(row["link_note"])
