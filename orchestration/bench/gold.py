"""``dajiandu bench gold``: every gold table built from silver; one aggregation beside DuckDB.

Per roster size (or on an existing warehouse with ``--warehouse``), three child processes, each
with its own peak memory:

- ``gold_tables`` staged by ``Warehouse.stage_many``: every gold table (``transforms.gold.TABLES``), built and written as the asset does, then discarded (the
  warehouse keeps its published gold); the time of each table is printed below the total;
- the profile aggregation alone in Polars: per cadre, events counting against and not per source
  and in total (14 figures), and the ``by_category`` list per source and category;
- the same aggregation written as DuckDB SQL over the same Parquet.

Printed: seconds, peak MB and the ratio of ours to DuckDB, and whether both give the same totals.
"""

import json
import shutil
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from orchestration.bench import harness
from transforms.profile import SOURCES
from warehouse.clock import today

MEASURES = ("gold", "polars", "duckdb")
"""The three children timed per warehouse: all of gold, the profile aggregation in Polars, in
DuckDB SQL."""

_DUCKDB_SQL = """
WITH linked AS (
  SELECT person_no, source, category, counts_against
  FROM read_parquet('{events}/**/*.parquet', hive_partitioning = true)
  WHERE link_status = 'linked' AND person_no IS NOT NULL AND event_date <= DATE '{as_of}'
),
per_source AS (
  SELECT person_no,
    {columns},
    sum(CASE WHEN counts_against THEN 1 ELSE 0 END) AS events_against,
    count(*) AS events
  FROM linked GROUP BY person_no
),
per_category AS (
  SELECT person_no, source, category,
    sum(CASE WHEN counts_against THEN 1 ELSE 0 END) AS against,
    sum(CASE WHEN counts_against THEN 0 ELSE 1 END) AS other
  FROM linked GROUP BY person_no, source, category
),
by_category AS (
  SELECT person_no,
    list({{'source': source, 'category': category, 'against': against, 'other': other}}
         ORDER BY source, category NULLS LAST) AS by_category
  FROM per_category GROUP BY person_no
)
SELECT * FROM per_source JOIN by_category USING (person_no)
"""


def duckdb_sql(events: Path, as_of: date) -> str:
    """The profile aggregation as DuckDB SQL over the Parquet of ``silver/supervision_event``."""
    columns = ",\n    ".join(
        f"sum(CASE WHEN source = '{s}' AND {'' if against else 'NOT '}counts_against "
        f"THEN 1 ELSE 0 END) AS {s}_{'against' if against else 'other'}"
        for s in SOURCES
        for against in (True, False)
    )
    return _DUCKDB_SQL.format(columns=columns, events=events, as_of=as_of.isoformat())


def bench_gold(
    sizes: list[int],
    workdir: Path,
    seed: int = 7,
    warehouse: Path | None = None,
    events_wanted: int = 0,
) -> int:
    """Time all of gold, and the profile aggregation in Polars beside DuckDB, per warehouse.

    Args:
        sizes: the roster sizes, in cadres, to generate and run (ignored with ``warehouse``).
        workdir: scratch folder; each size writes ``<size>/``, each scaled copy ``scaled-<n>/``,
            and the figures go to ``bench-gold.json``.
        seed: the generator's seed.
        warehouse: an existing warehouse to bench instead of generating.
        events_wanted: when not 0, bench copies whose silver events are repeated to this many.

    Returns:
        0, the command's exit status.
    """
    if warehouse is not None:
        targets = [(str(warehouse), warehouse)]
    else:
        targets = [_generated(workdir, cadres, seed) for cadres in sizes]
    if events_wanted:
        targets = _scaled(targets, workdir, events_wanted)
    results = [_bench_warehouse(label, target) for label, target in targets]
    harness.save_figures(workdir, "gold", results)
    return 0


def _generated(workdir: Path, cadres: int, seed: int) -> tuple[str, Path]:
    """A warehouse filled by a pipeline run on freshly generated sources, and its label."""
    sample = harness.generate_sample(workdir, cadres, seed)
    harness.run_pipeline(sample)
    return f"{cadres:,} cadres", sample.warehouse


def _scaled(
    targets: list[tuple[str, Path]], workdir: Path, events_wanted: int
) -> list[tuple[str, Path]]:
    """Each target copied with its events repeated (:func:`scaled_copy`), in a child: a parent
    grown by the copy would pass its peak memory on to each child."""
    scaled = []
    for n, (label, path) in enumerate(targets):
        copy = workdir / f"scaled-{n}"
        harness.timed(
            harness.child_command("gold", "scale", path, copy, events_wanted), f"scale of {label}"
        )
        scaled.append((f"{label}, events repeated to {events_wanted:,}", copy))
    return scaled


