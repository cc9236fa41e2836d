"""Run a :class:`~quality.suites.Suite` with Great Expectations 1.x over pandas.

GX 1.x has no Polars engine and no DuckDB dialect; over pandas it is fast only when the frame
holds the suite's columns alone, dates as ``datetime64[ns]`` and text as plain objects (see the
measured pitfalls in DESIGN.md). :func:`pandas_frame` prepares exactly that. Importing GX costs
seconds and hundreds of MB, so one :class:`GXEngine` per process is made lazily and reused
(:func:`engine`).

A validation is two passes. The first, over all rows, gives each expectation's verdict, counts and
a sample of offending values. Only for expectations that failed on a bounded number of rows does a
second pass ask GX for the partition of each offending row, so the run failure can say *which*
partition broke — asking for it up front costs 10–30× when many rows fail.
"""

import logging
import os
import time
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from quality.checks import Outcome, as_text
from quality.suites import KEY, PARTITION, Suite

ATTRIBUTE_UP_TO = 20_000
"""Offending rows up to which the partition of each one is looked up."""


@dataclass
class GXRun:
    """One suite's validation: our outcomes, the GX result (for Data Docs) and the time taken."""

    outcomes: list[Outcome]
    result: Any
    seconds: float


LOW_CARDINALITY = 0.05
"""Text columns with fewer distinct values than this share of rows go to GX as categoricals."""


def gx_kwargs(e: Any) -> dict[str, Any]:
    """An expectation's arguments for GX: its ``row_condition`` (``column=="value"``, as the
    suites write it for the Polars checks too) becomes a GX ``Condition`` object; the string form
    and ``condition_parser`` are deprecated since GX 1.9 and removed in GX 2.0."""
    from great_expectations.expectations.row_conditions import Column

    kwargs = {k: v for k, v in e.kwargs.items() if k not in ("row_condition", "condition_parser")}
    if e.condition is not None:
        column, value = e.condition
        kwargs["row_condition"] = Column(column) == value
    return kwargs


def pandas_frame(frame: pl.DataFrame) -> Any:
    """The frame as pandas in the dtypes GX is fast on.

    Dates become ``datetime64[ns]``; codes and other low-cardinality text become categoricals
    (a row holds a small code, not a Python string: a fraction of the memory); other text stays
    plain objects. The record key arrives as its dense rank — an
    integer that repeats exactly where the key repeats — since GX only tests it for uniqueness
    (:meth:`GXEngine.validate` turns offending ranks back into keys for the report).
    """
    casts = [
        pl.col(name).cast(pl.Datetime("ns"))
        for name, dtype in frame.schema.items()
        if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime)
    ]
    limit = max(1000, int(frame.height * LOW_CARDINALITY))
    few = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String and name != KEY and frame[name].n_unique() <= limit
    ]
    if KEY in frame.columns:
        casts.append(pl.col(KEY).rank("dense").cast(pl.Int64))
    out = frame.with_columns(casts).to_pandas()
    for name, dtype in out.dtypes.items():
        if str(dtype) == "str":
            # pandas builds the categories from this column alone (a Polars categorical would
            # carry every string of the process's global pool as its categories).
            out[name] = out[name].astype("category" if name in few else object)
    return out


