"""S7 容错纠错认定 (fault-tolerance decisions): one ``.xlsx`` workbook, sheet ``容错纠错``.

Every 事项描述 names the cadre with their ID number and phone; some also carry identifiers of
every kind a published case must not show, written as clerks write them (``planted.csv``).

Two template families tell the matter. The default one writes one sentence that the measure a
decision reviews (``tolerated.py``) repeats word for word. The **paraphrase** family (asked for
with a ``paraphrase`` random stream) tells a named project in a town, a lapse, an amount and a
month: the measure's 事由 keeps the sanction clerk's words (``2023年5月在江南镇污水管网改造工程中
未按规定履行设计变更审批程序，造成财政资金损失120万元``), and the decision, rewritten when it is
written, says it as an official would — other verbs, other order, the amount as ``1,200,000元`` or
``一百二十万元``, the month as ``2023.05`` or ``二〇二三年五月``, the project's 工程 as 项目 or its
town told apart. It also writes sibling decisions: the same cadre, a few weeks apart, another
project in the same town (often the same kind of work and lapse); each one's measures are decoys
for the other (``truth/tolerance_pairs.csv``).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
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


_WORKS = (
    "污水管网", "农村公路", "人居环境", "老旧小区", "农贸市场", "中小学校舍", "高标准农田",
    "饮水安全", "河道堤防", "垃圾中转站", "文化礼堂", "集镇供水", "便民服务中心", "山塘水库",
)  # fmt: skip
"""What a paraphrased matter's project works on (with a town and a kind: 江南镇污水管网改造工程)."""
_KINDS = ("改造", "建设", "整治", "提升", "修缮")
_LAPSES = (
    ("未按规定履行设计变更审批程序", "在设计变更未经审批的情况下即组织先行施工"),
    ("提前拨付工程款", "工程款的拨付进度超出了合同约定"),
    ("未经公开招标直接确定施工单位", "施工单位以直接委托方式确定，未履行招标程序"),
    ("调整补偿标准未经集体研究", "补偿标准的调整未提交班子会议集体讨论"),
    ("先行垫付征迁补偿资金", "为加快征迁进度，以财政资金先行垫付补偿款"),
    ("验收把关不严", "竣工验收环节审核不够严格"),
)
"""A lapse in the sanction clerk's words and in an official's."""
_DIGITS = "〇一二三四五六七八九"


def _chinese(n: int) -> str:
    """``n`` (below 10^8) in Chinese numerals as officials write amounts: 一百二十万五千."""

    def below(k: int, lead: bool) -> str:  # k < 10000
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = k // value % 10
            if digit:
                out += ("零" if zero and out else "") + _DIGITS[digit] + unit
                zero = False
            elif out or not lead:
                zero = True
        return out

    high, low = divmod(n, 10000)
    text = below(high, True) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + below(low, True)
    return text or "零"


def _chinese_month(m: int) -> str:
    return ("十" + _DIGITS[m - 10]).rstrip("〇") if m >= 10 else _DIGITS[m]


@dataclass
class _Matter:
    """One paraphrased matter: the clerk's words (the measure repeats them) and the official's."""

    town: str
    work: str
    clerk: str
    official: str


