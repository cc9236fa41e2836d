"""The promotion-bar check (党政领导干部选拔任用工作条例 2019, art. 24): who may not be put forward, until
when, and why, as of a date.

A cadre is barred while an influence period (影响期) of a sanction or organisational measure is
running, or when last year's annual grade was 基本称职 or lower. Periods run from the decision
date for the months the applicable rule gives (the rule in force on the decision date; a
留党察看 adds its probation term); where several run, the latest end decides. A grade bar has no
end date, so a cadre barred by a grade has ``bar_until`` null. Only linked events count; a
tolerated error (容错) is not a sanction and bars nothing, nor does a measure a 予以容错 decision
covers (an exact or confirmed pair of ``gold/tolerance_review``). Every reason names its event, the rule
and the article.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from transforms.events import linked_events

REASON = pl.Struct(
    {
        "condition": pl.String,
        "measure": pl.String,
        "date": pl.Date,
        "until": pl.Date,
        "rule_id": pl.String,
        "article": pl.String,
        "bar_rule_id": pl.String,
        "bar_article": pl.String,
        "event_id": pl.String,
    }
)


CONDITIONS = ("influence_period", "last_annual_grade")


@dataclass(frozen=True)
class BarRule:
    """One row of ``promotion_bar.csv``: a condition that bars promotion, with its citation."""

    rule_id: str
    condition: str
    source_document: str
    article: str
    grades: tuple[str, ...] = ()
    """For ``last_annual_grade``: the grades that bar."""

    @property
    def citation(self) -> str:
        return f"{self.source_document} {self.article}"


def period_ends(events: pl.LazyFrame, periods: pl.DataFrame) -> pl.LazyFrame:
    """Each sanction with the rule in force on its decision date, its ``months_total`` (a
    留党察看 adds its probation term) and the end of its influence period (``until``)."""
    months = pl.col("months") + pl.when(pl.col("plus_term")).then(
        pl.col("term_months").fill_null(0)
    ).otherwise(0)
    offset = pl.concat_str(pl.col("months_total").cast(pl.String), pl.lit("mo"))
    return (
        events.filter(pl.col("source") == "sanction")
        .join(periods.lazy(), left_on=["category", "outcome"], right_on=["category", "measure"])
        .filter(pl.col("event_date").is_between(pl.col("effective_from"), pl.col("effective_to")))
        .with_columns(months.alias("months_total"))
        .with_columns(pl.col("event_date").dt.offset_by(offset).alias("until"))
    )


def running_periods(
    events: pl.LazyFrame, periods: pl.DataFrame, bar: Mapping[str, BarRule], as_of: date
) -> pl.LazyFrame:
    """One row per sanction whose influence period is running on ``as_of``."""
    rule = bar["influence_period"]
    return (
        period_ends(events.filter(pl.col("event_date") <= as_of), periods)
        .filter(pl.col("until") > as_of)
        .select(
            "person_no",
            pl.struct(
                pl.lit("influence_period").alias("condition"),
                pl.concat_str("category", pl.lit("/"), "outcome").alias("measure"),
                pl.col("event_date").alias("date"),
                "until",
                "rule_id",
                pl.concat_str("source_document", pl.lit(" "), "article").alias("article"),
                pl.lit(rule.rule_id).alias("bar_rule_id"),
                pl.lit(rule.citation).alias("bar_article"),
                "event_id",
            ).alias("reason"),
        )
    )


def low_grades(events: pl.LazyFrame, bar: Mapping[str, BarRule], as_of: date) -> pl.LazyFrame:
    """One row per cadre whose annual grade for the year before ``as_of`` bars promotion."""
    rule = bar["last_annual_grade"]
    grades = list(rule.grades)
    return events.filter(
        (pl.col("source") == "assessment")
        & (pl.col("category") == "年度考核")
        & (pl.col("event_date").dt.year() == as_of.year - 1)
        & pl.col("outcome").is_in(grades)
    ).select(
        "person_no",
        pl.struct(
            pl.lit("last_annual_grade").alias("condition"),
            pl.concat_str(pl.lit("年度考核/"), "outcome").alias(
                "measure"
            ),  # pl.format panics here (Polars 2.1)
            pl.col("event_date").alias("date"),
            pl.lit(None, dtype=pl.Date).alias("until"),
            pl.lit(rule.rule_id).alias("rule_id"),
            pl.lit(rule.citation).alias("article"),
            pl.lit(rule.rule_id).alias("bar_rule_id"),
            pl.lit(rule.citation).alias("bar_article"),
            "event_id",
        ).alias("reason"),
    )


def promotion_check(
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    periods: pl.DataFrame,
    bar: Mapping[str, BarRule],
    as_of: date,
    exempt: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``gold/promotion_check``: every cadre, ``barred``, ``bar_until`` and the ``reasons``.

    ``exempt``: the ``event_id`` of measures a 容错 decision covers so that they bar nothing
    (:func:`transforms.tolerance_cover.covered_measures`, those with ``clears_bar``).
    """
    linked = linked_events(events)
    if exempt is not None:
        linked = linked.join(exempt.select("event_id"), on="event_id", how="anti")
    reasons = pl.concat(
        [running_periods(linked, periods, bar, as_of), low_grades(linked, bar, as_of)]
    )
    per_cadre = (
        # A total order (the event id last), kept by the group-by: the same rows, the same bytes.
        reasons.sort(
            "person_no",
            pl.col("reason").struct.field("date"),
            pl.col("reason").struct.field("rule_id"),
            pl.col("reason").struct.field("event_id"),
        )
        .group_by("person_no", maintain_order=True)
        .agg(
            pl.col("reason").alias("reasons"),
            # The latest end decides; a reason without an end (a grade) leaves the bar open-ended.
            pl.when(pl.col("reason").struct.field("until").null_count() > 0)
            .then(None)
            .otherwise(pl.col("reason").struct.field("until").max())
            .alias("bar_until"),
        )
    )
    return (
        cadres.select("person_no")
        .join(per_cadre, on="person_no", how="left")
        .select(
            "person_no",
            pl.lit(as_of).alias("as_of"),
            pl.col("reasons").is_not_null().alias("barred"),
            "bar_until",
            pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(REASON))),
        )
        .sort("person_no")
    )
