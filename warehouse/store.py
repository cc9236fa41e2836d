"""The Parquet warehouse: versioned tables, staged writes, one atomic swap per run.

A table ``<root>/<layer>/<name>`` is a symbolic link to an immutable version directory
``<root>/.versions/<layer>/<name>/<version>``. A write stages a new version (one Parquet file per
partition, Hive layout), lets the caller check it, then publishes it. The version name is a hash
of the content, so writing the same rows twice gives the same directory and the same bytes.

The table links of all layers live in one *snapshot* directory, ``.snapshots/<run>/<layer>/<name>``;
``<root>/.current`` is a link to the snapshot in force and each ``<root>/<layer>`` a link to
``.current/<layer>``, so ``<root>/gold/warning`` keeps naming the current table. A run
(:class:`RunSnapshot`) publishes into its own snapshot, a copy of the current one that only the
run reads (so silver reads the bronze this run just published), and :meth:`RunSnapshot.commit`
makes every layer's new tables current at once by renaming one link (``.current``): a reader sees
the whole previous warehouse or the whole new one, and a run that fails anywhere before the commit
leaves every table as it was (:meth:`RunSnapshot.abort` drops what it staged).
"""

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pyarrow.parquet as pq
from polars.datatypes import DataTypeClass

KEEP_VERSIONS = 3
LAYERS = ("extract", "bronze", "quarantine", "silver", "gold")
"""The layers of tables: ``extract`` holds a SQL source's rows as extracted (masked text), the
state its next incremental read merges into."""
SNAPSHOTS = ".snapshots"
CURRENT = ".current"
PREVIOUS = ".previous"
MB = 1024 * 1024
SPACE_MARGIN = 8 * MB
"""Free space kept beyond the estimate of what a run writes (Dagster's event log, the quality
report's pages and the ledger are written too)."""
_PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "write_statistics": True}
WRITTEN_WITH = f"pyarrow=={pa.__version__};{json.dumps(_PARQUET_OPTIONS, sort_keys=True)}"
"""What a table file's bytes depend on beside its rows: the writer and its options."""


class WarehouseError(Exception):
    """A table cannot be written or read; the message names the table."""


@dataclass(frozen=True)
class Kept:
    """A partition file of an earlier version that a new version keeps as it is."""

    file: Path
    sha256: str
    """As the earlier version's manifest lists it."""
    rows: int


@dataclass
class StagedTable:
    """A written but not yet published version of a table."""

    layer: str
    name: str
    path: Path
    partition_key: str | None
    rows: int
    partitions: dict[str, int]
    digests: dict[str, str]
    """Per partition directory (``month=2024-05``, or ``all``): the SHA-256 of its Parquet file."""

    def scan(self) -> pl.LazyFrame:
        return _scan(self.path)


