"""The keys records and cadres are compared on: name key and pinyin, unit region and
department (abbreviations spelled out, renamed units followed through their lineage), and the
post's title, kind and group (``post_terms.csv``). Polars in, Polars out.
"""

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from transforms import normalize as nz
from transforms.units import (
    UnitModel,
    learned_code,
    named_regions,
    parse_unit_level,
    region_below,
    short_region,
    unit_model,
)

if TYPE_CHECKING:
    from transforms.linking import LinkRules


def _pinyin_batch(values: pl.Series) -> pl.Series:
    uniques = values.drop_nulls().unique()
    keys = pl.Series(toneless_pinyin(uniques.to_list()), dtype=pl.String)
    return values.replace_strict(uniques, keys, default=None, return_dtype=pl.String)


def toneless_pinyin(names: Sequence[str]) -> list[str]:
    """``"".join(pypinyin.lazy_pinyin(name))`` of each name, ten times as fast: a name in which
    no two or more characters make a word of pypinyin's phrase dictionary is read a character at
    a time, each character's reading looked up once; only the others go through pypinyin's
    segmentation (the same result: with no phrase to match, it reads each character alone)."""
    from pypinyin import lazy_pinyin  # noqa: PLC0415 (its dictionaries take a second to load)
    from pypinyin.constants import PHRASES_DICT  # noqa: PLC0415

    longest = _longest_phrase()
    chars: dict[str, str] = {}
    keys = []
    for name in names:
        n = len(name)
        ends = ((i, j) for i in range(n - 1) for j in range(i + 2, min(n, i + longest) + 1))
        if any(name[i:j] in PHRASES_DICT for i, j in ends):
            keys.append("".join(lazy_pinyin(name)))
            continue
        for c in name:
            if c not in chars:
                chars[c] = "".join(lazy_pinyin(c))
        keys.append("".join([chars[c] for c in name]))
    return keys


@functools.cache
def _longest_phrase() -> int:
    """The length of the longest word of pypinyin's phrase dictionary (10): a name is looked up in
    it by pieces no longer than that, so a long field costs in proportion to its length."""
    from pypinyin.constants import PHRASES_DICT  # noqa: PLC0415

    return max(map(len, PHRASES_DICT), default=0)


def pinyin_key(name_key: pl.Expr) -> pl.Expr:
    """The toneless pinyin of a name key (``张伟`` and ``章伟`` share ``zhangwei``)."""
    return name_key.map_batches(_pinyin_batch, return_dtype=pl.String)


def skeleton_key(name_key: pl.Expr, confusables: Sequence[str]) -> pl.Expr:
    """A name with each look-alike character replaced by the first of its group
    (``name_confusables.csv``): ``陈海`` and ``阵每`` share one; ``李娟`` and ``李浩`` do not."""
    sources = [c for group in confusables for c in group[1:]]
    targets = [group[0] for group in confusables for _ in group[1:]]
    return name_key.str.replace_many(sources, targets) if sources else name_key


_MODELS: dict[tuple[object, ...], tuple[object, UnitModel]] = {}


def model_of(rules: "LinkRules") -> UnitModel:
    """The unit-name model of ``rules`` (regions and abbreviations), built once per content: rules
    learnt again from the same roster (``silver/cadre``, then the linker) share one model, and
    with it the names it has parsed (:func:`unit_parts`)."""
    key = (
        id(rules.regions), id(rules.abbreviations), rules.learned_regions,
        rules.learned_prefectures, rules.roster_regions,
    )  # fmt: skip
    cached = _MODELS.get(key)
    if cached is None:
        prefectures = set(rules.learned_prefectures)
        # A prefecture the roster shows (districts under it) is one even where the table holds a
        # county-level city of that name: its learnt code makes it level 2.
        names = dict.fromkeys((*rules.learned_regions, *rules.learned_prefectures))
        learned = ((learned_code(n, n in prefectures), n) for n in names)
        regions = (*rules.regions, *learned)
        # the rules are kept with their model: the tables whose ids the key holds stay alive
        cached = (rules, unit_model(regions, rules.abbreviations, rules.roster_regions))
        if len(_MODELS) >= 8:  # a long-lived process (the daemon) links run after run
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = cached
    return cached[1]