class _Paraphrase:
    """The paraphrase family: draws matters from a stream of its own."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.made: list[_Matter] = []

    def _pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[int(self.rng.integers(0, len(options)))]

    def matter(
        self, cadre: Cadre, sink: Sink, decided: date, like: _Matter | None = None
    ) -> _Matter:
        """A matter of ``cadre`` some months before ``decided``; ``like`` given, another matter
        in ``like``'s town (another work, any kind and lapse), for a sibling decision."""
        held = sink.careers.held_on(cadre, decided).unit.named_on(decided)
        seat = re.search(r"县(\w{2}(?:镇|乡))", held)
        if like is not None:
            town = like.town
        elif seat:
            town = seat.group(1)
        else:
            town = self._pick(PLACE_A) + self._pick(PLACE_B) + "镇"
        works = [w for w in _WORKS if like is None or w != like.work]
        work, kind = self._pick(works), self._pick(_KINDS)
        suffix = self._pick(("工程", "项目"))
        project = f"{town}{work}{kind}{suffix}"
        clerk_lapse, official_lapse = _LAPSES[int(self.rng.integers(0, len(_LAPSES)))]
        wan = int(self.rng.integers(8, 400)) * 10 + int(self.rng.integers(0, 10))  # 0.1 万元
        yuan = wan * 1000
        # before the measure, which tolerated.py dates 30 to 300 days before the decision
        month = decided - timedelta(days=int(self.rng.integers(330, 500)))
        y, m = month.year, month.month
        amount_clerk = f"{wan // 10}万元" if wan % 10 == 0 else f"{wan / 10:.1f}万元"
        when_clerk = f"{y}年{m}月"
        clerk = self._pick((
            f"{when_clerk}在{project}中{clerk_lapse}，造成财政资金损失{amount_clerk}",
            f"在{project}推进过程中{clerk_lapse}，于{when_clerk}造成损失{amount_clerk}",
        ))  # fmt: skip
        amount = self._pick((f"{yuan:,}元", _chinese(yuan) + "元", f"{yuan}元"))
        if wan >= 500 and self.rng.random() < 0.25:  # rounded to 万元, within 1% from 50万元
            amount = f"约{round(wan / 10)}万元"
        when = self._pick((
            f"{y}.{m:02d}", f"{y}-{m:02d}", f"{y}年{m:02d}月",
            "".join(_DIGITS[int(c)] for c in str(y)) + "年" + _chinese_month(m) + "月",
        ))  # fmt: skip
        other = {"工程": "项目", "项目": "工程"}[suffix]
        named = self._pick((project, f"{town}{work}{kind}{other}", f"{work}{kind}{suffix}"))
        official = self._pick((
            f"经查，{when}，该同志在{town}牵头实施{named}时，{official_lapse}，涉及资金{amount}。事后主动整改，未造成恶劣影响",
            f"{named}{'' if named.startswith(town) else f'（{town}）'}于{when}推进期间，{official_lapse}，相关损失计{amount}，本人已主动采取补救措施",
            f"因工期紧迫，{official_lapse}，致使{town}{work}{kind}{other}产生{amount}的资金损失（时间：{when}），已挽回大部分损失",
        ))  # fmt: skip
        made = _Matter(town, work, clerk, official)
        self.made.append(made)
        return made


def _case(
    rng: np.random.Generator,
    i: int,
    cadres: list[Cadre],
    sink: Sink,
    paraphrase: _Paraphrase | None = None,
) -> Row:
    """The ``i``-th decision, linked to its cadre (by 人员编号: always resolvable)."""
    cadre = pick(rng, cadres, 1)[0]
    result = ["予以容错", "予以容错", "部分容错", "不予容错"][i % 4]
    decided = day(rng, YEARS[i % 3])
    phone = f"138{rng.integers(10**7, 10**8)}"
    number = f"RC{YEARS[i % 3]}-{i + 1:04d}"
    if paraphrase is None:
        return _row(number, cadre, result, decided, i, phone, sink, None)
    return _row(
        number, cadre, result, decided, i, phone, sink, paraphrase.matter(cadre, sink, decided)
    )


