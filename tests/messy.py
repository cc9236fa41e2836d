"""Messy source sets for property-based tests: every source, every file kind, any row carrying
any combination of the defect classes of SOURCES.md — and, for each row, what must become of it.

A :class:`MessyRow` holds the text written for each field and the rule ids its defects must be
quarantined under (empty when the row must land). Values are drawn per field kind from the
written forms real exports use (dates in seven forms, ID numbers spaced or full-width, names in
traditional characters, enum synonyms …) and, with some probability per field, a defect of that
kind (an impossible date, an unknown code, an empty required field, an unreadable amount …).
Whole-row defects (a ragged CSV line, a broken or non-object JSON line) replace the field rules
with the reader's. Files are written as CSV (UTF-8, UTF-8 with BOM, GB18030, GB18030 with UTF-8
lines pasted in), xlsx (title rows, blank rows, a 合计 row), JSONL or a SQLite table.
"""

import csv
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import opencc
import xlsxwriter
from hypothesis import strategies as st

from transforms.specs import SPECS, FieldSpec, SourceSpec

REPORTERS = [("黎明远", "13907714321", "510105198001011239"), ("覃秀兰", "0771-5831234", "")]
"""Reporter values planted in petitions: none may reach anything a run writes."""

_S2T = opencc.OpenCC("s2t")
_NAMES = ["张伟", "王芳", "李强", "欧阳修远", "阿依古丽·买买提", "陈海", "刘洋", "赵敏"]
_TEXT = ["落实不到位", "资金使用不规范，存在隐患", "第一行\n第二行", '含"引号"和,逗号', "情况说明"]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_BAD = {
    "date": ["2024-02-30", "2023-13-01", "明年三月", "2024/2/31"],
    "datetime": ["2024-02-30 10:00:00", "昨天"],
    "year_month": ["1975.13", "七五年"],
    "int": ["十二", "1.5", "12个月"],
    "float": ["八十", "85分"],
    "ratio": ["很高", "八成"],
    "amount": ["约五十万", "12..5"],
    "bool": ["也许", "待定"],
    "enum": ["待定", "其它情况"],
    "id_number": ["45010219800101", "4501021980010112345", "ABCDEFGHIJKLMNOPQR"],
}
_RULE = {
    "date": "valid_date", "datetime": "valid_datetime", "year_month": "valid_year_month",
    "int": "valid_number", "float": "valid_number", "ratio": "valid_share",
    "amount": "valid_amount", "bool": "valid_bool", "enum": "known_value",
    "id_number": "valid_id_number",
}  # fmt: skip
FILE_KINDS = ["csv-utf8", "csv-bom", "csv-gb18030", "csv-mixed", "xlsx", "jsonl"]
"""How a source may arrive as files (the roster and petitions also as a SQLite table)."""


def id_number(seed: int) -> str:
    first = f"450102{date(1960, 1, 1) + timedelta(days=seed % 12000):%Y%m%d}{seed % 1000:03d}"
    return first + _CHECK[sum(int(d) * w for d, w in zip(first, _ID_WEIGHTS, strict=True)) % 11]


def _date_forms(day: date) -> list[str]:
    serial = (day - date(1899, 12, 30)).days
    return [f"{day:%Y-%m-%d}", f"{day.year}/{day.month}/{day.day}", f"{day:%Y.%m.%d}",
            f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}", f"{day:%Y-%m-%d} 09:30:00",
            str(serial)]  # fmt: skip


def _id_forms(number: str) -> list[str]:
    full = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    wrong = number[:16] + str((int(number[16]) + 3) % 10) + number[17]
    legacy = number[:6] + number[8:17]
    return [
        number,
        f"{number[:6]} {number[6:14]} {number[14:]}",
        full,
        number.lower(),
        legacy,
        wrong,
    ]


@dataclass
class MessyRow:
    """One row as written (field → text, ``None`` for an empty cell) and its fate."""

    values: dict[str, str | None]
    rules: set[str] = field(default_factory=set)
    shape: str = "ok"
    """``ok``, or a whole-row defect: ``ragged`` (CSV), ``bad_json`` / ``json_array`` (JSONL)."""


