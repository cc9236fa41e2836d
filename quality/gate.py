"""The quality gate between staging a table and publishing it.

A table version is staged (written, not yet visible), then :func:`validate_staged` runs the
table's GX suite over the partitions that changed since the last published version and adds the
Polars invariants. If any ``ERROR`` check fails, the caller discards the staged version: the
previous table, and everything built from it, stays as it was. Otherwise the caller publishes and
then :func:`commit` records which partitions were validated, so that the next run validates only
what is new (a new month validates a new month).

A partition is carried over when its Parquet bytes are unchanged, the suite's expectations are the
same, and its date bound has not shrunk; its earlier ``WARN`` counts are carried with it.
"""

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from quality import suites
from quality.checks import SAMPLE_ROWS, Outcome
from quality.gx_runner import GXEngine, GXRun, combined
from quality.invariants import key_column
from quality.suites import KEY, PARTITION, Suite
from warehouse.fingerprint import code_fingerprint
from warehouse.store import StagedTable, Warehouse


@dataclass
class TableValidation:
    """What the gate found on one staged table."""

    table: str
    suite: Suite
    outcomes: list[Outcome]
    validated: list[str]
    carried: list[str]
    gx: GXRun | None
    seconds: float
    ledger: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.blocking]

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed and o.severity == "WARN"]

    def failure(self) -> str:
        lines = [f"{self.table} was not published: {len(self.blocking)} blocking check(s) failed"]
        lines += [f"  - {o.describe()}" for o in self.blocking]
        return "\n".join(lines)


def _ledger_path(store: Warehouse, table: str) -> Path:
    return store.root / ".quality" / "ledger" / f"{table.replace('/', '.')}.json"


def _read_ledger(store: Warehouse, table: str) -> dict[str, Any]:
    """The table's ledger; empty when there is none or it cannot be read (damaged on disk, edited
    by hand): its partitions are then validated and its invariants checked again, and the
    ledger written anew when the table is published."""
    path = _ledger_path(store, table)
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _partition_value(part_dir: str) -> str:
    return part_dir.split("=", 1)[1] if "=" in part_dir else part_dir


def _in_partitions(
    staged: pl.LazyFrame, suite: Suite, partitions: list[str] | None = None
) -> pl.LazyFrame:
    """The rows of ``partitions`` (all when None), with their partition in ``PARTITION``."""
    part = pl.col(suite.partition).cast(pl.String) if suite.partition else pl.lit("all")
    frame = staged.with_columns(part.fill_null("unknown").alias(PARTITION))
    if partitions is not None:
        frame = frame.filter(pl.col(PARTITION).is_in(partitions))
    return frame


PIECE_ROWS = 1_000_000
"""Rows GX validates at once. Over pandas a row costs about 0.7 KB while GX runs: the 4.8M events
of 1,000,000 cadres validated at once raised the link step's peak by 3.4 GB (measured)."""


def pieces(partitions: list[str], rows: dict[str, int], limit: int) -> list[list[str]]:
    """``partitions`` in order, gathered into pieces of at most ``limit`` rows; a partition is
    not split here, so one larger than ``limit`` is a piece of its own (:func:`validation_frames`
    cuts it by key)."""
    out: list[list[str]] = []
    size = 0
    for p in partitions:
        n = rows.get(p, 0)
        if not out or size + n > limit:
            out.append([])
            size = 0
        out[-1].append(p)
        size += n
    return out


def validation_frames(
    staged: pl.LazyFrame, suite: Suite, changed: list[str], rows: dict[str, int], limit: int
) -> Iterator[pl.DataFrame]:
    """What GX validates, one frame at a time: the ``changed`` partitions in :func:`pieces`; a
    partition of more than ``limit`` rows (a piece of its own) sorted by key and cut where the
    key changes, so that a key's rows stay in one frame (GX checks a key once per partition).
    The events of 1,000,000 cadres hold 4,002,250 assessment rows in one partition."""
    for piece in pieces(changed, rows, limit):
        frame = validation_frame(staged, suite, piece).collect()
        if frame.height <= limit:
            yield frame
            continue
        frame = frame.sort(KEY)
        keys = frame.get_column(KEY)
        start = 0
        while start < frame.height:
            end = min(start + limit, frame.height)
            if end < frame.height:  # after the last row of the key the cut would fall in
                end = int(keys.search_sorted(keys[end - 1], side="right"))
            yield frame.slice(start, end - start)
            start = end


