"""The asset graph as a snapshot: a change to keys, groups, checks or jobs shows up in review."""

import dagster as dg

from orchestration.definitions import JOB_NAME, build_defs, defs

SOURCES = [
    "assessment", "audit", "inspection", "petition", "post_history", "roster", "sanction", "tolerance",
]  # fmt: skip
EVENT_SOURCES = [s for s in SOURCES if s not in ("roster", "post_history")]


def _graph() -> dict[str, str]:
    repo = build_defs("sources.yaml", "warehouse").get_repository_def()
    graph = repo.asset_graph
    return {"/".join(key.path): graph.get(key).group_name for key in graph.get_all_asset_keys()}


def test_asset_graph_snapshot() -> None:
    expected = {f"bronze/{s}": "bronze" for s in SOURCES} | {
        f"quarantine/{s}": "quarantine" for s in SOURCES
    }
    expected |= {
        "silver/cadre": "silver",
        "silver/cadre_post": "silver",
        "silver/supervision_event": "silver",
        "silver/link_review": "silver",
    }
    expected |= {
        f"gold/{t}": "gold"
        for t in (
            "promotion_check", "warning", "clearance", "cadre_profile", "cadre_timeline", "unit_portrait",
            "tolerance_case", "tolerance_review", "inconsistency",
        )
    }  # fmt: skip
    expected |= {f"publish/{a}": "publish" for a in ("serving_db", "catalog", "case_booklet")}
    assert _graph() == expected


def test_each_scope_of_scopes_yaml_gets_a_bundle_asset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "scopes.yaml").write_text("scopes:\n  - 县管/450101\n  - 市管/450100\n", "utf-8")
    graph = build_defs(str(tmp_path / "sources.yaml"), "warehouse").get_repository_def().asset_graph
    bundles = {
        "/".join(k.path) for k in graph.get_all_asset_keys() if k.path[-1].startswith("bundle")
    }
    assert bundles == {"publish/bundle_county_450101", "publish/bundle_city_450100"}
    parents = {
        "/".join(k.path)
        for k in graph.get(dg.AssetKey(["publish", "bundle_county_450101"])).parent_keys
    }
    assert {"gold/cadre_profile", "gold/cadre_timeline", "publish/case_booklet"} <= parents


def test_a_broken_scopes_yaml_is_named_with_its_entry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from warehouse.sources import ConfigError

    (tmp_path / "scopes.yaml").write_text("scopes:\n  - 县管/450101\n  - 区管/450101\n", "utf-8")
    with pytest.raises(ConfigError, match="scopes.yaml: entry 2: scope '区管/450101'"):
        build_defs(str(tmp_path / "sources.yaml"), "warehouse")


def test_silver_depends_on_bronze() -> None:
    graph = build_defs("sources.yaml", "warehouse").get_repository_def().asset_graph
    events = {
        "/".join(k.path)
        for k in graph.get(dg.AssetKey(["silver", "supervision_event"])).parent_keys
    }
    assert events == {"silver/cadre", "silver/cadre_post"} | {f"bronze/{s}" for s in EVENT_SOURCES}

    def parents(*key: str) -> set[str]:
        return {"/".join(k.path) for k in graph.get(dg.AssetKey(list(key))).parent_keys}

    assert parents("silver", "cadre") == {"bronze/roster"}
    assert parents("silver", "cadre_post") == {"bronze/roster", "bronze/post_history"}


def test_every_guarded_table_has_its_quality_checks() -> None:
    # Every table of every layer carries the GX suite (ERROR blocking, WARN not) and its
    # invariants: gold, which officers read, is held like bronze and silver.
    from quality.gold_checks import GOLD_INVARIANTS

    repo = build_defs("sources.yaml", "warehouse").get_repository_def()
    checks = {
        ("/".join(key.asset_key.path), key.name, repo.asset_graph.get_check_spec(key).blocking)
        for key in repo.asset_graph.asset_check_keys
    }
    gx = {("gx_expectations", True), ("gx_warnings", False)}
    bronze = gx | {
        ("rows_conserved", True),
        ("key_unique_across_partitions", True),
        ("rows_within_band_of_previous", True),
    }
    expected = {(f"bronze/{s}", name, blocking) for s in SOURCES for name, blocking in bronze}
    expected |= {
        ("silver/cadre", name, blocking)
        for name, blocking in gx
        | {
            ("rows_roster_present", True),
            ("key_unique_across_partitions", True),
            ("rows_within_band_of_previous", True),
        }
    }
    expected |= {
        ("silver/cadre_post", name, blocking)
        for name, blocking in gx
        | {("key_unique_across_partitions", True), ("person_no_references_cadre", True)}
    }
    expected |= {
        ("silver/supervision_event", name, blocking)
        for name, blocking in gx
        | {
            ("key_unique_across_partitions", True),
            ("person_no_references_cadre", True),
            ("link_rate_held", False),
        }
    }
    warn_only = {"upstream.consistent"}  # an officer reads gold/inconsistency; it holds nothing
    expected |= {
        (f"gold/{table}", name, blocking)
        for table, invariants in GOLD_INVARIANTS.items()
        for name, blocking in gx | {(i.replace(".", "_"), i not in warn_only) for i in invariants}
    }
    assert checks == expected


def test_the_lazy_entry_point_builds_the_job_and_schedule() -> None:
    built = defs()
    assert isinstance(built, dg.Definitions)
    assert built.resolve_job_def(JOB_NAME) is not None
    assert built.resolve_schedule_def("nightly").cron_schedule == "0 2 * * *"


def test_dagster_definitions_validate_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What `dagster definitions validate` (run by `make lint` and here) checks: the code location loads."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).parent / "dagster"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful" in done.stderr + done.stdout


def test_a_dajiandu_run_is_listed_under_its_job_in_the_ui(baseline) -> None:  # type: ignore[no-untyped-def]
    # Why: runs from `dajiandu run` (demo, cron) had no code-location origin, so the UI's job page
    # and Overview timeline, which filter by the `.dagster/repository` label, said "No runs found".
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

    from orchestration.instance import LOCATION_NAME

    with dg.DagsterInstance.from_config(str(baseline / ".dagster")) as instance:
        runs = instance.get_runs(
            dg.RunsFilter(
                job_name=JOB_NAME,
                tags={REPOSITORY_LABEL_TAG: f"__repository__@{LOCATION_NAME}"},
            )
        )
        assert len(runs) == 1
        run = runs[0]
        assert run.status == dg.DagsterRunStatus.SUCCESS
        origin = run.remote_job_origin
        assert origin is not None and origin.job_name == JOB_NAME
        assert origin.location_name == LOCATION_NAME == "dajiandu"
        assert origin.repository_origin.code_location_origin.loadable_target_origin.module_name == (
            "orchestration.definitions"
        )
        # and its materialisations are in the instance's asset catalogue, as from the UI
        event = instance.get_latest_materialization_event(dg.AssetKey(["gold", "warning"]))
        assert event is not None and event.run_id == run.run_id
