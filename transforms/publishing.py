"""What officers read, shaped from gold: Chinese labels, masked ID numbers, the lists with Chinese
headers (预警名单, 选拔任用审查, 澄清正名名单, 干部名单), cells safe for a spreadsheet, and gold rows
flattened for a SQL serving database.

Nothing here touches disk or a clock; :mod:`warehouse.publish` writes the bytes.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import TypeVar

import polars as pl
import polars.selectors as cs
from polars.datatypes import DataTypeClass

from transforms.normalize import mask_id_numbers

F = TypeVar("F", pl.DataFrame, pl.LazyFrame)

SOURCE_LABELS = {
    "inspection": "巡视巡察",
    "audit": "审计",
    "petition": "信访举报",
    "assessment": "考核",
    "sanction": "处分与组织处理",
    "tolerance": "容错纠错",
}
LEVEL_LABELS = {"red": "红色预警", "yellow": "黄色预警", "blue": "蓝色预警", "none": "无预警"}
LEVEL_ORDER = {"red": 0, "yellow": 1, "blue": 2, "none": 3}
CONDITION_LABELS = {"influence_period": "影响期未满", "last_annual_grade": "上一年度考核等次"}
GRAIN_LABELS = {"unit": "单位", "region": "行政区划"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula (or a DDE trick) to Excel, WPS and LibreOffice."""


DISPLAY_LIMIT = 300
"""Characters of one value a page (and so a PDF) shows; the rest is cut with a mark saying how
long the value is. The Excel/CSV keep it whole. WeasyPrint lays out Chinese text in a table cell
in time that grows with the square of its length (every character is a break opportunity),
measured here: 300 characters 0.4 s, 1,000 about 3-6 s, 8,000 214 s — a 100,000-character roster
field kept one PDF rendering for 25 minutes. No name, unit, post or key comes near 300; a cut
joined list (相关记录, 原因及依据) is whole in the Excel and row by row on the profile page."""
BOOKLET_LIMIT = 20_000
"""The case booklet's limit: its texts are paragraphs (laid out in linear time), not cells."""
XLSX_CELL_LIMIT = 32_767
"""What one Excel cell holds (Excel's limit); a longer value is cut there with a mark, whole in
the CSV beside it."""

_STRIPPED = (
    "\\x{00}-\\x{08}\\x{0B}\\x{0C}\\x{0E}-\\x{1F}\\x{7F}-\\x{9F}"  # C0/C1 controls (tab, LF, CR kept)
    "\\x{061C}\\x{200E}\\x{200F}\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}"  # bidi marks and overrides
    "\\x{FEFF}\\x{FFF9}-\\x{FFFB}"  # BOM, interlinear annotation controls
)
STRIPPED_PATTERN = f"[{_STRIPPED}]"
"""Characters no page, PDF or serving row receives: control characters (NUL among them) and the
bidi controls that reorder what a reader sees (U+202E shows a name backwards). Rust-regex syntax
(Polars); :data:`_STRIPPED_RE` is the same set for Python."""
_STRIPPED_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb]"
)


def strip_invisible(text: str) -> str:
    """``text`` without control characters and bidi controls (tab and line breaks stay)."""
    return _STRIPPED_RE.sub("", text)


def shown_key(text: str) -> str:
    """A key as a page names it: every stripped character written as ``⟨U+202E⟩``, so that a key
    with an invisible character never looks like another key."""
    return _STRIPPED_RE.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def cut_mark(length: int) -> str:
    """What ends a value cut for display: says that it was cut and how long it is."""
    return f"…〔已截断：原文 {length:,} 字，全文见 Excel/CSV〕"


def display_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """A value as a page or PDF shows it: invisible controls stripped, at most ``limit``
    characters, and a mark saying so when cut."""
    text = strip_invisible(text)
    if len(text) <= limit:
        return text
    return text[:limit] + cut_mark(len(text))


def xlsx_text(text: str) -> str:
    """A value for one Excel cell: whole up to Excel's limit, else cut with the mark."""
    if len(text) <= XLSX_CELL_LIMIT:
        return text
    mark = cut_mark(len(text)).replace("Excel/CSV", "CSV")
    return text[: XLSX_CELL_LIMIT - len(mark)] + mark


