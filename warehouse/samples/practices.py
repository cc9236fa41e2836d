"""What the practices of issue #24 need in the samples, planted with their truth (``truth/
practices.csv``): quarterly 督查 scores with missing quarters, two cadres tied at the bottom of
their unit two years running, three-year 优秀 streaks, and measures whose influence periods end
around the demo's date (late 2026).

Opt-in (``generate(practices=True)``, ``dajiandu generate --practices``; ``dajiandu demo`` turns
it on): the default files keep their bytes. Every draw comes from the streams given here, never
from the generator's main stream.
"""

from datetime import date

import numpy as np
import polars as pl

from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import YEARS

_SAFE_FROM = 60
"""The first lines of each assessment file may be damaged by defects (50): planted cases start
after them, so a damaged row never hides one."""

QUARTER_YEARS = (2024, 2025)
BOTTOM = 40.0
"""The tied cadres' 综合得分 and 督考联动得分: below every drawn score (60–99, 50–100)."""


def _units(cadres: list[Cadre]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for n, cadre in enumerate(cadres):
        if n >= _SAFE_FROM:
            out.setdefault(cadre.unit, []).append(n)
    return out


def plant_assessments(
    rng: np.random.Generator, cadres: list[Cadre], frame: pl.DataFrame, sink: Sink
) -> pl.DataFrame:
    """``frame`` (the assessments) with the practices' cases planted, each written to the truth:

    - quarterly 督查 scores (督考联动得分 on ``平时考核`` rows of 2024 and 2025) for one cadre in
      ten, a quarter missing for one of every four of them (``quarters``);
    - two cadres of a unit with the lowest equal scores in 2024 and 2025 (``bottom_tie``: both
      ranked last, both on the consecutive bottom-rank warning), in ``len // 400`` units (≥ 2);
    - one cadre in a hundred 优秀 every year (``streak``: 记三等功 for the last year).
    """
    n = len(cadres)
    units = [u for u, members in _units(cadres).items() if len(members) >= 4]
    tied: list[int] = []
    for unit in units[: max(2, n // 400)]:
        tied += _units(cadres)[unit][-2:]
    free = [i for i in range(_SAFE_FROM, n) if i not in set(tied)]
    picks = rng.permutation(free)
    streak = sorted(int(i) for i in picks[: max(3, n // 100)])
    quarterly = sorted(int(i) for i in picks[max(3, n // 100) : max(3, n // 100) + max(8, n // 10)])
    person = [c.person_no for c in cadres]
    tied_no = {person[i] for i in tied}
    streak_no = {person[i] for i in streak}
    annual = pl.col("考核类型") == "年度考核"
    frame = frame.with_columns(
        pl.when(annual & pl.col("人员编号").is_in(list(streak_no)))
        .then(pl.lit("优秀"))
        .otherwise(pl.col("考核等次"))
        .alias("考核等次"),
        *(
            pl.when(annual & pl.col("人员编号").is_in(list(tied_no))
                    & pl.col("考核年度").is_in(list(QUARTER_YEARS)))
            .then(pl.lit(BOTTOM)).otherwise(pl.col(c)).alias(c)
            for c in ("综合得分", "督考联动得分")
        ),
    )  # fmt: skip
    rows = []
    for k, i in enumerate(quarterly):
        missing = int(rng.integers(1, 5)) if k % 4 == 0 else 0
        for year in QUARTER_YEARS:
            present = [q for q in range(1, 5) if q != missing]
            scores = np.round(rng.uniform(50, 100, len(present)), 1)
            for q, score in zip(present, scores, strict=True):
                rows.append({"人员编号": person[i], "姓名": cadres[i].name, "考核年度": year,
                             "考核类型": "平时考核", "考核周期": f"{year}Q{q}",
                             "考核等次": "较好", "督考联动得分": float(score)})  # fmt: skip
            mean = round(float(np.mean(scores)), 2)
            sink.practices.append(("quarters", person[i], year, f"{len(present)}/4 mean {mean}"))
    planted = pl.DataFrame(rows, schema_overrides={"考核年度": pl.Int64})
    # A cadre planted here has no other 平时考核 row of those years (the key is 人员编号, 类型, 周期).
    keep = frame.filter(
        ~(
            (pl.col("考核类型") == "平时考核")
            & pl.col("人员编号").is_in(planted["人员编号"].unique().to_list())
            & pl.col("考核年度").is_in(list(QUARTER_YEARS))
        )
    )
    for i in tied:
        for year in QUARTER_YEARS:
            sink.practices.append(
                ("bottom_tie", person[i], year, f"{cadres[i].unit} from_bottom 1")
            )
    for i in streak:
        sink.practices.append(("streak", person[i], YEARS[-1], f"记三等功 {YEARS[0]}—{YEARS[-1]}"))
    return pl.concat([keep, planted], how="diagonal_relaxed")


FOLLOWED = (
    # (处理类别, 处理措施, decision date, period end): ends before, around and after 2026-12-06.
    ("组织处理", "诫勉", date(2025, 9, 15), date(2026, 3, 15)),
    ("政务处分", "记过", date(2025, 12, 20), date(2026, 12, 20)),
    ("问责", "调整职务", date(2026, 1, 15), date(2027, 1, 15)),
    ("党纪处分", "警告", date(2025, 3, 10), date(2026, 3, 10)),
)


def followed_sanctions(rng: np.random.Generator, cadres: list[Cadre], sink: Sink) -> list[Row]:
    """Measures whose influence periods end in the demo's window (2026), ``len // 250`` of them
    (≥ 4), each linked by its 人员编号 and written to the truth (``followup``, the period end)."""
    picks = rng.choice(
        np.arange(_SAFE_FROM, len(cadres)), max(4, len(cadres) // 250), replace=False
    )
    rows: list[Row] = []
    for k, i in enumerate(sorted(int(p) for p in picks)):
        cadre = cadres[i]
        klass, measure, decided, until = FOLLOWED[k % len(FOLLOWED)]
        organ = "县纪委监委" if klass in ("党纪处分", "政务处分") else "县委组织部"
        row: Row = [cadre.name, None, cadre.person_no, klass, measure, None, decided.isoformat(),
                    organ, f"{cadre.name}履职不力{k}", None]  # fmt: skip
        key = f"{cadre.person_no}/{measure}/{decided}"
        sink.link(row, "sanction", key, cadre.name, cadre, sink.evidence(cadre, key=True))
        sink.practices.append(("followup", cadre.person_no, until.year, until.isoformat()))
        rows.append(row)
    return rows
