"""Scoped bundles published from the baseline warehouse: nothing outside the scope in any byte,
a manifest that verifies, spreadsheets that keep their types, PDFs that read."""

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl
import pytest

from tests.publish_support import POPPLER, bundle_texts, need_pdf, pdf_text
from transforms.scope import Scope
from warehouse.publish import excel
from warehouse.publish.booklet import write_booklet
from warehouse.publish.bundle import (
    PORTRAIT_VOLUMES,
    PROFILE_VOLUMES,
    REGION_PDF,
    BundleResult,
    write_bundle,
)
from warehouse.publish.manifest import verify
from warehouse.publish.pdf import unavailable
from warehouse.publish.scoped import ScopeEmptyError
from warehouse.store import Warehouse

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
CITY, COUNTY = Scope.parse("市管/450100"), Scope.parse("县管/450101")
"""The baseline roster is one county, 450101: its 市管 and 县管 cadres are two disjoint scopes."""


@pytest.fixture(scope="module")
def published(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BundleResult]:
    """Both scopes published once: the small one with every PDF, the large one with the
    portraits' PDF only (288 profiles in PDF would cost a minute)."""
    out = tmp_path_factory.mktemp("bundles")
    store = Warehouse(baseline)
    booklet = write_booklet(store, out / "典型案例汇编", NOW)
    return {
        "city": write_bundle(store, CITY, out, NOW, booklet=booklet.path),
        "county": write_bundle(store, COUNTY, out, NOW, booklet=booklet.path, profile_pdf=False),
    }


def _roster(baseline: Path) -> pl.DataFrame:
    bronze = (
        Warehouse(baseline)
        .scan("bronze", "roster")
        .select(pl.col("人员编号").alias("person_no"), pl.col("公民身份号码").alias("raw_id"))
    )
    silver = Warehouse(baseline).scan("silver", "cadre")
    return silver.join(bronze.unique("person_no"), on="person_no", how="left").collect()


def _leaks(
    texts: dict[str, str], inside: pl.DataFrame, outside: pl.DataFrame, written: frozenset[str] = frozenset()
) -> list[str]:  # fmt: skip
    """Every 人员编号 or ID number of an outside cadre, and every name only outside cadres bear,
    found in the texts (a name inside a longer name of an inside cadre is not a leak, nor inside
    a longer name a record in link review ``written`` — 李萍力 holds 李萍 —; a record that writes
    exactly an outside cadre's name is)."""
    keys = sorted(k for k in outside["person_no"].to_list() if k)
    ids = sorted({i for c in ("id_number", "raw_id") for i in outside[c].drop_nulls().to_list()})
    inside_names = set(inside["name"].drop_nulls().to_list())
    names = sorted(set(outside["name"].drop_nulls().to_list()) - inside_names, key=len)
    shadowing = inside_names | (written - set(names))
    longer = sorted((n for n in shadowing if any(o in n for o in names)), key=len, reverse=True)
    patterns = {
        "人员编号": re.compile(rf"(?<![0-9A-Z])(?:{'|'.join(keys)})(?![0-9])") if keys else None,
        "ID number": re.compile("|".join(map(re.escape, ids))) if ids else None,
        "name": re.compile("|".join(map(re.escape, reversed(names)))) if names else None,
    }
    shadow = re.compile("|".join(map(re.escape, longer))) if longer else None
    hits = []
    for file, text in texts.items():
        for what, pattern in patterns.items():
            if pattern is None:
                continue
            body = shadow.sub("〇", text) if what == "name" and shadow else text
            hits += [f"{file}: {what} {m}" for m in sorted(set(pattern.findall(body)))]
    return hits


