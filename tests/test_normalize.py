"""Normalisers: each case says which upstream habit it covers."""

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from transforms import normalize as nz


def _one(expr_fn, value):  # type: ignore[no-untyped-def]
    return pl.DataFrame({"v": [value]}, schema={"v": pl.String}).select(expr_fn(pl.col("v"))).item()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06", date(2024, 5, 6)),  # ISO, what most systems export
        ("2024/5/6", date(2024, 5, 6)),  # Excel's default display, no zero padding
        ("2024.05.06", date(2024, 5, 6)),  # HR systems' dotted form
        ("2024年5月6日", date(2024, 5, 6)),  # typed by hand in Chinese
        ("20240506", date(2024, 5, 6)),  # compact, from older databases
        ("45418", date(2024, 5, 6)),  # an Excel serial that lost its date format
        ("45418.5", date(2024, 5, 6)),  # a serial with a time fraction
        ("2024-05-06 14:30:00", date(2024, 5, 6)),  # a timestamp where a date is meant
        ("２０２４－０５－０６", date(2024, 5, 6)),  # full-width digits from an IME
        (" 2024-05-06 ", date(2024, 5, 6)),  # stray spaces around a cell
        ("二〇一九年三月五日", date(2019, 3, 5)),  # written out in numerals, as in a document
        ("二零二四年十二月三十一日", date(2024, 12, 31)),  # 零 for 〇, 十 in month and day
        ("贰零壹玖年拾月拾日", date(2019, 10, 10)),  # the financial capitals of a voucher
        ("二O一九年三月十五日", date(2019, 3, 15)),  # the letter O typed for 〇
        ("二〇二〇年二月三十日", None),  # written out, still impossible
        ("2024-02-30", None),  # impossible day: must not roll over to March
        ("2023年2月29日", None),  # 2023 is not a leap year
        ("2024-13-01", None),  # impossible month
        ("12345", None),  # a number far outside the plausible serial range is not a date
        ("下月", None),  # words
        ("", None),  # empty cell
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert _one(nz.parse_date, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1975.03", date(1975, 3, 1)),  # the HR convention YYYY.MM
        ("1975-3", date(1975, 3, 1)),  # YYYY-M
        ("1975年3月", date(1975, 3, 1)),  # hand-typed
        ("197503", date(1975, 3, 1)),  # compact
        ("一九七五年十一月", date(1975, 11, 1)),  # written out in numerals
        ("1975.13", None),  # impossible month
    ],
)
def test_parse_year_month(text: str, expected: date | None) -> None:
    assert _one(nz.parse_year_month, text) == expected


_DIGITS = "〇一二三四五六七八九"


def _numerals(n: int) -> str:
    """A month or day in Chinese numerals: 五, 十, 十五, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (
        _DIGITS[ones] if ones or not tens else ""
    )


def _forms(day: date) -> list[str]:
    """One date in every form :func:`nz.parse_date` claims to read."""
    y, m, d = day.year, day.month, day.day
    wide = str.maketrans("0123456789-", "０１２３４５６７８９－")
    year = "".join(_DIGITS[int(c)] for c in str(y))
    return [
        day.isoformat(), f"{y}/{m}/{d}", f"{y}.{m:02d}.{d:02d}", f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}", str((day - date(1899, 12, 30)).days), f"{day.isoformat()} 08:30:00",
        day.isoformat().translate(wide), f" {day.isoformat()} ", f"{y}-{m}-{d}",
        f"{year}年{_numerals(m)}月{_numerals(d)}日", f"{year.replace('〇', '零')}年{_numerals(m)}月{_numerals(d)}日",
    ]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dates(date(1955, 1, 1), date(2099, 12, 31)), min_size=1, max_size=8))
def test_a_date_in_every_form_reads_as_itself(days: list[date]) -> None:
    # Every form of every date in one column, mixed as a sheet mixes them (most rows are read
    # by the first pass, the rest by the second): each row reads back as its date.
    rows = [(form, day) for day in days for form in _forms(day)]
    frame = pl.DataFrame({"v": [f for f, _ in rows]}, schema={"v": pl.String})
    assert frame.select(nz.parse_date(pl.col("v"))).to_series().to_list() == [d for _, d in rows]
    months = [f"{d.year}.{d.month:02d}" for d in days] + [
        "".join(_DIGITS[int(c)] for c in str(d.year)) + f"年{_numerals(d.month)}月" for d in days
    ]
    read = pl.DataFrame({"v": months}).select(nz.parse_year_month(pl.col("v"))).to_series()
    assert read.to_list() == [d.replace(day=1) for d in days] * 2


@pytest.mark.parametrize(
    ("text", "normal", "status"),
    [
        ("11010519491231002X", "11010519491231002X", "valid"),  # the GB 11643 example number
        ("11010519491231002x", "11010519491231002X", "valid"),  # lower-case x
        ("110105 19491231 002X", "11010519491231002X", "valid"),  # spaces between the blocks
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "valid"),  # full-width
        ("110105491231002", "11010519491231002X", "upgraded_15"),  # legacy 15-digit number
        ("11010519491231003X", "11010519491231003X", "bad_check"),  # a typo: kept as typed, flagged
        ("11010519491331002X", "11010519491331002X", "bad_birth_date"),  # month 13: a typo
        ("1101051949123100", "1101051949123100", "malformed"),  # too short
        ("", None, None),  # no ID number given
    ],
)
def test_id_numbers(text: str, normal: str | None, status: str | None) -> None:
    assert _one(nz.normalize_id_number, text) == normal
    assert _one(nz.id_number_status, text) == status


_NUMBERS = st.tuples(
    st.integers(110000, 659999), st.dates(date(1901, 1, 1), date(2020, 12, 31)), st.integers(0, 999)
)


def _column(expr_fn, values):  # type: ignore[no-untyped-def]
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .select(expr_fn(pl.col("v")))
        .to_series()
        .to_list()
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(_NUMBERS, min_size=1, max_size=60))
def test_check_character_agrees_with_python_stdnum(numbers: list[tuple[int, date, int]]) -> None:
    """Our vectorised check character must agree with python-stdnum's on any well-formed number."""
    good, bad = [], []
    for region, birth, seq in numbers:
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        check = ric.calc_check_digit(first17 + "?")  # stdnum wants a placeholder check digit
        good.append(first17 + check)
        bad.append(first17 + ("0" if check != "0" else "1"))
    assert set(_column(nz.id_number_status, good)) == {"valid"}
    assert set(_column(nz.id_number_status, bad)) == {"bad_check"}


