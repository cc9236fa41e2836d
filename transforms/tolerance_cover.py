"""What a 容错纠错 decision covers: the cadre's measures and findings it tolerates, for review.

The sources carry no key joining a 容错 decision (S7) to the 诫勉, 问责 or audit finding it is
about. For each 予以容错/部分容错 decision, every measure of the same cadre (a sanction of the
categories in ``tolerance_coverage.yaml``, or an audit finding) decided within the window around
the 认定日期 is a candidate pair, scored by how much of the shorter text the longer one holds: the
**character-bigram overlap coefficient** of the decision's 事项描述 and the measure's text (S6 事由,
S3 问题描述) — the pairs of adjacent characters both hold, over the pairs of the shorter text — so
``在推进项目中因政策调整造成损失`` scores high inside a long decision text that also tells the
cadre's unit, post and the correction, whatever the word order, with no segmenter. (The Jaccard
index, shared over all, punished exactly that: a decision text with more said scored 0.23 against
the measure it reviews, below decoys' ceiling only by chance; see README for the figures.)
A pair is in the review list (``gold/tolerance_review``) when its score reaches
``min_similarity``, when the decision cites the measure's reference (its 文号, or an audit
finding's ``审计项目编号/问题编号``: an exact match needing no review) or when a person decided it
in ``tolerance_decisions.csv``. Only an exact or a confirmed pair covers its measure, as the
decision's result says (:class:`CoverageRule`); a rejected pair covers nothing. Polars in, Polars out.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.events import linked_events


@dataclass(frozen=True)
class CoverageRule:
    """What a covered measure stops doing, for one 认定结果 (``tolerance_coverage.yaml``)."""

    result: str
    clears_bar: bool
    clears_warning: bool
    basis: str


@dataclass(frozen=True)
class TolerancePolicy:
    """``tolerance_coverage.yaml``: which measures a decision may cover and how pairs are found."""

    months_before: int
    """A measure decided up to this many months before the 认定日期 may be covered."""
    months_after: int
    """… or up to this many months after it (a measure decided after a 容错 decision)."""
    min_similarity: float
    """The bigram overlap a pair needs to enter the review list without an exact reference."""
    categories: tuple[str, ...]
    """The sanction categories (处理类别) a decision may cover; audit findings always may."""
    results: Mapping[str, CoverageRule]
    """By 认定结果: what a covered measure stops doing."""
    basis: str


REVIEW = pl.Schema(
    {
        "person_no": pl.String(), "case_no": pl.String(), "result": pl.String(),
        "decided_on": pl.Date(), "decision_event_id": pl.String(), "measure_source": pl.String(),
        "measure_key": pl.String(), "measure": pl.String(), "measure_date": pl.Date(),
        "measure_event_id": pl.String(), "days_apart": pl.Int64(), "similarity": pl.Float64(),
        "exact": pl.Boolean(), "status": pl.String(), "status_label": pl.String(),
        "clears_bar": pl.Boolean(), "clears_warning": pl.Boolean(), "evidence": pl.String(),
        "decided_by": pl.String(),
    }
)  # fmt: skip
"""``gold/tolerance_review``: one row per (decision, measure) pair, with its evidence. ``status``:
``exact`` (the decision cites the measure), ``confirmed``/``rejected`` (a person decided),
``pending`` (waits for a person). No free text is copied: it holds ID numbers."""
STATUS_LABELS = {
    "exact": "文号相符",
    "confirmed": "已确认",
    "rejected": "已否决",
    "pending": "待复核",
}
DECISION_COLUMNS = ("case_no", "measure_source", "measure_key", "decision", "decided_by")


def bigrams(text: pl.Expr) -> pl.Expr:
    """The distinct pairs of adjacent characters of ``text`` (whitespace and punctuation out)."""
    chars = text.fill_null("").str.replace_all(r"[\s\p{P}]", "").str.split("")
    pairs = chars.list.eval(pl.element() + pl.element().shift(-1)).list.drop_nulls()
    return pairs.list.unique()


def overlap(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """|a ∩ b| / min(|a|, |b|) of two lists of bigrams (0 when either is empty): how much of the
    shorter text the longer holds."""
    shorter = pl.min_horizontal(a.list.len(), b.list.len())
    shared = a.list.set_intersection(b).list.len()
    return pl.when(shorter > 0).then(shared / shorter).otherwise(0.0).round(4)


def matter_texts(
    sanction: pl.LazyFrame, audit: pl.LazyFrame, tolerance: pl.LazyFrame
) -> pl.LazyFrame:
    """The text of each record's matter and the reference others may cite, by lineage."""
    columns = sanction.collect_schema().names()
    document = pl.col("决定文号") if "决定文号" in columns else pl.lit(None, dtype=pl.String)
    parts = [
        sanction.select(pl.lit("sanction").alias("source"), pl.col("事由").alias("matter"),
                        document.alias("reference"), "_source_file", "_source_row"),
        audit.select(pl.lit("audit").alias("source"), pl.col("问题描述").alias("matter"),
                     pl.format("{}/{}", "审计项目编号", "问题编号").alias("reference"),
                     "_source_file", "_source_row"),
        tolerance.select(pl.lit("tolerance").alias("source"), pl.col("事项描述").alias("matter"),
                         pl.lit(None, dtype=pl.String).alias("reference"), "_source_file", "_source_row"),
    ]  # fmt: skip
    return pl.concat(parts, how="vertical_relaxed")


