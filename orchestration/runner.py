"""Run the pipeline in-process (the ``dajiandu run`` command) and summarise what it did."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.definitions import JOB_NAME, build_defs


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


def dagster_home(warehouse: Path) -> Path:
    """The Dagster instance kept with the warehouse, so ``dajiandu ui`` shows the same runs."""
    home = (warehouse / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


def _failure(result: dg.ExecuteInProcessResult) -> str:
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while (
            error is not None
            and error.cause is not None
            and error.cls_name == "DagsterExecutionStepExecutionError"
        ):
            error = error.cause
        text = error.message.strip() if error is not None else "unknown error"
        messages.append(f"{event.step_key}: {text}")
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
    defs = build_defs(
        str(sources.resolve()),
        str(warehouse.resolve()),
        as_of,
        accept_drop,
        rules_dir,
        serving_url,
    )
    job = defs.resolve_job_def(JOB_NAME)
    with dg.DagsterInstance.from_config(str(dagster_home(warehouse))) as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    metadata = _metadata(result)
    return RunOutcome(
        success=result.success,
        run_id=result.run_id,
        sources=_summaries(metadata),
        failure=None if result.success else _failure(result),
        events=_event_counts(metadata),
    )
