"""The one Dagster entry point: ``dagster dev -m orchestration.definitions``.

Nothing runs at import; :func:`defs` composes the definitions when Dagster asks for them. The
sources file and warehouse root come from ``DAJIANDU_SOURCES`` and ``DAJIANDU_WAREHOUSE``
(defaults: the demo's ``data/sources/sources.yaml`` and ``data/warehouse``); ``DAJIANDU_RULES``
names a folder of the deployment's own rule files (default: the shipped ``warehouse/rules``);
``DAJIANDU_SERVING_URL`` the serving database (default: ``serving.db`` in the warehouse). The
scopes that get a bundle are read from ``scopes.yaml`` next to the sources file, when it exists.
"""

import os
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
from warehouse.publish.config import load_scopes, scopes_file

JOB_NAME = "dajiandu"


def build_defs(
    sources: str,
    warehouse: str,
    as_of: str = "",
    accept_drop: str = "",
    rules_dir: str = "",
    serving_url: str = "",
) -> dg.Definitions:
    """Definitions wired to one sources file and one warehouse root (and its scopes.yaml)."""
    warehouse = str(Path(warehouse).resolve())
    scopes = load_scopes(scopes_file(sources))
    # In-process: one process per run holds the warehouse lock for the whole run, and GX is
    # imported once (the multiprocess executor imported it in every step: 3 min against 17 s).
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="the whole pipeline",
        executor_def=dg.in_process_executor,
        tags={WAREHOUSE_TAG: warehouse},
    )
    nightly = dg.ScheduleDefinition(
        name="nightly",
        job=job,
        cron_schedule="0 2 * * *",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    return dg.Definitions(
        assets=[
            *BRONZE_ASSETS,
            *SILVER_ASSETS,
            *GOLD_ASSETS,
            commit_asset([*BRONZE_ASSETS, *SILVER_ASSETS, *GOLD_ASSETS]),
            *publish_assets(scopes),
        ],
        executor=dg.in_process_executor,
        jobs=[job],
        schedules=[nightly],
        loggers={"console": console_logger},
        resources={
            "sources": SourcesResource(path=sources),
            "warehouse": WarehouseResource(root=warehouse),
            "settings": RunSettings(
                as_of=as_of, accept_drop=accept_drop, rules_dir=rules_dir, serving_url=serving_url
            ),
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
    )
