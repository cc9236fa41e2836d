"""Property-based, end to end: any mess in any source, in any file kind, several faults per row.

Hypothesis draws small source sets (:mod:`tests.messy`) and runs the whole pipeline through the
command line on each. Whatever it draws, the run ends with exit 0 or a named error (never a
traceback, never an "unexpected" error), every row written is landed or quarantined with exactly
the rules its defects break, and no reporter value appears in any file the run wrote.

``DAJIANDU_PROPERTY_EXAMPLES`` sets how many source sets are tried (a few in ``make test``; the
issue's 500 were run locally with it set). Under CI the examples are derandomised, so a CI run
is repeatable; locally each run draws new ones.
"""

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from orchestration.cli import main
from tests.conftest import files_containing
from tests.messy import REPORTERS, MessyFile, messy_sources, write
from transforms.specs import SPECS
from warehouse.ingest import ingest
from warehouse.sources import load_sources
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("DAJIANDU_PROPERTY_EXAMPLES", "5"))
NAMED = re.compile(
    r"^(ingest_\w+|cadre|link_events|gold|run): (source \w+ \(|\S+ was not published: )"
)


def _lineage(file: MessyFile) -> str:
    if file.kind == "sqlite":
        table = "cadre_roster" if file.source == "roster" else file.source
        return f"sqlite:///inbox/{file.source}/{file.name}#{table}"
    return f"inbox/{file.source}/{file.name}"


def _check_rows(store: Warehouse, source: str, files: list[MessyFile]) -> None:
    bronze = store.scan("bronze", source).select("_source_file", "_source_row").collect()
    quarantine = (
        store.scan("quarantine", source).select("_source_file", "_source_row", "reasons").collect()
    )
    for file in files:
        name = _lineage(file)
        landed = set(bronze.filter(pl.col("_source_file") == name)["_source_row"].to_list())
        held = {
            row: {r["rule"] for r in reasons}
            for row, reasons in quarantine.filter(pl.col("_source_file") == name)
            .select("_source_row", "reasons")
            .iter_rows()
        }
        expected_landed = {n for n, row in file.written_rows.items() if not row.rules}
        expected_held = {n: row.rules for n, row in file.written_rows.items() if row.rules}
        where = f"{source} {file.kind} {file.name}"
        odd = {n: (file.written_rows[n].rules, file.written_rows[n].values)
               for n in landed ^ expected_landed if n in file.written_rows}  # fmt: skip
        assert landed == expected_landed, (where, landed, expected_landed, odd)
        assert held == expected_held, (where, held, expected_held)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=messy_sources())
def test_any_mess_lands_or_is_quarantined_with_every_reason_and_leaks_nothing(
    files: list[MessyFile],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = write(files, root / "src")
        warehouse = root / "warehouse"
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                ["run", "--sources", str(sources), "--warehouse", str(warehouse), "--quiet"]
            )
        text = err.getvalue()
        assert code in (0, 1), text
        assert "Traceback" not in text and " unexpected " not in text, text
        failures = text.split("the last good warehouse is unchanged\n", 1)[-1] if code else ""
        failed_lines = [
            line
            for line in failures.splitlines()
            if line and not line.startswith((" ", "quality:", "full log:"))
        ]
        for line in failed_lines:
            assert NAMED.match(line), line
        store = Warehouse(warehouse)
        for source in sorted({f.source for f in files}):
            if not store.exists("bronze", source):
                # A failed run publishes no table (one swap). A source whose own step did not
                # fail is landed on its own, as its step does, and its rows checked all the same.
                if any(line.startswith(f"ingest_{source}:") for line in failed_lines):
                    continue
                assert code == 1, text
                ingest(SPECS[source], load_sources(sources)[source], store)
            _check_rows(store, source, [f for f in files if f.source == source])
        values = [v for reporter in REPORTERS for v in reporter if v]
        assert files_containing(warehouse, values) == {}
