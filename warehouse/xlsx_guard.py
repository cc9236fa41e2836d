"""How large a worksheet is, read from the workbook's XML before a reader materialises it.

calamine (the xlsx reader) builds a dense grid from A1 to the last used cell: one stray cell at
``XFD1048576`` in an 8 KB workbook asks for 16,384 × 1,048,576 cells and aborts the process. The
used range is cheap to learn from the file itself: a worksheet part starts with
``<dimension ref="A1:N1200"/>`` (Excel, WPS, xlsxwriter and openpyxl all write it); where it is
missing, the cell references are scanned. The zip's declared sizes are checked too (a zip bomb).
"""

import re
import zipfile
from io import BytesIO
from posixpath import join, normpath

MAX_CELLS = 50_000_000
"""Cells a sheet may span (rows × columns from A1): about 2 GB in the reader's grid."""
MAX_PART_BYTES = 4 << 30
"""Uncompressed size a worksheet part may declare."""

_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_CELL = re.compile(rb'<c\s+r="([A-Z]{1,3})(\d+)"')


class SheetTooLarge(Exception):
    """The sheet spans more cells than a reader can hold; the message says how many and why."""


def _column(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding worksheet ``sheet``, from workbook.xml and its relationships."""
    try:
        workbook = book.read("xl/workbook.xml")
        rels = book.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    ids = {name.decode("utf-8"): rid for name, rid in _SHEET.findall(workbook)}
    targets = dict(_REL.findall(rels))
    rid = ids.get(sheet.replace("&", "&amp;"))
    target = targets.get(rid) if rid else None
    if target is None:
        return None
    text = target.decode("utf-8")
    return text.lstrip("/") if text.startswith("/") else normpath(join("xl", text))


def _scan(book: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """The last row and column any cell names, reading the part in blocks."""
    rows = cols = 0
    tail = b""
    with book.open(member) as stream:
        while block := stream.read(1 << 22):
            text = tail + block
            for col, row in _CELL.findall(text):
                rows, cols = max(rows, int(row)), max(cols, _column(col))
            tail = text[-64:]
    return rows, cols


def sheet_cells(data: bytes, sheet: str) -> tuple[int, int] | None:
    """(rows, columns) the sheet spans from A1, or None when the file is not an xlsx zip (an
    ``.xls``, or a corrupt file: the reader then says what is wrong with it)."""
    try:
        book = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        return None
    with book:
        member = _part(book, sheet)
        if member is None or member not in book.namelist():
            return None
        if book.getinfo(member).file_size > MAX_PART_BYTES:
            size = book.getinfo(member).file_size
            raise SheetTooLarge(
                f"sheet '{sheet}' unpacks to {size:,} bytes (limit {MAX_PART_BYTES:,})"
            )
        with book.open(member) as stream:
            head = stream.read(1 << 16)
        found = _DIMENSION.search(head)
        if found and found.group(3):
            return int(found.group(4)), _column(found.group(3))
        if found and found.group(1):
            return int(found.group(2)), _column(found.group(1))
        return _scan(book, member)


def check_sheet(data: bytes, sheet: str) -> None:
    """Raise :class:`SheetTooLarge` when the sheet spans more than :data:`MAX_CELLS` cells."""
    size = sheet_cells(data, sheet)
    if size is None:
        return
    rows, cols = size
    if rows * cols > MAX_CELLS:
        raise SheetTooLarge(
            f"sheet '{sheet}' spans {cols:,} columns × {rows:,} rows from A1 "
            f"({rows * cols:,} cells, limit {MAX_CELLS:,}): a cell far outside the data (a stray "
            "value or format)? delete the empty rows and columns after the data and export again"
        )
