"""Cleaning: raw text rows in, typed bronze rows and quarantine rows (each with every reason) out.

The readers hand over every source row as text with its lineage (``_source_file``,
``_source_row``, ``_load_id``). :func:`annotate` types each field by its kind and lists, per row,
every hard error: a required field left empty, a present value that cannot be read (an impossible
date, an unknown code), no person key where one of several is required, no partition. Rows with
no reason are bronze; rows with a reason are quarantine, keeping their raw text. Nothing is
dropped: ``bronze_rows`` and ``quarantine_rows`` partition the annotated frame.

A reason is a structure, ``{rule, field, value, message}``: the rule id an auditor counts
(``决定日期.valid_date``, ``person_key.present``), the field, the value that broke it (null when
the field was empty) and the sentence a person reads. Nobody parses the sentence back.
"""

from collections.abc import Callable
from datetime import date

import polars as pl

from transforms import normalize as nz
from transforms.specs import FUTURE_DATES, FieldSpec, SourceSpec, date_bounds

LINEAGE = ("_source_file", "_source_row", "_load_id")
REASONS = "_reasons"
REASON = pl.Struct(
    {"rule": pl.String, "field": pl.String, "value": pl.String, "message": pl.String}
)
"""One reason a row is quarantined."""
COUNTS = pl.List(pl.Struct({"kind": pl.String, "count": pl.Int32}))
"""A ``counts`` field: what was masked in a row, by kind (``[{"kind": "电话", "count": 2}]``)."""
PARTITION = "_partition"

_PARSERS: dict[str, tuple[Callable[[pl.Expr], pl.Expr], str, str]] = {
    "date": (nz.parse_date, "not a valid date", "valid_date"),
    "datetime": (nz.parse_datetime, "not a valid date and time", "valid_datetime"),
    "year_month": (nz.parse_year_month, "not a valid year and month", "valid_year_month"),
    "int": (nz.parse_int, "not a whole number", "valid_number"),
    "float": (nz.parse_float, "not a number", "valid_number"),
    "ratio": (nz.parse_ratio, "not a share (0–1 or a percentage)", "valid_share"),
    "amount": (nz.parse_amount, "not an amount", "valid_amount"),
    "bool": (nz.parse_bool, "not a yes/no value", "valid_bool"),
}


def reason(rule: str | pl.Expr, field: str | None, value: pl.Expr, message: pl.Expr) -> pl.Expr:
    """A reason as a structure (see the module docstring)."""
    return pl.struct(
        (rule if isinstance(rule, pl.Expr) else pl.lit(rule, dtype=pl.String)).alias("rule"),
        pl.lit(field, dtype=pl.String).alias("field"),
        value.cast(pl.String).alias("value"),
        message.alias("message"),
    )


def _typed(spec: FieldSpec) -> list[pl.Expr]:
    raw = pl.col(spec.name)
    if spec.kind == "name":
        return [
            nz.normalize_name(raw).alias(spec.column),
            nz.blank_to_null(raw).alias(f"{spec.column}_原文"),
        ]
    if spec.kind == "id_number":
        return [
            nz.normalize_id_number(raw).alias(spec.column),
            nz.id_number_status(raw).alias(f"{spec.column}_状态"),
        ]
    if spec.kind == "enum":
        return [nz.parse_enum(raw, spec.vocabulary or {}).alias(spec.column)]
    if spec.kind == "counts":
        return [raw.str.json_decode(COUNTS).alias(spec.column)]
    if spec.kind in _PARSERS:
        return [_PARSERS[spec.kind][0](raw).alias(spec.column)]
    return [nz.blank_to_null(raw).alias(spec.column)]


Check = tuple[pl.Expr, pl.Expr]
"""A check of a row: when the first (a condition) holds, the second (a :func:`reason`)."""


