"""A real engine daemon in a temporary workspace: detached jobs, crash recovery, control."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snowetl_tui.client.socket_client import (
    CommandFailed,
    EngineClient,
    EngineError,
    call,
    start_engine,
    wait_engine_gone,
)
from snowetl_tui.engine.paths import engine_lock_held, read_pid
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.workspace import Workspace
from tests.engine.conftest import (
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


def _job(ws: Workspace, job_id: str) -> dict:
    return call(ws, "get", job=job_id)


def test_detached_job_completes_after_submitter_exits(demo: Path, sub):
    res = sub(demo, "submit", str(demo / JAN), "--json")
    assert res.returncode == 0, res.stderr
    [job] = json.loads(res.stdout)
    assert job["state"] in ("queued", "running") and job["table"] == "FACT_LENDING_BENCHMARK"
    # the submitting process is gone; another process sees the job finish
    final = wait_for(lambda: next((j for j in jobs_json(sub, demo)
                                   if j["id"] == job["id"] and j["state"] in FINAL), None))
    assert final["state"] == "succeeded", final["error"]
    assert final["rows"] == data_rows(demo / JAN) == table_rows(demo)
    assert final["progress"] == 1.0 and final["error"] is None
    for key in ("id", "state", "step", "file", "table", "progress", "rows", "error"):
        assert key in final
    log = Path(final["log_path"])
    assert "running → succeeded" in log.read_text()
    assert log.with_suffix(".jsonl").exists()
    res = sub(demo, "logs", job["id"], "--grep", "succeeded")
    assert res.returncode == 0 and "running → succeeded" in res.stdout
    assert "queued → running" not in res.stdout
    # the engine is not a child of the submitter and keeps running
    assert engine_lock_held(Workspace(demo))


def test_wait_exit_codes_and_unknown_id(demo: Path, sub):
    ok = sub(demo, "submit", str(demo / JAN), "--wait")
    assert ok.returncode == 0, ok.stderr
    assert "succeeded" in ok.stderr
    bad = sub(demo, "submit", str(demo / FEB), "--wait", "--json")
    assert bad.returncode == 1
    [job] = json.loads(bad.stdout)
    assert job["state"] == "failed" and "calendar" in job["error"]
    assert any(f["name"] == "calendar" for f in job["findings"])
    for args in (("job", "J0000nope"), ("cancel", "J0000nope"), ("logs", "J0000nope")):
        res = sub(demo, *args)
        assert res.returncode == 2
        assert res.stderr.strip().count("\n") == 0 and "no job J0000nope" in res.stderr
    res = sub(demo, "submit", str(demo / "data" / "nope.tsv"))
    assert res.returncode == 2 and "no such file" in res.stderr
    res = sub(demo, "retry", job["id"], "--json")  # a failed job can be retried
    assert res.returncode == 0 and json.loads(res.stdout)["attempt"] == 2


async def _watch(ws: Workspace, ready: asyncio.Event, done: asyncio.Event,
                 out: list[tuple[int, str, str]]) -> None:
    async with EngineClient(ws) as client:
        await client.subscribe()
        ready.set()
        async for msg in client.events():
            if msg["type"] == "job":
                job = msg["job"]
                out.append((msg["seq"], job["id"], job["state"]))
                if job["state"] in FINAL:
                    done.set()
                    return


async def test_two_clients_see_the_same_sequence_of_states(demo: Path):
    ws = Workspace(demo)
    await asyncio.to_thread(start_engine, ws, env=clean_env())
    seen: list[list[tuple[int, str, str]]] = [[], []]
    readies = [asyncio.Event(), asyncio.Event()]
    dones = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(_watch(ws, readies[i], dones[i], seen[i])) for i in (0, 1)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)
    async with EngineClient(ws) as client:
        [job] = await client.request("submit", files=[str(demo / JAN)])
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert seen[0] == seen[1]
    states = [s for _, jid, s in seen[0] if jid == job["id"]]
    dedup = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    assert dedup == ["queued", "running", "succeeded"]
    seqs = [s for s, _, _ in seen[0]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # ordered, no gaps


@pytest.mark.parametrize("point", ["read", "copy_in_transaction", "copied"])
def test_sigkill_mid_load_then_restart_completes_exactly_once(demo: Path, point: str):
    ws = Workspace(demo)
    start_engine(ws, env={**clean_env(), "SNOWETL_FAULT": point})
    [job] = call(ws, "submit", autostart=False, files=[str(demo / JAN)], chunk_size=20_000)
    assert wait_engine_gone(ws, 30), "the fault point did not kill the engine"
    assert not engine_lock_held(Workspace(demo))
    # the next command restarts the engine (without the fault) and the job resumes
    final = wait_for(lambda: (j := _job(ws, job["id"]))["state"] in FINAL and j, timeout=40)
    assert final["state"] == "succeeded", final["error"]
    assert final["rows"] == data_rows(demo / JAN) == table_rows(demo)
    assert duplicate_keys(demo) == 0
    loads = Ledger(ws.store_path).loads()
    assert [x.state for x in loads] == ["succeeded"] and loads[0].job_id == job["id"]
    assert "engine restarted" in Path(final["log_path"]).read_text()


def test_pause_resume_then_cancel_mid_read_leaves_table_unchanged(big: Path):
    ws = Workspace(big)
    jan = big / JAN
    [a, b] = call(ws, "submit", files=[str(jan), str(big / FEB)], chunk_size=20_000)
    wait_for(lambda: (j := _job(ws, a["id"]))["step"] == "read" and j["bytes"] > 0, 30, 0.02)
    call(ws, "pause", job=a["id"])
    paused = wait_for(lambda: (j := _job(ws, a["id"]))["state"] == "paused" and j, 20, 0.05)
    assert paused["step"] == "read" and 0 < paused["bytes"] < paused["total_bytes"]
    time.sleep(0.5)
    assert _job(ws, a["id"])["bytes"] == paused["bytes"]  # nothing moves while paused
    assert _job(ws, b["id"])["state"] == "queued"  # the paused job keeps its slot
    call(ws, "resume", job=a["id"])
    wait_for(lambda: _job(ws, a["id"])["state"] == "running", 10, 0.01)  # pause again soon
    call(ws, "pause", job=a["id"])
    wait_for(lambda: _job(ws, a["id"])["state"] == "paused", 20, 0.05)
    call(ws, "cancel", job=a["id"])
    final = wait_for(lambda: (j := _job(ws, a["id"]))["state"] in FINAL and j, 20)
    assert final["state"] == "cancelled"
    assert table_rows(big) == 0
    assert [x.state for x in Ledger(ws.store_path).loads() if x.job_id == a["id"]] == [
        "cancelled"]
    spool = ws.spool_dir
    assert not spool.exists() or not any(p.name.startswith("L") for p in spool.iterdir())
    with pytest.raises(CommandFailed, match="already cancelled"):
        call(ws, "cancel", job=a["id"])
    # the queue moved on to the next job
    call(ws, "cancel", job=b["id"])
    assert wait_for(lambda: _job(ws, b["id"])["state"] == "cancelled", 20)
    assert table_rows(big) == 0


def test_sigterm_drains_and_the_next_engine_resumes(big: Path):
    ws = Workspace(big)
    [job] = call(ws, "submit", files=[str(big / JAN)], chunk_size=20_000)
    wait_for(lambda: (j := _job(ws, job["id"]))["step"] == "read" and j["bytes"] > 0, 30, 0.02)
    os.kill(read_pid(ws), signal.SIGTERM)
    assert wait_engine_gone(ws, 30)
    log = (big / "logs" / "engine.log").read_text()
    assert "draining" in log and "engine stopping" in log
    final = wait_for(lambda: (j := _job(ws, job["id"]))["state"] in FINAL and j, timeout=60)
    assert final["state"] == "succeeded", final["error"]
    assert final["rows"] == data_rows(big / JAN) == table_rows(big)
    assert "engine stopping" in Path(final["log_path"]).read_text()


def test_second_engine_refuses_and_stale_files_are_cleaned(demo: Path, sub):
    ws = Workspace(demo)
    pid = start_engine(ws, env=clean_env())
    again = subprocess.run([sys.executable, "-m", "snowetl_tui.engine.daemon", "--workspace",
                            str(demo)], capture_output=True, text=True, timeout=30,
                           env=clean_env())
    assert again.returncode == 3 and f"already running for {demo} (pid {pid})" in again.stderr
    assert read_pid(ws) == pid  # the refused one did not touch the pid file
    os.kill(pid, signal.SIGKILL)
    assert wait_engine_gone(ws, 10)
    assert ws.pid_path.exists() and ws.socket_path.exists()  # left behind by the crash
    res = sub(demo, "engine", "status", "--json")
    status = json.loads(res.stdout)
    assert not status["running"] and len(status["stale_cleaned"]) == 2
    assert not ws.pid_path.exists() and not ws.socket_path.exists()
    # a stale pid file naming a live unrelated process (pid 1) is still stale: no lock
    ws.pid_path.write_text("1\n")
    res = sub(demo, "jobs", "--json")
    assert res.returncode == 0 and json.loads(res.stdout) == []
    assert read_pid(ws) not in (None, 1)
    assert (ws.socket_path.stat().st_mode & 0o777) == 0o600
    res = sub(demo, "engine", "stop")
    assert res.returncode == 0 and "engine stopped" in res.stdout
    assert not engine_lock_held(ws)


def test_corrupt_store_gives_a_way_out(demo: Path, sub):
    store = demo / ".snowetl" / "store.sqlite"
    store.write_bytes(b"garbage" * 1000)
    res = sub(demo, "jobs")
    assert res.returncode == 2
    assert "the engine could not start" in res.stderr and f"mv {store}" in res.stderr
    assert res.stderr.count("\n") == 1
    with pytest.raises(EngineError, match="no engine is running"):
        call(Workspace(demo), "list", autostart=False)
