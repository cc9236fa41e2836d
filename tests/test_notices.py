"""澄清正名通知书: which reports get one, what it says, and that it never names the reporter.

Pure cases on hand-made frames (transforms.notices), the template file's checks, and one end to
end: a reporter name planted on every cleared petition of the generated sources, run, published;
each scope's bundle holds one notice (PDF and .docx) per cleared report of its own cadres, and the
planted name is in no notice — not in the .docx (python-docx), not in the PDF's text (pdftotext) —
nor anywhere else in the bundle.
"""

import shutil
import sqlite3
import subprocess
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from docx import Document

from orchestration.publish_cli import CST
from tests.conftest import files_containing, run
from transforms.notices import (
    FIELDS,
    TemplateError,
    check_template,
    clearance_notices,
    notice_texts,
)
from transforms.scope import Scope
from warehouse.publish import pdf
from warehouse.publish.bundle import write_bundle
from warehouse.publish.notices import DEFAULT_TEMPLATE, load_template
from warehouse.rule_files import RuleError
from warehouse.store import Warehouse

REPORTER = "司马望舒"


def _clearance(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "person_no": "RY1", "name": "张伟", "unit": "安平县财政局", "scope_level": "县管",
        "region": "450101", "event_id": "e1", "source_key": "XF1", "received": date(2024, 6, 10),
        "closed": date(2024, 9, 29), "result": "不实", "cleared": True, "false_accusation": False,
        "protection": "澄清正名",
    }  # fmt: skip
    row.update(overrides)
    return row


def _notices(rows: list[dict[str, object]], category: str | None = "违反廉洁纪律") -> pl.DataFrame:
    events = pl.LazyFrame({"event_id": [r["event_id"] for r in rows],
                           "category": [category] * len(rows)})  # fmt: skip
    cadres = pl.LazyFrame({"person_no": ["RY1"], "post": ["局长"]})
    return clearance_notices(pl.LazyFrame(rows), events, cadres).collect()


def test_only_cleared_reports_found_untrue_or_unproven_get_a_notice() -> None:
    # A false accusation not cleared, and a cleared row whose result says 属实 (an upstream
    # contradiction), must not produce a notice saying the report was untrue.
    rows = [
        _clearance(source_key="XF1"),
        _clearance(source_key="XF2", event_id="e2", result="查无实据"),
        _clearance(source_key="XF3", event_id="e3", cleared=False, false_accusation=True),
        _clearance(source_key="XF4", event_id="e4", result="属实"),
    ]
    notices = _notices(rows)
    assert notices["source_key"].to_list() == ["XF1", "XF2"]
    assert notices["finding"].to_list() == ["不实", "查无实据"]
    assert notices["post"].to_list() == ["局长", "局长"]
    assert notices["file"].to_list() == ["RY1-XF1", "RY1-XF2"]


def test_the_text_says_category_finding_and_dates_and_the_template_fills_the_rest() -> None:
    template = load_template()
    row = _notices([_clearance()]).row(0, named=True)
    texts = notice_texts(row, template)
    body = "".join(texts["paragraphs"])
    assert "2024年6月10日" in body and "2024年9月29日" in body
    assert "违反廉洁纪律方面问题" in body and "反映的问题不实" in body
    assert texts["addressee"] == "张伟同志："
    assert texts["organ"] == "【发文机关】" and texts["number"] == "【发文字号】"
    assert texts["copy_to"] == "安平县财政局"
    assert "诬告陷害" not in body


def test_a_report_without_category_is_told_in_general_terms_and_a_false_accusation_says_so() -> (
    None
):
    row = _notices([_clearance(false_accusation=True)], category=None).row(0, named=True)
    body = "".join(notice_texts(row, load_template())["paragraphs"])
    assert "反映你有关问题" in body
    assert "诬告陷害" in body
    # 其他 is no category a sentence can name: "反映你其他方面问题" read wrong on the demo.
    row = _notices([_clearance()], category="其他").row(0, named=True)
    assert "反映你有关问题" in "".join(notice_texts(row, load_template())["paragraphs"])


