"""Petitions that exercise what real exports hold and the linker must not get wrong, each marked
with its difficulty class in the truth:

- ``renamed`` — received before the 2018–2019 reform, naming a bureau by its old name (国土资源局,
  or 国土局) as it was then;
- ``rotation`` / ``rotation_namesake`` — about a post the cadre held years ago, at a unit where,
  for the second, a namesake works now;
- ``joint`` — naming two cadres of one unit (``张伟、李强``) with their posts in the same order;
- ``outsider`` — a village cadre or contract employee who shares a cadre's name and unit, under a
  post no roster cadre holds, or a post that contradicts the one the cadre held then;
- ``typo`` — a cadre's name with one character wrong (a homophone or a look-alike), unit and
  post right: only a person can confirm it.

Drawn from a random stream of their own and appended to the petitions, so other bytes stay.
"""

from datetime import date, timedelta
from functools import cache

import numpy as np

from warehouse.samples.careers import OLD_NAMES, SLACK, Post, record_class
from warehouse.samples.mess import date_text
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Evidence, Sink

TYPOS = {"伟": "玮", "刚": "钢", "军": "君", "明": "鸣", "华": "桦", "强": "墙", "平": "萍",
         "敏": "闽", "静": "净", "杰": "洁", "林": "琳", "海": "每", "东": "车", "文": "丈",
         "玉": "王", "红": "江", "春": "眷"}  # fmt: skip
"""Characters clerks mistype: homophones (伟/玮) and look-alikes (海/每, 东/车, 文/丈)."""
OUTSIDER_POSTS = ("村党支部书记", "村主任", "聘用人员", "社区书记")
CONTRADICTING = {"局长": "科员", "副局长": "局长", "镇长": "副镇长", "副镇长": "镇长",
                 "县长": "副县长", "股长": "局长"}  # fmt: skip


def _petition_row(
    number: str, received: date, names: str, unit: str, posts: str, rng: np.random.Generator
) -> Row:
    """A petition as the main generator writes one, naming ``names`` (not yet handled)."""
    return [
        number, date_text(rng, received), "来信", None, None, None, names, unit, posts, None,
        "违反工作纪律", f"反映{names}在工作中存在问题（{number}）", "初步核实", "办理中", "否", "否",
        "否", None, None, f"{received + timedelta(days=30):%Y-%m-%d} 10:00:00",
    ]  # fmt: skip


def _inside(rng: np.random.Generator, post: Post, latest: date) -> date | None:
    """A day well inside ``post`` (away from its ends by the linker's slack), before ``latest``."""
    first = post.start + SLACK
    last = min(post.end - SLACK if post.end else latest, latest)
    if last <= first:
        return None
    return first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _about(
    sink: Sink,
    rng: np.random.Generator,
    n: int,
    c: Cadre,
    post: Post,
    day: date,
    name: str | None = None,
) -> Row:
    unit = sink.write_unit(rng, post.unit, day)
    if (
        name is not None
        and sink.geo is not None
        and any(_held_by_anyone(sink, name, code, None, day) for code in sink.geo.denotes(unit))
    ):  # the mistyped name is somebody's at another unit this form denotes: write it in full
        unit = post.unit.named_on(day)
    shown = name or c.name
    row = _petition_row(f"XF{day.year}-{9_000_000 + n:07d}", day, shown, unit, post.title, rng)
    cls = record_class(post, day) if name is None else "typo"
    evidence = sink.evidence_at(
        c, day, post, key=False, titled=True, cls=cls, unit_text=unit, title=post.title
    )
    if name is not None:  # only a person can tell a mistyped name is this cadre
        evidence = Evidence(False, evidence.homonym, False, "typo")
    sink.link(row, "petition", str(row[0]), shown, c, evidence)
    return row


def _historic(rng: np.random.Generator, sink: Sink, cadres: list[Cadre], n: int) -> list[Row]:
    """Records of earlier posts: before the reform at renamed bureaus, and where namesakes are."""
    rows: list[Row] = []
    for c in cadres:
        for post in sink.careers.posts[c.person_no]:
            renamed = any(post.unit.full.endswith(new) for new in OLD_NAMES) and post.start < date(
                2018, 7, 1
            )
            if post.unit.organ:  # a profile's unit: the S8 row before its local rename or transfer
                before = post.unit.renamed_on is not None and post.end is not None
                before = before and post.end < post.unit.renamed_on  # type: ignore[operator]
                renamed = before and bool(post.unit.old_full or post.unit.successor)
                if renamed and not post.namesake and (day := _inside(rng, post, post.end)):  # type: ignore[arg-type]
                    rows.append(_about(sink, rng, n + len(rows), c, post, day))
                    continue
            wanted = (
                post.namesake
                or (renamed and rng.random() < 0.5)
                or (post.end and rng.random() < 0.05)
            )
            day = _inside(
                rng, post, date(2018, 6, 30) if renamed and not post.namesake else date(2025, 6, 30)
            )
            if wanted and day is not None:
                rows.append(_about(sink, rng, n + len(rows), c, post, day))
    return rows


