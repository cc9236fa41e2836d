"""The linker, one hard case at a time, on a hand-made roster and post history (each test says
why it exists)."""

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import linking as lk
from transforms.events import PetitionCounting, inspection_events, petition_events
from transforms.link_keys import toneless_pinyin
from transforms.posts import cadre_posts
from warehouse.rules import load_linking_rules

RULES = load_linking_rules()

ROSTER = [
    # person_no, name, ID number, unit (current), post (current), 任现职时间
    ("RY1", "张伟", "11010519491231002X", "安平县发展和改革局", "局长", date(2019, 3, 1)),
    ("RY2", "张伟", None, "临江县发展和改革局", "局长", date(2018, 1, 1)),  # cross-unit homonym
    ("RY3", "李强", None, "安平县住房和城乡建设局", "副局长", date(2017, 1, 1)),
    ("RY4", "李强", None, "安平县住房和城乡建设局", "副局长", date(2018, 1, 1)),  # twin of RY3
    ("RY5", "王芳", None, "安平县住房和城乡建设局", "局长", date(2016, 1, 1)),
    (
        "RY6",
        "王芳",
        None,
        "安平县住房和城乡建设局",
        "副局长",
        date(2016, 1, 1),
    ),  # told apart by post
    ("RY7", "欧阳修", None, "安平县江安镇人民政府", "副镇长", date(2015, 1, 1)),
    ("RY8", "赵敏", None, "安平县市场监督管理局", "股长", date(2015, 1, 1)),
    ("RY10", "张明", None, "安平县教育局", "局长", date(2021, 1, 1)),  # rotated out of 财政局
    ("RY11", "张明", None, "安平县财政局", "副局长", date(2021, 3, 1)),  # namesake who came later
    ("RY12", "王军", None, "安平县自然资源局", "副局长", date(2016, 5, 1)),  # renamed bureau
    ("RY13", "刘未", None, "安平县水利局", "副局长", date(2016, 1, 1)),
    ("RY14", "孙莉", None, "安平县审计局", "副局长", date(2015, 1, 1)),
    ("RY15", "沈鹏", None, "中共安平县委员会", "县委常委", date(2025, 6, 30)),  # was 县长
]
HISTORY = [
    # 人员编号, 单位名称 (as named then), 职务, 任职时间, 免职时间
    ("RY10", "安平县财政局", "副局长", date(2016, 1, 1), date(2020, 12, 31)),
    ("RY10", "安平县教育局", "局长", date(2021, 1, 1), None),
    (
        "RY14",
        "安平县国土资源局",
        "副局长",
        date(2015, 1, 1),
        date(2021, 6, 30),
    ),  # S8 kept the old name
    ("RY14", "安平县审计局", "副局长", date(2021, 7, 1), None),
    ("RY15", "中共安平县委员会", "县长", date(2021, 11, 17), date(2025, 6, 29)),
    ("RY15", "中共安平县委员会", "县委常委", date(2025, 6, 30), None),
]


def _cadres() -> pl.LazyFrame:
    frame = pl.DataFrame(
        ROSTER,
        schema=["person_no", "name", "id_number", "unit", "post", "post_since"],
        orient="row",
    ).with_columns(
        pl.col("name").alias("name_key"), pl.lit(None, dtype=pl.String).alias("unit_code")
    )
    return lk.prepare_cadres(frame.lazy(), RULES)


def _posts(with_history: bool = True) -> pl.LazyFrame:
    history = pl.DataFrame(
        HISTORY if with_history else [],
        schema={
            "人员编号": pl.String,
            "单位名称": pl.String,
            "职务": pl.String,
            "任职时间": pl.Date,
            "免职时间": pl.Date,
        },  # fmt: skip
        orient="row",
    ).with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in ("单位代码", "任免文号"))
    return lk.prepare_posts(cadre_posts(history.lazy(), _cadres()), _cadres(), RULES)


