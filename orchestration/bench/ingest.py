"""Benchmarks that print figures and ratios against a reference measured in the same run.

``dajiandu bench ingest`` times, per roster size, three child processes (so each has its own peak
memory): generating the sample sources, a *reference* read of the same exports with the plain
readers of the stack (sqlite3, Polars' CSV and NDJSON readers, calamine; no typing, no checks, no
lineage, nothing written), and ``dajiandu run`` (ingest, then linking). It prints rows/s of the
source rows, peak memory and the ratio of the run to the reference.
"""

import glob
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
import polars as pl
import python_calamine

from warehouse.sources import load_sources


@dataclass
class Measure:
    """One timed child process."""

    phase: str
    cadres: int
    seconds: float
    peak_mb: float
    rows: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _timed(command: list[str], phase: str, cadres: int) -> tuple[float, float, str]:
    """Run a child, return (seconds, peak RSS in MB, stdout); a failing child stops the bench."""
    start = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(f"bench {phase} at {cadres:,} cadres failed:\n{child.stderr[-3000:]}")
    return seconds, _peak_mb(child.stdout), child.stdout


def _peak_mb(out: str) -> float:
    for line in out.splitlines():
        if line.startswith("peak_rss_mb="):
            return float(line.split("=", 1)[1])
    return float("nan")


def _warehouse_rows(warehouse: Path) -> int:
    total = 0
    for manifest in glob.glob(str(warehouse / ".versions" / "*" / "*" / "v-*" / "_manifest.json")):
        if Path(manifest).parents[2].name not in ("bronze", "quarantine"):
            continue  # rows read from the sources land in these two; silver derives from them
        table = Path(manifest).parent
        layer, name = table.parent.parent.name, table.parent.name
        if (warehouse / layer / name).resolve() == table.resolve():
            total += int(json.loads(Path(manifest).read_text())["rows"])
    return total


def reference_read(sources_yaml: str) -> int:
    """Read every export with the stack's plain readers; returns the number of data rows."""
    rows = 0
    for config in load_sources(sources_yaml).values():
        if config.kind == "sql":
            path = str(config.url).split(":///", 1)[1]
            with sqlite3.connect(path) as conn:
                cursor = conn.execute(f'SELECT * FROM "{config.table}"')
                names = [d[0] for d in cursor.description]
                rows += pl.DataFrame(cursor.fetchall(), schema=names, orient="row").height
            continue
        for file in config.files():
            data = file.read_bytes()
            if file.suffix == ".csv":
                text = (
                    data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else _decode(data)
                )
                rows += pl.read_csv(
                    io.StringIO(text), infer_schema=False, truncate_ragged_lines=True
                ).height
            elif file.suffix == ".jsonl":
                rows += _ndjson_rows(data)
            else:
                book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
                rows += len(book.get_sheet_by_index(0).to_python()) - 2
    return rows


def _ndjson_rows(data: bytes) -> int:
    """Polars' NDJSON reader; a file with a broken line is read again without the lines orjson rejects."""
    try:
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None).height
    except pl.exceptions.ComputeError:
        good = [line for line in data.splitlines() if line.strip() and _is_json(line)]
        return pl.read_ndjson(io.BytesIO(b"\n".join(good)), infer_schema_length=None).height


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _child_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "orchestration.bench.ingest", "child", *(str(a) for a in args)]


def _generate(base: Path, cadres: int, seed: int) -> tuple[Path, Path, float, float]:
    """Fresh sample sources under ``base``; returns (sources, warehouse, seconds, peak MB)."""
    sources, warehouse = base / "sources", base / "warehouse"
    shutil.rmtree(base, ignore_errors=True)
    seconds, peak, _ = _timed(_child_command("generate", sources, cadres, seed), "generate", cadres)
    return sources, warehouse, seconds, peak