def _matter(text: str) -> pl.Expr:
    """The bigrams of a text that tell its matter: those of the cadre's unit, post and name (on
    either record, the same person by construction) taken out, so that two texts about one
    cadre do not look alike for naming them."""
    who = bigrams(pl.col("_case_who")).list.set_union(bigrams(pl.col("_measure_who")))
    return bigrams(pl.col(text)).list.set_difference(who)


def _offset(months: int) -> str:
    return f"{months}mo"


def tolerance_review(
    events: pl.LazyFrame,
    matters: pl.LazyFrame,
    decisions: pl.DataFrame,
    policy: TolerancePolicy,
) -> pl.LazyFrame:
    """``gold/tolerance_review``: the pairs a 容错 decision plausibly covers (see the module)."""
    linked = linked_events(events).join(
        matters, on=["source", "_source_file", "_source_row"], how="left"
    )
    results = list(policy.results)
    cases = linked.filter(
        (pl.col("source") == "tolerance") & pl.col("outcome").is_in(results)
    ).select(
        "person_no", pl.col("source_key").alias("case_no"), pl.col("outcome").alias("result"),
        pl.col("event_date").alias("decided_on"), pl.col("event_id").alias("decision_event_id"),
        pl.col("matter").alias("_case_text"),
        pl.concat_str("unit_given", "post_given", "subject_name", ignore_nulls=True).alias("_case_who"),
    )  # fmt: skip
    is_measure = (pl.col("source") == "audit") | (
        (pl.col("source") == "sanction")
        & pl.col("category").is_in(list(policy.categories))
        & pl.col("counts_against")
    )
    measures = linked.filter(is_measure).select(
        "person_no", pl.col("source").alias("measure_source"),
        pl.when(pl.col("source") == "sanction").then(nz.mask_id_numbers(pl.col("source_key")))
        .otherwise(pl.col("source_key")).alias("measure_key"),
        pl.concat_str(pl.col("category").fill_null("—"), pl.lit("/"), pl.col("outcome").fill_null("—")).alias("measure"),
        pl.col("event_date").alias("measure_date"), pl.col("event_id").alias("measure_event_id"),
        pl.col("matter").alias("_measure_text"), pl.col("reference").alias("_reference"),
        pl.concat_str("unit_given", "post_given", "subject_name", ignore_nulls=True).alias("_measure_who"),
    )  # fmt: skip
    window = pl.col("measure_date").is_between(
        pl.col("decided_on").dt.offset_by(_offset(-policy.months_before)),
        pl.col("decided_on").dt.offset_by(_offset(policy.months_after)),
    )
    reviewed = decisions.lazy().select(
        "case_no", "measure_source", "measure_key", pl.col("decision").alias("_decision"),
        "decided_by",
    )  # fmt: skip
    exact = pl.col("_reference").is_not_null() & (pl.col("_reference").str.len_chars() > 0)
    exact = (exact & pl.col("_case_text").fill_null("").str.contains(pl.col("_reference"), literal=True)).fill_null(False)  # fmt: skip
    pairs = (
        cases.join(measures, on="person_no")
        .filter(window)
        .with_columns(
            overlap(_matter("_case_text"), _matter("_measure_text")).alias("similarity"),
            exact.alias("exact"),
            (pl.col("measure_date") - pl.col("decided_on")).dt.total_days().abs().alias("days_apart"),
        )
        .join(reviewed, on=["case_no", "measure_source", "measure_key"], how="left")
        .filter(pl.col("exact") | (pl.col("similarity") >= policy.min_similarity) | pl.col("_decision").is_not_null())
    )  # fmt: skip
    status = (
        pl.when(pl.col("_decision") == "reject").then(pl.lit("rejected"))
        .when(pl.col("_decision") == "confirm").then(pl.lit("confirmed"))
        .when(pl.col("exact")).then(pl.lit("exact"))
        .otherwise(pl.lit("pending"))
    )  # fmt: skip
    rule = {r: (c.clears_bar, c.clears_warning) for r, c in policy.results.items()}
    evidence = pl.concat_str(
        pl.lit("同一干部；措施日期与认定日期相差 "), pl.col("days_apart").cast(pl.String),
        pl.lit(f" 天（窗口：认定前 {policy.months_before} 个月至认定后 {policy.months_after} 个月）；"
               "事由相似度（字符二元组重合系数）"), pl.col("similarity").cast(pl.String),
        pl.when(pl.col("exact")).then(pl.lit("；认定材料载明该措施文号")).otherwise(pl.lit("")),
    )  # fmt: skip
    return (
        pairs.with_columns(status.alias("status"))
        .with_columns(
            pl.col("status").replace_strict(STATUS_LABELS).alias("status_label"),
            pl.col("result")
            .replace_strict({r: b for r, (b, _) in rule.items()}, return_dtype=pl.Boolean)
            .alias("clears_bar"),
            pl.col("result")
            .replace_strict({r: w for r, (_, w) in rule.items()}, return_dtype=pl.Boolean)
            .alias("clears_warning"),
            evidence.alias("evidence"),
        )  # fmt: skip
        .select(list(REVIEW))
        .cast(REVIEW)
        .sort("person_no", "case_no", "measure_event_id")
    )


