"""The per-job report: JSON schema and golden files, the HTML page, and the engine writing both.

Golden files live in tests/report/golden/; after a deliberate change of the report, rewrite
them with ``SNOWETL_UPDATE_GOLDEN=1 pytest tests/report/test_job_report.py`` and review the
diff like code.
"""

from __future__ import annotations

import copy
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.load.pipeline import Loader, LoadOptions
from snowetl_tui.report.html import per_day_chart, render_job_html
from snowetl_tui.report.job_report import (
    build_job_report,
    load_schema,
    write_job_reports,
    write_report_files,
)
from snowetl_tui.report.paths import report_paths
from snowetl_tui.workspace import Workspace
from tests.report.conftest import FACT, FAILING, FEB, JAN, MISSING_DAY, read_json, validate

GOLDEN = Path(__file__).parent / "golden"
WHO = ("tester", "testhost")


def normalise(report: dict[str, Any], ws: Path) -> dict[str, Any]:
    """Replace what changes from run to run (times, speeds, ids, paths) by placeholders."""
    text = json.dumps(report).replace(str(ws), "<ws>")
    r = json.loads(text)
    r["generated_at"] = "<time>"
    r["tool_version"] = "<version>"
    r["who"] = {"user": "<user>", "host": "<host>"}
    r["when"] = {k: ("<time>" if v else None) for k, v in r["when"].items()}
    t = r["timings"]
    t["steps"] = {k: "<seconds>" for k in t["steps"]}
    t["total_seconds"] = "<seconds>"
    for k in ("read_mb_per_s", "rows_per_s"):
        t[k] = "<rate>" if t[k] is not None else None
    v = r.get("validation")
    if v:
        v.update(seconds="<seconds>", mb_per_s="<rate>", created_at="<time>",
                 tool_version="<version>")
    if r.get("load"):
        r["load"]["load_id"] = "<load id>"
        r["load"]["query_ids"] = ["<query id>" for _ in r["load"]["query_ids"]]
    return r


