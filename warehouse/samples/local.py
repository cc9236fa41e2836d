"""What a region profile adds to careers and records, as real organisation departments write them.

After the default careers (:func:`warehouse.samples.careers.careers`, with the profile's units):

- posts spanning a 2019 local rename are split in S8 (the old name until the day before, the new
  one from the day, 任免文号 ``…（单位更名）``); at a transferred unit (机构改革转隶) the part
  before the day is at the dissolved unit's code (``…（机构改革转隶）``);
- cadres who left (在职状态 退休/调离/去世): the last post closed on the day they left, the roster
  keeping the last unit and post, the unit alone, or neither;
- concurrent posts: 区委常委 beside 宣传部部长, 人大工委主任 beside 党工委书记, and 党组书记、局长
  written as one S8 row or as two overlapping ones;
- 挂职: ``副县长（挂职）`` at another county's government for one to two years, the home post
  continuing.

Then the records only a profile writes (petitions, appended after the default phenomena): about
a concurrent post, a 挂职 post (``副县长``, ``挂职副县长``), and a cadre who left (``原局长``).
Everything draws from the stream it is given; the default profile never calls this module.
"""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from warehouse.samples.careers import SLACK, Careers, Post, Unit, bare, record_class
from warehouse.samples.mess import date_text
from warehouse.samples.models import Cadre, Row
from warehouse.samples.profiles import Geography
from warehouse.samples.truth import Sink

LATEST = date(2025, 11, 30)
"""No record is dated after this (the exports were taken in December 2025)."""


def units(geo: Geography) -> dict[str, Unit]:
    """Every unit of the geography as careers know units, dissolved ones included."""
    out: dict[str, Unit] = {}
    for code, spec in geo.specs.items():
        forms = spec.forms()
        short = next((t for t, f in forms if f == "short"), forms[0][0])
        old_full = old_short = None
        if spec.old:
            old = spec.forms(old=True)
            old_full = old[0][0]
            old_short = next((t for t, f in old if f == "short"), old_full)
        out[code] = Unit(code, forms[0][0], short, spec.county.code, geo.posts[code], spec.organ,
                         spec.renamed_on, old_full, old_short, spec.successor)  # fmt: skip
    return out


def reshape(rng: np.random.Generator, geo: Geography, cadres: list[Cadre], out: Careers) -> None:
    """Renames and transfers, leavers, concurrent and 挂职 posts (see the module)."""
    known = units(geo)
    dissolved = {u.successor: u for u in known.values() if u.successor}
    for c in cadres:
        out.posts[c.person_no] = [p for post in out.posts[c.person_no]
                                  for p in _split(post, dissolved)]  # fmt: skip
    for c in cadres:
        _leave(rng, c, out)
    for c in cadres:
        _concurrent(rng, c, out, known)
    govs = [u for u in known.values() if u.organ == "gov" and geo.specs[u.code].county.name]
    for c in cadres:
        _second(rng, c, out, govs, geo)
    out.index()


def _split(post: Post, dissolved: dict[str, Unit]) -> list[Post]:
    """A post across its unit's rename or transfer day: two S8 rows."""
    unit, day = post.unit, post.unit.renamed_on
    if day is None or post.start >= day or unit.successor:
        return [post]
    before = dissolved.get(unit.code, unit)
    if not unit.old_full and before is unit:
        return [post]
    if post.end is not None and post.end < day:
        return [replace(post, unit=before)]
    note = "更名" if before is unit else "转隶"
    return [
        replace(post, unit=before, end=day - timedelta(days=1)),
        replace(post, start=day, note=note),
    ]


