"""``dajiandu bench quality``: what validation costs, GX beside the same checks in Polars.

Per roster size: generate sources, run the whole pipeline once (a child process: the quality gate
validates every partition of every table, since none was validated before), then, in a second
child, validate every guarded table whole with GX over pandas and count the same expectations in
Polars (:mod:`quality.polars_checks`, the floor). Printed side by side: rows, GX seconds, Polars
seconds, the ratio, whether both found the same failures; then the gate's share of the pipeline
run against the transforms it guards.
"""

import json
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.bench.ingest import _child_command, _generate, _timed
from quality import suites


def _engines(warehouse: Path) -> None:
    """Child: time GX and Polars on every guarded table; print one JSON line per table."""
    from quality.gate import validation_frame
    from quality.gx_runner import engine
    from quality.polars_checks import count_failures
    from warehouse.store import Warehouse

    store = Warehouse(warehouse)
    start = time.perf_counter()
    gx = engine()
    print(json.dumps({"gx_import_seconds": time.perf_counter() - start, "gx": gx.version}))
    for table in suites.BUILDERS:
        layer, name = table.split("/")
        suite = suites.suite_for(table, date.today())
        frame = validation_frame(store.scan(layer, name), suite)
        start = time.perf_counter()
        floor = count_failures(suite, frame)
        polars_lazy = time.perf_counter() - start
        collected = frame.collect()
        start = time.perf_counter()
        run = gx.validate(suite, collected)
        gx_seconds = time.perf_counter() - start
        found = {o.check: o.failed for o in run.outcomes}
        print(
            json.dumps(
                {
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
            ),
            flush=True,
        )
        del collected, run


def bench_quality(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    results = []
    for cadres in sizes:
        sources, warehouse, gen_seconds, _ = _generate(workdir / str(cadres), cadres, seed)
        print(f"{cadres:,} cadres: sources generated in {gen_seconds:.0f} s", flush=True)
        run_seconds, run_peak, _ = _timed(
            _child_command("run", sources / "sources.yaml", warehouse), "run", cadres
        )
        summary = json.loads((warehouse / "reports" / "quality" / "summary.json").read_text())
        gate = {t["table"]: t["seconds"] for t in summary["tables"]}
        command = [sys.executable, "-m", "orchestration.bench.quality", str(warehouse)]
        _, engines_peak, out = _timed(command, "engines", cadres)
        lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
        header, tables = lines[0], lines[1:]
        print(f"\n{'table':<28}{'rows':>12}{'exp.':>6}{'GX s':>9}{'Polars s':>10}{'GX/Polars':>11}"
              f"{'same':>6}{'in run s':>10}", flush=True)  # fmt: skip
        for t in tables:
            ratio = t["gx_seconds"] / t["polars_seconds"] if t["polars_seconds"] else float("nan")
            print(f"{t['table']:<28}{t['rows']:>12,}{t['expectations']:>6}{t['gx_seconds']:>9.2f}"
                  f"{t['polars_seconds']:>10.2f}{ratio:>10.1f}×{'yes' if t['same_failures'] else 'NO':>6}"
                  f"{gate.get(t['table'], float('nan')):>10.2f}")  # fmt: skip
        gx_total = sum(t["gx_seconds"] for t in tables)
        polars_total = sum(t["polars_seconds"] for t in tables)
        gate_total = sum(gate.values())
        rows = sum(t["rows"] for t in tables)
        print(f"{'total':<28}{rows:>12,}{'':>6}{gx_total:>9.2f}{polars_total:>10.2f}"
              f"{gx_total / polars_total:>10.1f}×{'':>6}{gate_total:>10.2f}")  # fmt: skip
        print(f"GX {header['gx']}: import {header['gx_import_seconds']:.1f} s once per process; "
              f"peak memory of the GX/Polars child {engines_peak:,.0f} MB")  # fmt: skip
        print(f"pipeline run (ingest, link, gold, with the quality gate validating every partition): "
              f"{run_seconds:.1f} s, peak {run_peak:,.0f} MB; of which the gate {gate_total:.1f} s "
              f"({gate_total / run_seconds:.0%}), transforms and the rest {run_seconds - gate_total:.1f} s")  # fmt: skip
        results.append(
            {"cadres": cadres, "run_seconds": run_seconds, "run_peak_mb": run_peak,
             "gate_seconds": gate_total, "engines_peak_mb": engines_peak, **header, "tables": tables}
        )  # fmt: skip
    (workdir / "bench-quality.json").write_text(json.dumps(results, indent=1))
    print(f"figures saved to {workdir / 'bench-quality.json'}")
    return 0


if __name__ == "__main__" and len(sys.argv) == 2:
    import resource

    _engines(Path(sys.argv[1]))
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
