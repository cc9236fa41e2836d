"""Spreadsheets officers open in WPS or Excel: ``.xlsx`` and a UTF-8 CSV with BOM beside it.

Chinese headers in a frozen first row, column widths from the content, dates as real dates, code
columns (人员编号, 公民身份号码, 行政区划代码 …) stored as text with the 文本 format ``@`` so that
leading zeros and 18-digit numbers survive, and no formula from data: every string is written
with ``write_string``, so ``=HYPERLINK(…)`` in a name stays the text it is. In the CSV, where a
spreadsheet would evaluate such text on opening, it gets a leading apostrophe.
"""

import csv
from collections.abc import Collection
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from transforms.publishing import TEXT_COLUMNS, csv_cell, xlsx_text
from warehouse.publish.outdir import inside

_MAX_WIDTH = 60
A4 = 9
"""xlsxwriter's paper code for A4."""
PORTRAIT_CHARS = 100
"""Past this many characters of column width a sheet prints landscape (A4 upright holds about
100 at the default font, turned about 150; wider still is shrunk to the page's width)."""


def _width(values: list[object], header: str) -> float:
    """Characters wide: a CJK character counts two."""

    def size(value: object) -> int:
        text = value.strftime("%Y-%m-%d") if isinstance(value, date) else str(value)
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    sample = [size(v) for v in values[:2000] if v is not None]
    return min(_MAX_WIDTH, max([size(header), *sample]) + 2)


def print_setup(page: Any, widths: list[float], title: str, header: str = "") -> None:
    """A4 print setup for a list sheet: landscape when its columns are wider than
    :data:`PORTRAIT_CHARS`, fitted to one page wide (as many tall as it takes), the header row
    repeated on every page, and a page header with ``header`` (scope and as-of) on the left,
    ``title`` on the right and 第 n 页 / 共 m 页 in the footer. ``page`` is an xlsxwriter
    worksheet; shared by every spreadsheet an officer prints."""
    page.set_paper(A4)
    if sum(widths) > PORTRAIT_CHARS:
        page.set_landscape()
    else:
        page.set_portrait()
    page.fit_to_pages(1, 0)
    page.repeat_rows(0)
    page.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)

    def safe(text: str) -> str:  # & starts a code in Excel's header language
        return text.replace("&", "&&")[:100]

    page.set_header(f"&L&9{safe(header)}&R&9{safe(title)}", {"margin": 0.3})
    page.set_footer("&C&9第 &P 页 / 共 &N 页", {"margin": 0.3})


def write_xlsx(
    frame: pl.DataFrame,
    path: Path,
    sheet: str,
    text_columns: Collection[str] = TEXT_COLUMNS,
    header: str = "",
) -> None:
    """``frame`` as one sheet named ``sheet``: header frozen, widths set, types kept, set up to
    print on A4 (:func:`print_setup`; ``header`` is the page header's scope and as-of)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(
        path, {"strings_to_numbers": False, "strings_to_formulas": False}
    ) as book:
        book.set_properties({"title": sheet, "author": "大监督"})
        book.set_calc_mode("manual")
        bold = book.add_format({"bold": True, "bg_color": "#EEF1F4", "border": 1})
        text = book.add_format({"num_format": "@"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        page = book.add_worksheet(sheet[:31])
        page.freeze_panes(1, 0)
        widths = []
        for col, name in enumerate(frame.columns):
            values = frame.get_column(name).to_list()
            is_text = name in text_columns
            widths.append(_width(values, name))
            page.set_column(col, col, widths[-1], text if is_text else None)
            page.write_string(0, col, name, bold)
            for row, value in enumerate(values, start=1):
                _cell(page, row, col, value, text if is_text else None, day, moment)
        if frame.height:
            page.autofilter(0, 0, frame.height, max(0, frame.width - 1))
        print_setup(page, widths, sheet, header)


def _cell(page, row, col, value, text, day, moment) -> None:  # type: ignore[no-untyped-def]
    if value is None:
        page.write_blank(row, col, None, text)
    elif isinstance(value, str):
        page.write_string(row, col, xlsx_text(value), text)
    elif isinstance(value, bool):
        page.write_boolean(row, col, value)
    elif isinstance(value, datetime):
        page.write_datetime(row, col, value.replace(tzinfo=None), moment)
    elif isinstance(value, date):
        page.write_datetime(row, col, datetime(value.year, value.month, value.day), day)
    elif isinstance(value, int | float):
        page.write_number(row, col, value)
    else:
        page.write_string(row, col, str(value), text)


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """``frame`` as CSV in UTF-8 with BOM (Excel and WPS read the Chinese right), formula-safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(frame.columns)
        for row in frame.iter_rows():
            writer.writerow(["" if v is None else csv_cell(v) for v in row])


def write_sheet(frame: pl.DataFrame, folder: Path, name: str, header: str = "") -> list[Path]:
    """``<name>.xlsx`` and ``<name>.csv`` in ``folder``; the files written. ``header`` is what
    each printed page says at its top left (scope and as-of).

    Raises:
        UnsafePathError: ``name`` would not make a file inside ``folder``.
    """
    xlsx, text = inside(folder, f"{name}.xlsx"), inside(folder, f"{name}.csv")
    write_xlsx(frame, xlsx, name, header=header)
    write_csv(frame, text)
    return [xlsx, text]
