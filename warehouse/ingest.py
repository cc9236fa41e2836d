"""Bronze inputs and staging: what a source's bronze is computed from, read with its version;
the computed tables staged with the proof that every row read is in one of them.

The asset calls :func:`read_bronze_inputs` (nothing is read when the source's inputs are those
of its current bronze), :func:`transforms.bronze.bronze_tables` (pure) and :func:`stage_bronze`,
passes the staged tables through the quality gate, and turns the :class:`IngestReport` into
materialisation metadata. Files unchanged since the last run keep their rows; a SQL source is
read from its ``更新时间`` watermark. :func:`ingest` does the three steps and publishes without a
gate (for tests and tools).
"""

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from transforms import bronze as bronze_transform
from transforms import cleaning, deid, normalize, recognisers, reporter_mask, specs
from transforms.bronze import BronzeFrames, BronzeTables, EarlierBronze, bronze_tables
from transforms.cleaning import PARTITION, annotate, bronze_rows
from transforms.deid import DeidRules
from transforms.specs import SPECS, SourceSpec
from warehouse.clock import today
from warehouse.fingerprint import code_fingerprint
from warehouse.readers import FileRead, empty_rows, file_load_id, read_source
from warehouse.source_version import source_version
from warehouse.sources import SourceConfig, SourceError
from warehouse.store import StagedTable, Warehouse


class ConservationError(Exception):
    """Rows read from a file do not equal the rows landed plus the rows quarantined."""


@dataclass
class IngestReport:
    """What one ingest did, per file and in total."""

    source: str
    configured: bool
    files: list[FileRead]
    landed_by_file: dict[str, int]
    quarantined_by_file: dict[str, int]
    partitions: dict[str, int]
    reasons: Counter[str] = field(default_factory=Counter)
    flags: dict[str, int] = field(default_factory=dict)
    bronze_version: str = ""
    seconds: float = 0.0
    reused_files: int = 0
    text_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per field, values the readers' boundary normalisation changed (counts, never values)."""
    skipped_files: dict[str, str] = field(default_factory=dict)
    """Files the glob matched that are no export (lock and hidden files), and why."""

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def landed(self) -> int:
        return sum(self.landed_by_file.values())

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_file.values())

    def conservation(self) -> list[tuple[str, int, int, int]]:
        """Per file: (file, read, landed, quarantined)."""
        return [
            (
                f.file,
                f.rows,
                self.landed_by_file.get(f.file, 0),
                self.quarantined_by_file.get(f.file, 0),
            )
            for f in self.files
        ]

    def conserved(self) -> bool:
        known = {f.file for f in self.files}
        strays = (set(self.landed_by_file) | set(self.quarantined_by_file)) - known
        return not strays and all(
            read == landed + quar for _, read, landed, quar in self.conservation()
        )


def _counts_by_file(staged: StagedTable) -> dict[str, int]:
    counts = staged.scan().group_by("_source_file").len().collect()
    return dict(zip(counts["_source_file"].to_list(), counts["len"].to_list(), strict=True))


def cleaning_modules(spec: SourceSpec) -> tuple[ModuleType, ...]:
    """The code the landed rows of a source depend on (masking code too for reporter fields)."""
    masking = (deid, recognisers, reporter_mask) if spec.protected else ()
    return (normalize, cleaning, bronze_transform, specs, *masking)


def cleaning_fingerprint(spec: SourceSpec) -> str:
    """What the landed rows of a file depend on besides its bytes: the spec and the code."""
    return code_fingerprint(*cleaning_modules(spec), extra=repr(spec))


def _reusable(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    fingerprint: str,
    as_of: date,
) -> tuple[list[FileRead], frozenset[Path]]:
    """Files whose bytes (and cleaning code) are unchanged since the table was last written.

    Files with rows quarantined as a date after the as-of date or as a copy of another row are
    read again (their verdict may change), and nothing is carried over into a run dated before
    the last one (a landed date may now lie after it)."""
    if config is None or config.kind != "files":
        return [], frozenset()
    manifest = store.manifest("bronze", spec.name)
    if not manifest or manifest.get("extra", {}).get("cleaning") != fingerprint:
        return [], frozenset()
    if manifest["extra"].get("as_of", "") > as_of.isoformat():
        return [], frozenset()
    known = {f["file"]: f for f in manifest["extra"].get("files", [])}
    recheck = set(manifest["extra"].get("recheck", []))
    reused, skip = [], set()
    for path in config.files():
        prior = known.get(config.lineage_path(path))
        if prior and prior["file"] not in recheck and prior["load_id"] == file_load_id(path):
            reused.append(FileRead(**prior))
            skip.add(path)
    return reused, frozenset(skip)


