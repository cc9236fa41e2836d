"""One linking pass over every supervision event: earlier decisions kept, the rest linked.

A link decision depends only on the record's own evidence (name, unit, post, 人员编号, ID number),
the roster, the rules and the reviewed decisions. When the last three are unchanged since the
previous run (the caller compares their fingerprint), an event whose evidence is unchanged keeps
its earlier decision and only new or changed records go through the linker: a new month of
petitions costs the new month. Polars in, Polars out; the caller reads the earlier tables.
"""

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import polars as pl

from transforms import events, linking
from transforms import normalize as nz
from transforms.decisions_check import DecisionCheck
from transforms.link_keys import name_keys, names_reform, reachable_posts
from transforms.specs import EVENT_SOURCES

EVIDENCE = [
    "subject_name", "unit_given", "unit_code_given", "post_given", "person_no_given", "id_given",
]  # fmt: skip
IDENTITY = ["source", "source_key", "subject_index", "_evidence"]
KEY = ["source", "source_key", "subject_index"]
"""A record's subject: what the review queue's rows are of."""
DECISION = ["person_no", "link_method", "link_score", "link_status", "link_note", "id_status"]
EVENT_OUTPUT = [
    "event_id", "source", "source_key", "subject_name", "subject_index", "cadre_id", "person_no",
    "link_method", "link_score", "link_status", "link_note", "event_date", "due_date", "category",
    "outcome", "amount_wan", "term_months", "counts_against", "unit_given", "post_given", "id_status",
    "_evidence", "_source_file", "_source_row",
]  # fmt: skip
Hold = Callable[[pl.DataFrame], pl.LazyFrame]
"""Where a chunk's links wait while the other chunks are linked: in memory (``DataFrame.lazy``,
the default) or written away by the caller (:meth:`warehouse.store.Warehouse.spill`). Held in
memory, ten chunks of 107 MB of links grew the process by 2.6 GB at 1,000,000 cadres: each is
allocated among the chunk's passing frames, and what they free cannot be given back (measured;
written away, the process stayed at 3.7 GB through the ten)."""
LINK_CHUNK = 500_000
"""Records linked at once (:func:`_linked_in_chunks`): their candidates are what memory holds."""
REVIEW_ORDER = ("source", "source_key", "subject_index", "score", "candidate_person_no")
"""The review queue's order: a total one (candidates of equal score by 人员编号), so the same
rows give the same bytes."""


@dataclass
class LinkedEvents:
    """What one linking pass made: ``silver/supervision_event``, ``silver/link_review``, and how
    many records kept an earlier decision or were linked now."""

    events: pl.DataFrame
    review: pl.DataFrame
    reused: int
    linked_now: int
    decisions: DecisionCheck | None = None
    """The verdict on every line of ``link_decisions.csv`` (set by the caller that checked it)."""
    context: str = ""
    """The link context the events were linked in (:func:`transforms.silver.link_context`)."""
    carried: tuple[str, ...] = ()
    """The sources whose rows are the earlier table's partition as it is (each record's mention
    and decision unchanged): not in :attr:`events`, kept by the caller."""
    carried_rows: int = 0
    """The mentions of those sources: the rows the kept partitions must hold."""


def mentions(
    bronze: Mapping[str, pl.LazyFrame],
    counting: events.PetitionCounting,
    rectification_months: int = 0,
) -> pl.LazyFrame:
    """Every person named in every record of the event sources, with a hash of its evidence.

    ``bronze`` holds the bronze table of each source in :data:`transforms.specs.EVENT_SOURCES`;
    ``rectification_months``: the default window of a finding without 整改时限.
    """
    built = [
        events.petition_events(bronze[name], counting)
        if name == "petition"
        else events.inspection_events(bronze[name], rectification_months)
        if name == "inspection"
        else events.BUILDERS[name](bronze[name])
        for name in EVENT_SOURCES
    ]
    evidence = pl.concat_str(
        [pl.col(c).fill_null("\x00") for c in EVIDENCE], separator="\x1f"
    ).hash(seed=7)
    return pl.concat(built).with_columns(evidence.alias("_evidence"))


