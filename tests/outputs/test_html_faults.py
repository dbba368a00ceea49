"""The HTML report's faults: the bands' data (a kill has no width, a fault never recovered from is shaded
to the axis' end), and the page in real headless Chromium: the Faults section, its recovery bars, and the
bands painted on every chart over the run's time axis (none on the latency distribution)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadpulse.outputs.html_faults import fault_chart_data
from loadpulse.outputs.html_report import render_html, report_data
from tests.outputs.test_console_faults import FAULTS, fault
from tests.results.results_factory import synthetic_results

HOSTILE = "<img src=x onerror='window.__pwned=1'>"


def test_bands_follow_the_faults_and_recovery() -> None:
    data = fault_chart_data({"faults": FAULTS()}, 30.0)
    assert data is not None and data["x_max"] == 30.0
    kill, latency, core = data["bands"]
    assert (kill["start"], kill["end"], kill["recovered_at"]) == (5.0, 5.0, 5.4)
    assert (latency["start"], latency["end"], latency["recovered_at"]) == (10.0, 14.0, 15.25)
    assert core["recovered"] is False and core["recovered_at"] is None
    assert fault_chart_data({"faults": []}, 30.0) is None and fault_chart_data({}, 30.0) is None


def test_a_fault_past_the_series_widens_the_axis() -> None:
    data = fault_chart_data({"faults": [fault("late", start=28.0, end=33.0)]}, 30.0)
    assert data is not None and data["x_max"] == 33.0


def test_the_report_carries_bands_only_for_a_run_with_faults() -> None:
    results = synthetic_results(seconds=5)
    assert report_data(results)["faults"] is None
    results.summary["faults"] = [fault(HOSTILE, start=1.0, end=2.0)]
    assert report_data(results)["faults"]["bands"][0]["name"] == HOSTILE
    page = render_html(results)
    assert HOSTILE not in page and "<img" not in page


# In Chromium --------------------------------------------------------------------------------------------

PIXEL = """([chart, t]) => {
    const u = LoadpulseCharts.charts[chart];
    const x = Math.round(u.valToPos(t, 'x', true)), y = Math.round(u.bbox.top + u.bbox.height * 0.75);
    return Array.from(u.ctx.getImageData(x, y, 1, 1).data);
}"""
RED_SHARE = """([chart, t]) => {
    // the share of the plot's column of pixels at second t that is fault red (series lines cross some)
    const u = LoadpulseCharts.charts[chart], x = Math.round(u.valToPos(t, 'x', true));
    const px = u.ctx.getImageData(x, Math.round(u.bbox.top), 1, Math.round(u.bbox.height)).data;
    let red = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && px[i] > px[i + 1] + 100) red++;
    return red / (px.length / 4);
}"""


def _open(browser: Any, tmp_path: Path, faults: list[dict[str, Any]]) -> tuple[Any, list[str]]:
    results = synthetic_results(seconds=30)
    results.summary["faults"] = faults
    html = tmp_path / "r.html"
    html.write_text(render_html(results))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page, problems


def test_the_faults_section_and_bands_in_chromium(browser: Any, tmp_path: Path) -> None:
    faults = [*FAULTS(), fault(HOSTILE, start=24.0, end=25.0)]
    page, problems = _open(browser, tmp_path, faults)
    assert problems == []
    rows = page.eval_on_selector_all(
        "#faults-table tbody tr",
        "rows => rows.map(r => [r.className, ...Array.from(r.cells, c => c.textContent)])",
    )
    assert [r[1] for r in rows] == ["kill-worker", "db-latency", "core-down", HOSTILE]
    assert rows[1][0] == "recovered" and rows[1][5] == "10 s \u2013 14 s" and rows[1][6] == "1.25 s"
    assert rows[2][0] == "never" and rows[2][6] == "never recovered" and rows[0][5] == "at 5 s"
    assert "core-down: restart command exited 1" in page.inner_text("#faults")
    bars = page.eval_on_selector_all(
        "#chart-faults .bar-row",
        "rows => rows.map(r => [r.querySelector('.bar-name').textContent,"
        " r.querySelector('.bar-value').textContent,"
        " r.querySelectorAll('.bar.fault').length, r.querySelectorAll('.bar.recovery').length])",
    )
    assert bars[1] == ["db-latency", "recovered in 1.25 s", 1, 1] and bars[2][1] == "never recovered"
    # the charts over time (RGBA): red inside the latency fault (10-14 s), nothing before it, amber after
    throughput, spectrum = 0, 5
    inside, before, recovering = (page.evaluate(PIXEL, [throughput, t]) for t in (12.0, 8.0, 14.6))
    assert inside[0] > inside[1] + 20 and inside[2] > inside[1] and inside[3] > 0 and before[3] == 0
    assert recovering[0] > recovering[1] > recovering[2] and recovering[3] > 0
    for chart in range(5):  # throughput, latency, errors, VUs, dropped: every one shaded
        assert page.evaluate(RED_SHARE, [chart, 12.0]) > 0.5, chart
        assert page.evaluate(RED_SHARE, [chart, 8.0]) < 0.1, chart
    assert page.evaluate(f"LoadpulseCharts.charts[{spectrum}].timeline") is False
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(tmp_path / "faults.png"), full_page=True)
    page.close()


def test_a_run_without_faults_has_no_section(browser: Any, tmp_path: Path) -> None:
    page, problems = _open(browser, tmp_path, [])
    assert problems == [] and page.locator("#faults").count() == 0
    assert page.evaluate(PIXEL, [0, 12.0])[3] == 0
    page.close()


# Three outcomes: recovered, never, not measurable --------------------------------------------------------

NOTE = "not measurable: healthy from 2.0 s after it until the run's end, but the settling window did not fit"


def _three() -> list[dict[str, Any]]:
    return [
        fault("db-latency"),
        fault("core-down", "kill", 18.0, 18.0, recovery_s=None, recovered=False),
        fault("late-blip", start=25.0, end=26.0, recovery_s=2.0, recovered=None, recovery_note=NOTE,
              warnings=[f"recovery {NOTE}"]),
    ]  # fmt: skip


def test_a_recovery_not_measurable_is_its_own_band() -> None:
    data = fault_chart_data({"faults": _three()}, 30.0)
    assert data is not None
    ok, never, nm = data["bands"]
    assert (ok["state"], never["state"], nm["state"]) == ("recovered", "never", "unmeasured")
    assert never["recovered_at"] is None  # shaded to the axis' end
    assert nm["recovered"] is False and nm["recovered_at"] == 28.0 and nm["note"] == NOTE  # tentative
    none_yet = fault_chart_data({"faults": [fault("x", recovery_s=None, recovered=None)]}, 30.0)
    assert none_yet is not None and none_yet["bands"][0]["recovered_at"] == 14.0  # no stretch, not "never"


AMBER_OUTLINE = """([chart, a, b]) => {
    // strong amber pixels (the not-measurable outline) between seconds a and b, below the labels' lanes
    const u = LoadpulseCharts.charts[chart], top = u.bbox.top + 0.4 * u.bbox.height;
    const x0 = Math.round(u.valToPos(a, 'x', true)) - 3, x1 = Math.round(u.valToPos(b, 'x', true)) + 3;
    const px = u.ctx.getImageData(x0, Math.round(top), x1 - x0, Math.round(0.6 * u.bbox.height)).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4)
        if (px[i + 3] > 150 && px[i] > 150 && px[i + 1] > 50 && px[i + 1] < 130 && px[i + 2] < 80) n++;
    return n;
}"""


def test_three_outcomes_in_chromium(browser: Any, tmp_path: Path) -> None:
    page, problems = _open(browser, tmp_path, _three())
    assert problems == []
    rows = page.eval_on_selector_all(
        "#faults-table tbody tr",
        "rows => rows.map(r => [r.className, ...['textContent', 'title'].map(k => r.cells[5][k]),"
        " r.cells[5].style.color])",
    )
    assert [r[:2] for r in rows] == [
        ["recovered", "1.25 s"],
        ["never", "never recovered"],
        ["unmeasured", "n/m (~2 s?)"],
    ]
    assert rows[2][2] == NOTE and rows[2][3] not in (rows[0][3], rows[1][3])
    note = page.inner_text("#faults-note")
    assert "1 never recovered" in note and "1 not measurable" in note
    assert page.inner_text("#faults").count(NOTE) == 1  # its warning, once
    bars = page.eval_on_selector_all(
        "#chart-faults .bar-row",
        "rows => rows.map(r => [r.className, r.querySelector('.bar-value').textContent,"
        " r.querySelector('.bar-value').title, r.querySelectorAll('.bar.recovery.unmeasured').length])",
    )
    assert bars[1][:2] == ["bar-row never", "never recovered"] and bars[1][3] == 0
    assert bars[2] == ["bar-row unmeasured", "not measurable", NOTE, 1]
    # the charts: an amber outline around the tentative stretch (26-28 s), none on the fault never
    # recovered from (hatched-free, shaded to the end) nor on the recovered one
    for chart in range(5):
        assert page.evaluate(AMBER_OUTLINE, [chart, 26.0, 28.0]) > 20, chart
        if chart != 1:  # the latency chart's p99 line is amber itself
            assert page.evaluate(AMBER_OUTLINE, [chart, 19.0, 23.0]) == 0, chart
            assert page.evaluate(AMBER_OUTLINE, [chart, 14.0, 15.25]) == 0, chart
    page.screenshot(path=str(tmp_path / "three.png"), full_page=True)
    page.close()


# A long detail, and a fault never recovered from before the next one ----------------------------------

LONG_DETAIL = (
    "SIGKILL random cmd:worker.py --queue chaos: pid 12345; restarted: exec /work/main/.venv/bin/python "
    "/work/main/examples/005_chaos/worker.py --queue chaos --redis redis://127.0.0.1:6390/0 (pid 12399)"
)


def _next_fault_cuts_never() -> list[dict[str, Any]]:
    return [
        fault("kill-worker", "kill", 3.0, 3.0, detail=LONG_DETAIL, recovery_s=0.5),
        fault("kill-core", "kill", 6.0, 6.0, detail=LONG_DETAIL, recovery_s=None, recovered=False),
        fault("kill-writer", "kill", 12.0, 12.0, detail="SIGKILL: pid 4", recovery_s=1.0),
    ]


def test_a_never_band_stops_at_the_next_fault() -> None:
    data = fault_chart_data({"faults": _next_fault_cuts_never()}, 15.0)
    assert data is not None
    never = data["bands"][1]
    assert never["recovered_at"] is None and never["judged_until"] == 12.0
    last = fault_chart_data({"faults": FAULTS()}, 30.0)
    assert last is not None and last["bands"][2]["judged_until"] is None  # no later fault: the axis' end


def test_long_details_wrap_and_never_stops_at_the_next_fault_in_chromium(
    browser: Any, tmp_path: Path
) -> None:
    page, problems = _open(browser, tmp_path, _next_fault_cuts_never())
    assert problems == []
    # the table fits its section (no sideways scroll), the names stay on one line
    fits = page.evaluate(
        "() => { const t = document.getElementById('faults-table'), s = document.getElementById('faults');"
        " return [t.scrollWidth <= s.clientWidth, Array.from(t.querySelectorAll('tbody tr'), r =>"
        " r.cells[0].getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(r.cells[0]).lineHeight)"
        " + 16)] }"
    )
    assert fits == [True, [True, True, True]], fits
    what = page.eval_on_selector_all(
        "#faults-table tbody tr", "rows => rows.map(r => [r.cells[3].textContent, r.cells[3].title])"
    )
    assert what[0][1] == LONG_DETAIL and what[0][0].endswith("\u2026") and len(what[0][0]) == 80
    assert what[2] == ["SIGKILL: pid 4", ""]
    # the hatched never bar runs from 6 s to the next fault (12 s), not to the axis' end (30 s)
    right = page.evaluate(
        "() => { const b = document.querySelectorAll('#chart-faults .bar-row')[1]"
        ".querySelector('.bar.recovery'); return parseFloat(b.style.left) + parseFloat(b.style.width) }"
    )
    assert abs(right - 100 * 12.0 / 30.0) < 0.5, right
    page.screenshot(path=str(tmp_path / "long.png"), full_page=True)
    page.close()