def _previous_rows(
    spec: SourceSpec, store: Warehouse, files: list[str], layer: str
) -> pl.DataFrame | None:
    """The rows of ``files`` in the current version of ``layer/<source>`` (its partition column
    as ``_partition``; null in quarantine), or None when there are none to carry."""
    if not files:
        return None
    return (
        _scan_partitioned(store, layer, spec.name)
        .filter(pl.col("_source_file").is_in(files))
        .collect()
    )


def _scan_partitioned(store: Warehouse, layer: str, name: str) -> pl.LazyFrame:
    """The current version of ``layer/name`` with its partition column as ``_partition`` (the
    Hive key it is stored under renamed; null where the table has none)."""
    frame = store.scan(layer, name)
    key = (store.manifest(layer, name) or {}).get("partition_key")
    if key and key in frame.collect_schema().names():
        frame = frame.rename({key: PARTITION})
    if PARTITION not in frame.collect_schema().names():
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(PARTITION))
    return frame


@dataclass(frozen=True)
class BronzeInputs:
    """What one source's bronze is computed from, read by the warehouse, with its version.

    ``version`` is the fingerprint of the inputs: the source's data version
    (:func:`warehouse.source_version.source_version`), the cleaning code and spec, the masking
    rules, and the as-of date where it matters. ``unchanged``: it equals the version the current
    bronze table was made from, and nothing was read — the asset does no work. ``frames``: what
    :func:`transforms.bronze.bronze_tables` computes from.
    """

    spec: SourceSpec
    configured: bool
    version: str
    unchanged: bool
    frames: BronzeFrames
    files: tuple[FileRead, ...] = ()
    reused_files: int = 0
    text_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    """What the bronze manifest keeps: fingerprints, files, as-of, a SQL source's watermark."""


@dataclass
class StagedIngest:
    """A source's bronze and quarantine (and a SQL source's extract), written, not published."""

    report: IngestReport
    bronze: StagedTable
    quarantine: StagedTable
    extract: StagedTable | None = None

    @property
    def companions(self) -> list[StagedTable]:
        """The tables published or discarded with bronze."""
        return [self.quarantine, *([self.extract] if self.extract else [])]

    def publish(self, store: Warehouse) -> None:
        store.publish(self.bronze)
        for table in self.companions:
            store.publish(table)


