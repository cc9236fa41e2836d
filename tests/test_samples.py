"""The sample generator: the same seed gives the same files, and the defect table, the truth and
the written files agree (each defect recorded is in its file, each one in the table recorded)."""

import csv
import hashlib
import sqlite3
from pathlib import Path

import orjson
import polars as pl
import pytest
import python_calamine

from tests.conftest import SMALL
from transforms.normalize import parse_date
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
from warehouse.samples.profiles import DOTS, PROFILES, Geography
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


DEFAULT_SHA256 = "b9097f45a22ebbef86537ef5fbe65549ec6eb1056f146c81d0cde16b589e83d6"
"""Every file of the default profile at ``SMALL`` cadres, seed 11 (paths and bytes), as the
generator wrote them before region profiles existed (computed on commit 7c34a7f), but for the
post history's rows, written in order of 任职时间 since the post history is read so: the same
rows of ``cadre_post_history`` and the same defects (at their new row numbers in
``truth/defects.csv``); every other file byte for byte (compared with 65038bd)."""


def test_the_default_profile_writes_the_bytes_it_always_wrote(generated: Path) -> None:
    # Why: many tests and benches rely on the default's exact bytes for a seed; a profile's hooks
    # (unit forms, leavers, truth columns) must not move one draw of the default's streams.
    digest = hashlib.sha256()
    for file in sorted(p for p in generated.rglob("*") if p.is_file()):
        digest.update(file.relative_to(generated).as_posix().encode())
        digest.update(file.read_bytes())
    assert digest.hexdigest() == DEFAULT_SHA256


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sources of the two region profiles at 2,000 cadres (宁波's first three districts and
    county-level cities; 伊犁州's first three), read-only."""
    out = {}
    for name in ("prefecture", "autonomous"):
        out[name] = tmp_path_factory.mktemp(name)
        generate(out[name], cadres=2000, seed=7, profile=name)
    return out


def _table(root: Path, database: str, table: str) -> pl.DataFrame:
    with sqlite3.connect(root / "inbox" / database) as conn:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        names = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")


def _forms(geo: Geography, official: str) -> list[str]:
    spec = next(s for s in geo.specs.values() if s.forms()[0][0] == official)
    return [text for text, _ in spec.forms()]


def test_a_prefecture_unit_is_written_in_every_clerks_form() -> None:
    # Why: the profile must write what real clerks write (issue 19): prefix dropped, short,
    # abbreviated and within-district forms, and the 党工委/办事处 of a 街道.
    profile = PROFILES["prefecture"]
    assert profile is not None
    geo = profile.geography(7000)
    assert {"北仑区教育局", "北仑教育局"} <= set(_forms(geo, "宁波市北仑区教育局"))
    assert {"奉化区发改局", "区发改局"} <= set(_forms(geo, "宁波市奉化区发展和改革局"))
    assert {"慈溪人社局", "慈溪市人社局"} <= set(_forms(geo, "慈溪市人力资源和社会保障局"))
    assert "慈溪市人大" in _forms(geo, "慈溪市人民代表大会常务委员会")
    assert {"白峰街道", "白峰街道党工委"} <= set(_forms(geo, "中共宁波市北仑区白峰街道工作委员会"))
    assert "白峰街道" in _forms(geo, "宁波市北仑区人民政府白峰街道办事处")
    assert "骆驼街道党工委" in _forms(geo, "中共宁波市镇海区骆驼街道工作委员会")
    # A form several units share denotes them all: 区发改局 is any district's.
    districts = {c.code for c in geo.counties if c.level == "区"}
    assert {code[:6] for code in geo.denotes("区发改局")} == districts
    assert len(geo.denotes("北仑区教育局")) == 1
    assert len(geo.denotes("白峰街道")) == 2  # its 党工委 and its 办事处


def test_an_autonomous_prefecture_has_its_own_units_and_forms() -> None:
    # Why: 自治州/自治县 units, 乡 and 民族乡, and the short forms clerks use for them (察县).
    profile = PROFILES["autonomous"]
    assert profile is not None
    geo = profile.geography(6000)
    assert {"伊犁州教育局", "州教育局"} <= set(_forms(geo, "伊犁哈萨克自治州教育局"))
    assert {"察县教育局", "察布查尔教育局"} <= set(_forms(geo, "察布查尔锡伯自治县教育局"))
    assert "三宫乡" in _forms(geo, "霍城县三宫回族乡人民政府")
    assert "坎乡" in _forms(geo, "察布查尔锡伯自治县坎乡人民政府")


def test_profiles_write_official_names_in_the_roster_and_clerks_forms_in_records(
    profiled: dict[str, Path],
) -> None:
    # Why: the roster and S8 carry official names; records carry a form drawn per record, of
    # every kind, so a bench can tell which forms the linker reads.
    profile = PROFILES["prefecture"]
    assert profile is not None
    geo = profile.geography(2000)
    roster = _table(profiled["prefecture"], "roster.db", "cadre_roster")
    units = set(roster["单位名称"].drop_nulls())
    for official in ("宁波市北仑区教育局", "中共宁波市北仑区白峰街道工作委员会",
                     "宁波市奉化区发展和改革局", "慈溪市人民代表大会常务委员会",
                     "宁波市北仑区人民政府白峰街道办事处"):  # fmt: skip
        assert official in units
    officials = {spec.forms(old)[0][0] for spec in geo.specs.values() for old in (False, True)}
    assert len(units - officials) <= 2  # a defect or two blank or garble a unit
    written = _table(profiled["prefecture"], "petition.db", "petition")["被反映人单位"]
    kinds = {
        geo.form_of(next(iter(geo.denotes(text))), text)
        for text in written.drop_nulls()
        if geo.denotes(text)
    }
    assert kinds == {"official", "no_prefecture", "short", "within"}


def test_an_autonomous_profile_writes_dotted_names_in_several_code_points(
    profiled: dict[str, Path],
) -> None:
    # Why: names with a middle dot are common there, and clerks type the dot as they can.
    roster = _table(profiled["autonomous"], "roster.db", "cadre_roster")
    assert roster["姓名"].str.contains("·", literal=True).mean() > 0.25  # type: ignore[operator]
    assert roster["单位名称"].str.contains("自治县").any()
    assert roster["单位名称"].str.contains("族乡").any()
    named = _table(profiled["autonomous"], "petition.db", "petition")["被反映人姓名"]
    dots = {dot for dot in DOTS if named.str.contains(dot, literal=True).any()}
    assert dots == set(DOTS)


def _history(root: Path) -> pl.DataFrame:
    return _table(root, "roster.db", "cadre_post_history").with_columns(
        parse_date(pl.col("任职时间")).alias("start"), parse_date(pl.col("免职时间")).alias("end")
    )


@pytest.mark.parametrize("name", ["prefecture", "autonomous"])
def test_s8_holds_local_renames_transfers_concurrent_and_secondment_posts(
    profiled: dict[str, Path], name: str
) -> None:
    # Why: the linker is to learn local lineage and overlapping posts from S8: they must be
    # there, written as organisation departments write them.
    s8 = _history(profiled[name])
    renamed = s8.filter(pl.col("任免文号").str.contains("更名"))
    assert renamed.height > 0
    codes = s8.filter(pl.col("单位代码").is_in(renamed["单位代码"].implode()))
    names = codes.group_by("单位代码").agg(pl.col("单位名称").n_unique())
    assert names["单位名称"].max() == 2  # one code, its old name and its new one
    moved = s8.filter(pl.col("任免文号").str.contains("机构改革转隶"))
    assert moved.height > 0
    before = s8.join(moved.select("人员编号", pl.col("start").alias("moved_on"),
                                  pl.col("单位代码").alias("to")), on="人员编号")  # fmt: skip
    before = before.filter(
        (pl.col("end") == pl.col("moved_on") - pl.duration(days=1)) & (pl.col("单位代码") != pl.col("to"))
    )  # fmt: skip
    assert before.height > 0  # the day before, at the dissolved unit's code
    seconded = s8.filter(pl.col("职务").str.ends_with("（挂职）"))
    home = s8.join(seconded.select("人员编号", "start", pl.col("单位代码").alias("host")),
                   on="人员编号", suffix="_2nd")  # fmt: skip
    home = home.filter((pl.col("单位代码") != pl.col("host")) & pl.col("end").is_null())
    assert home.filter(pl.col("start") < pl.col("start_2nd")).height > 0  # the home post goes on
    concurrent = s8.filter(
        pl.col("职务").is_in(["人大工委主任", "党组书记"]) | pl.col("职务").str.contains("委常委")
    )
    both = concurrent.join(s8, on=["人员编号", "start"]).filter(
        pl.col("职务") != pl.col("职务_right")
    )
    assert both.height > 0  # two rows from one day, both held  # fmt: skip
    assert s8.filter(pl.col("职务").str.contains("、")).height > 0  # and 党组书记、局长 as one row


@pytest.mark.parametrize("name", ["prefecture", "autonomous"])
def test_a_cadre_who_left_has_no_open_post_in_s8(profiled: dict[str, Path], name: str) -> None:
    # Why: 退休/调离/去世 cadres have no open S8 row; the roster keeps their last post, or only
    # the unit, or neither (the case that stops today's run, issue 19).
    roster = _table(profiled[name], "roster.db", "cadre_roster")
    left = roster.filter(pl.col("在职状态").is_in(["退休", "调离", "去世"]))
    assert set(left["在职状态"]) == {"退休", "调离", "去世"}
    assert left["现任职务"].null_count() > 0 and left["现任职务"].drop_nulls().len() > 0
    assert left["单位名称"].null_count() > 0
    open_rows = _history(profiled[name]).filter(
        pl.col("人员编号").is_in(left["人员编号"].implode()) & pl.col("免职时间").is_null()
    )
    assert open_rows.height == 0


@pytest.mark.parametrize("name", ["prefecture", "autonomous"])
def test_each_truth_link_names_a_post_the_cadre_held_at_that_unit_then(
    profiled: dict[str, Path], name: str
) -> None:
    # Why: the bench scores against the truth; a link to somebody who was not there then would
    # make a right answer count as wrong. A record about a cadre who left names a post that had
    # ended by its day.
    truth = pl.read_parquet(profiled[name] / "truth" / "links.parquet")
    assert {"short_unit_form", "concurrent", "secondment", "left_cadre", "local_rename",
            "transferred", "within_county"} <= set(truth["class"])  # fmt: skip
    about = truth.filter(pl.col("person_no").is_not_null() & pl.col("unit_code").is_not_null())
    s8 = _history(profiled[name]).select(
        pl.col("人员编号").alias("person_no"), pl.col("单位代码").alias("unit_code"), "start", "end"
    )
    pairs = about.join(s8, on=["person_no", "unit_code"], how="left")
    held = (pl.col("start") <= pl.col("day")) & (
        pl.col("end").is_null() | (pl.col("day") <= pl.col("end"))
    )
    ended = pl.col("end") < pl.col("day")  # fmt: skip
    roster = _table(profiled[name], "roster.db", "cadre_roster")
    gone = roster.filter(pl.col("在职状态") != "在职")["人员编号"].implode()
    after = (pl.col("class") == "left_cadre") | pl.col("person_no").is_in(gone)
    ok = (held | (after & ended)).fill_null(False)  # a keyed record may come after they left
    judged = pairs.group_by("source", "source_key", "subject_index").agg(ok.any().alias("ok"))
    damaged = _damaged_people(profiled[name])
    wrong = judged.filter(~pl.col("ok")).join(about, on=["source", "source_key", "subject_index"])
    assert set(wrong["person_no"]) <= damaged and wrong.height <= 3
    assert about.height > 1000


def _damaged_people(root: Path) -> set[str]:
    """People whose S8 rows a defect of the table damaged (a date, the unit or the person
    blanked): every cadre has S8 rows as generated."""
    s8 = _history(root)
    broken = s8.filter(pl.col("start").is_null() | pl.col("单位代码").is_null()
                       | (pl.col("免职时间").is_not_null() & pl.col("end").is_null()))  # fmt: skip
    roster = _table(root, "roster.db", "cadre_roster")["人员编号"].drop_nulls()
    missing = set(roster) - set(s8["人员编号"].drop_nulls())  # a defect blanked the row's 人员编号
    return set(broken["人员编号"].drop_nulls()) | missing


def test_a_record_carrying_its_units_code_names_that_unit_in_the_truth() -> None:
    # Why: an inspection finding writes the inspected unit as a clerk does (县财政局: any county's)
    # and carries its code (被巡察单位代码). The truth took only the written form, so a namesake
    # 局长 of another county's 财政局 made the record a homonym's, and the bench counted the
    # linker's correct links (the code names one unit) as homonym links.
    from datetime import date

    from warehouse.samples.careers import Post
    from warehouse.samples.local import units
    from warehouse.samples.models import Cadre

    profile = PROFILES["autonomous"]
    assert profile is not None
    geo = profile.geography(2_000)
    known = units(geo)
    finance = [u for u in known.values() if u.full.endswith("县财政局")][:2]
    assert "县财政局" in {t for t, _ in geo.specs[finance[0].code].forms()}
    sink = Sink(geo)
    people = [
        Cadre(f"RY{i}", "张阳", "", u.full, u.code, u.short, "局长", u.region)
        for i, u in enumerate(finance)
    ]
    for c, u in zip(people, finance, strict=True):
        sink.careers.add(c, [Post(c.person_no, u, "局长", date(2015, 1, 1), None)])
    post = sink.careers.posts["RY0"][0]
    said = {
        "key": False,
        "titled": True,
        "cls": "current",
        "unit_text": "县财政局",
        "title": "局长",
    }
    day = date(2024, 5, 1)
    written = sink.evidence_at(people[0], day, post, **said)  # type: ignore[arg-type]
    coded = sink.evidence_at(people[0], day, post, **said, unit_code=finance[0].code)  # type: ignore[arg-type]
    assert (written.resolvable, written.homonym, written.cls) == (False, True, "within_county")
    assert (coded.resolvable, coded.homonym, coded.cls) == (True, False, "within_county")
