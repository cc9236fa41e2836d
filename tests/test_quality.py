"""The quality pieces on small hand-made frames: suites, GX runs, invariants, row rules, pages."""

import json
import re
from datetime import date

import polars as pl
import pytest

from quality import suites
from quality.gate import pieces, validation_frames
from quality.gx_runner import combined, engine
from quality.invariants import (
    events_reference_cadres,
    key_column,
    link_rate_held,
    row_count_in_band,
    rows_conserved,
    unique_across_partitions,
)
from quality.report import offline
from quality.row_rules import WHY, why
from quality.suites import KEY, PARTITION, Expectation, Suite
from warehouse.clock import today

AS_OF = date(2026, 11, 21)


def test_bronze_suites_cover_what_an_auditor_checks():
    petition = suites.suite_for("bronze/petition", AS_OF).by_id()
    # vocabulary, required key, date order, ID check character, key per version
    assert petition["办理结果.in_vocabulary"].severity == "ERROR"
    assert set(petition["办理结果.in_vocabulary"].kwargs["value_set"]) >= {"属实", "不实"}
    assert petition["件号.present"].gx == "ExpectColumnValuesToNotBeNull"
    assert petition["办结日期.not_before_收件日期"].gx == "ExpectColumnPairValuesAToBeGreaterThanB"
    assert petition["被反映人身份证号.check_character"].severity == "WARN"
    assert suites.suite_for("bronze/petition", AS_OF).key == ("件号", "更新时间")
    audit = suites.suite_for("bronze/audit", AS_OF).by_id()
    assert audit["涉及金额_万元.non_negative"].kwargs["min_value"] == 0
    assert suites.suite_for("bronze/audit", AS_OF).key == ("审计项目编号", "问题编号")
    roster = suites.suite_for("bronze/roster", AS_OF).by_id()
    assert roster["行政区划代码.six_digits"].kwargs["regex"] == r"^\d{6}$"
    assert roster["管理权限.in_vocabulary"].severity == "ERROR"


def test_a_deadline_may_lie_in_the_future_a_decision_may_not():
    sanction = suites.suite_for("bronze/sanction", AS_OF).by_id()
    inspection = suites.suite_for("bronze/inspection", AS_OF).by_id()
    assert sanction["决定日期.plausible"].kwargs["max_value"].date() >= AS_OF
    assert sanction["决定日期.plausible"].kwargs["max_value"].year == max(AS_OF, today()).year
    assert inspection["整改时限.plausible"].kwargs["max_value"].year > AS_OF.year + 20


def test_a_historical_as_of_does_not_make_later_records_implausible():
    # Records after a back-dated --as-of are real; only dates after today are impossible.
    old = suites.suite_for("bronze/sanction", date(2020, 1, 1)).by_id()
    assert old["决定日期.plausible"].kwargs["max_value"].date() >= today()


def test_the_structure_fingerprint_ignores_the_date_bound():
    assert suites.structure("bronze/petition") == suites.structure("bronze/petition")
    assert suites.structure("bronze/petition") != suites.structure("bronze/audit")


def _frame(**columns: list[object]) -> pl.DataFrame:
    return pl.DataFrame(columns, strict=False)


