"""A scoped bundle: one folder per scope holding only its cadres and units.

Layout of ``<out>/<管理权限>-<region>/``::

    index.html                 the scope: figures, links, an offline search over its cadres
    profiles/<人员编号>.html    one 干部监督档案 per cadre
    portraits/region-<code>.html, portraits/unit-<单位>.html
                               the region's and each unit's portrait (inline SVG charts)
    lists/<list>.html          every list below laid out for A4 (:data:`LIST_PAGES`)
    notices/澄清正名通知书-<人员编号>-<件号>.pdf + .docx
                               one per report found 不实/查无实据 and cleared (PDF when Pango is there)
    excel/<list>.xlsx + .csv   预警名单, 选拔任用审查, 澄清正名名单, 干部名单, 容错复核清单, 关联复核清单,
                               数据不一致清单, …
    pdf/干部监督档案-按单位/<单位>.pdf   the profiles, one volume per unit (when Pango is there)
    pdf/干部监督档案/*.pdf      and one per cadre, ``<姓名>-<人员编号>.pdf`` (``per_cadre``)
    pdf/单位画像-按单位/<单位>.pdf   the portraits, one per unit (when Pango is there)
    pdf/区域画像.pdf             and the scope's regions' portraits
    cases/                     the de-identified 典型案例汇编 (HTML, PDF), when given
    assets/                    the font subset the pages use and its licence (OFL)
    manifest.json              scope, as-of, data versions, every file with its SHA-256, what it
                               was made from and when

A scope whose rows did not change is left as it was. Otherwise each file is made again only when
what it is made from changed (:func:`_make`): the others are hard-linked from the previous bundle
and keep the generation time they show (the manifest's ``generated_at`` of each file).

The folder is built beside the target and swapped in with renames, so a failed publish leaves
the previous bundle as it was. Every path is checked to stay inside its folder (a profile's file
name is its 人员编号 only when that is a plain name, else a hash: :func:`transforms.publishing.
file_stem`); the output folder is locked while a bundle is written, and staging folders a killed
publish left there are removed first. The rows come from one pinned, verified set of table
versions (:mod:`warehouse.publish.snapshot`).
"""

import contextlib
import functools
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from transforms.notices import NoticeTemplate, notice_texts
from transforms.pages import portrait_pages, profile_pages, search_index
from transforms.publishing import (
    LEVEL_LABELS,
    bottom_rank_list,
    cadre_pdf_stem,
    clearance_list,
    commendation_list,
    cst_text,
    file_stem,
    followup_list,
    inconsistency_list,
    profile_list,
    promotion_list,
    region_label,
    text_findings,
    tolerance_review_list,
    warning_list,
    with_region_names,
)
from transforms.scope import Scope
from warehouse.publish import excel, fonts, notices, pdf
from warehouse.publish.carry import (
    Stamp,
    carry_file,
    fingerprint,
    frame_digest,
    recorded,
    render_version,
)
from warehouse.publish.manifest import MANIFEST, intact, swap_in, verify, write_manifest
from warehouse.publish.outdir import clean_staging, inside, output_lock
from warehouse.publish.pages import render, render_list
from warehouse.publish.scoped import GOLD_USED, SILVER_USED, ScopeRows, _pinned, read_scope
from warehouse.publish.snapshot import Snapshot
from warehouse.rules import load_regions
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
    carried: bool = False
    """True when the scope's inputs were unchanged and its folder was left as it was."""
    rendered: list[str] = field(default_factory=list)
    """The files this publish made; the bundle's other files were carried over from the previous
    one (hard-linked: made from the same inputs, they keep the time they were made at)."""


@dataclass
class _Pages:
    """Rendered HTML by relative path, and the context every page shares."""

    html: dict[str, str]
    common: dict[str, Any]


@functools.cache
def region_names() -> dict[str, str]:
    """GB/T 2260 code → name (``warehouse/rules/regions.csv``), for titles and lists."""
    return dict(load_regions())


