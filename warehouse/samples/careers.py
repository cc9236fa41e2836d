"""Careers: every post each cadre held, for S8 任职经历 and for records made before a rotation.

Cadres rotate (干部交流): a cadre whose current post began after 2016 held one or two earlier posts
at other units of the county, and records of those years name the unit and post held *then*.
Some earlier posts are at the unit where a namesake works now (who arrived later): a record of
that time is about the one who left, never the newcomer. The 2018–2019 reform renamed bureaus
(国土资源局 → 自然资源局 …): a post that began before 2019 is recorded in S8 under the name the
unit had then, and records before 2019 use the old name.

Everything here draws from a stream of its own, so the other sources' bytes stay as they were.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from warehouse.samples.models import Cadre
from warehouse.samples.vocabulary import POSTS_COUNTY, POSTS_DEPT, POSTS_TOWN

RENAMED_ON = date(2019, 1, 1)
OLD_NAMES = {
    "自然资源局": "国土资源局", "生态环境局": "环境保护局", "农业农村局": "农业局",
    "卫生健康局": "卫生和计划生育局", "应急管理局": "安全生产监督管理局",
    "市场监督管理局": "工商行政管理局", "文化广电和旅游局": "文化广电新闻出版局",
}  # fmt: skip
"""The 2018–2019 reform's renames, as ``unit_lineage.csv`` lists them (new → old)."""
OLD_SHORT = {"国土资源局": "国土局", "环境保护局": "环保局", "卫生和计划生育局": "卫计局",
             "安全生产监督管理局": "安监局", "工商行政管理局": "工商局"}  # fmt: skip
SLACK = timedelta(days=180)
"""Records are dated at least this far from the ends of the post they describe, as the linker's
``date_slack_days``: a record nearer a rotation is one only a person can place."""


@dataclass(frozen=True)
class Unit:
    code: str
    full: str
    short: str
    region: str
    posts: tuple[tuple[str, str], ...] = ()
    """A region profile's unit: its own posts (the default takes them by kind)."""
    organ: str = ""
    """A region profile's unit: its organ (:mod:`warehouse.samples.profiles`); empty by default."""
    renamed_on: date | None = None
    old_full: str | None = None
    old_short: str | None = None
    successor: str | None = None
    """A unit dissolved on ``renamed_on`` (机构改革转隶): the code its staff moved to."""

    @property
    def kind(self) -> str:
        if self.organ:
            return _KINDS.get(self.organ, self.organ)
        return (
            "county"
            if self.full.startswith("中共")
            else "town"
            if self.full.endswith("人民政府")
            else "dept"
        )

    def named_on(self, day: date) -> str:
        """The unit's full name on ``day`` (a renamed bureau had its old name before 2019)."""
        if self.organ:
            return self.old_full if self._before(day) and self.old_full else self.full
        for new, old in OLD_NAMES.items():
            if self.full.endswith(new) and day < RENAMED_ON:
                return self.full.removesuffix(new) + old
        return self.full

    def _before(self, day: date) -> bool:
        return self.renamed_on is not None and day < self.renamed_on

    def short_on(self, day: date) -> str:
        if self.organ:
            return self.old_short if self._before(day) and self.old_short else self.short
        full = self.named_on(day)
        if full == self.full:
            return self.short
        old = next(o for o in OLD_NAMES.values() if full.endswith(o))
        return full.removesuffix(old) + OLD_SHORT.get(old, old)


@dataclass(frozen=True)
class Post:
    """One post a cadre held: the unit, the title and the span (``end`` None for the current)."""

    person_no: str
    unit: Unit
    title: str
    start: date
    end: date | None
    namesake: bool = False
    """The unit is where a namesake of the cadre works now (arrived after this post ended)."""
    kind: str = "post"
    """``post`` (one after another), ``concurrent`` (held beside another) or ``secondment``
    (挂职, at a host unit while the home post continues)."""
    note: str = ""
    """Why S8 opens this row: ``更名`` (the unit renamed), ``转隶`` (moved to a new unit)."""

    @property
    def parts(self) -> frozenset[str]:
        """The posts the title names (``党组书记、局长``: two), bare of 原/挂职/宣传部."""
        return frozenset(bare(p) for p in self.title.split("、"))

    def holds(self, day: date, margin: timedelta = timedelta(0)) -> bool:
        return self.start - margin <= day and (self.end is None or day <= self.end + margin)


_POSTS = {"county": POSTS_COUNTY, "town": POSTS_TOWN, "dept": POSTS_DEPT}
_KINDS = {"branch": "dept", "street_party": "town_party", "street_office": "town_gov"}
"""A profile unit's kin for rotation (a 街道 office rotates with a 镇 government)."""