def test_gx_reports_failures_with_sample_and_partition():
    suite = Suite(
        "bronze/test",
        (
            Expectation("code.in_vocabulary", "ExpectColumnValuesToBeInSet", {"column": "code", "value_set": ["a", "b"]}, "ERROR", "codes"),
            Expectation("day.plausible", "ExpectColumnValuesToBeBetween", {"column": "day", "min_value": suites.EARLIEST, "max_value": suites.EARLIEST.replace(year=2026)}, "ERROR", "dates"),
            Expectation("end.not_before_start", "ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "end", "column_B": "day", "or_equal": True, "ignore_row_if": "either_value_is_missing"}, "WARN", "order"),
        ),
        key=("id",),
    )  # fmt: skip
    frame = _frame(
        id=["1", "2", "3", "4"],
        code=["a", "x", "b", "a"],
        day=[date(2024, 1, 5), date(2099, 1, 1), date(2024, 2, 1), None],
        end=[date(2024, 1, 6), date(2099, 1, 2), date(2024, 1, 1), date(2024, 3, 1)],
    ).with_columns(
        key_column(("id",)), pl.Series(PARTITION, ["2024-01", "2099-01", "2024-02", "2024-03"])
    )
    run = engine().validate(suite, frame)
    by = {o.check: o for o in run.outcomes}
    assert by["code.in_vocabulary"].failed == 1 and by["code.in_vocabulary"].sample == ["x"]
    assert by["code.in_vocabulary"].partitions == {"2099-01": 1}
    # A null date is not "implausible" (column-map expectations skip nulls): only 2099 fails.
    assert by["day.plausible"].failed == 1 and by["day.plausible"].sample == ["2099-01-01"]
    assert by["end.not_before_start"].partitions == {"2024-02": 1}
    assert by["end.not_before_start"].severity == "WARN" and not by["end.not_before_start"].blocking
    assert by["day.plausible"].blocking


def test_pieces_keep_partitions_whole_and_in_order():
    rows = {"2024-01": 3, "2024-02": 3, "2024-03": 9, "2024-04": 1}
    # 01 and 02 fill a piece of 6; 03 alone is over the limit and is a piece of its own (a key
    # is unique within its partition: splitting one would hide a repeat); 04 starts the next.
    assert pieces(list(rows), rows, 6) == [["2024-01", "2024-02"], ["2024-03"], ["2024-04"]]
    assert pieces(["2024-02"], rows, 6) == [["2024-02"]]
    assert pieces([], rows, 6) == []


def test_a_partition_over_the_limit_is_cut_where_its_key_changes(tmp_path):
    # One partition of 9 rows with a limit of 3: sorted by key and cut after the last row of a
    # key, so the repeated key K2 (rows far apart in the file) is in one frame and GX finds it
    # there; every row is in exactly one frame. The small partition is a frame of its own.
    from warehouse.store import Warehouse

    suite = Suite(
        "bronze/test",
        (Expectation("key.unique_in_partition", "ExpectColumnValuesToBeUnique", {"column": KEY}, "ERROR", "key"),),
        key=("id",), partition="month",
    )  # fmt: skip
    ids = ["K5", "K2", "K1", "K3", "K2", "K4", "K6", "K2", "K7", "K9"]
    frame = pl.DataFrame({"id": ids, "month": ["2024-01"] * 9 + ["2024-02"]})
    staged = Warehouse(tmp_path).stage("bronze", "test", frame, "month", "month")
    rows = {"2024-01": 9, "2024-02": 1}
    frames = list(validation_frames(staged.scan(), suite, ["2024-01", "2024-02"], rows, 3))
    assert [f[KEY].to_list() for f in frames] == [
        ["K1", "K2", "K2", "K2"], ["K3", "K4", "K5"], ["K6", "K7"], ["K9"]
    ]  # fmt: skip
    run = combined([engine().validate(suite, f) for f in frames])
    (unique,) = run.outcomes
    assert (unique.failed, unique.checked, unique.partitions) == (3, 10, {"2024-01": 3})


def test_gx_in_pieces_says_what_gx_says_on_the_whole():
    # Faults in several partitions and pieces: a code out of the vocabulary in two pieces, a
    # key repeated within one partition, a WARN pair, missing dates (counted apart by GX).
    suite = Suite(
        "bronze/test",
        (
            Expectation("code.in_vocabulary", "ExpectColumnValuesToBeInSet", {"column": "code", "value_set": ["a", "b"]}, "ERROR", "codes"),
            Expectation("end.not_before_start", "ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "end", "column_B": "day", "or_equal": True, "ignore_row_if": "either_value_is_missing"}, "WARN", "order"),
            Expectation("day.present", "ExpectColumnValuesToNotBeNull", {"column": "day"}, "WARN", "dates"),
            Expectation("key.unique_in_partition", "ExpectColumnValuesToBeUnique", {"column": KEY}, "ERROR", "key"),
        ),
        key=("id",),
    )  # fmt: skip
    day, later = date(2024, 1, 5), date(2024, 2, 1)
    frame = _frame(
        id=["1", "2", "3", "3", "5", "6", "7", "8"],
        code=["a", "x", "b", "a", "y", "a", "x", "b"],
        day=[day, None, day, later, day, None, day, later],
        end=[later, later, day, day, later, later, day, day],
    ).with_columns(
        key_column(("id",)),
        pl.Series(PARTITION, ["2024-01", "2024-01", "2024-02", "2024-02", "2024-03", "2024-03", "2024-04", "2024-04"]),
    )  # fmt: skip
    whole = engine().validate(suite, frame)
    split = pieces(["2024-01", "2024-02", "2024-03", "2024-04"], dict.fromkeys(["2024-01", "2024-02", "2024-03", "2024-04"], 2), 4)  # fmt: skip
    assert len(split) == 2
    run = combined(
        [engine().validate(suite, frame.filter(pl.col(PARTITION).is_in(p))) for p in split]
    )
    for a, b in zip(whole.outcomes, run.outcomes, strict=True):
        assert (a.check, a.passed, a.checked, a.failed, a.partitions) == (
            b.check,
            b.passed,
            b.checked,
            b.failed,
            b.partitions,
        )
        assert set(a.sample) == set(b.sample), a.check
    assert {o.check: o.failed for o in run.outcomes} == {
        "code.in_vocabulary": 3, "end.not_before_start": 2, "day.present": 2, "key.unique_in_partition": 2
    }  # fmt: skip
    # The GX result the Data Docs page shows: each expectation's counts over every piece.
    counts = ("element_count", "unexpected_count", "missing_count", "unexpected_percent")
    gx_whole = {r.expectation_config.meta["id"]: r for r in whole.result.results}
    for r in run.result.results:
        w = gx_whole[r.expectation_config.meta["id"]]
        assert r.success == w.success
        assert {k: r.result.get(k) for k in counts} == {k: w.result.get(k) for k in counts}
    assert run.result.success == whole.result.success
    assert (
        run.result.statistics["successful_expectations"]
        == whole.result.statistics["successful_expectations"]
    )


def test_gx_does_not_hash_the_frames_it_validates():
    # GX hashes a batch only to name it (pandas_data_fingerprint): a third of a validation's
    # time. The engine turns that off; a GX that hashes again (a renamed threshold) fails here.
    suite = Suite("bronze/test", (Expectation("code.present", "ExpectColumnValuesToNotBeNull", {"column": "code"}, "ERROR", "codes"),), key=("id",))  # fmt: skip
    frame = _frame(id=["1"], code=["a"]).with_columns(
        key_column(("id",)), pl.lit("all").alias(PARTITION)
    )
    markers = engine().validate(suite, frame).result.meta["batch_markers"]
    assert "ge_load_time" in markers and "pandas_data_fingerprint" not in markers


def test_gx_passes_a_clean_frame():
    suite = suites.suite_for("silver/cadre", AS_OF)
    frame = _frame(
        person_no=["P1", "P2"], name=["张三", "李四"], scope_level=["县管", "市管"],
        id_number=["11010519491231002X", None], region=["450100", "450103"],
        post_since=[date(2020, 1, 1), date(2021, 6, 1)],
    ).with_columns(key_column(("person_no",)), pl.lit("all").alias(PARTITION))  # fmt: skip
    run = engine().validate(suite, frame)
    assert all(o.passed for o in run.outcomes), [o.describe() for o in run.outcomes if not o.passed]


def test_a_key_repeated_in_another_partition_is_caught():
    # Each month alone is unique; the same 件号 in two months is the same record exported twice.
    frame = pl.LazyFrame({KEY: ["A", "B", "A"], PARTITION: ["2024-01", "2024-01", "2024-02"]})
    outcome = unique_across_partitions("bronze/petition", frame)
    assert not outcome.passed and outcome.failed == 2 and outcome.sample == ["A"]
    assert outcome.partitions == {"2024-01": 2, "2024-02": 2}
    clean = pl.LazyFrame({KEY: ["A", "B"], PARTITION: ["2024-01", "2024-02"]})
    assert unique_across_partitions("bronze/petition", clean).passed


@pytest.mark.parametrize(
    ("rows", "previous", "accepted", "passed"),
    [
        (100, None, False, True),  # first version: nothing to compare
        (60, 100, False, True),  # a fall within the band
        (40, 100, False, False),  # under half: alarm
        (40, 100, True, True),  # the operator said it is expected
        (5, 12, False, True),  # too small to tell a drop from noise
    ],
)
def test_row_count_band(rows, previous, accepted, passed):
    assert row_count_in_band("bronze/x", rows, previous, accepted).passed is passed


def test_conservation_names_the_file():
    outcome = rows_conserved("bronze/x", [("a.csv", 10, 8, 2), ("b.csv", 5, 3, 1)])
    assert not outcome.passed and outcome.failed == 1 and "b.csv" in outcome.sample[0]


def test_linked_events_must_point_at_a_cadre():
    events = pl.LazyFrame(
        {
            "event_id": ["e1", "e2", "e3"],
            "person_no": ["P1", "P9", None],
            "link_status": ["linked", "linked", "unlinked"],
            "source": ["petition", "audit", "audit"],
        }
    )
    outcome = events_reference_cadres(events, pl.LazyFrame({"person_no": ["P1"]}))
    assert (
        not outcome.passed and outcome.sample == ["e2 → P9"] and outcome.partitions == {"audit": 1}
    )


def test_a_falling_link_rate_is_a_warning():
    def frame(statuses: list[str]) -> pl.LazyFrame:
        return pl.LazyFrame({"source": ["audit"] * len(statuses), "link_status": statuses})

    before = frame(["linked"] * 9 + ["unlinked"])
    assert link_rate_held(frame(["linked"] * 9 + ["unlinked"]), before).passed
    fallen = link_rate_held(frame(["linked"] * 5 + ["unlinked"] * 5), before)
    assert not fallen.passed and fallen.severity == "WARN" and not fallen.blocking


def test_every_rule_cleaning_emits_has_a_sentence_for_the_auditor():
    # Reasons carry their rule id; the report explains each kind of rule in a sentence. A new
    # rule without one would show the fallback text.
    from transforms.cleaning import annotate
    from transforms.specs import SPECS

    for spec in SPECS.values():
        fields = [f.name for f in spec.fields]
        broken = {
            f.name: "不可读的值" for f in spec.fields if f.kind != "counts"
        }  # not from exports
        frame = pl.DataFrame([broken, dict.fromkeys(fields)], schema={n: pl.String for n in fields})
        frame = frame.with_columns(
            pl.lit("f").alias("_source_file"), pl.int_range(1, 3).alias("_source_row"),
            pl.lit("l").alias("_load_id"),
        )  # fmt: skip
        reasons = annotate(frame.lazy(), spec).collect()["_reasons"].explode().drop_nulls()
        rules = set(reasons.struct.field("rule").to_list())
        assert rules, spec.name
        assert all(why(rule) in WHY.values() for rule in rules), (spec.name, rules)
    for rule in ("row.field_count", "row.valid_json", "row.json_object"):
        assert why(rule) in WHY.values()


def test_pages_are_rewritten_to_vendored_files():
    page = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js" integrity="sha384-x" crossorigin="anonymous"></script>'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png">'
        '<a href="https://greatexpectations.io">GX</a>'
    )
    out = offline(page, "../vendor")
    assert 'href="../vendor/css/bootstrap.min.css"' in out
    assert '<script src="../vendor/js/jquery.min.js"></script>' in out  # SRI dropped
    assert "<img" not in out  # an unknown remote image is neither fetched nor shown broken
    assert "https://greatexpectations.io" not in out and out.endswith("GX")  # a link keeps its text


def test_the_report_keeps_a_bounded_history(tmp_path, monkeypatch):
    # Data Docs break down with thousands of validations: only the last KEEP_RUNS runs are kept.
    from quality import report

    monkeypatch.setattr(report, "KEEP_RUNS", 3)
    root = tmp_path / "quality"
    for n in range(5):
        run_id = f"run{n}"
        (root / "docs" / run_id).mkdir(parents=True)
        (root / "docs" / run_id / "bronze.x.html").write_text("page")
        entry = report.table_entry("bronze/x", [], {"rows": 10 + n, "read": 10 + n})
        monkeypatch.setattr(report, "now_cst", lambda n=n: f"2026-11-21T08:{n:02d}:00+08:00")
        report.record(root, run_id, "2026-11-21", entry)
    assert sorted(p.name for p in (root / "runs").iterdir()) == ["run2", "run3", "run4"]
    assert sorted(p.name for p in (root / "docs").iterdir()) == ["run2", "run3", "run4"]
    history = json.loads((root / "history.json").read_text())
    assert [h["rows"] for h in history] == [12, 13, 14]
    assert json.loads((root / "summary.json").read_text())["run_id"] == "run4"


def test_the_report_reads_a_rewritten_entry_and_carrying_forward_leaves_the_earlier_run_as_it_was(
    tmp_path, monkeypatch
):
    # The report parses each run's files once while they are unchanged: an entry written again
    # (same size, same moment) is read again, and carrying a table forward into the next run
    # does not change what the earlier run's page says.
    from quality import report
    from quality.checks import Outcome

    root = tmp_path / "quality"
    monkeypatch.setattr(report, "now_cst", lambda: "2026-11-21T08:00:00+08:00")
    checked = [Outcome("k", "bronze/x", "expectation", "ERROR", True, 10)]
    report.record(root, "run0", "2026-11-21", report.table_entry("bronze/x", checked, {"rows": 10}))
    report.record(root, "run0", "2026-11-21", report.table_entry("bronze/x", checked, {"rows": 11}))
    assert json.loads((root / "summary.json").read_text())["tables"][0]["figures"]["rows"] == 11
    report.finish_run(root, "run0", "2026-11-21", True, [])
    monkeypatch.setattr(report, "now_cst", lambda: "2026-11-22T08:00:00+08:00")
    report.record(root, "run1", "2026-11-22", report.table_entry("bronze/y", [], {"rows": 1}))
    report.finish_run(root, "run1", "2026-11-22", True, [])
    runs = {r["run_id"]: r for r in report._runs(root)}
    (carried,) = [t for t in runs["run1"]["tables"] if t["table"] == "bronze/x"]
    assert carried["carried_forward"] and carried["outcomes"][0]["checked_earlier"] == 10
    assert runs["run0"]["tables"][0]["outcomes"][0]["checked_earlier"] == 0


def test_gx_and_the_polars_floor_agree_on_a_messy_frame():
    # The bench compares GX with these Polars checks: they must count the same failures.
    from quality.polars_checks import count_failures

    suite = suites.suite_for("silver/supervision_event", AS_OF)
    frame = _frame(
        source=["audit", "audit", "petition", "nowhere", "audit"],
        link_status=["linked", "linked", "review", "unlinked", None],
        person_no=["P1", None, None, None, "P2"],
        link_score=[1.0, 0.9, 1.7, None, 0.5],
        event_date=[date(2024, 1, 1), date(2099, 1, 1), None, date(1900, 1, 1), date(2025, 5, 5)],
        source_key=["a", "b", None, "d", "e"],
        event_id=["e1", "e2", "e2", "e4", "e5"],
    ).with_columns(key_column(("event_id",)), pl.lit("all").alias(PARTITION))
    gx = {o.check: o.failed for o in engine().validate(suite, frame).outcomes}
    floor = count_failures(suite, frame.lazy())
    assert gx == floor
    assert floor["person_no.when_linked"] == 1 and floor["event_date.plausible"] == 2
    assert floor["key.unique_in_partition"] == 2 and floor["source.in_vocabulary"] == 1


def test_a_repeated_key_is_reported_by_its_text():
    # GX sees the key as its dense rank (fast to hash); the report must still show the key.
    suite = suites.suite_for("silver/cadre", AS_OF)
    frame = _frame(
        person_no=["P1", "P1", "P2"], name=["张三", "张三", "李四"], scope_level=["县管"] * 3,
        id_number=[None] * 3, region=["450100"] * 3, post_since=[date(2020, 1, 1)] * 3,
    ).with_columns(key_column(("person_no",)), pl.lit("all").alias(PARTITION))  # fmt: skip
    by = {o.check: o for o in engine().validate(suite, frame).outcomes}
    assert by["key.unique_in_partition"].failed == 2
    assert by["key.unique_in_partition"].sample == ["P1"]


def test_every_expectation_reason_reads_in_chinese() -> None:
    """The auditors' report is in Chinese: every suite's reason has its Chinese (a new check
    whose reason has none would show English in the report). Column, file and code names may
    stay as they are."""
    from quality.report_zh import why_zh
    from quality.suites import BUILDERS

    names = r"[A-Za-z_]+\.(csv|yaml)|[A-Za-z_]+\.[A-Za-z_]+|[a-z]+_[a-z_]+|GX|GB|JSON|ID|Jaccard|grain|name|kind"
    english = [
        (table, e.why)
        for table, build in BUILDERS.items()
        for e in build(date(2026, 1, 1)).expectations
        if re.search(r"[A-Za-z]{3,}", re.sub(names, "", why_zh(e.why)))
    ]
    assert english == []


def test_a_cited_event_must_be_linked_to_the_cadre_that_cites_it() -> None:
    # Why: the five citing checks share one read of the linked events (linked_keys); each
    # still finds an id of no event, of an unlinked event (its own cadre's: only the link
    # status tells) and of another cadre's event.
    from quality.gold_checks import cited_events_exist, linked_keys

    events = pl.LazyFrame({
        "event_id": ["e1", "e2", "e3"],
        "person_no": ["P1", "P2", "P9"],
        "link_status": ["linked", "linked", "unlinked"],
    })  # fmt: skip
    ids = pl.LazyFrame(
        {"person_no": ["P1", "P1", "P9", "P1"], "event_id": ["e1", "e2", "e3", "e4"]}
    )
    found = cited_events_exist("gold/warning", ids, linked_keys(events), "events.exist")
    assert (found.checked, found.failed, found.passed) == (4, 3, False)
    assert found.sample == ["P1 / e2", "P1 / e4", "P9 / e3"]


def test_gold_invariants_check_only_the_tables_named() -> None:
    # Why: a kept table's invariants are replayed, not checked again; the tables not named are
    # not read, nor are the events when no citing check is named.
    from quality.gold_checks import gold_invariants

    unreadable = pl.LazyFrame({"x": [1]}).select("not_there")  # fails when read
    tables = dict.fromkeys(
        ["warning", "tolerance_review", "sanction_followup", "promotion_check", "cadre_profile",
         "cadre_timeline", "assessment_composite", "clearance", "unit_portrait"],
        unreadable,
    )  # fmt: skip
    tables["tolerance_case"] = pl.LazyFrame({"case_id": ["TC-1", "TC-1", "TC-2"]})
    tables["inconsistency"] = pl.LazyFrame(schema={"kind": pl.String})
    found = gold_invariants(tables, unreadable, unreadable, names=["tolerance_case"])
    assert list(found) == ["tolerance_case"]
    assert [(o.check, o.failed) for o in found["tolerance_case"]] == [("case_id.unique", 1)]
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        gold_invariants(tables, unreadable, unreadable, names=["tolerance_case", "warning"])


def test_invariants_are_shown_again_only_from_a_ledger_that_reads(tmp_path) -> None:
    # Why: a kept table shows what its ledger recorded; a ledger damaged on disk or edited into
    # something else is not an error that stops the run: the table is checked again.
    from dataclasses import asdict

    from quality.checks import Outcome
    from quality.gate import carried_invariants, checks_version
    from warehouse.store import Warehouse

    store = Warehouse(tmp_path)
    staged = store.stage("gold", "test", pl.DataFrame({"id": ["a", "b"]}))
    found = Outcome("id.unique", "gold/test", "invariant", "ERROR", True, 2)
    ledger = tmp_path / ".quality" / "ledger" / "gold.test.json"
    ledger.parent.mkdir(parents=True)
    partitions = {p: {"digest": d} for p, d in staged.digests.items()}
    entry = {"partitions": partitions, "invariants": [asdict(found)], "checks": checks_version()}
    ledger.write_text(json.dumps(entry), encoding="utf-8")
    assert carried_invariants(store, staged) == [found]
    for damaged in (b'{"partitions": {', b"[]", b"\xff\xfe"):  # cut short, not an object, not UTF-8
        ledger.write_bytes(damaged)
        assert carried_invariants(store, staged) is None
