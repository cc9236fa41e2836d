"""How upstream clerks write things: names, ID numbers, dates and units, with the mess of
``SOURCES.md`` (traditional characters, spaces, legacy 15-digit IDs, full-width digits, typos,
unit abbreviations, many date forms); and the small draws every source makes.

Every function draws from the generator's one random stream in a fixed order: changing the order
of calls changes every byte after them.
"""

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cache

import numpy as np
import opencc

from warehouse.samples.models import Cadre

_ID_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_C = "10X98765432"

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


@cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a 公民身份号码 (resident ID)."""
    return _ID_C[sum(int(d) * w for d, w in zip(first17, _ID_W, strict=True)) % 11]


def id_numbers(
    rng: np.random.Generator, regions: np.ndarray, births: Sequence[date], male: np.ndarray
) -> list[str]:
    """Valid 18-character ID numbers for people of these regions, birthdays and sexes."""
    seq = rng.integers(0, 500, len(regions)) * 2 + male.astype(int)
    digits17 = [f"{r}{b:%Y%m%d}{s:03d}" for r, b, s in zip(regions, births, seq, strict=True)]
    matrix = np.frombuffer("".join(digits17).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    checks = (matrix * _ID_W).sum(axis=1) % 11
    return [d + _ID_C[c] for d, c in zip(digits17, checks, strict=True)]


def date_text(rng: np.random.Generator, d: date) -> str:
    """A date in one of the forms upstream clerks use (ISO most often)."""
    return _DATE_FORMS[int(rng.random() * len(_DATE_FORMS))](d)


def mess_id(rng: np.random.Generator, id_number: str, roll: float | None = None) -> tuple[str, str]:
    """An ID number as an upstream clerk typed it, and what kind of mess it is.

    Args:
        rng: the random stream.
        id_number: the valid 18-character number.
        roll: the draw to use instead of one from ``rng``; ``0.0`` forces a typo.

    Returns:
        The number as written and its kind: ``typo`` (the check character fails), ``legacy_15``,
        ``full_width``, ``spaced``, ``lower_x`` or ``clean``.
    """
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


def mess_name(rng: np.random.Generator, name: str) -> str:
    """A name as written: traditional characters, a space, another dot or a full-width space."""
    roll = rng.random()
    if roll < 0.06:
        return str(_s2t().convert(name))
    if roll < 0.10 and len(name) == 2:
        return f"{name[0]} {name[1]}"
    if roll < 0.12:
        return name.replace("·", "•")
    if roll < 0.13:
        return f"{name[0]}\u3000{name[1:]}"
    return name


def mess_unit(rng: np.random.Generator, full: str, short: str) -> str:
    """A unit as written: its short name, without 人民政府, or in full."""
    roll = rng.random()
    if roll < 0.35:
        return short
    if roll < 0.45 and full.endswith("人民政府"):
        return full.removesuffix("人民政府")
    return full


def pick(rng: np.random.Generator, cadres: list[Cadre], k: int) -> list[Cadre]:
    """``k`` cadres drawn with replacement."""
    return [cadres[i] for i in rng.integers(0, len(cadres), k)]


def day(rng: np.random.Generator, year: int) -> date:
    """A day in the first 360 of ``year``."""
    return date(year, 1, 1) + timedelta(days=int(rng.integers(0, 360)))
