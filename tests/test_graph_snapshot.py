"""The asset graph as a reviewed file: keys, dependencies, groups, checks, automation, freshness,
owners, kinds, code version and the op (step) of every asset, in ``tests/data/asset_graph.json``.
The code version is the fingerprint of the modules an asset is computed by: a change to them
shows here too (and tells Dagster the asset is stale).

A change to the graph changes that file, so it shows in review. After an intended change:
``DAJIANDU_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_graph_snapshot.py`` rewrites it.
"""

import json
import os
from pathlib import Path

from orchestration.definitions import build_defs

SNAPSHOT = Path(__file__).parent / "data" / "asset_graph.json"


def graph_description() -> dict[str, dict[str, object]]:
    graph = build_defs("sources.yaml", "warehouse").get_repository_def().asset_graph
    out: dict[str, dict[str, object]] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        node = graph.get(key)
        condition = node.automation_condition
        freshness = node.freshness_policy
        out["/".join(key.path)] = {
            "group": node.group_name,
            "deps": sorted("/".join(k.path) for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "automation": condition.get_label() if condition else None,
            "freshness": (
                [
                    str(freshness.warn_window.to_timedelta()),
                    str(freshness.fail_window.to_timedelta()),
                ]
                if freshness is not None and hasattr(freshness, "warn_window")
                else None
            ),
            "owners": sorted(node.owners),
            "kinds": sorted(node.kinds),
            "observable": node.is_observable,
            "step": node.assets_def.node_def.name,
            "code_version": node.code_version,
        }
    return out


def test_the_asset_graph_is_as_reviewed() -> None:
    found = graph_description()
    if os.environ.get("DAJIANDU_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(
            json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = sorted(k for k in found.keys() | expected.keys() if found.get(k) != expected.get(k))
    assert not changed, (
        f"the asset graph changed at {changed}; if intended, rewrite {SNAPSHOT.name} with "
        "DAJIANDU_UPDATE_SNAPSHOT=1 and let the diff be reviewed"
    )


def test_every_asset_body_reads_computes_stages_and_guards_in_25_lines_or_fewer() -> None:
    # Issue 20: an asset only stages and guards; what a layer reads and computes lives in
    # warehouse/ and transforms/. A body that grows past 25 lines has taken work of theirs.
    import ast

    found = {}
    for path in sorted((Path(__file__).parents[1] / "assets").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            decorators = [ast.unparse(d) for d in getattr(node, "decorator_list", [])]
            if isinstance(node, ast.FunctionDef) and any("asset" in d for d in decorators):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                found[f"{path.stem}.{node.name}"] = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
    assert len(found) >= 8, found  # every layer's asset factories were seen
    assert {name: n for name, n in found.items() if n > 25} == {}
