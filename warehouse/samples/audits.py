"""S3 审计发现 (audit findings): one GB18030 CSV per year, each finding naming the audited
leader by name and ID number (messy, the first two with a typo in the check character)."""

from datetime import date
from pathlib import Path

import numpy as np

from warehouse.samples.careers import record_class
from warehouse.samples.columns import AUDIT_COLUMNS
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text, day, mess_id, pick
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import AUDIT_PROBLEMS, YEARS
from warehouse.samples.writers import lineage_name, write_csv


def _finding(rng: np.random.Generator, i: int, cadres: list[Cadre], sink: Sink) -> Row:
    """The ``i``-th audit finding, linked to the leader it names."""
    year = YEARS[i % 3]
    cadre = pick(rng, cadres, 1)[0]
    reported = date(
        year, 6, 30
    )  # the unit named is the one held mid-year (the report's date is drawn later)
    unit = sink.plain_unit(rng, sink.careers.held_on(cadre, reported).unit, reported)
    project = f"SJ{year}-{i // 3 + 1:05d}"
    raw_id, id_kind = mess_id(rng, cadre.id_number, 0.0 if i < 2 else None)  # always a few typos
    name = sink.name_as_written(rng, cadre.name)
    amount = float(rng.integers(1, 500000)) / 100
    tolerated = rng.random() < 0.15
    five = ["是"] * 5 if tolerated else [["是", "否"][int(x)] for x in rng.random(5) < 0.3]
    row: Row = (
        [
            project, ["经济责任审计", "专项审计", "预算执行审计"][i % 3], unit, name, raw_id,
            f"{year - 4}年1月至{year - 1}年12月", "1", AUDIT_PROBLEMS[i % 5], f"{unit}{AUDIT_PROBLEMS[i % 5]}问题",
            f"{amount:,.2f}", ["直接责任", "领导责任", "主管责任"][i % 3], ["否", "移送纪检监察机关", "移送主管部门"][i % 3 if i % 7 == 0 else 0],
            "予以容错" if tolerated else ["不予容错", "未申请"][i % 2], *five, date_text(rng, day(rng, year)),
        ]
    )  # fmt: skip
    held = sink.careers.held_on(cadre, reported)
    evidence = sink.evidence_at(
        cadre, reported, held, key=id_kind != "typo", titled=False,
        cls=record_class(held, reported), unit_text=unit,
    )  # fmt: skip
    sink.link(row, "audit", f"{project}/1", name, cadre, evidence)
    return row


def audits(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> dict[int, list[Row]]:
    """Findings (2 for every 25 cadres, 30 at least) by year."""
    batches: dict[int, list[Row]] = {}
    for i in range(max(30, len(cadres) * 2 // 25)):
        batches.setdefault(YEARS[i % 3], []).append(_finding(rng, i, cadres, sink))
    return batches


def write_audits(root: Path, batches: dict[int, list[Row]], sink: Sink) -> None:
    """One CSV per year, in year order, each damaged as the table says."""
    for n, (year, rows) in enumerate(sorted(batches.items())):
        file = root / "inbox" / "audits" / f"{year}年审计发现问题.csv"
        damage_rows(sink, "audit", n, rows, AUDIT_COLUMNS)
        write_csv(file, AUDIT_COLUMNS, rows, "gb18030")
        sink.place(rows, lineage_name(root, file), 2)
