"""Row deltas for the serving database's cadre tables.

A serving table whose rows belong to cadres (:attr:`~warehouse.publish.serving_tables.
ServingTable.key`: the cadre's number) keeps, per cadre, a digest of that cadre's rows beside it
(:data:`DIGESTS`). When the table's inputs change, the new rows' digests are computed first; the
cadres whose digest differs (or who came or went) have their rows deleted and loaded again, and
every other row stays where it is. A table with a date column (:attr:`~warehouse.publish.
serving_tables.ServingTable.date_column`: the as-of date, the same in every row) leaves it out
of the digests and sets it in place when it moved on, so a night on which only the date changed
rewrites one column instead of every row.

The digest of a cadre is the wrapping sum of its rows' hashes (``DataFrame.hash_rows``, seeded:
the same in every process for one Polars version), so it does not depend on the rows' order or
on how they were cut into batches. What the digests were computed with — Polars' version, the
key, the date column and the rows' columns and types — is the table's :func:`shape`; a table
whose shape changed is loaded whole.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from warehouse.publish.carry import fingerprint
from warehouse.publish.serving_tables import ServingTable

DIGESTS = "_serving_digests"
"""The table of digests: ``name`` (the serving table), ``key``, ``digest``, ``rows``."""
DELTA_SHARE = 0.25
"""A table whose changed cadres hold more than this share of its rows is loaded whole (a bulk
load and one index build beat deleting and inserting that many rows)."""
DIGEST_SCHEMA = {"key": pl.String, "digest": pl.Int64, "rows": pl.Int64}


def shape(table: ServingTable, schema: pl.Schema) -> str:
    """What a table's digests are computed with: Polars' version (its row hash), the key, the
    date column, and the columns and types of the rows (``schema``)."""
    columns = [(name, str(dtype)) for name, dtype in schema.items()]
    return fingerprint(pl.__version__, table.key, table.date_column, columns)


def batch_digests(table: ServingTable, batch: pl.DataFrame) -> pl.DataFrame:
    """Per key of ``batch``: the wrapping sum of its rows' hashes (the date column left out) and
    the number of its rows, as :data:`DIGEST_SCHEMA` (the sum still unsigned: :func:`combined`
    adds batches' sums and makes it signed, as SQL stores it)."""
    assert table.key is not None
    hashed = batch.drop(table.date_column) if table.date_column else batch
    return (
        batch.select(pl.col(table.key).cast(pl.String).alias("key"))
        .with_columns(digest=hashed.hash_rows(seed=0))
        .group_by("key")
        .agg(pl.col("digest").sum(), pl.len().cast(pl.Int64).alias("rows"))
    )


def combined(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The digests of a whole table from its batches' (:func:`batch_digests`): a key cut across
    two batches sums its two parts, as one batch would have; sorted by key."""
    found = [p for p in parts]
    if not found:
        return pl.DataFrame(schema=DIGEST_SCHEMA)
    return (
        pl.concat(found)
        .group_by("key")
        .agg(pl.col("digest").sum(), pl.col("rows").sum())
        .with_columns(pl.col("digest").reinterpret(signed=True))
        .sort("key")
    )


@dataclass
class Digested:
    """A table's batches read once for their digests: the digests, the shape, the values its
    date column holds, and its rows."""

    digests: pl.DataFrame
    shape: str
    dates: list[Any]
    rows: int


class Digesting:
    """Digests taken from a table's batches as they pass (:meth:`through`), for
    :meth:`result` once they all have."""

    def __init__(self, table: ServingTable) -> None:
        self.table = table
        self.parts: list[pl.DataFrame] = []
        self.dates: set[Any] = set()
        self.rows, self.shape = 0, ""

    def through(self, batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for batch in batches:
            if not self.shape:
                self.shape = shape(self.table, batch.schema)
            self.parts.append(batch_digests(self.table, batch))
            if self.table.date_column:
                self.dates.update(batch[self.table.date_column].unique().to_list())
            self.rows += batch.height
            yield batch

    def result(self) -> Digested:
        return Digested(combined(self.parts), self.shape, sorted(self.dates, key=str), self.rows)


def digested(table: ServingTable) -> Digested:
    """The table's rows read once for their digests (before they are stripped)."""
    taking = Digesting(table)
    for _ in taking.through((table.unstripped or table.batches)()):
        pass
    return taking.result()


def loaded_with_digests(table: ServingTable, taking: Digesting) -> Iterator[pl.DataFrame]:
    """The table's batches as they are loaded whole, their digests taken by ``taking`` on the way
    (before they are stripped, as :func:`digested` takes them)."""
    if table.unstripped is None or table.strip is None:
        return taking.through(table.batches())
    return table.strip(taking.through(table.unstripped()))


@dataclass(frozen=True)
class Delta:
    """What a delta load does: the keys whose rows are deleted (changed or gone) and loaded
    again (changed or new), and how many rows that is on each side."""

    keys: pl.DataFrame
    """``key``: every key whose rows are deleted; those still in the table are loaded again."""
    deleted: int
    inserted: int


def delta(old: pl.DataFrame, new: pl.DataFrame) -> Delta:
    """The keys whose digest differs between ``old`` (what the database holds) and ``new``, or
    that only one of them has."""
    joined = old.join(new, on="key", how="full", coalesce=True, suffix="_new")
    changed = joined.filter(
        pl.col("digest").is_null()
        | pl.col("digest_new").is_null()
        | (pl.col("digest") != pl.col("digest_new"))
        | (pl.col("rows") != pl.col("rows_new"))
    )
    return Delta(
        changed.select("key"),
        int(changed["rows"].fill_null(0).sum()),
        int(changed["rows_new"].fill_null(0).sum()),
    )


def worth_it(change: Delta, rows: int) -> bool:
    """A delta load beats a whole one: the changed rows are at most :data:`DELTA_SHARE` of the
    table's."""
    return change.deleted + change.inserted <= DELTA_SHARE * max(rows, 1)


def changed_rows(table: ServingTable, keys: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """The table's batches cut to the rows of ``keys`` (batches left empty are skipped), cut
    before they are stripped (:attr:`~warehouse.publish.serving_tables.ServingTable.strip`)."""
    assert table.key is not None
    wanted = keys["key"].implode()

    def cut() -> Iterator[pl.DataFrame]:
        for batch in (table.unstripped or table.batches)():
            kept = batch.filter(pl.col(table.key).cast(pl.String).is_in(wanted))  # type: ignore[arg-type]
            if kept.height:
                yield kept

    return table.strip(cut()) if table.unstripped and table.strip else cut()
