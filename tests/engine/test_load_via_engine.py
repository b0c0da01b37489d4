"""`load` and `delete` through the engine, unwritable job logs, and a dead engine's restart."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

from snowetl_tui.cli.load_cmds import RESULT_KEYS
from snowetl_tui.client.socket_client import start_engine, wait_engine_gone
from snowetl_tui.engine.paths import engine_lock_held, read_pid
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.workspace import Workspace
from tests.engine.conftest import (
    FACT,
    FEB,
    JAN,
    clean_env,
    data_rows,
    duplicate_keys,
    jobs_json,
    table_rows,
    wait_for,
)

FINAL = ("succeeded", "failed", "cancelled")


def test_load_without_wait_queues_and_returns(demo: Path, sub):
    res = sub(demo, "load", str(demo / JAN), "--json")
    assert res.returncode == 0, res.stderr
    [job] = json.loads(res.stdout)
    assert job["kind"] == "load" and job["state"] in ("queued", "running")
    final = wait_for(lambda: next((j for j in jobs_json(sub, demo)
                                   if j["id"] == job["id"] and j["state"] in FINAL), None))
    assert final["state"] == "succeeded", final["error"]
    assert final["rows"] == data_rows(demo / JAN) == table_rows(demo)
    # the human form prints the job id
    res = sub(demo, "load", str(demo / FEB))
    assert res.returncode == 0 and res.stdout.startswith("queued J")


def test_load_wait_json_prints_the_foreground_results(demo: Path, sub):
    res = sub(demo, "load", str(demo / JAN), str(demo / FEB), "--wait", "--json")
    assert res.returncode == 1, res.stderr  # FEB misses a business day
    by_name = {Path(r["file"]).name: r for r in json.loads(res.stdout)}
    jan, feb = by_name[Path(JAN).name], by_name[Path(FEB).name]
    for r in (jan, feb):
        assert set(RESULT_KEYS) <= set(r) and r["job_id"].startswith("J")
    assert jan["state"] == "succeeded", jan["error"]
    assert jan["rows_loaded"] == jan["rows_validated"] == data_rows(demo / JAN)
    assert jan["load_id"] and jan["query_id"] and jan["report"]["verdict"] == "pass"
    assert feb["state"] == "failed" and "calendar" in feb["error"]
    assert feb["report"]["verdict"] == "fail" and feb["rows_loaded"] is None
    # a second load is refused; --replace passes through and keeps one copy
    res = sub(demo, "load", str(demo / JAN), "--wait", "--json")
    [again] = json.loads(res.stdout)
    assert res.returncode == 1 and again["state"] == "refused"
    assert "already loaded" in again["error"]
    res = sub(demo, "load", str(demo / JAN), "--replace", "--wait", "--json")
    assert res.returncode == 0, res.stdout
    assert table_rows(demo) == data_rows(demo / JAN) and duplicate_keys(demo) == 0
    # --dry-run validates only
    res = sub(demo, "load", str(demo / JAN), "--dry-run", "--wait", "--json")
    [dry] = json.loads(res.stdout)
    assert res.returncode == 0 and dry["state"] == "validated"
    assert dry["rows_validated"] == data_rows(demo / JAN) and dry["rows_loaded"] is None
    # --target passes through (no such connection here)
    res = sub(demo, "load", str(demo / JAN), "--target", "nosuch", "--wait", "--json")
    [bad] = json.loads(res.stdout)
    assert res.returncode == 1 and bad["target"] == "nosuch" and bad["state"] == "failed"
    # human output: progress on stderr, one line per file on stdout
    res = sub(demo, "load", str(demo / JAN), "--replace", "--wait")
    assert res.returncode == 0 and "loaded" in res.stdout and "succeeded" in res.stderr
    # input errors stay exit 2, one line
    res = sub(demo, "load", str(demo / "data" / "nope.tsv"), "--wait")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "no such file" in res.stderr


def test_submit_is_kept_as_an_alias_with_job_output(demo: Path, sub):
    res = sub(demo, "submit", str(demo / JAN), "--wait", "--json")
    assert res.returncode == 0, res.stderr
    [job] = json.loads(res.stdout)
    assert job["state"] == "succeeded" and job["result"]["state"] == "succeeded"


def test_delete_through_the_engine_records_ledger_and_audit(demo: Path, sub):
    assert sub(demo, "load", str(demo / JAN), "--wait").returncode == 0
    res = sub(demo, "delete", "--table", FACT, "--period", "2024-01")
    assert res.returncode == 2 and "without --yes" in res.stderr  # no terminal to ask
    assert table_rows(demo) == data_rows(demo / JAN)
    res = sub(demo, "delete", "--table", FACT, "--period", "2024-01", "--yes", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["rows_deleted"] == data_rows(demo / JAN) and out["job_id"].startswith("J")
    assert table_rows(demo) == 0
    ledger = Ledger(demo / ".snowetl" / "store.sqlite")
    audit = ledger.audit_records()[-1]
    assert audit["action"] == "delete" and audit["rows"] == data_rows(demo / JAN)
    assert json.loads(audit["detail"])["job_id"] == out["job_id"]
    assert [x.state for x in ledger.loads()] == ["deleted"]
    [job] = [j for j in jobs_json(sub, demo) if j["kind"] == "delete"]
    assert job["state"] == "succeeded" and job["rows"] == data_rows(demo / JAN)
    assert job["table"] == FACT and job["target"] == "local"
    # the period can be loaded again
    assert sub(demo, "load", str(demo / JAN), "--wait").returncode == 0
    # a bad period is refused by the engine at submission: exit 2, one line
    res = sub(demo, "delete", "--table", FACT, "--period", "2024-13", "--yes")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--period" in res.stderr


def test_delete_asks_client_side_and_defaults_to_no(demo: Path, run_cli, monkeypatch, sub):
    assert sub(demo, "load", str(demo / JAN), "--wait").returncode == 0
    monkeypatch.setattr("snowetl_tui.cli.load_cmds.can_ask", lambda: True)
    sub(demo, "engine", "stop")
    res = run_cli("--workspace", str(demo), "delete", "--table", FACT, "--period", "2024-01",
                  input="\n")
    assert res.code == 1 and "[y/N]" in res.out and "nothing deleted" in res.out
    assert f"Delete {data_rows(demo / JAN):,} rows" in res.out
    assert table_rows(demo) == data_rows(demo / JAN)
    assert not engine_lock_held(Workspace(demo))  # answering No never reached the engine


def test_unwritable_job_logs_fail_the_job_and_the_engine_stays_up(demo: Path, sub):
    jobs_dir = demo / "logs" / "jobs"
    shutil.rmtree(jobs_dir, ignore_errors=True)
    jobs_dir.write_text("a file where the job log directory should be\n")
    res = sub(demo, "load", str(demo / JAN), "--wait", "--json")
    assert res.returncode == 1, res.stderr
    [r] = json.loads(res.stdout)
    assert r["state"] == "failed" and "cannot write the job log" in r["error"]
    assert "free space" in r["error"] and table_rows(demo) == 0
    status = json.loads(sub(demo, "engine", "status", "--json").stdout)
    assert status["running"] and status["engine"]["jobs"] == {"failed": 1}
    # once the disk is fixed, a retry goes through
    jobs_dir.unlink()
    assert sub(demo, "retry", r["job_id"]).returncode == 0
    final = wait_for(lambda: next((j for j in jobs_json(sub, demo)
                                   if j["id"] == r["job_id"] and j["state"] in FINAL), None))
    assert final["state"] == "succeeded" and final["rows"] == data_rows(demo / JAN)


def test_a_command_to_a_dead_engine_restarts_it(demo: Path, sub):
    ws = Workspace(demo)
    pid = start_engine(ws, env=clean_env())
    os.kill(pid, signal.SIGKILL)
    assert wait_engine_gone(ws, 10)
    res = sub(demo, "jobs", "--json")
    assert res.returncode == 0 and json.loads(res.stdout) == []
    assert engine_lock_held(ws) and read_pid(ws) not in (None, pid)
