"""The quality gate of gold: what officers read must hold together before it is published.

GX suites (:func:`quality.suites.gold_suite`) check each gold table's own columns — keys present and unique,
codes in their vocabularies — on a projection of the table; the timeline, which can hold 10⁷
rows, is checked by the Polars invariants alone. The invariants (:func:`gold_invariants`) check
the tables against each other and against silver: every profile count is a count of the cadre's
timeline rows, every warning and every promotion-bar reason cites an event that exists, every
cadre of gold is a cadre of ``silver/cadre``, case ids are unique. Each returns an
:class:`~quality.checks.Outcome` like the other layers', so a broken invariant holds all of gold
and the last good gold stays readable.
"""

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date

import polars as pl

from quality.checks import Outcome, as_text
from transforms.warnings import WarningRule


def _outcome(
    check: str, table: str, bad: pl.DataFrame, checked: int, why: str, detail: str
) -> Outcome:
    return Outcome(
        check=check, table=table, kind="invariant", severity="ERROR", passed=bad.height == 0,
        checked=checked, failed=bad.height,
        sample=[" / ".join(as_text(v) for v in row) for row in bad.head(10).iter_rows()],
        why=why, detail=detail,
    )  # fmt: skip


def counts_match_timeline(profile: pl.LazyFrame, timeline: pl.LazyFrame) -> Outcome:
    """Every profile's ``events`` and ``events_against`` are counts of its timeline rows."""
    counted = timeline.group_by("person_no").agg(
        pl.len().alias("rows"), pl.col("counts_against").sum().alias("against_rows")
    )
    compared = (
        profile.select("person_no", "events", "events_against")
        .join(counted, on="person_no", how="full", coalesce=True)
        .with_columns(pl.col("rows", "against_rows", "events", "events_against").fill_null(0))
    )
    bad, total = pl.collect_all([
        compared.filter((pl.col("events") != pl.col("rows")) | (pl.col("events_against") != pl.col("against_rows")))
        .select("person_no", "events", "rows").sort("person_no"),
        compared.select(pl.len()),
    ])  # fmt: skip
    return _outcome("profile.counts_match_timeline", "gold/cadre_profile", bad, total.item(),
                    "every number of a profile is a count of the cadre's rows in gold/cadre_timeline",
                    "Polars: timeline rows per person_no against events / events_against")  # fmt: skip


def linked_keys(events: pl.LazyFrame) -> pl.LazyFrame:
    """``event_id`` and ``person_no`` of the linked events of ``events`` (``silver/
    supervision_event``), read once for every :func:`cited_events_exist` (read by each, the
    five checks read 4.8M events five times at 1,000,000 cadres: every gold invariant took 8.1 s,
    4.8 s with one read, measured)."""
    return (
        events.filter(pl.col("link_status") == "linked")
        .select("event_id", "person_no")
        .collect()
        .lazy()
    )


def cited_events_exist(table: str, ids: pl.LazyFrame, linked: pl.LazyFrame, check: str) -> Outcome:
    """Every event id ``ids`` cites (``person_no``, ``event_id``) is one of the ``linked``
    events of silver (:func:`linked_keys`)."""
    bad, total = pl.collect_all([
        ids.join(linked, on=["event_id", "person_no"], how="anti").sort("person_no", "event_id"),
        ids.select(pl.len()),
    ])  # fmt: skip
    return _outcome(check, table, bad.select("person_no", "event_id"), total.item(),
                    "every record gold cites is a record of silver/supervision_event linked to "
                    "that cadre", "Polars: anti-join of cited event ids on linked silver events")  # fmt: skip


def cadres_exist(table: str, people: pl.LazyFrame, cadres: pl.LazyFrame) -> Outcome:
    """Every ``person_no`` of a gold table is a cadre of ``silver/cadre``."""
    bad, total = pl.collect_all([
        people.select("person_no").unique().join(cadres.select("person_no"), on="person_no", how="anti").sort("person_no"),
        people.select(pl.len()),
    ])  # fmt: skip
    return _outcome("person_no.in_silver_cadre", table, bad, total.item(),
                    "gold speaks only of cadres of the roster (silver/cadre)",
                    "Polars: anti-join on silver/cadre")  # fmt: skip


def ids_unique(table: str, frame: pl.LazyFrame, column: str) -> Outcome:
    bad, total = pl.collect_all([
        frame.group_by(column).len().filter(pl.col("len") > 1).sort(column),
        frame.select(pl.len()),
    ])  # fmt: skip
    return _outcome(f"{column}.unique", table, bad, total.item(),
                    f"each {column} appears once", "Polars: group by the id")  # fmt: skip


