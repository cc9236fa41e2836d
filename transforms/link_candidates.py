"""Stage 3 of the linker: who could a person named by a record be, as they were on its date.

A record dated D is compared with every post each candidate held (``silver/cadre_post``): an
interval whose span (widened by ``date_slack_days``) does not hold D is no candidate, so a
namesake who joined the unit later is never compared with a record about the one who left it.
Units match through their renames (``unit_lineage.csv``) when the record's date agrees with the
name it uses. A candidate shares the record's name key and unit, or its pinyin (a homophone), or
its look-alike skeleton (``name_confusables.csv``: 海/每, 未/末): those two are *typos* and can
only go to review.

Each candidate is scored on name, unit and post, and carries what speaks against it: a post that
contradicts the one held then (``局长`` against ``科员``), or a post no roster cadre holds
(``村党支部书记``, ``聘用人员``). Polars in, Polars out.
"""

from typing import TYPE_CHECKING

import polars as pl

from transforms.link_keys import (
    NOT_CADRES,
    POST_PARTS,
    pinyin_key,
    skeleton_key,
    with_renamed_tails,
)
from transforms.units import LEVEL_SUFFIX

if TYPE_CHECKING:
    from transforms.linking import Checkpoint, LinkRules

CANDIDATE_COLUMNS = [
    "mention_id", "person_no", "unit", "post", "start", "end", "name_score", "unit_score",
    "post_score", "score", "name_only", "typo", "in_slack", "conflict", "reason",
]  # fmt: skip


