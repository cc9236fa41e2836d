"""Dagster resources: where the sources are described and where the warehouse lives."""

from datetime import date
from pathlib import Path

import dagster as dg

from warehouse.rules import DEFAULT_RULES
from warehouse.sources import SourceConfig, load_sources
from warehouse.store import Warehouse


class SourcesResource(dg.ConfigurableResource):
    """The deployment's ``sources.yaml``."""

    path: str

    def load(self) -> dict[str, SourceConfig]:
        return load_sources(self.path)

    def decisions_path(self) -> Path:
        """Reviewed link decisions live next to ``sources.yaml``."""
        return Path(self.path).parent / "link_decisions.csv"


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse root (bronze, quarantine, silver, gold, reports)."""

    root: str

    def store(self) -> Warehouse:
        return Warehouse(self.root)


class RunSettings(dg.ConfigurableResource):
    """Per-run settings: the date rules are evaluated at (``--as-of``; empty means today) and the
    folder of rule files (empty means the rules shipped in ``warehouse/rules``)."""

    as_of: str = ""
    rules_dir: str = ""

    def rules_folder(self) -> Path:
        return Path(self.rules_dir) if self.rules_dir else DEFAULT_RULES

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()