_SAFE_STEM = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z_\-\u4e00-\u9fff]{0,63}$")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
)
"""Names Windows refuses for a file (officers open bundles on Windows)."""


def file_stem(key: str | None) -> str:
    """The file name (without extension) of a record's page: the key itself when it is a plain
    name (letters, digits, CJK, ``-``/``_``, at most 64, not starting with ``-``/``_``, no Windows
    device name); otherwise ``_h`` and 16 hex digits of its SHA-256 — stable across runs, never
    equal to a plain key (which cannot start with ``_``), and never a path."""
    if key is not None and _SAFE_STEM.fullmatch(key) and key.upper() not in _RESERVED:
        return key
    raw = ("\0" if key is None else key).encode("utf-8", "surrogatepass")
    return "_h" + hashlib.sha256(raw).hexdigest()[:16]


def floats_as_text(frame: F) -> F:
    """``frame`` with its float columns as text, for a row hash (``hash_rows``, ``struct.hash``),
    which takes ``-0.0`` for ``0.0``: equal hashes then mean equal values."""
    return frame.with_columns(cs.float().cast(pl.String))


def _text_leaves(expr: pl.Expr, dtype: "pl.DataType | DataTypeClass", path: str) -> Iterator[tuple[str, pl.Expr]]:  # fmt: skip
    """Every text inside ``expr`` as (field path, the expression of its values): lists exploded
    (``column[]``), structs' fields taken (``column.field``)."""
    if dtype == pl.String:
        yield path, expr
    elif isinstance(dtype, pl.List | pl.Array):
        yield from _text_leaves(expr.explode(), dtype.inner, f"{path}[]")
    elif isinstance(dtype, pl.Struct):
        for field in dtype.fields:
            yield from _text_leaves(expr.struct.field(field.name), field.dtype, f"{path}.{field.name}")  # fmt: skip


def text_findings(frames: dict[str, pl.DataFrame], limit: int = DISPLAY_LIMIT) -> list[str]:
    """One WARN line per field (``gold/cadre_profile.name``) holding values that pages and PDFs
    do not show as they are: too long (cut) or with control/bidi characters (stripped). The line
    names the field, how many values and which code points — never a value."""
    out = []
    for table, frame in frames.items():
        for column, dtype in frame.schema.items():
            for field, expr in _text_leaves(pl.col(column), dtype, f"{table}.{column}"):
                values = frame.select(expr).to_series().drop_nulls()
                if values.len() == 0:
                    continue
                long = int((values.str.len_chars() > limit).sum())
                dirty = values.filter(values.str.contains(STRIPPED_PATTERN))
                said = []
                if long:
                    said.append(
                        f"{long:,} value(s) over {limit:,} characters cut in pages/PDF (whole in Excel/CSV)"
                    )
                if dirty.len():
                    points: Counter[str] = Counter()
                    for text in dirty.head(1000):
                        points.update(f"U+{ord(c):04X}" for c in _STRIPPED_RE.findall(text))
                    shown = ", ".join(p for p, _ in points.most_common(5))
                    said.append(
                        f"{dirty.len():,} value(s) with control/bidi characters ({shown}) stripped"
                    )
                if said:
                    out.append(f"WARN {field}: " + "; ".join(said))
    return out


def _cleaned(expr: pl.Expr, dtype: "pl.DataType | DataTypeClass") -> pl.Expr | None:
    """``expr`` with :data:`STRIPPED_PATTERN` removed from every text inside it (None when it
    holds no text)."""
    if dtype == pl.String:
        return expr.str.replace_all(STRIPPED_PATTERN, "")
    if isinstance(dtype, pl.List):
        inner = _cleaned(pl.element(), dtype.inner)
        return None if inner is None else expr.list.eval(inner)
    if isinstance(dtype, pl.Struct):
        fields = [(f.name, _cleaned(expr.struct.field(f.name), f.dtype)) for f in dtype.fields]
        if all(e is None for _, e in fields):
            return None
        rebuilt = pl.struct((expr.struct.field(n) if e is None else e).alias(n) for n, e in fields)
        return pl.when(expr.is_not_null()).then(rebuilt)
    return None