@pytest.mark.parametrize("which", ["city", "county"])
def test_a_bundle_holds_nothing_of_a_cadre_outside_its_scope(published, baseline, which) -> None:
    result = published[which]
    roster = _roster(baseline)
    inside = roster.filter(result.scope.expr())
    outside = roster.filter(~result.scope.expr())
    assert inside.height == result.cadres > 0 and outside.height > 0
    texts = bundle_texts(result.path)
    # The names the records in link review write, beside this scope's candidates only.
    written = pl.read_csv(result.path / "excel" / "关联复核清单.csv", infer_schema=False)
    assert _leaks(texts, inside, outside, frozenset(written["记录所写姓名"].drop_nulls())) == []
    # The scan sees what it scans: every inside cadre's 人员编号 is in the Excel list and in the
    # index, and (for the bundle with profile PDFs) in the PDF's text.
    everything = "\n".join(texts.values())
    assert all(k in texts["excel/干部名单.xlsx"] for k in inside["person_no"])
    assert all(k in texts["index.html"] for k in inside["person_no"])
    if which == "city" and POPPLER and unavailable() is None:
        volumes = "\n".join(t for n, t in texts.items() if n.startswith(f"{PROFILE_VOLUMES}/"))
        assert all(k in volumes for k in inside["person_no"])
    # The scan would see a leak: the other scope's cadres do appear in the other bundle.
    assert _leaks({"probe": everything}, outside, inside) != []


def test_a_bundle_verifies_against_its_manifest_and_notices_a_change(published, tmp_path) -> None:
    folder = published["city"].path
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scope"] == "市管/450100" and manifest["cadres"] == published["city"].cadres
    assert manifest["generated_at"] == "2026-12-01T09:30:00+08:00"
    assert set(manifest["data_versions"]) >= {"gold/cadre_profile", "gold/cadre_timeline"}
    assert all(v["version"].startswith("v-") for v in manifest["data_versions"].values())
    assert verify(folder) == []
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(folder, copy)
    (copy / "index.html").write_text("tampered", encoding="utf-8")
    (copy / "extra.txt").write_text("x", encoding="utf-8")
    assert verify(copy) == [
        "not in the manifest: extra.txt",
        "changed: index.html (SHA-256 differs)",
    ]


def test_pages_mask_id_numbers_and_show_the_promotion_check(published, baseline) -> None:
    folder = published["county"].path
    profile = Warehouse(baseline).scan("gold", "cadre_profile").filter(pl.col("barred")).collect()
    barred = profile.filter(COUNTY.expr()).row(0, named=True)
    page = (folder / "profiles" / f"{barred['person_no']}.html").read_text(encoding="utf-8")
    cadre = (
        Warehouse(baseline)
        .scan("silver", "cadre")
        .filter(pl.col("person_no") == barred["person_no"])
        .collect()
        .row(0, named=True)
    )
    if cadre["id_number"]:
        assert cadre["id_number"] not in page
        assert cadre["id_number"][:6] + "********" + cadre["id_number"][-4:] in page
    assert "暂停提拔" in page and "第二十四条" in page and "监督记录（按日期）" in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'id="search"' in index and "CST（北京时间，UTC+08:00）" in index
    assert "http://" not in index.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_portrait_of_a_unit_wholly_in_scope_has_gold_figures(published, baseline) -> None:
    store = Warehouse(baseline)
    cadres = store.scan("silver", "cadre").collect()
    levels = cadres.group_by("unit").agg(pl.col("scope_level").unique().alias("levels"))
    whole = levels.filter(pl.col("levels") == ["县管"])["unit"].sort().to_list()
    assert whole, "the baseline has units whose cadres are all 县管"
    gold = store.scan("gold", "unit_portrait").filter(pl.col("name") == whole[0]).collect()
    # Its page and its PDF are named by the unit (not by its place among the units: one coming or
    # going would move every later page, and a bookmark would open another unit's portrait).
    folder = published["county"].path
    text = (folder / "portraits" / f"unit-{whole[0]}.html").read_text(encoding="utf-8")
    assert f"<h1>{whole[0]}<" in text
    assert f"干部人数<b>{gold['cadres'][0]:,}</b>" in text
    assert f"信访举报<b>{gold['reports'][0]:,}</b>" in text
    assert "<svg" in text and "<rect" in text
    if unavailable() is None and POPPLER:  # its PDF, linked from the index beside its page
        index = (folder / "index.html").read_text(encoding="utf-8")
        own = f'href="portraits/unit-{whole[0]}.html">{whole[0]}</a>'
        link = f'<a class="small" href="{PORTRAIT_VOLUMES}/{whole[0]}.pdf">PDF</a>'
        assert re.search(rf"{re.escape(own)} <span[^<]*</span> {re.escape(link)}", index)
        pdf = re.sub(r"\s", "", pdf_text(folder / PORTRAIT_VOLUMES / f"{whole[0]}.pdf"))
        assert f"{whole[0]}单位政治生态画像" in pdf and "第1页/共" in pdf  # its own page numbers


