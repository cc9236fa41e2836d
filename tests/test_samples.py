"""The sample generator: the same seed gives the same files, and the defect table, the truth and
the written files agree (each defect recorded is in its file, each one in the table recorded)."""

import csv
import sqlite3
from pathlib import Path

import orjson
import pytest
import python_calamine

from tests.conftest import SMALL
from warehouse.samples import (
    ASSESSMENT_COLUMNS,
    AUDIT_COLUMNS,
    DEFECTS,
    INSPECTION_COLUMNS,
    PETITION_COLUMNS,
    POST_HISTORY_COLUMNS,
    ROSTER_COLUMNS,
    SANCTION_COLUMNS,
    TOLERANCE_COLUMNS,
    CutShort,
    Defect,
    Ragged,
    generate,
)
from warehouse.samples.injection import damage_rows
from warehouse.samples.truth import Sink

COLUMNS = {
    "roster": ROSTER_COLUMNS,
    "post_history": POST_HISTORY_COLUMNS,
    "petition": PETITION_COLUMNS,
    "inspection": INSPECTION_COLUMNS,
    "audit": AUDIT_COLUMNS,
    "assessment": ASSESSMENT_COLUMNS,
    "sanction": SANCTION_COLUMNS,
    "tolerance": TOLERANCE_COLUMNS,
}


def test_the_same_seed_gives_the_same_files(generated: Path, tmp_path: Path) -> None:
    generate(tmp_path, cadres=SMALL, seed=11)
    files = sorted(p.relative_to(generated) for p in generated.rglob("*") if p.is_file())
    again = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert files == again and len(files) == 32
    # Workbooks too: they state a fixed creation time, not the time of writing.
    different = [f for f in files if (generated / f).read_bytes() != (tmp_path / f).read_bytes()]
    assert different == []


def _truth(generated: Path) -> list[dict[str, str]]:
    with (generated / "truth" / "defects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_truth_lists_exactly_the_defect_table(generated: Path) -> None:
    truth = _truth(generated)
    assert [(r["source"], r["defect"]) for r in truth] == [(d.source, d.name) for d in DEFECTS]


def test_each_defect_names_columns_its_source_has_and_says_why() -> None:
    for defect in DEFECTS:
        assert set(defect.columns) <= set(COLUMNS[defect.source]), defect
        assert defect.columns or isinstance(defect.value, CutShort), defect
        assert defect.why and defect.name, defect
    places = [(d.source, d.file, d.row) for d in DEFECTS]
    assert len(set(places)) == len(places)  # one defect a row: quarantine names it alone


def _sql_row(generated: Path, file: str, row: int) -> dict[str, object]:
    database, table = file.removeprefix("sqlite:///").split("#")
    with sqlite3.connect(generated / database) as conn:
        cursor = conn.execute(
            f'SELECT * FROM "{table}" ORDER BY rowid LIMIT 1 OFFSET ?', (row - 1,)
        )
        values = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], values, strict=True))


def _sheet_row(path: Path, row: int) -> dict[str, object]:
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    cells = sheet.to_python()
    return dict(zip(cells[1], cells[row - 1], strict=False))  # row 1: the title, 2: the header


def _csv_cells(path: Path, row: int) -> tuple[list[str], list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    lines = list(csv.reader(text.splitlines()))
    return lines[0], lines[row - 1]


def _check_cells(defect: Defect, cells: dict[str, object], blank: object) -> None:
    for column in defect.columns:
        wanted = blank if defect.value is None else defect.value
        assert cells[column] == wanted, (defect, cells[column])


def _check_written(generated: Path, defect: Defect, file: str, row: int) -> None:
    """The defect is in ``file`` at ``row`` (as the truth numbers rows), read back from the file."""
    path = generated / file
    if file.startswith("sqlite:///"):
        _check_cells(defect, _sql_row(generated, file, row), None)
    elif path.suffix == ".xlsx":
        _check_cells(defect, _sheet_row(path, row), "")
    elif path.suffix == ".csv":
        header, cells = _csv_cells(path, row)
        if isinstance(defect.value, Ragged):
            assert len(cells) == header.index(defect.columns[0]) < len(header), defect
        else:
            _check_cells(defect, dict(zip(header, cells, strict=True)), "")
    else:
        line = path.read_text(encoding="utf-8").split("\n")[row - 1]
        if isinstance(defect.value, CutShort):
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(line)
        else:
            _check_cells(defect, orjson.loads(line), None)


def test_each_defect_is_in_the_file_and_row_the_truth_names(generated: Path) -> None:
    truth = _truth(generated)
    assert len(truth) == len(DEFECTS)
    for defect, recorded in zip(DEFECTS, truth, strict=True):
        _check_written(generated, defect, recorded["file"], int(recorded["row"]))


def test_a_defect_not_written_cannot_be_recorded() -> None:
    # The truth is written from the table: a defect the generator did not apply is an error,
    # never a line of defects.csv pointing at a clean row.
    with pytest.raises(ValueError, match="never written"):
        Sink().defect_rows()


def test_a_ragged_defect_cuts_the_row_at_its_column() -> None:
    # Why: the ragged audit row must be shorter than the header, from the named column on.
    defect = next(d for d in DEFECTS if isinstance(d.value, Ragged))
    rows: list[list[object]] = [list(AUDIT_COLUMNS) for _ in range(defect.row + 1)]
    sink = Sink()
    damage_rows(sink, defect.source, defect.file, rows, AUDIT_COLUMNS)
    assert rows[defect.row] == AUDIT_COLUMNS[: AUDIT_COLUMNS.index(defect.columns[0])]
    assert sink.damaged[defect] == id(rows[defect.row])
