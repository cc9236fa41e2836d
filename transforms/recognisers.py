"""One recogniser per kind of identifier in Chinese free text (see :mod:`transforms.deid`).

Each recogniser takes the text in two forms — as written, and ``wide``-normalised (full-width
digits, letters and punctuation and the dashes ``—–‐`` mapped one-to-one onto ASCII, so offsets are
the same in both) — and yields :class:`Span` objects over the text as written. What each relies on:

- ``phone``: regexes for mobiles in any grouping (with ``+86``/``0086``, dots, dashes, spaces) and
  landlines with an area code (in brackets or not), then Google's libphonenumber
  (``phonenumbers.PhoneNumberMatcher``, region CN) on each remaining run of digits for the forms
  the regexes do not know; of its matches only mobiles, numbers with an area or country code and
  400/800 numbers are kept (it also proposes bare 11-digit serials). Extensions after
  ``-``/``转``/``分机`` and a local number right after a label (``电话5551234``) are added.
- ``id_number``: a digit run of 18 (last may be ``X``/``x``) or 15 digits, with spaces or hyphens
  anywhere, starting with a region digit (1–8); python-stdnum's ``cn.ric.calc_check_digit`` (GB 11643) decides. A run whose check
  character fails is still an ID number when its birth date is a real date (a typo is still
  personal data); otherwise it is left to the bank-card recogniser.
- ``bank_card``: a 16–19 digit run (any grouping) passing python-stdnum's Luhn check, or 10–25
  digits right after an account label (``卡号``/``账号``/``账户``: corporate accounts are not Luhn).
- ``uscc``: 18 characters of the GB 32100 alphabet, valid by python-stdnum's ``cn.uscc``, or any
  such code right after ``信用代码``.
- ``plate``: a regex: province character, letter, optional ``·``/space, 5–6 letters or digits.
- ``email``: a regex over the normalised text (so ``＠`` counts), also ``(at)``/``[at]``.
- ``im``: QQ numbers and WeChat ids after their label (``QQ``/``扣扣``/``微信``/``VX`` …), and
  ``wxid_…`` anywhere.
- ``address``: villages and communities (``青山村`` → ``某村``), towns and counties (``临江镇`` →
  ``某镇``: the level stays) found by jieba's segmentation (place words tagged ``ns``, or the word
  before a bare ``村``/``社区``/``镇``); house numbers (``民主路12号3栋2单元``, ``3组15号``) by regex.
- ``person``: see :mod:`transforms.deid` (roster names, jieba's person tag, cue words).
- ``date``: an exact date is cut to its year (``2024年3月5日`` → ``2024年``).
"""

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc


@dataclass(frozen=True, order=True)
class Span:
    """A found identifier: ``text[start:end]`` is of ``kind``; ``value`` is what it stands for
    (a name for a person, the matched text otherwise)."""

    start: int
    end: int
    kind: str
    value: str


_WIDE = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20, 0x2014: 0x2D, 0x2013: 0x2D, 0x2012: 0x2D, 0x2010: 0x2D, 0x2011: 0x2D,
    0x2015: 0x2D, 0x2212: 0x2D, 0xFE63: 0x2D, 0x00A0: 0x20,
}  # fmt: skip


def wide(text: str) -> str:
    """``text`` with full-width ASCII, the ideographic space and dashes as plain ASCII, one to one."""
    return text.translate(_WIDE)


_NUMBERISH = re.compile(r"\d[\d .\-]{3,}\d")
_RUN = re.compile(r"(?<![0-9A-Za-z])(?<![0-9][ \-])\d(?:[ \-]?\d){9,24}[Xx]?(?![ \-]?[0-9A-Za-z])")
_SEP = re.compile(r"[ \-]")


def has_long_number(norm: str) -> bool:
    """Whether ``norm`` holds a run of at least five digits (the numeric recognisers' prefilter)."""
    return _NUMBERISH.search(norm) is not None


def _birth(yyyymmdd: str) -> bool:
    try:
        day = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2030


