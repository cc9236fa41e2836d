"""``silver/cadre_post``: every post every cadre held, with its span (from S8 任职经历).

One row per interval: ``person_no``, ``unit_code``, ``unit`` (as the unit was named then),
``post``, ``start``, ``end`` (null for the current post), ``document`` (the 任免文号) and
``origin``. A cadre without post history — every cadre, where a deployment has no S8 — has one
interval: the roster's current unit and post since 任现职时间 (``origin`` ``roster``); so has a
cadre whose history holds no current post (an export that stops early). Polars in, Polars out.
"""

from typing import TYPE_CHECKING

import polars as pl

from transforms import events, linking

if TYPE_CHECKING:
    from transforms.linking import LinkRules

POST_COLUMNS = pl.Schema({
    "person_no": pl.String(), "unit_code": pl.String(), "unit": pl.String(), "post": pl.String(),
    "start": pl.Date(), "end": pl.Date(), "document": pl.String(), "origin": pl.String(),
})  # fmt: skip


def cadre_posts(history: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """The intervals of every cadre of ``cadres`` (``silver/cadre``) from ``history``
    (``bronze/post_history``, possibly empty), the roster's current post where history has none."""
    known = cadres.select("person_no")
    held = (
        history.select(
            pl.col("人员编号").alias("person_no"), pl.col("单位代码").alias("unit_code"),
            pl.col("单位名称").alias("unit"), pl.col("职务").alias("post"),
            pl.col("任职时间").alias("start"), pl.col("免职时间").alias("end"),
            pl.col("任免文号").alias("document"), pl.lit("post_history").alias("origin"),
        )
        .join(known, on="person_no", how="semi")
        .unique(["person_no", "unit", "post", "start"], keep="last", maintain_order=True)
    )  # fmt: skip
    current = held.filter(pl.col("end").is_null()).select("person_no").unique()
    roster = cadres.join(current, on="person_no", how="anti").select(
        "person_no", "unit_code", "unit", "post", pl.col("post_since").alias("start"),
        pl.lit(None, dtype=pl.Date).alias("end"), pl.lit(None, dtype=pl.String).alias("document"),
        pl.lit("roster").alias("origin"),
    )  # fmt: skip
    return pl.concat([held.cast(POST_COLUMNS), roster.cast(POST_COLUMNS)]).sort(
        "person_no", "start", "unit", "post", nulls_last=False
    )


def cadre_tables(
    roster: pl.LazyFrame, history: pl.LazyFrame, rules: "LinkRules"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``silver/cadre`` (prepared for linking) and ``silver/cadre_post`` from ``bronze/roster``
    and ``bronze/post_history`` (possibly empty). The cadres are collected once: their keys
    (pinyin, units) are the costly part, and the posts are built from them."""
    cadres = linking.prepare_cadres(events.cadres_from_roster(roster), rules).collect()
    return cadres, cadre_posts(history, cadres.lazy()).collect()