def validation_frame(
    staged: pl.LazyFrame, suite: Suite, partitions: list[str] | None = None
) -> pl.LazyFrame:
    """The rows GX sees: the suite's columns, the record key and the partition, nothing else."""
    frame = _in_partitions(staged, suite, partitions)
    return frame.with_columns(key_column(suite.key)).select(*suite.columns(), KEY, PARTITION)


def validate_staged(
    store: Warehouse,
    staged: StagedTable,
    as_of: date,
    engine: Callable[[], GXEngine],
    invariants: list[Outcome] | None = None,
    piece_rows: int = PIECE_ROWS,
) -> TableValidation:
    """Run the table's suite on its changed partitions, add ``invariants``, say what blocks.

    GX sees the changed partitions in frames of about ``piece_rows`` rows
    (:func:`validation_frames`), one after the other, and their results are added up
    (:func:`~quality.gx_runner.combined`).

    ``engine`` gives the GX engine when a partition needs validating: a table whose partitions
    are all carried over never builds GX's context (nor imports GX)."""
    start = time.perf_counter()
    table = f"{staged.layer}/{staged.name}"
    suite = suites.suite_for(table, as_of)
    bound = suite.as_of.isoformat() if suite.as_of else ""
    structure = suites.structure(table)
    earlier = _read_ledger(store, table)
    reusable = earlier.get("structure") == structure and earlier.get("bound", "") <= bound
    known = earlier.get("partitions", {}) if reusable else {}
    digests = {_partition_value(p): d for p, d in staged.digests.items()}
    changed = sorted(p for p, d in digests.items() if known.get(p, {}).get("digest") != d)
    carried = sorted(p for p in digests if p not in changed)

    rows = {_partition_value(p): n for p, n in staged.partitions.items()}
    gx_run = None
    if changed and staged.rows and suite.expectations:
        frames = validation_frames(staged.scan(), suite, changed, rows, piece_rows)
        runs = [engine().validate(suite, frame) for frame in frames]
        gx_run = combined(runs, engine().sample_size)
        sample_rows(_in_partitions(staged.scan(), suite, changed), suite, gx_run.outcomes)
    outcomes = _merge(suite, gx_run, {p: known[p] for p in carried})
    outcomes += invariants or []
    partitions = {
        p: {
            "digest": digests[p],
            "rows": rows.get(p, 0),
            "warn": _warn_counts(gx_run, p) if p in changed else known[p].get("warn", {}),
        }
        for p in digests
    }
    ledger = {"structure": structure, "bound": bound, "partitions": partitions,
              "invariants": [asdict(o) for o in invariants or []], "checks": checks_version()}  # fmt: skip
    return TableValidation(
        table, suite, outcomes, changed, carried, gx_run, time.perf_counter() - start, ledger
    )


CHECKS_CODE = ("quality.checks", "quality.invariants", "quality.gold_checks")
"""The modules the invariants are computed by: what they found is shown again only while these
are the code that found it (a layer's code version does not cover them)."""


@functools.cache
def checks_version() -> str:
    """The fingerprint of :data:`CHECKS_CODE` (and the pure modules they import)."""
    return code_fingerprint(*CHECKS_CODE)


