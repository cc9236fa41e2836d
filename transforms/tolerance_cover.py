"""What a 容错纠错 decision covers: the cadre's measures and findings it tolerates, for review.

The sources carry no key joining a 容错 decision (S7) to the 诫勉, 问责 or audit finding it is
about, and the decision tells the matter in an official's words, not the sanction clerk's. For
each 予以容错/部分容错 decision, every measure of the same cadre (a sanction of the categories in
``tolerance_coverage.yaml``, or an audit finding) decided within the window around the 认定日期
is a candidate pair, weighed on evidence that survives rewording (:func:`evidence_pairs`), with
the cadre's own unit, post and name cut out of both texts first:

- the **named project or matter** both texts tell (a phrase ending in 工程/项目/改造/建设/整治 …
  with its qualifier: ``江南镇污水管网改造工程`` is ``污水管网改造项目（江南镇）``);
- the **amounts** both name, read as a number of yuan (``120万元`` = ``1,200,000元`` =
  ``一百二十万元``), the **year-months** (``2023年5月`` = ``2023.05`` = ``二〇二三年五月``) and the
  **places** (镇/乡/村/街道/社区);
- the **wording**: the character-bigram overlap coefficient of the two matters (the pairs of
  adjacent characters both hold, over the shorter text's pairs), one signal among the others.

A pair is in the review list (``gold/tolerance_review``) when the weights of what agrees reach
``min_score`` and neither the project nor the amount disagrees (both texts name one and none is
the same: another matter of the same cadre), when the decision cites the measure's reference
(its 文号, or an audit finding's ``审计项目编号/问题编号``: an exact match needing no review) or
when a person decided it in ``tolerance_decisions.csv``; its ``evidence`` says what matched.
(The bigram overlap alone, cut at 0.5, missed every official paraphrase: 0.2–0.5.) Only an exact
or a confirmed pair covers its measure, as the decision's result says (:class:`CoverageRule`); a
rejected pair covers nothing. Polars in, Polars out.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from transforms import normalize as nz
from transforms.events import linked_events


@dataclass(frozen=True)
class CoverageRule:
    """What a covered measure stops doing, for one 认定结果 (``tolerance_coverage.yaml``)."""

    result: str
    clears_bar: bool
    clears_warning: bool
    basis: str


@dataclass(frozen=True)
class EvidenceWeights:
    """``tolerance_coverage.yaml`` ``evidence``: what each kind of agreement adds to a pair's
    score, and the score a pair needs (see :func:`tolerance_review`)."""

    min_score: float = 0.6
    project: float = 0.6
    """The same named project or matter (江南镇污水管网改造工程)."""
    amount: float = 0.45
    """The same amount, in whatever form (120万元 = 1,200,000元 = 一百二十万元)."""
    amount_tolerance: float = 0.01
    """Two amounts this close (a share of the larger) are the same: ``约120万元`` = ``119.6万元``."""
    month: float = 0.15
    """The same year-month (2023年5月 = 2023.05 = 二〇二三年五月)."""
    place: float = 0.1
    """The same town, village, 街道 or 社区 named in both matters."""
    text: float = 0.3
    """The bigram overlap reaches ``min_similarity``."""
    text_strong: float = 0.3
    """… and, added, reaches ``strong_similarity``."""
    strong_similarity: float = 0.8
    min_project_chars: int = 4
    """A project named with fewer characters (its 工程/项目 aside) is generic, not evidence."""


@dataclass(frozen=True)
class TolerancePolicy:
    """``tolerance_coverage.yaml``: which measures a decision may cover and how pairs are found."""

    months_before: int
    """A measure decided up to this many months before the 认定日期 may be covered."""
    months_after: int
    """… or up to this many months after it (a measure decided after a 容错 decision)."""
    min_similarity: float
    """The bigram overlap a pair needs to enter the review list without an exact reference."""
    categories: tuple[str, ...]
    """The sanction categories (处理类别) a decision may cover; audit findings always may."""
    results: Mapping[str, CoverageRule]
    """By 认定结果: what a covered measure stops doing."""
    basis: str
    evidence: EvidenceWeights = EvidenceWeights()
    """How the evidence that survives rewording is weighed."""


REVIEW = pl.Schema(
    {
        "person_no": pl.String(), "case_no": pl.String(), "result": pl.String(),
        "decided_on": pl.Date(), "decision_event_id": pl.String(), "measure_source": pl.String(),
        "measure_key": pl.String(), "measure": pl.String(), "measure_date": pl.Date(),
        "measure_event_id": pl.String(), "days_apart": pl.Int64(), "similarity": pl.Float64(),
        "score": pl.Float64(), "exact": pl.Boolean(), "status": pl.String(), "status_label": pl.String(),
        "clears_bar": pl.Boolean(), "clears_warning": pl.Boolean(), "evidence": pl.String(),
        "decided_by": pl.String(),
    }
)  # fmt: skip
"""``gold/tolerance_review``: one row per (decision, measure) pair, with its evidence. ``status``:
``exact`` (the decision cites the measure), ``confirmed``/``rejected`` (a person decided),
``pending`` (waits for a person). No free text is copied: it holds ID numbers."""
STATUS_LABELS = {
    "exact": "文号相符",
    "confirmed": "已确认",
    "rejected": "已否决",
    "pending": "待复核",
}
DECISION_COLUMNS = ("case_no", "measure_source", "measure_key", "decision", "decided_by")


def bigrams(text: pl.Expr) -> pl.Expr:
    """The distinct pairs of adjacent characters of ``text`` (whitespace and punctuation out)."""
    chars = text.fill_null("").str.replace_all(r"[\s\p{P}]", "").str.split("")
    pairs = chars.list.eval(pl.element() + pl.element().shift(-1)).list.drop_nulls()
    return pairs.list.unique()


def overlap(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """|a ∩ b| / min(|a|, |b|) of two lists of bigrams (0 when either is empty): how much of the
    shorter text the longer holds."""
    shorter = pl.min_horizontal(a.list.len(), b.list.len())
    shared = a.list.set_intersection(b).list.len()
    return pl.when(shorter > 0).then(shared / shorter).otherwise(0.0).round(4)


def matter_texts(
    sanction: pl.LazyFrame, audit: pl.LazyFrame, tolerance: pl.LazyFrame
) -> pl.LazyFrame:
    """The text of each record's matter and the reference others may cite, by lineage."""
    columns = sanction.collect_schema().names()
    document = pl.col("决定文号") if "决定文号" in columns else pl.lit(None, dtype=pl.String)
    parts = [
        sanction.select(pl.lit("sanction").alias("source"), pl.col("事由").alias("matter"),
                        document.alias("reference"), "_source_file", "_source_row"),
        audit.select(pl.lit("audit").alias("source"), pl.col("问题描述").alias("matter"),
                     pl.format("{}/{}", "审计项目编号", "问题编号").alias("reference"),
                     "_source_file", "_source_row"),
        tolerance.select(pl.lit("tolerance").alias("source"), pl.col("事项描述").alias("matter"),
                         pl.lit(None, dtype=pl.String).alias("reference"), "_source_file", "_source_row"),
    ]  # fmt: skip
    return pl.concat(parts, how="vertical_relaxed")


