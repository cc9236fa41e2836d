"""``dajiandu bench link``: our linker and a Splink 5 baseline on the same generated data, same run.

Both get the same prepared evidence per record: the name key, the unit's region (county prefix)
and department or town (tail, abbreviations spelled out), the post, a valid ID number and a
人员编号. Ours also gets every post each cadre held (S8), and is run a second time without it
(``ours-noS8``: current posts only, scored against what is resolvable from them). Splink (DuckDB backend) compares them with exact matches and term-frequency adjustments,
trains u by random sampling and m by expectation maximisation, and links each record to its best
candidate at match probability >= 0.95 when that candidate is unique at the top. Every output is
scored by ``transforms.link_quality.evaluate`` against the generator's truth, overall and per
difficulty class (rotation, renamed unit, joint petition, outsider, typo …); a class of ours below
``PRECISION_FLOOR`` is flagged and makes the bench exit 1.

``--profile`` (repeatable) benches each region profile of the generator
(:mod:`warehouse.samples.profiles`: ``default``, ``prefecture``, ``autonomous``), with its own
classes (unit written without the prefecture, short or within its county, concurrent and 挂职
posts, cadres who left, local renames and transfers). Each class is printed with ours, ours
without S8 and Splink side by side: precision, recall of the resolvable records, review size,
wrong links and outsiders linked (links made for somebody off the roster). The linkers read the
bronze tables: when ``dajiandu run`` stops on a profile's exports the bench says so and why, and
still links what was ingested.

Splink is an optional extra (``pip install .[bench]``); it is imported only here. The linker and
the store are imported by the children alone (see :mod:`orchestration.bench.harness`).
"""

import shutil
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from orchestration.bench import harness

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from transforms.linking import LinkRules

TRUTH_SOURCES = ["inspection", "audit", "petition", "sanction", "tolerance"]
SPLINK_THRESHOLD = 0.95
PRECISION_FLOOR = 0.999
"""A class whose precision falls below this is flagged: a wrong link is worse than none."""
LINKERS = ("ours", "ours-noS8", "splink")
"""Ours with the post history (S8), ours on current posts only (a deployment without S8), and
Splink on the same current-post keys (it has no notion of a post held at a date)."""
TABLE = harness.Table(
    harness.Column("cadres", 10, ","),
    harness.Column("linker", 10, left=True, gap=2),
    harness.Column("records", 9, ","),
    harness.Column("precision", 11, ".4f"),
    harness.Column("recall", 9, ".4f"),
    harness.Column("review", 8, ","),
    harness.Column("homonym links", 15, ","),
    harness.Column("seconds", 9, ".2f"),
    harness.Column("peak MB", 9, ",.0f"),
)
CLASSES = harness.Table(
    harness.Column("class", 18, left=True),
    harness.Column("records", 8, ","),
    harness.Column("resolv.", 8, ","),
    harness.Column("P ours", 8, ".4f", gap=2),
    harness.Column("R ours", 7, ".3f"),
    harness.Column("review", 7, ","),
    harness.Column("wrong", 6, ","),
    harness.Column("outs.", 6, ","),
    harness.Column("P noS8", 8, ".4f", gap=2),
    harness.Column("R noS8", 7, ".3f"),
    harness.Column("P splink", 10, ".4f", gap=2),
    harness.Column("R splink", 9, ".3f"),
    harness.Column("review", 7, ","),
    harness.Column("wrong", 6, ","),
    harness.Column("outs.", 6, ","),
)
"""Per class: ours (with S8), ours without S8 (recall of what current posts resolve) and Splink.
``outs.``: links made for a record whose person is nobody of the roster (outsider, village)."""


def bench_link(
    sizes: list[int], workdir: Path, seed: int = 7, profiles: "Iterable[str]" = ("default",)
) -> int:
    """Our linker (with and without post history) and the Splink 5 baseline on the same generated
    data, for each region profile: quality overall and per difficulty class, time, ratios.

    Arguments and figures as every bench on generated data (see :mod:`orchestration.bench`);
    ``profiles``: the generator's region profiles to bench, each at every size.
    Returns 1 when a linker of ours falls below ``PRECISION_FLOOR`` in any class.
    """
    results, below = [], []
    for profile in profiles:
        for cadres in sizes:
            print(TABLE.aside(f"profile {profile} at {cadres:,} cadres:"), flush=True)
            print(TABLE.header(), flush=True)
            figures = _bench_one(workdir, cadres, seed, profile)
            below += _print_classes(profile, cadres, figures)
            results.append({"profile": profile, "cadres": cadres, **figures})
    harness.save_figures(workdir, "link", results)
    for line in below:
        print(line, flush=True)
    return 1 if below else 0


