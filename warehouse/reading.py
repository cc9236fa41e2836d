"""What every source reader shares: the source spec it reads by, what it returns, and the header.

Each file (or SQL table) is first read into positional text columns ``c0``, ``c1`` …; a
:class:`Header` maps the found header onto the source's fields and :meth:`Header.frame` selects
them, computes the protected flag (``实名``) and keeps reporter fields only for masking, with the
lineage columns. Blank and 合计 rows are counted, not returned.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

import orjson
import polars as pl

from transforms.normalize import TextForm, boundary_value, normalise_boundary
from warehouse import protection
from warehouse.sources import SourceError

TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)\s*[:：]?\s*$")


_HEADER_NOISE = str.maketrans({"（": "(", "）": ")", " ": None, "\u3000": None, "\n": None})


class FieldLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def form(self) -> TextForm | None: ...


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

    @property
    def key(self) -> tuple[str, ...]: ...


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
    text_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per field, values the boundary normalisation changed (:func:`boundary`): counts only."""
    skipped_files: dict[str, str] = field(default_factory=dict)
    """Files the glob matched but that are no export (Office lock files, hidden files): why."""

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files)


def boundary(
    frame: pl.DataFrame, spec: ReadSpec, counts: dict[str, dict[str, int]]
) -> pl.DataFrame:
    """The one text normalisation every reader applies to its rows before anything else sees
    them (:func:`transforms.normalize.normalise_boundary`); adds what it changed to ``counts``."""
    forms = {f.name: f.form for f in spec.fields if f.form is not None and f.name != spec.flag}
    out, found = normalise_boundary(frame, forms)
    for column, kinds in found.items():
        mine = counts.setdefault(column, {})
        for kind, n in kinds.items():
            mine[kind] = mine.get(kind, 0) + n
    return out


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


def norm_header(text: object) -> str:
    """A header cell as compared: no spaces, ASCII brackets, no invisible characters."""
    return (boundary_value(str(text or ""), "text") or "").translate(_HEADER_NOISE).strip()


def cell_text(value: object) -> str | None:
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


class Header:
    """The mapping of a found header onto the source's fields.

    Each file is first read into positional text columns ``c0``, ``c1`` …; :meth:`frame` then
    selects the fields, computes the protected flag and drops the protected columns in one step.
    """

    def __init__(self, spec: ReadSpec, found: Sequence[object], where: str):
        self.spec = spec
        normal = [norm_header(h) for h in found]
        position = {h: i for i, h in reversed(list(enumerate(normal))) if h}
        self.columns: dict[str, int | None] = {}
        for f in spec.fields:
            if f.name == spec.flag:
                continue
            names = [norm_header(n) for n in (f.name, *f.aliases)]
            self.columns[f.name] = next((position[n] for n in names if n in position), None)
        self.protected = [
            position[norm_header(p)] for p in spec.protected if norm_header(p) in position
        ]
        missing = [r for r in spec.required if self.columns.get(r) is None]
        if missing:
            raise SourceError(spec.name, where, header_problem(spec, normal, missing))
        if twice := duplicated_columns(spec, found):
            raise SourceError(spec.name, where, twice)
        self.width = len(found)

    def frame(self, cells: pl.DataFrame, file: str, load_id: str, read: "FileRead") -> pl.DataFrame:
        """Data rows as field columns with lineage; blank and 合计 rows are counted in ``read``."""
        text = [pl.col(f"c{i}") for i in range(self.width)]
        blank = pl.all_horizontal(c.is_null() | (c.str.strip_chars() == "") for c in text)
        total = pl.any_horizontal(
            c.str.contains(TOTAL_ROW.pattern).fill_null(False) for c in text[:4]
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
                flag_column([pl.col(f"c{i}") for i in self.protected]).alias(self.spec.flag)
            )
        return data.select(
            *fields,
            *protection.reporter_columns(self.spec, self.protected),  # masked, then dropped
            pl.lit(file, dtype=pl.String).alias("_source_file"),
            pl.col("_source_row").cast(pl.Int64),
            pl.lit(load_id, dtype=pl.String).alias("_load_id"),
        )


def _column_name(index: int) -> str:
    """A 0-based column as a spreadsheet names it: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def duplicated_columns(spec: ReadSpec, found: Sequence[object]) -> str | None:
    """Why a header is ambiguous: two of its columns give one field (the same header twice, or
    a header and its alias: 被巡察单位 beside 被巡视单位). Reading either silently would be a guess.
    Names the columns (header text only, never a row's values)."""
    normal = [norm_header(h) for h in found]
    groups = [(f.name, (f.name, *f.aliases)) for f in spec.fields if f.name != spec.flag]
    groups += [(p, (p,)) for p in spec.protected]
    problems = []
    for name, spellings in groups:
        wanted = {norm_header(n) for n in spellings}
        at = [i for i, h in enumerate(normal) if h and h in wanted]
        if len(at) > 1:
            shown = " and ".join(
                f"column {i + 1} ({_column_name(i)}) '{str(found[i]).strip()}'" for i in at
            )
            problems.append(f"{shown} both give {name}")
    if not problems:
        return None
    return (
        f"duplicated header column: {'; '.join(problems)} — keep one of them (which one is "
        "meant cannot be told)"
    )


def header_problem(spec: ReadSpec, found: Sequence[str], missing: Sequence[str]) -> str:
    """Why a header does not fit the source: the columns expected and how many were found.

    Never the text of the row found: when the header is missing, that row is data (a petition's
    reporter, a roster's ID numbers), and an error message is written to logs and run storage.
    """
    known = {norm_header(n) for f in spec.fields for n in (f.name, *f.aliases)}
    known |= {norm_header(p) for p in spec.protected}
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


def flag_column(protected: list[pl.Expr]) -> pl.Expr:
    """是 when any reporter field is filled, 否 when none is, null when the export has none of them."""
    if not protected:
        return pl.lit(None, dtype=pl.String)
    filled = pl.any_horizontal(
        (c.str.strip_chars().str.len_chars() > 0).fill_null(False) for c in protected
    )
    return pl.when(filled).then(pl.lit("是")).otherwise(pl.lit("否"))


def positional(columns: Sequence[Sequence[str | None]], rows: Sequence[int]) -> pl.DataFrame:
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


class Collector:
    """Accumulates the frames and rejects of one source across its files."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.rejects: list[tuple[str, int, str, str, str, str]] = []

    def frame(self, spec: ReadSpec) -> pl.DataFrame:
        return pl.concat([empty_rows(spec), *self.frames], how="diagonal")

    def reject_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rejects, schema=REJECT_SCHEMA, orient="row")
