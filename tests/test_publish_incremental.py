"""Outputs rebuilt only for what changed: the case booklet by volume, the serving database by table
(SQLite and the real PostgreSQL), a bundle by scope — each equal, byte for byte (the databases:
row for row), to a full rebuild from the same warehouse."""

import json
import re
import shutil
import sqlite3
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl
import psycopg
import pytest
import sqlalchemy as sa

from tests.publish_support import need_pdf, pdf_text
from tests.test_publish_serving import POSTGRES, pg_schema  # noqa: F401  (a fixture)
from transforms.scope import Scope
from warehouse.publish import booklet as booklet_module
from warehouse.publish import bundle as bundle_module
from warehouse.publish.booklet import write_booklet
from warehouse.publish.bundle import PORTRAIT_VOLUMES, PROFILE_VOLUMES, REGION_PDF, write_bundle
from warehouse.publish.manifest import verify
from warehouse.publish.serving import publish_serving
from warehouse.store import Warehouse

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
CITY = Scope.parse("市管/450100")
WARNING_TABLES = {"warning", "list_warning", "unit_portrait_scope", "serving_meta"}
"""The serving tables made from gold/warning (the metadata changes whenever any table does)."""


def _copy(source: Path, target: Path) -> Warehouse:
    shutil.copytree(
        source, target, symlinks=True, ignore=shutil.ignore_patterns("serving.db", "reports")
    )
    return Warehouse(target)


def _one_fewer_warning(store: Warehouse) -> None:
    smaller = store.scan("gold", "warning").collect().head(-1)
    store.publish(store.stage("gold", "warning", smaller))


