"""Source readers: every upstream export as rows of text with their lineage.

One reader per kind of export (SQL table, ``.xlsx``, ``.csv``, ``.jsonl``). Each finds the header,
maps it onto the source's fields, drops protected reporter fields at once (keeping only whether
they were filled), and returns every data row as text with ``_source_file``, ``_source_row`` and
``_load_id``. Rows that cannot even be split into fields (a ragged CSV line, a line that is not
JSON) come back as rejects with a reason. Structural rows (titles, blank rows, 合计 totals) are
counted, not returned. A file that cannot be read at all raises :class:`SourceError`.
"""

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

import charset_normalizer
import orjson
import polars as pl
import python_calamine
import sqlalchemy as sa

from transforms.deid import DeidRules
from warehouse import protection
from warehouse.sources import SourceConfig, SourceError, safe_url
from warehouse.xlsx_guard import SheetTooLarge, check_sheet

_TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)\s*[:：]?\s*$")
_HEADER_NOISE = str.maketrans({"（": "(", "）": ")", " ": None, "\u3000": None, "\n": None})
_BATCH = 100_000


class FieldLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


class ReadSpec(Protocol):
    """What a reader needs to know of a source (``transforms.specs.SourceSpec`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def protected(self) -> tuple[str, ...]: ...
    @property
    def flag(self) -> str | None: ...
    @property
    def sql_order(self) -> tuple[str, ...]: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def free_text(self) -> tuple[str, ...]: ...
    @property
    def masked_counts(self) -> str | None: ...
    @property
    def fields(self) -> Sequence[FieldLike]: ...

    @property
    def required(self) -> tuple[str, ...]: ...


@dataclass
class FileRead:
    """What one file (or SQL table) gave: its data rows and the structural rows skipped."""

    file: str
    load_id: str
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None


@dataclass
class RawBatch:
    """Everything read from one source: text rows, reader rejects, and a record per file."""

    rows: pl.DataFrame
    rejects: pl.DataFrame
    files: list[FileRead]

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files)


REJECT_SCHEMA = {
    "_source_file": pl.String,
    "_source_row": pl.Int64,
    "_load_id": pl.String,
    "rule": pl.String,
    "reason": pl.String,
    "raw": pl.String,
}
"""A row the reader could not split into fields: its rule id (``row.field_count`` …), the
sentence saying why, and its raw text (withheld for a source with protected fields)."""


def _norm_header(text: object) -> str:
    return str(text or "").translate(_HEADER_NOISE).strip()


def _cell_text(value: object) -> str | None:
    """A cell as the text a person would read in it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S")
            if value.time() != time(0)
            else value.date().isoformat()
        )
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


class _Header:
    """The mapping of a found header onto the source's fields.

    Each file is first read into positional text columns ``c0``, ``c1`` …; :meth:`frame` then
    selects the fields, computes the protected flag and drops the protected columns in one step.
    """

    def __init__(self, spec: ReadSpec, found: Sequence[object], where: str):
        self.spec = spec
        normal = [_norm_header(h) for h in found]
        position = {h: i for i, h in reversed(list(enumerate(normal))) if h}
        self.columns: dict[str, int | None] = {}
        for f in spec.fields:
            if f.name == spec.flag:
                continue
            names = [_norm_header(n) for n in (f.name, *f.aliases)]
            self.columns[f.name] = next((position[n] for n in names if n in position), None)
        self.protected = [
            position[_norm_header(p)] for p in spec.protected if _norm_header(p) in position
        ]
        missing = [r for r in spec.required if self.columns.get(r) is None]
        if missing:
            raise SourceError(spec.name, where, header_problem(spec, normal, missing))
        self.width = len(found)

    def frame(self, cells: pl.DataFrame, file: str, load_id: str, read: "FileRead") -> pl.DataFrame:
        """Data rows as field columns with lineage; blank and 合计 rows are counted in ``read``."""
        text = [pl.col(f"c{i}") for i in range(self.width)]
        blank = pl.all_horizontal(c.is_null() | (c.str.strip_chars() == "") for c in text)
        total = pl.any_horizontal(
            c.str.contains(_TOTAL_ROW.pattern).fill_null(False) for c in text[:4]
        )
        kinds = cells.select(blank.alias("blank"), (~blank & total).alias("total"))
        for kind in ("blank", "total"):
            if n := int(kinds.get_column(kind).sum()):
                read.skipped[kind] = read.skipped.get(kind, 0) + n
        data = cells.filter(~(kinds.get_column("blank") | kinds.get_column("total")))
        read.rows += data.height
        fields = [
            (pl.col(f"c{i}") if i is not None else pl.lit(None, dtype=pl.String)).alias(name)
            for name, i in self.columns.items()
        ]
        if self.spec.flag:
            fields.append(
                _flag_column([pl.col(f"c{i}") for i in self.protected]).alias(self.spec.flag)
            )
        return data.select(
            *fields,
            *protection.reporter_columns(self.spec, self.protected),  # masked, then dropped
            pl.lit(file, dtype=pl.String).alias("_source_file"),
            pl.col("_source_row").cast(pl.Int64),
            pl.lit(load_id, dtype=pl.String).alias("_load_id"),
        )


