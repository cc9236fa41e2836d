"""Dagster resources: where the sources are described and where the warehouse lives."""

from datetime import date

import dagster as dg

from warehouse.sources import SourceConfig, load_sources
from warehouse.store import Warehouse


class SourcesResource(dg.ConfigurableResource):
    """The deployment's ``sources.yaml``."""

    path: str

    def load(self) -> dict[str, SourceConfig]:
        return load_sources(self.path)


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse root (bronze, quarantine, silver, gold, reports)."""

    root: str

    def store(self) -> Warehouse:
        return Warehouse(self.root)


class RunSettings(dg.ConfigurableResource):
    """Per-run settings: the date rules are evaluated at (``--as-of``; empty means today)."""

    as_of: str = ""

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()
