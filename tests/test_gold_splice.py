"""Gold computed for the changed cadres only equals gold computed whole.

When an earlier run made the per-cadre tables (:data:`transforms.gold.PER_CADRE`) at the same
date with the same rules and code, gold computes them again only for the cadres whose inputs
changed and splices those rows in among the earlier ones. That is only right if a cadre's rows
depend on nothing but its own inputs; these tests change the generated warehouse's silver in the
ways a month does — and in ways no generator writes — and compare the spliced tables with the
tables computed whole from the changed inputs, row for row.
"""

import dataclasses
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.gold import (
    PER_CADRE,
    SPLICE_SHARE,
    EarlierGold,
    Silver,
    changed_cadres,
    gold_tables,
)
from warehouse.layer_inputs import silver_inputs
from warehouse.rules import load_rules
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow
AS_OF = date(2025, 12, 31)
RULES = load_rules()


def _computed(silver: Silver) -> dict[str, pl.DataFrame]:
    out = {}
    for name, table in gold_tables(silver, RULES, AS_OF):
        out[name] = table if isinstance(table, pl.DataFrame) else pl.concat(list(table))
    return out


@pytest.fixture(scope="module")
def earlier(baseline) -> tuple[Silver, dict[str, pl.DataFrame]]:  # type: ignore[no-untyped-def]
    """The baseline warehouse's silver (in memory, so a test can change it) and gold from it."""
    read = silver_inputs(Warehouse(baseline))
    frames = {
        f.name: getattr(read, f.name).collect().lazy()
        for f in dataclasses.fields(read)
        if isinstance(getattr(read, f.name), pl.LazyFrame)
    }
    silver = dataclasses.replace(read, **frames)
    return silver, _computed(silver)


def _with_earlier(silver: Silver, before: Silver, tables: dict[str, pl.DataFrame]) -> Silver:
    """``silver`` with ``before``'s gold as the earlier run's; the sources whose events are the
    same rows, and the roster when it is, marked the same (as the warehouse marks a partition
    or table whose file is the same: the same rows give the same bytes)."""
    old, new = before.events.collect(), silver.events.collect()
    same = {
        source
        for source in old["source"].unique()
        if old.filter(pl.col("source") == source).equals(new.filter(pl.col("source") == source))
    }
    earlier = EarlierGold(
        before.events, before.cadres, tables["tolerance_review"].lazy(),
        tables["assessment_composite"].lazy(), tables["clearance"].lazy(),
        {t: tables[t].lazy() for t in PER_CADRE}, frozenset(same),
        before.cadres.collect().equals(silver.cadres.collect()),
    )  # fmt: skip
    return dataclasses.replace(silver, earlier_gold=earlier)


def _changed(before: Silver, events: pl.DataFrame, cadres: pl.DataFrame) -> Silver:
    return dataclasses.replace(before, events=events.lazy(), cadres=cadres.lazy())


def _assert_spliced_equals_whole(before: Silver, tables: dict[str, pl.DataFrame], after: Silver) -> None:  # fmt: skip
    said: list[str] = []
    spliced = dict(gold_tables(_with_earlier(after, before, tables), RULES, AS_OF, say=said.append))
    assert said and "computed for the" in said[0]  # the splice was taken, not a whole build
    whole = _computed(after)
    for name in whole:
        table = spliced[name]
        got = table if isinstance(table, pl.DataFrame) else pl.concat(list(table))
        assert got.schema == whole[name].schema, name
        assert got.equals(whole[name]), name


