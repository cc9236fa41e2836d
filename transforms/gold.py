"""Every gold table from silver, one after another, so that a caller can write each and let it go.

:func:`gold_tables` yields ``(name, table)`` in a fixed order: the 容错 review list first (the
measures its exact or confirmed pairs cover bar and warn nothing), the 督考联动 composite (the
bottom-rank warnings read its ranks), then promotion check, warnings, clearance and the
sanction follow-up register (the profile and portrait are built from them), then the profile, the unit
portrait, the timeline — as a generator of sorted pieces, one ``person_no`` range at a time —
the de-identified case library and the inconsistency list. Memory holds one large table at a time (measured at 10M
events: 2.2 GB). Polars in, Polars out: the caller reads the inputs and writes the outputs.
"""

import math
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import polars as pl

import transforms.warnings as warning_rules
from transforms import (
    cases,
    decisions_check,
    deid,
    inconsistency,
    practices,
    profile,
    promotion,
    tolerance_cover,
)
from transforms.cases import EarlierCases, Exclusion, tolerance_cases
from transforms.deid import DeidRules
from transforms.inconsistency import CombinedCap, inconsistencies
from transforms.link_keys import PostTerm
from transforms.practices import (
    COMPOSITE,
    CommendationRule,
    ReuseRule,
    Weighting,
    assessment_composite,
    commendations,
    latest_composite,
    sanction_followup,
)
from transforms.profile import (
    cadre_profile,
    cadre_timeline,
    clearance,
    in_ranges,
    split_points,
    unit_portrait,
)
from transforms.promotion import BarRule, promotion_check
from transforms.publishing import floats_as_text
from transforms.tolerance_cover import (
    TolerancePolicy,
    covered_measures,
    mark_tolerated,
    matter_texts,
    tolerance_review,
)
from transforms.warnings import RankInputs, WarningRule, warning_level, warnings

TABLES = (
    "tolerance_review", "assessment_composite", "promotion_check", "warning", "clearance",
    "sanction_followup", "cadre_profile",
    "unit_portrait", "cadre_timeline", "tolerance_case", "inconsistency",
)  # fmt: skip
DATELESS = ("tolerance_review", "clearance", "tolerance_case", "inconsistency")
"""The tables computed without the as-of date (nor from a table that reads it): a run on the same
inputs at another date may keep them (:func:`gold_tables`' ``kept``). Every other table is
computed with it (``cadre_profile`` holds it in every row; days to go, periods running, the
timeline's cut-off), so a new date computes those again."""
CUT = {"cadre_timeline": None, "assessment_composite": "assessment"}
"""The tables computed with the as-of date only as ``event_date <= as_of`` over the events (of
one source, or of all: None): at two dates with no such event between them they are the same, so
their content is fixed by the inputs without the date and the latest such event date up to the
as-of date (:func:`cut_dates`), which they are fingerprinted with instead of the date."""


PER_CADRE = ("promotion_check", "warning", "sanction_followup", "cadre_profile", "cadre_timeline")
"""The tables each of whose rows belongs to one cadre and is computed from that cadre's inputs
alone (:func:`cadre_parts`) with the date, rules and code, sorted by ``person_no`` first: when an
earlier run made them at the same date with the same rules and code (:class:`EarlierGold`), only
the cadres whose inputs changed are computed again and merged in (:func:`spliced`)."""
SPLICE_SHARE = 0.25
"""Computed for the changed cadres only while they are at most this share of the roster; with
more, the tables are computed whole (a splice also reads, filters and merges every earlier row,
and digests both runs' inputs)."""
UNREAD = ("_evidence", "_source_file", "_source_row", "link_score", "link_note", "link_method")
"""Columns of ``silver/supervision_event`` none of the :data:`PER_CADRE` tables reads: a record
whose row changed only there (read again at another row of its file) changes no cadre's rows."""


@dataclass
class EarlierGold:
    """What the :data:`PER_CADRE` tables of an earlier run at the same date, rules and code were
    computed from, and those tables: its ``silver/supervision_event`` and ``silver/cadre``, and
    its 容错 review, 督考联动 composite and clearance list."""

    events: pl.LazyFrame
    cadres: pl.LazyFrame
    review: pl.LazyFrame
    composite: pl.LazyFrame
    clearance: pl.LazyFrame
    tables: Mapping[str, pl.LazyFrame]
    same_sources: frozenset[str] = frozenset()
    """The sources whose partition of ``events`` holds the same file now: their rows add the
    same to both runs' digests, so neither side reads them."""
    same_cadres: bool = False
    """``silver/cadre`` holds the same file now: neither side's roster rows are read."""
    same_composite: bool = False
    """``gold/assessment_composite`` is kept as it was: neither side's composite rows are read."""


