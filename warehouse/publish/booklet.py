"""典型案例汇编: the de-identified case library as a booklet — cover, contents by field, each
case with its six elements, 三个区分开来 and correction, refusals as counter-examples.

It is built from ``gold/tolerance_case`` as that table is (its de-identification is the case
library's, :mod:`transforms.cases`), holds no scope's cadres, and goes into every bundle as is.
"""

import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from transforms.pages import booklet
from transforms.publishing import BOOKLET_LIMIT, cst_text
from warehouse.publish import fonts, pdf
from warehouse.publish.manifest import swap_in, write_manifest
from warehouse.publish.outdir import clean_staging, inside, output_lock
from warehouse.publish.pages import render
from warehouse.publish.snapshot import Snapshot, pin
from warehouse.store import Warehouse

HTML_NAME, PDF_NAME = "典型案例汇编.html", "典型案例汇编.pdf"
VOLUME_CASES = 400
"""Cases per PDF volume (分册): a PDF is laid out whole in memory, so a library of thousands of
cases (16,000 in the generated data at 1,000,000 cadres) is printed in volumes of this many."""


@dataclass
class BookletResult:
    path: Path
    cases: int
    pages: int | None
    pdf_note: str | None
    pdfs: list[str]
    """The PDF files written: ``典型案例汇编.pdf``, or one per volume (``典型案例汇编-第01册.pdf`` …)."""


def volumes(cases: pl.DataFrame, size: int = VOLUME_CASES) -> list[pl.DataFrame]:
    """The cases in booklet order (tolerated by field, then refusals), cut into volumes."""
    ordered = cases.sort("counter_example", "field", "year", "case_id", nulls_last=True)
    return [ordered.slice(k, size) for k in range(0, max(ordered.height, 1), size)]


def _page(cases: pl.DataFrame, as_of: date, now: datetime, volume: str) -> str:
    return render(
        "booklet.html", title="典型案例汇编", book=booklet(cases), volume=volume,
        scope_label="全部（已脱敏）", scope_text="不含可识别个人的信息", as_of=as_of,
        generated_text=cst_text(now), root="", header_text=f"典型案例汇编{volume} · 数据截至 {as_of:%Y-%m-%d}",
        display_limit=BOOKLET_LIMIT,
    )  # fmt: skip


def _write_pdfs(
    staging: Path, cases: pl.DataFrame, as_of: date, now: datetime
) -> tuple[int, list[str]]:
    parts = volumes(cases)
    pages, names = 0, []
    for k, part in enumerate(parts, start=1):
        volume = f"（第 {k} 册，共 {len(parts)} 册）" if len(parts) > 1 else ""
        name = PDF_NAME if len(parts) == 1 else f"典型案例汇编-第{k:02d}册.pdf"
        pages += pdf.write_pdf(_page(part, as_of, now, volume), staging, inside(staging, name))
        names.append(name)
    return pages, names


def write_booklet(
    store: Warehouse | Snapshot, folder: Path, now: datetime, pdfs: bool = True
) -> BookletResult:
    """The booklet (one HTML, and PDF volumes when Pango is there) into ``folder``, replacing
    what was there; ``folder``'s parent is locked meanwhile (:func:`~warehouse.publish.outdir.
    output_lock`). ``store``: a pinned snapshot, or a warehouse pinned and verified here.

    Raises:
        SnapshotError: gold/tolerance_case or gold/cadre_profile is missing or damaged.
    """
    if not isinstance(store, Snapshot):
        store = pin(store, [("gold", "tolerance_case"), ("gold", "cadre_profile")])
    cases = store.scan("gold", "tolerance_case").collect()
    profile = store.scan("gold", "cadre_profile").select("as_of").drop_nulls().head(1).collect()
    as_of = profile["as_of"][0] if profile.height else date.today()
    html = _page(cases, as_of, now, "")
    out = folder.parent
    with output_lock(out):
        clean_staging(out)
        staging = inside(out, f".{folder.name}.staging-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            (staging / HTML_NAME).write_text(html, encoding="utf-8")
            fonts.write_fonts(staging / "assets", [html])
            note = pdf.unavailable() if pdfs else "PDFs not requested (--no-pdf)"
            pages, names = (None, []) if note else _write_pdfs(staging, cases, as_of, now)
            write_manifest(staging, {
                "content": "典型案例汇编（已脱敏）", "as_of": as_of.isoformat(), "cases": cases.height,
                "generated_at": now.isoformat(timespec="seconds"), "pdf": note or names,
                "data_versions": store.data_versions(["gold/tolerance_case"]),
            })  # fmt: skip
            swap_in(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BookletResult(folder, cases.height, pages, note, names)
