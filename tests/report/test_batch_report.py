"""`snowetl-tui report`: the batch summary over the ledger, its formats, gaps and bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from pathlib import Path

import jsonschema
import pytest

from snowetl_tui.load.ledger import Ledger
from snowetl_tui.report.batch import _gaps, span_label, summarise
from snowetl_tui.report.paths import open_report, report_paths, summary_path
from snowetl_tui.workspace import Workspace
from tests.report.conftest import APR, FACT, FEB, JAN, MAR, MAY, ORDERS

SCHEMA = json.loads((Path(__file__).parents[2] / "snowetl_tui" / "report" /
                     "batch_report.schema.json").read_text(encoding="utf-8"))


def load(run_cli, ws: Path, *files: str) -> None:
    res = run_cli("--workspace", str(ws), "load", "--foreground", *[str(ws / f) for f in files])
    assert res.code in (0, 1), res.err


@pytest.fixture(scope="module")
def everything_template(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo file loaded once (three are refused at validation); tests get copies."""
    from click.testing import CliRunner

    from snowetl_tui.cli import cli

    root = tmp_path_factory.mktemp("everything") / "ws"
    shutil.copytree(template, root)
    res = CliRunner().invoke(cli, ["--workspace", str(root), "load", "--foreground",
                                   *[str(root / f) for f in (JAN, FEB, MAR, APR, MAY, ORDERS)]])
    assert res.exit_code == 1, res.output  # the three broken extracts fail
    return root


@pytest.fixture
def everything(everything_template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "loaded"
    shutil.copytree(everything_template, dst)
    return dst


def periods(summary: dict, table: str = FACT) -> dict[str, dict]:
    t = next(t for t in summary["tables"] if t["table"] == table)
    return {p["period"]: p for p in t["periods"]}


def test_json_summary_lists_periods_failures_with_reasons_and_the_gap(everything: Path,
                                                                      run_cli):
    res = run_cli("--workspace", str(everything), "report", "--format", "json")
    assert res.code == 0, res.err
    data = res.json()
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    p = periods(data)
    assert [k for k in p] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert p["2024-01"]["status"] == p["2024-05"]["status"] == "loaded"
    assert p["2024-01"]["rows"] > 0 and p["2024-01"]["files"] == [Path(JAN).name]
    for month, finding in (("2024-02", "calendar"), ("2024-03", "duplicates"),
                           ("2024-04", "field_count")):
        assert p[month]["status"] == "failed" and p[month]["rows"] == 0
        [failure] = p[month]["failures"]
        assert finding in failure["reason"] and failure["state"] == "failed"
        assert p[month]["verdicts"] == ["fail"]
    fact = next(t for t in data["tables"] if t["table"] == FACT)
    assert fact["gaps"] == [{"period_start": "2024-02-01", "period_end": "2024-04-30",
                             "period": "2024-02..2024-04", "days": 90,
                             "attempted": ["2024-02", "2024-03", "2024-04"]}]
    assert fact["rows"] == p["2024-01"]["rows"] + p["2024-05"]["rows"]
    assert fact["failures"] == 3 and fact["periods_loaded"] == 2
    orders = next(t for t in data["tables"] if t["table"] == "ORDERS")
    assert orders["gaps"] == [] and orders["failures"] == 0


def test_a_month_never_loaded_is_its_own_row(demo: Path, run_cli):
    load(run_cli, demo, JAN, MAY)
    res = run_cli("--workspace", str(demo), "report", "--json")
    p = periods(res.json())
    for month in ("2024-02", "2024-03", "2024-04"):
        assert p[month]["status"] == "never loaded" and p[month]["loads"] == 0
    text = run_cli("--workspace", str(demo), "report").out
    assert "✗ never loaded: 2024-02..2024-04" in text
    assert text.count("✗ never loaded") >= 4  # the headline and one row per month


def test_verdicts_come_from_job_reports(demo: Path, run_cli):
    load(run_cli, demo, JAN)
    rec = Ledger(demo / ".snowetl" / "store.sqlite").loads()[0]
    assert rec.job_id is None  # foreground: no job, no report: no verdict claimed
    assert periods(run_cli("--workspace", str(demo), "report", "--json").json())[
        "2024-01"]["verdicts"] == []
    ws = Workspace(demo)
    con_path = demo / ".snowetl" / "store.sqlite"
    import sqlite3

    con = sqlite3.connect(con_path)
    con.execute("UPDATE loads SET job_id = 'Jx'")
    con.commit()
    con.close()
    ws.reports_dir.mkdir(parents=True)
    report_paths(ws, "Jx")["json"].write_text(json.dumps({"verdict": "warn"}))
    assert periods(run_cli("--workspace", str(demo), "report", "--json").json())[
        "2024-01"]["verdicts"] == ["warn"]


def test_csv_and_filters(everything: Path, run_cli):
    res = run_cli("--workspace", str(everything), "report", "--format", "csv", "--table",
                  "orders")
    assert res.code == 0
    rows = list(csv.DictReader(io.StringIO(res.out)))
    assert [(r["table"], r["period"], r["status"]) for r in rows] == [
        ("ORDERS", "2024-06", "loaded")]
    res = run_cli("--workspace", str(everything), "report", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.out)))
    feb = next(r for r in rows if r["period"] == "2024-02")
    assert "calendar" in feb["failures"] and feb["status"] == "failed"
    res = run_cli("--workspace", str(everything), "report", "--json", "--since", "2024-05")
    assert list(periods(res.json())) == ["2024-05"]
    res = run_cli("--workspace", str(everything), "report", "--json", "--since", "2024-03-15")
    assert list(periods(res.json())) == ["2024-03", "2024-04", "2024-05"]


