"""Every gold table from silver, one after another, so that a caller can write each and let it go.

:func:`gold_tables` yields ``(name, table)`` in a fixed order: the 容错 review list first (the
measures its exact or confirmed pairs cover bar and warn nothing), then promotion check, warnings and
clearance (the profile and portrait are built from them), then the profile, the unit
portrait, the timeline — as a generator of sorted pieces, one ``person_no`` range at a time —
the de-identified case library and the inconsistency list. Memory holds one large table at a time (measured at 10M
events: 2.2 GB). Polars in, Polars out: the caller reads the inputs and writes the outputs.
"""

import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import polars as pl

import transforms.warnings as warning_rules
from transforms import (
    cases,
    decisions_check,
    deid,
    inconsistency,
    profile,
    promotion,
    tolerance_cover,
)
from transforms.cases import Exclusion, tolerance_cases
from transforms.deid import DeidRules
from transforms.inconsistency import CombinedCap, inconsistencies
from transforms.profile import cadre_profile, cadre_timeline, clearance, split_points, unit_portrait
from transforms.promotion import BarRule, promotion_check
from transforms.tolerance_cover import (
    TolerancePolicy,
    covered_measures,
    mark_tolerated,
    matter_texts,
    tolerance_review,
)
from transforms.warnings import WarningRule, warning_level, warnings

TABLES = (
    "tolerance_review", "promotion_check", "warning", "clearance", "cadre_profile",
    "unit_portrait", "cadre_timeline", "tolerance_case", "inconsistency",
)  # fmt: skip
GOLD_CODE = (sys.modules[__name__], profile, promotion, warning_rules, cases, deid, tolerance_cover,
             inconsistency, decisions_check)  # fmt: skip
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


def gold_tables(silver: Silver, rules: GoldRules, as_of: date) -> Iterator[tuple[str, Table]]:
    """Every gold table as of ``as_of``, in :data:`TABLES` order."""
    periods, bar = rules.influence_periods, rules.promotion_bar
    matters = matter_texts(silver.sanctions, silver.audit, silver.tolerance)
    review = tolerance_review(
        silver.events, matters, silver.tolerance_decisions, rules.tolerance_coverage
    ).collect()
    yield "tolerance_review", review
    covered = covered_measures(review.lazy()).collect().lazy()
    events, cadres = mark_tolerated(silver.events, covered), silver.cadres
    promotion, warning, cleared = pl.collect_all([
        promotion_check(events, cadres, periods, bar, as_of, covered.filter("clears_bar")),
        warnings(events, rules.warnings, periods, bar, as_of, covered.filter("clears_warning")),
        clearance(events, silver.petitions, cadres),
    ])  # fmt: skip
    yield "promotion_check", promotion
    yield "warning", warning
    yield "clearance", cleared
    levels = warning_level(warning.lazy())
    profile = cadre_profile(events, cadres, promotion.lazy(), levels, cleared.lazy(), as_of)
    yield "cadre_profile", profile.collect()
    del promotion, cleared
    yield "unit_portrait", unit_portrait(events, cadres, warning.lazy(), as_of).collect()
    del warning
    roster = cadres.select("person_no", "name", "unit").collect()
    pieces = max(1, math.ceil(silver.event_count / TIMELINE_PIECE_EVENTS))
    bounds = split_points(roster["person_no"], pieces)
    # In memory, not streaming: the streaming engine's sort took 1.0 s per 2M-event piece, 0.85 s
    # in memory (measured); a piece is in memory as a whole either way.
    yield (
        "cadre_timeline",
        (piece.collect(engine="in-memory") for piece in cadre_timeline(events, as_of, bounds)),
    )
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
        ),
    )
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
