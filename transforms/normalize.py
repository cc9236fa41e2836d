"""Normalisers: Polars expressions that turn the upstream text of every source into typed values.

Each function takes an expression of raw text (as the readers deliver it: every cell a string or
null) and returns an expression. A value that is present but cannot be read becomes null; the
cleaning step (``transforms.cleaning``) compares with the raw text to give the row a reason.
Nothing here reads files or knows about Dagster.
"""

import unicodedata
from collections.abc import Callable, Mapping
from typing import Literal

import opencc
import polars as pl

# Excel's day zero for serial dates (the 1900 leap-year bug is absorbed by starting on 1899-12-30).
_EXCEL_EPOCH = pl.date(1899, 12, 30)
# Serials between these are dates from 1954 to 2119; anything else is a number, not a date.
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000

_FULL_WIDTH = "０１２３４５６７８９ＸｘＹｙＮｎ－／．：％"
_HALF_WIDTH = "0123456789XxYyNn-/.:%"

# GB 11643 / ISO 7064 MOD 11-2: weights of the first 17 digits and the check character table.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_BORN_EARLIEST = pl.date(1900, 1, 1)

# Minority-name separators seen in the sources; all become the middle dot U+00B7.
_NAME_DOTS = r"[•・‧.．･∙⋅]"
# Markers HR systems put where a character could not be typed (生僻字).
_UNKNOWN_CHAR = r"[?？□■〓*＊_]"


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Strip ASCII and full-width white space; an empty cell becomes null."""
    # One reference to ``expr``, not two (when/then/otherwise): an expression holding a Python
    # batch function (to_simplified) was evaluated twice, once per reference.
    return expr.str.strip_chars(" \t\r\n\u3000\u00a0").replace("", None)


def to_half_width(expr: pl.Expr) -> pl.Expr:
    """Full-width digits and the letters used in codes become ASCII."""
    return expr.str.replace_many(list(_FULL_WIDTH), list(_HALF_WIDTH))


_NUMERALS = {
    "〇": "0", "零": "0", "○": "0", "O": "0", "Ｏ": "0", "一": "1", "壹": "1", "二": "2", "贰": "2",
    "两": "2", "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6",
    "陆": "6", "七": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9",
}  # fmt: skip
"""Chinese numerals (and the letter O typed for 〇) as the digits they stand for."""


def arabic_numerals(expr: pl.Expr) -> pl.Expr:
    """Chinese numerals in a date written out (``二〇一九年三月十五日``) as Arabic digits
    (``2019年3月15日``): a year digit by digit, a month or day with its ``十`` (``十``, ``十五``,
    ``二十``, ``三十一``)."""
    digits = expr.str.replace_many(_NUMERALS)
    return (
        digits.str.replace_all(r"(\d)[十拾](\d)", "${1}${2}")
        .str.replace_all(r"(\d)[十拾]", "${1}0")
        .str.replace_all(r"[十拾](\d)", "1${1}")
        .str.replace_all(r"[十拾]", "10")
    )


def _two_passes(
    expr: pl.Expr,
    first: Callable[[pl.Expr], pl.Expr],
    then: Callable[[pl.Expr], pl.Expr],
    dtype: pl.DataType,
) -> pl.Expr:
    """``first(expr)`` over every row; ``then`` over the rows ``first`` left null alone.

    ``first`` reads the form nearly every row is in; ``then`` reads every form. Polars computes
    every branch of ``when``/``then`` for every row, so the forms a few rows are in are read here
    on those rows only (four regex passes over 4M dates cost 3 s; one costs 0.3 s)."""

    def fill(both: pl.Series) -> pl.Series:
        text, read = both.struct.field("text"), both.struct.field("read")
        missed = (read.is_null() & text.is_not_null()).arg_true()
        if missed.is_empty():
            return read
        rows = pl.DataFrame({"t": text.gather(missed)})
        return read.scatter(missed, rows.select(then(pl.col("t"))).to_series().cast(dtype))

    both = pl.struct(expr.alias("text"), first(expr).alias("read"))
    return both.map_batches(fill, return_dtype=dtype, is_elementwise=True)


def _read_date(text: pl.Expr) -> pl.Expr:
    day_part = text.str.replace(r"[ T].*$", "").str.replace(r"日$", "")
    dashed = day_part.str.replace_all(r"[年月/.]", "-")
    compact = dashed.str.replace(r"^(\d{4})(\d{2})(\d{2})$", "${1}-${2}-${3}")
    as_text = compact.str.to_date("%Y-%m-%d", strict=False)
    serial = (
        pl.when(text.str.contains(r"^\d{5}(\.\d+)?$"))
        .then(text.cast(pl.Float64, strict=False).floor().cast(pl.Int32, strict=False))
        .otherwise(None)
    )
    from_serial = (
        pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX))
        .then(_EXCEL_EPOCH + pl.duration(days=serial))
        .otherwise(None)
    )
    return (
        pl.when(compact.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}$"))
        .then(as_text)
        .otherwise(from_serial)
    )


def _iso_date(expr: pl.Expr) -> pl.Expr:
    """``2024-05-06`` exactly (what :func:`_read_date` reads it as); null for any other form."""
    iso = expr.str.contains(r"^\d{4}-\d{2}-\d{2}$")
    return pl.when(iso).then(expr.str.to_date("%Y-%m-%d", strict=False))


def _usual_date(expr: pl.Expr) -> pl.Expr:
    return _read_date(to_half_width(blank_to_null(expr)))


def _written_date(expr: pl.Expr) -> pl.Expr:
    return _read_date(arabic_numerals(to_half_width(blank_to_null(expr))))


def _any_date(expr: pl.Expr) -> pl.Expr:
    return _two_passes(expr, _usual_date, _written_date, pl.Date())


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Read a date in any form the sources use.

    Forms: ``2024-05-06``, ``2024/5/6``, ``2024.05.06``, ``2024年5月6日``, ``20240506``, an Excel
    serial (``45418`` or ``45418.0``), each optionally followed by a time part, and a date written
    out in Chinese numerals (``二〇二四年五月六日``, ``二零二四年十二月三十一日``). Impossible dates
    (``2024-02-30``) and anything else give null.
    """
    return _two_passes(expr, _iso_date, _any_date, pl.Date())


