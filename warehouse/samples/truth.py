"""The ground truth, collected while the sources are made and written under ``truth/``.

- ``links.parquet``: which roster person each record (and each person a record names) really
  concerns, and whether the record's own evidence could tell;
- ``defects.csv``: every defect of the table (:mod:`warehouse.samples.defects`), with the file and
  row it landed on;
- ``reporters.csv``: every protected reporter value written (举报人保护);
- ``planted.csv``: every identifier written into free text, as written.

Rows are known by identity: a row is placed (file and row number) once it is written, and the
truth asks where its rows went only at the end.
"""

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from warehouse.samples.careers import SLACK, Careers, Post, Unit, bare
from warehouse.samples.defects import DEFECTS, Defect
from warehouse.samples.mess import mess_name, mess_unit
from warehouse.samples.models import Cadre
from warehouse.samples.profiles import DOTS, FORM_CLASS, Geography

_LINK_SCHEMA = {
    "source": pl.String, "source_key": pl.String, "subject_name": pl.String, "person_no": pl.String,
    "resolvable": pl.Boolean, "homonym": pl.Boolean, "resolvable_without_history": pl.Boolean,
    "class": pl.String, "subject_index": pl.Int32, "file": pl.String, "row": pl.Int64,
}  # fmt: skip
CLASSES = (
    "current", "rotation", "rotation_namesake", "renamed", "joint", "outsider", "typo", "village",
    "keyed", "no_unit", "prefecture_prefix", "short_unit_form", "within_county", "concurrent",
    "secondment", "left_cadre", "local_rename", "transferred",
)  # fmt: skip
"""The difficulty class of each record in ``links.parquet``: about a current post, an earlier one
(at a unit where a namesake works now), a renamed unit, one of several people a petition names,
an outsider sharing a cadre's name and unit, a name one character off, a village cadre off the
roster, carrying a 人员编号 or ID number (no name matching needed), or naming no unit at all."""


@dataclass(frozen=True)
class Evidence:
    """What a record's own evidence could tell a careful person, with and without S8."""

    resolvable: bool
    homonym: bool
    resolvable_without_history: bool
    cls: str
    unit_code: str | None = None
    day: date | None = None
    """A profile's records: the unit of the post the record is about, and the record's day."""


