"""A failed run says exactly what it published (issue 23, point 5).

The run publishes every layer in one swap (``warehouse.store.RunSnapshot``), checks free space
before it writes anything and again before the swap, and a failed run's message is checked
here against every table's link before and after, and against the serving database and catalog
bytes. The probes on a full disk use a small tmpfs (root; CI runs them)."""

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import main
from tests.conftest import SMALL, small_tmpfs
from warehouse.samples import generate

pytestmark = pytest.mark.slow

LAYERS = ("bronze", "quarantine", "silver", "gold")
PRODUCTS = ("serving.db", "catalog.duckdb")


def _run(capsys: pytest.CaptureFixture[str], sources: Path, warehouse: Path) -> tuple[int, str]:
    code = main(["run", "--sources", str(sources / "sources.yaml"), "--warehouse", str(warehouse),
                 "--quiet"])  # fmt: skip
    return code, capsys.readouterr().err


def _links(warehouse: Path) -> dict[str, str]:
    """Every table's current version, read the way any reader reads it (either layout)."""
    return {f"{layer}/{link.name}": link.resolve().name
            for layer in LAYERS if (warehouse / layer).is_dir()
            for link in sorted((warehouse / layer).iterdir()) if not link.name.startswith(".")}  # fmt: skip


def _products(warehouse: Path) -> dict[str, tuple[int, int, str]]:
    """The serving database and the catalog as written: each is built beside the old file and
    renamed over it, so a new one is a new inode even with the same bytes."""
    out = {}
    for name in PRODUCTS:
        file = warehouse / name
        if file.is_file():
            stat = file.stat()
            out[name] = (
                stat.st_ino,
                stat.st_mtime_ns,
                hashlib.sha256(file.read_bytes()).hexdigest(),
            )
    return out


def _assert_the_message_is_true(err: str, warehouse: Path, links: dict[str, str],
                                products: dict[str, tuple[int, int, str]]) -> None:  # fmt: skip
    """What the failed run says it published is what changed, table by table."""
    new = sorted(t for t, v in _links(warehouse).items() if links.get(t) != v)
    changed = sorted(n for n, h in _products(warehouse).items() if products.get(n) != h)
    if "the last good warehouse is unchanged" in err:
        assert new == [] and changed == [], (new, changed, err)
        return
    listed = re.search(r"new: \d+ of \d+ table\(s\), made current together: (.*)", err)
    assert sorted(listed.group(1).split(", ") if listed else []) == new, err
    said_new = re.search(r"\n  new: (?!\d+ of)(.*)", err)
    said = said_new.group(1) if said_new else ""
    assert ("serving database" in said) == ("serving.db" in changed), (said, changed)
    assert ("catalog" in said) == ("catalog.duckdb" in changed), (said, changed)


def _drop_one_sanction(sources: Path) -> None:
    """A new export of the sanctions: one line fewer, so bronze/sanction gets a new version."""
    file = sources / "inbox" / "sanctions" / "处分决定_2.csv"
    data = file.read_bytes().rstrip(b"\r\n")  # GB18030: cut bytes, not text
    file.write_bytes(data[: data.rindex(b"\n") + 1])