def ingest(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    log: Callable[[str], None] = lambda _m: None,
    deid_rules: DeidRules | None = None,
    as_of: date | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Land one source and publish it at once (no quality gate): see :func:`stage_ingest`."""
    staged = stage_ingest(spec, config, store, log, deid_rules, as_of, full_refresh)
    staged.publish(store)
    return staged.report


def stage_ingest(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    log: Callable[[str], None] = lambda _m: None,
    deid_rules: DeidRules | None = None,
    as_of: date | None = None,
    full_refresh: bool = False,
) -> StagedIngest:
    """Read (:func:`read_bronze_inputs`), compute (:func:`transforms.bronze.bronze_tables`) and
    stage (:func:`stage_bronze`) one source, even when its inputs are unchanged (for tools)."""
    inputs = read_bronze_inputs(
        spec, config, store, log, deid_rules, as_of, skip_unchanged=False, full_refresh=full_refresh
    )
    return stage_bronze(store, inputs, bronze_tables(inputs.frames, spec), log)


def _masking_fingerprint(spec: SourceSpec, deid_rules: DeidRules | None) -> str:
    fingerprint = cleaning_fingerprint(spec)
    if spec.protected and deid_rules is not None:  # a deployment's own masking rules
        fingerprint = hashlib.sha256((fingerprint + deid_rules.fingerprint()).encode()).hexdigest()
    return fingerprint[:16]


def _unchanged(manifest: dict[str, Any] | None, version: str, as_of: date) -> bool:
    """The current bronze was made from these inputs, and a run at ``as_of`` would land the same
    rows: the same date, or a later one where no row was held for a date after the earlier."""
    extra = (manifest or {}).get("extra", {})
    if extra.get("inputs") != version:
        return False
    before = extra.get("as_of", "")
    return before == as_of.isoformat() or (
        before < as_of.isoformat() and not extra.get("dated_after_as_of", True)
    )


def _sql_plan(
    config: SourceConfig, manifest: dict[str, Any] | None, store: Warehouse, fingerprint: str,
    full_refresh: bool, today: date,
) -> str | None:  # fmt: skip
    """The watermark to read a SQL source from, or None for a full read: the first read, a new
    cleaning or masking code, ``--full-refresh``, or the last full read ``full_refresh_days`` old."""
    extra = (manifest or {}).get("extra", {})
    sql = extra.get("sql") or {}
    if full_refresh or extra.get("cleaning") != fingerprint or not sql.get("watermark"):
        return None
    if not store.exists("extract", config.name):
        return None
    last_full = date.fromisoformat(sql.get("full_read_on", "1970-01-01"))
    if (today - last_full).days >= config.full_refresh_days:
        return None
    return str(sql["watermark"])


def _sql_due(config: SourceConfig, manifest: dict[str, Any] | None, store: Warehouse) -> bool:
    """A SQL source must be read though its data version (row count, latest ``更新时间``) is
    unchanged: its full read is due, or it holds rows stamped after the last read (the latest
    stamp then hides a change to another row). Rows with an empty ``更新时间`` are read by every
    run that reads the source, and by the full reads."""
    extra = (manifest or {}).get("extra", {})
    plan = _sql_plan(config, manifest, store, str(extra.get("cleaning")), False, today())
    return plan is None or bool((extra.get("sql") or {}).get("future", True))


def _data_version(config: SourceConfig | None) -> str:
    """The source's data version; "unknown" where it cannot be observed (the read that follows
    then fails with the reader's own message, naming the source and the problem)."""
    if config is None:
        return "none"
    try:
        return source_version(config)[0]
    except SourceError:
        return "unknown"


def read_bronze_inputs(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    log: Callable[[str], None] = lambda _m: None,
    deid_rules: DeidRules | None = None,
    as_of: date | None = None,
    skip_unchanged: bool = True,
    full_refresh: bool = False,
) -> BronzeInputs:
    """Read what one source's bronze depends on, or nothing when it is unchanged.

    Files: a file whose bytes (and cleaning code) are unchanged since the last run is not parsed
    again: its landed and quarantined rows are carried over. SQL: only the rows changed since
    the last good ``更新时间`` watermark are read and merged into the rows extracted before (the
    latest version of a key wins, :func:`transforms.bronze.merge_versions`); a full read
    (``full_refresh``, the first, or every ``full_refresh_days``) reconciles deletions. Rows
    whose ``更新时间`` is empty or after the read's time are read on every run. ``deid_rules``
    mask reporters at extraction (the shipped rules when None). ``as_of``: the run's date
    (today when None).

    Raises:
        SourceError: the source cannot be read (names the source, file or table, and problem).
    """
    as_of = as_of or today()
    fingerprint = _masking_fingerprint(spec, deid_rules)
    manifest = store.manifest("bronze", spec.name)
    data_version = _data_version(config)
    version = hashlib.sha256(f"{data_version}\t{fingerprint}".encode()).hexdigest()[:16]
    sql_due = config is not None and config.kind == "sql" and _sql_due(config, manifest, store)
    known = data_version != "unknown"
    if (
        skip_unchanged
        and known
        and not full_refresh
        and not sql_due
        and _unchanged(manifest, version, as_of)
    ):
        log(f"{spec.name}: unchanged since the last run (inputs {version}): nothing to do")
        nothing = BronzeFrames(empty_rows(spec), pl.DataFrame(), as_of)
        return BronzeInputs(spec, config is not None, version, True, nothing)
    extra: dict[str, object] = {
        "cleaning": fingerprint,
        "inputs": version,
        "as_of": as_of.isoformat(),
    }
    if config is None:
        log(f"{spec.name}: not named in sources.yaml — no data yet")
        nothing = BronzeFrames(empty_rows(spec), pl.DataFrame(), as_of)
        return BronzeInputs(spec, False, version, False, nothing, extra=extra | {"files": []})
    if config.kind == "sql":
        inputs = _read_sql_inputs(
            spec, config, store, log, deid_rules, manifest, extra, full_refresh
        )
        if skip_unchanged and _same_full_read(manifest, inputs, as_of):
            log(f"{spec.name}: read in full, the same rows as the last run: nothing more to do")
            return BronzeInputs(spec, True, version, True, inputs.frames)
        return inputs
    reused, skip = _reusable(spec, config, store, fingerprint, as_of)
    batch = read_source(config, spec, skip=skip, deid=deid_rules)
    log(
        f"{spec.name}: read {batch.rows_read:,} rows from {len(batch.files)} file(s) of {config.display}"
    )
    if reused:
        log(
            f"{spec.name}: {len(reused)} file(s) unchanged since the last run, their rows carried over"
        )
    carried = [f.file for f in reused]
    files = tuple(sorted([*batch.files, *reused], key=lambda f: f.file))
    frames = BronzeFrames(batch.rows, batch.rejects, as_of,
                          _previous_rows(spec, store, carried, "bronze"),
                          _previous_rows(spec, store, carried, "quarantine"))  # fmt: skip
    return BronzeInputs(
        spec, True, version, False, frames,
        files, len(reused), batch.text_counts, batch.skipped_files,
        extra | {"files": [asdict(f) for f in files]},
    )  # fmt: skip


def _same_full_read(manifest: dict[str, Any] | None, inputs: BronzeInputs, as_of: date) -> bool:
    """A SQL table without ``更新时间`` (read in full on every run) gave exactly the rows (the
    read's digest) the current bronze was made from, with the same code and rules."""
    before: dict[str, Any] = ((manifest or {}).get("extra", {}).get("sql")) or {}
    read = inputs.extra.get("sql")
    if not isinstance(read, dict) or before.get("watermark") or read.get("since"):
        return False
    same = before.get("read") is not None and read.get("read") == before.get("read")
    return same and _unchanged(manifest, inputs.version, as_of)


def _earlier_bronze(
    spec: SourceSpec, store: Warehouse, manifest: dict[str, Any] | None, cleaning: str
) -> EarlierBronze | None:
    """A SQL source's extract and bronze as the last run left them, when they were made by the
    same cleaning and masking code (``cleaning``); else None."""
    extra = (manifest or {}).get("extra", {})
    if extra.get("cleaning") != cleaning or not extra.get("as_of"):
        return None
    if not (store.exists("extract", spec.name) and store.exists("bronze", spec.name)):
        return None
    as_of = date.fromisoformat(str(extra["as_of"]))
    bronze = _scan_partitioned(store, "bronze", spec.name)
    return EarlierBronze(store.scan("extract", spec.name), bronze, as_of)


def _read_sql_inputs(
    spec: SourceSpec, config: SourceConfig, store: Warehouse, log: Callable[[str], None],
    deid_rules: DeidRules | None, manifest: dict[str, Any] | None, extra: dict[str, object],
    full_refresh: bool,
) -> BronzeInputs:  # fmt: skip
    now, day = datetime.now(), today()  # an instant (the 更新时间 watermark); the clock's day
    watermark = _sql_plan(config, manifest, store, str(extra["cleaning"]), full_refresh, day)
    since_text = now.strftime("%Y-%m-%d %H:%M:%S")
    since = (watermark, since_text) if watermark else None
    batch = read_source(config, spec, deid=deid_rules, since=since)
    previous = (manifest or {}).get("extra", {}).get("sql") or {}
    if since is None:
        log(f"{spec.name}: full read, {batch.rows_read:,} rows of {config.display}")
        state, full_read_on = batch.rows.clear(), day.isoformat()
    else:
        state = store.scan("extract", spec.name).collect()
        log(f"{spec.name}: {batch.rows_read:,} row(s) changed since {watermark} read from "
            f"{config.display}")  # fmt: skip
        full_read_on = str(previous.get("full_read_on"))
    sql = {"since": watermark, "full_read_on": full_read_on, "read": batch.files[0].load_id,
           "changed_rows": batch.rows_read if since else None}  # fmt: skip
    as_of = date.fromisoformat(str(extra["as_of"]))
    frames = BronzeFrames(batch.rows, batch.rejects, as_of, state=state, read_at=now,
                          earlier=None if full_refresh else _earlier_bronze(
                              spec, store, manifest, str(extra["cleaning"])))  # fmt: skip
    return BronzeInputs(spec, True, str(extra["inputs"]), False, frames, tuple(batch.files), 0,
                        batch.text_counts, batch.skipped_files, extra | {"sql": sql})  # fmt: skip


def stage_bronze(
    store: Warehouse,
    inputs: BronzeInputs,
    tables: BronzeTables,
    log: Callable[[str], None] = lambda _m: None,
) -> StagedIngest:
    """Stage bronze, quarantine (and a SQL source's extract) and prove conservation: the per-file
    row counts read back from the staged Parquet must add up to the rows read, or every staged
    table is discarded and :class:`ConservationError` is raised. The caller publishes (after the
    quality gate)."""
    start, spec = time.perf_counter(), inputs.spec
    extra = inputs.extra | {
        "recheck": tables.recheck,
        "dated_after_as_of": tables.dated_after_as_of,
    }
    files = list(inputs.files)
    if tables.extract is not None:  # a SQL read: the table's rows are the merged state
        files = [FileRead(f.file, f.load_id, tables.extract.height) for f in files]
        read = dict(inputs.extra.get("sql") or {})  # type: ignore[call-overload]
        since = read.pop("since", None)
        high = max(filter(None, [since, tables.watermark]), default=None)
        extra |= {"files": [asdict(f) for f in files],
                  "sql": read | {"watermark": high, "future": tables.future}}  # fmt: skip
    key = spec.partition[1] if spec.partition else "part"
    staged_bronze = store.stage(
        "bronze", spec.name, tables.bronze, PARTITION if spec.partition else None, key, extra
    )
    staged_quarantine = store.stage("quarantine", spec.name, tables.quarantine.drop(PARTITION))
    staged_extract = (
        store.stage("extract", spec.name, tables.extract) if tables.extract is not None else None
    )
    report = IngestReport(
        source=spec.name,
        configured=inputs.configured,
        files=files,
        landed_by_file=_counts_by_file(staged_bronze),
        quarantined_by_file=_counts_by_file(staged_quarantine),
        partitions=staged_bronze.partitions,
        reasons=Counter(r["rule"] for rs in tables.quarantine["reasons"].to_list() for r in rs),
        bronze_version=staged_bronze.path.name,
        flags={
            **tables.flags,
            **encoding_flags(files),
            **boundary_flags(inputs.text_counts, inputs.skipped_files),
        },
        reused_files=inputs.reused_files,
        text_counts=inputs.text_counts,
        skipped_files=inputs.skipped_files,
    )
    if not report.conserved():
        for staged in (staged_bronze, staged_quarantine, staged_extract):
            if staged is not None:
                store.discard(staged)
        lost = [row for row in report.conservation() if row[1] != row[2] + row[3]]
        raise ConservationError(
            f"source {spec.name}: rows lost or invented, nothing published: {lost[:5]}"
        )
    report.seconds = time.perf_counter() - start
    log(
        f"{spec.name}: landed {report.landed:,}, quarantined {report.quarantined:,} "
        f"in {len(report.partitions)} partition(s), {report.seconds:.1f} s"
    )
    return StagedIngest(report, staged_bronze, staged_quarantine, staged_extract)


def encoding_flags(files: list[FileRead]) -> dict[str, int]:
    """Files that mixed encodings (UTF-8 lines inside a GB18030 export, each read in its own),
    and files read as UTF-16 or UTF-32."""
    mixed = {
        f"{f.file}: lines in UTF-8 inside a GB18030 file (each read in its own encoding)": int(
            f.encoding.rsplit(":", 1)[1]
        )
        for f in files
        if f.encoding and f.encoding.startswith("gb18030+utf-8:")
    }
    wide = {
        f"{f.file}: read as {f.encoding.upper()}": 1
        for f in files
        if f.encoding and f.encoding.startswith(("utf-16", "utf-32"))
    }
    return mixed | wide


BOUNDARY_TEXT = {
    "invisible": "invisible characters removed (zero-width, BOM, bidi, control)",
    "folded": "full-width or other-script digits and compatibility forms made standard (NFKC)",
}


def boundary_flags(counts: dict[str, dict[str, int]], skipped: dict[str, str]) -> dict[str, int]:
    """What the readers' boundary normalisation changed, per field (values, never the text), and
    the files the glob matched that are no export."""
    out = {
        f"{field}: {BOUNDARY_TEXT[kind]}": n
        for field, kinds in counts.items()
        for kind, n in kinds.items()
    }
    return out | {f"{file}: {why}": 1 for file, why in skipped.items()}


def empty_bronze(source: str) -> pl.LazyFrame:
    """The bronze table of a source that has no rows yet: every typed column, no row."""
    spec = SPECS[source]
    return bronze_rows(annotate(empty_rows(spec).lazy(), spec), spec).drop(PARTITION)


def scan_bronze(store: Warehouse, source: str) -> pl.LazyFrame:
    """A source's published bronze table, or :func:`empty_bronze` where it was never published
    (an optional source such as S8 that a deployment does not have)."""
    return store.scan("bronze", source) if store.exists("bronze", source) else empty_bronze(source)
