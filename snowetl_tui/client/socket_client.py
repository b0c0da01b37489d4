"""EngineClient: talks to the workspace's engine over its socket, starting it when needed.

The CLI and the TUI both use this class; neither ever touches the store behind the engine's
back, so what they show is what the engine knows. Starting the engine is part of connecting:
a command sent to a dead engine brings it up (its stdio goes to ``logs/engine.log``; if it
cannot come up, the reason it wrote there becomes the error message).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from snowetl_tui.engine import protocol
from snowetl_tui.engine.paths import clean_stale, engine_lock_held, read_pid, socket_path
from snowetl_tui.errors import EXIT_USAGE, SnowetlError
from snowetl_tui.workspace import Workspace

START_TIMEOUT = 20.0
EXIT_ALREADY_RUNNING = 3  # same value as engine.daemon (not imported: that module is heavier)
STARTUP_FAILED_MARK = "engine cannot start:"
_children: list[subprocess.Popen[bytes]] = []


class EngineError(SnowetlError):
    """The engine is unreachable, cannot start, or broke the protocol."""

    exit_code = EXIT_USAGE


class CommandFailed(SnowetlError):
    """The engine answered a command with an error (message and exit code are the engine's)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = code


def _reap() -> None:
    """Collect engines this process started that have exited (no zombies in long runs)."""
    for proc in list(_children):
        if proc.poll() is not None:
            _children.remove(proc)


def socket_alive(path: Path, timeout: float = 1.0) -> bool:
    """Whether something accepts connections on ``path``."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def engine_status(ws: Workspace) -> dict[str, Any]:
    """Is an engine running for ``ws``? Cleans a stale pid file/socket on the way."""
    _reap()
    path = socket_path(ws)
    running = engine_lock_held(ws)
    cleaned: list[str] = [] if running else clean_stale(ws)
    return {
        "workspace": str(ws.root), "running": running,
        "pid": read_pid(ws) if running else None, "socket": str(path),
        "socket_ready": running and socket_alive(path), "stale_cleaned": cleaned,
        "log": str(ws.engine_log_path),
    }


def _startup_error(ws: Workspace, offset: int) -> str | None:
    try:
        with open(ws.engine_log_path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if STARTUP_FAILED_MARK in line:
            return line.split(STARTUP_FAILED_MARK, 1)[1].strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def start_engine(ws: Workspace, *, env: dict[str, str] | None = None,
                 timeout: float = START_TIMEOUT) -> int:
    """Start the engine of ``ws`` unless one runs; return its pid once its socket answers."""
    _reap()
    path = socket_path(ws)
    deadline = time.monotonic() + timeout
    if engine_lock_held(ws):
        while time.monotonic() < deadline:
            if socket_alive(path):
                return read_pid(ws) or 0
            if not engine_lock_held(ws):
                break
            time.sleep(0.05)
        else:
            raise EngineError(f"an engine holds {ws.pid_path} but does not answer on {path}; "
                              f"see {ws.engine_log_path}")
    clean_stale(ws)
    try:
        ws.ensure()
        ws.logs_dir.mkdir(parents=True, exist_ok=True)
        log_fh = open(ws.engine_log_path, "ab")  # noqa: SIM115 — handed to the child
    except OSError as exc:
        raise EngineError(f"cannot start the engine: cannot write {ws.engine_log_path}: "
                          f"{exc.strerror or exc}") from None
    offset = log_fh.tell()
    cmd = [sys.executable, "-m", "snowetl_tui.engine.daemon", "--workspace", str(ws.root)]
    try:
        proc = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=log_fh, stderr=subprocess.STDOUT, close_fds=True,
                                cwd=str(ws.root), env=env)
    finally:
        log_fh.close()
    _children.append(proc)
    while time.monotonic() < deadline:
        if socket_alive(path):
            return read_pid(ws) or proc.pid
        rc = proc.poll()
        if rc is not None and rc != EXIT_ALREADY_RUNNING:
            why = _startup_error(ws, offset) or f"it exited with code {rc}"
            raise EngineError(f"the engine could not start: {why} (log: {ws.engine_log_path})")
        time.sleep(0.05)
    raise EngineError(f"the engine did not answer within {timeout:.0f} s; see "
                      f"{ws.engine_log_path}")


def wait_engine_gone(ws: Workspace, timeout: float) -> bool:
    """Wait until no engine holds the workspace lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap()
        if not engine_lock_held(ws):
            return True
        time.sleep(0.05)
    return False


class EngineClient:
    """An asyncio client of one workspace's engine.

    ``request`` sends a command and returns its ``data`` (or raises :class:`CommandFailed`).
    ``subscribe`` + ``events`` give the snapshot and the ordered deltas; ``jobs`` is kept up to
    date from them, and a gap in ``seq`` triggers a new snapshot automatically.
    """

    def __init__(self, ws: Workspace, *, autostart: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.ws = ws
        self.autostart = autostart
        self.env = env
        self.jobs: dict[str, dict[str, Any]] = {}
        self.engine: dict[str, Any] = {}
        self.seq: int | None = None
        self.started_engine = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._resyncing = False
        self.closed = False

    async def __aenter__(self) -> EngineClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        path = socket_path(self.ws)
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(
                str(path), limit=protocol.MAX_LINE * 64)
        except (FileNotFoundError, ConnectionRefusedError):
            if not self.autostart:
                raise EngineError(f"no engine is running for {self.ws.root}; start it with "
                                  "`snowetl-tui engine start`") from None
            await asyncio.to_thread(start_engine, self.ws, env=self.env)
            self.started_engine = True
            self._reader, self._writer = await asyncio.open_unix_connection(
                str(path), limit=protocol.MAX_LINE * 64)
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _send(self, msg: dict[str, Any]) -> None:
        if self._writer is None or self.closed:
            raise EngineError("not connected to the engine")
        self._writer.write(protocol.encode(msg))
        await self._writer.drain()

    async def request(self, op: str, **args: Any) -> Any:
        req_id = f"r{next(self._ids)}"
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = fut
        try:
            await self._send({"op": op, "id": req_id, **args})
            msg = await fut
        finally:
            self._pending.pop(req_id, None)
        if not msg.get("ok"):
            raise CommandFailed(str(msg.get("error")), int(msg.get("code") or EXIT_USAGE))
        return msg.get("data")

    async def subscribe(self) -> dict[str, Any]:
        """Ask for the snapshot and the deltas after it; returns the snapshot."""
        await self._send({"op": "hello", "subscribe": True})
        while True:
            msg = await self._next_event()
            if msg["type"] == "snapshot":
                return msg

    async def _next_event(self) -> dict[str, Any]:
        msg = await self._events.get()
        if msg is None:
            self._events.put_nowait(None)
            raise EngineError("the engine closed the connection")
        return msg

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Snapshots and job deltas, in order, until the connection closes."""
        while True:
            try:
                msg = await self._next_event()
            except EngineError:
                return
            yield msg

    def _apply(self, msg: dict[str, Any]) -> bool:
        """Fold a snapshot or delta into ``jobs``; False when it must not reach the caller."""
        if msg["type"] == "snapshot":
            self.jobs = {j["id"]: j for j in msg["jobs"]}
            self.engine = msg.get("engine", {})
            self.seq = int(msg["seq"])
            self._resyncing = False
            return True
        seq = int(msg["seq"])
        if self._resyncing:
            return False
        if self.seq is not None and seq != self.seq + 1:
            # missed deltas: ask for a fresh snapshot and ignore deltas until it arrives
            self._resyncing = True
            asyncio.get_running_loop().create_task(self._send({"op": "hello",
                                                               "subscribe": True}))
            return False
        self.seq = seq
        job = msg["job"]
        self.jobs[job["id"]] = job
        return True

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                msg = protocol.decode(line)
                kind = msg.get("type")
                if kind == "reply":
                    fut = self._pending.get(str(msg.get("id")))
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
                elif kind in ("snapshot", "job") and self._apply(msg):
                    self._events.put_nowait(msg)
        except (ConnectionError, ValueError, SnowetlError):
            pass
        finally:
            self.closed = True
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(EngineError("the engine closed the connection (it may "
                                                  f"have stopped; see {self.ws.engine_log_path})"))
            self._events.put_nowait(None)


def call(ws: Workspace, op: str, *, autostart: bool = True, **args: Any) -> Any:
    """One command, synchronously (for the CLI)."""

    async def run() -> Any:
        async with EngineClient(ws, autostart=autostart) as client:
            return await client.request(op, **args)

    return asyncio.run(run())

