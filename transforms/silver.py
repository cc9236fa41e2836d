"""Every silver table from bronze: the one pure entry of each silver asset.

:func:`cadre_tables` builds ``silver/cadre``, ``silver/cadre_post`` and ``silver/unit_alias`` from
the roster and the post history; :func:`link_tables` links every supervision event to the cadre it
names (``silver/supervision_event``, ``silver/link_review``). Polars in, Polars out: the frames
come read and fingerprinted by :mod:`warehouse.layer_inputs`, the caller stages the tables.
"""

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from transforms import (
    decisions_check,
    event_links,
    events,
    link_candidates,
    link_keys,
    linking,
    normalize,
    posts,
    units,
)
from transforms.event_links import LinkedEvents
from transforms.warnings import WarningRule, rectification_months

CADRE_CODE = (event_links, events, link_keys, normalize, posts, units)
"""The modules ``silver/cadre`` and ``silver/cadre_post`` are computed by (their code version)."""
LINK_CODE = (
    event_links,
    linking,
    link_candidates,
    link_keys,
    events,
    normalize,
    units,
    decisions_check,
)
"""The modules ``silver/supervision_event`` is computed by (its code version)."""


class SilverRules(Protocol):
    """The rules silver is computed with (``warehouse.rules.Rules`` has them all)."""

    @property
    def linking(self) -> linking.LinkRules: ...
    @property
    def petition_counting(self) -> events.PetitionCounting: ...
    @property
    def warnings(self) -> Sequence[WarningRule]: ...


@dataclass(frozen=True)
class RosterFrames:
    """What ``silver/cadre`` is computed from."""

    roster: pl.LazyFrame
    """``bronze/roster``."""
    post_history: pl.LazyFrame
    """``bronze/post_history`` (empty, with its columns, where there is no S8 export)."""
    cadre: pl.DataFrame | None = None
    """``silver/cadre`` as an earlier run made it from the same roster, rules and code (a night
    on which only the post history changed): taken as it is."""


@dataclass(frozen=True)
class CadreTables:
    cadre: pl.DataFrame
    """``silver/cadre``: one row per roster cadre, prepared for linking."""
    cadre_post: pl.DataFrame
    """``silver/cadre_post``: every post every cadre held, with its span."""
    unit_alias: pl.DataFrame
    """``silver/unit_alias``: unit codes S8 wrote with several names, and the evidence."""
    post_keys: pl.DataFrame
    """``silver/post_keys``: every interval as the linker compares records with it
    (:func:`~transforms.link_keys.prepare_posts`), so that a link reads it instead of keying
    every post again."""
    regions: dict[str, list[str]]
    """The regions the roster's unit names hold (:data:`ROSTER_REGIONS` of the rules
    :func:`~transforms.event_links.roster_rules` learns): ``post_keys`` was keyed with them."""


ROSTER_REGIONS = ("learned_regions", "roster_regions", "learned_prefectures")
"""What :func:`~transforms.event_links.roster_rules` learns from the roster."""


def cadre_tables(frames: RosterFrames, rules: linking.LinkRules) -> CadreTables:
    """``silver/cadre``, ``silver/cadre_post``, ``silver/unit_alias`` and ``silver/post_keys``
    from bronze. The posts are keyed once, as the linker reads them: with the regions the
    roster's own names hold."""
    cadre, held = posts.cadre_tables(frames.roster, frames.post_history, rules, frames.cadre)
    learnt = event_links.roster_rules(rules, cadre.lazy(), held.lazy())
    keyed = link_keys.key_posts(held.lazy(), learnt).collect().lazy()
    aliases = link_keys.unit_alias_table(keyed).collect()
    post_keys = (
        link_keys.prepare_posts(held.lazy(), cadre.lazy(), learnt, keyed)
        .sort("person_no", "start", "unit", "post", nulls_last=True, maintain_order=True)
        .collect()
    )
    regions = {name: list(getattr(learnt, name)) for name in ROSTER_REGIONS}
    return CadreTables(cadre, held, aliases, post_keys, regions)


def learnt_rules(
    rules: linking.LinkRules, regions: Mapping[str, Sequence[str]]
) -> linking.LinkRules:
    """``rules`` with the roster's regions as :func:`cadre_tables` learnt them (``regions``):
    what :func:`~transforms.event_links.roster_rules` gives on the same roster."""
    learnt = {name: tuple(regions[name]) for name in ROSTER_REGIONS}
    if all(getattr(rules, name) == value for name, value in learnt.items()):
        return rules
    return dataclasses.replace(
        rules,
        learned_regions=learnt["learned_regions"],
        roster_regions=learnt["roster_regions"],
        learned_prefectures=learnt["learned_prefectures"],
    )