def overdue_warnings_are_due(
    warned: pl.LazyFrame, events: pl.LazyFrame, rules: Sequence[WarningRule], as_of: date
) -> Outcome:
    """Every event an ``overdue`` warning cites is unrectified and its deadline has passed."""
    overdue = {r.rule_id: r.match for r in rules if r.kind == "overdue"}
    unrectified = sorted({m for match in overdue.values() for m in match})
    cited = warned.filter(pl.col("rule_id").is_in(list(overdue)))
    bad, total = pl.collect_all([
        cited.join(events.select("event_id", "due_date", "outcome"), on="event_id", how="left")
        .filter(~((pl.col("due_date") < as_of) & pl.col("outcome").is_in(unrectified)).fill_null(False))
        .select("person_no", "rule_id", "event_id", "due_date", "outcome").sort("person_no", "event_id"),
        cited.select(pl.len()),
    ])  # fmt: skip
    return _outcome("basis.overdue_is_past_deadline", "gold/warning", bad, total.item(),
                    "an overdue warning cites only unrectified findings whose deadline is before "
                    "the as-of date", "Polars: cited events' due_date and outcome")  # fmt: skip


def covered_measures_raise_nothing(
    table: str, cited: pl.LazyFrame, review: pl.LazyFrame, flag: str
) -> Outcome:
    """No cited event is a measure an exact or confirmed 容错 pair clears (``flag``)."""
    covered = review.filter(pl.col("status").is_in(["exact", "confirmed"]) & pl.col(flag)).select(
        pl.col("measure_event_id").alias("event_id"), "case_no"
    )
    bad, total = pl.collect_all([
        cited.join(covered, on="event_id").select("person_no", "event_id", "case_no").sort("person_no", "event_id"),
        cited.select(pl.len()),
    ])  # fmt: skip
    return _outcome("basis.no_tolerated_measure", table, bad, total.item(),
                    "a measure a 容错 decision covers (exact or confirmed in gold/tolerance_review) "
                    "neither bars nor warns", "Polars: cited events joined to covered pairs")  # fmt: skip


def reusable_means_every_condition(followup: pl.LazyFrame) -> Outcome:
    """A measure is marked re-usable exactly when every condition listed with it is met, and a
    cadre with a new record since the decision is never re-usable."""
    all_met = pl.col("conditions").list.eval(pl.element().struct.field("met")).list.all()
    bad, total = pl.collect_all([
        followup.filter((pl.col("reusable") != all_met) | (pl.col("reusable") & (pl.col("new_records") > 0)))
        .select("person_no", "event_id", "reusable", "new_records").sort("person_no", "event_id"),
        followup.select(pl.len()),
    ])  # fmt: skip
    return _outcome("reuse.every_condition_met", "gold/sanction_followup", bad, total.item(),
                    "a cadre is marked for re-use only when the period is over, the grades "
                    "since qualify and no new record counts against them",
                    "Polars: reusable against the conditions' met flags")  # fmt: skip


def composite_is_weighted(composite: pl.LazyFrame) -> Outcome:
    """Every composite is ``(1 - weight) × score + weight × supervision`` (to 0.01)."""
    expected = (1 - pl.col("weight")) * pl.col("score") + pl.col("weight") * pl.col("supervision")
    bad, total = pl.collect_all([
        composite.filter(pl.col("composite").is_not_null() & ((pl.col("composite") - expected).abs() > 0.006))
        .select("person_no", "year", "score", "supervision", "composite").sort("person_no", "year"),
        composite.select(pl.len()),
    ])  # fmt: skip
    return _outcome("composite.weighted", "gold/assessment_composite", bad, total.item(),
                    "the composite is the annual score and the 督查 result at the weight of "
                    "assessment_weighting.csv", "Polars: recomputed from score and supervision")  # fmt: skip


def nothing_inconsistent(inconsistency: pl.LazyFrame) -> Outcome:
    """WARN when upstream values were not trusted: an officer reads gold/inconsistency."""
    bad, total = pl.collect_all([
        inconsistency.group_by("kind_label").len().sort("kind_label"),
        inconsistency.select(pl.len()),
    ])  # fmt: skip
    out = _outcome("upstream.consistent", "gold/inconsistency", bad, total.item(),
                   "upstream 容错 and 影响期截止 agree with the rules (else listed, both values, "
                   "for an officer)", "Polars: rows of gold/inconsistency by kind")  # fmt: skip
    out.severity = "WARN"
    return out


