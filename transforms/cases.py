"""The typical-case library (典型案例库) of 容错纠错 decisions, de-identified.

Cases come from ``bronze/tolerance`` (decisions marked 可否公开) and from audit findings tolerated
under all five of the "五个看". Each keeps a stable public id (a hash of its source key), the
field, the facts with every identifying detail removed, which of the six elements held or failed,
the 三个区分开来 judgement and the correction; refusals (不予容错) are kept as counter-examples
with their exclusion.

De-identification is :mod:`transforms.deid` (法释〔2016〕19号 arts. 8–10): each case's texts are
done together, so one person has one pseudonym throughout the case (``张某甲``/``张某乙`` when two
would both be ``张某``), and ``removed`` counts what was taken out, by kind (never the values), so
an auditor can review the removals.
"""

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from transforms.deid import Deidentifier, DeidRules, generic_unit
from transforms.specs import FIVE_CHECKS, SIX_ELEMENTS


@dataclass(frozen=True)
class Exclusion:
    """One row of ``tolerance_exclusions.csv``: a situation never tolerated (谋取私利 …)."""

    exclusion_id: str
    text: str
    basis: str


def public_id(source: str, key: str) -> str:
    """A stable id that reveals nothing: the same source record always gets the same id."""
    return "TC-" + hashlib.sha256(f"{source}|{key}".encode()).hexdigest()[:10].upper()


def _elements(row: dict[str, object]) -> tuple[list[str], list[str]]:
    held = [e for e in SIX_ELEMENTS if str(row.get(e) or "").startswith("符合")]
    failed = [e for e in SIX_ELEMENTS if str(row.get(e) or "").startswith("不符合")]
    return held, failed


def _once(ids: list[str]) -> set[str]:
    """The ids that appear exactly once."""
    return {i for i, n in Counter(ids).items() if n == 1}


def _exclusion(text: str | None, exclusions: Sequence[Exclusion]) -> str | None:
    if not text:
        return None
    return next((e.exclusion_id for e in exclusions if e.text in text), "EX-OTHER")


TOLERANCE_READS = ("案例编号", "可否公开", "姓名", "单位", "职务", "领域", "认定日期", "认定结果",
                   *SIX_ELEMENTS, "事项描述", "三个区分开来", "不予容错情形", "纠错措施")  # fmt: skip
"""The columns of ``bronze/tolerance`` a case is made from (the others are not read)."""
AUDIT_READS = ("审计项目编号", "问题编号", "容错认定", *FIVE_CHECKS, "被审计领导干部", "被审计单位",
               "问题类型", "问题描述", "涉及金额_万元", "报告日期")  # fmt: skip
"""The columns of ``bronze/audit`` a case is made from."""


@dataclass(frozen=True)
class EarlierCases:
    """The case library as an earlier run made it, and the bronze rows it was made from. A case
    depends on its own source row, the roster's names and units, the rules and the code; the
    caller hands this over only when the last three are those of this run, so a case whose row
    is the same is carried as it was instead of being de-identified again."""

    cases: pl.LazyFrame
    tolerance: pl.LazyFrame
    audit: pl.LazyFrame


def _tolerance_case(case_id: str, row: dict[str, Any], deid: Deidentifier) -> dict[str, Any]:
    held, failed = _elements(row)
    done = deid.case(
        [row["事项描述"], row["三个区分开来"], row["纠错措施"]], row["姓名"], row["单位"]
    )
    facts, distinction, correction = done.texts
    return {
        "case_id": case_id,
        "origin": "容错纠错认定",
        "year": row["认定日期"].year if row["认定日期"] else None,
        "field": row["领域"],
        "result": row["认定结果"],
        "person": done.person,
        "unit": generic_unit(row["单位"]),
        "post": row["职务"],
        "facts": facts,
        "elements_held": held,
        "elements_failed": failed,
        "distinction": distinction,
        "exclusion": row["不予容错情形"],
        "correction": correction,
        "counter_example": row["认定结果"] == "不予容错",
        "removed": done.removed_list(),
    }


def _audit_case(case_id: str, row: dict[str, Any], deid: Deidentifier) -> dict[str, Any]:
    done = deid.case([row["问题描述"]], row["被审计领导干部"], row["被审计单位"])
    return {
        "case_id": case_id,
        "origin": "审计容错认定（五个看）",
        "year": row["报告日期"].year if row["报告日期"] else None,
        "field": row["问题类型"],
        "result": "予以容错",
        "person": done.person,
        "unit": generic_unit(row["被审计单位"]),
        "post": None,
        "facts": done.texts[0],
        "elements_held": list(FIVE_CHECKS),
        "elements_failed": [],
        "distinction": None,
        "exclusion": None,
        "correction": None,
        "counter_example": False,
        "amount_wan": row["涉及金额_万元"],
        "removed": done.removed_list(),
    }


