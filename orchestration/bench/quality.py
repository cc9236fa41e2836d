"""``dajiandu bench quality``: what validation costs, GX beside the same checks in Polars.

Per roster size: generate sources, run the whole pipeline once (a child process: the quality gate
validates every partition of every table, since none was validated before), then, in a second
child, validate every guarded table whole with GX over pandas and count the same expectations in
Polars (:mod:`quality.polars_checks`, the floor). Printed side by side: rows, GX seconds, Polars
seconds, the ratio, whether both found the same failures; then the gate's share of the pipeline
run against the transforms it guards.
"""

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.bench import harness
from quality import suites
from warehouse.clock import today

if TYPE_CHECKING:
    from quality.gx_runner import GXEngine
    from warehouse.store import Warehouse

TABLE = harness.Table(
    harness.Column("table", 28, left=True),
    harness.Column("rows", 12, ","),
    harness.Column("exp.", 6),
    harness.Column("GX s", 9, ".2f"),
    harness.Column("Polars s", 10, ".2f"),
    harness.Column("GX/Polars", 11, ".1f", suffix="×"),
    harness.Column("same", 6),
    harness.Column("in run s", 10, ".2f"),
)


def bench_quality(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    """Per roster size, the quality gate's cost in a pipeline run, and GX beside Polars per table.

    Arguments and figures as every bench on generated data (see :mod:`orchestration.bench`).
    """
    results = [_bench_size(workdir, cadres, seed) for cadres in sizes]
    harness.save_figures(workdir, "quality", results)
    return 0


def _bench_size(workdir: Path, cadres: int, seed: int) -> dict[str, Any]:
    """Generate, run, then GX and Polars on every guarded table, at one roster size; printed."""
    sample = harness.generate_sample(workdir, cadres, seed)
    seconds = sample.generation.seconds
    print(f"{cadres:,} cadres: sources generated in {seconds:.0f} s", flush=True)
    run = harness.run_pipeline(sample)
    summary = json.loads((sample.warehouse / "reports" / "quality" / "summary.json").read_text())
    gate = {t["table"]: t["seconds"] for t in summary["tables"]}
    engines = harness.timed(
        harness.child_command("quality", "engines", sample.warehouse),
        f"engines at {cadres:,} cadres",
    )
    header, *tables = engines.records
    _print_tables(tables, gate)
    gate_total = sum(gate.values())
    print(f"GX {header['gx']}: import {header['gx_import_seconds']:.1f} s once per process; "
          f"peak memory of the GX/Polars child {engines.peak_mb:,.0f} MB")  # fmt: skip
    _print_share(run, gate_total)
    return {
        "cadres": cadres,
        "run_seconds": run.seconds,
        "run_peak_mb": run.peak_mb,
        "gate_seconds": gate_total,
        "engines_peak_mb": engines.peak_mb,
        **header,
        "tables": tables,
    }


def _print_tables(tables: list[dict[str, Any]], gate: dict[str, float]) -> None:
    """One row per guarded table (GX, Polars, their ratio, the gate's time in the run), a total."""
    print("\n" + TABLE.header(), flush=True)
    for t in tables:
        figures = (t[k] for k in ("table", "rows", "expectations", "gx_seconds", "polars_seconds"))
        ratio_x = harness.ratio(t["gx_seconds"], t["polars_seconds"])
        same = "yes" if t["same_failures"] else "NO"
        print(TABLE.row(*figures, ratio_x, same, gate.get(t["table"], float("nan"))))
    gx_total = sum(t["gx_seconds"] for t in tables)
    polars_total = sum(t["polars_seconds"] for t in tables)
    rows = sum(t["rows"] for t in tables)
    totals = (gx_total, polars_total, harness.ratio(gx_total, polars_total))
    print(TABLE.row("total", rows, None, *totals, None, sum(gate.values())))


def _print_share(run: harness.ChildRun, gate_total: float) -> None:
    """The gate's share of the pipeline run, beside the transforms it guards."""
    what = "pipeline run (ingest, link, gold, with the quality gate validating every partition)"
    share, rest = gate_total / run.seconds, run.seconds - gate_total
    print(f"{what}: {run.seconds:.1f} s, peak {run.peak_mb:,.0f} MB; of which the gate "
          f"{gate_total:.1f} s ({share:.0%}), transforms and the rest {rest:.1f} s")  # fmt: skip


def _engines(warehouse: str) -> None:
    """Child: time GX and Polars on every guarded table; print one JSON line per table."""
    from quality.gx_runner import engine
    from warehouse.store import Warehouse

    store = Warehouse(warehouse)
    start = time.perf_counter()
    gx = engine()
    harness.emit({"gx_import_seconds": time.perf_counter() - start, "gx": gx.version})
    for table in suites.BUILDERS:
        harness.emit(_validate(gx, store, table))


def _validate(gx: "GXEngine", store: "Warehouse", table: str) -> dict[str, Any]:
    """One guarded table validated whole by GX over pandas, and counted by the Polars twins."""
    from quality.gate import validation_frame
    from quality.polars_checks import count_failures

    layer, name = table.split("/")
    suite = suites.suite_for(table, today())
    frame = validation_frame(store.scan(layer, name), suite)
    start = time.perf_counter()
    floor = count_failures(suite, frame)
    polars_lazy = time.perf_counter() - start
    collected = frame.collect()
    start = time.perf_counter()
    run = gx.validate(suite, collected)
    gx_seconds = time.perf_counter() - start
    found = {o.check: o.failed for o in run.outcomes}
    return {
        "table": table,
        "rows": collected.height,
        "columns": collected.width,
        "expectations": len(suite.expectations),
        "gx_seconds": gx_seconds,
        "polars_seconds": polars_lazy,
        "same_failures": found == floor,
        "failures": sum(floor.values()),
        "frame_mb": collected.estimated_size("mb"),
    }


if __name__ == "__main__":
    harness.child_main({"engines": _engines})
