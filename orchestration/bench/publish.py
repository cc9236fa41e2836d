"""``dajiandu bench publish``: what publishing costs on an existing warehouse (default the one
``bench gold`` leaves at 1,000,000 cadres), each measure in a child process with its own peak
memory:

- the serving database on SQLite (``serving.db``: executemany in one transaction) and on
  PostgreSQL (COPY into a staging schema, indexes, row-level security, the swap): seconds, rows,
  rows/s;
- a reference for the load itself: the same first rows of ``gold/cadre_timeline`` written by our
  COPY and by a plain ``pandas.DataFrame.to_sql`` (SQLAlchemy executemany INSERT), rows/s of each;
- one county's scoped bundle (pages, Excel, PDFs) beside just reading that scope's rows;
- one PDF volume of the case booklet (400 cases), and what the whole booklet takes at that rate.
"""

import json
import time
from datetime import date
from pathlib import Path

from orchestration.bench import harness

REFERENCE_ROWS = 200_000
BENCH_SCHEMA = "dajiandu_bench"


def _child(what: str, warehouse: Path, arg: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from transforms.scope import Scope
    from warehouse.publish.bundle import write_bundle
    from warehouse.publish.scoped import read_scope
    from warehouse.publish.serving import publish_serving
    from warehouse.store import Warehouse

    store = Warehouse(warehouse)
    start = time.perf_counter()
    out: dict[str, object] = {}
    if what == "sqlite":
        result = publish_serving(store, "")
        out = {"rows": result.rows, "load_seconds": result.load_seconds}
    elif what == "postgres":
        result = publish_serving(store, arg, BENCH_SCHEMA)
        out = {"rows": result.rows, "load_seconds": result.load_seconds}
    elif what in ("copy", "to_sql"):
        out = _reference(store, arg, what)
    elif what == "volume":
        out = _volume(store, Path(arg))
    elif what == "bundle":
        scope, folder = arg.split("|")
        done = write_bundle(
            store, Scope.parse(scope), Path(folder), datetime.now(ZoneInfo("Asia/Shanghai"))
        )
        out = {
            "cadres": done.cadres,
            "files": done.files,
            "bytes": done.bytes,
            "pdf": done.pdf_note or "written",
        }
    else:
        rows = read_scope(store, Scope.parse(arg))
        out = {"cadres": rows.profile.height, "timeline": rows.timeline.height}
    out["seconds"] = time.perf_counter() - start
    harness.emit(out)


def _reference(store: object, url: str, how: str) -> dict[str, object]:
    """The first REFERENCE_ROWS of the timeline into a scratch table: our COPY or pandas."""
    import polars as pl
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql

    from warehouse.publish.serving_pg import copy_rows
    from warehouse.store import Warehouse

    assert isinstance(store, Warehouse)
    rows = store.scan("gold", "cadre_timeline").head(REFERENCE_ROWS).collect()
    engine = sa.create_engine(url)
    name = f"bench_reference_{how}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        rows.head(0).to_pandas().to_sql(name, conn, index=False)
    clock = time.perf_counter()
    if how == "to_sql":
        rows.to_pandas().to_sql(name, engine, index=False, if_exists="append")
    else:
        libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq) as conn:
            copy_rows(conn, sql.Identifier(name), rows)
    seconds = time.perf_counter() - clock
    with engine.begin() as conn:
        loaded = conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()
        conn.exec_driver_sql(f"DROP TABLE {name}")
    assert loaded == rows.height, (loaded, rows.height)
    return {"rows": rows.height, "load_seconds": seconds, "width": pl.DataFrame(rows).width}