def _matter(text: str) -> pl.Expr:
    """The bigrams of a text that tell its matter: those of the cadre's unit, post and name (on
    either record, the same person by construction) taken out, so that two texts about one
    cadre do not look alike for naming them."""
    who = bigrams(pl.col("_case_who")).list.set_union(bigrams(pl.col("_measure_who")))
    return bigrams(pl.col(text)).list.set_difference(who)


# --- evidence that survives rewording ------------------------------------------------------

_WHO = ("_cu", "_cp", "_cn", "_mu", "_mp", "_mn")
"""Per pair: the unit, post and name each record gives (the same cadre: never evidence)."""
_CUT = (
    r"[\s\p{P}\p{S}]|在|对|于|将|把|因|由|从|向|的|了|该|此|其|同志|时任|牵头|推进|实施|负责|"
    r"组织|参与|开展|承担|主持|分管|落实|推动|督促|办理|致使|导致|造成|涉及|期间|过程"
)
"""Where a noun phrase cannot run on: punctuation, prepositions, and the verbs officials put
before a project (``牵头实施``, ``推进``). What is missed here only leaves words before a name,
which matching by the name's end (below) tolerates."""
_KINDS = "工程|项目|改造|建设|整治|治理|提升|修缮|拆迁|征收|征迁|安置|采购|维修|搬迁"
_PROJECT = rf"[^|]{{0,16}}?(?:{_KINDS})+[款量师队部费]?"
"""A named project or matter: the words of one phrase up to a kind of work (``江南镇污水管网改造
工程``); ``工程款`` and the like are money, not a project, and are dropped."""
_PLACE = r"[^|\d]{2,3}?(?:镇|乡|街道|社区|村)"
_PLACES = rf"(?:^|\|)(?:{_PLACE})+"
"""Towns, villages, 街道 and 社区 where a phrase begins (``江南镇``, ``江南镇安平村``)."""
_AMOUNT = (
    r"\d[\d,，]*(?:\.\d+)?(?:亿元|万元|元)|[〇零一二两三四五六七八九十百千万]+(?:亿元|万元|元)"
)
_MONTH = r"(?:19|20)\d{2}\s*(?:年|\.|-|/)\s*\d{1,2}(?:\D|$)|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月"
_NUMERALS = ["〇", "零", "一", "二", "两", "三", "四", "五", "六", "七", "八", "九"]
_DIGITS = ["0", "0", "1", "2", "2", "3", "4", "5", "6", "7", "8", "9"]