def _differ(one: Path, other: Path) -> list[str]:
    """The files whose bytes differ between two folders (or that only one holds). A workbook is
    compared by its cells, and the manifest without the workbooks' checksums: openpyxl stamps
    every .xlsx with the second it was saved, so two full builds differ there too."""
    a, b = _files(one), _files(other)
    for files, folder in ((a, one), (b, other)):
        for name in [n for n in files if n.endswith(".xlsx")]:
            book = openpyxl.load_workbook(folder / name)
            files[name] = repr(
                [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
            ).encode()
        if "manifest.json" in files:
            body = json.loads(files["manifest.json"])
            body["files"] = [f for f in body["files"] if not f["path"].endswith(".xlsx")]
            files["manifest.json"] = json.dumps(body, sort_keys=True).encode()
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _sqlite_rows(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out: dict[str, object] = {
            "schema": sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        }
        for name in names:
            out[name] = sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"').fetchall()))  # noqa: S608
    return out


def test_sqlite_serving_reloads_only_the_tables_whose_inputs_changed(baseline, tmp_path) -> None:
    store = _copy(baseline, tmp_path / "incremental")
    path = store.root / "serving.db"
    first = publish_serving(store, now=NOW)
    assert first.carried == []
    before = path.stat()
    again = publish_serving(store, now=LATER)  # nothing changed: not a byte written
    assert sorted(again.carried) == sorted(first.tables) and again.tables == first.tables
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    _one_fewer_warning(store)
    third = publish_serving(store, now=LATER)
    assert set(first.tables) - set(third.carried) == WARNING_TABLES
    assert third.tables["warning"] == first.tables["warning"] - 1
    # The same tables as a full build from the same warehouse (and the same clock), row for row.
    full = _copy(store.root, tmp_path / "full")
    assert not (full.root / "serving.db").exists()
    assert publish_serving(full, now=LATER).carried == []
    assert _sqlite_rows(path) == _sqlite_rows(full.root / "serving.db")


def test_a_gold_table_made_again_into_the_same_rows_leaves_its_serving_table(
    baseline, tmp_path
) -> None:
    # A nightly run moves the as-of date: gold's dated tables are computed again, and many come
    # out the same (the timeline of cadres with no new record), under a new version (its
    # fingerprint holds the date). Their serving tables follow what they hold, not the version
    # name: at 1,000,000 cadres every serving table was reloaded each night (62 s CPU).
    store = _copy(baseline, tmp_path / "incremental")
    first = publish_serving(store, now=NOW)
    timeline = store.scan("gold", "cadre_timeline").collect()
    version = store.table_path("gold", "cadre_timeline").resolve().name
    store.publish(store.stage("gold", "cadre_timeline", timeline, extra={"inputs": "another day"}))
    assert store.table_path("gold", "cadre_timeline").resolve().name != version
    again = publish_serving(store, now=LATER)
    assert sorted(again.carried) == sorted(first.tables)
    store.publish(store.stage("gold", "cadre_timeline", timeline.head(-1)))  # one row fewer
    third = publish_serving(store, now=LATER)
    assert set(first.tables) - set(third.carried) == {
        "cadre_timeline",
        "list_warning",
        "serving_meta",
    }


def _pg_rows(schema: str) -> dict[str, object]:
    admin = sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,)).fetchall()]  # fmt: skip
        out: dict[str, object] = {
            "indexes": sorted(r[0] for r in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = %s", (schema,)).fetchall()),
            "policies": sorted(conn.execute(
                "SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = %s", (schema,)).fetchall()),
        }  # fmt: skip
        for name in names:
            rows = conn.execute(f'SELECT to_jsonb(t)::text FROM "{schema}"."{name}" t').fetchall()  # noqa: S608
            out[name] = sorted(r[0] for r in rows)
    return (
        {k: (v.replace(schema, "S") if isinstance(v, str) else v) for k, v in out.items()}
        | {
            "indexes": [i.replace(f'"{schema}"', "S").replace(schema, "S") for i in out["indexes"]],  # type: ignore[attr-defined]
            "policies": [p[:2] + (str(p[2]).replace(schema, "S"),) for p in out["policies"]],  # type: ignore[attr-defined]
        }
    )


@pytest.mark.postgres
def test_postgres_serving_moves_in_only_the_changed_tables(baseline, tmp_path, pg_schema) -> None:  # noqa: F811
    store = _copy(baseline, tmp_path / "incremental")
    first = publish_serving(store, POSTGRES, pg_schema, NOW)
    assert first.carried == []
    again = publish_serving(store, POSTGRES, pg_schema, LATER)
    assert sorted(again.carried) == sorted(first.tables) and again.tables == first.tables
    _one_fewer_warning(store)
    third = publish_serving(store, POSTGRES, pg_schema, LATER)
    assert set(first.tables) - set(third.carried) == WARNING_TABLES
    full_schema = f"{pg_schema}_full"
    try:
        assert publish_serving(store, POSTGRES, full_schema, LATER).carried == []
        incremental, full = _pg_rows(pg_schema), _pg_rows(full_schema)
        assert incremental.keys() == full.keys()
        for key in incremental:
            assert incremental[key] == full[key], key
    finally:
        admin = (
            sa.make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{full_schema}" CASCADE')
            conn.execute(f'DROP SCHEMA IF EXISTS "{full_schema}_acl" CASCADE')
            conn.execute(f'DROP OWNED BY "{full_schema}_reader"')
            conn.execute(f'DROP ROLE IF EXISTS "{full_schema}_reader"')


def _change_one_case(store: Warehouse, case_id: str) -> None:
    cases = store.scan("gold", "tolerance_case").collect()
    changed = cases.with_columns(
        facts=pl.when(pl.col("case_id") == case_id)
        .then(pl.col("facts") + "（复核后补充）")
        .otherwise("facts")
    )
    store.publish(store.stage("gold", "tolerance_case", changed))


def test_the_booklet_re_renders_only_the_volume_of_a_changed_case(
    baseline, tmp_path, monkeypatch
) -> None:
    need_pdf()
    store = _copy(baseline, tmp_path / "incremental")
    cases = store.scan("gold", "tolerance_case").collect()
    monkeypatch.setattr(booklet_module, "VOLUME_CASES", cases.height - 1)  # one volume per field
    folder = tmp_path / "out" / "cases"
    first = write_booklet(store, folder, NOW)
    assert len(first.pdfs) > 2 and sorted(first.rendered) == sorted(first.pdfs)
    inodes = {name: (folder / name).stat().st_ino for name in first.pdfs}
    again = write_booklet(store, folder, LATER)  # nothing changed: the folder as it was
    assert again.carried and again.rendered == [] and again.pdfs == first.pdfs
    assert {name: (folder / name).stat().st_ino for name in first.pdfs} == inodes
    victim = booklet_module.volumes(cases)[0]
    old_victim = (folder / victim.name).read_bytes()
    _change_one_case(store, victim.cases["case_id"][0])
    third = write_booklet(store, folder, NOW)
    assert third.rendered == [victim.name] and third.pdfs == first.pdfs
    for name in set(first.pdfs) - {victim.name}:  # carried over: the same file, not rewritten
        assert (folder / name).stat().st_ino == inodes[name], name
    full = write_booklet(_copy(store.root, tmp_path / "full"), tmp_path / "full-out" / "cases", NOW)
    assert sorted(full.rendered) == sorted(full.pdfs)
    assert _differ(folder, full.path) == []  # byte for byte, manifest included
    assert (folder / victim.name).read_bytes() != old_victim  # the comparison can fail


def test_a_bundle_whose_scope_did_not_change_is_not_rewritten(baseline, tmp_path) -> None:
    store = _copy(baseline, tmp_path / "incremental")
    out = tmp_path / "bundles"
    first = write_bundle(store, CITY, out, NOW, pdfs=False)
    assert not first.carried
    index = first.path / "index.html"
    stamp = (index.stat().st_ino, index.stat().st_mtime_ns)
    again = write_bundle(store, CITY, out, LATER, pdfs=False)
    assert again.carried and (index.stat().st_ino, index.stat().st_mtime_ns) == stamp
    assert (again.files, again.bytes) == (first.files, first.bytes)
    # A table changes without touching the scope's rows (a row of another scope goes): the bundle
    # stays, and only its manifest's data versions follow the warehouse.
    city = store.scan("silver", "cadre").filter(pl.col("scope_level") == "市管").select("person_no")
    warnings = store.scan("gold", "warning").collect().with_row_index("_row")
    outside = warnings.join(city.collect(), on="person_no", how="anti")["_row"]
    assert outside.len(), "the baseline has warnings outside the city scope"
    kept = warnings.filter(pl.col("_row") != outside[0]).drop("_row")
    store.publish(store.stage("gold", "warning", kept))
    third = write_bundle(store, CITY, out, NOW, pdfs=False)
    assert third.carried and (index.stat().st_ino, index.stat().st_mtime_ns) == stamp
    full = write_bundle(
        _copy(store.root, tmp_path / "full"), CITY, tmp_path / "full-out", NOW, pdfs=False
    )
    assert not full.carried
    assert _differ(first.path, full.path) == []  # byte for byte, manifest included
    # A change inside the scope renders it again.
    inside = (
        store.scan("gold", "warning").collect().join(city.collect(), on="person_no", how="anti")
    )
    store.publish(store.stage("gold", "warning", inside))  # every city warning goes
    assert not write_bundle(store, CITY, out, NOW, pdfs=False).carried


def _same_file(one: Path, other: Path) -> bool:
    """Byte for byte; a workbook or .docx by its parts, but for ``docProps/core.xml`` (it and the
    zip entries carry the second the file was saved)."""
    if one.suffix not in (".xlsx", ".docx"):
        return one.read_bytes() == other.read_bytes()

    def parts(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as book:
            return {n: book.read(n) for n in book.namelist() if n != "docProps/core.xml"}

    return parts(one) == parts(other)


def _outcome_changed(store: Warehouse, person_no: str) -> None:
    """One timeline row of ``person_no`` says its outcome twice: only that cadre's page and volume
    show it (in characters the pages already hold: the font subset stays as it is)."""
    timeline = store.scan("gold", "cadre_timeline").collect().with_row_index("_row")
    mine = timeline.filter(pl.col("person_no") == person_no, pl.col("outcome").is_not_null())
    changed = timeline.with_columns(
        outcome=pl.when(pl.col("_row") == mine["_row"][0])
        .then(pl.col("outcome") + "；" + pl.col("outcome"))
        .otherwise("outcome")
    ).drop("_row")
    store.publish(store.stage("gold", "cadre_timeline", changed))


def test_a_changed_cadre_re_renders_only_its_page_and_its_volume(
    baseline, tmp_path, monkeypatch
) -> None:
    need_pdf()
    monkeypatch.setattr(bundle_module, "VOLUME_CADRES", 3)  # the city's one unit in parts
    store = _copy(baseline, tmp_path / "incremental")
    out = tmp_path / "bundles"
    first = write_bundle(store, CITY, out, NOW)
    manifest = json.loads((first.path / "manifest.json").read_text(encoding="utf-8"))
    volumes = sorted(f["path"] for f in manifest["files"] if f["path"].startswith(PROFILE_VOLUMES))
    assert len(volumes) > 2, "the city scope has several volumes"
    inodes = {p: (first.path / p).stat().st_ino for p in (f["path"] for f in manifest["files"])}
    # A cadre of the scope with a timeline row, in a unit whose volume is not the only one.
    city = store.scan("silver", "cadre").filter(pl.col("scope_level") == "市管").collect()
    timeline = store.scan("gold", "cadre_timeline").filter(pl.col("outcome").is_not_null())
    timeline = timeline.select("person_no").collect()
    person = city.join(timeline, on="person_no", how="semi").sort("person_no")["person_no"][0]
    _outcome_changed(store, person)
    second = write_bundle(store, CITY, out, LATER)
    assert not second.carried
    index = (first.path / "index.html").read_text(encoding="utf-8")
    found = re.search(rf'href="profiles/{person}\.html".*?<a href="([^"]+)">分册</a>', index)
    assert found is not None, "the index links each cadre's volume"
    volume = found.group(1)
    assert volume in volumes and person in pdf_text(first.path / volume)
    assert sorted(second.rendered) == sorted([f"profiles/{person}.html", volume])
    after = json.loads((second.path / "manifest.json").read_text(encoding="utf-8"))
    for entry in after["files"]:  # the others: the previous files, not written again
        path = entry["path"]
        if path in second.rendered:
            assert entry["generated_at"] == LATER.isoformat(timespec="seconds")
            assert (second.path / path).stat().st_ino != inodes[path]
        elif not path.startswith("cases/"):
            assert (second.path / path).stat().st_ino == inodes[path], path
            assert entry["generated_at"] == NOW.isoformat(timespec="seconds"), path
    # A fresh publish from the same warehouse: every file made from the same inputs, and equal
    # byte for byte to the fresh file made at the time the incremental one was made.
    fresh = {
        when: write_bundle(
            _copy(store.root, tmp_path / f"full-{n}"), CITY, tmp_path / f"o{n}", when
        )
        for n, when in enumerate((NOW, LATER))
    }
    full = json.loads((fresh[LATER].path / "manifest.json").read_text(encoding="utf-8"))
    assert {f["path"]: f["inputs"] for f in full["files"] if "inputs" in f} == {
        f["path"]: f["inputs"] for f in after["files"] if "inputs" in f
    }
    for entry in after["files"]:
        made = datetime.fromisoformat(entry.get("generated_at", LATER.isoformat()))
        twin = fresh[NOW if made == NOW else LATER].path / entry["path"]
        assert _same_file(second.path / entry["path"], twin), entry["path"]
    assert (second.path / volume).read_bytes() != (fresh[NOW].path / volume).read_bytes()


COUNTY = Scope.parse("县管/450101")


def test_a_unit_whose_figures_changed_re_renders_only_its_portrait_and_the_regions(
    baseline, tmp_path
) -> None:
    # The portraits were one PDF of every unit and the region: a month that changed a few units
    # (and so the region, whose figures sum them all) rendered every unit's portrait again.
    need_pdf()
    store = _copy(baseline, tmp_path / "incremental")
    out = tmp_path / "bundles"
    first = write_bundle(store, COUNTY, out, NOW, profile_pdf=False)
    pdfs = sorted(p.relative_to(first.path).as_posix() for p in first.path.rglob("*画像*/*.pdf"))
    assert len(pdfs) > 5, "the county scope has many units"
    inodes = {p: (first.path / p).stat().st_ino for p in pdfs}
    # One warning of a county cadre goes: its unit's warning count, and the region's, change.
    county = store.scan("silver", "cadre").filter(COUNTY.expr()).collect()
    warnings = store.scan("gold", "warning").collect().with_row_index("_row")
    mine = warnings.join(county.select("person_no", "unit"), on="person_no").sort("_row")
    unit = mine["unit"][0]
    kept = warnings.filter(pl.col("_row") != mine["_row"][0]).drop("_row")
    store.publish(store.stage("gold", "warning", kept))
    second = write_bundle(store, COUNTY, out, LATER, profile_pdf=False)
    portraits = [p for p in second.rendered if p.startswith(("portraits/", "pdf/"))]
    region = next(p for p in portraits if p.startswith("portraits/region-"))
    assert sorted(portraits) == sorted(
        [f"portraits/unit-{unit}.html", f"{PORTRAIT_VOLUMES}/{unit}.pdf", region, REGION_PDF]
    )
    for path in set(pdfs) - set(portraits):  # every other unit's PDF: the previous file
        assert (second.path / path).stat().st_ino == inodes[path], path
    # A full publish at the later time makes the re-rendered ones byte for byte.
    fresh = write_bundle(_copy(store.root, tmp_path / "full"), COUNTY, tmp_path / "o", LATER,
                         profile_pdf=False)  # fmt: skip
    for path in portraits:
        assert (second.path / path).read_bytes() == (fresh.path / path).read_bytes(), path


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # The regions together first (one PDF), then one PDF per unit, named by the unit.
        ([("region", "450101"), ("unit", "乙局"), ("unit", "甲局")],
         [("区域画像", ["450101"]), ("乙局", ["乙局"]), ("甲局", ["甲局"])]),
        # No region row (no PDF of regions); a unit without a name: its own file, a hash.
        ([("unit", None), ("unit", "甲局")], [("_h", [None]), ("甲局", ["甲局"])]),
        # Two rows of one name never share a file.
        ([("unit", "甲局"), ("unit", "甲局")], [("甲局", ["甲局"]), ("_h", ["甲局"])]),
    ],
)  # fmt: skip
def test_portrait_pdfs_one_per_unit(names, expected) -> None:
    portraits = [{"grain": g, "name": n} for g, n in names]
    got = bundle_module.portrait_volumes(portraits)
    stems = [v.path.rsplit("/", 1)[1].removesuffix(".pdf") for v in got]
    assert [(s[:2] if s.startswith("_h") else s) for s in stems] == [e[0] for e in expected]
    assert [[u["name"] for u in v.parts] for v in got] == [e[1] for e in expected]
    assert len({v.path for v in got}) == len(got)
    assert all(u["pdf"] == v.path for v in got for u in v.parts)  # the index links each


@pytest.mark.parametrize(
    ("units", "size", "expected"),
    [
        # One volume per unit, units by name, a unit's cadres in the order given (人员编号).
        (["乙局", "甲局", "乙局"], 5, [("乙局", ["0", "2"]), ("甲局", ["1"])]),
        # A unit over the size comes in parts of that many, numbered; the others stay whole.
        (["甲局"] * 5 + ["乙局"], 2, [("乙局", ["5"]), ("甲局-01", ["0", "1"]),
                                      ("甲局-02", ["2", "3"]), ("甲局-03", ["4"])]),
        # A unit named like another's part gets a hash, never the other's file.
        (["某局"] * 3 + ["某局-02"], 2, [("某局-01", ["0", "1"]), ("某局-02", ["2"]), ("_h", ["3"])]),
        # No unit: a volume of its own, last (（未填单位）, no plain file name: a hash).
        ([None, "甲局"], 5, [("甲局", ["1"]), ("_h", ["0"])]),
    ],
)  # fmt: skip
def test_profile_volumes_by_unit(units, size, expected) -> None:
    profiles = [{"unit": u, "file": str(n)} for n, u in enumerate(units)]
    got = bundle_module.volumes(profiles, size)
    stems = [v.path.removeprefix(f"{PROFILE_VOLUMES}/").removesuffix(".pdf") for v in got]
    assert [(s[:2] if s.startswith("_h") else s) for s in stems] == [e[0] for e in expected]
    assert [[p["file"] for p in v.parts] for v in got] == [e[1] for e in expected]
    assert len({v.path for v in got}) == len(got)


def _date_moved_on(store: Warehouse) -> tuple[date, date]:
    """The as-of date of every gold table that holds it moved on a day (a nightly run on which no
    source changed and no period ended); returns the dates before and after."""
    day = store.scan("gold", "cadre_profile").select("as_of").collect()["as_of"][0]
    for table in ("cadre_profile", "promotion_check"):
        frame = store.scan("gold", table).collect()
        store.publish(store.stage("gold", table, frame.with_columns(
            as_of=pl.lit(day + timedelta(days=1))
        )))  # fmt: skip
    return day, day + timedelta(days=1)


def test_a_booklet_volume_is_carried_when_only_the_date_moved_on(baseline, tmp_path) -> None:
    # A nightly run takes today's date. The cases are computed without it, yet every volume
    # named the as-of date and was fingerprinted with it, so each night re-rendered the whole
    # booklet (232 s CPU at 1,000,000 cadres). Now only the HTML, which names the date, is new.
    need_pdf()
    store = _copy(baseline, tmp_path / "incremental")
    folder = tmp_path / "out" / "cases"
    first = write_booklet(store, folder, NOW)
    # The font subsets too (a second each): the HTML's characters are the same, but its date's.
    names = [*first.pdfs, "assets/NotoSansSC-Regular.ttf", "assets/NotoSansSC-Bold.ttf"]
    inodes = {name: (folder / name).stat().st_ino for name in names}
    _, next_day = _date_moved_on(store)
    later = write_booklet(store, folder, LATER)
    assert not later.carried and later.rendered == [] and later.pdfs == first.pdfs
    assert {name: (folder / name).stat().st_ino for name in names} == inodes
    html = (folder / "典型案例汇编.html").read_text(encoding="utf-8")
    assert f"{next_day:%Y-%m-%d}" in html


def test_a_damaged_file_of_the_last_booklet_is_made_again_not_carried(baseline, tmp_path) -> None:
    # Why: a font subset or a PDF volume whose inputs are unchanged is hard-linked from the last
    # booklet. One whose bytes were damaged since must be made again: linked, it went into the
    # new manifest with its damaged hash, and verify then found nothing wrong.
    need_pdf()
    store = _copy(baseline, tmp_path / "incremental")
    folder = tmp_path / "out" / "cases"
    first = write_booklet(store, folder, NOW)
    font, volume = folder / "assets" / "NotoSansSC-Regular.ttf", folder / first.pdfs[0]
    good = {path: path.read_bytes() for path in (font, volume)}
    for path, data in good.items():  # damaged in place of the file (not through its links)
        path.unlink()
        path.write_bytes(data[:1000] + b"\0" * 100 + data[1100:])
    assert len(verify(folder)) == 2
    _date_moved_on(store)
    later = write_booklet(store, folder, LATER)
    assert verify(folder) == [] and later.rendered == [first.pdfs[0]]
    assert font.read_bytes() == good[font]  # a subset of the same characters: the same bytes


def test_a_bundle_whose_date_alone_moved_on_makes_only_its_index_and_lists(
    baseline, tmp_path
) -> None:
    # A nightly run takes today's date, and every page and PDF printed it: each night the
    # bundles were made again whole (249 s CPU of a 267 s night at 5,000 cadres). A page now
    # shows the as-of date it was made at; what it says still holds, so it is carried over.
    need_pdf()
    store = _copy(baseline, tmp_path / "incremental")
    out = tmp_path / "bundles"
    first = write_bundle(store, CITY, out, NOW)
    before = json.loads((first.path / "manifest.json").read_text(encoding="utf-8"))
    inodes = {f["path"]: (first.path / f["path"]).stat().st_ino for f in before["files"]}
    day, next_day = _date_moved_on(store)
    second = write_bundle(store, CITY, out, LATER)
    assert not second.carried
    assert sorted(second.rendered) == sorted(
        ["index.html", *(f["path"] for f in before["files"] if f["path"].startswith("excel/"))]
    )
    after = json.loads((second.path / "manifest.json").read_text(encoding="utf-8"))
    assert after["as_of"] == f"{next_day:%Y-%m-%d}"
    for entry in after["files"]:
        path = entry["path"]
        if path in second.rendered:
            assert entry["as_of"] == f"{next_day:%Y-%m-%d}", path
        elif not path.startswith("cases/"):
            assert (second.path / path).stat().st_ino == inodes[path], path
            assert entry["as_of"] == f"{day:%Y-%m-%d}", path
    index = (second.path / "index.html").read_text(encoding="utf-8")
    assert f"数据截至 {next_day:%Y-%m-%d}" in index
    page = next(p for p in (second.path / "profiles").glob("*.html"))
    assert f"数据截至 {day:%Y-%m-%d}" in page.read_text(encoding="utf-8")
    assert "@@" not in page.read_text(encoding="utf-8") + index
    for book in (second.path / "excel").glob("*.xlsx"):  # the print header names the run's date
        headers = [ws.oddHeader.left.text or "" for ws in openpyxl.load_workbook(book).worksheets]
        assert all(f"数据截至 {next_day:%Y-%m-%d}" in h for h in headers), (book.name, headers)
