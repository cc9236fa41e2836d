"""Page-ready records for one scope: a profile per cadre, a portrait per unit and region, the
search index, the case booklet and the geometry of the small charts.

Inputs are gold (and silver/cadre) frames already cut to the scope; outputs are plain dicts and
lists a template reads. Pure: no disk, no clock.
"""

from collections import defaultdict
from datetime import date
from typing import Any

import polars as pl

from transforms.profile import unit_portrait
from transforms.publishing import (
    CONDITION_LABELS,
    GRAIN_LABELS,
    LEVEL_LABELS,
    SOURCE_LABELS,
    event_refs,
    file_stem,
    fill_empty,
    mask_id_text,
    shown_key,
)
from transforms.scope import LEVELS

Record = dict[str, Any]


def _by_person(frame: pl.DataFrame) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        out[row["person_no"]].append(row)
    return out


def _timeline_rows(timeline: pl.DataFrame) -> dict[str, list[Record]]:
    labelled = timeline.with_columns(
        pl.col("source")
        .replace_strict(SOURCE_LABELS, default=pl.col("source"))
        .alias("source_label")
    )
    return _by_person(labelled)


def _warning_rows(warning: pl.DataFrame, refs: dict[str, str]) -> dict[str, list[Record]]:
    out = _by_person(warning)
    for rows in out.values():
        for row in rows:
            row["level_label"] = LEVEL_LABELS.get(row["level"], row["level"])
            row["records"] = [refs.get(e, "（记录不在时间线中）") for e in row["event_ids"] or []]
    return out


def _reasons(promotion: pl.DataFrame, refs: dict[str, str]) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for row in promotion.iter_rows(named=True):
        row["reasons"] = [r for r in row["reasons"] or [] if r is not None]
        for reason in row["reasons"]:
            reason["condition_label"] = CONDITION_LABELS.get(
                reason["condition"], reason["condition"]
            )
            reason["record"] = refs.get(reason["event_id"], "")
        out[row["person_no"]] = row
    return out


def reviewed_links(events: pl.LazyFrame) -> pl.LazyFrame:
    """``event_id`` and ``mark`` (``关联经人工复核（李明）``) of every event a person linked in
    ``link_decisions.csv`` (``link_method`` ``manual``): the profile shows which links rest on a
    person's decision, not on the linker."""
    who = pl.col("link_note").str.extract(r"^reviewed by (.+?): ", 1).fill_null("—")
    return events.filter(pl.col("link_method") == "manual").select(
        "event_id", pl.format("关联经人工复核（{}）", who).alias("mark")
    )


def profile_pages(
    profile: pl.DataFrame,
    cadres: pl.DataFrame,
    timeline: pl.DataFrame,
    warning: pl.DataFrame,
    promotion: pl.DataFrame,
    clearance: pl.DataFrame,
    posts: pl.DataFrame,
    reviewed: dict[str, str] | None = None,
) -> list[Record]:
    """One record per cadre of ``profile`` (sorted by 人员编号): identity with the ID number
    masked, post history, the promotion-bar check with each reason, warnings with the records
    that raised them, clearance, latest grades, counts by source and the whole timeline.

    ``posts`` holds the post history (person_no, unit, post, start, end); every frame is the
    scope's rows only. Any of them may hold nulls (a cadre with no assessment, no event, no
    post): a missing list is shown as none, a missing count as 0. Each record has ``file``, the
    page's file name (:func:`~transforms.publishing.file_stem`), and ``file_hashed`` when that
    is a hash because the 人员编号 cannot be a file name. ``reviewed`` (:func:`reviewed_links`):
    per ``event_id`` linked by a person's decision, the mark its timeline and clearance rows carry.
    """
    refs = dict(event_refs(timeline.lazy()).collect().iter_rows())
    marks = reviewed or {}
    ids = dict(cadres.select("person_no", "id_number").iter_rows())
    events = _timeline_rows(fill_empty(timeline))
    warnings = _warning_rows(fill_empty(warning), refs)
    reasons = _reasons(fill_empty(promotion), refs)
    cleared = _by_person(fill_empty(clearance))
    history = _by_person(posts.sort("person_no", "start", descending=[False, True]))
    pages = []
    for row in fill_empty(profile).sort("person_no").iter_rows(named=True):
        person = row["person_no"]
        row["file"] = file_stem(person)
        row["file_hashed"] = row["file"] != person
        row["person_no_shown"] = shown_key(person) if person else "（空）"
        row["id_masked"] = mask_id_text(ids.get(person))
        row["level_label"] = LEVEL_LABELS.get(row["warning_level"], row["warning_level"])
        row["counts"] = [
            {"label": label, "against": row[f"{s}_against"], "other": row[f"{s}_other"]}
            for s, label in SOURCE_LABELS.items()
        ]
        row["timeline"] = events.get(person, [])
        for record in (*row["timeline"], *cleared.get(person, [])):
            record["reviewed"] = marks.get(record.get("event_id") or "")
        row["warnings"] = warnings.get(person, [])
        row["promotion"] = reasons.get(person, {"barred": False, "reasons": []})
        row["clearance"] = cleared.get(person, [])
        row["posts"] = history.get(person, [])
        pages.append(row)
    return pages


