"""A fakesnow server on 127.0.0.1 for the Snowflake adapter tests, driven by the real connector.

The server runs in a thread for the whole session (one login costs ~50 ms, a server start
~1 s). Tests isolate themselves by database name. ``FakesnowControl`` wraps three of the
server's routes so tests can see and steer what the connector exchanges with it:

* every SQL text and every login's SESSION_PARAMETERS are recorded (QUERY_TAG checks);
* ``/monitoring/queries/{sfqid}`` can answer RUNNING for the first N polls of each query and
  FAILED_WITH_ERROR for chosen ids — fakesnow itself is synchronous and never fails a poll;
* the login can be made to fail like Snowflake does (wrong password), since fakesnow accepts
  any credentials.

The helpers are plain functions so other test packages may import them
(``from tests.warehouse.conftest import start_fakesnow``).
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import json
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w

# Import the server *module* explicitly: ``fakesnow.server`` the function is replaced by the
# submodule on first import, so ``fakesnow.server()`` works once per process at best.
fs_server = importlib.import_module("fakesnow.server")
fs_stage = importlib.import_module("fakesnow.transforms.stage")

#: Statements fakesnow cannot parse, made no-ops for the tests only (the product sends them).
NOP_REGEXES = [r"\s*REMOVE\s", r"\s*ALTER\s+SESSION\s+SET\s+QUERY_TAG\b"]
PASSWORD = "Sup3r-Secr3t-Pw!"


@dataclass
class FakesnowControl:
    """What the wrapped routes record and how they misbehave on request."""

    statements: list[str] = field(default_factory=list)
    logins: list[dict[str, Any]] = field(default_factory=list)
    running_polls: int = 0
    poll_counts: dict[str, int] = field(default_factory=dict)
    poll_failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    login_failure: tuple[str, str] | None = None

    def reset(self) -> None:
        self.statements.clear()
        self.logins.clear()
        self.running_polls = 0
        self.poll_counts.clear()
        self.poll_failures.clear()
        self.login_failure = None


CONTROL = FakesnowControl()


def _install_wrappers() -> None:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    routes = fs_server.app.router.routes
    original = {r.path: r.endpoint for r in routes if isinstance(r, Route)}
    if getattr(fs_server.app, "_snowetl_wrapped", False):
        return

    async def body_json(request: Request) -> dict[str, Any]:
        body = await request.body()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)

    async def login(request: Request) -> Response:
        data = (await body_json(request)).get("data", {})
        CONTROL.logins.append(dict(data.get("SESSION_PARAMETERS") or {}))
        if CONTROL.login_failure:
            code, message = CONTROL.login_failure
            return JSONResponse({"data": {"errorCode": code}, "code": code,
                                 "message": message, "success": False})
        return await original["/session/v1/login-request"](request)

    async def query(request: Request) -> Response:
        CONTROL.statements.append((await body_json(request)).get("sqlText", ""))
        return await original["/queries/v1/query-request"](request)

    async def monitoring(request: Request) -> Response:
        qid = request.path_params["sfqid"]
        if qid in CONTROL.poll_failures:
            code, message = CONTROL.poll_failures[qid]
            return JSONResponse({"data": {"queries": [{
                "status": "FAILED_WITH_ERROR", "errorCode": code, "errorMessage": message,
            }]}, "success": True})
        seen = CONTROL.poll_counts.get(qid, 0)
        CONTROL.poll_counts[qid] = seen + 1
        if seen < CONTROL.running_polls:
            return JSONResponse({"data": {"queries": [{"status": "RUNNING"}]}, "success": True})
        return original["/monitoring/queries/{sfqid}"](request)

    wrappers = {
        "/session/v1/login-request": login,
        "/queries/v1/query-request": query,
        "/monitoring/queries/{sfqid}": monitoring,
    }
    for i, route in enumerate(routes):
        if isinstance(route, Route) and route.path in wrappers:
            routes[i] = Route(route.path, wrappers[route.path], methods=list(route.methods or []))
    fs_server.app._snowetl_wrapped = True


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def start_fakesnow() -> Iterator[dict[str, Any]]:
    """Run fakesnow's server in a daemon thread; yields connector kwargs (no database)."""
    import uvicorn

    _install_wrappers()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fs_server.app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="fakesnow", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("fakesnow server did not start")
    try:
        yield {
            "account": "fakesnow",
            "user": "fake",
            "password": PASSWORD,
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "login_timeout": 5,
            "network_timeout": 5,
            "session_parameters": {
                "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
                "nop_regexes": NOP_REGEXES,
            },
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        # fakesnow never deletes its staged files
        shutil.rmtree(fs_stage.LOCAL_BUCKET_PATH, ignore_errors=True)


def write_connections(home: Path, sections: dict[str, dict[str, Any]], mode: int = 0o600) -> Path:
    """``connections.toml`` as an operator would keep it, in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "connections.toml"
    path.write_text(tomli_w.dumps(sections))
    path.chmod(mode)
    return path


@pytest.fixture(scope="session")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs:
        yield kwargs


@pytest.fixture
def fs_ctl(fakesnow_server: dict[str, Any]) -> Iterator[FakesnowControl]:
    CONTROL.reset()
    yield CONTROL
    CONTROL.reset()


@pytest.fixture
def sf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "snowflake-home"
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    return home


@pytest.fixture
def db_name() -> str:
    return "T_" + uuid.uuid4().hex[:10].upper()


@pytest.fixture
def conn_toml(sf_home: Path, fakesnow_server: dict[str, Any], db_name: str) -> Path:
    """A ``[fake]`` connection to the fakesnow server, with this test's own database."""
    return write_connections(
        sf_home, {"fake": {**fakesnow_server, "database": db_name, "schema": "LOAD"}}
    )


@pytest.fixture
def wh(conn_toml: Path, fs_ctl: FakesnowControl) -> Iterator[Any]:
    from snowetl_tui.warehouse.snowflake import RetryPolicy, connect_snowflake

    warehouse = connect_snowflake("fake", tag="job-test", retry=RetryPolicy(sleep=lambda s: None))
    try:
        yield warehouse
    finally:
        warehouse.close()