def id_numbers(text: str, norm: str) -> Iterator[Span]:
    """Resident ID numbers (公民身份号码), 18 or 15 digits in any grouping."""
    for m in _RUN.finditer(norm):
        digits = _SEP.sub("", m.group()).upper()
        if digits[0] not in "12345678":  # no region code starts 0 or 9 (0086-139…: a phone)
            continue
        if len(digits) == 18 and digits[:17].isdigit():
            if ric.calc_check_digit(digits) == digits[17] or _birth(digits[6:14]):
                yield Span(m.start(), m.end(), "id_number", text[m.start() : m.end()])
        elif len(digits) == 15 and digits.isdigit() and _birth("19" + digits[6:12]):
            yield Span(m.start(), m.end(), "id_number", text[m.start() : m.end()])


_ACCOUNT_CUE = re.compile(r"(卡号|账号|帐号|账户|帐户|银行卡|存折|户名)[^0-9]{0,8}$")
_CARD_CONTEXT = re.compile(
    r"卡|银行|账|帐|存折|转入|转账|汇入|汇款|打入|存入|收款|付款|工资|社保|信用社|农商行"
)


def bank_cards(text: str, norm: str) -> Iterator[Span]:
    """Bank card and account numbers: Luhn-valid 16–19 digits; 16–19 digits that fail Luhn but
    start like a UnionPay card (``62``) or follow card words (``农行卡``, ``转入``: issuers need
    not use Luhn); or a long number after an account label."""
    for m in _RUN.finditer(norm):
        digits = _SEP.sub("", m.group())
        if not digits.isdigit():
            continue
        card_like = 16 <= len(digits) <= 19
        before = norm[max(0, m.start() - 16) : m.start()]
        luhn_card = card_like and (
            luhn.is_valid(digits)
            or digits.startswith("62")
            or _CARD_CONTEXT.search(before) is not None
        )
        labelled = _ACCOUNT_CUE.search(norm[max(0, m.start() - 12) : m.start()]) is not None
        if luhn_card or labelled:
            yield Span(m.start(), m.end(), "bank_card", text[m.start() : m.end()])


_USCC = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"
)


def credit_codes(text: str, norm: str) -> Iterator[Span]:
    """统一社会信用代码 (GB 32100): valid by its check character, or written after its label."""
    upper = norm.upper()
    for m in _USCC.finditer(upper):
        labelled = "信用代码" in norm[max(0, m.start() - 12) : m.start()]
        if labelled or uscc.is_valid(m.group()):
            yield Span(m.start(), m.end(), "uscc", text[m.start() : m.end()])


_EXTENSION = re.compile(r"^\s?(?:-|转|分机|ext\.?|x)\s?\d{1,5}(?![0-9])", re.IGNORECASE)
_LANDLINE_EXT = re.compile(
    r"(?<![0-9])(?:[(\[【〔]0\d{2,3}[)\]】〕]|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}(?![0-9])"
)
"""A landline with its area code, bare or in any bracket clerks type: ``(0574)``, ``[0574]``,
``【0574】``, ``〔0574〕`` (full-width ones arrive ``wide``-normalised)."""
_LABELLED_LOCAL = re.compile(
    r"(?:电话|手机|座机|热线|号码|联系方式|Tel|TEL|tel)\s?(?:号码|号)?\s?[:：]?\s?(\d(?:[ \-]?\d){6,11})(?![0-9])"
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_POSSIBLE = phonenumbers.Leniency.POSSIBLE
_ISLAND = re.compile(r"[+(]?[0-9][0-9 ()+.\-]{5,}[0-9]")
"""A run of at least seven digits and separators: where a phone number can be. libphonenumber's
matcher costs about 0.3 ms a text; run on these runs alone, the ingest keeps pace."""
_MOBILE_ANY = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9]\d(?:[ .\-]?\d){8}(?![0-9])")


_MAY_KEEP = re.compile(r"(?<![0-9])[0148]|[(+\[（［＋﹢]|[^\x00-\x7f\u3000-\u9fff]")
"""Where a number :func:`_keep_number` keeps can start: libphonenumber's match starts at a lead
bracket or plus, or at the first digit of a run (the text's, or one after a separator it splits
on). A kept number is written with ``+``/``(``, starts ``0`` (an area or trunk code, ``00``),
``1`` (a mobile, a carrier code), ``86`` (the country code without ``+``) or ``400``/``800``. Any
character outside ASCII and CJK (a digit of another script, an unusual plus or bracket) also
sends the window to libphonenumber."""


