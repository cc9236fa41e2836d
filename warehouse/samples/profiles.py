"""Region profiles: the places a generated roster belongs to, and how each writes its unit names.

``default`` is the generator's first province (invented counties under code 45, one short form
per unit): its bytes never change. The others are built here, from GB/T 2260 county-level names
and codes that are real (宁波市 330200 and its 区/县/县级市, 伊犁哈萨克自治州 654000 and its
自治县 …), 街道/镇/乡 names that are real or realistic, and invented prefectures beyond the real
ones when a roster needs more (codes in blocks GB/T 2260 leaves unused):

- ``prefecture``: prefecture-level cities of Zhejiang (宁波市 first) with 区 districts, 县 and
  county-level cities, 街道 and 镇; official names carry the prefecture prefix for a district's
  units (``宁波市北仑区教育局``, ``中共宁波市北仑区白峰街道工作委员会``);
- ``autonomous``: minority autonomous prefectures of Xinjiang (伊犁哈萨克自治州 first) with
  县级市, 县 and 自治县, 镇, 乡 and 民族乡, and many cadres' names written with a middle dot.

Every unit is written in its official form by the roster and S8, and in a clerk's form drawn per
record by the other sources (:meth:`Geography.written`): official, without the prefecture
(``北仑区教育局``), short (``北仑教育局``, ``奉化区发改局``, ``慈溪市人大``, ``白峰街道``,
``骆驼街道党工委``, ``察县教育局``) or within its county (``区发改局``). :meth:`Geography.denotes`
says which units a written form may denote: the truth is computed over all of them.

Each profile also has its own 2019 local renames (same unit code, new name: 农林局 → 农业农村局)
and transfers (机构改革转隶: a dissolved unit's staff move to a new unit code:
国土资源局北仑分局 → 自然资源和规划局北仑分局), on dates of each county's own.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from warehouse.samples.vocabulary import PLACE_A, PLACE_B

FORM_CLASS = {
    "no_prefecture": "prefecture_prefix",
    "short": "short_unit_form",
    "within": "within_county",
}
"""The truth class of a record about a current or earlier post whose unit is written in a form
other than the official one."""


@dataclass(frozen=True)
class County:
    """A county-level division (or a prefecture's own organs, ``name`` empty)."""

    code: str
    name: str
    short: str
    level: str
    """区, 县 or 市 (a county-level city); for the prefecture's own organs 市 or 州."""
    pref: str
    pref_short: str
    streets: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """Other short names clerks use (察布查尔锡伯自治县: 察县)."""

    @property
    def official(self) -> str:
        """The prefix of the official names of its units: a district's carries the prefecture."""
        if not self.name:
            return self.pref
        return self.pref + self.name if self.level == "区" else self.name

    @property
    def head(self) -> str:
        """The letter of its party committee and government: 区委/区长, 县委/县长, 州委/州长."""
        return self.level


@dataclass(frozen=True)
class Rename:
    """A local rename (same code) or transfer (new code) of one department in 2019."""

    new: str
    new_short: str
    old: str
    old_short: str
    transfer: bool = False


@dataclass(frozen=True)
class Spec:
    """A unit as the profile builds it: its code, organ and the parts its names are made of."""

    code: str
    county: County
    organ: str
    """party, gov, congress, propaganda, dept, branch, street_party, street_office,
    town_party, town_gov."""
    name: str
    """The department (教育局), the 街道/镇/乡 (白峰街道), or empty for a county organ."""
    short: str
    renamed_on: date | None = None
    old: str | None = None
    old_short: str | None = None
    successor: str | None = None
    """For a dissolved unit (transferred): the code of the unit its staff moved to."""

    def forms(self, old: bool = False) -> list[tuple[str, str]]:
        """Every way the unit is written, official first, each with its form."""
        name, short = (
            (self.old or self.name, self.old_short or self.short)
            if old
            else (
                self.name,
                self.short,
            )
        )
        return _forms(self.county, self.organ, name, short)


def _forms(c: County, organ: str, name: str, short: str) -> list[tuple[str, str]]:
    """Official, without the prefecture, short and within-county forms of one unit name."""
    off, own, k = c.official, c.name or c.pref, c.level
    shorts = [c.short, *c.aliases] if c.name else [c.pref_short]
    out: list[tuple[str, str]] = []

    def add(text: str, form: str) -> None:
        if text and all(text != t for t, _ in out):
            out.append((text, form))

    if organ == "party":
        add(f"中共{off}委员会", "official")
        add(f"中共{own}委员会", "no_prefecture")
        add(f"{own}委", "short")
        for s in shorts:
            add(f"{s}{k}委", "short")
        add(f"{k}委", "within")
    elif organ == "gov":
        add(f"{off}人民政府", "official")
        add(f"{own}人民政府", "no_prefecture")
        add(f"{own}政府", "short")
        add(f"{k}政府", "within")
    elif organ == "congress":
        add(f"{off}人民代表大会常务委员会", "official")
        add(f"{own}人民代表大会常务委员会", "no_prefecture")
        add(f"{own}人大常委会", "short")
        add(f"{own}人大", "short")
        add(f"{k}人大", "within")
    elif organ == "propaganda":
        add(f"中共{off}委员会宣传部", "official")
        add(f"中共{own}委员会宣传部", "no_prefecture")
        add(f"{own}委宣传部", "short")
        add(f"{k}委宣传部", "within")
    elif organ == "dept":
        add(f"{off}{name}", "official")
        add(f"{own}{name}", "no_prefecture")
        for s in shorts:
            add(f"{s}{short}", "short")
            add(f"{s}{name}", "short")
        add(f"{own}{short}", "short")
        add(f"{k}{short}", "within")
    elif organ == "branch":  # a prefecture bureau's branch in a district: 宁波市…局北仑分局
        add(f"{c.pref}{name}{c.short}分局", "official")
        add(f"{c.pref_short}{name}{c.short}分局", "short")
        add(f"{c.short}{short}分局", "short")
        add(f"{own}{short}分局", "short")
    elif organ == "street_party":
        add(f"中共{off}{name}工作委员会", "official")
        add(f"中共{own}{name}工作委员会", "no_prefecture")
        add(f"{name}党工委", "short")
        add(name, "short")
        add(f"{own}{name}", "short")
    elif organ == "street_office":
        add(f"{off}人民政府{name}办事处", "official")
        add(f"{own}人民政府{name}办事处", "no_prefecture")
        add(f"{name}办事处", "short")
        add(name, "short")
        add(f"{own}{name}", "short")
    elif organ == "town_party":
        add(f"中共{off}{name}委员会", "official")
        add(f"中共{own}{name}委员会", "no_prefecture")
        add(f"{name}党委", "short")
        add(name, "short")
        plain = _plain_township(name)
        add(f"{plain}党委", "short")
    elif organ == "town_gov":
        add(f"{off}{name}人民政府", "official")
        add(f"{own}{name}人民政府", "no_prefecture")
        add(f"{name}政府", "short")
        add(name, "short")
        add(f"{own}{name}", "short")
        add(_plain_township(name), "short")
    return out


_NATIONALITIES = ("蒙古族", "回族", "锡伯族", "哈萨克族", "柯尔克孜族", "蒙古民族")


def _plain_township(name: str) -> str:
    """A 民族乡 as clerks shorten it (三宫回族乡 → 三宫乡); any other name as it is."""
    for nationality in _NATIONALITIES:
        if name.endswith(nationality + "乡"):
            return name.removesuffix(nationality + "乡") + "乡"
    return name


def _posts(c: County, organ: str, town: str) -> tuple[tuple[str, str], ...]:
    """The posts of a unit: (title, grade)."""
    k, t = c.head, town[-1:] if town else ""
    top, deputy = ("正处", "副处") if c.name else ("正厅", "副厅")
    table = {
        "party": ((f"{k}委书记", top), (f"{k}委副书记", deputy), (f"{k}委常委", deputy),
                  (f"{k}委常委", deputy)),
        "gov": ((f"{k}长", top), (f"副{k}长", deputy), (f"副{k}长", deputy), (f"副{k}长", deputy)),
        "congress": (("主任", top), ("副主任", deputy), ("副主任", deputy)),
        "propaganda": (("部长", deputy), ("副部长", "正科"), ("副部长", "正科")),
        "dept": (("局长", "正科"), ("党组书记、局长", "正科"), ("副局长", "副科"),
                 ("副局长", "副科"), ("办公室主任", "一级主任科员"), ("科长", "四级主任科员"))
        if not town.endswith("委员会") else
                (("主任", "正科"), ("党组书记、主任", "正科"), ("副主任", "副科"),
                 ("副主任", "副科"), ("办公室主任", "一级主任科员"), ("科长", "四级主任科员")),
        "branch": (("分局局长", "正科"), ("副局长", "副科"), ("副局长", "副科"),
                   ("科长", "四级主任科员")),
        "street_party": (("党工委书记", "正科"), ("党工委副书记", "副科"), ("组织委员", "副科"),
                         ("纪工委书记", "副科")),
        "street_office": (("主任", "正科"), ("副主任", "副科"), ("副主任", "副科")),
        "town_party": ((f"{t}党委书记", "正科"), (f"{t}党委副书记", "副科"),
                       ("组织委员", "副科"), (f"{t}人大主席", "正科")),
        "town_gov": ((f"{t}长", "正科"), (f"副{t}长", "副科"), (f"副{t}长", "副科")),
    }  # fmt: skip
    return table[organ]


@dataclass
class Geography:
    """Every unit of a profile's roster (and the dissolved ones S8 still names)."""

    profile: "Profile"
    counties: list[County]
    specs: dict[str, Spec] = field(default_factory=dict)
    posts: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @cached_property
    def index(self) -> dict[str, frozenset[str]]:
        """Each written form → the codes of the units it may denote (under any of their names)."""
        out: dict[str, set[str]] = defaultdict(set)
        for spec in self.specs.values():
            for old in (False, True) if spec.old else (False,):
                for text, _ in spec.forms(old):
                    out[text].add(spec.code)
        return {k: frozenset(v) for k, v in out.items()}

    def denotes(self, text: str) -> frozenset[str]:
        return self.index.get(text, frozenset())

    def form_of(self, code: str, text: str) -> str:
        spec = self.specs[code]
        for old in (False, True):
            for t, form in spec.forms(old):
                if t == text:
                    return form
        return "official"

    def official(self, code: str, day: date) -> str:
        spec = self.specs[code]
        return spec.forms(old=_before(spec, day))[0][0]

    def short(self, code: str, day: date) -> str:
        spec = self.specs[code]
        forms = spec.forms(old=_before(spec, day))
        return next((t for t, f in forms if f == "short"), forms[0][0])

    def written(self, roll: float, pick: float, code: str, day: date) -> tuple[str, str]:
        """A clerk's form of the unit on ``day`` from two draws: official (30%), without the
        prefecture (15%), a short form (45%) or within its county (10%), where it has one."""
        spec = self.specs[code]
        forms = spec.forms(old=_before(spec, day))
        wanted = (
            "official"
            if roll < 0.30
            else "no_prefecture"
            if roll < 0.45
            else "short"
            if roll < 0.90
            else "within"
        )
        choice = [t for t, f in forms if f == wanted] or [forms[0][0]]
        text = choice[int(pick * len(choice))]
        return text, self.form_of(code, text)


def _before(spec: Spec, day: date) -> bool:
    return spec.renamed_on is not None and spec.old is not None and day < spec.renamed_on


@dataclass(frozen=True)
class Profile:
    """A region profile: its places, departments, renames and how its people are named."""

    name: str
    places: tuple[tuple[str, str, str, tuple[County, ...]], ...]
    """Real prefectures: (code, name, short, counties)."""
    departments: tuple[tuple[str, str], ...]
    renames: tuple[Rename, ...]
    level: str
    """The prefecture's own letter: 市 or 州."""
    invented_suffix: str
    """How an invented prefecture's name ends: 市, or 蒙古自治州 …"""
    dotted: float = 0.0
    """The share of cadres whose names are written with a middle dot."""
    per_county: int = 600

    @property
    def most(self) -> int:
        """How many cadres the real prefectures and 40 invented ones hold."""
        real = sum(1 + len(counties) for *_, counties in self.places)
        return (real + 40 * 11) * self.per_county

    def counties(self, n: int) -> list[County]:
        """Enough counties (and prefectures' own organs) for ``n`` cadres, real ones first."""
        out: list[County] = []
        for code, pref, short, counties in self.places:
            out.append(County(code, "", "", self.level, pref, short))
            out.extend(counties)
        p = 0
        while len(out) * self.per_county < n:
            out.extend(self._invented(p))
            p += 1
        need = max(1, -(-n // self.per_county))
        return out[:need]

    def _invented(self, p: int) -> list[County]:
        """An invented prefecture: codes in a block GB/T 2260 leaves unused (3360–3399,
        6560–6599 …: the province's prefectures stop well before)."""
        if p >= 40:
            raise ValueError(f"profile {self.name!r} holds at most {self.most:,} cadres")
        a, b = PLACE_A[p % len(PLACE_A)], PLACE_B[(p // len(PLACE_A)) % len(PLACE_B)]
        pref = f"{a}{b}{self.invented_suffix}"
        province = self.places[0][0][:2]
        base = f"{province}{60 + p:02d}"
        out = [
            County(
                f"{base}00",
                "",
                "",
                self.level,
                pref,
                f"{a}{b}" + ("州" if self.level == "州" else ""),
            )
        ]
        for j in range(10):
            c1 = PLACE_A[(p * 3 + j * 7 + 1) % len(PLACE_A)]
            c2 = PLACE_B[(p + j * 5 + 3) % len(PLACE_B)]
            level = (
                ("区", "区", "区", "县", "县", "市")[j % 6]
                if self.level == "市"
                else ("县", "县", "市", "县")[j % 4]
            )
            name = f"{c1}{c2}{level}"
            towns = tuple(
                f"{PLACE_B[(j + i) % len(PLACE_B)]}{PLACE_A[(i * 5 + j + p) % len(PLACE_A)]}{'镇' if i % 3 else '乡'}"
                for i in range(6)
            )
            streets = (
                tuple(
                    f"{PLACE_A[(i * 3 + j + p) % len(PLACE_A)]}{PLACE_B[(i + 2 * j) % len(PLACE_B)]}街道"
                    for i in range(4)
                )
                if level != "县"
                else ()
            )
            out.append(
                County(
                    f"{base}{j + 1:02d}",
                    name,
                    f"{c1}{c2}",
                    level,
                    pref,
                    out[0].pref_short,
                    streets,
                    towns,
                )
            )
        return out  # fmt: skip

    def geography(self, n: int) -> Geography:
        """Every unit of the counties ``n`` cadres need, each with its posts."""
        geo = Geography(self, self.counties(n))
        for ci, county in enumerate(geo.counties):
            self._county_units(geo, ci, county)
        return geo

    def _county_units(self, geo: Geography, ci: int, c: County) -> None:
        renamed_on = date(2019, 1 + ci % 6, 1 + (ci * 7) % 27)
        units: list[Spec] = []
        for j, organ in enumerate(("party", "gov", "congress", "propaganda")):
            units.append(Spec(f"{c.code}{j + 1:03d}", c, organ, "", ""))
        for j, (dept, short) in enumerate(self.departments):
            rename = next((r for r in self.renames if r.new == dept), None)
            code = f"{c.code}{10 + j:03d}"
            if rename and rename.transfer:
                old_code = f"{c.code}{80 + j:03d}"
                units.append(Spec(old_code, c, "dept", rename.old, rename.old_short,
                                  renamed_on, successor=code))  # fmt: skip
                units.append(Spec(code, c, "dept", dept, short, renamed_on))
            elif rename:
                units.append(Spec(code, c, "dept", dept, short, renamed_on, rename.old,
                                  rename.old_short))  # fmt: skip
            else:
                units.append(Spec(code, c, "dept", dept, short))
        if c.level == "区" and self.level == "市":  # the city's 自然资源和规划局 has a branch here
            units.append(Spec(f"{c.code}090", c, "branch", "国土资源局", "国土", renamed_on,
                              successor=f"{c.code}091"))  # fmt: skip
            units.append(Spec(f"{c.code}091", c, "branch", "自然资源和规划局", "资规", renamed_on))
        for j, street in enumerate(c.streets[:6]):
            units.append(Spec(f"{c.code}{100 + 2 * j:03d}", c, "street_party", street, street))
            units.append(Spec(f"{c.code}{101 + 2 * j:03d}", c, "street_office", street, street))
        for j, town in enumerate(c.towns[:6]):
            units.append(Spec(f"{c.code}{200 + 2 * j:03d}", c, "town_party", town, town))
            units.append(Spec(f"{c.code}{201 + 2 * j:03d}", c, "town_gov", town, town))
        for spec in units:
            geo.specs[spec.code] = spec
            geo.posts[spec.code] = _posts(c, spec.organ, spec.name)

    def is_dissolved(self, spec: Spec) -> bool:
        return spec.successor is not None


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _c(code: str, name: str, short: str, pref: str, pref_short: str, streets: str = "",
       towns: str = "", aliases: tuple[str, ...] = ()) -> County:  # fmt: skip
    level = "区" if name.endswith("区") else "市" if name.endswith("市") else "县"
    return County(code, name, short, level, pref, pref_short, tuple(streets.split()),
                  tuple(towns.split()), aliases)  # fmt: skip


_NB, _WZ, _SX, _TZ = "宁波市", "温州市", "绍兴市", "台州市"
_ZHEJIANG = (
    ("330200", _NB, "宁波", (
        _c("330206", "北仑区", "北仑", _NB, "宁波", "白峰街道 新碶街道 小港街道 大碶街道 霞浦街道 柴桥街道"),
        _c("330213", "奉化区", "奉化", _NB, "宁波", "锦屏街道 岳林街道 江口街道 西坞街道", "溪口镇 莼湖镇 裘村镇 尚田镇"),
        _c("330282", "慈溪市", "慈溪", _NB, "宁波", "浒山街道 白沙路街道 古塘街道 坎墩街道", "观海卫镇 周巷镇 龙山镇 掌起镇"),
        _c("330211", "镇海区", "镇海", _NB, "宁波", "骆驼街道 招宝山街道 蛟川街道 庄市街道 贵驷街道", "九龙湖镇"),
        _c("330203", "海曙区", "海曙", _NB, "宁波", "南门街道 西门街道 月湖街道 鼓楼街道", "集士港镇 古林镇 高桥镇 龙观乡"),
        _c("330205", "江北区", "江北", _NB, "宁波", "中马街道 白沙街道 孔浦街道 文教街道 甬江街道", "慈城镇"),
        _c("330212", "鄞州区", "鄞州", _NB, "宁波", "梅墟街道 中河街道 首南街道 福明街道", "姜山镇 五乡镇 邱隘镇"),
        _c("330281", "余姚市", "余姚", _NB, "宁波", "凤山街道 阳明街道 梨洲街道 兰江街道", "泗门镇 马渚镇 陆埠镇 鹿亭乡"),
        _c("330225", "象山县", "象山", _NB, "宁波", "丹东街道 丹西街道 爵溪街道", "石浦镇 西周镇 东陈乡 晓塘乡"),
        _c("330226", "宁海县", "宁海", _NB, "宁波", "跃龙街道 桃源街道 梅林街道", "长街镇 力洋镇 胡陈乡 茶院乡"),
    )),
    ("330300", _WZ, "温州", (
        _c("330302", "鹿城区", "鹿城", _WZ, "温州", "五马街道 松台街道 南汇街道 七都街道"),
        _c("330303", "龙湾区", "龙湾", _WZ, "温州", "永中街道 海滨街道 瑶溪街道 沙城街道"),
        _c("330304", "瓯海区", "瓯海", _WZ, "温州", "景山街道 娄桥街道 梧田街道 茶山街道", "泽雅镇"),
        _c("330324", "永嘉县", "永嘉", _WZ, "温州", "北城街道 东城街道", "桥头镇 岩头镇 碧莲镇"),
        _c("330326", "平阳县", "平阳", _WZ, "温州", "昆阳镇 鳌江镇".replace("镇", "街道"), "萧江镇 水头镇 腾蛟镇"),
        _c("330381", "瑞安市", "瑞安", _WZ, "温州", "安阳街道 玉海街道 锦湖街道", "塘下镇 飞云镇 马屿镇"),
        _c("330382", "乐清市", "乐清", _WZ, "温州", "乐成街道 城东街道 城南街道", "柳市镇 虹桥镇 大荆镇"),
    )),
    ("330600", _SX, "绍兴", (
        _c("330602", "越城区", "越城", _SX, "绍兴", "府山街道 塔山街道 北海街道 城南街道"),
        _c("330603", "柯桥区", "柯桥", _SX, "绍兴", "柯桥街道 华舍街道 齐贤街道", "平水镇 兰亭镇"),
        _c("330604", "上虞区", "上虞", _SX, "绍兴", "百官街道 曹娥街道 东关街道", "丰惠镇 章镇镇"),
        _c("330624", "新昌县", "新昌", _SX, "绍兴", "南明街道 七星街道", "儒岙镇 回山镇 东茗乡"),
        _c("330681", "诸暨市", "诸暨", _SX, "绍兴", "暨阳街道 浣东街道 陶朱街道", "店口镇 枫桥镇 同山镇"),
        _c("330683", "嵊州市", "嵊州", _SX, "绍兴", "剡湖街道 三江街道 鹿山街道", "甘霖镇 长乐镇 竹溪乡"),
    )),
    ("331000", _TZ, "台州", (
        _c("331002", "椒江区", "椒江", _TZ, "台州", "海门街道 白云街道 葭沚街道", "大陈镇"),
        _c("331003", "黄岩区", "黄岩", _TZ, "台州", "东城街道 西城街道 南城街道", "院桥镇 沙埠镇"),
        _c("331004", "路桥区", "路桥", _TZ, "台州", "路桥街道 路南街道 螺洋街道", "金清镇 新桥镇"),
        _c("331022", "三门县", "三门", _TZ, "台州", "海游街道 沙柳街道", "健跳镇 横渡镇 花桥镇"),
        _c("331081", "温岭市", "温岭", _TZ, "台州", "太平街道 城东街道 城西街道", "松门镇 箬横镇 石塘镇"),
        _c("331082", "临海市", "临海", _TZ, "台州", "古城街道 大洋街道 江南街道", "杜桥镇 桃渚镇 河头镇"),
    )),
)  # fmt: skip

_YL, _CJ, _BZ, _BY = (
    "伊犁哈萨克自治州",
    "昌吉回族自治州",
    "博尔塔拉蒙古自治州",
    "巴音郭楞蒙古自治州",
)
_XINJIANG = (
    ("654000", _YL, "伊犁州", (
        _c("654022", "察布查尔锡伯自治县", "察布查尔", _YL, "伊犁州", "", "察布查尔镇 爱新色里镇 孙扎齐牛录乡 纳达齐牛录乡 坎乡", ("察县",)),
        _c("654023", "霍城县", "霍城", _YL, "伊犁州", "", "水定镇 清水河镇 芦草沟镇 惠远镇 三宫回族乡 大西沟乡"),
        _c("654002", "伊宁市", "伊宁", _YL, "伊犁州", "墩买里街道 伊犁河路街道 萨依布依街道 喀赞其街道", "巴彦岱镇 潘津镇"),
        _c("654021", "伊宁县", "伊宁", _YL, "伊犁州", "", "吉里于孜镇 墩麻扎镇 英塔木镇 萨地克于孜乡 喀什镇"),
        _c("654003", "奎屯市", "奎屯", _YL, "伊犁州", "团结路街道 北京路街道 火车站街道", "开干齐乡"),
        _c("654004", "霍尔果斯市", "霍尔果斯", _YL, "伊犁州", "卡拉苏街道", "伊车嘎善锡伯族乡"),
        _c("654024", "巩留县", "巩留", _YL, "伊犁州", "", "巩留镇 阿克吐别克镇 东买里镇 莫乎尔乡"),
        _c("654025", "新源县", "新源", _YL, "伊犁州", "", "新源镇 那拉提镇 肖尔布拉克镇 则克台镇 坎苏乡"),
        _c("654026", "昭苏县", "昭苏", _YL, "伊犁州", "", "昭苏镇 喀夏加尔镇 洪纳海镇 察汗乌苏蒙古族乡"),
        _c("654027", "特克斯县", "特克斯", _YL, "伊犁州", "", "特克斯镇 乔拉克铁热克镇 喀拉达拉镇 呼吉尔特蒙古族乡"),
        _c("654028", "尼勒克县", "尼勒克", _YL, "伊犁州", "", "尼勒克镇 乌赞镇 木斯镇 科克浩特浩尔蒙古民族乡"),
    )),
    ("652300", _CJ, "昌吉州", (
        _c("652328", "木垒哈萨克自治县", "木垒", _CJ, "昌吉州", "", "木垒镇 西吉尔镇 东城镇 大石头乡 博斯坦乡", ("木垒县",)),
        _c("652301", "昌吉市", "昌吉", _CJ, "昌吉州", "宁边路街道 延安北路街道 北京南路街道", "六工镇 榆树沟镇 阿什里哈萨克民族乡".replace("民族乡", "族乡")),
        _c("652302", "阜康市", "阜康", _CJ, "昌吉州", "博峰街道 阜新街道", "九运街镇 滋泥泉子镇 上户沟哈萨克族乡"),
        _c("652323", "呼图壁县", "呼图壁", _CJ, "昌吉州", "", "呼图壁镇 大丰镇 二十里店镇 石梯子哈萨克族乡"),
        _c("652324", "玛纳斯县", "玛纳斯", _CJ, "昌吉州", "", "玛纳斯镇 乐土驿镇 包家店镇 清水河哈萨克族乡"),
        _c("652325", "奇台县", "奇台", _CJ, "昌吉州", "", "奇台镇 老奇台镇 半截沟镇 七户乡"),
    )),
    ("652700", _BZ, "博州", (
        _c("652701", "博乐市", "博乐", _BZ, "博州", "青得里街道 顾里木图街道", "小营盘镇 达勒特镇 乌图布拉格镇"),
        _c("652722", "精河县", "精河", _BZ, "博州", "", "精河镇 大河沿子镇 托里镇 八家户农场".replace("农场", "镇")),
        _c("652723", "温泉县", "温泉", _BZ, "博州", "", "博格达尔镇 哈日布呼镇 安格里格镇 查干屯格乡"),
    )),
    ("652800", _BY, "巴州", (
        _c("652826", "焉耆回族自治县", "焉耆", _BY, "巴州", "", "焉耆镇 七个星镇 永宁镇 北大渠乡", ("焉耆县",)),
        _c("652801", "库尔勒市", "库尔勒", _BY, "巴州", "萨依巴格街道 天山街道 新城街道", "塔什店镇 上户镇"),
        _c("652822", "轮台县", "轮台", _BY, "巴州", "", "轮台镇 轮南镇 群巴克镇 阳霞镇"),
        _c("652827", "和静县", "和静", _BY, "巴州", "", "和静镇 巴润哈尔莫敦镇 巴音布鲁克镇 额勒再特乌鲁乡"),
        _c("652829", "博湖县", "博湖", _BY, "巴州", "", "博湖镇 本布图镇 塔温觉肯乡 乌兰再格森乡"),
    )),
)  # fmt: skip

PROFILES: dict[str, Profile | None] = {
    "default": None,
    "prefecture": Profile(
        "prefecture",
        _ZHEJIANG,
        (
            ("发展和改革局", "发改局"),
            ("教育局", "教育局"),
            ("科学技术局", "科技局"),
            ("民政局", "民政局"),
            ("司法局", "司法局"),
            ("财政局", "财政局"),
            ("人力资源和社会保障局", "人社局"),
            ("住房和城乡建设局", "住建局"),
            ("交通运输局", "交通局"),
            ("水利局", "水利局"),
            ("农业农村局", "农业农村局"),
            ("商务局", "商务局"),
            ("文化和广电旅游体育局", "文广旅体局"),
            ("卫生健康局", "卫健局"),
            ("退役军人事务局", "退役军人局"),
            ("应急管理局", "应急局"),
            ("审计局", "审计局"),
            ("市场监督管理局", "市场监管局"),
            ("综合行政执法局", "综合执法局"),
            ("医疗保障局", "医保局"),
        ),
        (
            Rename("综合行政执法局", "综合执法局", "城市管理行政执法局", "城管执法局"),
            Rename("农业农村局", "农业农村局", "农林局", "农林局"),
        ),
        "市",
        "市",
    ),
    "autonomous": Profile(
        "autonomous",
        _XINJIANG,
        (
            ("发展和改革委员会", "发改委"),
            ("教育局", "教育局"),
            ("民族宗教事务委员会", "民宗委"),
            ("民政局", "民政局"),
            ("司法局", "司法局"),
            ("财政局", "财政局"),
            ("人力资源和社会保障局", "人社局"),
            ("自然资源局", "自然资源局"),
            ("住房和城乡建设局", "住建局"),
            ("农业农村局", "农业农村局"),
            ("水利局", "水利局"),
            ("林业和草原局", "林草局"),
            ("卫生健康委员会", "卫健委"),
            ("应急管理局", "应急局"),
            ("审计局", "审计局"),
            ("市场监督管理局", "市场监管局"),
            ("文化体育广播电视和旅游局", "文体广旅局"),
            ("退役军人事务局", "退役军人局"),
            ("综合行政执法局", "综合执法局"),
        ),
        (
            Rename("综合行政执法局", "综合执法局", "城市管理局", "城管局"),
            Rename("农业农村局", "农业农村局", "农业局", "农业局"),
            Rename("林业和草原局", "林草局", "林业局", "林业局"),
            Rename("自然资源局", "自然资源局", "国土资源局", "国土局", transfer=True),
        ),
        "州",
        "蒙古自治州",
        dotted=0.35,
        per_county=500,
    ),
}
"""The profiles ``dajiandu generate --profile`` knows; ``default`` is the generator's first one."""

DOTTED_FIRST = _words(
    "阿依古丽 努尔兰 叶尔兰 古丽米拉 买买提 阿力木 热合曼 巴合提 哈斯木 艾尔肯 迪丽娜 加娜尔 "
    "叶尔波拉提 阿斯哈尔 别克 努尔江 古丽娜尔 阿曼古丽 吐尔逊 艾力 巴特尔 其其格 阿迪力 "
    "玛依拉 热依拉 库尔班 沙吾列 哈力旦 阿布都拉 伊力哈木"
)
DOTTED_SECOND = _words(
    "买买提 艾力 吐尔逊 努尔 别克 哈力木 阿不都 托合提 沙吾提 库尔班 阿布力孜 达吾提 肉孜 "
    "加尔肯 巴合提 热合曼 吾斯曼 阿吾提 木合塔尔 依明 卡德尔 司马义"
)
DOTS = ("·", "•", "‧", "・", "．")
"""The middle dot as clerks type it: U+00B7 (the roster's), U+2022, U+2027, U+30FB, U+FF0E."""
LOCAL_SURNAMES = "竺忻邬应楼俞虞柴裘"
"""Surnames of the 宁波 area, rare elsewhere (the prefecture profile's cadres carry some)."""