def link_events(
    named: pl.DataFrame,
    cadres: pl.LazyFrame,
    posts: pl.LazyFrame,
    rules: linking.LinkRules,
    decisions: pl.DataFrame,
    earlier: pl.LazyFrame | None = None,
    earlier_review: pl.LazyFrame | None = None,
    stale: pl.DataFrame | None = None,
    post_keys: pl.LazyFrame | None = None,
    chunk: int | None = None,
    hold: Hold | None = None,
    settled: Collection[str] = (),
) -> LinkedEvents:
    """Link every mention of ``named`` (:func:`mentions`, collected) to ``cadres`` (prepared
    ``silver/cadre``) and the posts they held (``silver/cadre_post``, as it is stored), with
    ``rules`` that know the roster's regions (:func:`roster_rules`).

    ``earlier``/``earlier_review``: the previous ``silver/supervision_event`` and
    ``silver/link_review`` when their decisions may be kept (same rules and decisions), else
    None: everything is linked afresh. ``stale``: the records (:data:`IDENTITY`) among them
    whose decision may not be kept (:func:`stale_records`): linked afresh too. ``post_keys``:
    ``posts`` as :func:`~transforms.linking.prepare_posts` gives them with ``rules``, when they
    were kept so (``silver/post_keys``). Only the posts the fresh records can reach are read
    (:func:`~transforms.link_keys.reachable_posts`), ``chunk`` records (:data:`LINK_CHUNK`) at
    a time; each chunk's links wait in ``hold`` (:data:`Hold`) until all are sorted together.

    ``settled``: the sources whose mentions in ``named`` are those ``earlier`` was made from
    (the same bronze table, code and rules). Such a source none of whose records is linked
    afresh has, row for row, its partition of ``earlier``: it is left out of the events and
    named in :attr:`LinkedEvents.carried` (the assessment partition is 4M of the 4.8M events of
    1,000,000 cadres, and a month brings none).
    """
    carried: tuple[str, ...] = ()
    still: list[pl.LazyFrame] = []  # the keys of carried records in review (their candidates stay)
    n_carried = 0
    if earlier is not None and settled:
        # Every record of a settled source has its earlier decision (the earlier table was made
        # from these very mentions), so the source is carried unless a record of it is stale;
        # its decisions are not read nor its mentions joined (only the keys of its records in
        # review are read, for their candidates).
        opened = set() if stale is None else set(stale.get_column("source").to_list())
        carried = tuple(sorted(set(settled) - opened))
        out = pl.col("source").is_in(carried)
        n_carried = named.filter(out).height
        still.append(earlier.filter(out & (pl.col("link_status") == linking.REVIEW)).select(KEY))
        named, earlier = named.filter(~out), earlier.filter(~out)
    if earlier is not None:
        kept = _unique(earlier.select(*IDENTITY, *DECISION).collect(), IDENTITY)
        if stale is not None:
            kept = kept.join(stale, on=IDENTITY, how="anti")
        # A record with an earlier decision is known, the others are fresh. Two joins: one left
        # join split in two held a third copy of every mention while the fresh ones were linked
        # (+474 MB of a 100,000-cadre new month's +851 MB in this function, measured).
        known: pl.DataFrame | None = named.join(
            kept, on=IDENTITY, how="inner", maintain_order="left"
        )
        fresh = named.join(kept, on=IDENTITY, how="anti")
        del kept
    else:
        known, fresh = None, named
    fresh = fresh.with_row_index("mention_id")
    prepared = linking.prepare_mentions(fresh.lazy(), rules).collect()
    keyed = post_keys if post_keys is not None else linking.prepare_posts(posts, cadres, rules)
    fresh_linked, fresh_review = _linked_in_chunks(
        prepared, cadres, keyed, rules, decisions, chunk or LINK_CHUNK, hold or pl.DataFrame.lazy
    )
    n_fresh = fresh.height
    del prepared, fresh
    columns = [c for c in EVENT_OUTPUT if c not in ("event_id", "cadre_id")]
    parts = [fresh_linked.select(columns)]
    parts += [known.lazy().select(columns)] if known is not None else []
    del fresh_linked
    # Sorted lazily from the pieces as they are (no concatenated copy first), with the mentions
    # let go: at 1,000,000 cadres the link's peak fell from 8.4 GB to 7.0 GB with the chunks
    # cut one at a time (measured).
    frame = (
        pl.concat(parts, how="vertical_relaxed", rechunk=False)
        .with_columns(
            pl.format(
                "{}|{}|{}|{}", "source", "_source_file", "_source_row", "subject_index"
            ).alias("event_id"),
            pl.col("person_no").alias("cadre_id"),
        )
        .select(EVENT_OUTPUT)
        .sort("source", "_source_file", "_source_row", "subject_index")
        .collect()
    )
    if known is not None:
        still.append(known.lazy().filter(pl.col("link_status") == linking.REVIEW).select(KEY))
    queue = _review(still, fresh_review.drop("mention_id"), earlier_review)
    reused = n_carried + (0 if known is None else known.height)
    return LinkedEvents(frame, queue, reused, n_fresh, carried=carried, carried_rows=n_carried)


