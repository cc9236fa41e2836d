"""The run lease (warehouse/lock.py): one run holds a warehouse whose steps run in many processes,
on many hosts; the steps of that run join it, any other run is refused while the holder lives."""

import multiprocessing
from pathlib import Path

import pytest

import warehouse.lock as lock_module
from warehouse.lock import LockedError, RunLease, WarehouseLock


def _ended(run_id: str) -> bool:
    return False


def test_the_first_step_begins_the_run_and_the_others_join(tmp_path: Path) -> None:
    first = RunLease(tmp_path, "run-a")
    assert first.acquire() is True
    first.ready()
    assert RunLease(tmp_path, "run-a").acquire() is False  # a step on another worker
    held = first.holder()
    assert held is not None and held["run_id"] == "run-a" and held["ready"] is True


def test_a_joining_step_waits_for_the_set_up_and_says_when_it_never_came(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert RunLease(tmp_path, "run-a").acquire() is True  # begun, not yet ready
    monkeypatch.setattr(lock_module, "LEASE_READY_TIMEOUT", 0.5)
    with pytest.raises(LockedError, match="run run-a was not set up within 0.5 s"):
        RunLease(tmp_path, "run-a").acquire()


def test_a_failed_set_up_fails_the_joining_steps_with_its_reason(tmp_path: Path) -> None:
    lease = RunLease(tmp_path, "run-a")
    lease.acquire()
    lease.ready(failed="warehouse /w: not enough room for a run")
    with pytest.raises(LockedError, match="could not begin: warehouse /w: not enough room"):
        RunLease(tmp_path, "run-a").acquire()


def test_another_run_is_refused_naming_the_holder_while_it_lives(tmp_path: Path) -> None:
    RunLease(tmp_path, "run-a").acquire()
    with pytest.raises(LockedError, match=r"in use by run run-a \(host .*, pid \d+"):
        RunLease(tmp_path, "run-b", alive=lambda run_id: True).acquire()


def test_the_lease_of_a_run_that_ended_is_taken_over(tmp_path: Path) -> None:
    # Why: nothing releases a lease (a worker may die anywhere); the instance saying the run
    # ended (run monitoring fails a run whose worker died) is what frees the warehouse.
    RunLease(tmp_path, "run-a").acquire()
    second = RunLease(tmp_path, "run-b", alive=_ended)
    assert second.acquire() is True
    assert second.taken_over is not None and second.taken_over["run_id"] == "run-a"
    assert (second.holder() or {})["run_id"] == "run-b"


def test_an_in_process_run_and_a_lease_exclude_each_other(tmp_path: Path) -> None:
    lease = RunLease(tmp_path, "celery-run")
    lease.acquire()
    lease.ready()
    with pytest.raises(LockedError, match="in use by run celery-run"):
        WarehouseLock(tmp_path, "cron-run", alive=lambda run_id: True).acquire()
    with (
        WarehouseLock(tmp_path, "cron-run", alive=_ended),  # the celery run has ended
        pytest.raises(LockedError, match="in use by run cron-run"),
    ):
        RunLease(tmp_path, "next-celery-run", alive=_ended).acquire()


def _try(root: str, run_id: str, start: "multiprocessing.synchronize.Event") -> bool:
    start.wait()
    try:
        return RunLease(Path(root), run_id, alive=lambda r: True).acquire()
    except LockedError:
        return False


def test_exactly_one_of_many_processes_racing_for_the_warehouse_wins(tmp_path: Path) -> None:
    # Why: the exclusive create is the whole guarantee; eight processes started together, each
    # its own run, must leave one holder.
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    with context.Pool(8) as pool:
        pending = [pool.apply_async(_try, (str(tmp_path), f"run-{i}", start)) for i in range(8)]
        start.set()
        won = [p.get(timeout=120) for p in pending]
    assert won.count(True) == 1
    winner = f"run-{won.index(True)}"
    assert (RunLease(tmp_path, "x").holder() or {})["run_id"] == winner
