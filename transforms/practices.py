"""What officers do with the results (issue #24): the 督考联动 composite and ranks, the bottom-rank
warning, the register of sanctioned cadres followed for re-use, and commendation eligibility.

Every rule is a row of a rules file (``assessment_weighting.csv``, ``warning_rules.csv``,
``reuse_rules.csv``, ``commendation.csv``) with its source; the code knows the conditions, the
files say the weights, thresholds, grades and articles. Only linked events count (a wrong link is
worse than no link): an assessment row is a cadre's when the linker linked its event.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from transforms.events import linked_events
from transforms.link_keys import PostTerm, post_parts
from transforms.promotion import period_ends

MISSING_QUARTERS = ("mean_of_present", "zero")
REUSE_CONDITIONS = ("period_over", "grades_since", "no_new_record")


@dataclass(frozen=True)
class Weighting:
    """``assessment_weighting.csv``: how the year's 督查 result enters the annual composite.

    Attributes:
        weight: the 督查 result's share of the composite (0.20: 全年督查结果按20%权重计入年度考核);
            the annual 综合得分 takes the rest.
        missing_quarters: ``mean_of_present`` (the mean of the quarters exported) or ``zero``
            (a quarter not exported counts 0: the sum of the quarters over 4).
        min_quarters: fewer quarters than this and the year has no 督查 result (and no composite).
    """

    rule_id: str
    weight: float
    missing_quarters: str
    min_quarters: int
    citation: str


@dataclass(frozen=True)
class ReuseRule:
    """One row of ``reuse_rules.csv``: a condition for re-using a sanctioned cadre.

    ``grades``/``min_count`` for ``grades_since`` (the annual grades since the decision that
    qualify, and how many there must be); ``sources`` for ``no_new_record`` (the sources whose
    new records counting against the cadre block re-use)."""

    rule_id: str
    condition: str
    citation: str
    grades: tuple[str, ...] = ()
    min_count: int = 0
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommendationRule:
    """One row of ``commendation.csv``: ``consecutive`` annual grades ``grade`` bring ``award``."""

    rule_id: str
    award: str
    grade: str
    consecutive: int
    citation: str


COMPOSITE = pl.Schema({
    "person_no": pl.String, "year": pl.Int32, "event_id": pl.String, "grade": pl.String,
    "score": pl.Float64, "supervision": pl.Float64, "supervision_basis": pl.String,
    "quarters": pl.Int32, "weight": pl.Float64, "composite": pl.Float64, "unit": pl.String,
    "rank": pl.Int32, "ranked": pl.Int32, "from_bottom": pl.Int32, "exported_rank": pl.Int64,
    "exported_size": pl.Int64, "rule_id": pl.String, "basis": pl.String,
})  # fmt: skip
"""``gold/assessment_composite``: one row per cadre and annual assessment year."""

_QUARTER = r"^(\d{4})Q([1-4])$"


def _rows(assessments: pl.LazyFrame, events: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """The bronze assessment rows whose event is linked (the person the linker chose), with the
    event id, up to ``as_of``."""
    linked = (
        linked_events(events)
        .filter((pl.col("source") == "assessment") & (pl.col("event_date") <= as_of))
        .select("event_id", "person_no", "event_date", "_source_file", "_source_row")
    )
    return assessments.select(
        "考核类型", "考核周期", "考核等次", "综合得分", "督考联动得分", "单位内排名", "单位人数",
        "_source_file", "_source_row",
    ).join(linked, on=["_source_file", "_source_row"])  # fmt: skip


_UNIT = 10_000
"""Scores are summed in ten-thousandths, as integers: the same rows give the same bits."""


def _units(score: pl.Expr) -> pl.Expr:
    return (score * _UNIT).round(0).cast(pl.Int64)


def assessment_composite(
    assessments: pl.LazyFrame,
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    weighting: Weighting,
    as_of: date,
) -> pl.LazyFrame:
    """``gold/assessment_composite``: per cadre and year of an annual assessment, the 综合得分,
    the year's 督查 result, the weighted composite and the rank within the unit.

    The 督查 result is the mean of the year's quarterly 督考联动得分 (rows of ``考核周期 2024Q3``)
    where any quarter is exported — missing quarters count as ``weighting.missing_quarters``
    says — else the annual row's 督考联动得分. The composite needs both figures (null otherwise,
    and unranked). Ranks are among the cadres of the same roster unit with a composite that year,
    highest first; equal composites share a rank (1, 2, 2, 4); ``from_bottom`` is 1 + how many
    ranked below (two tied last are both 1).
    """
    rows = _rows(assessments, events, as_of)
    w = weighting.weight
    quarter = pl.col("考核周期").str.extract(_QUARTER, 2).cast(pl.Int32)
    quarterly = (
        rows.filter(quarter.is_not_null() & pl.col("督考联动得分").is_not_null())
        .with_columns(
            pl.col("考核周期").str.extract(_QUARTER, 1).cast(pl.Int32).alias("year"),
            quarter.alias("q"),
        )
        .group_by("person_no", "year", "q")
        # in ten-thousandths (integers): a float mean's bits would follow the order it adds in
        .agg((_units(pl.col("督考联动得分")).sum() / pl.len()).alias("s"))
        .group_by("person_no", "year")
        .agg(
            (pl.col("s").sum() / pl.len() / _UNIT).alias("q_mean"),
            (pl.col("s").sum() / _UNIT).alias("q_sum"),
            pl.len().cast(pl.Int32).alias("quarters"),
            pl.col("q").sort().cast(pl.String).str.join(",").alias("q_list"),
        )
    )
    annual = (
        rows.filter(
            (pl.col("考核类型") == "年度考核") & pl.col("考核周期").str.contains(r"^\d{4}$")
        )
        .with_columns(pl.col("考核周期").cast(pl.Int32).alias("year"))
        .sort("person_no", "year", "_source_file", "_source_row")
        .unique(subset=["person_no", "year"], keep="last")
    )
    from_quarters = (
        pl.col("q_mean") if weighting.missing_quarters == "mean_of_present" else pl.col("q_sum") / 4
    )
    enough = pl.col("quarters") >= weighting.min_quarters
    supervision = (
        pl.when(pl.col("quarters").is_null())
        .then(pl.col("督考联动得分"))
        .when(enough)
        .then(from_quarters)
    )
    basis = (
        pl.when(pl.col("quarters").is_null() & pl.col("督考联动得分").is_not_null())
        .then(pl.lit("年度督考联动得分"))
        .when(pl.col("quarters").is_null())
        .then(pl.lit("无督查结果"))
        .otherwise(
            pl.concat_str(
                pl.lit("季度督查 "), pl.col("quarters").cast(pl.String), pl.lit("/4 季度（Q"),
                pl.col("q_list").str.replace_all(",", ",Q"), pl.lit("）"),
                pl.when(enough).then(
                    pl.lit("，缺季度按均值" if weighting.missing_quarters == "mean_of_present"
                           else "，缺季度计0分")
                ).otherwise(pl.lit(f"，不足 {weighting.min_quarters} 个季度，不计")),
            )
        )
    )  # fmt: skip
    units = cadres.select("person_no", "unit")
    scored = (
        annual.join(quarterly, on=["person_no", "year"], how="left")
        .join(units, on="person_no", how="left")
        .with_columns(supervision.round(2).alias("supervision"), basis.alias("supervision_basis"))
        .with_columns(
            ((1 - w) * pl.col("综合得分") + w * pl.col("supervision")).round(2).alias("composite")
        )
    )
    group = ["unit", "year"]
    has = pl.col("composite").is_not_null() & pl.col("unit").is_not_null()
    ranked = (
        scored.filter(has)
        .with_columns(
            pl.col("composite").rank("min", descending=True).over(group).alias("rank"),
            pl.col("composite").rank("max", descending=True).over(group).alias("_max"),
            pl.len().over(group).alias("ranked"),
        )
        .with_columns((pl.col("ranked") - pl.col("_max") + 1).alias("from_bottom"))
        .select("event_id", "rank", "ranked", "from_bottom")
    )
    return (
        scored.join(ranked, on="event_id", how="left")
        .select(
            "person_no", "year", "event_id", pl.col("考核等次").alias("grade"),
            pl.col("综合得分").alias("score"), "supervision", "supervision_basis", "quarters",
            pl.lit(w).alias("weight"), "composite", "unit", "rank", "ranked", "from_bottom",
            pl.col("单位内排名").alias("exported_rank"), pl.col("单位人数").alias("exported_size"),
            pl.lit(weighting.rule_id).alias("rule_id"), pl.lit(weighting.citation).alias("basis"),
        )
        .cast(dict(COMPOSITE))  # type: ignore[arg-type]
        .sort("person_no", "year")
    )  # fmt: skip


def bottom_ranks(
    composite: pl.LazyFrame,
    cadres: pl.LazyFrame,
    as_of: date,
    years: int,
    rank_from_bottom: int,
    post_kinds: Sequence[str],
    terms: Sequence[PostTerm],
) -> pl.LazyFrame:
    """The cadres ranked at or under ``rank_from_bottom`` from the bottom of their unit in each
    of the ``years`` years before ``as_of`` (for ``as_of`` in 2026 and 2 years: 2024 and 2025),
    one row per year (``person_no``, ``event_id``, ``_detail``); with ``post_kinds``, only cadres
    whose current post is of such a kind (``head``: 班子负责人, ``deputy``: 分管副职,
    ``post_terms.csv``)."""
    wanted = list(range(as_of.year - years, as_of.year))
    low = composite.filter(
        pl.col("year").is_in(wanted) & (pl.col("from_bottom") <= rank_from_bottom)
    )
    if post_kinds:
        kinds = cadres.select(
            "person_no",
            post_parts(pl.col("post"), terms)
            .list.eval(pl.element().filter(~pl.element().struct.field("former")))
            .list.eval(pl.element().struct.field("post_kind"))
            .alias("_kinds"),
        ).filter(pl.col("_kinds").list.eval(pl.element().is_in(list(post_kinds))).list.any())
        low = low.join(kinds.select("person_no"), on="person_no", how="semi")
    every = low.filter(pl.col("person_no").count().over("person_no") == len(wanted))
    return every.select(
        "person_no",
        "event_id",
        pl.concat_str(
            pl.col("year").cast(pl.String), pl.lit("年 "), pl.col("unit"), pl.lit(" 倒数第"),
            pl.col("from_bottom").cast(pl.String), pl.lit("名（第"), pl.col("rank").cast(pl.String),
            pl.lit("/"), pl.col("ranked").cast(pl.String), pl.lit("，综合 "),
            pl.col("composite").round(2).cast(pl.String), pl.lit("）"),
        ).alias("_detail"),
    )  # fmt: skip


CONDITION = pl.Struct({
    "condition": pl.String, "met": pl.Boolean, "detail": pl.String, "rule_id": pl.String,
    "article": pl.String,
})  # fmt: skip
FOLLOWUP = pl.Schema({
    "person_no": pl.String(), "event_id": pl.String(), "measure": pl.String(), "decided": pl.Date(),
    "period_end": pl.Date(), "days_to_go": pl.Int64(), "period_rule_id": pl.String(),
    "assessments_since": pl.List(pl.String), "new_records": pl.Int64(),
    "new_record_ids": pl.List(pl.String), "reusable": pl.Boolean(),
    "conditions": pl.List(CONDITION), "as_of": pl.Date(),
})  # fmt: skip
"""``gold/sanction_followup``: one row per measure with an influence period (a cadre with two
measures has two rows), the conditions of re-use each with whether it is met and its basis."""


def sanction_followup(
    events: pl.LazyFrame,
    periods: pl.DataFrame,
    rules: Sequence[ReuseRule],
    as_of: date,
    exempt: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``gold/sanction_followup``: every linked sanction or organisational measure decided by
    ``as_of`` that has an influence period (``influence_periods.csv``; 函询、提醒谈话 have
    none), with the period's end, the days to go, the annual grades of the years after the
    decision's year, the new records dated after the decision, and whether the cadre can be used again: every condition of ``rules`` met.

    ``exempt``: measures a 容错 decision covers (they bar nothing, so they are followed nothing).
    """
    by = {r.condition: r for r in rules}
    linked = linked_events(events).filter(pl.col("event_date") <= as_of)
    if exempt is not None:
        linked = linked.join(exempt.select("event_id"), on="event_id", how="anti")
    measures = period_ends(linked, periods).select(
        "person_no", "event_id",
        pl.concat_str("category", pl.lit("/"), "outcome").alias("measure"),
        pl.col("event_date").alias("decided"), pl.col("until").alias("period_end"),
        pl.col("rule_id").alias("period_rule_id"),
    )  # fmt: skip
    grades_rule = by["grades_since"]
    annual = linked.filter(
        (pl.col("source") == "assessment") & (pl.col("category") == "年度考核")
    ).select("person_no", pl.col("event_date").alias("_d"), pl.col("outcome").alias("_g"))
    since = (
        measures.select("person_no", "event_id", "decided")
        .join(annual, on="person_no")
        # The year of the decision is not "since": its grade rates the months before it too.
        .filter(pl.col("_d").dt.year() > pl.col("decided").dt.year())
        .sort("person_no", "event_id", "_d")
        .group_by("event_id", maintain_order=True)
        .agg(
            pl.concat_str(pl.col("_d").dt.year().cast(pl.String), pl.lit(" "), pl.col("_g")).alias(
                "assessments_since"
            ),
            pl.col("_g").is_in(list(grades_rule.grades)).all().alias("_grades_ok"),
        )
    )
    record_rule = by["no_new_record"]
    records = linked.filter(
        pl.col("source").is_in(list(record_rule.sources)) & pl.col("counts_against")
    ).select("person_no", pl.col("event_id").alias("_rid"), pl.col("event_date").alias("_rd"))
    later = (
        measures.select("person_no", "event_id", "decided")
        .join(records, on="person_no")
        .filter((pl.col("_rd") > pl.col("decided")) & (pl.col("_rid") != pl.col("event_id")))
        .group_by("event_id")
        .agg(pl.col("_rid").sort().alias("new_record_ids"))
    )
    period_rule = by["period_over"]
    grades_n = pl.col("assessments_since").list.len()
    period_met = pl.col("period_end") <= as_of
    grades_met = (grades_n >= grades_rule.min_count) & pl.col("_grades_ok").fill_null(True)
    records_met = pl.col("new_record_ids").list.len() == 0

    def condition(rule: ReuseRule, met: pl.Expr, detail: pl.Expr) -> pl.Expr:
        return pl.struct(
            pl.lit(rule.condition).alias("condition"), met.alias("met"), detail.alias("detail"),
            pl.lit(rule.rule_id).alias("rule_id"), pl.lit(rule.citation).alias("article"),
        )  # fmt: skip

    allowed = "、".join(grades_rule.grades)
    conditions = pl.concat_list(
        condition(period_rule, period_met, pl.concat_str(
            pl.lit("影响期至 "), pl.col("period_end").cast(pl.String),
            pl.when(period_met).then(pl.lit("，已届满")).otherwise(pl.lit("，未届满")),
        )),
        condition(grades_rule, grades_met, pl.concat_str(
            pl.lit("决定次年起年度考核："),
            pl.when(grades_n > 0).then(pl.col("assessments_since").list.join("、"))
            .otherwise(pl.lit("尚无")),
            pl.lit(f"（需至少 {grades_rule.min_count} 次，均为 {allowed}）"),
        )),
        condition(record_rule, records_met, pl.concat_str(
            pl.lit("决定后新的负面记录 "), pl.col("new_record_ids").list.len().cast(pl.String),
            pl.lit(" 条"),
        )),
    )  # fmt: skip
    return (
        measures.join(since, on="event_id", how="left")
        .join(later, on="event_id", how="left")
        .with_columns(
            pl.col("assessments_since").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("new_record_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .with_columns(
            (pl.col("period_end") - pl.lit(as_of)).dt.total_days().clip(lower_bound=0)
            .alias("days_to_go"),
            pl.col("new_record_ids").list.len().cast(pl.Int64).alias("new_records"),
            (period_met & grades_met & records_met).alias("reusable"),
            conditions.alias("conditions"),
            pl.lit(as_of).alias("as_of"),
        )
        .select(list(FOLLOWUP))
        .cast(dict(FOLLOWUP))  # type: ignore[arg-type]
        .sort("person_no", "decided", "event_id")
    )  # fmt: skip


AWARD = pl.Struct({"year": pl.Int32, "award": pl.String, "years": pl.String,
                   "rule_id": pl.String, "article": pl.String})  # fmt: skip


def commendations(
    events: pl.LazyFrame, rules: Sequence[CommendationRule], as_of: date
) -> pl.LazyFrame:
    """Per cadre, ``commendations``: each award the annual grades up to ``as_of`` make the cadre
    eligible for, with the year, the years it rests on and the article.

    A rule of ``consecutive`` n is met by each n-th year of a run of consecutive years of its
    grade (runs are cut in blocks of n: three 优秀 bring one 记三等功, six bring two), so a
    one-year rule (嘉奖) is met by every such year.
    """
    annual = (
        linked_events(events)
        .filter(
            (pl.col("source") == "assessment") & (pl.col("category") == "年度考核")
            & (pl.col("event_date") <= as_of)
        )
        .select("person_no", pl.col("event_date").dt.year().cast(pl.Int32).alias("year"),
                pl.col("outcome").alias("grade"))
        .unique()
    )  # fmt: skip
    parts = []
    for rule in rules:
        n = rule.consecutive
        hits = (
            annual.filter(pl.col("grade") == rule.grade)
            .select("person_no", "year")
            .sort("person_no", "year")
        )
        run = (pl.col("year") - pl.col("year").shift(1).over("person_no") != 1).fill_null(True)
        hits = hits.with_columns(run.cum_sum().over("person_no").alias("_run"))
        hits = hits.with_columns(
            (pl.int_range(pl.len()).over("person_no", "_run") + 1).alias("_pos")
        ).filter(pl.col("_pos") % n == 0)
        years = (
            pl.col("year").cast(pl.String)
            if n == 1
            else pl.concat_str((pl.col("year") - n + 1).cast(pl.String), pl.lit("—"),
                               pl.col("year").cast(pl.String))
        )  # fmt: skip
        parts.append(
            hits.select(
                "person_no",
                pl.struct(
                    "year",
                    pl.lit(rule.award).alias("award"),
                    years.alias("years"),
                    pl.lit(rule.rule_id).alias("rule_id"),
                    pl.lit(rule.citation).alias("article"),
                ).alias("c"),
            )  # fmt: skip
        )
    if not parts:
        return pl.LazyFrame(schema={"person_no": pl.String, "commendations": pl.List(AWARD)})
    return (
        pl.concat(parts)
        .sort("person_no", pl.col("c").struct.field("year"), pl.col("c").struct.field("rule_id"))
        .group_by("person_no", maintain_order=True)
        .agg(pl.col("c").alias("commendations"))
    )


def latest_composite(composite: pl.LazyFrame) -> pl.LazyFrame:
    """Per cadre, the latest year's composite as one text an officer reads beside the grade:
    ``2025 综合 84.32（单位第3/12名）`` (``composite_text``) and the figure (``composite``)."""
    return (
        composite.filter(pl.col("composite").is_not_null())
        .sort("person_no", "year")
        .group_by("person_no", maintain_order=True)
        .last()
        .select(
            "person_no",
            pl.col("composite").alias("latest_composite"),
            pl.concat_str(
                pl.col("year").cast(pl.String), pl.lit(" 综合 "),
                pl.col("composite").cast(pl.String), pl.lit("（督查 "),
                pl.col("supervision").cast(pl.String), pl.lit("；单位第"),
                pl.col("rank").cast(pl.String), pl.lit("/"), pl.col("ranked").cast(pl.String),
                pl.lit("名）"),
            ).alias("composite_text"),
        )
    )  # fmt: skip