def parse_datetime(expr: pl.Expr) -> pl.Expr:
    """Read a timestamp (``更新时间``); a bare date means its midnight."""
    text = to_half_width(blank_to_null(expr)).str.replace("T", " ", literal=True)
    with_seconds = text.str.replace(r"^(.+ \d{1,2}:\d{2})$", "${1}:00")
    full = with_seconds.str.replace(r"\.\d+$", "").str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"
    )
    return pl.coalesce(full, parse_date(expr).cast(pl.Datetime("us")))


def _read_year_month(text: pl.Expr) -> pl.Expr:
    dashed = text.str.replace(r"月$", "").str.replace_all(r"[年/.]", "-")
    dashed = dashed.str.replace(r"^(\d{4})(\d{2})$", "${1}-${2}")
    ok = dashed.str.contains(r"^\d{4}-\d{1,2}$")
    return pl.when(ok).then((dashed + "-01").str.to_date("%Y-%m-%d", strict=False)).otherwise(None)


def _usual_year_month(expr: pl.Expr) -> pl.Expr:
    return _read_year_month(to_half_width(blank_to_null(expr)))


def _written_year_month(expr: pl.Expr) -> pl.Expr:
    return _read_year_month(arabic_numerals(to_half_width(blank_to_null(expr))))


def parse_year_month(expr: pl.Expr) -> pl.Expr:
    """Read ``出生年月`` (``YYYY.MM``, ``YYYY-MM``, ``YYYY年M月``, ``YYYYMM``, ``一九八五年三月``) as
    the month's first day."""
    return _two_passes(expr, _usual_year_month, _written_year_month, pl.Date())