def _reasons(spec: FieldSpec, as_of: date | None) -> list[Check]:
    raw = nz.blank_to_null(pl.col(f"raw:{spec.name}"))
    typed = pl.col(spec.column)
    out: list[Check] = []

    def when(condition: pl.Expr, check: str, message: pl.Expr) -> None:
        out.append((condition, reason(f"{spec.name}.{check}", spec.name, raw, message)))

    if spec.required:
        empty = raw.is_null()
        if spec.unless is not None:
            other, waived = spec.unless
            empty = empty & ~pl.col(other).is_in(list(waived)).fill_null(False)
        when(empty, "required", pl.lit(f"{spec.name}: empty (required)"))
    if spec.kind == "enum":
        known = "、".join(dict.fromkeys((spec.vocabulary or {}).values()))
        message = pl.format(f"{spec.name}: '{{}}' is not a known value ({known})", raw)
        when(raw.is_not_null() & typed.is_null(), "known_value", message)
    elif spec.kind in _PARSERS:
        _, text, check = _PARSERS[spec.kind]
        when(
            raw.is_not_null() & typed.is_null(),
            check,
            pl.format(f"{spec.name}: '{{}}' is {text}", raw),
        )
        if spec.kind in ("date", "datetime", "year_month"):
            out += _implausible(spec, raw, typed, as_of)
    elif spec.shape is not None:
        # A code that is still not one after the readers' normalisation (invisible characters
        # removed, digits of any script made ASCII): the reason shows the characters.
        regex, allowed, what = spec.shape
        chars = nz.unreadable_characters(raw, allowed)
        shown = pl.when(chars != "").then(pl.format(" (holds {})", chars)).otherwise(pl.lit(""))
        message = pl.format(f"{spec.name}: '{{}}' is not {what}{{}}", raw, shown)
        when(raw.is_not_null() & ~raw.str.contains(regex), "valid_code", message)
    elif spec.kind == "id_number":
        # A number failing its check character or naming an impossible birth date is kept and
        # flagged (a typo of a real number, no evidence); one of the wrong length or with
        # letters is no ID number.
        malformed = pl.col(f"{spec.column}_状态") == "malformed"
        message = pl.format(
            f"{spec.name}: '{{}}' is not an ID number (18 characters: 17 digits and a digit or X, "
            "or the legacy 15 digits)",
            raw,
        )
        when(raw.is_not_null() & malformed, "valid_id_number", message)
    return out


def _implausible(spec: FieldSpec, raw: pl.Expr, typed: pl.Expr, as_of: date | None) -> list[Check]:
    """A date that reads but cannot be true (before 1949-10-01, after the run's as-of date: a
    决定日期 of 2099) quarantines its row, not its whole source."""
    earliest, latest = date_bounds(spec, as_of or date(2000, 1, 1))  # no as-of: only earliest
    day = typed.dt.date() if spec.kind == "datetime" else typed
    rule = f"{spec.name}.plausible_date"
    early = pl.format(f"{spec.name}: '{{}}' is before {earliest.isoformat()}", raw)
    out: list[Check] = [(day < earliest, reason(rule, spec.name, raw, early))]
    if as_of is not None:
        after = (
            f"more than 30 years after the run's as-of date {as_of.isoformat()}"
            if spec.name in FUTURE_DATES
            else f"after the run's as-of date {as_of.isoformat()}"
        )
        late = pl.format(f"{spec.name}: '{{}}' is {after}", raw)
        out.append((day > latest, reason(rule, spec.name, raw, late)))
    return out


def _partition(source: SourceSpec) -> pl.Expr:
    if source.partition is None:
        return pl.lit("all")
    name, grain = source.partition
    field = _field(source, name)
    typed = pl.col(field.column)
    if field.kind == "date":
        return typed.dt.strftime("%Y-%m" if grain == "month" else "%Y")
    if field.kind == "int":
        return typed.cast(pl.String)
    return typed.str.extract(r"(\d{4})", 1)


def _field(source: SourceSpec, name: str) -> FieldSpec:
    return next(f for f in source.fields if f.name == name)


def annotate(raw: pl.LazyFrame, source: SourceSpec, as_of: date | None = None) -> pl.LazyFrame:
    """Type every field of ``source`` and attach each row's hard errors as ``_reasons``.

    ``as_of`` is the run's date: a date after it (outside the deadlines that may lie ahead) is
    implausible; without it only dates before 1949-10-01 are.

    ``raw`` holds one text column per field of the spec (the reader adds missing optional ones as
    null) and the lineage columns. The result keeps the raw columns (as ``raw:<name>``) so that a
    quarantined row can show what arrived.
    """
    raw_cols = [f.name for f in source.fields]
    renamed = raw.select(*LINEAGE, *(pl.col(c).cast(pl.String).alias(f"raw:{c}") for c in raw_cols))
    typed = renamed.with_columns(
        *(e for f in source.fields for e in _typed(_as_raw(f)))
    ).with_columns(_partition(source).alias(PARTITION))
    checks = [e for f in source.fields for e in _reasons(f, as_of)]
    if source.one_of:
        nothing = pl.all_horizontal(
            nz.blank_to_null(pl.col(f"raw:{c}")).is_null() for c in source.one_of
        )
        names = " and ".join(source.one_of)
        message = pl.lit(f"no person key: {names} are all empty")
        nobody = reason("person_key.present", None, pl.lit(None), message)
        checks.append((nothing, nobody))
    if source.partition is not None:
        # A partition field that was read but names no period (轮次 without a year).
        where, grain = source.partition
        unplaced = pl.col(PARTITION).is_null() & pl.col(_field(source, where).column).is_not_null()
        given = pl.col(f"raw:{where}")
        message = pl.format(f"{where}: cannot tell the {grain} from '{{}}'", given)
        checks.append((unplaced, reason(f"{where}.has_period", where, given, message)))
    checks += _key_conflicts(source)
    return _with_reasons(typed, checks)


