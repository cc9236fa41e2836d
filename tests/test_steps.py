"""Retries and time limits of the steps (assets/steps.py): a moment's trouble is retried with
backoff, a validation failure or a malformed source never is, and a step over its time limit fails
saying so."""

import ctypes
import errno
import os
import time
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from assets.guard import blocked
from assets.resources import RunSettings
from assets.steps import TRANSIENT_RETRY, StepTimeout, _malloc_trim, guarded_step, transient
from orchestration.definitions import build_defs
from orchestration.runner import dagster_home, explain
from warehouse.sources import SourceError

FAST_RETRY = dg.RetryPolicy(max_retries=2, delay=0)  # the real policy waits 5 s, 10 s …


def _restarts(result: dg.ExecuteInProcessResult) -> int:
    return sum(1 for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_RESTARTED)


def _failing_once(
    error: Exception, policy: dg.RetryPolicy
) -> tuple[dg.AssetsDefinition, list[int]]:
    """An asset under the step guard whose first attempt raises ``error``."""
    attempts: list[int] = []

    @dg.asset(retry_policy=policy)
    @guarded_step
    def flaky(context: dg.AssetExecutionContext) -> int:
        attempts.append(context.retry_number)
        if len(attempts) == 1:
            raise error
        return 1

    return flaky, attempts


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # a database server that went away: SQLAlchemy's OperationalError, under our SourceError
        (SourceError("petition", "db", "cannot read the database"), True),
        (OSError(errno.EIO, "Input/output error"), True),  # a network file system stalling
        (OSError(errno.ESTALE, "Stale file handle"), True),  # an NFS handle after a failover
        (TimeoutError("timed out"), True),
        (OSError(errno.ENOSPC, "No space left on device"), False),  # waiting frees no disk
        (SourceError("roster", "roster.csv", "column 姓名 missing"), False),  # the data itself
        (ValueError("a bug"), False),
        (StepTimeout("over"), False),
    ],
)
def test_only_a_moments_trouble_is_transient(error: Exception, expected: bool) -> None:
    if expected and isinstance(error, SourceError):
        try:  # as warehouse/read_sql.py raises it: from the driver's error
            raise error from sa.exc.OperationalError("SELECT 1", {}, ConnectionError("gone"))
        except SourceError as raised:
            error = raised
    assert transient(error) is expected


def test_a_transient_error_is_retried_and_the_step_succeeds() -> None:
    asset, attempts = _failing_once(OSError(errno.EIO, "Input/output error"), FAST_RETRY)
    result = dg.materialize([asset], raise_on_error=False)
    assert result.success
    assert attempts == [0, 1] and _restarts(result) == 1


@pytest.mark.parametrize(
    "error",
    [
        blocked([]),  # the quality gate held a table: a validation failure
        SourceError("roster", "roster.csv", "column 姓名 missing"),  # a malformed export
        KeyError("a bug"),
    ],
)
def test_a_validation_failure_or_a_bad_source_is_never_retried(error: Exception) -> None:
    # Why: a retry policy retries every error; the same data fails the same way again, so a
    # retry only delays the failure (by 5 + 10 + 20 s with the shipped policy).
    asset, attempts = _failing_once(error, FAST_RETRY)
    result = dg.materialize([asset], raise_on_error=False)
    assert not result.success
    assert attempts == [0] and _restarts(result) == 0
    (failure,) = result.get_step_failure_events()
    message = explain("flaky", failure.step_failure_data.error)
    if isinstance(error, KeyError):  # a bug stays named as one, not dressed as our own error
        assert message.startswith("flaky: unexpected KeyError"), message
    elif isinstance(error, SourceError):
        assert message == f"flaky: {error}", message


def test_the_ingest_and_serving_steps_carry_the_retry_policy() -> None:
    graph = build_defs("sources.yaml", "warehouse").get_repository_def().asset_graph
    for key in (["bronze", "petition"], ["bronze", "roster"], ["publish", "serving_db"]):
        node = graph.get(dg.AssetKey(key))
        assert node.assets_def.op.retry_policy == TRANSIENT_RETRY, key
    for key in (["silver", "cadre"], ["gold", "warning"]):  # computed from Parquet: no retry
        assert graph.get(dg.AssetKey(key)).assets_def.op.retry_policy is None, key


