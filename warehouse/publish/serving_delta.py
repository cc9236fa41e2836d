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
the same in every process for one Polars version; floats hashed as text, since the hash takes
``-0.0`` for ``0.0``), so it does not depend on the rows' order or on how they were cut into
batches. What the digests were computed with — Polars' version, the serving code, the table's
key, date column, access, indexes and scope columns, and the rows' columns and types — is the
table's :func:`shape`, recorded in :data:`SHAPES` with the fingerprint of the rows it describes;
a table whose shape changed, or whose record is not of the rows the database holds (a publish by
a version that kept no digests), is loaded whole. So is a table with a key that is not text, is
empty, or holds a character the load strips (the key stored would not be the key compared).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from transforms.publishing import STRIPPED_PATTERN, floats_as_text
from warehouse.publish.carry import fingerprint
from warehouse.publish.serving_tables import ServingTable

DIGESTS = "_serving_digests"
"""The table of digests: ``name`` (the serving table), ``key``, ``digest``, ``rows``."""
SHAPES = "_serving_shapes"
"""Per serving table with digests: ``name``, ``shape`` (:func:`shape`) and ``inputs``, the
fingerprint of the rows they describe (that of ``_serving_versions`` when they are current)."""
DELTA_SHARE = 0.25
"""A table whose changed cadres hold more than this share of its rows is loaded whole (a bulk
load and one index build beat deleting and inserting that many rows)."""
DIGEST_SCHEMA = {"key": pl.String, "digest": pl.Int64, "rows": pl.Int64}


def current_shapes(
    recorded: Iterable[tuple[str, str, str]], before: dict[str, tuple[str, int]]
) -> dict[str, str]:
    """Per table, the shape of its digests (``recorded``: the rows of :data:`SHAPES`), of the
    tables whose digests describe the rows the database holds: recorded with the fingerprint
    ``before`` (``_serving_versions``) has for it."""
    return {name: shape for name, shape, inputs in recorded if before.get(name, ("",))[0] == inputs}


def shape(table: ServingTable, schema: pl.Schema) -> str:
    """What a table's digests are computed with, and its stored form made by: Polars' version
    (its row hash), the serving code, the key, date column, access, indexes, scope columns, and
    the columns and types of the rows (``schema``)."""
    columns = [(name, str(dtype)) for name, dtype in schema.items()]
    return fingerprint(
        pl.__version__, table.code, table.name, table.key, table.date_column, table.access,
        table.index, table.scope_columns, columns,
    )  # fmt: skip


def batch_digests(table: ServingTable, batch: pl.DataFrame) -> pl.DataFrame:
    """Per key of ``batch``: the wrapping sum of its rows' hashes (the date column left out,
    floats as text) and the number of its rows, as :data:`DIGEST_SCHEMA` (the sum still
    unsigned: :func:`combined` adds batches' sums and makes it signed, as SQL stores it)."""
    assert table.key is not None
    hashed = floats_as_text(batch.drop(table.date_column) if table.date_column else batch)
    return (
        batch.select(pl.col(table.key).alias("key"))
        .with_columns(digest=hashed.hash_rows(seed=0))
        .group_by("key")
        .agg(pl.col("digest").sum(), pl.len().cast(pl.Int64).alias("rows"))
    )


