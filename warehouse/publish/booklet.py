"""典型案例汇编: the de-identified case library as a booklet — cover, contents by field, each
case with its six elements, 三个区分开来 and correction, refusals as counter-examples.

It is built from ``gold/tolerance_case`` as that table is (its de-identification is the case
library's, :mod:`transforms.cases`), holds no scope's cadres, and goes into every bundle as is.
"""

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from transforms.pages import booklet
from transforms.publishing import BOOKLET_LIMIT, cst_text, file_stem
from warehouse.clock import today
from warehouse.publish import fonts, pdf
from warehouse.publish.carry import carry_file, fingerprint, frame_digest, recorded, render_version
from warehouse.publish.manifest import intact, swap_in, verify, write_manifest
from warehouse.publish.outdir import clean_staging, inside, output_lock
from warehouse.publish.pages import render
from warehouse.publish.snapshot import Snapshot, pin
from warehouse.store import Warehouse

HTML_NAME, PDF_NAME = "典型案例汇编.html", "典型案例汇编.pdf"
VOLUME_CASES = 400
"""At most this many cases per PDF volume (分册): a PDF is laid out whole in memory, so a library
of thousands of cases (16,000 in the generated data at 1,000,000 cadres) is printed in volumes."""


@dataclass
class BookletResult:
    path: Path
    cases: int
    pages: int | None
    pdf_note: str | None
    pdfs: list[str]
    """The PDF files: ``典型案例汇编.pdf``, or one per volume (``典型案例汇编-<领域>-01.pdf`` …)."""
    rendered: list[str] = field(default_factory=list)
    """The PDFs rendered by this publish; the others were carried over (their inputs unchanged)."""
    carried: bool = False
    """True when nothing changed: the folder was left as it was (not rewritten)."""


@dataclass(frozen=True)
class Volume:
    """One PDF volume: its file name, the label its pages carry, and its cases in booklet order."""

    name: str
    label: str
    cases: pl.DataFrame


def volumes(cases: pl.DataFrame, size: int | None = None) -> list[Volume]:
    """The cases in booklet order (tolerated by field, then refusals), in volumes that stay put
    when cases are added: a volume holds one field's cases (or the refusals') of one year, in
    case id order, at most ``size`` (:data:`VOLUME_CASES`) of them. A new case re-renders only
    its field's volumes of its year: a month's new cases, of the current year, never touch an
    earlier year's volume (a case id is a hash, so within a year a new case falls anywhere). A
    library of ``size`` cases or fewer is one volume."""
    size = size or VOLUME_CASES
    if cases.height <= size:
        ordered = cases.sort("counter_example", "field", "year", "case_id", nulls_last=True)
        return [Volume(PDF_NAME, "", ordered)]
    section = (
        pl.when(pl.col("counter_example")).then(pl.lit("不予容错"))
        .otherwise(pl.col("field").fill_null("其他"))
    )  # fmt: skip
    year = pl.col("year").cast(pl.String).fill_null("年份不详")
    sections = cases.with_columns(_section=section, _year=year).sort(
        "counter_example", "_section", "year", "case_id", nulls_last=True, maintain_order=True
    )  # the refusals' years in order too, whatever their fields
    out: list[Volume] = []
    for (title, when), group in sections.group_by("_section", "_year", maintain_order=True):
        part = group.drop("_section", "_year")
        chunks = range(0, part.height, size)
        for k, start in enumerate(chunks, start=1):
            stem = file_stem(f"典型案例汇编-{title}-{when}-{k:02d}")
            shown = f"{when}年" if str(when).isdigit() else str(when)
            label = f"（{title} · {shown}{f' 第 {k} 册' if len(chunks) > 1 else ''}）"
            out.append(Volume(f"{stem}.pdf", label, part.slice(start, size)))
    return out


def _page(cases: pl.DataFrame, as_of: date | None, now: datetime, volume: str) -> str:
    """The booklet's HTML; a PDF volume's (``as_of`` None) names no as-of date: its cases are
    computed without the date (:data:`~transforms.gold.DATELESS`), so a volume whose cases did
    not change is carried over when the date moves on, and says when it was made."""
    dated = f" · 数据截至 {as_of:%Y-%m-%d}" if as_of else ""
    return render(
        "booklet.html", title="典型案例汇编", book=booklet(cases), volume=volume,
        scope_label="全部（已脱敏）", scope_text="不含可识别个人的信息", as_of=as_of,
        generated_text=cst_text(now), root="", header_text=f"典型案例汇编{volume}{dated}",
        display_limit=BOOKLET_LIMIT,
    )  # fmt: skip


