"""``dajiandu bench incremental``: what a nightly run costs when little or nothing changed.

Per roster size (the post history S8 included, as the generator writes it), each in its own child
process (so each has its own peak memory; CPU is the child's user + system time):

1. ``full``: ``dajiandu run --as-of <yesterday>`` into an empty warehouse (with a ``scopes.yaml``
   of two scopes, so the bundles are part of the run beside the case booklet and the serving
   database; ``--no-bundles`` leaves it out);
2. ``no change``: the same run again on the same sources, the same day;
3. ``next day``: the same sources, the as-of date moved on one day (today): what a nightly run
   costs when nothing arrived, since a scheduled run takes today's date;
4. ``new month``: the sources change as a month does — new and updated petition rows in the SQL
   table (their ``更新时间`` moved on), one new inspection workbook and one new audit file, one
   changed S8 row — and the run goes again;
5. ``full, same inputs``: a run into an empty warehouse on those changed sources. The warehouse
   of step 4 must equal it byte for byte, table by table (:func:`differences`);
6. ``duckdb reference``: a floor, not an equivalent — the same exports read with plain readers,
   typed, linked on exact keys and summed into a per-cadre profile in DuckDB SQL.

The outputs (case booklet, serving database, bundles) are timed inside each run, each on its own
line (CPU seconds of the run's process while it was writing them; the run is one process and
Dagster's in-process executor runs one step at a time). Every line carries the machine's load.
Each run also prints the steps that took the most CPU (the process's CPU seconds, sampled beside
its memory, from each step's start to its end) and the steps where its memory peaked: the
process's resident memory, sampled every 50 ms, at its highest while the step ran (from the run
log's step start and end), and how far it rose over what the process held when the step started.
"""

import json
import os
import re
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.bench import harness
from warehouse.clock import today

OUTPUTS = ("booklet", "serving", "bundles")


@dataclass
class Phase:
    """One timed child: wall and CPU seconds, peak memory, the load when it started, and the
    outputs' CPU seconds (runs only)."""

    phase: str
    cadres: int
    seconds: float
    cpu: float
    peak_mb: float
    load: float
    outputs: dict[str, float] = field(default_factory=dict)
    bundle_files: dict[str, int] = field(default_factory=dict)
    """The bundles' files this run made, and all their files (the others were carried over)."""
    steps: dict[str, list[float]] = field(default_factory=dict)
    """Step → [peak MB while it ran, rise over its start MB] (:func:`step_memory`)."""
    step_cpu: dict[str, float] = field(default_factory=dict)
    """Step → the process's CPU seconds while it ran (:func:`step_cpu`)."""


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measured(phase: str, cadres: int, command: list[str]) -> Phase:
    load = os.getloadavg()[0]
    before = _cpu_children()
    child = harness.timed(command, f"{phase} at {cadres:,} cadres")
    record = next((r for r in child.records if "outputs" in r), {})
    return Phase(
        phase, cadres, child.seconds, _cpu_children() - before, child.peak_mb, load,
        record.get("outputs", {}), record.get("bundle_files", {}), record.get("steps", {}),
        record.get("step_cpu", {}),
    )  # fmt: skip


class Sampler(threading.Thread):
    """The process's resident memory (``/proc/self/status``) and CPU seconds (user + system, all
    its threads), every ``every`` seconds, with the time: a list of (epoch seconds, MB, CPU s).
    Empty where ``/proc`` is not (not Linux)."""

    def __init__(self, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        status = Path("/proc/self/status")
        while status.exists() and not self.done.is_set():
            rss = next(
                (line for line in status.read_text().splitlines() if line.startswith("VmRSS:")), ""
            )
            if rss:
                usage = resource.getrusage(resource.RUSAGE_SELF)
                cpu = usage.ru_utime + usage.ru_stime
                self.samples.append((time.time(), int(rss.split()[1]) / 1024, cpu))
            self.done.wait(self.every)


_STEP_EVENT = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .* - (STEP_START|STEP_SUCCESS|STEP_FAILURE) - .*step \"([^\"]+)\""
)


