"""``dajiandu decisions import FILE.xlsx``: the decisions an officer typed into a review list's
Excel, checked like a source row and appended to the decisions file the pipeline reads.

Two review lists of a bundle end with the four columns an officer fills — ``决定`` (确认 / 否决 /
撤销), ``理由``, ``经办人``, ``日期`` (:data:`transforms.publishing.DECISION_HEADERS`) — and the
sheet's columns say which it is (:data:`KINDS`):

- ``容错复核清单.xlsx``: one row per 容错 decision and measure it may cover; a decision goes to
  ``tolerance_decisions.csv``. English names (``case_no``, ``measure_source``, ``measure_key``,
  ``decision``, ``note``, ``decided_by``, ``decided_at``) are accepted too.
- ``关联复核清单.xlsx``: one row per record in link review and candidate cadre; a 确认 says "this
  record is this cadre" and goes to ``link_decisions.csv`` (its ``decision`` the row's 人员编号),
  a 否决 "this record is not this cadre" (``decision`` ``reject``, the 人员编号 in ``rejected``:
  the linker never links the pair again). English names ``source``, ``source_key``,
  ``subject_name``, ``person_no`` and the four above. A 记录 the list prints masked (a sanction's
  key holds an ID number) is written as the list shows it: the run reads it as the one record
  that fits (:func:`transforms.decisions_check.check_link_decisions`).

Every row with a 决定 is one decision, checked like a source row — the columns identifying what it
decides present and not empty, the source one of the list's labels or codes, 决定 one of the
words, 经办人 given, 日期 a date (empty: the day of the import), 理由 given for 否决 and 撤销,
the same pair (record and candidate) decided once in the sheet and a record confirmed as one cadre
only, and a 撤销 only where a decision about it is in force —; any problem stops the import naming
the file, the Excel row and the problem, and nothing is written. The decisions are appended with
``replaces`` naming the line of the decision in force they take the place of, if any
(:attr:`Kind.replaces`): the file keeps who decided what, when, why, and what it replaced; an 撤销
takes the decision in force back (:func:`transforms.decisions_check.in_force`).

Rows without a 决定 are pairs nobody decided yet; they are counted, not written.
"""

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
from python_calamine import CalamineError, CalamineWorkbook

from transforms.decisions_check import LINK_RECORD, TOLERANCE_KEY, in_force
from transforms.publishing import SOURCE_LABELS
from transforms.specs import EVENT_SOURCES
from transforms.tolerance_cover import DECISION_COLUMNS
from warehouse import decisions as link_file
from warehouse import tolerance_decisions as tolerance_file
from warehouse.encoding import decode_text
from warehouse.sources import SourceError
from warehouse.tolerance_decisions import DECISIONS, MEASURE_SOURCES

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SHARED = {"决定": "decision", "理由": "note", "经办人": "decided_by", "日期": "decided_at"}


def _codes(sources: tuple[str, ...]) -> dict[str, str]:
    """A source's label on the list (审计) or its code (audit) → its code."""
    return {SOURCE_LABELS[s]: s for s in sources} | {s: s for s in sources}


def _tolerance(values: dict[str, str]) -> str | None:
    source = _codes(MEASURE_SOURCES).get(values["measure_source"])
    if source is None:
        codes = ", ".join(sorted(_codes(MEASURE_SOURCES)))
        return f"措施来源 {values['measure_source']!r} is not one of {codes}"
    values["measure_source"] = source
    return None


def _link(values: dict[str, str]) -> str | None:
    source = _codes(EVENT_SOURCES).get(values["source"])
    if source is None:
        return f"来源 {values['source']!r} is not one of {', '.join(sorted(_codes(EVENT_SOURCES)))}"
    values["source"] = source
    if not values["person_no"]:
        return "empty 人员编号: a decision here is about the record and that candidate"
    if values["decision"] == "confirm":
        values["decision"] = values["person_no"]
    elif values["decision"] == link_file.REJECT:
        values["rejected"] = values["person_no"]
    return None


InForce = list[dict[str, str | int | None]]
"""The lines of a decisions file in force about one pair or record (``line``, ``decision``, …)."""


def _tolerance_replaces(values: dict[str, str], current: InForce) -> int | str | None:
    """A 容错 decision takes the place of the one in force about its pair; an 撤销 needs one."""
    if current:
        return int(str(current[-1]["line"]))
    return "no decision about this pair is in force" if values["decision"] == "undo" else None


