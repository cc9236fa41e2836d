"""Bronze and quarantine assets: one pair per upstream source, made by one factory."""

import dagster as dg

from assets.gatekeeper import blocked, check_results, check_specs, guard
from assets.ingest import ConservationError, IngestReport, StagedIngest, stage_ingest
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from quality.gate import validation_frame
from quality.invariants import row_count_in_band, rows_conserved, unique_across_partitions
from quality.row_rules import quarantine_outcomes
from quality.suites import suite_for
from transforms.specs import SPECS, SourceSpec
from warehouse.rules import load_deid_rules
from warehouse.sources import ConfigError, SourceError
from warehouse.store import Warehouse, WarehouseError


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
    lines = ["| reason | rows |", "|---|---:|"]
    lines += [f"| {reason} | {count:,} |" for reason, count in report.reasons.most_common(20)]
    return "\n".join(lines)


BRONZE_INVARIANTS = {
    "rows.conserved": "Per file: rows read = rows landed in bronze + rows quarantined.",
    "key.unique_across_partitions": "A record key appears once in the whole table.",
    "rows.within_band_of_previous": "The table has not shrunk below half its previous version.",
}


def bronze_assets(spec: SourceSpec) -> dg.AssetsDefinition:
    """The ingest step of one source, materialising ``bronze/<source>`` and ``quarantine/<source>``.

    Both tables are staged, then the quality gate decides: published, or held with the previous
    version kept and the run failed (see :mod:`assets.gatekeeper`).
    """
    bronze_key = dg.AssetKey(["bronze", spec.name])
    quarantine_key = dg.AssetKey(["quarantine", spec.name])
    table = f"bronze/{spec.name}"

    @dg.multi_asset(
        name=f"ingest_{spec.name}",
        specs=[
            dg.AssetSpec(
                bronze_key,
                description=f"{spec.label}: every readable source row, typed, with its lineage.",
                group_name="bronze",
                kinds={"polars", "parquet"},
            ),
            dg.AssetSpec(
                quarantine_key,
                description=f"{spec.label}: rows that failed parsing or a hard rule, with every reason.",
                group_name="quarantine",
                kinds={"polars", "parquet"},
            ),
        ],
        check_specs=check_specs(bronze_key, BRONZE_INVARIANTS),
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        sources: SourcesResource,
        warehouse: WarehouseResource,
        settings: RunSettings,
        gx: GXResource,
    ):  # type: ignore[no-untyped-def]
        store = warehouse.store()
        previous = store.manifest("bronze", spec.name)
        staged = _stage(spec, sources, store, settings, context)
        report = staged.report
        suite = suite_for(table, settings.as_of_date())
        invariants = [
            rows_conserved(table, report.conservation()),
            unique_across_partitions(table, validation_frame(staged.bronze.scan(), suite)),
            row_count_in_band(
                table,
                report.landed,
                previous["rows"] if previous else None,
                settings.drop_accepted(spec.name),
            ),
        ]
        row_rules = quarantine_outcomes(table, staged.quarantine.scan().collect(), report.rows_read)
        figures = {
            "read": report.rows_read,
            "landed": report.landed,
            "quarantined": report.quarantined,
            "files": len(report.files),
        }
        validation = guard(
            context, warehouse, settings, gx, staged.bronze, [staged.quarantine],
            invariants, row_rules, figures,
        )  # fmt: skip
        if validation.blocking:
            yield from check_results(bronze_key, validation)
            raise blocked(validation)
        files = dg.MetadataValue.md(_markdown_files(report))
        yield dg.MaterializeResult(
            asset_key=bronze_key,
            metadata={
                "dagster/row_count": report.landed,
                "rows_read": report.rows_read,
                "rows_quarantined": report.quarantined,
                "files": files,
                "partitions": dg.MetadataValue.json(report.partitions),
                "version": report.bronze_version,
                "no_data_yet": not report.files,
                "flags": dg.MetadataValue.json(report.flags),
                "seconds": round(report.seconds, 2),
                "files_carried_over": report.reused_files,
            },
        )
        yield dg.MaterializeResult(
            asset_key=quarantine_key,
            metadata={
                "dagster/row_count": report.quarantined,
                "reasons": dg.MetadataValue.md(_markdown_reasons(report)),
            },
        )
        yield from check_results(bronze_key, validation)

    return _ingest


class ProtectedSourceError(Exception):
    """An unexpected error while reading a source with protected fields, its text withheld."""


def _stage(
    spec: SourceSpec,
    sources: SourcesResource,
    store: Warehouse,
    settings: RunSettings,
    context: dg.AssetExecutionContext,
) -> StagedIngest:
    """Stage one source. For a source with protected reporter fields, an error we did not raise
    ourselves (a library's, whose text may quote a row) is replaced by one naming only its kind:
    Dagster keeps error texts in its run storage, and a reporter's name must never get there."""
    masking = load_deid_rules(settings.rules_folder()) if spec.protected else None
    config = sources.load().get(spec.name)
    try:
        return stage_ingest(spec, config, store, log=context.log.info, deid_rules=masking)
    except (SourceError, ConservationError, WarehouseError, ConfigError):
        raise
    except Exception as error:
        if not spec.protected:
            raise
        raise ProtectedSourceError(
            f"source {spec.name}: unexpected {type(error).__name__} while reading it (its text is "
            "withheld: this source carries protected reporter fields)"
        ) from None


BRONZE_ASSETS = [bronze_assets(spec) for spec in SPECS.values()]
