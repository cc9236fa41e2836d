"""One run per warehouse: an OS file lock held for the whole run.

The lock is ``<warehouse>/.lock``, taken with ``flock`` (exclusive, non-blocking). The file also
holds who took it (run id, host, pid, start time), so a second run can say whom it waits for. The
kernel releases a ``flock`` when its process dies, however it dies: a lock left by a killed run is
free, and the next run takes it over (and says so). On a network file system without ``flock``
the lock fails with a message saying so, rather than running unguarded.

A run whose steps run in several processes, on several hosts (the Celery executor), cannot hold
an ``flock`` from one process for the whole run: it holds a :class:`RunLease` instead, the file
``<warehouse>/.run-lease`` created with ``O_CREAT | O_EXCL``. That create is atomic on a local
file system and on NFS (v3 and v4 do an exclusive create on the server), where ``flock`` is not
reliable (NFSv3 has no ``flock``; Linux emulates it with byte-range locks, held by the client
host, not released when a process on another host dies). Every step of the run that created it
joins it; a step of another run is refused, naming the holder, while the instance says the
holding run is alive, and takes the lease over once the instance says it ended (run monitoring
marks a run whose worker died as failed). An in-process run (``flock``) and a lease exclude each
other: the lease is created only while the ``flock`` is free, and an in-process run refuses while
a live run holds the lease.
"""

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
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
    alive: Callable[[str], bool] | None = None
    """Whether a run (by id) is still going (the instance knows): given, a live run's
    :class:`RunLease` on the warehouse refuses this lock too. A run passes it; the publishing
    commands, which have no instance, do not (they check the ``flock`` only)."""
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
        lease = RunLease(Path(self.root), self.run_id).holder() if self.alive else None
        if (
            lease
            and self.alive
            and lease.get("run_id") != self.run_id
            and self.alive(str(lease.get("run_id")))
        ):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()
            raise LockedError(describe_holder(self.root, lease))
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


LEASE = ".run-lease"
LEASE_READY_TIMEOUT = 600.0
"""Seconds a step waits for the step that created its run's lease to finish setting it up."""


@dataclass
class RunLease:
    """The warehouse held by one run whose steps run in many processes, on many hosts.

    :meth:`acquire` returns ``True`` to the step that created the lease (it sets the run up, then
    calls :meth:`ready`), ``False`` to the steps that joined it (they wait until it is ready).
    Nothing releases it: the run's end, as the instance records it, frees it (``alive``).
    """

    root: Path
    run_id: str
    alive: Callable[[str], bool] = lambda run_id: True
    taken_over: dict[str, Any] | None = None

    @property
    def path(self) -> Path:
        return Path(self.root) / LEASE

    def holder(self) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return loaded

    def acquire(self) -> bool:
        """Create the lease (``True``) or join this run's (``False``).

        Raises:
            LockedError: another live run holds the warehouse (lease or ``flock``), or this run's
                lease was not made ready in time.
        """
        Path(self.root).mkdir(parents=True, exist_ok=True)
        while True:
            if self._create():
                return True
            held = self.holder()
            if held is None:  # being written, or just taken over: look again
                time.sleep(0.05)
                continue
            if held.get("run_id") == self.run_id:
                self._wait_ready()
                return False
            if self.alive(str(held.get("run_id"))):
                raise LockedError(describe_holder(self.root, held))
            stale = self.path.with_name(f"{LEASE}.ended-{os.getpid()}-{time.monotonic_ns()}")
            try:  # one process wins the rename; the others find the lease gone and retry
                os.rename(self.path, stale)
            except FileNotFoundError:
                continue
            self.taken_over = held
            stale.unlink(missing_ok=True)

    def _create(self) -> bool:
        lock = WarehouseLock(Path(self.root), self.run_id)
        # While an in-process run holds the flock, no lease may begin (and it checks the lease).
        with lock.path.open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockedError(describe_holder(self.root, lock.holder())) from None
            except OSError:
                pass  # no flock on this file system (NFS): the lease alone guards the warehouse
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(self._me(ready=False)))
        return True

    def _me(self, ready: bool) -> dict[str, Any]:
        started = datetime.now(CST).isoformat(timespec="seconds")
        return {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(),
                "started": started, "ready": ready}  # fmt: skip

    def ready(self, failed: str = "") -> None:
        """The run is set up (leftovers cleaned, snapshot begun): its other steps may go on; or
        it ``failed`` to begin, and they fail saying why."""
        held = self.holder() or self._me(ready=True)
        temp = self.path.with_name(f"{LEASE}.{os.getpid()}.tmp")
        temp.write_text(json.dumps({**held, "ready": True, "failed": failed}), encoding="utf-8")
        os.replace(temp, self.path)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + LEASE_READY_TIMEOUT
        while time.monotonic() < deadline:
            held = self.holder()
            if held is None or held.get("run_id") != self.run_id:
                raise LockedError(f"warehouse {self.root}: run {self.run_id} lost its lease")
            if held.get("failed"):
                raise LockedError(f"run {self.run_id} could not begin: {held['failed']}")
            if held.get("ready"):
                return
            time.sleep(0.2)
        host = (self.holder() or {}).get("host", "?")
        raise LockedError(
            f"warehouse {self.root}: run {self.run_id} was not set up within "
            f"{LEASE_READY_TIMEOUT:g} s by the step that began it (host {host})"
        )


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
