"""Whole-table checks that GX expresses poorly or slowly, written in Polars.

Each function takes frames (or counts) and returns an :class:`~quality.checks.Outcome`; none reads
or writes anything. They run on every table they guard at every run (they are cheap), and are
reported next to the GX expectations.
"""

from typing import TYPE_CHECKING

import polars as pl

from quality.checks import Outcome, as_text
from quality.suites import KEY, PARTITION

if TYPE_CHECKING:
    from transforms.decisions_check import DecisionCheck

ROW_DROP_FLOOR = 0.5
"""A table that shrinks below this share of its previous rows is an alarm (a truncated export)."""
ROW_DROP_MIN_ROWS = 20
"""Below this many previous rows, a drop is noise rather than an alarm."""
LINK_RATE_MAX_DROP = 0.10
"""A source whose share of linked events falls by more than this is reported."""


def key_column(key: tuple[str, ...]) -> pl.Expr:
    """The record key as one text: the key fields joined by ``|``, nulls as empty."""
    parts = [pl.col(k).cast(pl.String).fill_null("") for k in key]
    return pl.concat_str(parts, separator="|").alias(KEY)


def unique_across_partitions(table: str, frame: pl.LazyFrame, sample: int = 10) -> Outcome:
    """Each record key appears once in the whole table, not just once per partition.

    ``frame`` has ``_key`` and ``_partition``. A key repeated across two months is the same record
    exported twice with different dates — GX validates one batch at a time and cannot see it.
    """
    counts = frame.group_by(KEY).agg(pl.len().alias("n"), pl.col(PARTITION).unique().alias("parts"))
    # One pass: collect_all reads the frame once for both.
    stats, dups = pl.collect_all(
        [frame.select(pl.len().alias("rows")), counts.filter(pl.col("n") > 1).sort(KEY)]
    )
    partitions: dict[str, int] = {}
    for parts, n in dups.select("parts", "n").iter_rows():
        for p in parts:
            partitions[str(p)] = partitions.get(str(p), 0) + n
    return Outcome(
        check="key.unique_across_partitions",
        table=table,
        kind="invariant",
        severity="ERROR",
        passed=dups.height == 0,
        checked=int(stats["rows"][0]),
        failed=int(dups["n"].sum()) if dups.height else 0,
        sample=[as_text(k) for k in dups[KEY].head(sample).to_list()],
        partitions=dict(sorted(partitions.items())),
        why="a record key appears once in the whole table (a repeat in another partition is the "
        "same record exported twice)",
        detail="Polars: group by key over every partition",
    )


def row_count_in_band(
    table: str, rows: int, previous: int | None, accepted: bool = False
) -> Outcome:
    """The table has not shrunk below half of its previous version (a sudden halving is an alarm)."""
    floor = int(previous * ROW_DROP_FLOOR) if previous else 0
    dropped = previous is not None and previous >= ROW_DROP_MIN_ROWS and rows < floor
    detail = (
        f"previous version {previous:,} rows, now {rows:,}, floor {floor:,}"
        if previous is not None
        else "first version: nothing to compare with"
    )
    if dropped and accepted:
        detail += " — drop accepted by the operator for this run (--accept-drop)"
    return Outcome(
        check="rows.within_band_of_previous",
        table=table,
        kind="invariant",
        severity="ERROR",
        passed=not dropped or accepted,
        checked=rows,
        failed=(previous or 0) - rows if dropped else 0,
        sample=[f"{previous:,} → {rows:,}"] if dropped else [],
        why="a source does not lose more than half its rows from one run to the next unless the "
        "operator says so (dajiandu run --accept-drop SOURCE)",
        detail=detail,
    )


def roster_not_empty(table: str, cadres: int, source: str) -> Outcome:
    """Records are linked to cadres of the roster: an empty or vanished roster would leave every
    record unlinked in a run that looks green."""
    return Outcome(
        check="rows.roster_present",
        table=table,
        kind="invariant",
        severity="ERROR",
        passed=cadres > 0,
        checked=cadres,
        failed=0 if cadres else 1,
        sample=[] if cadres else [f"0 cadres from {source}"],
        why="every record is linked to a cadre of the roster: an empty or vanished roster "
        "(source roster) would leave all of them unlinked",
        detail=f"cadres: {cadres:,}",
    )


def rows_conserved(table: str, per_file: list[tuple[str, int, int, int]]) -> Outcome:
    """Per file: rows read = rows landed + rows quarantined (``per_file``: file, read, landed, quarantined)."""
    bad = [(f, r, lnd, q) for f, r, lnd, q in per_file if r != lnd + q]
    return Outcome(
        check="rows.conserved",
        table=table,
        kind="invariant",
        severity="ERROR",
        passed=not bad,
        checked=sum(r for _, r, _, _ in per_file),
        failed=sum(abs(r - lnd - q) for _, r, lnd, q in bad),
        sample=[f"{f}: read {r}, landed {lnd}, quarantined {q}" for f, r, lnd, q in bad[:10]],
        why="no row is lost or invented between the export and the warehouse",
        detail=f"Polars: counts per source file over {len(per_file)} file(s)",
    )


