"""``dajiandu bench link``: our linker and a Splink 5 baseline on the same generated data, same run.

Both get the same prepared evidence per record: the name key, the unit's region (county prefix)
and department or town (tail, abbreviations spelled out), the post, a valid ID number and a
人员编号. Splink (DuckDB backend) compares them with exact matches and term-frequency adjustments,
trains u by random sampling and m by expectation maximisation, and links each record to its best
candidate at match probability >= 0.95 when that candidate is unique at the top. Both outputs are
scored by ``transforms.link_quality.evaluate`` against the generator's truth.

Splink is an optional extra (``pip install .[bench]``); it is imported only here.
"""

import json
import sys
import time
from pathlib import Path

import polars as pl

from transforms import events as ev
from transforms import linking as lk
from transforms.link_quality import evaluate
from warehouse.rules import load_linking_rules
from warehouse.store import Warehouse

TRUTH_SOURCES = ["inspection", "audit", "petition", "sanction", "tolerance"]
SPLINK_THRESHOLD = 0.95


def _inputs(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame, lk.LinkRules]:
    store = Warehouse(warehouse)
    rules = lk.LinkRules(**load_linking_rules())
    cadres = lk.prepare_cadres(
        ev.cadres_from_roster(store.scan("bronze", "roster")), rules
    ).collect()
    mentions = pl.concat(
        [ev.BUILDERS[s](store.scan("bronze", s)) for s in TRUTH_SOURCES]
    ).with_row_index("mention_id")
    return cadres, mentions.collect(), rules


def run_ours(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """Our linker, timed from raw mentions to decisions."""
    cadres, mentions, rules = _inputs(warehouse)
    start = time.perf_counter()
    prepared = lk.prepare_mentions(mentions.lazy(), rules)
    linked, _ = lk.link(prepared, cadres.lazy(), rules)
    out = linked.collect()
    return out, cadres, time.perf_counter() - start


def run_splink(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """The Splink 5 baseline on the same prepared evidence, timed from prepared keys to decisions."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    cadres, mentions, rules = _inputs(warehouse)
    prepared = lk.prepare_mentions(mentions.lazy(), rules).collect()  # the same keys ours uses
    left = cadres.select(
        pl.col("person_no").alias("unique_id"), "name_key", "unit_tail", "unit_prefix", "post_key", "id_number",
        pl.col("person_no").alias("person_no_key"),
    )  # fmt: skip
    valid_id = pl.col("id_status").is_in(["valid", "upgraded_15"])
    right = prepared.select(
        pl.format("m{}", "mention_id").alias("unique_id"), "name_key", "unit_tail", "unit_prefix", "post_key",
        pl.when(valid_id).then(pl.col("id_number")).alias("id_number"), pl.col("person_no_given").alias("person_no_key"),
    )  # fmt: skip
    start = time.perf_counter()
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.ExactMatch("name_key").configure(term_frequency_adjustments=True),
            cl.ExactMatch("unit_tail").configure(term_frequency_adjustments=True),
            cl.ExactMatch("unit_prefix").configure(term_frequency_adjustments=True),
            cl.ExactMatch("post_key").configure(term_frequency_adjustments=True),
            cl.ExactMatch("id_number"),
            cl.ExactMatch("person_no_key"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("id_number"),
            block_on("person_no_key"),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(
        [
            db.register(left.to_pandas(), table_name="cadres"),
            db.register(right.to_pandas(), table_name="mentions"),
        ],
        settings,
        log_level="WARNING",
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("person_no_key")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_key"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("unit_tail", "unit_prefix")
    )
    pairs = pl.from_pandas(
        linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    )
    seconds = time.perf_counter() - start
    mention_side = (
        "unique_id_r" if pairs["unique_id_r"].str.starts_with("m").all() else "unique_id_l"
    )
    cadre_side = "unique_id_l" if mention_side == "unique_id_r" else "unique_id_r"
    best = (
        pairs.select(
            pl.col(mention_side).str.slice(1).cast(pl.UInt32).alias("mention_id"),
            pl.col(cadre_side).alias("candidate"),
            "match_probability",
        )
        .sort("mention_id", "match_probability", descending=[False, True])
        .group_by("mention_id", maintain_order=True)
        .agg(
            pl.col("candidate").first(),
            pl.col("match_probability").first().alias("p"),
            pl.col("match_probability").get(1, null_on_oob=True).alias("p2"),
        )  # fmt: skip
    )
    clear = (pl.col("p") >= SPLINK_THRESHOLD) & (
        pl.col("p2").is_null() | (pl.col("p2") < pl.col("p"))
    )
    decided = best.with_columns(
        pl.when(clear).then(pl.col("candidate")).alias("person_no"),
        pl.when(clear).then(pl.lit("linked")).otherwise(pl.lit("review")).alias("link_status"),
        pl.lit("splink").alias("link_method"),
    ).select("mention_id", "person_no", "link_status", "link_method")
    out = mentions.join(decided, on="mention_id", how="left").with_columns(
        pl.col("link_status").fill_null("unlinked")
    )
    return out, cadres, seconds


def child(what: str, warehouse: str, truth: str) -> None:
    """Run one linker and print its metrics as JSON (called in a child process by the bench)."""
    import resource

    runner = run_ours if what == "ours" else run_splink
    out, cadres, seconds = runner(Path(warehouse))
    metrics = evaluate(out.lazy(), pl.scan_parquet(Path(truth) / "links.parquet"), cadres.lazy())
    overall = metrics.filter(pl.col("source") == "all").row(0, named=True)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "overall": overall,
                "per_source": metrics.to_dicts(),
            },
            default=float,
        )
    )


def scale(warehouse: str, copies: int) -> None:
    """Link every event of a warehouse (all six sources), the events repeated ``copies`` times:
    a measure of time and memory at volume, printed as JSON."""
    import resource

    store = Warehouse(warehouse)
    rules = lk.LinkRules(**load_linking_rules())
    start = time.perf_counter()
    cadres = lk.prepare_cadres(
        ev.cadres_from_roster(store.scan("bronze", "roster")), rules
    ).collect()
    mentions = pl.concat(
        [build(store.scan("bronze", s)) for s, build in ev.BUILDERS.items()]
    ).collect()
    mentions = pl.concat([mentions] * copies).with_row_index("mention_id")
    loaded = time.perf_counter() - start
    linked, review = lk.link(lk.prepare_mentions(mentions.lazy(), rules), cadres.lazy(), rules)
    out, queue = pl.collect_all([linked, review])
    total = time.perf_counter() - start
    status = dict(out.group_by("link_status").len().iter_rows())
    figures = {"cadres": cadres.height, "events": out.height, "load_seconds": loaded, "total_seconds": total,
               "review_rows": queue.height, "status": status,
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "scale":
    scale(sys.argv[2], int(sys.argv[3]))
elif __name__ == "__main__" and len(sys.argv) == 4:
    child(sys.argv[1], sys.argv[2], sys.argv[3])
