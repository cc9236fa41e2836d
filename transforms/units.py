"""Unit names as China writes them: one parse for the roster's official name and a clerk's short form.

A unit name is read into two parts that records and cadres are compared on:

- ``region``: the most specific region it names (``宁波市北仑区教育局`` → ``北仑``), as the region's
  short name, so that ``北仑区``, ``北仑`` and ``宁波市北仑区`` agree. Regions are recognised from the
  GB/T 2260 table (``regions.csv``: every province, prefecture and county of the country, full
  name and short name — ``黔东南苗族侗族自治州`` → ``黔东南``), and any other name ending in a
  region word (``安平县``) is taken as written. A short name without its suffix counts only when
  what follows it is a department or a unit (``慈溪人社局``), never inside a word (``公安局``,
  ``东城街道``).
- ``tail``: the unit within that region: a 街道/镇/乡 (its party committee, office and people's
  congress are one place for a record: ``中共…白峰街道工作委员会``, ``白峰街道办事处``,
  ``白峰街道党工委`` → ``白峰街道``), or an organ or department with its forms made one
  (``中共…委员会`` → ``委``, ``人民代表大会常务委员会``/``人大`` → ``人大常委会``, ``人民政府`` → ``政府``,
  ``区委宣传部`` → ``宣传部``) and its abbreviation spelled out (``unit_abbreviations.csv``:
  ``发改局`` → ``发展和改革局``).

A bare level word (``区发改局``, ``本县财政局``) names no region: the region is left empty and the
linker fills it only where one unit fits. Pure Python over each distinct name (a roster has a few
thousand), used through :func:`transforms.link_keys.unit_parts`.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ETHNIC_GROUPS = [
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "各族",
]
"""The 55 minority nationalities (GB/T 3304), as autonomous regions name them, and 各族."""

_ETHNIC = "|".join(
    sorted({*ETHNIC_GROUPS, *(g[:-1] for g in ETHNIC_GROUPS if len(g) > 2)}, key=len, reverse=True)
)
"""Each nationality as autonomous regions name it, with and without 族 (伊犁哈萨克自治州)."""
_ETHNIC_TOWNSHIP = re.compile(rf"(?<=..)(?:{_ETHNIC})+民?族?乡$")
"""The nationality of a 民族乡 (三宫回族乡, 科克浩特浩尔蒙古民族乡, 阿什里哈萨克族乡): records write the
place alone (三宫乡), so a township is keyed without it."""
LEVEL_SUFFIX = rf"(?:(?:{_ETHNIC})*(?:自治州|自治县|自治旗|自治区)|特别行政区|地区|林区|新区|矿区|特区|省|市|区|县|旗|盟|州)"
"""What a region's full name adds to its short name (伊宁|市, 三江|侗族自治县)."""
_REGION_SUFFIX = re.compile(rf"^(?P<short>.{{2,}}?){LEVEL_SUFFIX}$")
_REGION_WORD = r"(?:自治州|自治县|自治旗|省|市|县|区|旗|州)"
_AUTONOMOUS = re.compile(r"(自治州|自治县|自治旗|地区|盟)$")
_UNKNOWN_REGION = re.compile(rf"^([^\d\W]{{2,5}}?{_REGION_WORD})")
"""A name ending in a region word that the table does not hold (an export's own county name)."""
LEVEL_WORDS = "区县市州旗盟"
"""The words a region's name ends with that say its kind: a record's 区发改局 is a district's."""
_LEVEL_WORD = re.compile(
    r"^(?:本县|本区|本市|本州|本旗|县|区|市|州|旗)(?!场|政(?!府|协)|民(?!政|宗|族)|域|直|属|级)"
)
_LEVEL_ORGAN = re.compile(r"[区县市州旗盟](?:委|政府|人大常委会|政协|纪委)")
_PARTY_DEPT = re.compile(r"^党?委(?=.{1,6}部$)")
TOWNSHIP_ORGANS = frozenset(
    {"", "委", "党委", "党工委", "工委", "政府", "办事处", "办", "人大", "人大主席团", "人大工委",
     "人大常委会", "纪委", "纪工委"}
)  # fmt: skip
"""What may follow a 街道/镇/乡 in a name of the place itself (its committee, office, congress)."""
_ORGAN_FORMS = (
    (re.compile(r"^(?:中国共产党|中共)"), ""),
    (re.compile(r"人民代表大会常务委员会|人大常务委员会|人大常委$"), "人大常委会"),
    (re.compile(r"人民代表大会$"), "人大常委会"),
    (re.compile(r"纪律检查委员会"), "纪委"),
    (re.compile(r"监察委员会"), "监委"),
    (re.compile(r"纪委监委$"), "纪委"),
    (re.compile(r"工作委员会"), "工委"),
    (re.compile(r"委员会"), "委"),
    (re.compile(r"人民政府"), "政府"),
    (re.compile(r"街道办事处"), "街道"),
    (re.compile(r"(街道|镇|乡)办$"), r"\1"),
)
_PCC = re.compile(r"^中国人民政治协商会议(.*?)委员?会?$")
_BRANCH = re.compile(r"^(?P<dept>.+?局)(?P<place>[^\d局]{2,5}?)分局$")
_UNIT_END = re.compile(
    r"(局|委|办|部|院|所|站|队|中心|馆|处|室|会|团|厅|署|社|校|公司|集团|政府|人大常委会|政协)$"
)
_STOP = re.compile(r"^(?:镇|乡|街道|村|社区|局|分局)")
_CITY_DEPT = re.compile(r"^(?:管理|建设|规划|综合|执法|更新|运行)")
"""What follows 城市 when it belongs to the department (西台|城市管理局), not to a region's name
(瑞城市|人社局, 长城市|审计局)."""
_DEPT_WORD = re.compile(r"^(?:场|政局|政公用|政园林|政管理)")
"""What follows a region's 市 when the 市 belongs to the department (宁波市场监管局 = 宁波 + 市场监管局)."""


