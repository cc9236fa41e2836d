"""Identifiers clerks write into free text (问题摘要, 事项描述): people nobody on the roster is
called, phones in several forms, bank cards, ID numbers, credit codes. Each is valid where a
check digit exists, so only its context can tell a de-identifier what it is."""

from collections.abc import Callable

import numpy as np
from stdnum import luhn
from stdnum.cn import uscc

from warehouse.samples.mess import check_char
from warehouse.samples.vocabulary import SURNAMES

PHONE_FORMS: tuple[Callable[[str], str], ...] = (
    lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
    lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
    lambda p: f"+86 {p}",
    lambda p: p.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    lambda p: p,
)
"""A mobile number as clerks write it: dashed, spaced, with +86, in full-width digits, bare."""

PLANTED_GIVEN = "婉瑾璇萱妍蕙菡蓓岚绮黛馥婕琬珂瑶璐翊煦彧昀晗漪沁"
"""Given-name characters the roster never uses: a planted person is nobody on the roster, so a
test finding the name anywhere knows it leaked (a reporter named like a cadre would not tell)."""


def person(rng: np.random.Generator) -> str:
    """A realistic name that no roster cadre has (a witness, a co-reporter, an 经办人)."""
    picks = rng.integers(0, len(PLANTED_GIVEN), 1 + int(rng.random() < 0.7))
    return SURNAMES[int(rng.integers(0, 60))] + "".join(PLANTED_GIVEN[int(g)] for g in picks)


def mobile(rng: np.random.Generator) -> str:
    """An 11-digit mobile number."""
    return f"1{int(rng.choice([3, 5, 8, 9]))}{int(rng.integers(0, 10))}{int(rng.integers(10**7, 10**8))}"


def phone_form(rng: np.random.Generator) -> Callable[[str], str]:
    """One of the :data:`PHONE_FORMS`, drawn (before the number it is applied to)."""
    return PHONE_FORMS[int(rng.integers(0, len(PHONE_FORMS)))]


def luhn_card(rng: np.random.Generator) -> str:
    """A 19-digit bank card number with a valid Luhn digit."""
    body = "622202" + "".join(str(int(d)) for d in rng.integers(0, 10, 12))
    return body + luhn.calc_check_digit(body)


def id_number(rng: np.random.Generator) -> str:
    """A valid ID number of somebody born 1960-1999 (not a cadre's)."""
    body = f"4503{int(rng.integers(21, 30)):02d}{int(rng.integers(1960, 2000))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}{int(rng.integers(100, 999))}"
    return body + check_char(body)


def credit_code(rng: np.random.Generator) -> str:
    """A 统一社会信用代码 (unified social credit code) with a valid check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (
        "9145"
        + f"{int(rng.integers(1000, 9999))}"
        + "".join(alphabet[int(i)] for i in rng.integers(0, 31, 9))
    )
    return body + uscc.calc_check_digit(body)


def spaced(number: str) -> str:
    """An ID number in three groups, as on many forms: ``450102 19800101 123X``."""
    return f"{number[:6]} {number[6:14]} {number[14:]}"