def _volume(store: object, folder: Path) -> dict[str, object]:
    """The first PDF volume of the case booklet, as the booklet asset renders each one."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from warehouse.publish import fonts, pdf
    from warehouse.publish.booklet import _page, volumes
    from warehouse.store import Warehouse

    assert isinstance(store, Warehouse)
    cases = store.scan("gold", "tolerance_case").collect()
    parts = volumes(cases)
    first = parts[0]
    html = _page(first.cases, date_of(store), datetime.now(ZoneInfo("Asia/Shanghai")), first.label)
    folder.mkdir(parents=True, exist_ok=True)
    fonts.write_fonts(folder / "assets", [html])
    pages = pdf.write_pdf(html, folder, folder / "volume-1.pdf")
    return {
        "cases": cases.height,
        "volumes": len(parts),
        "volume_cases": first.cases.height,
        "pages": pages,
    }


def date_of(store: object) -> "date":
    from warehouse.store import Warehouse

    assert isinstance(store, Warehouse)
    value = store.scan("gold", "cadre_profile").select("as_of").head(1).collect().item()
    assert isinstance(value, date)
    return value


def _county(warehouse: Path) -> str:
    from orchestration.publish_cli import demo_scope

    scope = demo_scope(warehouse)
    if scope is None:
        raise SystemExit(f"{warehouse}: no 县管 cadre to publish a bundle for")
    return scope.label


def bench_publish(warehouse: Path, workdir: Path, url: str, scope: str | None) -> int:
    scope = scope or _county(warehouse)
    workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict[str, float]] = {}
    plan = [("sqlite", ""), ("postgres", url), ("copy", url), ("to_sql", url),
            ("bundle", f"{scope}|{workdir / 'bundles'}"), ("read", scope),
            ("volume", str(workdir / "booklet-volume"))]  # fmt: skip
    for what, arg in plan:
        command = harness.child_command("publish", "measure", what, warehouse, arg)
        child = harness.timed(command, f"publish {what}")
        figures[what] = {**json.loads(child.stdout.splitlines()[0]), "peak_mb": child.peak_mb}
    s, p, c, t = figures["sqlite"], figures["postgres"], figures["copy"], figures["to_sql"]
    b, r = figures["bundle"], figures["read"]
    print(f"warehouse {warehouse}")
    print(f"  serving DB, SQLite      {s['seconds']:>7.1f} s  {s['peak_mb']:>7,.0f} MB  "
          f"{s['rows']:>12,} rows  {s['rows'] / s['load_seconds']:>10,.0f} rows/s loading, {s['rows'] / s['seconds']:>9,.0f} end to end")  # fmt: skip
    print(f"  serving DB, PostgreSQL  {p['seconds']:>7.1f} s  {p['peak_mb']:>7,.0f} MB  "
          f"{p['rows']:>12,} rows  {p['rows'] / p['load_seconds']:>10,.0f} rows/s loading, {p['rows'] / p['seconds']:>9,.0f} end to end")  # fmt: skip
    copy_rate, insert_rate = c["rows"] / c["load_seconds"], t["rows"] / t["load_seconds"]
    print(
        f"  {c['rows']:,} timeline rows: COPY {copy_rate:,.0f} rows/s, pandas to_sql "
        f"{insert_rate:,.0f} rows/s: COPY is {copy_rate / insert_rate:.1f}× faster"
    )
    print(f"  bundle {scope}: {b['seconds']:.1f} s  {b['peak_mb']:,.0f} MB  ({b['cadres']:,} cadres, "
          f"{b['files']:,} files, {b['bytes'] / 1e6:,.1f} MB, PDF {b['pdf']})")  # fmt: skip
    print(f"  reading that scope's rows only: {r['seconds']:.1f} s  {r['peak_mb']:,.0f} MB: the bundle "
          f"takes {b['seconds'] / r['seconds']:.1f}× the time of reading its rows")  # fmt: skip
    v = figures["volume"]
    print(f"  case booklet: {v['cases']:,} cases in {v['volumes']} PDF volumes; one volume of "
          f"{v['volume_cases']} cases ({v['pages']} pages): {v['seconds']:.1f} s  {v['peak_mb']:,.0f} MB, "
          f"so about {v['volumes'] * v['seconds'] / 60:.0f} min for the whole booklet")  # fmt: skip
    (workdir / "bench-publish.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"figures saved to {workdir / 'bench-publish.json'}")
    return 0


if __name__ == "__main__":
    harness.child_main({"measure": lambda what, warehouse, arg: _child(what, Path(warehouse), arg)})