@dataclass(frozen=True)
class UnitModel:
    """The names a unit can be read with: regions (full and short name → (key, level): the key is
    the short name, or empty where a short name is ambiguous; the level 1 province, 2 prefecture,
    3 county) and department abbreviations (as written → full name, organ forms made one)."""

    regions: Mapping[str, tuple[str, int]]
    abbreviations: Mapping[str, str]
    longest: int
    suffixes: Mapping[str, str]
    """Region key → the level word its full name ends with (北仑 → 区, 察布查尔 → 县)."""
    roster: frozenset[str] = frozenset()
    """The keys of the regions the roster names (empty when not known): a short name of another
    region before a township is the township's own name (乌兰再格森乡 of 博湖县, not 乌兰县's 再格森乡)."""
    parsed: dict[str | None, tuple[str | None, str | None, str | None]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The names parsed with this model so far (:func:`parse_unit_level`), each parsed once."""
    held: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)
    """The regions each name holds (:func:`named_regions`), for the names read so far."""


_PLAIN_DISTRICT = re.compile(r"^(?P<short>.{2,}?)区$")
_SHORT_ZONE = re.compile(r"^(?:.{1,2}林区|.(?:新区|矿区|特区))$")
"""A district whose name ends in 林 or 新 before its 区 (碑林区, 万柏林区, 清林区, 清新区): the 区
alone is the suffix. A 林区 is a region only with a longer name (神农架林区 → 神农架); a 新区, 矿区
or 特区 is one unless it would leave one character (浦东新区 → 浦东, 井陉矿区 → 井陉)."""


def short_region(name: str) -> str:
    """A region's short name: ``北仑区`` → ``北仑``, ``黔东南苗族侗族自治州`` → ``黔东南``, ``碑林区`` →
    ``碑林`` (:data:`_SHORT_ZONE`); a name whose short form would be one character keeps its
    suffix (``沙县``)."""
    match = _PLAIN_DISTRICT.match(name) if _SHORT_ZONE.match(name) else None
    match = match or _REGION_SUFFIX.match(name)
    if match is None or len(match.group("short")) < 2:
        return name
    return match.group("short")


def _level(code: str) -> int:
    return 1 if code.endswith("0000") else 2 if code.endswith("00") else 3


def named_regions(name: str | None, model: UnitModel) -> list[str]:
    """The regions a unit name holds, as written (``宁波市``, ``北仑区`` of
    ``宁波市北仑区教育局``; ``西台县`` of ``西台县教育局``, which the table may not hold)."""
    if not name:
        return []
    text, at, above, found = core(name), 0, 0, []
    while at < len(text) - 1:
        hit = _region_at(text, at, above, model)
        if hit is None:
            break
        found.append(text[at : at + hit[1]])
        at, above = at + hit[1], hit[2]
    return found


def learned_code(name: str, prefecture: bool = False) -> str:
    """A stand-in GB/T 2260 code for a region learnt from the roster: its level is read from
    its name (…州/盟/地区 a prefecture, else a county), or ``prefecture`` when the roster names
    a county-level region under it (:func:`region_below`)."""
    return "990100" if prefecture or re.search(r"(州|盟|地区)$", name) else "990101"


_NOT_A_REGION = re.compile(
    r"(开发|园|景|工业|保税|示范|试验|管理|高新|经济|风景|自贸|合作|港|新)区$"
)
"""Names ending in 区 that are zones inside a city, not districts (嘉平市|高新技术开发区管委会,
慈溪市|杭州湾新区管委会: a 新区 that is a district, 浦东新区, is in the table)."""


def region_below(name: str, region: str, model: UnitModel) -> bool:
    """``name`` names a county-level region right after ``region`` (嘉平市|新林区司法局,
    嘉平市|石湾县财政局), which is then a prefecture-level city, not a county-level one. A zone
    (开发区, 高新区 …) is no district."""
    text = core(name)
    at = text.find(region)
    if at < 0:
        return False
    after = at + len(region)
    hit = _region_at(text, after, 2, model)
    return (
        hit is not None
        and hit[2] == 3
        and _NOT_A_REGION.search(text[after : after + hit[1]]) is None
    )


def unit_model(
    regions: Iterable[tuple[str, str]],
    abbreviations: Mapping[str, str],
    present: Iterable[str] = (),
) -> UnitModel:
    """The model from the GB/T 2260 regions (code, name) and department abbreviations.

    A region is keyed by its short name; where two regions share one (伊宁市 and 伊宁县, 吉林省 and
    吉林市) each is keyed by its full name and the short name alone names no region. An
    autonomous prefecture is also written short with 州 (伊犁州, 黔东南州), an autonomous county
    with its first character and 县 (察县) where no region has that name.

    ``present``: the regions the deployment's roster names. Their short forms are read as them
    even where another region of the country shares the form: a short name two regions share
    (安平) is the roster's, and so are the first-character forms clerks use (巴州 for 巴音郭楞,
    博州 for 博尔塔拉, though 巴州区 is in 四川)."""
    level: dict[str, int] = {}
    for code, name in regions:
        if name and not name.endswith("市辖区") and "直辖" not in name:
            level[name] = min(level.get(name, 3), _level(code))
    by_short: dict[str, set[str]] = {}
    for name in level:
        by_short.setdefault(short_region(name), set()).add(name)
    table: dict[str, tuple[str, int]] = {}
    for short, fulls in by_short.items():
        for full in fulls:
            table[full] = (short if len(fulls) == 1 else full, level[full])
        if short not in table:
            table[short] = (short, level[next(iter(fulls))]) if len(fulls) == 1 else ("", 3)
    for short, fulls in by_short.items():
        full = next(iter(fulls))
        if len(fulls) > 1 or short == full:
            continue
        if full.endswith("自治州"):
            table.setdefault(short + "州", (short, 2))
        if full.endswith("自治县") and len(short) >= 3:
            table.setdefault(short[0] + "县", (short, 3))
    here = [n for n in dict.fromkeys(present) if n in level]
    for full in here:
        short, key = short_region(full), table[full][0]
        if table.get(short, ("",))[0] == "" and sum(f in here for f in by_short[short]) == 1:
            table[short] = (key, level[full])
        aliases = [short + "州", short[0] + "州"] if full.endswith("自治州") else []
        aliases += [short[0] + "县"] if full.endswith("自治县") else []
        for alias in aliases:
            if alias != full and (len(short) >= 3 or alias == short + "州"):
                table[alias] = (key, level[full])
    forms = {core(k): core(v) for k, v in abbreviations.items()}
    longest = max((len(n) for n in table), default=0)
    suffixes = {table[n][0]: n[-1] for n in level if table[n][0] and n[-1] in LEVEL_WORDS}
    return UnitModel(table, forms, longest, suffixes, frozenset(table[n][0] for n in here))


def core(name: str) -> str:
    """A unit name with one form per organ: simplified by the caller; no spaces, NFKC, ``中共``
    and the full organ forms shortened (see the module)."""
    text = re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", name))
    text = re.sub(r"\([^()]*\)$", "", text)
    pcc = _PCC.match(text)
    if pcc:
        return pcc.group(1) + "政协"
    for pattern, repl in _ORGAN_FORMS:
        text = pattern.sub(repl, text)
    return text


def _township(text: str) -> str | None:
    """The 街道/镇/乡 ``text`` names (with only its committee, office or congress after it), trying
    every place its name may end: 五乡镇党委 is 五乡镇, 章镇镇 is 章镇镇; None when it names none.
    A 民族乡 is named by its place (:data:`_ETHNIC_TOWNSHIP`): 三宫回族乡 and a clerk's 三宫乡 are one."""
    for end in re.finditer(r"街道|民族乡|镇|乡", text):
        name, organ = _ETHNIC_TOWNSHIP.sub("乡", text[: end.end()]), text[end.end() :]
        if 1 < len(name) <= 10 and not re.search(r"[\d、，,]", name) and organ in TOWNSHIP_ORGANS:
            return name
    return None