def check_golden(name: str, data: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("SNOWETL_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with SNOWETL_UPDATE_GOLDEN=1 once"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    s = load_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def valid(schema: dict[str, Any], report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()
                                    ).validate(report)


@pytest.fixture
def failing_report(demo: Path, failing, pool: ThreadPoolExecutor) -> dict[str, Any]:
    (demo / FAILING).write_bytes(failing.path.read_bytes())
    validation = validate(demo, FAILING, pool)
    return build_job_report(kind="validate", validation=validation,
                            job={"id": "Jgolden-validate", "kind": "validate"},
                            workspace=Workspace(demo), who=WHO)


# -- JSON: schema and golden ---------------------------------------------------------------------
def test_validate_job_report_matches_schema_and_golden(failing_report, demo: Path, schema):
    valid(schema, failing_report)
    assert failing_report["verdict"] == "fail" and failing_report["outcome"] == "failed"
    assert failing_report["load"] is None and failing_report["reconciliation"] is None
    check_golden("validate_failing.json", normalise(failing_report, demo))


def test_load_job_report_matches_schema_and_golden(demo: Path, schema, pool):
    ws = Workspace(demo)
    loader = Loader(ws, ConfigRegistry.load(ws), executor=pool)
    result = loader.load(demo / JAN, LoadOptions(job_id="Jgolden-load", workers=2))
    assert result.state == "succeeded", result.error
    data = result.as_dict()
    ledger = Ledger(ws.store_path)
    rec = ledger.get(result.load_id or "")
    assert rec is not None
    report = build_job_report(kind="load", validation=data.pop("report"), result=data,
                              load_record=rec.as_dict(), job={"id": "Jgolden-load",
                                                              "kind": "load"},
                              workspace=ws, who=WHO)
    valid(schema, report)
    assert report["outcome"] == "succeeded"
    assert report["load"]["rows_parsed"] == report["load"]["rows_loaded"] == rec.rows_loaded
    assert report["reconciliation"]["status"] == "ok"
    assert set(report["timings"]["steps"]) >= {"plan", "read", "copy", "reconcile"}
    assert report["who"] == {"user": rec.user, "host": rec.host}
    check_golden("load_succeeded.json", normalise(report, demo))


def test_failed_load_report_has_no_reconciliation_and_says_why(demo: Path, schema, pool):
    ws = Workspace(demo)
    result = Loader(ws, ConfigRegistry.load(ws), executor=pool).load(
        demo / FEB, LoadOptions(job_id="Jfeb", workers=2))
    data = result.as_dict()
    report = build_job_report(kind="load", validation=data.pop("report"), result=data,
                              job={"id": "Jfeb", "kind": "load"}, workspace=ws, who=WHO)
    valid(schema, report)
    assert report["outcome"] == "failed" and "calendar" in report["error"]
    assert report["reconciliation"]["status"] == "not_run"


def test_schema_rejects_broken_reports(failing_report, schema):
    for mutate in (
        lambda r: r.pop("verdict"),
        lambda r: r.update(outcome="exploded"),
        lambda r: r["validation"]["checks"][0].update(status="MAYBE"),
        lambda r: r["validation"]["per_day"].update({"14/06/2024": 3}),
        lambda r: r.update(surprise=1),
        lambda r: r["timings"].update(total_seconds=-1),
    ):
        broken = copy.deepcopy(failing_report)
        mutate(broken)
        with pytest.raises(jsonschema.ValidationError):
            valid(schema, broken)


def test_report_without_validation_is_valid(schema, demo: Path):
    """A load that stopped before its read (e.g. the file vanished) still gets a report."""
    report = build_job_report(kind="load", validation=None, result={
        "file": str(demo / JAN), "table": "T", "target": "local", "state": "failed",
        "error": "no such file"}, job={"id": "J1", "kind": "load"}, who=WHO)
    valid(schema, report)
    page = render_job_html(report)
    assert "no such file" in page and "not validated" in page


# -- HTML ------------------------------------------------------------------------------------------
def test_html_of_failing_file_has_chart_missing_day_and_duplicate_keys(failing_report, failing):
    page = render_job_html(failing_report)
    assert page.startswith("<!DOCTYPE html>")
    # the chart, with the missing day as its own marked slot
    chart = re.search(r'<svg id="per-day-chart".*?</svg>', page, re.S)
    assert chart is not None
    day = MISSING_DAY.isoformat()
    assert f"{day} Wed: missing" in chart.group(0)
    assert chart.group(0).count('class="missing"') == 1
    assert chart.group(0).count('class="bar') == len(failing.per_day)
    # the missing day listed in words under the chart
    assert re.search(rf'id="missing-days">{day} \(Wednesday\)<', page)
    # every duplicate key, with the lines of its rows
    for d, loan in failing.duplicate_keys:
        assert f"{d} | {loan}" in page
    assert re.search(r'class="dup-key">2024-06-27 \| \d+</code></td><td>\d rows, lines \d+',
                     page)
    # verdict banner in words, not only in colour
    assert re.search(r'id="verdict" class="banner fail".*?✗ FAIL', page, re.S)


def test_html_is_self_contained(failing_report):
    page = render_job_html(failing_report)
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "@import" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == ["#hatch"]
    # the only absolute URL is the SVG namespace, which is a name, never fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "@media print" in page


def test_values_from_the_file_are_escaped(failing_report):
    report = copy.deepcopy(failing_report)
    dup = next(c for c in report["validation"]["checks"] if c["name"] == "duplicates")
    dup["examples"][0]["value"] = '<script>alert("x")</script>'
    report["file_name"] = "<b>evil</b>.tsv"
    page = render_job_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>evil</b>" not in page


def test_chart_edges():
    assert "No dated rows" in per_day_chart({})
    year = {f"2023-{m:02d}-01": 10 for m in range(1, 13)} | {"2024-12-31": 5}
    monthly = per_day_chart(year)
    assert "Rows per month" in monthly and ">2023-01<" in monthly
    one = per_day_chart({"2024-01-05": 7}, period_start="2024-01-05", period_end="2024-01-05")
    assert "2024-01-05 Fri: 7 rows" in one


# -- files: written by the engine at the end of each job -------------------------------------------
def test_write_job_reports_into_logs_reports(demo: Path, failing_report, schema):
    ws = Workspace(demo)
    files = write_job_reports(ws, {"id": "Jw", "kind": "validate"},
                              {"state": "validated", "file": failing_report["file"]},
                              failing_report["validation"])
    assert files.json == report_paths(ws, "Jw")["json"] == demo / "logs/reports/Jw.json"
    valid(schema, read_json(files.json))
    assert 'id="per-day-chart"' in files.html.read_text(encoding="utf-8")


def test_unwritable_report_dir_is_one_clear_error(tmp_path: Path, failing_report):
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the directory should be")
    from snowetl_tui.errors import InputError

    with pytest.raises(InputError, match="cannot write reports there"):
        write_report_files(failing_report, blocker / "r.json", blocker / "r.html")


def test_permission_denied_names_the_directory(tmp_path: Path, failing_report, monkeypatch):
    """As root, chmod cannot make a directory unwritable; the OS error is simulated."""
    from snowetl_tui.errors import InputError
    from snowetl_tui.report import job_report

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(job_report.tempfile, "NamedTemporaryFile", denied)
    with pytest.raises(InputError, match=r"reports: permission denied .* fix its permissions"):
        write_report_files(failing_report, tmp_path / "reports" / "r.json",
                           tmp_path / "reports" / "r.html")


async def test_engine_writes_reports_and_audits_cancels(demo: Path):
    """In-process engine: a load, a job cancelled while queued, one cancelled at its read."""
    from snowetl_tui.engine.scheduler import Engine

    ws = Workspace(demo)
    engine = Engine(ws, executor_factory=lambda n: ThreadPoolExecutor(2))
    await engine.start()
    try:
        running, queued = engine.submit([str(demo / JAN), str(demo / FEB)])
        engine.cancel(queued.id)  # still queued: the loop has not run yet
        assert engine.jobs[queued.id].state == "cancelled"
    finally:
        await engine.close()
    assert engine.jobs[running.id].state == "succeeded"
    paths = report_paths(ws, running.id)
    report = read_json(paths["json"])
    assert report["outcome"] == "succeeded" and report["job_id"] == running.id
    assert report["load"]["rows_loaded"] == engine.jobs[running.id].rows
    assert 'id="per-day-chart"' in paths["html"].read_text(encoding="utf-8")
    # the job's result points at both; the legacy validation report is still written
    result = engine.jobs[running.id].result or {}
    assert result["report_html"] == str(paths["html"])
    assert read_json(Path(result["report_path"]))["verdict"] == "pass"
    audit = Ledger(ws.store_path).audit_records()
    cancel = [a for a in audit if a["action"] == "cancel"]
    assert len(cancel) == 1 and cancel[0]["job_id"] == queued.id
    assert cancel[0]["file"] == str(demo / FEB) and cancel[0]["table_name"] == FACT
    assert json.loads(cancel[0]["detail"])["reason"] == "cancelled before it ran"
    assert Ledger(ws.store_path).verify_audit().ok


async def test_cancel_at_the_read_is_audited_with_its_load_and_reported(demo: Path):
    from snowetl_tui.engine.scheduler import Engine

    ws = Workspace(demo)
    engine = Engine(ws, executor_factory=lambda n: ThreadPoolExecutor(2))
    await engine.start()
    try:
        [job] = engine.submit([str(demo / JAN)])
        engine.cancel(job.id)  # its loader thread has not started: it stops at the read
    finally:
        await engine.close()
    assert engine.jobs[job.id].state == "cancelled"
    [cancel] = [a for a in Ledger(ws.store_path).audit_records() if a["action"] == "cancel"]
    assert cancel["job_id"] == job.id and cancel["load_id"]
    assert cancel["fingerprint"].startswith("size:")  # content hash not read yet: size + head/tail
    report = read_json(report_paths(ws, job.id)["json"])
    assert report["outcome"] == "cancelled"


async def test_report_that_cannot_be_written_does_not_fail_the_job(demo: Path):
    from snowetl_tui.engine.scheduler import Engine

    ws = Workspace(demo)
    ws.reports_dir.parent.mkdir(parents=True, exist_ok=True)
    ws.reports_dir.write_text("not a directory")
    engine = Engine(ws, executor_factory=lambda n: ThreadPoolExecutor(2))
    await engine.start()
    try:
        [job] = engine.submit([str(demo / JAN)])
    finally:
        await engine.close()
    assert engine.jobs[job.id].state == "succeeded"
    log = Path(engine.jobs[job.id].log_path or "").read_text(encoding="utf-8")
    assert "cannot write the job report" in log and "reports" in log


def test_validate_report_dir_writes_json_and_html(demo: Path, failing, run_cli, schema):
    (demo / FAILING).write_bytes(failing.path.read_bytes())
    out = demo / "out"
    res = run_cli("--workspace", str(demo), "validate", str(demo / FAILING), "--report-dir",
                  str(out))
    assert res.code == 1
    name = Path(FAILING).name
    data = read_json(out / f"{name}.validation.json")
    assert data["verdict"] == "fail"
    page = (out / f"{name}.validation.html").read_text(encoding="utf-8")
    assert 'id="per-day-chart"' in page and MISSING_DAY.isoformat() in page
    blocker = demo / "blocker"
    blocker.write_text("file")
    res = run_cli("--workspace", str(demo), "validate", str(demo / JAN), "--report-dir",
                  str(blocker))
    assert res.code == 2 and str(blocker) in res.err and "Traceback" not in res.err