def _write_pdfs(
    staging: Path, folder: Path, parts: list[Volume], prints: dict[str, str], before: dict[str, Any],
    now: datetime, sound: set[str],
) -> tuple[dict[str, int], list[str], dict[str, str]]:  # fmt: skip
    """Each volume's PDF into ``staging``: carried over from ``folder`` when its fingerprint is
    the one recorded there (``before``) and the file is intact (``sound``: the files of
    ``folder`` with the bytes its manifest lists), else rendered. Returns each volume's pages,
    the volumes rendered, and when each was (a carried volume's cover shows its own time)."""
    pages: dict[str, int] = {}
    rendered: list[str] = []
    made: dict[str, str] = {}
    old = before.get("volumes") or {}
    with pdf.print_fonts(staging) as base:
        for part in parts:
            previous, was = folder / part.name, old.get(part.name) or {}
            if was.get("inputs") == prints[part.name] and part.name in sound and "pages" in was:
                carry_file(previous, inside(staging, part.name))
                pages[part.name] = int(was["pages"])
                made[part.name] = str(was.get("generated_at") or before.get("generated_at"))
                continue
            html = _page(part.cases, None, now, part.label)
            pages[part.name] = pdf.write_pdf(html, base, inside(staging, part.name))
            rendered.append(part.name)
            made[part.name] = now.isoformat(timespec="seconds")
    return pages, rendered, made


def write_booklet(
    store: Warehouse | Snapshot, folder: Path, now: datetime, pdfs: bool = True
) -> BookletResult:
    """The booklet (one HTML, and PDF volumes when Pango is there) into ``folder``, replacing
    what was there; ``folder``'s parent is locked meanwhile (:func:`~warehouse.publish.outdir.
    output_lock`). ``store``: a pinned snapshot, or a warehouse pinned and verified here.

    Only what changed is rebuilt: when the cases, the as-of date and :func:`~warehouse.publish.
    carry.render_version` are those ``folder`` was made from (and its files are intact), the
    folder is left as it is; otherwise each volume whose cases are unchanged is carried over.

    Raises:
        SnapshotError: gold/tolerance_case or gold/cadre_profile is missing or damaged.
    """
    if not isinstance(store, Snapshot):
        store = pin(store, [("gold", "tolerance_case"), ("gold", "cadre_profile")])
    cases = store.scan("gold", "tolerance_case").collect()
    profile = store.scan("gold", "cadre_profile").select("as_of").drop_nulls().head(1).collect()
    as_of = profile["as_of"][0] if profile.height else today()
    note = pdf.unavailable() if pdfs else "PDFs not requested (--no-pdf)"
    parts = [] if note else volumes(cases)
    version = render_version()
    prints = {v.name: fingerprint(version, v.label, frame_digest(v.cases)) for v in parts}
    versions = store.data_versions(["gold/tolerance_case"])
    inputs = fingerprint(version, as_of, frame_digest(cases), note, prints, versions)
    before = recorded(folder)
    if before.get("inputs") == inputs and not verify(folder):
        pdf_files = [p for p in before.get("pdf", []) if isinstance(p, str)] if not note else []
        pages = sum(int(v.get("pages") or 0) for v in (before.get("volumes") or {}).values())
        return BookletResult(
            folder, cases.height, None if note else pages, note, pdf_files, [], True
        )
    html = _page(cases, as_of, now, "")
    out = folder.parent
    with output_lock(out):
        clean_staging(out)
        staging = inside(out, f".{folder.name}.staging-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            (staging / HTML_NAME).write_text(html, encoding="utf-8")
            # What is carried from the last booklet must be there with the bytes it listed: a
            # damaged file is made again, not linked into the new one (and listed as sound).
            sound = {f["path"] for f in intact(folder)}
            # The previous subsets are linked when they hold the same characters.
            characters = fingerprint(version, fonts.font_characters([html]))
            same = before.get("font_characters") == characters and all(
                f"assets/{fonts.subset_name(weight)}" in sound for weight in fonts.WEIGHTS
            )
            fonts.write_fonts(staging / "assets", [html], folder / "assets" if same else None)
            counts, rendered, made = ({}, [], {}) if note else _write_pdfs(
                staging, folder, parts, prints, before, now, sound
            )  # fmt: skip
            names = [v.name for v in parts]
            write_manifest(staging, {
                "content": "典型案例汇编（已脱敏）", "as_of": as_of.isoformat(), "cases": cases.height,
                "generated_at": now.isoformat(timespec="seconds"), "pdf": note or names,
                "data_versions": versions, "inputs": inputs, "font_characters": characters,
                "volumes": {v.name: {"inputs": prints[v.name], "cases": v.cases.height,
                                     "pages": counts[v.name], "generated_at": made[v.name]}
                            for v in parts},
            })  # fmt: skip
            swap_in(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BookletResult(
        folder, cases.height, None if note else sum(counts.values()), note, names, rendered
    )
