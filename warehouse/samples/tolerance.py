"""S7 容错纠错认定 (fault-tolerance decisions): one ``.xlsx`` workbook, sheet ``容错纠错``.

Every 事项描述 names the cadre with their ID number and phone; some also carry identifiers of
every kind a published case must not show, written as clerks write them (``planted.csv``).
"""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import numpy as np

from warehouse.samples.columns import TOLERANCE_COLUMNS
from warehouse.samples.identifiers import (
    credit_code,
    id_number,
    luhn_card,
    mobile,
    person,
    phone_form,
    spaced,
)
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import day, pick
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import EXCLUSIONS, FIELDS_TOLERANCE, PLACE_A, PLACE_B, YEARS
from warehouse.samples.writers import lineage_name, write_xlsx

_DISTINCTION = (
    "把上级尚无明确限制的探索性试验中的失误错误，同明令禁止后依然我行我素的违纪违法行为区分开来"
)


def _case(rng: np.random.Generator, i: int, cadres: list[Cadre], sink: Sink) -> Row:
    """The ``i``-th decision, linked to its cadre (by 人员编号: always resolvable)."""
    cadre = pick(rng, cadres, 1)[0]
    result = ["予以容错", "予以容错", "部分容错", "不予容错"][i % 4]
    decided = day(rng, YEARS[i % 3])
    elements = [
        ("符合" if result != "不予容错" or j > 2 else "不符合")
        + ("：" + "情况说明" if j == 0 else "")
        for j in range(6)
    ]
    phone = f"138{rng.integers(10**7, 10**8)}"
    number = f"RC{YEARS[i % 3]}-{i + 1:04d}"
    held = sink.careers.held_on(cadre, decided)
    unit, post = held.unit.named_on(decided), held.title
    row: Row = (
        [
            number, cadre.name, cadre.person_no, unit, post, FIELDS_TOLERANCE[i % len(FIELDS_TOLERANCE)],
            f"{unit}{post}{cadre.name}（身份证号{cadre.id_number}，联系电话{phone}）在推进项目中因政策调整造成损失约{i + 3}万元，已及时纠正。",
            decided - timedelta(days=40), decided, "县委组织部", result, *elements, _DISTINCTION,
            EXCLUSIONS[i % 4] if result == "不予容错" else None, "完善制度，追回损失", "是" if i % 5 else "否",
        ]
    )  # fmt: skip
    evidence = sink.evidence(cadre, key=True)
    sink.link(row, "tolerance", number, cadre.name, cadre, evidence)
    return row


def tolerance(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """Decisions: one for every 200 cadres, 20 at least."""
    return [_case(rng, i, cadres, sink) for i in range(max(20, len(cadres) // 200))]


def write_tolerance(root: Path, rows: list[Row], sink: Sink, plant: np.random.Generator) -> None:
    """Plant identifiers in some 事项描述 (from the ``plant`` stream), damage the rows as the
    table says and write the workbook.

    The planting comes first, as it always has: it picks cases by their 案例编号, which a
    defect empties.
    """
    for row in rows:
        if plant.random() < 0.4 and row[0]:
            _plant_in_case(plant, row, sink)
    damage_rows(sink, "tolerance", 0, rows, TOLERANCE_COLUMNS)
    file = root / "inbox" / "tolerance" / "容错纠错认定.xlsx"
    write_xlsx(file, "容错纠错", "XX县容错纠错认定情况汇总表", TOLERANCE_COLUMNS, rows)
    sink.place(rows, lineage_name(root, file), 3)


def _plant_in_case(rng: np.random.Generator, row: Row, sink: Sink) -> None:
    """Two to four sentences with identifiers put before one case's 事项描述, each recorded."""
    say = partial(sink.plant, "tolerance", row[0], "事项描述")
    village = (
        PLACE_A[int(rng.integers(0, len(PLACE_A)))] + PLACE_B[int(rng.integers(0, len(PLACE_B)))]
    )
    phone = phone_form(rng)(mobile(rng))
    number = id_number(rng)
    plate = f"桂{'ABCDEFGHJK'[int(rng.integers(0, 10))]}·{int(rng.integers(10000, 99999))}"
    witness, clerk, card, code = person(rng), person(rng), luhn_card(rng), credit_code(rng)
    email, qq = f"cb{int(rng.integers(100, 999))}@qq.com", str(int(rng.integers(10**7, 10**9)))
    landline = f"(0771){int(rng.integers(2000000, 8999999))}转{int(rng.integers(10, 99))}"
    sentences: tuple[Callable[[], str], ...] = (
        lambda: (
            f"经办人{say('person', clerk)}（电话{say('phone', phone)}）负责{say('address', village)}村的补偿款发放，"
        ),
        lambda: (
            f"证人{say('person', witness)}（身份证号{say('id_number', spaced(number))}）证实款项已退回，"
        ),
        lambda: f"补偿款曾转入村民个人银行卡{say('bank_card', card)}，",
        lambda: f"施工车辆{say('plate', plate)}由承包方使用，",
        lambda: f"承包方统一社会信用代码{say('uscc', code)}，",
        lambda: f"联系邮箱{say('email', email)}，QQ{say('im', qq)}，",
        lambda: f"座机{say('phone', landline)}，",
    )
    picked = rng.choice(len(sentences), int(rng.integers(2, 5)), replace=False)
    row[6] = "".join(sentences[int(i)]() for i in sorted(picked)) + str(row[6])
