"""Gold assets: what supervision work consumes. So far: the promotion-bar check."""

import dagster as dg
import polars as pl

from assets.resources import RunSettings, WarehouseResource
from transforms.promotion import promotion_check as check
from warehouse.rules import load_influence_periods, load_promotion_bar


@dg.asset(
    key=["gold", "promotion_check"],
    deps=[dg.AssetKey(["silver", "supervision_event"]), dg.AssetKey(["silver", "cadre"])],
    group_name="gold",
    kinds={"polars", "parquet"},
    description="Every cadre as of the run's date: barred from promotion or not, until when, and why "
    "(each reason with its event, rule and article).",
)
def promotion_check(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: RunSettings
) -> dg.MaterializeResult:
    store = warehouse.store()
    folder = settings.rules_folder()
    as_of = settings.as_of_date()
    frame = check(
        store.scan("silver", "supervision_event"),
        store.scan("silver", "cadre"),
        load_influence_periods(folder),
        load_promotion_bar(folder),
        as_of,
    ).collect()
    store.publish(store.stage("gold", "promotion_check", frame))
    barred = int(frame["barred"].sum())
    open_ended = int((frame["barred"] & frame["bar_until"].is_null()).sum())
    context.log.info(
        f"gold/promotion_check as of {as_of}: {barred:,} of {frame.height:,} cadres barred"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "as_of": as_of.isoformat(),
            "barred": barred,
            "barred_without_end_date": open_ended,
            "reasons_by_rule": dg.MetadataValue.json(
                dict(
                    frame.select(pl.col("reasons").explode().struct.field("rule_id"))
                    .drop_nulls()
                    .group_by("rule_id")
                    .len()
                    .sort("rule_id")
                    .iter_rows()
                )
            ),
        }
    )


GOLD_ASSETS = [promotion_check]
