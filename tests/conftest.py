"""Shared fixtures: generated sample sources (small, made once per session) and a pipeline runner."""

import contextlib
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from orchestration.runner import RunOutcome, run_pipeline
from transforms.event_links import LinkedEvents
from warehouse import clock
from warehouse.samples import generate
from warehouse.store import Warehouse

# One date for the whole session, passed on to xdist's workers and to every child process: a
# session that crossed midnight built its baseline on one day and reran it on the next, and every
# dated gold table differed (CI, test_a_rotten_file_is_found_named_and_rebuilt).
os.environ.setdefault(clock.ENV, clock.today().isoformat())

SMALL = 300  # cadres: enough for every kind of mess the generator injects, fast to run


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated sources (sources.yaml, inbox/, truth/); treat it as read-only."""
    out = tmp_path_factory.mktemp("sources")
    generate(out, cadres=SMALL, seed=11)
    return out


@pytest.fixture
def sources(generated: Path, tmp_path: Path) -> Path:
    """A private copy of the generated sources, for tests that break them."""
    copy = tmp_path / "sources"
    shutil.copytree(generated, copy)
    return copy


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """``folder`` mounted as a tmpfs of ``size`` (``4m``), unmounted after (lazily: busy or not).
    Without root the test skips with the reason; under CI it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must be able to mount a small tmpfs: {mounted.stderr.decode()}")
        pytest.skip("a small file system to fill needs root (mount -t tmpfs)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def run(sources_dir: Path, warehouse: Path) -> RunOutcome:
    return run_pipeline(sources_dir / "sources.yaml", warehouse, log_level="WARNING")


@pytest.fixture(scope="session")
def baseline(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one good run on the generated sources (copy it before changing it)."""
    warehouse = tmp_path_factory.mktemp("baseline") / "warehouse"
    outcome = run(generated, warehouse)
    assert outcome.success, outcome.failure
    return warehouse


def linked_whole(linked: LinkedEvents, store: Warehouse) -> pl.DataFrame:
    """What a linking pass stages as ``silver/supervision_event``: its events and the partitions
    of the sources it kept as they were, from the table it kept them from (``store``'s current)."""
    from transforms.event_links import EVENT_OUTPUT

    kept = store.scan("silver", "supervision_event").filter(pl.col("source").is_in(linked.carried))
    return pl.concat([linked.events, kept.select(EVENT_OUTPUT).collect()]).sort(
        "source", "_source_file", "_source_row", "subject_index"
    )


def readable_text(file: Path) -> str:
    """What a file holds, as text a search can see: Parquet decoded (its pages are compressed),
    anything else (SQLite run storage, logs, HTML, JSON) as bytes read as UTF-8."""
    if file.suffix == ".parquet":
        try:
            return pl.read_parquet(file).write_ndjson()
        except (pl.exceptions.PolarsError, OSError):
            pass  # damaged on purpose by a test: search its raw bytes
    return file.read_bytes().decode("utf-8", "replace")


def files_containing(root: Path, values: list[str]) -> dict[str, list[str]]:
    """Every file under ``root`` (links not followed) holding any of ``values``, as written or
    width-normalised (NFKC: full-width digits as ASCII), with the values found."""
    hits: dict[str, list[str]] = {}
    for file in (p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        text = readable_text(file)
        text += "\n" + unicodedata.normalize("NFKC", text)
        found = [v for v in values if v in text]
        if found:
            hits[str(file)] = found
    return hits


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium for the browser tests: skipped with the reason where it is missing, a
    failure under CI (``.ci/run`` installs it)."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium) — browser test skipped")
    return CHROMIUM