def with_roster_regions(rules: "LinkRules", units: pl.Series) -> "LinkRules":
    """``rules`` that also know the regions the roster's and post history's unit names hold
    beyond the GB/T 2260 table (an export's own county, a district made after the table), so a
    record's short form of them (``西台教育局``) is read as the roster's ``西台县教育局``.

    A learnt ``…市`` under which the roster names a district or county (``嘉平市新林区司法局``) is
    a prefecture-level city; its districts and counties are then learnt too (a second pass)."""
    names = nz.to_simplified(pl.col("u")).alias("u")
    distinct = units.to_frame("u").select(names).drop_nulls().unique().to_series().to_list()
    known = model_of(rules).regions
    learnt = rules
    for _ in range(2):
        model = model_of(learnt)
        read = _remembered(model.held, distinct, model, named_regions)
        found = dict(zip(distinct, read, strict=True))
        regions = {region for held in found.values() for region in held}
        learned = tuple(sorted(r for r in regions if r not in known))
        # A city the table holds as county-level (兴平市) is a prefecture here all the same when
        # the roster names districts under it: the roster says what its regions are.
        county_cities = (r for r in regions if known.get(r, ("", 2))[1] == 3)
        cities = {
            r
            for r in (*learned, *county_cities)
            if r.endswith("市") and r not in learnt.learned_prefectures
        }
        above = {
            held[-1]
            for unit, held in found.items()
            if held and held[-1] in cities and region_below(unit, held[-1], model)
        }
        present = tuple(sorted(r for r in regions if short_region(r) != r))
        learnt = dataclasses.replace(
            learnt, learned_regions=learned, roster_regions=present,
            learned_prefectures=tuple(sorted({*learnt.learned_prefectures, *above})),
        )  # fmt: skip
        if not above:
            break
    if (
        learnt.learned_regions == rules.learned_regions
        and learnt.roster_regions == rules.roster_regions
        and learnt.learned_prefectures == rules.learned_prefectures
    ):
        return rules
    return learnt


def _remembered(
    memo: dict[Any, Any],
    names: Sequence[Any],
    model: UnitModel,
    read: Callable[[Any, UnitModel], Any],
) -> list[Any]:
    """``read(name, model)`` of each name, each read once per model (``memo`` is the model's)."""
    for name in names:
        if name not in memo:
            memo[name] = read(name, model)
    return [memo[name] for name in names]


def unit_parts(unit: pl.Expr, model: UnitModel) -> pl.Expr:
    """``{prefix, tail, level}`` of a unit name (:func:`transforms.units.parse_unit_level`): the
    most specific region it names (``北仑``, null when none is named), the unit within it (forms
    made one, abbreviations spelled out: 发改局 → 发展和改革局) and the kind of region (区, 县 …).
    Each distinct name is parsed once per model (``UnitModel.parsed``)."""
    dtype = pl.Struct({"prefix": pl.String, "tail": pl.String, "level": pl.String})

    def batch(values: pl.Series) -> pl.Series:
        uniques = values.unique()
        parsed = _remembered(model.parsed, uniques.to_list(), model, parse_unit_level)
        table = pl.DataFrame({
            "unit": uniques,
            "parts": pl.Series(
                [{"prefix": p, "tail": t, "level": lv} for p, t, lv in parsed], dtype=dtype
            ),
        })  # fmt: skip
        joined = values.to_frame("unit").join(
            table, on="unit", how="left", nulls_equal=True, maintain_order="left"
        )
        return joined.get_column("parts")

    return nz.to_simplified(nz.blank_to_null(unit)).map_batches(batch, return_dtype=dtype)


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
POST_PART = pl.Struct({
    "post_key": pl.String, "post_kind": pl.String, "post_group": pl.String, "former": pl.Boolean,
})  # fmt: skip
POST_PARTS = pl.List(POST_PART)
_FORMER = re.compile(r"^(?:原任?|前任?)(?=.{2,})")
_QUALIFIER = re.compile(
    r"\((?:兼任?|主持工作|试用期|正科级?|副科级?|正处级?|副处级?|挂职锻炼|挂职|保留[^()]*)\)"
)
_SPLIT = re.compile(r"[、，,;；/()]|兼任?|并任")