def _is_unit(rest: str, model: UnitModel) -> bool:
    """``rest`` (what follows a short region name) reads as a unit, not as the rest of a word."""
    if len(rest) < 2 or _STOP.match(rest):
        return False
    if _LEVEL_ORGAN.fullmatch(rest):
        return True  # 巴州|州委, 伊犁|州政府: the short name, then its level word and an organ
    township = _township(rest)
    if township:
        # 北仑|白峰街道 is a place; 平安|江镇 is not (a township's name has two characters or
        # more), nor 清水河|哈萨克族乡 (a 民族乡 is named by its place and its nationality)
        name = re.sub(r"(街道|民族乡|镇|乡)$", "", township)
        return len(name) >= 2 and not name.endswith(tuple(ETHNIC_GROUPS))
    return rest in model.abbreviations or bool(_UNIT_END.search(rest)) and len(rest) >= 3


def _region_at(text: str, at: int, above: int, model: UnitModel) -> tuple[str, int, int] | None:
    """The longest region name at ``at`` below level ``above`` that leaves a unit after it:
    (key, its length, its level). Regions are named from the larger to the smaller: after
    伊宁市 (a county), 伊犁 begins a place's name (伊犁河路街道), not a region. A name ending in a
    region word that the table lacks (安平蒙古自治州) outranks a shorter name it begins with."""
    known = _known_region_at(text, at, above, model)
    if known is not None and _written_level(text, at, known[1], model):
        # 山城|县教育局 where the table holds only 山城区: the region is written with its own level
        # word (the roster's 山城县), and it is read with it (named_regions learns 山城县).
        return known[0], known[1] + 1, known[2]
    match = _UNKNOWN_REGION.match(text[at:])
    if (
        match
        and above < 3
        and match.group(1) not in model.regions
        and len(text) > at + len(match.group(1))
        and not (
            match.group(1).endswith("城市") and _CITY_DEPT.match(text[at + len(match.group(1)) :])
        )
        and not (
            match.group(1).endswith("市") and _DEPT_WORD.match(text[at + len(match.group(1)) :])
        )
        and (
            known is None
            or len(match.group(1)) > known[1]
            and (_AUTONOMOUS.search(match.group(1)) or _county_in_county(text, at, known, match))
        )
    ):
        name = match.group(1)
        return short_region(name), len(name), 2 if re.search(r"(州|盟|地区)$", name) else 3
    return known