def _link_replaces(values: dict[str, str], current: InForce) -> int | str | None:
    """The line a link decision about a record and candidate P takes the place of: a 确认 the
    record's 确认 (of anyone) or else a 否决 of P; a 否决 a 确认 of P or an earlier 否决 of P; an 撤销
    the 否决 of P or the 确认 of P — the decision made in P's row."""
    person = values["person_no"]
    said = [r for r in current if r["decision"] != link_file.REJECT]
    denied = [r for r in current if r["decision"] == link_file.REJECT and r["rejected"] == person]
    mine = [r for r in said if r["decision"] == person]
    if values["decision"] == link_file.REJECT:
        target = mine or denied
    elif values["decision"] == link_file.UNDO:
        target = denied or mine
        if not target:
            other = f" (the record is decided {said[-1]['decision']}, line {said[-1]['line']}: " \
                    "撤销 in that row)" if said else ""  # fmt: skip
            return f"no decision about this record and 人员编号 {person} is in force{other}"
    else:
        if said and denied:
            return (f"the record is decided {said[-1]['decision']} (line {said[-1]['line']}) and "
                    f"{person} rejected (line {denied[-1]['line']}): 撤销 one of them first")  # fmt: skip
        target = said or denied
    return int(str(target[-1]["line"])) if target else None


@dataclass(frozen=True)
class Kind:
    """One review list the importer reads, and the decisions file it appends to."""

    name: str
    headers: dict[str, str]
    """The list's Chinese headers and the columns they fill (the English names are the columns)."""
    columns: tuple[str, ...]
    """Every column a sheet of this kind may have."""
    key: tuple[str, ...]
    """What the history follows (one pair, one record): given, and what ``replaces`` may name."""
    pair: tuple[str, ...]
    """What one row decides: once per sheet."""
    required: tuple[str, ...]
    """The columns a sheet of this kind must have."""
    what: str
    file_name: str
    file_columns: tuple[str, ...]
    read: Callable[[Path], pl.DataFrame]
    check: Callable[[dict[str, str]], str | None]
    """Turns a checked row's values into the file's (in place), or says why it cannot."""
    replaces: Callable[[dict[str, str], InForce], int | str | None]
    """The line in force (of those about the row's ``key``) the row takes the place of, none, or
    why it cannot be written."""


TOLERANCE = Kind(
    "容错复核清单",
    {"案例编号": "case_no", "措施来源": "measure_source", "措施记录": "measure_key", **_SHARED},
    (*DECISION_COLUMNS, "decided_at", "note"), tuple(TOLERANCE_KEY), tuple(TOLERANCE_KEY),
    (*TOLERANCE_KEY, "decision", "decided_by"), "pair", tolerance_file.FILE_NAME,
    (*DECISION_COLUMNS, *tolerance_file.OPTIONAL), tolerance_file.read_tolerance_decisions,
    _tolerance, _tolerance_replaces,
)  # fmt: skip
LINK = Kind(
    "关联复核清单",
    {"来源": "source", "记录": "source_key", "记录所写姓名": "subject_name", "人员编号": "person_no",
     **_SHARED},
    (*LINK_RECORD, "person_no", "decision", "decided_by", "decided_at", "note"), tuple(LINK_RECORD),
    (*LINK_RECORD, "person_no"), (*LINK_RECORD, "person_no", "decision", "decided_by"),
    "record and candidate", link_file.FILE_NAME, (*link_file.COLUMNS, *link_file.OPTIONAL),
    link_file.read_decisions, _link, _link_replaces,
)  # fmt: skip
KINDS = (TOLERANCE, LINK)
"""The review lists ``dajiandu decisions import`` reads, told apart by their columns."""


