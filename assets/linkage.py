"""Link every supervision event, reusing earlier decisions where nothing they depend on changed.

A link decision depends only on the record's own evidence (name, unit, post, 人员编号, ID number),
the roster (``silver/cadre``), the rules and the reviewed decisions. When the last three are the
same as at the previous run (the *context*), an event whose evidence is unchanged keeps its
decision; only new or changed records go through the linker. A new month of petitions costs the
new month. Knows nothing of Dagster.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from transforms import events, linking, normalize
from warehouse.store import Warehouse

EVIDENCE = ["subject_name", "unit_given", "post_given", "person_no_given", "id_given"]
IDENTITY = ["source", "source_key", "subject_index", "_evidence"]
DECISION = ["person_no", "link_method", "link_score", "link_status", "link_note", "id_status"]
EVENT_OUTPUT = [
    "event_id", "source", "source_key", "subject_name", "subject_index", "cadre_id", "person_no",
    "link_method", "link_score", "link_status", "link_note", "event_date", "category", "outcome",
    "amount_wan", "term_months", "counts_against", "unit_given", "post_given", "id_status", "_evidence",
    "_source_file", "_source_row",
]  # fmt: skip


@dataclass
class LinkReport:
    """What one linking pass did."""

    events: pl.DataFrame
    review: pl.DataFrame
    reused: int
    linked_now: int
    context: str


def link_context(rules: dict[str, Any], decisions: pl.DataFrame, cadre_version: str) -> str:
    """The fingerprint of everything besides a record's evidence that its link depends on."""
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode())
    digest.update(decisions.sort(decisions.columns).write_csv().encode())
    digest.update(cadre_version.encode())
    for module in (linking, events, normalize):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(pl.__version__.encode())
    return digest.hexdigest()[:16]


def _evidence() -> pl.Expr:
    return pl.concat_str([pl.col(c).fill_null("\x00") for c in EVIDENCE], separator="\x1f").hash(
        seed=7
    )


def link_all(
    store: Warehouse,
    rules: dict[str, Any],
    decisions: pl.DataFrame,
    petition_counting: dict[str, list[str]] | None = None,
) -> LinkReport:
    """All events of the bronze tables, linked; decisions of unchanged records carried over.

    ``petition_counting``: which reports count against a cadre (``petition_counting.csv``).
    """
    cadre_version = store.table_path("silver", "cadre").resolve().name
    context = link_context(rules, decisions, cadre_version)
    link_rules = linking.LinkRules(**rules)
    mentions = (
        pl.concat(
            [
                events.petition_events(store.scan("bronze", name), petition_counting)
                if name == "petition"
                else build(store.scan("bronze", name))
                for name, build in events.BUILDERS.items()
            ]
        )
        .with_columns(_evidence().alias("_evidence"))
        .collect()
    )
    previous = store.manifest("silver", "supervision_event")
    reusable = previous is not None and previous.get("extra", {}).get("context") == context
    if reusable:
        earlier = (
            store.scan("silver", "supervision_event")
            .select(*IDENTITY, *DECISION)
            .unique(IDENTITY)
            .collect()
        )
        known = mentions.join(earlier, on=IDENTITY, how="inner")
        fresh = mentions.join(earlier.select(IDENTITY), on=IDENTITY, how="anti")
    else:
        known, fresh = None, mentions
    fresh = fresh.with_row_index("mention_id")
    prepared = linking.prepare_mentions(fresh.lazy(), link_rules)
    linked, review = linking.link(
        prepared, store.scan("silver", "cadre"), link_rules, decisions.lazy()
    )
    fresh_linked, fresh_review = pl.collect_all([linked, review])
    columns = [c for c in EVENT_OUTPUT if c not in ("event_id", "cadre_id")]
    parts = (
        [fresh_linked.select(columns)]
        if known is None
        else [known.select(columns), fresh_linked.select(columns)]
    )
    frame = (
        pl.concat(parts, how="vertical_relaxed")
        .with_columns(
            pl.format(
                "{}|{}|{}|{}", "source", "_source_file", "_source_row", "subject_index"
            ).alias("event_id"),
            pl.col("person_no").alias("cadre_id"),
        )
        .select(EVENT_OUTPUT)
        .sort("source", "_source_file", "_source_row", "subject_index")
    )
    review_frame = _review(store, known, fresh_review)
    return LinkReport(
        frame, review_frame, 0 if known is None else known.height, fresh.height, context
    )


def _review(store: Warehouse, known: pl.DataFrame | None, fresh: pl.DataFrame) -> pl.DataFrame:
    """The review queue: fresh candidates, plus the earlier candidates of records still in review."""
    fresh = fresh.drop("mention_id")
    if known is None or not store.exists("silver", "link_review"):
        return fresh.sort(
            "source", "source_key", "subject_index", "score", descending=[False, False, False, True]
        )
    still = known.filter(pl.col("link_status") == "review").select(
        "source", "source_key", "subject_index"
    )
    earlier = (
        store.scan("silver", "link_review")
        .collect()
        .join(still, on=["source", "source_key", "subject_index"])
    )
    return pl.concat([earlier.select(fresh.columns), fresh], how="vertical_relaxed").sort(
        "source", "source_key", "subject_index", "score", descending=[False, False, False, True]
    )
