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
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from warehouse.samples.defects import DEFECTS, Defect
from warehouse.samples.models import Cadre

_LINK_SCHEMA = {
    "source": pl.String, "source_key": pl.String, "subject_name": pl.String, "person_no": pl.String,
    "resolvable": pl.Boolean, "homonym": pl.Boolean, "subject_index": pl.Int32, "file": pl.String,
    "row": pl.Int64,
}  # fmt: skip


class Sink:
    """Collects the truth (links, defects, reporters, planted values) while sources are made."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str, str, str | None, bool, bool, int, int]] = []
        self.reporters: list[tuple[str, str, str]] = []
        self.planted: list[tuple[str, str, str, str, str]] = []
        self.places: dict[int, tuple[str, int]] = {}
        self.damaged: dict[Defect, int] = {}
        # Rows are known by id(): each one the truth refers to is kept alive here, or a row freed
        # after writing could lend its id to a later one and be placed in that row's file.
        self.kept: list[object] = []
        self.same_unit: Counter[tuple[str, str]] = Counter()
        self.same_post: Counter[tuple[str, str, str]] = Counter()

    def know_roster(self, cadres: Sequence[Cadre]) -> None:
        """Count colleagues sharing a name, to tell which records only a person could resolve."""
        self.same_unit = Counter((c.name, c.unit) for c in cadres)
        self.same_post = Counter((c.name, c.unit, c.post) for c in cadres)

    def evidence(
        self, cadre: Cadre | None, *, key: bool, unit: bool, post: bool
    ) -> tuple[bool, bool]:
        """(resolvable, homonym) of a record naming ``cadre`` with that evidence.

        Resolvable: a 人员编号 or valid ID number, or name and unit that no colleague shares (with the
        post, when given). Homonym: no key, and a colleague in the same unit that the record cannot
        tell apart.
        """
        if cadre is None:
            return False, False
        twins = self.same_unit[(cadre.name, cadre.unit)] > 1 and (
            not post or self.same_post[(cadre.name, cadre.unit, cadre.post)] > 1
        )
        homonym = not key and unit and twins
        return key or (unit and not twins), homonym

    def link(
        self,
        row: object,
        source: str,
        key: str,
        name: str,
        cadre: Cadre | None,
        evidence: tuple[bool, bool],
        index: int = 0,
    ) -> None:
        """Record who a generated row (its ``index``-th person) really concerns.

        The file and row number are looked up at the end, once the row is written.
        """
        person_no = cadre.person_no if cadre else None
        self.kept.append(row)
        self.links.append((source, key, name, person_no, *evidence, index, id(row)))

    def damage(self, defect: Defect, row: object) -> None:
        """Record that ``defect`` was written into ``row``."""
        self.kept.append(row)
        self.damaged[defect] = id(row)

    def plant(self, source: str, key: object, field: str, kind: str, written: str) -> str:
        """Record an identifier written into a free-text field; returns it, as written."""
        self.planted.append((source, str(key), field, kind, written))
        return written

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
        """Write the four truth files into ``truth``."""
        defects = self.defect_rows()
        truth.mkdir(parents=True, exist_ok=True)
        links = [(*link[:7], *self.places.get(link[7], (None, None))) for link in self.links]
        frame = pl.DataFrame(links, schema=_LINK_SCHEMA, orient="row")
        frame.write_parquet(truth / "links.parquet")
        _write_csv(truth / "defects.csv", ("source", "file", "row", "defect"), defects)
        _write_csv(truth / "reporters.csv", ("name", "phone", "id_number"), self.reporters)
        header = ("source", "source_key", "field", "kind", "written")
        _write_csv(truth / "planted.csv", header, self.planted)


def _write_csv(path: Path, header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
