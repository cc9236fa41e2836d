"""Decisions files checked like a source: which reviewed lines are applied, which are rejected
and why, which are stale.

``link_decisions.csv`` and ``tolerance_decisions.csv`` are read line by line in ``warehouse/``
(:func:`warehouse.decisions.read_lines`: every line with its number and, when the line itself is
bad, its ``problem``). Here each line is judged against what this run holds:

- **rejected** (a WARN in the quality report, listed with file, line and reason; never applied):
  the line is bad (ragged, an empty cell, an unknown source or decision); it contradicts another
  line about the same record or pair (both, or all, are rejected: nobody can tell which is
  right — for links also a record said to be a cadre and, by a ``reject`` line, not to be them);
  a masked key (``450101********6109/…``, as the review list prints it) more than one record of
  the run fits (``ambiguous``; one fitting: read as that record); it names a person the record
  does not name (``unknown_record``); its cadre (the one confirmed or rejected) is not on the
  roster (``unknown_cadre``); the cadre's name differs from the record's subject
  (``name_differs``) or the cadre never held a post in the region the record's unit names
  (``outside_region``) — these two are applied only when the line's ``override`` column gives
  the reason, and never asked of a ``reject`` (saying who a record is not needs no likeness).
- **stale**: the line names a record (link) or a pair (容错) this run no longer has: nothing to
  apply it to. Listed the same way, counted apart: the file has aged, it is not wrong.
- **applied**: the rest. Identical repeats of one decision are applied once and counted once.

Both files are histories when their lines carry ``replaces`` (:func:`in_force`): a replaced or
undone line is history, not judged again; a ``replaces`` that cannot be followed is rejected.

Polars in, Polars out: the events, the roster and the review list arrive as frames.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.link_keys import unit_parts
from transforms.units import UnitModel

NOT_IN_ROSTER = "NOT_IN_ROSTER"
REJECT = "reject"
"""A ``link_decisions.csv`` line saying the record is not the cadre in its ``rejected`` column."""
REJECTED, STALE = "rejected", "stale"
PROBLEMS = pl.Schema(
    {"file": pl.String(), "line": pl.Int64(), "status": pl.String(), "kind": pl.String(),
     "reason": pl.String()}
)  # fmt: skip
"""One row per line not applied: ``status`` rejected or stale, ``kind`` (ragged, empty, invalid,
contradictory, ambiguous, unknown_record, unknown_cadre, name_differs, outside_region, stale) and the reason
an auditor reads."""
LINK_KEY = ["source", "source_key", "_name_key"]
LINK_RECORD = ["source", "source_key", "subject_name"]
"""What one line of ``link_decisions.csv`` decides about, as the file writes it: the key its
history (:func:`in_force`) follows."""
TOLERANCE_KEY = ["case_no", "measure_source", "measure_key"]


@dataclass
class DecisionCheck:
    """The lines of one decisions file: those applied (the file's columns, plus ``file`` and
    ``line``) and those not (:data:`PROBLEMS`)."""

    applied: pl.DataFrame
    problems: pl.DataFrame

    def count(self, status: str) -> int:
        """How many lines are ``rejected`` or ``stale``."""
        return int((self.problems["status"] == status).sum())

    def listed(self) -> list[str]:
        """Each line not applied, as an auditor reads it: ``file, line N: reason``."""
        return [
            f"{f}, line {n}: {r}"
            for f, n, r in self.problems.sort("file", "line")
            .select("file", "line", "reason")
            .rows()
        ]


def _line_problems(lines: pl.DataFrame) -> pl.DataFrame:
    """The lines the reader found bad in themselves."""
    problem = pl.col("problem")
    kind = (
        pl.when(problem.str.starts_with("ragged")).then(pl.lit("ragged"))
        .when(problem.str.starts_with("empty")).then(pl.lit("empty"))
        .otherwise(pl.lit("invalid"))
    )  # fmt: skip
    return lines.filter(problem.is_not_null()).select(
        "file", "line", pl.lit(REJECTED).alias("status"), kind.alias("kind"),
        problem.alias("reason"),
    )  # fmt: skip


def _repeats(
    lines: pl.DataFrame, key: Sequence[str], what: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Of the good ``lines``, one per ``key`` (of identical repeats the first, or the first with an
    ``override``), and the lines of
    keys decided two ways, rejected with the lines and decisions they contradict."""
    good = lines.filter(pl.col("problem").is_null())
    ways = good.group_by(key).agg(
        pl.col("decision").n_unique().alias("_ways"),
        pl.col("line").sort().alias("_lines"),
        pl.col("decision").unique().sort().str.join(" / ").alias("_decisions"),
    )
    marked = good.join(ways, on=list(key), how="left", nulls_equal=True)
    contradictory = pl.col("_ways") > 1
    others = pl.col("_lines").list.set_difference(pl.concat_list(pl.col("line")))
    rejected = marked.filter(contradictory).select(
        "file", "line", pl.lit(REJECTED).alias("status"), pl.lit("contradictory").alias("kind"),
        pl.format(
            "contradictory: line(s) {} decide the same {} otherwise ({}); none of them is applied",
            others.cast(pl.List(pl.String)).list.join(", "), pl.lit(what), pl.col("_decisions"),
        ).alias("reason"),
    )  # fmt: skip
    kept = (
        marked.filter(~contradictory)
        # Of identical repeats the first that gives an override reason, else the first.
        .sort(*([pl.col("override").is_null()] if "override" in lines.columns else []), "line")
        .unique(subset=list(key), keep="first", maintain_order=True)
        .drop("_ways", "_lines", "_decisions")
    )
    return kept, rejected


