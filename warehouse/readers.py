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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

import charset_normalizer
import orjson
import polars as pl
import python_calamine
import sqlalchemy as sa

from warehouse.sources import SourceConfig, SourceError, safe_url

_TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)\s*[:：]?\s*$")
_HEADER_NOISE = str.maketrans({"（": "(", "）": ")", " ": None, "\u3000": None, "\n": None})
_BATCH = 100_000


class FieldLike(Protocol):
    name: str
    aliases: tuple[str, ...]


class ReadSpec(Protocol):
    """What a reader needs to know of a source (``transforms.specs.SourceSpec`` fits)."""

    name: str
    protected: tuple[str, ...]
    flag: str | None
    sql_order: tuple[str, ...]
    sheet: str | None

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
    "reason": pl.String,
    "raw": pl.String,
}


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
    """The mapping of a found header onto the source's fields."""

    def __init__(self, spec: ReadSpec, found: Sequence[object], where: str):
        self.spec = spec
        position = {
            _norm_header(h): i for i, h in reversed(list(enumerate(found))) if _norm_header(h)
        }
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
            shown = "、".join(str(h) for h in found if _norm_header(h))[:300]
            raise SourceError(
                spec.name,
                where,
                f"missing required column(s) {'、'.join(missing)}; header found: {shown}",
            )
        self.width = len(found)

    def row(self, cells: Sequence[object]) -> list[str | None]:
        """The field values of one data row, plus the protected flag, with protected values gone."""
        out = [
            _cell_text(cells[i]) if i is not None and i < len(cells) else None
            for i in self.columns.values()
        ]
        if self.spec.flag:
            filled = any(i < len(cells) and _cell_text(cells[i]) for i in self.protected)
            out.append("是" if filled else ("否" if self.protected else None))
        return out

    @property
    def names(self) -> list[str]:
        return list(self.columns) + ([self.spec.flag] if self.spec.flag else [])

    def is_total(self, cells: Sequence[object]) -> bool:
        return any(isinstance(c, str) and _TOTAL_ROW.match(c) for c in cells[:4])


class _Collector:
    """Accumulates data rows and rejects for one source across its files."""

    def __init__(self, header_names: list[str] | None = None):
        self.names = header_names
        self.values: list[list[str | None]] = []
        self.lineage: list[tuple[str, int, str]] = []
        self.rejects: list[tuple[str, int, str, str, str]] = []

    def frame(self, spec: ReadSpec) -> pl.DataFrame:
        names = [f.name for f in spec.fields if f.name != spec.flag] + (
            [spec.flag] if spec.flag else []
        )
        columns = list(zip(*self.values, strict=True)) if self.values else [() for _ in names]
        data = {
            n: pl.Series(n, col, dtype=pl.String) for n, col in zip(names, columns, strict=True)
        }
        files, rows, loads = (
            (list(c) for c in zip(*self.lineage, strict=True)) if self.lineage else ([], [], [])
        )
        return pl.DataFrame(
            {
                **data,
                "_source_file": pl.Series(files, dtype=pl.String),
                "_source_row": pl.Series(rows, dtype=pl.Int64),
                "_load_id": pl.Series(loads, dtype=pl.String),
            }
        )

    def reject_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rejects, schema=REJECT_SCHEMA, orient="row")


def read_source(config: SourceConfig, spec: ReadSpec) -> RawBatch:
    """Read every row of one configured source.

    Raises:
        SourceError: the database is unreachable, a table or file cannot be read, or a required
            column is missing. The message names the source, the file or table, and the problem.
    """
    if config.kind == "sql":
        return _read_sql(config, spec)
    collector = _Collector()
    files: list[FileRead] = []
    for path in config.files():
        files.append(_read_file(path, config.lineage_path(path), spec, collector))
    return RawBatch(collector.frame(spec), collector.reject_frame(), files)


def _read_file(path: Path, name: str, spec: ReadSpec, out: _Collector) -> FileRead:
    """Read one file; errors name its full path, lineage columns carry ``name``."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(spec.name, str(path), f"cannot read file: {error.strerror}") from error
    load_id = hashlib.sha256(data).hexdigest()[:16]
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise SourceError(spec.name, str(path), "empty file: no header and no rows")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _read_xlsx(path, name, data, load_id, spec, out)
    if suffix in (".csv", ".txt"):
        return _read_csv(path, name, data, load_id, spec, out)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, name, data, load_id, spec, out)
    raise SourceError(
        spec.name, str(path), f"unknown file type '{suffix}' (expected .xlsx, .csv or .jsonl)"
    )


def _find_header(rows: list[list[object]], spec: ReadSpec) -> int:
    wanted = {_norm_header(r) for r in spec.required}
    for i, row in enumerate(rows[:15]):
        if wanted & {_norm_header(c) for c in row} and len(
            wanted & {_norm_header(c) for c in row}
        ) * 2 >= len(wanted):
            return i
    return 0


def _read_xlsx(
    path: Path, name: str, data: bytes, load_id: str, spec: ReadSpec, out: _Collector
) -> FileRead:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        sheet_name = (
            spec.sheet
            if spec.sheet in names
            else (names[0] if len(names) == 1 or not spec.sheet else None)
        )
        if sheet_name is None:
            raise SourceError(
                spec.name, str(path), f"no sheet '{spec.sheet}' (sheets: {'、'.join(names)})"
            )
        rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except SourceError:
        raise
    except Exception as error:  # calamine raises its own error types for every kind of corruption
        raise SourceError(spec.name, str(path), f"cannot open workbook: {error}") from error
    if not rows:
        raise SourceError(spec.name, str(path), f"sheet '{sheet_name}' is empty")
    at = _find_header(rows, spec)
    header = _Header(spec, rows[at], str(path))
    read = FileRead(name, load_id, 0, {"title": at})
    for number, cells in enumerate(rows[at + 1 :], start=at + 2):
        _take(out, header, cells, name, number, load_id, read)
    return read


def _take(
    out: _Collector,
    header: _Header,
    cells: Sequence[object],
    file: str,
    number: int,
    load_id: str,
    read: FileRead,
) -> None:
    if all(_cell_text(c) is None for c in cells):
        read.skipped["blank"] = read.skipped.get("blank", 0) + 1
    elif header.is_total(cells):
        read.skipped["total"] = read.skipped.get("total", 0) + 1
    else:
        out.values.append(header.row(cells))
        out.lineage.append((file, number, load_id))
        read.rows += 1


def decode_text(data: bytes, source: str, file: str) -> tuple[str, str]:
    """Decode an export: BOM first, then strict UTF-8, then GB18030, then a detector's best guess.

    Raises:
        SourceError: no encoding reads the bytes cleanly.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding not in ("utf_8", "gb18030"):
        try:
            return data.decode(guess.encoding), guess.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise SourceError(
            source,
            file,
            f"cannot decode text: not UTF-8 and not GB18030 (bad bytes at offset {error.start})",
        ) from error
    raise AssertionError("unreachable")  # pragma: no cover


