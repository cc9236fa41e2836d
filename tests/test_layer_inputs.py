"""What a layer reads and its fingerprint (:mod:`warehouse.layer_inputs`), and the carry-over of
tables computed from the same fingerprint (:meth:`warehouse.store.Warehouse.carried`)."""

import shutil
from pathlib import Path

import polars as pl
import pytest

from warehouse.ingest import empty_bronze
from warehouse.layer_inputs import cadre_inputs
from warehouse.rule_files import DEFAULT_RULES
from warehouse.rules import load_rules
from warehouse.store import Warehouse

EVENTS = pl.DataFrame({"source": ["petition", "audit", "petition"], "n": [1, 2, 3]})


def test_a_table_staged_from_the_same_inputs_is_carried_as_it_was_staged(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    staged = store.stage("silver", "t", EVENTS, "source", "source", {"inputs": "f1"})
    store.publish(staged)
    carried = store.carried("silver", ["t"], "f1")
    assert carried is not None and carried["t"] == staged  # path, rows, partitions, digests
    assert carried["t"].digests.keys() == {"source=audit", "source=petition"}


def test_other_inputs_or_a_table_never_fingerprinted_carry_nothing(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    store.publish(store.stage("silver", "t", EVENTS, extra={"inputs": "f1"}))
    store.publish(store.stage("silver", "old", EVENTS))  # written before fingerprints
    assert store.carried("silver", ["t"], "f2") is None
    assert store.carried("silver", ["t", "old"], "f1") is None  # all or nothing
    assert store.carried("silver", ["t", "missing"], "f1") is None


def test_the_fingerprint_follows_what_the_layer_reads_and_its_rules(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    roster = pl.DataFrame({"人员编号": ["P1"], "姓名": ["张三"]})
    store.publish(store.stage("bronze", "roster", roster))
    store.publish(store.stage("bronze", "post_history", empty_bronze("post_history").collect()))
    rules = load_rules()
    first = cadre_inputs(store, rules).fingerprint
    assert cadre_inputs(store, rules).fingerprint == first  # read twice: the same
    store.publish(
        store.stage("bronze", "roster", roster.with_columns(pl.lit("李四").alias("姓名")))
    )
    second = cadre_inputs(store, rules).fingerprint
    assert second != first  # a new roster version
    own = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, own)
    target = own / "promotion_bar.csv"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cadre_inputs(store, load_rules(own)).fingerprint != second  # a rule file changed


def test_a_code_version_covers_every_pure_module_the_computation_imports() -> None:
    # Gold's hand-kept list of modules missed the recognisers and the name segmenter its case
    # library is de-identified with: a change to either left the library carried over, made by
    # the old code. A code version now follows the imports into transforms/, direct or not.
    from warehouse.fingerprint import _imports, code_fingerprint, pure_imports

    got = pure_imports("transforms.gold")
    assert {"transforms.deid", "transforms.recognisers", "transforms.names"} <= set(got)
    for name in got:  # closed: what a listed module imports is listed
        assert _imports(name) <= set(got), name
    # A module outside transforms/ is a root only: its own pure imports are followed.
    booklet = pure_imports("warehouse.publish.booklet")
    assert booklet[0] == "warehouse.publish.booklet" and "transforms.pages" in booklet
    assert not any(n.startswith("warehouse.") for n in booklet[1:])
    assert code_fingerprint("transforms.gold") == code_fingerprint(*got)


def test_a_source_is_settled_while_its_bronze_code_rules_and_name_libraries_stay(
    baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why: a settled source keeps its partition of linked events as it is. An upgrade of a
    # library the link reads names with (OpenCC, pypinyin), or of the Parquet writer, may give
    # other rows or other bytes than the kept file holds: nothing is settled through one.
    from importlib import metadata

    from transforms.specs import EVENT_SOURCES
    from warehouse import layer_inputs

    store, rules = Warehouse(baseline), load_rules()
    assert layer_inputs.event_inputs(store, rules, None).frames.settled == set(EVENT_SOURCES)
    real = metadata.version
    monkeypatch.setattr(
        layer_inputs.metadata, "version", lambda n: "9.9" if n == "opencc" else real(n)
    )
    assert layer_inputs.event_inputs(store, rules, None).frames.settled == frozenset()
    monkeypatch.setattr(layer_inputs.metadata, "version", real)
    monkeypatch.setattr(layer_inputs, "WRITTEN_WITH", "pyarrow==99")
    assert layer_inputs.event_inputs(store, rules, None).frames.settled == frozenset()