def _link(
    *mentions: dict[str, object], decisions: pl.DataFrame | None = None, history: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame]:
    columns = ["source", "source_key", "subject_name", "unit_given", "post_given", "person_no_given", "id_given"]  # fmt: skip
    rows = [
        {c: m.get(c) for c in columns}
        | {
            "source": m.get("source", "petition"),
            "source_key": m.get("source_key", f"XF{i}"),
            "event_date": m.get("event_date", date(2024, 6, 1)),
        }  # fmt: skip
        for i, m in enumerate(mentions)
    ]
    frame = (
        pl.DataFrame(rows, schema={**{c: pl.String for c in columns}, "event_date": pl.Date})
        .with_row_index("mention_id")
        .with_columns(pl.lit(0, dtype=pl.Int32).alias("subject_index"))
    )
    prepared = lk.prepare_mentions(frame.lazy(), RULES)
    chosen = None if decisions is None else decisions.lazy()
    out, review = lk.link(prepared, _cadres(), _posts(history), RULES, chosen)
    return out.sort("mention_id").collect(), review.collect()


def _one(history: bool = True, **mention: object) -> dict[str, object]:
    return _link(mention, history=history)[0].row(0, named=True)


def test_traditional_characters_link() -> None:
    # 張偉 in a petition is 张伟 in the roster.
    row = _one(subject_name="張偉", unit_given="安平县发展和改革局", post_given="局长")
    assert (row["person_no"], row["link_method"]) == ("RY1", "name_unit")


def test_spaced_name_links() -> None:
    # 欧阳 修: a space padding the name, not two people.
    row = _one(subject_name="欧阳 修", unit_given="安平县江安镇人民政府", post_given="副镇长")
    assert row["person_no"] == "RY7"


def test_unit_abbreviation_and_missing_county_link() -> None:
    # 发改局 = 发展和改革局; the county prefix may be missing; 市场监管局 = 市场监督管理局.
    assert (
        _one(subject_name="张伟", unit_given="安平县发改局", post_given="局长")["person_no"]
        == "RY1"
    )
    assert (
        _one(subject_name="赵敏", unit_given="市场监管局", post_given="股长")["person_no"] == "RY8"
    )


def test_name_and_unit_alone_never_link() -> None:
    # No post to confirm them: a village cadre or a newcomer can share a name and a unit.
    row = _one(subject_name="欧阳修", unit_given="江安镇", post_given=None)
    assert (row["person_no"], row["link_status"]) == (None, "review")
    assert "no post to confirm name and unit" in str(row["link_note"])


def test_id_number_links_deterministically() -> None:
    row = _one(subject_name="张伟", id_given="110105 19491231 002x")
    assert (row["person_no"], row["link_method"], row["link_score"]) == ("RY1", "id_number", 1.0)


def test_id_typo_is_not_evidence_and_says_why() -> None:
    # A wrong check character: not used; with no unit named, nobody may be linked by name alone.
    row = _one(subject_name="张伟", id_given="11010519491231003X")
    assert row["person_no"] is None
    assert row["link_status"] == "review"  # two 张伟 in the roster: a person decides
    assert "fails its check character" in str(row["link_note"])


def test_id_typo_falls_back_to_name_unit_and_post() -> None:
    row = _one(subject_name="张伟", id_given="11010519491231003X", unit_given="安平县发展和改革局", post_given="局长")  # fmt: skip
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


def test_cross_unit_homonym_follows_the_unit() -> None:
    # 张伟 of 临江县 is not 张伟 of 安平县; without a county, both fit: review.
    assert (
        _one(subject_name="张伟", unit_given="临江县发改局", post_given="局长")["person_no"]
        == "RY2"
    )
    assert (
        _one(subject_name="张伟", unit_given="发改局", post_given="局长")["link_status"] == "review"
    )


def test_a_record_about_an_earlier_post_links_to_who_held_it_then() -> None:
    # 2019: 张明 was 副局长 of 财政局 (RY10, since rotated to 教育局); the 张明 there now (RY11)
    # came in 2021 and is no candidate for a record of 2019.
    then = _one(
        subject_name="张明",
        unit_given="安平县财政局",
        post_given="副局长",
        event_date=date(2019, 5, 1),
    )
    now = _one(
        subject_name="张明",
        unit_given="安平县财政局",
        post_given="副局长",
        event_date=date(2023, 5, 1),
    )
    assert (then["person_no"], now["person_no"]) == ("RY10", "RY11")  # fmt: skip


