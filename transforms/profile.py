"""The per-cadre profile, the clearance list and the unit portrait (政治生态画像), from silver.

Every figure is an aggregation of linked events, and every event the profile counts is a row of
``gold/cadre_timeline`` (its ``event_id`` and ``source_key``, sorted by cadre and date), so a
number traces back to source rows. The timeline is a table of its own, not a nested column: at
10⁷ events, a list of structs per cadre held the whole timeline in memory twice over (measured).
"""

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

import polars as pl

from transforms import normalize as nz
from transforms.events import linked_events
from transforms.practices import AWARD
from transforms.specs import EVENT_SOURCES

SOURCES = EVENT_SOURCES


def clearance(events: pl.LazyFrame, petitions: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """``gold/clearance``: reports that cleared a cadre (澄清正名) or were false accusations (诬告陷害).

    ``petitions`` is ``bronze/petition``; its latest version of each 件号 decides.
    """
    latest = petitions.sort("更新时间", "_source_row", nulls_last=False).unique(
        subset=["件号"], keep="last"
    )
    flagged = latest.filter(
        pl.col("是否澄清正名").fill_null(False) | pl.col("是否诬告陷害").fill_null(False)
    ).select(
        pl.col("件号").alias("source_key"),
        pl.col("收件日期").alias("received"),
        pl.col("办结日期").alias("closed"),
        pl.col("办理结果").alias("result"),
        pl.col("是否澄清正名").fill_null(False).alias("cleared"),
        pl.col("是否诬告陷害").fill_null(False).alias("false_accusation"),
    )
    linked = linked_events(events).filter(pl.col("source") == "petition")
    return (
        flagged.join(linked.select("source_key", "person_no", "event_id"), on="source_key")
        .join(cadres.select("person_no", "name", "unit", "scope_level", "region"), on="person_no", how="left")
        .select(
            "person_no", "name", "unit", "scope_level", "region", "event_id", "source_key",
            "received", "closed", "result", "cleared", "false_accusation",
            pl.when(pl.col("cleared") & pl.col("false_accusation")).then(pl.lit("澄清正名；诬告陷害"))
            .when(pl.col("cleared")).then(pl.lit("澄清正名"))
            .otherwise(pl.lit("诬告陷害")).alias("protection"),
        )
        .sort("person_no", "received", "source_key", "event_id")
    )  # fmt: skip


def source_counts(linked: pl.LazyFrame) -> pl.LazyFrame:
    """Per cadre and source: events counting against, and the rest."""
    exprs = []
    for source in SOURCES:
        this = pl.col("source") == source
        exprs += [
            (this & pl.col("counts_against")).sum().cast(pl.Int64).alias(f"{source}_against"),
            (this & ~pl.col("counts_against")).sum().cast(pl.Int64).alias(f"{source}_other"),
        ]
    return linked.group_by("person_no").agg(
        *exprs,
        pl.col("counts_against").sum().cast(pl.Int64).alias("events_against"),
        pl.len().cast(pl.Int64).alias("events"),
    )


PRACTICE = pl.Schema({"person_no": pl.String(), "latest_composite": pl.Float64(),
                      "composite_text": pl.String(), "commendations": pl.List(AWARD)})  # fmt: skip
BY_CATEGORY = pl.List(
    pl.Struct({"source": pl.String, "category": pl.String, "against": pl.Int64, "other": pl.Int64})
)


PORTRAIT_TREND = pl.List(pl.Struct({"year": pl.Int32, "events": pl.Int64, "against": pl.Int64}))
PORTRAIT_BY_CATEGORY = pl.List(
    pl.Struct(
        {
            "source": pl.String,
            "category": pl.String,
            "events": pl.Int64,
            "against": pl.Int64,
            "per_100": pl.Float64,
        }
    )
)


def category_counts(linked: pl.LazyFrame) -> pl.LazyFrame:
    """Per cadre, ``by_category``: for each (source, category) with events, the events counting
    against and the rest, ordered by source and category.

    A list, not a column per category: categories are the sources' own vocabularies (问题类别,
    处分类别, 领域 …), and the profile's schema must not change when a new one appears.
    """
    return (
        linked.group_by("person_no", "source", "category")
        .agg(
            pl.col("counts_against").sum().cast(pl.Int64).alias("against"),
            (~pl.col("counts_against")).sum().cast(pl.Int64).alias("other"),
        )
        # One sort of all groups, then lists in that order (1.4 s at 10M events; sorting inside
        # each list took 2.5 s, measured).
        .sort("person_no", "source", "category", nulls_last=True)
        .group_by("person_no", maintain_order=True)
        .agg(pl.struct("source", "category", "against", "other").alias("by_category"))
    )


def _grades(linked: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    annual = linked.filter(
        (pl.col("source") == "assessment")
        & (pl.col("category") == "年度考核")
        & (pl.col("event_date").dt.year() < as_of.year)
    )
    # One sort of all grades, newest first, ties broken by the grade: entries are (year, grade),
    # so the order is total and the bytes the same every run (1.5 s at 10M events; a two-key
    # sort inside each group took 2.8 s, measured).
    return (
        annual.select("person_no", "event_date", "outcome")
        .sort("person_no", "event_date", "outcome", descending=[False, True, False])
        .group_by("person_no", maintain_order=True)
        .agg(
            pl.struct(
                pl.col("event_date").dt.year().alias("year"), pl.col("outcome").alias("grade")
            )
            .head(3)
            .alias("latest_grades")
        )
    )


def cadre_timeline(
    events: pl.LazyFrame, as_of: date, bounds: Sequence[str] = ()
) -> list[pl.LazyFrame]:
    """``gold/cadre_timeline``: every linked event up to ``as_of`` that the profile counts, one
    row each, sorted by cadre, date and event id, so a cadre's rows are one range of the file.

    It comes in pieces, one per range of ``person_no`` cut at ``bounds`` (see
    :func:`split_points`), each sorted on its own: one after another they are the whole timeline
    in order, and a writer holds one piece in memory at a time.
    """
    linked = _with_tolerance(linked_events(events).filter(pl.col("event_date") <= as_of))
    rows = linked.select(
        "person_no", pl.col("event_date").alias("date"), "event_id", "source",
        nz.mask_id_numbers(pl.col("source_key")).alias("source_key"), "category",
        "outcome", "counts_against", "tolerance",
    )  # fmt: skip
    return [piece.sort("person_no", "date", "event_id") for piece in in_ranges(rows, bounds)]


def in_ranges(frame: pl.LazyFrame, bounds: Sequence[str] = ()) -> list[pl.LazyFrame]:
    """``frame`` cut into one piece per range of ``person_no`` cut at ``bounds``: the first
    below the lowest bound, the last from the highest on."""
    edges: list[str | None] = [None, *sorted(bounds), None]
    pieces = []
    for low, high in pairwise(edges):
        piece = frame
        if low is not None:
            piece = piece.filter(pl.col("person_no") >= low)
        if high is not None:
            piece = piece.filter(pl.col("person_no") < high)
        pieces.append(piece)
    return pieces


def _with_tolerance(events: pl.LazyFrame) -> pl.LazyFrame:
    """``tolerance``: ``已容错（RC2024-0001）`` (``部分容错（…）``) for a measure a 容错 decision
    covers (``tolerated_by``, :func:`transforms.tolerance_cover.mark_tolerated`), else null."""
    names = events.collect_schema().names()
    if "tolerated_by" not in names:
        return events.with_columns(pl.lit(None, dtype=pl.String).alias("tolerance"))
    label = (
        pl.when(pl.col("tolerance_result").str.contains("予以容错"))
        .then(pl.lit("已容错"))
        .otherwise(pl.lit("部分容错"))
    )
    text = pl.concat_str(label, pl.lit("（"), pl.col("tolerated_by"), pl.lit("）"))
    return events.with_columns(
        pl.when(pl.col("tolerated_by").is_not_null()).then(text).alias("tolerance")
    )


def split_points(person_nos: pl.Series, pieces: int) -> list[str]:
    """Up to ``pieces - 1`` distinct values that cut the sorted ``person_nos`` into ranges of
    about equal size (the roster's, so each timeline piece holds about as many cadres)."""
    ordered = person_nos.drop_nulls().unique().sort()
    if pieces <= 1 or ordered.len() < 2:
        return []
    return sorted({ordered[k * ordered.len() // pieces] for k in range(1, pieces)})


def cadre_profile(
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    promotion: pl.LazyFrame,
    levels: pl.LazyFrame,
    clearance_rows: pl.LazyFrame,
    as_of: date,
    practice: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``gold/cadre_profile``: one row per cadre; every count is a count of its rows in
    :func:`cadre_timeline`.

    ``practice``: per cadre, the latest 督考联动 composite (``latest_composite``,
    ``composite_text``: :func:`transforms.practices.latest_composite`) and the commendations the
    annual grades make the cadre eligible for (``commendations``:
    :func:`transforms.practices.commendations`); none: null and empty."""
    linked = _with_tolerance(linked_events(events).filter(pl.col("event_date") <= as_of))
    tolerated = linked.filter(pl.col("tolerance").is_not_null()).group_by("person_no").agg(
        pl.concat_str(
            pl.col("category").fill_null("—"), pl.lit("/"), pl.col("outcome").fill_null("—"),
            pl.lit(" "), pl.col("event_date").cast(pl.String), pl.lit(" "), pl.col("tolerance"),
        ).sort().alias("tolerated")
    )  # fmt: skip
    cleared = clearance_rows.group_by("person_no").agg(
        pl.col("cleared").sum().cast(pl.Int64).alias("reports_cleared"),
        pl.col("false_accusation").sum().cast(pl.Int64).alias("false_accusations"),
    )
    counts = [f"{s}_{k}" for s in SOURCES for k in ("against", "other")]

    def attach(frame: pl.LazyFrame, other: pl.LazyFrame) -> pl.LazyFrame:
        return frame.join(other, on="person_no", how="left", maintain_order="left")

    profile = cadres.select(
        "person_no",
        "name",
        "gender",
        "birth_month",
        "unit_code",
        "unit",
        "post",
        "grade",
        "scope_level",
        "region",
        "scope",
        "post_since",
        "status",
    ).sort("person_no")
    promotion = promotion.select(
        "person_no",
        "barred",
        "bar_until",
        pl.col("reasons").list.eval(pl.element().struct.field("measure")).alias("running"),
    )
    for other in (
        source_counts(linked),
        category_counts(linked),
        _grades(linked, as_of),
        levels,
        promotion,
        cleared,
        tolerated,
        practice if practice is not None else pl.LazyFrame(schema=PRACTICE),
    ):
        profile = attach(profile, other)
    return (
        profile
        .with_columns(
            *(pl.col(c).fill_null(0) for c in [*counts, "events_against", "events", "reports_cleared", "false_accusations"]),
            pl.col("warning_level").fill_null("none"),
            pl.col("warning_rules").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("tolerated").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("by_category").fill_null(pl.lit([], dtype=BY_CATEGORY)),
            pl.col("commendations").fill_null(pl.lit([], dtype=pl.List(AWARD))),
            (pl.col("reports_cleared").fill_null(0) > 0).alias("cleared"),
            pl.lit(as_of).alias("as_of"),
        )
    )  # fmt: skip


def _cents(value: pl.Expr) -> pl.Expr:
    """A score in whole hundredths, as an integer: sums of it do not depend on their order."""
    return (value * 100).round(0).cast(pl.Int64)


def unit_portrait(
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    warning: pl.LazyFrame,
    as_of: date,
    composite: pl.LazyFrame | None = None,
    by: tuple[str, ...] = (),
) -> pl.LazyFrame:
    """``gold/unit_portrait``: per unit and per region (``grain``), the figures of its cadres.

    ``by``: columns of ``cadres`` the cadres are first split by (``scope_level``: a portrait per
    管理权限, :func:`transforms.pages.scope_portraits`), each a column of the rows, first; the
    rows sorted by them, then grain and name.

    ``composite`` (``gold/assessment_composite``): last year's mean 督考联动 composite of the
    cadres with one (``composite_mean``, over ``composite_cadres``; ``composite_year``).

    Events belong to the unit of the linked cadre in the roster. Rates are per 100 cadres, by
    source (``<source>_per_100``) and by source and category (``by_category``). A finding is
    overdue as the overdue warning rule says: unrectified and its ``due_date`` before ``as_of``.
    """
    linked = linked_events(events).filter(pl.col("event_date") <= as_of)
    people = cadres.select("person_no", "unit", "region", *by)
    with_unit = linked.join(people, on="person_no")
    warned = warning.join(people, on="person_no")
    out = []
    for grain, key in (("unit", "unit"), ("region", "region")):
        keys = [*by, key]
        size = people.group_by(keys).agg(pl.len().cast(pl.Int64).alias("cadres"))
        petitions = pl.col("source") == "petition"
        inspection = pl.col("source") == "inspection"
        unrectified = inspection & pl.col("outcome").is_in(["未整改", "整改中"])
        figures = with_unit.group_by(keys).agg(
            *((pl.col("source") == s).sum().cast(pl.Int64).alias(f"{s}_events") for s in SOURCES),
            petitions.sum().cast(pl.Int64).alias("reports"),
            (petitions & pl.col("counts_against"))
            .sum()
            .cast(pl.Int64)
            .alias("reports_substantiated"),
            unrectified.sum().cast(pl.Int64).alias("findings_unrectified"),
            (unrectified & (pl.col("due_date") < as_of))
            .sum()
            .cast(pl.Int64)
            .alias("findings_overdue"),
            # Rounded to 0.0001 万元 (one yuan): a float sum's last bits depend on the order the
            # threads add in, and the same rows must give the same bytes.
            pl.col("amount_wan")
            .filter(pl.col("source") == "audit")
            .sum()
            .round(4)
            .alias("audit_amount_wan"),
        )
        trend = (
            with_unit.group_by(*keys, pl.col("event_date").dt.year().alias("year"))
            .agg(
                pl.len().cast(pl.Int64).alias("events"),
                pl.col("counts_against").sum().cast(pl.Int64).alias("against"),
            )
            .group_by(keys)
            .agg(pl.struct("year", "events", "against").sort_by("year").alias("trend"))
        )
        by_category = (
            with_unit.group_by(*keys, "source", "category")
            .agg(
                pl.len().cast(pl.Int64).alias("events"),
                pl.col("counts_against").sum().cast(pl.Int64).alias("against"),
            )
            .join(size, on=keys)
            .with_columns((pl.col("events") * 100 / pl.col("cadres")).round(2).alias("per_100"))
            .sort(*keys, "source", "category", nulls_last=True)
            .group_by(keys, maintain_order=True)
            .agg(
                pl.struct("source", "category", "events", "against", "per_100").alias("by_category")
            )
        )
        levels = warned.group_by(keys).agg(
            *(
                (pl.col("level") == lv).sum().cast(pl.Int64).alias(f"warnings_{lv}")
                for lv in ("red", "yellow", "blue")
            )
        )
        last = as_of.year - 1
        scored = (
            composite.filter((pl.col("year") == last) & pl.col("composite").is_not_null()).select(
                "person_no", "composite"
            )
            if composite is not None
            else pl.LazyFrame(schema={"person_no": pl.String, "composite": pl.Float64})
        )
        mean = (
            scored.join(people, on="person_no")
            .group_by(keys)
            .agg(
                # summed in whole cents: a float mean's last bits follow the order the threads
                # add in, and a rounding at .xx5 flipped between runs on the same rows
                (_cents(pl.col("composite")).sum() / pl.len() / 100)
                .round(2)
                .alias("composite_mean"),
                pl.len().cast(pl.Int64).alias("composite_cadres"),
            )
        )
        per_100 = [
            (pl.col(f"{s}_events") * 100 / pl.col("cadres")).round(2).alias(f"{s}_per_100")
            for s in SOURCES
        ]
        out.append(
            size.join(figures, on=keys, how="left")
            .join(levels, on=keys, how="left")
            .join(trend, on=keys, how="left")
            .join(by_category, on=keys, how="left")
            .join(mean, on=keys, how="left")
            .with_columns(
                pl.exclude(
                    *keys, "cadres", "trend", "by_category", "audit_amount_wan", "composite_mean"
                ).fill_null(0),
                pl.lit(last, dtype=pl.Int32).alias("composite_year"),
            )
            .with_columns(
                *per_100,
                pl.when(pl.col("reports") > 0)
                .then((pl.col("reports_substantiated") / pl.col("reports")).round(4))
                .alias("substantiated_rate"),
                pl.col("audit_amount_wan").fill_null(0.0),
                pl.col("trend").fill_null(pl.lit([], dtype=PORTRAIT_TREND)),
                pl.col("by_category").fill_null(pl.lit([], dtype=PORTRAIT_BY_CATEGORY)),
                pl.lit(grain).alias("grain"),
                pl.col(key).alias("name"),
            )
            .drop(key)
        )
    return pl.concat(out, how="diagonal").sort(*by, "grain", "name")
