"""S5 考核结果 (assessments): one JSONL file per year, every cadre's 年度考核 and, in 2025, a
quarter of them with four 平时考核. The first 50 lines of a file are written object by object
(empty fields left out, as the upstream system does); those are the ones a defect can damage."""

from pathlib import Path

import numpy as np
import orjson
import polars as pl

from warehouse.samples.columns import ASSESSMENT_COLUMNS
from warehouse.samples.injection import damage_lines
from warehouse.samples.models import Cadre
from warehouse.samples.truth import Sink
from warehouse.samples.vocabulary import YEARS
from warehouse.samples.writers import lineage_name, write_jsonl

_BY_HAND = 50  # lines written one object at a time, at the top of each file


def _annual(
    rng: np.random.Generator, year: int, person_no: pl.Series, name: pl.Series
) -> pl.DataFrame:
    """Every cadre's 年度考核 of ``year``: 合格 beside the five grades, rates in two forms."""
    n = len(person_no)
    grades = np.array(["优秀", "称职", "基本称职", "不称职", "不定等次", "合格"])
    g = grades[rng.choice(6, n, p=[0.18, 0.74, 0.04, 0.01, 0.01, 0.02])]
    score = np.round(rng.uniform(60, 99, n), 1)
    rate = rng.uniform(0, 1, n)
    return pl.DataFrame(
        {
            "人员编号": person_no,
            "姓名": name,
            "考核年度": year,
            "考核类型": "年度考核",
            "考核周期": str(year),
            "考核等次": g,
            "综合得分": score,
            "民主测评优秀率": np.where(
                rng.random(n) < 0.5,
                np.char.add(np.round(rate * 100, 1).astype(str), "%"),
                np.round(rate, 3).astype(str),
            ),
            "督考联动得分": np.round(rng.uniform(50, 100, n), 1),
            "单位内排名": rng.integers(1, 30, n),
            "单位人数": 30,
        }  # fmt: skip
    )


def _quarterly(
    rng: np.random.Generator, person_no: pl.Series, name: pl.Series
) -> list[pl.DataFrame]:
    """The 2025 平时考核 of a quarter of the cadres, one frame per quarter."""
    quarterly = rng.random(len(person_no)) < 0.25
    return [
        pl.DataFrame(
            {
                "人员编号": person_no.filter(quarterly),
                "姓名": name.filter(quarterly),
                "考核年度": 2025,
                "考核类型": "平时考核",
                "考核周期": f"2025Q{q}",
                "考核等次": np.array(["好", "较好", "一般", "较差"])[
                    rng.choice(4, int(quarterly.sum()), p=[0.4, 0.45, 0.12, 0.03])
                ],
            }  # fmt: skip
        )
        for q in range(1, 5)
    ]


def assessments(rng: np.random.Generator, cadres: list[Cadre]) -> pl.DataFrame:
    """All assessments, annual ones first (their fields are :data:`ASSESSMENT_COLUMNS`)."""
    person_no = pl.Series([c.person_no for c in cadres])
    name = pl.Series([c.name for c in cadres])
    frames = [_annual(rng, year, person_no, name) for year in YEARS]
    return pl.concat([*frames, *_quarterly(rng, person_no, name)], how="diagonal_relaxed")


def write_assessments(root: Path, frame: pl.DataFrame, sink: Sink) -> None:
    """One JSONL file per year, the table's defects written into its first lines."""
    for n, year in enumerate(YEARS):
        file = root / "inbox" / "assessments" / f"{year}年考核结果.jsonl"
        part = frame.filter(pl.col("考核年度") == year)
        head = [
            {k: v for k, v in row.items() if v is not None}
            for row in part.head(_BY_HAND).iter_rows(named=True)
        ]
        lines = [orjson.dumps(obj).decode() for obj in head]
        damage_lines(sink, "assessment", n, head, lines, ASSESSMENT_COLUMNS)
        sink.place(head, lineage_name(root, file), 1)
        write_jsonl(file, lines, part.slice(_BY_HAND).write_ndjson())
