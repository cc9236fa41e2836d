"""``dajiandu decisions import FILE.xlsx``: the decisions an officer typed into a review list's
Excel, checked like a source row and appended to the decisions file the pipeline reads.

The review list (``容错复核清单.xlsx`` of a bundle) ends with four columns an officer fills:
``决定`` (确认 / 否决 / 撤销), ``理由``, ``经办人``, ``日期``
(:data:`transforms.publishing.DECISION_HEADERS`). The English names of ``tolerance_decisions.csv``
(``decision``, ``note``, ``decided_by``, ``decided_at``, ``case_no``, ``measure_source``,
``measure_key``) are accepted as well. Every row with a 决定 is one decision:

- checked like a source row — the pair's columns present and not empty, 措施来源 one of the
  list's labels (处分与组织处理, 审计) or codes, 决定 one of the words, 经办人 given, 日期 a date
  (empty: the day of the import), 理由 given for 否决 and 撤销, the same pair decided once in
  the sheet, and a 撤销 only where a decision about the pair is in force —; any problem stops the
  import naming the file, the Excel row and the problem, and nothing is written;
- appended to ``tolerance_decisions.csv`` (next to ``sources.yaml``) with ``replaces`` naming the
  line of the decision in force about the same pair, if any: the file keeps who decided what,
  when, why, and what it replaced; an 撤销 takes the decision in force back
  (:func:`transforms.decisions_check.in_force`).

Rows without a 决定 are pairs nobody decided yet; they are counted, not written.
"""

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from transforms.decisions_check import TOLERANCE_KEY, in_force
from transforms.publishing import SOURCE_LABELS
from transforms.tolerance_cover import DECISION_COLUMNS
from warehouse.encoding import decode_text
from warehouse.sources import SourceError
from warehouse.tolerance_decisions import (
    DECISIONS,
    FILE_NAME,
    MEASURE_SOURCES,
    OPTIONAL,
    read_tolerance_decisions,
)

HEADERS = {
    "案例编号": "case_no", "措施来源": "measure_source", "措施记录": "measure_key",
    "决定": "decision", "理由": "note", "经办人": "decided_by", "日期": "decided_at",
}  # fmt: skip
"""The review list's Chinese headers and the decisions file's columns they fill."""
FILE_COLUMNS = (*DECISION_COLUMNS, *OPTIONAL)
SOURCE_CODES = {SOURCE_LABELS[s]: s for s in MEASURE_SOURCES} | {s: s for s in MEASURE_SOURCES}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class ImportError_(Exception):  # noqa: N801 (ImportError is a builtin)
    """The sheet cannot be imported; ``problems`` are ``file, row N: …`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Imported:
    """What one import appended."""

    target: Path
    lines: list[int]
    """The line numbers the decisions got in the decisions file."""
    undecided: int
    """Rows of the sheet without a 决定."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _day(value: object, today: date) -> date | str:
    """The 日期 cell as a date, or why it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return today
    match = _DATE.fullmatch(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return f"日期 {text!r} is not a date (write 2026-12-06)"


def read_sheet(path: Path) -> list[list[object]]:
    """The first sheet's rows (header first).

    Raises:
        ImportError_: not a workbook calamine can read.
    """
    try:
        book = CalamineWorkbook.from_path(str(path))
        return [list(row) for row in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
    except (CalamineError, OSError, ValueError, IndexError) as error:
        raise ImportError_([f"{path}: cannot read it as an Excel workbook ({error})"]) from None


def _columns(path: Path, header: list[object]) -> dict[str, int]:
    names = [_text(h) for h in header]
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        column = HEADERS.get(name, name if name in FILE_COLUMNS else None)
        if column is None:
            continue
        if column in found:
            raise ImportError_([f"{path}, row 1: two columns fill {column} ({name})"])
        found[column] = index
    missing = [c for c in (*TOLERANCE_KEY, "decision", "decided_by") if c not in found]
    if missing:
        chinese = {v: k for k, v in HEADERS.items()}
        raise ImportError_([
            f"{path}, row 1: not a 容错复核清单 with decision columns: missing "
            + ", ".join(f"{chinese.get(c, c)} ({c})" for c in missing)
        ])  # fmt: skip
    return found


def _decision(cells: dict[str, object], today: date) -> dict[str, str] | str:
    """One decided row as a line of the decisions file, or its problem."""
    values = {c: _text(cells.get(c)) for c in FILE_COLUMNS}
    empty = [c for c in (*TOLERANCE_KEY, "decided_by") if not values[c]]
    if empty:
        chinese = {v: k for k, v in HEADERS.items()}
        return "empty " + ", ".join(chinese.get(c, c) for c in empty)
    word = values["decision"]
    if word not in DECISIONS:
        return f"决定 must be 确认, 否决 or 撤销 (confirm, reject, undo), found {word!r}"
    values["decision"] = DECISIONS[word]
    source = SOURCE_CODES.get(values["measure_source"])
    if source is None:
        return (
            f"措施来源 {values['measure_source']!r} is not one of {', '.join(sorted(SOURCE_CODES))}"
        )
    values["measure_source"] = source
    if values["decision"] in ("reject", "undo") and not values["note"]:
        return f"理由 is empty: a {word} needs the reason"
    day = _day(cells.get("decided_at"), today)
    if isinstance(day, str):
        return day
    values["decided_at"] = day.isoformat()
    values["replaces"] = ""
    return values


def _existing(target: Path) -> tuple[str, list[str], dict[tuple[str, ...], int], int]:
    """The decisions file's text, header, the line in force per pair, and its last line."""
    if not target.exists():
        return "", [], {}, 1
    lines = read_tolerance_decisions(target)
    current, _ = in_force(lines)
    force = {
        tuple(r[k] for k in TOLERANCE_KEY): r["line"]
        for r in current.filter(current["problem"].is_null()).iter_rows(named=True)
    }
    try:
        text, _ = decode_text(target.read_bytes(), target.stem, str(target))
    except SourceError as error:  # read_tolerance_decisions raised already; kept for mypy
        raise ImportError_([f"{target}: {error.problem}"]) from None
    header = next(csv.reader(io.StringIO(text)), [])
    physical = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return text, [h.strip() for h in header], force, physical


