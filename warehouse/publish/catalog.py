"""``catalog.duckdb``: views over the current silver and gold tables, for analysts' SQL.

Each view reads its table through the stable link ``<warehouse>/<layer>/<table>`` (never a
version directory), so it shows the new rows as soon as a run swaps the link; the catalog is
rebuilt after each run all the same, to pick up new tables and columns. Open it with
``duckdb data/warehouse/catalog.duckdb`` and query ``gold.cadre_profile``, ``silver.cadre`` ….
The file is built beside the old one and renamed over it.
"""

import os
import uuid
from pathlib import Path

import duckdb

from warehouse.store import Warehouse

CATALOG_FILE = "catalog.duckdb"
LAYERS = ("silver", "gold")


def tables(store: Warehouse) -> list[tuple[str, str]]:
    """The (layer, table) pairs that exist now, sorted."""
    found = []
    for layer in LAYERS:
        folder = store.root / layer
        if folder.is_dir():
            found += [
                (layer, p.name) for p in sorted(folder.iterdir()) if (p / "_manifest.json").exists()
            ]
    return found


def _view_sql(store: Warehouse, layer: str, name: str) -> str:
    link = store.table_path(layer, name).absolute()
    manifest = store.manifest(layer, name) or {}
    if manifest.get("partition_key"):
        source = f"read_parquet('{link}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
    else:
        source = f"read_parquet('{link}/data.parquet')"
    return f'CREATE VIEW "{layer}"."{name}" AS SELECT * FROM {source}'  # noqa: S608 (our own paths)


def write_catalog(store: Warehouse) -> tuple[Path, list[str]]:
    """Rebuild the catalog; returns its path and the views it holds (``gold.warning`` …)."""
    target = store.root / CATALOG_FILE
    building = target.with_name(f".{CATALOG_FILE}.{uuid.uuid4().hex[:8]}")
    if "'" in str(store.root.absolute()):
        raise ValueError(
            f"warehouse path {store.root} has a quote in it: DuckDB views cannot name it"
        )
    views = []
    try:
        with duckdb.connect(str(building)) as conn:
            for layer in LAYERS:
                conn.execute(f'CREATE SCHEMA "{layer}"')
            for layer, name in tables(store):
                if "'" in str(store.root):
                    raise ValueError(
                        f"warehouse path {store.root} has a quote in it: cannot name it in SQL"
                    )
                conn.execute(_view_sql(store, layer, name))
                views.append(f"{layer}.{name}")
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
    return target, views
