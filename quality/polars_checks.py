"""The same expectations as the GX suites, counted in Polars: the floor ``bench quality`` compares
GX with, and a cross-check that both engines agree (tested).

Each expectation becomes one boolean expression, true on an offending row, with GX's semantics:
column-map expectations skip nulls (except ``not_null``), pair expectations skip rows where either
side is missing, and a ``row_condition`` restricts the rows looked at.
"""

from typing import Any

import polars as pl

from quality.suites import Expectation, Suite


def _condition(e: Expectation) -> pl.Expr:
    if e.condition is None:
        return pl.lit(True)
    column, value = e.condition
    return pl.col(column) == value


def _literal(value: Any) -> Any:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def offending(e: Expectation, schema: pl.Schema) -> pl.Expr:
    """True where a row breaks ``e`` (null where the expectation does not look at the row)."""
    k = dict(e.kwargs)
    col = pl.col(k["column"]) if "column" in k else None
    if e.gx == "ExpectColumnValuesToNotBeNull":
        bad = col.is_null()
    elif e.gx == "ExpectColumnValuesToBeInSet":
        bad = col.is_not_null() & ~col.is_in(k["value_set"])
    elif e.gx == "ExpectColumnValuesToNotBeInSet":
        bad = col.is_in(k["value_set"])
    elif e.gx == "ExpectColumnValuesToBeBetween":
        dtype = schema[k["column"]]
        convert = _literal if dtype == pl.Date else (lambda v: v)
        bad = pl.lit(False)
        if k.get("min_value") is not None:
            bad = bad | (col < convert(k["min_value"]))
        if k.get("max_value") is not None:
            bad = bad | (col > convert(k["max_value"]))
        bad = col.is_not_null() & bad
    elif e.gx == "ExpectColumnValuesToMatchRegex":
        bad = col.is_not_null() & ~col.str.contains(k["regex"])
    elif e.gx == "ExpectColumnValuesToBeUnique":
        bad = col.is_not_null() & col.is_duplicated()
    elif e.gx == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = pl.col(k["column_A"]), pl.col(k["column_B"])
        worse = a < b if k.get("or_equal") else a <= b
        bad = a.is_not_null() & b.is_not_null() & worse
    else:
        raise ValueError(f"no Polars form for {e.gx} ({e.id})")
    return _condition(e) & bad


def count_failures(suite: Suite, frame: pl.LazyFrame) -> dict[str, int]:
    """Offending rows per expectation id, in one pass over ``frame``."""
    schema = frame.collect_schema()
    exprs = [offending(e, schema).fill_null(False).sum().alias(e.id) for e in suite.expectations]
    row = frame.select(exprs).collect().row(0, named=True)
    return {k: int(v) for k, v in row.items()}