def _linked(events: pl.DataFrame) -> pl.DataFrame:
    return events.filter(pl.col("link_status") == "linked").sort("event_id")


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["drop", "redate", "recategorise", "move", "unlink", "repost", "retire",
                         "reread", "new", "decide"]),
        st.integers(min_value=0, max_value=10_000),
        st.integers(min_value=-400, max_value=400),
    ),
    min_size=1, max_size=6,
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(edits=EDITS)
def test_gold_spliced_for_the_changed_cadres_equals_gold_computed_whole(earlier, edits) -> None:  # type: ignore[no-untyped-def]
    # Each edit is one thing a month (or an upstream correction) does to silver: a record gone,
    # re-dated, re-categorised, moved to another cadre, sent back to review, a post changed, a
    # cadre gone from the roster, a record read again at another row of its file (a column no
    # per-cadre table reads), a new record for a cadre, a reviewer's decision on a 容错 pair
    # (it covers a record whose own row, and partition, stay the same).
    before, tables = earlier
    events, cadres = before.events.collect(), before.cadres.collect()
    decisions, review = before.tolerance_decisions, tables["tolerance_review"]
    for kind, pick, days in edits:
        linked = _linked(events)
        row = linked.row(pick % linked.height, named=True)
        person = cadres["person_no"][pick % cadres.height]
        one = pl.col("event_id") == row["event_id"]
        if kind == "drop":
            events = events.filter(~one)
        elif kind == "redate":
            moved = row["event_date"] + timedelta(days=days)
            events = events.with_columns(pl.when(one).then(pl.lit(moved)).otherwise("event_date").alias("event_date"))  # fmt: skip
        elif kind == "recategorise":
            other = linked["category"].drop_nulls().unique().sort()
            value = other[pick % other.len()] if other.len() else None
            events = events.with_columns(pl.when(one).then(pl.lit(value)).otherwise("category").alias("category"))  # fmt: skip
        elif kind == "move":
            events = events.with_columns(pl.when(one).then(pl.lit(person)).otherwise("person_no").alias("person_no"))  # fmt: skip
        elif kind == "unlink":
            events = events.with_columns(pl.when(one).then(pl.lit("review")).otherwise("link_status").alias("link_status"))  # fmt: skip
        elif kind == "repost":
            mine = pl.col("person_no") == person
            cadres = cadres.with_columns(pl.when(mine).then(pl.lit("副局长")).otherwise("post").alias("post"))  # fmt: skip
        elif kind == "retire":
            cadres = cadres.filter(pl.col("person_no") != person)
        elif kind == "reread":
            events = events.with_columns(pl.when(one).then(pl.col("_source_row") + 1000).otherwise("_source_row").alias("_source_row"))  # fmt: skip
        elif kind == "decide" and review.height:
            pair = review.row(pick % review.height, named=True)
            verdict = "reject" if pair["status"] in ("exact", "confirmed") else "confirm"
            line = dict.fromkeys(decisions.columns) | {
                "file": "tolerance_decisions.csv", "line": decisions.height + 2,
                "case_no": pair["case_no"], "measure_source": pair["measure_source"],
                "measure_key": pair["measure_key"], "decision": verdict, "decided_by": "李明",
            }  # fmt: skip
            decisions = pl.concat([decisions, pl.DataFrame([line], schema=decisions.schema)])
        elif kind == "new":
            fresh = events.filter(one).with_columns(
                (pl.col("event_id") + "-new").alias("event_id"), pl.lit(person).alias("person_no")
            )
            events = pl.concat([events, fresh])
    after = dataclasses.replace(_changed(before, events, cadres), tolerance_decisions=decisions)
    _assert_spliced_equals_whole(before, tables, after)


def test_a_month_that_changed_most_cadres_is_computed_whole(earlier) -> None:  # type: ignore[no-untyped-def]
    # Past SPLICE_SHARE of the roster, splicing costs more than it saves: None, gold is whole.
    before, tables = earlier
    events = before.events.collect().with_columns(pl.col("event_date") - timedelta(days=1))
    after = _with_earlier(_changed(before, events, before.cadres.collect()), before, tables)
    assert after.earlier_gold is not None
    from transforms.gold import cadre_inputs, cadre_parts

    now = cadre_inputs(cadre_parts(after.events, tables["tolerance_review"].lazy(), after.cadres,
                       tables["assessment_composite"].lazy(), tables["clearance"].lazy(),
                       after.earlier_gold))  # fmt: skip
    roster = before.cadres.select(pl.len()).collect().item()
    moved = (
        before.events.collect().filter(pl.col("person_no").is_not_null())["person_no"].n_unique()
    )
    assert moved > SPLICE_SHARE * roster  # the test's premise: most cadres have a record
    assert changed_cadres(after.earlier_gold, now, roster) is None


def test_nothing_changed_changes_no_cadre(earlier) -> None:  # type: ignore[no-untyped-def]
    # The same inputs give the same digests: no cadre is computed again.
    before, tables = earlier
    after = _with_earlier(before, before, tables)
    from transforms.gold import cadre_inputs, cadre_parts

    assert after.earlier_gold is not None
    now = cadre_inputs(cadre_parts(before.events, tables["tolerance_review"].lazy(), before.cadres,
                       tables["assessment_composite"].lazy(), tables["clearance"].lazy(),
                       after.earlier_gold))  # fmt: skip
    changed = changed_cadres(after.earlier_gold, now, 1)
    assert changed is not None and changed.len() == 0
