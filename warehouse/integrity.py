"""A warehouse that verifies and heals: checksums of published tables, leftovers of killed runs.

Every version directory's ``_manifest.json`` lists the SHA-256 of each of its files
(:meth:`warehouse.store.Warehouse.stage`). :func:`verify` recomputes them for every published
table and names each file that is missing or differs; :func:`heal` takes a damaged table out of
the warehouse (its link and its version directory) so that the run that follows writes it again
from its inputs; :func:`clean_leftovers` removes what a run killed half-way leaves behind
(``.staging-*`` directories, temporary table links). Heal and clean only under the warehouse lock
(:mod:`warehouse.lock`): they must never race a run that is writing.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from warehouse.store import Warehouse, damage

LAYERS = ("bronze", "quarantine", "silver", "gold")


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
    """Remove staging directories and temporary links a killed run left; the count removed."""
    count = 0
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
