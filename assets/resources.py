"""Dagster resources: where the sources are described and where the warehouse lives."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from quality import gx_runner
from quality.gx_runner import GXEngine
from warehouse import integrity
from warehouse.clock import ClockError, today
from warehouse.lock import LockedError, RunLease, WarehouseLock
from warehouse.rules import DEFAULT_RULES, Rules, load_rules
from warehouse.sources import SourceConfig, load_sources
from warehouse.store import (
    SPACE_MARGIN,
    RunSnapshot,
    Warehouse,
    WarehouseError,
    products_bytes,
    require_space,
    run_bytes,
)


class SourcesResource(dg.ConfigurableResource):
    """The deployment's ``sources.yaml``."""

    path: str

    def load(self) -> dict[str, SourceConfig]:
        return load_sources(self.path)

    def load_display(self, name: str) -> str:
        """Where source ``name`` is read from, safe to show (or that it is not configured)."""
        config = self.load().get(name)
        return config.display if config else f"{name} (not named in sources.yaml)"

    def decisions_path(self) -> Path:
        """Reviewed link decisions live next to ``sources.yaml``."""
        return Path(self.path).parent / "link_decisions.csv"

    def tolerance_decisions_path(self) -> Path:
        """Reviewed 容错 coverage decisions live next to ``sources.yaml`` too."""
        return Path(self.path).parent / "tolerance_decisions.csv"


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse root (bronze, quarantine, silver, gold, reports).

    Set up once per run (the job runs in-process): it takes the warehouse lock for the whole run,
    then, holding it, marks runs that a killed process left ``STARTED`` as failed, removes the
    leftovers of killed runs, takes damaged tables out so that this run rebuilds them, checks
    that the disk has room for a run, and opens the run's snapshot: every table the run
    publishes goes there (and is read from there by the assets downstream) until the commit
    asset makes them all current at once; a run that fails before it leaves every table as it
    was (:class:`warehouse.store.RunSnapshot`).

    On the Celery executor (``shared``) every step sets the resource up in its own process, on
    whichever host runs it: the first step of the run takes the warehouse's :class:`RunLease`
    and does the set-up above; the others join the lease and the run's snapshot. No step
    releases the lease or drops the snapshot: the run's end (in the instance) frees the
    warehouse, and the next run removes the snapshot of a run that failed.
    """

    root: str
    shared: bool = False
    """Steps run in separate processes (Celery workers): a run lease, not a process's lock."""
    _lock: WarehouseLock | None = PrivateAttr(default=None)
    _snapshot: RunSnapshot | None = PrivateAttr(default=None)

    def store(self) -> Warehouse:
        """The run's view until it commits (outside a run, or after the commit: the current tables)."""
        if self._snapshot is not None and not self._snapshot.committed:
            return self._snapshot.store
        return Warehouse(self.root)

    def commit(self) -> list[str]:
        """Make every table this run published current at once; the tables that changed.

        Raises:
            WarehouseError: too little free space for what the run writes after (nothing changed).
        """
        if self._snapshot is None:
            return []
        if self._snapshot.committed:
            return self._snapshot.changed()
        return self._snapshot.commit(need_after=products_bytes(Path(self.root)))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run_id = context.run.run_id if context.run else ""
        alive = _alive_in(context.instance)
        if self.shared:
            lease = RunLease(Path(self.root), run_id, alive)
            try:
                first = lease.acquire()
                if not first:
                    self._snapshot = RunSnapshot.join(self.root, run_id)
                    return
            except (LockedError, WarehouseError) as error:
                raise dg.Failure(str(error)) from None
            try:
                self._begin(context, run_id, lease.taken_over)
            except dg.Failure as error:
                lease.ready(failed=str(error))
                raise
            lease.ready()
            return
        lock = WarehouseLock(Path(self.root), run_id, alive=alive)
        try:
            lock.acquire()
        except LockedError as error:
            raise dg.Failure(str(error)) from None
        self._lock = lock
        try:
            self._begin(context, run_id, lock.taken_over)
        except dg.Failure:
            lock.release()
            self._lock = None
            raise

    def _begin(
        self, context: dg.InitResourceContext, run_id: str, taken_over: dict[str, object] | None
    ) -> None:
        """Holding the warehouse: fail the runs that died, clean up, heal, begin the snapshot."""
        log = context.log
        if taken_over and taken_over.get("run_id"):
            held = taken_over
            log.warning(
                f"took over the warehouse from run {held.get('run_id')} (host {held.get('host')}, "
                f"pid {held.get('pid')}, started {held.get('started')}): that run has ended"
            )
        if context.instance is not None:
            for dead in mark_abandoned_runs(context.instance, run_id, self.root):
                log.warning(f"run {dead} was left STARTED by a process that died: marked failed")
        store = self.store()
        if removed := integrity.clean_leftovers(store):
            log.warning(f"removed {removed} leftover(s) of an interrupted run (staging folders)")
        checked, damaged = integrity.verify(store)
        for line in integrity.heal(store, damaged):
            log.warning(f"damaged table: {line}")
        log.info(f"verified {checked} published table(s) against their checksums")
        try:
            require_space(Path(self.root), run_bytes(Path(self.root)) + SPACE_MARGIN,
                          f"warehouse {self.root}: not enough room for a run")  # fmt: skip
            self._snapshot = RunSnapshot(self.root, run_id)
        except WarehouseError as error:
            raise dg.Failure(str(error)) from None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        snapshot, self._snapshot = self._snapshot, None
        if self.shared:  # the run's other steps go on in other processes: nothing ends here
            return
        if snapshot is not None and not snapshot.committed:
            if _commits_at_teardown(context):
                self._snapshot = snapshot
                try:
                    self.commit()
                except WarehouseError as error:
                    context.log.error(str(error))
                self._snapshot = None
            snapshot.abort()
        if self._lock is not None:
            self._lock.release()
            self._lock = None


