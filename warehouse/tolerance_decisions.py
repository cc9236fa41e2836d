"""Reviewed 容错 coverage decisions (``tolerance_decisions.csv`` next to ``sources.yaml``).

A person reads ``gold/tolerance_review`` and writes one row per pair they decide. Columns:
``case_no`` (the decision's 案例编号), ``measure_source`` (``sanction`` or ``audit``),
``measure_key`` (as the review list prints it, ID number masked), ``decision`` (``confirm`` /
``reject``, or 确认 / 否决; ``undo`` / 撤销), ``decided_by``, and optionally ``decided_at`` and
``note`` (kept as written, not read) and ``replaces``: the line number of the decision this line
takes the place of (an ``undo`` line must name one; it takes that decision back, and what that
one replaced is in force again). The file is a history: ``dajiandu decisions import`` appends to
it, nothing rewrites a line (:func:`transforms.decisions_check.in_force`).

Read like ``link_decisions.csv`` (:mod:`warehouse.decisions`): a file that cannot be read stops
the run naming the file and line; a bad line (ragged, an empty cell, an unknown source or
decision) comes back with its ``problem`` and is rejected by
:func:`transforms.decisions_check.check_tolerance_decisions`, which also rejects contradictory
repeats; the rest is applied.
"""

from pathlib import Path

import polars as pl

from transforms.tolerance_cover import DECISION_COLUMNS
from warehouse.decisions import read_lines, replaces_problem

FILE_NAME = "tolerance_decisions.csv"
DECISIONS = {
    "confirm": "confirm", "确认": "confirm", "reject": "reject", "否决": "reject",
    "undo": "undo", "撤销": "undo",
}  # fmt: skip
OPTIONAL = ("decided_at", "note", "replaces")
MEASURE_SOURCES = ("sanction", "audit")


def _line(values: dict[str, str | None]) -> str | None:
    if values["measure_source"] not in MEASURE_SOURCES:
        return f"measure_source must be sanction or audit, found {values['measure_source']!r}"
    if values["decision"] not in DECISIONS:
        return (
            f"decision must be confirm/确认, reject/否决 or undo/撤销, found {values['decision']!r}"
        )
    return replaces_problem(values, DECISIONS[values["decision"]] == "undo")


def read_tolerance_decisions(path: Path | None) -> pl.DataFrame:
    """Every line of the file at ``path`` (``file``, ``line``, the decision columns, ``problem``;
    an empty frame when there is no file, or no path), ``decision`` normalised to
    ``confirm``/``reject`` where it is one of the four words.

    Raises:
        RuleError: the file cannot be read at all; the message names the file and the line.
    """
    lines = read_lines(path, DECISION_COLUMNS, OPTIONAL, _line)
    return lines.with_columns(pl.col("decision").replace(DECISIONS))
