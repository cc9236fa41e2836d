"""The production instance (deploy/dagster.yaml) against the real PostgreSQL server on this machine.

Each test gets a fresh database, dropped afterwards. Without a server these tests skip, saying
why; under CI (CI=true) a missing server is a failure (the house pattern of test_sql_servers.py).
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from assets.resources import WAREHOUSE_TAG
from orchestration.definitions import JOB_NAME
from orchestration.instance import LOCATION_NAME, job_origin

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVER = os.environ.get(
    "DAJIANDU_TEST_POSTGRES_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin() -> sa.Engine:
    engine = sa.create_engine(
        SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        message = f"no postgres server at {sa.make_url(SERVER).render_as_string()}: {str(error.orig).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    return engine


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """DAGSTER_HOME holding deploy/dagster.yaml as shipped, its ${VAR}s naming a fresh database."""
    admin = _admin()
    url = sa.make_url(SERVER)
    name = f"dajiandu_dagster_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAJIANDU_DAGSTER_PG_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("DAJIANDU_DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAJIANDU_DAGSTER_PG_USER", url.username or "postgres")
    monkeypatch.setenv("DAJIANDU_DAGSTER_PG_PASSWORD", url.password or "")
    monkeypatch.setenv("DAJIANDU_DAGSTER_PG_DB", name)
    try:
        yield home, name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_a_run_is_recorded_in_postgresql_with_its_materialisations(
    dagster_home: tuple[Path, str], generated: Path, tmp_path: Path
) -> None:
    # Why: the instance was SQLite under the warehouse only; a deployment keeps runs, event logs
    # and schedules in PostgreSQL. `dajiandu run` with DAGSTER_HOME set records there, under
    # the job's code location, and the materialisations are readable from the database itself.
    from orchestration.runner import run_pipeline

    home, db_name = dagster_home
    outcome = run_pipeline(generated / "sources.yaml", tmp_path / "warehouse", log_level="WARNING")
    assert outcome.success, outcome.failure
    assert not (tmp_path / "warehouse" / ".dagster" / "history").exists()  # not in SQLite

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.remote_job_origin is not None
        assert run.remote_job_origin.location_name == LOCATION_NAME

    url = sa.make_url(SERVER).set(database=db_name)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            runs = connection.execute(
                sa.text("SELECT run_id, pipeline_name, status FROM runs")
            ).all()
            materialised = connection.execute(
                sa.text(
                    "SELECT DISTINCT asset_key FROM event_logs WHERE run_id = :run "
                    "AND dagster_event_type = 'ASSET_MATERIALIZATION'"
                ),
                {"run": outcome.run_id},
            ).scalars()
            keys = set(materialised)
    finally:
        engine.dispose()
    assert runs == [(outcome.run_id, JOB_NAME, "SUCCESS")]
    assert '["gold", "warning"]' in keys and '["bronze", "petition"]' in keys
    assert len(keys) >= 30, sorted(keys)


@pytest.mark.postgres
def test_a_second_run_on_the_same_warehouse_waits_in_the_queue(
    dagster_home: tuple[Path, str],
) -> None:
    # Why: two runs on one warehouse at once both wrote it. With the deploy instance, the
    # daemon's queue holds a second run for the same warehouse tag while the first is in
    # progress, and starts a run for another warehouse (Dagster's own dequeue counter, fed with
    # the shipped configuration and the runs as stored in PostgreSQL).
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    from orchestration.definitions import build_defs

    job = build_defs("sources.yaml", "/srv/warehouse-a").resolve_job_def(JOB_NAME)
    other = build_defs("sources.yaml", "/srv/warehouse-b").resolve_job_def(JOB_NAME)
    with dg.DagsterInstance.get() as instance:
        first = instance.create_run_for_job(
            job,
            tags=job.run_tags,
            status=dg.DagsterRunStatus.STARTED,
            remote_job_origin=job_origin(JOB_NAME),
        )
        second = instance.create_run_for_job(
            job,
            tags=job.run_tags,
            status=dg.DagsterRunStatus.QUEUED,
            remote_job_origin=job_origin(JOB_NAME),
        )
        elsewhere = instance.create_run_for_job(
            other,
            tags=other.run_tags,
            status=dg.DagsterRunStatus.QUEUED,
            remote_job_origin=job_origin(JOB_NAME),
        )
        assert (
            first.tags[WAREHOUSE_TAG] == second.tags[WAREHOUSE_TAG] != elsewhere.tags[WAREHOUSE_TAG]
        )
        limits = instance.run_coordinator.get_run_queue_config().tag_concurrency_limits
        in_progress = instance.get_runs(
            dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
        )
        counter = TagConcurrencyLimitsCounter(limits, list(in_progress))
        assert counter.is_blocked(instance.get_run_by_id(second.run_id))
        assert not counter.is_blocked(instance.get_run_by_id(elsewhere.run_id))


def test_the_command_says_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    # Why: a deployer reporting a problem had no version to name (pyproject's, CHANGELOG's).
    from importlib.metadata import version

    from orchestration.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"dajiandu {version('dajiandu')}"
    changelog = (DEPLOY.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {version('dajiandu')}" in changelog


def test_sql_reads_the_catalog_without_the_duckdb_cli(
    baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Why: README told users to run `duckdb catalog.duckdb`, a CLI that is not installed; the
    # catalog is read with the duckdb package the project installs. A bad query is one line.
    from orchestration.cli import main

    assert (
        main(["sql", "SELECT count(*) AS n FROM silver.cadre", "--warehouse", str(baseline)]) == 0
    )
    out = capsys.readouterr().out
    import polars as pl

    from warehouse.store import Warehouse

    cadres = Warehouse(baseline).scan("silver", "cadre").select(pl.len()).collect().item()
    assert (
        cadres > 0 and f"│ {cadres:>5} │" in out
    )  # the current silver/cadre, read through its view
    assert main(["sql", "SELECT nope FROM gold.warning", "--warehouse", str(baseline)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dajiandu: sql: ") and "nope" in err and len(err.splitlines()) == 1


def test_readme_and_docs_link_only_to_files_a_clone_has() -> None:
    # Why: README linked the contract and the design as ../shared/*.md, outside the repository:
    # a deployer from a clone had no column specification. Every relative link must resolve.
    import re

    root = DEPLOY.parent
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    assert {p.name for p in pages} >= {"sources.md", "rules.md", "design.md", "operations.md"}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared/" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if "://" in target:
                continue
            assert (page.parent / target).resolve().exists(), f"{page.name}: {target}"
    assert (root / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")