def _mentions(open_mentions: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The record side, one row per unit tail the record may be matched on."""
    keyed = open_mentions.select(
        "mention_id", "name_key", "unit_prefix", "unit_tail", "unit_level", "posts", "event_date",
    ).with_columns(
        pinyin_key(pl.col("name_key")).alias("pinyin_key"),
        skeleton_key(pl.col("name_key"), rules.confusables).alias("_skeleton"),
        # A record naming no post is still compared (its post confirms nothing).
        pl.when(pl.col("posts").list.len() > 0).then(pl.col("posts")).otherwise(
            pl.lit([None], dtype=POST_PARTS)
        ),
    )  # fmt: skip
    return (
        with_renamed_tails(keyed, rules.lineage, rules.lineage_slack_days)
        .explode("posts")
        .with_columns(
            *(pl.col("posts").struct.field(f) for f in ("post_key", "post_kind", "post_group")),
            pl.col("posts").struct.field("former").fill_null(False),
        )
        .drop("posts")
    )  # fmt: skip


def _intervals(posts: pl.LazyFrame) -> pl.LazyFrame:
    """The roster side, one row per post an interval holds (concurrent titles: 党组书记、局长)."""
    held = posts.with_columns(
        pl.when(pl.col("posts").list.len() > 0)
        .then(pl.col("posts"))
        .otherwise(pl.lit([None], dtype=POST_PARTS))
    ).explode("posts")
    # One row per name the interval's unit was ever written with (a local rename, a transfer).
    held = held.with_columns(pl.col("aliases").alias("unit_tail")).explode("unit_tail")
    return held.select(
        "person_no", pl.col("name_key").alias("c_name_key"), pl.col("pinyin_key").alias("c_pinyin"),
        "unit", "post", "start", "end", pl.col("unit_prefix").alias("c_prefix"),
        pl.col("unit_level").alias("c_level"), pl.col("unit_tail").alias("tail"),
        pl.col("posts").struct.field("post_key").alias("c_post_key"),
        pl.col("posts").struct.field("post_kind").alias("c_post_kind"),
        pl.col("posts").struct.field("post_group").alias("c_post_group"),
        pl.col("skeleton").alias("_skeleton"),
    )  # fmt: skip


def _joined(m: pl.LazyFrame, c: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """Every (mention, interval) that shares the name, its sound or its look-alike skeleton, and
    a unit tail; plus, for a record naming no unit, the intervals of its namesakes."""
    exact = m.join(c, left_on=["name_key", "tail"], right_on=["c_name_key", "tail"]).with_columns(
        pl.col("name_key").alias("c_name_key"), pl.lit(False).alias("typo")
    )
    sound = m.join(c, left_on=["pinyin_key", "tail"], right_on=["c_pinyin", "tail"]).filter(
        pl.col("c_name_key") != pl.col("name_key")
    )
    look = m.join(c, on=["_skeleton", "tail"]).filter(
        (pl.col("c_pinyin") != pl.col("pinyin_key")) & (pl.col("c_name_key") != pl.col("name_key"))
    )
    typos = [f.with_columns(pl.lit(True).alias("typo")) for f in (sound, look)]
    no_unit = (
        m.filter(pl.col("unit_tail").is_null())
        .join(c.drop("tail"), left_on="name_key", right_on="c_name_key")
        .with_columns(pl.col("name_key").alias("c_name_key"), pl.lit(False).alias("typo"))
    )
    columns = [
        "mention_id", "person_no", "name_key", "c_name_key", "unit", "post", "start", "end",
        "unit_prefix", "c_prefix", "unit_level", "c_level", "unit_tail", "post_key", "post_kind", "post_group", "former",
        "c_post_key", "c_post_kind", "c_post_group", "event_date", "typo",
    ]  # fmt: skip
    return pl.concat([f.select(columns) for f in (exact, *typos, no_unit)])


def _in_time(slack: int) -> pl.Expr:
    """The interval, widened by ``slack`` days, holds the record's date (or it has none). A
    record naming a former post (``原局长``) needs only that the post began before its date."""
    date, widen = pl.col("event_date"), pl.duration(days=slack)
    after_start = pl.col("start").is_null() | (pl.col("start") - widen <= date)
    before_end = pl.col("end").is_null() | (date <= pl.col("end") + widen) | pl.col("former")
    return date.is_null() | (after_start & before_end)


def _scores(rules: "LinkRules") -> list[pl.Expr]:
    sim, post_sim = rules.unit_similarity, rules.post_similarity
    unit = (
        pl.when(pl.col("unit_tail").is_null()).then(pl.lit(sim["different"]))
        .when(pl.col("unit_prefix") == pl.col("c_prefix")).then(pl.lit(sim["same"]))
        .when(_region_open()).then(pl.lit(sim["prefix_missing"]))
        .otherwise(pl.lit(sim["other_region"]))
    )  # fmt: skip
    same_post = _same_post() | pl.col("_elsewhere")
    known = pl.col("post_key").is_not_null() & pl.col("c_post_key").is_not_null()
    # A former post (原乡党委书记) is confirmed by that post, not by one commonly held with it.
    grouped = (
        known
        & ~pl.col("former")
        & (pl.col("post_group") == pl.col("c_post_group")).fill_null(False)
    )
    post = (
        pl.when(same_post)
        .then(pl.lit(post_sim["same"]))
        .when(grouped)
        .then(pl.lit(post_sim["compatible"]))
        .otherwise(pl.lit(0.0))
    )
    name = pl.when(pl.col("typo")).then(pl.lit(rules.typo_name)).otherwise(pl.lit(1.0))
    return [name.alias("name_score"), unit.alias("unit_score"), post.alias("post_score")]


def _region_open() -> pl.Expr:
    """The record leaves the region open for this candidate: it names none, the roster names
    none, or it names a short form two regions share (伊宁 of 伊宁市 and 伊宁县) of which the
    candidate's is one: the candidate's key adds a level word to it (伊宁|市), not more of a
    name (宁阳 of 宁阳青县 is another region). Filled from the post, and only where one
    candidate fits."""
    record, held = pl.col("unit_prefix"), pl.col("c_prefix")
    rest = held.str.slice(record.str.len_chars())
    return (
        record.is_null()
        | held.is_null()
        | (held.str.starts_with(record) & rest.str.contains(f"^{LEVEL_SUFFIX}$")).fill_null(False)
    )


def _same_post() -> pl.Expr:
    """The record's post is the one held: the same title, or — where the rules know one of the two
    titles not — one written inside the other (街道党工委书记 / 党工委书记)."""
    a, b = pl.col("post_key"), pl.col("c_post_key")
    unknown = pl.col("post_kind").is_null() | pl.col("c_post_kind").is_null()
    return (a.is_not_null() & b.is_not_null()) & (
        (a == b) | (unknown & (a.str.ends_with(b) | b.str.ends_with(a)))
    )


def _conflict() -> pl.Expr:
    """Why a candidate cannot be the person the record names, or null. Only two titles the rules
    know can contradict each other; a title they do not know confirms nothing and rules out
    nobody."""
    outsider = pl.col("post_kind").is_in(list(NOT_CADRES))
    known = pl.col("post_kind").is_not_null() & pl.col("c_post_kind").is_not_null()
    other = known & ~_same_post() & ~pl.col("_elsewhere")
    other = other & (pl.col("post_group") != pl.col("c_post_group")).fill_null(True)
    date = pl.col("event_date")
    still_held = (
        pl.col("former")
        & date.is_not_null()
        & (pl.col("start").is_null() | (pl.col("start") <= date))
        & (pl.col("end").is_null() | (pl.col("end") >= date))
        & _same_post()
    )
    return (
        pl.when(outsider).then(pl.format("post {} is not a roster cadre's post", "post_key"))
        .when(other).then(pl.format("post {} contradicts {} held then", "post_key", "c_post_key"))
        .when(still_held).then(pl.format("the record names a former {}; the candidate still held it then", "post_key"))
    )  # fmt: skip


def _reason() -> pl.Expr:
    differ = pl.format(
        "name differs in one character: {} (record) / {} (roster)", "name_key", "c_name_key"
    )
    slack = pl.format(
        "dated outside the post's span ({} to {}), within the slack: a rotation near the record's date",
        "start",
        pl.col("end").cast(pl.String).fill_null("now"),
    )
    return (
        pl.when(pl.col("conflict").is_not_null()).then(pl.col("conflict"))
        .when(pl.col("typo")).then(differ)
        .when(pl.col("in_slack") & pl.col("_serving")).then(pl.format(
            "the record names a former {}; the candidate held another post on its date", "post_key"))
        .when(pl.col("in_slack")).then(slack)
        .when(pl.col("name_only")).then(pl.lit("the record names no unit"))
        .when(pl.col("post_score") == 0).then(pl.lit("no post to confirm name and unit"))
    )  # fmt: skip


def _serving(joined: pl.LazyFrame, intervals: pl.LazyFrame) -> pl.LazyFrame:
    """(mention, candidate) of a record naming a former post (原主任) whose candidate held a
    post on the record's date: a cadre serving elsewhere is named by the post held now, so such
    a candidate is a person's call (review), never a link."""
    pairs = (
        joined.filter(pl.col("former") & pl.col("event_date").is_not_null())
        .select("mention_id", "person_no", "event_date")
        .unique()
    )
    held = intervals.select("person_no", "start", "end")
    on_date = (pl.col("start").is_null() | (pl.col("start") <= pl.col("event_date"))) & (
        pl.col("end").is_null() | (pl.col("end") >= pl.col("event_date"))
    )
    return (
        pairs.join(held, on="person_no")
        .filter(on_date)
        .select("mention_id", "person_no", pl.lit(True).alias("_serving"))
        .unique()
    )


def _held_elsewhere(joined: pl.LazyFrame, intervals: pl.LazyFrame) -> pl.LazyFrame:
    """(mention, candidate, post) where the candidate held the record's post on its date at any
    unit: a 区委常委 who is also 宣传部部长 is the 部长 a record about the 区委 names. Asked only
    where the post at the record's unit does not agree (the rest need no second look)."""
    known = pl.col("post_kind").is_not_null() & pl.col("c_post_kind").is_not_null()
    pairs = (
        joined.filter(known & ~_same_post())
        .select("mention_id", "person_no", "post_key", "post_kind", "former", "event_date")
        .unique()
    )
    held = intervals.select("person_no", "start", "end", "c_post_key", "c_post_kind")
    return (
        pairs.join(held, on="person_no")
        .filter(_in_time(0) & _same_post())
        .select("mention_id", "person_no", "post_key", pl.lit(True).alias("_elsewhere"))
        .unique()
    )


def candidates(
    open_mentions: pl.LazyFrame,
    posts: pl.LazyFrame,
    rules: "LinkRules",
    checkpoint: "Checkpoint | None" = None,
) -> pl.LazyFrame:
    """One row per (mention, plausible cadre): the best of the cadre's posts held at the record's
    date, its scores, and what speaks against it (:data:`CANDIDATE_COLUMNS`).

    A post held on the record's date itself outranks one that holds it only with the slack: when
    the post held then contradicts the record, a neighbouring post that would agree does not
    save the candidate (a 副县长 record against the 县长 of that date is ruled out, whatever the
    cadre held half a year later). A candidate found only through the slack (``in_slack``) is
    never linked: a person places a record near a rotation. ``checkpoint`` is told the
    (mention, interval) pairs when they are collected (``joined``; see :func:`~transforms.linking.link`)."""
    w = rules.weights
    # Another county's bureau of the same name is another unit: no candidate at all; nor is a
    # 县's bureau for a record that says 区发改局.
    elsewhere = ((pl.col("unit_prefix") != pl.col("c_prefix")) & ~_region_open()).fill_null(
        False
    ) | (pl.col("unit_level") != pl.col("c_level")).fill_null(False)
    intervals = _intervals(posts)
    # Collected once: both the scoring and the look at posts held elsewhere read it.
    pairs = (
        _joined(_mentions(open_mentions, rules), intervals, rules)
        .filter(_in_time(rules.date_slack_days) & ~elsewhere)
        .collect()
    )
    if checkpoint is not None:
        checkpoint("joined", pairs)
    joined = pairs.lazy()
    joined = joined.join(
        _held_elsewhere(joined, intervals), on=["mention_id", "person_no", "post_key"],
        how="left", nulls_equal=True,
    ).with_columns(pl.col("_elsewhere").fill_null(False))  # fmt: skip
    joined = joined.join(
        _serving(joined, intervals), on=["mention_id", "person_no"], how="left"
    ).with_columns(pl.col("_serving").fill_null(False))
    scored = (
        joined.with_columns(
            *_scores(rules),
            _conflict().alias("conflict"),
            # A former post held before the record's date is where it should be, not a near miss.
            pl.when(pl.col("former"))
            .then(
                (pl.col("start").is_not_null() & (pl.col("start") > pl.col("event_date")))
                | pl.col("_serving")
            )
            .otherwise(~_in_time(0))
            .fill_null(False)
            .alias("in_slack"),
        )
        .with_columns(
            (
                w["name"] * pl.col("name_score")
                + w["unit"] * pl.col("unit_score")
                + w["post"] * pl.col("post_score")
            )
            .round(4)
            .alias("score"),
            pl.col("unit_tail").is_null().alias("name_only"),
        )  # fmt: skip
        .sort(
            "mention_id",
            "person_no",
            "in_slack",
            pl.col("conflict").is_not_null(),
            "score",
            "start",
            "c_post_key",  # of one interval's titles (党组书记、局长), always the same one
            # Two posts of one cadre alike so far (局长 of two bureaus from one day): the same
            # one whatever order the posts came in (it was the first read, and its span shows in
            # the note).
            "unit",
            "post",
            "end",
            "unit_score",
            "name_score",
            "post_score",
            descending=[False] * 4 + [True] + [False] * 8,
            nulls_last=True,
        )  # fmt: skip
        .unique(["mention_id", "person_no"], keep="first", maintain_order=True)
        .with_columns(_reason().alias("reason"))
    )
    return scored.select(CANDIDATE_COLUMNS)
