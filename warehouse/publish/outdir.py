"""The folder publishing writes into: every path checked to stay inside it, one publish at a
time (a lock), and the staging folders a killed publish left removed.

- :func:`inside` joins a folder and a relative name built from data and refuses any result that
  does not resolve inside the folder (``../``, an absolute path, a link out).
- :func:`output_lock` holds ``<out>/.publish.lock`` with ``flock``, the warehouse lock's mechanism
  (:mod:`warehouse.lock`): the kernel frees it when its process dies, however it dies, so a
  killed publish never blocks the next one. It is re-entrant within a process (the CLI holds
  it for all its scopes; each bundle and the booklet take it again).
- :func:`clean_staging` removes ``.<name>.staging-*`` and ``.<name>.old-*`` folders, which
  only a publish that died half-way leaves (a live one holds the lock).
"""

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.lock import LockedError, WarehouseLock


class UnsafePathError(Exception):
    """A path built from data that would leave its folder; the message names both."""


class OutputLockedError(Exception):
    """Another publish is writing into the same folder; the message names its process."""


def inside(folder: Path, relative: str) -> Path:
    """``folder / relative``, checked to resolve inside ``folder`` (not ``folder`` itself).

    Raises:
        UnsafePathError: it would not.
    """
    if not relative or "\0" in relative or Path(relative).is_absolute():
        raise UnsafePathError(f"{relative!r} is not a file name inside {folder}")
    target = folder / relative
    base = folder.resolve()
    resolved = target.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise UnsafePathError(f"{relative!r} would be written outside {folder}")
    return target


LOCK_NAME = ".publish.lock"


class _OutputLock(WarehouseLock):
    """The warehouse lock's mechanism on ``<out>/.publish.lock`` (not ``.lock``: an output folder
    may be the warehouse itself, whose ``.lock`` a run holds)."""

    @property
    def path(self) -> Path:
        return Path(self.root) / LOCK_NAME


_HELD: dict[Path, tuple[WarehouseLock, int]] = {}
_GUARD = threading.Lock()


@contextmanager
def output_lock(out: Path, who: str = "publish") -> Iterator[None]:
    """Hold ``<out>/.publish.lock`` while publishing into ``out``.

    Raises:
        OutputLockedError: another process holds it (its pid and start time are named).
    """
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    with _GUARD:
        if key in _HELD:
            lock, depth = _HELD[key]
            _HELD[key] = (lock, depth + 1)
        else:
            lock = _OutputLock(key, who)
            try:
                lock.acquire()
            except LockedError:
                holder = lock.holder() or {}
                raise OutputLockedError(
                    f"{out}: another publish is writing into this folder (pid "
                    f"{holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                    f"{holder.get('started', '?')}); wait for it, or publish into another --out"
                ) from None
            _HELD[key] = (lock, 1)
    try:
        yield
    finally:
        with _GUARD:
            lock, depth = _HELD[key]
            if depth == 1:
                del _HELD[key]
                lock.release()
            else:
                _HELD[key] = (lock, depth - 1)


def clean_staging(out: Path) -> list[str]:
    """Remove the staging and set-aside folders a killed publish left in ``out`` (call it
    holding :func:`output_lock`); the names removed."""
    removed: list[str] = []
    if not out.is_dir():
        return removed
    for entry in sorted(out.iterdir()):
        name = entry.name
        if name.startswith(".") and (".staging-" in name or ".old-" in name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(name)
    return removed
