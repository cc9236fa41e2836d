"""Sample upstream exports, generated: all seven sources as ``SOURCES.md`` describes them, mess included.

``generate(out, cadres, seed)`` writes SQLite tables for the roster and petitions, ``.xlsx``
workbooks with title and 合计 rows, GB18030 and UTF-8 CSV, JSONL, a ``sources.yaml``, and the
ground truth under ``truth/``: which roster person each record really concerns
(``truth/links.parquet``) and every corrupt row that was injected (``truth/defects.csv``).
Deterministic for a seed. Protected reporter values are recorded in ``truth/reporters.csv`` so a
test can prove none of them leaves extraction. Some petitions' 问题摘要 also mention the reporter
and other contact details, and some 容错 事项描述 carry identifiers of every kind the case library
must remove (written as clerks write them); each planted value, as written, is in
``truth/planted.csv``. The planting draws from its own random stream, so every other byte is
what it would be without it.
"""

import csv
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import opencc
import orjson
import polars as pl
import xlsxwriter

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND = ["欧阳", "司马", "诸葛", "上官", "东方", "令狐", "皇甫", "尉迟"]
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉力斌志红兰玉萍鹏飞宇浩俊林海波峰雪梅琳晨阳亮凯婷颖东鑫丹健博斌龙云春燕琴荣新宏晓莉慧瑞卫德成佳"
)
MINORITY = [
    "阿依古丽·买买提",
    "阿卜杜拉·艾力",
    "热依拉·吐尔逊",
    "古丽娜·热合曼",
    "艾尔肯·托合提",
    "迪丽娜·阿不都",
]
DEPARTMENTS = [
    "发展和改革局", "住房和城乡建设局", "人力资源和社会保障局", "财政局", "教育局", "自然资源局",
    "生态环境局", "交通运输局", "农业农村局", "水利局", "卫生健康局", "市场监督管理局",
    "文化广电和旅游局", "应急管理局", "民政局", "审计局", "司法局", "商务局",
]  # fmt: skip
ABBREVIATIONS = {
    "发展和改革局": "发改局", "住房和城乡建设局": "住建局", "人力资源和社会保障局": "人社局",
    "卫生健康局": "卫健局", "市场监督管理局": "市场监管局", "文化广电和旅游局": "文广旅局",
    "应急管理局": "应急局", "交通运输局": "交通局", "农业农村局": "农业局",
}  # fmt: skip
PLACE_A = list("安平临青永宁兴和丰泰嘉华长新东西南北江河山阳明德云龙凤清瑞福")
PLACE_B = list("平安江山阳宁城源川溪水林丰台口州")
POSTS_DEPT = [
    ("局长", "正科"),
    ("党组书记", "正科"),
    ("副局长", "副科"),
    ("副局长", "副科"),
    ("办公室主任", "一级主任科员"),
    ("股长", "四级主任科员"),
]
POSTS_TOWN = [
    ("镇党委书记", "正科"),
    ("镇长", "正科"),
    ("副镇长", "副科"),
    ("镇党委副书记", "副科"),
    ("镇人大主席", "正科"),
    ("组织委员", "副科"),
]
POSTS_COUNTY = [
    ("县委书记", "正处"),
    ("县长", "正处"),
    ("县委副书记", "副处"),
    ("副县长", "副处"),
    ("县委常委", "副处"),
]
PETITION_RESULTS = (
    ["属实", "部分属实", "不实", "查无实据", "办理中", "不属实", "基本属实"],
    [0.16, 0.14, 0.22, 0.28, 0.12, 0.05, 0.03],
)
CATEGORIES_PETITION = [
    "违反政治纪律",
    "违反组织纪律",
    "违反廉洁纪律",
    "违反群众纪律",
    "违反工作纪律",
    "违反生活纪律",
    "其他",
]
INSPECTION_CATEGORIES = [
    "贯彻落实党的理论路线方针政策和党中央决策部署",
    "落实全面从严治党战略部署",
    "落实新时代党的组织路线",
    "落实巡视巡察整改",
]
AUDIT_PROBLEMS = ["重大经济事项决策", "违规招投标", "资金闲置", "损失浪费", "违反中央八项规定精神"]
MEASURES = [
    ("党纪处分", "警告"), ("党纪处分", "严重警告"), ("党纪处分", "撤销党内职务"), ("党纪处分", "留党察看"),
    ("政务处分", "警告"), ("政务处分", "记过"), ("政务处分", "记大过"), ("政务处分", "降级"), ("政务处分", "撤职"),
    ("组织处理", "诫勉"), ("组织处理", "提醒谈话"), ("组织处理", "函询"), ("组织处理", "调整职务"), ("组织处理", "免职"),
    ("问责", "通报"), ("问责", "诫勉谈话"), ("组织处理", "批评教育"), ("组织处理", "责令检查"),
]  # fmt: skip
FIELDS_TOLERANCE = [
    "重点项目建设",
    "脱贫攻坚",
    "乡村振兴",
    "城市管理",
    "国企改革",
    "招商引资",
    "营商环境",
    "疫情防控",
    "生态环保",
    "征地拆迁",
]
SIX = ["动机态度", "客观条件", "程序方法", "性质程度", "后果影响", "挽回损失"]
EXCLUSIONS = ["谋取私利", "违反中央八项规定精神", "重大决策未经集体研究", "弄虚作假"]

_S2T = opencc.OpenCC("s2t")
_ID_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_C = "10X98765432"
YEARS = (2023, 2024, 2025)


