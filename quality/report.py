"""The auditors' quality report under ``<warehouse>/reports/quality``.

Layout::

    index.html                    the latest run: per table what was checked, failed, quarantined;
                                  the trend over the kept runs; links to the GX pages
    summary.json                  the same for machines
    history.json                  one line per kept run and table (the trend)
    runs/<run>/run.json           when the run started (CST), its as-of date, how it ended
    runs/<run>/tables/<t>.json    one table's figures and outcomes in that run
    docs/<run>/<t>.html           GX Data Docs: the validation result of that table in that run
    docs/suites/<t>.html          GX Data Docs: the suite (what is checked)
    vendor/                       the CSS, JS and fonts those pages use (no CDN)

Every step that validates a table records it here and rebuilds the pages, so a run that fails
half-way still leaves a report saying why. Only the last :data:`KEEP_RUNS` runs are kept (GX Data
Docs are known to break down with thousands of validations): older run folders and their pages
are deleted at each rebuild.
"""

import json
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from quality.checks import Outcome
from quality.gx_pages import copy_vendor, offline, render_gx
from quality.report_files import CST, atomic_write, now_cst, shown_time, slug
from quality.report_page import STATUS, page

__all__ = ["offline", "render_gx", "CST", "now_cst"]

KEEP_RUNS = 30


def quality_root(warehouse: Path) -> Path:
    return Path(warehouse) / "reports" / "quality"


def record(root: Path, run_id: str, as_of: str, entry: dict[str, Any]) -> None:
    """Keep one table's entry for ``run_id`` and rebuild the pages."""
    run_dir = root / "runs" / run_id
    _start_run(run_dir, run_id, as_of)
    atomic_write(
        run_dir / "tables" / f"{slug(entry['table'])}.json",
        json.dumps(entry, ensure_ascii=False, indent=1, default=str),
    )
    rebuild(root)


def _start_run(run_dir: Path, run_id: str, as_of: str) -> None:
    meta = run_dir / "run.json"
    if not meta.exists():
        body = {"run_id": run_id, "started": now_cst(), "as_of": as_of, "status": "running"}
        atomic_write(meta, json.dumps(body, ensure_ascii=False))


def finish_run(root: Path, run_id: str, as_of: str, success: bool, failures: list[str]) -> None:
    """Say how a run ended (and which steps failed, with their explained messages)."""
    run_dir = root / "runs" / run_id
    _start_run(run_dir, run_id, as_of)
    meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    meta.update(status="succeeded" if success else "failed", failures=failures, ended=now_cst())
    if success:
        _carry_forward(root, run_dir)
    atomic_write(run_dir / "run.json", json.dumps(meta, ensure_ascii=False))
    rebuild(root)


def _carry_forward(root: Path, run_dir: Path) -> None:
    """The tables a succeeded run did not validate (a source whose inputs were unchanged does no
    work) are reported as the last succeeded run reported them, every partition carried: what
    their checks found when they were validated, ``checked_earlier`` all of it. An auditor
    reading this run sees every table, not only those that changed."""
    done = {p.name for p in (run_dir / "tables").glob("*.json")}
    earlier = [
        r for r in _runs(root)
        if r.get("status") == "succeeded" and r.get("run_id") != run_dir.name
    ]  # fmt: skip
    if not earlier:
        return
    last = max(earlier, key=lambda r: str(r.get("ended") or r.get("started") or ""))
    for entry in last["tables"]:
        name = f"{slug(entry['table'])}.json"
        if name in done:
            continue
        parts = sorted(
            {*entry.get("validated_partitions", []), *entry.get("carried_partitions", [])}
        )
        outcomes = [
            {**o, "checked_earlier": o.get("checked", 0)} for o in entry.get("outcomes", [])
        ]
        carried = {**entry, "outcomes": outcomes, "validated_partitions": [],
                   "carried_partitions": parts, "seconds": 0.0, "carried_forward": True}  # fmt: skip
        atomic_write(run_dir / "tables" / name, json.dumps(carried, ensure_ascii=False, indent=1))


def table_entry(
    table: str,
    outcomes: Iterable[Outcome],
    figures: dict[str, Any],
    validated: list[str] | None = None,
    carried: list[str] | None = None,
    blocked: bool = False,
    seconds: float = 0.0,
) -> dict[str, Any]:
    """What the report keeps of one table in one run."""
    outs = [o.to_json() for o in outcomes]
    return {
        "table": table,
        "blocked": blocked,
        "figures": figures,
        "validated_partitions": validated or [],
        "carried_partitions": carried or [],
        "seconds": round(seconds, 3),
        "outcomes": outs,
        "errors": sum(1 for o in outs if not o["passed"] and o["severity"] == "ERROR"),
        "warnings": sum(1 for o in outs if not o["passed"] and o["severity"] == "WARN"),
        "quarantine_rules": sum(1 for o in outs if o["kind"] == "row rule"),
    }