def cadre_inputs(parts: Sequence[pl.LazyFrame | None]) -> pl.LazyFrame:
    """Per cadre (``person_no``, ``digest``, ``rows``): the wrapping sum of the hashes of its rows
    in each of ``parts`` (the frames its :data:`PER_CADRE` rows are computed from, in a fixed
    order; None: a part both runs hold the same, left out of both), each part hashed with its own
    seed, floats as text (the hash takes ``-0.0`` for ``0.0``), so it does not depend on the rows'
    order. Two runs' digests differ for a cadre whose inputs did."""
    hashed = [
        floats_as_text(part)
        .filter(pl.col("person_no").is_not_null())
        .select("person_no", pl.struct(pl.all()).hash(seed).alias("digest"))
        for seed, part in enumerate(parts)
        if part is not None
    ]
    return (
        pl.concat(hashed)
        .group_by("person_no")
        .agg(pl.col("digest").sum(), pl.len().cast(pl.Int64).alias("rows"))
    )


def cadre_parts(
    events: pl.LazyFrame,
    review: pl.LazyFrame,
    cadres: pl.LazyFrame,
    composite: pl.LazyFrame,
    cleared: pl.LazyFrame,
    earlier: EarlierGold,
) -> list[pl.LazyFrame | None]:
    """What a cadre's :data:`PER_CADRE` rows are computed from, for :func:`cadre_inputs`: its
    events (but :data:`UNREAD`; those of ``earlier.same_sources`` left out), the measures a 容错
    decision covers among all its events (from the ``review``), its roster row and composite rows
    (unless both runs hold the same: ``earlier.same_cadres``, ``same_composite``) and its
    clearance rows."""
    covered = covered_measures(review).join(
        events.select("event_id", "person_no"), on="event_id", how="inner"
    )
    read = events.drop(UNREAD, strict=False)
    if earlier.same_sources:
        read = read.filter(~pl.col("source").is_in(sorted(earlier.same_sources)))
    return [
        read,
        covered,
        None if earlier.same_cadres else cadres,
        None if earlier.same_composite else composite,
        cleared,
    ]


def changed_cadres(earlier: EarlierGold, now: pl.LazyFrame, roster: int) -> pl.Series | None:
    """The cadres whose inputs differ between ``earlier`` and ``now`` (:func:`cadre_inputs` of
    :func:`cadre_parts`), or came or went; None when they are more than :data:`SPLICE_SHARE` of
    ``roster`` cadres."""
    before = cadre_inputs(
        cadre_parts(
            earlier.events,
            earlier.review,
            earlier.cadres,
            earlier.composite,
            earlier.clearance,
            earlier,
        )  # fmt: skip
    )
    both = before.join(now, on="person_no", how="full", coalesce=True, suffix="_now")
    differ = pl.col("digest").ne_missing(pl.col("digest_now")) | pl.col("rows").ne_missing(
        pl.col("rows_now")
    )
    changed = both.filter(differ).select("person_no").collect()["person_no"].sort()
    return None if changed.len() > SPLICE_SHARE * max(roster, 1) else changed


def spliced(earlier: pl.LazyFrame, fresh: pl.LazyFrame, changed: pl.Series) -> pl.LazyFrame:
    """``earlier``'s rows of the cadres not ``changed`` merged with ``fresh``'s of those changed:
    what computing the table whole gives, when a cadre's rows depend on its inputs alone. Both
    are in the table's order (``person_no`` first: :data:`PER_CADRE`) and no cadre has rows in
    both, so a merge on ``person_no`` keeps that order without sorting again."""
    mine = pl.col("person_no").is_in(changed.implode())
    return earlier.filter(~mine).merge_sorted(fresh.filter(mine), key="person_no")


NARROW = {"assessment_composite": (("bronze", "assessment"), ("silver", "cadre"))}
"""The tables of :data:`CUT` of one source that read, besides that source's events, only these
tables (and the rules): fingerprinted with what those and that source's events hold, not with
every table gold reads, they are kept through a month that brought no event of their source."""


def cut_dates(events: pl.LazyFrame, as_of: date) -> dict[str, date | None]:
    """Per table of :data:`CUT`, the latest ``event_date`` up to ``as_of`` among the events it
    reads (of every event, for a table that reads the linked ones: a finer cut, never a coarser
    one); None when there is none."""
    up_to = events.filter(pl.col("event_date") <= as_of)
    found = up_to.select(
        pl.col("event_date").filter(pl.col("source") == source).max().alias(table)
        if source
        else pl.col("event_date").max().alias(table)
        for table, source in CUT.items()
    ).collect()
    return found.row(0, named=True)


GOLD_CODE = (sys.modules[__name__], profile, promotion, warning_rules, cases, deid, tolerance_cover,
             inconsistency, decisions_check, practices)  # fmt: skip
