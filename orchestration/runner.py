"""Run the pipeline in-process (the ``dajiandu run`` command) and summarise what it did."""

import os
import re
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy.exc import SQLAlchemyError

from orchestration.console import log_path
from orchestration.definitions import EXECUTORS, JOB_NAME, build_defs
from orchestration.instance import execute_on_workers, execute_recorded, open_instance
from quality import report
from warehouse.lock import WarehouseLock, describe_holder, is_free
from warehouse.sources import encode_password
from warehouse.store import SPACE_MARGIN, WarehouseError, require_space, run_bytes, table_links

EXPLAINED = {
    "SourceError", "ConservationError", "ConfigError", "RuleError", "WarehouseError",
    "LockedError", "Failure", "DagsterTypeCheckDidNotPass", "ProtectedSourceError", "StepTimeout",
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
class Publication:
    """What a run changed that readers see, found by comparing before and after (so it is true
    however the run ended): the tables whose link names a new version, and the products (serving
    database, catalog, booklet, bundles) that were written anew or stayed the previous run's."""

    new_tables: list[str] = field(default_factory=list)
    tables: int = 0
    new_products: list[str] = field(default_factory=list)
    old_products: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.new_tables and not self.new_products

    def describe(self) -> str:
        """The failed run's headline: ``the last good warehouse is unchanged``, or exactly what
        was published (one indented line per kind)."""
        if self.unchanged:
            return "the last good warehouse is unchanged"
        lines = ["it published part of its output before the failure:"]
        if self.new_tables:
            lines.append(f"  new: {len(self.new_tables)} of {self.tables} table(s), made current "
                         f"together: {', '.join(self.new_tables)}")  # fmt: skip
        else:
            lines.append(f"  as before: all {self.tables} table(s)")
        if self.new_products:
            lines.append(f"  new: {', '.join(self.new_products)}")
        if self.old_products:
            lines.append(f"  as before (the previous run's): {', '.join(self.old_products)}")
        return "\n".join(lines)


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
    decisions: dict[str, dict[str, int]] | None = None
    """The lines of the decisions files applied, rejected and stale: ``link`` (from
    ``silver/supervision_event``) and ``tolerance`` (from ``gold/tolerance_review``), each only
    when that table was published."""
    published: Publication = field(default_factory=Publication)
    """What readers see changed (for a failed run: exactly what was published before it failed)."""
    log_file: Path | None = None
    """The run's full log (every line, stack traces included), once the run has begun."""


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
    while (
        error is not None
        and error.cause is not None
        and (
            error.cls_name.startswith("Dagster")
            or error.cls_name == "NotRetried"  # assets/steps.py
        )
    ):
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
    if error.cls_name == "DagsterExecutionInterruptedError":  # SIGTERM, SIGINT (Ctrl-C)
        return f"{step}: the run was interrupted (stopped by a signal); the last good warehouse is as it was"
    if step in WITHHELD_STEPS:
        return (
            f"{step}: unexpected {error.cls_name} (its text is withheld: this step reads "
            "protected reporter fields); please report it with the run id"
        )
    first = text.splitlines()[0][:300] if text else ""
    return f"{step}: unexpected {error.cls_name}: {first} — a bug; please report it with the run id"


def _failure(result: dg.ExecuteInProcessResult | dg.JobExecutionResult) -> str:
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


SERVING_URL_VAR = "DAJIANDU_RUN_SERVING_URL"


def config_safe_url(url: str) -> str:
    """A serving URL as the run's configuration may hold it: Dagster keeps resource settings in
    its storage (the job snapshot, shown in the UI), so a URL written out with its password is
    handed over through an environment variable of this process and the setting names it
    (``${DAJIANDU_RUN_SERVING_URL}``). A ``${VAR}`` URL stays as it is; an unencoded ``@`` in
    the password is percent-encoded so that the whole password reaches the server."""
    if not url or "${" in url:
        return url
    os.environ[SERVING_URL_VAR] = encode_password(url)
    return "${" + SERVING_URL_VAR + "}"


def storage_problem(error: BaseException, warehouse: Path) -> str:
    """What went wrong writing the warehouse or its run storage, in one line."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if isinstance(error, OSError) and error.strerror:
        text = f"{error.strerror}" + (f" ({error.filename})" if error.filename else "")
    where = warehouse.resolve()
    try:
        free = shutil.disk_usage(where if where.exists() else where.parent).free
    except OSError:
        free = None
    full = "full" in text.lower() or "no space" in text.lower() or free == 0
    return f"the disk holding {where} is full ({text})" if full else f"cannot write {where}: {text}"


PRODUCT_NAMES = {"serving_db": "the serving database", "catalog": "the catalog",
                 "case_booklet": "the case booklet"}  # fmt: skip


def _products(defs: dg.Definitions) -> list[tuple[str, ...]]:
    """The publishing assets' keys (not the commit of the tables)."""
    keys = [tuple(k.path) for k in defs.resolve_all_asset_keys()]
    return sorted(k for k in keys if k[0] == "publish" and k != ("publish", "tables"))


def _product_name(key: tuple[str, ...]) -> str:
    name = key[-1]
    return PRODUCT_NAMES.get(name, name.replace("bundle_", "bundle ", 1))


PRODUCT_FILES = {("publish", "serving_db"): "serving.db", ("publish", "catalog"): "catalog.duckdb"}


def _files(warehouse: Path) -> dict[tuple[str, ...], tuple[int, int] | None]:
    """The serving database and catalog files as they are (each is renamed over the old one)."""
    out: dict[tuple[str, ...], tuple[int, int] | None] = {}
    for key, name in PRODUCT_FILES.items():
        try:
            stat = (warehouse / name).stat()
            out[key] = (stat.st_ino, stat.st_mtime_ns)
        except OSError:
            out[key] = None
    return out


def _published(
    warehouse: Path,
    before: tuple[dict[str, Path], dict[tuple[str, ...], tuple[int, int] | None]],
    products: list[tuple[str, ...]],
    materialized: set[tuple[str, ...]],
) -> Publication:
    """What changed: table links compared, products by their materialisation or their file."""
    after, files = table_links(warehouse), _files(warehouse)
    new = {k for k in products if k in materialized or files.get(k) != before[1].get(k)}
    return Publication(
        new_tables=sorted(t for t, v in after.items() if before[0].get(t) != v),
        tables=len(after),
        new_products=[_product_name(k) for k in products if k in new],
        old_products=[_product_name(k) for k in products if k not in new],
    )


def _metadata(
    result: dg.ExecuteInProcessResult | dg.JobExecutionResult,
) -> dict[tuple[str, ...], dict[str, Any]]:
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


def _decision_counts(
    metadata: dict[tuple[str, ...], dict[str, Any]],
) -> dict[str, dict[str, int]] | None:
    found = {}
    for name, key, applied in (
        ("link", ("silver", "supervision_event"), "reviewed_decisions"),
        ("tolerance", ("gold", "tolerance_review"), "decisions_applied"),
    ):
        meta = metadata.get(key)
        if meta is not None and applied in meta:
            found[name] = {
                "applied": int(meta[applied]),
                "rejected": int(meta.get("decisions_rejected", 0)),
                "stale": int(meta.get("decisions_stale", 0)),
            }
    return found or None


def run_pipeline(
    sources: Path,
    warehouse: Path,
    as_of: str = "",
    log_level: str = "INFO",
    accept_drop: str = "",
    rules_dir: str = "",
    serving_url: str = "",
    executor: str = "",
    full_refresh: str = "",
) -> RunOutcome:
    """Materialise every asset against one sources file and warehouse root.

    ``accept_drop``: comma-separated sources whose row drop below half the last run is expected.
    ``executor`` (default ``DAJIANDU_EXECUTOR``): ``celery`` runs the steps on Celery workers
    (:func:`execute_on_workers`), which load the code location with the same ``DAJIANDU_*``
    environment; this process sets ``DAJIANDU_SOURCES``/``DAJIANDU_WAREHOUSE`` to the run's.
    ``full_refresh``: comma-separated SQL sources read in full, not from their watermark.
    """
    executor = executor or os.environ.get("DAJIANDU_EXECUTOR", "")
    if executor not in ("", *EXECUTORS):
        return RunOutcome(False, "", [], failure=f"run: DAJIANDU_EXECUTOR={executor!r}: expected "
                          f"one of {', '.join(EXECUTORS)}")  # fmt: skip
    warehouse.mkdir(parents=True, exist_ok=True)
    run_id = str(uuid.uuid4())
    if not is_free(warehouse):  # say so before a run is even created (the run takes the lock)
        holder = WarehouseLock(warehouse, run_id).holder()
        return RunOutcome(False, run_id, [], failure=describe_holder(warehouse.resolve(), holder))
    try:  # before Dagster writes anything: a run writes about a new warehouse and its products
        require_space(warehouse, run_bytes(warehouse) + SPACE_MARGIN,
                      f"warehouse {warehouse.resolve()}: not enough room for a run")  # fmt: skip
    except WarehouseError as error:
        return RunOutcome(False, run_id, [], failure=f"run: {error}")
    defs = build_defs(
        str(sources.resolve()),
        str(warehouse.resolve()),
        as_of=as_of,
        accept_drop=accept_drop,
        full_refresh=full_refresh,
        rules_dir=rules_dir,
        serving_url=config_safe_url(serving_url),
    )
    job = defs.resolve_job_def(JOB_NAME)
    products, before = _products(defs), (table_links(warehouse), _files(warehouse))
    log_file = log_path(warehouse, run_id)
    try:
        # Recorded with the code location's origin: the UI lists the run under its job.
        console = {"log_level": log_level, "log_file": str(log_file)}
        run_config: dict[str, Any] = {"loggers": {"console": {"config": console}}}
        with open_instance(dagster_home(warehouse)) as instance:
            result: dg.ExecuteInProcessResult | dg.JobExecutionResult
            if executor == "celery":
                os.environ.update(DAJIANDU_EXECUTOR=executor, DAJIANDU_SOURCES=str(sources.resolve()),
                                  DAJIANDU_WAREHOUSE=str(warehouse.resolve()))  # fmt: skip
                settings = {
                    "as_of": as_of,
                    "accept_drop": accept_drop,
                    "rules_dir": rules_dir,
                    "full_refresh": full_refresh,
                }
                run_config["resources"] = {"settings": {"config": settings}}
                result = execute_on_workers(JOB_NAME, instance, run_id, run_config, job.run_tags)
            else:
                result = execute_recorded(job, instance, run_id, run_config)
    except (OSError, sqlite3.Error, SQLAlchemyError) as error:
        # Dagster's own run storage (SQLite under .dagster) fails outside any step: a full disk
        # or a read-only folder ends here. What was published is read from the warehouse.
        published = _published(warehouse, before, products, set())
        return RunOutcome(False, run_id, [], failure=f"run: {storage_problem(error, warehouse)}",
                          published=published)  # fmt: skip
    metadata = _metadata(result)
    failure = None if result.success else _failure(result)
    published = _published(warehouse, before, products, set(metadata))
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
        decisions=_decision_counts(metadata),
        published=published,
        log_file=log_file if log_file.exists() else None,
    )
