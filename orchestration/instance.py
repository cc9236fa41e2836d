"""Which Dagster instance a ``dajiandu run`` records into, and a run the UI lists with its job.

A run started by ``job.execute_in_process`` has no code-location origin, so the UI's job page and
the Overview timeline (both filter runs by the ``.dagster/repository`` label ``repo@location``)
show "No runs found" for a job that ran (dagster-io/dagster#17707). :func:`execute_recorded` runs
the job in-process exactly as ``execute_in_process`` does, but creates the run with the origin of
the code location the UI loads (``dajiandu``: ``dg dev``, ``dajiandu ui`` and
``deploy/workspace.yaml`` all name it so), so the run is listed under its job and can be
re-executed from the UI.

It follows ``dagster._core.execution.execute_in_process.core_execute_in_process`` of the pinned
Dagster (requirements.lock); ``tests/test_definitions.py`` reads a run back through the instance
so that an upgrade that changes those internals fails there, not silently in the UI.
"""

import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import (
    ExecuteRunWithPlanIterable,
    create_execution_plan,
    job_execution_iterator,
)
from dagster._core.execution.context_creation_job import (
    PlanOrchestrationContextManager,
    orchestration_context_event_generator,
)
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

LOCATION_NAME = "dajiandu"
"""The code location's name wherever the UI loads it (pyproject's [tool.dg.project], the
workspace file, ``dajiandu ui``)."""
DEFINITIONS_MODULE = "orchestration.definitions"
REPOSITORY_NAME = "__repository__"  # the one repository a ``dg.Definitions`` makes
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def code_location_origin() -> ManagedGrpcPythonEnvCodeLocationOrigin:
    """The code location as ``dg dev`` / ``dajiandu ui`` load it."""
    return ManagedGrpcPythonEnvCodeLocationOrigin(
        LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=DEFINITIONS_MODULE,
            working_directory=str(PROJECT_ROOT),
        ),
        location_name=LOCATION_NAME,
    )


def job_origin(job_name: str) -> RemoteJobOrigin:
    return RemoteJobOrigin(
        RemoteRepositoryOrigin(code_location_origin(), REPOSITORY_NAME), job_name
    )


def open_instance(default_home: Path) -> dg.DagsterInstance:
    """The deployment's instance when ``DAGSTER_HOME`` is set (a production instance on
    PostgreSQL: deploy/dagster.yaml), else the one kept with the warehouse (``default_home``)."""
    home = os.environ.get("DAGSTER_HOME")
    return dg.DagsterInstance.from_config(home or str(default_home))


def execute_recorded(
    job_def: dg.JobDefinition,
    instance: dg.DagsterInstance,
    run_id: str,
    run_config: Mapping[str, Any],
    raise_on_error: bool = False,
) -> dg.ExecuteInProcessResult:
    """``job_def.execute_in_process(...)``, the run created with the code location's origin."""
    job = InMemoryJob(job_def)
    plan = create_execution_plan(job, run_config=run_config, instance_ref=instance.get_ref())
    run = instance.create_run_for_job(
        job_def=job_def,
        run_config=run_config,
        tags=dict(job_def.run_tags),
        run_id=run_id,
        execution_plan=plan,
        remote_job_origin=job_origin(job_def.name),
    )
    events = list(
        ExecuteRunWithPlanIterable(
            execution_plan=plan,
            iterator=job_execution_iterator,
            execution_context_manager=PlanOrchestrationContextManager(
                context_event_generator=orchestration_context_event_generator,
                job=job,
                execution_plan=plan,
                dagster_run=run,
                instance=instance,
                run_config=run_config,
                executor_defs=None,
                output_capture=None,
                raise_on_error=raise_on_error,
            ),
        )
    )
    finished = instance.get_run_by_id(run.run_id) or run
    return dg.ExecuteInProcessResult(
        job_def=job_def, event_list=events, dagster_run=finished, output_capture={}
    )


def execute_on_workers(
    job_name: str,
    instance: dg.DagsterInstance,
    run_id: str,
    run_config: Mapping[str, Any],
    tags: Mapping[str, str],
) -> dg.JobExecutionResult:
    """Run the job as the deployment loads it (``orchestration.definitions``, configured by the
    ``DAJIANDU_*`` environment) with its own executor, from this process: on the Celery executor
    each step is a task a worker takes, the worker loading the same code location. Recorded
    with the code location's origin, like :func:`execute_recorded`."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.execution.api import execute_run

    repository = ReconstructableRepository.for_module(
        DEFINITIONS_MODULE, "defs", working_directory=str(PROJECT_ROOT)
    )
    job = repository.get_reconstructable_job(job_name)
    job_def = job.get_definition()
    plan = create_execution_plan(job, run_config=run_config, instance_ref=instance.get_ref())
    run = instance.create_run_for_job(
        job_def=job_def,
        run_config=run_config,
        tags={**job_def.run_tags, **tags},
        run_id=run_id,
        execution_plan=plan,
        remote_job_origin=job_origin(job_name),
        job_code_origin=job.get_python_origin(),
    )
    with warnings.catch_warnings():  # dagster-celery registers its task once per run it starts
        warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already registered")
        return execute_run(job, run, instance)