def bare(title: str) -> str:
    """A post as S8 would hold it: ``原局长``, ``挂职副县长``, ``副县长（挂职）`` and ``宣传部部长``
    are 局长, 副县长, 副县长 and 部长."""
    t = title.removeprefix("原").removeprefix("挂职").removesuffix("（挂职）")
    return t.removeprefix("宣传部")


@dataclass
class Careers:
    """Every cadre's posts, oldest first, and who held what where (for the truth)."""

    posts: dict[str, list[Post]] = field(default_factory=dict)
    at_unit: dict[tuple[str, str], list[Post]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, str] = field(default_factory=dict)
    extra: dict[str, list[Post]] = field(default_factory=dict)
    """A profile's concurrent and 挂职 posts, held beside the one of ``posts``."""
    left: dict[str, tuple[str, date, str]] = field(default_factory=dict)
    """A profile's cadres who left: (在职状态, the day, what the roster keeps: both, unit, none)."""
    roster_post: dict[str, str] = field(default_factory=dict)
    """A profile's 现任职务 where it is not the post's title (``区委常委、宣传部部长``)."""

    def add(self, cadre: Cadre, held: list[Post]) -> None:
        self.posts[cadre.person_no] = held
        self.names[cadre.person_no] = cadre.name
        for post in held:
            self.at_unit[(cadre.name, post.unit.code)].append(post)

    def index(self) -> None:
        """Rebuild ``at_unit`` from ``posts`` and ``extra`` (after a profile reshaped them)."""
        self.at_unit = defaultdict(list)
        for person_no, held in self.posts.items():
            for post in [*held, *self.extra.get(person_no, [])]:
                self.at_unit[(self.names[person_no], post.unit.code)].append(post)

    def left_before(self, cadre: Cadre, day: date) -> bool:
        """``cadre`` left (retired, moved away, died) before ``day``."""
        gone = self.left.get(cadre.person_no)
        return gone is not None and gone[1] < day

    def rivals(
        self, cadre: Cadre, codes: "frozenset[str]", parts: frozenset[str], day: date, how: str
    ) -> bool:
        """Somebody else of ``cadre``'s name held one of ``parts`` at one of ``codes``: near
        ``day`` (``how`` ``near``), as a current post (``current``), or ended before ``day``
        within ten years (``former``: who else a record's 原局长 could be)."""
        for code in codes:
            for other in self.at_unit.get((cadre.name, code), []):
                if other.person_no == cadre.person_no or not (other.parts & parts):
                    continue
                if how == "near" and other.holds(day, SLACK):
                    return True
                if how == "current" and other.end is None:
                    return True
                if (how == "former" and other.end is not None and other.end < day
                        and other.end > day - timedelta(days=3650)):  # fmt: skip
                    return True
        return False

    def held_on(self, cadre: Cadre, day: date) -> Post:
        """The post ``cadre`` held on ``day`` (the earliest one for a day before it)."""
        held = self.posts[cadre.person_no]
        return next((p for p in reversed(held) if p.start <= day), held[0])

    def comfortably_held(self, cadre: Cadre, day: date) -> bool:
        """``day`` falls inside the post held then, away from its ends (no rotation near it)."""
        post = self.held_on(cadre, day)
        inner = post.start + SLACK <= day and (post.end is None or day <= post.end - SLACK)
        return inner

    def alone(self, cadre: Cadre, post: Post, day: date, current_only: bool = False) -> bool:
        """Nobody else of ``cadre``'s name held ``post``'s title at its unit near ``day`` (and,
        with ``current_only``, when only current posts are known: ``post`` is the current one,
        begun before ``day``)."""
        if current_only and (post.end is not None or post.start - SLACK > day):
            return False
        for other in self.at_unit[(cadre.name, post.unit.code)]:
            if other.person_no == cadre.person_no or other.title != post.title:
                continue
            if current_only and other.end is not None:
                continue
            if other.holds(day, SLACK):
                return False
        return True


def _units(cadres: list[Cadre], known: dict[str, Unit] | None = None) -> dict[str, list[Unit]]:
    """The units of each region, as the roster names them today."""
    seen: dict[str, Unit] = {}
    for c in cadres:
        if known is not None:
            seen.setdefault(c.unit_code, known[c.unit_code])
            continue
        seen.setdefault(c.unit_code, Unit(c.unit_code, c.unit, c.unit_short, c.region))
    by_region: dict[str, list[Unit]] = defaultdict(list)
    for unit in seen.values():
        by_region[unit.region].append(unit)
    return by_region


