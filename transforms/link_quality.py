"""How good the links are, against a ground truth (the generator's ``truth/links.parquet``).

Definitions (per source and overall):

- precision: correct links / all links (a link made for an outsider is wrong);
- resolvable: the named person is a roster cadre and the record's own evidence identifies them: a
  人员编号 or valid ID number, or name and unit (with the post where given) shared with no other
  cadre (as the generator wrote it, not as the linker reads it);
- recall: correct links / resolvable records;
- homonym_links: links made on records without a 人员编号 or valid ID whose person has an
  indistinguishable homonym in the same unit (same name, same unit, and same post or none given).
  Must be 0.
"""

import polars as pl


def evaluate(linked: pl.LazyFrame, truth: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.DataFrame:
    """Per-source metrics of the linker's output against the truth.

    ``truth`` says, independently of the linker, who each record concerns and whether its own
    evidence could identify them (``resolvable``, ``homonym``): the generator knows what it wrote.
    A person whose roster row was quarantined (not in ``cadres``) cannot be linked to, so their
    records do not count as resolvable.
    """
    landed = cadres.select(pl.col("person_no").alias("true_person"), pl.lit(True).alias("_landed"))
    t = truth.select(
        "source", pl.col("file").alias("_source_file"), pl.col("row").alias("_source_row"), "subject_index",
        pl.col("person_no").alias("true_person"), "resolvable", "homonym",
    )  # fmt: skip
    scored = (
        linked.join(t, on=["source", "_source_file", "_source_row", "subject_index"])
        .join(landed, on="true_person", how="left")
        .with_columns(pl.col("resolvable") & pl.col("_landed").fill_null(False))
    ).with_columns(
        (pl.col("link_status") == "linked").alias("_linked"),
        (pl.col("person_no") == pl.col("true_person")).fill_null(False).alias("_correct"),
    )
    per_source = scored.group_by("source").agg(
        pl.len().alias("records"),
        pl.col("_linked").sum().alias("links"),
        (pl.col("_linked") & pl.col("_correct")).sum().alias("correct"),
        pl.col("resolvable").sum().alias("resolvable"),
        (pl.col("resolvable") & pl.col("_linked") & pl.col("_correct"))
        .sum()
        .alias("resolvable_linked"),
        (pl.col("link_status") == "review").sum().alias("review"),
        (pl.col("link_status") == "unlinked").sum().alias("unlinked"),
        (pl.col("homonym") & pl.col("_linked")).sum().alias("homonym_links"),
    )
    totals = per_source.select(pl.lit("all").alias("source"), pl.exclude("source").sum())
    return (
        pl.concat([per_source.sort("source"), totals])
        .with_columns(
            (pl.col("correct") / pl.col("links")).alias("precision"),
            (pl.col("resolvable_linked") / pl.col("resolvable")).alias("recall"),
        )
        .collect()
    )
