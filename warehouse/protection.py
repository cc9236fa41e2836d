"""The readers' hook for reporter protection (举报人保护) inside text: one place, two uses.

A source with protected reporter fields (petitions) has the row's own reporter name, phone and ID
number replaced in every other field, and its free-text fields masked (phones, ID numbers, bank
numbers, e-mail, a name after a reporter cue), before anything is written or logged; a column
counts what was masked. The masking is :func:`transforms.reporter_mask.mask_petitions`.

- From a database, the row's own values never reach memory: :func:`replaced_in_query` wraps each
  selected column in ``REPLACE(col, TRIM(reporter), '[举报人]')`` (one per reporter field, guarded
  for NULL and short values), which SQLite, PostgreSQL and MariaDB all run; then
  :func:`protect_rows` masks the free text of the rows as they arrive.
- From files, :meth:`warehouse.reading.Header.frame` keeps the reporter columns under
  :data:`REPORTER_PREFIX` names, and :func:`protect_rows` replaces the values and drops them.
"""

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa

from transforms.deid import DeidRules
from transforms.reporter_mask import mask_petitions

REPORTER_PREFIX = "_reporter_"


class Protected(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def protected(self) -> tuple[str, ...]: ...
    @property
    def free_text(self) -> tuple[str, ...]: ...
    @property
    def masked_counts(self) -> str | None: ...


@cache
def _shipped() -> DeidRules:
    from warehouse.deid_rules import load_deid_rules
    from warehouse.rule_files import DEFAULT_RULES

    return load_deid_rules(DEFAULT_RULES)


def masking_rules(folder: Path | None = None) -> DeidRules:
    """The de-identification rules of ``folder`` (the shipped ones when None)."""
    if folder is None:
        return _shipped()
    from warehouse.deid_rules import load_deid_rules

    return load_deid_rules(folder)


def reporter_columns(spec: Protected, positions: Sequence[int]) -> list[pl.Expr]:
    """The found reporter columns (``c<i>``) kept under temporary names for :func:`protect_rows`."""
    if not spec.masked_counts:
        return []
    return [pl.col(f"c{i}").alias(f"{REPORTER_PREFIX}{n}") for n, i in enumerate(positions)]


SAME_NAME_COLUMN = "_same_name"
"""Computed in a database query: 1 when a subject field holds the reporter's name."""


def subject_fields(spec: object) -> list[str]:
    """The fields naming the record's subject (kind ``name``: ``被反映人姓名``): a reporter's
    name equal to the accused's is kept there, so the event still links."""
    return [f.name for f in getattr(spec, "fields", ()) if getattr(f, "kind", "text") == "name"]


def text_fields(spec: object) -> list[str]:
    """The fields of kind ``text`` or ``name`` (where a reporter may be written in a form only
    a variant finds: ``王 建国``, ``一三九…``); dates, numbers and enums are not searched."""
    kinds = ("text", "name")
    return [f.name for f in getattr(spec, "fields", ()) if getattr(f, "kind", "text") in kinds]


def is_reporter_name(column: str) -> bool:
    """Whether a protected column holds the reporter's name (``举报人姓名``), not a number."""
    return "姓名" in column or "名字" in column


def protect_rows(frame: pl.DataFrame, spec: Protected, rules: DeidRules | None) -> pl.DataFrame:
    """``frame`` masked and counted, without reporter columns (a no-op for other sources)."""
    if not spec.masked_counts:
        return frame
    lineage = ("_source_file", "_source_row", "_load_id", SAME_NAME_COLUMN)
    reporters = [c for c in frame.columns if c.startswith(REPORTER_PREFIX)]
    fields = [c for c in frame.columns if c not in reporters and c not in lineage]
    return mask_petitions(
        frame, fields, spec.free_text, spec.masked_counts, rules or _shipped(), reporters,
        subject_fields=subject_fields(spec), same_name_column=SAME_NAME_COLUMN,
        other_text=[f for f in text_fields(spec) if f not in getattr(spec, "key", ())],
    )  # fmt: skip


_CN_DIGITS = ("零一二三四五六七八九", "〇幺二三四五六七八九")


def _variants(
    needle: sa.ColumnElement[Any], name: bool
) -> tuple[list[tuple[sa.ColumnElement[Any], Any]], list[tuple[sa.ColumnElement[Any], Any]]]:
    """Other written forms of a reporter value, built inside the query, each with the condition
    under which it differs from the value; the forms whose pattern is itself deep (Chinese
    numerals: ten nested REPLACE) come second, to be applied last (outermost: SQLite's parser
    takes about 25 nested calls). A name: a space (ASCII or ideographic) after the first or
    second character (``王 建国``), spaces between the three characters of a three-character
    name. A number: a mobile grouped 3-4-4 with dashes or spaces, and its digits in Chinese
    numerals (``一三九…``, ``幺三九…``). Other forms are left to the free-text pass."""
    length = sa.func.char_length(needle)

    def part(start: int, size: int | None = None) -> sa.ColumnElement[Any]:
        args = (needle, start) if size is None else (needle, start, size)
        return sa.func.substr(*args, type_=sa.Text)

    if name:
        forms = [
            (part(1, k).concat(space).concat(part(k + 1)), length > k)
            for space in (" ", "\u3000")
            for k in (1, 2)
        ]
        spaced = part(1, 1).concat(" ").concat(part(2, 1)).concat(" ").concat(part(3, 1))
        return [*forms, (spaced, length == 3)], []
    grouped = [
        (part(1, 3).concat(dash).concat(part(4, 4)).concat(dash).concat(part(8)), length == 11)
        for dash in ("-", " ")
    ]
    spoken = []
    for table in _CN_DIGITS:
        form: sa.ColumnElement[Any] = needle
        for digit, numeral in enumerate(table):
            form = sa.func.replace(form, str(digit), numeral)
        spoken.append((form, length >= 7))
    return grouped, spoken


def replaced_in_query(
    value: sa.ColumnElement[Any],
    reporters: Sequence[sa.ColumnElement[Any]],
    rules: DeidRules | None,
    names: Sequence[bool] = (),
    subject: bool = False,
    variants: bool = False,
) -> sa.ColumnElement[Any]:
    """``value`` with each reporter value of its row replaced inside the database.

    A reporter value that is NULL, blank or shorter than the rules' minimum is not searched for
    (one character would erase text; a NULL would make the whole value NULL). ``names`` says which
    reporters hold the reporter's name: in a ``subject`` field (the accused's name) those are not
    replaced. With ``variants``, other written forms are replaced too (:func:`_variants`).
    """
    if not reporters:
        return value
    rules = rules or _shipped()
    token = rules.petition_tokens["reporter"]
    flags = list(names) + [False] * (len(reporters) - len(names))
    first: list[tuple[sa.ColumnElement[Any], Any]] = []
    last: list[tuple[sa.ColumnElement[Any], Any]] = []
    for reporter, is_name in zip(reporters, flags, strict=True):
        if subject and is_name:
            continue
        needle = sa.func.trim(sa.cast(reporter, sa.Text))
        long_enough = sa.func.coalesce(sa.func.char_length(needle), 0) >= rules.reporter_min_length
        first.append((needle, long_enough))
        if variants:
            shallow, deep = _variants(needle, is_name)
            first += [(f, sa.and_(long_enough, d)) for f, d in shallow]
            last += [(f, sa.and_(long_enough, d)) for f, d in deep]
    for form, usable in [*first, *last]:
        # the CASE chooses the pattern, not the value: the value appears once per level (a
        # CASE over the value doubled the query at every level)
        pattern = sa.case((usable, form), else_=sa.literal(_NEVER, sa.Text))
        value = sa.func.replace(value, pattern, token)
    return value


_NEVER = "\ue000\ue001\ue002"
"""A pattern no text holds (private-use characters): REPLACE with it changes nothing."""


def same_name_in_query(
    subjects: Sequence[sa.ColumnElement[Any]],
    reporters: Sequence[sa.ColumnElement[Any]],
    rules: DeidRules | None,
) -> sa.ColumnElement[Any]:
    """1 when a subject field holds the reporter's name (of ``reporters``, the name columns),
    computed inside the database: only the flag leaves it."""
    rules = rules or _shipped()
    tests = []
    for reporter in reporters:
        needle = sa.func.trim(sa.cast(reporter, sa.Text))
        long_enough = sa.func.coalesce(sa.func.char_length(needle), 0) >= rules.reporter_min_length
        for subject in subjects:
            text = sa.func.coalesce(sa.cast(subject, sa.Text), "")
            holds = sa.func.char_length(sa.func.replace(text, needle, "")) < sa.func.char_length(
                text
            )
            tests.append(sa.and_(long_enough, holds))
    if not tests:
        return sa.literal("0")
    return sa.case((sa.or_(*tests), "1"), else_="0")