def _earlier(
    rng: np.random.Generator,
    c: Cadre,
    home: Unit,
    units: list[Unit],
    end: date,
    holders: dict[tuple[str, str, str], list[date]],
) -> Post:
    """A post before ``end`` at another unit of the county, of the same kind (a bureau, a town).

    Where a namesake holds that title at that unit today and already did then (``holders``: the
    roster's current posts by name, unit and title, with their start), the cadre was a 科员
    there instead: two people of one name in one post at once is a coincidence no export
    should be generated full of."""
    kin = [u for u in units if u.kind == home.kind and u.code != home.code] or [home]
    unit = kin[int(rng.integers(0, len(kin)))]
    titles = unit.posts or _POSTS[unit.kind]
    title = titles[int(rng.integers(0, len(titles)))][0]
    start = end - timedelta(days=int(rng.integers(3 * 365, 6 * 365)))
    if any(since <= end + SLACK for since in holders.get((c.name, unit.code, title), [])):
        title = "科员"
    return Post(c.person_no, unit, title, start, end)


def careers(
    rng: np.random.Generator, cadres: list[Cadre], known: dict[str, Unit] | None = None
) -> Careers:
    """Every cadre's posts: the current one, and for two in three whose post began after 2016 one
    or two earlier ones; then some earlier posts moved to where a namesake now works.
    ``known``: a profile's units by code (the default builds them from the roster)."""
    units = _units(cadres, known)
    holders: dict[tuple[str, str, str], list[date]] = defaultdict(list)
    for c in cadres:
        holders[(c.name, c.unit_code, c.post)].append(c.since)
    out = Careers()
    for c in cadres:
        home = next(u for u in units[c.region] if u.code == c.unit_code)
        held = [Post(c.person_no, home, c.post, c.since, None)]
        if c.since > date(2016, 1, 1) and rng.random() < 0.67:
            before = c.since - timedelta(days=1)
            held.insert(0, _earlier(rng, c, home, units[c.region], before, holders))
            if rng.random() < 0.3:
                before = held[0].start - timedelta(days=1)
                held.insert(0, _earlier(rng, c, home, units[c.region], before, holders))
        elif c.since > date(2016, 1, 1):
            # Promoted where they worked: before the current post, a 科员 of the same unit (no
            # record is dated before a cadre's first post).
            held.insert(0, Post(c.person_no, home, "科员", c.since - timedelta(days=4 * 365),
                                c.since - timedelta(days=1)))  # fmt: skip
        out.add(c, held)
    _namesakes(rng, cadres, out)
    return out


def _namesakes(rng: np.random.Generator, cadres: list[Cadre], out: Careers) -> None:
    """Move some cadres' last earlier post to the unit where a namesake of theirs works now, who
    arrived there more than a year after that post ended (the case a roster-only linker gets
    wrong: a record of those years names the newcomer's unit) — and where no other namesake held
    a post within a year of it (two people of one name in one post at once is no rotation)."""
    by_name: dict[str, list[Cadre]] = defaultdict(list)
    for c in cadres:
        by_name[c.name].append(c)
    for c in cadres:
        held = out.posts[c.person_no]
        ended = held[-2].end if len(held) >= 2 else None
        if ended is None:
            continue
        # 干部交流 crosses counties too: the namesake may work in any county.
        later = [y for y in by_name[c.name] if y.unit_code != c.unit_code
                 and y.since > ended + timedelta(days=365)]  # fmt: skip
        if not later:
            continue
        y = later[int(rng.integers(0, len(later)))]
        moved = Post(
            c.person_no, out.posts[y.person_no][-1].unit, y.post, held[-2].start, held[-2].end, True
        )
        year = timedelta(days=365)
        others = [p for p in out.at_unit[(c.name, moved.unit.code)] if p.person_no != c.person_no]
        if any(p.start <= ended + year and (p.end is None or p.end >= moved.start - year)
               for p in others):  # fmt: skip
            continue
        out.at_unit[(c.name, held[-2].unit.code)].remove(held[-2])
        held[-2] = moved
        out.at_unit[(c.name, moved.unit.code)].append(moved)


def record_class(post: Post, day: date) -> str:
    """The difficulty class of a record of ``day`` about ``post`` (``truth.CLASSES``)."""
    if post.unit.organ:  # a region profile's unit
        if post.namesake:
            return "rotation_namesake"
        if post.kind in ("secondment", "concurrent"):
            return post.kind
        if post.unit.successor:
            return "transferred"
        if post.unit.old_full and post.unit.named_on(day) != post.unit.full:
            return "local_rename"
        return "current" if post.end is None else "rotation"
    renamed = (
        post.unit.named_on(post.start) != post.unit.full
        or post.unit.named_on(day) != post.unit.full
    )
    if post.namesake:
        return "rotation_namesake"
    if renamed:
        return "renamed"
    return "current" if post.end is None else "rotation"
