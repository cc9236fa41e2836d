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

import polars as pl

from transforms import normalize as nz
from transforms.specs import FieldSpec, SourceSpec

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


def _reasons(spec: FieldSpec) -> list[pl.Expr]:
    raw = nz.blank_to_null(pl.col(f"raw:{spec.name}"))
    typed = pl.col(spec.column)
    out: list[pl.Expr] = []

    def when(condition: pl.Expr, check: str, message: pl.Expr) -> None:
        out.append(pl.when(condition).then(reason(f"{spec.name}.{check}", spec.name, raw, message)))

    if spec.required:
        when(raw.is_null(), "required", pl.lit(f"{spec.name}: empty (required)"))
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
    elif spec.kind == "id_number":
        # A number failing only its check character is kept and flagged (a typo of a real
        # number); one of the wrong length, with letters, or an impossible birth date is no ID.
        malformed = pl.col(f"{spec.column}_状态") == "malformed"
        message = pl.format(
            f"{spec.name}: '{{}}' is not an ID number (18 characters, or the legacy 15 digits, "
            "with a real birth date)",
            raw,
        )
        when(raw.is_not_null() & malformed, "valid_id_number", message)
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


def annotate(raw: pl.LazyFrame, source: SourceSpec) -> pl.LazyFrame:
    """Type every field of ``source`` and attach each row's hard errors as ``_reasons``.

    ``raw`` holds one text column per field of the spec (the reader adds missing optional ones as
    null) and the lineage columns. The result keeps the raw columns (as ``raw:<name>``) so that a
    quarantined row can show what arrived.
    """
    raw_cols = [f.name for f in source.fields]
    renamed = raw.select(*LINEAGE, *(pl.col(c).cast(pl.String).alias(f"raw:{c}") for c in raw_cols))
    typed = renamed.with_columns(
        *(e for f in source.fields for e in _typed(_as_raw(f)))
    ).with_columns(_partition(source).alias(PARTITION))
    checks = [e for f in source.fields for e in _reasons(f)]
    if source.one_of:
        nothing = pl.all_horizontal(
            nz.blank_to_null(pl.col(f"raw:{c}")).is_null() for c in source.one_of
        )
        names = " and ".join(source.one_of)
        message = pl.lit(f"no person key: {names} are all empty")
        nobody = reason("person_key.present", None, pl.lit(None), message)
        checks.append(pl.when(nothing).then(nobody))
    if source.partition is not None:
        # A partition field that was read but names no period (轮次 without a year).
        where, grain = source.partition
        unplaced = pl.col(PARTITION).is_null() & pl.col(_field(source, where).column).is_not_null()
        given = pl.col(f"raw:{where}")
        message = pl.format(f"{where}: cannot tell the {grain} from '{{}}'", given)
        checks.append(pl.when(unplaced).then(reason(f"{where}.has_period", where, given, message)))
    checks += _key_conflicts(source)
    return typed.with_columns(pl.concat_list(checks).list.drop_nulls().alias(REASONS))


def _key_conflicts(source: SourceSpec) -> list[pl.Expr]:
    """Rows sharing the key but naming different people (``identity`` fields differ, where
    present; an ID number only where valid): each gets a reason, so none of them is merged."""
    if not source.identity:
        return []
    key = [_field(source, k).column for k in source.key]
    out: list[pl.Expr] = []
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
        out.append(pl.when(differs & pl.col(key[0]).is_not_null()).then(conflict))
    return out


def _as_raw(spec: FieldSpec) -> FieldSpec:
    """The same field, read from its ``raw:`` column."""
    return FieldSpec(
        name=f"raw:{spec.name}",
        kind=spec.kind,
        required=spec.required,
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


def quarantine_rows(annotated: pl.LazyFrame, source: SourceSpec) -> pl.LazyFrame:
    """Rows with at least one hard error: lineage, every reason, and the raw text as JSON."""
    raw_struct = pl.struct(pl.col(f"raw:{f.name}").alias(f.name) for f in source.fields)
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
            raw_struct.struct.json_encode().alias("raw"),
            PARTITION,
        )
        .sort("_source_file", "_source_row")
    )


def _output_columns(spec: FieldSpec) -> list[str]:
    if spec.kind == "name":
        return [spec.column, f"{spec.column}_原文"]
    if spec.kind == "id_number":
        return [spec.column, f"{spec.column}_状态"]
    return [spec.column]


_FLAG_TEXT = {
    "bad_check": "check character fails (kept, not evidence of identity)",
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