def _joint(rng: np.random.Generator, sink: Sink, cadres: list[Cadre], n: int, k: int) -> list[Row]:
    """Petitions naming two people of one unit, with their posts in the same order."""
    by_unit: dict[str, list[Cadre]] = {}
    for c in cadres:
        by_unit.setdefault(c.unit_code, []).append(c)
    shared = [group for group in by_unit.values() if len(group) > 1]
    rows: list[Row] = []
    for i in range(k):
        group = shared[int(rng.integers(0, len(shared)))]
        a, b = (group[j] for j in rng.choice(len(group), 2, replace=False))
        day = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 540)))
        pa, pb = sink.careers.held_on(a, day), sink.careers.held_on(b, day)
        if pa.unit.code != pb.unit.code:
            continue
        unit = sink.write_unit(rng, pa.unit, day)
        number = f"XF{day.year}-{9_500_000 + n + i:07d}"
        ta, tb = sink.title_on(a, pa, day), sink.title_on(b, pb, day)
        row = _petition_row(number, day, f"{a.name}、{b.name}", unit, f"{ta}、{tb}", rng)
        for index, (c, p, t) in enumerate(((a, pa, ta), (b, pb, tb))):
            evidence = sink.evidence_at(
                c, day, p, key=False, titled=True, cls="joint", unit_text=unit, title=t
            )
            sink.link(row, "petition", number, c.name, c, evidence, index)
        rows.append(row)
    return rows


@cache
def _held_together() -> dict[str, frozenset[str]]:
    """Each title and the titles one person commonly holds with it (``post_terms.csv``'s groups:
    a bureau's 局长 is usually also its 党组书记), the title itself included."""
    from warehouse.rules import load_post_terms  # noqa: PLC0415

    groups: dict[str, set[str]] = {}
    for term in load_post_terms():
        if term.group:
            groups.setdefault(term.group, set()).add(term.canonical)
    return {t: frozenset(g) for g in groups.values() for t in g}


def _held_by_anyone(sink: Sink, name: str, unit_code: str, title: str | None, day: date) -> bool:
    """Somebody of the roster called ``name`` held ``title`` (any title, for None), or a title
    one person commonly holds with it (a record's 局长 for a namesake who is 党组书记), at the
    unit near ``day``: then a record naming them there is no outsider's, nor a typo."""
    titles = _held_together().get(title or "", frozenset({title}))
    return any(
        (title is None or not p.parts.isdisjoint(titles)) and p.holds(day, SLACK)
        for p in sink.careers.at_unit[(name, unit_code)]
    )


def _outsider(rng: np.random.Generator, sink: Sink, c: Cadre, number: str, day: date) -> Row | None:
    """Somebody who shares ``c``'s name and unit but is not ``c``: nobody of the roster."""
    held = sink.careers.held_on(c, day)
    other = CONTRADICTING.get(held.title)
    post = (
        other
        if other and rng.random() < 0.3
        else OUTSIDER_POSTS[int(rng.integers(0, len(OUTSIDER_POSTS)))]
    )
    if _held_by_anyone(sink, c.name, held.unit.code, post, day):
        return None  # a namesake of the roster holds that post there: not an outsider
    unit = sink.write_unit(rng, held.unit, day)
    if sink.geo is not None and any(
        _held_by_anyone(sink, c.name, code, post, day) for code in sink.geo.denotes(unit)
    ):
        return None  # the form written also denotes a unit where a namesake holds that post
    row = _petition_row(number, day, c.name, unit, post, rng)
    sink.link(row, "petition", number, c.name, None, sink.evidence(None, key=False, cls="outsider"))
    return row


def _mistyped(name: str) -> str | None:
    at = next((i for i in range(len(name) - 1, 0, -1) if name[i] in TYPOS), None)
    return None if at is None else name[:at] + TYPOS[name[at]] + name[at + 1 :]


def phenomena(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """The extra petitions, about one for every 40 cadres of each kind (more for history)."""
    k = max(8, len(cadres) // 40)
    rows = _historic(rng, sink, cadres, 0)
    rows += _joint(rng, sink, cadres, len(rows), k)
    for i in range(k):
        c = cadres[int(rng.integers(0, len(cadres)))]
        day = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 540)))
        outsider = _outsider(rng, sink, c, f"XF{day.year}-{9_800_000 + i:07d}", day)
        rows += [outsider] if outsider else []
        typo, held = _mistyped(c.name), sink.careers.held_on(c, day)
        if (
            typo
            and sink.careers.comfortably_held(c, day)
            and not _held_by_anyone(sink, typo, held.unit.code, None, day)
        ):
            rows.append(_about(sink, rng, 900_000 + i, c, held, day, typo))
    return rows