class Warehouse:
    """One warehouse root on the local file system.

    ``view``: a run's own snapshot (:class:`RunSnapshot`); tables are read from it and published
    into it until the run commits. Without it, the current tables are read and :meth:`publish`
    swaps one table's link in the current snapshot (tools and tests outside a run).
    """

    def __init__(self, root: str | os.PathLike[str], view: Path | None = None):
        self.root = Path(root)
        self.view = view

    def table_path(self, layer: str, name: str) -> Path:
        return (self.view if self.view is not None else self.root) / layer / name

    def exists(self, layer: str, name: str) -> bool:
        return self.table_path(layer, name).exists()

    def scan(self, layer: str, name: str) -> pl.LazyFrame:
        """The current version of a table, lazily.

        Raises:
            WarehouseError: the table has never been written.
        """
        path = self.table_path(layer, name)
        if not path.exists():
            raise WarehouseError(f"table {layer}/{name} does not exist yet in {self.root}")
        return _scan(path.resolve())

    def scan_version(self, layer: str, name: str, version: str) -> pl.LazyFrame | None:
        """An earlier version of a table (``v-…``), lazily, while the warehouse keeps it."""
        path = self.root / ".versions" / layer / name / version
        if not re.fullmatch(r"v-[0-9a-f]+", version) or not (path / "_manifest.json").is_file():
            return None
        return _scan(path)

    def content(self, layer: str, name: str, partition: str | None = None) -> str:
        """What a table holds, as one text: its files and their SHA-256 (from its manifest; the
        version name for a table written before manifests listed their files, ``-`` for one not
        written yet). Not its version name alone, which also holds the fingerprint it was
        computed from: a table computed again into the same bytes (at another date, after a
        code change upstream) leaves what reads it carried over. ``partition``
        (``source=petition``): what that partition holds."""
        manifest = self.manifest(layer, name)
        if manifest and manifest.get("files"):
            files = sorted(manifest["files"].items())
            if partition is not None:
                return f"{layer}/{name}/{partition}={[f for f in files if f[0].startswith(partition + '/')]}"
            return f"{layer}/{name}={files}"
        path = self.table_path(layer, name)
        return f"{layer}/{name}={path.resolve().name if path.exists() else '-'}"

    def scan_content(self, layer: str, name: str, files: dict[str, str]) -> pl.LazyFrame | None:
        """A version of a table the warehouse keeps whose files are ``files`` (name → SHA-256,
        as its manifest lists them), lazily: the rows an earlier result was computed from,
        found by what they hold, not by a version name (which a full rebuild would not share)."""
        for version in sorted((self.root / ".versions" / layer / name).glob("v-*")):
            manifest = version / "_manifest.json"
            if not files or not manifest.is_file():
                continue
            if json.loads(manifest.read_text(encoding="utf-8")).get("files") == files:
                return None if damage(version) else _scan(version)
        return None

    def partition_files(self, layer: str, name: str, values: Iterable[str]) -> dict[str, Kept]:
        """The Parquet file of each partition ``values`` of the current version of a partitioned
        table, with its SHA-256 and rows as its manifest lists them, for :meth:`stage` to keep; a
        value the version has no partition of (no rows) is left out."""
        manifest = self.manifest(layer, name) or {}
        key, files = manifest.get("partition_key"), manifest.get("files") or {}
        rows = manifest.get("partitions") or {}
        version = self.table_path(layer, name).resolve()
        return {
            v: Kept(version / _file_name(f"{key}={v}"), files[_file_name(f"{key}={v}")],
                    int(rows.get(f"{key}={v}", 0)))
            for v in values
            if key and _file_name(f"{key}={v}") in files
        }  # fmt: skip

    def manifest(self, layer: str, name: str) -> dict[str, Any] | None:
        """The manifest of the current version of a table, or None if it was never written."""
        path = self.table_path(layer, name) / "_manifest.json"
        if not path.exists():
            return None
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded

    def carried(
        self, layer: str, names: Iterable[str], inputs: str
    ) -> dict[str, StagedTable] | None:
        """The current versions of ``names``, as staged tables to publish again, when every one
        was computed from the same ``inputs`` (the fingerprint kept as ``extra["inputs"]`` in its
        manifest); else None. Nothing is read but the manifests: a table carried
        over is neither recomputed, rewritten nor re-validated (its partitions' digests are the
        ones the gate's ledger already holds)."""
        found = {}
        for name in names:
            manifest = self.manifest(layer, name)
            if manifest is None or manifest.get("extra", {}).get("inputs") != inputs:
                return None
            files = manifest.get("files") or {}
            parts = manifest.get("partitions") or {}
            if set(files) != {_file_name(p) for p in parts}:
                return None
            found[name] = StagedTable(
                layer,
                name,
                self.table_path(layer, name).resolve(),
                manifest.get("partition_key"),
                int(manifest.get("rows", 0)),
                {p: int(n) for p, n in parts.items()},
                {p: files[_file_name(p)] for p in parts},
            )
        return found

    def stage(
        self,
        layer: str,
        name: str,
        frame: pl.DataFrame | Iterable[pl.DataFrame],
        partition_by: str | None = None,
        partition_key: str = "part",
        extra: dict[str, object] | None = None,
        keep: dict[str, Kept] | None = None,
    ) -> StagedTable:
        """Write ``frame`` as a new, unpublished version of ``layer/name``.

        Each distinct value of ``partition_by`` becomes a directory ``<partition_key>=<value>``; the
        column itself is not stored in the files (Hive layout carries it). Rows keep their order.
        ``extra`` is kept in the version's manifest (and counts towards its identity).

        ``keep``: partitions (value → :class:`Kept`, :meth:`partition_files`) that ``frame`` does
        not hold and that stand as they are: the file is linked, not written again, and the
        version is what writing its rows would give. A kept file that is gone, or whose bytes are
        not its SHA-256 any more, stops the write (the next run's check rebuilds it).

        ``frame`` may also be an iterable of pieces of one unpartitioned table (a generator that
        computes each when asked): they are appended to one file in order, so a table larger than
        memory allows is written one piece at a time.
        """
        if not isinstance(frame, pl.DataFrame) and partition_by is not None:
            raise ValueError(f"{layer}/{name}: a table staged in pieces cannot be partitioned")
        home = self.root / ".versions" / layer / name
        staging = home / f".staging-{uuid.uuid4().hex}"
        try:
            staging.mkdir(parents=True)
        except OSError as error:
            raise WarehouseError(
                f"table {layer}/{name}: cannot write in {self.root}: {error.strerror or error}"
            ) from error
        digest = hashlib.sha256()
        counts: dict[str, int] = {}
        digests: dict[str, str] = {}
        row_digests: dict[str, str] = {}
        current = self.manifest(layer, name) or {}
        try:
            partitioned = isinstance(frame, pl.DataFrame) and partition_by is not None
            parts: list[tuple[str, pl.DataFrame | Iterable[pl.DataFrame] | Kept]]
            if not isinstance(frame, pl.DataFrame) or partition_by is None:
                parts = [("", frame)]
            elif frame.height == 0 and not keep:
                # No rows, no partition directories: the file keeps the partition column (named
                # as its key), so the empty table has the same columns as a full one.
                parts = [("", frame.rename({partition_by: partition_key}))]
            else:
                keys = frame.get_column(partition_by).fill_null("unknown")
                values, kept = set(keys.unique().to_list()), keep or {}
                if values & set(kept):
                    raise ValueError(
                        f"{layer}/{name}: partitions both kept and given: {values & set(kept)}"
                    )
                parts = [
                    (f"{partition_key}={value}",
                     kept[value] if value in kept else frame.filter(keys == value).drop(partition_by))
                    for value in sorted(values | set(kept))
                ]  # fmt: skip
            for part_dir, part in parts:
                target = staging / part_dir if part_dir else staging
                target.mkdir(parents=True, exist_ok=True)
                file = target / "data.parquet"
                digest.update(part_dir.encode() + b"\0")
                if isinstance(part, pl.DataFrame):
                    part = self._same_rows(layer, name, part, part_dir or "all", current, row_digests)  # fmt: skip
                elif isinstance(part, Kept):  # the caller's: its digest as the manifest has it
                    was, sha = _recorded(current, part_dir or "all")
                    if was is not None and sha == part.sha256:
                        row_digests[part_dir or "all"] = was
                if isinstance(part, Kept):
                    digests[part_dir or "all"] = _keep_parquet(
                        part, file, digest, f"{layer}/{name}"
                    )
                    rows = part.rows
                else:
                    rows = _write_parquet(part, file)
                    digests[part_dir or "all"] = _hash_file(file, digest)
                counts[part_dir or "all"] = rows
            manifest = {
                "table": f"{layer}/{name}",
                "rows": sum(counts.values()),
                "partition_key": partition_key if partitioned else None,
                "partitions": counts,
                "files": {_file_name(part): digest for part, digest in digests.items()},
                "extra": extra or {},
            }
            if row_digests:
                manifest["row_digests"] = row_digests
            digest.update(json.dumps(extra or {}, sort_keys=True, ensure_ascii=False).encode())
            (staging / "_manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
            )
            version = home / f"v-{digest.hexdigest()[:16]}"
            if version.exists() and not damage(version):
                shutil.rmtree(staging)
            else:
                _replace_version(staging, version)
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise WarehouseError(
                f"table {layer}/{name}: cannot write in {self.root}: {error.strerror or error}"
            ) from error
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return StagedTable(
            layer,
            name,
            version,
            partition_key if partition_by else None,
            sum(counts.values()),
            counts,
            digests,
        )

    def _same_rows(
        self, layer: str, name: str, part: pl.DataFrame, key: str, current: dict[str, Any],
        found: dict[str, str],
    ) -> pl.DataFrame | Kept:  # fmt: skip
        """``part`` (the rows of partition ``key``), or the file of the current version
        (``current``: its manifest) that holds the same rows written the same way, to link
        instead of writing them again (the bytes would be the same: the version is too). Its
        :func:`rows_digest` goes into ``found`` for the manifest."""
        rows = rows_digest(part)
        if rows is None:
            return part
        found[key] = rows
        was, sha = _recorded(current, key)
        if was != rows or sha is None:
            return part
        earlier = self.table_path(layer, name).resolve() / _file_name(key)
        if not earlier.is_file() or _hash_file(earlier) != sha:  # gone or damaged: write
            return part
        return Kept(earlier, sha, part.height)

    def stage_many(
        self,
        layer: str,
        tables: Iterable[tuple[str, pl.DataFrame | Iterable[pl.DataFrame]]],
        progress: Callable[[str], None] = lambda _m: None,
        extra: Callable[[str], dict[str, object]] | None = None,
    ) -> dict[str, StagedTable]:
        """Stage each ``(name, table)`` as it comes (a generator computing one table at a time
        keeps one in memory); ``progress`` hears of each (rows, seconds). If any table fails to
        be computed or written, every table staged so far is discarded before the error goes on.
        ``extra(name)`` goes into that table's manifest (:meth:`stage`).
        """
        staged: dict[str, StagedTable] = {}
        clock = time.perf_counter()
        try:
            for name, table in tables:
                staged[name] = self.stage(layer, name, table, extra=extra(name) if extra else None)
                now = time.perf_counter()
                progress(
                    f"{layer}/{name}: {staged[name].rows:,} rows staged in {now - clock:.1f} s"
                )
                clock = now
        except BaseException:
            for done in staged.values():
                self.discard(done)
            raise
        return staged

    def publish(self, staged: StagedTable) -> Path:
        """Make a staged version the table with one atomic rename of its link: in a run's view,
        the run's table (current for all at the commit); otherwise the current table at once,
        and old versions are pruned."""
        link = self.table_path(staged.layer, staged.name)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() and not link.is_symlink():
            raise WarehouseError(
                f"{link} is a real directory, not a table link: move it away first"
            )
        folder = link.parent.resolve()  # <root>/<layer> is itself a link into the current snapshot
        tmp = folder / f".{staged.name}.{uuid.uuid4().hex}"
        os.symlink(_link_text(staged.path.resolve(), folder, self.root.resolve()), tmp)
        os.replace(tmp, link)
        if self.view is None:
            self._prune(staged)
        return link

    @contextlib.contextmanager
    def spill(self, name: str) -> Iterator[Callable[[pl.DataFrame], pl.LazyFrame]]:
        """A place for a computation's intermediate frames while it runs: each frame given is
        written to a file under ``<root>/.spill`` (Arrow IPC) and read back lazily; the folder
        is removed when the block ends, however it ends. Memory then holds one piece at a time
        (see :data:`transforms.event_links.Hold`)."""
        folder = self.root / ".spill" / f"{name}-{uuid.uuid4().hex}"
        count = itertools.count()

        def hold(frame: pl.DataFrame) -> pl.LazyFrame:
            path = folder / f"{next(count):05d}.arrow"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                frame.write_ipc(path)
            except OSError as error:
                raise WarehouseError(
                    f"{name}: cannot write in {self.root}: {error.strerror or error}"
                ) from error
            return pl.scan_ipc(path)

        try:
            yield hold
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # (another run's spill may be there)
                folder.parent.rmdir()

    def discard(self, staged: StagedTable) -> None:
        """Forget a staged version that failed its checks (unless it is the current one, or the
        one this run's view already holds)."""
        mine = staged.path.resolve()
        for link in {self.table_path(staged.layer, staged.name),
                     self.root / staged.layer / staged.name}:  # fmt: skip
            if link.resolve() == mine:
                return
        shutil.rmtree(staged.path, ignore_errors=True)

    def _prune(self, staged: StagedTable) -> None:
        home = staged.path.parent
        versions = sorted(
            (p for p in home.glob("v-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        current = staged.path.resolve()
        for old in [v for v in versions if v.resolve() != current][
            : max(0, len(versions) - KEEP_VERSIONS)
        ]:
            shutil.rmtree(old, ignore_errors=True)


def table_links(root: Path) -> dict[str, Path]:
    """Every table of a warehouse (or of one snapshot directory) as ``layer/name`` → the version
    directory its link names (absolute, whether or not it still exists)."""
    out = {}
    for layer in LAYERS:
        folder = Path(root) / layer
        if not folder.is_dir():
            continue
        real = folder.resolve()
        for link in sorted(folder.iterdir()):
            if link.is_symlink() and not link.name.startswith("."):
                out[f"{layer}/{link.name}"] = Path(os.path.normpath(real / os.readlink(link)))
    return out


class RunSnapshot:
    """One run's tables: a snapshot directory the run publishes into and reads from, made current
    for every layer at once by :meth:`commit`, or dropped by :meth:`abort`.

    Begin, commit and abort only under the warehouse lock (:mod:`warehouse.lock`).
    """

    def __init__(self, root: str | os.PathLike[str], run_id: str):
        self.root = Path(root).resolve()
        self.path = self.root / SNAPSHOTS / re.sub(r"[^A-Za-z0-9_-]", "_", run_id or "run")
        self.before = table_links(self.root)
        """What was current when the run began."""
        self.existing = set(self.root.glob(".versions/*/*/v-*"))
        self.committed = False
        shutil.rmtree(self.path, ignore_errors=True)
        try:
            for layer in LAYERS:
                (self.path / layer).mkdir(parents=True)
            for table, version in self.before.items():
                link = self.path / table
                os.symlink(_link_text(version, link.parent, self.root), link)
        except OSError as error:
            shutil.rmtree(self.path, ignore_errors=True)
            raise WarehouseError(
                f"warehouse {self.root}: cannot begin a run: {error.strerror or error}"
            ) from error
        self.store = Warehouse(self.root, view=self.path)

    @classmethod
    def join(cls, root: str | os.PathLike[str], run_id: str) -> "RunSnapshot":
        """The snapshot another process of the same run began (a step on another worker).

        Raises:
            WarehouseError: the run has no snapshot (it was never begun, or was cleaned away).
        """
        self = cls.__new__(cls)
        self.root = Path(root).resolve()
        self.path = self.root / SNAPSHOTS / re.sub(r"[^A-Za-z0-9_-]", "_", run_id or "run")
        if not self.path.is_dir():
            raise WarehouseError(f"warehouse {self.root}: run {run_id} has no snapshot to join")
        current = self.root / CURRENT
        self.committed = current.is_symlink() and current.resolve() == self.path.resolve()
        # While the run holds the warehouse nothing else commits: what is current now (or, once
        # this run committed, what was current before it) is what the run began with.
        self.before = table_links(self.root / PREVIOUS if self.committed else self.root)
        self.existing = set(self.root.glob(".versions/*/*/v-*"))
        self.store = Warehouse(self.root, view=self.path)
        return self

    def tables(self) -> dict[str, Path]:
        """The run's tables (published by it, or still the ones it began with)."""
        return table_links(self.path)

    def changed(self) -> list[str]:
        """The tables whose version this run has replaced (so far, in its own snapshot)."""
        return sorted(t for t, v in self.tables().items() if self.before.get(t) != v)

    def commit(self, need_after: int = 0) -> list[str]:
        """Make the run's snapshot current: one atomic rename of ``.current`` swaps every layer.

        ``need_after``: bytes the run still writes once its tables are current (the serving
        database, the catalog, the bundles); refused, with the warehouse unchanged, unless that
        much and :data:`SPACE_MARGIN` are free. Returns the tables that got a new version.

        Raises:
            WarehouseError: not enough free space, or the swap failed (nothing changed).
        """
        changed = self.changed()
        require_space(self.root, need_after + SPACE_MARGIN,
                      f"warehouse {self.root}: not published (every table is as it was)")  # fmt: skip
        current = self.root / CURRENT
        previous = os.readlink(current) if current.is_symlink() else None
        mine = os.path.relpath(self.path, self.root)
        try:
            _swap_link(current, mine)
        except OSError as error:
            raise WarehouseError(
                f"warehouse {self.root}: not published (every table is as it was): cannot swap "
                f"{current}: {error.strerror or error}"
            ) from error
        self.committed = True
        if previous and previous != mine:
            _swap_link(self.root / PREVIOUS, previous)
        layer_links(self.root)
        self._prune()
        return changed

    def abort(self) -> None:
        """Drop the run's snapshot and the versions only it named (nothing current changes)."""
        if self.committed:
            return
        live = set(table_links(self.root).values())
        versions = self.root / ".versions"
        for version in self.tables().values():
            mine = version not in self.existing and version not in live
            if mine and version.is_relative_to(versions):
                shutil.rmtree(version, ignore_errors=True)
        shutil.rmtree(self.path, ignore_errors=True)

    def _prune(self) -> None:
        """Old snapshots go; each table keeps the versions the current and previous snapshots
        name, and at most :data:`KEEP_VERSIONS` in all."""
        keep = {p.resolve() for p in (self.root / CURRENT, self.root / PREVIOUS) if p.exists()}
        named: set[Path] = set()
        for snapshot in keep:
            named |= set(table_links(snapshot).values())
        for snapshot in (self.root / SNAPSHOTS).iterdir():
            if snapshot.resolve() not in keep:
                shutil.rmtree(snapshot, ignore_errors=True)
        for home in self.root.glob(".versions/*/*"):
            versions = sorted((p for p in home.glob("v-*") if p.is_dir()),
                              key=lambda p: p.stat().st_mtime)  # fmt: skip
            spare = len(versions) - KEEP_VERSIONS
            for old in versions:
                if spare <= 0:
                    break
                if old not in named:
                    shutil.rmtree(old, ignore_errors=True)
                    spare -= 1


def layer_links(root: Path) -> None:
    """Make each ``<root>/<layer>`` the link ``.current/<layer>``. A warehouse written before
    snapshots had real layer folders of table links: the run that commits first copied them
    into its snapshot, and the folders give way to the links here."""
    for layer in LAYERS:
        link = root / layer
        want = os.path.join(CURRENT, layer)
        if link.is_symlink():
            if os.readlink(link) != want:
                _swap_link(link, want)
            continue
        if link.is_dir():
            strays = [p.name for p in link.iterdir() if not p.is_symlink()]
            if strays:
                raise WarehouseError(
                    f"{link} holds {', '.join(sorted(strays)[:3])}, which are not table links: "
                    "move them away first"
                )
            aside = root / f".{layer}.legacy-{uuid.uuid4().hex[:8]}"
            os.rename(link, aside)
            _swap_link(link, want)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            _swap_link(link, want)


def _swap_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` with one atomic rename (a temporary link beside it)."""
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        os.unlink(tmp)
        raise


def _link_text(version: Path, folder: Path, root: Path) -> str:
    """A link from ``folder`` to ``version``: relative inside the warehouse (so a copy of it
    works), absolute otherwise."""
    return os.path.relpath(version, folder) if version.is_relative_to(root) else str(version)


def tree_bytes(path: Path) -> int:
    """Bytes the files under ``path`` (or the file) take on disk; links are not followed."""
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_blocks * 512 if path.exists() else 0
    except OSError:
        return 0
    total = 0
    for folder, _dirs, files in os.walk(path):
        for file in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, file)).st_blocks * 512
    return total


def free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def require_space(where: Path, need: int, what: str) -> None:
    """Refuse, in one line, when less than ``need`` bytes are free where ``where`` lies.

    Raises:
        WarehouseError: ``<what>: need N MB, M MB free on <where>``.
    """
    free = free_bytes(where)
    if free < need:
        raise WarehouseError(
            f"{what}: need {_mb(need)} MB, {_mb(free)} MB free on {Path(where).absolute()}"
        )


def _mb(size: int) -> str:
    return f"{size / MB:,.1f}"


PRODUCTS = ("serving.db", "catalog.duckdb", "reports/bundles", "reports/cases")
"""What a run writes after its tables are current, each built beside the old one and renamed."""


def products_bytes(root: Path) -> int:
    """The size of the products the last run wrote: the next run writes about as much again."""
    return sum(tree_bytes(Path(root) / p) for p in PRODUCTS)


def run_bytes(root: Path) -> int:
    """What one run may write: a new version of every current table, and the products."""
    root = Path(root)
    tables = sum(tree_bytes(v) for v in set(table_links(root).values()))
    return tables + products_bytes(root)


def _file_name(part: str) -> str:
    """The file of a partition directory (``all`` is the table's own folder), relative to it."""
    return "data.parquet" if part == "all" else f"{part}/data.parquet"


def damage(version: Path) -> list[str]:
    """What is wrong with a version directory: each file its manifest lists that is missing or
    whose SHA-256 differs, or a missing or unreadable manifest. Empty when intact.

    A version written before manifests listed their files has nothing to check against and is
    reported as such (``no checksums``), so that a run rebuilds it once.
    """
    try:
        manifest = json.loads((version / "_manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"_manifest.json: unreadable ({type(error).__name__})"]
    files = manifest.get("files")
    if not isinstance(files, dict):
        return ["_manifest.json: no checksums (written by an older version of the platform)"]
    problems = []
    for name, expected in sorted(files.items()):
        path = version / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _hash_file(path) != expected:
            problems.append(f"{name}: SHA-256 differs from the manifest (damaged)")
    return problems


def _replace_version(staging: Path, version: Path) -> None:
    """Move a staged directory to its version name; a damaged directory of that name (the same
    rows written before, then rotted) is moved aside first and deleted, so reruns heal it."""
    if version.exists():
        aside = version.with_name(f".damaged-{version.name}-{uuid.uuid4().hex[:8]}")
        os.rename(version, aside)
        os.rename(staging, version)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(staging, version)


def _write_parquet(frame: pl.DataFrame | Iterable[pl.DataFrame], file: Path) -> int:
    """Write one Parquet file (a frame, or pieces one after another); the rows written."""
    if isinstance(frame, pl.DataFrame):
        pq.write_table(_arrow(frame), file, **_PARQUET_OPTIONS)
        return frame.height
    rows = 0
    writer: pq.ParquetWriter | None = None
    writing: Future[None] | None = None
    # The next piece is computed while the last one is compressed and written on a thread (both
    # release the GIL): 9.2 s -> 7.2 s for a 10M-row timeline in 5 pieces, +0.3 GB (measured).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer") as pool:
        try:
            for piece in frame:
                table = _arrow(piece)
                del piece
                if writing is not None:
                    writing.result()
                if writer is None:
                    writer = pq.ParquetWriter(file, table.schema, **_PARQUET_OPTIONS)
                writing = pool.submit(writer.write_table, table)
                rows += table.num_rows
                del table
            if writing is not None:
                writing.result()
        finally:
            if writing is not None:
                wait([writing])
            if writer is not None:
                writer.close()
    if writer is None:
        raise ValueError(f"{file}: nothing to write (no pieces)")
    return rows


def _keep_parquet(kept: Kept, file: Path, table_digest: "hashlib._Hash", table: str) -> str:
    """``kept`` as ``file`` (hard-linked: versions are never written in place; copied where a
    link cannot be made), its bytes fed to ``table_digest``; its SHA-256, checked against the
    manifest's before anything reads it."""
    if not kept.file.is_file():
        raise WarehouseError(
            f"table {table}: the earlier {kept.file} is gone; run again to rebuild it"
        )
    try:
        os.link(kept.file, file)
    except OSError:
        shutil.copyfile(kept.file, file)
    found = _hash_file(file, table_digest)
    if found != kept.sha256:
        raise WarehouseError(f"table {table}: the earlier {kept.file} is damaged (SHA-256 differs "
                             "from its manifest); run again to rebuild it")  # fmt: skip
    return found


def _recorded(manifest: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    """What ``manifest`` records of partition ``key`` (``all`` for an unpartitioned table): its
    rows' digest (:func:`rows_digest`; none in a version written before they were recorded, whose
    parts get none until written) and its file's SHA-256."""
    rows = (manifest.get("row_digests") or {}).get(key)
    sha = (manifest.get("files") or {}).get(_file_name(key))
    return (rows if isinstance(rows, str) else None, sha if isinstance(sha, str) else None)


def _float_inside(dtype: "pl.DataType | DataTypeClass") -> bool:
    if isinstance(dtype, pl.List | pl.Array):
        return dtype.inner is not None and (dtype.inner.is_float() or _float_inside(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return any(f.dtype.is_float() or _float_inside(f.dtype) for f in dtype.fields)
    return False


def rows_digest(frame: pl.DataFrame) -> str | None:
    """What a Parquet file of ``frame`` is written from: its columns and types, the writer
    (:data:`WRITTEN_WITH`, and Polars' version: its row hash is not promised across versions) and
    each row's hash in order (floats as text: the hash takes -0.0 for 0.0, the file does not).
    Two frames with the same digest write the same bytes (unless two rows' 64-bit hashes collide:
    about 2^-64 a changed row). None for a frame with floats inside lists or structs (not hashed
    as text) or with a NaN (text does not tell NaNs apart): always written."""
    if any(_float_inside(dtype) for dtype in frame.schema.values()):
        return None
    floats = cs.float()
    nan = frame.select(floats.is_nan().any())
    if nan.width and any(nan.row(0)):
        return None  # every NaN is "NaN" as text, but not in the file (sign, payload)
    hashed = frame.with_columns(floats.cast(pl.String))
    digest = hashlib.sha256(
        f"{WRITTEN_WITH};polars=={pl.__version__};{frame.schema!r};{frame.height}".encode()
    )
    if frame.width and frame.height:
        digest.update(hashed.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def _arrow(frame: pl.DataFrame) -> pa.Table:
    # Bytes must depend on the data alone. Polars' schema metadata is stripped, and the frame
    # rechunked: Parquet's writer falls back from dictionary to plain encoding at a point that
    # depends on the Arrow chunks, so the same rows in other chunks gave other bytes (seen on
    # gold/cadre_profile at 1M cadres, whose chunks follow the threads of a join).
    table: pa.Table = frame.rechunk().to_arrow().replace_schema_metadata(None)
    return table


def _hash_file(file: Path, table_digest: "hashlib._Hash | None" = None) -> str:
    """The file's SHA-256, read in blocks; the same bytes also go into ``table_digest``."""
    own = hashlib.sha256()
    with file.open("rb") as stream:
        while block := stream.read(1 << 22):
            own.update(block)
            if table_digest is not None:
                table_digest.update(block)
    return own.hexdigest()


def _scan(path: Path) -> pl.LazyFrame:
    """A version directory as one frame; the partition key comes back as text (``2024-05``)."""
    manifest = json.loads((path / "_manifest.json").read_text(encoding="utf-8"))
    key = manifest.get("partition_key")
    if key is None or (path / "data.parquet").exists():  # unpartitioned, or partitioned but empty
        return pl.scan_parquet(path / "data.parquet")
    return pl.scan_parquet(
        path / "**" / "*.parquet", hive_partitioning=True, hive_schema={key: pl.String}
    )