def _strip_who(text: pl.Expr) -> pl.Expr:
    """``text`` with the unit, post and name of both records cut out (a ``|`` in their place)."""
    for who in _WHO:
        w = pl.col(who)  # an absent one splits at a character no text holds
        at = pl.when(w.str.len_chars() > 0).then(w).otherwise(pl.lit("\x00"))
        text = text.str.split(at).list.join("|")
    return text.fill_null("")


def _core(project: pl.Expr) -> pl.Expr:
    """A project's name without its trailing 工程/项目 (officials swap one for the other)."""
    return project.str.replace(r"(?:工程|项目)+$", "")


def _projects(cut: pl.Expr, min_chars: int) -> pl.Expr:
    e = pl.element()
    found = cut.str.extract_all(_PROJECT).list.eval(
        e.filter(~e.str.contains(r"[款量师队部费]$")).str.replace(
            r"^(?:该|此|上述|相关|有关|本|原|各|全|相应)+", ""
        )
    )
    return (
        found.list.eval(e.filter(_core(e).str.len_chars() >= min_chars)).list.unique().list.sort()
    )


def _places(cut: pl.Expr) -> pl.Expr:
    e = pl.element()
    runs = cut.str.extract_all(_PLACES).list.eval(e.str.extract_all(_PLACE)).list.eval(e.explode())
    return runs.list.drop_nulls().list.unique().list.sort()


def _digit(char: pl.Expr) -> pl.Expr:
    return char.str.replace_many(_NUMERALS, _DIGITS).cast(pl.Int64, strict=False)


def _below_10000(text: pl.Expr) -> pl.Expr:
    """Chinese numerals below 万 (三千零五十) as a number."""
    d = "([一二两三四五六七八九])"
    tens = pl.when(text.str.contains("十")).then(_digit(text.str.extract(d + "十")).fill_null(1))
    return (
        _digit(text.str.extract(d + "千")).fill_null(0) * 1000
        + _digit(text.str.extract(d + "百")).fill_null(0) * 100
        + tens.otherwise(0) * 10
        + _digit(text.str.extract(d + "$")).fill_null(0)
    )


