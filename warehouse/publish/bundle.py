"""A scoped bundle: one folder per scope holding only its cadres and units.

Layout of ``<out>/<管理权限>-<region>/``::

    index.html                 the scope: figures, links, an offline search over its cadres
    profiles/<人员编号>.html    one 干部监督档案 per cadre
    portraits/<n>.html          the region's and each unit's portrait (inline SVG charts)
    lists/warnings.html, promotion.html, clearance.html
    excel/<list>.xlsx + .csv   预警名单, 选拔任用审查, 澄清正名名单, 干部名单, 容错复核清单, 数据不一致清单
    pdf/干部监督档案.pdf        every profile, each from a new page (when Pango is there)
    pdf/单位画像.pdf
    cases/                     the de-identified 典型案例汇编 (HTML, PDF), when given
    assets/                    the font subset the pages use and its licence (OFL)
    manifest.json              scope, as-of, data versions, every file with its SHA-256

The folder is built beside the target and swapped in with renames, so a failed publish leaves
the previous bundle as it was. Every path is checked to stay inside its folder (a profile's file
name is its 人员编号 only when that is a plain name, else a hash: :func:`transforms.publishing.
file_stem`); the output folder is locked while a bundle is written, and staging folders a killed
publish left there are removed first. The rows come from one pinned, verified set of table
versions (:mod:`warehouse.publish.snapshot`).
"""

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from transforms.pages import portrait_pages, profile_pages, search_index
from transforms.publishing import (
    LEVEL_LABELS,
    bottom_rank_list,
    clearance_list,
    commendation_list,
    cst_text,
    followup_list,
    inconsistency_list,
    profile_list,
    promotion_list,
    text_findings,
    tolerance_review_list,
    warning_list,
)
from transforms.scope import Scope
from warehouse.publish import excel, fonts, pdf
from warehouse.publish.manifest import swap_in, write_manifest
from warehouse.publish.outdir import clean_staging, inside, output_lock
from warehouse.publish.pages import render
from warehouse.publish.scoped import GOLD_USED, SILVER_USED, ScopeRows, _pinned, read_scope
from warehouse.publish.snapshot import Snapshot
from warehouse.store import Warehouse


@dataclass
class BundleResult:
    """What one publish wrote."""

    scope: Scope
    path: Path
    cadres: int
    units: int
    files: int
    bytes: int
    pdf_note: str | None
    """None when every PDF was written; otherwise why they were skipped."""
    warnings: list[str]
    """WARN lines: fields whose values pages show cut or stripped (named, never the value)."""


@dataclass
class _Pages:
    """Rendered HTML by relative path, and the context every page shares."""

    html: dict[str, str]
    common: dict[str, Any]


def _common(rows: ScopeRows, now: datetime, root: str) -> dict[str, Any]:
    scope = rows.scope
    return {
        "scope_label": scope.label, "scope_text": scope.describe(), "as_of": rows.as_of,
        "generated_text": cst_text(now), "root": root,
        "header_text": f"{scope.label} · 数据截至 {rows.as_of:%Y-%m-%d}",
    }  # fmt: skip


def _lists(rows: ScopeRows) -> dict[str, pl.DataFrame]:
    cadres = rows.cadres.lazy()
    return {
        "预警名单": warning_list(rows.warning.lazy(), cadres, rows.timeline.lazy()).collect(),
        "选拔任用审查": promotion_list(rows.promotion.lazy(), cadres).collect(),
        "澄清正名名单": clearance_list(rows.clearance.lazy(), cadres).collect(),
        "干部名单": profile_list(rows.profile.lazy(), cadres).collect(),
        "容错复核清单": tolerance_review_list(rows.review.lazy(), cadres).collect(),
        "数据不一致清单": inconsistency_list(rows.inconsistency.lazy(), cadres).collect(),
        "考核排名靠后名单": bottom_rank_list(rows.warning.lazy(), cadres).collect(),
        "影响期跟踪名单": followup_list(rows.followup.lazy(), cadres).collect(),
        "表彰奖励资格名单": commendation_list(rows.profile.lazy(), cadres).collect(),
    }