def _with_reasons(typed: pl.LazyFrame, checks: list[Check]) -> pl.LazyFrame:
    """``typed`` with ``_reasons``: the reason of every check whose condition holds, in the
    order of ``checks``. The conditions are evaluated for every row, the reasons (their
    sentences formatted) only for the rows failing one: most rows fail none, and formatting
    every check's sentence for every row was most of the typing's cost (measured: 4.3 s of
    the roster's at 100,000 rows, now 1.2 s)."""
    if not checks:
        return typed.with_columns(pl.lit([], dtype=pl.List(REASON)).alias(REASONS))
    flags = [f"_check{i}" for i in range(len(checks))]
    flagged = (
        typed.with_columns(
            *(c.fill_null(False).alias(f) for (c, _), f in zip(checks, flags, strict=True))
        )
        .with_row_index("_row")
        .collect()
    )
    # The failing rows are filtered and their reasons made eagerly, over one chunk: the
    # streaming engine of Polars 2.1, filtering a many-chunk text column and then stripping it,
    # panicked (``i < self.len()``, on an inspection workbook of 17,002 rows).
    failing = (
        flagged.filter(pl.any_horizontal(flags))
        .rechunk()
        .select(
            "_row",
            pl.concat_list(
                pl.when(pl.col(f)).then(why) for (_, why), f in zip(checks, flags, strict=True)
            )
            .list.drop_nulls()
            .alias(REASONS),
        )
    )
    # Joined on the row number alone, then set beside the typed columns: the wide frame is not
    # copied by a join.
    reasons = (
        flagged.select("_row")
        .join(failing, on="_row", how="left", maintain_order="left")
        .get_column(REASONS)
        .fill_null(pl.lit([], dtype=pl.List(REASON)))
    )
    return flagged.drop("_row", *flags).with_columns(reasons).lazy()


def key_values(source: SourceSpec) -> list[pl.Expr]:
    """A row's key as the checks read it (typed from its text: ``A1 `` is ``A1``), from the text
    columns a reader gives, as ``_key0``, ``_key1`` …: the rows :func:`annotate` checks together
    (two naming different people) and :func:`split_duplicates` compares (copies) share it."""
    return [_typed(_field(source, k))[0].alias(f"_key{i}") for i, k in enumerate(source.key)]


def _key_conflicts(source: SourceSpec) -> list[Check]:
    """Rows sharing the key but naming different people (``identity`` fields differ, where
    present; an ID number only where valid): each gets a reason, so none of them is merged."""
    if not source.identity:
        return []
    key = [_field(source, k).column for k in source.key]
    out: list[Check] = []
    for name in source.identity:
        spec = _field(source, name)
        value = pl.col(spec.column)
        if spec.kind == "id_number":
            value = pl.when(pl.col(f"{spec.column}_状态").is_in(["valid", "upgraded_15"])).then(
                value
            )
        differs = value.drop_nulls().n_unique().over(key) > 1
        message = pl.format(
            f"{source.key[0]}: '{{}}' is held by rows naming different people ({name} differs): "
            "an export error, none of them is used",
            pl.col(key[0]),
        )
        conflict = reason(f"{source.key[0]}.one_person", source.key[0], pl.col(key[0]), message)
        out.append((differs & pl.col(key[0]).is_not_null(), conflict))
    return out


def _as_raw(spec: FieldSpec) -> FieldSpec:
    """The same field, read from its ``raw:`` column."""
    return FieldSpec(
        name=f"raw:{spec.name}",
        kind=spec.kind,
        required=spec.required,
        unless=spec.unless,
        vocabulary=spec.vocabulary,
        output=spec.column,
    )


def bronze_rows(annotated: pl.LazyFrame, source: SourceSpec) -> pl.LazyFrame:
    """Rows without a hard error: typed columns, partition and lineage, in source order."""
    typed_cols = [c for f in source.fields for c in _output_columns(f)]
    return (
        annotated.filter(pl.col(REASONS).list.len() == 0)
        .select(*typed_cols, PARTITION, *LINEAGE)
        .sort("_source_file", "_source_row")
    )


def raw_json(source: SourceSpec) -> pl.Expr:
    """The raw text of an annotated row as the quarantine keeps it: one JSON object of fields."""
    return pl.struct(
        pl.col(f"raw:{f.name}").alias(f.name) for f in source.fields
    ).struct.json_encode()


