"""How good the links are, against a ground truth (the generator's ``truth/links.parquet``).

Definitions, per source or per difficulty class (``class``: current post, rotation, renamed
unit, joint petition, outsider, typo …) and overall:

- precision: correct links / all links (a link made for an outsider is wrong);
- resolvable: the named person is a roster cadre and the record's own evidence identifies them
  — a 人员编号 or valid ID number, or name, unit and the post held then, shared with no other cadre
  at that unit then. Without S8 (``with_history=False``) only current posts are known, so a
  record about an earlier post is not resolvable: a careful person could not place it either.
  As the generator wrote it, not as the linker reads it;
- recall: correct links / resolvable records;
- homonym_links: links made on records without a 人员编号 or valid ID whose person has an
  indistinguishable namesake at that unit then. Must be 0.
"""

import polars as pl

MEASURES = ("records", "links", "correct", "wrong", "resolvable", "resolvable_linked", "review",
            "unlinked", "homonym_links", "precision", "recall")  # fmt: skip


def evaluate(
    linked: pl.LazyFrame,
    truth: pl.LazyFrame,
    cadres: pl.LazyFrame,
    by: str = "source",
    with_history: bool = True,
) -> pl.DataFrame:
    """Metrics of the linker's output against the truth, per ``by`` (``source`` or ``class``),
    with an ``all`` row last.

    A person whose roster row was quarantined (not in ``cadres``) cannot be linked to, so their
    records do not count as resolvable.
    """
    landed = cadres.select(pl.col("person_no").alias("true_person"), pl.lit(True).alias("_landed"))
    resolvable = "resolvable" if with_history else "resolvable_without_history"
    t = truth.select(
        "source", pl.col("file").alias("_source_file"), pl.col("row").alias("_source_row"),
        "subject_index", pl.col("person_no").alias("true_person"),
        pl.col(resolvable).alias("resolvable"), "homonym", pl.col("class").alias("class"),
    )  # fmt: skip
    scored = (
        linked.drop("class", strict=False)
        .join(t, on=["source", "_source_file", "_source_row", "subject_index"])
        .join(landed, on="true_person", how="left")
        .with_columns(pl.col("resolvable") & pl.col("_landed").fill_null(False))
        .with_columns(
            (pl.col("link_status") == "linked").alias("_linked"),
            (pl.col("person_no") == pl.col("true_person")).fill_null(False).alias("_correct"),
        )
    )
    counts = scored.group_by(by).agg(
        pl.len().alias("records"),
        pl.col("_linked").sum().alias("links"),
        (pl.col("_linked") & pl.col("_correct")).sum().alias("correct"),
        (pl.col("_linked") & ~pl.col("_correct")).sum().alias("wrong"),
        pl.col("resolvable").sum().alias("resolvable"),
        (pl.col("resolvable") & pl.col("_linked") & pl.col("_correct")).sum().alias("resolvable_linked"),
        (pl.col("link_status") == "review").sum().alias("review"),
        (pl.col("link_status") == "unlinked").sum().alias("unlinked"),
        (pl.col("homonym") & pl.col("_linked")).sum().alias("homonym_links"),
    )  # fmt: skip
    totals = counts.select(pl.lit("all").alias(by), pl.exclude(by).sum())
    return (
        pl.concat([counts.sort(by), totals])
        .with_columns(
            (pl.col("correct") / pl.col("links")).alias("precision"),
            (pl.col("resolvable_linked") / pl.col("resolvable")).alias("recall"),
        )
        .collect()
    )