"""The modules gold is computed by (its code version)."""
TIMELINE_PIECE_EVENTS = 2_000_000
"""Events per piece of the timeline when it is sorted and written: a piece is what memory holds
(at 10M events, 5 pieces peak at about 1.7 GB where one piece took 4.2 GB; measured)."""

Table = pl.DataFrame | Iterable[pl.DataFrame]


class GoldRules(Protocol):
    """The rules gold is computed with (``warehouse.rules.Rules`` has them all)."""

    @property
    def influence_periods(self) -> pl.DataFrame: ...
    @property
    def promotion_bar(self) -> Mapping[str, BarRule]: ...
    @property
    def warnings(self) -> Sequence[WarningRule]: ...
    @property
    def tolerance_exclusions(self) -> Sequence[Exclusion]: ...
    @property
    def fields(self) -> Sequence[str]: ...
    @property
    def deid(self) -> DeidRules: ...
    @property
    def tolerance_coverage(self) -> TolerancePolicy: ...
    @property
    def combined_cap(self) -> CombinedCap: ...
    @property
    def assessment_weighting(self) -> Weighting: ...
    @property
    def reuse(self) -> Sequence[ReuseRule]: ...
    @property
    def commendation(self) -> Sequence[CommendationRule]: ...
    @property
    def post_terms(self) -> Sequence[PostTerm]: ...


@dataclass
class Silver:
    """What gold is computed from."""

    events: pl.LazyFrame
    """``silver/supervision_event``."""
    cadres: pl.LazyFrame
    """``silver/cadre``."""
    petitions: pl.LazyFrame
    """``bronze/petition`` (the clearance list reads its flags)."""
    tolerance: pl.LazyFrame
    """``bronze/tolerance`` (the case library)."""
    audit: pl.LazyFrame
    """``bronze/audit`` (audit findings tolerated under the 五个看)."""
    event_count: int
    """Rows of ``events``: how many pieces the timeline is cut into."""
    sanctions: pl.LazyFrame
    """``bronze/sanction`` (事由 for 容错 coverage, 影响期截止 for the inconsistency list)."""
    tolerance_decisions: pl.DataFrame
    """``tolerance_decisions.csv``, read (:mod:`warehouse.tolerance_decisions`)."""
    posts: pl.LazyFrame | None = None
    """``silver/cadre_post`` (roster posts the post history disagrees with), when there is one."""
    assessments: pl.LazyFrame | None = None
    """``bronze/assessment`` (综合得分, 督考联动得分 and ranks for the 督考联动 composite); none: the
    composite is empty and bottom-rank rules fire for nobody."""
    earlier_cases: EarlierCases | None = None
    """The case library an earlier run made from the same roster names, rules and code, with the
    bronze rows it was made from: its cases whose rows did not change are taken as they are."""
    earlier_gold: EarlierGold | None = None
    """The :data:`PER_CADRE` tables an earlier run made at the same date with the same rules and
    code, and what they were made from: only the cadres whose inputs changed are computed."""


def _changed(
    silver: Silver,
    review: pl.DataFrame,
    cadres: pl.LazyFrame,
    composite: pl.DataFrame,
    cleared: pl.DataFrame,
    composite_kept: bool,
) -> pl.Series | None:
    """The cadres whose :data:`PER_CADRE` rows are computed again (:func:`changed_cadres`), or
    None: every cadre's, when no earlier run made them at the same date, rules and code.
    ``composite_kept``: the composite is the earlier one (its rows are not digested)."""
    if silver.earlier_gold is None:
        return None
    earlier = replace(silver.earlier_gold, same_composite=composite_kept)
    parts = cadre_parts(silver.events, review.lazy(), cadres, composite.lazy(), cleared.lazy(),
                        earlier)  # fmt: skip
    roster = cadres.select(pl.len()).collect().item()
    return changed_cadres(earlier, cadre_inputs(parts), roster)


