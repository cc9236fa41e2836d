"""S6 处分与组织处理 (sanctions and organisational measures): three CSV files, in UTF-8 with a
BOM, GB18030 and UTF-8. A third of the rows carry only the ID number, a third only the 人员编号,
a third both; the first three IDs have a typo in the check character."""

from pathlib import Path

import numpy as np

from warehouse.samples.columns import SANCTION_COLUMNS
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text, day, mess_id, mess_name, pick
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import MEASURES, YEARS
from warehouse.samples.writers import lineage_name, write_csv

_ENCODINGS = ("utf-8-sig", "gb18030", "utf-8")


def _sanction(rng: np.random.Generator, i: int, cadres: list[Cadre], sink: Sink) -> Row:
    """The ``i``-th decision, linked to the cadre it concerns."""
    cadre = pick(rng, cadres, 1)[0]
    klass, measure = MEASURES[i % len(MEASURES)]
    decided = day(rng, YEARS[i % 3])
    how = i % 3  # 0: ID only, 1: 人员编号 only, 2: both
    raw_id, id_kind = (
        mess_id(rng, cadre.id_number, 0.0 if i < 3 else None) if how != 1 else (None, "none")
    )
    number = cadre.person_no if how != 0 else None
    name = mess_name(rng, cadre.name)
    row: Row = (
        [name, raw_id, number, klass, measure, "12" if measure == "留党察看" else None, date_text(rng, decided),
         "县纪委监委" if klass in ("党纪处分", "政务处分") else "县委组织部", f"{name}违反规定{i}", None]
    )  # fmt: skip
    evidence = sink.evidence(cadre, key=how != 0 or id_kind != "typo", cls="no_unit")
    key = f"{number or cadre.id_number}/{measure}/{decided}"
    sink.link(row, "sanction", key, name, cadre, evidence)
    return row


def sanctions(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """Decisions: 3 for every 100 cadres, 30 at least."""
    return [_sanction(rng, i, cadres, sink) for i in range(max(30, len(cadres) * 3 // 100))]


def write_sanctions(root: Path, rows: list[Row], sink: Sink, extra: list[Row]) -> None:
    """The rows in three files of a third each (the last takes the rest and ``extra``), one per
    encoding."""
    third = len(rows) // 3
    parts = (rows[:third], rows[third : 2 * third], rows[2 * third :] + extra)
    for n, (encoding, part) in enumerate(zip(_ENCODINGS, parts, strict=True)):
        file = root / "inbox" / "sanctions" / f"处分决定_{n + 1}.csv"
        damage_rows(sink, "sanction", n, part, SANCTION_COLUMNS)
        write_csv(file, SANCTION_COLUMNS, part, encoding)
        sink.place(part, lineage_name(root, file), 2)
