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

``--linker`` (repeatable) runs only the linkers named (``ours``, ``ours-noS8``, ``splink``).
``--reuse`` keeps a previous bench's sources and warehouse in ``WORKDIR/<cadres>`` (or
``WORKDIR/<profile>/<cadres>``) when they were made with the same seed and profile
(``bench-sample.json`` says which): nothing is generated or run again, so that a linker can be
re-timed on one warehouse, e.g. at 1,000,000 cadres, ``dajiandu bench link --cadres 1000000
--workdir W --reuse --linker ours``. Each linker row is followed by its CPU seconds, the peak
memory when the links were made (before scoring) and the machine's load average before and after.

Two children are started by hand, not by the bench: ``scale WAREHOUSE COPIES`` links every event
repeated; ``stages WAREHOUSE [COPIES]`` runs our linker a stage at a time (:func:`stages`) and
prints each stage's seconds, peak memory and the size of the frames it made: what the memory is
spent on.

Splink is an optional extra (``pip install .[bench]``); it is imported only here. The linker and
the store are imported by the children alone (see :mod:`orchestration.bench.harness`).
"""

import json
import os
import resource
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
    sizes: list[int],
    workdir: Path,
    seed: int = 7,
    profiles: "Iterable[str]" = ("default",),
    linkers: "Iterable[str]" = LINKERS,
    reuse: bool = False,
) -> int:
    """Our linker (with and without post history) and the Splink 5 baseline on the same generated
    data, for each region profile: quality overall and per difficulty class, time, ratios.

    Arguments and figures as every bench on generated data (see :mod:`orchestration.bench`);
    ``profiles``: the generator's region profiles to bench, each at every size; ``linkers``: which
    of :data:`LINKERS` to run; ``reuse``: keep the sources and warehouse a previous bench made
    with the same seed and profile (see :func:`_sample`).
    Returns 1 when a linker of ours falls below ``PRECISION_FLOOR`` in any class.
    """
    chosen = [linker for linker in LINKERS if linker in set(linkers)]
    results, below = [], []
    for profile in profiles:
        for cadres in sizes:
            print(TABLE.aside(f"profile {profile} at {cadres:,} cadres:"), flush=True)
            print(TABLE.header(), flush=True)
            figures = _bench_one(workdir, cadres, seed, profile, chosen, reuse)
            below += _print_classes(profile, cadres, figures)
            results.append({"profile": profile, "cadres": cadres, **figures})
    harness.save_figures(workdir, "link", results)
    for line in below:
        print(line, flush=True)
    return 1 if below else 0


def _bench_one(
    workdir: Path, cadres: int, seed: int, profile: str, linkers: list[str], reuse: bool
) -> dict[str, Any]:
    """One profile at one size: sources and warehouse (made or reused), each linker's figures."""
    sample, run = _sample(workdir, cadres, seed, profile, reuse)
    figures: dict[str, Any] = {linker: _link_in_child(sample, linker) for linker in linkers}
    if "ours" in figures and "splink" in figures:
        ours, splink = figures["ours"]["overall"], figures["splink"]["overall"]
        time_x = harness.ratio(figures["ours"]["seconds"], figures["splink"]["seconds"])
        recall, precision = (ours[k] - splink[k] for k in ("recall", "precision"))
        print(TABLE.aside(f"ours / splink: {time_x:.2f}x the time; recall {recall:+.4f}, "
                          f"precision {precision:+.4f}"), flush=True)  # fmt: skip
    figures["run"] = run
    return figures


SAMPLE_RECORD = "bench-sample.json"
"""What a sample's folder was made with (cadres, seed, profile) and how its run ended: written
by the bench, read by ``--reuse``."""