def split_posts(text: str | None) -> list[tuple[str, bool]]:
    """The posts one written title holds, each with whether it is a former post: ``党组书记、局长``
    and ``区委常委兼宣传部部长`` are two; ``副县长（挂职）`` is 副县长 (a secondment is a post held at
    the host unit); ``原局长`` is 局长, held before, and so are both of ``原党组书记、局长``."""
    if not text:
        return []
    clean = re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", text))
    clean = _QUALIFIER.sub("", clean).replace("挂职", "")
    parts, former = [], False
    for piece in _SPLIT.split(clean):
        # 原 before the first of joint titles makes them all former (原党组书记、局长: both);
        # 现 says the rest is held now.
        former = (former or bool(_FORMER.match(piece))) and not piece.startswith("现")
        piece = _FORMER.sub("", piece).removeprefix("现")
        if piece:
            parts.append((piece, former))
    return parts


def _post_part(text: str, former: bool, terms: Sequence[PostTerm]) -> dict[str, object]:
    """The longest term a post ends with (``安平县财政局副局长`` → 副局长), or the text itself
    (``post_kind`` null: a title the rules do not know, which can agree but never contradicts)."""
    term = next((t for t in terms if text.endswith(t.term)), None)
    if term is None:
        return {"post_key": text, "post_kind": None, "post_group": None, "former": former}
    return {"post_key": term.canonical, "post_kind": term.kind, "post_group": term.group or None,
            "former": former}  # fmt: skip


def post_parts(post: pl.Expr, terms: Sequence[PostTerm]) -> pl.Expr:
    """The posts of a title as written (:func:`split_posts`), each ``{post_key, post_kind,
    post_group, former}``: a list, empty when none is given (each distinct value parsed once)."""
    longest = sorted(terms, key=lambda t: -len(t.term))

    def batch(values: pl.Series) -> pl.Series:
        uniques = values.unique()
        parsed = [[_post_part(p, f, longest) for p, f in split_posts(v)] for v in uniques.to_list()]
        table = pl.DataFrame({"v": uniques, "parts": pl.Series(parsed, dtype=POST_PARTS)})
        joined = values.to_frame("v").join(
            table, on="v", how="left", nulls_equal=True, maintain_order="left"
        )
        return joined.get_column("parts")

    return nz.to_simplified(_post(post)).map_batches(batch, return_dtype=POST_PARTS)


@dataclass(frozen=True)
class Rename:
    """One row of ``unit_lineage.csv``: a department renamed (or merged) on a date."""

    old: str
    new: str
    effective: date
    document: str


def renamed_tails(lineage: Sequence[Rename], slack: int) -> pl.LazyFrame:
    """The other names a unit tail may be matched on, and when: ``tail`` → ``other`` where the
    record's date agrees — the new name for an old name used before the rename (``before``: the
    date is earlier than it), the old names for a new name used after it (``since``: the date is
    that or later; an S8 export may keep the name a post began under). Within ``slack`` days of
    the rename both hold; a record without a date takes both. A table joined on the tail (a list
    built from one expression per rename was the slowest step of the linker)."""
    days = timedelta(days=slack)
    rows = [
        row
        for r in lineage
        for row in (
            (r.old, r.new, None, r.effective + days),
            (r.new, r.old, r.effective - days, None),
        )
    ]
    schema = {"tail": pl.String, "other": pl.String, "since": pl.Date, "before": pl.Date}
    return pl.LazyFrame(rows, schema=schema, orient="row")


def with_renamed_tails(frame: pl.LazyFrame, lineage: Sequence[Rename], slack: int) -> pl.LazyFrame:
    """``frame`` (``unit_tail``, ``event_date``, ``mention_id``) with a ``tail`` column: one row with
    its own tail (even null: a record naming no unit), and one more per other name its unit had
    at the record's date (:func:`renamed_tails`)."""
    own = frame.with_columns(pl.col("unit_tail").alias("tail"))
    if not lineage:
        return own
    date = pl.col("event_date")
    agrees = date.is_null() | (
        (pl.col("since").is_null() | (date >= pl.col("since")))
        & (pl.col("before").is_null() | (date < pl.col("before")))
    )
    others = (
        frame.join(renamed_tails(lineage, slack), left_on="unit_tail", right_on="tail")
        .filter(agrees & (pl.col("other") != pl.col("unit_tail")))
        .unique(["mention_id", "other"])
        .drop("since", "before")
        .rename({"other": "tail"})
    )
    return pl.concat([own, others], how="diagonal")