def test_excel_lists_keep_text_dates_and_a_frozen_chinese_header(published) -> None:
    book = openpyxl.load_workbook(published["county"].path / "excel" / "干部名单.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["人员编号", "姓名", "性别", "出生年月", "公民身份号码"]
    assert sheet.freeze_panes == "A2"
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["人员编号"].data_type == "s" and first["人员编号"].number_format == "@"
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", first["公民身份号码"].value)
    assert first["任现职时间"].is_date
    assert sheet.column_dimensions["F"].width > 10  # 单位: set from the content, not default
    csv_bytes = (published["county"].path / "excel" / "干部名单.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf" + "人员编号,姓名".encode())
    assert csv_bytes.count(b"\n") == sheet.max_row


@pytest.mark.parametrize(
    ("name", "table", "first"),
    [
        ("容错复核清单", "tolerance_review", "案例编号"),
        ("数据不一致清单", "inconsistency", "问题类型"),
    ],
)
def test_the_tolerance_review_and_inconsistency_lists_reach_the_officer(  # type: ignore[no-untyped-def]
    published, baseline, name, table, first
) -> None:
    # Issue #15: the pairs a person confirms or rejects, and what upstream says beside what the
    # rules compute, in every bundle as Excel (and CSV), cut to the scope's cadres.
    for result in published.values():
        book = openpyxl.load_workbook(result.path / "excel" / f"{name}.xlsx")
        sheet = book.active
        header = [c.value for c in sheet[1]]
        assert header[:2] == ["人员编号", "姓名"] and first in header
        inside = _roster(baseline).filter(result.scope.expr()).select("person_no")
        gold = Warehouse(baseline).scan("gold", table).collect()
        assert sheet.max_row - 1 == gold.join(inside, on="person_no", how="semi").height
        assert (result.path / "excel" / f"{name}.csv").exists()
    rows = Warehouse(baseline).scan("gold", "tolerance_review").select(pl.len()).collect().item()
    assert rows > 0  # the generated 容错 decisions review earlier measures: the list is not empty


def test_a_formula_like_value_stays_text_in_xlsx_and_csv(tmp_path) -> None:
    # The generator never writes such a value; a real export may (or an attacker may).
    frame = pl.DataFrame(
        {"姓名": ['=HYPERLINK("http://x","点")', "-1+2", "张伟"], "记录数": [-3, 0, 1]}
    )
    excel.write_sheet(frame, tmp_path, "样例")
    sheet = openpyxl.load_workbook(tmp_path / "样例.xlsx").active
    cells = [sheet.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.data_type for c in cells] == ["s", "s", "s"]  # "f" would be a formula
    assert cells[0].value == '=HYPERLINK("http://x","点")'
    assert sheet.cell(row=2, column=2).value == -3 and sheet.cell(row=2, column=2).data_type == "n"
    lines = (tmp_path / "样例.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2] == "'-1+2,0"


def test_pdfs_embed_the_cjk_font_and_render_every_page(published, tmp_path) -> None:
    need_pdf()
    folder = published["city"].path
    volume = sorted(folder.glob(f"{PROFILE_VOLUMES}/*.pdf"))[0].relative_to(folder).as_posix()
    portrait = sorted(folder.glob(f"{PORTRAIT_VOLUMES}/*.pdf"))[0].relative_to(folder).as_posix()
    for name in (volume, portrait, REGION_PDF, "cases/典型案例汇编.pdf"):
        fonts = subprocess.run(["pdffonts", str(folder / name)], capture_output=True, text=True,
                               check=True).stdout  # fmt: skip
        rows = [line.split() for line in fonts.splitlines()[2:]]
        assert rows and all(r[-5] == "yes" for r in rows), fonts  # every font embedded
        assert any("Noto-Sans-SC" in r[0] for r in rows), fonts
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", str(folder / name)], capture_output=True, text=True, check=True
        ).stdout).group(1))  # fmt: skip
        subprocess.run(["pdftoppm", "-r", "20", "-png", str(folder / name), str(tmp_path / "p")],
                       check=True)  # fmt: skip
        assert len(list(tmp_path.glob("p-*.png"))) == pages
        for png in tmp_path.glob("p-*.png"):
            png.unlink()
    text = pdf_text(folder / volume)
    assert "干部监督档案" in text and "选拔任用审查" in text and "第 1 页 / 共" in text
    booklet = pdf_text(folder / "cases/典型案例汇编.pdf")
    assert "典型案例汇编" in booklet and "六个要件" in booklet and "不予容错" in booklet


