"""``dajiandu publish`` and ``dajiandu verify``: scoped bundles on demand, and checking one that
was handed over. The demo's last step publishes one scope through the same path."""

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from transforms.scope import Scope, ScopeError

CST = ZoneInfo("Asia/Shanghai")


def _say(message: str) -> None:
    print(message, flush=True)  # noqa: T201


def _error(message: str) -> int:
    print(f"dajiandu: {message}", file=sys.stderr)  # noqa: T201
    return 2


def publish_scopes(
    warehouse: Path,
    scopes: list[Scope],
    out: Path,
    pdfs: bool = True,
    profile_pdf: bool = True,
    booklet: Path | None = None,
    notice_template: Path | None = None,
    per_cadre: bool = False,
) -> int:
    """The booklet once (or the one already in the folder ``booklet``), then each scope's bundle;
    prints where each is. Every table is read from one set of versions, pinned and checked
    against their checksums while holding the warehouse lock (so no run is half-way), and the
    output folder is locked while writing. Exit code 0, or 2 with one sentence for an empty
    scope, a warehouse without gold, one in use by a run, a damaged table, or an output folder
    another publish is writing into, or a notice template (``notice_template``, default the
    shipped ``clearance_notice.yaml``) that cannot be used."""
    from uuid import uuid4

    from warehouse.publish.booklet import write_booklet
    from warehouse.publish.bundle import write_bundle
    from warehouse.publish.notices import DEFAULT_TEMPLATE, load_template
    from warehouse.publish.outdir import (
        OutputLockedError,
        UnsafePathError,
        clean_staging,
        output_lock,
    )
    from warehouse.publish.scoped import ScopeEmptyError, check_scope, pin_tables
    from warehouse.publish.snapshot import SnapshotError, holding_warehouse
    from warehouse.rule_files import RuleError
    from warehouse.store import Warehouse, WarehouseError

    try:
        template = load_template(notice_template or DEFAULT_TEMPLATE)
    except RuleError as error:
        return _error(f"notice template: {error}")
    store = Warehouse(warehouse)
    if not store.exists("gold", "cadre_profile"):
        return _error(f"{warehouse}: no gold tables yet (run `dajiandu run` first)")
    now = datetime.now(CST)
    start = time.perf_counter()
    try:
        with holding_warehouse(warehouse, f"publish-{uuid4()}"):
            snapshot = pin_tables(store)
        for scope in scopes:  # every scope is checked before anything is written
            check_scope(snapshot, scope)
        with output_lock(out):
            for name in clean_staging(out):
                _say(f"removed {out / name}, left by a publish that was stopped")
            told = None
            if booklet is None or not booklet.is_dir():
                written = write_booklet(snapshot, out / "典型案例汇编", now, pdfs=pdfs)
                told, booklet = written.pdf_note, written.path
                if told:
                    _say(told)
                kept = "; unchanged, left as it was" if written.carried else ""
                _say(f"case booklet   {booklet.resolve()}  ({written.cases:,} cases{kept})")
            for scope in scopes:
                result = write_bundle(
                    snapshot, scope, out, now, pdfs=pdfs, profile_pdf=profile_pdf,
                    per_cadre=per_cadre,
                    booklet=booklet, notice_template=template, say=_say,
                )  # fmt: skip
                if result.pdf_note and result.pdf_note != told:
                    _say(result.pdf_note)
                    told = result.pdf_note
                _say(
                    f"bundle {scope.label:<12} {result.path.resolve()}  ({result.cadres:,} cadres, "
                    f"{result.units:,} units, {result.files:,} files, {result.bytes / 1e6:,.1f} MB"
                    f"{'; unchanged, left as it was' if result.carried else ''})"
                )
    except (
        ScopeEmptyError, WarehouseError, SnapshotError, OutputLockedError, UnsafePathError,
    ) as error:  # fmt: skip
        return _error(str(error))
    _say(
        f"published in {time.perf_counter() - start:.1f} s; check a bundle with: dajiandu verify --bundle DIR"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        scopes = list(dict.fromkeys(Scope.parse(s) for s in args.scope))
    except ScopeError as error:
        return _error(str(error))
    chosen = "none" if args.no_profile_pdf else args.profile_pdf
    return publish_scopes(
        Path(args.warehouse), scopes, Path(args.out), pdfs=not args.no_pdf,
        profile_pdf=chosen == "volume", per_cadre=chosen == "per-cadre",
        notice_template=Path(args.notice_template) if args.notice_template else None,
    )  # fmt: skip


def verify_bundle(folder: Path) -> int:
    """``dajiandu verify --bundle DIR``: every file of a bundle against its manifest.json."""
    from warehouse.publish.manifest import verify

    problems = verify(folder)
    for problem in problems:
        _say(problem)
    if problems:
        return 1
    _say(f"{folder}: every file matches manifest.json")
    return 0


def demo_scope(warehouse: Path) -> Scope | None:
    """The demo's scope: the first region with 县管 cadres (by code), or None."""
    import polars as pl

    from warehouse.store import Warehouse

    cadres = Warehouse(warehouse).scan("silver", "cadre")
    first = (
        cadres.filter(pl.col("scope_level") == "县管")
        .select(pl.col("region").drop_nulls().min())
        .collect()
        .item()
    )
    return Scope("县管", first) if first else None


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("publish", help="write scoped bundles: pages, PDFs, Excel, manifest")
    p.add_argument(
        "--scope", action="append", required=True, metavar="管理权限/行政区划代码",
        help="e.g. 县管/450321 (a county) or 市管/450300 (a whole city); repeatable",
    )  # fmt: skip
    p.add_argument("--out", required=True, help="folder to write the bundles into")
    p.add_argument("--warehouse", default="data/warehouse", help="the warehouse root folder")
    p.add_argument("--no-pdf", action="store_true", help="pages and Excel only, no PDF")
    p.add_argument(
        "--profile-pdf", choices=("volume", "per-cadre", "none"), default="volume",
        help="干部监督档案 as one PDF of every profile (volume, the default), one PDF per cadre "
        "in pdf/干部监督档案/ named by name and 人员编号 (per-cadre), or none",
    )  # fmt: skip
    p.add_argument(
        "--no-profile-pdf", action="store_true",
        help="the same as --profile-pdf none (the portraits and booklet PDFs stay)",
    )  # fmt: skip
    p.add_argument(
        "--notice-template", metavar="FILE",
        help="the deployment's 澄清正名通知书 template (发文机关, 发文字号, wording; default the "
        "shipped warehouse/rules/clearance_notice.yaml, whose organ and number are placeholders)",
    )  # fmt: skip
    p.set_defaults(func=cmd_publish)