class GXEngine:
    """An ephemeral GX context with one pandas data asset, made once per process."""

    def __init__(self, sample_size: int = 10) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # noqa: PLC0415  (seconds to import: only when validating)
        from great_expectations import expectations as gxe  # noqa: PLC0415
        from great_expectations.data_context.types.base import (  # noqa: PLC0415
            ProgressBarsConfig,
        )
        from great_expectations.execution_engine import (  # noqa: PLC0415
            pandas_execution_engine,
        )

        for name in ("great_expectations", "great_expectations.core"):
            logging.getLogger(name).setLevel(logging.ERROR)
        # GX hashes every pandas batch under HASH_THRESHOLD bytes (1e9: all of ours, since object
        # columns count 8 bytes a row) only to name it in the result's batch markers
        # (``pandas_data_fingerprint``): 70 % of validating 1M rows (measured), for a name nothing reads.
        # GX reads the threshold at each batch; at 0 it hashes none (tested).
        pandas_execution_engine.HASH_THRESHOLD = 0
        self._gx = gx
        self._gxe = gxe
        self._suites: dict[tuple[object, ...], Any] = {}
        self.sample_size = sample_size
        self.context = gx.get_context(mode="ephemeral")
        # No progress bars in a scheduled run's log.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._batch = (
            self.context.data_sources.add_pandas("dajiandu")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("whole")
        )

    @property
    def version(self) -> str:
        return str(self._gx.__version__)

    def gx_suite(self, suite: Suite, only: set[str] | None = None) -> Any:
        """The GX ``ExpectationSuite`` for ``suite`` (or for the expectations in ``only``), made
        once per process for each suite (keyed by its fingerprint).

        All expectations are given to the constructor: ``add_expectation`` on a stored suite
        serialises the whole suite again for every expectation (3 s of a 300-cadre run, measured).
        """
        key = (suite.fingerprint(), suite.as_of, frozenset(only) if only is not None else None)
        if key in self._suites:
            return self._suites[key]
        expectations = [
            getattr(self._gxe, e.gx)(
                **gx_kwargs(e),
                severity="critical" if e.severity == "ERROR" else "warning",
                meta={"id": e.id, "why": e.why},
            )
            for e in suite.expectations
            if only is None or e.id in only
        ]
        name = suite.name if only is None else f"{suite.name}.again"
        made = self.context.suites.add_or_update(
            self._gx.ExpectationSuite(name=name, expectations=expectations)
        )
        self._suites[key] = made
        return made

    def validate(self, suite: Suite, frame: pl.DataFrame) -> GXRun:
        """Validate ``frame`` (the suite's columns plus ``_key`` and ``_partition``)."""
        start = time.perf_counter()
        # pandas 3 infers Arrow-backed strings for every Series GX builds; the option that turned
        # this off (future.infer_string) is deprecated and goes in pandas 4, so it is not used.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # GX's own, on pandas 3
            data = pandas_frame(frame)
            batch = self._batch.get_batch(batch_parameters={"dataframe": data})
            fmt = {"result_format": "SUMMARY", "partial_unexpected_count": self.sample_size}
            result = batch.validate(self.gx_suite(suite), result_format=fmt)
            outcomes = [self._outcome(suite, r, frame.height) for r in result.results]
            self._attribute(suite, data, outcomes)
        self._keys_for_ranks(suite, frame, outcomes)
        return GXRun(outcomes, result, time.perf_counter() - start)

    def _keys_for_ranks(self, suite: Suite, frame: pl.DataFrame, outcomes: list[Outcome]) -> None:
        """The sample of an expectation on ``_key`` holds dense ranks: show the keys themselves."""
        on_key = {e.id for e in suite.expectations if e.kwargs.get("column") == KEY}
        for o in outcomes:
            if o.passed or not o.sample or o.check not in on_key:
                continue
            ranks = [int(float(v)) for v in o.sample if v.replace(".", "", 1).isdigit()]
            keyed = frame.select(KEY, pl.col(KEY).rank("dense").cast(pl.Int64).alias("r"))
            found = keyed.filter(pl.col("r").is_in(ranks)).unique("r").sort("r")
            o.sample = found[KEY].to_list()

    def _outcome(self, suite: Suite, r: Any, rows: int) -> Outcome:
        config = r.expectation_config
        e = suite.by_id()[config.meta["id"]]
        res = r.result or {}
        failed = int(res.get("unexpected_count") or 0)
        sample = [as_text(v) for v in (res.get("partial_unexpected_list") or [])]
        detail = f"{e.gx}({', '.join(f'{k}={as_text(v)}' for k, v in e.kwargs.items() if k != 'value_set')})"
        passed = bool(r.success)
        if r.exception_info and r.exception_info.get("raised_exception"):
            passed = False
            sample = [str(r.exception_info.get("exception_message"))[:300]]
            detail += " — the expectation could not run"
        return Outcome(
            check=e.id,
            table=suite.table,
            kind="expectation",
            severity=e.severity,
            passed=passed,
            checked=int(res.get("element_count") or rows),
            failed=failed,
            sample=list(dict.fromkeys(sample))[: self.sample_size],
            why=e.why,
            detail=detail,
        )

    def _attribute(self, suite: Suite, data: Any, outcomes: list[Outcome]) -> None:
        """Fill ``partitions`` of failed expectations: one more pass over those alone."""
        failing = {o.check for o in outcomes if not o.passed and 0 < o.failed <= ATTRIBUTE_UP_TO}
        partitions = data[PARTITION].unique().tolist()
        if len(partitions) == 1:
            for o in outcomes:
                if not o.passed:
                    o.partitions = {str(partitions[0]): o.failed}
            return
        if not failing:
            return
        batch = self._batch.get_batch(batch_parameters={"dataframe": data})
        fmt = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [PARTITION],
            "return_unexpected_index_query": False,
        }
        again = batch.validate(self.gx_suite(suite, failing), result_format=fmt)
        by_id = {o.check: o for o in outcomes}
        for r in again.results:
            rows = (r.result or {}).get("unexpected_index_list") or []
            counts = Counter(str(row[PARTITION]) for row in rows if isinstance(row, dict))
            by_id[r.expectation_config.meta["id"]].partitions = dict(sorted(counts.items()))