def _keyed(frame: pl.LazyFrame, unit: str, post: str, rules: "LinkRules") -> pl.LazyFrame:
    """``unit_prefix``/``unit_tail``, ``posts`` (every post the title holds) and the first one's
    ``post_key``/``post_kind``/``post_group`` of a frame."""
    first = pl.col("posts").list.first()
    return (
        frame.with_columns(
            unit_parts(pl.col(unit), model_of(rules)).alias("_unit"),
            post_parts(pl.col(post), rules.posts).alias("posts"),
        )
        .with_columns(
            pl.col("_unit").struct.field("prefix").alias("unit_prefix"),
            pl.col("_unit").struct.field("tail").alias("unit_tail"),
            pl.col("_unit").struct.field("level").alias("unit_level"),
            *(first.struct.field(f) for f in ("post_key", "post_kind", "post_group")),
        )
        .drop("_unit")
    )


def prepare_cadres(cadres: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """The roster side of the linker: keys of every cadre (``silver/cadre`` columns in, keys added)."""
    with_pinyin = cadres.with_columns(pinyin_key(pl.col("name_key")).alias("pinyin_key"))
    return _keyed(with_pinyin, "unit", "post", rules).drop("posts", "unit_level")


def key_posts(posts: pl.LazyFrame, rules: "LinkRules") -> pl.LazyFrame:
    """``silver/cadre_post`` with each interval's unit and post keys (what :func:`prepare_posts`
    and :func:`unit_alias_table` read; keyed once, read by both)."""
    return _keyed(posts, "unit", "post", rules)


POST_KEYS = [
    "person_no", "name_key", "pinyin_key", "skeleton", "unit", "unit_code", "post", "start", "end",
    "unit_prefix", "unit_tail", "unit_level", "posts", "aliases",
]  # fmt: skip
"""What the linker reads of an interval (:func:`prepare_posts`)."""


def prepare_posts(
    posts: pl.LazyFrame,
    cadres: pl.LazyFrame,
    rules: "LinkRules",
    keyed: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The intervals records are compared with (``silver/cadre_post``, or ``keyed``: its
    :func:`key_posts`), with each cadre's name keys (from prepared ``silver/cadre``), their
    look-alike skeleton, and the interval's unit and post keys (:data:`POST_KEYS`)."""
    names = cadres.select(
        "person_no", "name_key", "pinyin_key",
        skeleton_key(pl.col("name_key"), rules.confusables).alias("skeleton"),
    )  # fmt: skip
    keyed = (keyed if keyed is not None else key_posts(posts, rules)).join(
        names, on="person_no", how="inner"
    )
    return (
        keyed.join(unit_aliases(keyed), on="unit_code", how="left")
        .with_columns(
            pl.concat_list(pl.col("unit_tail"), pl.col("aliases").fill_null([]))
            .list.unique(maintain_order=True)
            .alias("aliases")
        )
        .select(POST_KEYS)
    )


def reachable_posts(
    posts: pl.LazyFrame, mentions: pl.DataFrame, rules: "LinkRules"
) -> pl.LazyFrame:
    """The intervals of :func:`prepare_posts` (``posts``) the linker can reach from prepared
    ``mentions``: every interval of a cadre sharing a mention's name key, pinyin or look-alike
    skeleton (how candidates are found, and all of such a cadre's posts: a post held elsewhere
    on the date counts), and every interval at a unit code a mention gives (how a record's
    region is read from its code). The link of those mentions over these is their link over
    all of ``posts``: a record linked afresh costs its namesakes, not the roster."""
    names = name_keys(mentions["name_key"], rules)
    codes = mentions["unit_code_given"].drop_nulls().unique()
    reached = (
        pl.col("name_key").is_in(names["name_key"].implode())
        | pl.col("pinyin_key").is_in(names["pinyin"].implode())
        | pl.col("skeleton").is_in(names["skeleton"].implode())
        | pl.col("unit_code").is_in(codes.implode())
    )
    return posts.filter(reached.fill_null(False))


def name_keys(keys: pl.Series, rules: "LinkRules") -> pl.DataFrame:
    """Distinct name keys with their pinyin and look-alike skeleton (the three ways a record
    finds a candidate)."""
    return (
        keys.drop_nulls()
        .unique()
        .to_frame("name_key")
        .with_columns(
            pinyin_key(pl.col("name_key")).alias("pinyin"),
            skeleton_key(pl.col("name_key"), rules.confusables).alias("skeleton"),
        )
    )


TRANSFER = r"机构改革|转隶|更名|改名|撤并|整合组建"
"""What a 任免文号 (or reason) says when a post moved with its unit in a reform."""


def names_reform(document: pl.Expr) -> pl.Expr:
    """Whether a post's 任免文号 says it moved with its unit in a reform (:data:`TRANSFER`): the
    one way the linker reads the document."""
    return document.str.contains(TRANSFER).fill_null(False)


def _alias_rows(posts: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (unit code, a name it was written with): the names of its own posts, and the
    names of the units posts moved from or to in a reform (``document`` says which 任免文号)."""
    coded = posts.filter(pl.col("unit_code").is_not_null() & pl.col("unit_tail").is_not_null())
    own = coded.select(
        "unit_code", pl.col("unit_tail").alias("alias"), pl.col("unit").alias("written"),
        "start", pl.lit(None, dtype=pl.String).alias("document"),
    )  # fmt: skip
    # Each post's previous post of the same cadre: sorted by cadre, the row before when it is of
    # the same cadre (a shift over ``person_no`` windows gave the same at 1.9 s a column, 1.5M
    # posts of 1,000,000 cadres; this at 0.0 s, measured).
    same = pl.col("person_no").eq_missing(pl.col("person_no").shift(1))
    ordered = coded.sort("person_no", "start").with_columns(
        pl.when(same).then(pl.col(c).shift(1)).alias(f"_before_{name}")
        for c, name in (("unit_code", "code"), ("unit_tail", "tail"), ("unit", "unit"))
    )
    moved = ordered.filter(
        names_reform(pl.col("document"))
        & pl.col("_before_code").is_not_null()
        & (pl.col("_before_code") != pl.col("unit_code"))
    )
    return pl.concat([
        own,
        moved.select("unit_code", pl.col("_before_tail").alias("alias"),
                     pl.col("_before_unit").alias("written"), "start", "document"),
        moved.select(pl.col("_before_code").alias("unit_code"), pl.col("unit_tail").alias("alias"),
                     pl.col("unit").alias("written"), "start", "document"),
    ])  # fmt: skip


def unit_aliases(posts: pl.LazyFrame) -> pl.LazyFrame:
    """Every name (tail) each unit code was written with, learnt from the post history: a unit
    renamed locally (城市管理行政执法局 → 综合行政执法局 at one code) keeps both names, and so do the
    units a post moved between in a reform (a 任免文号 saying 机构改革/转隶/更名: the post's earlier
    unit is the same body under its old name). ``unit_code`` → ``aliases`` (a list)."""
    return (
        _alias_rows(posts)
        .select("unit_code", "alias")
        .unique()
        .group_by("unit_code")
        .agg(pl.col("alias").sort().alias("aliases"))
    )


UNIT_ALIAS = pl.Schema({
    "unit_code": pl.String(), "alias": pl.String(), "written": pl.List(pl.String()),
    "first_seen": pl.Date(), "evidence": pl.String(),
})  # fmt: skip


def unit_alias_table(keyed: pl.LazyFrame) -> pl.LazyFrame:
    """``silver/unit_alias`` from the posts keyed (:func:`key_posts`): the unit codes written
    with more than one name, each name with how it was written, since when, and the evidence
    (one code in S8, or the reform's 任免文号), so a person can check the renames the linker
    follows."""
    rows = _alias_rows(keyed)
    several = rows.group_by("unit_code").agg(pl.col("alias").n_unique().alias("_n"))
    return (
        rows.join(several.filter(pl.col("_n") > 1), on="unit_code", how="semi")
        .group_by("unit_code", "alias")
        .agg(
            pl.col("written").drop_nulls().unique().sort(),
            pl.col("start").min().alias("first_seen"),
            pl.col("document").drop_nulls().unique().sort().first().alias("_document"),
        )
        .with_columns(
            pl.when(pl.col("_document").is_not_null())
            .then(pl.format("任职经历转隶/更名：{}", "_document"))
            .otherwise(pl.lit("任职经历中同一单位代码的名称"))
            .alias("evidence")
        )
        .select(list(UNIT_ALIAS))
        .cast(UNIT_ALIAS)
        .sort("unit_code", "first_seen", "alias", nulls_last=True)
    )


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