def _regions(frame: pl.LazyFrame, unit: str, by: str, units: UnitModel) -> pl.LazyFrame:
    """Per ``by``: the regions (``安平``) the units of ``frame`` name (``_r``, a sorted list, what
    is compared) and those units as written (``_u``, sorted: what a message prints — a region
    key such as ``平平`` says less to a reader than ``平平市发展和改革委员会``)."""
    return (
        frame.select(
            by,
            pl.col(unit).alias("_u"),
            unit_parts(pl.col(unit), units).struct.field("prefix").alias("_r"),
        )
        .drop_nulls("_r")
        .group_by(by)
        .agg(pl.col("_r").unique().sort(), pl.col("_u").unique().sort())
    )


def check_link_decisions(
    lines: pl.DataFrame,
    mentions: pl.LazyFrame,
    cadres: pl.LazyFrame,
    posts: pl.LazyFrame,
    units: UnitModel,
) -> DecisionCheck:
    """Judge every line of ``link_decisions.csv`` (:func:`warehouse.decisions.read_decisions`).

    Args:
        lines: ``file``, ``line``, ``source``, ``source_key``, ``subject_name``, ``decision``,
            ``decided_by``, ``override`` (null when absent), optionally ``replaces`` (the history
            is read forward first: :func:`in_force` keyed on :data:`LINK_RECORD`) and the
            reader's ``problem``.
        mentions: every person named in every record this run (``source``, ``source_key``,
            ``subject_name``, ``unit_given``).
        cadres: ``silver/cadre`` (``person_no``, ``name``, ``unit``).
        posts: ``silver/cadre_post`` (``person_no``, ``unit``): every post each cadre held.
        units: the unit-name model (:func:`transforms.link_keys.model_of`), to read a unit's region.

    Returns:
        The lines applied (``apply_decisions`` input) and those rejected or stale, with reasons.
    """
    lines = lines.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in ("override", "rejected") if c not in lines.columns
    )  # fmt: skip
    # The history read forward: replaced and undone lines are history, not applied.
    lines, unfollowed = in_force(lines, LINK_RECORD)
    lines, ambiguous = _unmasked(lines, mentions)
    keyed = lines.with_columns(nz.name_key(pl.col("subject_name")).alias("_name_key"))
    rejecting = pl.col("decision") == REJECT
    kept, contradictory = _repeats(keyed.filter(~rejecting), LINK_KEY, "record")
    # Rejections: one per record and cadre (repeats applied once); a record said to be a cadre
    # and not to be them rejects both lines.
    refused, _ = _repeats(keyed.filter(rejecting), [*LINK_KEY, "rejected"], "record and cadre")
    kept, refused, clashes = _clashes(kept, refused)
    kept = pl.concat([kept, refused])
    person = pl.when(rejecting).then(pl.col("rejected")).otherwise(pl.col("decision"))
    # Only the records and cadres the file names are looked at (the file is small, the sources
    # are not): the regions of their units are the costly part.
    wanted = kept.lazy().select("source", "source_key").unique()
    chosen = kept.lazy().select(person.alias("person_no")).unique()
    named = mentions.join(wanted, on=["source", "source_key"], how="semi").select(
        "source", "source_key", nz.name_key(pl.col("subject_name")).alias("_name_key"), "unit_given"
    )
    cadres = cadres.join(chosen, on="person_no", how="semi")
    posts = posts.join(chosen, on="person_no", how="semi")
    records = named.select("source", "source_key").unique().with_columns(_exists=pl.lit(True))
    subjects = named.select(LINK_KEY).unique().with_columns(_named=pl.lit(True))
    record_regions = _regions(
        named.with_columns(pl.concat_str(LINK_KEY, separator="\x1f").alias("_k")),
        "unit_given", "_k", units,
    ).rename({"_r": "_record_regions", "_u": "_record_units"})  # fmt: skip
    roster = cadres.select(
        pl.col("person_no").alias("_person"), pl.col("name").alias("_cadre_name"),
        nz.name_key(pl.col("name")).alias("_cadre_key"), pl.lit(True).alias("_known"),
    )  # fmt: skip
    held = pl.concat([posts.select("person_no", "unit"), cadres.select("person_no", "unit")])
    cadre_regions = _regions(held, "unit", "person_no", units).rename(
        {"person_no": "_person", "_r": "_cadre_regions", "_u": "_cadre_units"}
    )
    judged = (
        kept.lazy()
        .with_columns(
            pl.concat_str(LINK_KEY, separator="\x1f").alias("_k"), person.alias("_person")
        )
        .join(records, on=["source", "source_key"], how="left")
        .join(subjects, on=LINK_KEY, how="left")
        .join(record_regions, on="_k", how="left")
        .join(roster, on="_person", how="left")
        .join(cadre_regions, on="_person", how="left")
        .with_columns(_link_verdict())
        .collect()
    )
    applied = judged.filter(pl.col("kind").is_null()).select(lines.columns).drop("problem")
    found = judged.filter(pl.col("kind").is_not_null()).select(
        "file", "line",
        pl.when(pl.col("kind") == STALE).then(pl.lit(STALE)).otherwise(pl.lit(REJECTED)).alias("status"),
        "kind", "reason",
    )  # fmt: skip
    problems = pl.concat(
        [_line_problems(lines), unfollowed, ambiguous, contradictory, clashes, found]
    ).cast(PROBLEMS)
    return DecisionCheck(applied.sort("line"), problems.sort("file", "line"))