@dataclass
class MessyFile:
    source: str
    kind: str
    name: str
    rows: list[MessyRow]
    title_rows: int = 0
    blank_rows: int = 0
    total_row: bool = False
    written_rows: dict[int, MessyRow] = field(default_factory=dict)
    """After writing: the row number the reader gives each data row (lineage ``_source_row``)."""


@st.composite
def _value(
    draw: st.DrawFn, spec: FieldSpec, row: int, defects: bool
) -> tuple[str | None, str | None]:
    """The text of one field and the rule id its defect breaks (None when the value is good)."""
    if defects and spec.required and draw(st.integers(0, 30)) == 0:
        return None, f"{spec.name}.required"
    if defects and spec.kind in _BAD and draw(st.integers(0, 25)) == 0:
        return draw(st.sampled_from(_BAD[spec.kind])), f"{spec.name}.{_RULE[spec.kind]}"
    if not spec.required and draw(st.integers(0, 5)) == 0:
        return None, None
    kind = spec.kind
    if kind in ("date", "datetime"):
        day = date(2019, 1, 1) + timedelta(days=draw(st.integers(0, 6 * 365)))
        return draw(st.sampled_from(_date_forms(day))), None
    if kind == "year_month":
        year, month = draw(st.integers(1960, 1995)), draw(st.integers(1, 12))
        return draw(
            st.sampled_from([f"{year}.{month:02d}", f"{year}-{month:02d}", f"{year}年{month}月"])
        ), None
    if kind == "int":
        number = (
            draw(st.sampled_from([12, 24]))
            if spec.name == "留党察看期限"
            else draw(st.integers(1, 30))
        )
        return draw(st.sampled_from([str(number), f"{number}.0"])), None
    if kind == "float":
        return f"{draw(st.integers(0, 1000)) / 10}", None
    if kind == "ratio":
        share = draw(st.integers(0, 100))
        return draw(st.sampled_from([f"{share / 100}", f"{share}%", f"{share}％"])), None
    if kind == "amount":
        cents = draw(st.integers(0, 10**8))
        return draw(
            st.sampled_from([f"{cents / 100:,.2f}", f"{cents / 100}", f"{cents // 100}元"])
        ), None
    if kind == "bool":
        return draw(st.sampled_from(["是", "否", "Y", "N", "1", "0", "√", "×"])), None
    if kind == "enum":
        return draw(st.sampled_from(sorted((spec.vocabulary or {}).keys()))), None
    if kind == "name":
        name = draw(st.sampled_from(_NAMES))
        form = draw(st.sampled_from(["plain", "traditional", "spaced", "dot"]))
        if form == "traditional":
            return str(_S2T.convert(name)), None
        if form == "spaced" and len(name) == 2:
            return f"{name[0]} {name[1]}", None
        return name.replace("·", "•") if form == "dot" else name, None
    if kind == "id_number":
        return draw(
            st.sampled_from(_id_forms(id_number(row * 7919 + draw(st.integers(0, 50)))))
        ), None
    return draw(st.sampled_from(_TEXT)), None


def _keyed(source: SourceSpec, index: int, file_no: int) -> dict[str, str]:
    """Values that keep keys unique and dates in order (cleaning and the gate check both)."""
    tag = f"{file_no}{index:04d}"
    keys = {
        "roster": {"人员编号": f"RY{tag}", "行政区划代码": "450102", "管理权限": "县管"},
        # 免职时间 ≥ 任职时间 is a table-level rule: the current post only (免职时间 left empty).
        "post_history": {"人员编号": f"RY{tag}", "免职时间": None},
        "inspection": {"轮次": f"2024年第{file_no + 1}轮", "问题编号": f"WT{tag}"},
        "audit": {"审计项目编号": f"SJ{tag}", "问题编号": "1"},
        # Dates the suites compare (收件 ≤ 办结, 申请 ≤ 认定) are left out: a row whose order
        # breaks a table-level rule holds the whole table (tested elsewhere), not a row.
        "petition": {"件号": f"XF2024-{tag}", "更新时间": None, "办结日期": None},
        "assessment": {
            "人员编号": f"RY{tag}",
            "考核年度": "2024",
            "考核类型": "年度考核",
            "考核周期": "2024",
        },
        "sanction": {"人员编号": f"RY{tag}", "公民身份号码": None, "影响期截止": None},
        "tolerance": {"案例编号": f"RC{tag}", "申请日期": None},
    }[source.name]
    return {k: v for k, v in keys.items() if v is not None} | {
        k: "" for k, v in keys.items() if v is None
    }