def test_a_run_that_fails_publishes_no_table(
    baseline: Path, sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # The roster is gone, the sanctions changed: every other source landed and was published
    # (bronze/sanction anew) while the run said "the last good warehouse is unchanged". Now
    # nothing is published before every table of the run has passed, so the message is true.
    warehouse = tmp_path / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    links, products = _links(warehouse), _products(warehouse)
    _drop_one_sanction(sources)
    (sources / "inbox" / "roster.db").unlink()
    code, err = _run(capsys, sources, warehouse)
    assert code == 1 and "ingest_roster: source roster" in err
    assert "the last good warehouse is unchanged" in err
    assert _links(warehouse) == links and _products(warehouse) == products
    assert not list(warehouse.glob(".versions/*/*/.staging-*"))
    assert [p.name for p in (warehouse / ".snapshots").iterdir()] == [
        (warehouse / ".current").resolve().name
    ]  # the failed run's own snapshot is gone (the previous one was the baseline's first)


def test_a_failure_after_the_swap_says_which_tables_are_new(
    baseline: Path, sources: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # The serving database cannot be replaced (a folder is in its way) after the tables were
    # made current: the message names every new table and says the serving database is the
    # previous run's — it said "the last good warehouse is unchanged".
    warehouse = tmp_path / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    (warehouse / "serving.db").unlink()
    (warehouse / "serving.db").mkdir()
    (warehouse / "serving.db" / "in-the-way").write_text("x")
    links, products = _links(warehouse), _products(warehouse)
    _drop_one_sanction(sources)
    code, err = _run(capsys, sources, warehouse)
    assert code == 1 and "publish__serving_db: " in err
    assert "the last good warehouse is unchanged" not in err
    assert "made current together: bronze/sanction, " in err
    assert "as before (the previous run's): the serving database" in err
    _assert_the_message_is_true(err, warehouse, links, products)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs, unmounted after the test."""
    with small_tmpfs(tmp_path / "disk", "64m") as disk:
        yield disk


def _leave_free(disk: Path, megabytes: float) -> None:
    """Fill ``disk`` until ``megabytes`` are free."""
    fill = shutil.disk_usage(disk).free - int(megabytes * 1024 * 1024)
    with (disk / "filler").open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, fill)
    assert abs(shutil.disk_usage(disk).free - megabytes * 1024 * 1024) < 64 * 1024


@pytest.mark.parametrize("free_mb", [6.0, 1.5])
def test_a_full_disk_run_says_exactly_what_it_published(
    free_mb: float, baseline: Path, small_disk: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # With 6 MB free all 28 tables were published anew while the serving database and catalog
    # stayed old, and with 1.5 MB three bronze tables were new: both runs said "the last good
    # warehouse is unchanged". Now the run sees it cannot fit before it writes a table, says so
    # in one line, and leaves every table, the serving database and the catalog as they were.
    warehouse = small_disk / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    sources = tmp_path / "other-sources"
    generate(sources, cadres=SMALL, seed=12)  # other data: every table would change
    links, products = _links(warehouse), _products(warehouse)
    _leave_free(small_disk, free_mb)
    code, err = _run(capsys, sources, warehouse)
    assert code == 1 and "Traceback" not in err
    assert re.search(rf"not enough room for a run: need [\d.]+ MB, {free_mb:.1f} MB free on "
                     rf"{re.escape(str(warehouse.resolve()))}", err), err  # fmt: skip
    assert "the last good warehouse is unchanged" in err
    assert _links(warehouse) == links and _products(warehouse) == products


def test_a_disk_that_fills_during_the_run_leaves_a_true_message(
    baseline: Path, small_disk: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # Room for a run like the last one, but the new exports are five times larger: the disk
    # fills while the run writes. Wherever it stops, what the message says was published is
    # what changed, and the tables are all old or all new.
    from warehouse.store import SPACE_MARGIN, run_bytes

    warehouse = small_disk / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    sources = tmp_path / "bigger-sources"
    generate(sources, cadres=SMALL * 5, seed=13)
    links, products = _links(warehouse), _products(warehouse)
    _leave_free(small_disk, (run_bytes(warehouse) + SPACE_MARGIN) / 1024 / 1024 + 1)
    code, err = _run(capsys, sources, warehouse)
    assert code == 1 and "Traceback" not in err, err
    assert "MB free on" in err or "is full" in err or "No space left" in err, err
    _assert_the_message_is_true(err, warehouse, links, products)


def test_the_swap_waits_for_every_table_and_publishing_waits_for_the_swap() -> None:
    # One swap is only true if the commit runs after every bronze/quarantine/silver/gold asset
    # (Dagster skips it when one failed) and every publishing asset reads what it made current.
    from orchestration.definitions import build_defs

    generated = Path(__file__).parent / "no-such-sources.yaml"
    graph = build_defs(str(generated), "/tmp/dajiandu-graph-only").resolve_asset_graph()
    commit = graph.get(dg.AssetKey(["publish", "tables"]))
    layers = {k for k in graph.get_all_asset_keys() if k.path[0] in LAYERS}
    assert set(commit.parent_keys) == layers and len(layers) == 31
    for key in graph.get_all_asset_keys():
        if key.path[0] == "publish" and key != commit.key:
            assert commit.key in graph.get(key).parent_keys, key


def test_a_serving_url_with_its_password_stays_out_of_dagster_storage(tmp_path: Path) -> None:
    # Dagster keeps every resource setting in its storage (the job snapshot the UI shows): a
    # serving URL given with its password (an unencoded '@' in it) was kept there whole.
    from dagster._serdes import serialize_value

    from orchestration.definitions import JOB_NAME, build_defs
    from orchestration.runner import config_safe_url
    from warehouse.publish.serving import resolve_url

    url = "postgresql+psycopg://officer:Zq7@Xk9vR@127.0.0.1:5432/serving"
    setting = config_safe_url(url)
    defs = build_defs(str(tmp_path / "sources.yaml"), str(tmp_path / "w"), serving_url=setting)
    snapshot = serialize_value(defs.resolve_job_def(JOB_NAME).get_job_snapshot())
    assert (
        "Zq7" not in snapshot and "Xk9vR" not in snapshot and "DAJIANDU_RUN_SERVING_URL" in snapshot
    )
    assert resolve_url(setting) == "postgresql+psycopg://officer:Zq7%40Xk9vR@127.0.0.1:5432/serving"