def bench_ingest(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    """Generate, reference-read and ingest at each roster size; print the figures and ratios."""
    measures: list[Measure] = []
    print(
        f"{'cadres':>10}  {'phase':<22}{'seconds':>9}{'rows':>12}{'rows/s':>11}{'peak MB':>9}",
        flush=True,
    )
    for cadres in sizes:
        sources, warehouse, seconds, peak = _generate(workdir / str(cadres), cadres, seed)
        reference = _child_command("reference", sources / "sources.yaml")
        ref_seconds, ref_peak, ref_out = _timed(reference, "reference", cadres)
        ref_rows = int(next(x for x in ref_out.splitlines() if x.startswith("rows=")).split("=")[1])
        run = _child_command("run", sources / "sources.yaml", warehouse)
        run_seconds, run_peak, _ = _timed(run, "ingest", cadres)
        rows = _warehouse_rows(warehouse)
        batch = [
            Measure("generate sources", cadres, seconds, peak, rows),
            Measure("reference read", cadres, ref_seconds, ref_peak, ref_rows),
            Measure("dajiandu run", cadres, run_seconds, run_peak, rows),
        ]
        for m in batch:
            print(
                f"{cadres:>10,}  {m.phase:<22}{m.seconds:>9.1f}{m.rows:>12,}{m.rows_per_s:>11,.0f}{m.peak_mb:>9,.0f}"
            )
        print(f"{'':>10}  run (ingest, then linking) / reference read: {run_seconds / ref_seconds:.1f}× the time, "
              f"{run_peak / ref_peak:.1f}× the memory", flush=True)  # fmt: skip
        measures += batch
    (workdir / "bench-ingest.json").write_text(json.dumps([asdict(m) for m in measures], indent=1))
    print(f"figures saved to {workdir / 'bench-ingest.json'}")
    return 0


def _child(argv: list[str]) -> None:
    """Entry point of the timed child processes; prints its own peak RSS last."""
    import resource

    what = argv[0]
    if what == "generate":
        from warehouse.samples import generate

        generate(argv[1], cadres=int(argv[2]), seed=int(argv[3]))
    elif what == "reference":
        print(f"rows={reference_read(argv[1])}")
    elif what == "run":
        from orchestration.runner import run_pipeline

        outcome = run_pipeline(Path(argv[1]), Path(argv[2]), log_level="WARNING")
        if not outcome.success:
            raise SystemExit(f"run failed: {outcome.failure}")
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "child":
    _child(sys.argv[2:])


def bench_link(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    """Our linker and the Splink 5 baseline on the same generated data: quality, time, ratios."""
    python = sys.executable
    print(f"{'cadres':>10}  {'linker':<8}{'records':>9}{'precision':>11}{'recall':>9}{'review':>8}"
          f"{'homonym links':>15}{'seconds':>9}{'peak MB':>9}", flush=True)  # fmt: skip
    results = []
    for cadres in sizes:
        sources, warehouse, _, _ = _generate(workdir / str(cadres), cadres, seed)
        _timed(_child_command("run", sources / "sources.yaml", warehouse), "ingest", cadres)
        figures = {}
        for linker in ("ours", "splink"):
            command = [
                python,
                "-m",
                "orchestration.bench.link",
                linker,
                str(warehouse),
                str(sources / "truth"),
            ]
            _, _, out = _timed(command, f"link ({linker})", cadres)
            figures[linker] = json.loads(out.strip().splitlines()[-1])
            o = figures[linker]["overall"]
            print(f"{cadres:>10,}  {linker:<8}{o['records']:>9,}{o['precision']:>11.4f}{o['recall']:>9.4f}{o['review']:>8,}"
                  f"{o['homonym_links']:>15,}{figures[linker]['seconds']:>9.2f}{figures[linker]['peak_mb']:>9,.0f}")  # fmt: skip
        ours, splink = figures["ours"], figures["splink"]
        print(f"{'':>10}  ours / splink: {ours['seconds'] / splink['seconds']:.2f}x the time; recall "
              f"{ours['overall']['recall'] - splink['overall']['recall']:+.4f}, precision "
              f"{ours['overall']['precision'] - splink['overall']['precision']:+.4f}", flush=True)  # fmt: skip
        results.append({"cadres": cadres, **figures})
    (workdir / "bench-link.json").write_text(json.dumps(results, indent=1, default=float))
    print(f"figures saved to {workdir / 'bench-link.json'}")
    return 0