def _may_keep(window: str) -> bool:
    """Whether libphonenumber could find a number in ``window`` that :func:`_keep_number` keeps;
    ``False`` for the document numbers free text is full of (``XF2000-9000178``). A window of
    more than 14 digits always may: after an extension label (``#``: up to 9 digits, ``ext``: up
    to 20) libphonenumber starts a new match mid-run (``2#92345678913812345678`` holds the mobile
    ``13812345678``). :func:`phones` sends no such window (longer runs are ID or card numbers)."""
    return _MAY_KEEP.search(window) is not None or sum(c.isdigit() for c in window) > 14


def _keep_number(raw: str, national: str) -> bool:
    """A mobile, a number written with its area code or country code, or a 400/800 number."""
    if _MOBILE.match(national):
        return True
    if national[:3] in ("400", "800") and len(national) == 10:
        return True
    return raw.lstrip()[:1] in ("0", "(", "+") and len(national) >= 9


def phones(text: str, norm: str) -> Iterator[Span]:
    """Mobile and landline numbers in any written form, with their extension."""
    found = [(m.start(), m.end()) for m in _LANDLINE_EXT.finditer(norm)]
    found += [(m.start(), m.end()) for m in _MOBILE_ANY.finditer(norm)]  # 138.0771.4321
    found += [(m.start(1), m.end(1)) for m in _LABELLED_LOCAL.finditer(norm)]
    for island in _ISLAND.finditer(norm):  # libphonenumber on each run of digits, not the text
        digits = sum(c.isdigit() for c in island.group())
        covered = any(s <= island.start() and island.end() <= e for s, e in found)
        if covered or digits > 14:  # a number already found, or an ID / card number
            continue
        at = max(0, island.start() - 2)
        window = norm[at : island.end()]
        if not _may_keep(window):
            continue
        for match in phonenumbers.PhoneNumberMatcher(window, "CN", leniency=_POSSIBLE):
            national = str(match.number.national_number)
            if _keep_number(match.raw_string, national):
                found.append((at + match.start, at + match.end))
    for start, end in found:
        ext = _EXTENSION.match(norm[end : end + 12])
        end = end + ext.end() if ext else end
        yield Span(start, end, "phone", text[start:end])


_SPOKEN = {c: str(d) for d, chars in enumerate(("零〇○洞", "一幺壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒拐", "八捌", "九玖勾")) for c in chars}  # fmt: skip
_NUMERALS = "".join(_SPOKEN)
SPOKEN_NUMERALS = _NUMERALS
"""Every character :func:`spoken_digits` reads as a digit."""
_SPOKEN_RUN = re.compile(f"[0-9{_NUMERALS}](?:[ \\-.]?[0-9{_NUMERALS}]){{6,13}}")
_SPOKEN_THREE = re.compile(f"[{_NUMERALS}]{{3}}")
_PHONE_LABEL = re.compile(r"(?:电话|手机|号码|座机|来电|致电|拨打|联系方式|微信)[^，。；]{0,4}$")


def spoken_digits(value: str) -> str:
    """``value`` with Chinese numerals as ASCII digits (一三九 → 139, 幺 → 1, 〇/洞 → 0)."""
    return "".join(_SPOKEN.get(c, c) for c in value)


def spoken_phones(text: str, norm: str) -> Iterator[Span]:
    """Phone numbers written (or dictated) in Chinese numerals, whole or mixed with digits
    (``一三九一二三四五六七八``, ``幺三八 〇七七一 四三二一``): a mobile, a number with its area
    code, or seven or eight digits after a phone label."""
    if _SPOKEN_THREE.search(norm) is None:
        return
    for m in _SPOKEN_RUN.finditer(norm):
        written = m.group()
        digits = _SEP.sub("", spoken_digits(written)).replace(".", "")
        if sum(c in _SPOKEN for c in written) < 3 or not digits.isdigit():
            continue
        labelled = _PHONE_LABEL.search(norm[max(0, m.start() - 8) : m.start()]) is not None
        if (
            _MOBILE.match(digits)
            or (digits[0] == "0" and 10 <= len(digits) <= 12)
            or (labelled and 7 <= len(digits) <= 8)
        ):
            yield Span(m.start(), m.end(), "phone", text[m.start() : m.end()])