def _amounts(text: pl.Expr) -> pl.Expr:
    """Every amount of money, in yuan: ``120万元``, ``1,200,000元``, ``一百二十万元`` → 1200000."""
    e = pl.element()
    unit = e.str.extract(r"(亿元|万元|元)$")
    number = e.str.replace(r"(亿元|万元|元)$", "")
    scale = pl.when(unit == "亿元").then(1e8).when(unit == "万元").then(1e4).otherwise(1.0)
    digits = number.str.replace_all(r"[,，]", "").cast(pl.Float64, strict=False)
    wan = number.str.contains("万")
    chinese = (
        pl.when(wan).then(_below_10000(number.str.extract(r"^(.*)万")) * 10000).otherwise(0)
        + _below_10000(pl.when(wan).then(number.str.extract(r"万(.*)$")).otherwise(number))
    ).cast(pl.Float64)
    yuan = (pl.coalesce(digits, chinese) * scale).round(0).cast(pl.Int64)
    return text.str.extract_all(_AMOUNT).list.eval(yuan.filter(yuan > 0)).list.unique().list.sort()


def _months(text: pl.Expr) -> pl.Expr:
    """Every year-month: ``2023年5月``, ``2023.05``, ``2023-05``, ``二〇二三年五月`` → ``2023-05``."""
    e = pl.element()
    chinese = e.str.contains("^[〇零一二三四五六七八九]")
    month_cn = e.str.extract(r"年([一二三四五六七八九十]{1,2})月")
    month_cn = (
        pl.when(month_cn == "十").then(10)
        .when(month_cn.str.starts_with("十")).then(10 + _digit(month_cn.str.slice(1)))
        .otherwise(_digit(month_cn))
    )  # fmt: skip
    year = (
        pl.when(chinese)
        .then(e.str.slice(0, 4).str.replace_many(_NUMERALS, _DIGITS).cast(pl.Int64, strict=False))
        .otherwise(e.str.extract(r"^(\d{4})").cast(pl.Int64, strict=False))
    )
    month = (
        pl.when(chinese)
        .then(month_cn)
        .otherwise(
            e.str.extract(r"^\d{4}\s*(?:年|\.|-|/)\s*(\d{1,2})").cast(pl.Int64, strict=False)
        )
    )
    money = e.str.contains(r"[万元亿千百]$")  # 2000.5万元 is money, not May 2000
    ok = (month >= 1) & (month <= 12) & ~money
    text_month = pl.format("{}-{}", year, month.cast(pl.String).str.zfill(2))
    found = text.str.extract_all(_MONTH).list.eval(text_month.filter(ok))
    return found.list.unique().list.sort()


