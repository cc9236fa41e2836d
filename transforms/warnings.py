"""Red/yellow/blue warnings from rule data: one row per (cadre, rule fired) with the events that fired it.

The rules are rows of ``warning_rules.csv`` (loaded by ``warehouse.rules.load_warning_rules``); the
code knows only five kinds of condition (a running influence period, a count of matching events
in a window, an overdue finding, last year's events, a rank at the bottom of the unit in
consecutive years). A deployment changes levels, windows,
thresholds and what matches without touching code.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from transforms.events import linked_events
from transforms.link_keys import PostTerm
from transforms.practices import bottom_ranks
from transforms.promotion import BarRule, running_periods

LEVEL_ORDER = {"red": 3, "yellow": 2, "blue": 1}
KINDS = ("running_period", "count", "overdue", "last_year", "bottom_rank")


@dataclass(frozen=True)
class WarningRule:
    """One row of ``warning_rules.csv``.

    Attributes:
        kind: ``running_period`` (an influence period of a ``match`` category is running),
            ``count`` (events of ``source`` matching within ``window_months``), ``overdue``
            (findings past their deadline with an outcome in ``match``), ``last_year``
            (last calendar year's events) or ``bottom_rank`` (ranked at or under
            ``rank_from_bottom`` from the bottom of the unit in each of the ``min_count`` years
            before the as-of year: :func:`transforms.practices.bottom_ranks`).
        window_months: for ``count``, the window; for ``overdue``, the default rectification
            window from 反馈日期 for a finding whose export gives no 整改时限 (applied when
            ``silver/supervision_event`` is built: :func:`rectification_months`).
        match: outcomes or ``category/outcome`` pairs (``直接责任`` matches ``直接责任/未申请``).
        counts_against: only events counting against (True), only the others (False), or all.
        min_count, max_count: how many matching events fire the rule (at least one).
        rank_from_bottom: for ``bottom_rank``, the threshold (1: the last place).
        post_kinds: for ``bottom_rank``, only cadres whose current post is of one of these kinds
            (``post_terms.csv``: ``head`` 班子负责人, ``deputy`` 分管副职); empty: every cadre.
    """

    rule_id: str
    level: str
    label: str
    kind: str
    source: str
    match: tuple[str, ...]
    basis: str
    counts_against: bool | None = None
    window_months: int | None = None
    min_count: int | None = None
    max_count: int | None = None
    rank_from_bottom: int | None = None
    post_kinds: tuple[str, ...] = ()


WARNING = pl.Schema(
    {
        "person_no": pl.String(),
        "level": pl.String(),
        "rule_id": pl.String(),
        "kind": pl.String(),
        "label": pl.String(),
        "basis": pl.String(),
        "events": pl.Int64(),
        "event_ids": pl.List(pl.String()),
        "detail": pl.String(),
    }
)
"""``detail``: what an officer checks the warning against; for an overdue finding each deadline
and the days past it (``整改时限 2024-06-30，逾期 184 天``), for a bottom rank each year's place
(``2025年 某局 倒数第1名（第12/12，综合 70.1）``), null for the other kinds. ``kind``: the rule's
kind (a list of one kind, 考核排名靠后名单, is cut from it)."""


@dataclass(frozen=True)
class RankInputs:
    """What a ``bottom_rank`` rule reads: ``gold/assessment_composite``, the roster (posts) and
    the post terms that say which posts are 班子负责人 or 分管副职."""

    composite: pl.LazyFrame
    cadres: pl.LazyFrame
    terms: Sequence[PostTerm] = ()


def matches(text: pl.Expr, entries: Sequence[str]) -> pl.Expr:
    """``text`` equals an entry or begins with ``entry/`` (``直接责任/未申请`` matches ``直接责任``)."""
    out = pl.lit(False)
    for entry in entries:
        out = out | (text == entry) | text.str.starts_with(f"{entry}/")
    return out


def _event_matches(entries: Sequence[str]) -> pl.Expr:
    both = pl.concat_str(
        pl.col("category").fill_null(""), pl.lit("/"), pl.col("outcome").fill_null("")
    )
    return matches(pl.col("outcome"), entries) | matches(both, entries)


def _months_before(as_of: date, months: int) -> date:
    total = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(total, 12)
    day = min(as_of.day, 28)
    return date(year, month + 1, day)


def _selected(events: pl.LazyFrame, rule: WarningRule, as_of: date) -> pl.LazyFrame:
    chosen = events.filter((pl.col("source") == rule.source) & _event_matches(rule.match))
    if rule.counts_against is not None:
        chosen = chosen.filter(pl.col("counts_against") == rule.counts_against)
    kind = rule.kind
    if kind == "count":
        start = _months_before(as_of, int(rule.window_months or 0))
        chosen = chosen.filter(pl.col("event_date").is_between(start, as_of, closed="right"))
    elif kind == "overdue":
        # due_date: 整改时限, or the default window from 反馈日期 (silver/supervision_event).
        chosen = chosen.filter(pl.col("due_date") < as_of)
        late = (pl.lit(as_of) - pl.col("due_date")).dt.total_days()
        return chosen.select(
            "person_no",
            "event_id",
            pl.concat_str(
                pl.lit("整改时限 "),
                pl.col("due_date").cast(pl.String),
                pl.lit("，逾期 "),
                late.cast(pl.String),
                pl.lit(" 天"),
            ).alias("_detail"),
        )
    elif kind == "last_year":
        chosen = chosen.filter(pl.col("event_date").dt.year() == as_of.year - 1)
    return chosen.select("person_no", "event_id", pl.lit(None, dtype=pl.String).alias("_detail"))


def warnings(
    events: pl.LazyFrame,
    rules: Sequence[WarningRule],
    periods: pl.DataFrame,
    bar: Mapping[str, BarRule],
    as_of: date,
    exempt: pl.LazyFrame | None = None,
    ranks: RankInputs | None = None,
) -> pl.LazyFrame:
    """``gold/warning``: every rule that fires for a linked cadre as of ``as_of``.

    ``exempt``: the ``event_id`` of measures a 容错 decision covers (see
    :func:`transforms.tolerance_cover.covered_measures`): they raise no warning.
    ``ranks``: what ``bottom_rank`` rules read (without it they fire for nobody).
    """
    linked = linked_events(events).filter(pl.col("event_date") <= as_of)
    if exempt is not None:
        linked = linked.join(exempt.select("event_id"), on="event_id", how="anti")
    parts = []
    for rule in rules:
        if rule.kind == "running_period":
            fired = (
                running_periods(linked, periods, bar, as_of)
                .filter(matches(pl.col("reason").struct.field("measure"), rule.match))
                .select(
                    "person_no",
                    pl.col("reason").struct.field("event_id"),
                    pl.lit(None, dtype=pl.String).alias("_detail"),
                )
            )
        elif rule.kind == "bottom_rank":
            if ranks is None:
                continue
            fired = bottom_ranks(
                ranks.composite, ranks.cadres, as_of, int(rule.min_count or 1),
                int(rule.rank_from_bottom or 1), rule.post_kinds, ranks.terms,
            )  # fmt: skip
        else:
            fired = _selected(linked, rule, as_of)
        grouped = fired.group_by("person_no").agg(
            pl.len().cast(pl.Int64).alias("events"),
            pl.col("event_id").sort().alias("event_ids"),
            pl.col("_detail").sort_by("event_id").drop_nulls().str.join("；").alias("detail"),
        )
        low, high = rule.min_count or 1, rule.max_count
        keep = pl.col("events") >= low
        if high is not None:
            keep = keep & (pl.col("events") <= high)
        parts.append(
            grouped.filter(keep).select(
                "person_no",
                pl.lit(rule.level).alias("level"),
                pl.lit(rule.rule_id).alias("rule_id"),
                pl.lit(rule.kind).alias("kind"),
                pl.lit(rule.label).alias("label"),
                pl.lit(rule.basis).alias("basis"),
                "events",
                "event_ids",
                pl.when(pl.col("detail") != "").then(pl.col("detail")).alias("detail"),
            )
        )
    if not parts:
        return pl.LazyFrame(schema=WARNING)
    return pl.concat(parts).cast(WARNING).sort("person_no", "rule_id")


def rectification_months(rules: Sequence[WarningRule]) -> int:
    """The default rectification window of the first ``overdue`` rule (0 when there is none:
    a finding without 整改时限 is then due on its 反馈日期)."""
    return next((int(r.window_months or 0) for r in rules if r.kind == "overdue"), 0)


def warning_level(warning: pl.LazyFrame) -> pl.LazyFrame:
    """Per cadre: the highest level among the rules that fired."""
    order = pl.col("level").replace_strict(LEVEL_ORDER, return_dtype=pl.Int8)
    return warning.group_by("person_no").agg(
        pl.col("level").sort_by(order, descending=True).first().alias("warning_level"),
        pl.col("rule_id").sort().alias("warning_rules"),
    )
