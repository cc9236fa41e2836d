"""``dajiandu bench ingest``: the pipeline's reading against a plain read of the same exports.

It times, per roster size, three child processes (so each has its own peak
memory): generating the sample sources, a *reference* read of the same exports with the plain
readers of the stack (sqlite3, Polars' CSV and NDJSON readers, calamine; no typing, no checks, no
lineage, nothing written), and ``dajiandu run`` (ingest, then linking). It prints rows/s of the
source rows, peak memory and the ratio of the run to the reference.
"""

import glob
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
import polars as pl
import python_calamine

from orchestration.bench import harness
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
        """Source rows per second of the phase (0 when it took no time)."""
        return self.rows / self.seconds if self.seconds else 0.0


def _warehouse_rows(warehouse: Path) -> int:
    """The rows read from the sources: those of the published bronze and quarantine tables."""
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
    """Read every export with the stack's plain readers (no typing, no checks, nothing written).

    Args:
        sources_yaml: the ``sources.yaml`` naming the exports.

    Returns:
        The number of data rows read.
    """
    return sum(frame.height for _, frame in reference_frames(sources_yaml))


def reference_frames(sources_yaml: str) -> Iterator[tuple[str, pl.DataFrame]]:
    """Every export read with the stack's plain readers, as (source, frame of text); a
    workbook's title row is its first row, its header the second."""
    for source, config in load_sources(sources_yaml).items():
        if config.kind == "sql":
            path = str(config.url).split(":///", 1)[1]
            with sqlite3.connect(path) as conn:
                cursor = conn.execute(f'SELECT * FROM "{config.table}"')
                names = [d[0] for d in cursor.description]
                # untyped, as the CSV reads are: an export's column may mix numbers and text
                schema = dict.fromkeys(names, pl.String)
                fetched = cursor.fetchall()
                yield source, pl.DataFrame(fetched, schema=schema, orient="row", strict=False)
            continue
        for file in config.files():
            data = file.read_bytes()
            if file.suffix == ".csv":
                text = (
                    data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else _decode(data)
                )
                yield (
                    source,
                    pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=True),
                )
            elif file.suffix == ".jsonl":
                yield source, _ndjson(data)
            else:
                book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
                header, *rows = book.get_sheet_by_index(0).to_python()[1:]
                names = [str(h) for h in header]
                text = [[None if v in ("", None) else str(v) for v in row] for row in rows]
                yield source, pl.DataFrame(text, schema=names, orient="row")


def _ndjson(data: bytes) -> pl.DataFrame:
    """Polars' NDJSON reader; a file with a broken line is read again without the lines orjson
    rejects."""
    try:
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except pl.exceptions.ComputeError:
        good = [line for line in data.splitlines() if line.strip() and _is_json(line)]
        return pl.read_ndjson(io.BytesIO(b"\n".join(good)), infer_schema_length=None)


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _decode(data: bytes) -> str:
    """UTF-8, else GB 18030 (the other encoding the exports come in)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


TABLE = harness.Table(
    harness.Column("cadres", 10, ","),
    harness.Column("phase", 22, left=True, gap=2),
    harness.Column("seconds", 9, ".1f"),
    harness.Column("rows", 12, ","),
    harness.Column("rows/s", 11, ",.0f"),
    harness.Column("peak MB", 9, ",.0f"),
)


def bench_ingest(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    """Generate, reference-read and ingest at each roster size; print the figures and ratios.

    Arguments and figures as every bench on generated data (see :mod:`orchestration.bench`).
    """
    measures: list[Measure] = []
    print(TABLE.header(), flush=True)
    for cadres in sizes:
        batch = _measure(workdir, cadres, seed)
        for m in batch:
            print(TABLE.row(cadres, m.phase, m.seconds, m.rows, m.rows_per_s, m.peak_mb))
        _, reference, run = batch
        time_x = harness.ratio(run.seconds, reference.seconds)
        memory_x = harness.ratio(run.peak_mb, reference.peak_mb)
        note = f"{time_x:.1f}× the time, {memory_x:.1f}× the memory"
        print(TABLE.aside(f"run (ingest, then linking) / reference read: {note}"), flush=True)
        measures += batch
    harness.save_figures(workdir, "ingest", [asdict(m) for m in measures])
    return 0


def _measure(workdir: Path, cadres: int, seed: int) -> list[Measure]:
    """The three phases at one roster size, each in its own child: generate, reference, run."""
    sample = harness.generate_sample(workdir, cadres, seed)
    command = harness.child_command("ingest", "reference", sample.sources_yaml)
    reference = harness.timed(command, f"reference at {cadres:,} cadres")
    run = harness.run_pipeline(sample)
    rows = _warehouse_rows(sample.warehouse)
    generation = sample.generation
    reference_rows = int(reference.records[0]["rows"])
    return [
        Measure("generate sources", cadres, generation.seconds, generation.peak_mb, rows),
        Measure("reference read", cadres, reference.seconds, reference.peak_mb, reference_rows),
        Measure("dajiandu run", cadres, run.seconds, run.peak_mb, rows),
    ]


def _reference(sources_yaml: str) -> None:
    """Child: the reference read, its row count as JSON."""
    harness.emit({"rows": reference_read(sources_yaml)})


if __name__ == "__main__":
    harness.child_main({"reference": _reference})
