"""``dajiandu bench tolerance``: 容错 pairing against the generator's truth, before and after.

For each roster size and each template family of the generator's 容错 decisions — ``default``
(the decision repeats the measure's 事由) and ``paraphrase`` (an official rewrites it: other
verbs and order, amounts and months in other forms, sibling decisions of the same cadre on
another project in the same town) — sample sources are generated, the pipeline is run, and the
pairs of every 予以容错/部分容错 decision with the same cadre's measures in the window are listed
twice from silver:

- ``bigram``: the scorer as it was — a pair is listed when the decision cites the measure's 文号
  or the character-bigram overlap of the two matters reaches ``min_similarity`` (0.5);
- ``evidence``: ``gold/tolerance_review`` as it is (``transforms.tolerance_cover``): the named
  project, amounts, months, places and the bigram overlap, weighed, a disagreeing project or
  amount excluding the pair.

Each listing is scored by ``transforms.warning_quality.pair_quality`` against
``truth/tolerance_pairs.csv``: recall over the true pairs whose decision and measure linked, and
decoys listed (a measure of the same cadre on another matter), beside the decoys whose decision
and measure both linked (``of decoys``). The bench exits 1 when the
evidence scorer lists a decoy or finds under ``RECALL_FLOOR`` of the true pairs in either family.
"""

import shutil
from pathlib import Path
from typing import Any

from orchestration.bench import harness

FAMILIES = ("default", "paraphrase")
SCORERS = ("bigram", "evidence")
RECALL_FLOOR = 0.9
TABLE = harness.Table(
    harness.Column("cadres", 10, ","),
    harness.Column("family", 12, left=True, gap=2),
    harness.Column("scorer", 10, left=True),
    harness.Column("true pairs", 11, ","),
    harness.Column("found", 7, ","),
    harness.Column("recall", 8, ".3f"),
    harness.Column("listed", 8, ","),
    harness.Column("decoys", 8, ","),
    harness.Column("of decoys", 11, ","),
    harness.Column("seconds", 9, ".2f"),
)


def bench_tolerance(sizes: list[int], workdir: Path, seed: int = 7) -> int:
    """Recall and decoys listed of the old and the new 容错 pairing, on both template families.

    Args:
        sizes: roster sizes to generate.
        workdir: scratch folder (``<workdir>/<family>/<cadres>``), left for inspection.
        seed: the generator's seed.

    Returns:
        0, or 1 when the evidence scorer lists a decoy or falls below ``RECALL_FLOOR``.
    """
    print(TABLE.header(), flush=True)
    figures: list[dict[str, Any]] = []
    failed = False
    for cadres in sizes:
        for family in FAMILIES:
            root = workdir / family / str(cadres)
            shutil.rmtree(root, ignore_errors=True)
            command = harness.child_command(
                "tolerance", "generate", root / "sources", cadres, seed, family
            )
            generation = harness.timed(command, f"generate {family} at {cadres:,} cadres")
            sample = harness.Sample(cadres, root, generation)
            harness.run_pipeline(sample)
            command = harness.child_command("tolerance", "score", sample.warehouse, sample.truth)
            for record in harness.timed(command, f"score {family} at {cadres:,}").records:
                print(TABLE.row(cadres, family, record["scorer"], record["true_pairs"],
                                record["found"], record["recall"], record["listed"],
                                record["decoys_listed"], record["decoys"], record["seconds"]), flush=True)  # fmt: skip
                figures.append({"cadres": cadres, "family": family, **record})
                if record["scorer"] == "evidence":
                    failed |= record["decoys_listed"] > 0 or not record["recall"] >= RECALL_FLOOR
    harness.save_figures(workdir, "tolerance", figures)
    if failed:
        print(f"the evidence scorer listed a decoy or found under {RECALL_FLOOR:.0%} of the pairs")
    return 1 if failed else 0


def _generate(out: str, cadres: str, seed: str, family: str) -> None:
    from warehouse.samples import generate

    generate(out, cadres=int(cadres), seed=int(seed), tolerance_family=family)


def _score(warehouse: str, truth: str) -> None:
    import time

    import polars as pl

    from transforms.tolerance_cover import candidate_pairs, matter_texts, tolerance_review
    from transforms.warning_quality import pair_quality
    from warehouse.layer_inputs import silver_inputs
    from warehouse.rules import load_rules
    from warehouse.store import Warehouse

    store = Warehouse(Path(warehouse))
    silver = silver_inputs(store)
    policy = load_rules().tolerance_coverage
    pairs = pl.scan_csv(Path(truth) / "tolerance_pairs.csv", infer_schema=False)
    matters = matter_texts(silver.sanctions, silver.audit, silver.tolerance)
    linked = silver.events.filter(pl.col("link_status") == "linked")
    decoys = (
        pairs.filter(pl.col("covered").str.to_lowercase() == "false")
        .with_columns(pl.format("sanction|{}|{}|0", "file", "row").alias("event_id"))
        .join(linked.select("event_id"), on="event_id", how="semi")
        .join(linked.select(pl.col("source_key").alias("case_no")), on="case_no", how="semi")
        .select(pl.len())
        .collect()
        .item()
    )
    for scorer in SCORERS:
        start = time.perf_counter()
        if scorer == "bigram":
            listed = (
                candidate_pairs(silver.events, matters, policy)
                .filter(pl.col("exact") | (pl.col("similarity") >= policy.min_similarity))
                .select("case_no", "measure_event_id")
                .collect()
            )
        else:
            review = tolerance_review(silver.events, matters, silver.tolerance_decisions, policy)
            listed = review.select("case_no", "measure_event_id").collect()
        seconds = time.perf_counter() - start
        quality = pair_quality(listed.lazy(), silver.events, pairs)
        harness.emit({"scorer": scorer, "seconds": seconds, "decoys": decoys, **quality})


if __name__ == "__main__":
    harness.child_main({"generate": _generate, "score": _score})
