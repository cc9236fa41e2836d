"""Gold assets: what supervision work consumes, built together from silver in one step.

The tables are computed one after another (:func:`transforms.gold.gold_tables`) and each is staged
as soon as it is computed, so memory holds one large table at a time; then gold's own gate checks
them (suites per table, invariants across tables: :mod:`quality.gold_checks`) and publishes all
all together, or none: officers never see a profile from one run beside warnings from another.
"""

from pathlib import Path

import dagster as dg

from assets.guard import Guarded, check_specs, guarded_publish
from assets.meta import asset_spec, schema_metadata
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from assets.steps import guarded_step
from quality.gold_checks import GOLD_INVARIANTS, gold_invariants
from quality.invariants import decision_lines
from transforms import (
    cases,
    decisions_check,
    deid,
    gold,
    inconsistency,
    practices,
    profile,
    promotion,
    tolerance_cover,
    warnings,
)
from transforms.decisions_check import (
    DecisionCheck,
    check_tolerance_decisions,
    stale_tolerance_decisions,
)
from transforms.gold import TABLES, Silver, gold_tables
from warehouse.store import StagedTable, Warehouse
from warehouse.tolerance_decisions import FILE_NAME, read_tolerance_decisions

GOLD_CODE = (gold, profile, promotion, warnings, cases, deid, tolerance_cover, inconsistency,
             decisions_check, practices)  # fmt: skip
DESCRIPTIONS = {
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
    "tolerance_review": "Pairs of a 容错 decision (予以容错/部分容错) and a measure or audit finding of "
    "the same cadre it plausibly covers, with the evidence (dates, project, amounts, months, places, "
    "bigram similarity, score, 文号) and "
    "the status: exact, confirmed or rejected in tolerance_decisions.csv, or pending.",
    "inconsistency": "Upstream values not trusted: audit findings marked 予以容错 without all 五个看, "
    "upstream 影响期截止 that disagree with the computed period, roster posts the post history "
    "does not hold; both values each.",
    "assessment_composite": "Per cadre and annual assessment year: 综合得分, the year's 督查 result "
    "(quarterly 督考联动得分 averaged, or the annual one), the weighted composite "
    "(assessment_weighting.csv) and the rank within the unit, ties shared.",
    "sanction_followup": "Per sanction or measure with an influence period: decision date, period "
    "end, days to go, annual grades since, new records since (ids), and re-use eligibility with "
    "each condition's basis (reuse_rules.csv).",
    "tolerance_case": "The de-identified typical-case library of 容错纠错 decisions, with counter-examples "
    "and, per case, how many identifiers of each kind were removed.",
}
DECISION_CHECK = "decisions.tolerance_lines"
DECISION_SPEC = {
    DECISION_CHECK: "Every line of tolerance_decisions.csv is applied (a WARN lists each line "
    "rejected or stale, with file, line and reason)."
}
INPUTS = [["silver", "supervision_event"], ["silver", "cadre"], ["bronze", "petition"],
          ["bronze", "tolerance"], ["bronze", "audit"], ["bronze", "sanction"],
          ["silver", "cadre_post"], ["bronze", "assessment"]]  # fmt: skip


def silver_inputs(store: Warehouse, decisions: Path | None = None) -> Silver:
    """What gold reads: silver, the four bronze tables it needs and the 容错 review decisions
    (``tolerance_decisions.csv`` at ``decisions``; none when not given or not there yet), those
    :func:`~transforms.decisions_check.check_tolerance_decisions` applies."""
    return _silver(store, check_tolerance_decisions(read_tolerance_decisions(decisions)))


