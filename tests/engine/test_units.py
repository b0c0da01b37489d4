"""Engine pieces without a daemon: state machine, store, protocol, paths, logs, settings."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from snowetl_tui.engine import protocol
from snowetl_tui.engine.joblog import JobLog, apply_retention, redact
from snowetl_tui.engine.model import (
    TRANSITIONS,
    InvalidTransition,
    Job,
    new_job_id,
)
from snowetl_tui.engine.paths import EngineSettings, clean_stale, socket_path
from snowetl_tui.engine.store import JobStore
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import StoreError
from snowetl_tui.workspace import Workspace


# -- model -------------------------------------------------------------------------------------
def test_ids_unique_and_sortable_by_creation():
    ids = [new_job_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(i.startswith("J") and len(i) == 18 for i in ids)


def test_allowed_and_forbidden_transitions():
    for src, dests in TRANSITIONS.items():
        for dst in TRANSITIONS:
            job = Job(id="J1", kind="load", state=src)
            if dst in dests:
                job.transition(dst)
                assert job.state == dst
            else:
                with pytest.raises(InvalidTransition, match=f"is {src}; it cannot become {dst}"):
                    job.transition(dst)
    with pytest.raises(InvalidTransition):
        Job(id="J1", kind="load").transition("exploded")


def test_lifecycle_timestamps_and_retry_reset():
    job = Job(id="J1", kind="load")
    job.transition("running")
    assert job.started and not job.finished
    job.enter_step("read")
    job.record_progress({"step": "read", "bytes": 50, "total": 100, "rows": 7, "elapsed": 1.0})
    assert job.rows == 7 and job.rate_bytes == 50 and job.eta_seconds == 1.0
    assert 0.3 < job.progress < 0.5
    job.transition("failed", error="boom")
    assert job.finished and job.error == "boom" and job.steps["read"].finished
    job.transition("queued")
    assert job.attempt == 2 and job.error is None and job.steps == {} and job.rows == 0
    job.transition("running")
    job.transition("succeeded")
    assert job.progress == 1.0 and job.final


def test_job_dict_round_trip_tolerates_unknown_fields():
    job = Job(id="J1", kind="validate", file="/x.tsv", priority=3)
    job.enter_step("plan")
    data = job.to_dict()
    assert data["progress"] == 0.0 and data["file_name"] == "x.tsv"
    data["from_the_future"] = 1
    back = Job.from_dict(json.loads(json.dumps(data)))
    assert back == job


def test_sort_key_recovered_then_priority_then_fifo():
    a = Job(id="J1", kind="load")
    b = Job(id="J2", kind="load", priority=5)
    c = Job(id="J3", kind="load", recovered=True)
    d = Job(id="J0", kind="load")
    assert [j.id for j in sorted([a, b, c, d], key=Job.sort_key)] == ["J3", "J2", "J0", "J1"]


# -- store -------------------------------------------------------------------------------------
def test_store_round_trip_and_events(tmp_path: Path):
    store = JobStore(tmp_path / "store.sqlite")
    job = Job(id=new_job_id(), kind="load", file="/a.tsv")
    store.save(job)
    store.transition(job, "running")
    store.transition(job, "failed", error="bad")
    store.close()
    again = JobStore(tmp_path / "store.sqlite")
    got = again.get(job.id)
    assert got is not None and got.state == "failed" and got.error == "bad"
    assert [e["data"]["to"] for e in again.events(job.id)] == ["running", "failed"]
    assert again.active() == [] and len(again.all()) == 1
    mode = again.con.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_rejects_forbidden_transition_without_writing(tmp_path: Path):
    store = JobStore(tmp_path / "s.sqlite")
    job = Job(id="J1", kind="load")
    store.save(job)
    with pytest.raises(InvalidTransition):
        store.transition(job, "succeeded")
    assert store.get("J1").state == "queued" and store.events("J1") == []


def test_corrupt_store_says_how_to_get_out(tmp_path: Path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as err:
        JobStore(path)
    assert "move the file aside" in str(err.value) and f"mv {path}" in str(err.value)


# -- protocol ----------------------------------------------------------------------------------
def test_protocol_round_trip():
    msg = protocol.job_delta(7, {"id": "J1", "state": "running", "file": "é.tsv"})
    line = protocol.encode(msg)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert protocol.decode(line) == msg
    req = protocol.decode(protocol.encode({"op": "get", "id": "r1", "job": "J1"}))
    assert req["v"] == protocol.VERSION and protocol.check_request(req) == "get"


@pytest.mark.parametrize(("line", "message"), [
    (b"", "empty"), (b"{nope", "not JSON"), (b"[1]", "JSON object"),
    (b'{"v": 99, "op": "hello"}', "version 99"), (b"\xff\xfe", "not UTF-8"),
])
def test_protocol_rejects_bad_lines(line: bytes, message: str):
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.decode(line)


def test_protocol_rejects_unknown_op_and_missing_id():
    with pytest.raises(protocol.ProtocolError, match="unknown op"):
        protocol.check_request({"v": 1, "op": "explode", "id": "1"})
    with pytest.raises(protocol.ProtocolError, match="needs a request"):
        protocol.check_request({"v": 1, "op": "cancel"})
    assert protocol.check_request({"v": 1, "op": "hello"}) == "hello"


# -- paths, settings, logs ---------------------------------------------------------------------
def test_long_workspace_path_gets_a_short_private_socket(tmp_path: Path):
    short = Workspace(tmp_path)
    assert socket_path(short) == short.socket_path
    deep = Workspace(tmp_path / ("x" * 120))
    path = socket_path(deep)
    assert len(str(path)) <= 100 and path.parent.name == f"snowetl-{os.getuid()}"
    assert socket_path(Workspace(tmp_path / ("x" * 120))) == path


def test_stale_pid_and_socket_are_cleaned(tmp_path: Path):
    ws = Workspace(tmp_path).ensure()
    ws.pid_path.write_text("999999\n")
    ws.socket_path.write_text("")
    assert sorted(clean_stale(ws)) == sorted([str(ws.pid_path), str(ws.socket_path)])
    assert not ws.pid_path.exists() and not ws.socket_path.exists()


def test_settings(tmp_path: Path):
    ws = Workspace(tmp_path)
    assert EngineSettings.load(ws) == EngineSettings()
    ws.settings_path.write_text("[engine]\nconcurrency = 2\nlog_retention_days = 7\n")
    s = EngineSettings.load(ws)
    assert s.concurrency == 2 and s.log_retention_days == 7
    ws.settings_path.write_text("[engine]\nconcurency = 2\n")
    with pytest.raises(InputError, match=r"engine\.concurency: unknown setting"):
        EngineSettings.load(ws)
    ws.settings_path.write_text("[engine]\nconcurrency = 0\n")
    with pytest.raises(InputError, match="must be ≥ 1"):
        EngineSettings.load(ws)


def test_job_log_lines_and_json_and_redaction(tmp_path: Path):
    ws = Workspace(tmp_path)
    jl = JobLog(ws, "J1")
    jl.open_check()
    jl.write("info", "connecting with password=hunter2 to snowflake://bob:s3cret@acct",
             event="log")
    text = jl.text_path.read_text()
    assert "hunter2" not in text and "s3cret" not in text and " INFO " in text
    assert text.startswith("20") and "Z INFO" in text
    rec = json.loads(jl.json_path.read_text())
    assert rec["level"] == "info" and "hunter2" not in json.dumps(rec)
    assert redact('{"token": "abc"}') == '{"token": "***"}'


def test_job_log_write_error_is_reported_once(tmp_path: Path):
    ws = Workspace(tmp_path)
    jl = JobLog(ws, "J1")
    jl.text_path.parent.mkdir(parents=True)
    jl.text_path.mkdir()  # writing to a directory fails like a full disk would
    assert "cannot write the job log" in (jl.write("info", "x") or "")
    assert jl.write("info", "y") is None


def test_retention_by_age_and_size_keeps_active_jobs(tmp_path: Path):
    ws = Workspace(tmp_path)
    d = ws.logs_dir / "jobs"
    d.mkdir(parents=True)
    old = time.time() - 40 * 86400
    for name, age in (("Jold", old), ("Jactive", old), ("Ja", time.time() - 3),
                      ("Jb", time.time() - 2), ("Jc", time.time() - 1)):
        p = d / f"{name}.log"
        p.write_bytes(b"x" * 400_000)
        os.utime(p, (age, age))
    removed = apply_retention(ws, days=30, total_mb=1.0, keep={"Jactive"})
    names = sorted(p.stem for p in removed)
    assert names == ["Ja", "Jold"]
    assert sorted(p.stem for p in d.iterdir()) == ["Jactive", "Jb", "Jc"]
