"""Reviewed 容错 coverage decisions (``tolerance_decisions.csv`` next to ``sources.yaml``).

A person reads ``gold/tolerance_review`` and writes one row per pair they decide. Columns:
``case_no`` (the decision's 案例编号), ``measure_source`` (``sanction`` or ``audit``),
``measure_key`` (as the review list prints it, ID number masked), ``decision`` (``confirm`` /
``reject``, or 确认 / 否决), ``decided_by``, and optionally ``decided_at`` and ``note`` (kept as
written, not read). Every bad line is a :class:`~warehouse.rule_files.RuleError` naming the file,
the line and the problem.
"""

from pathlib import Path

import polars as pl

from transforms.tolerance_cover import DECISION_COLUMNS
from warehouse.encoding import decode_text
from warehouse.rule_files import RuleError

FILE_NAME = "tolerance_decisions.csv"
DECISIONS = {"confirm": "confirm", "确认": "confirm", "reject": "reject", "否决": "reject"}
MEASURE_SOURCES = ("sanction", "audit")


def read_tolerance_decisions(path: Path | None) -> pl.DataFrame:
    """The decisions in ``path`` (an empty frame when there is no file, or no path), ``decision``
    normalised to ``confirm``/``reject``.

    Raises:
        RuleError: a missing column, an empty cell, an unknown source or decision, or one pair
            decided twice; the message names the file and line.
    """
    schema = {c: pl.String for c in DECISION_COLUMNS}
    if path is None or not path.exists():
        return pl.DataFrame(schema=schema)
    text, _ = decode_text(path.read_bytes(), "tolerance_decisions", str(path))
    try:
        frame = pl.read_csv(text.encode(), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise RuleError(f"{path}: not a readable CSV file ({type(error).__name__})") from error
    missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
    if missing:
        raise RuleError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
    frame = frame.select(*(pl.col(c).str.strip_chars() for c in DECISION_COLUMNS))
    seen: dict[tuple[str, str, str], int] = {}
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True), start=2):
        empty = [c for c in DECISION_COLUMNS if not row[c]]
        if empty:
            raise RuleError(f"{path}, line {i}: empty {', '.join(empty)}")
        if row["measure_source"] not in MEASURE_SOURCES:
            raise RuleError(
                f"{path}, line {i}: measure_source must be sanction or audit, "
                f"found {row['measure_source']!r}"
            )
        if row["decision"] not in DECISIONS:
            raise RuleError(
                f"{path}, line {i}: decision must be confirm/确认 or reject/否决, "
                f"found {row['decision']!r}"
            )
        pair = (row["case_no"], row["measure_source"], row["measure_key"])
        if pair in seen:
            raise RuleError(f"{path}, line {i}: this pair is already decided on line {seen[pair]}")
        seen[pair] = i
        rows.append({**row, "decision": DECISIONS[row["decision"]]})
    return pl.DataFrame(rows, schema=schema)