def _leave(rng: np.random.Generator, c: Cadre, out: Careers) -> None:
    """One cadre in 25 whose post began before mid-2024 left between 2023 and autumn 2025."""
    held = out.posts[c.person_no]
    last = held[-1]
    if rng.random() >= 0.04 or last.start > date(2024, 6, 30):
        return
    first = max(last.start + timedelta(days=400), date(2023, 1, 1))
    if first >= date(2025, 9, 30):
        return
    day = first + timedelta(days=int(rng.integers(0, (date(2025, 9, 30) - first).days)))
    status = ("退休", "退休", "退休", "调离", "调离", "去世")[int(rng.integers(0, 6))]
    kept = ("both", "both", "unit", "unit", "none")[int(rng.integers(0, 5))]
    held[-1] = replace(last, end=day)
    out.left[c.person_no] = (status, day, kept)


def _concurrent(rng: np.random.Generator, c: Cadre, out: Careers, known: dict[str, Unit]) -> None:
    held = out.posts[c.person_no]
    last = held[-1]
    if last.end is not None and c.person_no not in out.left:
        return
    extra: list[Post] = []
    if last.unit.organ == "propaganda" and last.title == "部长":
        party = known[last.unit.code[:6] + "001"]
        head = party.posts[0][0].removesuffix("书记")  # 区委, 县委, 市委, 州委
        extra.append(replace(last, unit=party, title=f"{head}常委", kind="concurrent", note=""))
        out.roster_post[c.person_no] = f"{head}常委、宣传部部长"
    elif last.unit.organ == "street_party" and last.title == "党工委书记" and rng.random() < 0.7:
        extra.append(replace(last, title="人大工委主任", kind="concurrent", note=""))
        out.roster_post[c.person_no] = "党工委书记、人大工委主任"
    elif "党组书记、" in last.title and rng.random() < 0.5:  # two S8 rows, not one
        held[-1] = replace(last, title=last.title.split("、")[1])
        extra.append(replace(last, title="党组书记", kind="concurrent", note=""))
    if extra:
        out.extra[c.person_no] = extra


def _second(
    rng: np.random.Generator, c: Cadre, out: Careers, govs: list[Unit], geo: Geography
) -> None:
    """One in ten of the current heads and deputies of a department who began before 2022 go on
    挂职 to another county of the prefecture."""
    last = out.posts[c.person_no][-1]
    if (last.end is not None or last.start > date(2021, 12, 31)
            or last.title not in ("局长", "副局长", "主任", "副主任")
            or last.unit.organ != "dept" or rng.random() >= 0.1):  # fmt: skip
        return
    hosts = [
        g for g in govs if g.region != last.unit.region and g.region[:4] == last.unit.region[:4]
    ]
    if not hosts:
        return
    host = hosts[int(rng.integers(0, len(hosts)))]
    start = date(2022, 3, 1) + timedelta(days=int(rng.integers(0, 800)))
    end: date | None = start + timedelta(days=int(rng.integers(400, 731)))
    if end and end > LATEST:
        end = None
    level = geo.specs[host.code].county.level
    post = Post(c.person_no, host, f"副{level}长（挂职）", start, end, kind="secondment")
    out.extra.setdefault(c.person_no, []).append(post)


def patch_roster(rows: list[Row], cadres: list[Cadre], out: Careers) -> None:
    """The roster as a profile's exports hold it: 在职状态 from who left (the default writes a
    退休 now and then beside an open post), the last post kept or not, combined posts."""
    for row, c in zip(rows, cadres, strict=True):
        row[14] = "在职"
        row[9] = out.roster_post.get(c.person_no, row[9])
        if str(row[10]).endswith("厅"):
            row[11] = "省管"
        gone = out.left.get(c.person_no)
        if gone is None:
            continue
        status, _, kept = gone
        row[14] = status
        if kept in ("unit", "none"):
            row[9] = None
        if kept == "none":
            row[7] = row[8] = None


def _document(unit: Unit, start: date, n: int, post: Post) -> str:
    prefix = unit.short[:1] if unit.short else "州"
    number = f"〔{start.year}〕{n % 97 + 1}号"
    if post.note == "更名":
        return f"{prefix}编{number}（单位更名）"
    if post.note == "转隶":
        return f"{prefix}编{number}（机构改革转隶）"
    if post.kind == "secondment":
        return f"{prefix}组干{number}（挂职）"
    return f"{prefix}组干{number}"


