"""The Jobs view against the scripted engine: rows by diff, keys, refusals, detail, chart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.widgets import Input

from snowetl_tui.tui.screens.confirm import ConfirmScreen
from snowetl_tui.tui.views.jobs import JobsView
from snowetl_tui.tui.widgets.day_chart import DayChart
from snowetl_tui.tui.widgets.job_detail import JobDetail
from snowetl_tui.tui.widgets.job_table import NARROW, WIDE, JobTable
from snowetl_tui.workspace import Workspace
from tests.tui.conftest import wait_until
from tests.tui.fake_engine import FakeEngine, make_job

SUCCEEDED, FAILED, RUNNING, QUEUED = "J0001", "J0002", "J0003", "J0004"


def step(start: str, end: str | None = None, **kw: Any) -> dict[str, Any]:
    out = {"bytes": 0, "total": 0, "rows": 0, "parts": 0, "started": f"2026-11-27T{start}Z",
           "finished": f"2026-11-27T{end}Z" if end else None, "elapsed": 0.0}
    out.update(kw)
    return out


def report(ws: Workspace) -> str:
    """A report like the engine writes: Feb 2024 on business days, the 14th missing, the
    20th far too low."""
    per_day = {f"2024-02-{d:02d}": 1200 + d for d in range(1, 30)
               if d not in (3, 4, 10, 11, 14, 17, 18, 24, 25)}
    per_day["2024-02-20"] = 130
    data = {
        "period_start": "2024-02-01", "period_end": "2024-02-29", "verdict": "fail",
        "rows": sum(per_day.values()), "per_day": per_day,
        "checks": [
            {"name": "rows", "status": "PASS", "count": 1, "message": "rows"},
            {"name": "calendar", "status": "FAIL", "count": 1,
             "message": "1 of 20 expected business days have no rows: 2024-02-14",
             "data": {"missing_days": ["2024-02-14"], "expected_days": 20}},
            {"name": "anomalies", "status": "FAIL", "count": 1,
             "message": "1 days far from the baseline (median 1215, IQR 1208–1222)",
             "data": {"days": {"2024-02-20": "SEVERELY_LOW"}, "median": 1215.0,
                      "q1": 1208.0, "q3": 1222.0}},
        ],
    }
    path = ws.logs_dir / "jobs" / f"{FAILED}.report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return str(path)


def four_jobs(ws: Workspace) -> list[dict[str, Any]]:
    """A succeeded, a failed (with a report), a running and a queued job."""
    done = make_job(
        SUCCEEDED, state="succeeded", step="cleanup", file="/data/orders_2024-05.csv",
        progress=1.0, rows=3000, bytes=170_939, total_bytes=170_939, rate_bytes=23.4e6,
        started="2026-11-27T06:10:00.000Z", finished="2026-11-27T06:10:02.000Z",
        steps={"plan": step("06:10:00", "06:10:00.5"),
               "read": step("06:10:00.5", "06:10:01", bytes=170_939, total=170_939,
                            rows=3000, elapsed=0.5),
               "decide": step("06:10:01", "06:10:01"),
               "copy": step("06:10:01", "06:10:01.5"),
               "reconcile": step("06:10:01.5", "06:10:02"),
               "cleanup": step("06:10:02", "06:10:02")},
        result={"state": "succeeded", "rows_validated": 3000, "rows_loaded": 3000,
                "parts": 1, "verdict": "pass"})
    failed = make_job(
        FAILED, state="failed", step="decide",
        file="/data/factLendingBenchmark_20240201-20240229.tsv",
        table="FACT_LENDING_BENCHMARK", progress=0.84, rows=23099, bytes=7_241_376,
        total_bytes=7_241_376, rate_bytes=163e6,
        started="2026-11-27T06:20:00.000Z", finished="2026-11-27T06:20:01.000Z",
        steps={"plan": step("06:20:00", "06:20:00.1"),
               "connect": step("06:20:00.1", "06:20:00.2"),
               "read": step("06:20:00.2", "06:20:00.9", bytes=7_241_376, total=7_241_376,
                            rows=23099, elapsed=0.7),
               "decide": step("06:20:00.9", "06:20:01")},
        error="validation failed, nothing was loaded: calendar (1 of 20 expected business "
              "days have no rows: 2024-02-14)",
        findings=[
            {"name": "calendar", "status": "FAIL", "count": 1,
             "message": "1 of 20 expected business days have no rows: 2024-02-14"},
            {"name": "anomalies", "status": "FAIL", "count": 1,
             "message": "1 days far from the baseline (median 1215, IQR 1208–1222)"}],
        result={"state": "failed", "rows_validated": 23099, "rows_loaded": None,
                "verdict": "fail", "report_path": report(ws)})
    running = make_job(
        RUNNING, state="running", step="read",
        file="/data/factLendingBenchmark_20240301-20240331.tsv",
        table="FACT_LENDING_BENCHMARK", progress=0.42, rows=10_500_000,
        bytes=3_600_000_000, total_bytes=7_200_000_000, rate_bytes=15e6, eta_seconds=240.0,
        started="2026-11-27T07:20:00.000Z",
        steps={"plan": step("07:20:00", "07:20:01"), "connect": step("07:20:01", "07:20:02"),
               "read": step("07:20:02", bytes=3_600_000_000, total=7_200_000_000,
                            rows=10_500_000, elapsed=240.0)})
    queued = make_job(QUEUED, file="/data/factLendingBenchmark_20240401-20240430.tsv",
                      table="FACT_LENDING_BENCHMARK")
    return [done, failed, running, queued]


@pytest.fixture
def jobs_engine(engine: FakeEngine, tui_ws: Workspace) -> FakeEngine:
    for job in four_jobs(tui_ws):
        engine.jobs[job["id"]] = job
    return engine


async def open_jobs(app: Any, pilot: Any) -> tuple[JobTable, JobDetail]:
    await wait_until(pilot, lambda: app.engine_state.connected, "connected")
    await pilot.press("2")
    view = app.query_one(JobsView)
    table = view.query_one(JobTable)
    await wait_until(pilot, lambda: table.row_count == len(app.engine_state.jobs), "rows")
    return table, view.query_one(JobDetail)


async def select(pilot: Any, table: JobTable, job_id: str) -> None:
    table.select(job_id)
    await wait_until(pilot, lambda: table.current_id() == job_id, f"cursor on {job_id}")
    await pilot.pause()


def cell(table: JobTable, job_id: str, column: str) -> str:
    return table.get_cell(job_id, column).plain


# -- rows ----------------------------------------------------------------------------------------
async def test_rows_for_snapshot_and_new_jobs_active_first(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        assert table.shown_ids == [RUNNING, QUEUED, FAILED, SUCCEEDED]
        assert [c.key for c in table.cols] == [c.key for c in WIDE]
        assert cell(table, RUNNING, "state") == "▶ running"
        assert cell(table, FAILED, "state") == "✗ failed"
        assert cell(table, SUCCEEDED, "state") == "✓ succeeded"
        assert cell(table, QUEUED, "state") == "◌ queued"
        assert cell(table, QUEUED, "step") == "waits #1"
        assert cell(table, RUNNING, "eta") == "4m00s"
        assert cell(table, RUNNING, "mb_s") == "15"
        assert cell(table, RUNNING, "rows_s") == "43.8k"
        assert cell(table, RUNNING, "progress").endswith("42%")
        assert cell(table, SUCCEEDED, "step") == "done"
        assert table.current_id() == RUNNING
        assert "Jobs 4 · 2 active" in str(table.border_title)

        jobs_engine.add_job(make_job("J0005", file="/data/new_2024-07.tsv", priority=1))
        await wait_until(pilot, lambda: table.row_count == 5, "new row")
        assert table.shown_ids == [RUNNING, "J0005", QUEUED, FAILED, SUCCEEDED]
        assert cell(table, "J0005", "step") == "waits #1"
        assert cell(table, QUEUED, "step") == "waits #2"  # other queued rows follow
        assert table.current_id() == RUNNING


async def test_progress_streams_by_diff_without_rebuilding(make_tui, jobs_engine,
                                                           monkeypatch):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, FAILED)
        calls: dict[str, list[Any]] = {"add_row": [], "clear": [], "remove_row": [],
                                       "update_cell": []}
        for name in calls:
            original = getattr(table, name)

            def spy(*args: Any, _name: str = name, _orig: Any = original, **kw: Any) -> Any:
                calls[_name].append(args)
                return _orig(*args, **kw)

            monkeypatch.setattr(table, name, spy)
        shown_before = detail.plain
        for i in range(1, 21):
            jobs_engine.update(RUNNING, progress=0.42 + i * 0.02, eta_seconds=240.0 - i * 10,
                               rows=10_500_000 + i * 100_000)
        await wait_until(pilot, lambda: cell(table, RUNNING, "progress").endswith("82%"),
                         "latest progress shown")
        assert cell(table, RUNNING, "eta") == "40s"
        assert cell(table, RUNNING, "rows") == "12,500,000"
        assert calls["add_row"] == calls["clear"] == calls["remove_row"] == []
        assert {args[0] for args in calls["update_cell"]} == {RUNNING}
        changed_columns = {args[1] for args in calls["update_cell"]}
        assert changed_columns <= {"progress", "eta", "rows"}
        assert table.row_count == 4
        assert table.current_id() == FAILED  # the cursor stayed while updates streamed
        assert detail.plain == shown_before  # detail of another job is not redrawn


async def test_detail_follows_updates_of_the_selected_job(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        _, detail = await open_jobs(app, pilot)
        assert "read & validate" in detail.plain and "50%" in detail.plain
        read = dict(jobs_engine.jobs[RUNNING]["steps"]["read"], bytes=5_400_000_000)
        steps = {**jobs_engine.jobs[RUNNING]["steps"], "read": read}
        jobs_engine.update(RUNNING, steps=steps)
        await wait_until(pilot, lambda: "75%" in detail.plain, "step bar moved")
        assert "5.40 GB of 7.20 GB" in detail.plain


async def test_state_change_reorders_and_the_cursor_follows_its_job(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        assert table.current_id() == RUNNING
        jobs_engine.update(RUNNING, state="succeeded", step="cleanup", progress=1.0,
                           finished="2026-11-27T07:29:00.000Z")
        await wait_until(pilot, lambda: cell(table, RUNNING, "state") == "✓ succeeded",
                         "state cell")
        assert table.shown_ids == [QUEUED, RUNNING, FAILED, SUCCEEDED]
        assert table.current_id() == RUNNING
        assert "✓ succeeded" in detail.plain


async def test_vanished_job_row_is_removed(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        del jobs_engine.jobs[SUCCEEDED]
        jobs_engine.drop()  # reconnect → a new snapshot without it
        await wait_until(pilot, lambda: table.row_count == 3, "row removed", steps=800)
        assert SUCCEEDED not in table.shown_ids


# -- keys ----------------------------------------------------------------------------------------
async def test_cancel_asks_default_no_then_yes(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirm")
        assert RUNNING in app.screen.question
        await pilot.press("enter")  # No is focused
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "closed")
        assert not any(op == "cancel" for op, _ in jobs_engine.requests)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(table, RUNNING, "state") == "⊘ cancelled",
                         "cancelled")
        assert ("cancel", {"job": RUNNING}) in jobs_engine.requests


async def test_refused_actions_are_explained_not_sent(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        await select(pilot, table, SUCCEEDED)
        for key in ("c", "r", "p", "plus", "minus"):
            await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        warnings = [m for sev, m in app.said if sev == "warning"]
        assert f"job {SUCCEEDED} already succeeded; nothing to cancel" in warnings
        assert (f"job {SUCCEEDED} already succeeded; only failed or cancelled jobs can be "
                "retried") in warnings
        assert any("only queued or running jobs can be paused" in m for m in warnings)
        assert sum("priority only orders" in m for m in warnings) == 2
        await select(pilot, table, RUNNING)
        await pilot.press("r")
        await pilot.pause()
        assert f"job {RUNNING} is running; only failed or cancelled jobs can be retried" in \
            [m for _, m in app.said]
        assert jobs_engine.requests == []


async def test_retry_a_failed_job(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        await select(pilot, table, FAILED)
        await pilot.press("r")
        await wait_until(pilot, lambda: cell(table, FAILED, "state") == "◌ queued", "queued")
        assert ("retry", {"job": FAILED}) in jobs_engine.requests
        assert any("queued again (attempt 2)" in m for _, m in app.said)
        assert table.current_id() == FAILED


async def test_pause_then_resume(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: cell(table, RUNNING, "state") == "‖ paused", "paused")
        assert ("pause", {"job": RUNNING}) in jobs_engine.requests
        await pilot.press("p")
        await wait_until(pilot, lambda: ("resume", {"job": RUNNING}) in jobs_engine.requests,
                         "resume sent")


async def test_pause_pending_shows_pausing_and_p_resumes(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        jobs_engine.update(RUNNING, pause_requested=True)
        await wait_until(pilot, lambda: cell(table, RUNNING, "state") == "‖ pausing",
                         "pausing")
        assert "pause requested" in detail.plain
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(jobs_engine.requests), "request")
        assert jobs_engine.requests == [("resume", {"job": RUNNING})]


async def test_priority_keys_send_the_next_value(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, QUEUED)
        await pilot.press("plus")
        await wait_until(pilot, lambda: jobs_engine.jobs[QUEUED]["priority"] == 1, "+1")
        await wait_until(pilot, lambda: app.engine_state.jobs[QUEUED]["priority"] == 1,
                         "delta back")
        await pilot.press("plus")
        await wait_until(pilot, lambda: jobs_engine.jobs[QUEUED]["priority"] == 2, "+2")
        await wait_until(pilot, lambda: app.engine_state.jobs[QUEUED]["priority"] == 2,
                         "delta back")
        await pilot.press("minus")
        await wait_until(pilot, lambda: jobs_engine.jobs[QUEUED]["priority"] == 1, "-1")
        sent = [args["priority"] for op, args in jobs_engine.requests if op == "set_priority"]
        assert sent == [1, 2, 1]
        await wait_until(pilot, lambda: "priority 1" in detail.plain, "detail shows it")


async def test_l_opens_the_log_view_of_the_job(make_tui, jobs_engine, monkeypatch):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        opened: list[dict[str, Any]] = []
        logs = app.view("logs")
        real_open = logs.open
        monkeypatch.setattr(logs, "open", lambda **kw: opened.append(kw) or real_open(**kw))
        await select(pilot, table, FAILED)
        await pilot.press("l")
        await pilot.pause()
        assert app.current_view == "logs"
        assert opened == [{"job": FAILED}]


async def test_o_lists_reports_and_opens_in_browser(make_tui, jobs_engine, tui_ws,
                                                    monkeypatch, tmp_path):
    monkeypatch.delenv("BROWSER", raising=False)
    html = tui_ws.reports_dir / f"factLendingBenchmark_20240201-20240229.{FAILED}.html"
    html.parent.mkdir(parents=True)
    html.write_text("<html></html>")
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await pilot.press("o")  # the running job has no report yet
        await wait_until(pilot, lambda: any("no report yet" in m for _, m in app.said), "none")
        await select(pilot, table, FAILED)
        await pilot.press("o")
        await wait_until(pilot, lambda: any(m.startswith(f"{FAILED} report:")
                                            for _, m in app.said), "paths")
        # the detail lists the files found on disk too (read with the chart)
        listed = f"Report  logs/reports/{html.name} · logs/jobs/{FAILED}.report.json"
        await wait_until(pilot, lambda: listed in detail.plain, "detail lists both")
        said = next(m for _, m in app.said if m.startswith(f"{FAILED} report:"))
        assert str(html) in said and f"{FAILED}.report.json" in said
        assert "set $BROWSER to open it from here" in said
        # a browser command gets the file URL, detached from the app's terminal
        seen = tmp_path / "browser-got"
        fake = tmp_path / "fake-browser"
        fake.write_text(f"#!/bin/sh\necho \"$1\" > {seen}\n")
        fake.chmod(0o755)
        monkeypatch.setenv("BROWSER", str(fake))
        app.said.clear()
        await pilot.press("o")
        await wait_until(pilot, lambda: any("opened with" in m for _, m in app.said), "opened")
        await wait_until(pilot, seen.exists, "the browser to run", steps=1000)
        await wait_until(pilot, lambda: seen.read_text().strip() == html.resolve().as_uri(),
                         "the URL", steps=200)


async def test_navigation_keys(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        await pilot.press("j")
        assert table.current_id() == QUEUED
        await pilot.press("G")
        assert table.current_id() == SUCCEEDED
        await pilot.press("k")
        assert table.current_id() == FAILED
        await pilot.press("g")
        assert table.current_id() == RUNNING
        await pilot.press("pagedown")
        assert table.current_id() == SUCCEEDED
        await pilot.press("pageup")
        assert table.current_id() == RUNNING


async def test_enter_focuses_detail_and_esc_comes_back(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        view = app.query_one(JobsView)
        assert app.focused is table
        await pilot.press("enter")
        assert app.focused is detail and view.has_class("-drilled")
        assert view.check_action("back", ())  # the footer offers esc Back now
        assert table.display  # wide: the table stays in sight
        await pilot.press("j")  # scrolls the detail, does not move the cursor
        assert table.current_id() == RUNNING
        await pilot.press("escape")
        assert app.focused is table and not view.has_class("-drilled")
        assert not view.check_action("back", ())


async def test_filter_and_hide_finished(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        view = app.query_one(JobsView)
        await pilot.press("slash")
        box = view.query_one("#jobs-filter-input", Input)
        bar = view.query_one("#jobs-filter")
        assert bar.display and app.focused is box
        await pilot.press(*"0229")
        await wait_until(pilot, lambda: table.shown_ids == [FAILED], "filtered")
        assert "filter “0229”" in str(table.border_title)
        assert table.current_id() == FAILED and FAILED in detail.plain
        await pilot.press("enter")  # keeps the filter, back to the table
        assert app.focused is table and table.shown_ids == [FAILED]
        await pilot.press("escape")  # clears it
        await wait_until(pilot, lambda: table.row_count == 4, "all rows back")
        assert not bar.display
        await pilot.press("slash", *"NoMatch")
        await wait_until(pilot, lambda: table.row_count == 0, "none")
        assert "No job matches “NoMatch” (esc clears the filter)." in detail.plain
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == 4, "back")
        await pilot.press("a")
        await wait_until(pilot, lambda: table.shown_ids == [RUNNING, QUEUED], "active only")
        assert "finished hidden" in str(table.border_title)
        await pilot.press("slash", *"0229")
        await wait_until(pilot, lambda: table.row_count == 0, "nothing left")
        assert ("No job matches “0229” (esc clears the filter); finished jobs are hidden (a "
                "shows them).") in detail.plain
        await pilot.press("escape")
        await pilot.press("a")
        await wait_until(pilot, lambda: table.row_count == 4, "finished again")


async def test_show_view_with_job_selects_it_even_if_filtered(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        view = app.query_one(JobsView)
        await pilot.press("a")
        await wait_until(pilot, lambda: table.row_count == 2, "hidden")
        app.show_view("jobs", job=SUCCEEDED)
        await wait_until(pilot, lambda: table.current_id() == SUCCEEDED, "selected")
        assert view.show_finished and "orders_2024-05.csv" in detail.plain


# -- detail --------------------------------------------------------------------------------------
async def test_detail_of_a_failed_job_with_chart(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, FAILED)
        chart = detail.query_one(DayChart)
        await wait_until(pilot, lambda: chart.data is not None, "chart read")
        text = detail.plain
        assert "✗ Error  validation failed, nothing was loaded: calendar" in text
        assert "plan ✓ › connect ✓ › read ✓ › decide ✗ › copy · › reconcile ·" in text
        assert "✓ read & validate done 100% 7.2 MB of 7.2 MB · 23,099 rows" in text
        assert "– stage not needed" in text and "· copy not reached 0%" in text
        assert "Findings (2)  validation verdict: ✗ fail" in text
        assert "FAIL calendar 1 1 of 20 expected business days" in text
        assert "Reconciliation  – not reached: the job failed before its COPY" in text
        assert f"Report  logs/jobs/{FAILED}.report.json" in text
        assert "✗ missing (expected, no rows): 02-14 Wed" in text
        assert "! anomaly: 02-20 Tue SEVERELY_LOW (130 rows)" in text
        lines = chart.plain.splitlines()
        marks = next(line for line in lines if "✗" in line and "missing" not in line)
        days = next(line for line in lines if line.strip().startswith("1 "))
        # the marks sit under the 14th and the 20th: same columns as their labels
        assert marks.index("✗") == days.index("15") - 2
        assert marks.index("!") == days.index("20")


async def test_detail_of_a_succeeded_job_shows_reconciliation(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, SUCCEEDED)
        text = detail.plain
        assert "Reconciliation  ✓ rows validated 3,000 = loaded 3,000" in text
        assert "✓ none: every check passed" in text
        assert "✓ copy done 100%" in text
        # no result.report_path and no file in logs/jobs: the chart says why it is empty
        chart = detail.query_one(DayChart)
        await wait_until(pilot, lambda: "no such report" in chart.note, "note")


async def test_chart_of_a_broken_report_says_what_is_wrong(make_tui, jobs_engine, tui_ws):
    (tui_ws.logs_dir / "jobs" / f"{FAILED}.report.json").write_text("{not json")
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, FAILED)
        chart = detail.query_one(DayChart)
        await wait_until(pilot, lambda: "not valid JSON" in chart.note, "error shown")
        assert f"{FAILED}.report.json" in chart.note
        assert f"Report  logs/jobs/{FAILED}.report.json" in detail.plain  # still listed


async def test_chart_is_read_once_per_attempt(make_tui, jobs_engine, monkeypatch):
    from snowetl_tui.tui.views import jobs as jobs_module

    reads: list[str] = []
    real = jobs_module.load_day_counts
    monkeypatch.setattr(jobs_module, "load_day_counts",
                        lambda ws, job: reads.append(job["id"]) or real(ws, job))
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        chart = detail.query_one(DayChart)
        for _ in range(2):
            await select(pilot, table, FAILED)
            await wait_until(pilot, lambda: chart.data is not None, "chart")
            await select(pilot, table, RUNNING)
            assert chart.data is None and "when the read has finished" in chart.note
        assert reads == [FAILED]


async def test_running_job_shows_progress_and_pending_findings(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        _, detail = await open_jobs(app, pilot)
        text = detail.plain
        assert "▶ read & validate running 50% 3.60 GB of 7.20 GB" in text
        assert "43.8k rows/s · 15.0 MB/s · ETA 4m00s · for 4m00s" in text
        assert "elapsed 10m00s" in text
        assert "none so far" in text
        jobs_engine.update(RUNNING, findings=[{"name": "field_count", "status": "WARN",
                                               "count": 3, "message": "3 short rows"}])
        await wait_until(pilot, lambda: "WARN field_count 3 3 short rows" in detail.plain,
                         "finding appears")


async def test_detail_of_a_delete_job(make_tui, engine):
    engine.jobs["J0009"] = make_job(
        "J0009", kind="delete", file=None, state="running", step="delete",
        options={"period": "2024-03", "date_column": "BUSINESS_DATE"},
        started="2026-11-27T07:29:00.000Z",
        steps={"plan": step("07:29:00", "07:29:01"), "delete": step("07:29:01")})
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        assert cell(table, "J0009", "file") == "delete 2024-03 of ORDERS"
        text = detail.plain
        assert "▶ running  delete  delete 2024-03 of ORDERS on local" in text
        assert "plan ✓ › delete ▶" in text and "▶ delete running" in text
        assert "a delete job has no per-day counts" in text
        assert "Report" not in text


async def test_palette_entries_and_remapped_keys(make_tui, jobs_engine, tui_ws):
    tui_ws.settings_path.parent.mkdir(parents=True, exist_ok=True)
    tui_ws.settings_path.write_text('[keys]\n"jobs.cancel" = "x"\n"jobs.finished" = "H"\n')
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, _ = await open_jobs(app, pilot)
        view = app.query_one(JobsView)
        await select(pilot, table, FAILED)
        titles = [title for title, _, _ in view.palette_commands()]
        assert titles == ["Jobs: filter…", "Jobs: hide finished jobs",
                          f"Jobs: report of {FAILED}", f"Jobs: retry {FAILED}"]
        await pilot.press("H")
        await wait_until(pilot, lambda: table.row_count == 2, "finished hidden by H")
        assert "Jobs: show finished jobs" in [t for t, _, _ in view.palette_commands()]
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "x cancels")


# -- layout --------------------------------------------------------------------------------------
async def test_narrow_layout(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        table, detail = await open_jobs(app, pilot)
        assert [c.key for c in table.cols] == [c.key for c in NARROW]
        assert cell(table, RUNNING, "progress") == "42%"
        assert "…" in cell(table, FAILED, "file") and \
            cell(table, FAILED, "file").endswith("0229.tsv")
        assert detail.query_one("#detail-cols").styles.layout.name == "vertical"
        jobs_engine.update(RUNNING, progress=0.5, rows=11_000_000, eta_seconds=200.0)
        await wait_until(pilot, lambda: cell(table, RUNNING, "progress") == "50%", "update")
        assert cell(table, RUNNING, "eta") == "3m20s"
        await pilot.press("enter")
        assert not table.display and app.focused is detail  # the detail gets the screen
        await pilot.press("escape")
        assert table.display and app.focused is table
        await select(pilot, table, FAILED)
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: [c.key for c in table.cols] == [c.key for c in WIDE],
                         "wide columns")
        assert table.current_id() == FAILED and table.row_count == 4


async def test_help_lists_the_job_keys(make_tui, jobs_engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_jobs(app, pilot)
        ids = {row.binding_id for row in app.help_rows()}
        assert {"jobs.cancel", "jobs.retry", "jobs.pause", "jobs.log", "jobs.report",
                "jobs.priority.up", "jobs.priority.down", "jobs.filter", "jobs.finished",
                "jobs.open", "jobs.down", "jobs.first"} <= ids


async def test_empty_engine_says_how_to_get_jobs(make_tui, engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        table, detail = await open_jobs(app, pilot)
        assert table.row_count == 0
        assert "no jobs yet" in str(table.border_title)
        assert "Queue files in the Files view" in detail.plain
        await pilot.press("c")
        await pilot.press("l")
        assert [m for _, m in app.said if m == "no job selected"] == ["no job selected"] * 2


# -- snapshots -----------------------------------------------------------------------------------
def snapshot_run(job_id: str, *keys: str) -> Any:
    """Open the Jobs view, select ``job_id``, wait for its chart, press ``keys``, drop toasts."""

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        table, detail = await open_jobs(app, pilot)
        await select(pilot, table, job_id)
        job = app.engine_state.jobs[job_id]
        if (job.get("result") or {}).get("report_path"):
            chart = detail.query_one(DayChart)
            await wait_until(pilot, lambda: chart.data is not None, "chart")
        for key in keys:
            await pilot.press(key)
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_snapshot_wide_failed_job_with_chart(snap_compare, make_tui, jobs_engine):
    assert snap_compare(make_tui(), terminal_size=(120, 40), run_before=snapshot_run(FAILED))


def test_snapshot_narrow_running_job(snap_compare, make_tui, jobs_engine):
    assert snap_compare(make_tui(), terminal_size=(80, 24), run_before=snapshot_run(RUNNING))


def test_snapshot_narrow_detail_of_failed_job(snap_compare, make_tui, jobs_engine):
    assert snap_compare(make_tui(), terminal_size=(80, 24),
                        run_before=snapshot_run(FAILED, "enter", "G"))