def test_a_template_naming_an_unknown_field_is_refused_naming_it(tmp_path: Path) -> None:
    # 举报人 is not a field: a deployment cannot make a notice print the reporter.
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8").replace("{姓名}同志：", "{举报人}同志：")
    bad = tmp_path / "clearance_notice.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match="names 举报人, not a field of a notice"):
        load_template(bad)
    bad.write_text(text.replace("{举报人}", "{姓名"), encoding="utf-8")
    with pytest.raises(RuleError, match="正文|主送|brace|Single"):
        load_template(bad)


def test_the_shipped_template_uses_only_known_fields() -> None:
    template = load_template()
    check_template(template)  # raises when not
    assert set(FIELDS) >= {"姓名", "核查结论"}
    with pytest.raises(TemplateError):
        check_template(template.__class__(**{**template.__dict__, "title": "{身份证号}"}))


def _plant_reporter(sources: Path) -> int:
    """The planted name on every cleared petition (and in the 问题摘要 of none: that text is
    masked at extraction and never printed). Returns how many rows carry it."""
    with sqlite3.connect(sources / "inbox" / "petition.db") as db:
        cursor = db.execute(
            "UPDATE petition SET 举报人姓名 = ? WHERE 是否澄清正名 = '是'", (REPORTER,)
        )
        return cursor.rowcount


def _docx_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


@pytest.mark.skipif(pdf.unavailable() is not None, reason="WeasyPrint cannot load Pango")
def test_each_scope_gets_one_notice_per_own_cleared_report_and_none_names_the_reporter(
    sources: Path, tmp_path: Path
) -> None:
    assert _plant_reporter(sources) > 0
    warehouse = tmp_path / "warehouse"
    assert run(sources, warehouse).success
    store = Warehouse(warehouse)
    cleared = (
        store.scan("gold", "clearance")
        .filter(pl.col("cleared") & pl.col("result").is_in(["不实", "查无实据"]))
        .collect()
    )
    assert cleared.height > 0
    scopes = cleared.select("scope_level", "region").unique().sort("region").rows()
    out = tmp_path / "out"
    total = 0
    for level, region in scopes[:2]:
        scope = Scope(level, region)
        result = write_bundle(store, scope, out, datetime.now(CST), profile_pdf=False)
        own = cleared.filter((pl.col("scope_level") == level) & (pl.col("region") == region))
        folder = result.path / "notices"
        docx = sorted(folder.glob("*.docx"))
        pdfs = sorted(folder.glob("*.pdf"))
        assert len(docx) == len(pdfs) == own.height
        assert {p.stem for p in docx} == {
            f"澄清正名通知书-{p}-{k}" for p, k in own.select("person_no", "source_key").rows()
        }
        for file in docx:
            section = Document(str(file)).sections[0]
            assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
            text = _docx_text(file)
            person = file.stem.split("-")[1]
            name = own.filter(pl.col("person_no") == person)["name"][0]
            assert f"{name}同志" in text and "澄清正名通知书" in text and "不实" in text
            assert REPORTER not in text
        for file in pdfs:
            text = subprocess.run(["pdftotext", str(file), "-"], capture_output=True, text=True,
                                  check=True).stdout  # fmt: skip
            assert "澄清正名通知书" in text and REPORTER not in text.replace("\n", "")
            fonts = subprocess.run(["pdffonts", str(file)], capture_output=True, text=True,
                                   check=True).stdout  # fmt: skip
            assert "Noto-Sans-SC" in fonts and " yes yes " in fonts  # embedded, subset
        total += own.height
    assert total > 0
    assert files_containing(out, [REPORTER]) == {}


def test_a_publish_with_a_broken_notice_template_stops_naming_the_file(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import main

    bad = tmp_path / "notice.yaml"
    bad.write_text("发文机关: 【发文机关】\n", encoding="utf-8")
    warehouse = tmp_path / "w"
    shutil.copytree(baseline, warehouse, symlinks=True)
    code = main(["publish", "--warehouse", str(warehouse), "--out", str(tmp_path / "o"),
                 "--scope", "县管/450101", "--notice-template", str(bad)])  # fmt: skip
    assert code == 2
    assert f"notice template: {bad}: 发文字号 must be text" in capsys.readouterr().err
