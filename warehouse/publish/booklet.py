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

from transforms.pages import booklet
from transforms.publishing import cst_text
from warehouse.publish import fonts, pdf
from warehouse.publish.manifest import swap_in, write_manifest
from warehouse.publish.pages import render
from warehouse.publish.scoped import data_versions
from warehouse.store import Warehouse

HTML_NAME, PDF_NAME = "典型案例汇编.html", "典型案例汇编.pdf"


@dataclass
class BookletResult:
    path: Path
    cases: int
    pages: int | None
    pdf_note: str | None


def write_booklet(
    store: Warehouse, folder: Path, now: datetime, pdfs: bool = True
) -> BookletResult:
    """The booklet (HTML, and PDF when Pango is there) into ``folder``, replacing what was there."""
    cases = store.scan("gold", "tolerance_case").collect()
    profile = store.scan("gold", "cadre_profile").select("as_of").head(1).collect()
    as_of = profile["as_of"][0] if profile.height else date.today()
    html = render(
        "booklet.html", title="典型案例汇编", book=booklet(cases), scope_label="全部（已脱敏）",
        scope_text="不含可识别个人的信息", as_of=as_of, generated_text=cst_text(now), root="",
        header_text=f"典型案例汇编 · 数据截至 {as_of:%Y-%m-%d}",
    )  # fmt: skip
    staging = folder.with_name(f".{folder.name}.staging-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        (staging / HTML_NAME).write_text(html, encoding="utf-8")
        fonts.write_fonts(staging / "assets", [html])
        note = pdf.unavailable() if pdfs else "PDFs not requested (--no-pdf)"
        pages = None if note else pdf.write_pdf(html, staging, staging / PDF_NAME)
        write_manifest(staging, {
            "content": "典型案例汇编（已脱敏）", "as_of": as_of.isoformat(), "cases": cases.height,
            "generated_at": now.isoformat(timespec="seconds"), "pdf": note or "written",
            "data_versions": data_versions(store, [("gold", "tolerance_case")]),
        })  # fmt: skip
        swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BookletResult(folder, cases.height, pages, note)
