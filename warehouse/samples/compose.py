"""``generate()``: every source made, damaged and written in one fixed order, then the truth.

The order is part of the output: all sources draw from one random stream seeded by ``seed``, so
a source moved or a draw added changes every byte after it. The planted identifiers draw from
streams of their own (``[seed, 12]``, ``[seed, 13]``), so planting changes only the text it
writes into.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np

from warehouse.samples.assessments import assessments, write_assessments
from warehouse.samples.audits import audits, write_audits
from warehouse.samples.careers import careers
from warehouse.samples.inspections import inspections, write_inspections
from warehouse.samples.local import patch_roster, records, reshape, units
from warehouse.samples.petitions import petitions, write_petitions
from warehouse.samples.phenomena import phenomena
from warehouse.samples.post_history import write_post_history
from warehouse.samples.practices import followed_sanctions, plant_assessments
from warehouse.samples.profiles import PROFILES
from warehouse.samples.roster import roster, write_roster
from warehouse.samples.sanctions import sanctions, write_sanctions
from warehouse.samples.tolerance import tolerance, write_tolerance
from warehouse.samples.tolerated import tolerated_measures
from warehouse.samples.truth import Sink

SOURCES_YAML = """\
# Where each upstream export is found (paths relative to this file; ${VAR} reads the environment).
roster:      {sql: "sqlite:///inbox/roster.db", table: cadre_roster}
post_history: {sql: "sqlite:///inbox/roster.db", table: cadre_post_history}
petitions:   {sql: "sqlite:///inbox/petition.db", table: petition}
inspections: {files: "inbox/inspections/*.xlsx"}
audits:      {files: "inbox/audits/*.csv"}
assessments: {files: "inbox/assessments/*.jsonl"}
sanctions:   {files: "inbox/sanctions/*.csv"}
tolerance:   {files: "inbox/tolerance/*.xlsx"}
"""

_FOLDERS = ("inspections", "audits", "assessments", "sanctions", "tolerance")


def _empty_inbox(inbox: Path) -> None:
    """Create the file sources' folders, removing what an earlier run left in them."""
    for sub in _FOLDERS:
        (inbox / sub).mkdir(parents=True, exist_ok=True)
        for old in (inbox / sub).iterdir():
            old.unlink()


def generate(
    out: str | Path,
    cadres: int = 2000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    profile: str = "default",
    tolerance_family: str = "default",
    practices: bool = False,
) -> Path:
    """Write sample exports of all seven sources, ``sources.yaml`` and the truth into ``out``.

    Args:
        out: the folder; its ``inbox/`` folders are emptied first.
        cadres: how many cadres the roster holds; every other source scales with it.
        seed: the same seed gives the same files.
        progress: called with one line per source written.
        profile: the region profile (:data:`~warehouse.samples.profiles.PROFILES`): ``default``,
            the generator's first province, byte for byte as it always was; ``prefecture`` or
            ``autonomous`` (see :mod:`warehouse.samples.profiles`).
        tolerance_family: ``default``, or ``paraphrase``: 容错 decisions tell the matter of the
            measure they review in other words (``tolerance.py``; only that source changes).
        practices: plant what issue #24's practices need (quarterly 督查 scores, ties at the
            bottom, 优秀 streaks, measures ending in 2026: :mod:`warehouse.samples.practices`),
            with ``truth/practices.csv``; off, the default writes the bytes it always wrote.

    Returns:
        The path of ``sources.yaml``.

    Raises:
        ValueError: an unknown profile.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    say = progress or (lambda _m: None)
    rng = np.random.default_rng(seed)
    root = Path(out)
    _empty_inbox(root / "inbox")
    chosen = PROFILES[profile]
    geo = None if chosen is None else chosen.geography(cadres)
    sink = Sink(geo)
    rows, people = roster(rng, cadres, geo)
    if geo is None:
        sink.careers = careers(np.random.default_rng([seed, 21]), people)
    else:
        stream = np.random.default_rng([seed, 21])
        sink.careers = careers(stream, people, units(geo))
        reshape(stream, geo, people, sink.careers)
        patch_roster(rows, people, sink.careers)
    write_roster(root, rows, sink)
    write_post_history(root, sink.careers, people, seed, sink)
    say(f"roster: {len(rows):,} cadres")
    rows = petitions(rng, people, sink) + phenomena(np.random.default_rng([seed, 23]), people, sink)
    if geo is not None:
        rows += records(np.random.default_rng([seed, 26]), people, sink)
    write_petitions(root, rows, sink, plant=np.random.default_rng([seed, 12]))
    say(f"petitions: {len(rows):,} rows")
    rounds = inspections(rng, people, sink, late=np.random.default_rng([seed, 24]))
    write_inspections(root, rounds, sink)
    findings = sum(len(r) for r in rounds.values())
    say(f"inspections: {findings:,} findings in {len(rounds)} workbooks")
    write_audits(root, audits(rng, people, sink), sink)
    say("audits: written (GB18030 CSV)")
    frame = assessments(rng, people)
    if practices:
        frame = plant_assessments(np.random.default_rng([seed, 27]), people, frame, sink)
    write_assessments(root, frame, sink)
    say(f"assessments: {frame.height:,} rows (JSONL)")
    rows = sanctions(rng, people, sink)
    paraphrase = np.random.default_rng([seed, 26]) if tolerance_family == "paraphrase" else None
    cases = tolerance(rng, people, sink, paraphrase=paraphrase)
    reviewed = tolerated_measures(np.random.default_rng([seed, 25]), cases, people, sink)
    if practices:
        reviewed += followed_sanctions(np.random.default_rng([seed, 28]), people, sink)
    write_sanctions(root, rows, sink, extra=reviewed)
    say(f"sanctions: {len(rows) + len(reviewed):,} rows (CSV, three encodings)")
    write_tolerance(root, cases, sink, plant=np.random.default_rng([seed, 13]))
    say(f"tolerance: {len(cases):,} decisions")
    sink.write(root / "truth")
    sources = root / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    return sources
