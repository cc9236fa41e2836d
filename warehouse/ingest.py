"""Ingest one source into bronze and quarantine: read, clean, stage, prove conservation.

The storage side of the bronze assets (no Dagster): which files are unchanged since the last run
and can keep their rows, reading the rest, cleaning them (:mod:`transforms.cleaning`, pure),
staging bronze and quarantine, and checking that every row read is in one of them. The asset
calls :func:`stage_ingest`, passes the staged tables through the quality gate, and turns the
:class:`IngestReport` into materialisation metadata; :func:`ingest` publishes without a gate
(for tests and tools).
"""

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType

import polars as pl

from transforms import cleaning, deid, normalize, recognisers, reporter_mask, specs
from transforms.cleaning import (
    DUPLICATE_RULE,
    LINEAGE,
    PARTITION,
    annotate,
    bronze_rows,
    flag_counts,
    quarantine_rows,
    reason,
    split_duplicates,
)
from transforms.deid import DeidRules
from transforms.specs import SPECS, SourceSpec
from warehouse.fingerprint import code_fingerprint
from warehouse.readers import FileRead, RawBatch, empty_rows, file_load_id, read_source
from warehouse.sources import SourceConfig
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


def _reader_rejects(batch: RawBatch, spec: SourceSpec) -> pl.DataFrame:
    why = reason(pl.col("rule"), None, pl.lit(None), pl.col("reason"))
    return batch.rejects.select(
        pl.lit(spec.name).alias("source"),
        *LINEAGE,
        "reason",
        pl.concat_list(why).alias("reasons"),
        "raw",
        pl.lit(None, dtype=pl.String).alias(PARTITION),
    )


def _counts_by_file(staged: StagedTable) -> dict[str, int]:
    counts = staged.scan().group_by("_source_file").len().collect()
    return dict(zip(counts["_source_file"].to_list(), counts["len"].to_list(), strict=True))


def cleaning_modules(spec: SourceSpec) -> tuple[ModuleType, ...]:
    """The code the landed rows of a source depend on (masking code too for reporter fields)."""
    masking = (deid, recognisers, reporter_mask) if spec.protected else ()
    return (normalize, cleaning, specs, *masking)


def cleaning_fingerprint(spec: SourceSpec) -> str:
    """What the landed rows of a file depend on besides its bytes: the spec and the code."""
    return code_fingerprint(*cleaning_modules(spec), extra=repr(spec))


_RECHECK = (".plausible_date", DUPLICATE_RULE)
"""Quarantine rules whose verdict depends on more than the file's bytes: the as-of date, and the
other files (the first copy of a row may be in one that changed)."""


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
    spec: SourceSpec, store: Warehouse, files: list[str], like: pl.DataFrame, layer: str
) -> pl.DataFrame:
    """The rows of ``files`` in the current version of ``layer/<source>``, shaped like ``like``."""
    if not files:
        return like.clear()
    previous = store.scan(layer, spec.name).filter(pl.col("_source_file").is_in(files))
    key = (store.manifest(layer, spec.name) or {}).get("partition_key")
    if key and key in previous.collect_schema().names():
        previous = previous.rename({key: PARTITION})
    missing = [
        pl.lit(None, dtype=like.schema[c]).alias(c)
        for c in like.columns
        if c not in previous.collect_schema()
    ]
    return previous.with_columns(missing).select(like.columns).cast(like.schema).collect()


@dataclass
class StagedIngest:
    """A source's bronze and quarantine, written but not yet published."""

    report: IngestReport
    bronze: StagedTable
    quarantine: StagedTable

    def publish(self, store: Warehouse) -> None:
        store.publish(self.bronze)
        store.publish(self.quarantine)


def ingest(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    log: Callable[[str], None] = lambda _m: None,
    deid_rules: DeidRules | None = None,
    as_of: date | None = None,
) -> IngestReport:
    """Land one source and publish it at once (no quality gate): see :func:`stage_ingest`."""
    staged = stage_ingest(spec, config, store, log, deid_rules, as_of)
    staged.publish(store)
    return staged.report


