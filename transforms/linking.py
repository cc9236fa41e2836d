"""The linker: which roster cadre (if any) each person named in a supervision record is, as they
were when the record was made.

Precision first: a wrong link puts a stranger's report on a cadre's file. Stages, each only for
what the previous left open:

1. ``person_no``: the record carries a 人员编号 found in the roster.
2. ``id_number``: the record carries an ID number that passes its check character (a 15-digit one
   upgraded) and belongs to exactly one cadre. A number failing its check is not evidence; the
   note says so and the next stage decides.
3. ``name_unit``: candidates are the cadres who held a post at the record's unit on its date
   (:mod:`transforms.link_candidates`: post history, renamed units, homophones and look-alike
   characters). Each is scored on name, unit and post; the best is linked only when it reaches
   the link threshold — which name and unit alone never do: the post must confirm them — and
   beats the second by the margin. A name one character off (a typo) or a record naming no unit
   goes to review, never to a link; a post that contradicts the one held then, or one no roster
   cadre holds (村党支部书记, 聘用人员), rules the candidate out, with the reason.
4. ``manual``: a reviewed decision ("this record is this cadre" or "not in roster") overrides all.

A reviewed rejection ("this record is not this cadre", a ``reject`` line of
``link_decisions.csv``) takes that cadre out of the choice at every stage: a 人员编号 or ID number
naming them is not used (the record goes to the candidate stage), and as a candidate they are never
chosen. They stay in the contest all the same: the best remaining candidate must still clear them
by the margin, so a rejection alone never links a record to the runner-up — it only unlinks, or
leaves the record in review with the remaining candidates (:func:`_decide`).

Everything here is Polars in, Polars out; rules arrive as arguments (``LinkRules``).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.link_candidates import candidates
from transforms.link_keys import (
    PostTerm,
    Rename,
    pinyin_key,
    prepare_cadres,
    prepare_mentions,
    prepare_posts,
    unit_parts,
    with_roster_regions,
)

__all__ = [
    "LinkRules", "PostTerm", "Rename", "candidates", "link", "pinyin_key", "prepare_cadres",
    "prepare_mentions", "prepare_posts", "unit_parts", "with_roster_regions",
]  # fmt: skip

Checkpoint = Callable[[str, pl.DataFrame], None]
"""Told each stage of :func:`link` as it is collected: its name and its frame."""

NOT_IN_ROSTER = "NOT_IN_ROSTER"
REJECT = "reject"
"""The ``decision`` of a reviewed line saying the record is not the cadre in its ``rejected``."""
LINKED, REVIEW, UNLINKED = "linked", "review", "unlinked"


@dataclass(frozen=True)
class LinkRules:
    """Thresholds, weights and tables (``linking.yaml``, ``unit_abbreviations.csv``,
    ``unit_lineage.csv``, ``post_terms.csv``): see ``warehouse/rules/linking.yaml`` for why each
    figure is what it is."""

    weights: Mapping[str, float]
    unit_similarity: Mapping[str, float]
    post_similarity: Mapping[str, float]
    typo_name: float
    link_threshold: float
    review_threshold: float
    margin: float
    abbreviations: Mapping[str, str]
    name_only_candidates: int = 5
    date_slack_days: int = 180
    lineage_slack_days: int = 120
    posts: tuple[PostTerm, ...] = ()
    lineage: tuple[Rename, ...] = ()
    confusables: tuple[str, ...] = ()
    """Groups of look-alike characters (``name_confusables.csv``), each a string."""
    learned_regions: tuple[str, ...] = ()
    """Regions the roster's unit names hold beyond ``regions`` (:func:`with_roster_regions`)."""
    roster_regions: tuple[str, ...] = ()
    """The regions the roster's unit names hold, in full: their short forms are read as them."""
    learned_prefectures: tuple[str, ...] = ()
    """Learnt ``…市`` the roster names districts or counties under: prefecture-level cities."""
    regions: tuple[tuple[str, str], ...] = ()
    """Regions of GB/T 2260, (code, name) (``regions.csv``): how unit names are read (:mod:`transforms.units`)."""


