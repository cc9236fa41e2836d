"""The ``dajiandu`` command: generate sample sources, run the pipeline, read the quality report and
the quarantine, open the UI, benchmark."""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from orchestration.bench.cli import add_parsers as add_bench_parsers
from orchestration.inspect_cli import add_parsers as add_inspect_parsers
from orchestration.publish_cli import add_parsers as add_publish_parsers
from warehouse.clock import ClockError, today
from warehouse.decisions import FILE_NAME as DECISIONS_FILE
from warehouse.decisions import read_decisions
from warehouse.publish.config import load_scopes, scopes_file
from warehouse.rules import DEFAULT_RULES, RuleError, load_rules
from warehouse.sources import ConfigError, load_sources
from warehouse.tolerance_decisions import FILE_NAME as TOLERANCE_DECISIONS_FILE
from warehouse.tolerance_decisions import read_tolerance_decisions

if TYPE_CHECKING:
    from orchestration.runner import RunOutcome


def _say(message: str) -> None:
    print(message, flush=True)


def _as_of(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"--as-of wants a date like 2025-12-31, got {text!r}"
        ) from error
    now = today()
    if day > now:
        raise argparse.ArgumentTypeError(
            f"--as-of {day} is in the future: rules are evaluated on what is known, up to today "
            f"({now})"
        )
    return day.isoformat()


def cmd_generate(args: argparse.Namespace) -> int:
    from warehouse.samples import generate

    start = time.perf_counter()
    sources = generate(
        args.out,
        cadres=args.cadres,
        seed=args.seed,
        progress=lambda m: _say(f"  {m}"),
        profile=getattr(args, "profile", "default"),
        practices=getattr(args, "practices", False),
    )
    _say(
        f"generated sample sources for {args.cadres:,} cadres in {time.perf_counter() - start:.1f} s"
    )
    _say(f"  sources file: {sources}")
    _say(f"  ground truth: {Path(args.out) / 'truth'}")
    return 0


def print_summary(outcome: "RunOutcome", warehouse: Path) -> None:
    """The per-source table a data engineer reads after a run."""
    header = f"{'source':<12}{'read':>12}{'landed':>12}{'quarantined':>13}{'partitions':>12}"
    _say("")
    _say(header)
    _say("-" * len(header))
    for s in outcome.sources:
        note = "  (no data yet)" if s.no_data else ""
        _say(
            f"{s.source:<12}{s.read:>12,}{s.landed:>12,}{s.quarantined:>13,}{s.partitions:>12,}{note}"
        )
    total_read = sum(s.read for s in outcome.sources)
    total_landed = sum(s.landed for s in outcome.sources)
    total_quar = sum(s.quarantined for s in outcome.sources)
    _say("-" * len(header))
    _say(f"{'total':<12}{total_read:>12,}{total_landed:>12,}{total_quar:>13,}")
    for s in outcome.sources:
        for flag, n in sorted(s.flags.items()):
            _say(f"flagged  {s.source}: {n:,} × {flag}")
    lost = total_read - total_landed - total_quar
    _say(f"rows lost: {lost}  (every row read is in bronze or in quarantine with a reason)")
    if outcome.events:
        e = outcome.events
        _say(
            f"events: {e['dagster/row_count']:,} (one per record and person named): linked {e['linked']:,}, "
            f"for review {e['review']:,}, unlinked {e['unlinked']:,}"
        )
    if outcome.posts and outcome.posts["from_post_history"]:
        p = outcome.posts
        _say(f"posts: {p['intervals']:,} held, {p['from_post_history']:,} of them from the post "
             "history (S8 任职经历): records are matched with the post held on their date")  # fmt: skip
    elif outcome.posts:
        _say("linking: current posts only — no post history (S8 任职经历, post_history: in "
             "sources.yaml); a record about an earlier post goes to review or stays unlinked")  # fmt: skip
    if outcome.decisions:
        _say(decisions_line(outcome.decisions))
    _say(f"warehouse: {warehouse.resolve()}  (bronze/, quarantine/, silver/, gold/, reports/)")


def decisions_line(counts: dict[str, dict[str, int]]) -> str:
    """``decisions: link N applied, M rejected, K stale; 容错 …``: the lines of
    link_decisions.csv and tolerance_decisions.csv (each rejected or stale line is listed with
    its file, line and reason in the quality report)."""
    parts = [
        f"{label} {c['applied']:,} applied, {c['rejected']:,} rejected, {c['stale']:,} stale"
        for label, c in (("link", counts.get("link")), ("容错", counts.get("tolerance")))
        if c is not None
    ]
    listed = any(c["rejected"] or c["stale"] for c in counts.values())
    return (
        "decisions: "
        + "; ".join(parts)
        + ("  (each line not applied: quality report)" if listed else "")
    )


