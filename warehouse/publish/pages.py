"""HTML pages from the Jinja2 templates in ``templates/``: one rendering path for the screen and
for print (the same HTML goes to WeasyPrint for PDF)."""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from transforms.publishing import DISPLAY_LIMIT, display_text, file_stem, list_layout

TEMPLATES = Path(__file__).parent / "templates"
PLATFORM = "大监督 · 干部监督信息综合运用"


def _date(value: object, empty: str = "—") -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return empty if value in (None, "") else str(value)


def _month(value: object) -> str:
    return value.strftime("%Y年%m月") if isinstance(value, date) else "—"


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def _money(value: object) -> str:
    return f"{value:,.2f}" if isinstance(value, int | float) else "—"


def _percent(value: object) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, int | float) else "—"


def _css_string(value: object) -> str:
    """Text safe inside a CSS string literal (quotes and backslashes escaped, no newlines)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return " ".join(text.split())


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: object) -> object:
    """Every value a template prints: text without control or bidi characters, at most
    ``display_limit`` characters (a context variable; :data:`~transforms.publishing.
    DISPLAY_LIMIT` unless given), cut with a mark saying so. Markup (a macro's output, already
    finished) passes as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return display_text(value, context.get("display_limit", DISPLAY_LIMIT))
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        finalize=_finalize,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        d=_date, ym=_month, n=_number, money=_money, pct=_percent, css_string=_css_string,
        page=file_stem,
    )  # fmt: skip
    return env


ENV = _environment()


def render(template: str, **context: Any) -> str:
    """One page: ``template`` with ``context`` (plus ``platform``)."""
    return ENV.get_template(template).render(platform=PLATFORM, **context)


def script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` can close it early)."""
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return text.replace("</", "<\\/")


def render_list(
    frame: pl.DataFrame,
    title: str,
    intro: str,
    *,
    excel: str | None = None,
    sections: list[tuple[str | None, pl.DataFrame]] | None = None,
    shown: list[str] | None = None,
    note: str = "",
    excel_rows: int | None = None,
    **context: Any,
) -> str:
    """One officer list as a page laid out for A4 (:func:`~transforms.publishing.list_layout`):
    landscape where the columns need it, widths from content, names and keys never broken,
    姓名 linking to the cadre's profile. ``sections`` (heading, rows) split the rows under
    headings (default: all rows, no heading); ``shown`` picks and orders the columns; ``excel``
    names the spreadsheet the page links to (``excel_rows`` its row count, when the page shows
    fewer). The layout is measured on the rows shown. ``context`` is what every page shares
    (scope, as-of, ``root``)."""
    columns = shown or frame.columns
    parts = sections if sections is not None else [(None, frame)]
    rows = pl.concat([part for _, part in parts]) if parts else frame
    layout = list_layout((rows if rows.height else frame).select(columns))  # what is shown
    return render(
        "list.html", title=title, intro=intro, layout=layout, note=note, excel=excel,
        excel_rows=frame.height if excel_rows is None else excel_rows,
        sections=[(heading, rows.to_dicts()) for heading, rows in parts], **context,
    )  # fmt: skip
