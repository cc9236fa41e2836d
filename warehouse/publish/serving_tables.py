"""What the serving database holds: the gold tables (with each person row's scope), the scoped
portraits, the officers' lists, and one row of metadata; each as batches of rows (nested
columns as they are in gold: the loader encodes them as JSON).

A table is *scoped* when its rows carry a 管理权限 and a region (the row-level-security policy
reads them), *public* when every reader may see it (the de-identified cases, the metadata), and
*private* otherwise (``unit_portrait`` counts cadres of every 管理权限 together: readers use
``unit_portrait_scope``).
"""

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import polars as pl
import pyarrow.parquet as pq

from transforms.pages import scope_portraits
from transforms.publishing import (
    clearance_list,
    inconsistency_list,
    invisible_counts,
    promotion_list,
    strip_frame,
    tolerance_review_list,
    warning_list,
)
from warehouse.publish.carry import fingerprint
from warehouse.store import Warehouse

BATCH_ROWS = 200_000
SCOPE = ("scope_level", "region")
LIST_SCOPE = ("管理权限", "行政区划代码")
META = "serving_meta"


@dataclass
class ServingTable:
    """One table of the serving database."""

    name: str
    batches: Callable[[], Iterator[pl.DataFrame]]
    access: str
    """``scoped``, ``public`` or ``private``."""
    scope_columns: tuple[str, str] = SCOPE
    index: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    """The warehouse tables (``layer/name``) its rows are made from."""
    dated: bool = False
    """Computed here with the as-of date (the gold tables' rows carry their own)."""
    inputs_version: str = ""
    """The fingerprint of everything its rows depend on (:func:`with_versions`): equal to the one
    the database holds, the table is left as it is."""
    key: str | None = None
    """The column of the cadre each row belongs to (of the case, in the case library): when the
    inputs change, only the cadres (cases) whose rows changed are loaded again
    (:mod:`warehouse.publish.serving_delta`); None: loaded whole."""
    date_column: str | None = None
    """A column holding the as-of date in every row: set in place when only it moved on."""
    unstripped: Callable[[], Iterator[pl.DataFrame]] | None = None
    """The batches before :func:`stripped_tables` (read for the digests: stripping is a function
    of the row, so equal rows stay equal, and its counts are not taken twice)."""
    strip: Callable[[Iterator[pl.DataFrame], bool], Iterator[pl.DataFrame]] | None = None
    """What :func:`stripped_tables` does to unstripped batches, counting what it strips when
    asked (a delta load strips only the rows it loads, and counts the whole table's)."""
    count: Callable[[pl.DataFrame], object] | None = None
    """Count an unstripped batch's control characters (:func:`stripped_tables`)."""
    code: str = ""
    """The serving code's fingerprint (:func:`with_versions`): the digests' shape holds it."""


@dataclass
class ServingResult:
    """What a publish loaded, where, and how fast."""

    url: str
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0
    """Seconds the rows spent streaming into the database: encoding and writing (on PostgreSQL
    the next batch is read and encoded while the server parses the last). Not counted: computing
    the lists and portraits before their first row, indexes, policies, the swap."""

    warnings: list[str] = field(default_factory=list)
    """WARN lines: fields whose control or bidi characters were stripped (named, no value)."""

    carried: list[str] = field(default_factory=list)
    """The tables left as they were (their inputs unchanged); the others were loaded anew."""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.load_seconds if self.load_seconds else 0.0


def stripped_tables(tables: list[ServingTable], found: dict[str, int]) -> list[ServingTable]:
    """``tables`` whose batches have control and bidi characters (NUL among them) removed from
    every text; ``found`` counts, per ``table.field``, the values that held one (a delta load
    counts them over the whole table as it reads it for its digests, and strips the rows it
    loads without counting them again: :attr:`ServingTable.strip`, :attr:`ServingTable.count`)."""

    def counted(table: str, batch: pl.DataFrame) -> set[str]:
        counts = invisible_counts(batch)
        for name, n in counts.items():
            key = f"{table}.{name}"
            found[key] = found.get(key, 0) + n
        return {name.split("[", 1)[0].split(".", 1)[0] for name in counts}

    def cleaned(table: str, batches: Iterator[pl.DataFrame], counting: bool = True) -> Iterator[pl.DataFrame]:  # fmt: skip
        for batch in batches:
            columns = counted(table, batch) if counting else None
            yield strip_frame(batch, columns) if columns or not counting else batch

    def stripped(table: ServingTable) -> ServingTable:
        return replace(
            table, batches=lambda: cleaned(table.name, table.batches()),
            unstripped=table.batches, strip=functools.partial(cleaned, table.name),
            count=functools.partial(counted, table.name),
        )  # fmt: skip

    return [stripped(t) for t in tables]


def with_versions(store: Warehouse, tables: list[ServingTable], code: str) -> list[ServingTable]:
    """``tables`` with their :attr:`~ServingTable.inputs_version`: what the warehouse tables each
    reads hold (:meth:`~warehouse.store.Warehouse.content`, not their version names: a gold
    table computed again at a new date into the same bytes leaves its serving table as it is),
    its shape, ``code`` and, for the tables computed here with it (:attr:`~ServingTable.dated`),
    the as-of date; ``serving_meta``'s covers every other table's, so it changes exactly when one of them
    does (not with the clock)."""
    held = {
        table: store.content(*table.split("/", 1))
        for table in sorted({i for t in tables for i in t.inputs})
    }
    as_of = store.scan("gold", "cadre_profile").select(pl.col("as_of").max()).collect().item()
    out = [
        replace(
            t,
            code=code,
            inputs_version=fingerprint(
                code,
                t.name,
                t.access,
                t.scope_columns,
                t.index,
                as_of if t.dated else None,
                {i: held[i] for i in t.inputs},
            ),
        )  # fmt: skip
        for t in tables
        if t.name != META
    ]
    everything = fingerprint(code, as_of, [(t.name, t.inputs_version) for t in out])
    return out + [replace(t, inputs_version=everything) for t in tables if t.name == META]


