"""Reviewed link decisions (a CSV a person maintains), read and checked on every run.

Columns: ``source``, ``source_key``, ``subject_name``, ``decision`` (a 人员编号, or
``NOT_IN_ROSTER``), ``decided_by``, and optionally ``decided_at`` and ``note`` (kept as a person
wrote them, not read). The file is ``link_decisions.csv`` next to ``sources.yaml``.
"""

from pathlib import Path

import polars as pl

from transforms.specs import EVENT_SOURCES
from warehouse.encoding import decode_text
from warehouse.rule_files import RuleError

COLUMNS = ("source", "source_key", "subject_name", "decision", "decided_by")
SOURCES = set(EVENT_SOURCES)


def read_decisions(path: Path) -> pl.DataFrame:
    """The decisions in ``path`` (an empty frame when the file does not exist yet).

    Raises:
        RuleError: a missing column, an empty required cell or an unknown source, naming the line.
    """
    schema = {c: pl.String for c in COLUMNS}
    if not path.exists():
        return pl.DataFrame(schema=schema)
    text, _ = decode_text(path.read_bytes(), "link_decisions", str(path))
    frame = pl.read_csv(text.encode(), infer_schema=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise RuleError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
    frame = frame.select(*(pl.col(c).str.strip_chars() for c in COLUMNS))
    for i, row in enumerate(frame.iter_rows(named=True), start=2):
        empty = [c for c in COLUMNS if not row[c]]
        if empty:
            raise RuleError(f"{path}, line {i}: empty {', '.join(empty)}")
        if row["source"] not in SOURCES:
            raise RuleError(f"{path}, line {i}: unknown source {row['source']!r}")
    return frame
