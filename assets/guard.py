"""The one guarded-publish path of every layer: validate what was staged, publish it or hold it,
record what was found, and tell Dagster.

An asset stages its tables (written, not yet visible), describes each as a :class:`Guarded`
(the staged table, the tables published or discarded with it, its Polars invariants and the row
rules that sent rows to quarantine), and hands them to :func:`guarded_publish`, which

1. **validates** each: its GX suite on the partitions that changed, plus its invariants
   (:func:`quality.gate.validate_staged`);
2. **settles** them together: all published into the run's snapshot (and the gate's ledger
   committed) when no ERROR check failed, all discarded otherwise — the previous versions stay
   and nothing downstream is rebuilt. Readers see the published tables only when the run
   commits (:mod:`assets.commit`), together with every other table of the run;
3. **records** each in the auditors' report (with GX Data Docs pages);
4. yields the materialisations (asked for only when published) and one asset check result per
   GX severity and per invariant, or raises a :class:`dagster.Failure` naming the expectation,
   partition and sample of every check that held a table.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import dagster as dg

from assets.resources import GXResource, RunSettings, WarehouseResource
from quality import gate, report
from quality.checks import Outcome
from quality.gate import TableValidation
from warehouse.store import StagedTable, Warehouse

GX_ERRORS = "gx_expectations"
GX_WARNINGS = "gx_warnings"


@dataclass
class Guarded:
    """One staged table and what its gate needs."""

    key: dg.AssetKey
    staged: StagedTable
    companions: list[StagedTable] = field(default_factory=list)
    """Tables that stand or fall with it (its quarantine, the review queue)."""
    invariants: list[Outcome] = field(default_factory=list)
    row_rules: list[Outcome] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)


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


def guarded_publish(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
    tables: Sequence[Guarded],
    materializations: Callable[[], Iterable[dg.MaterializeResult]],
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Validate, settle and record ``tables`` together; yield what Dagster records.

    Raises:
        dagster.Failure: an ERROR check failed on one of the tables: none of them was published.
    """
    store = warehouse.store()
    validations = [  # GX's context is made only when a partition needs validating (6.7 s CPU)
        gate.validate_staged(store, t.staged, settings.as_of_date(), gx.engine, t.invariants)
        for t in tables
    ]
    held = [v for v in validations if v.blocking]
    _settle(store, tables, validations, publish=not held)
    for table, validation in zip(tables, validations, strict=True):
        _record(context, store, gx, settings, table, validation)
    if not held:
        yield from materializations()
    for table, validation in zip(tables, validations, strict=True):
        yield from check_results(table.key, validation)
    if held:
        raise blocked(held)


def carried_over(
    store: Warehouse, carried: dict[str, StagedTable] | None, guarded: Sequence[str]
) -> dict[str, list[Outcome]] | None:
    """The invariants each ``guarded`` table of ``carried`` (a layer's current tables, computed
    from the very inputs this run read) showed when it was published; None, so that the layer
    is computed afresh, when there is nothing to carry or the ledger does not hold them."""
    if carried is None:
        return None
    found = {name: gate.carried_invariants(store, carried[name]) for name in guarded}
    if any(f is None for f in found.values()):
        return None
    return {n: f for n, f in found.items() if f is not None}


def carried_guards(
    staged: dict[str, StagedTable],
    replay: dict[str, list[Outcome]],
    keys: dict[str, dg.AssetKey],
    companions: dict[str, tuple[str, ...]] | None = None,
) -> list[Guarded]:
    """Tables carried over (:func:`carried_over`): published again as they are, each with what
    its invariants found when it was published (``companions``: table → the ones it carries)."""
    with_ = companions or {}
    return [
        Guarded(
            key,
            staged[name],
            [staged[companion] for companion in with_.get(name, ())],
            invariants=replay[name],
        )  # fmt: skip
        for name, key in keys.items()
    ]


def _settle(
    store: Warehouse, tables: Sequence[Guarded], validations: list[TableValidation], publish: bool
) -> None:
    for table in tables:
        for staged in (table.staged, *table.companions):
            (store.publish if publish else store.discard)(staged)
    if publish:
        for validation in validations:
            gate.commit(store, validation)


def _record(
    context: dg.AssetExecutionContext,
    store: Warehouse,
    gx: GXResource,
    settings: RunSettings,
    table: Guarded,
    validation: TableValidation,
) -> None:
    """The table's entry in the auditors' report, its GX pages, and one log line."""
    root = report.quality_root(store.root)
    if gx.data_docs and validation.gx is not None:
        suite = gx.engine().gx_suite(validation.suite)
        report.render_gx(root, context.run.run_id, validation.table, validation.gx.result, suite,
                         blocked=bool(validation.blocking))  # fmt: skip
    entry = report.table_entry(
        validation.table,
        [*validation.outcomes, *table.row_rules],
        {"rows": table.staged.rows, **table.figures},
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
    return out + [_invariant_result(key, o) for o in validation.outcomes if o.kind == "invariant"]


def _invariant_result(key: dg.AssetKey, o: Outcome) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if o.severity == "ERROR" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=check_name(o.check),
        passed=o.passed,
        severity=severity,
        description=None if o.passed else o.describe()[:2000],
        metadata={"checked": o.checked, "failed": o.failed, "detail": o.detail},
    )


def blocked(validations: list[TableValidation]) -> dg.Failure:
    """The run failure for held tables: which expectation, which partition, which values."""
    return dg.Failure(
        description="\n".join(v.failure() for v in validations),
        metadata={
            "blocking": dg.MetadataValue.md(_markdown([o for v in validations for o in v.blocking]))
        },
    )
