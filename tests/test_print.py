"""Outputs an officer prints and an auditor acts on (#22): charts drawn in the bundle's own font
with labels that fit, lists laid out for A4, spreadsheets that print, region names beside their
codes, every list linked from the index, one profile PDF per cadre, and a quality report in
Chinese that shows the rows behind each warning."""

import html
import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl
import pytest

from quality.gx_pages import offline
from tests.publish_support import need_pdf
from transforms.pages import CHART_FONT_PX, _category_chart, _text_px, _trend_chart
from transforms.publishing import (
    LANDSCAPE_MM,
    cadre_pdf_stem,
    list_layout,
    region_label,
    with_region_names,
)
from transforms.scope import Scope
from warehouse.publish.bundle import (
    LIST_PAGES,
    PER_CADRE,
    PROFILE_VOLUMES,
    BundleResult,
    write_bundle,
)
from warehouse.store import Warehouse

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
CITY = Scope.parse("市管/450100")
"""The baseline's small scope (its 市管 cadres): every PDF, one per cadre too, in seconds."""


# ------------------------------------------------------------------------ pure: layout, charts


def test_a_narrow_list_stays_upright_and_keys_are_as_wide_as_their_longest_value() -> None:
    # 人员编号 split over two lines at A4 (RY000 / 00537): a key column is never narrower than
    # its widest value, whatever the free text beside it needs.
    frame = pl.DataFrame(
        {
            "姓名": ["欧阳娜娜", "李勇"],
            "人员编号": ["RY00000537", "RY1"],
            "单位": ["平平县民政局"] * 2,
        }
    )
    layout = list_layout(frame)
    assert layout["landscape"] is False and layout["font_pt"] == 9.0
    columns = {c["name"]: c for c in layout["columns"]}
    assert columns["人员编号"]["keep"] and columns["姓名"]["keep"] and not columns["单位"]["keep"]
    assert columns["人员编号"]["pct"] > columns["姓名"]["pct"]  # 10 characters against 8 half-ems
    assert round(sum(c["pct"] for c in layout["columns"])) == 100


def test_a_wide_list_turns_landscape_and_free_text_gives_way_before_any_key() -> None:
    # 干部名单 has 19 columns: upright it printed several pages across.
    wide = {f"说明{i}": ["很长的一段说明文字" * 3] for i in range(12)}
    frame = pl.DataFrame({"人员编号": ["RY00000537"], "姓名": ["欧阳娜娜"], **wide})
    layout = list_layout(frame)
    assert layout["landscape"] is True and layout["font_pt"] == 8.0
    columns = {c["name"]: c for c in layout["columns"]}
    # The key keeps its natural width (10 half-ems at 8 pt plus padding) within the page.
    natural = (10 * 8.0 * 0.55 * 0.3528 + 3.4) / LANDSCAPE_MM * 100
    assert columns["人员编号"]["pct"] == pytest.approx(natural, rel=0.02)
    capped = (36 * 8.0 * 0.55 * 0.3528 + 3.4) / LANDSCAPE_MM * 100  # free text at its cap
    assert columns["说明0"]["pct"] < capped


def test_year_labels_are_thinned_so_that_none_overlaps() -> None:
    # 1999…2026 in one line ran together; every shown label now has room for itself.
    trend = [{"year": y, "events": y % 7, "against": y % 3} for y in range(1999, 2027)]
    chart = _trend_chart(trend)
    shown = [b for b in chart["bars"] if b["show_label"]]
    assert 3 < len(shown) < len(trend)
    gaps = [b["lx"] - a["lx"] for a, b in zip(shown, shown[1:], strict=False)]
    assert min(gaps) >= _text_px("2026")
    assert shown[-1]["label"] == "2026"  # the latest year is always labelled
    # Values above the bars only where the slot is wider than the figure.
    few = _trend_chart([{"year": 2024, "events": 1106, "against": 10}])
    assert few["bars"][0]["show_label"] and few["bars"][0]["show_value"]


def test_category_labels_get_a_column_as_wide_as_the_longest_and_are_cut_with_a_mark() -> None:
    long = "贯彻落实党的理论路线方针政策和党中央决策部署"
    chart = _category_chart(
        [{"source": "inspection", "category": long, "per_100": 6.37},
         {"source": "petition", "category": "其他", "per_100": 3.7}]
    )  # fmt: skip
    first = chart["bars"][0]
    assert first["label"].endswith("…") and _text_px(first["label"]) <= 22 * CHART_FONT_PX
    assert all(b["x"] > _text_px(b["label"]) for b in chart["bars"])  # bars start after labels


