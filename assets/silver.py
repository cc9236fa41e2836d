"""Silver assets: the cadre table, the linked supervision events and the review queue."""

import dagster as dg
import polars as pl

from assets.linkage import link_all
from assets.resources import RunSettings, SourcesResource, WarehouseResource
from transforms import events, linking
from warehouse.decisions import read_decisions
from warehouse.rules import load_linking_rules

CADRE = dg.AssetKey(["silver", "cadre"])
EVENT = dg.AssetKey(["silver", "supervision_event"])
REVIEW = dg.AssetKey(["silver", "link_review"])


@dg.asset(
    key=CADRE,
    deps=[dg.AssetKey(["bronze", "roster"])],
    group_name="silver",
    kinds={"polars", "parquet"},
    description="One row per roster cadre (latest roster row): normalised name, keys, valid ID, unit, scope.",
)
def cadre(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: RunSettings
) -> dg.MaterializeResult:
    store = warehouse.store()
    rules = linking.LinkRules(**load_linking_rules(settings.rules_folder()))
    frame = linking.prepare_cadres(
        events.cadres_from_roster(store.scan("bronze", "roster")), rules
    ).collect()
    store.publish(store.stage("silver", "cadre", frame))
    context.log.info(f"silver/cadre: {frame.height:,} cadres")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "with_valid_id_number": int(frame["id_number"].is_not_null().sum()),
        }
    )


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
)
def link_events(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
):
    store = warehouse.store()
    decisions = read_decisions(sources.decisions_path())
    report = link_all(store, load_linking_rules(settings.rules_folder()), decisions)
    linked_frame, review_frame = report.events, report.review
    store.publish(
        store.stage(
            "silver",
            "supervision_event",
            linked_frame,
            "source",
            "source",
            {"context": report.context},
        )
    )
    store.publish(store.stage("silver", "link_review", review_frame))
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


SILVER_ASSETS = [cadre, link_events]