@dataclass(frozen=True)
class EventFrames:
    """What ``silver/supervision_event`` is computed from."""

    bronze: Mapping[str, pl.LazyFrame]
    """The bronze table of each source of :data:`transforms.specs.EVENT_SOURCES`."""
    cadres: pl.LazyFrame
    """``silver/cadre``."""
    posts: pl.LazyFrame
    """``silver/cadre_post``."""
    decisions: pl.DataFrame
    """The lines of ``link_decisions.csv`` (:mod:`warehouse.decisions`)."""
    code_context: str
    """The fingerprint of the linking code and rules: with the decisions applied and the
    roster's regions, the context of a link decision (:func:`link_context`)."""
    roster: Mapping[str, str]
    """The versions of ``silver/cadre`` and ``silver/cadre_post`` read (``cadre``, ``cadre_post``)."""
    earlier: pl.LazyFrame | None = None
    """The previous ``silver/supervision_event``, if any."""
    earlier_review: pl.LazyFrame | None = None
    """The previous ``silver/link_review``, if any."""
    earlier_context: str | None = None
    """The link context the previous ``silver/supervision_event`` was linked in."""
    earlier_roster: Mapping[str, str] | None = None
    """The versions of ``silver/cadre`` and ``silver/cadre_post`` it was linked against."""
    earlier_roster_frames: tuple[pl.LazyFrame, pl.LazyFrame] | None = None
    """Those two tables, while the warehouse still keeps them."""
    post_keys: pl.LazyFrame | None = None
    """``silver/post_keys`` of the ``silver/cadre_post`` read, when it was keyed with these
    linking rules; else None: the link keys the posts itself."""
    regions: Mapping[str, Sequence[str]] | None = None
    """The roster's regions ``post_keys`` was keyed with (:attr:`CadreTables.regions`)."""
    settled: frozenset[str] = frozenset()
    """The sources whose bronze table, code and rules are those ``earlier`` was made from: a
    partition of ``earlier`` none of whose records is linked again stands as it is."""


def link_context(code_context: str, rules: linking.LinkRules, applied: pl.DataFrame) -> str:
    """The context of a linking pass: the code and rules, the roster's regions (``rules``, from
    :func:`~transforms.event_links.roster_rules`) and the reviewed decisions applied."""
    reviewed = applied.sort(applied.columns).write_csv()
    regions = "|".join(
        (*rules.learned_regions, "#", *rules.roster_regions, "#", *rules.learned_prefectures)
    )
    return hashlib.sha256((code_context + regions + reviewed).encode()).hexdigest()[:16]


def link_tables(
    frames: EventFrames, rules: SilverRules, hold: event_links.Hold | None = None
) -> LinkedEvents:
    """Link every person named by every event record; the lines of ``link_decisions.csv`` that
    the check applies are applied, the verdict on every line is ``LinkedEvents.decisions``.

    The earlier decisions are kept, and only new or changed records linked, when the context
    (:func:`link_context`) is the earlier one's; when the roster changed since, the records that
    could name a cadre who changed are linked again too
    (:func:`~transforms.event_links.stale_records`), and all of them when the earlier roster is
    no longer kept."""
    named = event_links.mentions(
        frames.bronze, rules.petition_counting, rectification_months(rules.warnings)
    ).collect()
    checked = decisions_check.check_link_decisions(
        frames.decisions,
        named.lazy(),
        frames.cadres,
        frames.posts,
        link_keys.model_of(rules.linking),
    )
    applied = checked.applied.drop("file", "line")
    roster_rules = (
        learnt_rules(rules.linking, frames.regions)
        if frames.post_keys is not None and frames.regions is not None
        else event_links.roster_rules(rules.linking, frames.cadres, frames.posts)
    )
    context = link_context(frames.code_context, roster_rules, applied)
    earlier = frames.earlier if frames.earlier_context == context else None
    stale = None
    if earlier is not None and dict(frames.earlier_roster or {}) != dict(frames.roster):
        if frames.earlier_roster_frames is None:
            earlier = None
        else:
            now = (frames.cadres, frames.posts)
            stale = event_links.stale_records(
                named, earlier, roster_rules, frames.earlier_roster_frames, now
            )
    linked = event_links.link_events(
        named,
        frames.cadres,
        frames.posts,
        roster_rules,
        applied,
        earlier,
        frames.earlier_review if earlier is not None else None,
        stale,
        frames.post_keys,
        hold=hold,
        settled=frames.settled,
    )
    linked.decisions, linked.context = checked, context
    return linked