_PARSED: dict[Path, tuple[tuple[int, int, int], Any]] = {}


def _json(path: Path) -> Any:
    """A report file's JSON, parsed again only when the file is another (its inode, time or size
    changed: every write replaces it). Each table's entry rebuilds the pages from every kept
    run's files, which a finished run never changes: parsed afresh each time, that cost 2 s of
    a run at 100,000 cadres (py-spy)."""
    stat = path.stat()
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    hit = _PARSED.get(path)
    if hit is None or hit[0] != stamp:
        hit = _PARSED[path] = (stamp, json.loads(path.read_text(encoding="utf-8")))
    return hit[1]


def _runs(root: Path) -> list[dict[str, Any]]:
    runs = []
    for meta in (root / "runs").glob("*/run.json"):
        tables = sorted(meta.parent.glob("tables/*.json"))
        runs.append({**_json(meta), "tables": [_json(t) for t in tables]})
    return sorted(runs, key=lambda r: (_moment(r["started"]), r["run_id"]))


def _moment(stamp: str) -> datetime:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.min.replace(tzinfo=CST)


def _prune(root: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old, kept = runs[:-KEEP_RUNS], runs[-KEEP_RUNS:]
    for run in old:
        shutil.rmtree(root / "runs" / run["run_id"], ignore_errors=True)
        shutil.rmtree(root / "docs" / run["run_id"], ignore_errors=True)
    return kept


def summary_of(run: dict[str, Any]) -> dict[str, Any]:
    tables = run["tables"]
    return {
        "run_id": run["run_id"],
        "started": run["started"],
        "as_of": run.get("as_of", ""),
        "status": run.get("status", "unknown"),
        "failures": run.get("failures", []),
        "blocked": [t["table"] for t in tables if t["blocked"]],
        "errors": sum(t["errors"] for t in tables),
        "warnings": sum(t["warnings"] for t in tables),
        "tables": tables,
    }


def _trend(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        for t in run["tables"]:
            f = t["figures"]
            rows.append(
                {
                    "run_id": run["run_id"],
                    "started": run["started"],
                    "table": t["table"],
                    "rows": f.get("rows", f.get("landed")),
                    "quarantined": f.get("quarantined"),
                    "errors": t["errors"],
                    "warnings": t["warnings"],
                    "blocked": t["blocked"],
                }
            )
    return rows


def rebuild(root: Path) -> dict[str, Any] | None:
    """Prune old runs, then write ``summary.json``, ``history.json`` and ``index.html``."""
    runs = _prune(root, _runs(root))
    if not runs:
        return None
    copy_vendor(root)
    summary = summary_of(runs[-1])
    trend = _trend(runs)
    atomic_write(
        root / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1, default=str)
    )
    atomic_write(
        root / "history.json", json.dumps(trend, ensure_ascii=False, indent=1, default=str)
    )
    atomic_write(root / "index.html", page(root, summary, trend, runs))
    return summary


def latest(warehouse: Path) -> dict[str, Any] | None:
    path = quality_root(warehouse) / "summary.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def summary_lines(summary: dict[str, Any], root: Path) -> list[str]:
    """The latest summary as terminal lines: one per table, then every failure with its sample."""
    head = f"{'table':<28}{'state':<11}{'read':>10}{'rows':>10}{'quarantined':>13}{'ERROR':>7}{'WARN':>6}"
    lines = [
        f"quality of run {summary['run_id']} (started {shown_time(summary['started'])}, as of "
        f"{summary['as_of'] or 'today'}): {STATUS.get(summary.get('status', ''), 'status unknown')}",
        *(f"  failed: {line}" for line in summary.get("failures", [])),
        "",
        head,
        "-" * len(head),
    ]
    for t in summary["tables"]:
        f = t["figures"]
        state = "HELD" if t["blocked"] else "published"
        read = f"{f['read']:,}" if "read" in f else ""
        quarantined = f"{f['quarantined']:,}" if "quarantined" in f else ""
        lines.append(
            f"{t['table']:<28}{state:<11}{read:>10}{f.get('rows', 0):>10,}{quarantined:>13}"
            f"{t['errors']:>7}{t['warnings']:>6}"
        )
    failures = [
        (t["table"], o) for t in summary["tables"] for o in t["outcomes"] if not o["passed"]
    ]
    if failures:
        lines += ["", "failed checks and quarantine rules:"]
    for table, o in failures:
        parts = ", ".join(f"{p} ({n})" for p, n in list(o["partitions"].items())[:4])
        lines.append(f"  {o['severity']:<10} {table} {o['check']}: {o['failed']:,} row(s); {parts}")
        lines += [f"             e.g. {s}" for s in o["sample"][:2]]
    lines += ["", f"report: {root / 'index.html'}", f"json:   {root / 'summary.json'}"]
    return lines
