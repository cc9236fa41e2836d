"""The expectation suites, as code: one per bronze and silver table.

A :class:`Suite` is plain data (expectation class names and their arguments, each with a stable id,
a severity and a sentence saying why an auditor cares), so it can be read, tested and
fingerprinted without importing Great Expectations; :mod:`quality.gx_runner` turns it into a GX
``ExpectationSuite`` when it validates. Bronze suites are derived from the source specs (required
fields, vocabularies, dates, ID numbers, amounts, keys) plus the rules a spec cannot say (收件日期 ≤
办结日期, 6-digit region codes …).

Severity: ``ERROR`` blocks the table (nothing of it is published, the run fails naming the
expectation and partition); ``WARN`` is recorded and reported.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from transforms import specs as source_specs
from transforms.specs import EVENT_SOURCES, SPECS, FieldSpec, SourceSpec, date_bounds
from warehouse.clock import today

Severity = Literal["ERROR", "WARN"]

EARLIEST = datetime.combine(source_specs.EARLIEST, time.min)
"""No supervision record predates the founding of the PRC: an earlier date is a broken export."""

KEY = "_key"
"""A column the validator adds: the record key joined into one text (nulls as empty)."""
PARTITION = "_partition"
"""A column the validator adds: the partition a row is in (``all`` for an unpartitioned table)."""

FUTURE_DATES = source_specs.FUTURE_DATES
"""Dates that may lie after the as-of date: deadlines and the end of an influence period."""


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite.

    Attributes:
        id: stable name, unique in its suite, shown in reports and run failures.
        gx: the Great Expectations 1.x expectation class (``ExpectColumnValuesToBeInSet``).
        kwargs: its arguments.
        severity: ``ERROR`` (blocking) or ``WARN``.
        why: what an auditor learns when it fails.
    """

    id: str
    gx: str
    kwargs: Mapping[str, Any]
    severity: Severity
    why: str

    @property
    def condition(self) -> tuple[str, str] | None:
        """The ``row_condition`` as (column, value): only ``column=="value"`` is used here."""
        text = self.kwargs.get("row_condition")
        if not text:
            return None
        match = re.fullmatch(r'\s*(\w+)\s*==\s*"([^"]*)"\s*', str(text))
        if match is None:
            raise ValueError(f"{self.id}: row condition not understood: {text!r}")
        return match.group(1), match.group(2)

    @property
    def columns(self) -> tuple[str, ...]:
        cols = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        cols += list(self.kwargs.get("column_list", ()))
        cols += [self.condition[0]] if self.condition else []
        return tuple(dict.fromkeys(c for c in cols if c))


