"""Gold assets: what supervision work consumes, built together from silver in one step.

:func:`stage_gold` (no Dagster) computes every gold table from ``silver/supervision_event``,
``silver/cadre`` and the rule files and stages each as soon as it is computed, so memory holds one
large table at a time; the asset then publishes them all, so officers never see a profile from one
run beside warnings from another. A run that fails discards what it staged.
"""

import math
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import RunSettings, WarehouseResource
from transforms.cases import tolerance_cases
from transforms.profile import cadre_profile, cadre_timeline, clearance, split_points, unit_portrait
from transforms.promotion import promotion_check
from transforms.warnings import warning_level, warnings
from warehouse.rules import (
    load_deid_rules,
    load_fields,
    load_influence_periods,
    load_promotion_bar,
    load_tolerance_exclusions,
    load_warning_rules,
)
from warehouse.store import StagedTable, Warehouse

GOLD_TABLES = {
    "promotion_check": "Every cadre as of the run's date: barred from promotion or not, until when, "
    "and why (each reason with its event, rule and article).",
    "warning": "One row per (cadre, warning rule fired): level, rule, basis and the events that fired it.",
    "clearance": "Reports that cleared a cadre (澄清正名) or were judged false accusations (诬告陷害).",
    "cadre_profile": "One row per cadre: identity, post, scope; counts against / not by source and "
    "by source and category; latest grades; running periods; warning level; promotion check; "
    "clearance.",
    "cadre_timeline": "Every event a profile counts, one row each with its event id and source key, "
    "sorted by cadre and date: each profile number is a count of the cadre's rows here.",
    "unit_portrait": "Per unit and per region: cadres, events per 100 cadres by source and by category, "
    "substantiated-report rate, unrectified and overdue findings, audit amounts, warnings, trend.",
    "tolerance_case": "The de-identified typical-case library of 容错纠错 decisions, with counter-examples "
    "and, per case, how many identifiers of each kind were removed.",
}

_Stage = Callable[[str, pl.DataFrame | Iterable[pl.DataFrame]], None]
TIMELINE_PIECE_EVENTS = 2_000_000
"""Events per piece of the timeline when it is sorted and written: a piece is what memory holds
(at 10M events, 5 pieces peak at about 1.7 GB where one piece took 4.2 GB; measured)."""


def stage_gold(
    store: Warehouse, rules: Path, as_of: date, progress: Callable[[str], None] = lambda _: None
) -> dict[str, StagedTable]:
    """Every gold table as of ``as_of``, staged (written, not yet published); ``progress`` hears
    of each table as it is written (rows, seconds since the last one).

    Raises whatever a step raises, after discarding what was already staged.
    """
    staged: dict[str, StagedTable] = {}
    clock = [time.perf_counter()]

    def stage(name: str, frame: pl.DataFrame | Iterable[pl.DataFrame]) -> None:
        staged[name] = store.stage("gold", name, frame)
        now = time.perf_counter()
        progress(f"gold/{name}: {staged[name].rows:,} rows staged in {now - clock[0]:.1f} s")
        clock[0] = now

    try:
        _build(store, rules, as_of, stage)
    except BaseException:
        for table in staged.values():
            store.discard(table)
        raise
    return {name: staged[name] for name in GOLD_TABLES}


def _build(store: Warehouse, rules: Path, as_of: date, stage: _Stage) -> None:
    events = store.scan("silver", "supervision_event")
    cadres = store.scan("silver", "cadre")
    periods, bar = load_influence_periods(rules), load_promotion_bar(rules)
    promotion = promotion_check(events, cadres, periods, bar, as_of)
    warning = warnings(events, load_warning_rules(rules), periods, bar, as_of)
    cleared = clearance(events, store.scan("bronze", "petition"), cadres)
    promotion_df, warning_df, cleared_df = pl.collect_all([promotion, warning, cleared])
    stage("promotion_check", promotion_df)
    stage("warning", warning_df)
    stage("clearance", cleared_df)
    levels = warning_level(warning_df.lazy())
    profile = cadre_profile(
        events, cadres, promotion_df.lazy(), levels, cleared_df.lazy(), as_of
    ).collect()
    stage("cadre_profile", profile)
    del profile, promotion_df, cleared_df
    stage("unit_portrait", unit_portrait(events, cadres, warning_df.lazy(), as_of).collect())
    del warning_df
    roster = cadres.select("person_no", "name", "unit").collect()
    volume = (store.manifest("silver", "supervision_event") or {}).get("rows", 0)
    pieces = max(1, math.ceil(volume / TIMELINE_PIECE_EVENTS))
    bounds = split_points(roster["person_no"], pieces)
    # In memory, not streaming: the streaming engine's sort took 1.0 s per 2M-event piece, 0.85 s
    # in memory (measured); a piece is in memory as a whole either way.
    timeline = (
        piece.collect(engine="in-memory") for piece in cadre_timeline(events, as_of, bounds)
    )
    stage("cadre_timeline", timeline)
    stage(
        "tolerance_case",
        tolerance_cases(
            store.scan("bronze", "tolerance").collect(),
            store.scan("bronze", "audit").collect(),
            roster["name"].drop_nulls().unique().to_list(),
            roster["unit"].drop_nulls().unique().to_list(),
            load_tolerance_exclusions(rules),
            load_fields(rules),
            deid_rules=load_deid_rules(rules),
        ),
    )


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
    staged = stage_gold(store, settings.rules_folder(), as_of, context.log.info)
    for table in staged.values():
        store.publish(table)
    seconds = time.perf_counter() - start
    promotion = staged["promotion_check"].scan().select("barred", "bar_until").collect()
    barred = int(promotion["barred"].sum())
    rows = {name: table.rows for name, table in staged.items()}
    context.log.info(
        f"gold as of {as_of} in {seconds:.1f} s: {barred:,} of {promotion.height:,} cadres barred; "
        f"{rows['warning']:,} warnings; {rows['clearance']:,} clearance rows; "
        f"{rows['cadre_timeline']:,} timeline events; {rows['tolerance_case']:,} typical cases"
    )
    for name, table in staged.items():
        meta: dict[str, object] = {"dagster/row_count": table.rows, "as_of": as_of.isoformat()}
        if name == "promotion_check":
            meta["barred"] = barred
            meta["barred_without_end_date"] = int(
                (promotion["barred"] & promotion["bar_until"].is_null()).sum()
            )
        if name == "cadre_profile":
            levels = table.scan().group_by("warning_level").len().sort("warning_level").collect()
            meta["warning_levels"] = dg.MetadataValue.json(dict(levels.iter_rows()))
        if name == "warning":
            by_rule = table.scan().group_by("rule_id").len().sort("rule_id").collect()
            meta["by_rule"] = dg.MetadataValue.json(dict(by_rule.iter_rows()))
        yield dg.MaterializeResult(asset_key=["gold", name], metadata=meta)


GOLD_ASSETS = [gold]