def _step_spans(log: str) -> dict[str, tuple[float, float]]:
    """Per step of the run ``log`` (Dagster's lines, local time): when it started and ended."""
    spans: dict[str, list[float]] = {}
    for line in log.splitlines():
        m = _STEP_EVENT.match(line)
        if m:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            spans.setdefault(m.group(3), []).append(at)
    return {step: (v[0], v[1]) for step, v in spans.items() if len(v) >= 2}


def step_cpu(log: str, samples: Sequence[tuple[float, ...]]) -> dict[str, float]:
    """Per step of the run ``log``: the CPU seconds the process spent while it ran — the CPU of
    the last sample up to its end less that of the last sample before it started (its first,
    when none came before), so to within a sampling interval; a step no sample fell in is left
    out. Like :func:`step_memory`, of this process only."""
    found: dict[str, float] = {}
    for step, (start, end) in _step_spans(log).items():
        upto = [cpu for at, _, cpu, *_ in samples if at <= end]
        before = [cpu for at, _, cpu, *_ in samples if at < start]
        during = [cpu for at, _, cpu, *_ in samples if start <= at <= end]
        if during:
            found[step] = round(upto[-1] - (before[-1] if before else during[0]), 2)
    return found


def step_memory(log: str, samples: Sequence[tuple[float, ...]]) -> dict[str, list[float]]:
    """Per step of the run ``log`` (Dagster's lines, local time): [the highest sample while it
    ran, that less the last sample before it started (or its first, when none came before)], in
    MB; a step no sample fell in is left out. The samples are of this process: the figures mean
    nothing for steps run by other workers (``DAJIANDU_EXECUTOR=celery``)."""
    found: dict[str, list[float]] = {}
    for step, (start, end) in _step_spans(log).items():
        during = [mb for at, mb, *_ in samples if start <= at <= end]
        before = [mb for at, mb, *_ in samples if at < start]
        if during:
            peak = max(during)
            start = before[-1] if before else during[0]
            found[step] = [round(peak, 1), round(peak - start, 1)]
    return found


def run_command(sources_yaml: Path, warehouse: Path, as_of: str = "") -> list[str]:
    return harness.child_command("incremental", "run", sources_yaml, warehouse, as_of)


def _run(sources_yaml: str, warehouse: str, as_of: str = "") -> None:
    """Child: ``dajiandu run``, the outputs' CPU seconds measured as they are written."""
    import importlib

    from orchestration.runner import run_pipeline

    spent = dict.fromkeys(OUTPUTS, 0.0)
    files = {"made": 0, "files": 0}

    def timing(name: str, function: Any) -> Any:
        def measured(*args: Any, **kwargs: Any) -> Any:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            try:
                result = function(*args, **kwargs)
                if name == "bundles":  # how much of each bundle was made, not carried over
                    files["made"] += len(result.rendered)
                    files["files"] += result.files
                return result
            finally:
                after = resource.getrusage(resource.RUSAGE_SELF)
                spent[name] += (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)

        return measured

    # Wrapped where they live: the publishing assets import them when they run.
    for module, attribute, name in (
        ("warehouse.publish.booklet", "write_booklet", "booklet"),
        ("warehouse.publish.serving", "publish_serving", "serving"),
        ("warehouse.publish.bundle", "write_bundle", "bundles"),
    ):
        owner = importlib.import_module(module)
        setattr(owner, attribute, timing(name, getattr(owner, attribute)))
    sampler = Sampler()
    sampler.start()
    outcome = run_pipeline(Path(sources_yaml), Path(warehouse), as_of=as_of, log_level="WARNING")
    sampler.done.set()
    if not outcome.success:
        raise SystemExit(f"run failed: {outcome.failure}")
    log = outcome.log_file
    text = log.read_text(encoding="utf-8") if log else ""
    steps, cpu = step_memory(text, sampler.samples), step_cpu(text, sampler.samples)
    harness.emit({"outputs": spent, "bundle_files": files, "steps": steps, "step_cpu": cpu})


def scopes_yaml(sources_yaml: Path) -> None:
    """``scopes.yaml`` beside the sources: the first 市管 and the first 县管 scope of the roster."""
    import sqlite3

    with sqlite3.connect(sources_yaml.parent / "inbox" / "roster.db") as conn:
        codes = sorted({r[0] for r in conn.execute("SELECT 单位代码 FROM cadre_roster") if r[0]})
    county = next(c[:6] for c in codes if c[:6].isdigit() and not c[:6].endswith("00"))
    city = county[:4] + "00"
    text = f"scopes:\n  - 市管/{city}\n  - 县管/{county}\n"
    (sources_yaml.parent / "scopes.yaml").write_text(text, encoding="utf-8")


