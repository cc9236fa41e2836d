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

import html
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from quality.checks import Outcome

KEEP_RUNS = 30
CST = ZoneInfo("Asia/Shanghai")
"""Readers are in China: every time in the report is China Standard Time, and says so."""


def now_cst() -> str:
    return datetime.now(CST).isoformat(timespec="seconds")


def shown_time(stamp: str) -> str:
    """A stored time as a reader sees it: ``2026-12-01 16:05:03 CST`` (older UTC stamps converted)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return stamp
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S CST")


VENDOR = Path(__file__).parent / "vendor"

CDN_MAP = {
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "css/bootstrap-prefers-dark.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "js/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "js/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "js/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/fontawesome-all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
}  # fmt: skip
"""Every CDN address GX 1.24's page templates use → the vendored copy."""

_FETCHING = re.compile(r"<(link|script|img|iframe|source)\b[^>]*>", re.IGNORECASE)
_URL = re.compile(r"""\b(src|href)\s*=\s*(["'])(https?:)?//[^"']*\2""", re.IGNORECASE)
_FAVICON = re.compile(r"""href=(["'])[./]*static/images/favicon\.ico\1""")
_SRI = re.compile(r"""\s(integrity|crossorigin)\s*=\s*(["'])[^"']*\2""", re.IGNORECASE)


def quality_root(warehouse: Path) -> Path:
    return Path(warehouse) / "reports" / "quality"


def offline(page: str, vendor: str) -> str:
    """``page`` with every CDN address pointing at ``vendor`` and anything else remote removed.

    Tags that fetch (``link``, ``script``, ``img`` …) get their vendored copy; an address that
    is not vendored is replaced by an empty ``data:`` URL, so opening a page never leaves the
    machine. Subresource-integrity attributes go too: they make a browser refuse local files.
    """

    def tag(match: re.Match[str]) -> str:
        text = _SRI.sub("", match.group(0))

        def url(m: re.Match[str]) -> str:
            address = m.group(0).split("=", 1)[1].strip()[1:-1]
            target = CDN_MAP.get(address)
            local = f"{vendor}/{target}" if target else "data:,"
            return f'{m.group(1)}="{local}"'

        text = _FAVICON.sub(f'href="{vendor}/favicon.ico"', text)
        return _URL.sub(url, text)

    return _FETCHING.sub(tag, page)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _slug(table: str) -> str:
    return table.replace("/", ".")


def _vendor(root: Path) -> None:
    target = root / "vendor"
    if not (target / "licenses" / "VERSIONS.txt").exists():
        shutil.copytree(VENDOR, target, dirs_exist_ok=True)


def render_gx(
    root: Path, run_id: str, table: str, result: Any, gx_suite: Any, blocked: bool
) -> None:
    """Write GX Data Docs pages for one validation result and its suite, offline.

    GX calls a validation failed when any expectation failed, WARN ones included; the page says
    what happened to the table instead: failed only when an ERROR expectation held it back.
    """
    from great_expectations.render.renderer import (  # noqa: PLC0415
        ExpectationSuitePageRenderer,
        ValidationResultsPageRenderer,
    )
    from great_expectations.render.view import DefaultJinjaPageView  # noqa: PLC0415

    _vendor(root)
    view = DefaultJinjaPageView()
    result.success = not blocked
    page = view.render(ValidationResultsPageRenderer().render(result))
    _atomic_write(root / "docs" / run_id / f"{_slug(table)}.html", offline(page, "../../vendor"))
    suite_page = view.render(ExpectationSuitePageRenderer().render(gx_suite))
    _atomic_write(
        root / "docs" / "suites" / f"{_slug(table)}.html", offline(suite_page, "../../vendor")
    )


def record(root: Path, run_id: str, as_of: str, entry: dict[str, Any]) -> None:
    """Keep one table's entry for ``run_id`` and rebuild the pages."""
    run_dir = root / "runs" / run_id
    _start_run(run_dir, run_id, as_of)
    _atomic_write(
        run_dir / "tables" / f"{_slug(entry['table'])}.json",
        json.dumps(entry, ensure_ascii=False, indent=1, default=str),
    )
    rebuild(root)


def _start_run(run_dir: Path, run_id: str, as_of: str) -> None:
    meta = run_dir / "run.json"
    if not meta.exists():
        body = {"run_id": run_id, "started": now_cst(), "as_of": as_of, "status": "running"}
        _atomic_write(meta, json.dumps(body, ensure_ascii=False))