def _bench_one(workdir: Path, cadres: int, seed: int, profile: str) -> dict[str, Any]:
    """One profile at one size: generate, run, link with each linker; the figures by linker."""
    sample = _generate_sample(workdir, cadres, seed, profile)
    run = "ok"
    try:
        harness.run_pipeline(sample)
    except RuntimeError as failed:  # the linkers read bronze, which the run wrote before it
        run = _why(str(failed))
        print(TABLE.aside(f"dajiandu run FAILED on profile {profile}: {run}"), flush=True)
        if not (sample.warehouse / "bronze" / "roster").exists():
            raise
    figures: dict[str, Any] = {linker: _link_in_child(sample, linker) for linker in LINKERS}
    ours, splink = figures["ours"]["overall"], figures["splink"]["overall"]
    time_x = harness.ratio(figures["ours"]["seconds"], figures["splink"]["seconds"])
    recall, precision = (ours[k] - splink[k] for k in ("recall", "precision"))
    print(TABLE.aside(f"ours / splink: {time_x:.2f}x the time; recall {recall:+.4f}, "
                      f"precision {precision:+.4f}"), flush=True)  # fmt: skip
    figures["run"] = run
    return figures


def _why(failure: str) -> str:
    """The line of a failed run's stderr that says why (``run failed: …``), shortened."""
    lines = [line.strip() for line in failure.splitlines() if line.strip()]
    said = next((line for line in lines if "run failed:" in line), lines[-1] if lines else "")
    return said.split("run failed:", 1)[-1].strip()[:300]


def _generate_sample(workdir: Path, cadres: int, seed: int, profile: str) -> harness.Sample:
    """Fresh sources of a profile in ``workdir/<cadres>`` (default) or
    ``workdir/<profile>/<cadres>``, generated in a timed child."""
    root = (workdir if profile == "default" else workdir / profile) / str(cadres)
    shutil.rmtree(root, ignore_errors=True)
    command = harness.child_command("link", "generate", root / "sources", cadres, seed, profile)
    run = harness.timed(command, f"generate ({profile}) at {cadres:,} cadres")
    return harness.Sample(cadres, root, run)


def _generate(out: str, cadres: str, seed: str, profile: str) -> None:
    """Child: the generator's sources of one profile."""
    from warehouse.samples import generate

    generate(out, cadres=int(cadres), seed=int(seed), profile=profile)


def _print_classes(profile: str, cadres: int, figures: dict[str, Any]) -> list[str]:
    """Each class with ours, ours without S8 and Splink side by side; returns a line for each
    class of ours below the floor."""
    by = {linker: {c["class"]: c for c in figures[linker]["per_class"]} for linker in LINKERS}
    print(TABLE.aside(f"{profile} at {cadres:,} cadres, per class (run: {figures['run']}):"))
    print(CLASSES.header())
    below = []
    for name, o in by["ours"].items():
        n, s = by["ours-noS8"].get(name, {}), by["splink"].get(name, {})
        print(CLASSES.row(
            name, o["records"], o["resolvable"], _nan(o["precision"]), _nan(o["recall"]),
            o["review"], o["wrong"], o.get("outsiders", 0), _nan(n.get("precision")),
            _nan(n.get("recall")),
            _nan(s.get("precision")), _nan(s.get("recall")), s.get("review", 0),
            s.get("wrong", 0), s.get("outsiders", 0),
        ))  # fmt: skip
        for linker, c in (("ours", o), ("ours-noS8", n)):
            if c and c["links"] and c["precision"] < PRECISION_FLOOR:
                below.append(f"({linker}) PRECISION BELOW {PRECISION_FLOOR} on profile {profile} "
                             f"at {cadres:,} cadres: class {name}: {c['wrong']:,} wrong of "
                             f"{c['links']:,} links")  # fmt: skip
    unlanded = figures["ours"].get("unlanded", 0)
    if unlanded:
        print(TABLE.aside(f"{unlanded:,} records the truth calls resolvable name a cadre whose "
                          "roster row never landed (quarantined): not counted as resolvable"))  # fmt: skip
    return below


def _nan(value: object) -> float:
    """A figure that may be missing (no links, nothing resolvable) as NaN, printed ``nan``."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _link_in_child(sample: harness.Sample, linker: str) -> dict[str, Any]:
    """One linker on a sample's warehouse, scored in a child; prints its row of the table."""
    command = harness.child_command("link", linker, sample.warehouse, sample.truth)
    figures = harness.timed(command, f"link ({linker}) at {sample.cadres:,} cadres").records[-1]
    o = figures["overall"]
    scores = (o[k] for k in ("records", "precision", "recall", "review", "homonym_links"))
    print(TABLE.row(sample.cadres, linker, *scores, figures["seconds"], figures["peak_mb"]))
    return figures