def header_problem(spec: ReadSpec, found: Sequence[str], missing: Sequence[str]) -> str:
    """Why a header does not fit the source: the columns expected and how many were found.

    Never the text of the row found: when the header is missing, that row is data (a petition's
    reporter, a roster's ID numbers), and an error message is written to logs and run storage.
    """
    known = {_norm_header(n) for f in spec.fields for n in (f.name, *f.aliases)}
    known |= {_norm_header(p) for p in spec.protected}
    named = [h for h in found if h]
    recognised = sum(1 for h in named if h in known)
    hint = (
        "none of them is a column this source has: the header row may be missing"
        if named and not recognised
        else f"{recognised} of them recognised"
    )
    return (
        f"missing required column(s) {'、'.join(missing)}; the header row found has "
        f"{len(named)} filled column(s), {hint} (expected at least: {'、'.join(spec.required)})"
    )


def _flag_column(protected: list[pl.Expr]) -> pl.Expr:
    """是 when any reporter field is filled, 否 when none is, null when the export has none of them."""
    if not protected:
        return pl.lit(None, dtype=pl.String)
    filled = pl.any_horizontal(
        (c.str.strip_chars().str.len_chars() > 0).fill_null(False) for c in protected
    )
    return pl.when(filled).then(pl.lit("是")).otherwise(pl.lit("否"))


def _positional(columns: Sequence[Sequence[str | None]], rows: Sequence[int]) -> pl.DataFrame:
    data = {f"c{i}": pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)}
    return pl.DataFrame({**data, "_source_row": pl.Series(rows, dtype=pl.Int64)})


def empty_rows(spec: ReadSpec) -> pl.DataFrame:
    """The raw frame of a source with no rows: every field as text, then the lineage columns."""
    names = [f.name for f in spec.fields if f.name != spec.flag] + (
        [spec.flag] if spec.flag else []
    )
    schema = {n: pl.String for n in names} | {
        "_source_file": pl.String,
        "_source_row": pl.Int64,
        "_load_id": pl.String,
    }
    return pl.DataFrame(schema=schema)


class _Collector:
    """Accumulates the frames and rejects of one source across its files."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.rejects: list[tuple[str, int, str, str, str, str]] = []

    def frame(self, spec: ReadSpec) -> pl.DataFrame:
        return pl.concat([empty_rows(spec), *self.frames], how="diagonal")

    def reject_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rejects, schema=REJECT_SCHEMA, orient="row")


def file_load_id(path: Path) -> str:
    """The load id of a file: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def read_source(
    config: SourceConfig,
    spec: ReadSpec,
    skip: frozenset[Path] = frozenset(),
    deid: DeidRules | None = None,
) -> RawBatch:
    """Read every row of one configured source (files in ``skip`` are left out).

    A source with reporter fields is masked on the way (:mod:`warehouse.protection`, with the
    ``deid`` rules; the shipped ones when None).

    Raises:
        SourceError: the database is unreachable, a table or file cannot be read, or a required
            column is missing. The message names the source, the file or table, and the problem.
    """
    if config.kind == "sql":
        return _read_sql(config, spec, deid)
    collector = _Collector()
    files: list[FileRead] = []
    for path in config.files():
        if path not in skip:
            files.append(_read_file(path, config.lineage_path(path), spec, collector))
    rows = protection.protect_rows(collector.frame(spec), spec, deid)
    return RawBatch(rows, collector.reject_frame(), files)