def _yuan(amount: pl.Expr) -> pl.Expr:
    """An amount as a person reads it: 1200000 → ``120万元``, 1234 → ``1234元``."""
    return (
        pl.when(amount % 10000 == 0).then(pl.format("{}万元", amount // 10000))
        .when(amount % 100 == 0).then(pl.format("{}万元", (amount / 10000).round(2)))
        .otherwise(pl.format("{}元", amount))
    )  # fmt: skip


def evidence_pairs(
    pairs: pl.LazyFrame, weights: "EvidenceWeights", min_similarity: float
) -> pl.LazyFrame:
    """``pairs`` (a decision's and a measure's matter texts, ``_case_text``/``_measure_text``,
    with each record's unit, post and name, and their bigram ``similarity``) with what agrees:

    - ``_project``: the same named project or matter — a phrase ending in a kind of work
      (工程/项目/改造/建设/整治 …, ``_KINDS``) with its qualifier, at least ``min_project_chars``
      characters besides 工程/项目, where one name ends the other (an official drops the town or
      writes 项目 for 工程: ``污水管网改造项目`` is ``江南镇污水管网改造工程``);
    - ``_amounts``, ``_months``, ``_places``: the amounts (in yuan; the decision's, where the
      measure names one within ``amount_tolerance``: ``约120万元`` is ``119.6万元``), year-months
      and places both texts name;
    - ``score``: the weights of what agrees (``tolerance_coverage.yaml``), the bigram overlap one
      signal among them; ``_conflict``: both texts name a project, or an amount, and none agrees
      (another matter: no score pairs it);
    - ``_agrees``: what agrees, written out for the review row.

    Who the records are about (unit, post, name of either) is cut out of both texts first: the
    same cadre is shared by construction and never evidence.
    """
    w = weights
    texts = ("_case_text", "_measure_text")
    raw = {t: pl.col(f"{t}_") for t in texts}
    cut = {t: pl.col(f"{t}_").str.replace_all(_CUT, "|") for t in texts}
    found = (
        pairs.with_row_index("_pid")
        .with_columns(_strip_who(pl.col(t)).alias(f"{t}_") for t in texts)
        .with_columns(
            _projects(cut["_case_text"], w.min_project_chars).alias("_cp_"),
            _projects(cut["_measure_text"], w.min_project_chars).alias("_mp_"),
            _places(cut["_case_text"]).list.set_intersection(_places(cut["_measure_text"])).alias("_places"),
            _amounts(raw["_case_text"]).alias("_ca_"),
            _amounts(raw["_measure_text"]).alias("_ma_"),
            _months(raw["_case_text"]).list.set_intersection(_months(raw["_measure_text"])).alias("_months"),
        )
    )  # fmt: skip
    a = found.select("_pid", pl.col("_cp_").alias("_a")).explode("_a").drop_nulls("_a")
    b = found.select("_pid", pl.col("_mp_").alias("_b")).explode("_b").drop_nulls("_b")
    ca, cb = _core(pl.col("_a")), _core(pl.col("_b"))
    shorter = pl.min_horizontal(ca.str.len_chars(), cb.str.len_chars())
    same = (ca.str.ends_with(cb) | cb.str.ends_with(ca)) & (shorter >= w.min_project_chars)
    longer = (
        pl.when(pl.col("_a").str.len_chars() >= pl.col("_b").str.len_chars())
        .then("_a")
        .otherwise("_b")
    )
    named = (
        a.join(b, on="_pid").filter(same)
        .group_by("_pid").agg(longer.sort_by(longer.str.len_chars(), descending=True).first().alias("_project"))
    )  # fmt: skip
    x = found.select("_pid", pl.col("_ca_").alias("_x")).explode("_x").drop_nulls("_x")
    y = found.select("_pid", pl.col("_ma_").alias("_y")).explode("_y").drop_nulls("_y")
    close = (pl.col("_x") - pl.col("_y")).abs() <= w.amount_tolerance * pl.max_horizontal(
        "_x", "_y"
    )
    amounts = (
        x.join(y, on="_pid").filter(close)
        .group_by("_pid").agg(pl.col("_x").unique().sort().alias("_amounts"))
    )  # fmt: skip

    def both(a: str, b: str) -> pl.Expr:
        return (pl.col(a).list.len() > 0) & (pl.col(b).list.len() > 0)

    hit = {
        "project": pl.col("_project").is_not_null(),
        "amount": pl.col("_amounts").list.len() > 0,
        "month": pl.col("_months").list.len() > 0,
        "place": pl.col("_places").list.len() > 0,
        "text": pl.col("similarity") >= min_similarity,
        "text_strong": pl.col("similarity") >= w.strong_similarity,
    }
    score = pl.sum_horizontal(*(h.cast(pl.Float64) * getattr(w, k) for k, h in hit.items()))
    conflict = (both("_cp_", "_mp_") & ~hit["project"]) | (both("_ca_", "_ma_") & ~hit["amount"])

    def listed(column: str, form: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
        return pl.col(column).list.eval(form(pl.element())).list.join("、")

    agrees = pl.concat_str(
        pl.when(hit["project"]).then(pl.format("项目「{}」", "_project")),
        pl.when(hit["amount"]).then(pl.format("金额 {}", listed("_amounts", _yuan))),
        pl.when(hit["month"]).then(pl.format("时间 {}", pl.col("_months").list.join("、"))),
        pl.when(hit["place"]).then(pl.format("地点 {}", pl.col("_places").list.join("、"))),
        separator="，", ignore_nulls=True,
    )  # fmt: skip
    return (
        found.join(named, on="_pid", how="left")
        .join(amounts, on="_pid", how="left")
        .with_columns(pl.col("_amounts").fill_null(pl.lit([], dtype=pl.List(pl.Int64))))
        .with_columns(
            score.round(4).alias("score"), conflict.alias("_conflict"), agrees.alias("_agrees")
        )
        .drop("_pid", "_cp_", "_mp_", "_ca_", "_ma_", "_case_text_", "_measure_text_")
    )


def _offset(months: int) -> str:
    return f"{months}mo"


def candidate_pairs(
    events: pl.LazyFrame, matters: pl.LazyFrame, policy: TolerancePolicy
) -> pl.LazyFrame:
    """Every (decision, measure) pair of one cadre within the window, with its bigram
    ``similarity``, its evidence (:func:`evidence_pairs`) and ``exact`` (a cited reference)."""
    linked = linked_events(events).join(
        matters, on=["source", "_source_file", "_source_row"], how="left"
    )
    results = list(policy.results)
    cases = linked.filter(
        (pl.col("source") == "tolerance") & pl.col("outcome").is_in(results)
    ).select(
        "person_no", pl.col("source_key").alias("case_no"), pl.col("outcome").alias("result"),
        pl.col("event_date").alias("decided_on"), pl.col("event_id").alias("decision_event_id"),
        pl.col("matter").alias("_case_text"),
        pl.concat_str("unit_given", "post_given", "subject_name", ignore_nulls=True).alias("_case_who"),
        pl.col("unit_given").alias("_cu"), pl.col("post_given").alias("_cp"), pl.col("subject_name").alias("_cn"),
    )  # fmt: skip
    is_measure = (pl.col("source") == "audit") | (
        (pl.col("source") == "sanction")
        & pl.col("category").is_in(list(policy.categories))
        & pl.col("counts_against")
    )
    measures = linked.filter(is_measure).select(
        "person_no", pl.col("source").alias("measure_source"),
        pl.when(pl.col("source") == "sanction").then(nz.mask_id_numbers(pl.col("source_key")))
        .otherwise(pl.col("source_key")).alias("measure_key"),
        pl.concat_str(pl.col("category").fill_null("—"), pl.lit("/"), pl.col("outcome").fill_null("—")).alias("measure"),
        pl.col("event_date").alias("measure_date"), pl.col("event_id").alias("measure_event_id"),
        pl.col("matter").alias("_measure_text"), pl.col("reference").alias("_reference"),
        pl.concat_str("unit_given", "post_given", "subject_name", ignore_nulls=True).alias("_measure_who"),
        pl.col("unit_given").alias("_mu"), pl.col("post_given").alias("_mp"), pl.col("subject_name").alias("_mn"),
    )  # fmt: skip
    window = pl.col("measure_date").is_between(
        pl.col("decided_on").dt.offset_by(_offset(-policy.months_before)),
        pl.col("decided_on").dt.offset_by(_offset(policy.months_after)),
    )
    exact = pl.col("_reference").is_not_null() & (pl.col("_reference").str.len_chars() > 0)
    exact = (exact & pl.col("_case_text").fill_null("").str.contains(pl.col("_reference"), literal=True)).fill_null(False)  # fmt: skip
    pairs = (
        cases.join(measures, on="person_no")
        .filter(window)
        .with_columns(
            overlap(_matter("_case_text"), _matter("_measure_text")).alias("similarity"),
            exact.alias("exact"),
            (pl.col("measure_date") - pl.col("decided_on")).dt.total_days().abs().alias("days_apart"),
        )
    )  # fmt: skip
    return evidence_pairs(pairs, policy.evidence, policy.min_similarity)


def tolerance_review(
    events: pl.LazyFrame,
    matters: pl.LazyFrame,
    decisions: pl.DataFrame,
    policy: TolerancePolicy,
) -> pl.LazyFrame:
    """``gold/tolerance_review``: the pairs a 容错 decision plausibly covers (see the module):
    an exact reference, a person's decision, or evidence scoring ``min_score`` without a
    conflict."""
    reviewed = decisions.lazy().select(
        "case_no", "measure_source", "measure_key", pl.col("decision").alias("_decision"),
        "decided_by",
    )  # fmt: skip
    w = policy.evidence
    matched = (pl.col("score") >= w.min_score) & ~pl.col("_conflict")
    pairs = (
        candidate_pairs(events, matters, policy)
        .join(reviewed, on=["case_no", "measure_source", "measure_key"], how="left")
        .filter(pl.col("exact") | matched | pl.col("_decision").is_not_null())
    )
    status = (
        pl.when(pl.col("_decision") == "reject").then(pl.lit("rejected"))
        .when(pl.col("_decision") == "confirm").then(pl.lit("confirmed"))
        .when(pl.col("exact")).then(pl.lit("exact"))
        .otherwise(pl.lit("pending"))
    )  # fmt: skip
    rule = {r: (c.clears_bar, c.clears_warning) for r, c in policy.results.items()}
    evidence = pl.concat_str(
        pl.lit("同一干部；措施日期与认定日期相差 "), pl.col("days_apart").cast(pl.String),
        pl.lit(f" 天（窗口：认定前 {policy.months_before} 个月至认定后 {policy.months_after} 个月）；"),
        pl.when(pl.col("_agrees") != "").then(pl.format("相符：{}；", "_agrees")).otherwise(pl.lit("")),
        pl.lit("事由相似度（字符二元组重合系数）"), pl.col("similarity").cast(pl.String),
        pl.lit("；证据得分 "), pl.col("score").cast(pl.String),
        pl.when(pl.col("_conflict")).then(pl.lit("（项目或金额不符）")).otherwise(pl.lit("")),
        pl.when(pl.col("exact")).then(pl.lit("；认定材料载明该措施文号")).otherwise(pl.lit("")),
    )  # fmt: skip
    return (
        pairs.with_columns(status.alias("status"))
        .with_columns(
            pl.col("status").replace_strict(STATUS_LABELS).alias("status_label"),
            pl.col("result")
            .replace_strict({r: b for r, (b, _) in rule.items()}, return_dtype=pl.Boolean)
            .alias("clears_bar"),
            pl.col("result")
            .replace_strict({r: w for r, (_, w) in rule.items()}, return_dtype=pl.Boolean)
            .alias("clears_warning"),
            evidence.alias("evidence"),
        )  # fmt: skip
        .select(list(REVIEW))
        .cast(REVIEW)
        .sort("person_no", "case_no", "measure_event_id")
    )


def covered_measures(review: pl.LazyFrame) -> pl.LazyFrame:
    """The measures a 容错 decision covers: its exact or confirmed pairs, one row per measure
    (``event_id``), the strongest effect when several decisions cover it, the case numbers (a
    confirmed pair's with who confirmed it: ``RC2024-0005 经李明复核确认``)."""
    return (
        review.filter(pl.col("status").is_in(["exact", "confirmed"]))
        .group_by(pl.col("measure_event_id").alias("event_id"))
        .agg(
            pl.col("clears_bar").any(),
            pl.col("clears_warning").any(),
            # A pair a person confirmed says who: the profile marks what rests on a decision.
            pl.when(pl.col("status") == "confirmed")
            .then(
                pl.format("{} 经{}复核确认", pl.col("case_no"), pl.col("decided_by").fill_null("—"))
            )
            .otherwise(pl.col("case_no"))
            .unique()
            .sort()
            .str.join("、")
            .alias("tolerated_by"),
            pl.col("result").unique().sort().str.join("、").alias("tolerance_result"),
        )
        .sort("event_id")
    )


def mark_tolerated(events: pl.LazyFrame, covered: pl.LazyFrame) -> pl.LazyFrame:
    """``events`` with ``tolerated_by`` (the case numbers, null when not covered) and
    ``tolerance_result``; a measure whose coverage clears both bar and warning (予以容错) no longer
    counts against the cadre."""
    marked = events.join(covered, on="event_id", how="left", maintain_order="left")
    full = pl.col("clears_bar").fill_null(False) & pl.col("clears_warning").fill_null(False)
    return marked.with_columns((pl.col("counts_against") & ~full).alias("counts_against")).drop(
        "clears_bar", "clears_warning"
    )