def _profile_html(
    rows: ScopeRows, sub: dict[str, Any], html: dict[str, str]
) -> list[dict[str, Any]]:
    profiles = profile_pages(
        rows.profile, rows.cadres, rows.timeline, rows.warning, rows.promotion, rows.clearance,
        rows.posts,
    )  # fmt: skip
    for p in profiles:
        p["posts_note"] = rows.posts_note
        html[f"profiles/{p['file']}.html"] = render(
            "profile.html", title=f"{p['name']} 干部监督档案", p=p, **sub
        )
    return profiles


def _portrait_html(
    rows: ScopeRows, sub: dict[str, Any], html: dict[str, str]
) -> list[dict[str, Any]]:
    portraits = portrait_pages(rows.portraits)
    for n, u in enumerate(portraits, start=1):
        u["path"] = f"portraits/{'region' if u['grain'] == 'region' else 'unit'}-{n:04d}.html"
        html[u["path"]] = render("portrait.html", title=f"{u['name']} 画像", u=u, **sub)
    return portraits


def _list_html(
    lists: dict[str, pl.DataFrame], sub: dict[str, Any], html: dict[str, str]
) -> dict[str, Any]:
    """The three list pages; returns the figures the index shows (warnings by level, barred)."""
    warnings = lists["预警名单"].to_dicts()
    groups = [
        (lv, LEVEL_LABELS[lv], [w for w in warnings if w["预警等级"] == LEVEL_LABELS[lv]])
        for lv in ("red", "yellow", "blue")
    ]
    counts = {lv: len(g) for lv, _, g in groups}
    html["lists/warnings.html"] = render(
        "list_warnings.html", title="预警名单", groups=groups, counts=counts,
        total=len(warnings), **sub,
    )  # fmt: skip
    promotion = lists["选拔任用审查"].to_dicts()
    barred = sum(r["暂停提拔"] == "是" for r in promotion)
    html["lists/promotion.html"] = render(
        "list_promotion.html", title="选拔任用审查名单", rows=promotion, barred=barred, **sub
    )
    html["lists/clearance.html"] = render(
        "list_clearance.html", title="澄清正名名单", rows=lists["澄清正名名单"].to_dicts(), **sub
    )
    return {"warnings": counts, "barred": barred}


