"""Job facts for clients: steps, rates, queue order, refusals, reconciliation, reports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from snowetl_tui.client.job_info import (
    DayCounts,
    ReportError,
    compact_count,
    day_counts,
    display_order,
    eta_seconds,
    job_title,
    load_day_counts,
    matches,
    middle_ellipsis,
    pause_op,
    queue_positions,
    read_report,
    reconciliation,
    refusal,
    report_json_path,
    report_paths,
    rows_per_second,
    step_flow,
    step_status,
    step_views,
)
from snowetl_tui.engine.model import Job
from snowetl_tui.workspace import Workspace

NOW = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)


def job(**kw) -> dict:
    """A real ``Job.to_dict()`` with fields overridden, so the tests follow the wire form."""
    base = Job(id=kw.pop("id", "J1"), kind=kw.pop("kind", "load"),
               file="/data/orders_2024-03.tsv", table="ORDERS", target="local").to_dict()
    base.update(kw)
    return base


def sp(**kw) -> dict:
    out = {"bytes": 0, "total": 0, "rows": 0, "parts": 0, "started": None, "finished": None,
           "elapsed": 0.0}
    out.update(kw)
    return out


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "logs" / "jobs").mkdir(parents=True)
    return Workspace(tmp_path)


# -- formatting ----------------------------------------------------------------------------------
def test_middle_ellipsis_keeps_both_ends():
    name = "factLendingBenchmark_20240101-20240131.tsv"
    short = middle_ellipsis(name, 20)
    assert len(short) == 20 and short.startswith("factLen") and short.endswith("0131.tsv")
    assert "…" in short
    assert middle_ellipsis("a.tsv", 20) == "a.tsv"
    assert middle_ellipsis(name, 0) == ""
    assert middle_ellipsis(name, 2) == "fa"


def test_compact_count():
    assert compact_count(None) == "-"
    assert compact_count(950) == "950"
    assert compact_count(46_700) == "46.7k"
    assert compact_count(123_456) == "123k"
    assert compact_count(2_500_000) == "2.5M"


def test_job_title_for_files_and_deletes():
    assert job_title(job()) == "orders_2024-03.tsv"
    assert job_title(job(kind="delete", file=None, file_name=None,
                         options={"period": "2024-03"})) == "delete 2024-03 of ORDERS"


def test_filter_matches_id_file_state_error_case_insensitive():
    j = job(state="failed", error="validation failed: calendar")
    assert matches(j, "") and matches(j, "  ")
    assert matches(j, "ORDERS_2024") and matches(j, "j1") and matches(j, "Calendar")
    assert matches(j, "failed") and not matches(j, "running")


# -- order and queue -----------------------------------------------------------------------------
def test_order_active_first_queue_order_then_newest_first():
    jobs = [job(id="J1", state="succeeded"), job(id="J2", state="queued"),
            job(id="J3", state="running"), job(id="J4", state="failed"),
            job(id="J5", state="queued", priority=1), job(id="J6", state="paused"),
            job(id="J7", state="queued"), job(id="J8", state="cancelled")]
    assert display_order(jobs) == ["J3", "J6", "J5", "J2", "J7", "J8", "J4", "J1"]
    assert display_order([]) == []


def test_queue_positions_follow_the_scheduler():
    jobs = [job(id="J1", state="queued"), job(id="J2", state="queued", priority=2),
            job(id="J3", state="queued", recovered=True), job(id="J4", state="running")]
    assert queue_positions(jobs) == {"J3": 1, "J2": 2, "J1": 3}


# -- rates and steps -----------------------------------------------------------------------------
def test_rates_and_eta_only_while_reading():
    running = job(state="running", step="read", eta_seconds=12.0, rate_bytes=2e7,
                  steps={"read": sp(rows=50_000, elapsed=2.0, started="x")})
    assert rows_per_second(running) == 25_000
    assert eta_seconds(running) == 12.0
    assert eta_seconds({**running, "step": "copy"}) is None
    assert eta_seconds({**running, "state": "succeeded"}) is None
    assert rows_per_second(job()) is None


def test_step_views_of_a_running_load():
    j = job(state="running", step="read", rate_bytes=15e6, eta_seconds=180.0, steps={
        "plan": sp(started="2026-11-27T07:20:00Z", finished="2026-11-27T07:20:01Z"),
        "read": sp(bytes=4_500_000_000, total=7_200_000_000, rows=14_000_000, elapsed=300.0,
                   started="2026-11-27T07:20:01Z"),
    })
    views = {v.name: v for v in step_views(j, NOW)}
    assert list(views) == ["read", "stage", "copy", "reconcile"]
    read = views["read"]
    assert read.status == "running" and read.fraction == pytest.approx(0.625)
    assert "4.50 GB of 7.20 GB" in read.detail and "14,000,000 rows" in read.detail
    assert "46.7k rows/s" in read.detail and "ETA 3m00s" in read.detail
    assert views["stage"].status == "not needed"
    assert views["copy"].status == "waiting" and views["copy"].fraction == 0.0


def test_stage_follows_the_read_on_a_remote_target():
    j = job(state="running", step="read", target="snow",
            steps={"read": sp(bytes=50, total=100, started="2026-11-27T07:20:01Z")})
    stage = next(v for v in step_views(j, NOW) if v.name == "stage")
    assert stage.status == "running" and stage.fraction == 0.5


def test_step_status_failed_at_decide_and_not_reached_after():
    j = job(state="failed", step="decide", steps={
        "read": sp(finished="t"), "decide": sp(started="t", finished="t")})
    assert step_status(j, "read") == "done"
    assert step_status(j, "decide") == "failed"
    assert step_status(j, "copy") == "not reached"
    flow = dict(step_flow(j))
    assert flow["decide"] == "failed" and flow["cleanup"] == "not reached"
    assert "stage" not in flow


def test_copy_without_size_is_indeterminate_with_elapsed_time():
    j = job(state="running", step="copy", result={"parts": 3}, steps={
        "read": sp(finished="t"),
        "copy": sp(started="2026-11-27T07:29:30Z")})
    copy = next(v for v in step_views(j, NOW) if v.name == "copy")
    assert copy.fraction is None and copy.status == "running"
    assert copy.detail == "3 parts · for 30s"


def test_validate_job_has_one_bar_and_paused_step():
    j = job(kind="validate", state="paused", step="read",
            steps={"read": sp(bytes=1, total=4, started="2026-11-27T07:29:00Z")})
    views = step_views(j, NOW)
    assert [v.name for v in views] == ["read"] and views[0].status == "paused"


def test_delete_job_shows_its_own_steps():
    j = job(kind="delete", state="running", step="delete", file=None, steps={
        "plan": sp(started="2026-11-27T07:29:00Z", finished="2026-11-27T07:29:01Z"),
        "delete": sp(started="2026-11-27T07:29:01Z")})
    views = step_views(j, NOW)
    assert [(v.name, v.status) for v in views] == [("plan", "done"), ("delete", "running")]
    assert views[1].detail == "for 59s"
    assert step_flow(j) == [("plan", "done"), ("delete", "running")]


# -- reconciliation and refusals -----------------------------------------------------------------
def test_reconciliation_states():
    ok = job(state="succeeded", result={"rows_validated": 10, "rows_loaded": 10})
    assert reconciliation(ok)[0] == "ok" and "= loaded 10" in reconciliation(ok)[1]
    bad = job(state="failed", error="reconciliation failed — rows validated 10, loaded 9")
    assert reconciliation(bad) == ("failed", bad["error"])
    before = job(state="failed", result={"rows_validated": 10, "rows_loaded": None})
    assert reconciliation(before)[0] == "none" and "before its COPY" in reconciliation(before)[1]
    assert reconciliation(job(state="running", step="reconcile"))[0] == "pending"
    assert reconciliation(job(kind="validate"))[0] == "none"
    block = job(state="succeeded", result={"reconciliation": {"ok": False, "rows": "10 vs 9"}})
    assert reconciliation(block) == ("failed", "rows: 10 vs 9")
    deleted = job(kind="delete", state="succeeded", result={"rows_deleted": 1234})
    assert reconciliation(deleted) == ("ok", "deleted 1,234 rows")


@pytest.mark.parametrize(("action", "state", "refused"), [
    ("cancel", "running", False), ("cancel", "succeeded", True), ("cancel", "queued", False),
    ("retry", "failed", False), ("retry", "cancelled", False), ("retry", "running", True),
    ("retry", "succeeded", True), ("pause", "queued", False), ("pause", "running", False),
    ("pause", "paused", False), ("pause", "failed", True), ("priority", "queued", False),
    ("priority", "succeeded", True),
])
def test_refusals(action, state, refused):
    assert (refusal(action, job(state=state)) is not None) == refused


def test_refusal_messages_name_the_job_and_the_rule():
    assert refusal("cancel", job(state="succeeded")) == \
        "job J1 already succeeded; nothing to cancel"
    assert "only failed or cancelled" in refusal("retry", job(state="running"))
    assert refusal("retry", None) == "no job selected"


def test_pause_toggles_to_resume():
    assert pause_op(job(state="running")) == "pause"
    assert pause_op(job(state="paused")) == "resume"
    assert pause_op(job(state="running", pause_requested=True)) == "resume"


# -- reports -------------------------------------------------------------------------------------
REPORT = {
    "period_start": "2024-02-01", "period_end": "2024-02-29",
    "per_day": {"2024-02-01": 1206, "2024-02-02": 1247, "2024-02-05": 130},
    "checks": [
        {"name": "calendar", "status": "FAIL", "count": 1, "message": "…",
         "data": {"missing_days": ["2024-02-14"], "expected_days": 20}},
        {"name": "anomalies", "status": "FAIL", "count": 1, "message": "…",
         "data": {"days": {"2024-02-05": "SEVERELY_LOW"}, "median": 1206.0}},
    ],
}


def test_day_counts_from_a_report():
    data = day_counts(REPORT)
    assert data is not None
    assert data.start == date(2024, 2, 1) and data.end == date(2024, 2, 29)
    assert len(data.days()) == 29
    assert data.mark(date(2024, 2, 14)) == "missing"
    assert data.mark(date(2024, 2, 5)) == "anomaly"
    assert data.anomalies[date(2024, 2, 5)] == "SEVERELY_LOW"
    assert data.mark(date(2024, 2, 3)) == "none"
    assert data.mark(date(2024, 2, 1)) == "rows"
    assert data.median == 1206.0


def test_day_counts_from_old_style_anomaly_examples_and_no_period():
    report = {"per_day": {"2024-02-01": 5, "2024-02-03": 100},
              "checks": [{"name": "anomalies", "examples": [
                  {"value": "2024-02-01", "detail": "LOW: 5 rows < 50% of the median"}]}]}
    data = day_counts(report)
    assert data is not None and data.start == date(2024, 2, 1) and data.end == date(2024, 2, 3)
    assert data.anomalies == {date(2024, 2, 1): "LOW"}
    assert data.median == 52.5


def test_day_counts_absent_without_a_date_column():
    assert day_counts({"per_day": {}}) is None
    assert day_counts({}) is None


@pytest.mark.parametrize(("report", "message"), [
    ({"per_day": [1, 2]}, "per_day: expected an object"),
    ({"per_day": {"2024-02-30": 1}}, "per_day: expected a YYYY-MM-DD date, got '2024-02-30'"),
    ({"per_day": {"2024-02-01": -1}}, "per_day['2024-02-01']: expected a row count"),
    ({"per_day": {"2024-02-01": "7"}}, "expected a row count, got '7'"),
    ({"per_day": {"2024-02-01": 1}, "period_start": "2024-03-01", "period_end": "2024-02-01"},
     "period_end 2024-02-01 is before period_start 2024-03-01"),
    ({"per_day": {"2024-02-01": 1}, "checks": [{"name": "calendar",
                                                "data": {"missing_days": ["soon"]}}]},
     "calendar.missing_days: expected a YYYY-MM-DD date"),
])
def test_bad_reports_say_where(report, message):
    with pytest.raises(ReportError) as err:
        day_counts(report, "r.json")
    assert str(err.value).startswith("r.json: ") and message in str(err.value)


def test_very_long_periods_are_cut():
    data = DayCounts(date(2000, 1, 1), date(2030, 1, 1), {date(2000, 1, 1): 1})
    assert data.truncated and len(data.days()) == 731


def test_read_report_errors(tmp_path: Path):
    with pytest.raises(ReportError, match="no such report"):
        read_report(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(ReportError, match=r"bad.json: not valid JSON \(line 1"):
        read_report(bad)
    bad.write_text("[1]")
    with pytest.raises(ReportError, match="expected a JSON object, got list"):
        read_report(bad)


def test_report_path_from_result_or_default_only_when_finished(ws: Workspace):
    assert report_json_path(ws, job(state="running")) is None
    assert report_json_path(ws, job(state="failed")) == ws.logs_dir / "jobs" / "J1.report.json"
    assert report_json_path(ws, job(result={"report_path": "/x/r.json"})) == Path("/x/r.json")


def test_load_day_counts_from_file_or_job_dict(ws: Workspace):
    path = ws.logs_dir / "jobs" / "J1.report.json"
    path.write_text(json.dumps(REPORT))
    data = load_day_counts(ws, job(state="failed"))
    assert data is not None and date(2024, 2, 14) in data.missing
    inline = job(state="running", result={"per_day": {"2024-01-02": 3}})
    got = load_day_counts(ws, inline)
    assert got is not None and got.counts == {date(2024, 1, 2): 3}
    assert load_day_counts(ws, job(state="running")) is None
    path.write_text("nope")
    with pytest.raises(ReportError, match=r"J1\.report\.json: not valid JSON"):
        load_day_counts(ws, job(state="failed"))


def test_report_paths_html_first_and_only_existing(ws: Workspace):
    j = job(state="succeeded")
    assert report_paths(ws, j) == []
    json_path = ws.logs_dir / "jobs" / "J1.report.json"
    json_path.write_text("{}")
    ws.reports_dir.mkdir()
    html = ws.reports_dir / "orders_2024-03.J1.html"
    html.write_text("<html>")
    (ws.reports_dir / "other.J2.html").write_text("<html>")
    assert report_paths(ws, j) == [html, json_path]