def test_html_summary_is_written_to_the_reports_dir(everything: Path, run_cli,
                                                    monkeypatch):
    monkeypatch.delenv("BROWSER", raising=False)
    res = run_cli("--workspace", str(everything), "report", "--format", "html")
    assert res.code == 0, res.err
    target = summary_path(Workspace(everything))
    assert f"report: {target}" in res.out and "set $BROWSER" in res.out
    page = target.read_text(encoding="utf-8")
    assert "2024-02..2024-04" in page and "never loaded" in page
    assert "calendar (1 of 20 expected business days" in page
    assert 'id="timeline-0"' in page and "<script" not in page
    out = everything / "elsewhere" / "s.html"
    res = run_cli("--workspace", str(everything), "report", "--format", "html", "-o", str(out))
    assert res.code == 0 and f"wrote {out}" in res.err
    assert "2024-02..2024-04" in out.read_text(encoding="utf-8")


def test_job_option_prints_the_report_path(everything: Path, run_cli, monkeypatch):
    monkeypatch.delenv("BROWSER", raising=False)
    res = run_cli("--workspace", str(everything), "report", "--job", "Jnope")
    assert res.code == 2 and "no report for job Jnope" in res.err
    ws = Workspace(everything)
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    report_paths(ws, "Jyes")["html"].write_text("<!DOCTYPE html>")
    res = run_cli("--workspace", str(everything), "report", "--job", "Jyes")
    assert res.code == 0 and str(report_paths(ws, "Jyes")["html"]) in res.out


# -- bad input ---------------------------------------------------------------------------------
def test_empty_ledger(ws: Path, run_cli):
    res = run_cli("--workspace", str(ws), "report")
    assert res.code == 2 and "ledger" in res.err and "is empty" in res.err
    Ledger(ws / ".snowetl" / "store.sqlite")
    res = run_cli("--workspace", str(ws), "report", "--format", "csv")
    assert res.code == 2 and "nothing has been loaded yet" in res.err
    assert res.out == "" and "Traceback" not in res.err


def test_unknown_table_and_bad_date(everything: Path, run_cli):
    res = run_cli("--workspace", str(everything), "report", "--table", "NOPE")
    assert res.code == 2 and "--table NOPE" in res.err and f"{FACT}, ORDERS" in res.err
    res = run_cli("--workspace", str(everything), "report", "--since", "last tuesday")
    assert res.code == 2 and "expected a date like 2024-03-01" in res.err
    for r in (res,):
        assert "Traceback" not in r.err