def invisible_counts(frame: pl.DataFrame) -> dict[str, int]:
    """Per text field (``column`` or ``column[].field``) holding control or bidi characters: how
    many values do. Fields without any are left out. One query over every field (they are
    counted side by side, not one after the other)."""
    leaves = [leaf for name, dtype in frame.schema.items() for leaf in _text_leaves(pl.col(name), dtype, name)]  # fmt: skip
    if not leaves:
        return {}
    counts = frame.select(
        expr.str.contains(STRIPPED_PATTERN).sum().alias(str(k))
        for k, (_, expr) in enumerate(leaves)
    ).row(0)
    return {field: int(n) for (field, _), n in zip(leaves, counts, strict=True) if n}


def strip_frame(frame: pl.DataFrame, columns: Collection[str] | None = None) -> pl.DataFrame:
    """``frame`` with control and bidi characters removed from every text (of ``columns``, or
    all), nested ones too: what a serving database receives (PostgreSQL's COPY refuses NUL:
    ``invalid byte sequence for encoding "UTF8": 0x00``)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if columns is not None and name not in columns:
            continue
        cleaned = _cleaned(pl.col(name), dtype)
        if cleaned is not None:
            exprs.append(cleaned.alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _filled(expr: pl.Expr, dtype: "pl.DataType | DataTypeClass") -> pl.Expr | None:
    """``expr`` with nulls a page cannot print made empty: a missing list is ``[]``, a missing
    count 0, a missing flag false (inside lists and structs too); None when nothing to fill."""
    if dtype.is_integer():
        return expr.fill_null(0)
    if dtype == pl.Boolean:
        return expr.fill_null(False)
    if isinstance(dtype, pl.List):
        inner = _filled(pl.element(), dtype.inner)
        filled = expr if inner is None else expr.list.eval(inner)
        return filled.fill_null(pl.lit([], dtype=dtype))
    if isinstance(dtype, pl.Struct):
        fields = [(f.name, _filled(expr.struct.field(f.name), f.dtype)) for f in dtype.fields]
        if all(e is None for _, e in fields):
            return None
        return pl.struct((expr.struct.field(n) if e is None else e).alias(n) for n, e in fields)
    return None


def fill_empty(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as a page reads it: no null list, count or flag anywhere (a cadre appointed this
    year has no assessment: ``latest_grades`` is null, and the page says 无年度考核记录)."""
    exprs = []
    for name, dtype in frame.schema.items():
        filled = _filled(pl.col(name), dtype)
        if filled is not None:
            exprs.append(filled.alias(name))
    return frame.with_columns(exprs) if exprs else frame


def mask_id(number: pl.Expr) -> pl.Expr:
    """``450321199001011234`` → ``450321********1234``: the region and the last four stay.

    Shorter or null values become null: a value that is not an ID number is not shown at all.
    """
    n = number.str.len_chars()
    stars = pl.lit("*").repeat_by(n - 10).list.join("")
    return pl.when(n >= 15).then(
        pl.concat_str(number.str.slice(0, 6), stars, number.str.slice(-4, 4))
    )


def mask_id_text(number: str | None) -> str | None:
    """:func:`mask_id` for one value."""
    if number is None or len(number) < 15:
        return None
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def csv_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet will not run: text starting with ``=``, ``+``,
    ``-``, ``@`` (or a tab or carriage return) gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cst_text(moment: datetime) -> str:
    """A time as officers read it: ``2026-12-01 16:05 CST（北京时间，UTC+08:00）``.

    ``moment`` must carry its zone (Asia/Shanghai); the zone is named, never implied.
    """
    if moment.tzinfo is None:
        raise ValueError("cst_text needs an aware datetime (Asia/Shanghai)")
    offset = moment.utcoffset()
    if offset is None or offset.total_seconds() != 8 * 3600:
        raise ValueError(f"cst_text wants Asia/Shanghai time, got UTC offset {offset}")
    return f"{moment:%Y-%m-%d %H:%M} CST（北京时间，UTC+08:00）"


