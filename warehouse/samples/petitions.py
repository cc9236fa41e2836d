"""S4 信访举报 (petitions and reports), written as the SQLite table ``petition``.

A tenth name somebody off the roster (a village cadre); a few older versions of a petition
(办理中) are superseded by the latest; most carry a protected reporter (举报人保护), and some
问题摘要 name the reporter and other contact details as clerks write them.
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np

from warehouse.samples.careers import record_class
from warehouse.samples.columns import PETITION_COLUMNS
from warehouse.samples.identifiers import luhn_card, mobile, person, phone_form, spaced
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text, day, mess_id, pick
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import (
    CATEGORIES_PETITION,
    GIVEN,
    PETITION_RESULTS,
    PLACE_A,
    PLACE_B,
    SURNAMES,
    YEARS,
)
from warehouse.samples.writers import sql_order, write_sql

_Accused = tuple[Cadre | None, str, str, str, str | None, str]


def _outsider(rng: np.random.Generator) -> tuple[str, str, str]:
    """Name, unit and post of a village cadre, who is on no roster."""
    name = (
        SURNAMES[rng.integers(0, 40)]
        + GIVEN[rng.integers(0, len(GIVEN))]
        + GIVEN[rng.integers(0, len(GIVEN))]
    )
    village = PLACE_A[rng.integers(0, len(PLACE_A))] + PLACE_B[rng.integers(0, len(PLACE_B))] + "村"
    return name, f"{village}村民委员会", "村党支部书记"


def _accused(rng: np.random.Generator, cadres: list[Cadre], sink: Sink, received: date) -> _Accused:
    """Who a petition names: (cadre or None, name, unit, post, ID as written, the ID's mess), the
    cadre as they were when it was received: the unit (named as it was then) and post held."""
    if rng.random() < 0.1:
        name, unit, post = _outsider(rng)
        return None, name, unit, post, None, "none"
    cadre = pick(rng, cadres, 1)[0]
    held = sink.careers.held_on(cadre, received)
    unit = sink.write_unit(rng, held.unit, received)
    name, post = sink.name_as_written(rng, cadre.name), sink.title_on(cadre, held, received)
    raw_id, id_kind = mess_id(rng, cadre.id_number) if rng.random() < 0.05 else (None, "none")
    return cadre, name, unit, post, raw_id, id_kind


def _petition(rng: np.random.Generator, i: int, cadres: list[Cadre], sink: Sink) -> Row:
    """The ``i``-th petition, linked in the truth to whom it names."""
    results, weights = PETITION_RESULTS
    number = f"XF{YEARS[i % 3]}-{i + 1:07d}"
    received = day(rng, YEARS[i % 3])
    cadre, name, unit, post, raw_id, id_kind = _accused(rng, cadres, sink, received)
    reporter: tuple[str, str, str] | tuple[None, None, None] = (
        (f"举报人{i:06d}", f"139{i:08d}", f"45010219800101{i % 1000:03d}X")
        if rng.random() < 0.6
        else (None, None, None)
    )
    if reporter[0]:
        sink.reporters.append(reporter)
    result = results[int(rng.choice(len(results), p=weights))]
    closed = received + timedelta(days=int(rng.integers(10, 120))) if result != "办理中" else None
    repeat = i > 10 and rng.random() < 0.05
    row: Row = (
        [
            number, date_text(rng, received), ["来信", "来访", "来电", "网络举报", "12388", "上级转办"][i % 6],
            *reporter, name, unit, post, raw_id, CATEGORIES_PETITION[rng.integers(0, 7)],
            f"反映{name}在工作中存在问题（第{i}件）", ["谈话函询", "初步核实", "暂存待查", "予以了结", "移送"][i % 5],
            result, "是" if result == "不实" and rng.random() < 0.3 else "否", "是" if result == "不实" and rng.random() < 0.05 else "否",
            "是" if repeat else "否", f"XF{YEARS[(i - 5) % 3]}-{i - 4:07d}" if repeat else None,
            date_text(rng, closed) if closed else None, f"{received + timedelta(days=130):%Y-%m-%d} 10:00:00",
        ]
    )  # fmt: skip
    key = id_kind not in ("none", "typo")
    if cadre is None:
        evidence = sink.evidence(None, key=False, cls="village")
    else:
        held = sink.careers.held_on(cadre, received)
        cls = record_class(held, received)
        evidence = sink.evidence_at(
            cadre, received, held, key=key, titled=True, cls=cls, unit_text=unit, title=post
        )
    sink.link(row, "petition", number, name, cadre, evidence)
    return row


def petitions(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """A quarter as many petitions as cadres (40 at least), then a few superseded versions."""
    k = max(40, len(cadres) // 4)
    rows = [_petition(rng, i, cadres, sink) for i in range(k)]
    # An older version of a few petitions (办理中), superseded by the row above: the latest wins.
    for row in rows[: max(2, k // 200)]:
        old = list(row)
        old[13], old[18], old[19] = "办理中", None, "2023-01-01 08:00:00"
        rows.append(old)
    return rows


def write_petitions(root: Path, rows: list[Row], sink: Sink, plant: np.random.Generator) -> None:
    """Damage the rows, plant identifiers in 问题摘要 (from the ``plant`` stream) and write them
    to ``inbox/petition.db``.

    The damage comes first, as it always has: a planted petition with an empty 件号 is recorded
    in ``planted.csv`` under the empty key.
    """
    damage_rows(sink, "petition", 0, rows, PETITION_COLUMNS)
    for row in rows:
        if row[3] is not None and plant.random() < 0.25:
            _plant_in_petition(plant, row, sink)
    ordered = sql_order(rows, (0, 19))
    write_sql(root / "inbox" / "petition.db", "petition", PETITION_COLUMNS, ordered, sink)


def _plant_in_petition(rng: np.random.Generator, row: Row, sink: Sink) -> None:
    """One petition's 问题摘要 rewritten in one of four clerks' forms, naming its reporter.

    A reporter with a placeholder name gets a realistic one (recorded in ``reporters.csv``);
    every value written into the text, as written, goes to ``planted.csv``.
    """
    name, phone, id_number = person(rng), str(row[4]), str(row[5])
    row[3] = name
    sink.reporters.append((name, phone, id_number))
    key, accused, form = row[0], row[6], int(rng.integers(0, 4))
    written = phone_form(rng)(phone)
    other = phone_form(rng)(mobile(rng))
    card = luhn_card(rng)
    say = partial(sink.plant, "petition", key, "问题摘要")
    email = f"jb{int(rng.integers(1000, 9999))}@163.com"
    forms: tuple[Callable[[], str], ...] = (
        lambda: (
            f"举报人{say('reporter', name)}反映{accused}在工作中存在问题，"
            f"联系电话{say('reporter', written)}"
        ),
        lambda: (
            f"来电人（电话{say('reporter', written)}）称{accused}违规操作，"
            f"另提供证人电话{say('phone', other)}"
        ),
        lambda: (
            f"{say('reporter', name)}（身份证号{say('reporter', spaced(id_number))}）实名举报{accused}，"
            f"联名举报人{say('person', person(rng))}附邮箱{say('email', email)}"
        ),
        lambda: (
            f"来信人{say('reporter', name)}反映{accused}挪用补助，"
            f"要求退回至银行卡{say('bank_card', card)}"
        ),
    )
    row[11] = forms[form]()
