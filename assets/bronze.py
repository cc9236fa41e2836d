"""Bronze and quarantine assets: one pair per upstream source, made by one factory."""

import dagster as dg

from assets.ingest import IngestReport, ingest
from assets.resources import SourcesResource, WarehouseResource
from transforms.specs import SPECS, SourceSpec


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


def bronze_assets(spec: SourceSpec) -> dg.AssetsDefinition:
    """The ingest step of one source, materialising ``bronze/<source>`` and ``quarantine/<source>``."""
    bronze_key = dg.AssetKey(["bronze", spec.name])
    quarantine_key = dg.AssetKey(["quarantine", spec.name])

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
        check_specs=[
            dg.AssetCheckSpec(
                "rows_are_conserved",
                asset=bronze_key,
                description="Per file: rows read = rows landed in bronze + rows quarantined (blocking).",
                blocking=True,
            )
        ],
    )
    def _ingest(
        context: dg.AssetExecutionContext, sources: SourcesResource, warehouse: WarehouseResource
    ):  # type: ignore[no-untyped-def]
        report = ingest(
            spec, sources.load().get(spec.name), warehouse.store(), log=context.log.info
        )
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
        # ingest() raises before publishing when rows are not conserved, so reaching here means passed.
        yield dg.AssetCheckResult(
            asset_key=bronze_key,
            check_name="rows_are_conserved",
            passed=report.conserved(),
            metadata={
                "rows_read": report.rows_read,
                "landed": report.landed,
                "quarantined": report.quarantined,
            },
        )

    return _ingest


BRONZE_ASSETS = [bronze_assets(spec) for spec in SPECS.values()]
