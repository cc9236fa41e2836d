"""One consistent, verified set of table versions to publish from.

A run publishes its tables one layer after another; a publish reading the stable links while a
run is under way could take a new ``silver/cadre`` beside an old ``gold/cadre_profile``. So a
publish *pins* the version directories its tables point at — under the warehouse lock
(:mod:`warehouse.lock`) when publishing on its own (``dajiandu publish``: no run is writing
then), or inside the run that holds the lock (the publishing assets) — checks each against the
SHA-256 its manifest lists (a flipped byte is named with its table, never left to Parquet's
reader), and then reads only those directories, whatever a later run publishes meanwhile.
Version directories are immutable, and a run keeps the last three, so the pinned ones stay.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.lock import LockedError, WarehouseLock, describe_holder
from warehouse.store import Warehouse, _scan, damage


class SnapshotError(Exception):
    """The warehouse cannot give a consistent, intact set of tables; names the table and why."""


@dataclass
class Snapshot:
    """Pinned version directories by ``layer/name``."""

    root: Path
    versions: dict[str, Path] = field(default_factory=dict)

    def has(self, layer: str, name: str) -> bool:
        return f"{layer}/{name}" in self.versions

    def _version(self, layer: str, name: str) -> Path:
        table = f"{layer}/{name}"
        if table not in self.versions:
            raise SnapshotError(
                f"table {table} does not exist in {self.root} (run `dajiandu run` first)"
            )
        path = self.versions[table]
        if not (path / "_manifest.json").is_file():
            raise SnapshotError(
                f"table {table}: its version {path.name} was removed while publishing (several "
                "runs finished meanwhile); publish again"
            )
        return path

    def scan(self, layer: str, name: str) -> pl.LazyFrame:
        """The pinned version of a table, lazily."""
        return _scan(self._version(layer, name))

    def manifest(self, layer: str, name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(
            (self._version(layer, name) / "_manifest.json").read_text(encoding="utf-8")
        )
        return loaded

    def data_versions(self, tables: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Per table (``layer/name``): the pinned version directory's name and its rows."""
        out = {}
        for table in sorted(self.versions if tables is None else tables):
            if table in self.versions:
                layer, name = table.split("/", 1)
                rows = self.manifest(layer, name).get("rows")
                out[table] = {"version": self.versions[table].name, "rows": rows}
        return out


def pin(
    store: Warehouse, tables: Iterable[tuple[str, str]], optional: Iterable[tuple[str, str]] = ()
) -> Snapshot:
    """Pin the current version of each table (``optional`` ones only if they exist) and check
    every file of each against its manifest.

    Raises:
        SnapshotError: a required table is missing, or a file of one is missing or damaged.
    """
    snapshot = Snapshot(store.root)
    maybe = set(optional)
    for layer, name in [*tables, *maybe]:
        table = f"{layer}/{name}"
        link = store.table_path(layer, name)
        if not link.exists():
            if (layer, name) in maybe:
                continue
            raise SnapshotError(
                f"table {table} does not exist in {store.root} (run `dajiandu run` first)"
            )
        version = link.resolve()
        problems = damage(version)
        if problems:
            raise SnapshotError(
                f"table {table} ({version.name}) does not match its checksums: "
                f"{'; '.join(problems)}. Nothing was published; the next `dajiandu run` "
                "rebuilds the table"
            )
        snapshot.versions[table] = version
    return snapshot


@contextmanager
def holding_warehouse(root: Path, who: str) -> Iterator[None]:
    """Hold the warehouse lock (no run can be writing) for the body.

    Raises:
        SnapshotError: a run holds it (named, with its pid and start time).
    """
    lock = WarehouseLock(root, who)
    try:
        lock.acquire()
    except LockedError:
        raise SnapshotError(
            describe_holder(root, lock.holder()).replace(
                "wait for it to finish", "publish after it finishes"
            )
        ) from None
    try:
        yield
    finally:
        lock.release()