@dataclass
class Cadre:
    """One roster person, as the generator knows them (the truth)."""

    person_no: str
    name: str
    id_number: str
    unit: str
    unit_code: str
    unit_short: str
    post: str
    region: str


class _Sink:
    """Collects truth rows (links and injected defects) while sources are made."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str, str, str | None, bool, bool, int, int]] = []
        self.defects: list[tuple[str, str, int, str]] = []
        self.reporters: list[tuple[str, str, str]] = []
        self.planted: list[tuple[str, str, str, str, str]] = []
        self.places: dict[int, tuple[str, int]] = {}
        # Rows are known by id(): each linked row is kept alive here, or a row freed after writing
        # (the audits were) could lend its id to a later one and be placed in that row's file.
        self.kept: list[object] = []
        self.same_unit: Counter[tuple[str, str]] = Counter()
        self.same_post: Counter[tuple[str, str, str]] = Counter()

    def know_roster(self, cadres: Sequence["Cadre"]) -> None:
        """Count colleagues sharing a name, to tell which records only a person could resolve."""
        self.same_unit = Counter((c.name, c.unit) for c in cadres)
        self.same_post = Counter((c.name, c.unit, c.post) for c in cadres)

    def evidence(
        self, cadre: "Cadre | None", *, key: bool, unit: bool, post: bool
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
        row: list[object],
        source: str,
        key: str,
        name: str,
        cadre: "Cadre | None",
        evidence: tuple[bool, bool],
        index: int = 0,
    ) -> None:
        """Record who a generated row (its ``index``-th person) really concerns; file and row come once written."""
        person_no = cadre.person_no if cadre else None
        self.kept.append(row)
        self.links.append((source, key, name, person_no, *evidence, index, id(row)))

    def place(self, rows: Sequence[list[object]], file: str, first: int) -> None:
        """Remember that ``rows`` were written to ``file`` from row number ``first`` on."""
        for n, row in enumerate(rows):
            self.places[id(row)] = (file, first + n)


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return _ID_C[sum(int(d) * w for d, w in zip(first17, _ID_W, strict=True)) % 11]


def _ids(
    rng: np.random.Generator, regions: np.ndarray, births: Sequence[date], male: np.ndarray
) -> list[str]:
    seq = rng.integers(0, 500, len(regions)) * 2 + male.astype(int)
    digits17 = [f"{r}{b:%Y%m%d}{s:03d}" for r, b, s in zip(regions, births, seq, strict=True)]
    matrix = np.frombuffer("".join(digits17).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    checks = (matrix * _ID_W).sum(axis=1) % 11
    return [d + _ID_C[c] for d, c in zip(digits17, checks, strict=True)]


_DATE_FORMS: tuple[Callable[[date], str], ...] = (
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d:%Y.%m.%d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d} 09:30:00",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d:%Y-%m-%d}",
)


def _date_text(rng: np.random.Generator, d: date) -> str:
    """A date in one of the forms upstream clerks use (ISO most often)."""
    return _DATE_FORMS[int(rng.random() * len(_DATE_FORMS))](d)


def _mess_id(
    rng: np.random.Generator, id_number: str, roll: float | None = None
) -> tuple[str, str]:
    """An ID number as an upstream clerk typed it, and what kind of mess it is (``roll=0`` forces a typo)."""
    roll = rng.random() if roll is None else roll
    if roll < 0.04:
        wrong = str((int(id_number[16]) + 1 + rng.integers(0, 8)) % 10)
        return id_number[:16] + wrong + id_number[17], "typo"
    if roll < 0.07 and id_number[6:8] == "19":
        return id_number[:6] + id_number[8:17], "legacy_15"
    if roll < 0.09:
        return id_number.translate(
            str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
        ), "full_width"
    if roll < 0.11:
        return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}", "spaced"
    if roll < 0.13 and id_number.endswith("X"):
        return id_number[:17] + "x", "lower_x"
    return id_number, "clean"


def _mess_name(rng: np.random.Generator, name: str) -> str:
    roll = rng.random()
    if roll < 0.06:
        return str(_S2T.convert(name))
    if roll < 0.10 and len(name) == 2:
        return f"{name[0]} {name[1]}"
    if roll < 0.12:
        return name.replace("·", "•")
    if roll < 0.13:
        return f"{name[0]}\u3000{name[1:]}"
    return name


def _mess_unit(rng: np.random.Generator, cadre: Cadre) -> str:
    roll = rng.random()
    if roll < 0.35:
        return cadre.unit_short
    if roll < 0.45 and cadre.unit.endswith("人民政府"):
        return cadre.unit.removesuffix("人民政府")
    return cadre.unit


def _roster(rng: np.random.Generator, n: int) -> tuple[pl.DataFrame, list[Cadre]]:
    """The roster: counties of ~600 cadres, each a county leadership, departments and towns."""
    counties: list[tuple[str, str]] = []
    while len(counties) * 600 < n or not counties:
        i = len(counties)
        # Unique county names for up to 14,400 counties: two characters, then three.
        extra = "" if i < 480 else PLACE_A[(i // 480) % len(PLACE_A)]
        county_name = (
            PLACE_A[i % len(PLACE_A)] + PLACE_B[(i // len(PLACE_A)) % len(PLACE_B)] + extra + "县"
        )
        counties.append((f"45{1 + i // 60:02d}{1 + i % 60:02d}", county_name))
    units: list[
        tuple[str, str, str, str, list[tuple[str, str]]]
    ] = []  # code, full, short, region, posts
    for ci, (region, county) in enumerate(counties):
        units.append((f"{region}000", f"中共{county}委员会", f"{county}委", region, POSTS_COUNTY))
        for j, dept in enumerate(DEPARTMENTS):
            short = county + ABBREVIATIONS.get(dept, dept)
            units.append((f"{region}{j + 1:03d}", county + dept, short, region, POSTS_DEPT))
        for j in range(12):  # twelve towns, distinct within the county
            town = PLACE_B[j] + PLACE_A[(j * 7 + ci) % len(PLACE_A)] + "镇"
            units.append(
                (
                    f"{region}{100 + j:03d}",
                    f"{county}{town}人民政府",
                    f"{county}{town}",
                    region,
                    POSTS_TOWN,
                )
            )
    unit_of = rng.integers(0, len(units), n)
    unit_of.sort()
    compound = rng.random(n) < 0.01
    surname = np.where(
        compound,
        np.array(COMPOUND)[rng.integers(0, len(COMPOUND), n)],
        np.array(SURNAMES)[rng.zipf(1.3, n) % len(SURNAMES)],
    )
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.7, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    names = np.char.add(np.char.add(surname.astype(str), g1.astype(str)), g2.astype(str)).tolist()
    for k in np.flatnonzero(rng.random(n) < 0.005).tolist():
        names[k] = MINORITY[k % len(MINORITY)]
    # Homonyms on purpose: some cadres share a name with a colleague in the same unit.
    for k in np.flatnonzero(rng.random(n) < 0.01).tolist():
        if k > 0 and unit_of[k - 1] == unit_of[k]:
            names[k] = names[k - 1]
    male = rng.random(n) < 0.7
    births = [date(1965, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 365 * 30, n)]
    regions = np.array([units[u][3] for u in unit_of])
    ids = _ids(rng, regions, births, male)
    cadres: list[Cadre] = []
    rows = []
    update = datetime(2025, 12, 1)
    for i in range(n):
        code, full, short, region, posts = units[unit_of[i]]
        post, grade = posts[rng.integers(0, len(posts))]
        scope = "市管" if grade.endswith("处") else "县管"
        person_no = f"RY{i + 1:08d}"
        cadres.append(Cadre(person_no, names[i], ids[i], full, code, short, post, region))
        start = births[i] + timedelta(days=365 * 30 + int(rng.integers(0, 3000)))
        rows.append(
            [
                person_no, names[i], "男" if male[i] else ("女性" if i % 17 == 0 else "女"), "汉族", "中共党员",
                ids[i] if i % 23 else ids[i][:6] + ids[i][8:17], f"{births[i]:%Y.%m}" if i % 5 else f"{births[i]:%Y-%m}",
                code, full, post, grade, scope, region, _date_text(rng, min(start, date(2025, 6, 30))),
                "在职" if i % 41 else "退休", (update + timedelta(minutes=i % 1440)).strftime("%Y-%m-%d %H:%M:%S"),
            ]
        )  # fmt: skip
    return pl.DataFrame(rows, schema=[c for c in ROSTER_COLUMNS], orient="row"), cadres


ROSTER_COLUMNS = [
    "人员编号",
    "姓名",
    "性别",
    "民族",
    "政治面貌",
    "公民身份号码",
    "出生年月",
    "单位代码",
    "单位名称",
    "现任职务",
    "职级",
    "管理权限",
    "行政区划代码",
    "任现职时间",
    "在职状态",
    "更新时间",
]
PETITION_COLUMNS = [
    "件号",
    "收件日期",
    "来源渠道",
    "举报人姓名",
    "举报人联系电话",
    "举报人身份证号",
    "被反映人姓名",
    "被反映人单位",
    "被反映人职务",
    "被反映人身份证号",
    "问题类别",
    "问题摘要",
    "处置方式",
    "办理结果",
    "是否澄清正名",
    "是否诬告陷害",
    "重复件",
    "原件号",
    "办结日期",
    "更新时间",
]
INSPECTION_COLUMNS = [
    "轮次",
    "类型",
    "巡察组",
    "被巡察单位",
    "被巡察单位代码",
    "问题编号",
    "问题类别",
    "问题描述",
    "责任人",
    "责任人职务",
    "是否移交问题线索",
    "整改状态",
    "整改时限",
    "反馈日期",
]
AUDIT_COLUMNS = [
    "审计项目编号",
    "审计类型",
    "被审计单位",
    "被审计领导干部",
    "公民身份号码",
    "审计期间",
    "问题编号",
    "问题类型",
    "问题描述",
    "涉及金额（万元）",
    "责任类型",
    "移送处理",
    "容错认定",
    "符合改革方向",
    "经集体研究",
    "未造成重大不良后果",
    "未发现利益输送",
    "尽力避免损失",
    "报告日期",
]
SANCTION_COLUMNS = [
    "姓名",
    "公民身份号码",
    "人员编号",
    "处理类别",
    "处理措施",
    "留党察看期限",
    "决定日期",
    "决定机关",
    "事由",
    "影响期截止",
]
TOLERANCE_COLUMNS = [
    "案例编号",
    "姓名",
    "人员编号",
    "单位",
    "职务",
    "领域",
    "事项描述",
    "申请日期",
    "认定日期",
    "认定机关",
    "认定结果",
    *SIX,
    "三个区分开来",
    "不予容错情形",
    "纠错措施",
    "可否公开",
]


def _pick(rng: np.random.Generator, cadres: list[Cadre], k: int) -> list[Cadre]:
    return [cadres[i] for i in rng.integers(0, len(cadres), k)]


def _day(rng: np.random.Generator, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=int(rng.integers(0, 360)))


def _outsider(rng: np.random.Generator) -> tuple[str, str, str]:
    name = (
        SURNAMES[rng.integers(0, 40)]
        + GIVEN[rng.integers(0, len(GIVEN))]
        + GIVEN[rng.integers(0, len(GIVEN))]
    )
    village = PLACE_A[rng.integers(0, len(PLACE_A))] + PLACE_B[rng.integers(0, len(PLACE_B))] + "村"
    return name, f"{village}村民委员会", "村党支部书记"


def _petitions(rng: np.random.Generator, cadres: list[Cadre], sink: _Sink) -> list[list[object]]:
    k = max(40, len(cadres) // 4)
    rows: list[list[object]] = []
    results, weights = PETITION_RESULTS
    for i in range(k):
        number = f"XF{YEARS[i % 3]}-{i + 1:07d}"
        received = _day(rng, YEARS[i % 3])
        cadre: Cadre | None = None
        id_kind = "none"
        if rng.random() < 0.1:
            name, unit, post = _outsider(rng)
            raw_id = None
        else:
            cadre = _pick(rng, cadres, 1)[0]
            name, unit, post = _mess_name(rng, cadre.name), _mess_unit(rng, cadre), cadre.post
            raw_id, id_kind = (
                _mess_id(rng, cadre.id_number) if rng.random() < 0.05 else (None, "none")
            )
        reporter: tuple[str, str, str] | tuple[None, None, None] = (
            (f"举报人{i:06d}", f"139{i:08d}", f"45010219800101{i % 1000:03d}X")
            if rng.random() < 0.6
            else (None, None, None)
        )
        if reporter[0]:
            sink.reporters.append(reporter)
        result = results[int(rng.choice(len(results), p=weights))]
        closed = (
            received + timedelta(days=int(rng.integers(10, 120))) if result != "办理中" else None
        )
        repeat = i > 10 and rng.random() < 0.05
        row: list[object] = (
            [
                number, _date_text(rng, received), ["来信", "来访", "来电", "网络举报", "12388", "上级转办"][i % 6],
                *reporter, name, unit, post, raw_id, CATEGORIES_PETITION[rng.integers(0, 7)],
                f"反映{name}在工作中存在问题（第{i}件）", ["谈话函询", "初步核实", "暂存待查", "予以了结", "移送"][i % 5],
                result, "是" if result == "不实" and rng.random() < 0.3 else "否", "是" if result == "不实" and rng.random() < 0.05 else "否",
                "是" if repeat else "否", f"XF{YEARS[(i - 5) % 3]}-{i - 4:07d}" if repeat else None,
                _date_text(rng, closed) if closed else None, f"{received + timedelta(days=130):%Y-%m-%d} 10:00:00",
            ]
        )  # fmt: skip
        rows.append(row)
        evidence = sink.evidence(cadre, key=id_kind not in ("none", "typo"), unit=True, post=True)
        sink.link(row, "petition", number, name, cadre, evidence)
    # An older version of a few petitions (办理中), superseded by the row above: the latest wins.
    for row in rows[: max(2, k // 200)]:
        old = list(row)
        old[13], old[18], old[19] = "办理中", None, "2023-01-01 08:00:00"
        rows.append(old)
    defects = [
        (3, 1, "2024-02-30", "impossible 收件日期"),
        (5, 13, "待定", "unknown 办理结果"),
        (7, 0, "", "empty 件号"),
    ]
    for at, column, value, what in defects:
        rows[at][column] = value
        sink.defects.append(("petition", "", id(rows[at]), what))
    return rows


def _inspections(
    rng: np.random.Generator, cadres: list[Cadre], sink: _Sink
) -> dict[str, list[list[object]]]:
    rounds: dict[str, list[list[object]]] = {}
    k = max(40, len(cadres) * 3 // 20)
    by_unit: dict[str, list[Cadre]] = {}
    for c in cadres:
        by_unit.setdefault(c.unit, []).append(c)
    unit_names = list(by_unit)
    for i in range(k):
        year = YEARS[i % 3]
        label = f"{year}年第{1 + (i // 3) % 4}轮"
        unit = unit_names[rng.integers(0, len(unit_names))]
        staff = by_unit[unit]
        named = (
            []
            if rng.random() < 0.2
            else [
                staff[j]
                for j in rng.choice(
                    len(staff), min(len(staff), 1 + int(rng.random() < 0.3)), replace=False
                )
            ]
        )
        number = f"WT{i + 1:06d}"
        status = ["未整改", "整改中", "已整改", "整改完成"][rng.integers(0, 4)]
        deadline = _day(rng, year) + timedelta(days=90)
        row: list[object] = (
            [
                label, "巡察", ["第一巡察组", "第二巡察组", "第三巡察组"][i % 3], unit, staff[0].unit_code,
                number, INSPECTION_CATEGORIES[i % 4], f"{unit}存在问题{i}：落实不到位",
                "、".join(_mess_name(rng, c.name) for c in named), "、".join(c.post for c in named),
                ["是", "否"][i % 2], status, deadline, _date_text(rng, deadline + timedelta(days=30)) if status != "未整改" else None,
            ]
        )  # fmt: skip
        rounds.setdefault(label, []).append(row)
        for index, (c, shown) in enumerate(zip(named, str(row[8]).split("、"), strict=False)):
            evidence = sink.evidence(c, key=False, unit=True, post=True)
            sink.link(row, "inspection", f"{label}/{number}", shown, c, evidence, index)
    return rounds


def _audits(
    rng: np.random.Generator, cadres: list[Cadre], sink: _Sink
) -> dict[int, list[list[object]]]:
    batches: dict[int, list[list[object]]] = {}
    k = max(30, len(cadres) * 2 // 25)
    for i in range(k):
        year = YEARS[i % 3]
        cadre = _pick(rng, cadres, 1)[0]
        project = f"SJ{year}-{i // 3 + 1:05d}"
        raw_id, id_kind = _mess_id(
            rng, cadre.id_number, 0.0 if i < 2 else None
        )  # always a few typos
        name = _mess_name(rng, cadre.name)
        amount = float(rng.integers(1, 500000)) / 100
        tolerated = rng.random() < 0.15
        five = ["是"] * 5 if tolerated else [["是", "否"][int(x)] for x in rng.random(5) < 0.3]
        row: list[object] = (
            [
                project, ["经济责任审计", "专项审计", "预算执行审计"][i % 3], cadre.unit, name, raw_id,
                f"{year - 4}年1月至{year - 1}年12月", "1", AUDIT_PROBLEMS[i % 5], f"{cadre.unit}{AUDIT_PROBLEMS[i % 5]}问题",
                f"{amount:,.2f}", ["直接责任", "领导责任", "主管责任"][i % 3], ["否", "移送纪检监察机关", "移送主管部门"][i % 3 if i % 7 == 0 else 0],
                "予以容错" if tolerated else ["不予容错", "未申请"][i % 2], *five, _date_text(rng, _day(rng, year)),
            ]
        )  # fmt: skip
        batches.setdefault(year, []).append(row)
        evidence = sink.evidence(cadre, key=id_kind != "typo", unit=True, post=False)
        sink.link(row, "audit", f"{project}/1", name, cadre, evidence)
    return batches


def _assessments(rng: np.random.Generator, cadres: list[Cadre]) -> pl.DataFrame:
    n = len(cadres)
    person_no = pl.Series([c.person_no for c in cadres])
    name = pl.Series([c.name for c in cadres])
    frames = []
    grades = np.array(["优秀", "称职", "基本称职", "不称职", "不定等次", "合格"])
    for year in YEARS:
        g = grades[rng.choice(6, n, p=[0.18, 0.74, 0.04, 0.01, 0.01, 0.02])]
        score = np.round(rng.uniform(60, 99, n), 1)
        rate = rng.uniform(0, 1, n)
        frames.append(
            pl.DataFrame(
                {
                    "人员编号": person_no,
                    "姓名": name,
                    "考核年度": year,
                    "考核类型": "年度考核",
                    "考核周期": str(year),
                    "考核等次": g,
                    "综合得分": score,
                    "民主测评优秀率": np.where(
                        rng.random(n) < 0.5,
                        np.char.add(np.round(rate * 100, 1).astype(str), "%"),
                        np.round(rate, 3).astype(str),
                    ),
                    "督考联动得分": np.round(rng.uniform(50, 100, n), 1),
                    "单位内排名": rng.integers(1, 30, n),
                    "单位人数": 30,
                }  # fmt: skip
            )
        )
    quarterly = rng.random(n) < 0.25
    for q in range(1, 5):
        frames.append(
            pl.DataFrame(
                {
                    "人员编号": person_no.filter(quarterly),
                    "姓名": name.filter(quarterly),
                    "考核年度": 2025,
                    "考核类型": "平时考核",
                    "考核周期": f"2025Q{q}",
                    "考核等次": np.array(["好", "较好", "一般", "较差"])[
                        rng.choice(4, int(quarterly.sum()), p=[0.4, 0.45, 0.12, 0.03])
                    ],
                }  # fmt: skip
            )
        )
    return pl.concat(frames, how="diagonal_relaxed")


def _sanctions(rng: np.random.Generator, cadres: list[Cadre], sink: _Sink) -> list[list[object]]:
    k = max(30, len(cadres) * 3 // 100)
    rows = []
    for i in range(k):
        cadre = _pick(rng, cadres, 1)[0]
        klass, measure = MEASURES[i % len(MEASURES)]
        decided = _day(rng, YEARS[i % 3])
        how = i % 3  # 0: ID only, 1: 人员编号 only, 2: both
        raw_id, id_kind = (
            _mess_id(rng, cadre.id_number, 0.0 if i < 3 else None) if how != 1 else (None, "none")
        )
        number = cadre.person_no if how != 0 else None
        name = _mess_name(rng, cadre.name)
        row: list[object] = (
            [name, raw_id, number, klass, measure, "12" if measure == "留党察看" else None, _date_text(rng, decided),
             "县纪委监委" if klass in ("党纪处分", "政务处分") else "县委组织部", f"{name}违反规定{i}", None]
        )  # fmt: skip
        rows.append(row)
        evidence = sink.evidence(cadre, key=how != 0 or id_kind != "typo", unit=False, post=False)
        sink.link(
            row,
            "sanction",
            f"{number or cadre.id_number}/{measure}/{decided}",
            name,
            cadre,
            evidence,
        )
    return rows


def _tolerance(rng: np.random.Generator, cadres: list[Cadre], sink: _Sink) -> list[list[object]]:
    k = max(20, len(cadres) // 200)
    rows = []
    for i in range(k):
        cadre = _pick(rng, cadres, 1)[0]
        result = ["予以容错", "予以容错", "部分容错", "不予容错"][i % 4]
        decided = _day(rng, YEARS[i % 3])
        elements = [
            ("符合" if result != "不予容错" or j > 2 else "不符合")
            + ("：" + "情况说明" if j == 0 else "")
            for j in range(6)
        ]
        phone = f"138{rng.integers(10**7, 10**8)}"
        number = f"RC{YEARS[i % 3]}-{i + 1:04d}"
        row: list[object] = (
            [
                number, cadre.name, cadre.person_no, cadre.unit, cadre.post, FIELDS_TOLERANCE[i % len(FIELDS_TOLERANCE)],
                f"{cadre.unit}{cadre.post}{cadre.name}（身份证号{cadre.id_number}，联系电话{phone}）在推进项目中因政策调整造成损失约{i + 3}万元，已及时纠正。",
                decided - timedelta(days=40), decided, "县委组织部", result, *elements, "把上级尚无明确限制的探索性试验中的失误错误，同明令禁止后依然我行我素的违纪违法行为区分开来",
                EXCLUSIONS[i % 4] if result == "不予容错" else None, "完善制度，追回损失", "是" if i % 5 else "否",
            ]
        )  # fmt: skip
        rows.append(row)
        sink.link(
            row,
            "tolerance",
            number,
            cadre.name,
            cadre,
            sink.evidence(cadre, key=True, unit=True, post=True),
        )
    return rows


# ----------------------------------------------------------------------------------- writers


def _sqlite(path: Path, table: str, columns: list[str], rows: Sequence[Sequence[object]]) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        cols = ", ".join(f'"{c}" TEXT' for c in columns)
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    path.chmod(0o644)


def _xlsx(
    path: Path,
    sheet: str,
    title: str,
    columns: list[str],
    rows: Sequence[Sequence[object]],
    total: bool = True,
) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True, "align": "center"})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(columns) - 1, title, bold)
    ws.write_row(1, 0, columns)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, date):
                if (r + c) % 3 == 0:
                    ws.write_number(r, c, (value - date(1899, 12, 30)).days)
                else:
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
            elif value is not None:
                ws.write_string(r, c, str(value))
    end = len(rows) + 2
    ws.write_row(end + 1, 0, [])  # a blank row, then the total
    if total:
        ws.write_string(end + 1, 0, "合计")
        ws.write_string(end + 1, 1, f"{len(rows)}条")
    book.close()


def _csv(path: Path, columns: list[str], rows: Sequence[Sequence[object]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def _write_truth(truth: Path, sink: _Sink) -> None:
    truth.mkdir(parents=True, exist_ok=True)
    links = [(*link[:7], *sink.places.get(link[7], (None, None))) for link in sink.links]
    schema = {"source": pl.String, "source_key": pl.String, "subject_name": pl.String, "person_no": pl.String,
              "resolvable": pl.Boolean, "homonym": pl.Boolean, "subject_index": pl.Int32, "file": pl.String,
              "row": pl.Int64}  # fmt: skip
    pl.DataFrame(links, schema=schema, orient="row").write_parquet(truth / "links.parquet")
    with (truth / "defects.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("source", "file", "row", "defect"), *sink.defects])
    with (truth / "reporters.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("name", "phone", "id_number"), *sink.reporters])
    with (truth / "planted.csv").open("w", encoding="utf-8", newline="") as handle:
        header = ("source", "source_key", "field", "kind", "written")
        csv.writer(handle).writerows([header, *sink.planted])


def _sql_order(rows: list[list[object]], columns: Sequence[int]) -> list[list[object]]:
    """Rows in the order the SQL reader numbers them (ORDER BY the key columns, NULL first)."""
    return sorted(rows, key=lambda r: tuple((r[c] is not None, r[c] or "") for c in columns))


SOURCES_YAML = """\
# Where each upstream export is found (paths relative to this file; ${VAR} reads the environment).
roster:      {sql: "sqlite:///inbox/roster.db", table: cadre_roster}
petitions:   {sql: "sqlite:///inbox/petition.db", table: petition}
inspections: {files: "inbox/inspections/*.xlsx"}
audits:      {files: "inbox/audits/*.csv"}
assessments: {files: "inbox/assessments/*.jsonl"}
sanctions:   {files: "inbox/sanctions/*.csv"}
tolerance:   {files: "inbox/tolerance/*.xlsx"}
"""


def generate(
    out: str | Path,
    cadres: int = 2000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write sample exports of all seven sources, ``sources.yaml`` and the truth into ``out``.

    Returns the path of ``sources.yaml``.
    """
    say = progress or (lambda _m: None)
    rng = np.random.default_rng(seed)
    root = Path(out)
    inbox = root / "inbox"

    def rel(file: Path) -> str:  # truth names files as lineage does: relative to sources.yaml
        return file.relative_to(root).as_posix()

    for sub in ("inspections", "audits", "assessments", "sanctions", "tolerance"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
        for old in (inbox / sub).iterdir():
            old.unlink()
    sink = _Sink()
    roster, people = _roster(rng, cadres)
    sink.know_roster(people)
    roster_rows = [list(r) for r in roster.rows()]
    for at, column, value, what in [
        (4, 0, None, "empty 人员编号"),
        (9, 11, "区管", "unknown 管理权限"),
        (11, 13, "2021-02-30", "impossible 任现职时间"),
    ]:
        roster_rows[at][column] = value
        sink.defects.append(("roster", "", id(roster_rows[at]), what))
    _write_sql(
        inbox / "roster.db", "cadre_roster", ROSTER_COLUMNS, _sql_order(roster_rows, (0, 15)), sink
    )
    say(f"roster: {len(roster_rows):,} cadres")

    petitions = _petitions(rng, people, sink)
    _plant_in_petitions(np.random.default_rng([seed, 12]), petitions, sink)
    _write_sql(
        inbox / "petition.db", "petition", PETITION_COLUMNS, _sql_order(petitions, (0, 19)), sink
    )
    say(f"petitions: {len(petitions):,} rows")

    rounds = _inspections(rng, people, sink)
    for n, (label, rows) in enumerate(sorted(rounds.items())):
        file = inbox / "inspections" / f"{label}巡察问题清单.xlsx"
        if n == 0:
            rows[0][5] = ""
            rows[1][12] = "2024-13-01"
            sink.defects += [
                ("inspection", rel(file), 3, "empty 问题编号"),
                ("inspection", rel(file), 4, "impossible 整改时限"),
            ]
        _xlsx(file, "问题清单", f"XX市委巡察办 {label}巡察问题清单", INSPECTION_COLUMNS, rows)
        sink.place(rows, rel(file), 3)
    say(
        f"inspections: {sum(len(r) for r in rounds.values()):,} findings in {len(rounds)} workbooks"
    )

    for n, (year, rows) in enumerate(sorted(_audits(rng, people, sink).items())):
        file = inbox / "audits" / f"{year}年审计发现问题.csv"
        if n == 0:
            rows[2][18] = "2023年2月30日"
            rows[3][9] = "约五十万"
            del rows[4][12:]
            sink.defects += [
                ("audit", rel(file), 4, "impossible 报告日期"),
                ("audit", rel(file), 5, "unreadable amount"),
                ("audit", rel(file), 6, "ragged row"),
            ]
        _csv(file, AUDIT_COLUMNS, rows, "gb18030")
        sink.place(rows, rel(file), 2)
    say("audits: written (GB18030 CSV)")

    assessments = _assessments(rng, people)
    for year in YEARS:
        file = inbox / "assessments" / f"{year}年考核结果.jsonl"
        part = assessments.filter(pl.col("考核年度") == year)
        head = [
            {k: v for k, v in row.items() if v is not None}
            for row in part.head(50).iter_rows(named=True)
        ]
        lines = [orjson.dumps(obj).decode() for obj in head]
        if year == YEARS[0]:
            lines[5] = lines[5][:-10]
            lines[6] = orjson.dumps({**head[6], "考核等次": "良好"}).decode()
            sink.defects += [
                ("assessment", rel(file), 6, "invalid JSON"),
                ("assessment", rel(file), 7, "unknown 考核等次"),
            ]
        file.write_text("\n".join(lines) + "\n" + part.slice(50).write_ndjson(), encoding="utf-8")
    say(f"assessments: {assessments.height:,} rows (JSONL)")

    sanctions = _sanctions(rng, people, sink)
    third = len(sanctions) // 3
    parts = (sanctions[:third], sanctions[third : 2 * third], sanctions[2 * third :])
    for n, (encoding, rows) in enumerate(
        zip(("utf-8-sig", "gb18030", "utf-8"), parts, strict=True)
    ):
        file = inbox / "sanctions" / f"处分决定_{n + 1}.csv"
        if n == 0:
            rows[0][4] = "罚款"
            rows[1][1], rows[1][2] = None, None
            rows[2][6] = "2024-04-31"
            sink.defects += [
                ("sanction", rel(file), 2, "unknown 处理措施"),
                ("sanction", rel(file), 3, "no person key"),
                ("sanction", rel(file), 4, "impossible 决定日期"),
            ]
        _csv(file, SANCTION_COLUMNS, rows, encoding)
        sink.place(rows, rel(file), 2)
    say(f"sanctions: {len(sanctions):,} rows (CSV, three encodings)")

    tolerance = _tolerance(rng, people, sink)
    _plant_in_tolerance(np.random.default_rng([seed, 13]), tolerance, sink)
    tolerance[0][0] = ""
    tolerance[1][10] = "待研究"
    file = inbox / "tolerance" / "容错纠错认定.xlsx"
    sink.defects += [
        ("tolerance", rel(file), 3, "empty 案例编号"),
        ("tolerance", rel(file), 4, "unknown 认定结果"),
    ]
    _xlsx(file, "容错纠错", "XX县容错纠错认定情况汇总表", TOLERANCE_COLUMNS, tolerance)
    sink.place(tolerance, rel(file), 3)
    say(f"tolerance: {len(tolerance):,} decisions")

    _write_truth(root / "truth", sink)
    sources = root / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    return sources


def _write_sql(
    path: Path, table: str, columns: list[str], rows: list[list[object]], sink: _Sink
) -> None:
    """Write a SQLite table and place its rows (and any defects recorded by row identity)."""
    _sqlite(path, table, columns, rows)
    where = f"sqlite:///{path.parent.name}/{path.name}#{table}"
    sink.place(rows, where, 1)
    sink.defects = [
        (s, where, sink.places[r][1], d) if f == "" and r in sink.places else (s, f, r, d)
        for s, f, r, d in sink.defects
    ]


# ------------------------------------------------------------------ identifiers planted in text

_PHONE_FORMS: tuple[Callable[[str], str], ...] = (
    lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
    lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
    lambda p: f"+86 {p}",
    lambda p: p.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    lambda p: p,
)


PLANTED_GIVEN = "婉瑾璇萱妍蕙菡蓓岚绮黛馥婕琬珂瑶璐翊煦彧昀晗漪沁"
"""Given-name characters the roster never uses: a planted person is nobody on the roster, so a
test finding the name anywhere knows it leaked (a reporter named like a cadre would not tell)."""


def _person(rng: np.random.Generator) -> str:
    """A realistic name that no roster cadre has (a witness, a co-reporter, an 经办人)."""
    picks = rng.integers(0, len(PLANTED_GIVEN), 1 + int(rng.random() < 0.7))
    return SURNAMES[int(rng.integers(0, 60))] + "".join(PLANTED_GIVEN[int(g)] for g in picks)


def _mobile(rng: np.random.Generator) -> str:
    return f"1{int(rng.choice([3, 5, 8, 9]))}{int(rng.integers(0, 10))}{int(rng.integers(10**7, 10**8))}"


def _plant(sink: _Sink, source: str, key: object, field: str, kind: str, written: str) -> str:
    sink.planted.append((source, str(key), field, kind, written))
    return written


def _plant_in_petitions(rng: np.random.Generator, rows: list[list[object]], sink: _Sink) -> None:
    """Write the reporter (and other contact details) into some petitions' 问题摘要, as clerks do.

    A reporter with a placeholder name gets a realistic one (recorded in ``reporters.csv``);
    every value written into the text, as written, goes to ``planted.csv``.
    """
    for row in rows:
        if row[3] is not None and rng.random() < 0.25:
            _plant_in_petition(rng, row, sink)


def _plant_in_petition(rng: np.random.Generator, row: list[object], sink: _Sink) -> None:
    """One petition's 问题摘要 rewritten in one of four clerks' forms, naming its reporter."""
    name, phone, id_number = _person(rng), str(row[4]), str(row[5])
    row[3] = name
    sink.reporters.append((name, phone, id_number))
    key, accused, form = row[0], row[6], int(rng.integers(0, 4))
    written = _PHONE_FORMS[int(rng.integers(0, len(_PHONE_FORMS)))](phone)
    other = _PHONE_FORMS[int(rng.integers(0, len(_PHONE_FORMS)))](_mobile(rng))
    spaced = f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"
    card = _luhn_card(rng)
    say = partial(_plant, sink, "petition", key, "问题摘要")
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
            f"{say('reporter', name)}（身份证号{say('reporter', spaced)}）实名举报{accused}，"
            f"联名举报人{say('person', _person(rng))}附邮箱{say('email', email)}"
        ),
        lambda: (
            f"来信人{say('reporter', name)}反映{accused}挪用补助，"
            f"要求退回至银行卡{say('bank_card', card)}"
        ),
    )
    row[11] = forms[form]()