_IPV4 = re.compile(
    r"(?<![0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![0-9]|\.[0-9])"
)
_IPV6 = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?![0-9A-Za-z:])")


def ip_addresses(text: str, norm: str) -> Iterator[Span]:
    """IPv4 addresses (four parts 0–255) and IPv6 addresses (checked by :mod:`ipaddress`)."""
    if "." in norm:
        for m in _IPV4.finditer(norm):
            yield Span(m.start(), m.end(), "ip", text[m.start() : m.end()])
    if "::" in norm or norm.count(":") >= 4:
        for m in _IPV6.finditer(norm):
            start = m.start()
            if norm[start] == ":" and norm[start + 1 : start + 2] != ":":
                start += 1  # IP:2409:… (a label's colon)
            try:
                ipaddress.IPv6Address(norm[start : m.end()])
            except ValueError:
                continue
            yield Span(start, m.end(), "ip", text[start : m.end()])


_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?(?:@|\(at\)|\[at\])\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)


def emails(text: str, norm: str) -> Iterator[Span]:
    """E-mail addresses (also written ``(at)`` or with a full-width ``＠``)."""
    if "@" not in norm and "(at)" not in norm and "[at]" not in norm:
        return
    for m in _EMAIL.finditer(norm):
        yield Span(m.start(), m.end(), "email", text[m.start() : m.end()])


_IM = re.compile(
    r"(?:QQ|qq|Qq|扣扣)\s?(?:号码|号|群)?\s?[:：(]?\s?([1-9]\d{4,11})(?![0-9])"
    r"|(?:微信|薇信|威信|(?<![A-Za-z])(?i:weixin|wechat|vx|wx(?!id_))|[Vv]信)\s?(?:号码|号|ID|id)?\s?[:：(]?\s?"
    r"([A-Za-z][\-_A-Za-z0-9]{5,19}|1[3-9]\d{9})(?![\-_A-Za-z0-9])"
    r"|(wxid_[A-Za-z0-9]{4,24})"
)
_HANDLE = re.compile(
    r"(?<![A-Za-z0-9_@./\-])[A-Za-z][A-Za-z0-9_\-]{5,19}(?![A-Za-z0-9_@\-]|\.[A-Za-z0-9])"
)
_BARE_QQ = re.compile(r"(?<![0-9A-Za-z.\-_/])[1-9]\d{7,10}(?![0-9A-Za-z%.\-_])")
_NOT_QQ_AFTER = re.compile(
    r"\s?(?:元|万|亿|千|百|多|余|个|人|户|亩|平|米|吨|公斤|千克|件|次|笔|条|号|年|月|日|项|份|张|台|辆|套|间|股|倍|分|秒|小时|天|周)"
)
_NOT_QQ_BEFORE = re.compile(
    r"(?:编号|文号|号码|代码|证号|批号|序号|单号|合同|项目|工号|税号|件号|案号|票号|第|〔|\[|(?<![0-9])0\d{2,3}[)\]】〕]?)[^0-9]{0,3}$"
)
"""What a number after it is not a QQ number for: a document's label, or an area code (the local
part of ``(010)20000000`` or ``0574 87654321`` is a landline's, :func:`phones` takes it whole)."""


def _handle(word: str) -> bool:
    """A bare WeChat-like handle: letters with digits, ``_`` or ``-``, with a lower-case letter
    (``zhang_san88``, ``nbzhu2019``; not ``COVID-19``, ``ISO9001`` or ``GB50300``)."""
    return any(c.islower() for c in word) and any(c.isdigit() or c in "_-" for c in word)


def _compact_date(digits: str) -> bool:
    return len(digits) == 8 and _birth(digits)