@st.composite
def messy_row(draw: st.DrawFn, source: SourceSpec, index: int, file_no: int, kind: str) -> MessyRow:
    values: dict[str, str | None] = {}
    rules: set[str] = set()
    fixed = _keyed(source, index, file_no)
    for spec in source.fields:
        if spec.name == source.flag:
            continue
        if spec.name in fixed:
            values[spec.name] = fixed[spec.name] or None
            continue
        text, rule = draw(_value(spec, index, defects=True))
        values[spec.name] = text
        if rule:
            rules.add(rule)
    for spec in source.fields:
        if spec.unless is not None and f"{spec.name}.required" in rules:
            other, waived = spec.unless
            vocabulary = next(f.vocabulary or {} for f in source.fields if f.name == other)
            if vocabulary.get(values.get(other) or "") in waived:
                rules.discard(f"{spec.name}.required")  # a roster names no unit for one who left
    if source.name == "sanction" and draw(st.integers(0, 20)) == 0:
        values["人员编号"] = None  # and no ID number either: the row names nobody
        rules.add("person_key.present")
    if source.name == "inspection" and draw(st.integers(0, 20)) == 0:
        values["轮次"] = "第三轮"  # no year to file it under
        rules.add("轮次.has_period")
    if source.protected:
        reporter = REPORTERS[index % len(REPORTERS)]
        values.update(zip(source.protected, reporter, strict=True))
    shape = "ok"
    if kind.startswith("csv") and draw(st.integers(0, 30)) == 0:
        shape = "ragged"
    if kind == "jsonl" and draw(st.integers(0, 30)) == 0:
        shape = draw(st.sampled_from(["bad_json", "json_array"]))
    if shape != "ok":
        rules = {{"ragged": "row.field_count", "bad_json": "row.valid_json",
                  "json_array": "row.json_object"}[shape]}  # fmt: skip
    return MessyRow(values, rules, shape)


@st.composite
def messy_file(draw: st.DrawFn, source: SourceSpec, file_no: int, kinds: list[str]) -> MessyFile:
    kind = draw(st.sampled_from(kinds))
    count = draw(st.integers(1, 6))
    rows = [draw(messy_row(source, i, file_no, kind)) for i in range(count)]
    suffix = {"xlsx": "xlsx", "jsonl": "jsonl", "sqlite": "db"}.get(kind, "csv")
    return MessyFile(
        source.name, kind, f"{source.name}_{file_no}.{suffix}", rows,
        title_rows=draw(st.integers(0, 2)) if kind == "xlsx" else 0,
        blank_rows=draw(st.integers(0, 2)) if kind in ("xlsx", "csv-utf8", "jsonl") else 0,
        total_row=kind == "xlsx" and draw(st.booleans()),
    )  # fmt: skip


@st.composite
def messy_sources(draw: st.DrawFn) -> list[MessyFile]:
    """A roster and any of the other sources, each in one or two files of any kind."""
    files = [draw(messy_file(SPECS["roster"], 0, ["sqlite", "csv-utf8", "xlsx"]))]
    others = draw(st.sets(st.sampled_from([s for s in SPECS if s != "roster"]), min_size=1))
    for name in sorted(others):
        if name == "petition" and draw(st.booleans()):
            files.append(draw(messy_file(SPECS[name], 0, ["sqlite"])))  # one SQL table
            continue
        for file_no in range(draw(st.integers(1, 2))):
            files.append(draw(messy_file(SPECS[name], file_no, FILE_KINDS)))
    return files


# ---------------------------------------------------------------------------------- writing


def _header(source: SourceSpec) -> list[str]:
    return [f.name for f in source.fields if f.name != source.flag] + list(source.protected)