def stage_ingest(
    spec: SourceSpec,
    config: SourceConfig | None,
    store: Warehouse,
    log: Callable[[str], None] = lambda _m: None,
    deid_rules: DeidRules | None = None,
    as_of: date | None = None,
) -> StagedIngest:
    """Stage one source: bronze gets the rows that pass, quarantine the rest with every reason.

    A file whose bytes are unchanged since the last run (same SHA-256, same cleaning code) is not
    parsed again: its landed and quarantined rows are carried over, so a new month of exports costs
    the new files. The per-file row counts are read back from the staged Parquet and must add up
    to the rows read, or both staged tables are discarded and :class:`ConservationError` is
    raised. The caller publishes (after the quality gate). A source that is not configured, or
    whose glob matches nothing, lands as empty. ``deid_rules`` mask reporters in a petition's text
    (the shipped rules when None). ``as_of`` is the run's date (today when None): a date after
    it quarantines its row. Exact duplicate rows land once, the copies are quarantined.
    """
    start = time.perf_counter()
    as_of = as_of or date.today()
    fingerprint = cleaning_fingerprint(spec)
    if spec.protected and deid_rules is not None:  # a deployment's own masking rules
        fingerprint = hashlib.sha256((fingerprint + deid_rules.fingerprint()).encode()).hexdigest()[
            :16
        ]
    reused, skip = _reusable(spec, config, store, fingerprint, as_of)
    if config is None:
        log(f"{spec.name}: not named in sources.yaml — no data yet")
        batch = RawBatch(empty_rows(spec), pl.DataFrame(), [])
    else:
        batch = read_source(config, spec, skip=skip, deid=deid_rules)
        log(
            f"{spec.name}: read {batch.rows_read:,} rows from {len(batch.files)} file(s) of {config.display}"
        )
        if reused:
            log(
                f"{spec.name}: {len(reused)} file(s) unchanged since the last run, their rows carried over"
            )
    annotated = annotate(batch.rows.lazy(), spec, as_of).collect()
    bronze = bronze_rows(annotated.lazy(), spec).collect()
    quarantine = quarantine_rows(annotated.lazy(), spec).collect()
    if batch.rejects.width:
        quarantine = pl.concat([quarantine, _reader_rejects(batch, spec)])
    carried = [f.file for f in reused]
    bronze = pl.concat([bronze, _previous_rows(spec, store, carried, bronze, "bronze")])
    quarantine = pl.concat(
        [
            quarantine,
            _previous_rows(
                spec, store, carried, quarantine.drop(PARTITION), "quarantine"
            ).with_columns(pl.lit(None, dtype=pl.String).alias(PARTITION)),
        ]
    )
    bronze, copies = split_duplicates(bronze, spec, annotated)
    quarantine = pl.concat([quarantine, copies])
    bronze = bronze.sort("_source_file", "_source_row")
    quarantine = quarantine.sort("_source_file", "_source_row")
    files = sorted([*batch.files, *reused], key=lambda f: f.file)
    extra: dict[str, object] = {
        "cleaning": fingerprint,
        "files": [asdict(f) for f in files],
        "as_of": as_of.isoformat(),
        "recheck": _recheck(quarantine),
    }
    key = spec.partition[1] if spec.partition else "part"
    staged_bronze = store.stage(
        "bronze", spec.name, bronze, PARTITION if spec.partition else None, key, extra
    )
    staged_quarantine = store.stage("quarantine", spec.name, quarantine.drop(PARTITION))
    report = IngestReport(
        source=spec.name,
        configured=config is not None,
        files=files,
        landed_by_file=_counts_by_file(staged_bronze),
        quarantined_by_file=_counts_by_file(staged_quarantine),
        partitions=staged_bronze.partitions,
        reasons=Counter(r["rule"] for rs in quarantine["reasons"].to_list() for r in rs),
        bronze_version=staged_bronze.path.name,
        flags={
            **flag_counts(bronze),
            **encoding_flags(batch.files),
            **boundary_flags(batch.text_counts, batch.skipped_files),
        },
        reused_files=len(reused),
        text_counts=batch.text_counts,
        skipped_files=batch.skipped_files,
    )
    if not report.conserved():
        store.discard(staged_bronze)
        store.discard(staged_quarantine)
        lost = [row for row in report.conservation() if row[1] != row[2] + row[3]]
        raise ConservationError(
            f"source {spec.name}: rows lost or invented, nothing published: {lost[:5]}"
        )
    report.seconds = time.perf_counter() - start
    log(
        f"{spec.name}: landed {report.landed:,}, quarantined {report.quarantined:,} "
        f"in {len(report.partitions)} partition(s), {report.seconds:.1f} s"
    )
    return StagedIngest(report, staged_bronze, staged_quarantine)


def _recheck(quarantine: pl.DataFrame) -> list[str]:
    """Files holding a row quarantined by a rule of :data:`_RECHECK`."""
    rules = quarantine.select(
        "_source_file", pl.col("reasons").list.eval(pl.element().struct.field("rule")).alias("r")
    ).explode("r")
    hit = pl.col("r").str.ends_with(_RECHECK[0]) | (pl.col("r") == _RECHECK[1])
    return sorted(rules.filter(hit).get_column("_source_file").unique().to_list())


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
