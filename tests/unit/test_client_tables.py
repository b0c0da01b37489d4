"""The Tables view's core (client/tables.py): the ledger grouped by target and table, one
load's details, the delete question and the checks — on a small real workspace (DuckDB
tables, a config, a ledger written with fixed timestamps so the TUI snapshots reuse it)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from snowetl_tui.client.tables import (
    PeriodRow,
    delete_question,
    detail_lines,
    read_details,
    read_ledger,
    report_files,
    run_checks,
    state_label,
)
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import Ledger, PartRecord
from snowetl_tui.load.period_check import TargetBusy
from snowetl_tui.workspace import Workspace

CONFIG = {
    "version": 1,
    "target": "local",
    "files": [
        {"file_pattern": "orders_{month}.csv", "table_name": "ORDERS",
         "date_column": "ORDER_DATE", "duplicate_key_columns": ["ORDER_ID"],
         "expected_columns": ["ORDER_ID", "ORDER_DATE", "AMOUNT"],
         "calendar": {"days": "all"}},
        {"file_pattern": "fx_{date_range}.tsv", "table_name": "FX_RATES",
         "date_column": "RATE_DATE", "duplicate_key_columns": ["RATE_DATE", "CCY"],
         "expected_columns": ["RATE_DATE", "CCY", "RATE"],
         "calendar": {"days": "business"}},
    ],
}
ORDERS_MAR, ORDERS_APR, ORDERS_MAY = "L0000000000002", "L0000000000003", "L0000000000004"
REPLACED, FX_MAR = "L0000000000001", "L0000000000005"
JOB_MAR, JOB_APR, JOB_MAY = "J0000000000000002", "J0000000000000003", "J0000000000000004"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def build_orders_workspace(root: Path) -> Workspace:
    """A workspace whose ledger matches its DuckDB tables: ORDERS 2024-03 and 2024-04 (10
    rows a day, loaded by engine jobs with reports), FX_RATES 2024-03 (3 rows a business day,
    loaded in the foreground), an older replaced load and a failed one. Every timestamp is
    fixed, so the screen shows the same thing on every run."""
    ws = Workspace(root)
    ws.ensure()
    (ws.configs_dir / "shop.json").write_text(json.dumps(CONFIG, indent=1))
    mar = _days(date(2024, 3, 1), date(2024, 3, 31))
    apr = _days(date(2024, 4, 1), date(2024, 4, 30))
    con = duckdb.connect(str(ws.local_db_path))
    try:
        con.execute("CREATE TABLE ORDERS (ORDER_ID INTEGER, ORDER_DATE DATE, AMOUNT DOUBLE)")
        con.executemany("INSERT INTO ORDERS VALUES (?, ?, ?)",
                        [(n * 10 + i, d, 9.5) for n, d in enumerate(mar + apr)
                         for i in range(10)])
        con.execute("CREATE TABLE FX_RATES (RATE_DATE DATE, CCY VARCHAR, RATE DOUBLE)")
        con.executemany("INSERT INTO FX_RATES VALUES (?, ?, ?)",
                        [(d, c, 1.1) for d in mar if d.weekday() < 5
                         for c in ("EUR", "GBP", "JPY")])
    finally:
        con.close()
    ledger = Ledger(ws.store_path)

    def add(load_id: str, table: str, file_name: str, start: str, end: str, state: str,
            rows: int | None, finished: str, job: str | None, user: str = "ops",
            **extra: object) -> None:
        ledger.create_load(
            load_id=load_id, job_id=job, file=f"/data/extracts/{file_name}",
            file_name=file_name, size=48_213, mtime_ns=1, quick_hash="q" * 64,
            sha256="5e" * 32 if state != "failed" else None, target="local",
            table_name=table, period_start=start, period_end=end, mode="append",
            user=user, host="etl-1", created_at=finished.replace(":15:", ":14:"),
            updated_at=finished)
        ledger.update(load_id, state=state, rows_validated=rows, rows_parsed=rows,
                      rows_loaded=rows, finished_at=finished,
                      query_id=load_id if state == "succeeded" else None, **extra)

    add(REPLACED, "ORDERS", "orders_2024-03.csv", "2024-03-01", "2024-03-31", "deleted", 305,
        "2024-04-02T08:15:00.000+00:00", "J0000000000000001")
    add(ORDERS_MAR, "ORDERS", "orders_2024-03.csv", "2024-03-01", "2024-03-31", "succeeded",
        310, "2024-04-03T09:15:00.000+00:00", JOB_MAR)
    add(ORDERS_APR, "ORDERS", "orders_2024-04.csv", "2024-04-01", "2024-04-30", "succeeded",
        300, "2024-05-02T09:15:00.000+00:00", JOB_APR)
    add(ORDERS_MAY, "ORDERS", "orders_2024-05.csv", "2024-05-01", "2024-05-31", "failed",
        None, "2024-06-03T09:15:00.000+00:00", JOB_MAY,
        error="validation failed, nothing was loaded: calendar (2 of 31 expected days have "
              "no rows)")
    add(FX_MAR, "FX_RATES", "fx_20240301-20240331.tsv", "2024-03-01", "2024-03-31",
        "succeeded", 63, "2024-04-04T06:15:00.000+00:00", None, user="ann")
    ledger.put_part(PartRecord(ORDERS_MAR, 1, "orders_2024-03.csv", "/data/extracts/"
                               "orders_2024-03.csv", 48_213, 310, "copied"))
    jobs = ws.logs_dir / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    for job, days in ((JOB_MAR, mar), (JOB_APR, apr)):
        (jobs / f"{job}.report.json").write_text(json.dumps(
            {"per_day": {d.isoformat(): 10 for d in days}, "verdict": "pass"}))
    return ws


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    return build_orders_workspace(tmp_path / "ws")


def test_no_store_reads_as_empty_and_creates_nothing(tmp_path: Path):
    ws = Workspace(tmp_path / "fresh")
    (ws.root / "configs").mkdir(parents=True)
    snap = read_ledger(ws)
    assert snap.empty and not snap.store_exists and snap.hidden == 0
    assert snap.summary() == "nothing loaded yet"
    assert not ws.state_dir.exists()


def test_loaded_periods_grouped_by_target_and_table(shop: Workspace):
    snap = read_ledger(shop)
    assert [(g.target, g.table) for g in snap.groups] == [("local", "FX_RATES"),
                                                          ("local", "ORDERS")]
    orders = snap.groups[1]
    assert [p.key for p in orders.periods] == [ORDERS_MAR, ORDERS_APR]
    assert [p.period_label for p in orders.periods] == ["2024-03", "2024-04"]
    assert orders.rows == 610 and orders.loaded_periods == 2
    assert snap.hidden == 2  # the replaced and the failed load
    assert snap.summary() == "2 tables · 3 periods loaded · 673 rows on local"
    assert snap.summary(short=True) == "2 tables · 3 periods · 673 rows on local"
    row = orders.periods[0]
    assert (row.rows, row.loaded_at, row.record.job_id, row.record.user) == (
        310, "2024-04-03 09:15", JOB_MAR, "ops")
    assert row.period_text == "2024-03-01..2024-03-31"
    assert row.describe() == "ORDERS 2024-03 on local"
    assert snap.find(ORDERS_APR) is orders.periods[1] and snap.find("nope") is None


def test_show_all_adds_failed_and_replaced_loads(shop: Workspace):
    snap = read_ledger(shop, show_all=True)
    orders = snap.groups[1]
    assert [(p.period_label, p.state_label) for p in orders.periods] == [
        ("2024-03", "⊘ deleted"), ("2024-03", "✓ loaded"), ("2024-04", "✓ loaded"),
        ("2024-05", "✗ failed")]
    assert snap.hidden == 0
    # rows and periods count loaded loads only
    assert orders.rows == 610 and orders.loaded_periods == 2
    assert orders.periods[3].rows is None


def test_targets_are_separate_groups(shop: Workspace):
    ledger = Ledger(shop.store_path)
    rec = ledger.create_load(job_id=None, file="/x/orders_2024-03.csv",
                             file_name="orders_2024-03.csv", size=1, mtime_ns=1,
                             quick_hash="q", target="prod_sf", table_name="ORDERS",
                             period_start="2024-03-01", period_end="2024-03-31",
                             mode="append")
    ledger.update(rec.load_id, state="succeeded", rows_loaded=310)
    snap = read_ledger(shop)
    assert snap.targets() == ["local", "prod_sf"]
    assert [(g.target, g.table) for g in snap.groups][-1] == ("prod_sf", "ORDERS")
    assert snap.summary().endswith("rows on local, prod_sf")


def test_state_labels_are_words_with_symbols():
    assert state_label("succeeded") == "✓ loaded"
    assert state_label("refused") == "✗ refused"
    assert state_label("copy_submitted") == "▶ copy_submitted"
    assert state_label("weird") == "? weird"


def test_report_files_finds_html_and_json(shop: Workspace):
    validation = shop.logs_dir / "jobs" / f"{JOB_MAR}.report.json"
    assert report_files(shop, JOB_MAR) == [validation]
    shop.reports_dir.mkdir(parents=True)
    html = shop.reports_dir / f"{JOB_MAR}.html"
    html.write_text("<html></html>")
    job_json = shop.reports_dir / f"{JOB_MAR}.json"
    job_json.write_text("{}")
    (shop.reports_dir / f"{JOB_APR}.html").write_text("<html></html>")
    (shop.reports_dir / f"x{JOB_MAR}.html").write_text("<html></html>")  # not its name
    assert report_files(shop, JOB_MAR) == [html, job_json, validation]
    assert report_files(shop, JOB_MAY) == []
    assert report_files(shop, None) == []
    assert report_files(shop, None, recorded=str(validation)) == [validation]


def test_details_of_an_engine_load(shop: Workspace):
    details = read_details(shop, ORDERS_MAR)
    assert details.record.rows_loaded == 310 and len(details.parts) == 1
    lines = dict(detail_lines(shop, details))
    assert lines["job"] == JOB_MAR
    assert lines["query id"] == ORDERS_MAR
    assert lines["rows"] == "validated 310 · parsed 310 · loaded 310"
    assert lines["part 1"] == "orders_2024-03.csv · 48.2 KB · 310 rows · copied"
    assert lines["report"] == f"logs/jobs/{JOB_MAR}.report.json"
    assert lines["loaded"] == "2024-04-03 09:15:00 UTC"
    assert lines["by"] == "ops@etl-1"
    assert lines["file"] == "/data/extracts/orders_2024-03.csv"


def test_details_of_a_foreground_and_a_failed_load(shop: Workspace):
    lines = dict(detail_lines(shop, read_details(shop, FX_MAR)))
    assert lines["job"] == "- (loaded without the engine)"
    assert lines["report"] == "none on disk (foreground loads keep no report)"
    assert lines["parts"].startswith("none recorded")
    failed = dict(detail_lines(shop, read_details(shop, ORDERS_MAY)))
    assert failed["state"] == "✗ failed · append"
    assert failed["error"].startswith("validation failed, nothing was loaded")
    assert failed["rows"] == "validated - · parsed - · loaded -"


def test_details_of_a_vanished_load_is_an_input_error(shop: Workspace, tmp_path: Path):
    with pytest.raises(InputError, match="no longer in the ledger; press r"):
        read_details(shop, "L-gone")
    with pytest.raises(InputError, match="nothing was loaded here"):
        read_details(Workspace(tmp_path / "empty"), "L1")


def test_delete_question_counts_the_rows(shop: Workspace):
    row = read_ledger(shop).find(ORDERS_MAR)
    assert row is not None
    q = delete_question(shop, row)
    assert q.rows == 310
    assert q.question() == "Delete 310 rows of ORDERS for 2024-03 on local?"
    assert q.command_args() == {"table": "ORDERS", "period": "2024-03-01..2024-03-31",
                                "target": "local", "date_column": "ORDER_DATE"}


def test_delete_question_refuses_a_load_without_period(shop: Workspace):
    row = read_ledger(shop).find(ORDERS_MAR)
    assert row is not None
    rec = row.record
    no_period = PeriodRow(type(rec)(**{**rec.as_dict(), "period_start": None,
                                       "period_end": None}))
    assert no_period.period is None and no_period.period_label == "-"
    with pytest.raises(InputError, match="has no period"):
        delete_question(shop, no_period)
    with pytest.raises(InputError, match="has no period"):
        run_checks(shop, no_period)


def test_delete_question_while_a_load_writes(shop: Workspace):
    row = read_ledger(shop).find(ORDERS_MAR)
    assert row is not None
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(shop.local_db_path)!r})\nprint('ready', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(TargetBusy, match="a load is writing to target local"):
            delete_question(shop, row)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_run_checks_of_the_small_workspace(shop: Workspace):
    snap = read_ledger(shop)
    mar = snap.find(ORDERS_MAR)
    fx = snap.find(FX_MAR)
    assert mar is not None and fx is not None
    res = run_checks(shop, mar)
    assert res.status == "PASS", [f.as_dict() for f in res.findings]
    assert res.rows_in_warehouse == res.rows_in_ledger == 310
    fx_res = run_checks(shop, fx)
    assert fx_res.status == "PASS"
    cal = fx_res.finding("calendar")
    assert cal is not None and cal.message == "all 21 expected business days have rows"
