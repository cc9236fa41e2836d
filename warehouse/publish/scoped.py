"""The rows of one scope, read from the warehouse: every gold table cut to the cadres the scope
holds, and the portraits counted over those cadres alone."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from transforms.notices import clearance_notices
from transforms.pages import reviewed_links, roster_posts, scope_portraits
from transforms.practices import FOLLOWUP
from transforms.publishing import link_review_list
from transforms.scope import Scope, scopes_in
from warehouse.clock import today
from warehouse.publish.snapshot import Snapshot, SnapshotError, pin
from warehouse.store import Warehouse

GOLD_USED = (
    "cadre_profile", "cadre_timeline", "warning", "promotion_check", "clearance", "unit_portrait",
    "tolerance_review", "inconsistency",
)  # fmt: skip
POST_COLUMNS = ("person_no", "unit", "post", "start", "end")
LINK_REVIEW = {
    "candidate_person_no": pl.String, "candidate_unit": pl.String, "candidate_post": pl.String,
    "score": pl.Float64, "source": pl.String, "source_key": pl.String,
    "subject_name": pl.String, "subject_index": pl.Int32, "unit_given": pl.String,
}  # fmt: skip
"""What the 关联复核清单 reads of ``silver/link_review``; a warehouse without it lists none."""
SILVER_USED = ("cadre", "supervision_event")


PRACTICE_USED = ("assessment_composite", "sanction_followup")
"""Gold tables of issue #24, read when the warehouse has them (one built before has not)."""


def pin_tables(store: Warehouse, booklet: bool = True) -> Snapshot:
    """Pin and verify every table a bundle (and the booklet) reads.

    Raises:
        SnapshotError: one is missing or does not match its checksums.
    """
    tables = [("silver", t) for t in SILVER_USED] + [("gold", t) for t in GOLD_USED]
    if booklet:
        tables.append(("gold", "tolerance_case"))
    optional = [("silver", "cadre_post"), ("silver", "link_review"),
                *(("gold", t) for t in PRACTICE_USED)]  # fmt: skip
    return pin(store, tables, optional=optional)


def _pinned(source: "Warehouse | Snapshot", booklet: bool = False) -> Snapshot:
    return source if isinstance(source, Snapshot) else pin_tables(source, booklet)


class ScopeEmptyError(Exception):
    """A scope that holds no cadre; the message says so and lists the scopes the roster has."""


@dataclass
class ScopeRows:
    """Everything rendered for one scope, already cut to it."""

    scope: Scope
    as_of: date
    cadres: pl.DataFrame
    profile: pl.DataFrame
    timeline: pl.DataFrame
    warning: pl.DataFrame
    promotion: pl.DataFrame
    clearance: pl.DataFrame
    review: pl.DataFrame
    """``gold/tolerance_review``: 容错 decisions and the measures they may cover."""
    inconsistency: pl.DataFrame
    portraits: pl.DataFrame
    followup: pl.DataFrame
    """``gold/sanction_followup``: the scope's sanctioned cadres followed for re-use."""
    posts: pl.DataFrame
    posts_note: str
    notices: pl.DataFrame
    """The 澄清正名通知书 to write (:func:`transforms.notices.clearance_notices`)."""
    reviewed: dict[str, str]
    """Per event linked by a person's decision, the profile's mark (:func:`reviewed_links`)."""
    links: pl.DataFrame
    """关联复核清单 (:func:`~transforms.publishing.link_review_list`): the records in link review
    with the candidates of this scope only."""