def _bench_warehouse(label: str, target: Path) -> dict[str, Any]:
    """The three measures on one warehouse, each in its own child; printed, and returned."""
    manifest = target / "silver" / "supervision_event" / "_manifest.json"
    events = json.loads(manifest.read_text())["rows"]
    figures = {}
    for what in MEASURES:
        run = harness.timed(harness.child_command("gold", what, target), f"{what} on {label}")
        figures[what] = {**run.records[0], "peak_mb": run.peak_mb}
    gold, ours, duck = (figures[what] for what in MEASURES)
    print(f"{label}: {events:,} events in silver")
    print(f"  every gold table, built, written       {_cost(gold)}  rows {gold['rows']}")
    for step in gold["steps"]:
        print(f"    {step}")
    print(f"  profile aggregation, Polars (ours)     {_cost(ours)}")
    print(f"  profile aggregation, DuckDB SQL        {_cost(duck)}")
    time_x, memory_x = (harness.ratio(ours[k], duck[k]) for k in ("seconds", "peak_mb"))
    same = "yes" if ours["rows"] == duck["rows"] else "NO"
    print(
        f"  ours / DuckDB: {time_x:.2f}× the time, {memory_x:.2f}× the memory; same totals: {same}"
    )
    return {"target": label, "events": events, **figures}


def _cost(figures: dict[str, Any]) -> str:
    return f"{figures['seconds']:>7.1f} s  {figures['peak_mb']:>7,.0f} MB"


def _totals(frame: pl.DataFrame) -> dict[str, int]:
    """What both engines must agree on: cadres, events, and the per-category entries and sums."""
    entries = frame.select(pl.col("by_category").explode().struct.unnest()).drop_nulls("source")
    return {
        "profiles": frame.height,
        "events": int(frame["events"].sum()),
        "events_against": int(frame["events_against"].sum()),
        "category_entries": entries.height,
        "category_against": int(entries["against"].sum()),
        "category_other": int(entries["other"].sum()),
    }


def _measure(what: str, warehouse: str) -> None:
    """Child: one timed measurement (imports happen before the clock starts), as JSON."""
    import duckdb

    from transforms.events import linked_events
    from transforms.gold import gold_tables
    from transforms.profile import category_counts, source_counts
    from warehouse.layer_inputs import silver_inputs
    from warehouse.rules import load_rules
    from warehouse.store import Warehouse

    as_of = today()
    store = Warehouse(warehouse)
    steps: list[str] = []
    start = time.perf_counter()
    if what == "gold":
        tables = gold_tables(silver_inputs(store), load_rules(), as_of)
        staged = store.stage_many("gold", tables, steps.append)
        rows: dict[str, int] = {name: table.rows for name, table in staged.items()}
        for table in staged.values():
            store.discard(table)
    elif what == "polars":
        events = store.scan("silver", "supervision_event")
        linked = linked_events(events).filter(pl.col("event_date") <= as_of)
        rows = _totals(
            source_counts(linked).join(category_counts(linked), on="person_no").collect()
        )
    else:
        events_dir = (Path(warehouse) / "silver" / "supervision_event").resolve()
        relation = duckdb.sql(duckdb_sql(events_dir, as_of))
        if relation is None:  # only a statement that returns no rows gives None
            raise RuntimeError("the DuckDB profile aggregation returned no relation")
        rows = _totals(relation.pl())
    harness.emit({"seconds": time.perf_counter() - start, "rows": rows, "steps": steps})


def scaled_copy(warehouse: Path, target: Path, events_wanted: int) -> Path:
    """A warehouse whose ``silver/supervision_event`` repeats the events of ``warehouse`` until it
    holds exactly ``events_wanted`` (each copy with its own event ids); the other
    tables gold reads are links to the originals. A measure of volume, not of realistic content."""
    from warehouse.store import Warehouse

    events = Warehouse(warehouse).scan("silver", "supervision_event")
    rows = events.select(pl.len()).collect().item()
    copies = max(1, -(-events_wanted // rows))
    shutil.rmtree(target, ignore_errors=True)
    for layer, name in (
        ("silver", "cadre"), ("bronze", "petition"), ("bronze", "audit"), ("bronze", "tolerance"),
    ):  # fmt: skip
        link = target / layer / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to((warehouse / layer / name).resolve())
    repeated = [
        events.with_columns(pl.concat_str(pl.col("event_id"), pl.lit(f"#{k}")).alias("event_id"))
        for k in range(copies)
    ]
    scaled = pl.concat(repeated).head(events_wanted).collect()
    store = Warehouse(target)
    store.publish(store.stage("silver", "supervision_event", scaled, "source", "source"))
    return target


def _scale(warehouse: str, target: str, events_wanted: str) -> None:
    """Child: :func:`scaled_copy`."""
    scaled_copy(Path(warehouse), Path(target), int(events_wanted))


if __name__ == "__main__":
    harness.child_main({**{what: partial(_measure, what) for what in MEASURES}, "scale": _scale})
