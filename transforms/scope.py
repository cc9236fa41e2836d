"""A scope (权限范围): the cadres one organisation department manages — 管理权限 and region.

A scope is written ``县管/450321``: a 管理权限 (省管 / 市管 / 县管) and a 6-digit GB/T 2260 region
code (行政区划代码). The code decides how far the region reaches:

- a county code (last two digits not ``00``, e.g. ``450321``) is that county alone;
- a city code (``4503`` + ``00``) is the whole city: every code that starts with ``4503``, the
  city's own districts and counties included;
- a province code (``45`` + ``0000``) is the whole province: every code starting with ``45``.

So ``市管/450300`` holds every 市管 cadre of the city's counties, and ``县管/450300`` every 县管
cadre of them. The 管理权限 always matches exactly.
"""

import re
from dataclasses import dataclass

import polars as pl

LEVELS = ("省管", "市管", "县管")
LEVEL_KEYS = {"省管": "province", "市管": "city", "县管": "county"}
"""ASCII names of the levels, for Dagster asset keys (which allow ``[A-Za-z0-9_]`` only)."""

_REGION = re.compile(r"^\d{6}$")


class ScopeError(ValueError):
    """A scope that cannot be understood; the message names it and the expected form."""


@dataclass(frozen=True, order=True)
class Scope:
    """One 管理权限 and one region code (a county, a city or a province)."""

    level: str
    region: str

    @classmethod
    def parse(cls, text: str) -> "Scope":
        """``县管/450321`` → ``Scope("县管", "450321")``.

        Raises:
            ScopeError: not ``管理权限/行政区划代码`` with a known level and a 6-digit code.
        """
        parts = str(text).strip().replace("／", "/").split("/")
        if len(parts) != 2:
            raise ScopeError(
                f"scope {text!r}: expected 管理权限/行政区划代码, e.g. 县管/450321 or 市管/450300"
            )
        level, region = parts[0].strip(), parts[1].strip()
        if level not in LEVELS:
            raise ScopeError(f"scope {text!r}: 管理权限 must be one of {'、'.join(LEVELS)}")
        if not _REGION.match(region) or region == "000000":
            raise ScopeError(f"scope {text!r}: 行政区划代码 must be 6 digits, e.g. 450321")
        return cls(level, region)

    @property
    def prefix(self) -> str:
        """The start every covered region code shares (``4503`` for the city ``450300``)."""
        if self.region.endswith("0000"):
            return self.region[:2]
        if self.region.endswith("00"):
            return self.region[:4]
        return self.region

    @property
    def kind(self) -> str:
        """县级, 市级 or 省级: how far the region reaches."""
        return {2: "省级", 4: "市级"}.get(len(self.prefix), "县级")

    @property
    def label(self) -> str:
        return f"{self.level}/{self.region}"

    @property
    def slug(self) -> str:
        """A folder name: ``县管-450321``."""
        return f"{self.level}-{self.region}"

    @property
    def key(self) -> str:
        """An ASCII name for asset keys: ``county_450321``."""
        return f"{LEVEL_KEYS[self.level]}_{self.region}"

    def describe(self, name: str | None = None) -> str:
        """What the scope holds, in words an officer reads; ``name`` is the region's name
        (GB/T 2260), shown with the code beside it."""
        where = f"{name}（{self.region}）" if name else self.region
        if self.kind == "县级":
            return f"{self.level}干部，行政区划 {where}"
        return f"{self.level}干部，行政区划 {where} 及其所辖各地（代码以 {self.prefix} 开头）"

    def covers(self, level: str | None, region: str | None) -> bool:
        """Whether a cadre with this 管理权限 and region is in the scope."""
        return level == self.level and region is not None and region.startswith(self.prefix)

    def expr(self, level: str = "scope_level", region: str = "region") -> pl.Expr:
        """The scope as a filter on the columns ``level`` and ``region`` (null is outside)."""
        return (
            (pl.col(level) == self.level)
            & pl.col(region).str.starts_with(self.prefix)
            & (pl.col(region).str.len_chars() == 6)
        ).fill_null(False)


def scope_counts(cadres: pl.LazyFrame) -> pl.DataFrame:
    """The scopes the roster holds at county grain (管理权限, region, cadres), sorted."""
    return (
        cadres.group_by("scope_level", "region")
        .agg(pl.len().alias("cadres"))
        .sort("scope_level", "region", nulls_last=True)
        .collect()
    )


def scopes_in(cadres: pl.LazyFrame) -> str:
    """A short list of the county-grain scopes present, with their counts (for error messages)."""
    counts = scope_counts(cadres)
    shown = [
        f"{level}/{region} ({n:,})" for level, region, n in counts.head(12).iter_rows() if region
    ]
    more = f" and {counts.height - 12:,} more" if counts.height > 12 else ""
    return ", ".join(shown) + more if shown else "none (the roster is empty)"