def _row(
    number: str,
    cadre: Cadre,
    result: str,
    decided: date,
    i: int,
    phone: str,
    sink: Sink,
    matter: _Matter | None,
) -> Row:
    """A decision row: the default sentence, or (``matter``) the clerk's words of a matter."""
    elements = [
        ("符合" if result != "不予容错" or j > 2 else "不符合")
        + ("：" + "情况说明" if j == 0 else "")
        for j in range(6)
    ]
    held = sink.careers.held_on(cadre, decided)
    unit, post = held.unit.named_on(decided), held.title
    told = f"在推进项目中因政策调整造成损失约{i + 3}万元" if matter is None else matter.clerk
    row: Row = (
        [
            number, cadre.name, cadre.person_no, unit, post, FIELDS_TOLERANCE[i % len(FIELDS_TOLERANCE)],
            f"{unit}{post}{cadre.name}（身份证号{cadre.id_number}，联系电话{phone}）{told}，已及时纠正。",
            decided - timedelta(days=40), decided, "县委组织部", result, *elements, _DISTINCTION,
            EXCLUSIONS[i % 4] if result == "不予容错" else None, "完善制度，追回损失", "是" if i % 5 else "否",
        ]
    )  # fmt: skip
    evidence = sink.evidence(cadre, key=True)
    sink.link(row, "tolerance", number, cadre.name, cadre, evidence)
    if matter is not None:
        matter.official = f"{cadre.name}同志（身份证号{cadre.id_number}，联系电话{phone}），时任{unit}{post}。{matter.official}。"
    return row


class Decisions(list[Row]):
    """The decision rows, and what the paraphrase family rewrites when they are written."""

    def __init__(self, rows: list[Row]) -> None:
        super().__init__(rows)
        self.official: dict[int, _Matter] = {}
        """By ``id(row)``: the matter whose official words replace the clerk's in 事项描述."""
        self.siblings: list[tuple[str, str]] = []
        """Case numbers of two decisions of one cadre on two matters."""


def tolerance(
    rng: np.random.Generator,
    cadres: list[Cadre],
    sink: Sink,
    paraphrase: np.random.Generator | None = None,
) -> Decisions:
    """Decisions: one for every 200 cadres, 20 at least; with a ``paraphrase`` stream, in the
    paraphrase family, with sibling decisions appended (see the module)."""
    family = None if paraphrase is None else _Paraphrase(paraphrase)
    n = max(20, len(cadres) // 200)
    rows = [_case(rng, i, cadres, sink, family) for i in range(n)]
    decisions = Decisions(rows)
    if family is None:
        return decisions
    by_no = {c.person_no: c for c in cadres}
    decisions.official = {id(row): m for row, m in zip(rows, family.made, strict=True)}
    for row in rows:
        if row[10] not in ("予以容错", "部分容错") or family.rng.random() >= 0.5:
            continue
        cadre, base = by_no[str(row[2])], decisions.official[id(row)]
        decided = row[8]
        assert isinstance(decided, date)
        on = decided + timedelta(days=int(family.rng.integers(-90, 91)))
        i = len(decisions)
        number = f"RC{on.year}-{i + 1:04d}"
        matter = family.matter(cadre, sink, on, like=base)
        phone = f"138{family.rng.integers(10**7, 10**8)}"
        sibling = _row(number, cadre, "予以容错", on, i, phone, sink, matter)
        decisions.append(sibling)
        decisions.official[id(sibling)] = matter
        decisions.siblings.append((str(row[0]), number))
    return decisions


def write_tolerance(root: Path, rows: Decisions, sink: Sink, plant: np.random.Generator) -> None:
    """Plant identifiers in some 事项描述 (from the ``plant`` stream), damage the rows as the
    table says and write the workbook.

    In the paraphrase family, the official's words replace the clerk's first (the measures
    have copied those by now), and each sibling's measures are recorded as decoys of the other.
    The planting comes first otherwise, as it always has: it picks cases by their 案例编号, which
    a defect empties.
    """
    for row in rows:
        if id(row) in rows.official:
            row[6] = rows.official[id(row)].official
    for a, b in rows.siblings:
        for case, measure, _covered, _why in list(sink.pairs):
            if case in (a, b):
                other = b if case == a else a
                sink.pair(other, measure, False, "another matter of the same cadre (same town)")
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