def finish_run(root: Path, run_id: str, as_of: str, success: bool, failures: list[str]) -> None:
    """Say how a run ended (and which steps failed, with their explained messages)."""
    run_dir = root / "runs" / run_id
    _start_run(run_dir, run_id, as_of)
    meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    meta.update(status="succeeded" if success else "failed", failures=failures, ended=now_cst())
    _atomic_write(run_dir / "run.json", json.dumps(meta, ensure_ascii=False))
    rebuild(root)


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


def _runs(root: Path) -> list[dict[str, Any]]:
    runs = []
    for meta in (root / "runs").glob("*/run.json"):
        run = json.loads(meta.read_text(encoding="utf-8"))
        tables = sorted(meta.parent.glob("tables/*.json"))
        run["tables"] = [json.loads(t.read_text(encoding="utf-8")) for t in tables]
        runs.append(run)
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
    _vendor(root)
    summary = summary_of(runs[-1])
    trend = _trend(runs)
    _atomic_write(
        root / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1, default=str)
    )
    _atomic_write(
        root / "history.json", json.dumps(trend, ensure_ascii=False, indent=1, default=str)
    )
    _atomic_write(root / "index.html", _page(root, summary, trend, runs))
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
        f"{summary['as_of'] or 'today'}): {_STATUS.get(summary.get('status', ''), 'status unknown')}",
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


