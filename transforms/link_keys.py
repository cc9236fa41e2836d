"""The keys records and cadres are compared on: name key and pinyin, unit region and
department (abbreviations spelled out), post. Polars in, Polars out.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl
from pypinyin import lazy_pinyin

from transforms import normalize as nz

if TYPE_CHECKING:
    from transforms.linking import LinkRules


def _pinyin_batch(values: pl.Series) -> pl.Series:
    uniques = values.drop_nulls().unique()
    keys = pl.Series(["".join(lazy_pinyin(v)) for v in uniques.to_list()], dtype=pl.String)
    return values.replace_strict(uniques, keys, default=None, return_dtype=pl.String)


def pinyin_key(name_key: pl.Expr) -> pl.Expr:
    """The toneless pinyin of a name key (``张伟`` and ``章伟`` share ``zhangwei``)."""
    return name_key.map_batches(_pinyin_batch, return_dtype=pl.String)


def _unit_parts_frame(units: pl.Series, abbreviations: Mapping[str, str]) -> pl.DataFrame:
    """Prefix and tail of each distinct unit name, in staged columns (each step computed once)."""
    departmental = pl.col("_rest").str.starts_with("市场") | pl.col("_rest").str.starts_with("市政")
    return (
        units.unique().to_frame("unit")
        .with_columns(_core=_unit_core(pl.col("unit")))
        .with_columns(prefix=pl.col("_core").str.extract(r"^(.{2,}?[省市县区旗])", 1))
        .with_columns(
            _rest=pl.when(pl.col("prefix").is_not_null())
            .then(pl.col("_core").str.slice(pl.col("prefix").str.len_chars()))
            .otherwise(pl.col("_core"))
        )
        # A bare level word before the department (县发改局, 本县财政局) is no region; 市场… and 市政… are.
        .with_columns(
            _rest=nz.blank_to_null(
                pl.when(departmental).then(pl.col("_rest")).otherwise(pl.col("_rest").str.replace(r"^(本县|县|区|市)", ""))
            )
        )
        .with_columns(tail=pl.col("_rest").replace(dict(abbreviations)))
        .select("unit", "prefix", "tail")
    )  # fmt: skip


def unit_parts(unit: pl.Expr, abbreviations: Mapping[str, str]) -> pl.Expr:
    """``{prefix, tail}`` of a unit name: the region (``安平县``, null when none is named) and the
    department or town with abbreviations spelled out (发改局 → 发展和改革局)."""

    def batch(values: pl.Series) -> pl.Series:
        table = _unit_parts_frame(values, abbreviations)
        joined = values.to_frame("unit").join(
            table, on="unit", how="left", nulls_equal=True, maintain_order="left"
        )
        return joined.select(pl.struct("prefix", "tail").alias("unit_parts")).to_series()

    dtype = pl.Struct({"prefix": pl.String, "tail": pl.String})
    return unit.map_batches(batch, return_dtype=dtype)


def _unit_core(unit: pl.Expr) -> pl.Expr:
    text = nz.to_simplified(nz.blank_to_null(unit)).str.replace_all(r"[\s\u3000]", "")
    return (
        text.str.replace(r"^中共", "")
        .str.replace(r"委员会$", "委")
        .str.replace(r"人民政府$", "")
        .str.replace(r"(镇|乡|街道)政府$", "${1}")
    )


def _post(expr: pl.Expr) -> pl.Expr:
    return nz.blank_to_null(expr).str.replace_all(r"[\s\u3000]", "")


def prepare_cadres(cadres: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The roster side of the linker: keys of every cadre (``silver/cadre`` columns in, keys added)."""
    return (
        cadres.with_columns(
            pinyin_key(pl.col("name_key")).alias("pinyin_key"),
            unit_parts(pl.col("unit"), rules.abbreviations).alias("_unit"),
            _post(pl.col("post")).alias("post_key"),
        )
        .with_columns(
            pl.col("_unit").struct.field("prefix").alias("unit_prefix"),
            pl.col("_unit").struct.field("tail").alias("unit_tail"),
        )
        .drop("_unit")
    )


def prepare_mentions(mentions: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The record side: ``subject_name``, ``unit_given``, ``post_given``, ``person_no_given``,
    ``id_given`` (raw ID text) in; keys and the ID number's status added (pinyin comes later, and
    only for the records 人员编号 and ID numbers leave open)."""
    return (
        mentions.with_columns(
            nz.name_key(pl.col("subject_name")).alias("name_key"),
            nz.normalize_id_number(pl.col("id_given")).alias("id_number"),
            nz.id_number_status(pl.col("id_given")).alias("id_status"),
            unit_parts(pl.col("unit_given"), rules.abbreviations).alias("_unit"),
            _post(pl.col("post_given")).alias("post_key"),
            nz.blank_to_null(pl.col("person_no_given")).alias("person_no_given"),
        )
        .with_columns(
            pl.col("_unit").struct.field("prefix").alias("unit_prefix"),
            pl.col("_unit").struct.field("tail").alias("unit_tail"),
        )
        .drop("_unit")
    )
