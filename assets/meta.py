"""What every asset declares about itself: its group, owner, code version and table schema.

The code version is the fingerprint of the modules that compute the table
(:func:`warehouse.fingerprint.code_fingerprint`): when it changes, Dagster shows the asset as
stale until it is materialised again. The schema is read from the table as it was written.
"""

from collections.abc import Sequence
from types import ModuleType

import dagster as dg
import polars as pl

from warehouse.fingerprint import code_fingerprint
from warehouse.store import StagedTable

OWNERS = ["team:dajiandu-data"]
"""Who answers for the tables: the data engineering team running the platform."""


def asset_spec(
    key: dg.AssetKey | Sequence[str],
    description: str,
    modules: Sequence[ModuleType],
    deps: Sequence[dg.AssetKey] = (),
) -> dg.AssetSpec:
    """The spec of one warehouse table: group by layer, owner, code version, Polars and Parquet."""
    asset_key = dg.AssetKey(list(key)) if not isinstance(key, dg.AssetKey) else key
    return dg.AssetSpec(
        asset_key,
        description=description,
        deps=list(deps),
        group_name=asset_key.path[0],
        kinds={"polars", "parquet"},
        owners=OWNERS,
        tags={"layer": asset_key.path[0]},
        code_version=code_fingerprint(*modules),
    )


def _column_type(dtype: pl.DataType) -> str:
    return str(dtype).lower()


def schema_metadata(staged: StagedTable) -> dict[str, object]:
    """``dagster/column_schema`` of a written table, from its Parquet schema (partition key
    included), for the materialisation's metadata."""
    schema = staged.scan().collect_schema()
    columns = [dg.TableColumn(name, _column_type(dtype)) for name, dtype in schema.items()]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}
