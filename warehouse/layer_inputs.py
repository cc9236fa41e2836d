"""What silver and gold read: each layer's inputs as frames, with one fingerprint of all they
depend on, and the current tables when they were computed from that very fingerprint.

A layer is computed as *read* (here) → *compute* (one pure entry of :mod:`transforms`) → *stage*
(:meth:`~warehouse.store.Warehouse.stage`) → *guard* (:mod:`assets.guard`). The fingerprint of a
layer is the SHA-256 of its code (:mod:`warehouse.fingerprint`), of its rule files, of the files
of the tables it reads (their SHA-256, from the manifests), of the review
decisions and, for gold, of the as-of date. Its tables are staged with the fingerprint in their
manifests (``extra["inputs"]``); when the next run finds the same fingerprint, :attr:`Inputs.carried`
holds the current versions and the layer is neither recomputed nor rewritten nor re-validated.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any, Generic, TypeVar

import polars as pl

from transforms import silver
from transforms.cases import EarlierCases
from transforms.decisions_check import DecisionCheck, check_tolerance_decisions
from transforms.gold import (
    CUT,
    DATELESS,
    GOLD_CODE,
    NARROW,
    PER_CADRE,
    TABLES,
    EarlierGold,
    Silver,
    cut_dates,
)
from transforms.specs import EVENT_SOURCES
from warehouse import rules as rules_module
from warehouse.decisions import read_decisions
from warehouse.fingerprint import code_fingerprint
from warehouse.ingest import scan_bronze
from warehouse.rules import Rules
from warehouse.store import WRITTEN_WITH, StagedTable, Warehouse
from warehouse.tolerance_decisions import read_tolerance_decisions

F = TypeVar("F")

CADRE_TABLES = ("cadre", "cadre_post", "unit_alias", "post_keys")
EVENT_TABLES = ("supervision_event", "link_review")
GOLD_READS = (("silver", "supervision_event"), ("silver", "cadre"), ("bronze", "petition"),
              ("bronze", "tolerance"), ("bronze", "audit"), ("bronze", "sanction"),
              ("silver", "cadre_post"), ("bronze", "assessment"))  # fmt: skip
"""The tables gold reads (its asset's dependencies)."""


@dataclass(frozen=True)
class Inputs(Generic[F]):
    """One layer's inputs: the frames its pure entry computes from, and their fingerprint."""

    frames: F
    fingerprint: str
    """Inputs (the versions read) + code + rules (+ decisions, + as-of for gold)."""
    carried: dict[str, StagedTable] | None
    """The layer's current tables when they were computed from :attr:`fingerprint`: staged
    as they are, to publish again; None when they must be computed."""
    decisions: DecisionCheck | None = None
    """Gold: the verdict on each line of ``tolerance_decisions.csv``."""
    previous_rows: int | None = None
    """Rows of the layer's main table in its current version (None: never written)."""
    dateless: str | None = None
    """Gold: the fingerprint without the as-of date, that of the tables of
    :data:`~transforms.gold.DATELESS` (computed without it)."""
    kept: dict[str, StagedTable] | None = None
    """Gold: those tables as they are, when computed from :attr:`dateless` (at another date, or
    the same): carried while the others are computed."""
    notes: dict[str, dict[str, object]] = field(default_factory=dict)
    """What a table's manifest records beside its fingerprint, by table (gold/tolerance_case:
    what its cases were made from, for the next run to take those whose rows are the same)."""

    cut: dict[str, str] = field(default_factory=dict)
    """Gold: the fingerprint of each table of :data:`~transforms.gold.CUT`: :attr:`dateless`
    and the table's cut (:func:`~transforms.gold.cut_dates`), not the date."""

    def inputs_of(self, table: str) -> str:
        """The fingerprint a table is staged with: :attr:`dateless` for a table computed without
        the as-of date, its :attr:`cut` for one that reads the date as a cut, else
        :attr:`fingerprint`."""
        if table in self.cut:
            return self.cut[table]
        return self.dateless if self.dateless and table in DATELESS else self.fingerprint

    def extra_of(self, table: str) -> dict[str, object]:
        """What a table's manifest records: :meth:`inputs_of` and its :attr:`notes`."""
        return {"inputs": self.inputs_of(table), **self.notes.get(table, {})}


def versions(store: Warehouse, tables: tuple[tuple[str, str], ...]) -> str:
    """What ``tables`` hold, in order, as one text (:meth:`~warehouse.store.Warehouse.content`)."""
    return ";".join(store.content(layer, name) for layer, name in tables)


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def cadre_inputs(store: Warehouse, rules: Rules) -> Inputs[silver.RosterFrames]:
    """What ``silver/cadre`` (with ``cadre_post``, ``unit_alias`` and ``post_keys``) reads: bronze
    roster and post history, and ``silver/cadre`` itself when it was made from the same roster,
    rules and code (``extra["roster"]``): only the post history changed."""
    code = code_fingerprint(silver, rules_module, *silver.CADRE_CODE)
    roster = _fingerprint(code, rules.fingerprint(), versions(store, (("bronze", "roster"),)))
    previous = store.manifest("silver", "cadre")
    same_roster = (previous or {}).get("extra", {}).get("roster") == roster
    frames = silver.RosterFrames(
        store.scan("bronze", "roster"),
        scan_bronze(store, "post_history"),
        store.scan("silver", "cadre").collect() if same_roster else None,
    )
    read = versions(store, (("bronze", "roster"), ("bronze", "post_history")))
    fingerprint = _fingerprint(code, rules.fingerprint(), read)
    return Inputs(
        frames,
        fingerprint,
        store.carried("silver", CADRE_TABLES, fingerprint),
        previous_rows=int(previous["rows"]) if previous else None,
        notes={"post_keys": {"linking": _keyed_with(rules)}, "cadre": {"roster": roster}},
    )


def event_inputs(
    store: Warehouse, rules: Rules, decisions: Path | None
) -> Inputs[silver.EventFrames]:
    """What ``silver/supervision_event`` (with ``link_review``) reads: the bronze event sources,
    ``silver/cadre`` and ``silver/cadre_post``, the lines of ``link_decisions.csv`` at
    ``decisions`` and the earlier linked events (whose decisions may be kept)."""
    lines = read_decisions(decisions)
    code = code_fingerprint(
        silver, rules_module, *silver.LINK_CODE, extra=_libraries(LINK_LIBRARIES)
    )
    roster = versions(store, (("silver", "cadre"), ("silver", "cadre_post")))
    earlier = store.exists("silver", "supervision_event")
    manifest = store.manifest("silver", "supervision_event") or {}
    linked_against = manifest.get("extra", {}).get("roster")
    # What each source's mentions are made from (its bronze table, the code and every rule):
    # a source whose mentions are those the earlier events were made from is settled.
    mentioned = {
        s: _fingerprint(code, rules.fingerprint(), store.content("bronze", s))
        for s in EVENT_SOURCES
    }
    before = manifest.get("extra", {}).get("sources") or {}
    frames = silver.EventFrames(
        bronze={s: store.scan("bronze", s) for s in EVENT_SOURCES},
        cadres=store.scan("silver", "cadre"),
        posts=store.scan("silver", "cadre_post"),
        decisions=lines,
        code_context=_fingerprint(code, rules.linking_fingerprint()),
        roster={t: store.table_path("silver", t).resolve().name for t in ("cadre", "cadre_post")},
        earlier=store.scan("silver", "supervision_event") if earlier else None,
        earlier_review=store.scan("silver", "link_review")
        if store.exists("silver", "link_review")
        else None,
        earlier_context=manifest.get("extra", {}).get("context"),
        earlier_roster=linked_against,
        earlier_roster_frames=_earlier_roster(store, linked_against),
        **_post_keys(store, rules),
        settled=frozenset(s for s, made in mentioned.items() if earlier and before.get(s) == made),
    )
    read = versions(store, tuple(("bronze", s) for s in EVENT_SOURCES))
    reviewed = lines.sort(lines.columns).write_csv()
    fingerprint = _fingerprint(code, rules.fingerprint(), roster, read, reviewed)
    return Inputs(
        frames,
        fingerprint,
        store.carried("silver", EVENT_TABLES, fingerprint),
        previous_rows=int(manifest["rows"]) if manifest else None,
        notes={"supervision_event": {"sources": mentioned}},
    )


def _keyed_with(rules: Rules) -> str:
    """What ``silver/post_keys`` is keyed with: the code that keys posts and learns the roster's
    regions (:func:`transforms.silver.cadre_tables` and what it imports) and the linking rules."""
    return _fingerprint(code_fingerprint(silver), rules.linking_fingerprint())


def _post_keys(store: Warehouse, rules: Rules) -> dict[str, Any]:
    """``silver/post_keys`` and the regions it was keyed with, when it was made with the same
    ``silver/cadre`` and ``silver/cadre_post`` (the same inputs) and the same code and linking
    rules as the link's; else nothing: the link keys the posts itself."""
    keys = store.manifest("silver", "post_keys")
    extra = (keys or {}).get("extra", {})
    made_with = [
        (store.manifest("silver", t) or {}).get("extra", {}) for t in ("cadre", "cadre_post")
    ]
    if (
        not keys
        or any(extra.get("inputs") != made.get("inputs") for made in made_with)
        or extra.get("linking") != _keyed_with(rules)
        or not isinstance(extra.get("regions"), dict)
    ):
        return {}
    return {"post_keys": store.scan("silver", "post_keys"), "regions": extra["regions"]}


def _earlier_roster(
    store: Warehouse, linked_against: dict[str, str] | None
) -> tuple[pl.LazyFrame, pl.LazyFrame] | None:
    """``silver/cadre`` and ``silver/cadre_post`` as the earlier events were linked against
    them, while the warehouse keeps those versions."""
    if not linked_against:
        return None
    cadres = store.scan_version("silver", "cadre", str(linked_against.get("cadre", "")))
    posts = store.scan_version("silver", "cadre_post", str(linked_against.get("cadre_post", "")))
    return (cadres, posts) if cadres is not None and posts is not None else None


def silver_inputs(store: Warehouse, decisions: Path | None = None) -> Silver:
    """What gold reads: silver, the four bronze tables it needs and the 容错 review decisions
    (``tolerance_decisions.csv`` at ``decisions``; none when not given or not there yet), those
    :func:`~transforms.decisions_check.check_tolerance_decisions` applies."""
    checked = check_tolerance_decisions(read_tolerance_decisions(decisions))
    return _silver(store, checked)


def _silver(store: Warehouse, checked: DecisionCheck) -> Silver:
    events = store.manifest("silver", "supervision_event") or {}
    return Silver(
        events=store.scan("silver", "supervision_event"),
        cadres=store.scan("silver", "cadre"),
        petitions=store.scan("bronze", "petition"),
        tolerance=store.scan("bronze", "tolerance"),
        audit=store.scan("bronze", "audit"),
        event_count=int(events.get("rows", 0)),
        sanctions=store.scan("bronze", "sanction"),
        tolerance_decisions=checked.applied,
        posts=store.scan("silver", "cadre_post") if store.exists("silver", "cadre_post") else None,
        assessments=(
            store.scan("bronze", "assessment") if store.exists("bronze", "assessment") else None
        ),
    )


LINK_LIBRARIES = ("opencc", "pypinyin")
"""The libraries the link reads names with (traditional to simplified, pinyin): an upgrade may
read a name otherwise, so no earlier decision or partition is kept through one."""


def _libraries(names: tuple[str, ...]) -> str:
    """The installed versions of ``names``, and what a stored file's bytes depend on beside its
    rows (:data:`~warehouse.store.WRITTEN_WITH`): a kept partition is one a write gives now."""
    return ";".join([*(f"{n}=={metadata.version(n)}" for n in names), WRITTEN_WITH])


CASE_SOURCES = ("tolerance", "audit")
"""The bronze tables the case library is made from (:func:`~transforms.cases.tolerance_cases`)."""


CASE_LIBRARIES = ("jieba", "phonenumbers", "python-stdnum")
"""The libraries a case's de-identification reads with (segmenter, phone and ID recognisers):
pinned in ``requirements.lock``, and an upgrade may find what the old version did not."""


def _narrow(store: Warehouse, table: str, code: str, rules: Rules, applied: str) -> str | None:
    """The fingerprint of a table of :data:`~transforms.gold.NARROW` without the date: what the
    tables it reads and its source's events hold, gold's code and the rules; None for another."""
    if table not in NARROW:
        return None
    events = store.content("silver", "supervision_event", f"source={CUT[table]}")
    return _fingerprint(code, rules.fingerprint(), versions(store, NARROW[table]), events, applied)


def _case_context(rules: Rules, cadres: pl.LazyFrame) -> str:
    """What every case's de-identification depends on beside its own row: the code that makes a
    case (:mod:`transforms.cases` and what it imports, the reading of ``deid_rules.csv``), the
    libraries it reads with, the de-identification rules, and the roster's names and units
    (removed wherever they appear). Not the other rules: what they decide of a case
    (``exclusion_id``, ``field_class``) is decided again for every case."""
    code = code_fingerprint("transforms.cases", "warehouse.deid_rules", "warehouse.rule_files")
    libraries = [f"{name}=={metadata.version(name)}" for name in CASE_LIBRARIES]
    words = cadres.select(
        pl.col("name").drop_nulls().unique().sort().implode(),
        pl.col("unit").drop_nulls().unique().sort().implode(),
    ).collect()
    roster = json.dumps([libraries, words.row(0)], ensure_ascii=False)
    return _fingerprint(code, rules.deid.fingerprint(), hashlib.sha256(roster.encode()).hexdigest())


def _earlier_cases(store: Warehouse, context: str) -> EarlierCases | None:
    """The current case library and the bronze rows it was made from, when it was made in the
    same ``context`` and the warehouse still keeps those rows' versions."""
    extra = (store.manifest("gold", "tolerance_case") or {}).get("extra", {})
    made_from = extra.get("case_sources") or {}
    if extra.get("case_context") != context:
        return None
    rows = {s: store.scan_content("bronze", s, made_from.get(s) or {}) for s in CASE_SOURCES}
    if rows["tolerance"] is None or rows["audit"] is None:
        return None
    return EarlierCases(store.scan("gold", "tolerance_case"), rows["tolerance"], rows["audit"])


CADRE_SOURCES = (("silver", "supervision_event"), ("silver", "cadre"))
"""The tables the :data:`~transforms.gold.PER_CADRE` tables' cadre digests are read from, beside
gold's own review, composite and clearance (:class:`~transforms.gold.EarlierGold`)."""


def _earlier_gold(
    store: Warehouse, frame: str, now: dict[str, dict[str, str]]
) -> EarlierGold | None:
    """The current gold tables and the silver versions they were made from, when they were made
    at the same date with the same rules and code (``frame``) and the warehouse still keeps
    those versions; ``now``: the files :data:`CADRE_SOURCES` hold now (an event partition and
    a roster whose file is the same are marked so, and not digested)."""
    extra = (store.manifest("gold", "cadre_profile") or {}).get("extra", {})
    if extra.get("gold_frame") != frame:
        return None
    made_from = extra.get("cadre_sources") or {}
    events, cadres = (
        store.scan_content(layer, n, made_from.get(n) or {}) for layer, n in CADRE_SOURCES
    )
    needed = (*PER_CADRE, "tolerance_review", "assessment_composite", "clearance")
    if events is None or cadres is None or not all(store.exists("gold", t) for t in needed):
        return None
    tables = {t: store.scan("gold", t) for t in needed}
    before, after = made_from["supervision_event"], now["supervision_event"]
    same = {
        f.split("/")[0].removeprefix("source=")
        for f, sha in after.items()
        if f.startswith("source=") and before.get(f) == sha
    }
    return EarlierGold(
        events, cadres, tables["tolerance_review"], tables["assessment_composite"],
        tables["clearance"], {t: tables[t] for t in PER_CADRE}, frozenset(same),
        made_from["cadre"] == now["cadre"],
    )  # fmt: skip


def gold_inputs(
    store: Warehouse, rules: Rules, as_of: date, decisions: Path | None = None
) -> Inputs[Silver]:
    """:func:`silver_inputs`, fingerprinted with gold's code, ``rules`` and ``as_of`` — and
    without ``as_of`` for the tables computed without it (:data:`~transforms.gold.DATELESS`),
    with their cut instead of it for those that read it as one (:data:`~transforms.gold.CUT`):
    those are kept when only the date moved on (past no event, for the latter). When the case
    library is made again, the cases of the current one whose rows did not change go with the
    frames (:attr:`~transforms.gold.Silver.earlier_cases`)."""
    checked = check_tolerance_decisions(read_tolerance_decisions(decisions))
    frames = _silver(store, checked)
    code = code_fingerprint(rules_module, *GOLD_CODE)
    applied = checked.applied.sort(checked.applied.columns).write_csv()
    read = (code, rules.fingerprint(), versions(store, GOLD_READS), applied)
    fingerprint, dateless = _fingerprint(as_of.isoformat(), *read), _fingerprint(*read)
    cut = {
        t: _fingerprint(_narrow(store, t, code, rules, applied) or dateless, t, str(d))
        for t, d in cut_dates(frames.events, as_of).items()
    }
    dated = store.carried(
        "gold", [t for t in TABLES if t not in DATELESS and t not in cut], fingerprint
    )
    kept = store.carried("gold", DATELESS, dateless) or {}
    for table, print_ in cut.items():
        kept |= store.carried("gold", [table], print_) or {}
    everything = {**(dated or {}), **kept}
    carried = {t: everything[t] for t in TABLES} if set(everything) == set(TABLES) else None
    notes: dict[str, dict[str, object]] = {}
    if carried is None and "tolerance_case" not in kept:
        context = _case_context(rules, frames.cadres)
        frames = replace(frames, earlier_cases=_earlier_cases(store, context))
        made_from = {s: (store.manifest("bronze", s) or {}).get("files") for s in CASE_SOURCES}
        notes["tolerance_case"] = {"case_context": context, "case_sources": made_from}
    if carried is None:
        frame = _fingerprint(as_of.isoformat(), code, rules.fingerprint())
        now = {n: (store.manifest(layer, n) or {}).get("files") or {} for layer, n in CADRE_SOURCES}
        frames = replace(frames, earlier_gold=_earlier_gold(store, frame, now))
        notes["cadre_profile"] = {"gold_frame": frame, "cadre_sources": now}
    return Inputs(
        frames, fingerprint, carried, checked, dateless=dateless, kept=kept, notes=notes, cut=cut
    )