def _read_csv(
    path: Path, name: str, data: bytes, load_id: str, spec: ReadSpec, out: _Collector
) -> FileRead:
    text, encoding = decode_text(data, spec.name, str(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = _numbered(reader)
        header_cells: list[str] = []
        skipped_top = 0
        for _, cells in records:
            if any(c.strip() for c in cells):
                header_cells = cells
                break
            skipped_top += 1
        header = _Header(spec, header_cells, str(path))
        read = FileRead(name, load_id, 0, {"blank": skipped_top} if skipped_top else {}, encoding)
        for number, cells in records:
            extra = cells[header.width :]
            if (
                len(cells) < header.width
                and any(c.strip() for c in cells)
                or any(c.strip() for c in extra)
            ):
                _reject_ragged(out, spec, name, number, load_id, cells, header.width, read)
            else:
                _take(out, header, cells, name, number, load_id, read)
    except csv.Error as error:
        raise SourceError(
            spec.name, str(path), f"not a readable CSV file: {error}", row=reader.line_num
        ) from error
    return read


def _numbered(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    assert hasattr(reader, "line_num")
    for cells in reader:
        yield reader.line_num, cells


def _reject_ragged(
    out: _Collector,
    spec: ReadSpec,
    file: str,
    number: int,
    load_id: str,
    cells: list[str],
    width: int,
    read: FileRead,
) -> None:
    if spec.protected:
        raw = "(withheld: a row of a source with protected reporter fields that cannot be split into columns)"
    else:
        raw = orjson.dumps(cells).decode()
    out.rejects.append(
        (file, number, load_id, f"row has {len(cells)} fields, the header has {width}", raw)
    )
    read.rows += 1


def _read_jsonl(
    path: Path, name: str, data: bytes, load_id: str, spec: ReadSpec, out: _Collector
) -> FileRead:
    text, encoding = decode_text(data, spec.name, str(path))
    objects: list[tuple[int, dict[str, object]]] = []
    read = FileRead(name, load_id, 0, {}, encoding)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            read.skipped["blank"] = read.skipped.get("blank", 0) + 1
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raw = "(withheld)" if spec.protected else line[:2000]
            out.rejects.append((name, number, load_id, f"not valid JSON: {error}", raw))
            read.rows += 1
            continue
        if not isinstance(value, dict):
            out.rejects.append((name, number, load_id, "not a JSON object", line[:2000]))
            read.rows += 1
            continue
        objects.append((number, value))
    keys = list(dict.fromkeys(k for _, obj in objects[:1000] for k in obj))
    keys += [k for k in dict.fromkeys(k for _, obj in objects[1000:] for k in obj) if k not in keys]
    header = _Header(spec, keys, str(path))
    for number, obj in objects:
        _take(out, header, [obj.get(k) for k in keys], name, number, load_id, read)
    return read


def _read_sql(config: SourceConfig, spec: ReadSpec) -> RawBatch:
    url, where = str(config.url), config.display
    _check_sqlite_file(url, spec.name, where)
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise SourceError(
            spec.name, safe_url(url), f"not a usable database URL: {error}"
        ) from error
    try:
        with engine.connect() as conn:
            columns = [c["name"] for c in sa.inspect(conn).get_columns(str(config.table))]
            header = _Header(spec, columns, where)
            table = sa.table(str(config.table), *(sa.column(c) for c in columns))
            select = [
                sa.cast(table.c[columns[i]], sa.Text).label(name)
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
            out = _Collector()
            digest = hashlib.sha256()
            while batch := result.fetchmany(_BATCH):
                for row in batch:
                    out.values.append(list(row))
                digest.update(orjson.dumps([list(r) for r in batch]))
    except sa.exc.NoSuchTableError as error:
        raise SourceError(spec.name, where, f"no table '{config.table}' in the database") from error
    except sa.exc.SQLAlchemyError as error:
        problem = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise SourceError(spec.name, where, f"cannot read the database: {problem}") from error
    finally:
        engine.dispose()
    load_id = digest.hexdigest()[:16]
    lineage = config.lineage
    out.lineage = [(lineage, i, load_id) for i in range(1, len(out.values) + 1)]
    read = FileRead(lineage, load_id, len(out.values))
    return RawBatch(out.frame(spec), out.reject_frame(), [read])


def _flag_expr(table: sa.TableClause, protected: list[str]) -> sa.ColumnElement[str]:
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