def cmd_run(args: argparse.Namespace) -> int:
    sources, warehouse = Path(args.sources), Path(args.warehouse)
    try:
        configured = load_sources(
            sources
        )  # fail fast, before Dagster starts, on a broken sources.yaml
    except ConfigError as error:
        print(f"dajiandu: {error}", file=sys.stderr)
        return 2
    sql = sorted(name for name, config in configured.items() if config.kind == "sql")
    for name in getattr(args, "full_refresh", None) or []:
        if name not in sql:
            print(f"dajiandu: --full-refresh {name}: not a SQL source of {sources} (SQL sources: "
                  f"{', '.join(sql) or 'none'})", file=sys.stderr)  # fmt: skip
            return 2
    serving_url = getattr(args, "serving_url", None) or os.environ.get("DAJIANDU_SERVING_URL", "")
    try:
        load_scopes(scopes_file(sources))  # a broken scopes.yaml stops the run before it starts
        if serving_url:
            from warehouse.publish.serving import resolve_url

            resolve_url(serving_url)  # so does a serving URL naming an unset ${VAR}
    except ConfigError as error:
        print(f"dajiandu: {error}", file=sys.stderr)
        return 2
    rules = Path(args.rules) if args.rules else DEFAULT_RULES
    try:
        load_rules(rules)  # a malformed rule file stops the run before anything is read
    except (RuleError, OSError) as error:
        print(f"dajiandu: rule files in {rules}: {error}", file=sys.stderr)
        return 2
    try:  # a decisions file that cannot be read stops the run before anything is read
        read_decisions(sources.parent / DECISIONS_FILE)
        read_tolerance_decisions(sources.parent / TOLERANCE_DECISIONS_FILE)
    except RuleError as error:
        print(f"dajiandu: {error}", file=sys.stderr)
        return 2
    from orchestration.runner import (  # Dagster takes seconds to import: only when running
        run_pipeline,
        storage_problem,
    )

    start = time.perf_counter()
    _say(f"running the pipeline: sources {sources}, warehouse {warehouse}")
    try:
        outcome = run_pipeline(
            sources,
            warehouse,
            as_of=args.as_of or "",
            log_level="WARNING" if args.quiet else "INFO",
            accept_drop=",".join(args.accept_drop or []),
            full_refresh=",".join(getattr(args, "full_refresh", None) or []),
            rules_dir=str(rules.resolve()) if args.rules else "",
            serving_url=getattr(args, "serving_url", None)
            or os.environ.get("DAJIANDU_SERVING_URL", ""),
        )
    except (OSError, sqlite3.Error, SQLAlchemyError) as error:
        # Dagster's own run storage (SQLite under .dagster) fails outside any step: a full disk
        # or a read-only folder ends here, not in a traceback.
        # (The runner catches these once the run has begun, and says what was published.)
        print(f"\ndajiandu: run failed: {storage_problem(error, warehouse)}; the last good "
              "warehouse is unchanged", file=sys.stderr)  # fmt: skip
        return 1
    if not outcome.success:
        # Exactly what was published: all tables are swapped at once, then the products.
        print(f"\ndajiandu: run {outcome.run_id} failed; {outcome.published.describe()}",
              file=sys.stderr)  # fmt: skip
        print(outcome.failure, file=sys.stderr)
        _quality_line(warehouse)
        if outcome.log_file is not None:
            print(f"full log: {outcome.log_file}", file=sys.stderr)
        return 1
    print_summary(outcome, warehouse)
    _quality_line(warehouse)
    _say(f"finished in {time.perf_counter() - start:.1f} s (run {outcome.run_id})")
    return 0


