"""The job's steps on two Celery workers (deploy/celery/), against the real broker and PostgreSQL.

Two ``dagster-celery worker start`` processes are started for the test (their own process groups,
ended by id afterwards) with the deployment's environment: ``DAJIANDU_EXECUTOR=celery``, the broker
and result backend on the Redis server on this machine (a database of its own, empty before and
emptied after), the instance on PostgreSQL (test_deploy's fresh database). The run's steps must be
spread over both workers and the warehouse must hold, table by table, the same bytes as the
in-process run on the same sources (the session's ``baseline``).

Without a broker or PostgreSQL the test skips, saying why; under CI (CI=true) that is a failure.
"""

import collections
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from tests.test_deploy import dagster_home  # noqa: F401  (the fixture: a fresh PostgreSQL instance)
from warehouse.store import table_links

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("DAJIANDU_TEST_CELERY_REDIS", "redis://127.0.0.1:6379")
WORKERS = ("dajiandu-test-a", "dajiandu-test-b")
READY_WITHIN = 180  # seconds for a worker to connect (slow when the machine is busy)


def _unreachable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture
def broker_url() -> Iterator[str]:
    """A Redis database of the broker that nothing else uses now (emptied after the test)."""
    import redis

    for db in range(15, 7, -1):
        client = redis.Redis.from_url(f"{BROKER}/{db}", socket_connect_timeout=5)
        try:
            if client.dbsize() == 0:
                break
        except redis.exceptions.ConnectionError as error:
            _unreachable(f"no Celery broker (Redis) at {BROKER}: {error}")
    else:
        pytest.skip(f"no empty Redis database (8-15) at {BROKER} for the test's queue")
    try:
        yield f"{BROKER}/{db}"
    finally:
        client.flushdb()
        client.close()


def _start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [str(ROOT / ".venv" / "bin" / "dagster-celery"), "worker", "start", "-n", name,
               "-y", str(ROOT / "deploy" / "celery" / "worker.yaml"), "-A", "dagster_celery.app",
               "-l", "INFO", "--", "-c", "1"]  # fmt: skip
    if not Path(command[0]).exists():
        command[0:1] = [sys.executable, "-m", "dagster_celery.cli"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """End the worker and the celery process it started (its own process group)."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_ready(workers: dict[str, subprocess.Popen[bytes]], logs: dict[str, Path]) -> None:
    deadline = time.monotonic() + READY_WITHIN
    waiting = set(workers)
    while waiting and time.monotonic() < deadline:
        for name in list(waiting):
            text = logs[name].read_text(encoding="utf-8", errors="replace")
            if f"{name}@" in text and " ready." in text:
                waiting.discard(name)
            elif workers[name].poll() is not None:
                pytest.fail(f"celery worker {name} exited:\n{text[-3000:]}")
        time.sleep(1)
    assert not waiting, f"celery workers not ready within {READY_WITHIN} s: {sorted(waiting)}"


def _table_bytes(warehouse: Path) -> dict[str, dict[str, str]]:
    """Every current table: its version (named by its content digest) and each file's SHA-256."""
    out = {}
    for table, version in table_links(warehouse).items():
        files = {str(f.relative_to(version)): hashlib.sha256(f.read_bytes()).hexdigest()
                 for f in sorted(version.rglob("*")) if f.is_file()}  # fmt: skip
        out[table] = {"version": version.name, **files}
    return out


@pytest.mark.slow
@pytest.mark.postgres
def test_the_job_runs_its_steps_on_two_celery_workers_into_the_same_warehouse(
    dagster_home: tuple[Path, str],  # noqa: F811
    broker_url: str,
    generated: Path,
    baseline: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Why: DESIGN promised that beyond one machine the same code runs on a distributed executor;
    # each step then sets the warehouse up in its own process (the run lease and the run's
    # snapshot joined, not a per-process lock), and the result must not depend on where a step ran.
    from orchestration.runner import run_pipeline

    warehouse = tmp_path / "warehouse"
    for name, value in {
        "DAJIANDU_EXECUTOR": "celery",
        "DAJIANDU_CELERY_BROKER": broker_url,
        "DAJIANDU_CELERY_BACKEND": broker_url,
        "DAJIANDU_SOURCES": str((generated / "sources.yaml").resolve()),
        "DAJIANDU_WAREHOUSE": str(warehouse.resolve()),
    }.items():
        monkeypatch.setenv(name, value)
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    # docs/operations.md, installing: Dagster's tables are created once before any worker starts
    # (two workers opening a fresh database at once race to create them; one stops).
    migrate = subprocess.run([str(ROOT / ".venv" / "bin" / "dagster"), "instance", "migrate"],
                             env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    logs = {name: tmp_path / f"{name}.log" for name in WORKERS}
    workers = {name: _start_worker(name, env, logs[name]) for name in WORKERS}
    try:
        _wait_ready(workers, logs)
        outcome = run_pipeline(generated / "sources.yaml", warehouse, log_level="WARNING")
    finally:
        for worker in workers.values():
            _stop(worker)
    assert outcome.success, outcome.failure

    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.remote_job_origin is not None  # listed under its job in the UI
        ran_on: collections.Counter[str] = collections.Counter()
        steps = set()
        for record in instance.all_logs(outcome.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            event = record.dagster_event
            worker = event.engine_event_data.metadata.get("Celery worker") if event else None
            if worker is not None:
                ran_on[str(worker.value).split("@")[0]] += 1
                steps.add(record.step_key)
        succeeded = {
            r.step_key
            for r in instance.all_logs(outcome.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        }
    assert set(ran_on) == set(WORKERS), ran_on  # both workers ran steps, nothing else did
    assert steps == succeeded and len(steps) >= 10, (steps, succeeded)

    assert _table_bytes(warehouse) == _table_bytes(baseline)
    assert (warehouse / "gold" / "warning").is_symlink()


def test_an_unknown_executor_is_refused_before_anything_runs(tmp_path: Path) -> None:
    from orchestration.runner import run_pipeline

    outcome = run_pipeline(tmp_path / "sources.yaml", tmp_path / "warehouse", executor="celeri")
    assert not outcome.success
    assert outcome.failure == "run: DAJIANDU_EXECUTOR='celeri': expected one of in_process, celery"
    assert not (tmp_path / "warehouse" / ".dagster").exists()
