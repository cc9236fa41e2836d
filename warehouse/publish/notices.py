"""澄清正名通知书 files: a PDF (A4, the bundle's CJK font subset embedded) and an editable
``.docx`` (Word and WPS open it) per cleared report of a scope, under ``notices/`` of its bundle.

The wording comes from a template file (:data:`DEFAULT_TEMPLATE`, or the deployment's own given to
``dajiandu publish --notice-template``): the issuing organ, the document number and the signing
date stay placeholders (``【发文机关】``) until a deployment fills them. What a notice may print is
:mod:`transforms.notices`'s to say; nothing here reads anything but its filled text.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from transforms.notices import NoticeTemplate, TemplateError, check_template
from warehouse.publish import pdf
from warehouse.publish.outdir import inside
from warehouse.publish.pages import render
from warehouse.rule_files import DEFAULT_RULES, RuleError, read_yaml

DEFAULT_TEMPLATE = DEFAULT_RULES / "clearance_notice.yaml"
FOLDER = "notices"
_KEYS = {
    "发文机关": "organ", "发文字号": "number", "标题": "title", "主送": "addressee",
    "诬告陷害": "false_accusation", "抄送": "copy_to", "成文日期": "signed_on",
}  # fmt: skip
DOCX_FONT = "仿宋"
"""The font the ``.docx`` asks for (公文 body text); Word and WPS substitute one they have."""
DOCX_TITLE_FONT = "宋体"


def load_template(path: Path = DEFAULT_TEMPLATE) -> NoticeTemplate:
    """The notice template at ``path``.

    Raises:
        RuleError: the file is missing or not YAML, a key is missing or not text, or a text names
            a field a notice does not have; the message names the file and the key.
    """
    data = read_yaml(path)
    values: dict[str, Any] = {}
    for key, name in _KEYS.items():
        value = data.get(key, "" if key in ("诬告陷害", "抄送") else None)
        if not isinstance(value, str):
            raise RuleError(f"{path}: {key} must be text, found {value!r}")
        values[name] = value
    body = data.get("正文")
    if not isinstance(body, list) or not body or not all(isinstance(p, str) for p in body):
        raise RuleError(f"{path}: 正文 must be a list of paragraphs (text), found {body!r}")
    template = NoticeTemplate(paragraphs=tuple(body), source=str(path), **values)
    try:
        check_template(template)
    except TemplateError as error:
        raise RuleError(str(error)) from None
    return template


def notice_html(texts: dict[str, Any], common: dict[str, Any]) -> str:
    """The notice as an HTML page (fonts from ``../assets``), for the PDF."""
    return render("notice.html", n=texts, **{**common, "root": "../"})


def write_docx(texts: dict[str, Any], target: Path) -> None:
    """The notice as an editable A4 ``.docx``: organ, number, rule, title, addressee, the
    paragraphs indented two characters, signature, date, 抄送."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.size = Pt(16)
    _east_asian(normal.element, DOCX_FONT)
    properties = document.core_properties
    properties.title, properties.author = texts["title"], "大监督"

    def line(text: str, *, size: int = 16, bold: bool = False, align: Any = None,
             indent: bool = False, font: str = DOCX_FONT) -> None:  # fmt: skip
        paragraph = document.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(size * 2)
        run = paragraph.add_run(text)
        run.font.size, run.font.bold = Pt(size), bold
        _east_asian(run.element, font)

    line(texts["organ"], size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=DOCX_TITLE_FONT)
    line(texts["number"], align=WD_ALIGN_PARAGRAPH.CENTER)
    line("", size=8)
    line(texts["title"], size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=DOCX_TITLE_FONT)
    line(texts["addressee"])
    for text in texts["paragraphs"]:
        line(text, indent=True)
    line("")
    line(texts["organ"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(texts["signed_on"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    if texts["copy_to"]:
        line("")
        line(f"抄送：{texts['copy_to']}", size=14)
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(target))


def _east_asian(element: Any, font: str) -> None:
    """Ask for ``font`` for CJK text too (``w:eastAsia``; python-docx sets the Latin name only)."""
    properties = element.get_or_add_rPr()
    fonts = properties.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), font)


def write_notices(
    staging: Path, notices: Sequence[dict[str, Any]], common: dict[str, Any], pdfs: bool
) -> list[Path]:
    """``notices/<file>.docx`` (and ``.pdf`` when ``pdfs``) per notice; the files written.
    ``notices`` are rows of :func:`transforms.notices.clearance_notices` with their filled
    ``texts``. The fonts the PDFs use are the bundle's (``assets/``), written before."""
    written = []
    for notice in notices:
        stem = f"澄清正名通知书-{notice['file']}"
        docx = inside(staging, f"{FOLDER}/{stem}.docx")
        write_docx(notice["texts"], docx)
        written.append(docx)
        if pdfs:
            target = inside(staging, f"{FOLDER}/{stem}.pdf")
            pdf.write_pdf(notice_html(notice["texts"], common), staging / FOLDER, target)
            written.append(target)
    return written
