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


def protect_rows(frame: pl.DataFrame, spec: Protected, rules: DeidRules | None) -> pl.DataFrame:
    """``frame`` masked and counted, without reporter columns (a no-op for other sources)."""
    if not spec.masked_counts:
        return frame
    lineage = ("_source_file", "_source_row", "_load_id")
    reporters = [c for c in frame.columns if c.startswith(REPORTER_PREFIX)]
    fields = [c for c in frame.columns if c not in reporters and c not in lineage]
    return mask_petitions(
        frame, fields, spec.free_text, spec.masked_counts, rules or _shipped(), reporters
    )


def replaced_in_query(
    value: sa.ColumnElement[Any],
    reporters: Sequence[sa.ColumnElement[Any]],
    rules: DeidRules | None,
) -> sa.ColumnElement[Any]:
    """``value`` with each reporter value of its row replaced inside the database.

    A reporter value that is NULL, blank or shorter than the rules' minimum is not searched for
    (``REPLACE`` with an empty pattern, or one character, would erase text).
    """
    if not reporters:
        return value
    rules = rules or _shipped()
    token = rules.petition_tokens["reporter"]
    for reporter in reporters:
        needle = sa.func.trim(sa.cast(reporter, sa.Text))
        long_enough = sa.func.coalesce(sa.func.char_length(needle), 0) >= rules.reporter_min_length
        value = sa.case((long_enough, sa.func.replace(value, needle, token)), else_=value)
    return value
