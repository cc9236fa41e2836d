"""``dajiandu quality``, ``dajiandu verify`` and ``dajiandu quarantine``: what an auditor or an
engineer reads of a warehouse after a run (the quality summary, the tables' checksums, the
quarantined rows)."""

import argparse
import json
import sys
from pathlib import Path


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_quality(args: argparse.Namespace) -> int:
    from quality.report import latest, quality_root, summary_lines

    warehouse = Path(args.warehouse)
    summary = latest(warehouse)
    if summary is None:
        print(
            f"dajiandu: no quality report in {warehouse} yet (run the pipeline first)",
            file=sys.stderr,
        )
        return 2
    if args.json:
        _say(json.dumps(summary, ensure_ascii=False, indent=1))
        return 0
    for line in summary_lines(summary, quality_root(warehouse).resolve()):
        _say(line)
    damaged = _integrity_lines(warehouse)
    return 1 if summary["blocked"] or damaged else 0


def _integrity_lines(warehouse: Path) -> bool:
    """Print whether the published tables match their checksums; True when one does not."""
    from warehouse.integrity import verify
    from warehouse.store import Warehouse

    checked, damaged = verify(Warehouse(warehouse))
    if not damaged:
        _say(f"integrity: {checked} published table(s) match the checksums in their manifests")
        return False
    _say(f"integrity: {len(damaged)} of {checked} published table(s) DAMAGED "
         "(the next run rebuilds them):")  # fmt: skip
    for item in damaged:
        _say(f"  {item.describe()}")
    return True


def cmd_verify(args: argparse.Namespace) -> int:
    if args.bundle:
        from orchestration.publish_cli import verify_bundle

        return max(verify_bundle(Path(b)) for b in args.bundle)
    warehouse = Path(args.warehouse)
    if not warehouse.is_dir():
        print(f"dajiandu: no warehouse at {warehouse}", file=sys.stderr)
        return 2
    return 1 if _integrity_lines(warehouse) else 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    import polars as pl

    from quality.row_rules import with_rules
    from warehouse.store import Warehouse, WarehouseError

    store = Warehouse(args.warehouse)
    try:
        rows = store.scan("quarantine", args.source).collect()
    except WarehouseError as error:
        print(f"dajiandu: {error}", file=sys.stderr)
        return 2
    if args.rule:
        caught = with_rules(rows).filter(pl.col("rule") == args.rule)
        rows = rows.join(caught.select("_source_file", "_source_row").unique(),
                         on=["_source_file", "_source_row"], how="semi", maintain_order="left")  # fmt: skip
    _say(f"quarantine/{args.source}: {rows.height:,} row(s) (showing up to {args.limit})")
    for file, row, reasons, raw in (
        rows.select("_source_file", "_source_row", "reasons", "raw").head(args.limit).iter_rows()
    ):
        _say("")
        _say(f"{file}  row {row}")
        for reason in reasons:
            _say(f"  [{reason['rule']}] {reason['message']}")
        _say(f"  raw: {raw}")
    return 0


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """``quality``, ``verify`` and ``quarantine``."""
    p = sub.add_parser("quality", help="the latest data-quality summary and the report's path")
    p.add_argument("--warehouse", default="data/warehouse", help="the warehouse root folder")
    p.add_argument("--json", action="store_true", help="print summary.json instead")
    p.set_defaults(func=cmd_quality)

    p = sub.add_parser(
        "verify",
        help="check every published table (or a bundle) against the SHA-256 in its manifest",
    )
    p.add_argument("--warehouse", default="data/warehouse", help="the warehouse root folder")
    p.add_argument("--bundle", action="append", metavar="DIR",
                   help="check this scoped bundle against its manifest.json instead (repeatable)")  # fmt: skip
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("quarantine", help="list the quarantined rows of one source")
    p.add_argument("--source", required=True, help="roster, petition, inspection, audit …")
    p.add_argument("--warehouse", default="data/warehouse", help="the warehouse root folder")
    p.add_argument("--rule", help="only rows caught by this rule (e.g. 决定日期.valid_date)")
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    p.set_defaults(func=cmd_quarantine)