def events_reference_cadres(events: pl.LazyFrame, cadres: pl.LazyFrame) -> Outcome:
    """Every linked event's ``person_no`` is a cadre of ``silver/cadre``."""
    linked = events.filter(pl.col("link_status") == "linked").select(
        "event_id", "person_no", "source"
    )
    orphans, total = pl.collect_all(
        [
            linked.join(cadres.select("person_no"), on="person_no", how="anti"),
            linked.select(pl.len()),
        ]
    )
    checked = total.item()
    return Outcome(
        check="person_no.references_cadre",
        table="silver/supervision_event",
        kind="invariant",
        severity="ERROR",
        passed=orphans.height == 0,
        checked=int(checked),
        failed=orphans.height,
        sample=[
            f"{e} → {p}" for e, p in orphans.select("event_id", "person_no").head(10).iter_rows()
        ],
        partitions=dict(orphans.group_by("source").len().sort("source").iter_rows()),
        why="a linked event points at a cadre who is in the roster (referential integrity)",
        detail="Polars: anti-join of linked events on silver/cadre",
    )


def link_rate_held(events: pl.LazyFrame, previous: pl.LazyFrame | None) -> Outcome:
    """Per source, the share of linked events has not dropped by more than 10 points."""

    def rates(frame: pl.LazyFrame) -> tuple[dict[str, float], int]:
        """Per source the linked share, and the rows read: one pass."""
        table = (
            frame.group_by("source")
            .agg((pl.col("link_status") == "linked").mean().alias("r"), pl.len().alias("n"))
            .collect()
        )
        return dict(table.select("source", "r").iter_rows()), int(table["n"].sum())

    now, checked = rates(events)
    before = rates(previous)[0] if previous is not None else {}
    drops = {
        s: before[s] - r
        for s, r in now.items()
        if s in before and before[s] - r > LINK_RATE_MAX_DROP
    }
    return Outcome(
        check="link_rate.held",
        table="silver/supervision_event",
        kind="invariant",
        severity="WARN",
        passed=not drops,
        checked=int(checked),
        failed=len(drops),
        sample=[f"{s}: {before[s]:.1%} → {now[s]:.1%}" for s in sorted(drops)],
        partitions={s: 1 for s in sorted(drops)},
        why="a sudden fall in the share of events linked to a cadre means a roster or export "
        "changed shape (renamed units, missing 人员编号)",
        detail="linked share per source: "
        + ", ".join(f"{s} {r:.1%}" for s, r in sorted(now.items())),
    )


def posts_reference_cadres(posts: pl.LazyFrame, cadres: pl.LazyFrame) -> Outcome:
    """Every interval of ``silver/cadre_post`` is of a cadre of ``silver/cadre``."""
    orphans, total = pl.collect_all(
        [posts.join(cadres.select("person_no"), on="person_no", how="anti"), posts.select(pl.len())]
    )
    return Outcome(
        check="person_no.references_cadre",
        table="silver/cadre_post",
        kind="invariant",
        severity="ERROR",
        passed=orphans.height == 0,
        checked=int(total.item()),
        failed=orphans.height,
        sample=[f"{p} at {u}" for p, u in orphans.select("person_no", "unit").head(10).iter_rows()],
        why="a post a record is compared with belongs to a cadre of the roster",
        detail="Polars: anti-join of the intervals on silver/cadre",
    )


def decision_lines(table: str, check_id: str, file_name: str, check: "DecisionCheck") -> Outcome:
    """A WARN listing every line of a decisions file that was rejected or is stale (file, line,
    reason): those lines decided nothing this run; the others were applied."""
    problems = check.problems
    kinds = dict(problems.group_by("kind").len().sort("kind").iter_rows())
    rejected, stale = check.count("rejected"), check.count("stale")
    return Outcome(
        check=check_id,
        table=table,
        kind="invariant",
        severity="WARN",
        passed=problems.height == 0,
        checked=check.applied.height + problems.height,
        failed=problems.height,
        sample=check.listed(),
        partitions={str(k): int(n) for k, n in kinds.items()},
        why=f"every line of {file_name} a person wrote is applied; a rejected line (bad, "
        "contradictory, unknown record or cadre, another name or region without an override) "
        "or a stale one (its record or pair is gone) decides nothing",
        detail=f"{check.applied.height} applied, {rejected} rejected, {stale} stale",
    )