def _gold_batches(
    store: Warehouse, name: str, scopes: pl.DataFrame | None
) -> Callable[[], Iterator[pl.DataFrame]]:
    """Batches of a gold table straight from its Parquet file (memory holds one batch), with
    the cadre's scope joined on when ``scopes`` is given."""

    def batches() -> Iterator[pl.DataFrame]:
        path = store.table_path("gold", name).resolve() / "data.parquet"
        if not path.exists():  # a partitioned table: read whole
            yield _finish(store.scan("gold", name).collect(), scopes)
            return
        parquet = pq.ParquetFile(path)
        if parquet.metadata.num_rows == 0:  # no batches to read: the table still gets its columns
            yield _finish(pl.read_parquet(path), scopes)
            return
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield _finish(frame, scopes)

    return batches


def _finish(frame: pl.DataFrame, scopes: pl.DataFrame | None) -> pl.DataFrame:
    if scopes is None:
        return frame
    return frame.join(scopes, on="person_no", how="left", maintain_order="left")


class _Once:
    """Batches of the frame ``make`` computes, computed once however often they are read (a
    delta load reads a table twice), until :meth:`release`."""

    def __init__(self, make: Callable[[], pl.DataFrame]) -> None:
        self.make = make
        self.made: pl.DataFrame | None = None

    def __call__(self) -> Iterator[pl.DataFrame]:
        if self.made is None:
            self.made = self.make()
        frame = self.made
        for start in range(0, max(frame.height, 1), BATCH_ROWS):
            yield frame.slice(start, BATCH_ROWS)

    def release(self) -> None:
        self.made = None


def _once(make: Callable[[], pl.DataFrame]) -> Callable[[], Iterator[pl.DataFrame]]:
    return _Once(make)


def released(table: ServingTable) -> None:
    """Let a loaded table's computed frame go (:class:`_Once`)."""
    for batches in (table.batches, table.unstripped):
        if isinstance(batches, _Once):
            batches.release()


def serving_tables(store: Warehouse, published_at: datetime) -> list[ServingTable]:
    """Every table the serving database gets, in load order."""
    cadres = store.scan("silver", "cadre")
    scopes = cadres.select("person_no", *SCOPE).collect()
    gold = {n: store.scan("gold", n) for n in ("warning", "cadre_timeline", "clearance")}
    as_of = store.scan("gold", "cadre_profile").select(pl.col("as_of").max()).collect().item()
    as_of = as_of if isinstance(as_of, date) else published_at.date()

    def portraits() -> pl.DataFrame:
        events = store.scan("silver", "supervision_event")
        return scope_portraits(events, cadres, gold["warning"], as_of).collect()

    def meta() -> pl.DataFrame:
        return pl.DataFrame(
            {"as_of": [as_of], "published_at": [published_at.isoformat(timespec="seconds")]}
        )

    person = ("person_no",)
    cadre, events = "silver/cadre", "silver/supervision_event"
    timeline, warning = "gold/cadre_timeline", "gold/warning"

    def gold_table(name: str, scoped: bool, access: str = "scoped", index: tuple[str, ...] = person) -> ServingTable:  # fmt: skip
        inputs = (f"gold/{name}", cadre) if scoped else (f"gold/{name}",)
        return ServingTable(name, _gold_batches(store, name, scopes if scoped else None), access,
                            index=index, inputs=inputs)  # fmt: skip

    def listed(name: str, make: Callable[[], pl.DataFrame], *inputs: str, dated: str | None = None) -> ServingTable:  # fmt: skip
        return ServingTable(name, _once(make), "scoped", LIST_SCOPE, inputs=(*inputs, cadre),
                            key="人员编号", date_column=dated)  # fmt: skip

    return [
        replace(gold_table("cadre_profile", False), key="person_no", date_column="as_of"),
        replace(gold_table("cadre_timeline", True), key="person_no"),
        replace(gold_table("warning", True), key="person_no"),
        replace(gold_table("promotion_check", True), key="person_no", date_column="as_of"),
        replace(gold_table("clearance", False), key="person_no"),
        gold_table("unit_portrait", False, "private", ()),
        ServingTable("unit_portrait_scope", _once(portraits), "scoped",
                     inputs=(events, cadre, warning), dated=True),
        replace(gold_table("tolerance_case", False, "public", ()), key="case_id"),
        listed("list_warning",
               lambda: warning_list(gold["warning"], cadres, gold["cadre_timeline"]).collect(),
               warning, timeline),
        listed("list_promotion_check",
               lambda: promotion_list(store.scan("gold", "promotion_check"), cadres).collect(),
               "gold/promotion_check", dated="审查基准日"),
        listed("list_clearance", lambda: clearance_list(gold["clearance"], cadres).collect(),
               "gold/clearance"),
        listed("list_tolerance_review",
               lambda: tolerance_review_list(store.scan("gold", "tolerance_review"), cadres).collect(),
               "gold/tolerance_review"),
        listed("list_inconsistency",
               lambda: inconsistency_list(store.scan("gold", "inconsistency"), cadres).collect(),
               "gold/inconsistency"),
        ServingTable(META, _once(meta), "public", dated=True),
    ]  # fmt: skip