class Sink:
    """Collects the truth (links, defects, reporters, planted values) while sources are made."""

    def __init__(self, geo: Geography | None = None) -> None:
        self.geo = geo
        """A region profile's units (None: the default profile, written as it always was)."""
        self.links: list[tuple[object, ...]] = []
        self.reporters: list[tuple[str, str, str]] = []
        self.planted: list[tuple[str, str, str, str, str]] = []
        self.findings: list[tuple[str, str, str, str]] = []
        self.pairs: list[tuple[str, object, bool, str]] = []
        self.places: dict[int, tuple[str, int]] = {}
        self.damaged: dict[Defect, int] = {}
        # Rows are known by id(): each one the truth refers to is kept alive here, or a row freed
        # after writing could lend its id to a later one and be placed in that row's file.
        self.kept: list[object] = []
        self.careers = Careers()
        self.practices: list[tuple[str, str, int, str]] = []
        """Cases planted for issue #24 (:mod:`warehouse.samples.practices`): kind, 人员编号,
        year, what is expected."""

    def evidence(self, cadre: Cadre | None, *, key: bool, cls: str = "keyed") -> Evidence:
        """A record that names ``cadre`` by a key (人员编号 or ID number) or names nobody of the
        roster (``cadre`` None: an outsider or village cadre, never resolvable)."""
        if cadre is None:
            return Evidence(False, False, False, cls)
        return Evidence(key, False, key, "keyed" if key else cls)

    def evidence_at(
        self,
        cadre: Cadre,
        day: date,
        post: Post,
        *,
        key: bool,
        titled: bool,
        cls: str,
        unit_text: str | None = None,
        title: str | None = None,
        unit_code: str | None = None,
    ) -> Evidence:
        """A record of ``day`` naming ``cadre`` by name and the unit of ``post`` (and its title,
        when ``titled``); ``unit_code``: the unit's code, where the record carries it (an
        inspection's 被巡察单位代码), which names that one unit whatever form ``unit_text`` has.

        Resolvable — a careful person could tell who it is from the record — when it carries a key,
        or names the title, the day lies well inside the post (no rotation within the linker's
        slack) and nobody else of the name held that title there then. Without S8 only current
        posts are known: the post must be the current one, begun well before the day. Homonym: no
        key, and a namesake with that title there then.
        """
        if self.geo is not None:
            return self._profile_evidence(cadre, day, post, key, title if titled else None,
                                          unit_text, cls, unit_code)  # fmt: skip
        alone = self.careers.alone(cadre, post, day)
        clear = titled and self.careers.comfortably_held(cadre, day)
        without = clear and self.careers.alone(cadre, post, day, current_only=True)
        cls = "keyed" if key else cls
        return Evidence(key or (clear and alone), not key and not alone, key or without, cls)

    def _profile_evidence(
        self,
        cadre: Cadre,
        day: date,
        post: Post,
        key: bool,
        title: str | None,
        unit_text: str | None,
        cls: str,
        unit_code: str | None = None,
    ) -> Evidence:
        """:meth:`evidence_at` for a region profile's record, whose unit is written as
        ``unit_text`` and post as ``title`` (None: no post named).

        The written unit may denote several units (``区发改局``, ``白峰街道``): a namesake holding
        the post at any of them makes the record a homonym's — unless the record carries the
        unit's code, which names one unit. A record received after the cadre
        left names the former post (``原局长``): it is resolvable when nobody else of the name held
        that post there in the ten years before. Without S8 only the roster is known: its current
        post (and the last post of a cadre who left, where it keeps it).
        """
        assert self.geo is not None
        careers = self.careers
        codes = (
            frozenset({unit_code})
            if unit_code
            else self.geo.denotes(unit_text or "") or frozenset({post.unit.code})
        )
        after = careers.left_before(cadre, day)
        if after:
            cls = "left_cadre"
        elif cls in ("current", "rotation") and unit_text:
            cls = FORM_CLASS.get(self.geo.form_of(post.unit.code, unit_text), cls)
        where = (post.unit.code, day)
        if key:
            return Evidence(True, False, True, "keyed", *where)
        parts = frozenset(bare(t) for t in title.split("、")) if title else post.parts
        if after:
            rival = careers.rivals(cadre, codes, parts, day, "former")
            kept = careers.left[cadre.person_no][2] == "both"
            ok = title is not None and title.startswith("原") and not rival
            return Evidence(ok, rival, ok and kept, cls, *where)
        rival = careers.rivals(cadre, codes, parts, day, "near")
        inside = post.start + SLACK <= day and (post.end is None or day <= post.end - SLACK)
        clear = title is not None and inside and parts <= self._held_parts(cadre, day)
        roster = frozenset(
            bare(t) for t in careers.roster_post.get(cadre.person_no, cadre.post).split("、")
        )
        current = careers.posts[cadre.person_no][-1]
        without = (
            clear
            and cadre.unit_code in codes
            and parts <= roster
            and current.end is None
            and cadre.since - SLACK <= day
            and not careers.rivals(cadre, codes, parts, day, "current")
        )
        return Evidence(clear and not rival, rival, without and not rival, cls, *where)

    def _held_parts(self, cadre: Cadre, day: date) -> frozenset[str]:
        """Every post ``cadre`` held on ``day`` (concurrent and 挂职 ones too)."""
        held = [*self.careers.posts[cadre.person_no], *self.careers.extra.get(cadre.person_no, [])]
        return frozenset().union(*(p.parts for p in held if p.holds(day)))

    def write_unit(self, rng: np.random.Generator, unit: Unit, day: date) -> str:
        """A unit as a clerk writes it in a record of ``day``: the default's short-or-full
        (:func:`~warehouse.samples.mess.mess_unit`), or a profile's form drawn per record."""
        if self.geo is None:
            return mess_unit(rng, unit.named_on(day), unit.short_on(day))
        return self.geo.written(rng.random(), rng.random(), unit.code, day)[0]

    def plain_unit(self, rng: np.random.Generator, unit: Unit, day: date) -> str:
        """A unit where the default writes its full name (inspections, audits): a profile's
        clerks write any form there too."""
        if self.geo is None:
            return unit.named_on(day)
        return self.write_unit(rng, unit, day)

    def title_on(self, cadre: Cadre, post: Post, day: date) -> str:
        """The post as a record of ``day`` names it: ``原局长`` once a profile's cadre left."""
        if self.geo is not None and self.careers.left_before(cadre, day):
            return "原" + post.title
        return post.title

    def name_as_written(self, rng: np.random.Generator, name: str) -> str:
        """A name as a clerk writes it; a profile's dotted names with the dot in any code point."""
        written = mess_name(rng, name)
        if self.geo is not None and "·" in written and rng.random() < 0.4:
            written = written.replace("·", DOTS[int(rng.integers(0, len(DOTS)))])
        return written

    def link(
        self,
        row: object,
        source: str,
        key: str,
        name: str,
        cadre: Cadre | None,
        evidence: Evidence,
        index: int = 0,
    ) -> None:
        """Record who a generated row (its ``index``-th person) really concerns.

        The file and row number are looked up at the end, once the row is written.
        """
        person_no = cadre.person_no if cadre else None
        self.kept.append(row)
        e = evidence
        link: tuple[object, ...] = (source, key, name, person_no, e.resolvable, e.homonym,
                e.resolvable_without_history, e.cls, index, id(row))  # fmt: skip
        if self.geo is not None:  # a profile's truth says which post, and when
            link = (*link[:-1], e.unit_code, e.day, id(row))
        self.links.append(link)

    def damage(self, defect: Defect, row: object) -> None:
        """Record that ``defect`` was written into ``row``."""
        self.kept.append(row)
        self.damaged[defect] = id(row)

    def plant(self, source: str, key: object, field: str, kind: str, written: str) -> str:
        """Record an identifier written into a free-text field; returns it, as written."""
        self.planted.append((source, str(key), field, kind, written))
        return written

    def finding(self, label: str, number: str, status: str, fed: date, due: date) -> None:
        """Record an inspection finding's status, feedback day and true deadline."""
        self.findings.append((f"{label}/{number}", status, fed.isoformat(), due.isoformat()))

    def pair(self, case_no: str, measure: object, covered: bool, why: str) -> None:
        """Record that the 容错 decision ``case_no`` covers (or, a decoy, does not cover) the
        sanction row ``measure``."""
        self.kept.append(measure)
        self.pairs.append((case_no, measure, covered, why))

    def place(self, rows: Sequence[object], file: str, first: int) -> None:
        """Remember that ``rows`` were written to ``file`` from row number ``first`` on."""
        for n, row in enumerate(rows):
            self.places[id(row)] = (file, first + n)

    def defect_rows(self) -> list[tuple[str, str, int, str]]:
        """``truth/defects.csv``: each defect of the table, in its order, where it landed.

        Raises:
            ValueError: a defect of the table was never written, or its row never placed.
        """
        rows = []
        for defect in DEFECTS:
            row_id = self.damaged.get(defect)
            where = None if row_id is None else self.places.get(row_id)
            if where is None:
                raise ValueError(f"defect {defect.name!r} of {defect.source} was never written")
            rows.append((defect.source, *where, defect.name))
        return rows

    def write(self, truth: Path) -> None:
        """Write the six truth files into ``truth``."""
        defects = self.defect_rows()
        truth.mkdir(parents=True, exist_ok=True)
        links = [
            (*link[:-1], *self.places.get(int(str(link[-1])), (None, None))) for link in self.links
        ]
        schema = _LINK_SCHEMA
        if self.geo is not None:
            schema = {**dict(list(schema.items())[:9]), "unit_code": pl.String, "day": pl.Date,
                      "file": pl.String, "row": pl.Int64}  # fmt: skip
        frame = pl.DataFrame(links, schema=schema, orient="row")
        frame.write_parquet(truth / "links.parquet")
        _write_csv(truth / "defects.csv", ("source", "file", "row", "defect"), defects)
        _write_csv(truth / "reporters.csv", ("name", "phone", "id_number"), self.reporters)
        header = ("source", "source_key", "field", "kind", "written")
        _write_csv(truth / "planted.csv", header, self.planted)
        _write_csv(
            truth / "findings.csv", ("source_key", "status", "fed_back", "due"), self.findings
        )
        pairs = [
            (case, *self.places[id(row)], covered, why) for case, row, covered, why in self.pairs
        ]
        _write_csv(
            truth / "tolerance_pairs.csv", ("case_no", "file", "row", "covered", "why"), pairs
        )
        if self.practices:  # only when planted: the default's truth keeps its files
            _write_csv(
                truth / "practices.csv", ("kind", "person_no", "year", "expected"), self.practices
            )


def _write_csv(path: Path, header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