COMMIT_KEY = dg.AssetKey(["publish", "tables"])
"""The asset that makes the run's tables current (:mod:`assets.commit`)."""


def _commits_at_teardown(context: dg.InitResourceContext) -> bool:
    """A run of a few assets chosen in the UI, without the commit asset, commits as it ends,
    unless one of its steps failed."""
    run, instance = context.run, context.instance
    if run is None or instance is None or run.asset_selection is None:
        return False
    if COMMIT_KEY in run.asset_selection:
        return False
    failures = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return not failures


LIVE_STATUSES = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def _alive_in(instance: dg.DagsterInstance | None) -> Callable[[str], bool]:
    """Whether a run holding a lease is still going, by the instance's record of it (a run the
    instance does not know, e.g. of another instance, counts as going: never taken over)."""

    def alive(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id) if instance is not None else None
        return run is None or run.status in LIVE_STATUSES

    return alive


WAREHOUSE_TAG = "dajiandu/warehouse"
"""The tag every run of the job carries: the warehouse root it writes."""


def mark_abandoned_runs(instance: dg.DagsterInstance, current: str, root: str) -> list[str]:
    """Runs on this warehouse (by :data:`WAREHOUSE_TAG`) that the instance still shows as starting
    or started, other than ``current``: while this run holds the warehouse lock no other run on
    it can be alive, so they were killed. Each is marked failed."""
    statuses = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=statuses, tags={WAREHOUSE_TAG: root}))
    abandoned = [run for run in runs if run.run_id != current]
    for run in abandoned:
        instance.report_run_failed(
            run, "the process running it died (found by the next run, which holds the lock)"
        )
    return [run.run_id for run in abandoned]


class RunSettings(dg.ConfigurableResource):
    """Per-run settings: the date rules are evaluated at (``--as-of``; empty means today) and the
    folder of rule files (empty means the rules shipped in ``warehouse/rules``), whose rules are
    loaded and checked once per run and handed to every asset by :meth:`rules`."""

    as_of: str = ""
    rules_dir: str = ""
    accept_drop: str = ""
    """Sources (comma-separated) whose row drop below half of the previous run is expected."""
    full_refresh: str = ""
    """SQL sources (comma-separated) read in full this run, not from their ``更新时间``
    watermark: rows deleted upstream leave bronze (``dajiandu run --full-refresh SOURCE``)."""
    _rules: Rules | None = PrivateAttr(default=None)
    serving_url: str = ""
    """The serving database (``postgresql+psycopg://…``, ``${VAR}`` read from the environment);
    empty means ``serving.db`` (SQLite) in the warehouse."""
    serving_schema: str = "dajiandu"
    """The PostgreSQL schema the serving tables are published into."""
    step_time_limit_seconds: int = 4 * 3600
    """A step running longer fails, saying so (assets/steps.py); 0: no limit. Four hours is far
    above the slowest step at 1,000,000 cadres; a deployment sets its own in the run config."""

    def rules_folder(self) -> Path:
        return Path(self.rules_dir) if self.rules_dir else DEFAULT_RULES

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._rules = load_rules(self.rules_folder())

    def rules(self) -> Rules:
        """The run's rules (loaded at set-up; on first use where no run set it up, e.g. a test)."""
        if self._rules is None:
            self._rules = load_rules(self.rules_folder())
        return self._rules

    def as_of_date(self) -> date:
        """The as-of date; one after today is refused (nothing after today is known yet).

        Raises:
            dg.Failure: ``as_of`` or ``DAJIANDU_TODAY`` is not a date, or ``as_of`` lies after today.
        """
        try:
            now = today()
        except ClockError as error:
            raise dg.Failure(str(error)) from None
        if not self.as_of:
            return now
        try:
            day = date.fromisoformat(self.as_of)
        except ValueError:
            raise dg.Failure(f"as_of wants a date like 2025-12-31, got {self.as_of!r}") from None
        if day > now:
            raise dg.Failure(f"as_of {day} is in the future (today is {now})")
        return day

    def refresh(self, source: str) -> bool:
        return source in {s.strip() for s in self.full_refresh.split(",") if s.strip()}

    def drop_accepted(self, source: str) -> bool:
        return source in {s.strip() for s in self.accept_drop.split(",") if s.strip()}


class GXResource(dg.ConfigurableResource):
    """Great Expectations 1.x, run in the step's process (``dagster-ge`` supports GX < 1 only).

    GX is imported on first use and kept for the life of the process, so a run pays the import
    once, not once per table.
    """

    data_docs: bool = True
    """Render GX Data Docs pages for every validation into the quality report."""

    def engine(self) -> GXEngine:
        return gx_runner.engine()
