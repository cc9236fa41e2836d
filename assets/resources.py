"""Dagster resources: where the sources are described and where the warehouse lives."""

from datetime import date
from pathlib import Path

import dagster as dg

from quality import gx_runner
from quality.gx_runner import GXEngine
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
    accept_drop: str = ""
    """Sources (comma-separated) whose row drop below half of the previous run is expected."""
    serving_url: str = ""
    """The serving database (``postgresql+psycopg://…``, ``${VAR}`` read from the environment);
    empty means ``serving.db`` (SQLite) in the warehouse."""
    serving_schema: str = "dajiandu"
    """The PostgreSQL schema the serving tables are published into."""

    def rules_folder(self) -> Path:
        return Path(self.rules_dir) if self.rules_dir else DEFAULT_RULES

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()

    def drop_accepted(self, source: str) -> bool:
        return source in {s.strip() for s in self.accept_drop.split(",") if s.strip()}


class GXResource(dg.ConfigurableResource):
    """Great Expectations 1.x, run in the step's process (``dagster-ge`` supports GX < 1 only).

    GX is imported on first use and kept for the life of the process, so a run pays the import
    once, not once per table.
    """

    data_docs: bool = True
    """Render GX Data Docs pages for every validation into the quality report."""

    def engine(self) -> GXEngine:
        return gx_runner.engine()