def _sample(
    workdir: Path, cadres: int, seed: int, profile: str, reuse: bool
) -> tuple[harness.Sample, str]:
    """The sources of a profile in ``workdir/<cadres>`` (default) or ``workdir/<profile>/<cadres>``
    and the warehouse ``dajiandu run`` made of them, with how the run ended (``ok`` or why it
    stopped). Generated and run afresh, unless ``reuse`` and the folder's ``bench-sample.json``
    says a previous bench made them with the same seed and profile, and ran them."""
    root = (workdir if profile == "default" else workdir / profile) / str(cadres)
    made = {"cadres": cadres, "seed": seed, "profile": profile}
    record = root / SAMPLE_RECORD
    if reuse and record.exists():
        kept = json.loads(record.read_text())
        if {k: kept.get(k) for k in made} == made and "run" in kept:
            print(TABLE.aside(f"reusing {root} (run: {kept['run']})"), flush=True)
            return harness.Sample(cadres, root), kept["run"]
        print(TABLE.aside(f"not reusing {root}: made with {kept}"), flush=True)
    shutil.rmtree(root, ignore_errors=True)
    command = harness.child_command("link", "generate", root / "sources", cadres, seed, profile)
    generation = harness.timed(command, f"generate ({profile}) at {cadres:,} cadres")
    sample, run = harness.Sample(cadres, root, generation), "ok"
    try:
        harness.run_pipeline(sample)
    except RuntimeError as failed:  # the linkers read bronze, which the run wrote before it
        run = _why(str(failed))
        print(TABLE.aside(f"dajiandu run FAILED on profile {profile}: {run}"), flush=True)
        if not (sample.warehouse / "bronze" / "roster").exists():
            raise
    record.write_text(json.dumps({**made, "run": run}, ensure_ascii=False))
    return sample, run


def _why(failure: str) -> str:
    """The line of a failed run's stderr that says why (``run failed: …``), shortened."""
    lines = [line.strip() for line in failure.splitlines() if line.strip()]
    said = next((line for line in lines if "run failed:" in line), lines[-1] if lines else "")
    return said.split("run failed:", 1)[-1].strip()[:300]


def _generate(out: str, cadres: str, seed: str, profile: str) -> None:
    """Child: the generator's sources of one profile."""
    from warehouse.samples import generate

    generate(out, cadres=int(cadres), seed=int(seed), profile=profile)


def _print_classes(profile: str, cadres: int, figures: dict[str, Any]) -> list[str]:
    """Each class with ours, ours without S8 and Splink side by side; returns a line for each
    class of ours below the floor."""
    by = {
        linker: {c["class"]: c for c in figures[linker]["per_class"]}
        for linker in LINKERS
        if linker in figures
    }  # a linker not run leaves its columns nan
    print(TABLE.aside(f"{profile} at {cadres:,} cadres, per class (run: {figures['run']}):"))
    print(CLASSES.header())
    below = []
    names = dict.fromkeys(name for classes in by.values() for name in classes)
    for name in names:
        o, n, s = (by[linker].get(name, {}) if linker in by else None for linker in LINKERS)
        counted = next(c for c in (o, n, s) if c)
        print(CLASSES.row(
            name, counted["records"], counted["resolvable"], *_cells(o, wide=True),
            *_cells(n, wide=False), *_cells(s, wide=True),
        ))  # fmt: skip
        for linker, c in (("ours", o), ("ours-noS8", n)):
            if c and c["links"] and c["precision"] < PRECISION_FLOOR:
                below.append(f"({linker}) PRECISION BELOW {PRECISION_FLOOR} on profile {profile} "
                             f"at {cadres:,} cadres: class {name}: {c['wrong']:,} wrong of "
                             f"{c['links']:,} links")  # fmt: skip
    unlanded = figures.get("ours", {}).get("unlanded", 0)
    if unlanded:
        print(TABLE.aside(f"{unlanded:,} records the truth calls resolvable name a cadre whose "
                          "roster row never landed (quarantined): not counted as resolvable"))  # fmt: skip
    return below


def _cells(c: dict[str, Any] | None, wide: bool) -> list[object]:
    """A linker's cells of a class row: precision and recall, and (``wide``) review, wrong links
    and outsiders linked; blank when the linker was not run, nan or 0 when it has no such class."""
    if c is None:
        return [None] * (5 if wide else 2)
    said = [_nan(c.get("precision")), _nan(c.get("recall"))]
    return said + [c.get(k, 0) for k in ("review", "wrong", "outsiders")] if wide else said