# ---------------------------------------------------------------- the summary page (our own HTML)

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3;text-align:left} td.n{text-align:right}
.ERROR{color:#fff;background:#b00020;padding:0 4px} .WARN{background:#ffd54f;padding:0 4px}
.QUARANTINE{background:#90caf9;padding:0 4px} .ok{color:#2e7d32} .blocked{color:#b00020;font-weight:bold}
small{color:#666}
"""


_STATUS = {
    "succeeded": "the run succeeded",
    "failed": "the run FAILED",
    "running": "the run is running, or was killed before it could say how it ended",
}


def _e(value: object) -> str:
    return html.escape(str(value))


def _outcome_rows(table: dict[str, Any]) -> str:
    rows = []
    for o in table["outcomes"]:
        verdict = (
            '<span class="ok">passed</span>'
            if o["passed"]
            else f'<span class="{_e(o["severity"])}">{_e(o["severity"])}</span>'
        )
        parts = ", ".join(f"{_e(p)}: {n:,}" for p, n in list(o["partitions"].items())[:8])
        earlier = o.get("checked_earlier", 0)
        failed_earlier = f" ({o['carried']:,} failed)" if o.get("carried") else ""
        carried = (
            f"<br><small>{earlier:,} rows in unchanged partitions, as validated earlier"
            f"{failed_earlier}</small>"
            if earlier
            else ""
        )
        rows.append(
            f"<tr><td>{_e(o['check'])}<br><small>{_e(o['why'])}</small></td><td>{_e(o['kind'])}</td>"
            f"<td>{verdict}</td><td class=n>{o['failed']:,} / {o['checked']:,}{carried}</td>"
            f"<td>{parts}</td><td>{'<br>'.join(_e(s) for s in o['sample'][:5])}</td></tr>"
        )  # fmt: skip
    return "".join(rows)


def _table_section(root: Path, run_id: str, t: dict[str, Any]) -> str:
    f = t["figures"]
    slug = _slug(t["table"])
    links = []
    if (root / "docs" / run_id / f"{slug}.html").exists():
        links.append(f'<a href="docs/{_e(run_id)}/{slug}.html">GX validation result</a>')
    if (root / "docs" / "suites" / f"{slug}.html").exists():
        links.append(f'<a href="docs/suites/{slug}.html">GX suite (what is checked)</a>')
    figures = " · ".join(
        f"{_e(k)} {v:,}" if isinstance(v, int) else f"{_e(k)} {_e(v)}" for k, v in f.items()
    )
    state = (
        '<span class="blocked">BLOCKED — not published</span>'
        if t["blocked"]
        else '<span class="ok">published</span>'
    )
    parts = (
        f"validated now: {len(t['validated_partitions'])} partition(s) "
        f"{_e(', '.join(t['validated_partitions'][:12]))}{' …' if len(t['validated_partitions']) > 12 else ''}; "
        f"carried over unchanged: {len(t['carried_partitions'])}"
    )
    return (
        f"<h2 id='{slug}'>{_e(t['table'])} — {state}</h2><p>{figures}<br><small>{parts}; "
        f"{t['seconds']} s</small><br>{' · '.join(links)}</p>"
        "<table><tr><th>check</th><th>kind</th><th>result</th><th>failed / checked</th>"
        f"<th>by partition or file</th><th>sample</th></tr>{_outcome_rows(t)}</table>"
    )


def _trend_table(trend: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    tables = sorted({r["table"] for r in trend})
    recent = runs[-10:]
    head = "".join(
        f"<th>{_e(shown_time(r['started'])[:16])}<br><small>{_e(r['run_id'][:8])}</small></th>"
        for r in recent
    )
    body = []
    for table in tables:
        cells = []
        for run in recent:
            row = next(
                (r for r in trend if r["run_id"] == run["run_id"] and r["table"] == table), None
            )
            if row is None:
                cells.append("<td>—</td>")
                continue
            flag = " class=blocked" if row["blocked"] else ""
            q = f" / q {row['quarantined']:,}" if row.get("quarantined") is not None else ""
            rows = f"{row['rows']:,}" if isinstance(row["rows"], int) else "—"
            cells.append(
                f"<td{flag}>{rows}{q}<br><small>E {row['errors']} · W {row['warnings']}</small></td>"
            )
        body.append(f"<tr><td>{_e(table)}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>table</th>{head}</tr>{''.join(body)}</table>"


def _page(
    root: Path, summary: dict[str, Any], trend: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> str:
    blocked = summary["blocked"]
    failed = "".join(f"<li>{_e(line)}</li>" for line in summary.get("failures", []))
    status = (
        f'<p class="blocked">This run failed; the tables below kept their previous version where '
        f"they were not reached:</p><ul>{failed}</ul>"
        if summary.get("status") == "failed" else ""
    ) + (
        f'<p class="blocked">Blocked: {_e(", ".join(blocked))} — these tables kept their previous version; nothing downstream was rebuilt.</p>'
        if blocked else '<p class="ok">No blocking check failed.</p>'
    )  # fmt: skip

    def n(value: object) -> str:
        return f"{value:,}" if isinstance(value, int) else _e(value)

    overview = "".join(
        f"<tr><td><a href='#{_slug(t['table'])}'>{_e(t['table'])}</a></td><td>{'BLOCKED' if t['blocked'] else 'published'}</td>"
        f"<td class=n>{n(t['figures'].get('read', ''))}</td><td class=n>{n(t['figures'].get('rows', t['figures'].get('landed', '')))}</td>"
        f"<td class=n>{n(t['figures'].get('quarantined', ''))}</td><td class=n>{t['errors']}</td><td class=n>{t['warnings']}</td></tr>"
        for t in summary["tables"]
    )  # fmt: skip
    sections = "".join(_table_section(root, summary["run_id"], t) for t in summary["tables"])
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告 · Dajiandu quality report</title><style>{_CSS}</style></head><body>
<h1>数据质量报告 · Data quality report</h1>
<p>Run <b>{_e(summary["run_id"])}</b>, started {_e(shown_time(summary["started"]))} (China Standard Time, UTC+8), as of {_e(summary["as_of"] or "today")}.
{_e(_STATUS.get(summary.get("status", ""), "status unknown"))}.
{summary["errors"]} blocking failure(s), {summary["warnings"]} warning(s).
Machine-readable: <a href="summary.json">summary.json</a>, <a href="history.json">history.json</a> (last {len(runs)} runs).</p>
{status}
<table><tr><th>table</th><th>state</th><th>read</th><th>rows</th><th>quarantined</th><th>ERROR</th><th>WARN</th></tr>{overview}</table>
<h2>Trend over the last runs</h2><p><small>rows / q quarantined; E blocking failures, W warnings</small></p>
{_trend_table(trend, runs)}
{sections}
<p><small>ERROR checks block: the table is not published and nothing built from it is rebuilt. WARN checks are
reported only. Row rules send single rows to quarantine (<code>dajiandu quarantine --source S</code> lists them).
Partitions whose bytes did not change since they were last validated are carried over with their earlier warnings.</small></p>
</body></html>"""
