"""Gold assets: what supervision work consumes, built together from silver in one step.

:func:`build_gold` (no Dagster) computes every gold table from ``silver/supervision_event``,
``silver/cadre`` and the rule files; the asset stages them all, then publishes them all, so
officers never see a profile from one run beside warnings from another.
"""

import time
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import RunSettings, WarehouseResource
from transforms.cases import tolerance_cases
from transforms.profile import cadre_profile, clearance, unit_portrait
from transforms.promotion import promotion_check
from transforms.warnings import warning_level, warnings
from warehouse.rules import (
    load_fields,
    load_influence_periods,
    load_promotion_bar,
    load_tolerance_exclusions,
    load_warning_rules,
)
from warehouse.store import Warehouse

GOLD_TABLES = {
    "promotion_check": "Every cadre as of the run's date: barred from promotion or not, until when, "
    "and why (each reason with its event, rule and article).",
    "warning": "One row per (cadre, warning rule fired): level, rule, basis and the events that fired it.",
    "clearance": "Reports that cleared a cadre (澄清正名) or were judged false accusations (诬告陷害).",
    "cadre_profile": "One row per cadre: identity, post, scope; counts by source against / not; "
    "latest grades; running periods; warning level; promotion check; clearance; the timeline.",
    "unit_portrait": "Per unit and per region: cadres, events per 100 cadres by source, "
    "substantiated-report rate, unrectified and overdue findings, audit amounts, warnings, trend.",
    "tolerance_case": "The de-identified typical-case library of 容错纠错 decisions, with counter-examples.",
}


def build_gold(store: Warehouse, rules: Path, as_of: date) -> dict[str, pl.DataFrame]:
    """Every gold table as of ``as_of``."""
    events = store.scan("silver", "supervision_event")
    cadres = store.scan("silver", "cadre")
    periods, bar = load_influence_periods(rules), load_promotion_bar(rules)
    promotion = promotion_check(events, cadres, periods, bar, as_of)
    warning = warnings(events, load_warning_rules(rules), periods, bar, as_of)
    cleared = clearance(events, store.scan("bronze", "petition"), cadres)
    promotion_df, warning_df, cleared_df = pl.collect_all([promotion, warning, cleared])
    profile = cadre_profile(
        events,
        cadres,
        promotion_df.lazy(),
        warning_level(warning_df.lazy()),
        cleared_df.lazy(),
        as_of,
    )
    # One after the other: the profile's timelines are the largest thing gold holds in memory.
    profile_df = profile.collect()
    portrait_df = unit_portrait(events, cadres, warning_df.lazy(), as_of).collect()
    roster = cadres.select("name", "unit").collect()
    cases = tolerance_cases(
        store.scan("bronze", "tolerance").collect(),
        store.scan("bronze", "audit").collect(),
        roster["name"].drop_nulls().unique().to_list(),
        roster["unit"].drop_nulls().unique().to_list(),
        load_tolerance_exclusions(rules),
        load_fields(rules),
    )
    return {
        "promotion_check": promotion_df,
        "warning": warning_df,
        "clearance": cleared_df,
        "cadre_profile": profile_df,
        "unit_portrait": portrait_df,
        "tolerance_case": cases,
    }


@dg.multi_asset(
    name="gold",
    specs=[
        dg.AssetSpec(
            ["gold", name],
            deps=[dg.AssetKey(["silver", "supervision_event"]), dg.AssetKey(["silver", "cadre"])],
            group_name="gold",
            kinds={"polars", "parquet"},
            description=text,
        )
        for name, text in GOLD_TABLES.items()
    ],
)
def gold(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: RunSettings):  # type: ignore[no-untyped-def]
    store = warehouse.store()
    as_of = settings.as_of_date()
    start = time.perf_counter()
    tables = build_gold(store, settings.rules_folder(), as_of)
    staged = [store.stage("gold", name, frame) for name, frame in tables.items()]
    for table in staged:
        store.publish(table)
    seconds = time.perf_counter() - start
    promotion, profile = tables["promotion_check"], tables["cadre_profile"]
    barred = int(promotion["barred"].sum())
    context.log.info(
        f"gold as of {as_of} in {seconds:.1f} s: {barred:,} of {promotion.height:,} cadres barred; "
        f"{tables['warning'].height:,} warnings; {tables['clearance'].height:,} clearance rows; "
        f"{tables['tolerance_case'].height:,} typical cases"
    )
    levels = dict(profile.group_by("warning_level").len().iter_rows())
    for name, frame in tables.items():
        meta: dict[str, object] = {"dagster/row_count": frame.height, "as_of": as_of.isoformat()}
        if name == "promotion_check":
            meta["barred"] = barred
            meta["barred_without_end_date"] = int(
                (promotion["barred"] & promotion["bar_until"].is_null()).sum()
            )
        if name == "cadre_profile":
            meta["warning_levels"] = dg.MetadataValue.json(levels)
        if name == "warning":
            meta["by_rule"] = dg.MetadataValue.json(
                dict(frame.group_by("rule_id").len().sort("rule_id").iter_rows())
            )
        yield dg.MaterializeResult(asset_key=["gold", name], metadata=meta)


GOLD_ASSETS = [gold]
