"""Reviewed link decisions (a CSV a person maintains), read like a source on every run.

Columns: ``source``, ``source_key``, ``subject_name``, ``decision`` (a 人员编号: the record is
this cadre; ``NOT_IN_ROSTER``; ``reject``: the record is not the cadre in ``rejected``, whom the
linker then never links it to; or ``undo``), ``decided_by``; optionally ``override`` (the reason a decision
is applied although the cadre's name differs from the record's subject, or the cadre held no post
in the record's region), ``decided_at``/``note`` (kept as a person wrote them) and ``replaces``:
the line number of the decision about the same record this line takes the place of (an ``undo``
line must name one; it takes that decision back, and what that one replaced is in force again —
:func:`transforms.decisions_check.in_force`, as for ``tolerance_decisions.csv``) and ``rejected``
(the 人员编号 a ``reject`` line says the record is not; on no other line). A ``source_key`` may be
written masked as the review list prints a sanction's (``450101********6109/记大过/2023-02-10``): the
check reads it as the one record of the run that fits. The file is
``link_decisions.csv`` next to ``sources.yaml``; ``dajiandu decisions import`` appends to it the
decisions typed into a bundle's ``关联复核清单.xlsx``.

What stops the run and what rejects one line:

- **The file cannot be read** (not UTF-8/GB18030, empty — not even a header —, a header missing a
  required column or naming one twice, a quoted field never closed): a
  :class:`~warehouse.rule_files.RuleError` naming the file and the line; nothing is applied.
- **A line is bad** (ragged: more fields than the header, or too few to reach a required column
  — trailing optional cells may be left out —; an empty required cell; an unknown source): the line comes back with its ``problem`` and is rejected by
  :func:`transforms.decisions_check.check_link_decisions`, which also rejects what needs the
  events and the roster to see. The rest is applied.

A line of nothing at all (an empty line between two others) is skipped, as CSV readers do.
"""

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from transforms.specs import EVENT_SOURCES
from warehouse.encoding import decode_text
from warehouse.rule_files import RuleError
from warehouse.sources import SourceError

FILE_NAME = "link_decisions.csv"
COLUMNS = ("source", "source_key", "subject_name", "decision", "decided_by")
OPTIONAL = ("override", "decided_at", "note", "replaces", "rejected")
UNDO, REJECT = "undo", "reject"
"""The ``decision`` of a line that takes the decision it ``replaces`` back."""
SOURCES = set(EVENT_SOURCES)
LINE_COLUMNS = ("file", "line", *COLUMNS, *OPTIONAL, "problem")
"""What :func:`read_decisions` returns: every line with its number, ``problem`` null when the line
itself is well-formed."""

LineCheck = Callable[[dict[str, str | None]], str | None]


def read_lines(
    path: Path | None,
    required: Sequence[str],
    optional: Sequence[str],
    check: LineCheck,
) -> pl.DataFrame:
    """Every data line of a decisions CSV: ``file``, ``line`` (its first physical line), the
    ``required`` and ``optional`` columns (stripped; an absent optional column is null) and
    ``problem`` (why the line is bad — ragged, an empty required cell, or what ``check`` says —,
    null when it is not). An empty frame when there is no file or no path.

    Raises:
        RuleError: the file as a whole cannot be read (see the module); names file and line.
    """
    columns = ("file", "line", *required, *optional, "problem")
    schema = {c: (pl.Int64 if c == "line" else pl.String) for c in columns}
    if path is None or not path.exists():
        return pl.DataFrame(schema=schema)
    try:
        text, _ = decode_text(path.read_bytes(), path.stem, str(path))
    except SourceError as error:
        raise RuleError(f"{path}: {error.problem}") from error
    except OSError as error:
        raise RuleError(f"{path}: cannot read the file ({error.strerror})") from error
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RuleError(f"{path}, line {line}: a NUL byte: not a text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise RuleError(
                f"{path}, line 1: empty file, not even a header line; write the header "
                f"({','.join(required)}) or remove the file"
            )
        twice = sorted({h for h in header if h and header.count(h) > 1})
        if twice:
            raise RuleError(f"{path}, line 1: column(s) named twice: {', '.join(twice)}")
        missing = [c for c in required if c not in header]
        if missing:
            raise RuleError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        rows = []
        start = reader.line_num + 1
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields:
                continue
            rows.append(_line(str(path), line, header, fields, required, optional, check))
    except csv.Error as error:
        raise RuleError(
            f"{path}, line {start}: not readable as CSV ({error}); a quote opened and never closed?"
        ) from error
    return pl.DataFrame(rows, schema=schema, orient="row")


def _line(
    file: str,
    line: int,
    header: list[str],
    fields: list[str],
    required: Sequence[str],
    optional: Sequence[str],
    check: LineCheck,
) -> tuple[object, ...]:
    """One line as a row of :func:`read_lines`."""
    cells = {h: f.strip() for h, f in zip(header, fields, strict=False) if h}
    values: dict[str, str | None] = {c: cells.get(c) or None for c in (*required, *optional)}
    problem: str | None = None
    cut = [c for c in header[len(fields) :] if c in required]
    if len(fields) > len(header) or cut:
        problem = f"ragged: {len(fields)} field(s), the header has {len(header)}"
    elif not any(f.strip() for f in fields):
        problem = "empty line (every field blank)"
    else:
        empty = [c for c in required if not values[c]]
        problem = f"empty {', '.join(empty)}" if empty else check(values)
    return (file, line, *values.values(), problem)


def replaces_problem(values: dict[str, str | None], undo: bool) -> str | None:
    """Why a line's ``replaces`` cell is bad (not a line number; an undo naming none), or None."""
    replaces = values.get("replaces")
    if replaces is not None and not (replaces.isascii() and replaces.isdigit()):
        return f"replaces must be the number of a line of this file, found {replaces!r}"
    if undo and replaces is None:
        return "undo/撤销 names no line: write the line it takes back in replaces"
    return None


def _link_line(values: dict[str, str | None]) -> str | None:
    if values["source"] not in SOURCES:
        return f"unknown source {values['source']!r} (one of {', '.join(sorted(SOURCES))})"
    if values["decision"] == REJECT and not values["rejected"]:
        return "reject names no cadre: write the 人员编号 the record is not in rejected"
    if values["decision"] != REJECT and values["rejected"]:
        return f"rejected is for reject lines only, this one decides {values['decision']!r}"
    return replaces_problem(values, values["decision"] == UNDO)


def read_decisions(path: Path | None) -> pl.DataFrame:
    """Every line of ``link_decisions.csv`` at ``path`` (:data:`LINE_COLUMNS`; an empty frame when
    the file does not exist yet). Bad lines carry their ``problem``: the caller rejects them.

    Raises:
        RuleError: the file cannot be read at all; the message names the file and the line.
    """
    return read_lines(path, COLUMNS, OPTIONAL, _link_line)