def _common(rows: ScopeRows, stamp: Stamp, root: str) -> dict[str, Any]:
    scope = rows.scope
    where = region_label(scope.region, region_names())
    return {
        "scope_label": f"{scope.level} · {where}", "scope_text": scope.describe(
            region_names().get(scope.region)), "as_of": stamp.date_token,
        "generated_text": stamp.token, "root": root,
        "header_text": f"{scope.level} · {where} · 数据截至 {stamp.date_token}",
    }  # fmt: skip


def _lists(rows: ScopeRows) -> dict[str, pl.DataFrame]:
    cadres = rows.cadres.lazy()
    lists = {
        "预警名单": warning_list(rows.warning.lazy(), cadres, rows.timeline.lazy()).collect(),
        "选拔任用审查": promotion_list(rows.promotion.lazy(), cadres).collect(),
        "澄清正名名单": clearance_list(rows.clearance.lazy(), cadres).collect(),
        "干部名单": profile_list(rows.profile.lazy(), cadres).collect(),
        "容错复核清单": tolerance_review_list(rows.review.lazy(), cadres).collect(),
        "关联复核清单": rows.links,
        "数据不一致清单": inconsistency_list(rows.inconsistency.lazy(), cadres).collect(),
        "考核排名靠后名单": bottom_rank_list(rows.warning.lazy(), cadres).collect(),
        "影响期跟踪名单": followup_list(rows.followup.lazy(), cadres).collect(),
        "表彰奖励资格名单": commendation_list(rows.profile.lazy(), cadres).collect(),
    }
    return {name: with_region_names(frame, region_names()) for name, frame in lists.items()}


def _profile_html(
    rows: ScopeRows, sub: dict[str, Any], html: dict[str, str]
) -> list[dict[str, Any]]:
    profiles = profile_pages(
        rows.profile, rows.cadres, rows.timeline, rows.warning, rows.promotion, rows.clearance,
        rows.posts, rows.reviewed,
    )  # fmt: skip
    for p in profiles:
        p["as_of"] = sub["as_of"]  # the stamp's: a page carried over keeps the date it was made at
        p["posts_note"] = rows.posts_note
        p["region_text"] = region_label(p["region"], region_names())
        html[f"profiles/{p['file']}.html"] = render(
            "profile.html", title=f"{p['name']} 干部监督档案", p=p, **sub
        )
    return profiles


def _portrait_html(
    rows: ScopeRows, sub: dict[str, Any], html: dict[str, str]
) -> list[dict[str, Any]]:
    """Each portrait's page, at a path named by its unit (or region code) — not by its place in
    the list, so that a unit coming or going neither moves another unit's page (a bookmark of
    it would open another unit's portrait) nor makes it again."""
    portraits = portrait_pages(rows.portraits)
    taken: set[str] = set()
    for u in portraits:
        grain = "region" if u["grain"] == "region" else "unit"
        again = f"{u['name']}{chr(0)}{len(taken)}"  # two rows of one name: never one page
        path = _unique_path(taken, f"portraits/{grain}-", u["name"], again, ".html")
        if u["grain"] == "region":
            u["name"] = region_label(u["name"], region_names())
        u["region_text"] = region_label(u.get("region"), region_names())
        u["path"], u["pdf"] = path, None  # its PDF: set by portrait_volumes when there are PDFs
        html[path] = render("portrait.html", title=f"{u['name']} 画像", u=u, **sub)
    return portraits


LIST_PAGES = {
    "预警名单": "lists/warnings.html", "选拔任用审查": "lists/promotion.html",
    "澄清正名名单": "lists/clearance.html", "干部名单": "lists/cadres.html",
    "容错复核清单": "lists/tolerance-review.html", "关联复核清单": "lists/link-review.html",
    "数据不一致清单": "lists/inconsistency.html",
    "考核排名靠后名单": "lists/bottom-rank.html", "影响期跟踪名单": "lists/followup.html",
    "表彰奖励资格名单": "lists/commendation.html",
}  # fmt: skip
"""Each list's page in the bundle; its spreadsheet is ``excel/<name>.xlsx`` (and ``.csv``)."""