def _silver(store: Warehouse, checked: DecisionCheck) -> Silver:
    events = store.manifest("silver", "supervision_event") or {}
    return Silver(
        events=store.scan("silver", "supervision_event"),
        cadres=store.scan("silver", "cadre"),
        petitions=store.scan("bronze", "petition"),
        tolerance=store.scan("bronze", "tolerance"),
        audit=store.scan("bronze", "audit"),
        event_count=int(events.get("rows", 0)),
        sanctions=store.scan("bronze", "sanction"),
        tolerance_decisions=checked.applied,
        posts=store.scan("silver", "cadre_post") if store.exists("silver", "cadre_post") else None,
        assessments=(
            store.scan("bronze", "assessment") if store.exists("bronze", "assessment") else None
        ),
    )


def _metadata(
    staged: dict[str, StagedTable], as_of: str, decisions: dict[str, int]
) -> list[dg.MaterializeResult]:
    """Each table's row count and schema, and a few figures an engineer looks at first (the
    lines of ``tolerance_decisions.csv`` applied, rejected and stale on ``tolerance_review``)."""
    extra: dict[str, dict[str, object]] = {name: {} for name in staged}
    extra["tolerance_review"] = dict(decisions)
    checks = staged["promotion_check"].scan().select("barred", "bar_until").collect()
    extra["promotion_check"] = {
        "barred": int(checks["barred"].sum()),
        "barred_without_end_date": int((checks["barred"] & checks["bar_until"].is_null()).sum()),
    }
    for name, column, label in (("cadre_profile", "warning_level", "warning_levels"),
                                ("warning", "rule_id", "by_rule")):  # fmt: skip
        counts = staged[name].scan().group_by(column).len().sort(column).collect()
        extra[name][label] = dg.MetadataValue.json(dict(counts.iter_rows()))
    return [
        dg.MaterializeResult(
            asset_key=["gold", name],
            metadata={
                **schema_metadata(table),
                "dagster/row_count": table.rows,
                "as_of": as_of,
                **extra[name],
            },
        )  # fmt: skip
        for name, table in staged.items()
    ]


@dg.multi_asset(
    name="gold",
    specs=[
        asset_spec(
            ["gold", name], DESCRIPTIONS[name], GOLD_CODE, deps=[dg.AssetKey(k) for k in INPUTS]
        )
        for name in TABLES
    ],  # fmt: skip
    check_specs=[
        spec
        for name in TABLES
        for spec in check_specs(
            dg.AssetKey(["gold", name]),
            {**GOLD_INVARIANTS[name], **(DECISION_SPEC if name == "tolerance_review" else {})},
            frozenset({"upstream.consistent", DECISION_CHECK}),
        )
    ],  # fmt: skip
)
@guarded_step
def gold_assets(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext,
    sources: SourcesResource,
    warehouse: WarehouseResource,
    settings: RunSettings,
    gx: GXResource,
):
    store, as_of = warehouse.store(), settings.as_of_date()
    judged = check_tolerance_decisions(read_tolerance_decisions(sources.tolerance_decisions_path()))
    silver = _silver(store, judged)
    staged = store.stage_many(
        "gold", gold_tables(silver, settings.rules(), as_of), context.log.info
    )
    tables = {n: t.scan() for n, t in staged.items()}
    found = gold_invariants(tables, silver.events, silver.cadres, settings.rules().warnings, as_of)
    checked = stale_tolerance_decisions(judged, tables["tolerance_review"])
    for line in checked.listed():
        context.log.warning(f"容错 decision not applied: {line}")
    found["tolerance_review"].append(
        decision_lines("gold/tolerance_review", DECISION_CHECK, FILE_NAME, checked)
    )
    figures = {
        "decisions_applied": checked.applied.height,
        "decisions_rejected": checked.count("rejected"),
        "decisions_stale": checked.count("stale"),
    }
    gated = [Guarded(dg.AssetKey(["gold", n]), staged[n], invariants=found[n]) for n in TABLES]
    yield from guarded_publish(
        context,
        warehouse,
        settings,
        gx,
        gated,
        lambda: _metadata(staged, as_of.isoformat(), figures),
    )


GOLD_ASSETS = [gold_assets]
