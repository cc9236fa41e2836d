"""Issue #24 end to end: sources generated with the practices' cases planted
(``generate(practices=True)``), one pipeline run, and gold and a scope's lists checked against
``truth/practices.csv``. The rules themselves are checked row by row in ``test_rule_rows.py``.
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl
import pytest

from orchestration.runner import run_pipeline
from tests.conftest import SMALL
from transforms.scope import Scope
from warehouse.publish.bundle import write_bundle
from warehouse.samples import generate
from warehouse.store import Warehouse

AS_OF = "2026-12-06"
"""Pinned: the bottom-rank rule looks at the two years before the as-of year (2024, 2025)."""
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Warehouse]:
    out = tmp_path_factory.mktemp("practices")
    generate(out / "sources", cadres=SMALL, seed=11, practices=True)
    outcome = run_pipeline(out / "sources" / "sources.yaml", out / "warehouse", as_of=AS_OF,
                           log_level="WARNING")  # fmt: skip
    assert outcome.success, outcome.failure
    return out, Warehouse(out / "warehouse")


def _truth(out: Path, kind: str) -> pl.DataFrame:
    truth = pl.read_csv(out / "sources" / "truth" / "practices.csv",
                        schema_overrides={"year": pl.Int32})  # fmt: skip
    return truth.filter(pl.col("kind") == kind)


def test_planted_quarters_give_the_years_supervision_result(
    planted: tuple[Path, Warehouse],
) -> None:
    # Why: the 督查 result of a year with quarterly scores is their mean over the quarters present
    # (a missing quarter neither helps nor harms: mean_of_present), not the annual row's score.
    out, store = planted
    truth = _truth(out, "quarters").with_columns(
        pl.col("expected").str.extract(r"^(\d)/4", 1).cast(pl.Int32).alias("n"),
        pl.col("expected").str.extract(r"mean ([\d.]+)", 1).cast(pl.Float64).alias("mean"),
    )
    assert (truth["n"] < 4).any() and (truth["n"] == 4).any()  # missing quarters are planted
    got = truth.join(store.scan("gold", "assessment_composite").collect(), on=["person_no", "year"])
    assert got.height == truth.height
    assert (got["quarters"] == got["n"]).all()
    assert ((got["supervision"] - got["mean"]).abs() <= 0.011).all()


def test_cadres_tied_last_two_years_are_both_warned(planted: tuple[Path, Warehouse]) -> None:
    # Why: ties at the bottom share the last place; the rule cannot pick one by row order.
    out, store = planted
    truth = _truth(out, "bottom_tie")
    got = truth.join(store.scan("gold", "assessment_composite").collect(), on=["person_no", "year"])
    assert got.height == truth.height and (got["from_bottom"] == 1).all()
    ties = got.group_by("unit", "year").agg(pl.col("rank").n_unique().alias("ranks"))
    assert (ties["ranks"] == 1).all()  # the two of a unit share their rank
    warned = store.scan("gold", "warning").filter(pl.col("rule_id") == "W-YEL-BOTTOM").collect()
    assert set(truth["person_no"]) <= set(warned["person_no"])
    assert (warned["kind"] == "bottom_rank").all() and (warned["events"] == 2).all()


def test_three_years_of_excellence_bring_a_third_class_merit(
    planted: tuple[Path, Warehouse],
) -> None:
    out, store = planted
    truth = _truth(out, "streak")
    awards = (
        store.scan("gold", "cadre_profile").select("person_no", "commendations").collect()
        .explode("commendations").drop_nulls().unnest("commendations")
    )  # fmt: skip
    merit = awards.filter(pl.col("award") == "记三等功")
    assert truth.join(merit, on=["person_no", "year"], how="anti").is_empty()
    assert (merit["years"] == "2023—2025").all()


def test_followed_measures_carry_their_period_end(planted: tuple[Path, Warehouse]) -> None:
    # Why: the register follows each measure to the end of its period; one ending after the
    # as-of date has days to go and cannot be re-used yet.
    out, store = planted
    truth = _truth(out, "followup").with_columns(pl.col("expected").str.to_date().alias("end"))
    followup = store.scan("gold", "sanction_followup").collect()
    got = truth.join(followup, left_on=["person_no", "end"], right_on=["person_no", "period_end"])
    assert got["person_no"].n_unique() == truth["person_no"].n_unique()
    running = got.filter(pl.col("end") > pl.lit(AS_OF).str.to_date())
    assert running.height and not running["reusable"].any() and (running["days_to_go"] > 0).all()


def test_each_scope_bundle_holds_the_three_lists(
    planted: tuple[Path, Warehouse], tmp_path: Path
) -> None:
    _, store = planted
    scope = Scope.parse("县管/450101")
    result = write_bundle(store, scope, tmp_path, NOW, pdfs=False)
    excel = result.path / "excel"
    heads = {}
    for name in ("考核排名靠后名单", "影响期跟踪名单", "表彰奖励资格名单"):
        sheet = openpyxl.load_workbook(excel / f"{name}.xlsx").active
        assert sheet is not None
        heads[name] = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "排名情况" in heads["考核排名靠后名单"]
    assert {"影响期截止", "剩余天数", "可重新使用", "条件及依据"} <= set(heads["影响期跟踪名单"])
    assert {"奖励", "依据"} <= set(heads["表彰奖励资格名单"])
    # Only the scope's cadres: every 人员编号 of a list is one of the scope's.
    cadres = set(
        store.scan("silver", "cadre")
        .filter(scope.expr())
        .select("person_no")
        .collect()["person_no"]
    )
    follow = pl.read_csv(excel / "影响期跟踪名单.csv", schema_overrides={"人员编号": pl.String})
    assert set(follow["人员编号"]) <= cadres
    roster = pl.read_csv(excel / "干部名单.csv", infer_schema=False)
    assert roster["督考联动综合得分"].drop_nulls().str.contains("综合").all()