def _nan(value: object) -> float:
    """A figure that may be missing (no links, nothing resolvable) as NaN, printed ``nan``."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _link_in_child(sample: harness.Sample, linker: str) -> dict[str, Any]:
    """One linker on a sample's warehouse, scored in a child; prints its row of the table."""
    command = harness.child_command("link", linker, sample.warehouse, sample.truth)
    load = _load_average()
    figures = harness.timed(command, f"link ({linker}) at {sample.cadres:,} cadres").records[-1]
    o = figures["overall"]
    scores = (o[k] for k in ("records", "precision", "recall", "review", "homonym_links"))
    print(TABLE.row(sample.cadres, linker, *scores, figures["seconds"], figures["peak_mb"]))
    print(TABLE.aside(f"{figures['cpu_seconds']:.2f} CPU seconds; {figures['link_peak_mb']:,.0f} "
                      f"MB peak when linked (before scoring); load average {load} before, "
                      f"{_load_average()} after"), flush=True)  # fmt: skip
    return figures


def _load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes, as ``uptime`` writes it."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


@dataclass(frozen=True)
class Spent:
    """What a linker took from its prepared evidence to its decisions: wall-clock and CPU
    seconds (all threads of the process)."""

    seconds: float
    cpu_seconds: float


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _clock() -> "Callable[[], Spent]":
    """Start a clock; calling what it returns reads the wall-clock and CPU seconds since."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    return lambda: Spent(time.perf_counter() - wall, _cpu_seconds() - cpu)


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


def run_ours(warehouse: Path, history: bool = True) -> tuple[pl.DataFrame, pl.DataFrame, Spent]:
    """Our linker, timed from raw mentions to decisions.

    Returns:
        The mentions with their decisions, the prepared cadres, and the time spent.
    """
    from transforms import linking as lk

    e = _evidence(warehouse, TRUTH_SOURCES, history)
    spent = _clock()
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules)
    linked, _ = lk.link(prepared, e.cadres.lazy(), e.posts.lazy(), e.rules)
    out = linked.collect()
    return out, e.cadres, spent()


def run_splink(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame, Spent]:
    """The Splink 5 baseline on the same prepared evidence, timed from prepared keys to decisions.

    Returns:
        The mentions with their decisions, the prepared cadres, and the time spent.
    """
    from transforms import linking as lk

    e = _evidence(warehouse, TRUTH_SOURCES, history=False)
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules).collect()  # the keys ours uses
    pairs, spent = _splink_pairs(*_splink_records(e.cadres, prepared))
    out = e.mentions.join(_best_candidates(pairs), on="mention_id", how="left").with_columns(
        pl.col("link_status").fill_null("unlinked")
    )
    return out, e.cadres, spent


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


def _splink_pairs(left: pl.DataFrame, right: pl.DataFrame) -> tuple[pl.DataFrame, Spent]:
    """Splink trained and predicting on DuckDB: the scored pairs, and the time it took."""
    from splink import DuckDBAPI, Linker, block_on

    settings = _splink_settings()  # imports Splink's comparisons before the clock starts
    spent = _clock()
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
    return pairs, spent()


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
    runner: "Callable[[Path], tuple[pl.DataFrame, pl.DataFrame, Spent]]",
    warehouse: str,
    truth: str,
    with_history: bool = True,
) -> None:
    """Child: one linker, its metrics against the truth as JSON, overall and per class.
    ``with_history`` False scores recall against what is resolvable from current posts only."""
    from transforms.link_quality import evaluate

    out, cadres, spent = runner(Path(warehouse))
    link_peak_mb = harness.peak_rss_mb()
    links = pl.scan_parquet(Path(truth) / "links.parquet")
    metrics = evaluate(out.lazy(), links, cadres.lazy(), with_history=with_history)
    per_class = evaluate(out.lazy(), links, cadres.lazy(), by="class", with_history=with_history)
    overall = metrics.filter(pl.col("source") == "all").row(0, named=True)
    outsiders, unlanded = _outsiders(out, links.collect(), cadres)
    classes = [{**c, "outsiders": outsiders.get(c["class"], 0)} for c in per_class.to_dicts()]
    harness.emit(
        {
            "seconds": spent.seconds,
            "cpu_seconds": spent.cpu_seconds,
            "link_peak_mb": link_peak_mb,
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

    start = time.perf_counter()
    e = _repeated(warehouse, int(copies))
    loaded = time.perf_counter() - start
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules)
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


def _repeated(warehouse: str, copies: int) -> Evidence:
    """The evidence of every event of a warehouse (all six sources), repeated ``copies`` times
    (new mention ids)."""
    from transforms.specs import EVENT_SOURCES

    e = _evidence(warehouse, EVENT_SOURCES)
    repeated = pl.concat([e.mentions.drop("mention_id")] * copies).with_row_index("mention_id")
    return Evidence(e.cadres, e.posts, repeated, e.rules)


def stages(warehouse: str, copies: str = "") -> None:
    """Child: our linker a stage at a time: for the evidence and each stage
    :func:`transforms.linking.link` collects, its seconds, CPU seconds, the peak resident memory
    while it ran (Linux: the high-water mark is reset before each stage), the memory held after
    it, and the rows and estimated size of the frames it made. Without ``copies``, the truth
    sources linked as the ``ours`` child links them; with it, every event repeated ``copies``
    times, links and review queue, as ``scale`` links them. Started by hand (``python -m
    orchestration.bench.link stages WAREHOUSE [COPIES]``); prints one JSON line a stage, as it
    ends."""
    from transforms import linking as lk

    stage = _Stages()
    e = _repeated(warehouse, int(copies)) if copies else _evidence(warehouse, TRUTH_SOURCES)
    stage.done("evidence", cadres=e.cadres, posts=e.posts, mentions=e.mentions)
    prepared = lk.prepare_mentions(e.mentions.lazy(), e.rules)
    linked, review = lk.link(
        prepared, e.cadres.lazy(), e.posts.lazy(), e.rules,
        checkpoint=lambda name, frame: stage.done(name, **{name: frame}),
    )  # fmt: skip
    if copies:
        out, queue = pl.collect_all([linked, review])
        stage.done("decided", decided=out, review=queue)
    else:
        stage.done("decided", decided=linked.collect())


class _Stages:
    """Measures the stages of a run in turn (see :func:`stages`)."""

    def __init__(self) -> None:
        self.clock = _clock()
        _reset_peak()

    def done(self, name: str, **frames: pl.DataFrame) -> None:
        """A stage has ended, having made ``frames``: print its figures, start the next."""
        spent = self.clock()
        harness.emit(
            {
                "stage": name,
                "seconds": round(spent.seconds, 2),
                "cpu_seconds": round(spent.cpu_seconds, 2),
                "peak_mb": _status_mb("VmHWM"),
                "rss_mb": _status_mb("VmRSS"),
                "frames": {
                    k: {"rows": f.height, "mb": round(f.estimated_size("mb"), 1),
                        "bytes_per_row": round(f.estimated_size() / max(f.height, 1))}
                    for k, f in frames.items()
                },
            }
        )  # fmt: skip
        _reset_peak()
        self.clock = _clock()


def _reset_peak() -> None:
    """Start this process's peak resident memory (VmHWM) afresh (Linux ``clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")


def _status_mb(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (kB there), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ValueError(f"no {field} in /proc/self/status")


if __name__ == "__main__":
    harness.child_main(
        {
            "ours": partial(_score, run_ours),
            "ours-noS8": partial(_score, partial(run_ours, history=False), with_history=False),
            "splink": partial(_score, run_splink, with_history=False),
            "scale": scale,
            "stages": stages,
            "generate": _generate,
        }
    )
