"""A warehouse that verifies and heals: checksums of published tables, leftovers of killed runs.

Every version directory's ``_manifest.json`` lists the SHA-256 of each of its files
(:meth:`warehouse.store.Warehouse.stage`). :func:`verify` recomputes them for every published
table and names each file that is missing or differs; :func:`heal` takes a damaged table out of
the warehouse (its link and its version directory) so that the run that follows writes it again
from its inputs; :func:`clean_leftovers` removes what a run killed half-way leaves behind
(``.staging-*`` directories, temporary table links, the snapshot of a run that never committed
and the versions only it named). Heal and clean only under the warehouse lock
(:mod:`warehouse.lock`): they must never race a run that is writing.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from warehouse.store import (
    CURRENT,
    LAYERS,
    PREVIOUS,
    SNAPSHOTS,
    Warehouse,
    damage,
    layer_links,
    table_links,
)

__all__ = ["LAYERS", "Damage", "clean_leftovers", "heal", "published", "verify"]


@dataclass(frozen=True)
class Damage:
    """One published table that cannot be trusted, and why."""

    table: str
    version: str
    problems: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.table} ({self.version}): " + "; ".join(self.problems)


def published(store: Warehouse) -> list[tuple[str, Path]]:
    """Every published table as (``layer/name``, its link), in a stable order."""
    out = []
    for layer in LAYERS:
        folder = store.root / layer
        if folder.is_dir():
            out += [(f"{layer}/{link.name}", link) for link in sorted(folder.iterdir())
                    if link.is_symlink() and not link.name.startswith(".")]  # fmt: skip
    return out


def verify(store: Warehouse) -> tuple[int, list[Damage]]:
    """Check every published table against its manifest: (tables checked, damaged tables)."""
    found = []
    tables = published(store)
    for table, link in tables:
        target = link.resolve()
        if not target.is_dir():
            found.append(Damage(table, target.name, ("the version directory is missing",)))
            continue
        problems = damage(target)
        if problems:
            found.append(Damage(table, target.name, tuple(problems)))
    return len(tables), found


def heal(store: Warehouse, damaged: list[Damage]) -> list[str]:
    """Unpublish each damaged table (link and version directory): the next materialisation
    writes it again. Returns what was removed, one line per table."""
    removed = []
    for item in damaged:
        layer, name = item.table.split("/", 1)
        link = store.table_path(layer, name)
        target = link.resolve()
        link.unlink(missing_ok=True)
        if target.is_dir() and target.parent.parent.parent.name == ".versions":
            shutil.rmtree(target, ignore_errors=True)
        removed.append(f"{item.describe()} — removed, to be rebuilt by this run")
    return removed


def clean_leftovers(store: Warehouse) -> int:
    """Remove staging directories and temporary links a killed run left, and the snapshot of a
    run that never committed with the versions only it named; the count removed."""
    count = _dead_snapshots(store.root)
    for temp in store.root.glob(".*"):
        dead = temp.name.startswith((f".{CURRENT}.", f".{PREVIOUS}."))
        dead |= any(temp.name.startswith(f".{layer}.") for layer in LAYERS)
        if dead and temp.is_symlink():
            os.unlink(temp)
            count += 1
        elif dead and temp.is_dir():  # a legacy layer folder a killed first commit set aside
            shutil.rmtree(temp, ignore_errors=True)
            count += 1
    if (store.root / CURRENT).is_symlink():
        layer_links(store.root)  # a first commit killed between its folder and its link
    versions = store.root / ".versions"
    if versions.is_dir():
        for staging in [*versions.glob("*/*/.staging-*"), *versions.glob("*/*/.damaged-*")]:
            shutil.rmtree(staging, ignore_errors=True)
            count += 1
    for layer in LAYERS:
        folder = store.root / layer
        if folder.is_dir():
            for temp in folder.glob(".*"):
                if temp.is_symlink():
                    os.unlink(temp)
                    count += 1
    return count


def _dead_snapshots(root: Path) -> int:
    """Snapshots neither current nor previous: runs killed before they committed."""
    folder = root / SNAPSHOTS
    if not folder.is_dir():
        return 0
    keep = {p.resolve() for p in (root / CURRENT, root / PREVIOUS) if p.exists()}
    named: set[Path] = set()
    for snapshot in keep:
        named |= set(table_links(snapshot).values())
    versions, count = (root / ".versions").resolve(), 0
    for snapshot in folder.iterdir():
        if snapshot.resolve() in keep:
            continue
        for version in table_links(snapshot).values():
            if version not in named and version.is_relative_to(versions):
                shutil.rmtree(version, ignore_errors=True)
        shutil.rmtree(snapshot, ignore_errors=True)
        count += 1
    return count