def _county_in_county(
    text: str, at: int, known: tuple[str, int, int], longer: re.Match[str]
) -> bool:
    """The known region at ``at`` is a county's bare short name and the longer name read there
    ends in 县 (青川|临县, 龙江|平县): a county lies in no county, so the whole is one county the
    table lacks (青川临县), not 青川 with a department 临县文广旅局."""
    piece = text[at : at + known[1]]
    return known[2] == 3 and short_region(piece) == piece and longer.group(1).endswith("县")


def _written_level(text: str, at: int, size: int, model: UnitModel) -> bool:
    """The region at ``at`` is a bare short name (``山城``) followed by a level word the table
    does not give it (``县``: only 山城区 is known), and a unit after that: the level word is the
    region's (the export's own county), not the department's (宁波|市场监管局, 县直, 区域)."""
    piece, rest = text[at : at + size], text[at + size :]
    return (
        short_region(piece) == piece
        and piece + rest[:1] not in model.regions
        and _LEVEL_WORD.match(rest) is not None
        and not rest.startswith(("本", "州"))
        and (
            len(rest) == 1 or _is_unit(rest[1:], model) or _LEVEL_ORGAN.fullmatch(rest) is not None
        )
        and not (rest.startswith("市") and _DEPT_WORD.match(rest[1:]) is not None)
    )


