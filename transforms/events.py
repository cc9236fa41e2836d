"""Supervision events: one row per (source record, person named in it), from the bronze tables.

Each source has its own builder returning the same columns (``EVENT_COLUMNS``): who the record
names and with what evidence (name, unit, post, 人员编号, ID number), when, what kind of matter,
and whether it counts against the person. The linker then decides who the person is.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.specs import FIVE_CHECKS

EVENT_COLUMNS = {
    "source": pl.String,
    "source_key": pl.String,
    "subject_name": pl.String,
    "subject_index": pl.Int32,
    "unit_given": pl.String,
    "unit_code_given": pl.String,
    "post_given": pl.String,
    "person_no_given": pl.String,
    "id_given": pl.String,
    "event_date": pl.Date,
    "due_date": pl.Date,
    "category": pl.String,
    "outcome": pl.String,
    "amount_wan": pl.Float64,
    "term_months": pl.Int64,
    "counts_against": pl.Boolean,
    "_source_file": pl.String,
    "_source_row": pl.Int64,
}

_LIST_SEPARATORS = re.compile(r"[、，,;；/]+")


def split_names(text: str | None) -> list[str]:
    """Split a 责任人 cell into names.

    Separators are 、 ， , ; ； and spaces; but a space inside one name (``张 伟``, ``欧阳 修``,
    padding to align two-character names) is not a separator: a piece of one character cannot be a
    whole name, so pieces are only split apart when none of them is a single character.
    """
    if text is None:
        return []
    names: list[str] = []
    for part in _LIST_SEPARATORS.split(text.replace("\u3000", " ")):
        pieces = part.split()
        if not pieces:
            continue
        if any(len(p) == 1 for p in pieces):
            names.append("".join(pieces))
        else:
            names.extend(pieces)
    return names


def _map_unique_to_lists(values: pl.Series, split: Callable[[str | None], list[str]]) -> pl.Series:
    """Apply ``split`` once per distinct value; the lists come back in the order of ``values``.

    ``split`` is one of the splitters here: a value of Han characters only (a name, a post: no
    separator, no space) is a list of itself, made without calling it (most of the 4.8M cells
    of 1,000,000 cadres' records: building their mentions took 13.6 → 11.1 s CPU, measured)."""
    uniques = values.unique()
    whole = uniques.str.contains(r"^\p{Han}+$").fill_null(False)
    rest = uniques.filter(~whole)
    table = pl.concat([
        uniques.filter(whole).to_frame("v").with_columns(pl.concat_list("v").alias("out")),
        pl.DataFrame({"v": rest, "out": pl.Series([split(v) for v in rest.to_list()],
                                                  dtype=pl.List(pl.String))}),
    ])  # fmt: skip
    joined = values.to_frame("v").join(
        table, on="v", how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.get_column("out")


def split_posts(text: str | None) -> list[str]:
    """Split a 责任人职务 cell into posts, in the order of the names."""
    return [p for p in re.split(r"[、，,;；/\s]+", text) if p] if text else []


_LEADING = re.compile(r"^(?:原|前)?(?:党组|党委|党工委)(?:副?书记|成员)$|委常委$")
"""A title written before the one it is held with (党组书记、局长; 县委常委、宣传部部长; a former
原党组书记、局长)."""


def posts_per_person(posts: list[str], people: int) -> list[str]:
    """The posts of a record naming ``people`` persons, one entry each, in their order.

    A list with more posts than people holds concurrent titles: a leading title (党组书记, 党组成员,
    县委常委 …) is joined to the title after it, from the left, until each person has one
    (``局长、党组书记、局长`` for two people: 局长 / 党组书记、局长). Titles still left over go to
    the first person. Fewer posts than people: the last ones have none (empty)."""
    own = list(posts)
    at = 0
    while len(own) > people and at < len(own) - 1:
        if _LEADING.search(own[at]) and not _LEADING.search(own[at + 1]):
            own[at : at + 2] = [f"{own[at]}、{own[at + 1]}"]
        at += 1
    extra = max(len(own) - people, 0)
    own = ["、".join(own[: extra + 1]), *own[extra + 1 :]] if own else []
    return own + [""] * (people - len(own))


def _own_posts_of(key: str | None) -> list[str]:
    """:func:`posts_per_person` of a key ``people␞post␟post…`` (see :func:`_people`)."""
    people, _, posts = (key or "0\x1e").partition("\x1e")
    return posts_per_person([p for p in posts.split("\x1f") if p], int(people))


def _own_posts_batch(values: pl.Series) -> pl.Series:
    return _map_unique_to_lists(values, _own_posts_of)


def _split_batch(values: pl.Series) -> pl.Series:
    return _map_unique_to_lists(values, split_names)


def _split_posts_batch(values: pl.Series) -> pl.Series:
    return _map_unique_to_lists(values, split_posts)


def _finish(frame: pl.LazyFrame, source: str) -> pl.LazyFrame:
    present = set(frame.collect_schema().names()) | {"source"}
    missing = {c: pl.lit(None, dtype=t) for c, t in EVENT_COLUMNS.items() if c not in present}
    missing["subject_index"] = (
        pl.col("subject_index") if "subject_index" in present else pl.lit(0, dtype=pl.Int32)
    )
    return frame.with_columns(pl.lit(source).alias("source"), **missing).select(
        [pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()]
    )


def _events(frame: pl.LazyFrame, source: str, *columns: pl.Expr) -> pl.LazyFrame:
    """The events of one source: ``columns`` (aliased to names of ``EVENT_COLUMNS``) and lineage."""
    return _finish(frame.select(*columns, "_source_file", "_source_row"), source)


def _people(frame: pl.LazyFrame, names: pl.Expr, posts: pl.Expr) -> pl.LazyFrame:
    """One row per person a record names (``_name``, ``_i``), each with the post in the same
    place of the posts list (``_post``); a record naming one person keeps its whole post."""
    split = frame.with_columns(
        names.map_batches(_split_batch, return_dtype=pl.List(pl.String)).alias("_names"),
        posts.alias("_post_text"),
        posts.map_batches(_split_posts_batch, return_dtype=pl.List(pl.String)).alias("_posts"),
    ).filter(pl.col("_names").list.len() > 0)
    key = pl.format("{}\x1e{}", pl.col("_names").list.len(), pl.col("_posts").list.join("\x1f"))
    own = key.map_batches(_own_posts_batch, return_dtype=pl.List(pl.String))
    people = split.with_columns(
        pl.int_ranges(pl.col("_names").list.len()).alias("_i"),
        (pl.col("_names").list.len() > 1).alias("_joint"),
        own.alias("_own_posts"),
    ).explode("_names", "_i", "_own_posts")
    # More posts than names (党组书记、局长、科员 for two people): :func:`posts_per_person`.
    own_post = pl.col("_own_posts").replace("", None)
    return people.with_columns(
        nz.normalize_name(pl.col("_names")).alias("_name"),
        pl.when(pl.col("_joint")).then(own_post).otherwise(pl.col("_post_text")).alias("_post"),
    )


def inspection_events(bronze: pl.LazyFrame, rectification_months: int = 0) -> pl.LazyFrame:
    """巡视巡察: one event per named 责任人; a re-issued round (a later file) replaces the earlier rows.

    The event is dated by 反馈日期 (整改时限 when there is none). ``due_date`` is the finding's
    deadline: its 整改时限, else ``rectification_months`` after 反馈日期 (the overdue warning rule's
    default window, :func:`transforms.warnings.rectification_months`)."""
    latest = bronze.sort("_source_file", "_source_row").unique(
        subset=["轮次", "问题编号"], keep="last"
    )
    people = _people(latest, pl.col("责任人"), pl.col("责任人职务"))
    code = "被巡察单位代码"  # optional: an export may not carry it
    given = pl.col(code) if code in bronze.collect_schema().names() else pl.lit(None, pl.String)
    return _events(
        people,
        "inspection",
        pl.format("{}/{}", "轮次", "问题编号").alias("source_key"),
        pl.col("_names").alias("subject_name"),
        pl.col("_i").alias("subject_index"),
        pl.col("被巡察单位").alias("unit_given"),
        given.alias("unit_code_given"),
        pl.col("_post").alias("post_given"),
        pl.coalesce("反馈日期", "整改时限").alias("event_date"),
        pl.coalesce("整改时限", pl.col("反馈日期").dt.offset_by(f"{rectification_months}mo")).alias(
            "due_date"
        ),
        pl.col("问题类别").alias("category"),
        pl.col("整改状态").alias("outcome"),
        pl.lit(True).alias("counts_against"),
    )


def audit_events(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """审计: the leader a finding names; a finding tolerated (容错认定 予以容错) does not count against
    when all five 五个看 hold; one marked 予以容错 without them is not trusted (it counts, and
    ``gold/inconsistency`` lists it)."""
    return _events(
        bronze,
        "audit",
        pl.format("{}/{}", "审计项目编号", "问题编号").alias("source_key"),
        pl.col("被审计领导干部").alias("subject_name"),
        pl.col("被审计单位").alias("unit_given"),
        pl.col("公民身份号码").alias("id_given"),
        pl.col("报告日期").alias("event_date"),
        pl.col("问题类型").alias("category"),
        pl.format(
            "{}/{}", pl.col("责任类型").fill_null("—"), pl.col("容错认定").fill_null("—")
        ).alias("outcome"),
        pl.col("涉及金额_万元").alias("amount_wan"),
        ~(
            (pl.col("容错认定") == "予以容错")
            & pl.all_horizontal(pl.col(c).fill_null(False) for c in FIVE_CHECKS)
        )
        .fill_null(True)
        .alias("counts_against"),
    )


@dataclass(frozen=True)
class PetitionCounting:
    """``petition_counting.csv``: which 办理结果 count against the accused, and which flags void
    a report whatever its result."""

    counting: tuple[str, ...]
    voiding: tuple[str, ...]


def petition_events(bronze: pl.LazyFrame, rules: PetitionCounting) -> pl.LazyFrame:
    """信访举报: the latest version of each 件号, one event per person it names (a joint report
    names several, 张伟、李强, with their posts in the same order; an ID number is only theirs when
    one person is named). By the counting rules (``petition_counting.csv``): only 属实/部分属实
    count, never a false accusation (诬告陷害) and never a repeat (重复件: one matter, counted on
    the original)."""
    latest = bronze.sort("更新时间", "_source_row", nulls_last=False).unique(
        subset=["件号"], keep="last"
    )
    substantiated = pl.col("办理结果").is_in(rules.counting)
    for flag in rules.voiding:
        substantiated = substantiated & ~pl.col(flag).fill_null(False)
    written = pl.coalesce("被反映人姓名_原文", "被反映人姓名")
    people = _people(
        latest.filter(pl.col("被反映人姓名").is_not_null()), written, pl.col("被反映人职务")
    )
    return _events(
        people,
        "petition",
        pl.col("件号").alias("source_key"),
        pl.col("_name").alias("subject_name"),
        pl.col("_i").alias("subject_index"),
        pl.col("被反映人单位").alias("unit_given"),
        pl.col("_post").alias("post_given"),
        pl.when(~pl.col("_joint")).then(pl.col("被反映人身份证号")).alias("id_given"),
        pl.col("收件日期").alias("event_date"),
        pl.col("问题类别").alias("category"),
        pl.col("办理结果").alias("outcome"),
        substantiated.alias("counts_against"),
    )


def _period_end(period: pl.Expr) -> pl.Expr:
    year = period.str.slice(0, 4).cast(pl.Int32, strict=False)
    quarter = period.str.extract(r"Q([1-4])$", 1).cast(pl.Int32, strict=False)
    return (
        pl.when(quarter.is_not_null())
        .then(pl.date(year, quarter * 3, 1).dt.month_end())
        .otherwise(pl.date(year, 12, 31))
    )


def assessment_events(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """考核: every grade; 基本称职 and 不称职 (较差 for quarterly) count against."""
    return _events(
        bronze,
        "assessment",
        pl.format("{}/{}/{}", "人员编号", "考核类型", "考核周期").alias("source_key"),
        pl.col("姓名").alias("subject_name"),
        pl.col("人员编号").alias("person_no_given"),
        _period_end(pl.col("考核周期")).alias("event_date"),
        pl.col("考核类型").alias("category"),
        pl.col("考核等次").alias("outcome"),
        pl.col("考核等次")
        .is_in(["基本称职", "不称职", "较差"])
        .fill_null(False)
        .alias("counts_against"),
    )


_NOT_SANCTIONS = ["函询", "提醒谈话", "批评教育"]


def sanction_events(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """处分与组织处理: every decision; reminders (函询, 提醒谈话, 批评教育) are recorded, not held against."""
    return _events(
        bronze,
        "sanction",
        pl.format(
            "{}/{}/{}",
            pl.coalesce("公民身份号码", "人员编号"),
            "处理措施",
            pl.col("决定日期").cast(pl.String),
        ).alias("source_key"),
        pl.col("姓名").alias("subject_name"),
        pl.col("人员编号").alias("person_no_given"),
        pl.col("公民身份号码").alias("id_given"),
        pl.col("决定日期").alias("event_date"),
        pl.col("处理类别").alias("category"),
        pl.col("处理措施").alias("outcome"),
        pl.col("留党察看期限").alias("term_months"),
        (~pl.col("处理措施").is_in(_NOT_SANCTIONS)).alias("counts_against"),
    )


def tolerance_events(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """容错纠错: every decision, never counting against (the underlying matter is in its own source)."""
    return _events(
        bronze,
        "tolerance",
        pl.col("案例编号").alias("source_key"),
        pl.col("姓名").alias("subject_name"),
        pl.col("单位").alias("unit_given"),
        pl.col("职务").alias("post_given"),
        pl.col("人员编号").alias("person_no_given"),
        pl.col("认定日期").alias("event_date"),
        pl.col("领域").alias("category"),
        pl.col("认定结果").alias("outcome"),
        pl.lit(False).alias("counts_against"),
    )


BUILDERS: dict[str, Callable[[pl.LazyFrame], pl.LazyFrame]] = {
    "inspection": inspection_events,  # with no default rectification window: see mentions()
    "audit": audit_events,
    "assessment": assessment_events,
    "sanction": sanction_events,
    "tolerance": tolerance_events,
}
"""The event builders that need only their bronze table (petitions also need the counting rules:
:func:`petition_events`)."""


def linked_events(events: pl.LazyFrame) -> pl.LazyFrame:
    """The events of ``silver/supervision_event`` linked to a cadre: the only ones gold counts."""
    return events.filter((pl.col("link_status") == "linked") & pl.col("person_no").is_not_null())


def cadres_from_roster(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """``silver/cadre``: the latest roster row per 人员编号, with normalised keys and scope."""
    latest = bronze.sort("更新时间", "_source_row", nulls_last=False).unique(
        subset=["人员编号"], keep="last"
    )
    valid = pl.col("公民身份号码_状态").is_in(["valid", "upgraded_15"])
    return latest.select(
        pl.col("人员编号").alias("cadre_id"),
        pl.col("人员编号").alias("person_no"),
        pl.col("姓名").alias("name"),
        nz.name_key(pl.col("姓名")).alias("name_key"),
        pl.when(valid).then(pl.col("公民身份号码")).alias("id_number"),
        pl.col("公民身份号码_状态").alias("id_status"),
        pl.col("性别").alias("gender"),
        pl.col("出生年月").alias("birth_month"),
        pl.col("单位代码").alias("unit_code"),
        pl.col("单位名称").alias("unit"),
        pl.col("现任职务").alias("post"),
        pl.col("职级").alias("grade"),
        pl.col("管理权限").alias("scope_level"),
        pl.col("行政区划代码").alias("region"),
        pl.format("{}/{}", "管理权限", pl.col("行政区划代码").fill_null("")).alias("scope"),
        pl.col("任现职时间").alias("post_since"),
        pl.col("在职状态").alias("status"),
        "_source_file",
        "_source_row",
    ).sort("person_no")
