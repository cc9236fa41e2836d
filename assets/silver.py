"""Silver assets: the cadre table, the linked supervision events and the review queue."""

import dagster as dg
import polars as pl

from assets.guard import Guarded, check_specs, guarded_publish
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
from transforms import (
    decisions_check,
    event_links,
    events,
    link_candidates,
    link_keys,
    linking,
    normalize,
    posts,
    units,
)
from transforms.specs import EVENT_SOURCES
from transforms.warnings import rectification_months
from warehouse.decisions import FILE_NAME, read_decisions
from warehouse.fingerprint import code_fingerprint
from warehouse.ingest import scan_bronze
from warehouse.rules import Rules
from warehouse.store import StagedTable, Warehouse

CADRE = dg.AssetKey(["silver", "cadre"])
POST = dg.AssetKey(["silver", "cadre_post"])
EVENT = dg.AssetKey(["silver", "supervision_event"])
REVIEW = dg.AssetKey(["silver", "link_review"])
CADRE_CODE = (events, link_keys, normalize, posts, units)
LINK_CODE = (
    event_links,
    linking,
    link_candidates,
    link_keys,
    events,
    normalize,
    units,
    decisions_check,
)

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


def _cadre_tables(store: Warehouse, rules: Rules) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``silver/cadre`` (prepared for linking) and ``silver/cadre_post`` from bronze."""
    history = scan_bronze(store, "post_history")
    return posts.cadre_tables(store.scan("bronze", "roster"), history, rules.linking)


def _posts_guard(
    staged: StagedTable, aliases: StagedTable, frame: pl.DataFrame, settings: RunSettings
) -> Guarded:
    suite = suite_for("silver/cadre_post", settings.as_of_date())
    return Guarded(POST, staged, [aliases], invariants=[
        unique_across_partitions("silver/cadre_post", validation_frame(staged.scan(), suite)),
        posts_reference_cadres(staged.scan(), frame.lazy()),
    ])  # fmt: skip


def _cadre_metadata(staged: dict[str, StagedTable], frame: pl.DataFrame, held: pl.DataFrame):  # type: ignore[no-untyped-def]
    from_history = int((held["origin"] == "post_history").sum())
    cadre_meta = {**schema_metadata(staged["cadre"]), "dagster/row_count": frame.height,
                  "with_valid_id_number": int(frame["id_number"].is_not_null().sum())}  # fmt: skip
    post_meta = {**schema_metadata(staged["cadre_post"]), "dagster/row_count": held.height,
                 "from_post_history": from_history, "current_posts_only": from_history == 0}  # fmt: skip
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
    store = warehouse.store()
    frame, held = _cadre_tables(store, settings.rules())
    previous = store.manifest("silver", "cadre")
    aliases = link_keys.unit_alias_table(held.lazy(), settings.rules().linking).collect()
    staged = {
        "cadre": store.stage("silver", "cadre", frame),
        "cadre_post": store.stage("silver", "cadre_post", held),
        "unit_alias": store.stage("silver", "unit_alias", aliases),
    }
    suite = suite_for("silver/cadre", settings.as_of_date())
    accepted = settings.drop_accepted("roster")
    gated = Guarded(CADRE, staged["cadre"], invariants=[
        roster_not_empty("silver/cadre", frame.height, sources.load_display("roster")),
        unique_across_partitions("silver/cadre", validation_frame(staged["cadre"].scan(), suite)),
        row_count_in_band("silver/cadre", frame.height, previous["rows"] if previous else None, accepted),
    ])  # fmt: skip
    if not (held["origin"] == "post_history").any():
        context.log.warning(
            "no post history (S8 任职经历): linking uses each cadre's current post only"
        )
    done = lambda: _cadre_metadata(staged, frame, held)  # noqa: E731
    yield from guarded_publish(
        context,
        warehouse,
        settings,
        gx,
        [gated, _posts_guard(staged["cadre_post"], staged["unit_alias"], frame, settings)],
        done,
    )


def link_context(store: Warehouse, rules: Rules, decisions: pl.DataFrame) -> str:
    """The fingerprint of everything besides a record's evidence that its link depends on: the
    linking code and rules, the reviewed decisions and the versions of ``silver/cadre`` and
    ``silver/cadre_post``."""
    roster = "".join(store.table_path("silver", t).resolve().name for t in ("cadre", "cadre_post"))
    reviewed = decisions.sort(decisions.columns).write_csv()
    return code_fingerprint(*LINK_CODE, extra=rules.linking_fingerprint() + reviewed + roster)


def _counts_markdown(linked: pl.DataFrame) -> str:
    counts = (
        linked.group_by("source", "link_status", "link_method")
        .len()
        .sort("source", "link_status", "link_method", nulls_last=True)
    )
    lines = ["| source | status | method | events |", "|---|---|---|---:|"]
    lines += [f"| {s} | {st} | {m or '—'} | {n:,} |" for s, st, m, n in counts.iter_rows()]
    return "\n".join(lines)


def link_all(
    store: Warehouse, rules: Rules, decisions: pl.DataFrame
) -> tuple[event_links.LinkedEvents, str]:
    """Link every event, keeping the earlier decisions when nothing they depend on changed.
    ``decisions``: the lines of ``link_decisions.csv``; those the check applies are applied, the
    verdict on every line is ``LinkedEvents.decisions``."""
    named = event_links.mentions(
        {s: store.scan("bronze", s) for s in EVENT_SOURCES},
        rules.petition_counting,
        rectification_months(rules.warnings),
    ).collect()
    cadres, held = store.scan("silver", "cadre"), store.scan("silver", "cadre_post")
    checked = decisions_check.check_link_decisions(
        decisions, named.lazy(), cadres, held, link_keys.model_of(rules.linking)
    )
    applied = checked.applied.drop("file", "line")
    fingerprint = link_context(store, rules, applied)
    manifest = store.manifest("silver", "supervision_event") or {}
    reuse = manifest.get("extra", {}).get("context") == fingerprint
    earlier = store.scan("silver", "supervision_event") if reuse else None
    queue = (
        store.scan("silver", "link_review")
        if reuse and store.exists("silver", "link_review")
        else None
    )
    linked = event_links.link_events(named, cadres, held, rules.linking, applied, earlier, queue)
    linked.decisions = checked
    return linked, fingerprint


def _event_metadata(staged_events, staged_review, linked: event_links.LinkedEvents):  # type: ignore[no-untyped-def]
    by_status = dict(linked.events.group_by("link_status").len().iter_rows())
    records = linked.review.select("source", "source_key").n_unique()
    checked = linked.decisions
    reviewed = {
        "reviewed_decisions": checked.applied.height if checked else 0,
        "decisions_rejected": checked.count("rejected") if checked else 0,
        "decisions_stale": checked.count("stale") if checked else 0,
    }
    events_meta = {
        **schema_metadata(staged_events), "dagster/row_count": linked.events.height,
        **{s: by_status.get(s, 0) for s in ("linked", "review", "unlinked")},
        "links": dg.MetadataValue.md(_counts_markdown(linked.events)),
        **reviewed, "linked_now": linked.linked_now, "kept_earlier_decision": linked.reused,
    }  # fmt: skip
    review_meta = {**schema_metadata(staged_review), "dagster/row_count": linked.review.height,
                   "records_in_review": records}  # fmt: skip
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
    store = warehouse.store()
    decisions = read_decisions(sources.decisions_path())
    linked, fingerprint = link_all(store, settings.rules(), decisions)
    checked = linked.decisions
    assert checked is not None  # link_all always checks the decisions
    for line in checked.listed():
        context.log.warning(f"link decision not applied: {line}")
    previous = (
        store.scan("silver", "supervision_event")
        if store.exists("silver", "supervision_event")
        else None
    )
    staged = store.stage(
        "silver", "supervision_event", linked.events, "source", "source", {"context": fingerprint}
    )
    staged_review = store.stage("silver", "link_review", linked.review)
    suite = suite_for("silver/supervision_event", settings.as_of_date())
    gated = Guarded(EVENT, staged, [staged_review], [
        unique_across_partitions("silver/supervision_event", validation_frame(linked.events.lazy(), suite)),
        events_reference_cadres(linked.events.lazy(), store.scan("silver", "cadre")),
        link_rate_held(linked.events.lazy(), previous),
        decision_lines("silver/supervision_event", "decisions.link_lines", FILE_NAME, checked),
    ])  # fmt: skip
    context.log.info(
        f"silver/supervision_event: {linked.events.height:,} events; {checked.applied.height} reviewed "
        f"decision(s) applied, {checked.count('rejected')} rejected, {checked.count('stale')} stale; "
        f"{linked.linked_now:,} linked now, {linked.reused:,} kept their decision"
    )
    done = lambda: _event_metadata(staged, staged_review, linked)  # noqa: E731
    yield from guarded_publish(context, warehouse, settings, gx, [gated], done)


SILVER_ASSETS = [cadre, link_events]