def _clashes(
    kept: pl.DataFrame, rejections: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The lines saying a record is a cadre (``kept``) and those saying it is not (``rejections``)
    without the pairs said both ways, and those lines rejected: nobody can tell which is right."""
    said = kept.select("file", *LINK_KEY, pl.col("decision").alias("rejected"), "line")
    denied = rejections.select("file", *LINK_KEY, "rejected", "line")
    met = said.join(denied, on=["file", *LINK_KEY, "rejected"], suffix="_denied")
    both = pl.concat([
        met.select("file", "line", pl.col("line_denied").alias("_other"), "rejected"),
        met.select("file", pl.col("line_denied").alias("line"), pl.col("line").alias("_other"), "rejected"),
    ])  # fmt: skip
    clashes = both.select(
        "file", "line", pl.lit(REJECTED).alias("status"), pl.lit("contradictory").alias("kind"),
        pl.format(
            "contradictory: line {} decides the same record otherwise (it is / it is not {}); "
            "neither is applied", "_other", "rejected",
        ).alias("reason"),
    ).unique(["file", "line"], keep="first", maintain_order=True)  # fmt: skip
    gone = clashes.select("line")
    return (kept.join(gone, on="line", how="anti"), rejections.join(gone, on="line", how="anti"),
            clashes)  # fmt: skip


def _unmasked(lines: pl.DataFrame, mentions: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``lines`` with each masked ``source_key`` (an ID number shown ``450101********6109``, as
    the 关联复核清单 prints a sanction's key and the importer writes it) read as the one record of
    this run's sources with that source, masked key and subject name key; and the masked lines
    more than one record fits, rejected (``ambiguous``). A masked key no record fits is left as it
    is: the check finds it stale."""
    masked = lines.filter(pl.col("problem").is_null() & pl.col("source_key").str.contains("*", literal=True))  # fmt: skip
    if masked.is_empty():
        return lines, pl.DataFrame(schema=PROBLEMS)
    wanted = masked.select(
        "line", "source", pl.col("source_key").alias("_masked"),
        nz.name_key(pl.col("subject_name")).alias("_name_key"),
    )  # fmt: skip
    records = (
        mentions.filter(pl.col("source").is_in(wanted["source"].unique().implode()))
        .select(
            "source", "source_key",
            nz.mask_id_numbers(pl.col("source_key")).alias("_masked"),
            nz.name_key(pl.col("subject_name")).alias("_name_key"),
        )
        .unique()
        .join(wanted.lazy(), on=["source", "_masked", "_name_key"])
        .group_by("line")
        .agg(pl.col("source_key").unique().sort().alias("_keys"))
        .collect()
    )  # fmt: skip
    one = records.filter(pl.col("_keys").list.len() == 1).select(
        "line", pl.col("_keys").list.first().alias("_key")
    )
    ambiguous = (
        records.filter(pl.col("_keys").list.len() > 1)
        .join(lines.select("file", "line", "source_key"), on="line")
        .select(
            "file", "line", pl.lit(REJECTED).alias("status"), pl.lit("ambiguous").alias("kind"),
            pl.format(
                "ambiguous: {} records of this run have the masked key {} and the name: write the "
                "record's key as the source has it", pl.col("_keys").list.len(), "source_key",
            ).alias("reason"),
        )
    )  # fmt: skip
    resolved = (
        lines.join(one, on="line", how="left")
        .with_columns(pl.coalesce("_key", "source_key").alias("source_key"))
        .drop("_key")
        .join(ambiguous.select("line"), on="line", how="anti")
    )
    return resolved, ambiguous.cast(PROBLEMS)


def _link_verdict() -> list[pl.Expr]:
    """``kind`` and ``reason`` of a link decision line that is not applied (both null when it is)."""
    # A sanction's key holds the cadre's ID number: masked, as the review list prints it.
    record = pl.format("{} record {}", pl.col("source"), nz.mask_id_numbers(pl.col("source_key")))
    overridden = pl.col("override").is_not_null()
    shared = pl.col("_record_regions").list.set_intersection(pl.col("_cadre_regions")).list.len()
    outside = (
        (pl.col("_record_regions").list.len() > 0)
        & (pl.col("_cadre_regions").list.len() > 0)
        & (shared == 0)
    ).fill_null(False)
    # Saying a record is not a cadre needs no likeness: only a link is checked against the name
    # and the region.
    linking = pl.col("decision") != REJECT
    differs = (pl.col("_cadre_key") != pl.col("_name_key")).fill_null(False) & ~overridden & linking
    away = outside & ~overridden & linking
    # A line failing both says both, so that one override reason answers both.
    refused = pl.concat_list(
        pl.when(differs).then(
            pl.format(
                "name differs: cadre {} is {}, the record names {}",
                pl.col("decision"),
                pl.col("_cadre_name"),
                pl.col("subject_name"),
            )
        ),
        pl.when(away).then(
            pl.format(
                "outside the record's region: the record names {}, cadre {} held posts only in {}",
                pl.col("_record_units").list.join("、"),
                pl.col("decision"),
                pl.col("_cadre_units").list.join("、"),
            )
        ),
    ).list.drop_nulls().list.join("; ") + pl.lit(
        "; write the reason in the override column to apply it anyway"
    )
    rules = [
        (pl.col("_exists").is_null(), STALE,
         pl.format("stale: no {} in this run's sources (removed, or never there): nothing to apply it to", record)),
        (pl.col("_named").is_null(), "unknown_record",
         pl.format("unknown record: {} names nobody called {}", record, pl.col("subject_name"))),
        (pl.col("decision") == NOT_IN_ROSTER, None, None),
        (pl.col("_known").is_null(), "unknown_cadre",
         pl.format("unknown cadre: {} is not a 人员编号 of the roster (silver/cadre)", pl.col("_person"))),
        (differs, "name_differs", refused),
        (away, "outside_region", refused),
    ]  # fmt: skip
    kind: pl.Expr = pl.lit(None, dtype=pl.String)
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, name, text in reversed(rules):
        kind = pl.when(condition).then(pl.lit(name, dtype=pl.String)).otherwise(kind)
        reason = pl.when(condition).then(text if text is not None else pl.lit(None, dtype=pl.String)).otherwise(reason)  # fmt: skip
    return [kind.alias("kind"), reason.alias("reason")]


def in_force(
    lines: pl.DataFrame, key: Sequence[str] = TOLERANCE_KEY
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The history of a decisions file read forward: the good lines still in force, and the lines
    whose ``replaces`` cannot be followed (rejected, with the reason).

    A line with ``replaces = N`` takes the place of line N, which must be a decision in force
    about the same ``key``: N is history from then on. An ``undo`` line takes N back and is in
    force itself never: what N replaced (if anything) is in force again. Lines without
    ``replaces`` are all in force (repeats and contradictions are :func:`_repeats`'s to judge).
    A file without a ``replaces`` column is returned as it is.
    """
    if "replaces" not in lines.columns:
        return lines, pl.DataFrame(schema=PROBLEMS)
    good = lines.filter(pl.col("problem").is_null()).sort("line")
    active: dict[int, tuple[object, ...]] = {}
    replaced: dict[int, int] = {}
    refused = []
    for row in good.iter_rows(named=True):
        line, target = row["line"], row["replaces"]
        pair = tuple(row[k] for k in key)
        if target is None:
            active[line] = pair
            continue
        n = int(target)
        if active.get(n) != pair:
            refused.append((row["file"], line, REJECTED, "invalid", (
                f"replaces line {n}, which is no decision in force about the same "
                f"{' / '.join(key)} ({' / '.join(str(v) for v in pair)})"
            )))  # fmt: skip
            continue
        del active[n]
        if row["decision"] == "undo":
            if n in replaced:
                active[replaced[n]] = pair
        else:
            active[line], replaced[line] = pair, n
    kept = lines.filter(pl.col("problem").is_not_null() | pl.col("line").is_in(list(active)))
    return kept, pl.DataFrame(refused, schema=PROBLEMS, orient="row")


def check_tolerance_decisions(lines: pl.DataFrame) -> DecisionCheck:
    """Judge the lines of ``tolerance_decisions.csv`` that need nothing but the file: the history
    is read forward (:func:`in_force`: replaced and undone lines are history, not applied), bad
    lines and contradictory repeats are rejected; whether a pair still exists is
    :func:`stale_tolerance_decisions`, once the review list is computed."""
    current, unfollowed = in_force(lines)
    kept, contradictory = _repeats(current, TOLERANCE_KEY, "pair")
    problems = pl.concat([_line_problems(current), unfollowed, contradictory]).cast(PROBLEMS)
    return DecisionCheck(kept.drop("problem").sort("line"), problems.sort("file", "line"))


def stale_tolerance_decisions(check: DecisionCheck, review: pl.LazyFrame) -> DecisionCheck:
    """``check`` with the applied lines whose pair is not in ``gold/tolerance_review`` (the 容错
    decision or the measure is gone, now linked to another cadre, or outside the window) moved to
    the stale lines: they decided nothing this run."""
    pairs = review.select(TOLERANCE_KEY).unique().collect()
    found = check.applied.join(pairs, on=TOLERANCE_KEY, how="semi")
    gone = check.applied.join(pairs, on=TOLERANCE_KEY, how="anti").select(
        "file", "line", pl.lit(STALE).alias("status"), pl.lit(STALE).alias("kind"),
        pl.format(
            "stale: no pair of 容错 decision {} and {} {} in gold/tolerance_review (either is gone, "
            "linked to another cadre, or outside the window): nothing to apply it to",
            "case_no", "measure_source", nz.mask_id_numbers(pl.col("measure_key")),
        ).alias("reason"),
    )  # fmt: skip
    problems = pl.concat([check.problems, gone.cast(PROBLEMS)]).sort("file", "line")
    return DecisionCheck(found, problems)
