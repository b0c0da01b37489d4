"""Warehouse-side checks of a loaded period, on a real DuckDB target loaded with demo files,
and through the same Warehouse methods on Snowflake (the real connector against fakesnow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from snowetl_tui.config.patterns import Period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.load.period_check import (
    PeriodCheck,
    TargetBusy,
    check_period,
    report_per_day,
)
from snowetl_tui.load.pipeline import Loader, LoadOptions
from snowetl_tui.warehouse.base import WarehouseError
from snowetl_tui.workspace import Workspace

FACT = "FACT_LENDING_BENCHMARK"
JAN = "data/factLendingBenchmark_20240101-20240131.tsv"
MAY = "data/factLendingBenchmark_20240501-20240531.tsv.gz"
ORDERS = "data/orders_2024-06.csv"
JAN_JOB, MAY_JOB = "Jtest0000000000jan", "Jtest0000000000may"


def load(ws: Workspace, rel: str, job_id: str | None) -> int:
    """Load one demo file in this process; with a job id, keep its report where the engine
    keeps it (logs/jobs/<job>.report.json), as the per-day check reads it from there."""
    with ThreadPoolExecutor(2) as ex:
        res = Loader(ws, ConfigRegistry.load(ws), executor=ex).load(
            ws.root / rel, LoadOptions(job_id=job_id))
    assert res.state == "succeeded", res.error
    if job_id and res.report is not None:
        path = ws.logs_dir / "jobs" / f"{job_id}.report.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res.report.as_dict()))
    return int(res.rows_loaded or 0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pc") / "ws"
    create_demo_workspace(root, size_mb=0.3, seed=5)
    ws = Workspace(root)
    load(ws, JAN, JAN_JOB)
    load(ws, MAY, MAY_JOB)
    load(ws, ORDERS, None)  # a foreground load: no job, no report
    return root


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Workspace:
    dst = tmp_path / "ws"
    shutil.copytree(template, dst)
    return Workspace(dst)


def run(ws: Workspace, table: str = FACT, period: str | Period = "2024-01",
        target: str = "local") -> PeriodCheck:
    return check_period(ws, ConfigRegistry.load(ws), table, period, target)


def sql(ws: Workspace, statement: str) -> None:
    con = duckdb.connect(str(ws.local_db_path))
    try:
        con.execute(statement)
    finally:
        con.close()


def statuses(res: PeriodCheck) -> dict[str, str]:
    return {f.check: f.status for f in res.findings}


def test_clean_period_passes_every_check(ws: Workspace):
    rows = Ledger(ws.store_path).overlapping("local", FACT, "2024-01-01", "2024-01-31")[0]
    res = run(ws)
    assert res.status == "PASS", [f.as_dict() for f in res.findings]
    assert statuses(res) == {"rows": "PASS", "per_day": "PASS", "calendar": "PASS",
                             "duplicates": "PASS", "anomalies": "PASS"}
    assert res.rows_in_warehouse == res.rows_in_ledger == rows.rows_loaded > 0
    per_day = res.finding("per_day")
    assert per_day is not None and "equal the loaded file's on all 21 days" in per_day.message
    assert res.date_column == "BUSINESS_DATE"
    assert res.summary() == "✓ PASS — all 5 checks passed"
    # the gzip May file checks clean too (its report carries the per-day counts)
    assert run(ws, period="2024-05").status == "PASS"


def test_rows_deleted_in_the_warehouse_fail_rows_per_day_and_calendar(ws: Workspace):
    before = run(ws).rows_in_warehouse
    sql(ws, f"DELETE FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-10'")
    res = run(ws)
    assert res.status == "FAIL"
    gone = before - res.rows_in_warehouse
    assert gone > 0
    rows = res.finding("rows")
    assert rows is not None and rows.status == "FAIL"
    assert f"{gone:,} fewer than the ledger recorded" in rows.message
    per_day = res.finding("per_day")
    assert per_day is not None and per_day.status == "FAIL"
    assert per_day.message.startswith("per-day counts differ from the loaded file's on 1 day")
    assert per_day.examples == (f"2024-01-10: file {gone:,} / warehouse 0",)
    cal = res.finding("calendar")
    assert cal is not None and cal.status == "FAIL"
    assert cal.examples == ("2024-01-10 (Wednesday)",)
    assert "1 of 21 expected business days have no rows" in cal.message
    assert res.summary().startswith("✗ FAIL — 3 of 5 checks failed")


def test_duplicated_rows_fail_with_the_top_keys_as_examples(ws: Workspace):
    sql(ws, f"INSERT INTO {FACT} SELECT * FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-11' "
            "ORDER BY LOAN_ID LIMIT 3")
    sql(ws, f"INSERT INTO {FACT} SELECT * FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-11' "
            "ORDER BY LOAN_ID LIMIT 1")
    con = duckdb.connect(str(ws.local_db_path), read_only=True)
    try:
        first = con.execute(f"SELECT min(LOAN_ID) FROM {FACT} WHERE BUSINESS_DATE = "
                            "DATE '2024-01-11'").fetchone()[0]
    finally:
        con.close()
    res = run(ws)
    dups = res.finding("duplicates")
    assert dups is not None and dups.status == "FAIL"
    assert dups.message == f"3 duplicate keys (BUSINESS_DATE, LOAN_ID) in {FACT}"
    # the most repeated key first: the one inserted twice more
    assert dups.examples[0] == f"BUSINESS_DATE=2024-01-11, LOAN_ID={first}: 3 rows"
    assert len(dups.examples) == 3
    assert all(e.endswith(": 2 rows") for e in dups.examples[1:])
    rows = res.finding("rows")
    assert rows is not None and rows.status == "FAIL" and "4 more than" in rows.message
    cal = res.finding("calendar")
    assert cal is not None and cal.status == "PASS"


def test_missing_first_and_last_day_are_found(ws: Workspace):
    # 2024-01-01 is a configured holiday: the first expected business day is the 2nd
    sql(ws, f"DELETE FROM {FACT} WHERE BUSINESS_DATE IN (DATE '2024-01-02', DATE '2024-01-31')")
    res = run(ws)
    cal = res.finding("calendar")
    assert cal is not None and cal.status == "FAIL"
    assert cal.examples == ("2024-01-02 (Tuesday)", "2024-01-31 (Wednesday)")


def test_a_day_far_below_the_baseline_is_an_anomaly(ws: Workspace):
    sql(ws, f"DELETE FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-17' AND LOAN_ID IN "
            f"(SELECT LOAN_ID FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-17' "
            "ORDER BY LOAN_ID OFFSET 2)")
    res = run(ws)
    anomalies = res.finding("anomalies")
    assert anomalies is not None and anomalies.status == "FAIL"
    assert anomalies.examples[0].startswith("2024-01-17: SEVERELY_LOW, 2 rows")
    assert res.per_day[date(2024, 1, 17)] == 2


def test_rows_on_a_weekend_are_a_warning(ws: Workspace):
    sql(ws, f"INSERT INTO {FACT} SELECT * REPLACE (DATE '2024-01-13' AS BUSINESS_DATE) "
            f"FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-12' LIMIT 2")
    res = run(ws)
    weekend = res.finding("unexpected_days")
    assert weekend is not None and weekend.status == "WARN"
    assert weekend.examples == ("2024-01-13 (Saturday): 2 rows",)


def test_foreground_load_has_no_report_to_compare(ws: Workspace):
    res = run(ws, "ORDERS", "2024-06")
    assert res.status == "PASS"
    per_day = res.finding("per_day")
    assert per_day is not None
    assert per_day.message == ("per-day counts not compared: no report of orders_2024-06.csv "
                               "(loaded without the engine)")
    assert res.rows_in_warehouse == 3000 == res.rows_in_ledger


def test_report_gone_is_said_and_report_per_day_reads_it(ws: Workspace):
    rec = Ledger(ws.store_path).overlapping("local", FACT, "2024-01-01", "2024-01-31")[0]
    counts = report_per_day(ws, rec)
    assert counts is not None and sum(counts.values()) == rec.rows_loaded
    (ws.logs_dir / "jobs" / f"{JAN_JOB}.report.json").write_text("{not json")
    assert report_per_day(ws, rec) is None
    per_day = run(ws).finding("per_day")
    assert per_day is not None and per_day.status == "PASS"
    assert "report file gone" in per_day.message


def test_period_without_load_but_with_rows_fails(ws: Workspace):
    sql(ws, f"INSERT INTO {FACT} SELECT * REPLACE (DATE '2024-03-05' AS BUSINESS_DATE) "
            f"FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-05' LIMIT 7")
    res = run(ws, period="2024-03")
    rows = res.finding("rows")
    assert rows is not None and rows.status == "FAIL"
    assert rows.message == ("7 rows in the warehouse but no load of 2024-03 in the ledger "
                            "(loaded around this tool?)")


def test_a_load_wider_than_the_period_is_not_compared(ws: Workspace):
    res = run(ws, period="2024-01-01..2024-01-15")
    rows = res.finding("rows")
    assert rows is not None and rows.status == "WARN"
    assert rows.message.endswith("1 recorded load covers more than 2024-01-01..2024-01-15")
    assert rows.examples == ("factLendingBenchmark_20240101-20240131.tsv: "
                             "2024-01-01..2024-01-31",)


def test_locked_database_says_a_load_is_writing(ws: Workspace):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(ws.local_db_path)!r})\nprint('ready', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(TargetBusy) as err:
            run(ws)
        text = str(err.value)
        assert text.startswith("a load is writing to target local")
        assert text.endswith("try again when it finishes")
        assert f"process {holder.pid} holds the database" in text
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert run(ws).status == "PASS"  # free again: the check runs


def test_lock_met_by_the_adapter_is_said_the_same_way(ws: Workspace):
    def opener(target: str, entry: Any) -> Any:
        raise WarehouseError(f"{ws.local_db_path}: cannot open the local database: IO Error: "
                             "Could not set lock on file (PID 4242)", transient=True)

    with pytest.raises(TargetBusy, match="process 4242 holds the database"):
        check_period(ws, ConfigRegistry.load(ws), FACT, "2024-01", "local",
                     open_warehouse=opener)


def test_bad_input_is_an_input_error(ws: Workspace):
    with pytest.raises(InputError, match=r"month must be in 1\.\.12"):
        run(ws, period="2024-13-99")
    with pytest.raises(InputError, match="'March' is not a period"):
        run(ws, period="March")
    with pytest.raises(InputError, match="no config gives the date column of NO_SUCH_TABLE"):
        run(ws, "NO_SUCH_TABLE")


def test_missing_table_is_a_finding(ws: Workspace):
    sql(ws, "DROP TABLE ORDERS")
    res = run(ws, "ORDERS", "2024-06")
    assert [(f.check, f.status) for f in res.findings] == [("table", "FAIL")]
    assert res.findings[0].message == "table ORDERS does not exist on target local"


def test_as_dict_is_json_ready(ws: Workspace):
    data = run(ws).as_dict()
    assert json.loads(json.dumps(data))["status"] == "PASS"
    assert data["period_start"] == "2024-01-01" and len(data["per_day"]) == 21


# -- Snowflake, through the same Warehouse methods -----------------------------------------------
@pytest.fixture(scope="module")
def fakesnow() -> Iterator[dict[str, Any]]:
    from tests.warehouse.conftest import start_fakesnow

    with start_fakesnow() as kwargs:
        yield kwargs


def test_check_on_snowflake_via_fakesnow(fakesnow: dict[str, Any], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    import snowflake.connector

    from tests.warehouse.conftest import write_connections

    db = "PC_" + uuid.uuid4().hex[:8].upper()
    params = {**fakesnow, "database": db, "schema": "PUBLIC"}
    home = tmp_path / "sfhome"
    write_connections(home, {"fake": params})
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    con = snowflake.connector.connect(**{k: v for k, v in params.items()
                                         if k not in ("database", "schema")})
    try:
        cur = con.cursor()
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"USE DATABASE {db}")
        cur.execute("CREATE SCHEMA IF NOT EXISTS PUBLIC")
        cur.execute("CREATE TABLE PUBLIC.ORDERS (ORDER_ID INTEGER, ORDER_DATE DATE, "
                    "AMOUNT FLOAT)")
        values = ", ".join(f"({d * 10 + i}, '2024-06-{d:02d}', 1.5)"
                           for d in range(1, 31) for i in range(10))
        cur.execute(f"INSERT INTO PUBLIC.ORDERS VALUES {values}")
    finally:
        con.close()
    root = tmp_path / "ws"
    (root / "configs").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "configs" / "orders.json").write_text(json.dumps({
        "version": 1, "target": "fake",
        "files": [{"file_pattern": "orders_{month}.csv", "table_name": "ORDERS",
                   "date_column": "ORDER_DATE", "duplicate_key_columns": ["ORDER_ID"],
                   "expected_columns": ["ORDER_ID", "ORDER_DATE", "AMOUNT"]}]}))
    ws = Workspace(root)
    ws.ensure()
    ledger = Ledger(ws.store_path)
    rec = ledger.create_load(job_id=None, file="/x/orders_2024-06.csv",
                             file_name="orders_2024-06.csv", size=1, mtime_ns=1, quick_hash="q",
                             target="fake", table_name="ORDERS", period_start="2024-06-01",
                             period_end="2024-06-30", mode="append")
    ledger.update(rec.load_id, state="succeeded", rows_loaded=300)
    res = run(ws, "ORDERS", "2024-06", "fake")
    assert res.status == "PASS", [f.as_dict() for f in res.findings]
    assert res.rows_in_warehouse == 300

    con = snowflake.connector.connect(**params)
    try:
        con.cursor().execute("INSERT INTO ORDERS VALUES (15, '2024-06-01', 2.0), "
                             "(15, '2024-06-01', 3.0)")
    finally:
        con.close()
    res = run(ws, "ORDERS", "2024-06", "fake")
    dups = res.finding("duplicates")
    assert dups is not None and dups.status == "FAIL"
    assert dups.message == "1 duplicate key (ORDER_ID) in ORDERS"
    assert dups.examples == ("ORDER_ID=15: 3 rows",)
    rows = res.finding("rows")
    assert rows is not None and "2 more than the ledger recorded" in rows.message


def _cli(ws: Workspace, *args: str):
    from click.testing import CliRunner

    from snowetl_tui.cli import cli

    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "check", *args])


def test_cli_check_passes_then_fails_with_exit_1(ws: Workspace):
    out = _cli(ws, "--table", FACT, "--period", "2024-01")
    assert out.exit_code == 0, out.output
    assert "✓ PASS — all 5 checks passed" in out.output and "duplicates" in out.output
    sql(ws, f"DELETE FROM {FACT} WHERE BUSINESS_DATE = DATE '2024-01-10'")
    out = _cli(ws, "--table", FACT, "--period", "2024-01", "--json")
    assert out.exit_code == 1
    data = json.loads(out.output)
    assert data["status"] == "FAIL" and data["table"] == FACT
    assert {f["check"] for f in data["findings"] if f["status"] == "FAIL"} >= {"rows", "calendar"}


def test_cli_check_bad_input_is_one_line(ws: Workspace):
    out = _cli(ws, "--table", "NOPE", "--period", "2024-01")
    assert out.exit_code == 2
    assert "loads table NOPE" in out.output and "--date-column" not in out.output
    assert "Traceback" not in out.output
    out = _cli(ws, "--table", FACT, "--period", "2024-13")
    assert out.exit_code == 2 and "--period" in out.output