def test_a_step_over_its_time_limit_fails_saying_so() -> None:
    ticks: list[int] = []

    @dg.asset
    @guarded_step
    def slow(context: dg.AssetExecutionContext, settings: RunSettings) -> int:
        for tick in range(100):  # 10 s; Python runs between the sleeps: the alarm stops it there
            ticks.append(tick)
            time.sleep(0.1)
        return 1

    result = dg.materialize(
        [slow], resources={"settings": RunSettings(step_time_limit_seconds=1)}, raise_on_error=False
    )
    assert not result.success and _restarts(result) == 0
    assert len(ticks) < 100  # stopped, not run to its end
    (failure,) = result.get_step_failure_events()
    message = explain("slow", failure.step_failure_data.error)
    assert "ran over its time limit of 1 s and was stopped" in message, message


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_a_step_hands_back_the_memory_it_freed() -> None:
    # Why: the steps share one process; glibc kept what a step freed (GX's pandas frames) for the
    # next, and the link step of 1,000,000 cadres started 2.6 GB high. A step here fills the C
    # heap with 200 MB of small blocks, keeps one above them (so the heap's top cannot shrink by
    # itself) and frees the rest: once the step has ended, RSS must be back down.
    if _malloc_trim() is None:
        pytest.skip("the C library has no malloc_trim (not glibc): nothing to hand back")
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    pinned: list[int] = []
    seen: dict[str, float] = {}

    @dg.asset
    @guarded_step
    def heavy(context: dg.AssetExecutionContext) -> int:
        blocks = [libc.malloc(2048) for _ in range(100_000)]
        for block in blocks:
            ctypes.memset(block, 1, 2048)  # touched, so resident
        pinned.append(libc.malloc(2048))
        seen["full"] = _rss_mb()
        for block in blocks:
            libc.free(block)
        seen["freed"] = _rss_mb()
        return 1

    try:
        assert dg.materialize([heavy]).success
        after = _rss_mb()
    finally:
        for block in pinned:
            libc.free(block)
    assert seen["freed"] > seen["full"] - 50, seen  # glibc kept the freed blocks ...
    assert after < seen["freed"] - 100, (
        seen,
        after,
    )  # ... until the step ended (half of it, at least)


@pytest.mark.slow
def test_a_blocked_table_in_a_real_run_is_not_retried(
    baseline: Path, sources: Path, tmp_path: Path
) -> None:
    # Why: the real ingest step carries the retry policy; the quality gate holding its table
    # must fail the run on the first attempt (test_quality_pipeline has the same export).
    from tests.conftest import run
    from tests.test_quality_pipeline import _add_sanction, _warehouse_copy

    warehouse = _warehouse_copy(baseline, tmp_path)
    _add_sanction(sources, "2026-03-01", 留党察看期限="36")
    outcome = run(sources, warehouse)
    assert not outcome.success and "bronze/sanction was not published" in outcome.failure
    with dg.DagsterInstance.from_config(str(dagster_home(warehouse))) as instance:
        logs = instance.all_logs(outcome.run_id)
    failed = [r.step_key for r in logs if r.dagster_event_type == dg.DagsterEventType.STEP_FAILURE]
    restarted = [r for r in logs if r.dagster_event_type == dg.DagsterEventType.STEP_RESTARTED]
    assert failed == ["ingest_sanction"] and restarted == []


def test_a_run_stopped_by_a_signal_says_so_not_that_it_is_a_bug() -> None:
    # Why: a run stopped by SIGTERM (systemd, a kill) or Ctrl-C failed with "unexpected
    # DagsterExecutionInterruptedError — a bug; please report it", which it is not.
    from dagster._utils.error import SerializableErrorInfo

    stopped = SerializableErrorInfo(
        "DagsterExecutionInterruptedError\n", [], "DagsterExecutionInterruptedError"
    )
    wrapped = SerializableErrorInfo(
        "step failed", [], "DagsterExecutionStepExecutionError", stopped
    )
    message = explain("cadre", wrapped)
    assert message.startswith("cadre: the run was interrupted") and "bug" not in message
