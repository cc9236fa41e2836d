"""A bundle's index, a profile and a portrait open in headless Chromium from ``file://`` with no
request off the machine and no console error; the offline search finds a cadre; a screenshot at
A4 width is kept for a person to look at (``DAJIANDU_SCREENSHOT_DIR``, else the test's tmp dir)."""

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from tests.test_report_browser import _open, _remote
from transforms.scope import Scope
from warehouse.publish.bundle import write_bundle
from warehouse.store import Warehouse


@pytest.fixture(scope="module")
def bundle(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    now = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    return write_bundle(Warehouse(baseline), Scope.parse("市管/450100"), out, now, pdfs=False).path


def test_bundle_pages_load_offline_without_console_errors(
    chromium, bundle, baseline, tmp_path
) -> None:
    shots = Path(os.environ.get("DAJIANDU_SCREENSHOT_DIR", tmp_path))
    barred = Warehouse(baseline).scan("gold", "cadre_profile").filter(
        pl.col("scope_level") == "市管").sort("events", descending=True).collect()["person_no"][0]  # fmt: skip
    pages = {
        "index": bundle / "index.html",
        "profile": bundle / "profiles" / f"{barred}.html",
        "portrait": sorted((bundle / "portraits").glob("unit-*.html"))[0],
    }
    for name, page in pages.items():
        errors: list[str] = []
        shot = shots / f"bundle-{name}.png"
        asked, failed, dom = _open(chromium, page, tmp_path / name, errors, shot)
        assert _remote(asked) == [], name
        assert failed == [] and errors == [], (name, failed, errors)
        assert any(u.endswith("assets/NotoSansSC-Regular.ttf") for u in asked), asked  # the font
        assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    assert "干部监督档案" in dom or "画像" in dom


def test_the_offline_search_finds_a_cadre_by_name(chromium, bundle, baseline, tmp_path) -> None:
    cadres = Warehouse(baseline).scan("silver", "cadre").filter(Scope.parse("市管/450100").expr())
    name = cadres.collect()["name"][-1]
    typed = (
        f"var b = document.getElementById('search'); b.value = '{name}';"
        "b.dispatchEvent(new Event('input'));"
    )
    errors: list[str] = []
    _, _, dom = _open(chromium, bundle / "index.html", tmp_path / "s", errors, run=typed)
    assert errors == []
    shown = [row for row in dom.split("<tr data-q=")[1:] if 'style="display: none;"' not in row]
    assert len(shown) >= 1 and all(name in row for row in shown)
    assert f"找到 {len(shown)} 人" in dom
    assert len(dom.split("<tr data-q=")) - 1 == cadres.collect().height  # the others are hidden
