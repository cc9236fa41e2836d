"""Bronze and quarantine assets: one pair per upstream source, made by one factory."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from assets.guard import Guarded, check_specs, guarded_publish
from assets.meta import asset_spec, schema_metadata
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from assets.steps import TRANSIENT_RETRY, guarded_step
from quality.gate import validation_frame
from quality.invariants import row_count_in_band, rows_conserved, unique_across_partitions
from quality.row_rules import quarantine_outcomes, reader_outcomes
from quality.suites import suite_for
from transforms.bronze import bronze_tables
from transforms.specs import SPECS, SourceSpec
from warehouse.ingest import (
    BronzeInputs,
    ConservationError,
    IngestReport,
    StagedIngest,
    cleaning_modules,
    read_bronze_inputs,
    stage_bronze,
)
from warehouse.sources import ConfigError, SourceError
from warehouse.store import Warehouse, WarehouseError

BRONZE_INVARIANTS = {
    "rows.conserved": "Per file: rows read = rows landed in bronze + rows quarantined.",
    "key.unique_across_partitions": "A record key appears once in the whole table.",
    "rows.within_band_of_previous": "The table has not shrunk below half its previous version.",
}


class ProtectedSourceError(Exception):
    """An unexpected error while reading a source with protected fields, its text withheld."""


def _markdown_files(report: IngestReport) -> str:
    lines = ["| file | read | landed | quarantined | skipped |", "|---|---:|---:|---:|---|"]
    for f in report.files:
        skipped = ", ".join(f"{k} {v}" for k, v in f.skipped.items() if v) or "—"
        lines.append(
            f"| {f.file} | {f.rows:,} | {report.landed_by_file.get(f.file, 0):,} "
            f"| {report.quarantined_by_file.get(f.file, 0):,} | {skipped} |"
        )
    return "\n".join(lines)


def _markdown_reasons(report: IngestReport) -> str:
    if not report.reasons:
        return "nothing quarantined"
    lines = ["| rule | rows |", "|---|---:|"]
    lines += [f"| {rule} | {count:,} |" for rule, count in report.reasons.most_common(20)]
    return "\n".join(lines)


@contextmanager
def _withheld(spec: SourceSpec) -> Iterator[None]:
    """For a source with protected reporter fields, an error we did not raise ourselves while
    reading, computing or staging it (a library's, whose text may quote a row) is replaced by one
    naming only its kind: Dagster keeps error texts in its run storage, and a reporter's name
    must never get there."""
    try:
        yield
    except (SourceError, ConservationError, WarehouseError, ConfigError):
        raise
    except Exception as error:
        if not spec.protected:
            raise
        raise ProtectedSourceError(
            f"source {spec.name}: unexpected {type(error).__name__} while reading it (its text is "
            "withheld: this source carries protected reporter fields)"
        ) from None


def _unchanged(
    spec: SourceSpec, inputs: BronzeInputs, store: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """A source whose inputs are those of its current tables: nothing read, staged or validated;
    Dagster hears that the tables are current as they were (their checks passed when published)."""
    for layer in ("bronze", "quarantine"):
        manifest = store.manifest(layer, spec.name) or {}
        yield dg.MaterializeResult(
            asset_key=[layer, spec.name],
            metadata={"unchanged": True, "inputs": inputs.version,
                      "dagster/row_count": int(manifest.get("rows", 0))},
            data_version=dg.DataVersion(inputs.version),
        )  # fmt: skip
    for check in check_specs(dg.AssetKey(["bronze", spec.name]), BRONZE_INVARIANTS):
        yield dg.AssetCheckResult(
            asset_key=check.asset_key, check_name=check.name, passed=True,
            metadata={"carried_over": True}, description="inputs unchanged: not validated again",
        )  # fmt: skip


def _guarded(
    spec: SourceSpec, staged: StagedIngest, settings: RunSettings, previous: int | None
) -> Guarded:
    """The bronze table's gate: conservation, keys, the row band, and the quarantine's rules."""
    table, report = f"bronze/{spec.name}", staged.report
    suite = suite_for(table, settings.as_of_date())
    accepted = settings.drop_accepted(spec.name)
    return Guarded(
        dg.AssetKey(["bronze", spec.name]),
        staged.bronze,
        staged.companions,
        [
            rows_conserved(table, report.conservation()),
            unique_across_partitions(table, validation_frame(staged.bronze.scan(), suite)),
            row_count_in_band(table, report.landed, previous, accepted),
        ],
        [
            *quarantine_outcomes(table, staged.quarantine.scan().collect(), report.rows_read),
            *reader_outcomes(table, report.text_counts, report.skipped_files, report.rows_read),
        ],
        {
            "read": report.rows_read,
            "landed": report.landed,
            "quarantined": report.quarantined,
            "files": len(report.files),
        },  # fmt: skip
    )


def _materializations(spec: SourceSpec, staged: StagedIngest) -> list[dg.MaterializeResult]:
    report = staged.report
    bronze = {
        **schema_metadata(staged.bronze),
        "dagster/row_count": report.landed, "rows_read": report.rows_read,
        "rows_quarantined": report.quarantined, "files": dg.MetadataValue.md(_markdown_files(report)),
        "partitions": dg.MetadataValue.json(report.partitions), "version": report.bronze_version,
        "no_data_yet": not report.files, "flags": dg.MetadataValue.json(report.flags),
        "seconds": round(report.seconds, 2), "files_carried_over": report.reused_files,
    }  # fmt: skip
    quarantine = {
        **schema_metadata(staged.quarantine),
        "dagster/row_count": report.quarantined,
        "reasons": dg.MetadataValue.md(_markdown_reasons(report)),
    }
    return [
        dg.MaterializeResult(asset_key=["bronze", spec.name], metadata=bronze),
        dg.MaterializeResult(asset_key=["quarantine", spec.name], metadata=quarantine),
    ]


def bronze_assets(spec: SourceSpec) -> dg.AssetsDefinition:
    """The ingest step of one source, materialising ``bronze/<source>`` and ``quarantine/<source>``.

    Both tables are staged, then the quality gate decides: published, or held with the previous
    version kept and the run failed (see :mod:`assets.guard`).
    """
    bronze_key, code = dg.AssetKey(["bronze", spec.name]), cleaning_modules(spec)
    landed = f"{spec.label}: every readable source row, typed, with its lineage."
    held = f"{spec.label}: rows that failed parsing or a hard rule, with every reason."
    tables = [
        asset_spec(bronze_key, landed, code),
        asset_spec(["quarantine", spec.name], held, code),
    ]

    @dg.multi_asset(
        name=f"ingest_{spec.name}",
        specs=tables,
        check_specs=check_specs(bronze_key, BRONZE_INVARIANTS),
        retry_policy=TRANSIENT_RETRY,  # a database or a network file system that hiccups
    )
    @guarded_step
    def _ingest(
        context: dg.AssetExecutionContext,
        sources: SourcesResource,
        warehouse: WarehouseResource,
        settings: RunSettings,
        gx: GXResource,
    ):  # type: ignore[no-untyped-def]
        store, log = warehouse.store(), context.log.info
        masking = settings.rules().deid if spec.protected else None
        previous = store.manifest("bronze", spec.name)
        with _withheld(spec):
            inputs = read_bronze_inputs(spec, sources.load().get(spec.name), store, log, masking,
                                        settings.as_of_date(), full_refresh=settings.refresh(spec.name))  # fmt: skip
            if inputs.unchanged:
                yield from _unchanged(spec, inputs, store)
                return
            staged = stage_bronze(store, inputs, bronze_tables(inputs.frames, spec), log)
        gated = _guarded(spec, staged, settings, previous["rows"] if previous else None)
        yield from guarded_publish(
            context, warehouse, settings, gx, [gated], lambda: _materializations(spec, staged)
        )

    return _ingest


BRONZE_ASSETS = [bronze_assets(spec) for spec in SPECS.values()]
