"""Applying the defect table: each source's rows are damaged only here, and each damage recorded.

Rows are damaged after they are made and before they are written; the truth sink learns which
row each defect went into and, once the rows are placed, its file and row number.
"""

from collections.abc import Sequence

import orjson

from warehouse.samples.defects import CutShort, Defect, Ragged, defects_in
from warehouse.samples.models import Row
from warehouse.samples.truth import Sink


def damage_rows(
    sink: Sink, source: str, file: int, rows: Sequence[Row], columns: Sequence[str]
) -> None:
    """Write the table's defects for the ``file``-th file of ``source`` into its ``rows``.

    Raises:
        ValueError: a defect names a column the source does not have, or damage a row cannot take.
    """
    for defect in defects_in(source, file):
        row = rows[defect.row]
        at = [_index(defect, columns, c) for c in defect.columns]
        if isinstance(defect.value, Ragged):
            del row[at[0] :]
        elif isinstance(defect.value, CutShort):
            raise ValueError(f"defect {defect.name!r}: a row of cells cannot be cut short")
        else:
            for i in at:
                row[i] = defect.value
        sink.damage(defect, row)


def damage_lines(
    sink: Sink,
    source: str,
    file: int,
    records: Sequence[dict[str, object]],
    lines: list[str],
    fields: Sequence[str],
) -> None:
    """Write the table's defects for a JSONL file into ``lines`` (``records``, serialised).

    A value replaces the field's value in the record, whose line is serialised again; a
    :class:`CutShort` cuts the line.

    Raises:
        ValueError: a defect names a field the source does not have, or damage a line cannot take.
    """
    for defect in defects_in(source, file):
        record = records[defect.row]
        if isinstance(defect.value, CutShort):
            lines[defect.row] = lines[defect.row][: -defect.value.chars]
        elif isinstance(defect.value, Ragged):
            raise ValueError(f"defect {defect.name!r}: a JSON line has no cells to end")
        else:
            for name in defect.columns:
                _index(defect, fields, name)
                record[name] = defect.value
            lines[defect.row] = orjson.dumps(record).decode()
        sink.damage(defect, record)


def _index(defect: Defect, columns: Sequence[str], column: str) -> int:
    if column not in columns:
        raise ValueError(f"defect {defect.name!r}: {defect.source} has no column {column!r}")
    return list(columns).index(column)