def test_unwritable_output(everything: Path, run_cli, monkeypatch):
    blocker = everything / "blocker"
    blocker.write_text("a file")
    res = run_cli("--workspace", str(everything), "report", "--json", "-o",
                  str(blocker / "out.json"))
    assert res.code == 2 and "cannot write reports there" in res.err
    # the reports dir itself unusable
    ws = Workspace(everything)
    ws.reports_dir.parent.mkdir(parents=True, exist_ok=True)
    ws.reports_dir.write_text("not a dir")
    res = run_cli("--workspace", str(everything), "report", "--format", "html")
    assert res.code == 2 and str(ws.reports_dir) in res.err and "Traceback" not in res.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_read_only_reports_dir(everything: Path, run_cli):
    ws = Workspace(everything)
    ws.reports_dir.mkdir(parents=True)
    ws.reports_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        res = run_cli("--workspace", str(everything), "report", "--format", "html")
    finally:
        ws.reports_dir.chmod(0o755)
    assert res.code == 2 and "permission denied" in res.err


def test_permission_denied_is_named(everything: Path, run_cli, monkeypatch):
    from snowetl_tui.report import job_report

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(job_report.tempfile, "NamedTemporaryFile", denied)
    res = run_cli("--workspace", str(everything), "report", "--format", "html")
    assert res.code == 2
    assert "reports: permission denied" in res.err and "fix its permissions" in res.err


# -- pieces ------------------------------------------------------------------------------------
def test_gap_arithmetic():
    from datetime import date

    d = date.fromisoformat
    assert _gaps([(d("2024-01-01"), d("2024-01-31")), (d("2024-03-01"), d("2024-03-31"))]) == [
        (d("2024-02-01"), d("2024-02-29"))]
    assert _gaps([(d("2024-01-01"), d("2024-01-31")), (d("2024-02-01"), d("2024-02-29"))]) == []
    assert _gaps([(d("2024-01-01"), d("2024-03-31")), (d("2024-02-01"), d("2024-02-29")),
                  (d("2024-04-02"), d("2024-04-02"))]) == [(d("2024-04-01"), d("2024-04-01"))]
    assert span_label(d("2024-02-01"), d("2024-04-30")) == "2024-02..2024-04"
    assert span_label(d("2024-02-01"), d("2024-02-29")) == "2024-02"
    assert span_label(d("2024-02-03"), d("2024-02-05")) == "2024-02-03..2024-02-05"


def test_summarise_is_importable_without_the_cli(everything: Path):
    data = summarise(Workspace(everything), table="orders")
    assert [t["table"] for t in data["tables"]] == ["ORDERS"]


def test_open_report_uses_browser_only_when_set(tmp_path: Path, monkeypatch):
    page = tmp_path / "r.html"
    monkeypatch.delenv("BROWSER", raising=False)
    assert open_report(page) == f"no report at {page} (it is written when the job ends)"
    page.write_text("<!DOCTYPE html>")
    assert open_report(page) == f"report: {page} (set $BROWSER to open it from here)"
    seen = tmp_path / "seen.txt"
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {seen}.tmp && mv {seen}.tmp {seen}\n")
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    msg = open_report(page)
    assert msg == f"report: {page} (opened with {script})"
    import time

    deadline = time.monotonic() + 20
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen.read_text().strip() == page.resolve().as_uri()
    monkeypatch.setenv("BROWSER", str(tmp_path / "no-such-browser"))
    assert "$BROWSER could not be started" in open_report(page)


def test_write_summary_for_the_tables_view(everything: Path):
    from snowetl_tui.report.batch import write_summary

    ws = Workspace(everything)
    path = write_summary(ws)
    assert path == summary_path(ws) and "2024-02..2024-04" in path.read_text(encoding="utf-8")
    other = write_summary(ws, everything / "x" / "orders.html", table="ORDERS")
    assert "FACT_LENDING_BENCHMARK" not in other.read_text(encoding="utf-8")
