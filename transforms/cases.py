"""The typical-case library (典型案例库) of 容错纠错 decisions, de-identified.

Cases come from ``bronze/tolerance`` (decisions marked 可否公开) and from audit findings tolerated
under all five of the "五个看". Each keeps a stable public id (a hash of its source key), the
field, the facts with every identifying detail removed, which of the six elements held or failed,
the 三个区分开来 judgement and the correction; refusals (不予容错) are kept as counter-examples
with their exclusion.

De-identification: the person's name and every roster name found in the text become 姓+某;
unit names become a generic form keeping the kind and level (``安平县发改局`` → ``某县发改局``);
ID numbers, phone numbers and exact dates are removed (a date keeps its year); amounts stay.
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

SIX_ELEMENTS = ("动机态度", "客观条件", "程序方法", "性质程度", "后果影响", "挽回损失")
FIVE_CHECKS = ("符合改革方向", "经集体研究", "未造成重大不良后果", "未发现利益输送", "尽力避免损失")

_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])|(?<![0-9])\d{15}(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![0-9])")
_DATE = re.compile(
    r"(\d{4})\s*(?:年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|[-./]\d{1,2}(?:[-./]\d{1,2})?)"
)
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{1,8}?(省|自治区|市|自治州|州|盟|县|自治县|旗|区|镇|乡|街道|村)"
)
_LABELS = re.compile(r"(身份证号|身份证|联系电话|电话|手机)[：:]?")

DOUBLE_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "令狐", "夏侯", "轩辕")  # fmt: skip


def pseudonym(name: str | None) -> str | None:
    """``张伟`` → ``张某``; ``欧阳修`` → ``欧阳某``."""
    if not name:
        return name
    surname = next((s for s in DOUBLE_SURNAMES if name.startswith(s)), name[0])
    return f"{surname}某"


def generic_unit(unit: str | None) -> str | None:
    """``安平县发改局`` → ``某县发改局``: place names become 某, the kind and level stay."""
    if not unit:
        return unit
    return _PLACE.sub(lambda m: f"某{m.group(1)}", unit)


@dataclass(frozen=True)
class Lexicon:
    """Words to find in a text (the roster's names, or its units) and the lengths they come in."""

    words: frozenset[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, words: Iterable[str | None]) -> "Lexicon":
        kept = frozenset(w for w in words if w and len(w) >= 2)
        return cls(kept, tuple(sorted({len(w) for w in kept})))

    def found(self, text: str) -> list[str]:
        """Every word occurring in ``text``: a set lookup per position and length that words
        have (not a scan of the words, and not every length up to a limit: a cap of 4 for names
        missed the roster's 7- and 8-character names, and trying every length up to 30 for units
        was most of the case library's time)."""
        return sorted(
            {
                text[i : i + n]
                for n in self.lengths
                for i in range(len(text) - n + 1)
                if text[i : i + n] in self.words
            }
        )


def replace_names(
    text: str, found: list[str], own: str | None, replace: Callable[[str], str | None]
) -> str:
    """``text`` with each chosen occurrence of a found name replaced, in one pass.

    Occurrences may overlap: ``主任李英`` holds the roster names ``任李`` (by accident: a title
    comes before a name) and ``李英``. The case's own name wins, then the longer, then the one
    found later in the text, then the lower in code order; an occurrence overlapping one already
    chosen is left out. The result does not depend on the order of ``found``, so the same text
    always gives the same output (replacing names one by one in set order gave ``主任某英`` in
    one run and ``主任李某`` in the next).
    """
    if own and len(own) >= 2 and own not in found:
        found = [*found, own]
    order = sorted(found, key=lambda n: (n != own, -len(n), -text.find(n), n))
    taken = [False] * len(text)
    chosen: list[tuple[int, int, str]] = []
    for name in order:
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(name)
                chosen.append((start, end, name))
            start = text.find(name, start + 1)
    pieces, at = [], 0
    for start, end, name in sorted(chosen):
        pieces += [text[at:start], replace(name) or ""]
        at = end
    return "".join([*pieces, text[at:]])


def deidentify(
    text: str | None,
    names: Lexicon,
    units: Lexicon,
    own: tuple[str | None, str | None] = (None, None),
) -> str | None:
    """``text`` without names, unit names, ID numbers, phone numbers or exact dates.

    ``names``/``units``: every roster name and unit; ``own``: the case's own (name, unit), which
    may not be in the roster.
    """
    if not text:
        return text
    out = _ID.sub("", text)
    out = _PHONE.sub("", out)
    out = _LABELS.sub("", out)
    out = _DATE.sub(lambda m: f"{m.group(1)}年", out)
    own_name, own_unit = own
    out = replace_names(out, units.found(out), own_unit, generic_unit)
    out = replace_names(out, names.found(out), own_name, pseudonym)
    out = re.sub(r"[（(][，,、\s]*[）)]", "", out)  # brackets emptied by the removals
    return re.sub(r"[，,]{2,}", "，", out)


def public_id(source: str, key: str) -> str:
    """A stable id that reveals nothing: the same source record always gets the same id."""
    return "TC-" + hashlib.sha256(f"{source}|{key}".encode()).hexdigest()[:10].upper()


def _elements(row: dict[str, object]) -> tuple[list[str], list[str]]:
    held = [e for e in SIX_ELEMENTS if str(row.get(e) or "").startswith("符合")]
    failed = [e for e in SIX_ELEMENTS if str(row.get(e) or "").startswith("不符合")]
    return held, failed


def _exclusion(text: str | None, exclusions: list[dict[str, str]]) -> str | None:
    if not text:
        return None
    return next((e["exclusion_id"] for e in exclusions if e["text"] in text), "EX-OTHER")


def tolerance_cases(
    tolerance: pl.DataFrame,
    audit: pl.DataFrame,
    roster_names: list[str],
    roster_units: list[str],
    exclusions: list[dict[str, str]] | None = None,
    fields: list[str] | None = None,
) -> pl.DataFrame:
    """``gold/tolerance_case``: publishable 容错纠错 decisions and 五个看 audit cases, de-identified.

    ``tolerance`` and ``audit`` are the bronze tables; ``roster_names``/``roster_units`` are every
    name and unit of the roster, removed wherever they appear in a text. ``exclusions``
    (``tolerance_exclusions.csv``) classify refusals (``exclusion_id``; ``EX-OTHER`` for a reason
    not in the list); ``fields`` (``fields.csv``) classify cases (``field_class``; ``其他``).
    """
    exclusions = exclusions or []
    known_fields = set(fields or [])
    known_names, known_units = Lexicon.of(roster_names), Lexicon.of(roster_units)
    rows = []
    for row in tolerance.filter(pl.col("可否公开").fill_null(False)).iter_rows(named=True):
        own = (row["姓名"], row["单位"])
        held, failed = _elements(row)
        rows.append(
            {
                "case_id": public_id("tolerance", row["案例编号"]),
                "origin": "容错纠错认定",
                "year": row["认定日期"].year if row["认定日期"] else None,
                "field": row["领域"],
                "result": row["认定结果"],
                "person": pseudonym(row["姓名"]),
                "unit": generic_unit(row["单位"]),
                "post": row["职务"],
                "facts": deidentify(row["事项描述"], known_names, known_units, own),
                "elements_held": held,
                "elements_failed": failed,
                "distinction": deidentify(row["三个区分开来"], known_names, known_units, own),
                "exclusion": row["不予容错情形"],
                "correction": deidentify(row["纠错措施"], known_names, known_units, own),
                "counter_example": row["认定结果"] == "不予容错",
            }
        )
    five = pl.all_horizontal(pl.col(c).fill_null(False) for c in FIVE_CHECKS)
    tolerated = audit.filter((pl.col("容错认定") == "予以容错") & five)
    for row in tolerated.iter_rows(named=True):
        own = (row["被审计领导干部"], row["被审计单位"])
        rows.append(
            {
                "case_id": public_id("audit", f"{row['审计项目编号']}/{row['问题编号']}"),
                "origin": "审计容错认定（五个看）",
                "year": row["报告日期"].year if row["报告日期"] else None,
                "field": row["问题类型"],
                "result": "予以容错",
                "person": pseudonym(row["被审计领导干部"]),
                "unit": generic_unit(row["被审计单位"]),
                "post": None,
                "facts": deidentify(row["问题描述"], known_names, known_units, own),
                "elements_held": list(FIVE_CHECKS),
                "elements_failed": [],
                "distinction": None,
                "exclusion": None,
                "correction": None,
                "counter_example": False,
                "amount_wan": row["涉及金额_万元"],
            }
        )
    for case in rows:
        case["exclusion_id"] = _exclusion(case["exclusion"], exclusions)
        case["field_class"] = case["field"] if case["field"] in known_fields else "其他"
    schema = pl.Schema(
        {
        "case_id": pl.String(), "origin": pl.String(), "year": pl.Int32(), "field": pl.String(),
        "result": pl.String(), "person": pl.String(), "unit": pl.String(), "post": pl.String(),
        "facts": pl.String(), "elements_held": pl.List(pl.String()), "elements_failed": pl.List(pl.String()),
        "distinction": pl.String(), "exclusion": pl.String(), "correction": pl.String(),
        "counter_example": pl.Boolean(), "amount_wan": pl.Float64(), "exclusion_id": pl.String(),
        "field_class": pl.String(),
        }
    )  # fmt: skip
    return pl.DataFrame(rows, schema=schema).sort("case_id")