def _cells(row: MessyRow, header: list[str]) -> list[str]:
    cells = ["" if row.values.get(h) is None else str(row.values[h]) for h in header]
    if row.shape == "ragged":
        return cells[: len(cells) // 2]
    return cells


def write(files: list[MessyFile], root: Path) -> Path:
    """Write the files under ``root/inbox`` and a ``sources.yaml``; return the sources file."""
    inbox = root / "inbox"
    entries = {}
    for file in files:
        spec = SPECS[file.source]
        folder = inbox / file.source
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / file.name
        header = _header(spec)
        if file.kind == "sqlite":
            _write_sqlite(path, file, spec, header)
            table = "cadre_roster" if file.source == "roster" else file.source
            entries[file.source] = (
                f'{{sql: "sqlite:///inbox/{file.source}/{file.name}", table: {table}}}'
            )
            continue
        entries.setdefault(file.source, f'{{files: "inbox/{file.source}/*"}}')
        if file.kind.startswith("csv"):
            _write_csv(path, file, header)
        elif file.kind == "xlsx":
            _write_xlsx(path, file, header, spec.sheet or "Sheet1")
        else:
            _write_jsonl(path, file, header)
    sources = root / "sources.yaml"
    sources.write_text("".join(f"{k}: {v}\n" for k, v in entries.items()), encoding="utf-8")
    return sources


def _write_csv(path: Path, file: MessyFile, header: list[str]) -> None:
    """One line per record (a cell with a newline spans two), in the file's encoding; a
    ``csv-mixed`` file is GB18030 with every other data row pasted in as UTF-8."""
    encoding = "gb18030" if file.kind in ("csv-gb18030", "csv-mixed") else "utf-8"
    out = [b"\xef\xbb\xbf"] if file.kind == "csv-bom" else []
    out += [b"\r\n"] * file.blank_rows
    number = file.blank_rows
    for n, cells in enumerate([header, *(_cells(r, header) for r in file.rows)]):
        text = _csv_line(cells)
        own = "utf-8" if file.kind == "csv-mixed" and n % 2 == 0 and n else encoding
        out.append(text.encode(own))
        number += text.count("\n")  # the line the record ends on, as the csv reader counts
        if n:
            file.written_rows[number] = file.rows[n - 1]
    path.write_bytes(b"".join(out))


def _csv_line(cells: list[str]) -> str:
    from io import StringIO

    out = StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def _write_xlsx(path: Path, file: MessyFile, header: list[str], sheet: str) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    at = 0
    for t in range(file.title_rows):
        ws.merge_range(at, 0, at, max(1, len(header) - 1), f"XX单位 导出清单（第{t + 1}行标题）")
        at += 1
    ws.write_row(at, 0, header)
    at += 1
    for n, row in enumerate(file.rows):
        if n == 1 and file.blank_rows:
            at += file.blank_rows  # blank rows between data rows
        for c, text in enumerate(_cells(row, header)):
            if text:
                ws.write_string(at, c, text)
        file.written_rows[at + 1] = row
        at += 1
    if file.total_row:
        ws.write_string(at + 1, 0, "合计")
        ws.write_string(at + 1, 1, f"{len(file.rows)}条")
    book.close()


def _write_jsonl(path: Path, file: MessyFile, header: list[str]) -> None:
    lines = []
    for n, row in enumerate(file.rows):
        if n == 1:
            lines += [""] * file.blank_rows
        values = {h: row.values[h] for h in header if row.values.get(h) is not None}
        if row.shape == "bad_json":
            text = json.dumps(values, ensure_ascii=False)[:-3]
        elif row.shape == "json_array":
            text = json.dumps(list(values.values()), ensure_ascii=False)
        else:
            text = json.dumps(values, ensure_ascii=False)
        lines.append(text)
        file.written_rows[len(lines)] = row
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_sqlite(path: Path, file: MessyFile, spec: SourceSpec, header: list[str]) -> None:
    table = "cadre_roster" if file.source == "roster" else file.source
    rows = [[r.values.get(h) for h in header] for r in file.rows]
    order = [header.index(c) for c in spec.sql_order if c in header]
    ranked = sorted(zip(rows, file.rows, strict=True),
                    key=lambda p: tuple((p[0][c] is not None, p[0][c] or "") for c in order))  # fmt: skip
    file.written_rows = {n: row for n, (_, row) in enumerate(ranked, start=1)}
    with sqlite3.connect(path) as conn:
        conn.execute(
            f'CREATE TABLE "{table}" ({", ".join(f"{chr(34)}{h}{chr(34)} TEXT" for h in header)})'
        )
        conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in header)})', rows)
