"""Silver assets: the cadre table, the linked supervision events and the review queue."""

import dagster as dg
import polars as pl

from assets.guard import Guarded, carried_guards, carried_over, check_specs, guarded_publish
from assets.meta import asset_spec, schema_metadata
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from assets.steps import guarded_step
from quality.gate import validation_frame
from quality.invariants import (
    decision_lines,
    events_reference_cadres,
    link_rate_held,
    posts_reference_cadres,
    roster_not_empty,
    row_count_in_band,
    unique_across_partitions,
)
from quality.suites import suite_for
from transforms import event_links, silver
from transforms.silver import CADRE_CODE, LINK_CODE
from transforms.specs import EVENT_SOURCES
from warehouse.decisions import FILE_NAME
from warehouse.layer_inputs import CADRE_TABLES, Inputs, cadre_inputs, event_inputs
from warehouse.store import StagedTable, Warehouse, WarehouseError

CADRE = dg.AssetKey(["silver", "cadre"])
POST = dg.AssetKey(["silver", "cadre_post"])
EVENT = dg.AssetKey(["silver", "supervision_event"])
REVIEW = dg.AssetKey(["silver", "link_review"])

CADRE_INVARIANTS = {
    "rows.roster_present": "The roster gave cadres (an empty one would leave every record unlinked).",
    "key.unique_across_partitions": "One row per cadre.",
    "rows.within_band_of_previous": "The roster has not shrunk below half its previous size.",
}
POST_INVARIANTS = {
    "key.unique_across_partitions": "One row per (cadre, unit, post, start).",
    "person_no.references_cadre": "Every interval is of a cadre of silver/cadre.",
}
EVENT_INVARIANTS = {
    "key.unique_across_partitions": "An event id appears once across all sources.",
    "person_no.references_cadre": "Every linked event points at a cadre of silver/cadre.",
    "link_rate.held": "The share of linked events per source has not fallen by over 10 points.",
    "decisions.link_lines": "Every line of link_decisions.csv is applied (a WARN lists each line "
    "rejected or stale, with file, line and reason).",
}


def _stage_cadre(store: Warehouse, read: Inputs[silver.RosterFrames], tables: silver.CadreTables):  # type: ignore[no-untyped-def]
    regions = {"post_keys": {"regions": tables.regions}}
    return {name: store.stage("silver", name, getattr(tables, name),
                              extra=read.extra_of(name) | regions.get(name, {}))
            for name in CADRE_TABLES}  # fmt: skip


def _cadre_guards(  # type: ignore[no-untyped-def]
    store: Warehouse,
    staged: dict[str, StagedTable],
    tables: silver.CadreTables,
    read,
    sources,
    settings,
) -> list[Guarded]:
    """The gate of ``silver/cadre`` and of ``silver/cadre_post`` (with ``unit_alias``)."""
    frame, suite = tables.cadre, suite_for("silver/cadre", settings.as_of_date())
    accepted = settings.drop_accepted("roster")
    post_suite = suite_for("silver/cadre_post", settings.as_of_date())
    return [
        Guarded(CADRE, staged["cadre"], invariants=[
            roster_not_empty("silver/cadre", frame.height, sources.load_display("roster")),
            unique_across_partitions("silver/cadre", validation_frame(staged["cadre"].scan(), suite)),
            row_count_in_band("silver/cadre", frame.height, read.previous_rows, accepted),
        ]),
        Guarded(POST, staged["cadre_post"], [staged["unit_alias"], staged["post_keys"]], invariants=[
            unique_across_partitions("silver/cadre_post", validation_frame(staged["cadre_post"].scan(), post_suite)),
            posts_reference_cadres(staged["cadre_post"].scan(), frame.lazy()),
        ]),
    ]  # fmt: skip


def _cadre_metadata(staged: dict[str, StagedTable], tables: silver.CadreTables | None):  # type: ignore[no-untyped-def]
    cadre_meta = {**schema_metadata(staged["cadre"]), "dagster/row_count": staged["cadre"].rows,
                  "carried_over": tables is None}  # fmt: skip
    post_meta = {**schema_metadata(staged["cadre_post"]), "dagster/row_count": staged["cadre_post"].rows,
                 "carried_over": tables is None}  # fmt: skip
    if tables is not None:
        from_history = int((tables.cadre_post["origin"] == "post_history").sum())
        cadre_meta["with_valid_id_number"] = int(tables.cadre["id_number"].is_not_null().sum())
        post_meta |= {"from_post_history": from_history, "current_posts_only": from_history == 0}
    return [
        dg.MaterializeResult(asset_key=CADRE, metadata=cadre_meta),
        dg.MaterializeResult(asset_key=POST, metadata=post_meta),
    ]