def test_without_post_history_a_record_of_an_earlier_post_is_not_given_to_the_newcomer() -> None:
    # No S8: only current posts are known; RY11 has held his since 2021, RY10 is now elsewhere.
    row = _one(history=False, subject_name="张明", unit_given="安平县财政局", post_given="副局长", event_date=date(2019, 5, 1))  # fmt: skip
    assert (row["person_no"], row["link_status"]) == (None, "unlinked")


def test_a_rotation_within_half_a_year_goes_to_review() -> None:
    # January 2021: RY10 had just left (December 2020) and RY11 arrives in March: both held that
    # post within the slack of the record's date, so a person decides.
    row = _one(
        subject_name="张明",
        unit_given="安平县财政局",
        post_given="副局长",
        event_date=date(2021, 1, 20),
    )
    assert row["link_status"] == "review"


def test_a_renamed_unit_matches_before_its_rename_not_after() -> None:
    # 国土资源局 became 自然资源局 on 2019-01-01: a 2017 record naming the old bureau is about
    # 王军 of today's 自然资源局; a 2022 record still naming 国土资源局 does not agree with its date.
    before = _one(
        subject_name="王军",
        unit_given="安平县国土资源局",
        post_given="副局长",
        event_date=date(2017, 8, 1),
    )
    after = _one(
        subject_name="王军",
        unit_given="安平县国土局",
        post_given="副局长",
        event_date=date(2022, 8, 1),
    )
    assert before["person_no"] == "RY12" and after["link_status"] == "unlinked"


def test_a_new_name_matches_a_post_history_kept_under_the_old_name() -> None:
    # S8 recorded 孙莉's 2015-2021 post under 国土资源局; a 2020 record calls it 自然资源局.
    row = _one(
        subject_name="孙莉",
        unit_given="安平县自然资源局",
        post_given="副局长",
        event_date=date(2020, 3, 1),
    )
    assert row["person_no"] == "RY14"


def test_a_village_cadre_sharing_a_town_cadres_name_is_ruled_out() -> None:
    # A 村支书 named 欧阳修 in 江安镇 is not 欧阳修 the 副镇长: his post is no roster cadre's.
    row = _one(subject_name="欧阳修", unit_given="安平县江安镇", post_given="村党支部书记")
    assert (row["person_no"], row["link_status"]) == (None, "unlinked")
    assert "ruled out: post 村党支部书记 is not a roster cadre's post" in str(row["link_note"])


def test_a_contradicting_post_rules_the_candidate_out() -> None:
    # 局长 against the 股长 赵敏 held: another person (or a wrong record), never a link.
    row = _one(subject_name="赵敏", unit_given="安平县市场监督管理局", post_given="局长")
    assert row["link_status"] == "unlinked" and "contradicts 股长" in str(row["link_note"])


def test_the_post_held_on_the_date_decides_not_the_next_one() -> None:
    # Seen at 100,000 cadres: a record of April 2025 names 沈鹏 副县长 while he was 县长; the
    # 县委常委 post he took in June lies within the slack and is compatible with 副县长, and it
    # linked him at 0.86. The post held on the record's date contradicts it: ruled out.
    row = _one(subject_name="沈鹏", unit_given="中共安平县委员会", post_given="副县长",
               event_date=date(2025, 4, 21))  # fmt: skip
    assert (row["person_no"], row["link_status"]) == (None, "unlinked")
    assert "contradicts 县长" in str(row["link_note"])


def test_a_post_matching_only_within_the_slack_goes_to_review() -> None:
    # 刘未 became 水利局副局长 on 2016-01-01; a record of October 2015 naming him so fits that
    # post only with the slack (records lag, or he was acting before the appointment): the only
    # candidate, and still a person's call, not a link.
    out, review = _link({"subject_name": "刘未", "unit_given": "安平县水利局",
                         "post_given": "副局长", "event_date": date(2015, 10, 1)})  # fmt: skip
    assert out.row(0, named=True)["link_status"] == "review"
    assert "within the slack" in review.row(0, named=True)["reason"]
    inside = _one(subject_name="刘未", unit_given="安平县水利局", post_given="副局长",
                  event_date=date(2016, 3, 1))  # fmt: skip
    assert inside["person_no"] == "RY13"  # inside the span it links