def im_ids(text: str, norm: str) -> Iterator[Span]:
    """QQ numbers and WeChat ids after their label (``微信号：``, ``wx``, ``VX``, ``v信`` …,
    with or without a colon); ``wxid_…`` anywhere; and, without a label, a handle of letters with
    digits or ``_`` (:func:`_handle`) or an 8–11 digit number that is no amount, count, date or
    document number (a QQ number)."""
    for m in _IM.finditer(norm):
        group = next(g for g in (1, 2, 3) if m.group(g))
        yield Span(m.start(group), m.end(group), "im", text[m.start(group) : m.end(group)])
    for m in _HANDLE.finditer(norm):
        if _handle(m.group()):
            yield Span(m.start(), m.end(), "im", text[m.start() : m.end()])
    for m in _BARE_QQ.finditer(norm):
        if (
            _NOT_QQ_AFTER.match(norm, m.end()) is None
            and _NOT_QQ_BEFORE.search(norm[max(0, m.start() - 8) : m.start()]) is None
            and not _compact_date(m.group())
            and not _keep_number(m.group(), m.group())  # a mobile or 400/800 number: a phone
        ):
            yield Span(m.start(), m.end(), "im", text[m.start() : m.end()])


_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z]"
    r"[ ·•・.\-]?[A-HJ-NP-Z0-9a-hj-np-z]{4}[A-HJ-NP-Z0-9a-hj-np-z挂学警]{1,2}(?![A-Za-z0-9])"
)


def plates(text: str, norm: str) -> Iterator[Span]:
    """Licence plates (机动车号牌): 桂A12345, 桂A·12345, 桂AD12345, 桂 A 12345 …"""
    for m in _PLATE.finditer(norm):
        if sum(c.isdigit() for c in m.group()) >= 2:
            yield Span(m.start(), m.end(), "plate", text[m.start() : m.end()])


_DATE = re.compile(
    r"((?:19|20)\d{2})\s*(?:年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|[\-./]\d{1,2}[\-./]\d{1,2}(?![0-9]))"
)


def exact_dates(text: str, norm: str) -> Iterator[Span]:
    """Exact dates, to be cut to their year (``2024年3月5日``, ``2024-03-05``)."""
    for m in _DATE.finditer(norm):
        yield Span(m.start(), m.end(), "date", m.group(1))


_HOUSE = re.compile(
    r"\d+(?:-\d+)?(?:号院|号楼|号)(?:\d+(?:栋|幢|号楼|座))?(?:\d+单元)?(?:\d+(?:室|号房|户))?"
    r"|\d+(?:栋|幢)\d+单元(?:\d+(?:室|号房|户))?"
    r"|\d+(?:组|队)\d+号"
    r"|(?<=村)[一二三四五六七八九十\d]{1,3}(?:组|队|社)(?:\d+号)?"
)
_STREET_END = ("路", "街", "大道", "巷", "弄", "胡同", "大街")


@dataclass(frozen=True)
class Token:
    """A word of the segmented text: where it is, what it is, and its part-of-speech tag."""

    start: int
    end: int
    word: str
    tag: str


PROPER = frozenset({"ns", "nr", "nz", "nrt", "nt", "OOV"})
SETTLEMENT = ("社区", "村", "居委会", "村委会", "嘎查", "屯", "组")
LEVELS = ("街道", "县", "镇", "乡", "区", "市")


def _place_name(name: str, not_places: Sequence[str], not_names: frozenset[str]) -> bool:
    """A place's name: 2-5 Chinese characters, not starting with a word that is no place
    (``not_places``) and not a word that is no name (``not_names``: 高新 of 高新区)."""
    return (
        2 <= len(name) <= 5
        and all("\u4e00" <= c <= "\u9fff" for c in name)
        and not name.startswith(tuple(not_places))
        and name not in not_names
    )