def gold_tables(
    silver: Silver,
    rules: GoldRules,
    as_of: date,
    kept: Mapping[str, pl.LazyFrame] | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Iterator[tuple[str, Table]]:
    """Every gold table as of ``as_of``, in :data:`TABLES` order, but those of ``kept``: tables
    of :data:`DATELESS` computed from the same inputs (at another date), and of :data:`CUT`
    computed from the same inputs at a date with the same cut (:func:`cut_dates`), read where
    the others need them and not yielded. ``say``: what was computed for whom (a log line)."""
    kept = kept or {}
    periods, bar = rules.influence_periods, rules.promotion_bar
    if "tolerance_review" in kept:
        review = kept["tolerance_review"].collect()
    else:
        matters = matter_texts(silver.sanctions, silver.audit, silver.tolerance)
        review = tolerance_review(
            silver.events, matters, silver.tolerance_decisions, rules.tolerance_coverage
        ).collect()
        yield "tolerance_review", review
    covered = covered_measures(review.lazy()).collect().lazy()
    events, cadres = mark_tolerated(silver.events, covered), silver.cadres
    if "assessment_composite" in kept:
        composite = kept["assessment_composite"].collect()
    else:
        composite = (
            pl.DataFrame(schema=COMPOSITE)
            if silver.assessments is None
            else assessment_composite(
                silver.assessments, events, cadres, rules.assessment_weighting, as_of
            ).collect()
        )
        yield "assessment_composite", composite
    cleared = (
        kept["clearance"] if "clearance" in kept else clearance(events, silver.petitions, cadres)
    ).collect()
    changed = _changed(silver, review, cadres, composite, cleared, "assessment_composite" in kept)
    # The per-cadre tables: of the changed cadres only, when there are earlier ones to splice
    # them into; every cadre's otherwise.
    their_events, their_cadres, their_composite = events, cadres, composite.lazy()
    if changed is not None:  # a few cadres' rows: held in memory, not read again per table
        mine = pl.col("person_no").is_in(changed.implode())
        their_events, their_cadres, their_composite = (
            f.filter(mine).collect().lazy() for f in (events, cadres, composite.lazy())
        )
        say(f"gold: {', '.join(PER_CADRE)} computed for the {changed.len():,} cadre(s) whose "
            "inputs changed since the last run at this date; every other cadre's rows kept")  # fmt: skip

    def whole(name: str, table: pl.DataFrame) -> pl.DataFrame:
        if changed is None or silver.earlier_gold is None:
            return table
        earlier = silver.earlier_gold.tables[name]
        return spliced(earlier, table.lazy(), changed).collect()

    ranks = RankInputs(their_composite, their_cadres, rules.post_terms)
    bars, quiet = covered.filter("clears_bar"), covered.filter("clears_warning")
    promotion, warning, followup = pl.collect_all([
        promotion_check(their_events, their_cadres, periods, bar, as_of, bars),
        warnings(their_events, rules.warnings, periods, bar, as_of, quiet, ranks),
        sanction_followup(their_events, periods, rules.reuse, as_of, bars),
    ])  # fmt: skip
    yield "promotion_check", whole("promotion_check", promotion)
    all_warnings = whole("warning", warning)
    yield "warning", all_warnings
    if "clearance" not in kept:
        yield "clearance", cleared
    yield "sanction_followup", whole("sanction_followup", followup)
    del followup
    levels = warning_level(warning.lazy())
    practice = latest_composite(their_composite).join(
        commendations(their_events, rules.commendation, as_of), on="person_no", how="full",
        coalesce=True,
    )  # fmt: skip
    profile = cadre_profile(
        their_events, their_cadres, promotion.lazy(), levels, cleared.lazy(), as_of, practice
    )
    yield "cadre_profile", whole("cadre_profile", profile.collect())
    del promotion, warning
    portrait = unit_portrait(events, cadres, all_warnings.lazy(), as_of, composite.lazy())
    yield "unit_portrait", portrait.collect()
    del all_warnings, composite
    roster = cadres.select("person_no", "name", "unit").collect()
    pieces = max(1, math.ceil(silver.event_count / TIMELINE_PIECE_EVENTS))
    bounds = split_points(roster["person_no"], pieces)
    # In memory, not streaming: the streaming engine's sort took 1.0 s per 2M-event piece, 0.85 s
    # in memory (measured); a piece is in memory as a whole either way.
    if "cadre_timeline" not in kept:
        timeline = cadre_timeline(their_events, as_of, bounds)
        if changed is not None and silver.earlier_gold is not None:
            earlier = in_ranges(silver.earlier_gold.tables["cadre_timeline"], bounds)
            timeline = [spliced(e, t, changed) for e, t in zip(earlier, timeline, strict=True)]
        yield "cadre_timeline", (piece.collect(engine="in-memory") for piece in timeline)
    if "tolerance_case" not in kept:
        yield (
            "tolerance_case",
            tolerance_cases(
                silver.tolerance.collect(),
                silver.audit.collect(),
                roster["name"].drop_nulls().unique().to_list(),
                roster["unit"].drop_nulls().unique().to_list(),
                rules.tolerance_exclusions,
                rules.fields,
                deid_rules=rules.deid,
                earlier=silver.earlier_cases,
            ),
        )
    if "inconsistency" not in kept:
        yield (
            "inconsistency",
            inconsistencies(
                silver.events,
                silver.sanctions,
                silver.audit,
                periods,
                rules.combined_cap,
                cadres,
                silver.posts,
            ).collect(),
        )
