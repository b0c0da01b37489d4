"""Cancel during read, stage and copy on the Snowflake path: table unchanged, stage empty.

The warehouse is a fakesnow server in this process (``tests/warehouse/conftest.py``), reached
with the real connector through a ``connections.toml`` in ``$SNOWFLAKE_HOME``.

* **read** runs in a real daemon — which also proves the engine inherits ``SNOWFLAKE_HOME``
  from the process that started it. The job is paused at a chunk boundary of the read (a
  state the test can wait for), then cancelled, so the cancel lands in the read for sure.
* **stage** and **copy** need a hook inside the loader, so they run the :class:`Engine` in the
  test's event loop (same code, no socket). *stage*: the second PUT is held until the cancel
  has been requested — the cancel arrives while a part is being uploaded. *copy*: fakesnow
  runs an async COPY synchronously at submission (it would commit before any cancel could
  arrive), so the adapter's submission is replaced by one that only returns a query id, as
  Snowflake does while the COPY runs; the fake then reports it RUNNING until cancelled
  (``CONTROL.running_polls``), and the test checks that ``SYSTEM$CANCEL_QUERY`` was sent.

fakesnow ignores ``REMOVE``; the fixture wraps its query route so a REMOVE deletes the load's
files like Snowflake would, which lets "the stage is empty" be checked with the adapter's LIST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.client.socket_client import call
from snowetl_tui.engine.paths import EngineSettings
from snowetl_tui.engine.scheduler import Engine
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.warehouse.snowflake import SnowflakeWarehouse, connect_snowflake
from snowetl_tui.workspace import Workspace
from tests.engine.conftest import JAN, wait_for
from tests.warehouse.conftest import CONTROL, fs_server, fs_stage, start_fakesnow, write_connections

FINAL = ("succeeded", "failed", "cancelled")


@contextlib.contextmanager
def _remove_works() -> Iterator[None]:
    """Make ``REMOVE @SNOWETL_STAGE/<load id>/`` delete the files, as Snowflake does.

    Only for this module: the adapter's own tests rely on fakesnow ignoring REMOVE, so the
    original route is put back afterwards.
    """
    import gzip

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    routes = fs_server.app.router.routes
    [(i, route)] = [(i, r) for i, r in enumerate(routes)
                    if isinstance(r, Route) and r.path == "/queries/v1/query-request"]
    inner = route.endpoint

    async def query(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        sql = json.loads(body).get("sqlText", "").strip()
        if sql.upper().startswith("REMOVE @SNOWETL_STAGE/"):
            load_id = sql.split("/", 1)[1].strip().strip("/'\"; ")
            for d in Path(fs_stage.LOCAL_BUCKET_PATH).rglob(load_id):
                if d.is_dir():
                    shutil.rmtree(d, ignore_errors=True)
        return await inner(request)

    routes[i] = Route(route.path, query, methods=list(route.methods or []))
    try:
        yield
    finally:
        routes[i] = route


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs, _remove_works():
        yield kwargs


@pytest.fixture
def sf(big: Path, tmp_path: Path, server: dict[str, Any], monkeypatch) -> dict[str, Any]:
    db = "C_" + uuid.uuid4().hex[:8].upper()
    home = tmp_path / "sfhome"
    params = {**server, "database": db, "schema": "PUBLIC"}
    write_connections(home, {"fake": params})
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))  # the daemon inherits it
    cfg_path = big / "configs" / "demo.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["target"] = "fake"
    cfg_path.write_text(json.dumps(cfg))
    CONTROL.reset()
    yield {"ws": big, "db": db, "params": params}
    CONTROL.reset()


def _table_rows(sf: dict[str, Any]) -> int:
    import snowflake.connector

    con = snowflake.connector.connect(**sf["params"])
    try:
        return int(con.cursor().execute(
            "SELECT COUNT(*) FROM FACT_LENDING_BENCHMARK").fetchone()[0])
    except snowflake.connector.errors.ProgrammingError:
        return 0  # no table at all is unchanged too
    finally:
        con.close()


def _staged(load_id: str) -> dict[str, int]:
    wh = connect_snowflake("fake")
    try:
        return wh.list_staged(load_id)
    finally:
        wh.close()


def _assert_cancelled_cleanly(sf: dict[str, Any], job_id: str) -> None:
    ws = Workspace(sf["ws"])
    [load] = [x for x in Ledger(ws.store_path).loads() if x.job_id == job_id]
    assert load.state == "cancelled"
    assert _table_rows(sf) == 0
    assert _staged(load.load_id) == {}
    spool = ws.spool_dir / load.load_id
    assert not spool.exists() or not any(spool.iterdir())


def test_cancel_during_read_in_the_daemon(sf: dict[str, Any]):
    ws = Workspace(sf["ws"])
    [job] = call(ws, "submit", files=[str(sf["ws"] / JAN)], chunk_size=32_000,
                 part_bytes=64_000)
    jid = job["id"]
    wait_for(lambda: (j := call(ws, "get", job=jid))["step"] == "read" and j["bytes"] > 0,
             60, 0.02)
    call(ws, "pause", job=jid)
    paused = wait_for(lambda: (j := call(ws, "get", job=jid))["state"] == "paused" and j, 60)
    assert paused["step"] == "read" and paused["bytes"] < paused["total_bytes"]
    call(ws, "cancel", job=jid)
    final = wait_for(lambda: (j := call(ws, "get", job=jid))["state"] in FINAL and j, 60)
    assert final["state"] == "cancelled", final["error"]
    _assert_cancelled_cleanly(sf, jid)


async def _until(pred: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
    return value


async def _run_engine(ws: Path) -> Engine:
    engine = Engine(Workspace(ws), EngineSettings(),
                    executor_factory=lambda n: ThreadPoolExecutor(2))
    await engine.start()
    return engine


async def _stop(engine: Engine) -> None:
    engine.request_stop(cancel=True)
    await engine.close()


async def test_cancel_during_stage(sf: dict[str, Any], monkeypatch):
    engine = await _run_engine(sf["ws"])
    holding = threading.Event()
    job_ids: list[str] = []
    puts = [0]
    real_stage = SnowflakeWarehouse.stage_part

    def stage_part(self: SnowflakeWarehouse, load_id: str, part: Any) -> None:
        puts[0] += 1
        if puts[0] == 2:  # hold the second PUT until the cancel has been requested
            holding.set()
            engine.rt[job_ids[0]].cancel.wait(30)
        real_stage(self, load_id, part)

    monkeypatch.setattr(SnowflakeWarehouse, "stage_part", stage_part)
    try:
        [job] = engine.submit([str(sf["ws"] / JAN)], chunk_size=32_000, part_bytes=16_000)
        job_ids.append(job.id)
        await _until(holding.is_set)
        assert job.step == "read" and job.state == "running"
        engine.cancel(job.id)
        await _until(lambda: job.final)
        assert job.state == "cancelled", job.error
    finally:
        await _stop(engine)
    assert puts[0] >= 2
    _assert_cancelled_cleanly(sf, job.id)


async def test_cancel_during_copy(sf: dict[str, Any], monkeypatch):
    submitted: list[str] = []

    def submit_async(self: SnowflakeWarehouse, what: str, sql: str, columns: Any) -> str:
        assert sql.upper().startswith("COPY INTO")
        qid = str(uuid.uuid4())  # accepted, running on the warehouse, nothing committed yet
        submitted.append(qid)
        self._copy_columns[qid] = columns
        return qid

    monkeypatch.setattr(SnowflakeWarehouse, "_submit_async", submit_async)
    CONTROL.running_polls = 10**6  # RUNNING for as long as the test needs
    engine = await _run_engine(sf["ws"])
    try:
        # one part: fakesnow cannot COPY a FILES list, and several per-part COPYs run in one
        # synchronous transaction instead of asynchronously
        [job] = engine.submit([str(sf["ws"] / JAN)], chunk_size=256_000, part_bytes=1 << 30)
        await _until(lambda: job.final or (job.step == "copy" and submitted
                     and CONTROL.poll_counts.get(submitted[0], 0) >= 1))
        assert not job.final, job.error
        engine.cancel(job.id)
        await _until(lambda: job.final)
        assert job.state == "cancelled", job.error
        assert "cancelled during COPY" in (job.error or "")
    finally:
        await _stop(engine)
    assert any(s.startswith(f"SELECT SYSTEM$CANCEL_QUERY('{submitted[0]}')")
               for s in CONTROL.statements)
    _assert_cancelled_cleanly(sf, job.id)


@pytest.mark.parametrize("point", ["staged", "copy_submitted"])
def test_sigkill_engine_on_the_staged_path_then_restart(sf: dict[str, Any], point: str):
    """The engine dies after some parts are staged / right after the COPY was submitted; the
    restarted engine resumes: staged parts are not uploaded twice, the COPY is not repeated,
    the table holds every row exactly once and the stage is empty."""
    import os

    from snowetl_tui.client.socket_client import start_engine, wait_engine_gone

    ws = Workspace(sf["ws"])
    start_engine(ws, env={**os.environ, "SNOWETL_FAULT": point})
    [job] = call(ws, "submit", autostart=False, files=[str(sf["ws"] / JAN)],
                 chunk_size=32_000, part_bytes=64_000)
    assert wait_engine_gone(ws, 60), "the fault point did not kill the engine"
    env = dict(os.environ)
    env.pop("SNOWETL_FAULT", None)
    start_engine(ws, env=env)
    final = wait_for(lambda: (j := call(ws, "get", job=job["id"]))["state"] in FINAL and j, 90)
    assert final["state"] == "succeeded", final["error"]
    raw = (sf["ws"] / JAN).read_bytes()
    assert final["rows"] == raw.count(b"\n") - 1 == _table_rows(sf)
    [load] = Ledger(ws.store_path).loads()
    assert load.state == "succeeded" and load.rows_loaded == _table_rows(sf)
    assert _staged(load.load_id) == {}
    copies = [s for s in CONTROL.statements if s.lstrip().upper().startswith("COPY INTO")]
    assert copies, "no COPY reached the warehouse"