def combined(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The digests of a whole table from its batches' (:func:`batch_digests`): a key cut across
    two batches sums its two parts, as one batch would have; sorted by key."""
    found = list(parts)
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
    """A table's batches read for their digests: the digests, the shape, the values its date
    column holds, its rows, and whether its keys allow a delta (:func:`usable_keys`)."""

    digests: pl.DataFrame
    shape: str
    dates: list[Any]
    rows: int
    usable: bool


def usable_keys(table: ServingTable, batch: pl.DataFrame) -> bool:
    """The batch's keys are text, none is null and none holds a character the load strips (the
    key stored would then not be the key compared)."""
    assert table.key is not None
    keys = batch.get_column(table.key)
    return (
        keys.dtype == pl.String
        and keys.null_count() == 0
        and not keys.str.contains(STRIPPED_PATTERN).any()
    )


class Digesting:
    """Digests taken from a table's unstripped batches as they pass (:meth:`through`), for
    :meth:`result` once they all have; ``counting``: the control characters are counted on the
    way (:attr:`~warehouse.publish.serving_tables.ServingTable.count`), for a load that will
    not count them.

    With ``old`` (what the database holds, read once the first batch shows the digests are of
    the same ``shape_before``), the rows of each key whose digest in its batch differs from the
    held one are kept as they pass (:meth:`kept`: a delta then loads them without reading the
    table again), while they are at most :data:`DELTA_SHARE` of the held rows (and a batch)."""

    def __init__(
        self,
        table: ServingTable,
        counting: bool = False,
        old: Callable[[], pl.DataFrame] | None = None,
        shape_before: str | None = None,
    ) -> None:
        self.table, self.counting = table, counting
        self.parts: list[pl.DataFrame] = []
        self.dates: set[Any] = set()
        self.rows, self.shape, self.usable = 0, "", True
        self.read_old, self.shape_before = old, shape_before
        self.old: pl.DataFrame | None = None
        self.keeping: list[pl.DataFrame] | None = None
        self.room = 0

    def _start(self, batch: pl.DataFrame) -> None:
        self.shape = shape(self.table, batch.schema)
        if self.read_old is not None and self.shape == self.shape_before:
            self.old = self.read_old()
            self.keeping = []
            self.room = int(DELTA_SHARE * int(self.old["rows"].sum())) + batch.height

    def _keep(self, batch: pl.DataFrame, digests: pl.DataFrame) -> None:
        """Keep the rows of ``batch`` whose key's digest in it is not the held one (a key cut
        across batches is kept in each, unless a part happens to equal what was held:
        :meth:`kept` then finds the key short and gives nothing)."""
        assert self.old is not None and self.keeping is not None and self.table.key is not None
        # The keys held as they are (an inner join: its table is built on the batch's side; a
        # left join built it on every held key, once per batch: 2.8 s at 1M cadres, measured).
        held = (
            digests.with_columns(pl.col("digest").reinterpret(signed=True))
            .join(self.old, on=["key", "digest", "rows"], how="inner")
            .get_column("key")
        )
        rows = batch.filter(~pl.col(self.table.key).is_in(held.implode()))
        if rows.height:
            self.room -= rows.height
            self.keeping.append(rows)
        if self.room < 0:
            self.keeping = None

    def through(self, batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for batch in batches:
            if not self.shape:
                self._start(batch)
            self.usable = self.usable and usable_keys(self.table, batch)
            if self.usable:
                self.parts.append(batch_digests(self.table, batch))
                if self.keeping is not None:
                    self._keep(batch, self.parts[-1])
            else:
                self.keeping = None
            if self.table.date_column:
                self.dates.update(batch[self.table.date_column].unique().to_list())
            if self.counting and self.table.count is not None:
                self.table.count(batch)
            self.rows += batch.height
            yield batch

    def result(self) -> Digested:
        usable = self.usable and self.rows > 0
        return Digested(combined(self.parts if usable else []), self.shape,
                        sorted(self.dates, key=str), self.rows, usable)  # fmt: skip

    def kept(self, change: "Delta") -> list[pl.DataFrame] | None:
        """The rows of ``change``'s keys, all of them, as kept on the way; None when they were
        not kept (too many, or a key's rows are not all among them)."""
        if self.keeping is None or self.table.key is None:
            return None
        wanted = pl.col(self.table.key).is_in(change.keys["key"].implode())
        rows = [part.filter(wanted) for part in self.keeping]
        rows = [r for r in rows if r.height]
        return rows if sum(r.height for r in rows) == change.inserted else None


def raw(table: ServingTable) -> Iterator[pl.DataFrame]:
    """The table's batches before they are stripped."""
    return (table.unstripped or table.batches)()


def stripped(table: ServingTable, batches: Iterator[pl.DataFrame], counted: bool) -> Iterator[pl.DataFrame]:  # fmt: skip
    """``batches`` (unstripped) as they are loaded: stripped, their control characters counted
    when ``counted``."""
    return table.strip(batches, counted) if table.unstripped and table.strip else batches


def whole(
    table: ServingTable, now: Digested | None
) -> tuple[Iterator[pl.DataFrame], Callable[[], Digested | None]]:
    """The table's batches for a whole load, and what gives its digests once they are loaded:
    ``now`` when :func:`planned` read them already (the control characters counted then), else
    taken on the way; none for a table without a key."""
    if table.key is None:
        return table.batches(), lambda: None
    if now is not None:
        return stripped(table, raw(table), counted=False), lambda: now
    taking = Digesting(table)
    return stripped(table, taking.through(raw(table)), counted=True), taking.result


def planned(
    table: ServingTable,
    shape_before: str | None,
    old_digests: Callable[[], pl.DataFrame],
    held_date: Callable[[], str | None] | None = None,
) -> tuple["Delta | None", Digested | None]:
    """The delta ``table`` is loaded by, and its rows' digests as read for it: no delta when it
    has no key, the database holds no current digests of it (``shape_before``: then nothing is
    read), their shape is not the rows' now, its keys do not allow one, its date column holds
    two dates — or another than ``held_date`` gives, where the date may not move in place — or
    too many rows changed (:func:`worth_it`). ``old_digests`` reads what the database holds."""
    if table.key is None or shape_before is None:
        return None, None
    taking = Digesting(table, counting=True, old=old_digests, shape_before=shape_before)
    for _ in taking.through(raw(table)):
        pass
    now = taking.result()
    dates = [str(d) for d in now.dates]
    if not now.usable or now.shape != shape_before or len(dates) > 1:
        return None, now
    if held_date is not None and dates and dates != [held_date()]:
        return None, now
    assert taking.old is not None
    change = delta(taking.old, now.digests)
    if not worth_it(change, now.rows):
        return None, now
    return replace(change, rows=taking.kept(change)), now


@dataclass(frozen=True)
class Delta:
    """What a delta load does: the keys whose rows are deleted (changed or gone) and loaded
    again (changed or new), and how many rows that is on each side."""

    keys: pl.DataFrame
    """``key``: every key whose rows are deleted; those still in the table are loaded again."""
    deleted: int
    inserted: int
    rows: list[pl.DataFrame] | None = None
    """The rows loaded again (unstripped), when they were kept as the table was read for its
    digests (:meth:`Digesting.kept`); None: :func:`changed_rows` reads the table again."""


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


def changed_rows(table: ServingTable, change: Delta) -> Iterator[pl.DataFrame]:
    """The rows of ``change``'s keys: as kept when the table was read for its digests, else its
    batches read again and cut to them (batches left empty are skipped); before they are
    stripped (their control characters were counted by :func:`planned`)."""
    assert table.key is not None
    wanted = change.keys["key"].implode()

    def cut() -> Iterator[pl.DataFrame]:
        if change.rows is not None:
            yield from change.rows
            return
        for batch in raw(table):
            kept = batch.filter(pl.col(table.key).is_in(wanted))  # type: ignore[arg-type]
            if kept.height:
                yield kept

    return stripped(table, cut(), counted=False)
