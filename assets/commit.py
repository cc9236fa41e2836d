"""The commit of a run: every table the run published becomes current at once.

The bronze, quarantine, silver and gold assets publish into the run's own snapshot
(:class:`warehouse.store.RunSnapshot`), where the assets downstream read them. This asset runs
after all of them, and only when all succeeded (Dagster skips it otherwise): one atomic rename
makes the new tables of every layer current together. The serving database, the catalog, the
booklet and the bundles depend on it, so they are built from the tables just made current. A run
that fails before it leaves the whole previous warehouse in place.
"""

from collections.abc import Sequence

import dagster as dg

from assets.meta import OWNERS
from assets.resources import COMMIT_KEY, WarehouseResource


def commit_asset(upstream: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The commit asset, downstream of every asset in ``upstream``."""

    @dg.asset(
        key=COMMIT_KEY,
        deps=[key for asset in upstream for key in asset.keys],
        group_name="publish",
        owners=OWNERS,
        tags={"layer": "publish"},
        description="The run's bronze, quarantine, silver and gold tables made current at once "
        "(one swap); nothing of a run that fails before it is published.",
    )
    def tables(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        changed = warehouse.commit()
        context.log.info(
            f"published {len(changed)} new table version(s) at once: {', '.join(changed) or 'none'}"
        )
        return dg.MaterializeResult(
            metadata={"new_versions": len(changed), "tables": dg.MetadataValue.json(changed)}
        )

    return tables
