"""The keys records and cadres are compared on: name key and pinyin, unit region and
department (abbreviations spelled out, renamed units followed through their lineage), and the
post's title, kind and group (``post_terms.csv``). Polars in, Polars out.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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


def skeleton_key(name_key: pl.Expr, confusables: Sequence[str]) -> pl.Expr:
    """A name with each look-alike character replaced by the first of its group
    (``name_confusables.csv``): ``陈海`` and ``阵每`` share one; ``李娟`` and ``李浩`` do not."""
    sources = [c for group in confusables for c in group[1:]]
    targets = [group[0] for group in confusables for _ in group[1:]]
    return name_key.str.replace_many(sources, targets) if sources else name_key


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


@dataclass(frozen=True)
class PostTerm:
    """One row of ``post_terms.csv``: a title as written, what it means, and what it is.

    Attributes:
        term: the title as written (``党委书记``).
        canonical: the title it means (``镇党委书记``).
        kind: ``head``, ``deputy``, ``member``, ``staff`` (cadres of a roster), or ``village`` and
            ``contract`` (people who are never on a county roster).
        group: titles one person commonly holds together (局长 and 党组书记; 镇长 and 镇党委副书记)
            share a group; empty when none.
    """

    term: str
    canonical: str
    kind: str
    group: str = ""


NOT_CADRES = ("village", "contract")
"""Post kinds of people a county roster does not hold."""
POST_PARTS = pl.Struct({"post_key": pl.String, "post_kind": pl.String, "post_group": pl.String})


def _post_part(text: str | None, terms: Sequence[PostTerm]) -> dict[str, str | None]:
    """The longest term a post ends with (``安平县财政局副局长`` → 副局长), or the text itself."""
    if not text:
        return {"post_key": None, "post_kind": None, "post_group": None}
    term = next((t for t in terms if text.endswith(t.term)), None)
    if term is None:
        return {"post_key": text, "post_kind": None, "post_group": None}
    return {"post_key": term.canonical, "post_kind": term.kind, "post_group": term.group or None}


def post_parts(post: pl.Expr, terms: Sequence[PostTerm]) -> pl.Expr:
    """``{post_key, post_kind, post_group}`` of a post as written (each distinct value once)."""
    longest = sorted(terms, key=lambda t: -len(t.term))

    def batch(values: pl.Series) -> pl.Series:
        uniques = values.unique()
        parts = pl.Series([_post_part(v, longest) for v in uniques.to_list()], dtype=POST_PARTS)
        table = pl.DataFrame({"v": uniques, "parts": parts})
        joined = values.to_frame("v").join(
            table, on="v", how="left", nulls_equal=True, maintain_order="left"
        )
        return joined.get_column("parts")

    return _post(post).map_batches(batch, return_dtype=POST_PARTS)


@dataclass(frozen=True)
class Rename:
    """One row of ``unit_lineage.csv``: a department renamed (or merged) on a date."""

    old: str
    new: str
    effective: date
    document: str


def accepted_tails(tail: pl.Expr, when: pl.Expr, lineage: Sequence[Rename], slack: int) -> pl.Expr:
    """The unit tails a record may be matched on, as a list: its own, plus, where the record's
    date agrees, its unit's other name — the new name for an old name used before the rename, the
    old names for a new name used after it (an S8 export may keep the name a post began under).
    Within ``slack`` days of the rename both hold; a record without a date takes both."""
    extra = []
    for rename in lineage:
        before = when.is_null() | (when < rename.effective + timedelta(days=slack))
        after = when.is_null() | (when >= rename.effective - timedelta(days=slack))
        extra.append(pl.when((tail == rename.old) & before).then(pl.lit(rename.new)))
        extra.append(pl.when((tail == rename.new) & after).then(pl.lit(rename.old)))
    others = (
        pl.concat_list(*extra).list.drop_nulls() if extra else pl.lit([], dtype=pl.List(pl.String))
    )
    # The record's own tail comes first and stays even when null (a record naming no unit): an
    # empty list would drop the record when the tails are exploded.
    return pl.concat_list(tail, others).list.unique(maintain_order=True)


def _keyed(frame: pl.LazyFrame, unit: str, post: str, rules: "LinkRules") -> pl.LazyFrame:
    """``unit_prefix``/``unit_tail`` and ``post_key``/``post_kind``/``post_group`` of a frame."""
    return (
        frame.with_columns(
            unit_parts(pl.col(unit), rules.abbreviations).alias("_unit"),
            post_parts(pl.col(post), rules.posts).alias("_post"),
        )
        .with_columns(
            pl.col("_unit").struct.field("prefix").alias("unit_prefix"),
            pl.col("_unit").struct.field("tail").alias("unit_tail"),
            *(pl.col("_post").struct.field(f) for f in ("post_key", "post_kind", "post_group")),
        )
        .drop("_unit", "_post")
    )


def prepare_cadres(cadres: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The roster side of the linker: keys of every cadre (``silver/cadre`` columns in, keys added)."""
    with_pinyin = cadres.with_columns(pinyin_key(pl.col("name_key")).alias("pinyin_key"))
    return _keyed(with_pinyin, "unit", "post", rules)


def prepare_posts(posts: pl.LazyFrame, cadres: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The intervals records are compared with (``silver/cadre_post``), with each cadre's name
    keys (from prepared ``silver/cadre``) and the interval's unit and post keys."""
    names = cadres.select("person_no", "name_key", "pinyin_key")
    joined = posts.join(names, on="person_no", how="inner")
    return _keyed(joined, "unit", "post", rules)


def prepare_mentions(mentions: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The record side: ``subject_name``, ``unit_given``, ``post_given``, ``person_no_given``,
    ``id_given`` (raw ID text) in; keys and the ID number's status added (pinyin comes later, and
    only for the records 人员编号 and ID numbers leave open)."""
    keyed = mentions.with_columns(
        nz.name_key(pl.col("subject_name")).alias("name_key"),
        nz.normalize_id_number(pl.col("id_given")).alias("id_number"),
        nz.id_number_status(pl.col("id_given")).alias("id_status"),
        nz.blank_to_null(pl.col("person_no_given")).alias("person_no_given"),
    )
    return _keyed(keyed, "unit_given", "post_given", rules)
