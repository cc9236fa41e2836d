"""The quality report's own summary page (``index.html``): per table what was checked, failed
and quarantined, the trend over the kept runs, and how the latest run ended."""

import html
import re
from pathlib import Path
from typing import Any

from quality.checks import SAMPLE_ROWS
from quality.report_files import shown_time, slug
from quality.report_zh import FIGURES, KINDS, SEVERITIES, why_zh

CSS = """
body{font-family:"Noto Sans SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3;text-align:left} td.n{text-align:right}
.ERROR{color:#fff;background:#b00020;padding:0 4px} .WARN{background:#ffd54f;padding:0 4px}
.QUARANTINE{background:#90caf9;padding:0 4px} .ok{color:#2e7d32} .blocked{color:#b00020;font-weight:bold}
small{color:#666} code{font-size:.92em} table.rows{font-size:.85em;margin:0}
"""


STATUS = {
    "succeeded": "the run succeeded",
    "failed": "the run FAILED",
    "running": "the run is running, or was killed before it could say how it ended",
}
"""How a run ended, for the terminal (the page says it in Chinese: ``STATUS_ZH``)."""

STATUS_ZH = {
    "succeeded": "运行成功",
    "failed": "运行失败",
    "running": "运行中，或在结束前被中止",
}

_CODE = re.compile(
    r"(\bdajiandu(?: [a-z]+)?(?: --[\w-]+)*|(?<!\w)_*[A-Za-z][\w.-]*_[\w.-]*\b|\b[a-z]+/[\w.]+\b"
    r"|--[\w-]+|\b(?:bronze|silver|gold)\b)"
)


def _e(value: object) -> str:
    return html.escape(str(value))


def _text(value: object) -> str:
    """Chinese text with identifiers (``person_no``, ``gold/warning``, ``--accept-drop``) set as
    code."""
    return _CODE.sub(lambda m: f"<code>{m.group(0)}</code>", _e(value))


def _sample_rows(o: dict[str, Any]) -> str:
    """The offending rows of one check (file, row, field, value), or its sampled values."""
    rows = o.get("rows") or []
    if rows:
        body = "".join(
            f"<tr><td><code>{_e(r.get('file', ''))}</code></td><td class=n>{_e(r.get('row', ''))}</td>"
            f"<td><code>{_e(r.get('field', ''))}</code></td><td><code>{_e(r.get('value', ''))}</code></td></tr>"
            for r in rows[:SAMPLE_ROWS]
        )  # fmt: skip
        more = f"<small>共 {o['failed']:,} 行，此处列出前 {len(rows[:SAMPLE_ROWS])} 行</small>"
        return (
            f"<table class=rows><tr><th>文件</th><th>行</th><th>字段</th><th>值</th></tr>{body}"
            f"</table>{more}"
        )
    if o["sample"]:
        return "示例值：" + "、".join(f"<code>{_e(v)}</code>" for v in o["sample"][:SAMPLE_ROWS])
    return ""


def _outcome_rows(table: dict[str, Any]) -> str:
    rows = []
    for o in table["outcomes"]:
        verdict = (
            '<span class="ok">通过</span>'
            if o["passed"]
            else f'<span class="{_e(o["severity"])}">{_e(SEVERITIES.get(o["severity"], o["severity"]))}</span>'
        )  # fmt: skip
        parts = "；".join(
            f"<code>{_e(p)}</code>：{n:,}" for p, n in list(o["partitions"].items())[:8]
        )
        earlier = o.get("checked_earlier", 0)
        failed_earlier = f"（其中 {o['carried']:,} 行未通过）" if o.get("carried") else ""
        carried = (
            f"<br><small>{earlier:,} 行位于未变化的分区，沿用此前的校验结果{failed_earlier}</small>"
            if earlier
            else ""
        )
        sample = "" if o["passed"] else _sample_rows(o)
        rows.append(
            f"<tr><td>{_text(why_zh(o['why']))}<br><small><code>{_e(o['check'])}</code></small></td>"
            f"<td>{_e(KINDS.get(o['kind'], o['kind']))}</td>"
            f"<td>{verdict}</td><td class=n>{o['failed']:,} / {o['checked']:,}{carried}</td>"
            f"<td>{parts}</td><td>{sample}</td></tr>"
        )  # fmt: skip
    return "".join(rows)


def _figures(figures: dict[str, Any]) -> str:
    return "，".join(
        f"{_e(FIGURES.get(k, k))} {v:,}" if isinstance(v, int) else f"{_e(FIGURES.get(k, k))} {_e(v)}"
        for k, v in figures.items()
    )  # fmt: skip


