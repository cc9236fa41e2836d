"""``silver/cadre_post``: every post every cadre held, with its span (from S8 任职经历).

One row per interval: ``person_no``, ``unit_code``, ``unit`` (as the unit was named then),
``post``, ``start``, ``end`` (null for the current post), ``document`` (the 任免文号) and
``origin``. A cadre without post history — every cadre, where a deployment has no S8 — has one
interval: the roster's current unit and post since 任现职时间 (``origin`` ``roster``); so has a
cadre whose history holds no current post (an export that stops early). Polars in, Polars out.
"""

from typing import TYPE_CHECKING

import polars as pl

from transforms import events, linking, specs

if TYPE_CHECKING:
    from transforms.linking import LinkRules

POST_COLUMNS = pl.Schema({
    "person_no": pl.String(), "unit_code": pl.String(), "unit": pl.String(), "post": pl.String(),
    "start": pl.Date(), "end": pl.Date(), "document": pl.String(), "origin": pl.String(),
})  # fmt: skip


LEFT = specs.LEFT
KEY = ["person_no", "unit", "post", "start"]


def cadre_posts(history: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """The intervals of every cadre of ``cadres`` (``silver/cadre``) from ``history``
    (``bronze/post_history``, possibly empty), and the roster's post where history has none.

    The post history wins: the roster's post is added only for a cadre with no open post in it,
    and never when it repeats a post the history holds (a closed post stays closed). A cadre who
    has left (退休/调离/去世) gets the roster's post only when the history has nothing of theirs —
    the one interval there is — and none without a unit. Where roster and history disagree,
    :func:`roster_disagreements` lists both values."""
    known = cadres.select("person_no")
    if "status" not in cadres.collect_schema().names():
        cadres = cadres.with_columns(pl.lit(None, dtype=pl.String).alias("status"))
    held = (
        history.select(
            pl.col("人员编号").alias("person_no"), pl.col("单位代码").alias("unit_code"),
            pl.col("单位名称").alias("unit"), pl.col("职务").alias("post"),
            pl.col("任职时间").alias("start"), pl.col("免职时间").alias("end"),
            pl.col("任免文号").alias("document"), pl.lit("post_history").alias("origin"),
        )
        # In S8's order: a join's rows come in any order unless told, and "last" was then any
        # row of a key (the first, at 150,000 repeated keys: measured).
        .join(known, on="person_no", how="semi", maintain_order="left")
        .unique(KEY, keep="last", maintain_order=True)
    )  # fmt: skip
    current = held.filter(pl.col("end").is_null()).select("person_no").unique()
    any_history = held.select("person_no").unique()
    left = pl.col("status").is_in(list(LEFT)).fill_null(False)
    roster = (
        cadres.filter(pl.col("unit").is_not_null())
        .join(current, on="person_no", how="anti")
        .join(any_history.with_columns(pl.lit(True).alias("_has")), on="person_no", how="left")
        .filter(~(left & pl.col("_has").fill_null(False)))
        .select(
            "person_no", "unit_code", "unit", "post", pl.col("post_since").alias("start"),
            pl.lit(None, dtype=pl.Date).alias("end"), pl.lit(None, dtype=pl.String).alias("document"),
            pl.lit("roster").alias("origin"),
        )
        .join(held.select(KEY), on=KEY, how="anti", nulls_equal=True)
    )  # fmt: skip
    return pl.concat([held.cast(POST_COLUMNS), roster.cast(POST_COLUMNS)]).sort(
        "person_no", "start", "unit", "post", nulls_last=False
    )


def roster_disagreements(cadres: pl.LazyFrame, posts: pl.LazyFrame) -> pl.LazyFrame:
    """Cadres whose roster post (单位名称/现任职务) is not how the post history has them now:
    ``person_no``, ``roster`` and ``post_history`` (both values, as written). Counted: a cadre in
    service whose roster post is not among the history's open posts; a cadre who has left whose
    history still holds an open post. The history is what linking uses."""
    open_posts = (
        posts.filter((pl.col("origin") == "post_history") & pl.col("end").is_null())
        .group_by("person_no")
        .agg(pl.format("{}{}", "unit", pl.col("post").fill_null("")).sort().str.join("；").alias("post_history"),
             pl.struct("unit", "post").alias("_open"))
    )  # fmt: skip
    with_history = posts.filter(pl.col("origin") == "post_history").select("person_no").unique()
    roster = pl.format("{}{}（{}）", pl.col("unit").fill_null(""), pl.col("post").fill_null(""),
                       pl.col("status").fill_null("在职"))  # fmt: skip
    left = pl.col("status").is_in(list(LEFT)).fill_null(False)
    listed = pl.struct("unit", "post").is_in(pl.col("_open")).fill_null(False)
    return (
        cadres.join(with_history, on="person_no", how="semi")
        .join(open_posts, on="person_no", how="left")
        .filter(
            pl.when(left).then(pl.col("post_history").is_not_null()).otherwise(~listed)
        )
        .select("person_no", roster.alias("roster"),
                pl.col("post_history").fill_null("（无在任职务）").alias("post_history"))
        .sort("person_no")
    )  # fmt: skip


def cadre_tables(
    roster: pl.LazyFrame,
    history: pl.LazyFrame,
    rules: "LinkRules",
    cadres: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``silver/cadre`` (prepared for linking) and ``silver/cadre_post`` from ``bronze/roster``
    and ``bronze/post_history`` (possibly empty). The cadres are collected once: their keys
    (pinyin, units) are the costly part, and the posts are built from them. ``cadres``: the
    cadres prepared from this roster before, taken as they are."""
    if cadres is None:
        cadres = linking.prepare_cadres(events.cadres_from_roster(roster), rules).collect()
    return cadres, cadre_posts(history, cadres.lazy()).collect()
