"""The one Dagster entry point: ``dagster dev -m orchestration.definitions``.

Nothing runs at import; :func:`defs` composes the definitions when Dagster asks for them. The
sources file and warehouse root come from ``DAJIANDU_SOURCES`` and ``DAJIANDU_WAREHOUSE``
(defaults: the demo's ``data/sources/sources.yaml`` and ``data/warehouse``); ``DAJIANDU_RULES``
names a folder of the deployment's own rule files (default: the shipped ``warehouse/rules``);
``DAJIANDU_SERVING_URL`` the serving database (default: ``serving.db`` in the warehouse). The
scopes that get a bundle are read from ``scopes.yaml`` next to the sources file, when it exists.
``DAJIANDU_EXECUTOR=celery`` runs the steps on Celery workers (broker and result backend from
``DAJIANDU_CELERY_BROKER`` and ``DAJIANDU_CELERY_BACKEND``; deploy/celery/ says how).
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dagster as dg

from assets.bronze import BRONZE_ASSETS
from assets.commit import commit_asset
from assets.gold import GOLD_ASSETS
from assets.publish import publish_assets
from assets.resources import (
    WAREHOUSE_TAG,
    GXResource,
    RunSettings,
    SourcesResource,
    WarehouseResource,
)
from assets.silver import SILVER_ASSETS
from orchestration.console import console_logger
from transforms.specs import SPECS
from warehouse.publish.config import load_scopes, scopes_file
from warehouse.source_version import source_version

JOB_NAME = "dajiandu"
OBSERVE_JOB_NAME = "observe_sources"
TIMEZONE = "Asia/Shanghai"
SOURCE_GROUP = "sources"
SOURCE_FRESHNESS = {
    # How long a source may go without new data before the UI says so (warn), then fails it.
    # Petitions arrive daily; the others are exported monthly or by campaign.
    "petition": (timedelta(days=2), timedelta(days=4)),
    "roster": (timedelta(days=7), timedelta(days=31)),
    "post_history": (timedelta(days=31), timedelta(days=92)),
    "inspection": (timedelta(days=92), timedelta(days=184)),
    "audit": (timedelta(days=92), timedelta(days=184)),
    "assessment": (timedelta(days=92), timedelta(days=366)),
    "sanction": (timedelta(days=31), timedelta(days=92)),
    "tolerance": (timedelta(days=92), timedelta(days=184)),
}
EXECUTORS = ("in_process", "celery")


def _executor(name: str) -> dg.ExecutorDefinition:
    """In-process (one process per run holds the warehouse lock for the whole run, and GX is
    imported once: the multiprocess executor imported it in every step, 3 min against 17 s), or
    Celery: each step a task on whichever worker takes it, on any host that sees the warehouse."""
    if name in ("", "in_process"):
        return dg.in_process_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "DAJIANDU_CELERY_BROKER"},
                "backend": {"env": "DAJIANDU_CELERY_BACKEND"},
            },
            name="celery",
        )
    raise ValueError(f"DAJIANDU_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")


GOLD_FRESHNESS = (timedelta(days=1, hours=6), timedelta(days=3))
"""Gold is rebuilt nightly: a day and a few hours without a new version warns, three days fail."""


def _observe(name: str) -> dg.AssetsDefinition:
    """The upstream source ``name`` as an observable source asset: its data version is its
    fingerprint (warehouse/source_version.py), so a changed export reads as new data."""
    warn, fail = SOURCE_FRESHNESS[name]

    key = dg.AssetKey(["source", name])
    spec = dg.AssetSpec(
        key,
        group_name=SOURCE_GROUP,
        description=f"The upstream {name} export, as sources.yaml names it (observed, not stored).",
        freshness_policy=dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn),
    )

    def _source(context: dg.AssetExecutionContext) -> dg.ObserveResult:
        config = context.resources.sources.load().get(name)
        if config is None:
            return dg.ObserveResult(
                asset_key=key,
                data_version=dg.DataVersion("not-configured"),
                metadata={"configured": False},
            )
        version, meta = source_version(config)
        return dg.ObserveResult(
            asset_key=key,
            data_version=dg.DataVersion(version),
            metadata={**meta, "where": config.display},
        )

    with warnings.catch_warnings():  # observable sources are "beta" in Dagster 1.13: said here,
        warnings.simplefilter("ignore", dg.BetaWarning)  # not on every command's console
        return dg.multi_observable_source_asset(
            name=f"observe_{name}", specs=[spec], required_resource_keys={"sources"}
        )(_source)


def _automated(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """An asset materialised again when what it depends on changed (eager), a bronze table also
    depending on its source's observation, and gold held to its freshness policy."""

    def spec(s: dg.AssetSpec) -> dg.AssetSpec:
        deps = list(s.deps)
        if s.key.path[0] in ("bronze", "quarantine"):
            deps.append(dg.AssetDep(dg.AssetKey(["source", s.key.path[-1]])))
        extra: dict[str, object] = {}
        if s.key.path[0] == "gold":
            warn, fail = GOLD_FRESHNESS
            extra["freshness_policy"] = dg.FreshnessPolicy.time_window(
                fail_window=fail, warn_window=warn
            )
        return s.replace_attributes(
            deps=deps, automation_condition=dg.AutomationCondition.eager(), **extra
        )

    return asset.map_asset_specs(spec)


