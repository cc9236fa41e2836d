"""Upstream values the platform does not trust, listed for an officer (``gold/inconsistency``).

Two kinds, each row with both values:

- ``audit_tolerance_without_five_checks`` (审计容错认定与五个看不符): an audit finding marked
  予以容错 whose 五个看 (:data:`transforms.specs.FIVE_CHECKS`) do not all hold. It is not
  trusted: the finding counts against the cadre (:func:`transforms.events.audit_events`).
- ``influence_end_disagrees`` (影响期截止与计算不一致): a sanction whose upstream 影响期截止 is
  not the end the rules compute (decision date + the period of ``influence_periods.csv``). Where
  several 政务处分 are decided on one day, 政务处分法 art. 15 lets the decision set a period from
  the longest one up to their sum, at most ``CombinedCap.months``: an end in that range agrees.
  The computed end is what bars (:mod:`transforms.promotion`).
- ``roster_post_disagrees`` (名册现任职务与任职经历不一致): a cadre whose roster post is not how the
  post history (S8) has them now (:func:`transforms.posts.roster_disagreements`): a cadre in
  service whose 单位名称/现任职务 is no open S8 post, or one who has left with an S8 post still open.
  The post history is what records are linked with.
"""

from dataclasses import dataclass

import polars as pl

from transforms.events import linked_events
from transforms.posts import roster_disagreements
from transforms.promotion import period_ends
from transforms.specs import FIVE_CHECKS

INCONSISTENCY = pl.Schema(
    {
        "kind": pl.String(), "kind_label": pl.String(), "person_no": pl.String(),
        "event_id": pl.String(), "source": pl.String(), "source_key": pl.String(),
        "upstream": pl.String(), "computed": pl.String(), "note": pl.String(),
    }
)  # fmt: skip
KIND_LABELS = {
    "audit_tolerance_without_five_checks": "审计容错认定与五个看不符",
    "influence_end_disagrees": "影响期截止与计算不一致",
    "roster_post_disagrees": "名册现任职务与任职经历不一致",
}


@dataclass(frozen=True)
class CombinedCap:
    """``influence_cap.yaml``: the longest period several sanctions of one category may add up to."""

    category: str
    months: int
    basis: str


def _lineage(events: pl.LazyFrame, source: str, bronze: pl.LazyFrame) -> pl.LazyFrame:
    return (
        linked_events(events)
        .filter(pl.col("source") == source)
        .join(bronze, on=["_source_file", "_source_row"], how="inner")
    )


def audit_without_five_checks(events: pl.LazyFrame, audit: pl.LazyFrame) -> pl.LazyFrame:
    """Linked audit findings marked 予以容错 while one of the 五个看 is 否 or empty."""
    failing = [
        pl.when(pl.col(c).fill_null(False)).then(None).otherwise(
            pl.lit(c) + pl.when(pl.col(c).is_null()).then(pl.lit("（未填）")).otherwise(pl.lit("（否）"))
        )
        for c in FIVE_CHECKS
    ]  # fmt: skip
    return (
        _lineage(events, "audit", audit)
        .filter(pl.col("容错认定") == "予以容错")
        .with_columns(pl.concat_list(failing).list.drop_nulls().alias("_failing"))
        .filter(pl.col("_failing").list.len() > 0)
        .select(
            pl.lit("audit_tolerance_without_five_checks").alias("kind"),
            "person_no",
            "event_id",
            "source",
            "source_key",
            pl.lit("容错认定：予以容错").alias("upstream"),
            pl.concat_str(pl.lit("五个看未全部成立："), pl.col("_failing").list.join("、")).alias(
                "computed"
            ),
            pl.lit("五个看须全部成立方可容错（宁波审计容错规定）；该问题仍计入负面记录").alias(
                "note"
            ),
        )  # fmt: skip
    )