def _render(
    rows: ScopeRows, lists: dict[str, pl.DataFrame], now: datetime, pdf_links: list[dict[str, str]],
    pdf_note: str | None, booklet: list[str] | None,
) -> tuple[_Pages, list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Every page of the bundle as HTML, and the profile and portrait records (for the PDFs)."""
    sub = _common(rows, now, "../")
    html: dict[str, str] = {}
    profiles = _profile_html(rows, sub, html)
    portraits = _portrait_html(rows, sub, html)
    figures = _list_html(lists, sub, html)
    top = _common(rows, now, "")
    html["index.html"] = render(
        "index.html", title="目录", cadres=rows.profile.height,
        units=int((rows.portraits["grain"] == "unit").sum()),
        cleared=int(rows.profile["cleared"].sum()), index=search_index(rows.profile),
        portraits=portraits, pdfs=pdf_links, pdf_note=pdf_note, booklet=booklet,
        **figures, **top,
    )  # fmt: skip
    return _Pages(html, top), profiles, portraits


PDF_FILES = {
    "profile": ("pdf/干部监督档案.pdf", "干部监督档案"),
    "portrait": ("pdf/单位画像.pdf", "单位画像"),
}


def _books(pages: _Pages, profiles: list[dict[str, Any]], portraits: list[dict[str, Any]],
           profile_pdf: bool) -> dict[str, str]:  # fmt: skip
    """The HTML of each PDF: the same page bodies one after another, each from a new page."""
    books = {"portrait": (portraits, "单位画像")}
    if profile_pdf:
        books["profile"] = (profiles, "干部监督档案")
    return {
        kind: render("book.html", title=title, parts=parts, kind=kind, **pages.common)
        for kind, (parts, title) in books.items()
    }


def _page_note(note: str | None) -> str | None:
    """What the index tells an officer when the bundle has no PDF."""
    if note is None:
        return None
    if note.startswith("PDFs not requested"):
        return "本目录未生成 PDF（发布时选择不生成）。各页面可在浏览器中直接打印为 A4。"
    return "本目录未生成 PDF：发布所用的机器缺少 Pango 库（Debian 软件包 libpangoft2-1.0-0）。各页面可在浏览器中直接打印为 A4。"


def _write_files(
    staging: Path, pages: _Pages, books: dict[str, str], lists: dict[str, pl.DataFrame],
    booklet: Path | None, say: Callable[[str], None],
) -> None:  # fmt: skip
    """Pages, the font subset, Excel, PDFs and the booklet's copy into ``staging``."""
    for path, text in pages.html.items():
        target = inside(staging, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    fonts.write_fonts(staging / "assets", [*pages.html.values(), *books.values()])
    for name, frame in lists.items():
        excel.write_sheet(frame, staging / "excel", name)
    for kind, html in books.items():
        pdf.write_pdf(html, staging, inside(staging, PDF_FILES[kind][0]))
        say(f"{PDF_FILES[kind][0]} written")
    if booklet is not None:
        shutil.copytree(booklet, staging / "cases", ignore=shutil.ignore_patterns("manifest.json"))


def text_warnings(rows: ScopeRows) -> list[str]:
    """The WARN lines for the scope's rows (:func:`~transforms.publishing.text_findings`)."""
    return text_findings({
        "silver/cadre": rows.cadres, "gold/cadre_profile": rows.profile,
        "gold/cadre_timeline": rows.timeline, "gold/warning": rows.warning,
        "gold/promotion_check": rows.promotion, "gold/clearance": rows.clearance,
        "gold/tolerance_review": rows.review, "gold/inconsistency": rows.inconsistency,
        "gold/unit_portrait": rows.portraits, "silver/cadre_post": rows.posts,
        "gold/sanction_followup": rows.followup,
    })  # fmt: skip


def write_bundle(
    store: Warehouse | Snapshot,
    scope: Scope,
    out: Path,
    now: datetime,
    *,
    pdfs: bool = True,
    profile_pdf: bool = True,
    booklet: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> BundleResult:
    """Publish one scope into ``out/<slug>``; ``booklet`` is a folder holding the case booklet
    to copy in. ``now`` (Asia/Shanghai) is the generation time the pages show. ``store`` is a
    pinned :class:`Snapshot`, or a warehouse whose current versions are pinned and verified here.

    Raises:
        ScopeEmptyError: the scope holds no cadre.
        SnapshotError: a table is missing, damaged or from another run.
        OutputLockedError: another publish is writing into ``out``.
        UnsafePathError: a path would leave its folder.
    """
    snapshot = _pinned(store)
    rows = read_scope(snapshot, scope)
    warnings = text_warnings(rows)
    for line in warnings:
        say(line)
    lists = _lists(rows)
    note = pdf.unavailable() if pdfs else "PDFs not requested (--no-pdf)"
    kinds = [] if note else (["profile", "portrait"] if profile_pdf else ["portrait"])
    links = [{"path": PDF_FILES[k][0], "label": PDF_FILES[k][1]} for k in kinds]
    booklet_pdfs = sorted(p.name for p in booklet.glob("*.pdf")) if booklet else []
    pages, profiles, portraits = _render(
        rows, lists, now, links, _page_note(note), booklet_pdfs if booklet else None
    )
    books = {} if note else _books(pages, profiles, portraits, profile_pdf)
    units = int((rows.portraits["grain"] == "unit").sum())
    tables = [("silver", t) for t in SILVER_USED] + [("gold", t) for t in GOLD_USED]
    versions = snapshot.data_versions(f"{layer}/{name}" for layer, name in tables)
    with output_lock(out):
        for name in clean_staging(out):
            say(f"removed {out / name}, left by a publish that was stopped")
        target = inside(out, scope.slug)
        staging = inside(out, f".{scope.slug}.staging-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            _write_files(staging, pages, books, lists, booklet, say)
            files = write_manifest(staging, {
                "scope": scope.label, "scope_description": scope.describe(),
                "as_of": rows.as_of.isoformat(), "generated_at": now.isoformat(timespec="seconds"),
                "generated_at_text": cst_text(now), "cadres": rows.profile.height, "units": units,
                "data_versions": versions, "pdf": note or "written", "warnings": warnings,
            })  # fmt: skip
            swap_in(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BundleResult(
        scope, target, rows.profile.height, units, len(files), sum(f["bytes"] for f in files),
        note, warnings,
    )  # fmt: skip