def quarantine_rows(annotated: pl.LazyFrame, source: SourceSpec) -> pl.LazyFrame:
    """Rows with at least one hard error: lineage, every reason, and the raw text as JSON."""
    return (
        annotated.filter(pl.col(REASONS).list.len() > 0)
        .select(
            pl.lit(source.name).alias("source"),
            *LINEAGE,
            pl.col(REASONS)
            .list.eval(pl.element().struct.field("message"))
            .list.join("; ")
            .alias("reason"),
            pl.col(REASONS).alias("reasons"),
            raw_json(source).alias("raw"),
            PARTITION,
        )
        .sort("_source_file", "_source_row")
    )


DUPLICATE_RULE = "row.exact_duplicate"


def split_duplicates(
    bronze: pl.DataFrame, source: SourceSpec, annotated: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bronze without its exact duplicates (in the order given), and those duplicates as
    quarantine rows.

    Rows holding the same value in every field are one record written twice (an export that
    repeats a line): the first (by file, then row) lands, every later copy goes to quarantine as
    ``exact duplicate of line N`` instead of holding the source on its duplicate key. For a
    source whose files are versions (``versions_by_file``), only copies within one file count.
    ``annotated`` (:func:`annotate`) gives the raw text of the rows read this run; a copy carried
    over from an earlier run shows its typed values instead. Only the rows sharing a key are
    sorted to find the first: a sorted copy of the whole table held 0.6 GB more for the 4.0M
    assessment rows of 1,000,000 cadres (measured).
    """
    key = [_field(source, k).column for k in source.key]
    by_file = [pl.col("_source_file")] if source.versions_by_file else []
    values = [c for f in source.fields for c in _output_columns(f)]
    same = [
        pl.struct(c).struct.json_encode() if isinstance(bronze.schema[c], pl.List) else pl.col(c)
        for c in values
    ] + by_file
    numbered = bronze.with_row_index("_i")
    shared = (  # a copy shares its key
        numbered.filter(pl.len().over([*key, *by_file]) > 1)
        .sort("_source_file", "_source_row")
        .with_row_index("_at")
    )
    copies = shared.with_columns(
        pl.col("_at").first().over(same).alias("_first_at"),
        pl.col("_source_file").first().over(same).alias("_first_file"),
        pl.col("_source_row").first().over(same).alias("_first_row"),
    ).filter(pl.col("_at") != pl.col("_first_at"))
    kept = (
        bronze
        if copies.is_empty()
        else numbered.filter(~pl.col("_i").is_in(copies["_i"].implode())).drop("_i")
    )
    return kept, _duplicate_rows(copies.drop("_i"), source, values, annotated)


def _duplicate_rows(
    copies: pl.DataFrame, source: SourceSpec, values: list[str], annotated: pl.DataFrame | None
) -> pl.DataFrame:
    message = (
        pl.when(pl.col("_first_file") == pl.col("_source_file"))
        .then(pl.format("exact duplicate of line {}", "_first_row"))
        .otherwise(pl.format("exact duplicate of line {} of {}", "_first_row", "_first_file"))
    )
    typed = pl.struct(values).struct.json_encode()
    where = ["_source_file", "_source_row"]
    if annotated is not None:
        raw = annotated.join(copies.select(where), on=where, how="semi")
        copies = copies.join(
            raw.select(*where, raw_json(source).alias("_raw")), on=where, how="left"
        )
    given = pl.col("_raw") if annotated is not None else pl.lit(None, dtype=pl.String)
    first = pl.col("_first_row").cast(pl.String)
    return copies.select(
        pl.lit(source.name).alias("source"),
        *LINEAGE,
        message.alias("reason"),
        pl.concat_list(reason(DUPLICATE_RULE, None, first, message)).alias("reasons"),
        pl.coalesce(given, typed).alias("raw"),
        PARTITION,
    )


def _output_columns(spec: FieldSpec) -> list[str]:
    if spec.kind == "name":
        return [spec.column, f"{spec.column}_原文"]
    if spec.kind == "id_number":
        return [spec.column, f"{spec.column}_状态"]
    return [spec.column]


_FLAG_TEXT = {
    "bad_check": "check character fails (kept, not evidence of identity)",
    "bad_birth_date": "impossible birth date, a typo (kept, not evidence of identity)",
    "upgraded_15": "legacy 15-digit number upgraded to 18",
}


def flag_counts(bronze: pl.DataFrame) -> dict[str, int]:
    """Rows landed with a flag a reader should know of: ID numbers that fail or were upgraded."""
    out: dict[str, int] = {}
    for column in (c for c in bronze.columns if c.endswith("_状态")):
        counts = bronze.get_column(column).value_counts()
        for status, n in counts.iter_rows():
            if status in _FLAG_TEXT:
                out[f"{column.removesuffix('_状态')}: {_FLAG_TEXT[status]}"] = n
    return out
