"""Helpers for the publishing tests: is PDF rendering possible here, and every readable text of
a bundle (HTML, CSV, JSON, each xlsx part unzipped, each PDF's text through pdftotext)."""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import polars as pl
import pytest

from warehouse.publish import pdf
from warehouse.store import Warehouse

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdffonts")


def need_pdf() -> None:
    """Skip (saying why) where PDFs cannot be made or read back; under CI=true, fail instead."""
    reason = pdf.unavailable()
    if reason is None and not POPPLER:
        reason = (
            "poppler-utils is not installed (apt-get install poppler-utils): PDFs not read back"
        )
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}; .ci/run installs libpangoft2-1.0-0 and poppler-utils")
    pytest.skip(reason)


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def bundle_texts(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` as text: decoded, unzipped (xlsx) or extracted (PDF); other
    files (fonts) as Latin-1, so that any ASCII key or ID number in them is found too."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".html", ".json", ".csv", ".txt"):
            out[name] = path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                out[name] = "\n".join(book.read(m).decode("utf-8") for m in book.namelist())
        elif path.suffix == ".pdf":
            out[name] = pdf_text(path) if POPPLER else ""
            out[name + " (bytes)"] = path.read_bytes().decode("latin-1")
        else:
            out[name] = path.read_bytes().decode("latin-1")
    return out


PERSON_TABLES = (
    ("silver", "cadre"), ("silver", "supervision_event"), ("silver", "cadre_post"),
    ("gold", "cadre_profile"), ("gold", "cadre_timeline"), ("gold", "warning"),
    ("gold", "promotion_check"), ("gold", "clearance"), ("gold", "tolerance_review"),
    ("gold", "inconsistency"),
)  # fmt: skip
OTHER_TABLES = (("gold", "unit_portrait"), ("gold", "tolerance_case"))


def baseline_frames(baseline: Path, inside: int = 4, outside: int = 2) -> dict[str, pl.DataFrame]:
    """The baseline's tables cut to a few cadres: the first ``inside`` 市管 cadres of 450101 (the
    scope 市管/450101) and the first ``outside`` 县管 ones (another scope), keyed ``layer/name``."""
    store = Warehouse(baseline)
    cadres = store.scan("silver", "cadre").sort("person_no").collect()
    chosen = pl.concat([
        cadres.filter(pl.col("scope_level") == "市管").head(inside),
        cadres.filter(pl.col("scope_level") == "县管").head(outside),
    ]).select("person_no")  # fmt: skip
    frames = {}
    for layer, name in PERSON_TABLES:
        frame = store.scan(layer, name).collect()
        frames[f"{layer}/{name}"] = frame.join(chosen, on="person_no", how="semi")
    for layer, name in OTHER_TABLES:
        frames[f"{layer}/{name}"] = store.scan(layer, name).collect()
    return frames


def write_warehouse(root: Path, frames: dict[str, pl.DataFrame]) -> Warehouse:
    """A warehouse at ``root`` whose tables are ``frames`` (each staged and published)."""
    store = Warehouse(root)
    for table, frame in frames.items():
        layer, name = table.split("/", 1)
        store.publish(store.stage(layer, name, frame))
    return store


def rekey(frames: dict[str, pl.DataFrame], old: str, new: str) -> None:
    """Give cadre ``old`` the 人员编号 ``new`` in every table (as a roster export would)."""
    for table, frame in frames.items():
        if "person_no" in frame.columns:
            frames[table] = frame.with_columns(
                pl.when(pl.col("person_no") == old).then(pl.lit(new)).otherwise(pl.col("person_no"))
                .alias("person_no")
            )  # fmt: skip


def files_outside(top: Path, allowed: list[Path]) -> list[str]:
    """Every file under ``top`` that is not inside one of ``allowed`` (folders or files)."""
    bad = []
    for path in top.rglob("*"):
        if path.is_file() and not any(path == a or a in path.parents for a in allowed):
            bad.append(str(path.relative_to(top)))
    return sorted(bad)


def table_bytes(warehouse: Path, layer: str, name: str) -> list[bytes]:
    """The Parquet files of a table's current version, in order: what byte equality compares."""
    folder = Warehouse(warehouse).table_path(layer, name).resolve()
    return [p.read_bytes() for p in sorted(folder.rglob("*.parquet"))]


def type_into_list(bundle: Path, sheet: str, row_of: dict[str, str], cells: dict[str, str]) -> Path:
    """What an officer does: open the bundle's list ``excel/<sheet>.xlsx``, type ``cells`` into
    the row whose columns hold ``row_of``, save it as a new file beside the bundle."""
    from openpyxl import load_workbook

    path = bundle / "excel" / f"{sheet}.xlsx"
    book = load_workbook(path)
    page = book.active
    assert page is not None
    header = [c.value for c in page[1]]
    for row in page.iter_rows(min_row=2):
        values = dict(zip(header, (c.value for c in row), strict=True))
        if all(values[k] == v for k, v in row_of.items()):
            for name, value in cells.items():
                row[header.index(name)].value = value
            break
    else:
        raise AssertionError(f"{row_of} is not in {path}")
    typed = bundle.parent / f"typed-{len(list(bundle.parent.glob('typed-*')))}.xlsx"
    book.save(typed)
    return typed


def write_sheet(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """An officer's spreadsheet: ``header`` then ``rows`` on the first sheet, saved at ``path``."""
    from openpyxl import Workbook

    book = Workbook()
    page = book.active
    assert page is not None
    page.append(header)
    for row in rows:
        page.append(row)
    book.save(path)
    return path
