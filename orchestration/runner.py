"""Run the pipeline in-process (the ``dajiandu run`` command) and summarise what it did."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.definitions import JOB_NAME, build_defs
from orchestration.instance import execute_recorded, open_instance
from quality import report
from warehouse.lock import WarehouseLock, describe_holder, is_free

EXPLAINED = {
    "SourceError", "ConservationError", "ConfigError", "RuleError", "WarehouseError",
    "LockedError", "Failure", "DagsterTypeCheckDidNotPass", "ProtectedSourceError",
}  # fmt: skip
"""Errors raised where they can be explained: their message is the message a user reads."""
WITHHELD_STEPS = {"ingest_petition"}
"""Steps reading a source with protected reporter fields: an unexplained error's text is never
shown (it could quote a row)."""


@dataclass
class SourceSummary:
    """One source's line in the run summary."""

    source: str
    read: int
    landed: int
    quarantined: int
    partitions: int
    no_data: bool
    flags: dict[str, int]


@dataclass
class RunOutcome:
    """How a run ended: success, the failure message, and per-source figures."""

    success: bool
    run_id: str
    sources: list[SourceSummary]
    failure: str | None = None
    events: dict[str, int] | None = None
    posts: dict[str, int] | None = None
    """``silver/cadre_post``: ``intervals`` and ``from_post_history`` (0: current posts only)."""


INSTANCE_CONFIG = """\
telemetry:
  enabled: false
# One run per warehouse: the UI queues a second run instead of starting it (the run also holds
# the warehouse lock), and the daemon marks runs whose process died as failed.
run_queue:
  max_concurrent_runs: 1
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
"""


def dagster_home(warehouse: Path) -> Path:
    """The Dagster instance kept with the warehouse, so ``dajiandu ui`` shows the same runs."""
    home = (warehouse / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") != INSTANCE_CONFIG:
        config.write_text(INSTANCE_CONFIG, encoding="utf-8")
    return home


def _innermost(error: Any) -> Any:
    """The error that says what went wrong, under Dagster's wrappers."""
    while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error


def explain(step: str, error: Any) -> str:
    """One line a data engineer reads for a failed step: our own errors as they were raised;
    anything else named as an unexpected error (a bug) with its first line, or with its text
    withheld where the step reads protected reporter fields."""
    error = _innermost(error)
    if error is None:
        return f"{step}: failed (see the Dagster event log)"
    text = re.sub(r"^(?:\w+\.)*\w*(?:Error|Failure|Exception): ", "", error.message.strip())
    if error.cls_name in EXPLAINED:
        return f"{step}: {text}"
    if step in WITHHELD_STEPS:
        return (
            f"{step}: unexpected {error.cls_name} (its text is withheld: this step reads "
            "protected reporter fields); please report it with the run id"
        )
    first = text.splitlines()[0][:300] if text else ""
    return f"{step}: unexpected {error.cls_name}: {first} — a bug; please report it with the run id"


def _failure(result: dg.ExecuteInProcessResult) -> str:
    messages = [
        explain(event.step_key or "run", event.step_failure_data.error)
        for event in result.get_step_failure_events()
    ]
    if not messages:  # the run failed before any step (resource set-up: the lock, for example)
        for event in result.all_events:
            if event.event_type_value == "PIPELINE_FAILURE":
                data = event.event_specific_data
                messages.append(explain("run", getattr(data, "error", None)))
    return "\n".join(messages) or "the run failed (see the Dagster event log)"


def _metadata(result: dg.ExecuteInProcessResult) -> dict[tuple[str, ...], dict[str, Any]]:
    """The metadata of every asset the run materialised, by asset key path."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        if mat is not None:
            out[tuple(mat.asset_key.path)] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _summaries(metadata: dict[tuple[str, ...], dict[str, Any]]) -> list[SourceSummary]:
    return [
        SourceSummary(
            source=key[-1],
            read=int(meta.get("rows_read", 0)),
            landed=int(meta.get("dagster/row_count", 0)),
            quarantined=int(meta.get("rows_quarantined", 0)),
            partitions=len(meta.get("partitions") or {}),
            no_data=bool(meta.get("no_data_yet")),
            flags=dict(meta.get("flags") or {}),
        )
        for key, meta in sorted(metadata.items())
        if key[0] == "bronze"
    ]


def _event_counts(metadata: dict[tuple[str, ...], dict[str, Any]]) -> dict[str, int] | None:
    meta = metadata.get(("silver", "supervision_event"))
    if meta is None:
        return None
    return {k: int(meta.get(k, 0)) for k in ("dagster/row_count", "linked", "review", "unlinked")}


def _post_counts(metadata: dict[tuple[str, ...], dict[str, Any]]) -> dict[str, int] | None:
    meta = metadata.get(("silver", "cadre_post"))
    if meta is None:
        return None
    return {
        "intervals": int(meta.get("dagster/row_count", 0)),
        "from_post_history": int(meta.get("from_post_history", 0)),
    }


def run_pipeline(
    sources: Path,
    warehouse: Path,
    as_of: str = "",
    log_level: str = "INFO",
    accept_drop: str = "",
    rules_dir: str = "",
    serving_url: str = "",
) -> RunOutcome:
    """Materialise every asset in-process against one sources file and warehouse root.

    ``accept_drop``: comma-separated sources whose row drop below half the last run is expected.
    """
    warehouse.mkdir(parents=True, exist_ok=True)
    run_id = str(uuid.uuid4())
    if not is_free(warehouse):  # say so before a run is even created (the run takes the lock)
        holder = WarehouseLock(warehouse, run_id).holder()
        return RunOutcome(False, run_id, [], failure=describe_holder(warehouse.resolve(), holder))
    defs = build_defs(
        str(sources.resolve()),
        str(warehouse.resolve()),
        as_of,
        accept_drop,
        rules_dir,
        serving_url,
    )
    job = defs.resolve_job_def(JOB_NAME)
    # Recorded with the code location's origin: the UI lists the run under its job.
    with open_instance(dagster_home(warehouse)) as instance:
        result = execute_recorded(
            job,
            instance,
            run_id,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    metadata = _metadata(result)
    failure = None if result.success else _failure(result)
    root = report.quality_root(warehouse)
    report.finish_run(
        root, result.run_id, as_of, result.success, failure.splitlines() if failure else []
    )
    return RunOutcome(
        success=result.success,
        run_id=result.run_id,
        sources=_summaries(metadata),
        failure=failure,
        events=_event_counts(metadata),
        posts=_post_counts(metadata),
    )