def gold_invariants(
    tables: Mapping[str, pl.LazyFrame],
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    rules: Sequence[WarningRule] = (),
    as_of: date | None = None,
    names: Collection[str] | None = None,
) -> dict[str, list[Outcome]]:
    """The invariants of each gold table, by table name (``cadre_profile`` …); the overdue
    warnings' basis is checked when ``rules`` and ``as_of`` are given. ``names``: the tables
    checked (every one when None; the caller replays what a table kept as it was showed)."""
    linked = functools.cache(lambda: linked_keys(events))

    def cited(table: str, ids: pl.LazyFrame, check: str = "events.exist") -> Outcome:
        return cited_events_exist(table, ids, linked(), check)

    warned = (
        tables["warning"]
        .select("person_no", "rule_id", pl.col("event_ids").alias("event_id"))
        .explode("event_id")
    )
    review = tables["tolerance_review"]

    def warning_checks() -> list[Outcome]:
        found = [cited("gold/warning", warned.drop("rule_id")),
                 covered_measures_raise_nothing("gold/warning", warned, review, "clears_warning")]  # fmt: skip
        if as_of is not None:
            found.append(overdue_warnings_are_due(warned, events, rules, as_of))
        return found

    followup = tables["sanction_followup"]
    followed = pl.concat([
        followup.select("person_no", "event_id"),
        followup.select("person_no", pl.col("new_record_ids").alias("event_id")).explode("event_id").drop_nulls(),
    ])  # fmt: skip
    reasons = (
        tables["promotion_check"].select("person_no", pl.col("reasons").alias("reason"))
        .explode("reason").drop_nulls("reason")
        .select("person_no", pl.col("reason").struct.field("event_id"))
    )  # fmt: skip
    checks: dict[str, Callable[[], list[Outcome]]] = {
        "cadre_profile": lambda: [counts_match_timeline(tables["cadre_profile"], tables["cadre_timeline"]),
                                  cadres_exist("gold/cadre_profile", tables["cadre_profile"], cadres)],
        "warning": warning_checks,
        "promotion_check": lambda: [
            cited("gold/promotion_check", reasons, "reasons.cite_events"),
            cadres_exist("gold/promotion_check", tables["promotion_check"], cadres),
            covered_measures_raise_nothing("gold/promotion_check", reasons, review, "clears_bar"),
        ],
        "cadre_timeline": lambda: [
            cited("gold/cadre_timeline", tables["cadre_timeline"].select("person_no", "event_id")),
            ids_unique("gold/cadre_timeline", tables["cadre_timeline"], "event_id"),
        ],
        "tolerance_case": lambda: [ids_unique("gold/tolerance_case", tables["tolerance_case"], "case_id")],
        "clearance": lambda: [cadres_exist("gold/clearance", tables["clearance"], cadres)],
        "unit_portrait": lambda: [],
        "tolerance_review": lambda: [cadres_exist("gold/tolerance_review", review, cadres)],
        "inconsistency": lambda: [nothing_inconsistent(tables["inconsistency"])],
        "assessment_composite": lambda: [
            cited("gold/assessment_composite", tables["assessment_composite"].select("person_no", "event_id")),
            composite_is_weighted(tables["assessment_composite"]),
        ],
        "sanction_followup": lambda: [
            cited("gold/sanction_followup", followed),
            cadres_exist("gold/sanction_followup", tables["sanction_followup"], cadres),
            reusable_means_every_condition(tables["sanction_followup"]),
        ],
    }  # fmt: skip
    return {name: checks[name]() for name in (checks if names is None else names)}


GOLD_INVARIANTS = {
    "cadre_profile": {"profile.counts_match_timeline": "Every profile count is a count of its timeline rows.",
                      "person_no.in_silver_cadre": "Every profile is of a cadre of silver/cadre."},
    "warning": {"events.exist": "Every warning cites linked events that exist.",
                "basis.no_tolerated_measure": "No warning from a measure a 容错 pair covers.",
                "basis.overdue_is_past_deadline": "Overdue warnings cite findings past their deadline."},
    "promotion_check": {"reasons.cite_events": "Every reason cites a linked event that exists.",
                        "person_no.in_silver_cadre": "Every check is of a cadre of silver/cadre.",
                        "basis.no_tolerated_measure": "No bar from a measure a 容错 pair covers."},
    "cadre_timeline": {"events.exist": "Every timeline row is a linked event of silver.",
                       "event_id.unique": "An event appears once in the timeline."},
    "tolerance_case": {"case_id.unique": "Each case id appears once."},
    "clearance": {"person_no.in_silver_cadre": "Every clearance is of a cadre of silver/cadre."},
    "unit_portrait": {},
    "tolerance_review": {"person_no.in_silver_cadre": "Every pair is of a cadre of silver/cadre."},
    "inconsistency": {"upstream.consistent": "Upstream 容错, 影响期截止 and roster posts agree with what is computed (WARN)."},
    "assessment_composite": {"events.exist": "Every row is of a linked annual assessment that exists.",
                             "composite.weighted": "Every composite is the weighted score and 督查 result."},
    "sanction_followup": {"events.exist": "Every measure and new record cited is a linked event.",
                          "person_no.in_silver_cadre": "Every followed measure is of a cadre of silver/cadre.",
                          "reuse.every_condition_met": "Re-usable exactly when every condition is met."},
}  # fmt: skip
"""The invariants declared as Dagster checks, per gold table (the same ids as above)."""
