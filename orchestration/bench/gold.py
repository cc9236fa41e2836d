"""``dajiandu bench gold``: build every gold table from silver, and compare one aggregation with DuckDB.

Per roster size (or on an existing warehouse with ``--warehouse``), three child processes, each
with its own peak memory:

- ``stage_gold``: all seven gold tables, built and written as the asset does, then discarded (the
  warehouse keeps its published gold); the time of each table is printed below the total;
- the profile aggregation alone in Polars: per cadre, events counting against and not per source
  and in total (14 figures), and the ``by_category`` list per source and category;
- the same aggregation written as DuckDB SQL over the same Parquet.

Printed: seconds, peak MB and the ratio of ours to DuckDB, and whether both give the same totals.
"""

import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

from orchestration.bench.ingest import _child_command, _generate, _timed
from transforms.profile import SOURCES

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
    columns = ",\n    ".join(
        f"sum(CASE WHEN source = '{s}' AND {'' if against else 'NOT '}counts_against THEN 1 ELSE 0 END)"
        f" AS {s}_{'against' if against else 'other'}"
        for s in SOURCES
        for against in (True, False)
    )
    return _DUCKDB_SQL.format(columns=columns, events=events, as_of=as_of.isoformat())


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


def _child(what: str, warehouse: Path) -> None:
    """One timed measurement (imports happen before the clock starts)."""
    import resource

    import duckdb

    from assets.gold import stage_gold
    from transforms.events import linked_events
    from transforms.profile import category_counts, source_counts
    from warehouse.rules import DEFAULT_RULES
    from warehouse.store import Warehouse

    as_of = date.today()
    store = Warehouse(warehouse)
    steps: list[str] = []
    start = time.perf_counter()
    if what == "gold":
        staged = stage_gold(store, DEFAULT_RULES, as_of, steps.append)
        rows = {name: table.rows for name, table in staged.items()}
        for table in staged.values():
            store.discard(table)
    elif what == "polars":
        events = store.scan("silver", "supervision_event")
        linked = linked_events(events).filter(pl.col("event_date") <= as_of)
        frame = source_counts(linked).join(category_counts(linked), on="person_no").collect()
        rows = _totals(frame)
    else:
        events = (warehouse / "silver" / "supervision_event").resolve()
        rows = _totals(duckdb.sql(duckdb_sql(events, as_of)).pl())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "steps": steps}, ensure_ascii=False))
    print(f"peak_rss_mb={peak:.1f}")


def scaled_copy(warehouse: Path, target: Path, events_wanted: int) -> Path:
    """A warehouse whose ``silver/supervision_event`` repeats the events of ``warehouse`` until it
    holds exactly ``events_wanted`` (each copy with its own event ids); the other
    tables gold reads are links to the originals. A measure of volume, not of realistic content."""
    import polars as pl

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
    scaled = (
        pl.concat(
            [
                events.with_columns(
                    pl.concat_str(pl.col("event_id"), pl.lit(f"#{k}")).alias("event_id")
                )
                for k in range(copies)
            ]
        )
        .head(events_wanted)
        .collect()
    )
    store = Warehouse(target)
    store.publish(store.stage("silver", "supervision_event", scaled, "source", "source"))
    return target


def bench_gold(
    sizes: list[int],
    workdir: Path,
    seed: int = 7,
    warehouse: Path | None = None,
    events_wanted: int = 0,
) -> int:
    targets: list[tuple[str, Path]] = []
    if warehouse is not None:
        targets.append((str(warehouse), warehouse))
    for cadres in sizes if warehouse is None else []:
        sources, built, _, _ = _generate(workdir / str(cadres), cadres, seed)
        _timed(_child_command("run", sources / "sources.yaml", built), "run", cadres)
        targets.append((f"{cadres:,} cadres", built))
    if events_wanted:
        scaled = []
        for n, (label, path) in enumerate(targets):
            # In a child: a parent grown by the copy would pass its peak memory on to each child.
            copy = workdir / f"scaled-{n}"
            command = [sys.executable, "-m", "orchestration.bench.gold", "scale", str(path),
                       str(copy), str(events_wanted)]  # fmt: skip
            _timed(command, "scale", 0)
            scaled.append((f"{label}, events repeated to {events_wanted:,}", copy))
        targets = scaled
    results = []
    for label, target in targets:
        events = json.loads(
            (target / "silver" / "supervision_event" / "_manifest.json").read_text()
        )["rows"]
        figures = {}
        for what in ("gold", "polars", "duckdb"):
            command = [sys.executable, "-m", "orchestration.bench.gold", what, str(target)]
            _, peak, out = _timed(command, what, 0)
            figures[what] = {**json.loads(out.splitlines()[0]), "peak_mb": peak}
        gold, ours, duck = figures["gold"], figures["polars"], figures["duckdb"]
        print(f"{label}: {events:,} events in silver")
        print(
            f"  all seven gold tables, built, written  {gold['seconds']:>7.1f} s  {gold['peak_mb']:>7,.0f} MB  rows {gold['rows']}"
        )
        for step in gold["steps"]:
            print(f"    {step}")
        print(
            f"  profile aggregation, Polars (ours)     {ours['seconds']:>7.1f} s  {ours['peak_mb']:>7,.0f} MB"
        )
        print(
            f"  profile aggregation, DuckDB SQL        {duck['seconds']:>7.1f} s  {duck['peak_mb']:>7,.0f} MB"
        )
        same = ours["rows"] == duck["rows"]
        print(f"  ours / DuckDB: {ours['seconds'] / duck['seconds']:.2f}× the time, "
              f"{ours['peak_mb'] / duck['peak_mb']:.2f}× the memory; same totals: {'yes' if same else 'NO'}")  # fmt: skip
        results.append({"target": label, "events": events, **figures})
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "bench-gold.json").write_text(json.dumps(results, indent=1))
    print(f"figures saved to {workdir / 'bench-gold.json'}")
    return 0


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "scale":
    scaled_copy(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
elif __name__ == "__main__" and len(sys.argv) == 3:
    _child(sys.argv[1], Path(sys.argv[2]))