def _joined_notes(*notes: pl.Expr) -> pl.Expr:
    """The notes that apply (null: one that does not), joined with ``; ``; null when none does.
    (One string, not a list: ``concat_list`` of mostly-null columns cost two thirds of stages 1
    and 2 on a million records.)"""
    joined = pl.concat_str(list(notes), separator="; ", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def _deterministic(mentions: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """Stages 1 and 2: 人员编号, then a valid ID number held by exactly one cadre."""
    by_number = cadres.select(
        pl.col("person_no").alias("person_no_given"), pl.lit(True).alias("_known_no")
    )
    ids = (
        cadres.filter(pl.col("id_number").is_not_null())
        .group_by("id_number")
        .agg(pl.col("person_no").first().alias("_id_person"), pl.len().alias("_id_holders"))
    )
    valid_id = pl.col("id_status").is_in(["valid", "upgraded_15"])
    return (
        mentions.join(by_number, on="person_no_given", how="left")
        .join(ids, on="id_number", how="left")
        .with_columns(
            pl.when(pl.col("_known_no"))
            .then(pl.col("person_no_given"))
            .when(valid_id & (pl.col("_id_holders") == 1))
            .then(pl.col("_id_person"))
            .alias("person_no"),
            pl.when(pl.col("_known_no"))
            .then(pl.lit("person_no"))
            .when(valid_id & (pl.col("_id_holders") == 1))
            .then(pl.lit("id_number"))
            .alias("link_method"),
            _joined_notes(
                pl.when(
                    pl.col("person_no_given").is_not_null() & pl.col("_known_no").is_null()
                ).then(pl.lit("人员编号 not in the roster")),
                pl.when(pl.col("id_status") == "bad_check").then(
                    pl.lit("ID number fails its check character: not used as evidence")
                ),
                pl.when(pl.col("id_status") == "bad_birth_date").then(
                    pl.lit("ID number's birth date is impossible (a typo): not used as evidence")
                ),
                pl.when(pl.col("id_status") == "malformed").then(
                    pl.lit("ID number malformed: not used as evidence")
                ),
                pl.when(valid_id & pl.col("_id_holders").is_null()).then(
                    pl.lit("ID number not in the roster")
                ),
                pl.when(valid_id & (pl.col("_id_holders") > 1)).then(
                    pl.lit("ID number held by several cadres")
                ),
            ).alias("_notes"),
        )
        .drop("_known_no", "_id_person", "_id_holders")
    )


def _region_from_code(mentions: pl.LazyFrame, posts: pl.LazyFrame) -> pl.LazyFrame:
    """A record that leaves its unit's region open (``县人社局``) but carries the unit's code
    (``unit_code_given``: an inspection's 被巡察单位代码) takes the region of the unit the post
    history knows under that code — only where the code's unit has the record's name (tail and
    kind of region) and one region: the code then names exactly one unit. ``_code_region``
    says where it did. A code the post history does not hold (another code system) changes
    nothing."""
    if "unit_code_given" not in mentions.collect_schema().names():
        mentions = mentions.with_columns(pl.lit(None, dtype=pl.String).alias("unit_code_given"))
    units = (
        posts.select("unit_code", "unit_prefix", "unit_level", pl.col("aliases").alias("unit_tail"))
        .explode("unit_tail")
        .drop_nulls(["unit_code", "unit_prefix", "unit_tail"])
        .unique()
        .filter(pl.col("unit_prefix").n_unique().over("unit_code") == 1)
    )
    found = (
        mentions.filter(
            pl.col("unit_prefix").is_null()
            & pl.col("unit_tail").is_not_null()
            & pl.col("unit_code_given").is_not_null()
        )
        .select("mention_id", "unit_code_given", "unit_tail", pl.col("unit_level").alias("_level"))
        .join(units, left_on=["unit_code_given", "unit_tail"], right_on=["unit_code", "unit_tail"])
        .filter(pl.col("_level").is_null() | (pl.col("_level") == pl.col("unit_level")))
        .group_by("mention_id")
        .agg(pl.col("unit_prefix").unique().alias("_prefixes"))
        .filter(pl.col("_prefixes").list.len() == 1)
        .select("mention_id", pl.col("_prefixes").list.first().alias("_code_prefix"))
    )
    return (
        mentions.join(found, on="mention_id", how="left")
        .with_columns(
            pl.coalesce("unit_prefix", "_code_prefix").alias("unit_prefix"),
            pl.col("_code_prefix").is_not_null().alias("_code_region"),
        )
        .drop("_code_prefix")
    )


def _decide(scored: pl.LazyFrame, rules: LinkRules) -> pl.LazyFrame:
    """Per mention: linked (a clear best that may link), review (close, a typo, no unit or no
    post to confirm), unlinked (nobody plausible, or only candidates ruled out)."""
    # A candidate in conflict with the record is out of the contest; one a person rejected
    # (``rejected``) stays in it — the best must still clear them by the margin — but is never
    # chosen: a rejection alone makes no link.
    contest = pl.col("conflict").is_null()
    free = contest & ~pl.col("rejected")
    may_link = free & ~pl.col("typo") & ~pl.col("name_only") & ~pl.col("in_slack")
    ranked = scored.sort(["mention_id", "score", "person_no"], descending=[False, True, False])
    plausible = free & (
        (pl.col("score") >= rules.review_threshold) | pl.col("typo") | pl.col("name_only")
    )
    best = ranked.group_by("mention_id").agg(
        pl.col("person_no").filter(free).first().alias("_best_person"),
        pl.col("score").filter(free).first().alias("_best"),
        pl.col("score").filter(contest).first().alias("_top"),
        pl.col("rejected").filter(contest).first().alias("_top_rejected"),
        pl.col("score").filter(contest).get(1, null_on_oob=True).alias("_next"),
        may_link.filter(free).first().alias("_best_may_link"),
        plausible.sum().alias("_plausible"),
        pl.col("name_only").filter(free).sum().alias("_name_only"),
        pl.col("reason").filter(~contest).first().alias("_ruled_out"),
        pl.col("reason").filter(free).first().alias("_best_reason"),
        pl.col("reason").filter(pl.col("rejected")).str.join("; ").alias("_rejected"),
    )
    # The runner-up the best must clear: the contest's first when a person rejected that one
    # (it scores at least the best), else the contest's second.
    second = pl.when(pl.col("_top_rejected")).then(pl.col("_top")).otherwise(pl.col("_next"))
    clear = second.is_null() | (pl.col("_best") - second >= rules.margin - 1e-9)
    linkable = (pl.col("_best") >= rules.link_threshold - 1e-9) & pl.col(
        "_best_may_link"
    ).fill_null(False)
    too_many = pl.col("_name_only") > rules.name_only_candidates
    return best.with_columns(
        pl.when(linkable & clear).then(pl.lit(LINKED))
        .when((pl.col("_plausible") > 0) & ~too_many).then(pl.lit(REVIEW))
        .otherwise(pl.lit(UNLINKED))
        .alias("_decision")
    ).drop("_top", "_top_rejected", "_next")  # fmt: skip


def _note() -> pl.Expr:
    """Why a record was linked, sent to review or left unlinked (never a protected value)."""
    status = pl.col("link_status")
    return _joined_notes(
        pl.when(status == REVIEW).then(pl.format(
            "{} plausible candidate(s); best score {}", pl.col("_plausible"), pl.col("_best"))),
        pl.when((status == REVIEW) & pl.col("_best_reason").is_not_null()).then(pl.col("_best_reason")),
        pl.when((status == UNLINKED) & pl.col("_ruled_out").is_not_null()).then(
            pl.format("ruled out: {}", pl.col("_ruled_out"))),
        pl.when((status == UNLINKED) & pl.col("_best").is_null() & pl.col("_ruled_out").is_null()
                & pl.col("_rejected").fill_null("").eq("")).then(
            pl.lit("no cadre with this name held a post in this unit at the record's date")),
        pl.when((status == UNLINKED) & pl.col("_best").is_not_null()).then(
            pl.format("best candidate scored {}, below the review threshold", pl.col("_best"))),
        pl.when((pl.col("link_method").is_null() | (pl.col("link_method") == "name_unit"))
                & pl.col("event_date").is_null()).then(
            pl.lit("no usable date: compared with every post the candidates held")),
        pl.when(pl.col("_rejected") != "").then(pl.col("_rejected")),
        pl.when(pl.col("_code_region") & (pl.col("link_method").is_null()
                | (pl.col("link_method") == "name_unit"))).then(
            pl.format("region {} read from the unit code {}", "unit_prefix", "unit_code_given")),
    )  # fmt: skip


def link(
    mentions: pl.LazyFrame,
    cadres: pl.LazyFrame,
    posts: pl.LazyFrame,
    rules: LinkRules,
    decisions: pl.LazyFrame | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Link prepared mentions to the cadres and the posts they held.

    Args:
        mentions: :func:`prepare_mentions` output with a unique ``mention_id`` plus ``source``,
            ``source_key``, ``subject_name`` and ``event_date``.
        cadres: :func:`prepare_cadres` output (for 人员编号 and ID numbers).
        posts: :func:`prepare_posts` output: every post every cadre held, with its span.
        rules: thresholds, weights and tables.
        decisions: reviewed decisions: ``source``, ``source_key``, ``subject_name``, ``decision``
            (a 人员编号, ``NOT_IN_ROSTER``, or ``reject`` with the cadre in ``rejected``),
            ``decided_by``.
        checkpoint: called with a stage's name and the frame it collected, as each is made
            (``deterministic``, ``joined``, ``candidates``): how a bench sees where time and
            memory go; the outputs stay lazy after the last.

    Returns:
        The mentions with ``person_no``, ``link_method``, ``link_score``, ``link_status`` and
        ``link_note``; and the review queue (one row per mention and candidate, with its scores
        and what speaks for or against it).
    """
    rejected = _rejections(mentions, decisions)
    # Both outputs (the links and the review queue) read these two: computed once, not once per
    # output (collect_all does not share them: it doubled the linking time).
    first = _region_from_code(
        _unless_rejected(_deterministic(mentions, cadres), rejected), posts
    ).collect()
    if checkpoint is not None:
        checkpoint("deterministic", first)
    open_mentions = first.lazy().filter(pl.col("person_no").is_null())
    scored = (
        candidates(open_mentions, posts, rules, checkpoint)
        .join(rejected, on=["mention_id", "person_no"], how="left")
        .with_columns(
            pl.col("_rejected_by").is_not_null().alias("rejected"),
            pl.when(pl.col("_rejected_by").is_not_null())
            .then(pl.format("not {}: rejected by {}", "person_no", "_rejected_by"))
            .otherwise(pl.col("reason"))
            .alias("reason"),
        )
        .drop("_rejected_by")
        .collect()
    )
    if checkpoint is not None:
        checkpoint("candidates", scored)
    decided = _decide(scored.lazy(), rules)
    linked_now = pl.col("link_status") == LINKED
    out = (
        first.lazy().join(decided, on="mention_id", how="left")
        .with_columns(
            pl.when(pl.col("person_no").is_not_null()).then(pl.lit(LINKED))
            .otherwise(pl.col("_decision").fill_null(UNLINKED)).alias("link_status")
        )
        .with_columns(
            pl.coalesce("person_no", pl.when(linked_now).then(pl.col("_best_person"))).alias("person_no"),
            pl.coalesce("link_method", pl.when(linked_now).then(pl.lit("name_unit"))).alias("link_method"),
            pl.when(pl.col("link_method").is_not_null()).then(pl.lit(1.0)).otherwise(pl.col("_best")).alias("link_score"),
        )
        .with_columns(_joined_notes(pl.col("_notes"), _note()).fill_null("").alias("link_note"))
        .drop("_notes", "_best_person", "_best", "_plausible", "_decision", "_best_may_link",
              "_name_only", "_ruled_out", "_best_reason", "_rejected",
              "_code_region")
    )  # fmt: skip
    if decisions is not None:
        out = apply_decisions(out, decisions)
    review = _review(scored.lazy(), out, mentions)
    return out, review


def _rejections(mentions: pl.LazyFrame, decisions: pl.LazyFrame | None) -> pl.LazyFrame:
    """``mention_id``, ``person_no``, ``_rejected_by``: the cadres a reviewed ``reject`` line says
    a mention is not (matched on source, source_key and the subject's name key, as
    :func:`apply_decisions` matches)."""
    schema = pl.Schema({"mention_id": mentions.collect_schema()["mention_id"],
                        "person_no": pl.String(), "_rejected_by": pl.String()})  # fmt: skip
    empty = pl.LazyFrame(schema=schema)
    if decisions is None or "rejected" not in decisions.collect_schema().names():
        return empty
    lines = decisions.filter(pl.col("decision").str.strip_chars() == REJECT).select(
        "source", "source_key", nz.name_key(pl.col("subject_name")).alias("name_key"),
        pl.col("rejected").str.strip_chars().alias("person_no"),
        pl.col("decided_by").alias("_rejected_by"),
    )  # fmt: skip
    return (
        mentions.select("mention_id", "source", "source_key", "name_key")
        .join(lines, on=["source", "source_key", "name_key"])
        .select("mention_id", "person_no", "_rejected_by")
        .unique(["mention_id", "person_no"], keep="first", maintain_order=True)
        .cast(schema)
    )


def _unless_rejected(first: pl.LazyFrame, rejected: pl.LazyFrame) -> pl.LazyFrame:
    """Stages 1 and 2 without the links a person rejected: the 人员编号 or ID number names a cadre
    the record is not, so it is no evidence; the record goes on to the candidates."""
    hit = pl.col("_rejected_by").is_not_null()
    return (
        first.join(rejected, on=["mention_id", "person_no"], how="left")
        .with_columns(
            pl.when(hit).then(None).otherwise(pl.col("person_no")).alias("person_no"),
            pl.when(hit).then(None).otherwise(pl.col("link_method")).alias("link_method"),
            _joined_notes(pl.col("_notes"), pl.when(hit).then(pl.format(
                "the record's {} names {}, whom {} rejected: not used", pl.col("link_method"),
                pl.col("person_no"), pl.col("_rejected_by")))).alias("_notes"),
        )
        .drop("_rejected_by")
    )  # fmt: skip


def _review(scored: pl.LazyFrame, out: pl.LazyFrame, mentions: pl.LazyFrame) -> pl.LazyFrame:
    """The candidates of every mention in review, with the record's own evidence beside them;
    a candidate a person rejected is not listed again."""
    in_review = out.filter(pl.col("link_status") == REVIEW).select("mention_id")
    record = mentions.select(
        "mention_id", "source", "source_key", "subject_name", "subject_index", "unit_given", "post_given"
    )  # fmt: skip
    return (
        scored.filter(~pl.col("rejected"))
        .join(in_review, on="mention_id")
        .join(record, on="mention_id")
        .rename({"person_no": "candidate_person_no", "unit": "candidate_unit", "post": "candidate_post",
                 "start": "candidate_from", "end": "candidate_to"})
        .drop("conflict", "rejected")
        .sort("mention_id", "score", "candidate_person_no", descending=[False, True, False])
    )  # fmt: skip


def apply_decisions(linked: pl.LazyFrame, decisions: pl.LazyFrame) -> pl.LazyFrame:
    """Reviewed decisions win over the linker: they are applied on every run, matched on
    (source, source_key, the subject's name key). ``decisions`` are the lines
    :func:`transforms.decisions_check.check_link_decisions` applies (a ``reject`` line is
    :func:`link`'s, not applied here); a record decided two ways
    here all the same is left to the linker (never "last wins"). An ``override`` (the reason a
    decision stands against the name or region check) is written into the note."""
    names = decisions.collect_schema().names()
    override = pl.col("override") if "override" in names else pl.lit(None, dtype=pl.String)
    decisions = decisions.filter(pl.col("decision").str.strip_chars() != REJECT)
    key = ["source", "source_key", "name_key"]
    manual = (
        decisions.select(
            "source",
            "source_key",
            nz.name_key(pl.col("subject_name")).alias("name_key"),
            pl.col("decision").str.strip_chars().alias("_decision"),
            pl.col("decided_by").alias("_decided_by"),
            override.alias("_override"),
        )
        .filter(pl.col("_decision").n_unique().over(key) == 1)
        .unique(subset=key, keep="first", maintain_order=True)
    )
    matched = pl.col("_decision").is_not_null()
    not_in_roster = pl.col("_decision") == NOT_IN_ROSTER
    note = pl.format("reviewed by {}: {}", pl.col("_decided_by"), pl.col("_decision"))
    note = (
        pl.when(pl.col("_override").is_not_null())
        .then(pl.format("{} (override: {})", note, pl.col("_override")))
        .otherwise(note)
    )
    return (
        linked.join(manual, on=key, how="left")
        .with_columns(
            pl.when(matched)
            .then(pl.when(not_in_roster).then(None).otherwise(pl.col("_decision")))
            .otherwise(pl.col("person_no"))
            .alias("person_no"),
            pl.when(matched)
            .then(pl.lit("manual"))
            .otherwise(pl.col("link_method"))
            .alias("link_method"),
            pl.when(matched)
            .then(pl.when(not_in_roster).then(pl.lit(UNLINKED)).otherwise(pl.lit(LINKED)))
            .otherwise(pl.col("link_status"))
            .alias("link_status"),
            pl.when(matched).then(pl.lit(1.0)).otherwise(pl.col("link_score")).alias("link_score"),
            pl.when(matched).then(note).otherwise(pl.col("link_note")).alias("link_note"),
        )  # fmt: skip
        .drop("_decision", "_decided_by", "_override")
    )
