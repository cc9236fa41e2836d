"""The rows of one scope, read from the warehouse: every gold table cut to the cadres the scope
holds, and the portraits counted over those cadres alone."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from transforms.pages import roster_posts, scope_portraits
from transforms.scope import Scope, scopes_in
from warehouse.store import Warehouse

GOLD_USED = (
    "cadre_profile", "cadre_timeline", "warning", "promotion_check", "clearance", "unit_portrait",
    "tolerance_review", "inconsistency",
)  # fmt: skip
POST_COLUMNS = ("person_no", "unit", "post", "start", "end")


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
    posts: pl.DataFrame
    posts_note: str


def data_versions(store: Warehouse, tables: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Per table, the version directory the stable link points at and its rows."""
    out = {}
    for layer, name in tables:
        link = store.table_path(layer, name)
        manifest = store.manifest(layer, name) or {}
        out[f"{layer}/{name}"] = {"version": link.resolve().name, "rows": manifest.get("rows")}
    return out


def _posts(store: Warehouse, cadres: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The post history: ``silver/cadre_post`` when it exists with the expected columns, else
    each cadre's current post from the roster (and a note saying so)."""
    if store.exists("silver", "cadre_post"):
        posts = store.scan("silver", "cadre_post")
        if set(POST_COLUMNS) <= set(posts.collect_schema().names()):
            ids = cadres.select("person_no").lazy()
            rows = posts.join(ids, on="person_no", how="semi").select(POST_COLUMNS).collect()
            return rows, ""
    note = "任职经历：仓库中尚无任职经历（S8）数据，此处仅列干部名册中的现任职务。"
    return roster_posts(cadres.lazy()).collect(), note


def check_scope(store: Warehouse, scope: Scope) -> int:
    """How many cadres ``scope`` holds.

    Raises:
        ScopeEmptyError: none (the message lists the scopes the roster has).
    """
    roster = store.scan("silver", "cadre")
    held = roster.filter(scope.expr()).select(pl.len()).collect().item()
    if held == 0:
        raise ScopeEmptyError(
            f"scope {scope.label} holds 0 cadres ({scope.describe()}); "
            f"the roster holds: {scopes_in(roster)}"
        )
    return int(held)


def read_scope(store: Warehouse, scope: Scope) -> ScopeRows:
    """The scope's rows of silver/cadre and the gold tables.

    Raises:
        ScopeEmptyError: no cadre of the roster is in the scope.
    """
    check_scope(store, scope)
    cadres = store.scan("silver", "cadre").filter(scope.expr()).collect()
    ids = cadres.select("person_no").lazy()

    def cut(name: str) -> pl.LazyFrame:
        return store.scan("gold", name).join(ids, on="person_no", how="semi")

    profile, timeline, warning, promotion, clearance, review, inconsistency = pl.collect_all(
        [cut("cadre_profile"), cut("cadre_timeline"), cut("warning"), cut("promotion_check"),
         cut("clearance"), cut("tolerance_review"), cut("inconsistency")]
    )  # fmt: skip
    as_of = profile["as_of"].max() if profile.height else date.today()
    assert isinstance(as_of, date)
    events = store.scan("silver", "supervision_event").join(ids, on="person_no", how="semi")
    portraits = scope_portraits(events, cadres.lazy(), warning.lazy(), as_of).collect()
    posts, note = _posts(store, cadres)
    return ScopeRows(
        scope, as_of, cadres, profile.sort("person_no"), timeline, warning, promotion,
        clearance, review, inconsistency, portraits, posts, note,
    )  # fmt: skip
