"""S1 干部名册 (cadre roster): counties of about 600 cadres, written as the SQLite table
``cadre_roster``. Its people are who every other source names."""

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np

from warehouse.samples.columns import ROSTER_COLUMNS
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text, id_numbers
from warehouse.samples.models import Cadre, Row
from warehouse.samples.profiles import DOTTED_FIRST, DOTTED_SECOND, LOCAL_SURNAMES, Geography
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import (
    ABBREVIATIONS,
    COMPOUND,
    DEPARTMENTS,
    GIVEN,
    MINORITY,
    PLACE_A,
    PLACE_B,
    POSTS_COUNTY,
    POSTS_DEPT,
    POSTS_TOWN,
    SURNAMES,
)
from warehouse.samples.writers import sql_order, write_sql

_UPDATED = datetime(2025, 12, 1)


class _Unit(NamedTuple):
    code: str
    full: str
    short: str
    region: str
    posts: list[tuple[str, str]]


def _counties(n: int) -> list[tuple[str, str]]:
    """(region code, name) of enough counties for ``n`` cadres, about 600 each."""
    counties: list[tuple[str, str]] = []
    while len(counties) * 600 < n or not counties:
        i = len(counties)
        # Unique county names for up to 14,400 counties: two characters, then three.
        extra = "" if i < 480 else PLACE_A[(i // 480) % len(PLACE_A)]
        county_name = (
            PLACE_A[i % len(PLACE_A)] + PLACE_B[(i // len(PLACE_A)) % len(PLACE_B)] + extra + "县"
        )
        counties.append((f"45{1 + i // 60:02d}{1 + i % 60:02d}", county_name))
    return counties


def _units(n: int) -> list[_Unit]:
    """Each county's units: its party committee, its departments and twelve towns."""
    units: list[_Unit] = []
    for ci, (region, county) in enumerate(_counties(n)):
        units.append(
            _Unit(f"{region}000", f"中共{county}委员会", f"{county}委", region, POSTS_COUNTY)
        )
        for j, dept in enumerate(DEPARTMENTS):
            short = county + ABBREVIATIONS.get(dept, dept)
            units.append(_Unit(f"{region}{j + 1:03d}", county + dept, short, region, POSTS_DEPT))
        for j in range(12):  # twelve towns, distinct within the county
            town = PLACE_B[j] + PLACE_A[(j * 7 + ci) % len(PLACE_A)] + "镇"
            full, short = f"{county}{town}人民政府", f"{county}{town}"
            units.append(_Unit(f"{region}{100 + j:03d}", full, short, region, POSTS_TOWN))
    return units


def _profile_units(geo: Geography) -> list[_Unit]:
    """A profile's units of today (not the ones dissolved in 2019), official names first."""
    units: list[_Unit] = []
    for code, spec in geo.specs.items():
        if spec.successor:
            continue
        forms = spec.forms()
        short = next((t for t, f in forms if f == "short"), forms[0][0])
        units.append(_Unit(code, forms[0][0], short, spec.county.code, list(geo.posts[code])))
    return units


def _names(
    rng: np.random.Generator,
    n: int,
    unit_of: np.ndarray,
    surnames: list[str] = SURNAMES,
    dotted: float = 0.0,
) -> list[str]:
    """Names: a few compound surnames and minority names, and homonyms on purpose; a profile
    adds its own surnames and, for a share ``dotted``, names written with a middle dot."""
    compound = rng.random(n) < 0.01
    surname = np.where(
        compound,
        np.array(COMPOUND)[rng.integers(0, len(COMPOUND), n)],
        np.array(surnames)[rng.zipf(1.3, n) % len(surnames)],
    )
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.7, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    names: list[str] = np.char.add(
        np.char.add(surname.astype(str), g1.astype(str)), g2.astype(str)
    ).tolist()
    for k in np.flatnonzero(rng.random(n) < 0.005).tolist():
        names[k] = MINORITY[k % len(MINORITY)]
    if dotted:
        first = rng.integers(0, len(DOTTED_FIRST), n)
        second = rng.integers(0, len(DOTTED_SECOND), n)
        for k in np.flatnonzero(rng.random(n) < dotted).tolist():
            names[k] = f"{DOTTED_FIRST[first[k]]}·{DOTTED_SECOND[second[k]]}"
    # Homonyms on purpose: some cadres share a name with a colleague in the same unit.
    for k in np.flatnonzero(rng.random(n) < 0.01).tolist():
        if k > 0 and unit_of[k - 1] == unit_of[k]:
            names[k] = names[k - 1]
    return names


def roster(
    rng: np.random.Generator, n: int, geo: Geography | None = None
) -> tuple[list[Row], list[Cadre]]:
    """The roster's rows and, for each, the cadre as the generator knows them (of a region
    profile's ``geo``; None: the default profile)."""
    units = _units(n) if geo is None else _profile_units(geo)
    unit_of = rng.integers(0, len(units), n)
    unit_of.sort()
    if geo is None:
        names = _names(rng, n, unit_of)
    else:
        local = list(LOCAL_SURNAMES) if geo.profile.name == "prefecture" else []
        names = _names(rng, n, unit_of, SURNAMES + local, geo.profile.dotted)
    male = rng.random(n) < 0.7
    births = [date(1965, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 365 * 30, n)]
    regions = np.array([units[u].region for u in unit_of])
    ids = id_numbers(rng, regions, births, male)
    cadres: list[Cadre] = []
    rows: list[Row] = []
    for i in range(n):
        unit = units[unit_of[i]]
        post, grade = unit.posts[rng.integers(0, len(unit.posts))]
        start = births[i] + timedelta(days=365 * 30 + int(rng.integers(0, 3000)))
        since = min(start, date(2025, 6, 30))
        cadre = Cadre(f"RY{i + 1:08d}", names[i], ids[i], unit.full, unit.code, unit.short, post, unit.region, since)  # fmt: skip
        cadres.append(cadre)
        rows.append(_row(rng, i, cadre, grade, bool(male[i]), births[i]))
    return rows, cadres


def _row(
    rng: np.random.Generator, i: int, cadre: Cadre, grade: str, male: bool, birth: date
) -> Row:
    """The ``i``-th roster row: a few legacy IDs, 出生年月 in two forms, 女性 beside 女."""
    scope = "市管" if grade.endswith("处") else "县管"
    id_number = cadre.id_number
    return [
        cadre.person_no, cadre.name, "男" if male else ("女性" if i % 17 == 0 else "女"), "汉族", "中共党员",
        id_number if i % 23 else id_number[:6] + id_number[8:17], f"{birth:%Y.%m}" if i % 5 else f"{birth:%Y-%m}",
        cadre.unit_code, cadre.unit, cadre.post, grade, scope, cadre.region, date_text(rng, cadre.since),
        "在职" if i % 41 else "退休", (_UPDATED + timedelta(minutes=i % 1440)).strftime("%Y-%m-%d %H:%M:%S"),
    ]  # fmt: skip


def write_roster(root: Path, rows: list[Row], sink: Sink) -> None:
    """Damage the rows as the defect table says and write them to ``inbox/roster.db``."""
    damage_rows(sink, "roster", 0, rows, ROSTER_COLUMNS)
    ordered = sql_order(rows, (0, 15))
    write_sql(root / "inbox" / "roster.db", "cadre_roster", ROSTER_COLUMNS, ordered, sink)