def test_a_name_one_character_off_goes_to_review_with_the_difference() -> None:
    # 刘末 (look-alike of 未) and 张玮 (homophone of 伟), unit and post right: typos, never a link.
    out, review = _link(
        {"subject_name": "刘末", "unit_given": "安平县水利局", "post_given": "副局长"},
        {"subject_name": "张玮", "unit_given": "安平县发改局", "post_given": "局长"},
    )
    assert out["link_status"].to_list() == ["review", "review"]
    assert set(review["candidate_person_no"]) == {"RY13", "RY1"}
    assert "刘末 (record) / 刘未 (roster)" in " ".join(review["reason"].drop_nulls())


def test_a_typo_is_linked_when_an_id_confirms_it() -> None:
    row = _one(
        subject_name="张玮",
        unit_given="安平县发改局",
        post_given="局长",
        id_given="11010519491231002X",
    )
    assert (row["person_no"], row["link_method"]) == ("RY1", "id_number")


def test_a_record_without_a_date_is_compared_with_every_post_and_says_so() -> None:
    row = _one(subject_name="孙莉", unit_given="安平县审计局", post_given="副局长", event_date=None)
    assert row["person_no"] == "RY14"
    assert "no usable date" in str(row["link_note"])


def test_a_joint_petition_gives_one_event_per_person_with_its_post() -> None:
    # 被反映人姓名 names two people, 被反映人职务 their posts in the same order.
    bronze = pl.LazyFrame(
        {"件号": ["XF1"], "收件日期": [date(2024, 3, 1)], "被反映人姓名": ["王芳、李强"],
         "被反映人姓名_原文": ["王芳、李强"], "被反映人单位": ["安平县住建局"],
         "被反映人职务": ["局长、副局长"], "被反映人身份证号": ["11010519491231002X"],
         "问题类别": [None], "办理结果": ["属实"], "是否诬告陷害": [False], "重复件": [False],
         "更新时间": [None], "_source_file": ["f"], "_source_row": [1]},
        schema_overrides={"更新时间": pl.Datetime, "问题类别": pl.String},
    )  # fmt: skip
    events = petition_events(bronze, PetitionCounting(("属实",), ())).collect()
    assert events.select("source_key", "subject_name", "subject_index", "post_given", "id_given").rows() == [
        ("XF1", "王芳", 0, "局长", None), ("XF1", "李强", 1, "副局长", None),
    ]  # an ID number cannot say whose of the two it is  # fmt: skip


def test_a_joint_finding_with_concurrent_titles_gives_each_person_their_own() -> None:
    # 责任人 李春、陶勇明, 责任人职务 党组书记、主任、办公室主任: 李春 is 党组书记、主任, 陶勇明 办公室主任.
    # Inspections took the post in the person's place (陶勇明 主任: ruled out against the 办公室主任
    # he held), and the leading titles went to the first person whoever held them (局长、党组书记、
    # 局长 gave the second person 局长 only, the first 局长、党组书记).
    bronze = pl.LazyFrame(
        {"轮次": ["2023年第1轮"] * 3, "问题编号": ["WT1", "WT2", "WT3"],
         "被巡察单位": ["县发改委", "县人社局", "县审计局"], "被巡察单位代码": [None] * 3,
         "责任人": ["李春、陶勇明", "严燕文、李芳洋", "李勇雪、别克·托合提"],
         "责任人职务": ["党组书记、主任、办公室主任", "局长、党组书记、局长", "局长、原党组书记、局长"],
         "反馈日期": [date(2023, 2, 16)] * 3, "整改时限": [None] * 3, "问题类别": ["x"] * 3,
         "整改状态": ["整改中"] * 3, "_source_file": ["f"] * 3, "_source_row": [1, 2, 3]},
        schema_overrides={"整改时限": pl.Date},
    )  # fmt: skip
    events = inspection_events(bronze).collect().sort("source_key", "subject_index")
    assert events.select("subject_name", "post_given").rows() == [
        ("李春", "党组书记、主任"), ("陶勇明", "办公室主任"),
        ("严燕文", "局长"), ("李芳洋", "党组书记、局长"),
        ("李勇雪", "局长"), ("别克·托合提", "原党组书记、局长"),
    ]  # fmt: skip


