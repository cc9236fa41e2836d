"""What the generator knows while it writes: the people and the rows."""

from dataclasses import dataclass
from datetime import date

Row = list[object]
"""One generated record, its values in the order of the source's columns."""


@dataclass(frozen=True)
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
    since: date = date(2000, 1, 1)
    """任现职时间: when the current post began."""