@dataclass(frozen=True)
class Evidence:
    """What both linkers start from: the prepared cadres, every post each held (prepared), the
    raw mentions and the linking rules."""

    cadres: pl.DataFrame
    posts: pl.DataFrame
    mentions: pl.DataFrame
    rules: "LinkRules"


def _evidence(warehouse: Path | str, sources: "Iterable[str]", history: bool = True) -> Evidence:
    """The evidence of a warehouse's bronze tables, as ``silver/cadre`` builds it; ``history``
    False drops S8 (each cadre's current post is then its only interval)."""
    from transforms import linking as lk
    from transforms.event_links import mentions
    from transforms.silver import RosterFrames, cadre_tables
    from transforms.specs import EVENT_SOURCES
    from warehouse.ingest import empty_bronze
    from warehouse.layer_inputs import cadre_inputs
    from warehouse.rules import load_rules
    from warehouse.store import Warehouse

    store = Warehouse(warehouse)
    rules = load_rules()
    frames = cadre_inputs(store, rules).frames  # what silver/cadre reads
    if not history:
        frames = RosterFrames(frames.roster, empty_bronze("post_history"))
    built = cadre_tables(frames, rules.linking)
    cadres, posts = built.cadre, built.cadre_post
    # As silver/supervision_event links: the roster's own region names are known too.
    linking = lk.with_roster_regions(rules.linking, pl.concat([cadres["unit"], posts["unit"]]))
    held = lk.prepare_posts(posts.lazy(), cadres.lazy(), linking)
    named = mentions({s: store.scan("bronze", s) for s in EVENT_SOURCES}, rules.petition_counting)
    wanted = named.filter(pl.col("source").is_in(list(sources))).with_row_index("mention_id")
    p, m = pl.collect_all([held, wanted])
    return Evidence(cadres, p, m, linking)


def run_ours(warehouse: Path, history: bool = True) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """Our linker, timed from raw mentions to decisions.

    Returns:
        The mentions with their decisions, the prepared cadres, and the seconds.
    """
    from transforms import linking as lk

    e = _evidence(warehouse, TRUTH_SOURCES, history)
    start = time.perf_counter()
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules)
    linked, _ = lk.link(prepared, e.cadres.lazy(), e.posts.lazy(), e.rules)
    out = linked.collect()
    return out, e.cadres, time.perf_counter() - start


def run_splink(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """The Splink 5 baseline on the same prepared evidence, timed from prepared keys to decisions.

    Returns:
        The mentions with their decisions, the prepared cadres, and the seconds.
    """
    from transforms import linking as lk

    e = _evidence(warehouse, TRUTH_SOURCES, history=False)
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules).collect()  # the keys ours uses
    pairs, seconds = _splink_pairs(*_splink_records(e.cadres, prepared))
    out = e.mentions.join(_best_candidates(pairs), on="mention_id", how="left").with_columns(
        pl.col("link_status").fill_null("unlinked")
    )
    return out, e.cadres, seconds