def test_person_number_links_and_unknown_number_is_noted() -> None:
    assert _one(subject_name="赵敏", person_no_given="RY8")["link_method"] == "person_no"
    row = _one(subject_name="赵敏", person_no_given="RY99", unit_given="安平县市场监督管理局", post_given="股长")  # fmt: skip
    assert row["person_no"] == "RY8" and "人员编号 not in the roster" in str(row["link_note"])


@pytest.mark.parametrize(
    ("decision", "person_no", "status"),
    [("RY4", "RY4", "linked"), (lk.NOT_IN_ROSTER, None, "unlinked")],
)
def test_reviewed_decision_is_applied(decision: str, person_no: str | None, status: str) -> None:
    # A person decided which 李强 this petition concerns (or that it is nobody on the roster).
    decisions = pl.DataFrame(
        {"source": ["petition"], "source_key": ["XF0"], "subject_name": ["李 强"],
         "decision": [decision], "decided_by": ["审核员甲"]}
    )  # fmt: skip
    row = _link({"subject_name": "李强", "unit_given": "安平县住建局", "post_given": "副局长"}, decisions=decisions)[0].row(0, named=True)  # fmt: skip
    assert (row["person_no"], row["link_status"], row["link_method"]) == (
        person_no,
        status,
        "manual",
    )
    assert "审核员甲" in str(row["link_note"])


def _rejection(person: str, name: str, key: str = "XF0") -> pl.DataFrame:
    """A reviewed line: the record ``key`` is not cadre ``person``."""
    return pl.DataFrame({
        "source": ["petition"], "source_key": [key], "subject_name": [name], "decision": [lk.REJECT],
        "decided_by": ["审核员甲"], "rejected": [person],
    })  # fmt: skip


def test_a_rejected_twin_leaves_the_other_in_review_not_linked() -> None:
    # Why: the two 李强 tie; an officer saying "not RY3" is no evidence that it is RY4 — the
    # rejection takes RY3 out of the choice and out of the review queue, never links RY4.
    petition = {"subject_name": "李强", "unit_given": "安平县住建局", "post_given": "副局长"}
    _, before = _link(petition)
    assert sorted(before["candidate_person_no"]) == ["RY3", "RY4"]
    out, review = _link(petition, decisions=_rejection("RY3", "李强"))
    row = out.row(0, named=True)
    assert (row["person_no"], row["link_status"]) == (None, "review")
    assert review["candidate_person_no"].to_list() == ["RY4"]
    assert "not RY3: rejected by 审核员甲" in str(row["link_note"])


def test_rejecting_the_linked_cadre_unlinks_without_promoting_the_runner_up() -> None:
    # Why: RY5 was linked on its own evidence; rejected, the record is not given to anyone else
    # (RY6's post contradicts the record: ruled out), and RY5 is never linked again.
    petition = {"subject_name": "王芳", "unit_given": "安平县住建局", "post_given": "局长"}
    assert _link(petition)[0]["person_no"].to_list() == ["RY5"]
    out, review = _link(petition, decisions=_rejection("RY5", "王芳"))
    row = out.row(0, named=True)
    assert (row["person_no"], row["link_status"]) == (None, "unlinked") and review.is_empty()


def test_a_rejection_leaves_a_link_made_on_its_own_evidence() -> None:
    # Why: RY6 clears RY5 by the post; rejecting RY5 changes nothing about RY6's link.
    petition = {"subject_name": "王芳", "unit_given": "安平县住建局", "post_given": "副局长"}
    row = _link(petition, decisions=_rejection("RY5", "王芳"))[0].row(0, named=True)
    assert (row["person_no"], row["link_method"], row["link_status"]) == (
        "RY6",
        "name_unit",
        "linked",
    )


def test_a_rejected_id_number_link_is_not_used() -> None:
    # Why: the ID number names RY1 and an officer said the record is not RY1: the number is no
    # evidence, and the namesake RY2 (no unit to confirm) only goes to review.
    petition = {"subject_name": "张伟", "id_given": "110105 19491231 002x"}
    out, review = _link(petition, decisions=_rejection("RY1", "张伟"))
    row = out.row(0, named=True)
    assert (row["person_no"], row["link_status"]) == (None, "review")
    assert review["candidate_person_no"].to_list() == ["RY2"]
    assert "id_number names RY1, whom 审核员甲 rejected" in str(row["link_note"])