@dg.multi_asset(
    name="cadre",
    specs=[
        asset_spec(
            CADRE,
            "One row per roster cadre (latest roster row): normalised name, keys, "
            "valid ID, unit, scope.",
            CADRE_CODE,
            deps=[dg.AssetKey(["bronze", "roster"])],
        ),
        asset_spec(
            POST,
            "Every post every cadre held, with its span (S8 任职经历; the roster's "
            "current post where there is none); with it silver/unit_alias, the unit codes S8 "
            "wrote with several names (local renames, reform transfers) and the evidence.",
            CADRE_CODE,
            deps=[dg.AssetKey(["bronze", "roster"]), dg.AssetKey(["bronze", "post_history"])],
        ),
    ],  # fmt: skip
    check_specs=[*check_specs(CADRE, CADRE_INVARIANTS), *check_specs(POST, POST_INVARIANTS)],
)
@guarded_step
def cadre(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
):
    store, rules = warehouse.store(), settings.rules()
    read = cadre_inputs(store, rules)
    replay = carried_over(store, read.carried, ("cadre", "cadre_post"))
    if read.carried is not None and replay is not None:
        context.log.info(f"silver/cadre: inputs unchanged ({read.fingerprint}): carried over")
        staged, tables = read.carried, None
        gated = carried_guards(staged, replay, {"cadre": CADRE, "cadre_post": POST},
                                {"cadre_post": ("unit_alias", "post_keys")})  # fmt: skip
    else:
        tables = silver.cadre_tables(read.frames, rules.linking)
        staged = _stage_cadre(store, read, tables)
        gated = _cadre_guards(store, staged, tables, read, sources, settings)
        if not (tables.cadre_post["origin"] == "post_history").any():
            context.log.warning(
                "no post history (S8 任职经历): linking uses each cadre's current post only"
            )
    done = lambda: _cadre_metadata(staged, tables)  # noqa: E731
    yield from guarded_publish(context, warehouse, settings, gx, gated, done)


def _counts_markdown(counts: pl.DataFrame) -> str:
    """``counts`` (source, link_status, link_method, len) as a table."""
    lines = ["| source | status | method | events |", "|---|---|---|---:|"]
    lines += [f"| {s} | {st} | {m or '—'} | {n:,} |" for s, st, m, n in counts.iter_rows()]
    return "\n".join(lines)


def _stage_events(
    store: Warehouse, read: Inputs[silver.EventFrames], linked: event_links.LinkedEvents
):  # type: ignore[no-untyped-def]
    extra = {
        "context": linked.context,
        "inputs": read.fingerprint,
        "roster": dict(read.frames.roster),
        **read.notes["supervision_event"],
    }
    kept = store.partition_files("silver", "supervision_event", linked.carried)
    if sum(k.rows for k in kept.values()) != linked.carried_rows:
        raise WarehouseError(f"silver/supervision_event: the partitions of {', '.join(linked.carried)} "
                             f"to keep do not hold their {linked.carried_rows:,} records; run again")  # fmt: skip
    events = store.stage(
        "silver", "supervision_event", linked.events, "source", "source", extra, kept
    )
    review = store.stage("silver", "link_review", linked.review, extra={"inputs": read.fingerprint})
    return {"supervision_event": events, "link_review": review}


def _whole(store: Warehouse, staged: StagedTable, linked: event_links.LinkedEvents) -> pl.LazyFrame:
    """The staged events whole: in memory, or read back when partitions were kept as they were."""
    if not linked.carried:
        return linked.events.lazy()
    whole = store.scan_version(staged.layer, staged.name, staged.path.name)
    assert whole is not None  # just staged, with its manifest
    return whole


def _event_guard(  # type: ignore[no-untyped-def]
    store: Warehouse,
    staged: dict[str, StagedTable],
    linked: event_links.LinkedEvents,
    read,
    settings,
) -> Guarded:
    checked = linked.decisions
    assert checked is not None  # link_tables always checks the decisions
    suite = suite_for("silver/supervision_event", settings.as_of_date())
    events = _whole(store, staged["supervision_event"], linked)
    return Guarded(EVENT, staged["supervision_event"], [staged["link_review"]], [
        unique_across_partitions("silver/supervision_event", validation_frame(events, suite)),
        events_reference_cadres(events, store.scan("silver", "cadre")),
        link_rate_held(events, read.frames.earlier),
        decision_lines("silver/supervision_event", "decisions.link_lines", FILE_NAME, checked),
    ])  # fmt: skip