def _quality_line(warehouse: Path) -> None:
    from quality.report import latest, quality_root

    summary = latest(warehouse)
    if summary is None:
        return
    held = ", ".join(summary["blocked"]) or "none"
    ended = "run FAILED; " if summary.get("status") == "failed" else ""
    _say(
        f"quality: {ended}{summary['errors']} blocking check failure(s), {summary['warnings']} "
        f"warning(s), held: {held} — {quality_root(warehouse).resolve() / 'index.html'}"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    generate_args = argparse.Namespace(
        out=str(root / "sources"), cadres=args.cadres, seed=args.seed, practices=True
    )
    cmd_generate(generate_args)
    run_args = argparse.Namespace(
        sources=str(root / "sources" / "sources.yaml"),
        warehouse=str(root / "warehouse"),
        as_of=None,
        quiet=False,
        accept_drop=None,
        full_refresh=None,
        rules=None,
        serving_url=None,
    )
    code = cmd_run(run_args)
    if code == 0:
        _say("outputs:")
        _say(f"  sample sources   {(root / 'sources').resolve()}")
        _say(f"  bronze tables    {(root / 'warehouse' / 'bronze').resolve()}")
        _say(f"  quarantine       {(root / 'warehouse' / 'quarantine').resolve()}")
        _say(f"  linked events    {(root / 'warehouse' / 'silver').resolve()}")
        _say(f"  gold tables      {(root / 'warehouse' / 'gold').resolve()}")
        _say(
            f"  quality report   {(root / 'warehouse' / 'reports' / 'quality' / 'index.html').resolve()}"
            "   (dajiandu quality prints it)"
        )
        _say("  Dagster UI       make ui   (then open http://127.0.0.1:3000)")
        code = _demo_publish(root / "warehouse", scopes_file(root / "sources" / "sources.yaml"))
    return code


def _demo_publish(warehouse: Path, scopes: Path) -> int:
    """The demo's last step: publish the first 县管 region's bundle, and say where things are.

    The scope is also written to ``scopes.yaml`` beside ``sources.yaml`` (unless one exists), so a
    later run (the schedule, or a run launched from the UI) publishes its bundle too."""
    from assets.publish import booklet_folder, bundles_folder
    from orchestration.publish_cli import demo_scope, publish_scopes

    scope = demo_scope(warehouse)
    if scope is None:
        print(
            "dajiandu: the demo roster has no 县管 cadre to publish a bundle for", file=sys.stderr
        )
        return 1
    if not scopes.exists():
        scopes.write_text(
            "# The scopes that get a bundle on every run (README: Publishing). Written by\n"
            "# `dajiandu demo` for its first 县管 region; list a deployment's own scopes here.\n"
            f"scopes:\n  - {scope.level}/{scope.region}\n",
            encoding="utf-8",
        )
    _say("")
    _say(f"publishing the demo scope {scope.label} (the first region with 县管 cadres):")
    code = publish_scopes(
        warehouse, [scope], bundles_folder(warehouse), booklet=booklet_folder(warehouse)
    )
    if code == 0:
        bundle = (bundles_folder(warehouse) / scope.slug).resolve()
        booklet = booklet_folder(warehouse).resolve()
        _say("")
        _say(f"  demo scope bundle   {bundle}/index.html   ({scope.label}; open it in a browser)")
        first = sorted(booklet.glob("*.pdf"))
        _say(f"  case booklet PDF    {first[0] if first else booklet / '典型案例汇编.html'}")
        _say(
            f"  serving database    {(warehouse / 'serving.db').resolve()}   (sqlite3 …, or any SQLite client)"
        )
        _say(f"  scopes.yaml         {scopes.resolve()}   (the scopes every later run publishes)")
        _say(
            f"  DuckDB catalog      {(warehouse / 'catalog.duckdb').resolve()}   (dajiandu sql 'SELECT * FROM gold.warning')"
        )
    return code


def cmd_decisions_import(args: argparse.Namespace) -> int:
    """Append the decisions typed into a review list's Excel to the decisions file beside
    sources.yaml (:mod:`warehouse.decision_import`); 1 with every bad row named when any is bad."""

    from warehouse.decision_import import ImportError_, import_decisions

    sheet, sources = Path(args.file), Path(args.sources)
    if not sheet.is_file():
        print(f"dajiandu: {sheet}: no such file", file=sys.stderr)
        return 2
    try:
        done = import_decisions(sheet, sources.parent, today())
    except ImportError_ as error:
        for problem in error.problems:
            print(f"dajiandu: {problem}", file=sys.stderr)
        print("dajiandu: nothing was imported; correct the rows and import again", file=sys.stderr)
        return 1
    if done.lines:
        _say(f"imported {len(done.lines):,} decision(s) into {done.target} (lines "
             f"{done.lines[0]}–{done.lines[-1]}); {done.undecided:,} row(s) without 决定 left "
             "as they are. They apply on the next `dajiandu run`.")  # fmt: skip
    else:
        _say(f"no row of {sheet} has a 决定: nothing imported ({done.undecided:,} row(s))")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.runner import dagster_home

    root = Path(args.dir)
    warehouse = root / "warehouse"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home(warehouse)),
        "DAJIANDU_SOURCES": str((root / "sources" / "sources.yaml").resolve()),
        "DAJIANDU_WAREHOUSE": str(warehouse.resolve()),
    }
    # `dg dev` (dagster dev is deprecated) loads the project's code location as `dajiandu`, the
    # name `dajiandu run` records its runs under: the UI lists them on the job's page.
    from orchestration.instance import PROJECT_ROOT

    dg_cli = shutil.which("dg", path=str(Path(sys.executable).parent)) or "dg"
    command = [
        dg_cli,
        "dev",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    _say(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops it)")
    return subprocess.call(command, env=env, cwd=PROJECT_ROOT)


def cmd_sql(args: argparse.Namespace) -> int:
    """A query over the warehouse's DuckDB catalog (its views follow each table's current
    version), with the duckdb Python package the project already installs: no duckdb CLI needed."""
    import duckdb

    catalog = Path(args.warehouse) / "catalog.duckdb"
    if not catalog.is_file():
        print(f"dajiandu: no catalog at {catalog.resolve()} (a run builds it)", file=sys.stderr)
        return 2
    try:
        with duckdb.connect(str(catalog), read_only=True) as connection:
            result = connection.sql(args.query)
            if result is not None:
                result.show(max_rows=args.limit, max_width=200)
    except duckdb.Error as error:
        print(f"dajiandu: sql: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def _version() -> str:
    """The installed package's version (pyproject.toml; CHANGELOG.md says what each one holds)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dajiandu")
    except PackageNotFoundError:
        return "unknown (not installed: make install)"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="dajiandu", description="大监督: cadre-supervision data platform"
    )
    top.add_argument("--version", action="version", version=f"dajiandu {_version()}")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "generate", help="write sample exports of all seven sources, with ground truth"
    )
    p.add_argument(
        "--out", required=True, help="folder to write into (sources.yaml, inbox/, truth/)"
    )
    p.add_argument("--cadres", type=int, default=2000, help="roster size (default 2000)")
    p.add_argument(
        "--seed", type=int, default=7, help="random seed: the same seed gives the same files"
    )
    p.add_argument(
        "--profile",
        choices=["default", "prefecture", "autonomous"],
        default="default",
        help="region profile: the default province (its files as ever), a prefecture-level city "
        "with districts and 街道, or a minority autonomous prefecture",
    )
    p.add_argument(
        "--practices",
        action="store_true",
        help="also plant what the practices need (quarterly 督查 scores, ties at the bottom of a "
        "unit, 优秀 streaks, measures ending in 2026), with truth/practices.csv (demo: always)",
    )
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="materialise every asset in-process")
    p.add_argument("--sources", required=True, help="the sources.yaml naming the upstream exports")
    p.add_argument("--warehouse", required=True, help="the warehouse root folder")
    p.add_argument("--as-of", type=_as_of, help="evaluate rules at this date (default: today)")
    p.add_argument("--quiet", action="store_true", help="only warnings and the summary")
    p.add_argument(
        "--accept-drop",
        action="append",
        metavar="SOURCE",
        help="accept that SOURCE has under half the rows of the last run (repeatable)",
    )
    p.add_argument(
        "--full-refresh",
        action="append",
        metavar="SOURCE",
        help="read SQL source SOURCE in full, not only the rows changed since its 更新时间 "
        "watermark: rows deleted upstream leave the warehouse (repeatable; done on its own every "
        "full_refresh_days, default 7)",
    )
    p.add_argument(
        "--rules",
        metavar="DIR",
        help="a folder of the deployment's own rule files (default: the shipped warehouse/rules)",
    )
    p.add_argument(
        "--serving-url",
        metavar="URL",
        help="publish the serving database there (postgresql+psycopg://…, ${VAR} from the "
        "environment; default: serving.db in the warehouse, or $DAJIANDU_SERVING_URL)",
    )
    p.set_defaults(func=cmd_run)

    add_inspect_parsers(sub)

    p = sub.add_parser("demo", help="generate sample sources and run the pipeline on them")
    p.add_argument(
        "--dir", default="data", help="folder for sources/ and warehouse/ (default ./data)"
    )
    p.add_argument("--cadres", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("decisions", help="review decisions made in the officers' Excel lists")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser(
        "import",
        help="append the decisions typed into 容错复核清单.xlsx or 关联复核清单.xlsx (决定, 理由, "
        "经办人, 日期) to tolerance_decisions.csv or link_decisions.csv beside sources.yaml",
    )
    q.add_argument("file", help="the review list's .xlsx with the decision columns filled")
    q.add_argument(
        "--sources", default="data/sources/sources.yaml",
        help="the sources.yaml whose folder holds the decisions files (default: the demo's)",
    )  # fmt: skip
    q.set_defaults(func=cmd_decisions_import)

    p = sub.add_parser("ui", help="the Dagster UI on the demo warehouse")
    p.add_argument("--dir", default="data")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("sql", help="a SQL query over the warehouse's DuckDB catalog (read-only)")
    p.add_argument("query", help='e.g. "SELECT level, count(*) FROM gold.warning GROUP BY level"')
    p.add_argument("--warehouse", default="data/warehouse", help="the warehouse root folder")
    p.add_argument("--limit", type=int, default=40, help="rows shown (default 40)")
    p.set_defaults(func=cmd_sql)

    add_publish_parsers(sub)

    add_bench_parsers(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    try:
        today()
    except ClockError as error:
        print(f"dajiandu: {error}", file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader (`| head`) went away: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