def _read_file(path: Path, name: str, spec: ReadSpec, out: _Collector) -> FileRead:
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
    wanted = {_norm_header(r) for r in spec.required}
    for i, row in enumerate(rows[:15]):
        hits = wanted & {_norm_header(c) for c in row}
        if hits and len(hits) * 2 >= len(wanted):
            return i
    return 0


def _read_xlsx(path: Path, data: bytes, spec: ReadSpec, out: _Collector, read: FileRead) -> None:
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
    header = _Header(spec, rows[at], str(path))
    read.skipped["title"] = at
    body = rows[at + 1 :]
    columns = [
        [_cell_text(r[i]) if i < len(r) else None for r in body] for i in range(header.width)
    ]
    cells = _positional(columns, range(at + 2, at + 2 + len(body)))
    out.frames.append(header.frame(cells, read.file, read.load_id, read))


def decode_text(data: bytes, source: str, file: str) -> tuple[str, str]:
    """Decode an export: BOM first, then strict UTF-8, then GB18030, then a detector's best guess.

    A GB18030 file holding some UTF-8 lines (rows pasted in from another export) is decoded line
    by line: each line in the encoding it was written in, and the encoding says so
    (``gb18030+utf-8:<lines>``), instead of landing those rows as mojibake (陈海 → 闄堟捣).

    Raises:
        SourceError: no encoding reads the bytes cleanly.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text, utf8_lines = _decode_lines(data)
    except UnicodeDecodeError:
        pass
    else:
        return text, f"gb18030+utf-8:{utf8_lines}" if utf8_lines else "gb18030"
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding not in ("utf_8", "gb18030"):
        try:
            return data.decode(guess.encoding), guess.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as error:
        problem = (
            f"cannot decode text: not UTF-8 and not GB18030 (bad bytes at offset {error.start})"
        )
        raise SourceError(source, file, problem) from error
    raise AssertionError("unreachable")  # pragma: no cover


def _mostly_cjk(text: str) -> bool:
    """Whether most non-ASCII characters are CJK: true of real Chinese text, false of GB18030
    bytes that happen to be valid UTF-8 (they decode to U+0080–U+07FF: Latin, Greek, Arabic …)."""
    wide = [c for c in text if ord(c) > 0x7F]
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return bool(wide) and cjk * 2 >= len(wide)


def _decode_lines(data: bytes) -> tuple[str, int]:
    """A GB18030 file decoded line by line (a newline byte never sits inside a GB18030 or UTF-8
    character): lines that are valid UTF-8 Chinese are taken as UTF-8. The text, and how many."""
    out, utf8 = [], 0
    for line in data.split(b"\n"):
        if line.isascii():
            out.append(line.decode("ascii"))
            continue
        try:
            candidate = line.decode("utf-8")
        except UnicodeDecodeError:
            out.append(line.decode("gb18030"))
            continue
        if _mostly_cjk(candidate):
            out.append(candidate)
            utf8 += 1
        else:
            out.append(line.decode("gb18030"))
    return "\n".join(out), utf8


def _read_csv(path: Path, data: bytes, spec: ReadSpec, out: _Collector, read: FileRead) -> None:
    text, read.encoding = decode_text(data, spec.name, str(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_cells: list[str] = []
        for cells in reader:
            if any(c.strip() for c in cells):
                header_cells = cells
                break
            read.skipped["blank"] = read.skipped.get("blank", 0) + 1
        header = _Header(spec, header_cells, str(path))
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
    out.frames.append(header.frame(_positional(columns, numbers), read.file, read.load_id, read))


def _reject_ragged(
    out: _Collector, spec: ReadSpec, read: FileRead, number: int, cells: list[str], width: int
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


def _read_jsonl(path: Path, data: bytes, spec: ReadSpec, out: _Collector, read: FileRead) -> None:
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
        keys.update(dict.fromkeys(value))
        good.append(line)
        numbers.append(number)
    found = list(keys)
    header = _Header(spec, found, str(path))
    if good:
        parsed = pl.read_ndjson(
            io.BytesIO("\n".join(good).encode()), schema={k: pl.String for k in found}
        )
        cells = parsed.rename({k: f"c{i}" for i, k in enumerate(found)}).with_columns(
            pl.Series("_source_row", numbers, dtype=pl.Int64)
        )
    else:
        cells = _positional([[] for _ in found], [])
    out.frames.append(header.frame(cells, read.file, read.load_id, read))


def _read_sql(config: SourceConfig, spec: ReadSpec, deid: DeidRules | None = None) -> RawBatch:
    url, where = str(config.url), config.display
    _check_sqlite_file(url, spec.name, where)
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise SourceError(
            spec.name, safe_url(url), f"not a usable database URL: {error}"
        ) from error
    names = list(empty_rows(spec).columns[:-3])
    batches: list[pl.DataFrame] = []
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn:
            columns = [c["name"] for c in sa.inspect(conn).get_columns(str(config.table))]
            header = _Header(spec, columns, where)
            table = sa.table(str(config.table), *(sa.column(c) for c in columns))
            reporters = (
                [table.c[columns[i]] for i in header.protected] if spec.masked_counts else []
            )
            select: list[sa.Label[Any]] = [
                protection.replaced_in_query(
                    sa.cast(table.c[columns[i]], sa.Text), reporters, deid
                ).label(name)
                if i is not None
                else sa.null().label(name)
                for name, i in header.columns.items()
            ]
            if spec.flag:
                select.append(
                    _flag_expr(table, [columns[i] for i in header.protected]).label(spec.flag)
                )
            order = [table.c[c] for c in spec.sql_order if c in columns] or [
                table.c[c] for c in columns
            ]
            result = conn.execution_options(stream_results=True).execute(
                sa.select(*select).order_by(*order)
            )
            while batch := result.fetchmany(_BATCH):
                frame = pl.DataFrame(batch, schema={n: pl.String for n in names}, orient="row")
                digest.update(frame.write_csv().encode())
                batches.append(protection.protect_rows(frame, spec, deid))
    except sa.exc.NoSuchTableError as error:
        raise SourceError(spec.name, where, f"no table '{config.table}' in the database") from error
    except sa.exc.SQLAlchemyError as error:
        problem = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise SourceError(spec.name, where, f"cannot read the database: {problem}") from error
    finally:
        engine.dispose()
    load_id = digest.hexdigest()[:16]
    rows = pl.concat([empty_rows(spec).select(names), *batches])
    lineage = config.lineage
    frame = rows.with_columns(
        pl.lit(lineage, dtype=pl.String).alias("_source_file"),
        pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias("_source_row"),
        pl.lit(load_id, dtype=pl.String).alias("_load_id"),
    )
    return RawBatch(
        frame, pl.DataFrame(schema=REJECT_SCHEMA), [FileRead(lineage, load_id, rows.height)]
    )


def _flag_expr(table: sa.TableClause, protected: list[str]) -> sa.ColumnElement[Any]:
    """Whether any reporter field is filled, computed inside the database: the values never leave it."""
    if not protected:
        return sa.null()
    filled = [
        sa.func.coalesce(sa.func.trim(sa.cast(table.c[p], sa.Text)), "") != "" for p in protected
    ]
    return sa.case((sa.or_(*filled), "是"), else_="否")


def _check_sqlite_file(url: str, source: str, where: str) -> None:
    """SQLite would quietly create a missing file: a missing database is an error instead."""
    parsed = sa.make_url(url)
    database = parsed.database
    is_file = parsed.get_backend_name() == "sqlite" and database and database != ":memory:"
    if is_file and not Path(str(database)).is_file():
        raise SourceError(source, where, f"database file {database} does not exist")


def _connect_args(url: str) -> dict[str, object]:
    backend = sa.make_url(url).get_backend_name()
    if backend == "postgresql":
        return {"connect_timeout": 10}
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": 10}
    return {}