def test_an_empty_scope_is_refused_with_the_scopes_the_roster_has(baseline, tmp_path) -> None:
    with pytest.raises(ScopeEmptyError) as caught:
        write_bundle(Warehouse(baseline), Scope.parse("县管/459999"), tmp_path, NOW, pdfs=False)
    message = str(caught.value)
    assert message.startswith("scope 县管/459999 holds 0 cadres")
    assert "县管/450101 (" in message and "市管/450101 (" in message
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_the_publish_command_refuses_a_bad_scope_before_writing_anything(
    baseline, tmp_path, capsys
) -> None:
    from orchestration.cli import main

    out = tmp_path / "out"
    args = ["publish", "--out", str(out), "--warehouse", str(baseline), "--no-pdf"]
    assert main([*args, "--scope", "县管/450101", "--scope", "县管/459999"]) == 2
    assert "scope 县管/459999 holds 0 cadres" in capsys.readouterr().err
    assert main([*args, "--scope", "县/450101"]) == 2
    assert "管理权限 must be one of 省管、市管、县管" in capsys.readouterr().err
    assert not out.exists()


def test_without_pango_publishing_writes_the_rest_and_says_so_once(baseline, tmp_path) -> None:
    # WeasyPrint made unimportable in a child process, as on a machine without Pango.
    script = (
        "import sys; sys.modules['weasyprint'] = None\n"
        "from orchestration.cli import main\n"
        f"raise SystemExit(main(['publish', '--scope', '市管/450100', '--out', {str(tmp_path)!r},"
        f" '--warehouse', {str(baseline)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("PDFs skipped") == 1 and "libpangoft2-1.0-0" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    bundle = tmp_path / "市管-450100"
    assert (bundle / "index.html").exists() and (bundle / "excel" / "预警名单.xlsx").exists()
    assert not list(bundle.rglob("*.pdf"))
    assert verify(bundle) == []


def test_the_scope_and_booklet_assets_publish_into_the_warehouse_reports(
    baseline, tmp_path
) -> None:
    import shutil

    import dagster as dg

    from assets.publish import case_booklet, catalog, publish_assets
    from assets.resources import RunSettings, WarehouseResource

    copy = tmp_path / "warehouse"
    shutil.copytree(baseline, copy, symlinks=True)
    bundle = publish_assets([CITY])[-1]
    done = dg.materialize(
        [case_booklet, catalog, bundle],
        resources={"warehouse": WarehouseResource(root=str(copy)), "settings": RunSettings()},
    )
    assert done.success
    meta = {
        "/".join(m.asset_key.path): {k: v.value for k, v in m.metadata.items()}
        for m in done.asset_materializations_for_node(bundle.op.name)
    }
    assert meta["publish/bundle_city_450100"]["cadres"] == published_cadres(copy)
    folder = copy / "reports" / "bundles" / "市管-450100"
    assert verify(folder) == [] and (folder / "cases" / "典型案例汇编.html").exists()
    assert (copy / "reports" / "cases" / "manifest.json").exists()
    assert (copy / "catalog.duckdb").exists()


def published_cadres(warehouse: Path) -> int:
    return Warehouse(warehouse).scan("silver", "cadre").filter(CITY.expr()).collect().height