class ImportError_(Exception):  # noqa: N801 (ImportError is a builtin)
    """The sheet cannot be imported; ``problems`` are ``file, row N: …`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Imported:
    """What one import appended."""

    kind: str
    """The review list the sheet is (``容错复核清单``, ``关联复核清单``)."""
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


def _columns(path: Path, header: list[object]) -> tuple[Kind, dict[str, int]]:
    """Which review list the sheet is, and the column of each value it fills."""
    names = [_text(h) for h in header]
    missing: list[str] = []
    for kind in KINDS:
        found: dict[str, int] = {}
        for index, name in enumerate(names):
            column = kind.headers.get(name, name if name in kind.columns else None)
            if column is None:
                continue
            if column in found:
                raise ImportError_([f"{path}, row 1: two columns fill {column} ({name})"])
            found[column] = index
        lacking = [c for c in kind.required if c not in found]
        if not lacking:
            return kind, found
        chinese = {v: k for k, v in kind.headers.items()}
        missing.append(
            f"{kind.name}: missing " + ", ".join(f"{chinese.get(c, c)} ({c})" for c in lacking)
        )
    raise ImportError_([
        f"{path}, row 1: not a review list with decision columns ({'; '.join(missing)})"
    ])  # fmt: skip


def _decision(kind: Kind, cells: dict[str, object], today: date) -> dict[str, str] | str:
    """One decided row as a line of the decisions file, or its problem."""
    values = {c: _text(cells.get(c)) for c in kind.columns}
    empty = [c for c in (*kind.key, "decided_by") if not values[c]]
    if empty:
        chinese = {v: k for k, v in kind.headers.items()}
        return "empty " + ", ".join(chinese.get(c, c) for c in empty)
    word = values["decision"]
    if word not in DECISIONS:
        return f"决定 must be 确认, 否决 or 撤销 (confirm, reject, undo), found {word!r}"
    values["decision"] = DECISIONS[word]
    if values["decision"] in ("reject", "undo") and not values["note"]:
        return f"理由 is empty: a {word} needs the reason"
    problem = kind.check(values)
    if problem is not None:
        return problem
    day = _day(cells.get("decided_at"), today)
    if isinstance(day, str):
        return day
    values["decided_at"] = day.isoformat()
    values["replaces"] = ""
    return values


def _existing(
    kind: Kind, target: Path
) -> tuple[str, list[str], dict[tuple[str, ...], InForce], int]:
    """The decisions file's text, header, the lines in force per pair or record, and its last
    line."""
    if not target.exists():
        return "", [], {}, 1
    current, _ = in_force(kind.read(target), kind.key)
    force: dict[tuple[str, ...], InForce] = {}
    for r in current.filter(current["problem"].is_null()).sort("line").iter_rows(named=True):
        force.setdefault(tuple(r[k] for k in kind.key), []).append(r)
    try:
        text, _ = decode_text(target.read_bytes(), target.stem, str(target))
    except SourceError as error:  # the reader raised already; kept for mypy
        raise ImportError_([f"{target}: {error.problem}"]) from None
    header = next(csv.reader(io.StringIO(text)), [])
    physical = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return text, [h.strip() for h in header], force, physical


def import_decisions(sheet: Path, folder: Path, today: date) -> Imported:
    """Check every decided row of ``sheet`` and append them to the decisions file of its kind in
    ``folder`` (``tolerance_decisions.csv`` or ``link_decisions.csv``; written whole to a
    temporary file and renamed: all rows or none).

    Raises:
        ImportError_: the sheet or a row is bad (each problem named with file and row), or the
            decisions file cannot be read (:class:`~warehouse.rule_files.RuleError` is turned
            into one).
    """
    from warehouse.rule_files import RuleError

    rows = read_sheet(sheet)
    if not rows:
        raise ImportError_([f"{sheet}: the first sheet is empty"])
    kind, columns = _columns(sheet, rows[0])
    target = folder / kind.file_name
    try:
        text, header, force, last = _existing(kind, target)
    except RuleError as error:
        raise ImportError_([str(error)]) from None
    problems: list[str] = []
    decided: list[dict[str, str]] = []
    seen: dict[tuple[str, ...], int] = {}
    confirmed: dict[tuple[str, ...], int] = {}
    taken: dict[int, int] = {}
    undecided = 0
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: row[i] if i < len(row) else None for c, i in columns.items()}
        if not _text(cells.get("decision")):
            undecided += 1
            continue
        values = _decision(kind, cells, today)
        if isinstance(values, str):
            problems.append(f"{sheet}, row {number}: {values}")
            continue
        pair, key = tuple(values[k] for k in kind.pair), tuple(values[k] for k in kind.key)
        if pair in seen:
            problems.append(
                f"{sheet}, row {number}: decides the same {kind.what} as row {seen[pair]}"
            )
            continue
        seen[pair] = number
        if values["decision"] not in ("reject", "undo"):  # what the pair or record is: once
            if key in confirmed:
                problems.append(f"{sheet}, row {number}: confirms another candidate of the same "
                                f"record as row {confirmed[key]}")  # fmt: skip
                continue
            confirmed[key] = number
        replaces = kind.replaces(values, force.get(key, []))
        if isinstance(replaces, str):
            word = "撤销" if values["decision"] == "undo" else "this decision"
            problems.append(f"{sheet}, row {number}: {word}, but {replaces} in {target}")
            continue
        if replaces is not None:
            if replaces in taken:
                problems.append(
                    f"{sheet}, row {number}: takes the place of line {replaces} of {target} as row "
                    f"{taken[replaces]} does: decide one now, the other after this import"
                )
                continue
            taken[replaces] = number
            values["replaces"] = str(replaces)
        decided.append(values)
    if problems:
        raise ImportError_(problems)
    if not decided:
        return Imported(kind.name, target, [], undecided)
    missing = [c for c in kind.file_columns if c not in header]
    if not header:
        header, body = list(kind.file_columns), ""
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
    temporary = target.with_name(f".{kind.file_name}.import-{os.getpid()}")
    temporary.write_text(f"{head}\n{body}{added}", encoding="utf-8")
    os.replace(temporary, target)
    return Imported(kind.name, target, numbers, undecided)