def import_decisions(sheet: Path, folder: Path, today: date) -> Imported:
    """Check every decided row of ``sheet`` and append them to ``folder/tolerance_decisions.csv``
    (written whole to a temporary file and renamed: all rows or none).

    Raises:
        ImportError_: the sheet or a row is bad (each problem named with file and row), or the
            decisions file cannot be read (:class:`~warehouse.rule_files.RuleError` is turned
            into one).
    """
    from warehouse.rule_files import RuleError

    rows = read_sheet(sheet)
    if not rows:
        raise ImportError_([f"{sheet}: the first sheet is empty"])
    columns = _columns(sheet, rows[0])
    target = folder / FILE_NAME
    try:
        text, header, force, last = _existing(target)
    except RuleError as error:
        raise ImportError_([str(error)]) from None
    problems: list[str] = []
    decided: list[dict[str, str]] = []
    seen: dict[tuple[str, ...], int] = {}
    undecided = 0
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: row[i] if i < len(row) else None for c, i in columns.items()}
        if not _text(cells.get("decision")):
            undecided += 1
            continue
        values = _decision(cells, today)
        if isinstance(values, str):
            problems.append(f"{sheet}, row {number}: {values}")
            continue
        pair = tuple(values[k] for k in TOLERANCE_KEY)
        if pair in seen:
            problems.append(f"{sheet}, row {number}: decides the same pair as row {seen[pair]}")
            continue
        seen[pair] = number
        if pair in force:
            values["replaces"] = str(force[pair])
        elif values["decision"] == "undo":
            problems.append(
                f"{sheet}, row {number}: 撤销, but no decision about this pair is in force "
                f"in {target} to take back"
            )
            continue
        decided.append(values)
    if problems:
        raise ImportError_(problems)
    if not decided:
        return Imported(target, [], undecided)
    missing = [c for c in FILE_COLUMNS if c not in header]
    if not header:
        header, body = list(FILE_COLUMNS), ""
        last = 1
    else:
        _, _, body = text.partition("\n")
        if missing:  # the older file's lines leave the new optional cells out: still read
            header = [*header, *missing]
        body = body if body.endswith("\n") or not body else body + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    numbers = []
    for values in decided:
        last += 1
        numbers.append(last)
        writer.writerow([values.get(h, "") for h in header])
    head, _, added = out.getvalue().partition("\n")
    folder.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{FILE_NAME}.import-{os.getpid()}")
    temporary.write_text(f"{head}\n{body}{added}", encoding="utf-8")
    os.replace(temporary, target)
    return Imported(target, numbers, undecided)