def _sum_results(results: list[dict[str, Any]], sample_size: int) -> dict[str, Any]:
    """One expectation's SUMMARY result over several pieces: counts added, percentages as GX
    computes them over the sum, samples in order of the pieces."""
    out = dict(results[0])
    for name in ("element_count", "unexpected_count", "missing_count"):
        if name in out:
            out[name] = sum(int(r.get(name) or 0) for r in results)
    rows, bad = out.get("element_count", 0), out.get("unexpected_count", 0)
    present = rows - out.get("missing_count", 0)
    percent = bad / present * 100 if present else None
    out["unexpected_percent"] = percent
    if "missing_count" in out:
        out["missing_percent"] = out["missing_count"] / rows * 100 if rows else None
        out["unexpected_percent_total"] = bad / rows * 100 if rows else None
        out["unexpected_percent_nonmissing"] = percent
    if "partial_unexpected_list" in out:
        sample = [v for r in results for v in r.get("partial_unexpected_list") or []]
        out["partial_unexpected_list"] = sample[:sample_size]
    out.pop("partial_unexpected_index_list", None)  # rows of one piece: no row of the whole
    if "partial_unexpected_counts" in out:
        counts: Counter[Any] = Counter()
        for r in results:
            for c in r.get("partial_unexpected_counts") or []:
                if "value" in c:
                    counts[c["value"]] += c["count"]
        common = sorted(counts.most_common(sample_size), key=lambda x: (-x[1], str(x[0])))
        out["partial_unexpected_counts"] = [{"value": v, "count": n} for v, n in common]
    return out


def combined(runs: list[GXRun], sample_size: int = 10) -> GXRun:
    """Validations of pieces of one table (whole partitions each) as one: what GX would have
    said on all the pieces at once, for expectations on single rows or on a key within a
    partition, which are all the suites hold (a key across partitions is a Polars invariant).

    Outcomes add their counts and partitions; the GX result (for Data Docs) adds the counts of
    each expectation and says success only where every piece did."""
    if len(runs) == 1:
        return runs[0]
    outcomes = []
    for first, *rest in zip(*(r.outcomes for r in runs), strict=True):
        pieces = [first, *rest]
        failing = [o for o in pieces if not o.passed]
        partitions: Counter[str] = Counter()
        for o in pieces:
            partitions.update(o.partitions)
        sample = [v for o in pieces for v in o.sample]
        outcomes.append(
            replace(
                first,
                passed=not failing,
                checked=sum(o.checked for o in pieces),
                failed=sum(o.failed for o in pieces),
                sample=list(dict.fromkeys(sample))[:sample_size],
                partitions=dict(sorted(partitions.items())),
                detail=(failing or pieces)[0].detail,
            )
        )
    result = runs[0].result
    by_id = [{r.expectation_config.meta["id"]: r for r in run.result.results} for run in runs]
    for r in result.results:
        each = [pieces[r.expectation_config.meta["id"]] for pieces in by_id]
        r.success = all(e.success for e in each)
        r.result = _sum_results([e.result or {} for e in each], sample_size)
        r.exception_info = next(
            (e.exception_info for e in each if (e.exception_info or {}).get("raised_exception")),
            r.exception_info,
        )
    passed = sum(1 for r in result.results if r.success)
    result.success = passed == len(result.results)
    result.statistics.update(
        successful_expectations=passed,
        unsuccessful_expectations=len(result.results) - passed,
        success_percent=passed / len(result.results) * 100 if result.results else None,
    )
    return GXRun(outcomes, result, sum(r.seconds for r in runs))


_ENGINE: GXEngine | None = None


def engine() -> GXEngine:
    """The process's GX engine (imported and set up on first use)."""
    global _ENGINE  # noqa: PLW0603
    if _ENGINE is None:
        _ENGINE = GXEngine()
    return _ENGINE