@settings(max_examples=30, deadline=None)
@given(st.lists(_NUMBERS.filter(lambda n: n[1].year < 2000), min_size=1, max_size=60))
def test_fifteen_digit_upgrade_is_valid_eighteen(numbers: list[tuple[int, date, int]]) -> None:
    """A legacy number upgraded to 18 characters is one python-stdnum's check character accepts."""
    legacy = [f"{region}{birth:%y%m%d}{seq:03d}" for region, birth, seq in numbers]
    for (region, birth, _), upgraded in zip(
        numbers, _column(nz.normalize_id_number, legacy), strict=True
    ):
        assert upgraded[:14] == f"{region}{birth:%Y%m%d}"
        assert upgraded[17] == ric.calc_check_digit(upgraded)


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("張偉", "张伟", "张伟"),  # traditional characters from a Hong Kong/Taiwan-style IME
        ("张 伟", "张伟", "张伟"),  # a space padding a two-character name to three
        ("张\u3000伟", "张伟", "张伟"),  # a full-width space
        ("欧阳修", "欧阳修", "欧阳修"),  # compound surname untouched
        (
            "阿依古丽•买买提",
            "阿依古丽·买买提",
            "阿依古丽买买提",
        ),  # bullet used as the minority-name dot
        ("阿依古丽・买买提", "阿依古丽·买买提", "阿依古丽买买提"),  # katakana middle dot
        ("阿依古丽.买买提", "阿依古丽·买买提", "阿依古丽买买提"),  # ASCII full stop
        ("  ", None, None),  # blank
    ],
)
def test_names(raw: str, display: str | None, key: str | None) -> None:
    assert _one(nz.normalize_name, raw) == display
    assert _one(nz.name_key, raw) == key


def test_unknown_character_marker_is_flagged() -> None:
    # HR systems type ? or □ for a rare character; the name is kept but must not be matched blindly.
    assert _one(nz.name_has_unknown_char, "张?伟") is True
    assert _one(nz.name_has_unknown_char, "王□") is True
    assert _one(nz.name_has_unknown_char, "张伟") is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("不属实", "不实"),  # synonym
        ("不实", "不实"),  # canonical
        ("查无实据", "查无实据"),  # distinct from 不实, must stay distinct
        (" 属 实 ", "属实"),  # padded
        ("待定", None),  # unknown: null, the cleaning step gives the reason
    ],
)
def test_enumerations(raw: str, expected: str | None) -> None:
    vocabulary = {"属实": "属实", "不实": "不实", "不属实": "不实", "查无实据": "查无实据"}
    assert _one(lambda e: nz.parse_enum(e, vocabulary), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True), ("Y", True), ("1", True), ("√", True),
        ("否", False), ("N", False), ("0", False),
        ("也许", None),
    ],
)  # fmt: skip
def test_booleans(raw: str, expected: bool | None) -> None:
    assert _one(nz.parse_bool, raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", 1234.5),  # thousands separator (header says 万元)
        ("1，234.5", 1234.5),  # full-width comma
        ("35000元", 3.5),  # a value typed in 元 under a 万元 header
        ("12万元", 12.0),  # unit repeated in the cell
        ("1.2亿元", 12000.0),  # 亿
        ("约五十万", None),  # words
    ],
)
def test_amounts(raw: str, expected: float | None) -> None:
    assert _one(nz.parse_amount, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("0.85", 0.85), ("85%", 0.85), ("85％", 0.85), ("很好", None)]
)
def test_ratios(raw: str, expected: float | None) -> None:
    value = _one(nz.parse_ratio, raw)
    assert value == pytest.approx(expected) if expected is not None else value is None