def new_month(sources_yaml: Path, seed: int = 11) -> dict[str, int]:
    """Change the sources as a month does; returns what changed (rows, files).

    - petitions (SQL): 0.6 % of the rows again as new ones (new 件号, received next month, still
      open) and 0.2 % updated (办理结果, 办结日期), each with ``更新时间`` in the new month;
    - one new inspection workbook (the latest round's findings, as next round's, new 问题编号);
    - one new audit file (the latest year's findings as next year's: new 审计项目编号, reported
      this month);
    - one changed S8 row (a post's 任免文号).
    """
    import csv
    import io
    import shutil
    import sqlite3

    import numpy as np
    import openpyxl

    rng = np.random.default_rng(seed)
    inbox = sources_yaml.parent / "inbox"
    stamp, received = "2026-12-05 10:00:00", "2026年12月3日"
    with sqlite3.connect(inbox / "petition.db") as conn:
        rowids = [r[0] for r in conn.execute("SELECT rowid FROM petition ORDER BY rowid")]
        fresh = rng.choice(rowids, size=max(3, len(rowids) * 6 // 1000), replace=False)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(petition)")]
        names = ", ".join(f'"{c}"' for c in columns)
        picked = ", ".join(
            {"件号": "'XF2026-8' || printf('%06d', rowid)", "收件日期": f"'{received}'",
             "更新时间": f"'{stamp}'", "原件号": "NULL", "重复件": "'否'", "办结日期": "NULL",
             "办理结果": "'办理中'"}.get(c, f'"{c}"')
            for c in columns
        )  # fmt: skip
        for rowid in fresh.tolist():
            conn.execute(
                f"INSERT INTO petition ({names}) SELECT {picked} FROM petition WHERE rowid = ?",
                (rowid,),
            )  # noqa: S608
        updated = rng.choice(rowids, size=max(2, len(rowids) * 2 // 1000), replace=False)
        for rowid in updated.tolist():
            conn.execute(
                "UPDATE petition SET 办理结果 = '已办结', 办结日期 = '2026年12月5日', 更新时间 = ? WHERE rowid = ?",
                (stamp, rowid),
            )
    with sqlite3.connect(inbox / "roster.db") as conn:
        conn.execute(
            "UPDATE cadre_post_history SET 任免文号 = '安组干〔2026〕99号' "
            "WHERE rowid = (SELECT max(rowid) FROM cadre_post_history)"
        )
    latest = sorted((inbox / "inspections").glob("*.xlsx"))[-1]
    book = openpyxl.load_workbook(latest)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    number, round_ = header.index("问题编号"), header.index("轮次")
    findings = 0
    for row in sheet.iter_rows(min_row=3):
        row[number].value = f"WT9{row[number].value}"
        row[round_].value = "2026年第5轮"
        findings += 1
    sheet.cell(1, 1).value = "XX市委巡察办 2026年第5轮巡察问题清单"
    book.save(inbox / "inspections" / "2026年第5轮巡察问题清单.xlsx")
    audit = sorted((inbox / "audits").glob("*.csv"))[-1]
    rows = list(csv.reader(io.StringIO(audit.read_bytes().decode("gb18030"), newline="")))
    project, reported = rows[0].index("审计项目编号"), rows[0].index("报告日期")
    for row in rows[1:]:  # next year's file: new project numbers, reported this month
        row[project] = row[project].replace("SJ20", "SJ29", 1)
        row[reported] = "2026-12-01"
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    target = inbox / "audits" / "2026年审计发现问题.csv"
    target.write_bytes(text.getvalue().encode("gb18030"))
    shutil.copystat(audit, target)
    return {"petitions_new": len(fresh), "petitions_updated": len(updated), "s8_changed": 1,
            "inspection_findings": findings, "audit_files": 1}  # fmt: skip


READ_LOG = ("since", "full_read_on", "read", "changed_rows")
"""What a SQL source's manifest says of the read that brought its rows (from a watermark or in
full, when, how many rows, and the read's name in its file list): how the table was read, not
what it holds."""


def _same_file(left: Path, right: Path) -> bool:
    """Byte for byte; a manifest's SQL read log (:data:`READ_LOG`) aside, and a bronze table's
    ``as_of`` (the date its rows were cleaned at: a source unchanged since an earlier day keeps
    its rows, which a run at the later date would land the same)."""
    a, b = left.read_bytes(), right.read_bytes()
    if a == b or left.name != "_manifest.json":
        return a == b
    manifests = [json.loads(a), json.loads(b)]
    for manifest in manifests:
        extra = manifest.get("extra", {})
        if str(manifest.get("table", "")).startswith("bronze/"):
            extra.pop("as_of", None)
        if "sql" not in extra:
            continue
        for key in READ_LOG:
            extra["sql"].pop(key, None)
        for read in extra.get("files", []):
            read.pop("load_id", None)  # the read's name: a digest, or >=watermark
    return manifests[0] == manifests[1]


def differences(one: Path, other: Path) -> list[str]:
    """Where two warehouses differ, table by table: a table only one has, or a file of a table
    (its Parquet files and manifest) whose bytes differ — a SQL source's manifest compared
    without its read log (:data:`READ_LOG`) — and their serving databases, table by table
    (:func:`serving_differences`). Empty when they are equal."""
    from warehouse.store import table_links

    a, b = table_links(one), table_links(other)
    found = [f"{t}: only in {one if t in a else other}" for t in sorted(a.keys() ^ b.keys())]
    for table in sorted(a.keys() & b.keys()):
        files = {
            p.relative_to(version).as_posix(): p
            for version in (a[table], b[table])
            for p in version.rglob("*")
            if p.is_file()
        }
        for name in sorted(files):
            left, right = a[table] / name, b[table] / name
            if not left.is_file() or not right.is_file():
                found.append(f"{table}: {name} only in one")
            elif not _same_file(left, right):
                found.append(f"{table}: {name} differs")
    return found + serving_differences(one / "serving.db", other / "serving.db")


def serving_differences(one: Path, other: Path) -> list[str]:
    """Where two serving databases differ, table by table: a table only one has, or a table whose
    rows differ as a multiset (a delta load keeps the rows of a whole one in another physical
    order; ``serving_meta.published_at`` is the clock's and left out)."""
    import sqlite3
    from contextlib import closing

    import polars as pl
    import sqlalchemy as sa

    from warehouse.read_sql import sqlite_batches

    def tables(path: Path) -> dict[str, tuple[int, int]]:
        if not path.is_file():
            return {}
        with closing(sqlite3.connect(path)) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                     if not r[0].startswith("_")]  # fmt: skip
            columns = {
                name: [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")') if r[1] != "published_at"]
                for name in names
            }  # fmt: skip
        held: dict[str, tuple[int, int]] = {}
        for name, read in columns.items():
            # As the SQL sources are read: every value as text (ADBC types a column by its first
            # 1,024 rows; one empty there, a profile's bar_until, failed on its first date).
            query: sa.Select[Any] = sa.select(*(sa.column(c) for c in read)).select_from(
                sa.table(name)
            )
            rows = pl.concat([pl.DataFrame(schema=dict.fromkeys(read, pl.String)),
                              *sqlite_batches(str(path), query, read)])  # fmt: skip
            total = int(rows.hash_rows(seed=0).sum()) if rows.height else 0
            held[name] = (rows.height, total)
        return held

    a, b = tables(one), tables(other)
    found = [
        f"serving {t}: only in {one if t in a else other}" for t in sorted(a.keys() ^ b.keys())
    ]
    return found + [
        f"serving {t}: rows differ" for t in sorted(a.keys() & b.keys()) if a[t] != b[t]
    ]


REFERENCE_SQL = """
CREATE TABLE cadre AS SELECT 人员编号 AS person_no, 公民身份号码 AS id_no, 姓名 AS name,
  单位名称 AS unit FROM roster WHERE 人员编号 IS NOT NULL AND 人员编号 <> '';
CREATE TABLE event AS
  SELECT 'petition' AS source, c.person_no, {petition_date} AS day
    FROM petition p JOIN cadre c ON c.id_no = p.被反映人身份证号
  UNION ALL SELECT 'inspection', c.person_no, TRY_CAST(i.反馈日期 AS DATE)
    FROM inspection i JOIN cadre c ON c.name = i.责任人 AND c.unit = i.被巡察单位
  UNION ALL SELECT 'audit', c.person_no, TRY_STRPTIME(a.报告日期, '%Y/%m/%d')::DATE
    FROM audit a JOIN cadre c ON c.id_no = a.公民身份号码
  UNION ALL SELECT 'sanction', c.person_no, TRY_CAST(s.决定日期 AS DATE)
    FROM sanction s JOIN cadre c ON c.person_no = s.人员编号
  UNION ALL SELECT 'tolerance', c.person_no, NULL FROM tolerance t JOIN cadre c ON c.person_no = t.人员编号
  UNION ALL SELECT 'post', c.person_no, TRY_CAST(LEFT(h.任职时间, 10) AS DATE)
    FROM post_history h JOIN cadre c ON c.person_no = h.人员编号;
CREATE TABLE profile AS SELECT c.person_no,
  count(e.source) FILTER (WHERE e.source = 'petition') AS petitions,
  count(e.source) FILTER (WHERE e.source = 'inspection') AS inspections,
  count(e.source) FILTER (WHERE e.source = 'audit') AS audits,
  count(e.source) FILTER (WHERE e.source = 'sanction') AS sanctions,
  count(e.source) FILTER (WHERE e.source = 'post') AS posts,
  max(e.day) AS last_event,
  any_value(g.grade) AS last_grade
  FROM cadre c LEFT JOIN event e USING (person_no)
  LEFT JOIN (SELECT 人员编号 AS person_no, arg_max(考核等次, TRY_CAST(考核年度 AS INTEGER)) AS grade
             FROM assessment GROUP BY 1) g USING (person_no)
  GROUP BY c.person_no;
"""
PETITION_DATE = "COALESCE(" + ", ".join(
    f"TRY_STRPTIME(p.收件日期, '{f}')" for f in ("%Y-%m-%d %H:%M:%S", "%Y年%m月%d日", "%Y/%m/%d", "%Y-%m-%d")
) + ")::DATE"  # fmt: skip


def _reference(sources_yaml: str, out: str) -> None:
    """Child: the DuckDB reference — read (the stack's plain readers), type, exact-key link,
    per-cadre profile, written to Parquet."""
    import duckdb
    import polars as pl

    from orchestration.bench.ingest import reference_frames

    frames: dict[str, list[pl.DataFrame]] = {}
    for source, frame in reference_frames(sources_yaml):
        frames.setdefault(source, []).append(frame.select(pl.all().cast(pl.String)))
    with duckdb.connect() as conn:
        for source, parts in frames.items():
            conn.register(f"_{source}", pl.concat(parts, how="diagonal").to_arrow())
            conn.execute(f'CREATE TABLE "{source}" AS SELECT * FROM "_{source}"')
        conn.execute(REFERENCE_SQL.format(petition_date=PETITION_DATE))
        conn.execute(f"COPY profile TO '{out}' (FORMAT parquet)")
        rows = conn.execute("SELECT count(*), (SELECT count(*) FROM event) FROM profile").fetchone()
    assert rows is not None
    harness.emit({"profiles": rows[0], "events": rows[1]})


TABLE = harness.Table(
    harness.Column("cadres", 10, ","),
    harness.Column("phase", 20, left=True, gap=2),
    harness.Column("wall s", 8, ".1f"),
    harness.Column("CPU s", 8, ".1f"),
    harness.Column("peak MB", 9, ",.0f"),
    harness.Column("× full", 8, ".2f", suffix="×"),
    harness.Column("× duckdb", 9, ".1f", suffix="×"),
    harness.Column("load", 6, ".1f"),
)


def _show(phases: list[Phase], p: Phase) -> None:
    """Print one phase as it ends, with its ratios to the full run and the DuckDB reference."""
    phases.append(p)
    reference, full = phases[0], phases[1] if len(phases) > 1 else p
    print(TABLE.row(p.cadres, p.phase, p.seconds, p.cpu, p.peak_mb,
                    harness.ratio(p.cpu, full.cpu), harness.ratio(p.cpu, reference.cpu), p.load))  # fmt: skip
    for name in OUTPUTS if p.outputs else ():
        cpu = p.outputs[name]
        print(TABLE.row(None, f"  of which {name}", None, cpu, None,
                        harness.ratio(cpu, full.outputs[name]), None, None))  # fmt: skip
    if p.bundle_files.get("files"):
        made, total = p.bundle_files["made"], p.bundle_files["files"]
        print(TABLE.aside(f"bundles: {made:,} of {total:,} files made; the others hard-linked "
                          "(unchanged since the last run, or the booklet's copy)"))  # fmt: skip
    if p.step_cpu:
        top_cpu = sorted(p.step_cpu.items(), key=lambda kv: -kv[1])[:8]
        print(TABLE.aside("CPU s by step: " + ", ".join(f"{step} {cpu:,.1f}" for step, cpu in top_cpu)))  # fmt: skip
    if p.steps:
        top = sorted(p.steps.items(), key=lambda kv: -kv[1][0])[:5]
        print(TABLE.aside("peak MB by step (rise while it ran): " + ", ".join(
            f"{step} {peak:,.0f} (+{rise:,.0f})" for step, (peak, rise) in top)))  # fmt: skip
    if p.outputs:
        data, base = p.cpu - sum(p.outputs.values()), full.cpu - sum(full.outputs.values())
        print(TABLE.aside(f"without the outputs: {data:.1f} s CPU = {harness.ratio(data, base):.2f}× "
                          f"the full run's, {harness.ratio(data, reference.cpu):.1f}× the DuckDB reference"), flush=True)  # fmt: skip


def bench_incremental(sizes: list[int], workdir: Path, seed: int = 7, bundles: bool = True) -> int:
    """The six phases at each roster size, each line printed as it is measured (the DuckDB
    reference first, so every run has its ratio to it); the figures are saved as JSON.

    Returns 1 when an incremental warehouse differs from the full rebuild on the same inputs."""
    figures: list[dict[str, Any]] = []
    failed = False
    for cadres in sizes:
        print(TABLE.header(), flush=True)
        phases: list[Phase] = []

        show = lambda p, seen=phases: _show(seen, p)  # noqa: E731
        found, changes = measure(workdir, cadres, seed, show, bundles)
        print(TABLE.aside(f"new month: {changes}"))
        verdict = "equal byte for byte, table by table" if not found else f"DIFFERENT: {found[:10]}"
        print(
            TABLE.aside(f"new-month warehouse vs full rebuild on the same inputs: {verdict}"),
            flush=True,
        )
        failed |= bool(found)
        figures.append({"cadres": cadres, "phases": [asdict(p) for p in phases],
                        "differences": found, "new_month": changes})  # fmt: skip
    harness.save_figures(workdir, "incremental", figures)
    return 1 if failed else 0


def measure(
    workdir: Path,
    cadres: int,
    seed: int,
    show: Callable[[Phase], None] = lambda _: None,
    bundles: bool = True,
) -> tuple[list[str], dict[str, int]]:
    """Generate, then the six phases (each handed to ``show`` as it ends): the differences
    between the new-month warehouse and the full rebuild on the same inputs, and what the new
    month changed. ``bundles``: with a ``scopes.yaml`` of two scopes, so the runs write bundles."""
    sample = harness.generate_sample(workdir, cadres, seed)
    if bundles:
        scopes_yaml(sample.sources_yaml)
    root, sources = sample.root, sample.sources_yaml
    reference = harness.child_command(
        "incremental", "reference", sources, root / "reference.parquet"
    )
    show(_measured("duckdb reference", cadres, reference))
    yesterday = (today() - timedelta(days=1)).isoformat()
    show(_measured("full", cadres, run_command(sources, root / "warehouse", yesterday)))
    show(_measured("no change", cadres, run_command(sources, root / "warehouse", yesterday)))
    show(_measured("next day", cadres, run_command(sources, root / "warehouse")))
    changes = new_month(sources)
    show(_measured("new month", cadres, run_command(sources, root / "warehouse")))
    show(_measured("full, same inputs", cadres, run_command(sources, root / "full")))
    return differences(root / "warehouse", root / "full"), changes


if __name__ == "__main__":
    harness.child_main({"run": _run, "reference": _reference})
