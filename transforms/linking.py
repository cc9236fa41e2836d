"""The linker: which roster cadre (if any) each person named in a supervision record is.

Precision first. Stages, each only for what the previous left open:

1. ``person_no``: the record carries a 人员编号 found in the roster.
2. ``id_number``: the record carries an ID number that passes its check character (a 15-digit one
   upgraded) and belongs to exactly one cadre. A number failing its check is not evidence; the
   note says so and the next stage decides.
3. ``name_unit``: candidates share the name key (or, where characters differ, the pinyin) and the
   department or town of the unit; each is scored on name, unit (abbreviation-aware, county prefix
   optional) and post. The best is linked only when it reaches the link threshold and beats the
   second by the margin; close candidates go to review; nobody above the review threshold leaves
   the person unlinked (village cadres, retirees, outsiders).
4. ``manual``: a reviewed decision ("this record is this cadre" or "not in roster") overrides all.

Everything here is Polars in, Polars out; rules arrive as arguments (``LinkRules``).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.link_keys import pinyin_key, prepare_cadres, prepare_mentions, unit_parts

__all__ = ["LinkRules", "link", "prepare_cadres", "prepare_mentions", "unit_parts", "pinyin_key"]

NOT_IN_ROSTER = "NOT_IN_ROSTER"
LINKED, REVIEW, UNLINKED = "linked", "review", "unlinked"


@dataclass(frozen=True)
class LinkRules:
    """Thresholds, weights and the unit-abbreviation table (see ``warehouse/rules/linking.yaml``)."""

    weights: Mapping[str, float]
    unit_similarity: Mapping[str, float]
    pinyin_name: float
    link_threshold: float
    review_threshold: float
    margin: float
    abbreviations: Mapping[str, str]
    name_only_candidates: int = 5


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
            pl.concat_list(
                pl.when(
                    pl.col("person_no_given").is_not_null() & pl.col("_known_no").is_null()
                ).then(pl.lit("人员编号 not in the roster")),
                pl.when(pl.col("id_status") == "bad_check").then(
                    pl.lit("ID number fails its check character: not used as evidence")
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
            )
            .list.drop_nulls()
            .alias("_notes"),
        )
        .drop("_known_no", "_id_person", "_id_holders")
    )


def candidates(open_mentions: pl.LazyFrame, cadres: pl.LazyFrame, rules: LinkRules) -> pl.LazyFrame:
    """Stage 3 scoring: one row per (mention, plausible cadre) with every score that decided it.

    Blocking: same name key and same unit tail; same pinyin (other characters) and same unit tail;
    for a record naming no unit, same name key alone: such candidates (``name_only``) can never be
    linked by score, but when there are few of them (``name_only_candidates``) they go to review.
    """
    c = cadres.select(
        "person_no", "name_key", "pinyin_key", "unit",
        pl.col("unit_prefix").alias("c_prefix"), "unit_tail", pl.col("post_key").alias("c_post"),
    )  # fmt: skip
    m = open_mentions.select(
        "mention_id", "name_key", "unit_prefix", "unit_tail", "post_key"
    ).with_columns(
        pinyin_key(pl.col("name_key")).alias(
            "pinyin_key"
        )  # only for the records the keys left open
    )
    exact = m.join(c.drop("pinyin_key"), on=["name_key", "unit_tail"]).with_columns(
        pl.lit(1.0).alias("name_score")
    )
    sound = (
        m.join(c.rename({"name_key": "c_name_key"}), on=["pinyin_key", "unit_tail"])
        .filter(pl.col("c_name_key") != pl.col("name_key"))
        .drop("c_name_key")
        .with_columns(pl.lit(rules.pinyin_name).alias("name_score"))
    )
    no_unit = (
        m.filter(pl.col("unit_tail").is_null())
        .drop("unit_tail")
        .join(c.drop("pinyin_key", "unit_tail"), on="name_key")
        .with_columns(
            pl.lit(1.0).alias("name_score"), pl.lit(None, dtype=pl.String).alias("unit_tail")
        )
        .with_columns(
            (pl.len().over("mention_id") <= rules.name_only_candidates).alias("name_only")
        )
    )  # the record names no unit: the cadre's unit is no evidence either way
    columns = [
        "mention_id",
        "person_no",
        "unit",
        "name_score",
        "unit_prefix",
        "c_prefix",
        "unit_tail",
        "post_key",
        "c_post",
    ]
    with_unit = [
        f.with_columns(pl.lit(False).alias("name_only")).select(*columns, "name_only")
        for f in (exact, sound)
    ]
    joined = pl.concat([*with_unit, no_unit.select(*columns, "name_only")])
    sim = rules.unit_similarity
    unit_score = (
        pl.when(pl.col("unit_tail").is_null())
        .then(pl.lit(sim["different"]))
        .when(pl.col("unit_prefix") == pl.col("c_prefix"))
        .then(pl.lit(sim["same"]))
        .when(pl.col("unit_prefix").is_null() | pl.col("c_prefix").is_null())
        .then(pl.lit(sim["prefix_missing"]))
        .otherwise(pl.lit(sim["other_region"]))
    )
    post_score = (
        pl.when(pl.col("post_key").is_null() | pl.col("c_post").is_null())
        .then(pl.lit(0.5))
        .when(pl.col("post_key") == pl.col("c_post"))
        .then(pl.lit(1.0))
        .when(pl.col("c_post").str.contains(pl.col("post_key"), literal=True) | pl.col("post_key").str.contains(pl.col("c_post"), literal=True))
        .then(pl.lit(0.5))
        .otherwise(pl.lit(0.0))
    )  # fmt: skip
    w = rules.weights
    return (
        joined.with_columns(unit_score.alias("unit_score"), post_score.alias("post_score"))
        .with_columns(
            (
                w["name"] * pl.col("name_score")
                + w["unit"] * pl.col("unit_score")
                + w["post"] * pl.col("post_score")
            )
            .round(4)
            .alias("score")
        )
        .select(
            "mention_id",
            "person_no",
            "unit",
            "name_score",
            "unit_score",
            "post_score",
            "score",
            "name_only",
        )
    )


def _decide(scored: pl.LazyFrame, rules: LinkRules) -> pl.LazyFrame:
    """Per mention: linked (clear best above threshold), review (close or uncertain), unlinked."""
    ranked = scored.sort(["mention_id", "score", "person_no"], descending=[False, True, False])
    best = ranked.group_by("mention_id").agg(
        pl.col("person_no").first().alias("_best_person"),
        pl.col("score").first().alias("_best"),
        pl.col("score").get(1, null_on_oob=True).alias("_second"),
        ((pl.col("score") >= rules.review_threshold) | pl.col("name_only"))
        .sum()
        .alias("_plausible"),
    )
    clear = pl.col("_second").is_null() | (
        pl.col("_best") - pl.col("_second") >= rules.margin - 1e-9
    )
    return best.with_columns(
        pl.when((pl.col("_best") >= rules.link_threshold - 1e-9) & clear)
        .then(pl.lit(LINKED))
        .when(pl.col("_plausible") > 0)
        .then(pl.lit(REVIEW))
        .otherwise(pl.lit(UNLINKED))
        .alias("_decision")
    )


def link(
    mentions: pl.LazyFrame,
    cadres: pl.LazyFrame,
    rules: LinkRules,
    decisions: pl.LazyFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Link prepared mentions to prepared cadres.

    Args:
        mentions: :func:`prepare_mentions` output with a unique ``mention_id`` plus ``source``,
            ``source_key`` and ``subject_name``.
        cadres: :func:`prepare_cadres` output.
        rules: thresholds and weights.
        decisions: reviewed decisions: ``source``, ``source_key``, ``subject_name``, ``decision``
            (a 人员编号 or ``NOT_IN_ROSTER``), ``decided_by``.

    Returns:
        The mentions with ``person_no``, ``link_method``, ``link_score``, ``link_status`` and
        ``link_note``; and the review queue (one row per mention and candidate, with its scores).
    """
    first = _deterministic(mentions, cadres)
    open_ = first.filter(pl.col("person_no").is_null())
    scored = candidates(open_, cadres, rules)
    decided = _decide(scored, rules)
    out = (
        first.join(decided, on="mention_id", how="left")
        .with_columns(
            pl.when(pl.col("person_no").is_not_null())
            .then(pl.lit(LINKED))
            .otherwise(pl.col("_decision").fill_null(UNLINKED))
            .alias("link_status")
        )
        .with_columns(
            pl.coalesce(
                "person_no", pl.when(pl.col("link_status") == LINKED).then(pl.col("_best_person"))
            ).alias("person_no"),
            pl.coalesce(
                "link_method", pl.when(pl.col("link_status") == LINKED).then(pl.lit("name_unit"))
            ).alias("link_method"),
            pl.when(pl.col("link_method").is_not_null())
            .then(pl.lit(1.0))
            .otherwise(pl.col("_best"))
            .alias("link_score"),
            pl.col("_notes")
            .list.concat(
                pl.concat_list(
                    pl.when(pl.col("link_status") == REVIEW).then(
                        pl.format(
                            "{} plausible candidate(s); best score {}",
                            pl.col("_plausible"),
                            pl.col("_best"),
                        )
                    ),
                    pl.when((pl.col("link_status") == UNLINKED) & pl.col("_best").is_null()).then(
                        pl.lit("no cadre with this name in this unit")
                    ),
                    pl.when(
                        (pl.col("link_status") == UNLINKED) & pl.col("_best").is_not_null()
                    ).then(
                        pl.format(
                            "best candidate scored {}, below the review threshold", pl.col("_best")
                        )
                    ),
                ).list.drop_nulls()
            )
            .list.join("; ")
            .alias("link_note"),
        )
        .drop("_notes", "_best_person", "_best", "_second", "_plausible", "_decision")
    )
    if decisions is not None:
        out = apply_decisions(out, decisions)
    review = (
        scored.join(
            out.filter(pl.col("link_status") == REVIEW).select("mention_id"), on="mention_id"
        )
        .filter((pl.col("score") >= rules.review_threshold) | pl.col("name_only"))
        .join(
            mentions.select(
                "mention_id",
                "source",
                "source_key",
                "subject_name",
                "subject_index",
                "unit_given",
                "post_given",
            ),
            on="mention_id",
        )
        .rename({"person_no": "candidate_person_no", "unit": "candidate_unit"})
        .sort("mention_id", "score", "candidate_person_no", descending=[False, True, False])
    )
    return out, review


def apply_decisions(linked: pl.LazyFrame, decisions: pl.LazyFrame) -> pl.LazyFrame:
    """Reviewed decisions win over the linker: they are applied on every run, matched on
    (source, source_key, the subject's name key)."""
    manual = decisions.select(
        "source",
        "source_key",
        nz.name_key(pl.col("subject_name")).alias("name_key"),
        pl.col("decision").str.strip_chars().alias("_decision"),
        pl.col("decided_by").alias("_decided_by"),
    ).unique(subset=["source", "source_key", "name_key"], keep="last")
    matched = pl.col("_decision").is_not_null()
    not_in_roster = pl.col("_decision") == NOT_IN_ROSTER
    return (
        linked.join(manual, on=["source", "source_key", "name_key"], how="left")
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
            pl.when(matched)
            .then(pl.format("reviewed by {}: {}", pl.col("_decided_by"), pl.col("_decision")))
            .otherwise(pl.col("link_note"))
            .alias("link_note"),
        )  # fmt: skip
        .drop("_decision", "_decided_by")
    )
