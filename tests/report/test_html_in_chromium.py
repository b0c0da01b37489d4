"""The HTML report rendered by a real browser: headless Chromium, driven over the DevTools
protocol (a pipe, no port, no extra package; see cdp.py).

What a person opening the file would see: the verdict banner visible above the fold with its
words, the per-day chart laid out with a real size and actually painted (its pixels hold the
bar colour and the missing-day hatch), the same on the print medium, and not a single network
request from the page. ``.ci/run`` installs Debian's ``chromium``; without it these tests skip
and say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from snowetl_tui.report.html import render_job_html
from snowetl_tui.report.job_report import build_job_report
from snowetl_tui.workspace import Workspace
from tests.report.cdp import Browser, chromium_binary, decode_png, file_url, png_size
from tests.report.conftest import FAILING, validate

BINARY = chromium_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="chromium is not installed (.ci/run installs Debian's chromium "
    "with apt-get); the HTML report is not rendered in a browser")

BAR = (0x35, 0x69, 0xA8)
MISSING_STROKE = (0xB3, 0x26, 0x1E)

MEASURE = """(() => {
  const box = (id) => { const el = document.getElementById(id);
    if (!el) return null; const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {x: r.left, y: r.top, width: r.width, height: r.height, text: el.textContent,
            visibility: cs.visibility, display: cs.display, opacity: cs.opacity,
            color: cs.color, background: cs.backgroundColor,
            onTop: !!hit && (el === hit || el.contains(hit))}; };
  return {chart: box('per-day-chart'), verdict: box('verdict'),
          viewport: [innerWidth, innerHeight],
          missing: document.querySelectorAll('#per-day-chart rect.missing').length};
})()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert BINARY is not None
    b = Browser(BINARY)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page_file(demo: Path, failing, pool, tmp_path: Path) -> Path:
    (demo / FAILING).write_bytes(failing.path.read_bytes())
    report = build_job_report(kind="validate", validation=validate(demo, FAILING, pool),
                              job={"id": "Jchrome", "kind": "validate"},
                              workspace=Workspace(demo))
    out = tmp_path / "report.html"
    out.write_text(render_job_html(report), encoding="utf-8")
    return out


def visible(box: dict) -> bool:
    return (box["width"] > 0 and box["height"] > 0 and box["visibility"] == "visible"
            and box["display"] != "none" and float(box["opacity"]) > 0 and box["onTop"]
            and box["color"] != box["background"])


def test_chart_has_a_size_verdict_is_visible_and_no_request_is_made(browser, page_file,
                                                                    tmp_path):
    page = browser.open(file_url(page_file), width=1200, height=900)
    m = page.evaluate(MEASURE)
    chart, verdict = m["chart"], m["verdict"]
    assert chart is not None and chart["width"] > 300 and chart["height"] > 100, chart
    assert m["missing"] == 1
    assert verdict is not None and visible(verdict), verdict
    assert verdict["y"] + verdict["height"] <= m["viewport"][1]  # above the fold
    assert "✗ FAIL" in verdict["text"] and "calendar" in verdict["text"]

    shot = page.screenshot()  # the whole page, kept next to the test's files for a look
    (tmp_path / "report.png").write_bytes(shot)
    width, height = png_size(shot)
    assert width == 1200 and height > chart["y"] + chart["height"]
    # the chart is painted: bars in their colour, the missing day's hatch in red
    _, _, pixels = decode_png(page.screenshot(clip={
        "x": chart["x"], "y": chart["y"], "width": chart["width"], "height": chart["height"]}))
    colours = Counter(pixels)
    assert colours[BAR] > 500, colours.most_common(5)
    assert colours[MISSING_STROKE] > 50, colours.most_common(5)

    assert page.requests() == [file_url(page_file)]


def test_printed_page_keeps_the_chart_and_the_verdict(browser, page_file):
    page = browser.open(file_url(page_file), width=800, height=1000)
    page.emulate_media("print")
    m = page.evaluate(MEASURE)
    assert m["chart"]["width"] > 300 and m["chart"]["height"] > 100
    assert visible(m["verdict"])
    pdf = page.print_pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert page.requests() == [file_url(page_file)]


def test_the_request_check_sees_requests(browser, tmp_path: Path):
    """The no-request assertion above can fail: a page with an image URL is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/pixel.png">', "utf-8")
    page = browser.open(file_url(leaky))
    assert "http://127.0.0.1:9/pixel.png" in page.requests()