def history_rows(careers: Careers, cadres: list[Cadre], rng: np.random.Generator) -> list[Row]:
    """Every post (concurrent and 挂职 ones too) of every cadre, oldest first per cadre."""
    rows: list[Row] = []
    for c in cadres:
        held = [*careers.posts[c.person_no], *careers.extra.get(c.person_no, [])]
        held.sort(key=lambda p: (p.start, p.kind != "post"))
        for n, post in enumerate(held):
            end = post.end
            rows.append([
                c.person_no, post.unit.code, post.unit.named_on(post.start), post.title,
                date_text(rng, post.start), date_text(rng, end) if end else None,
                _document(post.unit, post.start, n + int(rng.integers(0, 50)), post),
            ])  # fmt: skip
    return rows


def _inside(rng: np.random.Generator, start: date, end: date | None) -> date | None:
    first, last = start + SLACK, min(end - SLACK if end else LATEST, LATEST)
    if last <= first:
        return None
    return first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _row(number: str, day: date, name: str, unit: str, post: str, rng: np.random.Generator) -> Row:
    return [
        number, date_text(rng, day), "来信", None, None, None, name, unit, post, None,
        "违反工作纪律", f"反映{name}在工作中存在问题（{number}）", "初步核实", "办理中", "否", "否",
        "否", None, None, f"{day + timedelta(days=30):%Y-%m-%d} 10:00:00",
    ]  # fmt: skip


def records(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """Petitions about concurrent and 挂职 posts and about cadres who left."""
    rows: list[Row] = []
    careers = sink.careers

    def add(c: Cadre, post: Post, day: date, title: str, cls: str) -> None:
        unit = sink.write_unit(rng, post.unit, day)
        number = f"XF{day.year}-{8_000_000 + len(rows):07d}"
        row = _row(number, day, sink.name_as_written(rng, c.name), unit, title, rng)
        evidence = sink.evidence_at(c, day, post, key=False, titled=True, cls=cls,
                                    unit_text=unit, title=title)  # fmt: skip
        sink.link(row, "petition", number, str(row[6]), c, evidence)
        rows.append(row)

    for c in cadres:
        held = careers.posts[c.person_no]
        for post in careers.extra.get(c.person_no, []):
            day = _inside(rng, post.start, post.end)
            if day is None or rng.random() >= 0.6:
                continue
            if post.kind == "secondment":
                plain = bare(post.title)
                title = (plain, f"挂职{plain}", post.title)[int(rng.integers(0, 3))]
                add(c, post, day, title, "secondment")
            elif post.title == "党组书记":  # two S8 rows, the record writes them as one
                add(c, post, day, f"党组书记、{held[-1].title}", "concurrent")
            else:
                title = (post.title, sink_roster_post(careers, c, post))[int(rng.integers(0, 2))]
                add(c, post, day, title, "concurrent")
        last = held[-1]
        if "党组书记、" in last.title and rng.random() < 0.25:  # one S8 row, a record one post
            day = _inside(rng, last.start, last.end)
            if day is not None:
                one = (last.title.split("、")[1], "党组书记")[int(rng.integers(0, 2))]
                add(c, last, day, one, "concurrent")
        gone = careers.left.get(c.person_no)
        if gone is not None and rng.random() < 0.8:
            day = gone[1] + timedelta(days=int(rng.integers(30, 400)))
            if day <= LATEST:
                add(c, last, day, "原" + last.title, record_class(last, day))
    return rows


def sink_roster_post(careers: Careers, c: Cadre, post: Post) -> str:
    """A concurrent post as the roster writes it with the other (``区委常委、宣传部部长``)."""
    return careers.roster_post.get(c.person_no, post.title)