def roster_posts(cadres: pl.LazyFrame) -> pl.LazyFrame:
    """The post history when no S8 table exists: each cadre's current post, open-ended."""
    return cadres.select(
        "person_no", "unit", "post", pl.col("post_since").alias("start"),
        pl.lit(None, dtype=pl.Date).alias("end"),
    )  # fmt: skip


def search_index(profile: pl.DataFrame) -> list[Record]:
    """What the index page's offline search looks through: one entry per cadre."""
    return [
        {
            "p": row["person_no"],
            "f": file_stem(row["person_no"]),
            "n": row["name"],
            "u": row["unit"],
            "t": row["post"],
            "w": LEVEL_LABELS.get(row["warning_level"], ""),
            "b": bool(row["barred"]),
        }
        for row in profile.select(
            "person_no", "name", "unit", "post", "warning_level", "barred"
        ).iter_rows(named=True)
    ]


def scope_portraits(
    events: pl.LazyFrame,
    cadres: pl.LazyFrame,
    warning: pl.LazyFrame,
    as_of: date,
    composite: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``gold/unit_portrait``'s figures counted over each 管理权限's cadres apart.

    A unit can hold cadres of several 管理权限 (a county's leaders are 市管, its staff 县管), so a
    portrait for one scope counts only that scope's cadres; each row says its ``scope_level`` and
    ``region`` (a unit's region is its cadres'). Pass the cadres of one scope to get its portraits.
    """
    people = cadres.filter(pl.col("scope_level").is_in(LEVELS))
    composite = (
        None
        if composite is None
        else composite.join(people.select("person_no"), on="person_no", how="semi")
    )
    portrait = unit_portrait(events, people, warning, as_of, composite, by=("scope_level",))
    regions = people.group_by("scope_level", "unit").agg(
        pl.col("region").min().alias("_unit_region")
    )
    return (
        portrait.join(
            regions, left_on=["scope_level", "name"], right_on=["scope_level", "unit"], how="left"
        )
        .with_columns(
            pl.when(pl.col("grain") == "region")
            .then(pl.col("name"))
            .otherwise(pl.col("_unit_region"))
            .alias("region"),
        )
        .select(pl.exclude("scope_level", "_unit_region", "region"), "scope_level", "region")
        .sort("scope_level", "grain", "name")
    )


CHART_FONT_PX = 9
"""Font size of chart text, in SVG pixels (the template writes it on each chart)."""


def _text_px(text: str) -> float:
    """About how wide ``text`` is at :data:`CHART_FONT_PX` (a CJK character is one em, other
    characters about 0.6)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text) * CHART_FONT_PX


def _trend_chart(trend: list[Record], width: int = 640, height: int = 170) -> Record:
    """Bars per year (all events, and those counting against), as SVG coordinates.

    A year label is shown only where it fits: every ``step``-th year back from the latest, ``step``
    chosen so that labels never overlap; a value above a bar only when the slot is wide enough
    for it. Every bar keeps its figures in its tooltip (``<title>``).
    """
    trend = [t for t in trend if t is not None]
    top = max([t["events"] or 0 for t in trend] + [1])
    left, base = 34, height - 22
    slot = (width - left - 6) / max(len(trend), 1)
    label_px = _text_px("0000") + 6
    step = max(1, -(-int(label_px) // max(int(slot), 1)))
    values_fit = slot >= _text_px(str(top)) + 2
    bars = []
    for i, t in enumerate(trend):
        x = left + i * slot
        h_all = (base - 14) * (t["events"] or 0) / top
        h_against = (base - 14) * (t["against"] or 0) / top
        labelled = (len(trend) - 1 - i) % step == 0  # counted back from the latest year
        bars.append(
            {
                "x": round(x + slot * 0.12, 1), "w": round(slot * 0.38, 1),
                "x2": round(x + slot * 0.5, 1), "h": round(h_all, 1), "h2": round(h_against, 1),
                "y": round(base - h_all, 1), "y2": round(base - h_against, 1),
                "label": str(t["year"]), "lx": round(x + slot * 0.5, 1),
                "show_label": labelled, "show_value": values_fit and bool(t["events"]),
                "events": t["events"], "against": t["against"],
            }
        )  # fmt: skip
    return {
        "width": width, "height": height, "bars": bars, "top": top, "base": base,
        "left": left, "font_px": CHART_FONT_PX,
    }  # fmt: skip


def _category_chart(categories: list[Record], width: int = 640, rows: int = 10) -> Record:
    """Horizontal bars of events per 100 cadres for the busiest (source, category) pairs; the
    label column is as wide as the longest label (cut with … past 22 characters' width)."""
    present = [c for c in categories if c is not None]
    chosen = sorted(
        present, key=lambda c: (-(c["per_100"] or 0), c["source"] or "", c["category"] or "")
    )
    chosen = chosen[:rows]
    top = max([c["per_100"] or 0 for c in chosen] + [1.0])
    labels = [
        _fit(f"{SOURCE_LABELS.get(c['source'], c['source'])}·{c['category'] or '未分类'}", 22)
        for c in chosen
    ]
    label_w = round(max([_text_px(t) for t in labels] + [40.0]) + 8, 1)
    value_w = _text_px("000.00") + 8
    span = width - label_w - value_w
    bars = [
        {
            "y": 4 + i * 22, "x": label_w, "w": round(span * (c["per_100"] or 0) / top, 1),
            "label": label, "value": c["per_100"],
        }
        for i, (c, label) in enumerate(zip(chosen, labels, strict=True))
    ]  # fmt: skip
    return {"width": width, "height": 8 + 22 * len(bars), "bars": bars, "font_px": CHART_FONT_PX}


def _fit(text: str, ems: float) -> str:
    """``text`` cut with … so that it is at most ``ems`` CJK characters wide."""
    if _text_px(text) <= ems * CHART_FONT_PX:
        return text
    while text and _text_px(text + "…") > ems * CHART_FONT_PX:
        text = text[:-1]
    return text + "…"


def portrait_pages(portraits: pl.DataFrame) -> list[Record]:
    """One record per portrait row (regions first, then units by name), with its charts."""
    pages = []
    ordered = fill_empty(portraits).sort(pl.col("grain") != "region", "name")
    for row in ordered.iter_rows(named=True):
        row["grain_label"] = GRAIN_LABELS.get(row["grain"], row["grain"])
        row["per_source"] = [
            {"label": label, "events": row[f"{s}_events"], "per_100": row[f"{s}_per_100"]}
            for s, label in SOURCE_LABELS.items()
        ]
        row["trend_chart"] = _trend_chart(row["trend"])
        row["category_chart"] = _category_chart(row["by_category"])
        row["by_category"] = [c for c in row["by_category"] if c is not None]
        for c in row["by_category"]:
            c["source_label"] = SOURCE_LABELS.get(c["source"], c["source"])
        pages.append(row)
    return pages


def booklet(cases: pl.DataFrame) -> Record:
    """典型案例汇编: tolerated cases by field (领域), then refusals as counter-examples."""
    fields: dict[str, list[Record]] = defaultdict(list)
    counter: list[Record] = []
    for row in cases.sort("field", "year", "case_id", nulls_last=True).iter_rows(named=True):
        (counter if row["counter_example"] else fields[row["field"] or "其他"]).append(row)
    sections = [{"field": f, "cases": fields[f]} for f in sorted(fields)]
    return {"sections": sections, "counter": counter, "total": cases.height}
