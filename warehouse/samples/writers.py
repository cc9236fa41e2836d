"""The four kinds of file the upstream systems export: a SQLite table, an ``.xlsx`` workbook with
a title and a 合计 row, a CSV in a given encoding, and JSON lines."""

import csv
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from warehouse.samples.models import Row
from warehouse.samples.truth import Sink

_CREATED = datetime(2025, 12, 1)
"""The creation time every workbook states (docProps/core.xml): fixed, so a seed gives the same
bytes (xlsxwriter writes the time of writing otherwise), and so the same load ids downstream."""


def lineage_name(root: Path, file: Path) -> str:
    """A file as lineage and the truth name it: relative to ``sources.yaml``'s folder."""
    return file.relative_to(root).as_posix()


def sql_order(rows: list[Row], columns: Sequence[int]) -> list[Row]:
    """Rows in the order the SQL reader numbers them (ORDER BY the key columns, NULL first)."""
    return sorted(rows, key=lambda r: tuple((r[c] is not None, r[c] or "") for c in columns))


def write_sql(path: Path, table: str, columns: list[str], rows: list[Row], sink: Sink) -> None:
    """Write a SQLite table and place its rows, numbered from 1 as the SQL reader numbers them."""
    write_sqlite(path, table, columns, rows)
    sink.place(rows, f"sqlite:///{path.parent.name}/{path.name}#{table}", 1)


def write_sqlite(
    path: Path, table: str, columns: list[str], rows: Sequence[Sequence[object]]
) -> None:
    """A fresh SQLite file holding one table of text columns."""
    path.unlink(missing_ok=True)
    add_sqlite_table(path, table, columns, rows)


def add_sqlite_table(
    path: Path, table: str, columns: list[str], rows: Sequence[Sequence[object]]
) -> None:
    """One more table of text columns in a SQLite file (created if missing)."""
    with sqlite3.connect(path) as conn:
        cols = ", ".join(f'"{c}" TEXT' for c in columns)
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    path.chmod(0o644)


def write_xlsx(
    path: Path,
    sheet: str,
    title: str,
    columns: list[str],
    rows: Sequence[Sequence[object]],
    total: bool = True,
) -> None:
    """A workbook as clerks make one: a merged title row, the header, the rows, a blank row and
    a 合计 row. Dates are written as dates, some as bare Excel serial numbers."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": _CREATED})
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True, "align": "center"})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(columns) - 1, title, bold)
    ws.write_row(1, 0, columns)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, date):
                if (r + c) % 3 == 0:
                    ws.write_number(r, c, (value - date(1899, 12, 30)).days)
                else:
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
            elif value is not None:
                ws.write_string(r, c, str(value))
    end = len(rows) + 2
    ws.write_row(end + 1, 0, [])  # a blank row, then the total
    if total:
        ws.write_string(end + 1, 0, "合计")
        ws.write_string(end + 1, 1, f"{len(rows)}条")
    book.close()


def write_csv(
    path: Path, columns: list[str], rows: Sequence[Sequence[object]], encoding: str
) -> None:
    """A CSV file with a header, in ``encoding``; an empty value is an empty cell."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def write_jsonl(path: Path, lines: Sequence[str], tail: str) -> None:
    """JSON lines: ``lines`` (one object each), then ``tail``, lines already joined."""
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