def compact_id_number(expr: pl.Expr) -> pl.Expr:
    """An ID number without spaces or hyphens, half-width, with an upper-case ``X``."""
    text = to_half_width(blank_to_null(expr))
    return blank_to_null(text.str.replace_all(r"[\s\-\u3000]", "").str.to_uppercase())


def _check_series(first17: pl.Series) -> pl.Series:
    digits = pl.col("n").str.slice(0, 17)
    total = pl.sum_horizontal(
        digits.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(_ID_WEIGHTS)
    )
    ok = digits.str.contains(r"^\d{17}$")
    index = pl.when(ok).then(total % 11)
    return first17.to_frame("n").select(pl.lit(_ID_CHECK).str.slice(index, 1)).to_series()


def _check_character(first17: pl.Expr) -> pl.Expr:
    """The check character of a 17-digit string; null when the input is not 17 digits.

    Computed on the materialised column (``map_batches``), so the 17 digit slices read one column
    instead of repeating the expression that produced it.
    """
    return first17.map_batches(_check_series, return_dtype=pl.String)


def _id_frame(raw: pl.Series) -> pl.DataFrame:
    """Staged columns for ID numbers: each step reads the previous one, so nothing is computed twice."""
    return (
        raw.to_frame("raw")
        .with_columns(compact=compact_id_number(pl.col("raw")))
        .with_columns(
            first17=pl.col("compact").str.slice(0, 6) + "19" + pl.col("compact").str.slice(6, 9)
        )
        .with_columns(
            normal=pl.when(pl.col("compact").str.contains(r"^\d{15}$"))
            .then(pl.col("first17") + _check_character(pl.col("first17")))
            .otherwise(pl.col("compact"))
        )
        .with_columns(
            well_formed=pl.col("normal").str.contains(r"^[0-9]{17}[0-9X]$"),
            born=pl.col("normal").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
            >= _BORN_EARLIEST,
            check_ok=pl.col("normal").str.slice(17, 1)
            == _check_character(pl.col("normal").str.slice(0, 17)),
        )
    )


def _normal_series(raw: pl.Series) -> pl.Series:
    return _id_frame(raw).get_column("normal")


def _status_series(raw: pl.Series) -> pl.Series:
    frame = _id_frame(raw).select(
        pl.when(pl.col("compact").is_null())
        .then(None)
        .when(~pl.col("well_formed"))
        .then(pl.lit("malformed"))
        .when(~pl.col("born").fill_null(False))
        .then(pl.lit("bad_birth_date"))
        .when(~pl.col("check_ok"))
        .then(pl.lit("bad_check"))
        .when(pl.col("compact").str.len_chars() == 15)
        .then(pl.lit("upgraded_15"))
        .otherwise(pl.lit("valid"))
    )
    return frame.to_series()


def normalize_id_number(expr: pl.Expr) -> pl.Expr:
    """公民身份号码 in its 18-character form.

    A legacy 15-digit number is upgraded (century ``19`` inserted, check character computed); an
    18-character number is only compacted, never "repaired": a wrong check character stays wrong
    and :func:`id_number_status` says so.
    """
    return expr.map_batches(_normal_series, return_dtype=pl.String)


def id_number_status(expr: pl.Expr) -> pl.Expr:
    """``valid``, ``upgraded_15`` (valid after the 15→18 upgrade), ``bad_check``,
    ``bad_birth_date`` or ``malformed``.

    Null when the cell is empty. ``malformed`` is the wrong length or characters (no ID number at
    all); ``bad_birth_date`` a well-formed number whose birth date is impossible (``19991350``,
    before 1900) and ``bad_check`` one whose check character does not match: both are typos of a
    real number, kept and flagged, never evidence of identity.
    """
    return expr.map_batches(_status_series, return_dtype=pl.String)


_T2S = opencc.OpenCC("t2s")