def _luhn_card(rng: np.random.Generator) -> str:
    from stdnum import luhn

    body = "622202" + "".join(str(int(d)) for d in rng.integers(0, 10, 12))
    return body + luhn.calc_check_digit(body)


def _id_number(rng: np.random.Generator) -> str:
    body = f"4503{int(rng.integers(21, 30)):02d}{int(rng.integers(1960, 2000))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}{int(rng.integers(100, 999))}"
    return body + check_char(body)


def _credit_code(rng: np.random.Generator) -> str:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (
        "9145"
        + f"{int(rng.integers(1000, 9999))}"
        + "".join(alphabet[int(i)] for i in rng.integers(0, 31, 9))
    )
    return body + uscc.calc_check_digit(body)


def _plant_in_tolerance(rng: np.random.Generator, rows: list[list[object]], sink: _Sink) -> None:
    """Add to some 容错 事项描述 the identifiers a published case must not show, each recorded."""
    for row in rows:
        if rng.random() < 0.4 and row[0]:
            _plant_in_case(rng, row, sink)


def _plant_in_case(rng: np.random.Generator, row: list[object], sink: _Sink) -> None:
    """Two to four sentences with identifiers put before one case's 事项描述."""
    key = row[0]
    say = partial(_plant, sink, "tolerance", key, "事项描述")
    village = (
        PLACE_A[int(rng.integers(0, len(PLACE_A)))] + PLACE_B[int(rng.integers(0, len(PLACE_B)))]
    )
    phone = _PHONE_FORMS[int(rng.integers(0, len(_PHONE_FORMS)))](_mobile(rng))
    number = _id_number(rng)
    plate = f"桂{'ABCDEFGHJK'[int(rng.integers(0, 10))]}·{int(rng.integers(10000, 99999))}"
    witness, clerk, card, code = _person(rng), _person(rng), _luhn_card(rng), _credit_code(rng)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    email, qq = f"cb{int(rng.integers(100, 999))}@qq.com", str(int(rng.integers(10**7, 10**9)))
    landline = f"(0771){int(rng.integers(2000000, 8999999))}转{int(rng.integers(10, 99))}"
    sentences: tuple[Callable[[], str], ...] = (
        lambda: (
            f"经办人{say('person', clerk)}（电话{say('phone', phone)}）负责{say('address', village)}村的补偿款发放，"
        ),
        lambda: (
            f"证人{say('person', witness)}（身份证号{say('id_number', spaced)}）证实款项已退回，"
        ),
        lambda: f"补偿款曾转入村民个人银行卡{say('bank_card', card)}，",
        lambda: f"施工车辆{say('plate', plate)}由承包方使用，",
        lambda: f"承包方统一社会信用代码{say('uscc', code)}，",
        lambda: f"联系邮箱{say('email', email)}，QQ{say('im', qq)}，",
        lambda: f"座机{say('phone', landline)}，",
    )
    picked = rng.choice(len(sentences), int(rng.integers(2, 5)), replace=False)
    row[6] = "".join(sentences[int(i)]() for i in sorted(picked)) + str(row[6])
