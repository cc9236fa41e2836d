"""``dajiandu bench <what>``: the benchmarks' command line; each bench lives in its own module of
this package and is imported only when asked for."""

import argparse
import os
from pathlib import Path


def _events(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"--events wants a whole number ≥ 0, got {text!r}")
    return int(text)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "publish":
        from orchestration.bench.publish import bench_publish

        return bench_publish(Path(args.warehouse), Path(args.workdir), args.serving_url, args.scope)
    if args.what == "gold":
        from orchestration.bench.gold import bench_gold

        existing = Path(args.warehouse) if args.warehouse else None
        return bench_gold(
            args.cadres or [1_000_000], Path(args.workdir), args.seed, existing, args.events
        )
    if args.what == "deid":
        from orchestration.bench.deid import bench_deid

        existing = Path(args.warehouse) if args.warehouse else None
        return bench_deid([Path(c) for c in args.corpus or []], existing)
    if args.what == "quality":
        from orchestration.bench.quality import bench_quality

        return bench_quality(args.cadres or [1_000_000], Path(args.workdir), seed=args.seed)
    if args.what == "tolerance":
        from orchestration.bench.tolerance import bench_tolerance

        return bench_tolerance(args.cadres or [2_000, 100_000], Path(args.workdir), seed=args.seed)
    if args.what == "incremental":
        from orchestration.bench.incremental import bench_incremental

        return bench_incremental(
            args.cadres or [100_000],
            Path(args.workdir),
            seed=args.seed,
            bundles=not args.no_bundles,
        )
    if args.what == "link":
        from orchestration.bench.link import bench_link

        return bench_link(
            args.cadres or [2_000, 100_000],
            Path(args.workdir),
            seed=args.seed,
            profiles=args.profile or ["default"],
            linkers=args.linker or ["ours", "ours-noS8", "splink"],
            reuse=args.reuse,
        )
    from orchestration.bench.ingest import bench_ingest

    return bench_ingest(args.cadres or [100_000, 1_000_000], Path(args.workdir), seed=args.seed)


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """``dajiandu bench`` and its sub-commands."""
    p = sub.add_parser("bench", help="benchmarks that print figures and ratios")
    bench = p.add_subparsers(dest="what", required=True)
    helps = {
        "ingest": "time generation and ingestion, with rows/s and peak memory",
        "link": "our linker and a Splink 5 baseline on the same data: quality and time",
        "quality": "validation cost: GX over pandas beside the same checks in Polars, and the run",
        "gold": "all gold tables from silver; the profile aggregation in Polars and in DuckDB SQL",
        "tolerance": "容错 pairing, old bigram scorer and evidence scorer, on both template families",
        "incremental": "full run, no-change rerun, new-month rerun (checked equal to a full "
        "rebuild byte for byte), outputs on their own lines, a DuckDB reference",
    }
    for what, text in helps.items():
        b = bench.add_parser(what, help=text)
        b.add_argument(
            "--cadres", type=int, action="append", help="roster size; repeat for several"
        )
        b.add_argument(
            "--workdir",
            default="bench-data",
            help="scratch folder (reused, then left for inspection)",
        )
        b.add_argument("--seed", type=int, default=7)
        if what == "link":
            b.add_argument(
                "--profile",
                action="append",
                choices=["default", "prefecture", "autonomous"],
                help="the generator's region profile; repeat for several (default: default)",
            )
            b.add_argument(
                "--linker",
                action="append",
                choices=["ours", "ours-noS8", "splink"],
                help="run only this linker; repeat for several (default: all three)",
            )
            b.add_argument(
                "--reuse",
                action="store_true",
                help="keep the sources and warehouse a previous bench made in the workdir with "
                "the same size, seed and profile (nothing generated or run again): to re-time "
                "a linker on one warehouse, e.g. --cadres 1000000 --reuse --linker ours",
            )
        if what == "incremental":
            b.add_argument(
                "--no-bundles",
                action="store_true",
                help="no scopes.yaml, so the runs write no bundles (the booklet and the serving "
                "database stay): at 1,000,000 cadres the two scopes' bundles take hours",
            )
        if what == "gold":
            b.add_argument(
                "--warehouse", help="bench this existing warehouse instead of generating"
            )
            b.add_argument(
                "--events",
                type=_events,
                default=0,
                help="repeat the silver events (new ids per copy) to exactly this many",
            )
        b.set_defaults(func=cmd_bench)
    b = bench.add_parser(
        "deid", help="the de-identifier on its gold corpus beside a plain-regex baseline"
    )
    b.add_argument(
        "--corpus",
        action="append",
        help="a gold corpus in JSONL; repeat for several (default: tests/data/deid_gold.jsonl "
        "and the held-out deid_heldout.jsonl)",
    )
    b.add_argument("--warehouse", help="also time the case library of this existing warehouse")
    b.set_defaults(func=cmd_bench)
    b = bench.add_parser(
        "publish", help="serving database (SQLite, PostgreSQL COPY vs to_sql) and one county bundle"
    )
    b.add_argument(
        "--warehouse", default="bench-data/1000000/warehouse", help="an existing warehouse"
    )
    b.add_argument(
        "--serving-url",
        default=os.environ.get(
            "DAJIANDU_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="the PostgreSQL server to load (schema dajiandu_bench)",
    )
    b.add_argument("--scope", help="the bundle's scope (default: the first 县管 region)")
    b.add_argument("--workdir", default="bench-data/publish", help="where the bundle is written")
    b.set_defaults(func=cmd_bench)