def _link_log(
    context: dg.AssetExecutionContext, linked: event_links.LinkedEvents, staged: StagedTable
) -> None:
    checked = linked.decisions
    assert checked is not None  # link_tables always checks the decisions
    for line in checked.listed():
        context.log.warning(f"link decision not applied: {line}")
    kept = f"; kept as they were: {', '.join(linked.carried)}" if linked.carried else ""
    context.log.info(
        f"silver/supervision_event: {staged.rows:,} events; {checked.applied.height} reviewed "
        f"decision(s) applied, {checked.count('rejected')} rejected, {checked.count('stale')} stale; "
        f"{linked.linked_now:,} linked now, {linked.reused:,} kept their decision{kept}"
    )


def _event_metadata(
    store: Warehouse, staged: dict[str, StagedTable], linked: event_links.LinkedEvents | None
):  # type: ignore[no-untyped-def]
    events, review = staged["supervision_event"], staged["link_review"]
    events_meta = {**schema_metadata(events), "dagster/row_count": events.rows,
                   "carried_over": linked is None}  # fmt: skip
    review_meta = {**schema_metadata(review), "dagster/row_count": review.rows}
    if linked is not None:
        counts = (
            _whole(store, events, linked)
            .group_by("source", "link_status", "link_method")
            .len()
            .sort("source", "link_status", "link_method", nulls_last=True)
            .collect()
        )
        by_status = dict(counts.group_by("link_status").agg(pl.col("len").sum()).iter_rows())
        checked = linked.decisions
        events_meta |= {
            **{s: by_status.get(s, 0) for s in ("linked", "review", "unlinked")},
            "links": dg.MetadataValue.md(_counts_markdown(counts)),
            "partitions_kept": list(linked.carried),
            "reviewed_decisions": checked.applied.height if checked else 0,
            "decisions_rejected": checked.count("rejected") if checked else 0,
            "decisions_stale": checked.count("stale") if checked else 0,
            "linked_now": linked.linked_now, "kept_earlier_decision": linked.reused,
        }  # fmt: skip
        review_meta["records_in_review"] = linked.review.select("source", "source_key").n_unique()
    return [
        dg.MaterializeResult(asset_key=EVENT, metadata=events_meta),
        dg.MaterializeResult(asset_key=REVIEW, metadata=review_meta),
    ]


@dg.multi_asset(
    name="link_events",
    specs=[
        asset_spec(
            EVENT,
            "One row per (source record, person named in it), linked to a cadre or not.",
            LINK_CODE,
            deps=[CADRE, POST, *(dg.AssetKey(["bronze", s]) for s in EVENT_SOURCES)],
        ),
        asset_spec(
            REVIEW,
            "Records that could belong to several cadres: the candidates and their scores.",
            LINK_CODE,
            deps=[CADRE],
        ),
    ],  # fmt: skip
    check_specs=check_specs(
        EVENT, EVENT_INVARIANTS, frozenset({"link_rate.held", "decisions.link_lines"})
    ),
)
@guarded_step
def link_events(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
):
    store, rules = warehouse.store(), settings.rules()
    read = event_inputs(store, rules, sources.decisions_path())
    replay = carried_over(store, read.carried, ("supervision_event",))
    if read.carried is not None and replay is not None:
        context.log.info(
            f"silver/supervision_event: inputs unchanged ({read.fingerprint}): carried over"
        )
        staged, linked = read.carried, None
        gated = carried_guards(staged, replay, {"supervision_event": EVENT},
                                {"supervision_event": ("link_review",)})  # fmt: skip
    else:
        with store.spill("link") as hold:  # each chunk's links wait on disk, not in memory
            linked = silver.link_tables(read.frames, rules, hold)
        staged = _stage_events(store, read, linked)
        _link_log(context, linked, staged["supervision_event"])
        gated = [_event_guard(store, staged, linked, read, settings)]
    done = lambda: _event_metadata(store, staged, linked)  # noqa: E731
    yield from guarded_publish(context, warehouse, settings, gx, gated, done)


SILVER_ASSETS = [cadre, link_events]
