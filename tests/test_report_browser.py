"""The quality report opens in headless Chromium with no request leaving the machine.

Each page is opened from ``file://`` and every request it makes (a CDN script, a font, an image)
is recorded through the DevTools protocol. A control page with a remote image and script proves
such requests are seen, so a pass means "nothing was asked for", not "nothing was watched". The dumped DOM shows the vendored
scripts ran (bootstrap-table wraps GX's tables in its own markup).

Needs Debian's ``chromium``: skipped with a reason where it is not installed, a failure under CI
(``.ci/run`` installs it).
"""

import base64
import json
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

from websockets.sync.client import connect


def _open(
    chromium: str,
    page: Path,
    profile: Path,
    console: list[str] | None = None,
    screenshot: Path | None = None,
    run: str | None = None,
) -> tuple[list[str], list[str], str]:
    """Load ``page`` headless: the URLs it requested, the loads that failed, its DOM after scripts.

    Optionally: ``console`` collects console errors and uncaught exceptions; ``screenshot`` gets
    a PNG of the page at A4 width (794 CSS pixels); ``run`` is a script run before the DOM dump.

    Every request of the page passes through the DevTools protocol's ``Fetch`` interception:
    its URL is recorded; local files are let through, anything else is refused there (so nothing
    would leave the machine even if the test failed). Chromium's own background chatter (update
    checks) is not the page's and is not counted.
    """
    profile.mkdir(parents=True, exist_ok=True)
    browser = subprocess.Popen(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--remote-debugging-port=0", "--remote-allow-origins=*",
            f"--user-data-dir={profile}", "about:blank",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = json.loads(urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        target = next(t for t in targets if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as ws:
            ids = iter(range(1, 100_000))

            def send(method: str, **params: object) -> int:
                n = next(ids)
                ws.send(json.dumps({"id": n, "method": method, "params": params}))
                return n

            send("Network.enable")
            send("Page.enable")
            send("Runtime.enable")
            send("Log.enable")
            if screenshot is not None:
                send("Emulation.setDeviceMetricsOverride", width=794, height=1123,
                     deviceScaleFactor=1, mobile=False)  # fmt: skip
            send("Fetch.enable", patterns=[{"urlPattern": "*"}])
            send("Page.navigate", url=page.as_uri())
            requested: list[str] = []
            failed: list[str] = []
            loaded_at = None
            while True:
                try:
                    message = json.loads(ws.recv(timeout=2.0 if loaded_at else 60.0))
                except TimeoutError:
                    break
                method = message.get("method")
                params = message.get("params", {})
                if method == "Fetch.requestPaused":
                    url = params["request"]["url"]
                    requested.append(url)
                    if url.startswith(("file:", "data:")):
                        send("Fetch.continueRequest", requestId=params["requestId"])
                    else:
                        send(
                            "Fetch.failRequest",
                            requestId=params["requestId"],
                            errorReason="BlockedByClient",
                        )
                elif method == "Network.requestWillBeSent":
                    requested.append(params["request"]["url"])
                elif (
                    method == "Network.loadingFailed"
                    and params.get("errorText") != "net::ERR_BLOCKED_BY_CLIENT"
                ):
                    failed.append(params.get("errorText", "?"))
                elif method == "Page.loadEventFired":
                    loaded_at = time.monotonic()
                elif console is not None and method == "Runtime.exceptionThrown":
                    console.append(params["exceptionDetails"].get("text", "exception"))
                elif (
                    console is not None
                    and method == "Runtime.consoleAPICalled"
                    and params.get("type") == "error"
                ):
                    console.append(str(params.get("args")))
                elif (
                    console is not None
                    and method == "Log.entryAdded"
                    and params["entry"].get("level") == "error"
                ):
                    console.append(params["entry"].get("text", ""))

            def reply(n: int) -> dict:
                while True:
                    message = json.loads(ws.recv(timeout=30))
                    if message.get("id") == n:
                        return message
                    if console is not None and message.get("method") == "Runtime.exceptionThrown":
                        console.append(message["params"]["exceptionDetails"].get("text", "?"))

            if run is not None:
                reply(send("Runtime.evaluate", expression=run))
            if screenshot is not None:
                shot = reply(
                    send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
                )
                screenshot.write_bytes(base64.b64decode(shot["result"]["data"]))
            asked = send("Runtime.evaluate", expression="document.documentElement.outerHTML")
            while True:
                message = json.loads(ws.recv(timeout=30))
                if message.get("id") == asked:
                    return (
                        list(dict.fromkeys(requested)),
                        failed,
                        message["result"]["result"]["value"],
                    )
    finally:
        browser.kill()
        browser.wait()


def _remote(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(("file://", "data:", "about:"))]


def test_a_page_that_reaches_out_is_seen(chromium, tmp_path):
    # Positive control: without it, an empty request log would prove nothing.
    page = tmp_path / "control.html"
    page.write_text(
        '<html><body><img src="http://cdn.example.com/x.png">'
        '<script src="https://cdn.example.com/x.js"></script>control</body></html>'
    )
    requested, _, _ = _open(chromium, page, tmp_path / "profile")
    assert any("cdn.example.com" in u for u in _remote(requested)), requested


def test_report_pages_load_offline(chromium, baseline, tmp_path):
    root = baseline / "reports" / "quality"
    gx_pages = sorted((root / "docs").glob("*/bronze.petition.html"))
    suite_page = root / "docs" / "suites" / "bronze.petition.html"
    assert gx_pages and suite_page.exists()
    asked, failed, index = _open(chromium, root / "index.html", tmp_path / "p1")
    assert "数据质量报告" in index and "bronze/petition" in index
    asked2, failed2, validation = _open(chromium, gx_pages[-1], tmp_path / "p2")
    # bootstrap-table (vendored, needs vendored jQuery) rewrites GX's tables into its own markup.
    assert "bootstrap-table" in validation and "fixed-table-container" in validation
    assert "被反映人身份证号" in validation
    asked3, failed3, suite = _open(chromium, suite_page, tmp_path / "p3")
    assert "expect" in suite.lower() or "办理结果" in suite
    # The pages did load their vendored files (so the log is not empty for want of trying) …
    assert any(u.endswith("vendor/js/jquery.min.js") for u in asked2), asked2
    # … and asked nothing off the machine.
    assert _remote(asked + asked2 + asked3) == []
    # Every local file the pages name exists (no broken styling from a missing vendored file).
    assert failed + failed2 + failed3 == []