def data_versions(
    store: "Warehouse | Snapshot", tables: list[tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """Per table, the version directory read (pinned, or the one the stable link points at)
    and its rows."""
    if isinstance(store, Snapshot):
        return store.data_versions(f"{layer}/{name}" for layer, name in tables)
    out = {}
    for layer, name in tables:
        link = store.table_path(layer, name)
        manifest = store.manifest(layer, name) or {}
        out[f"{layer}/{name}"] = {"version": link.resolve().name, "rows": manifest.get("rows")}
    return out


def _posts(store: Snapshot, cadres: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The post history: ``silver/cadre_post`` when it exists with the expected columns, else
    each cadre's current post from the roster (and a note saying so)."""
    if store.has("silver", "cadre_post"):
        posts = store.scan("silver", "cadre_post")
        if set(POST_COLUMNS) <= set(posts.collect_schema().names()):
            ids = cadres.select("person_no").lazy()
            rows = posts.join(ids, on="person_no", how="semi").select(POST_COLUMNS).collect()
            return rows, ""
    note = "任职经历：仓库中尚无任职经历（S8）数据，此处仅列干部名册中的现任职务。"
    return roster_posts(cadres.lazy()).collect(), note


def check_scope(store: "Warehouse | Snapshot", scope: Scope) -> int:
    """How many cadres ``scope`` holds.

    Raises:
        ScopeEmptyError: none (the message lists the scopes the roster has).
    """
    roster = _pinned(store).scan("silver", "cadre")
    held = roster.filter(scope.expr()).select(pl.len()).collect().item()
    if held == 0:
        raise ScopeEmptyError(
            f"scope {scope.label} holds 0 cadres ({scope.describe()}); "
            f"the roster holds: {scopes_in(roster)}"
        )
    return int(held)


def _scope_ids(store: Snapshot, scope: Scope) -> pl.DataFrame:
    """The 人员编号 of the scope's cadres, where ``silver/cadre`` and ``gold/cadre_profile`` agree.

    Both come from one run, so they hold the same cadres with the same scope; when they do not,
    the warehouse holds tables of two runs and nothing is published.

    Raises:
        SnapshotError: the two disagree about who is in the scope.
    """
    silver = store.scan("silver", "cadre").filter(scope.expr()).select("person_no")
    gold = store.scan("gold", "cadre_profile").filter(scope.expr()).select("person_no")
    both, only_silver, only_gold = pl.collect_all(
        [silver.join(gold, on="person_no", how="semi", nulls_equal=True),
         silver.join(gold, on="person_no", how="anti", nulls_equal=True),
         gold.join(silver, on="person_no", how="anti", nulls_equal=True)]
    )  # fmt: skip
    if only_silver.height or only_gold.height:
        versions = store.data_versions(["silver/cadre", "gold/cadre_profile"])
        raise SnapshotError(
            f"scope {scope.label}: silver/cadre ({versions['silver/cadre']['version']}) and "
            f"gold/cadre_profile ({versions['gold/cadre_profile']['version']}) disagree on "
            f"{only_silver.height + only_gold.height:,} cadre(s) of the scope — they come from "
            "different runs (one failed between them?). Nothing was published; let a run "
            "finish (`dajiandu run`) and publish again"
        )
    return both


def read_scope(source: "Warehouse | Snapshot", scope: Scope) -> ScopeRows:
    """The scope's rows of silver/cadre and the gold tables, from one pinned set of versions
    (``source`` a :class:`Snapshot`, or a warehouse whose current versions are pinned here).

    Raises:
        ScopeEmptyError: no cadre of the roster is in the scope.
        SnapshotError: a table is missing, damaged, unreadable, or from another run.
    """
    store = _pinned(source)
    check_scope(store, scope)
    try:
        return _read(store, scope)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise SnapshotError(
            f"scope {scope.label}: the pinned tables cannot be read "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        ) from None


def _read(store: Snapshot, scope: Scope) -> ScopeRows:
    ids_frame = _scope_ids(store, scope)
    ids = ids_frame.lazy()
    cadres = (
        store.scan("silver", "cadre").join(ids, on="person_no", how="semi", nulls_equal=True)
    ).collect()

    def cut(name: str) -> pl.LazyFrame:
        return store.scan("gold", name).join(ids, on="person_no", how="semi", nulls_equal=True)

    profile, timeline, warning, promotion, clearance, review, inconsistency = pl.collect_all(
        [cut("cadre_profile"), cut("cadre_timeline"), cut("warning"), cut("promotion_check"),
         cut("clearance"), cut("tolerance_review"), cut("inconsistency")]
    )  # fmt: skip
    as_of = profile["as_of"].max() if profile.height else None
    if not isinstance(as_of, date):
        as_of = today()
    composite, followup = (
        cut(name).collect() if store.has("gold", name) else None for name in PRACTICE_USED
    )
    events = store.scan("silver", "supervision_event").join(ids, on="person_no", how="semi")
    portraits = scope_portraits(
        events, cadres.lazy(), warning.lazy(), as_of,
        None if composite is None else composite.lazy(),
    ).collect()  # fmt: skip
    posts, note = _posts(store, cadres)
    notices = clearance_notices(clearance.lazy(), events, cadres.lazy()).collect()
    reviewed = dict(reviewed_links(events).collect().iter_rows())
    links = link_review_list(
        store.scan("silver", "link_review") if store.has("silver", "link_review")
        else pl.LazyFrame(schema=LINK_REVIEW),
        store.scan("silver", "supervision_event"), cadres.lazy(),
    ).collect()  # fmt: skip
    return ScopeRows(
        scope, as_of, cadres, profile.sort("person_no"), timeline, warning, promotion,
        clearance, review, inconsistency, portraits,
        pl.DataFrame(schema=FOLLOWUP) if followup is None else followup, posts, note, notices,
        reviewed, links,
    )  # fmt: skip
