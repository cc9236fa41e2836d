"""GX Data Docs pages for the quality report, made to open offline.

GX 1.x renders its pages against nine CDNs; on an internal network they render broken. Every CDN
address is rewritten to a vendored copy (``quality/vendor``, licences included) and anything else
remote is replaced by an empty ``data:`` URL, so opening a page never leaves the machine.
"""

import functools
import re
import shutil
from pathlib import Path
from typing import Any

from quality.report_files import atomic_write, slug

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


_FOOTER = re.compile(r"<footer>.*?</footer>", re.IGNORECASE | re.DOTALL)
"""GX's footer: a newsletter sign-up link, nothing about the data."""

_BRAND = re.compile(
    r'<div class="float-left navbar-brand[^"]*"[^>]*>.*?</div>', re.IGNORECASE | re.DOTALL
)
"""GX's logo (an image from GX's web server): replaced by a link back to the report."""

_REMOTE_CSS = re.compile(r"""url\((["']?)https?://[^)"']*\1\)""", re.IGNORECASE)

_REMOTE_LINK = re.compile(r"""<a\b[^>]*\bhref=(["'])https?://[^"']*\1[^>]*>(.*?)</a>""",
                          re.IGNORECASE | re.DOTALL)  # fmt: skip

_HOME = re.compile(r"""href=(["'])(?:\.\./)+index\.html\1""")


def offline(page: str, vendor: str) -> str:
    """``page`` with every CDN address pointing at ``vendor`` and anything else remote removed.

    Tags that fetch (``link``, ``script``, ``img`` …) get their vendored copy; an address that
    is not vendored is replaced by an empty ``data:`` URL, so opening a page never leaves the
    machine. Subresource-integrity attributes go too: they make a browser refuse local files.
    GX's logo (from its web server), its newsletter footer and any other link off the machine
    go as well (a link keeps its text); "Home" leads back to the quality report.
    """

    def tag(match: re.Match[str]) -> str:
        text = _SRI.sub("", match.group(0))
        if match.group(1).lower() == "img" and _URL.search(text):
            return ""  # a remote image (GX's logo) would show as a broken one

        def url(m: re.Match[str]) -> str:
            address = m.group(0).split("=", 1)[1].strip()[1:-1]
            target = CDN_MAP.get(address)
            local = f"{vendor}/{target}" if target else "data:,"
            return f'{m.group(1)}="{local}"'

        text = _FAVICON.sub(f'href="{vendor}/favicon.ico"', text)
        return _URL.sub(url, text)

    page = _FOOTER.sub("", page)
    page = _BRAND.sub(
        '<div class="float-left navbar-brand m-0 h-100 pt-3">'
        '<a style="background:none" href="../../index.html">← 数据质量报告</a></div>',
        page,
    )
    page = _HOME.sub('href="../../index.html"', page)
    page = _REMOTE_CSS.sub("none", page)
    page = _REMOTE_LINK.sub(lambda m: m.group(2), page)
    return _FETCHING.sub(tag, page)


def copy_vendor(root: Path) -> None:
    target = root / "vendor"
    if not (target / "licenses" / "VERSIONS.txt").exists():
        shutil.copytree(VENDOR, target, dirs_exist_ok=True)


@functools.cache
def _view() -> Any:
    """GX's page view, one per process: each view has its own Jinja environment, which compiles
    every template (and those they include) on first use. A view per page took 0.30 s for a
    table's two pages; the same view 0.024 s."""
    from great_expectations.render.view import DefaultJinjaPageView  # noqa: PLC0415

    return DefaultJinjaPageView()


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

    copy_vendor(root)
    view = _view()
    result.success = not blocked
    page = view.render(ValidationResultsPageRenderer().render(result))
    atomic_write(root / "docs" / run_id / f"{slug(table)}.html", offline(page, "../../vendor"))
    suite_page = view.render(ExpectationSuitePageRenderer().render(gx_suite))
    atomic_write(
        root / "docs" / "suites" / f"{slug(table)}.html", offline(suite_page, "../../vendor")
    )