def test_a_region_is_named_with_its_code_beside() -> None:
    names = {"450102": "兴宁区"}
    assert region_label("450102", names) == "兴宁区（450102）"
    assert region_label("999999", names) == "999999"  # unknown to the table: the code alone
    frame = pl.DataFrame({"姓名": ["李勇", "王芳"], "行政区划代码": ["450102", "999999"]})
    named = with_region_names(frame, names)
    assert named.columns == ["姓名", "行政区划", "行政区划代码"]
    assert named["行政区划"].to_list() == ["兴宁区", None]


def test_a_cadre_pdf_is_named_by_name_and_a_safe_key() -> None:
    assert cadre_pdf_stem("张三", "RY00000504") == "张三-RY00000504"
    # A name that is no plain file name is left out; a key that is no plain name is hashed.
    assert cadre_pdf_stem("张/三", "RY1") == "RY1"
    stem = cadre_pdf_stem("李勇", "../RY1")
    assert stem.startswith("李勇-_h") and "/" not in stem


# ------------------------------------------------------------------------ a published bundle


@pytest.fixture(scope="module")
def bundle(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> BundleResult:
    out = tmp_path_factory.mktemp("print")
    return write_bundle(Warehouse(baseline), CITY, out, NOW, per_cadre=True)


def _pdffonts(path: Path) -> list[list[str]]:
    done = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    return [line.split() for line in done.stdout.splitlines()[2:] if line.strip()]


def test_every_pdf_uses_only_the_bundles_own_embedded_font(bundle: BundleResult) -> None:
    # The charts of the portraits' PDF came out in DejaVu Sans and Noto Sans CJK JP (the system's
    # fallbacks, at a larger size), so their labels overlapped.
    need_pdf()
    pdfs = sorted(bundle.path.rglob("*.pdf"))
    assert any(p.parent.name == "单位画像-按单位" for p in pdfs)
    assert any(p.name == "区域画像.pdf" for p in pdfs)
    for path in pdfs:
        fonts = _pdffonts(path)
        assert fonts, path
        for row in fonts:
            # name type ... emb sub uni object ID: "emb" is the fourth column from the end but 2
            assert row[-5] == "yes", f"{path.name}: {row[0]} not embedded"
            assert "Noto-Sans-SC" in row[0], f"{path.name}: {row[0]} is not the bundle's font"


def test_the_portrait_pdf_renders_to_png(bundle: BundleResult, tmp_path: Path) -> None:
    need_pdf()
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1",
         str(next((bundle.path / "pdf" / "单位画像-按单位").glob("*.pdf"))), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].stat().st_size > 5_000


def test_one_profile_pdf_per_cadre_beside_the_volume(bundle: BundleResult) -> None:
    need_pdf()
    each = sorted((bundle.path / PER_CADRE).glob("*.pdf"))
    assert len(each) == bundle.cadres
    assert list((bundle.path / PROFILE_VOLUMES).glob("*.pdf"))
    assert all(re.fullmatch(r"[^/]+-[0-9A-Za-z_]+\.pdf", p.name) for p in each)


def test_every_spreadsheet_prints_on_a4(bundle: BundleResult) -> None:
    sheets = sorted((bundle.path / "excel").glob("*.xlsx"))
    assert {p.stem for p in sheets} == set(LIST_PAGES)
    for path in sheets:
        page = openpyxl.load_workbook(path).active
        assert page is not None
        setup = page.page_setup
        assert int(setup.paperSize) == 9, path.name  # A4
        assert page.sheet_properties.pageSetUpPr.fitToPage, path.name
        assert setup.fitToWidth in (1, None) and setup.fitToHeight == 0, path.name
        assert page.print_title_rows == "$1:$1", path.name
        header = page.oddHeader.left.text or ""
        assert "市管" in header and "数据截至" in header, (path.name, header)
        assert page.oddHeader.right.text == path.stem
        assert "&P" in (page.oddFooter.center.text or "")
        wide = page.max_column > 10
        assert setup.orientation == ("landscape" if wide else "portrait"), path.name


def test_every_list_is_linked_from_the_index(bundle: BundleResult) -> None:
    index = html.unescape((bundle.path / "index.html").read_text(encoding="utf-8"))
    links = set(re.findall(r'href="([^"]+)"', index))
    files = [p for d in ("excel", "lists") for p in (bundle.path / d).iterdir()]
    assert len(files) == 3 * len(LIST_PAGES)
    missing = [p.relative_to(bundle.path).as_posix() for p in files]
    assert [m for m in missing if m not in links] == []


def test_titles_and_lists_name_the_region_with_its_code(bundle: BundleResult) -> None:
    index = (bundle.path / "index.html").read_text(encoding="utf-8")
    assert "南宁市（450100）" in index
    region = next((bundle.path / "portraits").glob("region-*.html")).read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)<span", region)
    # The baseline's county is 450101, which GB/T 2260 lists under no name of its own (市辖区):
    # the code alone, never a wrong name. The scope's city has one.
    assert title and title.group(1) == "450101", title
    roster = pl.read_csv(bundle.path / "excel" / "干部名单.csv", infer_schema=False)
    assert roster.columns.index("行政区划") + 1 == roster.columns.index("行政区划代码")
    # 450101 has no name of its own in the table: the name stays empty, never a wrong one.
    assert set(roster["行政区划"].to_list()) == {None}


