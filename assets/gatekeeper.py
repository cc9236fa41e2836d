"""The quality gate as the assets use it: validate staged tables, publish or hold, report, check.

Every asset that writes a validated table (bronze, silver) stages it, then calls :func:`guard`:
the table's GX suite runs on its changed partitions, the Polars invariants are added, the
auditors' report is updated, and the staged tables are published, or discarded when an ERROR
check failed. The asset then yields :func:`check_results` (one Dagster asset check per GX
severity and per invariant) and, when held, raises :func:`blocked` so the run fails naming the
expectation, partition and sample, and nothing downstream is rebuilt.
"""

import re

import dagster as dg

from assets.resources import GXResource, RunSettings, WarehouseResource
from quality import gate, report
from quality.checks import Outcome
from quality.gate import TableValidation
from warehouse.store import StagedTable

GX_ERRORS = "gx_expectations"
GX_WARNINGS = "gx_warnings"


def check_name(outcome_id: str) -> str:
    """A Dagster check name for an invariant id (``key.unique_across_partitions`` → ``key_unique…``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", outcome_id)


def check_specs(
    key: dg.AssetKey, invariants: dict[str, str], warn_only: frozenset[str] = frozenset()
) -> list[dg.AssetCheckSpec]:
    """The checks of one guarded table: GX ERROR (blocking), GX WARN, and each invariant
    (blocking unless its id is in ``warn_only``)."""
    specs = [
        dg.AssetCheckSpec(
            GX_ERRORS,
            asset=key,
            blocking=True,
            description="Great Expectations suite, ERROR expectations: a failure holds the table.",
        ),
        dg.AssetCheckSpec(
            GX_WARNINGS, asset=key, description="Great Expectations suite, WARN expectations."
        ),
    ]
    specs += [
        dg.AssetCheckSpec(check_name(i), asset=key, description=text, blocking=i not in warn_only)
        for i, text in invariants.items()
    ]
    return specs


def guard(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
    main: StagedTable,
    others: list[StagedTable],
    invariants: list[Outcome],
    row_rules: list[Outcome] | None = None,
    figures: dict[str, object] | None = None,
) -> TableValidation:
    """Validate ``main``; publish it and ``others`` or discard them all; record the report."""
    store = warehouse.store()
    engine = gx.engine()
    validation = gate.validate_staged(store, main, settings.as_of_date(), engine, invariants)
    staged = [main, *others]
    if validation.blocking:
        for table in staged:
            store.discard(table)
    else:
        for table in staged:
            store.publish(table)
        gate.commit(store, validation)
    root = report.quality_root(store.root)
    if gx.data_docs and validation.gx is not None:
        report.render_gx(
            root,
            context.run.run_id,
            validation.table,
            validation.gx.result,
            engine.gx_suite(validation.suite),
            blocked=bool(validation.blocking),
        )
    outcomes = [*validation.outcomes, *(row_rules or [])]
    entry = report.table_entry(
        validation.table,
        outcomes,
        {"rows": main.rows, **(figures or {})},
        validation.validated,
        validation.carried,
        blocked=bool(validation.blocking),
        seconds=validation.seconds,
    )
    report.record(root, context.run.run_id, settings.as_of_date().isoformat(), entry)
    state = "HELD (not published)" if validation.blocking else "published"
    context.log.info(
        f"{validation.table}: {state}; GX validated {len(validation.validated)} partition(s), "
        f"carried {len(validation.carried)}; {len(validation.blocking)} blocking, "
        f"{len(validation.warnings)} warning(s); {validation.seconds:.1f} s"
    )
    return validation


def _markdown(outcomes: list[Outcome]) -> str:
    lines = [
        "| check | result | failed / checked | partitions | sample |",
        "|---|---|---:|---|---|",
    ]
    for o in outcomes:
        verdict = "passed" if o.passed else o.severity
        parts = ", ".join(f"{p} ({n})" for p, n in list(o.partitions.items())[:5]) or "—"
        sample = "; ".join(o.sample[:3]).replace("|", "/") or "—"
        lines.append(
            f"| {o.check} | {verdict} | {o.failed:,} / {o.checked:,} | {parts} | {sample} |"
        )
    return "\n".join(lines)


def check_results(key: dg.AssetKey, validation: TableValidation) -> list[dg.AssetCheckResult]:
    """One result per declared check: the GX suite by severity, then each invariant."""
    expectations = [o for o in validation.outcomes if o.kind == "expectation"]
    out = []
    for name, severity, dg_severity in (
        (GX_ERRORS, "ERROR", dg.AssetCheckSeverity.ERROR),
        (GX_WARNINGS, "WARN", dg.AssetCheckSeverity.WARN),
    ):
        mine = [o for o in expectations if o.severity == severity]
        out.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=name,
                passed=all(o.passed for o in mine),
                severity=dg_severity,
                description="; ".join(o.describe() for o in mine if not o.passed)[:2000] or None,
                metadata={
                    "expectations": len(mine),
                    "failed": sum(not o.passed for o in mine),
                    "partitions_validated": len(validation.validated),
                    "partitions_carried_over": len(validation.carried),
                    "results": dg.MetadataValue.md(_markdown(mine)),
                },
            )
        )
    for o in validation.outcomes:
        if o.kind != "invariant":
            continue
        out.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=check_name(o.check),
                passed=o.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if o.severity == "ERROR"
                else dg.AssetCheckSeverity.WARN,
                description=None if o.passed else o.describe()[:2000],
                metadata={"checked": o.checked, "failed": o.failed, "detail": o.detail},
            )
        )
    return out


def blocked(validation: TableValidation) -> dg.Failure:
    """The run failure for a held table: which expectation, which partition, which values."""
    return dg.Failure(
        description=validation.failure(),
        metadata={"blocking": dg.MetadataValue.md(_markdown(validation.blocking))},
    )