def _label(column: str, labels: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(labels, default=pl.col(column), return_dtype=pl.String)


def event_refs(timeline: pl.LazyFrame) -> pl.LazyFrame:
    """Per event id: how a page names the record (``巡视巡察 2024年第3轮/WT000321``)."""
    return timeline.select(
        "event_id",
        pl.concat_str(_label("source", SOURCE_LABELS), pl.lit(" "), pl.col("source_key")).alias(
            "ref"
        ),
    )


def warning_list(
    warning: pl.LazyFrame, cadres: pl.LazyFrame, timeline: pl.LazyFrame
) -> pl.LazyFrame:
    """预警名单: one row per (cadre, warning rule), red first, with the records that fired it."""
    refs = (
        warning.select("person_no", "rule_id", "event_ids")
        .explode("event_ids")
        .join(event_refs(timeline), left_on="event_ids", right_on="event_id", how="left")
        .group_by("person_no", "rule_id")
        .agg(pl.col("ref").drop_nulls().sort().str.join("；").alias("records"))
    )
    return (
        warning.join(refs, on=["person_no", "rule_id"], how="left")
        .join(_who(cadres), on="person_no", how="inner")
        .with_columns(pl.col("level").replace_strict(LEVEL_ORDER, default=9).alias("_order"))
        .sort("_order", "person_no", "rule_id")
        .select(
            _label("level", LEVEL_LABELS).alias("预警等级"),
            *_who_columns(),
            pl.col("rule_id").alias("规则编号"),
            pl.col("label").alias("预警事项"),
            pl.col("basis").alias("依据"),
            pl.col("events").alias("记录数"),
            pl.col("records").alias("相关记录"),
        )
    )


def reason_text(reasons: pl.Expr) -> pl.Expr:
    """The promotion-bar reasons of one cadre as one line of text, each with article and dates."""
    each = pl.concat_str(
        pl.element()
        .struct.field("condition")
        .replace_strict(CONDITION_LABELS, default=pl.element().struct.field("condition")),
        pl.lit("："),
        pl.element().struct.field("measure"),
        pl.lit("（"),
        pl.element().struct.field("date").dt.to_string("%Y-%m-%d"),
        pl.when(pl.element().struct.field("until").is_not_null())
        .then(
            pl.concat_str(
                pl.lit(" 起，至 "), pl.element().struct.field("until").dt.to_string("%Y-%m-%d")
            )
        )
        .otherwise(pl.lit("，无固定截止日期")),
        pl.lit("；依据 "),
        pl.element().struct.field("article"),
        pl.lit("）"),
    )
    return reasons.list.eval(each).list.join("；")


def promotion_list(promotion: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """选拔任用审查: every cadre, barred or not, until when, and why (选拔任用条例 第二十四条)."""
    return (
        promotion.join(_who(cadres), on="person_no", how="inner")
        .sort(pl.col("barred").not_(), "person_no")
        .select(
            *_who_columns(),
            pl.col("as_of").alias("审查基准日"),
            pl.when(pl.col("barred")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("暂停提拔"),
            pl.col("bar_until").alias("限制截止日期"),
            reason_text(pl.col("reasons")).alias("原因及依据"),
        )
    )


def clearance_list(clearance: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """澄清正名名单: reports that cleared a cadre or were false accusations."""
    return (
        clearance.select("person_no", "source_key", "received", "closed", "result", "protection")
        .join(_who(cadres), on="person_no", how="inner")
        .sort("person_no", "received", "source_key")
        .select(
            *_who_columns(),
            pl.col("source_key").alias("件号"),
            pl.col("received").alias("收件日期"),
            pl.col("closed").alias("办结日期"),
            pl.col("result").alias("办理结果"),
            pl.col("protection").alias("保护情形"),
        )
    )


def tolerance_review_list(review: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """容错复核清单: each 容错 decision beside a measure it may cover, with the evidence and its
    status; a person confirms or rejects a pair in the decision columns (决定, 理由, 经办人, 日期)
    and ``dajiandu decisions import`` appends it to ``tolerance_decisions.csv``."""
    return (
        review.join(_who(cadres), on="person_no", how="inner")
        .sort("person_no", "case_no", "measure_event_id")
        .select(
            *_who_columns(),
            pl.col("case_no").alias("案例编号"),
            pl.col("result").alias("认定结果"),
            pl.col("decided_on").alias("认定日期"),
            _label("measure_source", SOURCE_LABELS).alias("措施来源"),
            pl.col("measure_key").alias("措施记录"),
            pl.col("measure").alias("措施"),
            pl.col("measure_date").alias("措施日期"),
            pl.col("similarity").alias("事由相似度"),
            pl.col("status_label").alias("复核状态"),
            pl.col("evidence").alias("依据"),
            pl.col("decided_by").alias("复核人"),
            *decision_columns(),
        )
    )


def link_review_list(
    review: pl.LazyFrame, events: pl.LazyFrame, cadres: pl.LazyFrame
) -> pl.LazyFrame:
    """关联复核清单: one row per record the linker could not settle and each candidate cadre of
    ``cadres`` (the scope's: a candidate outside it is never shown, and a record none of whose
    candidates is in the scope is not listed), with the record's source, key (ID numbers
    masked), date, the name and unit as the record writes them, the candidate and the score. A
    person types 确认 beside the right candidate and ``dajiandu decisions import`` appends the
    link to ``link_decisions.csv``. The linker's free-text reason is left out: it quotes the
    record's text, and a list carries only fields the warehouse keeps as they are.

    Args:
        review: ``silver/link_review``.
        events: ``silver/supervision_event`` (``source``, ``source_key``, ``subject_index``,
            ``event_date``): the record's date.
        cadres: the scope's ``silver/cadre`` rows.
    """
    dates = events.select("source", "source_key", "subject_index", "event_date").unique(
        subset=["source", "source_key", "subject_index"], keep="first"
    )
    return (
        review.join(_who(cadres).rename({"person_no": "candidate_person_no"}),
                    on="candidate_person_no", how="inner")
        .join(dates, on=["source", "source_key", "subject_index"], how="left")
        .sort("source", "source_key", "subject_index", "score", "candidate_person_no",
              descending=[False, False, False, True, False])
        .select(
            _label("source", SOURCE_LABELS).alias("来源"),
            mask_id_numbers(pl.col("source_key")).alias("记录"),
            pl.col("event_date").alias("记录日期"),
            pl.col("subject_name").alias("记录所写姓名"),
            pl.col("unit_given").alias("记录所写单位"),
            pl.col("candidate_person_no").alias("人员编号"),
            pl.col("name").alias("姓名"),
            pl.col("unit").alias("单位"),
            pl.col("post").alias("职务"),
            pl.concat_str("candidate_unit", "candidate_post", separator=" ", ignore_nulls=True)
            .alias("当时任职"),
            pl.col("score").round(2).alias("匹配得分"),
            *decision_columns(),
        )
    )  # fmt: skip


DECISION_HEADERS = ("决定", "理由", "经办人", "日期")
"""The columns an officer fills in a review list's Excel (决定: 确认 / 否决 / 撤销) and
``dajiandu decisions import`` reads back (:mod:`warehouse.decision_import`)."""


def decision_columns() -> list[pl.Expr]:
    """The empty decision columns every review list ends with (:data:`DECISION_HEADERS`)."""
    return [pl.lit(None, dtype=pl.String).alias(h) for h in DECISION_HEADERS]


def inconsistency_list(inconsistency: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """数据不一致清单: what an upstream export says beside what the rules compute (an audit
    finding 予以容错 without all 五个看; an 影响期截止 that disagrees), both values shown."""
    return (
        inconsistency.join(_who(cadres), on="person_no", how="inner")
        .sort("person_no", "kind", "event_id")
        .select(
            *_who_columns(),
            pl.col("kind_label").alias("问题类型"),
            _label("source", SOURCE_LABELS).alias("来源"),
            mask_id_numbers(pl.col("source_key")).alias("记录"),
            pl.col("upstream").alias("上游数据"),
            pl.col("computed").alias("按规则计算"),
            pl.col("note").alias("说明"),
        )
    )


def bottom_rank_list(warning: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """考核排名靠后名单: the warnings of ``bottom_rank`` rules (``warning_rules.csv``), one row per
    (cadre, rule), with each year's place; the 约谈 rule (班子负责人、分管副职 last) says so in
    its 预警事项."""
    return (
        warning.filter(pl.col("kind") == "bottom_rank")
        .join(_who(cadres), on="person_no", how="inner")
        .sort("person_no", "rule_id")
        .select(
            *_who_columns(),
            pl.col("rule_id").alias("规则编号"),
            pl.col("label").alias("预警事项"),
            pl.col("detail").alias("排名情况"),
            pl.col("basis").alias("依据"),
        )
    )


def _conditions_text(conditions: pl.Expr) -> pl.Expr:
    each = pl.concat_str(
        pl.when(pl.element().struct.field("met")).then(pl.lit("✓ ")).otherwise(pl.lit("✗ ")),
        pl.element().struct.field("detail"),
        pl.lit("（"),
        pl.element().struct.field("rule_id"),
        pl.lit("：依据 "),
        pl.element().struct.field("article"),
        pl.lit("）"),
    )
    return conditions.list.eval(each).list.join("；")


def followup_list(followup: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """影响期跟踪名单: every measure with an influence period, the period's end and days to go,
    the grades and new records since, and whether the cadre may be used again, each condition
    with its basis (``reuse_rules.csv``); those who may be used first."""
    return (
        followup.join(_who(cadres), on="person_no", how="inner")
        .sort(pl.col("reusable").not_(), "person_no", "decided", "event_id")
        .select(
            *_who_columns(),
            pl.col("measure").alias("措施"),
            pl.col("decided").alias("决定日期"),
            pl.col("period_end").alias("影响期截止"),
            pl.col("days_to_go").alias("剩余天数"),
            pl.col("assessments_since").list.join("；").alias("决定后年度考核"),
            pl.col("new_records").alias("决定后新记录数"),
            pl.col("new_record_ids").list.join("；").alias("新记录编号"),
            pl.when(pl.col("reusable"))
            .then(pl.lit("是"))
            .otherwise(pl.lit("否"))
            .alias("可重新使用"),
            _conditions_text(pl.col("conditions")).alias("条件及依据"),
        )
    )


def commendation_list(profile: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """表彰奖励资格名单: one row per (cadre, award) the annual grades make the cadre eligible for
    (嘉奖 for an annual 优秀, 记三等功 for three consecutive: ``commendation.csv``), latest first."""
    return (
        profile.select("person_no", "commendations")
        .explode("commendations")
        .drop_nulls("commendations")
        .unnest("commendations")
        .join(_who(cadres), on="person_no", how="inner")
        .sort("year", "person_no", "rule_id", descending=[True, False, False])
        .select(
            *_who_columns(),
            pl.col("year").alias("年度"),
            pl.col("award").alias("奖励"),
            pl.col("years").alias("依据年度"),
            pl.col("rule_id").alias("规则编号"),
            pl.col("article").alias("依据"),
        )
    )


def profile_list(profile: pl.LazyFrame, cadres: pl.LazyFrame) -> pl.LazyFrame:
    """干部名单: one row per cadre of ``profile`` with the masked ID and the profile's headline."""
    grades = pl.col("latest_grades").list.eval(
        pl.concat_str(
            pl.element().struct.field("year").cast(pl.String),
            pl.lit(" "),
            pl.element().struct.field("grade"),
        )
    )
    ids = cadres.select("person_no", mask_id(pl.col("id_number")).alias("masked"))
    return (
        profile.join(ids, on="person_no", how="left")
        .sort("person_no")
        .select(
            pl.col("person_no").alias("人员编号"),
            pl.col("name").alias("姓名"),
            pl.col("gender").alias("性别"),
            pl.col("birth_month").dt.to_string("%Y.%m").alias("出生年月"),
            pl.col("masked").alias("公民身份号码"),
            pl.col("unit").alias("单位"),
            pl.col("post").alias("职务"),
            pl.col("grade").alias("职级"),
            pl.col("scope_level").alias("管理权限"),
            pl.col("region").alias("行政区划代码"),
            pl.col("post_since").alias("任现职时间"),
            pl.col("status").alias("在职状态"),
            _label("warning_level", LEVEL_LABELS).alias("预警等级"),
            pl.when(pl.col("barred")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("暂停提拔"),
            pl.col("bar_until").alias("限制截止日期"),
            pl.col("events").alias("记录总数"),
            pl.col("events_against").alias("计入负面记录数"),
            pl.when(pl.col("cleared")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("澄清正名"),
            grades.list.join("；").alias("近三年年度考核"),
            pl.col("composite_text").alias("督考联动综合得分"),
        )
    )


TEXT_COLUMNS = frozenset(
    {"人员编号", "公民身份号码", "行政区划代码", "件号", "规则编号", "案例编号", "措施记录", "记录",
     "决定", "理由", "经办人", "日期", "新记录编号"}
)  # fmt: skip
"""Columns a spreadsheet must keep as text (文本): codes with leading zeros or 18 digits."""


def _who(cadres: pl.LazyFrame) -> pl.LazyFrame:
    return cadres.select("person_no", "name", "unit", "post", "scope_level", "region")


def _who_columns() -> list[pl.Expr]:
    return [
        pl.col("person_no").alias("人员编号"),
        pl.col("name").alias("姓名"),
        pl.col("unit").alias("单位"),
        pl.col("post").alias("职务"),
        pl.col("scope_level").alias("管理权限"),
        pl.col("region").alias("行政区划代码"),
    ]


def json_text(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every list and struct column encoded as JSON text (null stays null), for a
    SQL table (a JSONB column on PostgreSQL, TEXT on SQLite)."""
    nested = [
        name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List | pl.Struct)
    ]
    if not nested:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).is_not_null())
        .then(
            pl.struct(pl.col(name).alias("v"))
            .struct.json_encode()
            .str.strip_prefix('{"v":')
            .str.strip_suffix("}")
        )
        .alias(name)
        for name in nested
    )


KEEP_COLUMNS = frozenset(
    TEXT_COLUMNS | {"姓名", "性别", "管理权限", "预警等级", "暂停提拔", "澄清正名", "复核状态"}
)
"""Columns whose cells never break inside (a name, a key, a code, a short status word)."""

PORTRAIT_MM, LANDSCAPE_MM = 184.0, 271.0
"""The text width of an A4 page (13 mm margins), upright and turned."""

_PT_MM = 0.3528
_CELL_PADDING_MM = 3.4
_FREE_TEXT_CAP = 36
"""A free-text column (单位, 依据 …) is given at most this many half-ems; longer text wraps."""


def text_units(value: object) -> int:
    """How wide ``value`` prints, in half-ems: a CJK character counts two, others one; a date as
    ``YYYY-MM-DD``."""
    text = value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def list_layout(
    frame: pl.DataFrame, keep: Collection[str] = KEEP_COLUMNS, sample: int = 2000
) -> dict[str, object]:
    """How to print ``frame`` as a table on A4: upright or turned (landscape), the font size,
    and each column's share of the width, from its content.

    A column in ``keep`` (names, keys, codes) is as wide as its widest cell, so it never breaks
    inside; so is a date or number column and one whose values are all short (five CJK
    characters or ten others: 出生年月, 在职状态). Free text gets its 90th-percentile width, at most
    :data:`_FREE_TEXT_CAP` half-ems, and wraps past that; where the page has room to spare, free
    text grows towards its longest value. The table goes landscape when it does
    not fit upright at 9 pt, and to 8 pt when it does not fit turned either; when even that is
    too wide, the free-text columns give up width down to four characters (the kept ones never
    do).

    Returns ``{"landscape": bool, "font_pt": float, "columns": [{"name", "pct", "keep"}]}``.
    """
    units: dict[str, tuple[int, bool]] = {}
    longest: dict[str, int] = {}
    for name in frame.columns:
        column = frame.get_column(name)
        values = [text_units(v) for v in column.head(sample).to_list() if v is not None]
        short = column.dtype.is_temporal() or column.dtype.is_numeric() or max(values or [0]) <= 10
        kept = name in keep or short
        header = text_units(name)
        if kept:
            width = max([*values, min(header, 8)])
        else:
            ordered = sorted(values)
            p90 = ordered[int(len(ordered) * 0.9)] if ordered else 0
            width = min(max(p90, min(header, 8), 4), _FREE_TEXT_CAP)
        units[name] = (width, kept)
        longest[name] = max([*values, width])

    def widths(font_pt: float, sizes: dict[str, int] | None = None) -> dict[str, float]:
        per_unit = font_pt * 0.55 * _PT_MM  # a digit is about 0.55 em in Noto Sans SC
        given = sizes or {n: u for n, (u, _) in units.items()}
        return {n: given[n] * per_unit + _CELL_PADDING_MM for n in units}

    font_pt, landscape = 9.0, False
    mm = widths(font_pt)
    if sum(mm.values()) > PORTRAIT_MM:
        landscape = True
        if sum(mm.values()) > LANDSCAPE_MM:
            font_pt = 8.0
            mm = widths(font_pt)
    room = LANDSCAPE_MM if landscape else PORTRAIT_MM
    total = sum(mm.values())
    if total > room:  # the free-text columns share what the kept ones leave, 4 characters at least
        four = 8 * font_pt * 0.55 * _PT_MM + _CELL_PADDING_MM
        kept_mm = sum(w for n, w in mm.items() if units[n][1])
        free = {n: w for n, w in mm.items() if not units[n][1]}
        left = max(room - kept_mm, 0.0)
        least = {n: min(w, four) for n, w in free.items()}
        if sum(least.values()) <= left:  # each keeps four characters, the rest shared
            spare = sum(free.values()) - sum(least.values())
            share = (left - sum(least.values())) / spare if spare else 0.0
            free = {n: least[n] + (w - least[n]) * share for n, w in free.items()}
        else:  # not even that: shared in proportion
            free = {n: w * left / sum(free.values()) for n, w in free.items()}
        mm = {n: free.get(n, w) for n, w in mm.items()}
        total = sum(mm.values())
    elif total < room:  # room to spare: free text grows towards its longest value
        full = widths(font_pt, longest)
        want = {n: full[n] - w for n, w in mm.items() if not units[n][1] and full[n] > w}
        if want:
            share = min(1.0, (room - total) / sum(want.values()))
            mm = {n: w + want.get(n, 0.0) * share for n, w in mm.items()}
            total = sum(mm.values())
    columns = [
        {"name": n, "pct": round(100 * w / total, 2) if total else 0.0, "keep": units[n][1]}
        for n, w in mm.items()
    ]
    return {"landscape": landscape, "font_pt": font_pt, "columns": columns}


def region_label(code: str | None, names: dict[str, str]) -> str:
    """A region as officers say it, with its code beside: ``兴宁区（450102）``; the code alone
    when the table does not know it."""
    if not code:
        return "—"
    name = names.get(code)
    return f"{name}（{code}）" if name else code


def with_region_names(frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """``frame`` with a 行政区划 column (the region's name) right before 行政区划代码, where it
    has one; names the table lacks stay empty."""
    if "行政区划代码" not in frame.columns or "行政区划" in frame.columns:
        return frame
    table = pl.DataFrame(
        {"行政区划代码": list(names), "行政区划": list(names.values())},
        schema={"行政区划代码": pl.String, "行政区划": pl.String},
    )
    out = frame.join(table, on="行政区划代码", how="left", maintain_order="left")
    at = frame.columns.index("行政区划代码")
    order = [*frame.columns[:at], "行政区划", *frame.columns[at:]]
    return out.select(order)


def cadre_pdf_stem(name: str | None, person_no: str | None) -> str:
    """The file name (without ``.pdf``) of one cadre's own 干部监督档案: ``张三-RY00000504`` — the
    name when it is a plain name (else left out) and the safe key of :func:`file_stem`, so two
    cadres of the same name never share a file."""
    key = file_stem(person_no)
    if name and _SAFE_STEM.fullmatch(name) and name.upper() not in _RESERVED:
        return f"{name}-{key}"
    return key