Maker = Callable[[str, dict[str, Any], Deidentifier], dict[str, Any]]


def _sources(
    tolerance: pl.DataFrame, audit: pl.DataFrame
) -> list[tuple[str, str, Maker, dict[str, Any]]]:
    """Each source row a case is made from, in the library's order before sorting: (case id, a
    digest of the row, the function that makes the case, the row: the columns read, no other)."""
    five = pl.all_horizontal(pl.col(c).fill_null(False) for c in FIVE_CHECKS)
    public = tolerance.filter(pl.col("可否公开").fill_null(False))
    tolerated = audit.filter((pl.col("容错认定") == "予以容错") & five)
    out: list[tuple[str, str, Maker, dict[str, Any]]] = []
    for origin, frame, reads, make in (("tolerance", public, TOLERANCE_READS, _tolerance_case),
                                       ("audit", tolerated, AUDIT_READS, _audit_case)):  # fmt: skip
        for row in frame.select(reads).iter_rows(named=True) if frame.height else ():
            key = (
                row["案例编号"]
                if origin == "tolerance"
                else f"{row['审计项目编号']}/{row['问题编号']}"
            )
            digest = hashlib.sha256(repr((origin, tuple(row.items()))).encode()).hexdigest()
            out.append((public_id(origin, key), digest, make, row))
    return out


def tolerance_cases(
    tolerance: pl.DataFrame,
    audit: pl.DataFrame,
    roster_names: Sequence[str],
    roster_units: Sequence[str],
    exclusions: Sequence[Exclusion] = (),
    fields: Sequence[str] = (),
    *,
    deid_rules: DeidRules,
    earlier: EarlierCases | None = None,
) -> pl.DataFrame:
    """``gold/tolerance_case``: publishable 容错纠错 decisions and 五个看 audit cases, de-identified.

    ``tolerance`` and ``audit`` are the bronze tables; ``roster_names``/``roster_units`` are every
    name and unit of the roster, removed wherever they appear in a text; ``deid_rules``
    (``deid_rules.csv``) say what else goes and what stays. ``exclusions``
    (``tolerance_exclusions.csv``) classify refusals (``exclusion_id``; ``EX-OTHER`` for a reason
    not in the list); ``fields`` (``fields.csv``) classify cases (``field_class``; ``其他``).
    ``earlier``: a case whose source row (the columns read) is the one it was made from there,
    and whose id is that of one row on both sides, is taken as it was, not made again.
    """
    known_fields = set(fields)
    sources = _sources(tolerance, audit)
    reusable: dict[str, dict[str, Any]] = {}
    try:
        before = _sources(earlier.tolerance.collect(), earlier.audit.collect()) if earlier else None
    except pl.exceptions.ColumnNotFoundError:  # rows of an older bronze schema: nothing to compare
        before = None
    if earlier is not None and before is not None:
        was = {case_id: digest for case_id, digest, _, _ in before}
        once = _once([s[0] for s in sources]) & _once([b[0] for b in before])
        same = {
            case_id
            for case_id, digest, _, _ in sources
            if case_id in once and was[case_id] == digest
        }
        kept = earlier.cases.filter(pl.col("case_id").is_in(sorted(same))).collect()
        reusable = {row["case_id"]: row for row in kept.iter_rows(named=True)}
    deid: Deidentifier | None = None  # built when a case is made: the roster's lexicons take time
    rows = []
    for case_id, _, make, row in sources:
        if case_id in reusable:
            rows.append(reusable[case_id])
            continue
        deid = deid or Deidentifier(deid_rules, roster_names, roster_units)
        rows.append(make(case_id, row, deid))
    for case in rows:
        case["exclusion_id"] = _exclusion(case["exclusion"], exclusions)
        case["field_class"] = case["field"] if case["field"] in known_fields else "其他"
    schema = pl.Schema(
        {
        "case_id": pl.String(), "origin": pl.String(), "year": pl.Int32(), "field": pl.String(),
        "result": pl.String(), "person": pl.String(), "unit": pl.String(), "post": pl.String(),
        "facts": pl.String(), "elements_held": pl.List(pl.String()), "elements_failed": pl.List(pl.String()),
        "distinction": pl.String(), "exclusion": pl.String(), "correction": pl.String(),
        "counter_example": pl.Boolean(), "amount_wan": pl.Float64(), "exclusion_id": pl.String(),
        "field_class": pl.String(), "removed": pl.List(pl.Struct({"kind": pl.String(), "count": pl.Int32()})),
        }
    )  # fmt: skip
    return pl.DataFrame(rows, schema=schema).sort("case_id")