def test_the_promotion_page_shows_the_barred_and_the_excel_keeps_everyone(
    bundle: BundleResult,
) -> None:
    page = (bundle.path / "lists" / "promotion.html").read_text(encoding="utf-8")
    sheet = pl.read_csv(bundle.path / "excel" / "选拔任用审查.csv", infer_schema=False)
    barred = sheet.filter(pl.col("暂停提拔") == "是")
    assert sheet.height == bundle.cadres
    shown = re.findall(r'<a href="\.\./profiles/[^"]+\.html">', page)
    assert len(shown) == barred.height
    assert f"其余 {sheet.height - barred.height} 名干部" in page
    roster = (bundle.path / "lists" / "cadres.html").read_text(encoding="utf-8")
    assert 'class="landscape"' in roster  # 干部名单's 20 columns turn the page
    assert "td.keep { white-space: nowrap" in roster
    assert roster.count('<td class="keep">') >= 2 * bundle.cadres  # 姓名 and 人员编号 at least


# ------------------------------------------------------------------------ the quality report

_CODE_OR_FILE = re.compile(
    r"<code>.*?</code>|<style>.*?</style>|<[^>]+>|[^\s<>]+\.(?:csv|xlsx|jsonl|json|db|html)\b",
    re.DOTALL,
)


def english_words(page: str) -> list[str]:
    """ASCII words of two letters or more in the page's text, outside code, tags and file names."""
    text = html.unescape(_CODE_OR_FILE.sub(" ", page))
    return re.findall(r"[A-Za-z]{2,}", text)


def test_the_quality_report_is_chinese_and_shows_the_rows_behind_each_warning(
    baseline: Path,
) -> None:
    page = (baseline / "reports" / "quality" / "index.html").read_text(encoding="utf-8")
    words = english_words(page)
    # Names of standards, formats and tools, as Chinese text writes them.
    allowed = {"GX", "GB", "JSON", "CSV", "NFKC", "BOM", "Jaccard", "S8", "Great", "Expectations",
               "Office"}  # fmt: skip
    assert [w for w in words if w not in allowed] == []
    # Each failed check or warning shows its rows: file, row, field, value (up to 20).
    failed = re.findall(
        r"<tr><td>[^<]*(?:<[^>]+>[^<]*)*?</td><td>[^<]*</td><td><span class=\"(?:WARN|ERROR|QUARANTINE)",
        page,
    )
    assert failed
    tables = page.count("<table class=rows>")
    assert tables >= len(failed) - page.count("示例值：")
    assert "技术明细" in page


def test_gx_pages_lose_the_remote_logo_the_newsletter_and_every_external_link() -> None:
    page = (
        "<style>.navbar-brand a { background: url('https://example.org/logo.png') 0 0; }</style>"
        '<div class="float-left navbar-brand m-0 h-100"><a href="../../../../index.html">'
        '<img src="https://example.org/logo.png" alt="GX"/></a></div>'
        '<a href="../../../../../index.html">Home</a> <a href="https://docs.example.org/x">docs</a>'
        '<footer><p>newsletter <a href="https://example.org/n">Subscribe</a></p></footer>'
    )
    out = offline(page, "../../vendor")
    assert "http" not in out and "newsletter" not in out and "<img" not in out
    assert 'href="../../index.html">Home' in out and "docs" in out


def test_sample_rows_never_look_up_a_protected_field() -> None:
    from quality.checks import Outcome
    from quality.gate import sample_rows
    from quality.suites import Expectation, Suite

    frame = pl.LazyFrame(
        {"举报人姓名": ["张三"], "件号": ["X1"], "_source_file": ["a/p.csv"], "_source_row": [2]}
    )
    expect = [
        Expectation("r.req", "ExpectColumnValuesToNotBeNull", {"column": "举报人姓名"}, "WARN", "w"),
        Expectation("k.set", "ExpectColumnValuesToBeInSet", {"column": "件号", "value_set": []},
                    "WARN", "w"),
    ]  # fmt: skip
    suite = Suite(
        "bronze/petition", tuple(expect), key=("件号",), partition=None, as_of=date(2026, 1, 1)
    )
    outs = [Outcome(e.id, suite.table, "expectation", "WARN", False, 1, 1, ["张三" if e.id == "r.req"
            else "X1"]) for e in expect]  # fmt: skip
    sample_rows(frame, suite, outs)
    assert outs[0].rows == []
    assert outs[1].rows == [{"file": "p.csv", "row": "2", "field": "件号", "value": "X1"}]
