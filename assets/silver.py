"""Silver assets: the cadre table, the linked supervision events and the review queue."""

import dagster as dg
import polars as pl

from assets.gatekeeper import blocked, check_results, check_specs, guard
from assets.linkage import link_all
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from quality.gate import validation_frame
from quality.invariants import (
    events_reference_cadres,
    link_rate_held,
    roster_not_empty,
    row_count_in_band,
    unique_across_partitions,
)
from quality.suites import suite_for
from transforms import events, linking
from warehouse.decisions import read_decisions
from warehouse.rules import load_linking_rules, load_petition_counting

CADRE = dg.AssetKey(["silver", "cadre"])
EVENT = dg.AssetKey(["silver", "supervision_event"])
REVIEW = dg.AssetKey(["silver", "link_review"])


CADRE_INVARIANTS = {
    "rows.roster_present": "The roster gave cadres (an empty one would leave every record unlinked).",
    "key.unique_across_partitions": "One row per cadre.",
    "rows.within_band_of_previous": "The roster has not shrunk below half its previous size.",
}
EVENT_INVARIANTS = {
    "key.unique_across_partitions": "An event id appears once across all sources.",
    "person_no.references_cadre": "Every linked event points at a cadre of silver/cadre.",
    "link_rate.held": "The share of linked events per source has not fallen by over 10 points.",
}


@dg.multi_asset(
    name="cadre",
    specs=[
        dg.AssetSpec(
            CADRE,
            deps=[dg.AssetKey(["bronze", "roster"])],
            group_name="silver",
            kinds={"polars", "parquet"},
            description="One row per roster cadre (latest roster row): normalised name, keys, valid ID, unit, scope.",
        )
    ],
    check_specs=check_specs(CADRE, CADRE_INVARIANTS),
)
def cadre(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
):
    store = warehouse.store()
    rules = linking.LinkRules(**load_linking_rules(settings.rules_folder()))
    frame = linking.prepare_cadres(
        events.cadres_from_roster(store.scan("bronze", "roster")), rules
    ).collect()
    previous = store.manifest("silver", "cadre")
    staged = store.stage("silver", "cadre", frame)
    suite = suite_for("silver/cadre", settings.as_of_date())
    invariants = [
        roster_not_empty("silver/cadre", frame.height, sources.load_display("roster")),
        unique_across_partitions("silver/cadre", validation_frame(staged.scan(), suite)),
        row_count_in_band(
            "silver/cadre",
            frame.height,
            previous["rows"] if previous else None,
            settings.drop_accepted("roster"),
        ),
    ]
    validation = guard(context, warehouse, settings, gx, staged, [], invariants)
    if validation.blocking:
        yield from check_results(CADRE, validation)
        raise blocked(validation)
    context.log.info(f"silver/cadre: {frame.height:,} cadres")
    yield dg.MaterializeResult(
        asset_key=CADRE,
        metadata={
            "dagster/row_count": frame.height,
            "with_valid_id_number": int(frame["id_number"].is_not_null().sum()),
        },
    )
    yield from check_results(CADRE, validation)


def _counts_markdown(linked: pl.DataFrame) -> str:
    counts = (
        linked.group_by("source", "link_status", "link_method")
        .len()
        .sort("source", "link_status", "link_method", nulls_last=True)
    )
    lines = ["| source | status | method | events |", "|---|---|---|---:|"]
    lines += [f"| {s} | {st} | {m or '—'} | {n:,} |" for s, st, m, n in counts.iter_rows()]
    return "\n".join(lines)


@dg.multi_asset(
    name="link_events",
    specs=[
        dg.AssetSpec(
            EVENT,
            deps=[CADRE, *(dg.AssetKey(["bronze", s]) for s in events.BUILDERS)],
            group_name="silver",
            kinds={"polars", "parquet"},
            description="One row per (source record, person named in it), linked to a cadre or not.",
        ),
        dg.AssetSpec(
            REVIEW,
            deps=[CADRE],
            group_name="silver",
            kinds={"polars", "parquet"},
            description="Records that could belong to several cadres: the candidates and their scores.",
        ),
    ],
    check_specs=check_specs(EVENT, EVENT_INVARIANTS, frozenset({"link_rate.held"})),
)
def link_events(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
):
    store = warehouse.store()
    decisions = read_decisions(sources.decisions_path())
    folder = settings.rules_folder()
    report = link_all(store, load_linking_rules(folder), decisions, load_petition_counting(folder))
    linked_frame, review_frame = report.events, report.review
    previous = (
        store.scan("silver", "supervision_event")
        if store.exists("silver", "supervision_event")
        else None
    )
    staged = store.stage(
        "silver", "supervision_event", linked_frame, "source", "source", {"context": report.context}
    )
    staged_review = store.stage("silver", "link_review", review_frame)
    suite = suite_for("silver/supervision_event", settings.as_of_date())
    invariants = [
        unique_across_partitions(
            "silver/supervision_event", validation_frame(linked_frame.lazy(), suite)
        ),
        events_reference_cadres(linked_frame.lazy(), store.scan("silver", "cadre")),
        link_rate_held(linked_frame.lazy(), previous),
    ]
    validation = guard(context, warehouse, settings, gx, staged, [staged_review], invariants)
    if validation.blocking:
        yield from check_results(EVENT, validation)
        raise blocked(validation)
    by_status = dict(linked_frame.group_by("link_status").len().iter_rows())
    context.log.info(
        f"silver/supervision_event: {linked_frame.height:,} events, linked {by_status.get('linked', 0):,}, "
        f"review {by_status.get('review', 0):,}, unlinked {by_status.get('unlinked', 0):,}; "
        f"{decisions.height} reviewed decision(s) applied from {sources.decisions_path()}; "
        f"{report.linked_now:,} record(s) linked now, {report.reused:,} unchanged kept their decision"
    )
    yield dg.MaterializeResult(
        asset_key=EVENT,
        metadata={
            "dagster/row_count": linked_frame.height,
            "linked": by_status.get("linked", 0),
            "review": by_status.get("review", 0),
            "unlinked": by_status.get("unlinked", 0),
            "links": dg.MetadataValue.md(_counts_markdown(linked_frame)),
            "reviewed_decisions": decisions.height,
            "linked_now": report.linked_now,
            "kept_earlier_decision": report.reused,
        },
    )
    yield dg.MaterializeResult(
        asset_key=REVIEW,
        metadata={
            "dagster/row_count": review_frame.height,
            "records_in_review": review_frame.select(
                pl.col("source"), pl.col("source_key")
            ).n_unique(),
        },
    )
    yield from check_results(EVENT, validation)


SILVER_ASSETS = [cadre, link_events]