_WHO = ["姓名", "人员编号", "单位", "职务"]
ROSTER_SHOWN = [
    *_WHO, "性别", "出生年月", "职级", "任现职时间", "预警等级", "暂停提拔", "澄清正名", "近三年年度考核",
]  # fmt: skip
"""干部名单's columns on its page (A4 landscape); the spreadsheet has all 20."""


def _list_html(
    lists: dict[str, pl.DataFrame], sub: dict[str, Any], html: dict[str, str],
    written: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """A page for every list (:func:`~warehouse.publish.pages.render_list`); the clearance list
    links its 澄清正名通知书 (``written``). Returns the figures the index shows (warnings by
    level, barred, notices)."""
    warnings = lists["预警名单"]
    groups = [
        (lv, LEVEL_LABELS[lv], warnings.filter(pl.col("预警等级") == LEVEL_LABELS[lv]))
        for lv in ("red", "yellow", "blue")
    ]
    counts = {lv: g.height for lv, _, g in groups}
    html[LIST_PAGES["预警名单"]] = render_list(
        warnings, "预警名单", f"截至 {sub['as_of']}，本范围内 {warnings.height} 条预警"
        f"（红色 {counts['red']}、黄色 {counts['yellow']}、蓝色 {counts['blue']}），每条列出引发预警的记录。",
        excel="预警名单", sections=[(label, g) for _, label, g in groups],
        shown=[*_WHO, "预警事项", "依据", "相关记录"], **sub,
    )  # fmt: skip
    promotion = lists["选拔任用审查"]
    held = promotion.filter(pl.col("暂停提拔") == "是")
    html[LIST_PAGES["选拔任用审查"]] = render_list(
        promotion, "选拔任用审查名单",
        f"依据《党政领导干部选拔任用工作条例》第二十四条，截至 {sub['as_of']}：本范围 "
        f"{promotion.height} 名干部中 {held.height} 名暂停提拔，列于下表。",
        excel="选拔任用审查", sections=[("暂停提拔", held)],
        shown=[*_WHO, "限制截止日期", "原因及依据"],
        note=f"其余 {promotion.height - held.height} 名干部截至审查基准日无暂停提拔情形，"
        "未在此列出；全部干部的审查结果见 Excel。", **sub,
    )  # fmt: skip
    simple = {
        "澄清正名名单": ("澄清正名名单", "经核查不实并澄清正名、或认定为诬告陷害的反映，共 {n} 件；这些反映不计入对干部的评价。"),
        "干部名单": ("干部名单", "本范围干部 {n} 人，每人一行：基本信息、预警、暂停提拔、澄清正名与近三年年度考核"
                 "（公民身份号码、管理权限、行政区划、记录数等其余各列见 Excel）。"),
        "容错复核清单": ("容错复核清单", "容错认定与其可能覆盖的问责、处分措施，共 {n} 对；在 Excel 的“决定、理由、经办人、日期”列填写确认或否决后，用 dajiandu decisions import 导入。"),
        "关联复核清单": ("关联复核清单", "可能属于多名干部、未能自动关联的记录，共 {n} 行（每行一条记录与本范围内的一名候选干部）；在 Excel 中于正确的候选人一行的“决定”列填写确认、于不是本人的候选人一行填写否决（或撤销此前的决定），填写理由、经办人、日期后，用 dajiandu decisions import 导入；否决不会使记录自动关联到其他候选人。"),
        "数据不一致清单": ("数据不一致清单", "上游数据与按规则计算的结果不一致之处，共 {n} 条，两者并列，请核实上游数据。"),
        "考核排名靠后名单": ("考核排名靠后名单", "年度考核在本单位连续排名靠后的干部，及排名末位的班子负责人、分管副职（约谈），共 {n} 条。"),
        "影响期跟踪名单": ("影响期跟踪名单", "受处分或组织处理的干部，共 {n} 条：影响期、此后的年度考核与新记录，以及能否重新使用的每项条件及其依据。"),
        "表彰奖励资格名单": ("表彰奖励资格名单", "按年度考核结果具备嘉奖、记三等功资格的干部，共 {n} 条，列出依据条款。"),
    }  # fmt: skip
    for name, (title, intro) in simple.items():
        frame = lists[name]
        html[LIST_PAGES[name]] = render_list(
            frame, title, intro.format(n=frame.height), excel=name,
            shown=ROSTER_SHOWN if name == "干部名单" else None,
            notices=written if name == "澄清正名名单" else None, **sub,
        )  # fmt: skip
    return {"warnings": counts, "barred": held.height, "notices": len(written)}


PORTRAIT_VOLUMES = "pdf/单位画像-按单位"
"""The folder of the unit portraits' PDFs: one per unit, ``<单位>.pdf`` (:func:`portrait_volumes`)."""
REGION_PDF = "pdf/区域画像.pdf"
"""The scope's regions' portraits in one PDF."""
PROFILE_VOLUMES = "pdf/干部监督档案-按单位"
"""The folder of the profile volumes (分册): one per unit, ``<单位>.pdf`` (:func:`volumes`)."""
PER_CADRE = "pdf/干部监督档案"
"""The folder of one PDF per cadre (``--profile-pdf per-cadre``), beside the volumes."""
VOLUME_CADRES = 200
"""At most this many cadres per profile volume: a unit with more is split (``<单位>-02.pdf`` …)."""
NO_UNIT = "（未填单位）"


def _unique_path(taken: set[str], prefix: str, name: str | None, again: str, suffix: str) -> str:
    """``prefix`` + the file stem of ``name`` (:func:`~transforms.publishing.file_stem`) +
    ``suffix``, or, when another file of the bundle took that path, the stem of ``again`` (a
    hash: never the other's file); the path is added to ``taken``."""
    path = f"{prefix}{file_stem(name)}{suffix}"
    if path in taken:
        path = f"{prefix}{file_stem(again)}{suffix}"
    taken.add(path)
    return path


@dataclass(frozen=True)
class Volume:
    """One profile volume: its path, the unit (and part) its cover names, its cadres' records."""

    path: str
    label: str
    parts: list[dict[str, Any]]


def volumes(profiles: list[dict[str, Any]], size: int | None = None) -> list[Volume]:
    """The profiles in volumes an officer prints for one unit: one per unit (by name; in
    人员编号 order within it), a unit of more than ``size`` (:data:`VOLUME_CADRES`) cadres in
    parts of that many. A change to a cadre's rows re-renders only its unit's volume (its
    part); the file is the unit's name when that is a plain name, else a hash
    (:func:`~transforms.publishing.file_stem`), and the index links every volume by its unit."""
    size = size or VOLUME_CADRES
    units: dict[str, list[dict[str, Any]]] = {}
    for p in profiles:
        units.setdefault(p.get("unit") or NO_UNIT, []).append(p)
    out: list[Volume] = []
    taken: set[str] = set()
    for unit in sorted(units):
        members = units[unit]
        chunks = range(0, len(members), size)
        for k, start in enumerate(chunks, start=1):
            many = len(chunks) > 1
            plain = f"{unit}-{k:02d}" if many else unit  # a unit named 某局-02: 某局's part 2?
            path = _unique_path(taken, f"{PROFILE_VOLUMES}/", plain, f"{unit}{chr(0)}{k}", ".pdf")
            label = f"{unit}（第 {k} 册）" if many else unit
            out.append(Volume(path, label, members[start : start + size]))
    return out


def portrait_volumes(portraits: list[dict[str, Any]]) -> list[Volume]:
    """The portraits' PDFs: one per unit (its portrait alone, a page or two, no cover), named as
    its profile volume is (:func:`volumes`), and the scope's regions together
    (:data:`REGION_PDF`). Each unit's figures are its own cadres', so a month that changes some
    units re-renders their PDFs and the regions' (whose figures sum every unit), not every unit's
    as one volume of all did. Sets each record's ``pdf`` (its file) for the index."""
    out: list[Volume] = []
    regions = [u for u in portraits if u["grain"] == "region"]
    if regions:
        out.append(Volume(REGION_PDF, "区域画像", regions))
    taken: set[str] = set()
    for u in portraits:
        if u["grain"] != "region":
            name = u["name"] or NO_UNIT
            again = name + chr(0) + str(len(out))  # one name twice: never one file for both
            path = _unique_path(taken, f"{PORTRAIT_VOLUMES}/", name, again, ".pdf")
            out.append(Volume(path, name, [u]))
    for v in out:
        for u in v.parts:
            u["pdf"] = v.path
    return out


def _render(
    rows: ScopeRows, lists: dict[str, pl.DataFrame], stamp: Stamp, pdf_links: list[dict[str, str]],
    pdf_note: str | None, booklet: list[str] | None, written: list[dict[str, Any]],
    profile_volumes: bool,
) -> tuple[_Pages, list[dict[str, Any]], list[Volume], list[Volume]]:  # fmt: skip
    """Every page of the bundle as HTML (the generation time as ``stamp``'s token), the profile
    records, the portraits' PDFs (when ``pdf_note`` is None: there are PDFs) and the profile
    volumes (when ``profile_volumes``), for the PDFs."""
    sub = _common(rows, stamp, "../")
    html: dict[str, str] = {}
    profiles = _profile_html(rows, sub, html)
    portraits = _portrait_html(rows, sub, html)
    figures = _list_html(lists, sub, html, written)
    top = _common(rows, stamp, "")
    books = volumes(profiles) if profile_volumes else []
    pictures = portrait_volumes(portraits) if pdf_note is None else []
    where = {p["file"]: v.path for v in books for p in v.parts}
    index = [{**c, "v": where.get(c["f"])} for c in search_index(rows.profile)]
    html["index.html"] = render(
        "index.html", title="目录", cadres=rows.profile.height,
        units=int((rows.portraits["grain"] == "unit").sum()),
        cleared=int(rows.profile["cleared"].sum()), index=index,
        portraits=portraits, pdfs=pdf_links, pdf_note=pdf_note, booklet=booklet, volumes=books,
        portrait_pdfs=sum(1 for v in pictures if v.path != REGION_PDF),
        lists=[{"name": n, "page": LIST_PAGES[n], "rows": f.height} for n, f in lists.items()],
        **figures, **{**top, "as_of": rows.as_of},  # the index is the run's: made every time
    )  # fmt: skip
    return _Pages(html, top), profiles, pictures, books


def _books(
    pages: _Pages, books: list[Volume], pictures: list[Volume],
    profiles: list[dict[str, Any]], per_cadre: bool,
) -> dict[str, str]:  # fmt: skip
    """The HTML of each PDF by its path: the portraits (:func:`portrait_volumes`: a unit's
    alone without a cover, the regions' with one when there are several), each profile volume
    and (``per_cadre``) one 干部监督档案 per cadre (no cover) — the same page bodies one after
    another, each from a new page."""
    common = pages.common
    html: dict[str, str] = {}
    for v in pictures:
        regions = v.path == REGION_PDF
        html[v.path] = render(
            "book.html", title=v.label if regions else f"单位画像 · {v.label}", parts=v.parts,
            kind="portrait", cover=regions and len(v.parts) > 1, **common,
        )  # fmt: skip
    for v in books:
        html[v.path] = render(
            "book.html", title=f"干部监督档案 · {v.label}", parts=v.parts, kind="profile", **common
        )
    for p in profiles if per_cadre else []:
        html[f"{PER_CADRE}/{cadre_pdf_stem(p['name'], p['person_no'])}.pdf"] = render(
            "book.html", title=f"{p['name']} 干部监督档案", parts=[p], kind="profile",
            cover=False, **common,
        )  # fmt: skip
    return html


def _page_note(note: str | None) -> str | None:
    """What the index tells an officer when the bundle has no PDF."""
    if note is None:
        return None
    if note.startswith("PDFs not requested"):
        return "本目录未生成 PDF（发布时选择不生成）。各页面可在浏览器中直接打印为 A4。"
    return "本目录未生成 PDF：发布所用的机器缺少 Pango 库（Debian 软件包 libpangoft2-1.0-0）。各页面可在浏览器中直接打印为 A4。"


def _notices(rows: ScopeRows, template: NoticeTemplate, pdfs: bool) -> list[dict[str, Any]]:
    """Each notice of the scope: its row, its filled texts, its file stem."""
    out = []
    for row in rows.notices.to_dicts():
        texts = notice_texts(row, template)
        out.append({**row, "texts": texts, "stem": f"澄清正名通知书-{row['file']}", "pdf": pdfs})
    return out


@dataclass(frozen=True)
class _Piece:
    """Files made together (a page; a list's .xlsx and .csv; a notice's .docx and .pdf; a PDF;
    the font subset), what they are made from (:meth:`Stamp.key`), and how to make them into a
    folder at a time."""

    paths: tuple[str, ...]
    inputs: str
    make: Callable[[Path, datetime], object]


def _pieces(
    pages: _Pages, books: dict[str, str], lists: dict[str, pl.DataFrame],
    written: list[dict[str, Any]], stamp: Stamp, print_base: Callable[[], Path],
) -> list[_Piece]:  # fmt: skip
    """Every file of the bundle but the booklet's copy and the manifest, as pieces. PDFs are
    rendered against the whole vendored fonts (``print_base``, :func:`~warehouse.publish.pdf.
    print_fonts`), so that a PDF depends on its own HTML only."""

    def page(path: str, text: str) -> _Piece:
        def make(folder: Path, when: datetime) -> None:
            target = inside(folder, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stamp.fill(text, when), encoding="utf-8")

        return _Piece((path,), stamp.key("page", text), make)

    def book(path: str, text: str) -> _Piece:
        def make(folder: Path, when: datetime) -> None:
            pdf.write_pdf(stamp.fill(text, when), print_base(), inside(folder, path))

        return _Piece((path,), stamp.key("pdf", text), make)

    def sheet(name: str, frame: pl.DataFrame) -> _Piece:
        header = stamp.dated(pages.common["header_text"])
        return _Piece(
            (f"excel/{name}.xlsx", f"excel/{name}.csv"),
            stamp.key("excel", name, header, frame_digest(frame)),
            lambda folder, _: excel.write_sheet(frame, folder / "excel", name, header=header),
        )  # fmt: skip

    def notice(n: dict[str, Any]) -> _Piece:
        folder_name = f"{notices.FOLDER}/{n['stem']}"
        html = notices.notice_html(n["texts"], pages.common)

        def make(folder: Path, when: datetime) -> None:
            notices.write_docx(n["texts"], inside(folder, f"{folder_name}.docx"))
            if n["pdf"]:
                base = print_base() / notices.FOLDER
                pdf.write_pdf(stamp.fill(html, when), base, inside(folder, f"{folder_name}.pdf"))

        paths = (f"{folder_name}.docx", *([f"{folder_name}.pdf"] if n["pdf"] else []))
        return _Piece(paths, stamp.key("notice", n["texts"], html if n["pdf"] else None), make)

    shown = [*pages.html.values(), *books.values(), *(
        notices.notice_html(n["texts"], pages.common) for n in written)]  # fmt: skip
    any_time = "".join(shown).replace(stamp.token, cst_text(_EPOCH))
    characters = "".join(sorted(set(any_time.replace(stamp.date_token, "0123456789-"))))
    font = _Piece(
        (*sorted(f"assets/{fonts.subset_name(w)}" for w in fonts.WEIGHTS), "assets/OFL.txt"),
        stamp.key("fonts", characters),
        lambda folder, _: fonts.write_fonts(folder / "assets", [characters]),
    )  # fmt: skip
    return [
        font, *(page(path, text) for path, text in pages.html.items()),
        *(sheet(name, frame) for name, frame in lists.items()),
        *(notice(n) for n in written), *(book(path, text) for path, text in books.items()),
    ]  # fmt: skip


_EPOCH = datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
"""Any time: what the generation time adds to the pages' characters (digits, 北京时间 …)."""


def _make(
    staging: Path, target: Path, pieces: list[_Piece], now: datetime, as_of: date
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Each piece into ``staging``: hard-linked from the bundle at ``target`` when every one of
    its files is there, intact, and made from the same inputs; else made at ``now``. Returns
    each file's inputs, generation time and the as-of date it shows (for the manifest), and the
    files made."""
    old = {f["path"]: f for f in intact(target) if "inputs" in f and "generated_at" in f}
    made: dict[str, dict[str, str]] = {}
    rendered: list[str] = []
    for piece in pieces:
        was = [old.get(p) or {} for p in piece.paths]
        if all(w.get("inputs") == piece.inputs for w in was):
            for path in piece.paths:
                carry_file(target / path, inside(staging, path))
            when, dated = str(was[0]["generated_at"]), str(was[0].get("as_of") or "")
        else:
            piece.make(staging, now)
            rendered.extend(piece.paths)
            when, dated = now.isoformat(timespec="seconds"), as_of.isoformat()
        made.update({
            path: {"inputs": piece.inputs, "generated_at": when, "as_of": dated}
            for path in piece.paths
        })  # fmt: skip
    return made, rendered


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
    per_cadre: bool = False,
    booklet: Path | None = None,
    notice_template: NoticeTemplate | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> BundleResult:
    """Publish one scope into ``out/<slug>``; ``booklet`` is a folder holding the case booklet
    to copy in; ``per_cadre`` writes one profile PDF per cadre into :data:`PER_CADRE` as well
    (beside the volume, when ``profile_pdf``); ``notice_template`` words the 澄清正名通知书
    (default: the shipped ``clearance_notice.yaml``,
    :func:`warehouse.publish.notices.load_template`). ``now`` (Asia/Shanghai) is the generation
    time the pages show. ``store`` is a
    pinned :class:`Snapshot`, or a warehouse whose current versions are pinned and verified here.
    A scope whose rows, options, booklet and page code are those its folder was made from
    (:func:`scope_fingerprint`) is not rendered or rewritten again.

    Raises:
        ScopeEmptyError: the scope holds no cadre.
        SnapshotError: a table is missing, damaged or from another run.
        OutputLockedError: another publish is writing into ``out``.
        UnsafePathError: a path would leave its folder.
        RuleError: the shipped notice template cannot be used (when none is given).
    """
    snapshot = _pinned(store)
    rows = read_scope(snapshot, scope)
    warnings = text_warnings(rows)
    for line in warnings:
        say(line)
    note = pdf.unavailable() if pdfs else "PDFs not requested (--no-pdf)"
    tables = [("silver", t) for t in SILVER_USED] + [("gold", t) for t in GOLD_USED]
    versions = snapshot.data_versions(f"{layer}/{name}" for layer, name in tables)
    template = notice_template if notice_template is not None else notices.load_template()
    inputs = scope_fingerprint(rows, note, (profile_pdf, per_cadre), booklet, template)
    target = inside(out, scope.slug)
    with output_lock(out):
        kept = _carried(target, inputs, versions)
    if kept is not None:
        say(f"{scope.slug}: its rows and pages are unchanged, carried over")
        return BundleResult(scope, target, rows.profile.height, kept["units"], kept["files"],
                            kept["bytes"], note, warnings, carried=True)  # fmt: skip
    lists = _lists(rows)
    links = [] if note else [{"path": REGION_PDF, "label": "区域画像"}]
    if per_cadre and not note:
        links.append({"path": f"{PER_CADRE}/", "label": "干部监督档案（每人一份）"})
    booklet_pdfs = sorted(p.name for p in booklet.glob("*.pdf")) if booklet else []
    written = _notices(rows, template, pdfs=note is None)
    stamp = Stamp(rows.as_of)
    pages, profiles, pictures, books = _render(
        rows, lists, stamp, links, _page_note(note), booklet_pdfs if booklet else None, written,
        profile_volumes=profile_pdf and not note,
    )  # fmt: skip
    html = {} if note else _books(pages, books, pictures, profiles, per_cadre)
    units = int((rows.portraits["grain"] == "unit").sum())
    with output_lock(out):
        for name in clean_staging(out):
            say(f"removed {out / name}, left by a publish that was stopped")
        staging = inside(out, f".{scope.slug}.staging-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            with contextlib.ExitStack() as stack:
                fonts_base = functools.cache(lambda: stack.enter_context(pdf.print_fonts(staging)))
                pieces = _pieces(pages, html, lists, written, stamp, fonts_base)
                made, rendered = _make(staging, target, pieces, now, rows.as_of)
            if booklet is not None:
                shutil.copytree(
                    booklet, staging / "cases", ignore=shutil.ignore_patterns("manifest.json"),
                    copy_function=carry_file,
                )  # fmt: skip
            files = write_manifest(staging, {
                "scope": scope.label, "scope_description": scope.describe(),
                "as_of": rows.as_of.isoformat(), "generated_at": now.isoformat(timespec="seconds"),
                "generated_at_text": cst_text(now), "cadres": rows.profile.height, "units": units,
                "data_versions": versions, "pdf": note or "written", "warnings": warnings,
                "notices": len(written),
                "inputs": inputs,
            }, made)  # fmt: skip
            swap_in(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    unchanged = len(made) - len(rendered)
    said = f"{unchanged:,} unchanged ones carried over" if unchanged else "none carried over"
    say(f"{scope.slug}: {len(rendered):,} of {len(made):,} files made, {said}")
    return BundleResult(
        scope, target, rows.profile.height, units, len(files), sum(f["bytes"] for f in files),
        note, warnings, rendered=rendered,
    )  # fmt: skip


def scope_fingerprint(
    rows: ScopeRows,
    note: str | None,
    profile_pdf: bool | tuple[bool, bool],
    booklet: Path | None,
    template: NoticeTemplate | None = None,
) -> str:
    """What a scope's bundle is made from: its rows (every frame, as a multiset: the semi-joins
    that cut them to the scope do not keep one row order from one process to the next, and the
    pages sort what they show), the as-of date, the options, the notices' wording, the marks of
    reviewed links, the booklet's files (by their SHA-256) and :func:`~warehouse.publish.carry.render_version`. The generation time is not part
    of it: a carried-over bundle keeps its own."""
    frames = {
        name: frame_digest(getattr(rows, name), ordered=False)
        for name in ("cadres", "profile", "timeline", "warning", "promotion", "clearance",
                     "review", "inconsistency", "portraits", "posts", "followup", "notices", "links")
    }  # fmt: skip
    cases = recorded(booklet).get("files") if booklet is not None else None
    wording = None if template is None else {**asdict(template), "source": None}
    return fingerprint(render_version(), rows.scope.label, rows.scope.describe(), rows.as_of,
                       rows.posts_note, frames, sorted(rows.reviewed.items()), note,
                       profile_pdf, cases, wording)  # fmt: skip


def _carried(
    target: Path, inputs: str, versions: dict[str, dict[str, Any]]
) -> dict[str, int] | None:
    """When ``target`` was published from ``inputs`` and is intact: its units, files and bytes
    (the bundle is left as it is; only its manifest's ``data_versions`` is brought up to date
    when the tables moved on without changing the scope's rows). Otherwise None."""
    before = recorded(target)
    if before.get("inputs") != inputs or verify(target):
        return None
    if before.get("data_versions") != versions:
        body = {**before, "data_versions": versions}
        fresh = target / f".manifest.{uuid.uuid4().hex[:8]}"
        fresh.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(fresh, target / MANIFEST)
    files = before.get("files") or []
    return {"units": int(before.get("units") or 0), "files": len(files),
            "bytes": sum(int(f.get("bytes") or 0) for f in files)}  # fmt: skip