def influence_end_disagreements(
    events: pl.LazyFrame, sanctions: pl.LazyFrame, periods: pl.DataFrame, cap: CombinedCap
) -> pl.LazyFrame:
    """Linked sanctions whose upstream 影响期截止 is not the computed end (see the module)."""
    ends = period_ends(
        _lineage(events, "sanction", sanctions.select("_source_file", "_source_row", "影响期截止")),
        periods,
    )
    same_day = ["person_no", "category", "event_date"]
    combined = pl.col("category") == cap.category
    widest = pl.min_horizontal(pl.col("months_total").sum().over(same_day), pl.lit(cap.months))
    upper = (
        pl.when(combined & (pl.len().over(same_day) > 1))
        .then(pl.col("event_date").dt.offset_by(pl.concat_str(widest.cast(pl.String), pl.lit("mo"))))
        .otherwise(pl.col("until"))
    )  # fmt: skip
    over_cap = combined & (
        pl.col("影响期截止") > pl.col("event_date").dt.offset_by(f"{cap.months}mo")
    )
    computed = pl.concat_str(
        pl.lit("按规则 "), pl.col("rule_id"), pl.lit(" 计算至 "), pl.col("until").cast(pl.String),
        pl.when(pl.col("_upper") != pl.col("until"))
        .then(pl.concat_str(pl.lit("（同日多项政务处分可至 "), pl.col("_upper").cast(pl.String), pl.lit("）")))
        .otherwise(pl.lit("")),
    )  # fmt: skip
    note = (
        pl.when(over_cap)
        .then(pl.lit(f"超过{cap.basis}规定的 {cap.months} 个月上限；按计算值执行"))
        .otherwise(pl.lit("与影响期规则计算结果不一致；按计算值执行"))
    )
    return (
        ends.with_columns(upper.alias("_upper"))
        .filter(pl.col("影响期截止").is_not_null())
        .filter(
            (pl.col("影响期截止") < pl.col("until")) | (pl.col("影响期截止") > pl.col("_upper"))
        )
        .select(
            pl.lit("influence_end_disagrees").alias("kind"),
            "person_no",
            "event_id",
            "source",
            pl.col("source_key").str.replace(r"^(\d{6})\d{8}(\d{3}[\dXx])", "${1}********${2}"),
            pl.concat_str(pl.lit("影响期截止："), pl.col("影响期截止").cast(pl.String)).alias(
                "upstream"
            ),
            computed.alias("computed"),
            note.alias("note"),
        )  # fmt: skip
    )


def roster_post_disagreements(cadres: pl.LazyFrame, posts: pl.LazyFrame) -> pl.LazyFrame:
    """Roster posts the post history does not hold now (see the module), both values."""
    return roster_disagreements(cadres, posts).select(
        pl.lit("roster_post_disagrees").alias("kind"),
        "person_no",
        pl.format("roster|{}", "person_no").alias("event_id"),
        pl.lit("roster").alias("source"),
        pl.col("person_no").alias("source_key"),
        pl.concat_str(pl.lit("名册："), pl.col("roster")).alias("upstream"),
        pl.concat_str(pl.lit("任职经历在任："), pl.col("post_history")).alias("computed"),
        pl.lit("以任职经历为准关联记录；请核对干部名册").alias("note"),
    )


def inconsistencies(
    events: pl.LazyFrame,
    sanctions: pl.LazyFrame,
    audit: pl.LazyFrame,
    periods: pl.DataFrame,
    cap: CombinedCap,
    cadres: pl.LazyFrame | None = None,
    posts: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``gold/inconsistency``: every kind, with Chinese labels, in a total order (the roster's
    only where ``cadres`` and ``posts`` are given)."""
    roster = [] if cadres is None or posts is None else [roster_post_disagreements(cadres, posts)]
    return (
        pl.concat(
            [
                audit_without_five_checks(events, audit),
                influence_end_disagreements(events, sanctions, periods, cap),
                *roster,
            ]
        )
        .with_columns(pl.col("kind").replace_strict(KIND_LABELS).alias("kind_label"))
        .select(list(INCONSISTENCY))
        .cast(INCONSISTENCY)
        .sort("kind", "person_no", "event_id")
    )