def _unique(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """``frame.unique(key)``, the rows whose key's hash no other row shares taken as they are:
    only the others are compared on the key itself (4.8M events: 2.6 → 0.9 s CPU, measured)."""
    shared = frame.select(pl.struct(key).hash(seed=5).is_duplicated()).to_series()
    if not shared.any():
        return frame
    return pl.concat([frame.filter(~shared), frame.filter(shared).unique(key)])


def _linked_in_chunks(
    prepared: pl.DataFrame,
    cadres: pl.LazyFrame,
    keyed: pl.LazyFrame,
    rules: linking.LinkRules,
    decisions: pl.DataFrame,
    chunk: int,
    hold: Hold,
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """:func:`~transforms.linking.link` of ``prepared`` mentions over the posts each chunk of
    them reaches: the links (each chunk's kept by ``hold``) and the review queue. A mention's link reads only its own evidence
    and the posts it reaches, so chunks give what one pass gives; records of one name key share
    a chunk, so a chunk reaches few cadres beyond its namesakes."""
    pieces = max(1, math.ceil(prepared.height / chunk))
    keyed = keyed.collect().lazy() if pieces > 1 else keyed
    # Each chunk is cut from the mentions as it is linked: all of them cut at once
    # (``partition_by``) held 3.5 GB more at 1,000,000 cadres for 0.9 GB of mentions (measured).
    of_chunk = prepared.get_column("name_key").hash(seed=3) % pieces
    linked: list[pl.LazyFrame] = []
    review: list[pl.DataFrame] = []
    for key in of_chunk.unique(maintain_order=True) if pieces > 1 else [None]:
        part = prepared if key is None else prepared.filter(of_chunk == key)
        held = reachable_posts(keyed, part, rules).collect().lazy()
        links, queue = linking.link(part.lazy(), cadres, held, rules, decisions.lazy())
        done = pl.collect_all([links, queue])
        linked.append(hold(done[0]))
        review.append(done[1])
        del done
    return pl.concat(linked, rechunk=False), pl.concat(review, rechunk=False)


def roster_rules(
    rules: linking.LinkRules, cadres: pl.LazyFrame, posts: pl.LazyFrame
) -> linking.LinkRules:
    """``rules`` that know the regions the roster's and the post history's unit names hold."""
    units = pl.concat([cadres.select("unit"), posts.select("unit")]).collect().to_series()
    return linking.with_roster_regions(rules, units)


def _rows(table: pl.LazyFrame) -> pl.LazyFrame:
    """``person_no`` and a hash of each row of a table of cadres or of their posts, as the
    linker reads it: a post's 任免文号 (``document``) only as whether it names a reform
    (:func:`~transforms.link_keys.names_reform`), so a corrected document number opens no
    decision again."""
    read = [
        names_reform(pl.col(c)).alias(c) if c == "document" else pl.col(c)
        for c in table.collect_schema().names()
    ]
    return table.select("person_no", pl.struct(read).hash(seed=11).alias("_h"))


def changed_cadres(
    before: tuple[pl.LazyFrame, pl.LazyFrame], after: tuple[pl.LazyFrame, pl.LazyFrame]
) -> pl.LazyFrame:
    """The cadres (``person_no``) the linker may see otherwise now that the roster went from
    ``before`` to ``after`` (each ``silver/cadre`` and ``silver/cadre_post``): those with a row
    or a post on one side only (their row or posts changed, or they came or went; a post is one
    row, ``silver/cadre_post`` holds no two alike), and everyone holding a post at a unit code
    one of their posts names (a unit's aliases are learnt from every post at it, and from the
    posts that moved to or from it: :func:`~transforms.link_keys.unit_aliases`)."""
    # Each side's rows hashed once, and the cadres found before their colleagues are (planned
    # lazily as one, the hashes and the changed cadres were computed again where each is read:
    # 7.9 s against 2.4 s CPU at 1,000,000 cadres, measured).
    rows = pl.collect_all([_rows(side[table]) for table in (0, 1) for side in (before, after)])
    one_side = [
        side.join(other, on=["person_no", "_h"], how="anti").select("person_no")
        for old, new in (rows[0:2], rows[2:4])
        for side, other in ((old, new), (new, old))
    ]
    found = pl.concat(one_side).unique()
    if found.is_empty():  # no colleague to look for
        return found.lazy()
    changed = found.lazy()
    codes = _codes_held(changed, before[1], after[1])
    colleagues = after[1].join(codes, on="unit_code", how="semi").select("person_no")
    return pl.concat([changed, colleagues]).unique()


def _codes_held(cadres: pl.LazyFrame, *posts: pl.LazyFrame) -> pl.LazyFrame:
    """The unit codes (``unit_code``) at which ``cadres`` (``person_no``) held a post in any of
    ``posts`` (``silver/cadre_post`` versions)."""
    return (
        pl.concat([p.select("person_no", "unit_code") for p in posts])
        .join(cadres, on="person_no", how="semi")
        .select(pl.col("unit_code").drop_nulls().unique())
    )


def stale_records(
    named: pl.DataFrame,
    earlier: pl.LazyFrame,
    rules: linking.LinkRules,
    before: tuple[pl.LazyFrame, pl.LazyFrame],
    after: tuple[pl.LazyFrame, pl.LazyFrame],
) -> pl.DataFrame:
    """The records (:data:`IDENTITY`) whose earlier decision may not be kept now that the roster
    went from ``before`` to ``after`` (each ``silver/cadre`` and ``silver/cadre_post``): those
    that could name a cadre the linker may see otherwise (:func:`changed_cadres`) — the same
    name key, pinyin or look-alike skeleton (how candidates are found), the same ID number or
    人员编号 — those giving a unit code such a cadre held a post at, before or after (the region
    a record's code gives is read from every post at the code), and those linked to such a
    cadre. Every other record has the same candidates, seen the same way, so its decision stands
    (``rules``, with the roster's regions, are the same both times)."""
    found = changed_cadres(before, after).collect()
    if found.is_empty():  # (a corrected 任免文号, a cadre's 备注)
        return named.select(IDENTITY).clear()
    changed = found.lazy()
    codes = _codes_held(changed, before[1], after[1]).collect()["unit_code"]
    people = (
        pl.concat([before[0], after[0]], how="diagonal_relaxed")
        .join(changed, on="person_no", how="semi")
        .select("person_no", "name_key", "id_number")
        .collect()
    )
    names = name_keys(people["name_key"], rules)
    # Each distinct name written in the records is keyed once (a name is written by thousands).
    written = named.select(pl.col("subject_name").unique()).with_columns(
        nz.name_key(pl.col("subject_name")).alias("name_key")
    )
    hit = name_keys(written["name_key"], rules)
    matched = hit.filter(
        pl.col("name_key").is_in(names["name_key"].implode())
        | pl.col("pinyin").is_in(names["pinyin"].implode())
        | pl.col("skeleton").is_in(names["skeleton"].implode())
    ).select("name_key")
    matched_names = written.join(matched, on="name_key", how="semi")["subject_name"]
    persons, ids = people["person_no"].drop_nulls(), people["id_number"].drop_nulls()
    given_ids = named.select(pl.col("id_given").unique()).filter(
        nz.normalize_id_number(pl.col("id_given")).is_in(ids.implode())
    )["id_given"]
    by_evidence = (
        named.lazy()
        .filter(
            pl.col("subject_name").is_in(matched_names.implode())
            | pl.col("id_given").is_in(given_ids.implode())
            | nz.blank_to_null(pl.col("person_no_given")).is_in(persons.implode())
            | pl.col("unit_code_given").is_in(codes.implode())
        )
        .select(IDENTITY)
    )
    by_link = earlier.filter(pl.col("person_no").is_in(persons.implode())).select(IDENTITY)
    return pl.concat([by_evidence, by_link]).unique().collect()


def _review(
    still: list[pl.LazyFrame], fresh: pl.DataFrame, earlier: pl.LazyFrame | None
) -> pl.DataFrame:
    """The review queue: fresh candidates, plus the earlier candidates of the records still in
    review that kept their decision (``still``: their :data:`KEY`)."""
    parts = [fresh]
    if still and earlier is not None:
        keys = pl.concat(still, how="vertical_relaxed").collect()
        kept = earlier.collect().join(keys, on=KEY)
        parts = [kept.select(fresh.columns), fresh]
    return pl.concat(parts, how="vertical_relaxed").sort(
        *REVIEW_ORDER, descending=[False, False, False, True, False]
    )