def _table_section(root: Path, run_id: str, t: dict[str, Any]) -> str:
    name = slug(t["table"])
    links = []
    if (root / "docs" / run_id / f"{name}.html").exists():
        links.append(f'<a href="docs/{_e(run_id)}/{name}.html">技术明细：本次校验结果（GX）</a>')
    if (root / "docs" / "suites" / f"{name}.html").exists():
        links.append(f'<a href="docs/suites/{name}.html">技术明细：校验项目（GX）</a>')
    state = (
        '<span class="blocked">已阻断，未发布</span>'
        if t["blocked"]
        else '<span class="ok">已发布</span>'
    )
    validated = t["validated_partitions"]
    parts = (
        f"本次校验 {len(validated)} 个分区"
        f"{'（' + '、'.join(f'<code>{_e(v)}</code>' for v in validated[:12]) + ('…' if len(validated) > 12 else '') + '）' if validated else ''}；"
        f"沿用未变化分区 {len(t['carried_partitions'])} 个"
    )  # fmt: skip
    return (
        f"<h2 id='{name}'><code>{_e(t['table'])}</code> · {state}</h2><p>{_figures(t['figures'])}"
        f"<br><small>{parts}；用时 {t['seconds']} 秒</small><br>{' · '.join(links)}</p>"
        "<table><tr><th>检查项</th><th>类型</th><th>结果</th><th>未通过 / 已检查</th>"
        f"<th>按分区或文件</th><th>未通过的行（文件、行号、字段、值）</th></tr>{_outcome_rows(t)}</table>"
    )


def _trend_table(trend: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    tables = sorted({r["table"] for r in trend})
    recent = runs[-10:]
    head = "".join(
        f"<th>{_e(shown_time(r['started'])[:16])}<br><small><code>{_e(r['run_id'][:8])}</code></small></th>"
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
            q = f" / 隔离 {row['quarantined']:,}" if row.get("quarantined") is not None else ""
            rows = f"{row['rows']:,}" if isinstance(row["rows"], int) else "—"
            cells.append(
                f"<td{flag}>{rows}{q}<br><small>阻断 {row['errors']} · 警告 {row['warnings']}</small></td>"
            )
        body.append(f"<tr><td><code>{_e(table)}</code></td>{''.join(cells)}</tr>")
    return f"<table><tr><th>表</th>{head}</tr>{''.join(body)}</table>"


def page(
    root: Path, summary: dict[str, Any], trend: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> str:
    blocked = summary["blocked"]
    failed = "".join(f"<li><code>{_e(line)}</code></li>" for line in summary.get("failures", []))
    status = (
        f'<p class="blocked">本次运行失败；未运行到的表保留上一版本。失败步骤的原始信息（运行日志原文）：</p><ul>{failed}</ul>'
        if summary.get("status") == "failed" else ""
    ) + (
        f'<p class="blocked">已阻断：{"、".join(f"<code>{_e(b)}</code>" for b in blocked)} —— 这些表保留上一版本，其下游均未重建。</p>'
        if blocked else '<p class="ok">没有阻断性检查未通过。</p>'
    )  # fmt: skip

    def n(value: object) -> str:
        return f"{value:,}" if isinstance(value, int) else _e(value)

    overview = "".join(
        f"<tr><td><a href='#{slug(t['table'])}'><code>{_e(t['table'])}</code></a></td><td>{'已阻断' if t['blocked'] else '已发布'}</td>"
        f"<td class=n>{n(t['figures'].get('read', ''))}</td><td class=n>{n(t['figures'].get('rows', t['figures'].get('landed', '')))}</td>"
        f"<td class=n>{n(t['figures'].get('quarantined', ''))}</td><td class=n>{t['errors']}</td><td class=n>{t['warnings']}</td></tr>"
        for t in summary["tables"]
    )  # fmt: skip
    sections = "".join(_table_section(root, summary["run_id"], t) for t in summary["tables"])
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告</title><style>{CSS}</style></head><body>
<h1>数据质量报告</h1>
<p>运行 <code>{_e(summary["run_id"])}</code>，开始于 {_e(shown_time(summary["started"]).removesuffix(" CST"))}（北京时间），数据截止日 {_e(summary["as_of"] or "今天")}。
{_e(STATUS_ZH.get(summary.get("status", ""), "状态未知"))}。
阻断性问题 {summary["errors"]} 项，警告 {summary["warnings"]} 项。
供程序读取：<a href="summary.json"><code>summary.json</code></a>、<a href="history.json"><code>history.json</code></a>（最近 {len(runs)} 次运行）。</p>
{status}
<table><tr><th>表</th><th>状态</th><th>读取</th><th>行数</th><th>隔离</th><th>阻断</th><th>警告</th></tr>{overview}</table>
<h2>最近各次运行的趋势</h2><p><small>行数 / 隔离行数；阻断：阻断性问题数；警告：警告数</small></p>
{_trend_table(trend, runs)}
{sections}
<p><small>阻断性检查未通过时，该表不发布，由它生成的下游也不重建；警告只报告。逐行规则把单行移入隔离区
（<code>dajiandu quarantine --source S</code> 列出隔离的行）。字节未变化的分区沿用此前的校验结果及其警告。
各表的“技术明细”是 Great Expectations 生成的原始页面。</small></p>
</body></html>"""