# Characters that make words of pypinyin's phrase dictionary with each other (长孙, 单于, 曾经,
# 乐乐, 重庆 …), readings that change inside a word, and what a name key may hold besides Han
# characters (the dot of a transliterated name, Latin letters, a character outside the BMP).
NAME_CHARS = "长孙单于曾经乐重庆朝阳行会藏王张章伟芳欧阳修·AbX𠀀1"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=NAME_CHARS, max_size=24), max_size=20))
def test_the_fast_pinyin_reads_every_name_as_pypinyin_does(names: list[str]) -> None:
    """Why: ``toneless_pinyin`` reads most names a character at a time, which is only right
    where pypinyin would not read a word of its phrase dictionary; names full of such words
    (and of what is not Han) must come out as ``lazy_pinyin`` reads them."""
    from pypinyin import lazy_pinyin

    assert toneless_pinyin(names) == ["".join(lazy_pinyin(n)) for n in names]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", None]), st.integers(0, 3), st.integers(0, 2)),
        max_size=40,
    )
)
def test_the_earlier_decisions_are_one_per_record_as_unique_gives_them(rows) -> None:
    # Why: the earlier decisions are made unique per record by the hash of its identity first,
    # comparing the identity itself only among rows whose hashes meet; the records kept, and
    # each once, must be those unique() keeps, with or without repeats (nulls among the keys).
    from transforms.event_links import _unique

    frame = pl.DataFrame(rows, schema={"k": pl.String, "j": pl.Int64, "v": pl.Int64}, orient="row")
    out = _unique(frame, ["k", "j"])
    assert out.height == frame.unique(["k", "j"]).height
    assert out.select("k", "j").is_unique().all()
    assert out.join(frame, on=["k", "j", "v"], how="anti", nulls_equal=True).height == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet="张王李欧阳修伟局长党组书记、，,;；/ \u3000\x1c\xa0·A", max_size=12),
            st.text(max_size=8),
        ),
        max_size=30,
    )
)
def test_names_and_posts_split_once_per_distinct_cell_as_the_splitters_split_each(
    cells: list[str | None],
) -> None:
    # Why: a cell of Han characters only is taken as a list of itself without calling the
    # splitter (most of the 4.8M cells at 1,000,000 cadres); every other cell — separators,
    # spaces of any kind (a one-character piece joins the rest), nulls — goes through it.
    from transforms.events import _map_unique_to_lists, split_names, split_posts

    values = pl.Series(cells, dtype=pl.String)
    for split in (split_names, split_posts):
        assert _map_unique_to_lists(values, split).to_list() == [split(v) for v in cells]


def test_a_post_written_twice_in_s8_keeps_its_last_row() -> None:
    # Why: S8 may hold a post twice (the same cadre, unit, post and start), a later row correcting
    # an earlier (免职时间 filled in). The later row wins; the join before the dedup gave its rows
    # in any order, and at 150,000 such posts every first row was kept.
    n = 40_000
    people = [f"P{i:06d}" for i in range(n)]
    history = pl.LazyFrame({
        "人员编号": people * 2, "单位代码": ["u1"] * 2 * n, "单位名称": ["财政局"] * 2 * n,
        "职务": ["局长"] * 2 * n, "任职时间": [date(2020, 1, 1)] * 2 * n,
        "免职时间": [date(2021, 1, 1)] * n + [date(2022, 2, 2)] * n, "任免文号": [None] * 2 * n,
    }, schema_overrides={"任免文号": pl.String})  # fmt: skip
    cadres = pl.LazyFrame({
        "person_no": people, "unit_code": ["u1"] * n, "unit": ["财政局"] * n, "post": ["局长"] * n,
        "post_since": [date(2020, 1, 1)] * n, "status": [None] * n,
    }, schema_overrides={"status": pl.String})  # fmt: skip
    held = cadre_posts(history, cadres).collect()
    assert held.height == n and held["end"].unique().to_list() == [date(2022, 2, 2)]
