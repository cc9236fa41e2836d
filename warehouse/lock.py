"""One run per warehouse: an OS file lock held for the whole run.

The lock is ``<warehouse>/.lock``, taken with ``flock`` (exclusive, non-blocking). The file also
holds who took it (run id, host, pid, start time), so a second run can say whom it waits for. The
kernel releases a ``flock`` when its process dies, however it dies: a lock left by a killed run is
free, and the next run takes it over (and says so). On a network file system without ``flock``
the lock fails with a message saying so, rather than running unguarded.
"""

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


class LockedError(Exception):
    """Another run holds the warehouse: names its run id, host, pid and start time."""


@dataclass
class WarehouseLock:
    """``with WarehouseLock(root, run_id):`` holds the warehouse for one run."""

    root: Path
    run_id: str
    taken_over: dict[str, Any] | None = None
    _handle: IO[str] | None = None

    @property
    def path(self) -> Path:
        return Path(self.root) / ".lock"

    def holder(self) -> dict[str, Any] | None:
        """Who wrote the lock file last (a live holder, or a dead one whose lock is free)."""
        try:
            loaded: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return loaded

    def acquire(self) -> "WarehouseLock":
        Path(self.root).mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LockedError(describe_holder(self.root, self.holder())) from None
        except OSError as error:
            handle.close()
            raise LockedError(
                f"warehouse {self.root}: cannot lock {self.path} ({error.strerror}); a warehouse "
                "must sit on a file system with flock"
            ) from None
        self.taken_over = self.holder()
        handle.seek(0)
        handle.truncate()
        started = datetime.now(CST).isoformat(timespec="seconds")
        me = {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(),
              "started": started}  # fmt: skip
        handle.write(json.dumps(me))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "WarehouseLock":
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def describe_holder(root: Path, holder: dict[str, Any] | None) -> str:
    """The message a second run prints while the warehouse is held."""
    if not holder:
        return f"warehouse {root} is in use by another run (it has not said which yet)"
    return (
        f"warehouse {root} is in use by run {holder.get('run_id', '?')} (host "
        f"{holder.get('host', '?')}, pid {holder.get('pid', '?')}, started "
        f"{holder.get('started', '?')}); wait for it to finish, or stop that process"
    )


def is_free(root: Path) -> bool:
    """Whether no live process holds the warehouse now (a probe: take and release at once)."""
    path = Path(root) / ".lock"
    if not path.exists():
        return True
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return True