def build_defs(
    sources: str,
    warehouse: str,
    as_of: str = "",
    accept_drop: str = "",
    full_refresh: str = "",
    rules_dir: str = "",
    serving_url: str = "",
    executor: str = "",
) -> dg.Definitions:
    """Definitions wired to one sources file and one warehouse root (and its scopes.yaml)."""
    warehouse = str(Path(warehouse).resolve())
    scopes = load_scopes(scopes_file(sources))
    run_on = _executor(executor)
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="the whole pipeline",
        executor_def=run_on,
        tags={WAREHOUSE_TAG: warehouse},
    )
    # Schedules run in Beijing time and are STOPPED until an operator starts them (in the UI, or
    # `dagster schedule start`): a fresh deployment never runs on its own before it is configured.
    nightly = dg.ScheduleDefinition(
        name="nightly",
        job=job,
        cron_schedule="0 2 * * *",
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    sources_assets = [_observe(spec.name) for spec in SPECS.values()]
    with warnings.catch_warnings():  # include_sources is "beta" in Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        observe = dg.define_asset_job(
            OBSERVE_JOB_NAME,
            selection=dg.AssetSelection.groups(SOURCE_GROUP, include_sources=True),
            description="observe every upstream source: a changed fingerprint is new data",
        )
    observe_often = dg.ScheduleDefinition(
        name="observe_sources_every_15_minutes",
        job=observe,
        cron_schedule="*/15 * * * *",
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    # The daemon requests a run of what a changed source feeds, and nothing else; its runs carry
    # the warehouse tag, so the queue runs one at a time per warehouse. STOPPED by default too.
    automation = dg.AutomationConditionSensorDefinition(
        "dajiandu_automation",
        target=dg.AssetSelection.all(),
        run_tags={WAREHOUSE_TAG: warehouse},
        default_status=dg.DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=60,
    )
    return dg.Definitions(
        assets=[
            *sources_assets,
            *(
                _automated(a)
                for a in (
                    *BRONZE_ASSETS,
                    *SILVER_ASSETS,
                    *GOLD_ASSETS,
                    commit_asset([*BRONZE_ASSETS, *SILVER_ASSETS, *GOLD_ASSETS]),
                    *publish_assets(scopes),
                )
            ),
        ],
        executor=run_on,
        jobs=[job, observe],
        schedules=[nightly, observe_often],
        sensors=[automation],
        loggers={"console": console_logger},
        resources={
            "sources": SourcesResource(path=sources),
            "warehouse": WarehouseResource(
                root=warehouse, shared=run_on is not dg.in_process_executor
            ),
            "settings": RunSettings(
                as_of=as_of,
                accept_drop=accept_drop,
                rules_dir=rules_dir,
                serving_url=serving_url,
                full_refresh=full_refresh,
            ),  # fmt: skip
            "gx": GXResource(),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_defs(
        os.environ.get("DAJIANDU_SOURCES", "data/sources/sources.yaml"),
        os.environ.get("DAJIANDU_WAREHOUSE", "data/warehouse"),
        os.environ.get("DAJIANDU_AS_OF", ""),
        rules_dir=os.environ.get("DAJIANDU_RULES", ""),
        # named, not copied: Dagster keeps resource settings (a password too) in its storage
        serving_url="${DAJIANDU_SERVING_URL}" if os.environ.get("DAJIANDU_SERVING_URL") else "",
        executor=os.environ.get("DAJIANDU_EXECUTOR", ""),
    )