@dataclass(frozen=True)
class Suite:
    """The expectations of one table, and how its rows are grouped and keyed."""

    table: str
    expectations: tuple[Expectation, ...]
    key: tuple[str, ...] = ()
    partition: str | None = None
    as_of: date | None = None

    @property
    def name(self) -> str:
        return self.table.replace("/", ".")

    def columns(self) -> list[str]:
        """The table columns the expectations read (GX's frame is projected to these; the key
        fields arrive joined as ``_key``, not one by one)."""
        used = [c for e in self.expectations for c in e.columns if c not in (KEY, PARTITION)]
        return list(dict.fromkeys(used))

    def fingerprint(self) -> str:
        body = [(e.id, e.gx, dict(e.kwargs), e.severity) for e in self.expectations]
        text = json.dumps([self.table, body, self.key], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def by_id(self) -> dict[str, Expectation]:
        return {e.id: e for e in self.expectations}


def expect(id_: str, gx: str, severity: Severity, why: str, **kwargs: Any) -> Expectation:
    return Expectation(id_, gx, kwargs, severity, why)


def _field_expectations(spec: FieldSpec, as_of: datetime) -> list[Expectation]:
    col = spec.column
    out: list[Expectation] = []
    if spec.required and spec.unless is None:  # a waived one is checked by the quarantine rule
        out.append(
            expect(f"{col}.present", "ExpectColumnValuesToNotBeNull", "ERROR",
               f"{spec.name} is required: a row without it cannot be traced", column=col)
        )  # fmt: skip
    if spec.kind == "enum":
        known = sorted(set((spec.vocabulary or {}).values()))
        out.append(
            expect(f"{col}.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
               f"{spec.name} must be one of the codes the rules know: {'、'.join(known)}",
               column=col, value_set=known)
        )  # fmt: skip
    elif spec.kind in ("date", "datetime", "year_month"):
        # The same bounds as cleaning's quarantine rule (``<field>.plausible_date``): a row
        # outside them is quarantined before this runs, so this only guards the rule itself.
        earliest, last = date_bounds(spec, as_of.date())
        latest = datetime.combine(last, time.max if spec.kind == "datetime" else time.min)
        what = "a deadline within 30 years" if spec.name in FUTURE_DATES else "not in the future"
        out.append(
            expect(f"{col}.plausible", "ExpectColumnValuesToBeBetween", "ERROR",
               f"{spec.name} must be on or after {earliest.isoformat()} and {what}",
               column=col, min_value=datetime.combine(earliest, time.min), max_value=latest)
        )  # fmt: skip
    elif spec.kind == "amount":
        out.append(
            expect(f"{col}.non_negative", "ExpectColumnValuesToBeBetween", "ERROR",
               f"{spec.name} is an amount and cannot be negative", column=col, min_value=0)
        )  # fmt: skip
    elif spec.kind == "ratio":
        out.append(
            expect(f"{col}.share", "ExpectColumnValuesToBeBetween", "ERROR",
               f"{spec.name} is a share between 0 and 1", column=col, min_value=0, max_value=1)
        )  # fmt: skip
    elif spec.kind == "id_number":
        out.append(
            expect(f"{col}.check_character", "ExpectColumnValuesToNotBeInSet", "WARN",
               f"{spec.name}: 18 characters with a valid GB 11643 check character; a failing "
               "number is kept but is no evidence of identity",
               column=f"{col}_状态", value_set=["bad_check", "bad_birth_date", "malformed"])
        )  # fmt: skip
        out.append(
            expect(f"{col}.format", "ExpectColumnValuesToMatchRegex", "ERROR",
               f"{spec.name} as landed is 17 digits and a digit or X", column=col,
               regex=r"^\d{17}[\dX]$")
        )  # fmt: skip
    return out


def _at_least(a: str, b: str, id_: str, severity: Severity, why: str) -> Expectation:
    """Column ``a`` ≥ column ``b`` where both are present (a later date, a larger count)."""
    return expect(id_, "ExpectColumnPairValuesAToBeGreaterThanB", severity, why, column_A=a,
              column_B=b, or_equal=True, ignore_row_if="either_value_is_missing")  # fmt: skip


def _extra(spec: SourceSpec, as_of: datetime) -> list[Expectation]:
    """Rules a field spec cannot say: orders between dates, codes, ranges."""
    if spec.name == "roster":
        return [
            expect("行政区划代码.six_digits", "ExpectColumnValuesToMatchRegex", "ERROR",
               "region codes (GB/T 2260) are 6 digits", column="行政区划代码", regex=r"^\d{6}$"),
        ]  # fmt: skip
    if spec.name == "post_history":
        return [
            _at_least("免职时间", "任职时间", "免职时间.not_before_任职时间", "ERROR",
                      "a post cannot end before it began"),
        ]  # fmt: skip
    if spec.name == "petition":
        return [
            _at_least("办结日期", "收件日期", "办结日期.not_before_收件日期", "ERROR",
                      "a petition cannot be closed before it was received"),
        ]  # fmt: skip
    if spec.name == "tolerance":
        return [
            _at_least("认定日期", "申请日期", "认定日期.not_before_申请日期", "ERROR",
                      "a tolerance decision cannot precede its application"),
        ]  # fmt: skip
    if spec.name == "assessment":
        return [
            expect("考核年度.plausible", "ExpectColumnValuesToBeBetween", "ERROR",
               "an assessment year between 1990 and the as-of year",
               column="考核年度", min_value=1990, max_value=as_of.year),
            _at_least("单位人数", "单位内排名", "单位内排名.within_单位人数", "WARN",
                      "a rank within the unit cannot exceed the unit's head count"),
            expect("综合得分.range", "ExpectColumnValuesToBeBetween", "WARN",
               "a composite score between 0 and 100", column="综合得分", min_value=0, max_value=100),
        ]  # fmt: skip
    if spec.name == "sanction":
        return [
            expect("留党察看期限.months", "ExpectColumnValuesToBeInSet", "ERROR",
               "留党察看 lasts one or two years (纪律处分条例)", column="留党察看期限",
               value_set=[12, 24]),
        ]  # fmt: skip
    return []


VERSIONED = {"roster": ("更新时间",), "petition": ("更新时间",), "inspection": ("_source_file",)}
"""Sources that export several versions of one record: the key is unique per version (a
re-issued inspection workbook is a later file; the latest file wins when events are built)."""


def bronze_suite(spec: SourceSpec, as_of: date) -> Suite:
    """The suite of ``bronze/<source>``: every field's rule, the key, and the source's extras."""
    moment = datetime.combine(as_of, datetime.min.time())
    key = (*spec.key, *VERSIONED.get(spec.name, ()))
    expectations = [e for f in spec.fields for e in _field_expectations(f, moment)]
    expectations += _extra(spec, moment)
    expectations.append(
        expect("key.unique_in_partition", "ExpectColumnValuesToBeUnique", "ERROR",
           f"a record key ({' + '.join(key)}) appears once per partition", column=KEY)
    )  # fmt: skip
    partition = spec.partition[1] if spec.partition else None
    return Suite(f"bronze/{spec.name}", tuple(expectations), key, partition, as_of)


def silver_cadre_suite(as_of: date) -> Suite:
    moment = datetime.combine(as_of, datetime.min.time())
    return Suite(
        "silver/cadre",
        (
            expect("person_no.present", "ExpectColumnValuesToNotBeNull", "ERROR",
               "every cadre has a 人员编号", column="person_no"),
            expect("name.present", "ExpectColumnValuesToNotBeNull", "ERROR",
               "every cadre has a name", column="name"),
            expect("scope_level.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
               "管理权限 decides who may read the profile: 省管、市管、县管",
               column="scope_level", value_set=["省管", "市管", "县管"]),
            expect("id_number.format", "ExpectColumnValuesToMatchRegex", "ERROR",
               "a cadre's ID number, where kept, is valid", column="id_number",
               regex=r"^\d{17}[\dX]$"),
            expect("region.six_digits", "ExpectColumnValuesToMatchRegex", "ERROR",
               "region codes are 6 digits", column="region", regex=r"^\d{6}$"),
            expect("post_since.plausible", "ExpectColumnValuesToBeBetween", "ERROR",
               "任现职时间 between 1949-10-01 and the as-of date",
               column="post_since", min_value=EARLIEST, max_value=moment),
            expect("key.unique_in_partition", "ExpectColumnValuesToBeUnique", "ERROR",
               "one row per cadre", column=KEY),
        ),
        key=("person_no",),
        as_of=as_of,
    )  # fmt: skip


def silver_post_suite(as_of: date) -> Suite:
    """The suite of ``silver/cadre_post``: every interval names its cadre, unit and start order."""
    return Suite(
        "silver/cadre_post",
        (
            expect("person_no.present", "ExpectColumnValuesToNotBeNull", "ERROR",
                   "every post is of a cadre", column="person_no"),
            expect("unit.present", "ExpectColumnValuesToNotBeNull", "ERROR",
                   "every post names its unit (as named then)", column="unit"),
            expect("origin.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
                   "a post comes from the post history (S8) or the roster",
                   column="origin", value_set=["post_history", "roster"]),
            _at_least("end", "start", "end.not_before_start", "ERROR",
                      "a post cannot end before it began"),
            expect("key.unique_in_partition", "ExpectColumnValuesToBeUnique", "ERROR",
                   "one row per cadre, unit, post and start", column=KEY),
        ),
        key=("person_no", "unit", "post", "start"),
        as_of=as_of,
    )  # fmt: skip


LINK_STATUS = ["linked", "review", "unlinked"]


def silver_event_suite(as_of: date) -> Suite:
    """The suite of ``silver/supervision_event``."""
    moment = datetime.combine(as_of, datetime.min.time())
    return Suite(
        "silver/supervision_event",
        (
            expect("source.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
               "events come from the known sources", column="source",
               value_set=sorted(EVENT_SOURCES)),
            expect("link_status.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
               "every event is linked, in review or unlinked", column="link_status",
               value_set=LINK_STATUS),
            expect("link_status.present", "ExpectColumnValuesToNotBeNull", "ERROR",
               "every event has a link status", column="link_status"),
            expect("person_no.when_linked", "ExpectColumnValuesToNotBeNull", "ERROR",
               "a linked event names its cadre", column="person_no",
               row_condition='link_status=="linked"', condition_parser="pandas"),
            expect("link_score.range", "ExpectColumnValuesToBeBetween", "ERROR",
               "a link score between 0 and 1", column="link_score", min_value=0, max_value=1),
            expect("event_date.plausible", "ExpectColumnValuesToBeBetween", "ERROR",
               "an event date between 1949-10-01 and the as-of date",
               column="event_date", min_value=EARLIEST, max_value=moment),
            expect("source_key.present", "ExpectColumnValuesToNotBeNull", "ERROR",
               "every event traces to its source record", column="source_key"),
            expect("key.unique_in_partition", "ExpectColumnValuesToBeUnique", "ERROR",
               "an event id appears once", column=KEY),
        ),
        key=("event_id",),
        partition="source",
        as_of=as_of,
    )  # fmt: skip


GOLD_SUITES: dict[str, tuple[tuple[str, ...], tuple[Expectation, ...]]] = {
    "gold/promotion_check": (("person_no",), (
        expect("person_no.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "every check names its cadre", column="person_no"),
        expect("barred.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "every cadre is barred or not, never unknown", column="barred"),
    )),
    "gold/warning": (("person_no", "rule_id"), (
        expect("level.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "a warning is red, yellow or blue", column="level", value_set=["red", "yellow", "blue"]),
        expect("rule_id.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "a warning names the rule that raised it", column="rule_id"),
        expect("events.at_least_one", "ExpectColumnValuesToBeBetween", "ERROR",
           "a warning is raised by at least one record", column="events", min_value=1),
    )),
    "gold/clearance": (("event_id",), (
        expect("person_no.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "a clearance names its cadre", column="person_no"),
    )),
    "gold/cadre_profile": (("person_no",), (
        expect("scope_level.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "管理权限 decides who may read the profile", column="scope_level",
           value_set=["省管", "市管", "县管"]),
        expect("warning_level.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "a profile's warning level is red, yellow, blue or none", column="warning_level",
           value_set=["red", "yellow", "blue", "none"]),
        expect("events.at_least_against", "ExpectColumnPairValuesAToBeGreaterThanB", "ERROR",
           "events counting against are some of the events", column_A="events",
           column_B="events_against", or_equal=True, ignore_row_if="either_value_is_missing"),
    )),
    "gold/unit_portrait": (("grain", "name"), (
        expect("grain.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "a portrait is of a unit or a region", column="grain", value_set=["unit", "region"]),
        expect("cadres.at_least_one", "ExpectColumnValuesToBeBetween", "ERROR",
           "a portrait counts the cadres it is about", column="cadres", min_value=1),
    )),
    "gold/tolerance_case": (("case_id",), (
        expect("case_id.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "every published case has its public id", column="case_id"),
        expect("result.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "a case is tolerated, partly tolerated or refused", column="result",
           value_set=["予以容错", "部分容错", "不予容错"]),
    )),
    "gold/cadre_timeline": (("event_id",), ()),
    "gold/tolerance_review": (("case_no", "measure_event_id"), (
        expect("status.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "a pair is exact, confirmed, rejected or pending", column="status",
           value_set=["exact", "confirmed", "rejected", "pending"]),
        expect("similarity.range", "ExpectColumnValuesToBeBetween", "ERROR",
           "a bigram Jaccard lies between 0 and 1", column="similarity", min_value=0, max_value=1),
    )),
    "gold/assessment_composite": (("person_no", "year"), (
        expect("weight.range", "ExpectColumnValuesToBeBetween", "ERROR",
           "the 督查 weight is a share between 0 and 1", column="weight", min_value=0, max_value=1),
        expect("rank.within_ranked", "ExpectColumnPairValuesAToBeGreaterThanB", "ERROR",
           "a rank is within the cadres ranked", column_A="ranked", column_B="rank",
           or_equal=True, ignore_row_if="either_value_is_missing"),
    )),
    "gold/sanction_followup": (("event_id",), (
        expect("person_no.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "a followed measure names its cadre", column="person_no"),
        expect("days_to_go.not_negative", "ExpectColumnValuesToBeBetween", "ERROR",
           "days to go are 0 once the period is over", column="days_to_go", min_value=0),
        expect("reusable.present", "ExpectColumnValuesToNotBeNull", "ERROR",
           "re-use is decided, never unknown", column="reusable"),
    )),
    "gold/inconsistency": (("kind", "event_id"), (
        expect("kind.in_vocabulary", "ExpectColumnValuesToBeInSet", "ERROR",
           "an inconsistency is of a known kind", column="kind",
           value_set=["audit_tolerance_without_five_checks", "influence_end_disagrees",
                      "roster_post_disagrees"]),
    )),
}  # fmt: skip
"""Per gold table: its key and its expectations (the key's uniqueness is added to each)."""


def gold_suite(table: str, as_of: date) -> Suite:
    key, expectations = GOLD_SUITES[table]
    unique = expect("key.unique_in_partition", "ExpectColumnValuesToBeUnique", "ERROR",
                f"one row per {' + '.join(key)}", column=KEY)  # fmt: skip
    return Suite(table, (*expectations, unique) if expectations else (), key, None, as_of)


def _bronze_builder(spec: SourceSpec) -> Callable[[date], Suite]:
    return lambda as_of: bronze_suite(spec, as_of)


def _gold_builder(table: str) -> Callable[[date], Suite]:
    return lambda as_of: gold_suite(table, as_of)


BUILDERS: dict[str, Callable[[date], Suite]] = {
    **{f"bronze/{name}": _bronze_builder(spec) for name, spec in SPECS.items()},
    "silver/cadre": silver_cadre_suite,
    "silver/cadre_post": silver_post_suite,
    "silver/supervision_event": silver_event_suite,
    **{table: _gold_builder(table) for table in GOLD_SUITES},
}
"""Every suite by table, as a function of the latest plausible date."""

_SENTINEL = date(2000, 1, 1)


def suite_for(table: str, as_of: date) -> Suite:
    """The suite of ``table`` with dates bounded by the later of ``as_of`` and today.

    Records after a historical ``--as-of`` are legitimate (they simply do not count yet), but no
    record can be dated after the day it was exported: the bound is whichever is later.
    """
    return BUILDERS[table](max(as_of, today()))


def structure(table: str) -> str:
    """The fingerprint of a suite's expectations apart from its date bound.

    A partition that passed with an earlier bound passes with a later one (the bounds only widen),
    so a result can be carried over when the structure is unchanged and the bound has not shrunk.
    """
    return BUILDERS[table](_SENTINEL).fingerprint()
