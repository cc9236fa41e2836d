"""The quality report's own summary page (``index.html``): per table what was checked, failed
and quarantined, the trend over the kept runs, and how the latest run ended."""

import html
from pathlib import Path
from typing import Any

from quality.report_files import shown_time, slug

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3;text-align:left} td.n{text-align:right}
.ERROR{color:#fff;background:#b00020;padding:0 4px} .WARN{background:#ffd54f;padding:0 4px}
.QUARANTINE{background:#90caf9;padding:0 4px} .ok{color:#2e7d32} .blocked{color:#b00020;font-weight:bold}
small{color:#666}
"""


STATUS = {
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
    name = slug(t["table"])
    links = []
    if (root / "docs" / run_id / f"{name}.html").exists():
        links.append(f'<a href="docs/{_e(run_id)}/{name}.html">GX validation result</a>')
    if (root / "docs" / "suites" / f"{name}.html").exists():
        links.append(f'<a href="docs/suites/{name}.html">GX suite (what is checked)</a>')
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
        f"<h2 id='{name}'>{_e(t['table'])} — {state}</h2><p>{figures}<br><small>{parts}; "
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


def page(
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
        f"<tr><td><a href='#{slug(t['table'])}'>{_e(t['table'])}</a></td><td>{'BLOCKED' if t['blocked'] else 'published'}</td>"
        f"<td class=n>{n(t['figures'].get('read', ''))}</td><td class=n>{n(t['figures'].get('rows', t['figures'].get('landed', '')))}</td>"
        f"<td class=n>{n(t['figures'].get('quarantined', ''))}</td><td class=n>{t['errors']}</td><td class=n>{t['warnings']}</td></tr>"
        for t in summary["tables"]
    )  # fmt: skip
    sections = "".join(_table_section(root, summary["run_id"], t) for t in summary["tables"])
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告 · Dajiandu quality report</title><style>{CSS}</style></head><body>
<h1>数据质量报告 · Data quality report</h1>
<p>Run <b>{_e(summary["run_id"])}</b>, started {_e(shown_time(summary["started"]))} (China Standard Time, UTC+8), as of {_e(summary["as_of"] or "today")}.
{_e(STATUS.get(summary.get("status", ""), "status unknown"))}.
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
