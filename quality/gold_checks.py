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

from collections.abc import Mapping

import polars as pl

from quality.checks import Outcome, as_text


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


def cited_events_exist(table: str, ids: pl.LazyFrame, events: pl.LazyFrame, check: str) -> Outcome:
    """Every event id ``ids`` cites (``person_no``, ``event_id``) is a linked event of silver."""
    linked = events.filter(pl.col("link_status") == "linked").select("event_id", "person_no")
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


def gold_invariants(
    tables: Mapping[str, pl.LazyFrame], events: pl.LazyFrame, cadres: pl.LazyFrame
) -> dict[str, list[Outcome]]:
    """The invariants of each gold table, by table name (``cadre_profile`` …)."""
    warned = (
        tables["warning"]
        .select("person_no", pl.col("event_ids").alias("event_id"))
        .explode("event_id")
    )
    reasons = (
        tables["promotion_check"].select("person_no", pl.col("reasons").alias("reason"))
        .explode("reason").drop_nulls("reason")
        .select("person_no", pl.col("reason").struct.field("event_id"))
    )  # fmt: skip
    return {
        "cadre_profile": [counts_match_timeline(tables["cadre_profile"], tables["cadre_timeline"]),
                          cadres_exist("gold/cadre_profile", tables["cadre_profile"], cadres)],
        "warning": [cited_events_exist("gold/warning", warned, events, "events.exist")],
        "promotion_check": [
            cited_events_exist("gold/promotion_check", reasons, events, "reasons.cite_events"),
            cadres_exist("gold/promotion_check", tables["promotion_check"], cadres),
        ],
        "cadre_timeline": [
            cited_events_exist("gold/cadre_timeline", tables["cadre_timeline"].select("person_no", "event_id"), events, "events.exist"),
            ids_unique("gold/cadre_timeline", tables["cadre_timeline"], "event_id"),
        ],
        "tolerance_case": [ids_unique("gold/tolerance_case", tables["tolerance_case"], "case_id")],
        "clearance": [cadres_exist("gold/clearance", tables["clearance"], cadres)],
        "unit_portrait": [],
    }  # fmt: skip


GOLD_INVARIANTS = {
    "cadre_profile": {"profile.counts_match_timeline": "Every profile count is a count of its timeline rows.",
                      "person_no.in_silver_cadre": "Every profile is of a cadre of silver/cadre."},
    "warning": {"events.exist": "Every warning cites linked events that exist."},
    "promotion_check": {"reasons.cite_events": "Every reason cites a linked event that exists.",
                        "person_no.in_silver_cadre": "Every check is of a cadre of silver/cadre."},
    "cadre_timeline": {"events.exist": "Every timeline row is a linked event of silver.",
                       "event_id.unique": "An event appears once in the timeline."},
    "tolerance_case": {"case_id.unique": "Each case id appears once."},
    "clearance": {"person_no.in_silver_cadre": "Every clearance is of a cadre of silver/cadre."},
    "unit_portrait": {},
}  # fmt: skip
"""The invariants declared as Dagster checks, per gold table (the same ids as above)."""