def _known_region_at(
    text: str, at: int, above: int, model: UnitModel
) -> tuple[str, int, int] | None:
    for size in range(min(model.longest, len(text) - at - 1), 1, -1):
        piece = text[at : at + size]
        found = model.regions.get(piece)
        if found is None or found[1] <= above:
            continue
        key, level = found
        rest = text[at + size :]
        if short_region(piece) == piece:
            if not _is_unit(rest, model):
                continue  # a short name inside a word: 公安局, 东城街道, 清河镇
            if level <= 2 and _township(rest):
                continue  # 伊犁河路街道: a prefecture's short name does not stand before a 街道
            if model.roster and key not in model.roster and _township(rest):
                continue  # 乌兰再格森乡: a region the roster never names begins a township's name
        if piece.endswith("市") and _DEPT_WORD.match(rest):
            continue  # 宁波|市场监管局: the 市 is the department's
        return key, size, level
    return None


def _expand(dept: str, model: UnitModel) -> str:
    """A department's full name: 发改局 → 发展和改革局; 国土 (in 北仑国土分局) → 国土资源局."""
    for form in (dept, dept + "局"):
        if form in model.abbreviations:
            return model.abbreviations[form]
    return dept


def _branch_place(place: str, model: UnitModel) -> str:
    """The region key of the place a branch bureau names (北仑 of 国土资源局北仑分局). A branch is
    in a district or county: where the short name is shared (长平 of 长平市 and 长平区), the one
    county-level region of the roster it names is meant."""
    key = model.regions.get(place, ("",))[0]
    if key:
        return key
    below = {
        model.regions[name][0]
        for name in (place + word for word in LEVEL_WORDS)
        if name in model.regions and model.regions[name][1] == 3
    } & model.roster
    return below.pop() if len(below) == 1 else short_region(place)


def _department(rest: str, model: UnitModel) -> tuple[str | None, str]:
    """The unit within a region, and the region a branch names (a city bureau's district branch,
    ``国土资源局北仑分局``, is a unit of 北仑 for a record: ``北仑国土分局``)."""
    rest = _LEVEL_WORD.sub("", rest) or rest
    rest = _PARTY_DEPT.sub("", rest)
    if rest in model.abbreviations:
        return None, model.abbreviations[rest]
    branch = _BRANCH.match(rest)
    if branch:
        # keyed as the region's own name is (新源 of a roster's 新源区, where 新源县 is elsewhere)
        return _branch_place(branch.group("place"), model), _expand(
            branch.group("dept"), model
        ) + "分局"
    if rest.endswith("分局") and len(rest) > 2:
        return None, _expand(rest[:-2], model) + "分局"
    return None, model.abbreviations.get(rest, rest)


def parse_unit(name: str | None, model: UnitModel) -> tuple[str | None, str | None]:
    """``(region, tail)`` of a unit name (simplified already); ``(None, None)`` for no name."""
    region, tail, _ = parse_unit_level(name, model)
    return region, tail


def parse_unit_level(
    name: str | None, model: UnitModel
) -> tuple[str | None, str | None, str | None]:
    """``(region, tail, level)``: :func:`parse_unit` and the kind of region the name places the
    unit in — the level word of the region named (北仑区 → 区), or the bare level word a clerk
    writes without the region (区发改局 → 区, 本县财政局 → 县); null when neither is known."""
    if not name:
        return None, None, None
    text = core(name)
    region, at, above, level = None, 0, 0, None
    while at < len(text) - 1:
        found = _region_at(text, at, above, model)
        if found is None:
            break
        piece = text[at : at + found[1]]
        written = short_region(piece) != piece and piece[-1] in LEVEL_WORDS  # 温州 is no 州
        level = piece[-1] if written else model.suffixes.get(found[0])
        # A short name two regions share (伊宁: 伊宁市 and 伊宁县) is kept as written: it names
        # one of them (the linker compares it with both), never a region left open.
        region, at, above = found[0] or short_region(piece), at + found[1], found[2]
    rest = re.sub(r"^政府(?=.+(?:街道|镇|乡))", "", text[at:])
    bare = _LEVEL_WORD.match(rest)
    if level is None and bare:
        level = bare.group(0)[-1]
    whole = _UNKNOWN_REGION.fullmatch(rest)
    if rest in model.regions:
        return model.regions[rest][0] or region, None, level  # a region, no unit
    if whole and whole.group(1) == rest:
        return short_region(rest) if region is None else region, None, level
    township = _township(_LEVEL_WORD.sub("", rest) or rest)
    if township:
        return region, township, level
    place, tail = _department(rest, model)
    return place or region, tail or None, model.suffixes.get(place, level) if place else level
