"""Gold assets: what supervision work consumes, built together from silver in one step.

The tables are computed one after another (:func:`transforms.gold.gold_tables`) and each is staged
as soon as it is computed, so memory holds one large table at a time; then gold's own gate checks
them (suites per table, invariants across tables: :mod:`quality.gold_checks`) and publishes all
all together, or none: officers never see a profile from one run beside warnings from another.
"""

import dagster as dg

from assets.guard import Guarded, carried_guards, carried_over, check_specs, guarded_publish
from assets.meta import asset_spec, schema_metadata
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from assets.steps import guarded_step
from quality.checks import Outcome
from quality.gate import carried_invariants
from quality.gold_checks import GOLD_INVARIANTS, gold_invariants
from quality.invariants import decision_lines
from transforms.decisions_check import DecisionCheck, stale_tolerance_decisions
from transforms.gold import GOLD_CODE, TABLES, Silver, gold_tables
from warehouse.layer_inputs import GOLD_READS, Inputs, gold_inputs
from warehouse.store import StagedTable, Warehouse
from warehouse.tolerance_decisions import FILE_NAME

__all__ = ["GOLD_ASSETS", "GOLD_CODE", "gold_assets"]
KEYS = {name: dg.AssetKey(["gold", name]) for name in TABLES}
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


def _decision_check(
    context: dg.AssetExecutionContext, read: Inputs[Silver], staged: dict[str, StagedTable]
) -> DecisionCheck:
    """The verdict on each line of ``tolerance_decisions.csv``, stale ones found in the review."""
    assert read.decisions is not None  # gold_inputs always checks the decisions
    checked = stale_tolerance_decisions(read.decisions, staged["tolerance_review"].scan())
    for line in checked.listed():
        context.log.warning(f"容错 decision not applied: {line}")
    return checked


def _replayed(store: Warehouse, staged: StagedTable) -> list[Outcome] | None:
    """What the invariants of a kept table found when its version was published (the
    decision lines aside: they are checked every run), or None when the ledger holds another
    version or was written by other check code (:func:`~quality.gate.carried_invariants`): it
    is then checked again. Each of a kept table's invariants reads the table and the silver
    rows it was computed from, unchanged (at 1,000,000 cadres the kept timeline's and
    composite's checks took 5.3 s CPU a night to find again what they had found, measured)."""
    outcomes = carried_invariants(store, staged)
    return None if outcomes is None else [o for o in outcomes if o.check != DECISION_CHECK]


def _gold_guards(  # type: ignore[no-untyped-def]
    store: Warehouse,
    staged: dict[str, StagedTable],
    read: Inputs[Silver],
    rules,
    as_of,
    checked: DecisionCheck,
) -> list[Guarded]:
    """Gold's gate: its invariants across tables, and the lines of ``tolerance_decisions.csv``.
    A table kept as it was (its inputs unchanged but the date) shows what its invariants found
    when it was published (:func:`_replayed`); the others are checked."""
    tables = {n: t.scan() for n, t in staged.items()}
    silver = read.frames
    replayed = {n: r for n in (read.kept or {}) if (r := _replayed(store, staged[n])) is not None}
    checked_now = [n for n in TABLES if n not in replayed]
    found = gold_invariants(
        tables, silver.events, silver.cadres, rules.warnings, as_of, checked_now
    )
    found |= replayed
    found["tolerance_review"].append(
        decision_lines("gold/tolerance_review", DECISION_CHECK, FILE_NAME, checked)
    )
    return [Guarded(KEYS[n], staged[n], invariants=found[n]) for n in TABLES]


def _compute(
    context: dg.AssetExecutionContext, store: Warehouse, read: Inputs[Silver], rules, as_of
):  # type: ignore[no-untyped-def]
    """Every table staged, but those computed without the date from the same inputs (kept)."""
    kept = read.kept or {}
    if kept:
        context.log.info(f"gold: {', '.join(kept)} kept (inputs unchanged but the date)")
    kept_scans = {n: t.scan() for n, t in kept.items()}
    tables = gold_tables(read.frames, rules, as_of, kept_scans, context.log.info)
    computed = store.stage_many("gold", tables, context.log.info, read.extra_of)
    return {name: kept[name] if name in kept else computed[name] for name in TABLES}


@dg.multi_asset(
    name="gold",
    specs=[
        asset_spec(
            ["gold", name],
            DESCRIPTIONS[name],
            GOLD_CODE,
            deps=[dg.AssetKey(list(k)) for k in GOLD_READS],
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
    store, as_of, rules = warehouse.store(), settings.as_of_date(), settings.rules()
    read = gold_inputs(store, rules, as_of, sources.tolerance_decisions_path())
    replay = carried_over(store, read.carried, TABLES)
    if read.carried is not None and replay is not None:
        context.log.info(f"gold: inputs unchanged ({read.fingerprint}): every table carried over")
        staged, gated = read.carried, carried_guards(read.carried, replay, KEYS)
        checked = _decision_check(context, read, staged)
    else:
        staged = _compute(context, store, read, rules, as_of)
        checked = _decision_check(context, read, staged)
        gated = _gold_guards(store, staged, read, rules, as_of, checked)
    figures = {
        "decisions_applied": checked.applied.height,
        "decisions_rejected": checked.count("rejected"),
        "decisions_stale": checked.count("stale"),
    }
    done = lambda: _metadata(staged, as_of.isoformat(), figures)  # noqa: E731
    yield from guarded_publish(context, warehouse, settings, gx, gated, done)


GOLD_ASSETS = [gold_assets]
