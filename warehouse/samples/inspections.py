"""S2 巡视巡察问题 (inspection findings): one ``.xlsx`` workbook per round, sheet ``问题清单``.

A finding names none, one or two of the inspected unit's staff by name and post only (no key),
so some can be told apart only by a person: the truth says which.

反馈日期 is the day the round's findings were fed back to the unit; 整改时限, the deadline, falls
two to six months later. One finding in ten has no 整改时限 written: its deadline is the
regulation's (巡视工作条例: the rectification report within 2 months of the feedback). The latest
round (``2026年第4轮``, its own random stream) was fed back in autumn 2026, so most of its
unrectified findings are not yet due. ``truth/findings.csv`` holds each finding's status, feedback
day and true deadline.
"""

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from warehouse.samples.careers import Unit, record_class
from warehouse.samples.columns import INSPECTION_COLUMNS
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text, day
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import INSPECTION_CATEGORIES, YEARS
from warehouse.samples.writers import lineage_name, write_xlsx


def _named(rng: np.random.Generator, staff: list[Cadre]) -> list[Cadre]:
    """Whom a finding holds responsible: nobody (a unit-level finding), one or two of ``staff``."""
    if rng.random() < 0.2:
        return []
    k = min(len(staff), 1 + int(rng.random() < 0.3))
    return [staff[j] for j in rng.choice(len(staff), k, replace=False)]


def _default_due(fed: date) -> date:
    """No 整改时限 written: 2 months from 反馈日期 (巡视工作条例), as ``warning_rules.csv`` ships it
    (the same day two months on, or that month's last day)."""
    month = fed.month + 2
    year, month = fed.year + (month - 1) // 12, (month - 1) % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(fed.day, last))


LATE_ROUND = "2026年第4轮"
LATE_FED = (date(2026, 8, 1), date(2026, 11, 15))
"""The latest round's feedback days: its deadlines fall from December 2026 to mid-2027."""


def _finding(
    rng: np.random.Generator,
    i: int,
    label: str,
    unit: Unit,
    staff: list[Cadre],
    sink: Sink,
    fed: date | None = None,
) -> Row:
    """The ``i``-th finding (round ``label``, in ``unit``, fed back on ``fed`` or a day of its
    year), linked to each person it names: who held a post there on the feedback day, by the
    title held then."""
    year = YEARS[i % 3]
    number = f"WT{i + 1:06d}"
    status = ["未整改", "整改中", "已整改", "整改完成"][rng.integers(0, 4)]
    deadline = day(rng, year) + timedelta(days=90)
    if fed is None:
        fed = deadline - timedelta(days=60 + 30 * (i % 5))
    else:
        deadline = fed + timedelta(days=60 + 30 * (i % 5))
    written = None if i % 10 == 7 else deadline
    sink.finding(label, number, status, fed, written or _default_due(fed))
    dated = fed
    there = [c for c in staff if sink.careers.held_on(c, dated).unit.code == unit.code]
    named = _named(rng, there) if there else []
    held = [sink.careers.held_on(c, dated) for c in named]
    inspected = sink.plain_unit(rng, unit, dated)
    titles = [sink.title_on(c, p, dated) for c, p in zip(named, held, strict=True)]
    row: Row = (
        [
            label, "巡察", ["第一巡察组", "第二巡察组", "第三巡察组"][i % 3], inspected, unit.code,
            number, INSPECTION_CATEGORIES[i % 4], f"{inspected}存在问题{i}：落实不到位",
            "、".join(sink.name_as_written(rng, c.name) for c in named), "、".join(titles),
            # 反馈日期 in the clerk's forms where it always was (the same draws, in the same
            # order, so the other sources' bytes stay), else ISO.
            ["是", "否"][i % 2], status, written, date_text(rng, fed) if status != "未整改" else fed.isoformat(),
        ]
    )  # fmt: skip
    for index, (c, shown, post, title) in enumerate(
        zip(named, str(row[8]).split("、"), held, titles, strict=False)
    ):
        evidence = sink.evidence_at(
            c, dated, post, key=False, titled=True, cls=record_class(post, dated),
            unit_text=inspected, title=title, unit_code=unit.code,
        )  # fmt: skip
        sink.link(row, "inspection", f"{label}/{number}", shown, c, evidence, index)
    return row


def inspections(
    rng: np.random.Generator, cadres: list[Cadre], sink: Sink, late: np.random.Generator
) -> dict[str, list[Row]]:
    """Findings (3 for every 20 cadres, 40 at least) by round label (``2024年第3轮``), and the
    latest round (one finding for every 100 cadres, 10 at least) from the ``late`` stream."""
    rounds: dict[str, list[Row]] = {}
    k = max(40, len(cadres) * 3 // 20)
    units: dict[str, Unit] = {}
    staff: dict[str, dict[str, Cadre]] = {}
    for c in cadres:  # everyone who ever held a post at a unit, once
        for post in sink.careers.posts[c.person_no]:
            units.setdefault(post.unit.code, post.unit)
            staff.setdefault(post.unit.code, {})[c.person_no] = c
    codes = sorted({c.unit_code for c in cadres})  # inspected: the roster's units of today
    for i in range(k):
        label = f"{YEARS[i % 3]}年第{1 + (i // 3) % 4}轮"
        code = codes[rng.integers(0, len(codes))]
        rounds.setdefault(label, []).append(
            _finding(rng, i, label, units[code], list(staff[code].values()), sink)
        )
    first, last = LATE_FED
    for j in range(max(10, len(cadres) // 100)):
        code = codes[late.integers(0, len(codes))]
        fed = first + timedelta(days=int(late.integers(0, (last - first).days + 1)))
        rounds.setdefault(LATE_ROUND, []).append(
            _finding(late, k + j, LATE_ROUND, units[code], list(staff[code].values()), sink, fed)
        )
    return rounds


def write_inspections(root: Path, rounds: dict[str, list[Row]], sink: Sink) -> None:
    """One workbook per round, in the order of the labels, each damaged as the table says."""
    for n, (label, rows) in enumerate(sorted(rounds.items())):
        file = root / "inbox" / "inspections" / f"{label}巡察问题清单.xlsx"
        damage_rows(sink, "inspection", n, rows, INSPECTION_COLUMNS)
        title = f"XX市委巡察办 {label}巡察问题清单"
        write_xlsx(file, "问题清单", title, INSPECTION_COLUMNS, rows)
        sink.place(rows, lineage_name(root, file), 3)