def covered_measures(review: pl.LazyFrame) -> pl.LazyFrame:
    """The measures a 容错 decision covers: its exact or confirmed pairs, one row per measure
    (``event_id``), the strongest effect when several decisions cover it, the case numbers."""
    return (
        review.filter(pl.col("status").is_in(["exact", "confirmed"]))
        .group_by(pl.col("measure_event_id").alias("event_id"))
        .agg(
            pl.col("clears_bar").any(),
            pl.col("clears_warning").any(),
            pl.col("case_no").unique().sort().str.join("、").alias("tolerated_by"),
            pl.col("result").unique().sort().str.join("、").alias("tolerance_result"),
        )
        .sort("event_id")
    )


def mark_tolerated(events: pl.LazyFrame, covered: pl.LazyFrame) -> pl.LazyFrame:
    """``events`` with ``tolerated_by`` (the case numbers, null when not covered) and
    ``tolerance_result``; a measure whose coverage clears both bar and warning (予以容错) no longer
    counts against the cadre."""
    marked = events.join(covered, on="event_id", how="left", maintain_order="left")
    full = pl.col("clears_bar").fill_null(False) & pl.col("clears_warning").fill_null(False)
    return marked.with_columns((pl.col("counts_against") & ~full).alias("counts_against")).drop(
        "clears_bar", "clears_warning"
    )