def addresses(
    text: str,
    norm: str,
    tokens: Sequence[Token],
    not_places: Sequence[str],
    not_names: frozenset[str],
    surnames: frozenset[str] = frozenset(),
) -> Iterator[Span]:
    """Villages, communities, towns and counties (value: the level, ``村``/``镇`` …) and house numbers."""
    for i, tok in enumerate(tokens):
        suffix = next((s for s in (*SETTLEMENT, *LEVELS) if tok.word.endswith(s)), None)
        if suffix is None or suffix == "组":  # 组: a hamlet's only (_named_settlements)
            continue
        if tok.word == suffix and i > 0:  # 青山 + 村: the name is the word before
            prev = tokens[i - 1]
            if prev.tag in PROPER and _place_name(prev.word, not_places, not_names):
                yield Span(prev.start, tok.end, "address", suffix)
        elif tok.word != suffix and tok.tag in PROPER:  # 东风村, 临江镇: one word
            name = tok.word[: -len(suffix)]
            if _place_name(name, not_places, not_names):
                yield Span(tok.start, tok.end, "address", suffix)
    yield from _named_settlements(text, tokens, not_places, surnames)
    for m in _HOUSE.finditer(norm):
        start = m.start()
        before = next((t for t in tokens if t.end == start), None)
        if before is not None and before.word.endswith(_STREET_END):
            start = before.start  # 民主路 + 12号: the street goes with the number
            street = next((t for t in tokens if t.end == start), None)
            if before.word in _STREET_END and street is not None and 2 <= len(street.word) <= 4:
                start = street.start  # 民主 + 路 + 12号
        yield Span(start, m.end(), "address", text[start : m.end()])


_NOT_NAMES = set("vdpcurq")  # tags of verbs, adverbs, prepositions … (jieba's tag set)
_SETTLED = re.compile(r"村(?![民委级干集务规两])|社区|屯(?![田垦兵])|组")
_HAMLET_END = frozenset("湾窑坪塘冲坳岭沟坡庄坝垌岙寨垄畈圩埠塆屯峪坎垭洼")
"""Last characters of hamlet names (马家湾, 瓦窑, 石板坪): a word before ``组`` ending in one is a
村民小组, not a 工作组."""
_QUARTER = frozenset("上下前后东西南北中大小新老")
_GROUP_NUMBER = re.compile(r"[一二三四五六七八九十\d]{1,3}(?:组|队|社)")


def _hamlet(name: str, surnames: frozenset[str]) -> bool:
    """``name`` (before ``组``) is a hamlet's: it ends like one, or is 姓+家 (李家), or a
    quarter and a surname (前王, 上陈)."""
    if name[-1] in _HAMLET_END:
        return True
    if name[-1] == "家" and name[-2] in surnames:
        return True
    return len(name) == 2 and name[0] in _QUARTER and name[1] in surnames


_BOUNDARY = set('在于到对向从以由和与及住为给被把将让经是据、，,。；;：:（(“"的')


def _named_settlements(
    text: str,
    tokens: Sequence[Token],
    not_places: Sequence[str],
    surnames: frozenset[str] = frozenset(),
) -> Iterator[Span]:
    """``新塘村``, ``幸福里社区``, ``高岭屯``, ``瓦窑组`` where the segmenter did not cut the name
    off as one word: two or three characters before ``村``/``社区``/``屯``/``组`` (a hamlet's
    name only, :func:`_hamlet`) that start a word or follow a boundary character; and 姓+村
    before a group number (``罗村三组``)."""
    words = {t.start: t for t in tokens}
    for m in _SETTLED.finditer(text):
        group = m.group() == "组"
        one = text[m.start() - 1 : m.start()]
        if (
            m.group() == "村"
            and one in surnames
            and (m.start() < 2 or text[m.start() - 2] in _BOUNDARY)
            and _GROUP_NUMBER.match(text, m.end())
        ):
            yield Span(m.start() - 1, m.end(), "address", "村")
            continue
        for size in (3, 2):
            start = m.start() - size
            name = text[start : m.start()]
            # A village's name may be a word that is no person's or district's (龙头 of 龙头企业):
            # before 屯/村/社区/组 it is a settlement's (龙头屯), so only ``not_places`` rule it out.
            if start < 0 or name[0] in _BOUNDARY or not _place_name(name, not_places, frozenset()):
                continue
            if group and not _hamlet(name, surnames):
                continue
            word = words.get(start)
            verb = word is not None and len(word.word) > 1 and word.tag[:1] in _NOT_NAMES
            if verb and word is not None and word.end <= m.start():
                continue  # 调用 + 社区: a verb is no name (one character, as 兴 of 兴江, may be)
            after_boundary = start == 0 or text[start - 1] in _BOUNDARY
            starts_word = word is not None and (size == 2 or word.tag != "OOV")
            if after_boundary or starts_word:  # 排大塘 (a new word across 安排) is not a name
                yield Span(start, m.end(), "address", m.group())
                break