def carried_invariants(store: Warehouse, staged: StagedTable) -> list[Outcome] | None:
    """What the invariants found on a version carried over unchanged (its inputs' fingerprint is
    the one it was computed from), as the ledger recorded when that version was published; None
    when the ledger is of another version, predates this record, or was made by other check
    code (:data:`CHECKS_CODE`)."""
    earlier = _read_ledger(store, f"{staged.layer}/{staged.name}")
    digests = {_partition_value(p): d for p, d in staged.digests.items()}
    recorded = {p: r.get("digest") for p, r in earlier.get("partitions", {}).items()}
    if recorded != digests or "invariants" not in earlier:
        return None
    if earlier.get("checks") != checks_version():
        return None
    return [Outcome(**o) for o in earlier["invariants"]]


def _warn_counts(gx_run: GXRun | None, partition: str) -> dict[str, int]:
    if gx_run is None:
        return {}
    return {
        o.check: o.partitions[partition]
        for o in gx_run.outcomes
        if o.severity == "WARN" and partition in o.partitions
    }


def _merge(suite: Suite, gx_run: GXRun | None, carried: dict[str, Any]) -> list[Outcome]:
    """Outcomes of this run's validation plus what carried partitions showed when they were
    validated: their rows (as checked earlier) and their WARN counts."""
    now = {o.check: o for o in gx_run.outcomes} if gx_run else {}
    out = []
    for e in suite.expectations:
        o = now.get(e.id) or Outcome(
            e.id, suite.table, "expectation", e.severity, True, 0, why=e.why, detail=e.gx
        )
        for part, record in carried.items():
            o.checked_earlier += int(record.get("rows", 0))
            o.checked += int(record.get("rows", 0))
            n = int(record.get("warn", {}).get(e.id, 0))
            if n:
                o.carried += n
                o.failed += n
                o.partitions[part] = o.partitions.get(part, 0) + n
                o.passed = False
        out.append(o)
    return out


def commit(store: Warehouse, validation: TableValidation) -> None:
    """Record the partitions of a published table as validated (after :meth:`Warehouse.publish`)."""
    path = _ledger_path(store, validation.table)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(validation.ledger, ensure_ascii=False, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _protected_fields() -> frozenset[str]:
    """Reporter fields of every source (dropped at extraction; never shown, even if present)."""
    from transforms.specs import SPECS

    return frozenset(f for spec in SPECS.values() for f in spec.protected)


def sample_rows(
    frame: pl.LazyFrame, suite: suites.Suite, outcomes: list[Outcome], limit: int = SAMPLE_ROWS
) -> None:
    """Fill ``rows`` of each failed expectation on one column or a pair of columns: up to
    ``limit`` rows of ``frame`` (the partitions just validated) whose value (``a / b`` for a
    pair, as GX samples it) is one of the offending values GX sampled, or empty for a check that
    a value is present — as source file, row, field and value, so that an auditor can open the
    file at the row. A protected field is never looked up or shown."""
    names = set(frame.collect_schema().names())
    if not {"_source_file", "_source_row"} <= names:
        return
    protected = _protected_fields()
    by_id = suite.by_id()
    for o in outcomes:
        e = by_id.get(o.check)
        columns = [e.kwargs[k] for k in ("column", "column_A", "column_B") if e and e.kwargs.get(k)]
        if o.passed or e is None or not columns or not set(columns) <= names:
            continue
        if set(columns) & protected:
            continue
        value = pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=" / ")
        values = [v for v in o.sample if v != "∅"]
        nulls = "null" in e.gx.lower() or not values
        wanted = pl.col(columns[0]).is_null() if nulls else value.is_in(values)
        if e.condition is not None and e.condition[0] in names:
            wanted = wanted & (pl.col(e.condition[0]).cast(pl.String) == e.condition[1])
        found = (
            frame.filter(wanted)
            .select(
                pl.col("_source_file").cast(pl.String).str.split("/").list.last().alias("file"),
                pl.col("_source_row").cast(pl.String).alias("row"),
                value.alias("value"),
            )
            .head(limit)
            .collect()
        )
        o.rows = [
            {"file": f or "", "row": r or "", "field": " / ".join(columns), "value": v or "∅"}
            for f, r, v in found.iter_rows()
        ]
