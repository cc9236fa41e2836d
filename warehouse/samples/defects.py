"""The defect table: every corrupt value the generator writes on purpose, where, and why.

Each :class:`Defect` names a source, one of its files (by the position in which the generator
writes them), a generated row of that file, the column(s) it damages, what is written there, its
name in ``truth/defects.csv`` and the rule of ``SOURCES.md`` it exercises. The generator damages
rows only by applying this table (:mod:`warehouse.samples.injection`), and writes
``truth/defects.csv`` from it, in its order, with the file and row number each defect landed on: a
defect cannot be injected without being recorded, nor recorded without being injected.

A row is counted in the order the generator makes the rows, before a SQL table is ordered by its
key; the truth holds the row number the reader will see.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Ragged:
    """Not a value: the row ends before the defect's column (a CSV line with cells missing)."""


@dataclass(frozen=True)
class CutShort:
    """Not a value: the record's line loses its last ``chars`` characters (broken JSON)."""

    chars: int


@dataclass(frozen=True)
class Defect:
    """One corrupt record written on purpose.

    Attributes:
        source: the source as lineage and truth name it (``roster``, ``petition``, …).
        file: which of the source's files, by the position it is written in (0: the first).
        row: which generated row of that file (0: the first), before any SQL ordering.
        columns: the column(s) written; empty when the whole record is damaged.
        value: what is written in each column (``None``: left empty), or a damage that is not a
            value (:class:`Ragged`, :class:`CutShort`).
        name: the defect's name in ``truth/defects.csv``.
        why: the rule of ``SOURCES.md`` it exercises, and what the platform must do with it.
    """

    source: str
    file: int
    row: int
    columns: tuple[str, ...]
    value: str | None | Ragged | CutShort
    name: str
    why: str


# Every source row lands or is quarantined with a reason (SOURCES.md): each defect below must end
# in quarantine, named by the rule it breaks, and nothing else may (tests/test_pipeline.py).
# Each entry: source, file, row, columns, value, name, why. The order is the order of defects.csv.
DEFECTS: tuple[Defect, ...] = (
    Defect(
        "roster", 0, 4, ("人员编号",), None, "empty 人员编号",
        "S1: 人员编号 is the cadre's system key; a row without one cannot be anybody",
    ),
    Defect(
        "roster", 0, 9, ("管理权限",), "区管", "unknown 管理权限",
        "S1: 管理权限 is 省管, 市管 or 县管; any other code is not guessed",
    ),
    Defect(
        "roster", 0, 11, ("任现职时间",), "2021-02-30", "impossible 任现职时间",
        "conventions: a date in an accepted form (ISO) that is no day of the calendar",
    ),
    Defect(
        "post_history", 0, 3, ("人员编号",), "", "empty 人员编号",
        "S8: a post is of the cadre its 人员编号 names; a row without one is nobody's post",
    ),
    Defect(
        "post_history", 0, 8, ("任职时间",), "2019-02-29", "impossible 任职时间",
        "conventions: 2019 was no leap year; 任职时间 starts the interval a record is matched against",
    ),
    Defect(
        "petition", 0, 3, ("收件日期",), "2024-02-30", "impossible 收件日期",
        "conventions: a date in an accepted form that is no day; 收件日期 dates the petition",
    ),
    Defect(
        "petition", 0, 5, ("办理结果",), "待定", "unknown 办理结果",
        "S4: 办理结果 is 属实, 部分属实, 不实, 查无实据 or 办理中 (or a synonym); 待定 is none",
    ),
    Defect(
        "petition", 0, 7, ("件号",), "", "empty 件号",
        "S4: the latest version of each 件号 wins; a row without one has no petition to belong to",
    ),
    Defect(
        "inspection", 0, 0, ("问题编号",), "", "empty 问题编号",
        "S2: 问题编号 is unique within a round; a finding without one cannot be told apart",
    ),
    Defect(
        "inspection", 0, 1, ("整改时限",), "2024-13-01", "impossible 整改时限",
        "conventions: a month 13 in a workbook cell written as text instead of a date",
    ),
    Defect(
        "audit", 0, 2, ("报告日期",), "2023年2月30日", "impossible 报告日期",
        "conventions: 2024年5月6日 is an accepted form; the 30th of February is no day",
    ),
    Defect(
        "audit", 0, 3, ("涉及金额（万元）",), "约五十万", "unreadable amount",
        "S3: 涉及金额 is a decimal (separators allowed); words are not read as a number",
    ),
    Defect(
        "audit", 0, 4, ("容错认定",), Ragged(), "ragged row",
        "every row is accounted for: a CSV line shorter than its header is rejected, not padded",
    ),
    Defect(
        "assessment", 0, 5, (), CutShort(10), "invalid JSON",
        "S5: one JSON object a line; a line cut short is rejected and the next lines still read",
    ),
    Defect(
        "assessment", 0, 6, ("考核等次",), "良好", "unknown 考核等次",
        "S5: annual 考核等次 is 优秀, 称职, 基本称职, 不称职 or 不定等次; 良好 is none of them",
    ),
    Defect(
        "sanction", 0, 0, ("处理措施",), "罚款", "unknown 处理措施",
        "S6: 处理措施 is one of the listed measures; a fine is not a party or government sanction",
    ),
    Defect(
        "sanction", 0, 1, ("公民身份号码", "人员编号"), None, "no person key",
        "S6: a sanction carries the ID number or the 人员编号, or both; by name alone it is nobody's",
    ),
    Defect(
        "sanction", 0, 2, ("决定日期",), "2024-04-31", "impossible 决定日期",
        "conventions: a date in an accepted form that is no day; 决定日期 starts the 影响期",
    ),
    Defect(
        "tolerance", 0, 0, ("案例编号",), "", "empty 案例编号",
        "S7: 案例编号 names the case; a decision without one cannot be cited or published",
    ),
    Defect(
        "tolerance", 0, 1, ("认定结果",), "待研究", "unknown 认定结果",
        "S7: 认定结果 is 予以容错, 部分容错 or 不予容错; an undecided case is not a decision",
    ),
)  # fmt: skip


def defects_in(source: str, file: int) -> Sequence[Defect]:
    """The defects of the ``file``-th file of ``source``, in table order."""
    return [d for d in DEFECTS if d.source == source and d.file == file]
