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
            "tolerance_case", "tolerance_review", "inconsistency", "assessment_composite",
            "sanction_followup",
        )
    }  # fmt: skip
    expected |= {
        f"publish/{a}": "publish" for a in ("serving_db", "catalog", "case_booklet", "tables")
    }
    expected |= {f"source/{s}": "sources" for s in SOURCES}  # observed, never materialised
    assert _graph() == expected


def test_automation_and_freshness_are_declared() -> None:
    # Why: nothing was automated or held to a freshness policy; a graph change to either shows
    # here in review. Each bronze table depends on its source's observation.
    graph = build_defs("sources.yaml", "warehouse").get_repository_def().asset_graph
    for key in graph.get_all_asset_keys():
        node, name = graph.get(key), "/".join(key.path)
        if key.path[0] == "source":
            assert node.is_observable and not node.is_materializable, name
            assert node.freshness_policy is not None, name
            continue
        assert node.automation_condition is not None, name
        assert node.automation_condition.get_label() == "eager", name
        assert (node.freshness_policy is not None) == (key.path[0] == "gold"), name
    for s in SOURCES:
        parents = {"/".join(k.path) for k in graph.get(dg.AssetKey(["bronze", s])).parent_keys}
        assert parents == {f"source/{s}"}
    petition = graph.get(dg.AssetKey(["source", "petition"])).freshness_policy
    assert petition.warn_window.to_timedelta().days == 2


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
            ("decisions_link_lines", False),  # lines of link_decisions.csv not applied (#23)
        }
    }
    expected.add(("gold/tolerance_review", "decisions_tolerance_lines", False))  # the same (#23)
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
    nightly = built.resolve_schedule_def("nightly")
    assert nightly.cron_schedule == "0 2 * * *"
    # Beijing time, and stopped until an operator starts it (README: Automation)
    assert nightly.execution_timezone == "Asia/Shanghai"
    assert nightly.default_status == dg.DefaultScheduleStatus.STOPPED
    sensor = built.resolve_sensor_def("dajiandu_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


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


def test_a_changed_source_file_triggers_only_its_downstream(sources, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Why: nothing told Dagster a source had new data; a changed export must materialise what
    # depends on it and nothing else, and an unchanged one nothing (observations, automation).
    from orchestration.definitions import OBSERVE_JOB_NAME

    built = build_defs(str(sources / "sources.yaml"), str(tmp_path / "warehouse"))
    graph = built.get_repository_def().asset_graph
    observe = built.resolve_job_def(OBSERVE_JOB_NAME)
    with dg.DagsterInstance.ephemeral() as instance:
        assert observe.execute_in_process(instance=instance).success
        for key in graph.materializable_asset_keys:  # as after a good run
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        first = dg.evaluate_automation_conditions(built, instance)
        assert first.total_requested == 0

        # Observed again, unchanged: nothing to do.
        assert observe.execute_in_process(instance=instance).success
        same = dg.evaluate_automation_conditions(built, instance, cursor=first.cursor)
        assert same.total_requested == 0

        # One audit file changes: the audit ingest and what reads bronze/audit, nothing else.
        audit = sorted((sources / "inbox" / "audits").glob("*.csv"))[0]
        audit.write_bytes(audit.read_bytes() + b"\n")
        assert observe.execute_in_process(instance=instance).success
        changed = dg.evaluate_automation_conditions(built, instance, cursor=same.cursor)
        requested = {"/".join(r.key.path) for r in changed.results if r.true_subset.size}
        downstream = dg.AssetSelection.assets(dg.AssetKey(["source", "audit"])).downstream()
        expected = {"/".join(k.path) for k in downstream.resolve(graph)} - {"source/audit"}
        assert requested == expected
        assert {"bronze/audit", "quarantine/audit", "silver/supervision_event"} <= requested
        assert not requested & {"bronze/petition", "bronze/roster", "silver/cadre"}