def _splink_records(cadres: pl.DataFrame, prepared: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """The two sides Splink links, with the same keys: cadres (left) and mentions (right)."""
    left = cadres.select(
        pl.col("person_no").alias("unique_id"), "name_key", "unit_tail", "unit_prefix", "post_key",
        "id_number", pl.col("person_no").alias("person_no_key"),
    )  # fmt: skip
    valid_id = pl.col("id_status").is_in(["valid", "upgraded_15"])
    right = prepared.select(
        pl.format("m{}", "mention_id").alias("unique_id"), "name_key", "unit_tail", "unit_prefix",
        "post_key", pl.when(valid_id).then(pl.col("id_number")).alias("id_number"),
        pl.col("person_no_given").alias("person_no_key"),
    )  # fmt: skip
    return left, right


def _splink_pairs(left: pl.DataFrame, right: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """Splink trained and predicting on DuckDB: the scored pairs, and the seconds it took."""
    from splink import DuckDBAPI, Linker, block_on

    settings = _splink_settings()  # imports Splink's comparisons before the clock starts
    start = time.perf_counter()
    db = DuckDBAPI()
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
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    pairs = pl.from_pandas(predictions.as_pandas_dataframe())  # type: ignore[no-untyped-call]
    return pairs, time.perf_counter() - start


def _splink_settings() -> Any:
    """Exact matches on the shared keys (term frequencies on the four text keys), three blocks."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
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


def _best_candidates(pairs: pl.DataFrame) -> pl.DataFrame:
    """Each mention linked to its best candidate when that one is clear (unique at the top, and
    at ``SPLINK_THRESHOLD`` or above); sent to review otherwise."""
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
    return best.with_columns(
        pl.when(clear).then(pl.col("candidate")).alias("person_no"),
        pl.when(clear).then(pl.lit("linked")).otherwise(pl.lit("review")).alias("link_status"),
        pl.lit("splink").alias("link_method"),
    ).select("mention_id", "person_no", "link_status", "link_method")


def _score(
    runner: "Callable[[Path], tuple[pl.DataFrame, pl.DataFrame, float]]",
    warehouse: str,
    truth: str,
    with_history: bool = True,
) -> None:
    """Child: one linker, its metrics against the truth as JSON, overall and per class.
    ``with_history`` False scores recall against what is resolvable from current posts only."""
    from transforms.link_quality import evaluate

    out, cadres, seconds = runner(Path(warehouse))
    links = pl.scan_parquet(Path(truth) / "links.parquet")
    metrics = evaluate(out.lazy(), links, cadres.lazy(), with_history=with_history)
    per_class = evaluate(out.lazy(), links, cadres.lazy(), by="class", with_history=with_history)
    overall = metrics.filter(pl.col("source") == "all").row(0, named=True)
    outsiders, unlanded = _outsiders(out, links.collect(), cadres)
    classes = [{**c, "outsiders": outsiders.get(c["class"], 0)} for c in per_class.to_dicts()]
    harness.emit(
        {
            "seconds": seconds,
            "peak_mb": harness.peak_rss_mb(),
            "overall": {**overall, "outsiders": outsiders.get("all", 0)},
            "per_source": metrics.to_dicts(),
            "per_class": classes,
            "unlanded": unlanded,
        }
    )


def _outsiders(
    out: pl.DataFrame, truth: pl.DataFrame, cadres: pl.DataFrame
) -> tuple[dict[str, int], int]:
    """Links made for records whose person is nobody of the roster, per class and ``all``; and
    how many records the truth calls resolvable name a cadre whose roster row never landed."""
    keys = ["source", "_source_file", "_source_row", "subject_index"]
    t = truth.select(
        "source", pl.col("file").alias("_source_file"), pl.col("row").alias("_source_row"),
        "subject_index", pl.col("person_no").alias("true_person"), "class", "resolvable",
    )  # fmt: skip
    scored = out.drop("class", strict=False).select(*keys, "link_status").join(t, on=keys)
    linked = scored.filter(pl.col("true_person").is_null() & (pl.col("link_status") == "linked"))
    counts = dict(linked.group_by("class").len().iter_rows())
    counts["all"] = linked.height
    landed = cadres.get_column("person_no")
    unlanded = scored.filter(pl.col("resolvable") & ~pl.col("true_person").is_in(landed.implode()))
    return counts, unlanded.height


def scale(warehouse: str, copies: str) -> None:
    """Child: link every event of a warehouse (all six sources), the events repeated ``copies``
    times: a measure of time and memory at volume, printed as JSON. Started by hand
    (``python -m orchestration.bench.link scale WAREHOUSE COPIES``); no bench calls it."""
    from transforms import linking as lk
    from transforms.specs import EVENT_SOURCES

    start = time.perf_counter()
    e = _evidence(warehouse, EVENT_SOURCES)
    repeated = pl.concat([e.mentions.drop("mention_id")] * int(copies)).with_row_index("mention_id")
    loaded = time.perf_counter() - start
    prepared = lk.prepare_mentions(repeated.lazy(), e.rules)
    linked, review = lk.link(prepared, e.cadres.lazy(), e.posts.lazy(), e.rules)
    out, queue = pl.collect_all([linked, review])
    total = time.perf_counter() - start
    status = dict(out.group_by("link_status").len().iter_rows())
    harness.emit(
        {
            "cadres": e.cadres.height,
            "posts": e.posts.height,
            "events": out.height,
            "load_seconds": loaded,
            "total_seconds": total,
            "review_rows": queue.height,
            "status": status,
            "peak_mb": harness.peak_rss_mb(),
        }
    )


if __name__ == "__main__":
    harness.child_main(
        {
            "ours": partial(_score, run_ours),
            "ours-noS8": partial(_score, partial(run_ours, history=False), with_history=False),
            "splink": partial(_score, run_splink, with_history=False),
            "scale": scale,
            "generate": _generate,
        }
    )