def _to_simplified_batch(values: pl.Series) -> pl.Series:
    uniques = values.drop_nulls().unique()
    converted = pl.Series([_T2S.convert(v) for v in uniques.to_list()], dtype=pl.String)
    return values.replace_strict(uniques, converted, default=None, return_dtype=pl.String)


def to_simplified(expr: pl.Expr) -> pl.Expr:
    """Traditional characters become simplified (OpenCC ``t2s``), converting each distinct value once."""
    return expr.map_batches(_to_simplified_batch, return_dtype=pl.String)


def normalize_name(expr: pl.Expr) -> pl.Expr:
    """A person's name as displayed: simplified, no spaces, one kind of minority-name dot (``·``)."""
    text = blank_to_null(expr).str.replace_all(r"[\s\u3000]+", "")
    dotted = text.str.replace_all(_NAME_DOTS, "·").str.replace_all("·+", "·")
    return blank_to_null(to_simplified(dotted).str.strip_chars("·"))


def name_key(expr: pl.Expr) -> pl.Expr:
    """The key names are blocked and compared on: the display name without the minority dot."""
    return normalize_name(expr).str.replace_all("·", "", literal=True)


def name_has_unknown_char(expr: pl.Expr) -> pl.Expr:
    """True when the name carries a marker for a character that could not be typed (``张?伟``)."""
    return blank_to_null(expr).str.contains(_UNKNOWN_CHAR)


def parse_enum(expr: pl.Expr, synonyms: Mapping[str, str]) -> pl.Expr:
    """Map every spelling in ``synonyms`` (canonical values map to themselves) to its canonical value.

    Unknown spellings give null; matching ignores surrounding and inner white space.
    """
    text = to_half_width(blank_to_null(expr)).str.replace_all(r"[\s\u3000]", "")
    return text.replace_strict(dict(synonyms), default=None, return_dtype=pl.String)


_BOOL_WORDS = {
    **dict.fromkeys(
        ["是", "Y", "y", "YES", "Yes", "yes", "1", "TRUE", "True", "true", "√", "有"], True
    ),
    **dict.fromkeys(
        ["否", "N", "n", "NO", "No", "no", "0", "FALSE", "False", "false", "×", "无"], False
    ),
}


def parse_bool(expr: pl.Expr) -> pl.Expr:
    """是/否, Y/N, 1/0, true/false, √/× as a boolean."""
    text = to_half_width(blank_to_null(expr))
    return text.replace_strict(_BOOL_WORDS, default=None, return_dtype=pl.Boolean)


_AMOUNT_UNITS = {"亿元": 10000.0, "亿": 10000.0, "万元": 1.0, "万": 1.0, "元": 0.0001}


