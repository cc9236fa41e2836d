"""One asset per layer, materialised alone in-process (``dg.materialize``) with test resources:
bronze from a fresh warehouse, silver/cadre beside an existing bronze, gold on a warehouse that
has silver — and gold held back when one of its invariants is broken on purpose."""

import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets import gold as gold_module
from assets.bronze import bronze_assets
from assets.gold import gold_assets
from assets.resources import GXResource, RunSettings, SourcesResource, WarehouseResource
from assets.silver import cadre
from transforms.specs import SANCTION
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow


def _resources(sources: Path, warehouse: Path) -> dict[str, object]:
    # The real resources, pointed at tmp_path; no Data Docs pages (nothing reads them here).
    return {
        "sources": SourcesResource(path=str(sources / "sources.yaml")),
        "warehouse": WarehouseResource(root=str(warehouse)),
        "settings": RunSettings(as_of="2025-12-31"),
        "gx": GXResource(data_docs=False),
    }


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {"/".join(e.asset_key.path) for e in result.get_asset_materialization_events()}


def test_one_bronze_asset_lands_its_source_alone(generated: Path, tmp_path: Path) -> None:
    result = dg.materialize([bronze_assets(SANCTION)], resources=_resources(generated, tmp_path))
    assert result.success
    assert _materialized(result) == {"bronze/sanction", "quarantine/sanction"}
    assert {p.name for p in (tmp_path / "bronze").iterdir()} == {"sanction"}
    meta = next(
        e for e in result.get_asset_materialization_events() if e.asset_key.path[0] == "bronze"
    )
    columns = meta.materialization.metadata["dagster/column_schema"].value.columns  # type: ignore[union-attr]
    assert {"决定日期", "_source_file", "month"} <= {c.name for c in columns}


def test_silver_cadre_alone_reads_the_published_roster(
    baseline: Path, generated: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    before = {t: (warehouse / "silver" / t).resolve() for t in ("cadre", "cadre_post")}
    result = dg.materialize([cadre], resources=_resources(generated, warehouse))
    assert result.success and _materialized(result) == {"silver/cadre", "silver/cadre_post"}
    # same roster and post history, same versions
    assert {t: (warehouse / "silver" / t).resolve() for t in before} == before
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["rows_roster_present"] and checks["gx_expectations"]


def test_gold_alone_and_a_broken_invariant_holds_it(
    baseline: Path, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    result = dg.materialize([gold_assets], resources=_resources(generated, warehouse))
    from quality.suites import GOLD_SUITES  # one suite per gold table

    assert result.success and _materialized(result) == set(GOLD_SUITES) and len(GOLD_SUITES) == 11
    good = {p.name: p.resolve() for p in (warehouse / "gold").iterdir()}

    real = gold_module.gold_tables

    def wrong_warnings(*args, **kwargs):  # type: ignore[no-untyped-def]
        # A warning that cites a record nobody has: the kind of bug a rule change could bring.
        for name, table in real(*args, **kwargs):
            if name == "warning":
                bogus = table.head(1).with_columns(pl.lit(["no|such|event|0"]).alias("event_ids"))
                table = pl.concat([table, bogus.with_columns(pl.lit("W-BOGUS").alias("rule_id"))])
            yield name, table

    monkeypatch.setattr(gold_module, "gold_tables", wrong_warnings)
    settings = _resources(generated, warehouse) | {"settings": RunSettings(as_of="2025-06-30")}
    held = dg.materialize([gold_assets], resources=settings, raise_on_error=False)
    assert not held.success
    failure = held.get_step_failure_events()[0].step_failure_data.error
    assert (
        failure is not None
        and "gold/warning" in failure.message
        and "events.exist" in failure.message
    )
    assert {p.name: p.resolve() for p in (warehouse / "gold").iterdir()} == good  # last good gold
    store = Warehouse(warehouse)
    assert (
        store.scan("gold", "warning").filter(pl.col("rule_id") == "W-BOGUS").collect().height == 0
    )
    assert not list((warehouse / ".versions" / "gold").glob("*/.staging-*"))
