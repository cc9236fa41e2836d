"""Reading dropped files: ``.xlsx`` workbooks (title rows above the header, a size guard before
the grid is built), ``.csv`` (encoding detected, ragged rows rejected) and ``.jsonl`` (each line
checked). Rows that cannot be split into fields come back as rejects with a rule and a reason;
the raw text of a source with protected fields is withheld from them."""

import csv
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import orjson
import polars as pl
import python_calamine

from warehouse.encoding import decode_text
from warehouse.reading import (
    Collector,
    FileRead,
    Header,
    ReadSpec,
    cell_text,
    norm_header,
    positional,
)
from warehouse.sources import SourceError
from warehouse.xlsx_guard import SheetTooLarge, check_sheet


def file_load_id(path: Path) -> str:
    """The load id of a file: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def read_file(path: Path, name: str, spec: ReadSpec, out: Collector) -> FileRead:
    """Read one file; errors name its full path, lineage columns carry ``name``."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(spec.name, str(path), f"cannot read file: {error.strerror}") from error
    load_id = hashlib.sha256(data).hexdigest()[:16]  # as file_load_id, without reading twice
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise SourceError(spec.name, str(path), "empty file: no header and no rows")
    read = FileRead(name, load_id, 0)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        _read_xlsx(path, data, spec, out, read)
    elif suffix in (".csv", ".txt"):
        _read_csv(path, data, spec, out, read)
    elif suffix in (".jsonl", ".ndjson"):
        _read_jsonl(path, data, spec, out, read)
    else:
        raise SourceError(
            spec.name, str(path), f"unknown file type '{suffix}' (expected .xlsx, .csv or .jsonl)"
        )
    return read


def _find_header(rows: Sequence[Sequence[object]], spec: ReadSpec) -> int:
    """The first of the top rows naming at least half of the required columns (titles sit above it)."""
    wanted = {norm_header(r) for r in spec.required}
    for i, row in enumerate(rows[:15]):
        hits = wanted & {norm_header(c) for c in row}
        if hits and len(hits) * 2 >= len(wanted):
            return i
    return 0


def _read_xlsx(path: Path, data: bytes, spec: ReadSpec, out: Collector, read: FileRead) -> None:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        single = len(names) == 1 or not spec.sheet
        sheet_name = spec.sheet if spec.sheet in names else (names[0] if single else None)
        if sheet_name is None:
            raise SourceError(
                spec.name, str(path), f"no sheet '{spec.sheet}' (sheets: {'、'.join(names)})"
            )
        check_sheet(data, sheet_name)  # before calamine allocates the sheet's whole grid
        rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except SheetTooLarge as error:
        raise SourceError(spec.name, str(path), f"cannot read workbook: {error}") from None
    except SourceError:
        raise
    except Exception as error:  # calamine raises its own error types for every kind of corruption
        raise SourceError(spec.name, str(path), f"cannot open workbook: {error}") from error
    if not rows:
        raise SourceError(spec.name, str(path), f"sheet '{sheet_name}' is empty")
    at = _find_header(rows, spec)
    header = Header(spec, rows[at], str(path))
    read.skipped["title"] = at
    body = rows[at + 1 :]
    columns = [[cell_text(r[i]) if i < len(r) else None for r in body] for i in range(header.width)]
    cells = positional(columns, range(at + 2, at + 2 + len(body)))
    out.frames.append(header.frame(cells, read.file, read.load_id, read))


def _delimiter(text: str) -> str:
    """The field separator of a text export: a comma, or a tab (Excel's "Unicode text" is UTF-16
    with tabs), semicolon or bar when the first filled line holds more of those than commas."""
    first = next((line for line in text[:100_000].splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in ("\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > first.count(",") else ","


def _read_csv(path: Path, data: bytes, spec: ReadSpec, out: Collector, read: FileRead) -> None:
    text, read.encoding = decode_text(data, spec.name, str(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header_cells: list[str] = []
        for cells in reader:
            if any(c.strip() for c in cells):
                header_cells = cells
                break
            read.skipped["blank"] = read.skipped.get("blank", 0) + 1
        header = _header(spec, header_cells, path, read.encoding)
        width = header.width
        good: list[list[str]] = []
        numbers: list[int] = []
        for cells in reader:
            if len(cells) == width:
                good.append(cells)
            elif len(cells) > width and not any(c.strip() for c in cells[width:]):
                good.append(cells[:width])  # trailing empty fields: a common export habit
            elif len(cells) < width and not any(c.strip() for c in cells):
                good.append([""] * width)  # an empty line: counted as blank
            else:
                _reject_ragged(out, spec, read, reader.line_num, cells, width)
                continue
            numbers.append(reader.line_num)
    except csv.Error as error:
        problem = f"not a readable CSV file: {error}"
        raise SourceError(spec.name, str(path), problem, row=reader.line_num) from error
    columns = list(zip(*good, strict=True)) if good else [() for _ in range(width)]
    out.frames.append(header.frame(positional(columns, numbers), read.file, read.load_id, read))


def _header(spec: ReadSpec, found: Sequence[object], path: Path, encoding: str | None) -> Header:
    """The header of a text export; a header that does not fit says which encoding it was read
    in (a UTF-16 file read as something else shows as a header with no known column)."""
    try:
        return Header(spec, found, str(path))
    except SourceError as error:
        if encoding is None or "missing required column" not in error.problem:
            raise
        named = encoding.split(":", 1)[0].upper().replace("_", "-")
        raise SourceError(
            spec.name, str(path), f"{error.problem}; the file was read as {named}"
        ) from None


def _reject_ragged(
    out: Collector, spec: ReadSpec, read: FileRead, number: int, cells: list[str], width: int
) -> None:
    if spec.protected:
        raw = "(withheld: a row of a source with protected reporter fields that cannot be split into columns)"
    else:
        raw = orjson.dumps(cells).decode()
    out.rejects.append(
        (
            read.file,
            number,
            read.load_id,
            "row.field_count",
            f"row has {len(cells)} fields, the header has {width}",
            raw,
        )
    )
    read.rows += 1


def _read_jsonl(path: Path, data: bytes, spec: ReadSpec, out: Collector, read: FileRead) -> None:
    """Each line is checked with orjson; the good ones are parsed together by Polars as text."""
    text, read.encoding = decode_text(data, spec.name, str(path))
    good: list[str] = []
    numbers: list[int] = []
    keys: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            read.skipped["blank"] = read.skipped.get("blank", 0) + 1
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raw = "(withheld)" if spec.protected else line[:2000]
            problem = f"not valid JSON: {error}"
            out.rejects.append((read.file, number, read.load_id, "row.valid_json", problem, raw))
            read.rows += 1
            continue
        if not isinstance(value, dict):
            raw = "(withheld)" if spec.protected else line[:2000]
            problem = "not a JSON object"
            out.rejects.append((read.file, number, read.load_id, "row.json_object", problem, raw))
            read.rows += 1
            continue
        if not keys.keys() >= value.keys():  # a key not seen yet (a set test: no new dict)
            keys.update(dict.fromkeys(value))
        good.append(line)
        numbers.append(number)
    found = list(keys)
    header = _header(spec, found, path, read.encoding)
    if good:
        parsed = pl.read_ndjson(
            io.BytesIO("\n".join(good).encode()), schema={k: pl.String for k in found}
        )
        cells = parsed.rename({k: f"c{i}" for i, k in enumerate(found)}).with_columns(
            pl.Series("_source_row", numbers, dtype=pl.Int64)
        )
    else:
        cells = positional([[] for _ in found], [])
    out.frames.append(header.frame(cells, read.file, read.load_id, read))