def parse_amount(expr: pl.Expr) -> pl.Expr:
    """An amount in 万元 (the unit the headers declare).

    Thousands separators (``,`` ``，``) and a trailing unit (``元``, ``万元``, ``亿元``) are handled;
    a bare number is taken to be in 万元 already.
    """
    text = to_half_width(blank_to_null(expr)).str.replace_all(r"[,，\s]", "")
    number = text.str.extract(r"^(-?\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False)
    unit = text.str.extract(r"^-?\d+(?:\.\d+)?(亿元|亿|万元|万|元)?$", 1)
    factor = unit.replace_strict(_AMOUNT_UNITS, default=1.0, return_dtype=pl.Float64)
    whole = text.str.contains(r"^-?\d+(?:\.\d+)?(亿元|亿|万元|万|元)?$")
    return pl.when(whole).then(number * factor).otherwise(None)


def parse_int(expr: pl.Expr) -> pl.Expr:
    """An integer; ``12.0`` (as spreadsheets write whole numbers) is accepted."""
    text = to_half_width(blank_to_null(expr)).str.replace_all(r"[,，]", "")
    as_float = text.cast(pl.Float64, strict=False)
    return pl.when(as_float == as_float.floor()).then(as_float.cast(pl.Int64)).otherwise(None)


def parse_float(expr: pl.Expr) -> pl.Expr:
    """A decimal number."""
    text = to_half_width(blank_to_null(expr)).str.replace_all(r"[,，]", "")
    return text.cast(pl.Float64, strict=False)


def parse_ratio(expr: pl.Expr) -> pl.Expr:
    """A share from 0 to 1, given as ``0.85``, ``85%`` or ``85％``."""
    text = to_half_width(blank_to_null(expr)).str.replace("％", "%", literal=True)
    percent = text.str.extract(r"^(\d+(?:\.\d+)?)%$", 1).cast(pl.Float64, strict=False) / 100
    return (
        pl.when(text.str.ends_with("%"))
        .then(percent)
        .otherwise(text.cast(pl.Float64, strict=False))
    )


def mask_id_numbers(text: pl.Expr) -> pl.Expr:
    """Every 18-digit ID number inside ``text`` shown as ``450321********1234`` (a sanction's
    source key is ``<ID or 人员编号>/<measure>/<date>``: what officers read never carries a whole
    ID number)."""
    return text.str.replace_all(r"(\d{6})\d{8}(\d{3}[\dXx])", "${1}********${2}")


# ------------------------------------------------------------------- the readers' boundary
#
# Every reader hands its text through :func:`normalise_boundary` before anything else sees it, so
# that the same fact written with invisible differences is the same fact: ``李\u200b勇`` is 李勇,
# ``４５０１０２`` and ``٤٥٠١٠٢`` are 450102, a zero-width character in a 人员编号 makes no new key.

TextForm = Literal["code", "text"]
"""``code``: codes, keys, numbers and dates (NFKC, then every script's digits as ASCII, after the
invisible characters are removed); ``text``: names, units, posts, free text (invisible characters
removed, nothing else changed: full-width brackets in a unit name stay as written)."""

_KEEP_CONTROLS = frozenset("\t\n\r\x0b\x0c")
_INVISIBLE_EXTRA = (
    "\u034f\u115f\u1160\u180b\u180c\u180d\u3164\uffa0"  # grapheme joiner, Hangul fillers, FVS
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
)


def is_invisible(char: str) -> bool:
    """Whether a character changes nothing a person reads but makes two equal values differ:
    format characters (zero-width space/joiners, BOM, bidi controls such as U+202E, soft hyphen),
    control characters other than tab and line breaks (NUL …), variation selectors, fillers."""
    category = unicodedata.category(char)
    if category == "Cf" or char in _INVISIBLE_EXTRA or 0xE0100 <= ord(char) <= 0xE01EF:
        return True
    return category == "Cc" and char not in _KEEP_CONTROLS


def _ranges(chars: list[int]) -> str:
    """A regex character class for the code points ``chars`` (sorted), as ranges."""
    parts, start = [], None
    for i, cp in enumerate(chars):
        start = cp if start is None else start
        if i + 1 == len(chars) or chars[i + 1] != cp + 1:
            parts.append(f"\\x{{{start:X}}}" + (f"-\\x{{{cp:X}}}" if cp != start else ""))
            start = None
    return "[" + "".join(parts) + "]"


_PLANES = (*range(0x20000), *range(0xE0000, 0xE1000))
"""Where format, control and digit characters live (planes 0, 1 and 14; 2 and 3 hold only CJK
ideographs, 15 and 16 private use): scanning only these keeps the import fast."""

_INVISIBLE = _ranges([cp for cp in _PLANES if is_invisible(chr(cp))])
"""The same set as :func:`is_invisible`, as a Polars (Rust) regex class: both sides agree."""

_OTHER_DIGITS = {
    chr(cp): str(unicodedata.digit(chr(cp)))
    for cp in _PLANES
    if cp > 0x7F and unicodedata.category(chr(cp)) == "Nd"
}
"""Decimal digits of every script but ASCII (Arabic-Indic ٤, Devanagari ४, full-width ４ …)."""


def boundary_value(value: str | None, form: TextForm) -> str | None:
    """One value as the readers pass it on (:func:`boundary_text` for a Python string: the
    decisions files and anything else read outside a source reader use this)."""
    if value is None:
        return None
    text = "".join(c for c in value if not is_invisible(c))
    if form == "code":
        text = unicodedata.normalize("NFKC", text)
        text = "".join(_OTHER_DIGITS.get(c, c) for c in text)
    return text


def boundary_text(expr: pl.Expr, form: TextForm) -> pl.Expr:
    """The text of a field as every reader passes it on: invisible characters removed
    (:func:`is_invisible`); for a ``code``, NFKC and every script's digits as ASCII."""
    text = expr.str.replace_all(_INVISIBLE, "")
    if form == "code":
        text = text.str.normalize("NFKC").str.replace_many(
            list(_OTHER_DIGITS), list(_OTHER_DIGITS.values())
        )
    return text


def _fold(values: pl.Series) -> pl.Series:
    """:func:`boundary_text`'s ``code`` step on a Series, each distinct value once."""
    uniques = values.drop_nulls().unique()
    folded = uniques.str.normalize("NFKC").str.replace_many(
        list(_OTHER_DIGITS), list(_OTHER_DIGITS.values())
    )
    return values.replace_strict(uniques, folded, default=None, return_dtype=pl.String)


def normalise_boundary(
    frame: pl.DataFrame, forms: Mapping[str, TextForm]
) -> tuple[pl.DataFrame, dict[str, dict[str, int]]]:
    """``frame`` with each column of ``forms`` passed through :func:`boundary_text`, and per
    column how many values changed: ``invisible`` (characters removed) and ``folded`` (NFKC or
    digits made ASCII). Counts only, never values: safe for a column of protected text.

    Only the values that need it are rewritten: one pass finds, per column, the values holding
    an invisible character and (for codes) any non-ASCII character; the rest is left as it is.
    """
    columns = [c for c in forms if c in frame.columns and frame.schema[c] == pl.String]
    if not columns or frame.is_empty():
        return frame, {}
    codes = [c for c in columns if forms[c] == "code"]
    found = frame.select(
        *(pl.col(c).str.contains(_INVISIBLE).fill_null(False).alias(f"i:{c}") for c in columns),
        *(
            (pl.col(c).str.len_bytes() != pl.col(c).str.len_chars()).fill_null(False).alias(c)
            for c in codes
        ),  # non-ASCII: the only values NFKC or a digit fold can change
    )
    counts: dict[str, dict[str, int]] = {}
    changed = []
    for c in columns:
        values, mine = frame.get_column(c), {}
        hit = found.get_column(f"i:{c}")
        if hit.any():
            at = hit.arg_true()
            values = values.scatter(at, values.gather(at).str.replace_all(_INVISIBLE, ""))
            mine["invisible"] = len(at)
        if c in codes and found.get_column(c).any():
            at = found.get_column(c).arg_true()
            before = values.gather(at)
            after = _fold(before)
            if n := int((before != after).sum()):
                values = values.scatter(at, after)
                mine["folded"] = n
        if mine:
            counts[c] = mine
            changed.append(values.alias(c))
    return (frame.with_columns(changed) if changed else frame), counts


def unreadable_characters(expr: pl.Expr, allowed: str) -> pl.Expr:
    """The characters of ``expr`` outside the regex class ``allowed`` (e.g. ``[0-9]``), each as
    ``U+004F 'O'`` (an invisible one without its glyph), joined; empty when there is none."""
    leftover = expr.str.replace_all(allowed, "")

    def describe(values: pl.Series) -> pl.Series:
        uniques = values.drop_nulls().unique()
        text = [
            " ".join(
                f"U+{ord(c):04X}" + ("" if is_invisible(c) or c.isspace() else f" '{c}'")
                for c in dict.fromkeys(v)
            )
            for v in uniques.to_list()
        ]
        return values.replace_strict(uniques, pl.Series(text, dtype=pl.String), default=None)

    return leftover.map_batches(describe, return_dtype=pl.String)
