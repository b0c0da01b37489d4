"""The engine's Unix-socket server: JSON lines in, replies and job deltas out.

Each connection has one outgoing queue, so replies and deltas leave in the order the engine
produced them; a client that cannot keep up does not slow the engine down: past
:data:`MAX_QUEUE` messages its queue is replaced by a fresh snapshot (the client sees a new
snapshot instead of the deltas it missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from snowetl_tui.engine import protocol
from snowetl_tui.engine.paths import prepare_socket_dir
from snowetl_tui.engine.scheduler import Engine
from snowetl_tui.errors import InputError, SnowetlError

log = logging.getLogger("snowetl_tui.engine")
MAX_QUEUE = 10_000


class Connection:
    """One client: an outgoing queue and the task that writes it."""

    def __init__(self, engine: Engine, writer: asyncio.StreamWriter) -> None:
        self.engine = engine
        self.writer = writer
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.subscribed = False
        self.task = asyncio.get_running_loop().create_task(self._pump())

    def send(self, msg: dict[str, Any]) -> None:
        if self.queue.qsize() >= MAX_QUEUE:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(self.engine.snapshot())
            return
        self.queue.put_nowait(msg)

    async def _pump(self) -> None:
        try:
            while True:
                msg = await self.queue.get()
                self.writer.write(protocol.encode(msg))
                await self.writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass

    async def close(self) -> None:
        self.engine.listeners.discard(self.send)
        # let queued replies go out before closing
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            await asyncio.wait_for(self._drained(), 2.0)
        self.task.cancel()
        with contextlib.suppress(Exception):
            self.writer.close()

    async def _drained(self) -> None:
        while not self.queue.empty() and not self.task.done():
            await asyncio.sleep(0.01)


class Server:
    """Serves one engine on one socket path (mode 0600)."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self.connections: set[Connection] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        prepare_socket_dir(self.path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # stale: we hold the workspace lock, no live engine owns it
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                           limit=protocol.MAX_LINE)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            await conn.close()  # the peer sees EOF; its handler's readline returns b""
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(self.engine, writer)
        self.connections.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    conn.send(protocol.error_reply(None, "line too long"))
                    break
                except ConnectionError:
                    break
                if not line:
                    break
                self._handle_line(conn, line)
        finally:
            self.connections.discard(conn)
            if task is not None:
                self._handlers.discard(task)
            await conn.close()

    def _handle_line(self, conn: Connection, line: bytes) -> None:
        req_id: Any = None
        try:
            msg = protocol.decode(line)
            req_id = msg.get("id")
            op = protocol.check_request(msg)
            if op == "hello":
                # snapshot and subscription happen without an await in between, so the first
                # delta this client gets is exactly snapshot.seq + 1
                conn.send(self.engine.snapshot())
                if msg.get("subscribe", True) and not conn.subscribed:
                    conn.subscribed = True
                    self.engine.listeners.add(conn.send)
                return
            conn.send(protocol.reply(req_id, self._command(op, msg)))
        except SnowetlError as exc:
            conn.send(protocol.error_reply(req_id, str(exc), exc.exit_code))
        except Exception as exc:
            log.exception("request failed")
            conn.send(protocol.error_reply(req_id, f"internal engine error: {exc}", 1))

    def _command(self, op: str, msg: dict[str, Any]) -> Any:
        e = self.engine
        if op in ("get", "cancel", "retry", "pause", "resume", "set_priority"):
            job_id = msg.get("job")
            if not isinstance(job_id, str) or not job_id:
                raise InputError(f"{op}: a job id is needed")
            if op == "get":
                job = e.job(job_id)
                out = job.to_dict()
                if msg.get("events"):
                    out["events"] = e.store.events(job_id)
                return out
            if op == "set_priority":
                prio = msg.get("priority")
                if not isinstance(prio, int) or isinstance(prio, bool):
                    raise InputError("set_priority: priority must be an integer")
                return e.set_priority(job_id, prio).to_dict()
            return getattr(e, op)(job_id).to_dict()
        if op == "list":
            return [j.to_dict() for j in e.list_jobs(everything=bool(msg.get("all")))]
        if op == "status":
            return e.engine_info()
        if op == "submit":
            files = msg.get("files")
            if not isinstance(files, list) or not files or not all(isinstance(f, str)
                                                                   for f in files):
                raise InputError("submit: files must be a non-empty list of paths")
            kind = msg.get("kind", "load")
            prio = msg.get("priority", 0)
            if not isinstance(prio, int) or isinstance(prio, bool):
                raise InputError("submit: priority must be an integer")
            sizes = {k: msg.get(k) for k in ("chunk_size", "part_bytes")}
            for key, value in sizes.items():
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                          or value <= 0):
                    raise InputError(f"submit: {key} must be a positive integer")
            jobs = e.submit(files, kind=str(kind), replace=bool(msg.get("replace")),
                            target=msg.get("target") or None, priority=prio, **sizes)
            return [j.to_dict() for j in jobs]
        if op == "shutdown":
            e.request_stop(cancel=bool(msg.get("cancel")))
            return e.engine_info()
        if op == "delete_period":
            args = {k: msg.get(k) for k in ("table", "period", "target", "date_column")}
            for key in ("table", "period"):
                if not isinstance(args[key], str) or not args[key]:
                    raise InputError(f"delete_period: {key} is needed")
            for key in ("target", "date_column"):
                if args[key] is not None and not isinstance(args[key], str):
                    raise InputError(f"delete_period: {key} must be a string")
            prio = msg.get("priority", 0)
            if not isinstance(prio, int) or isinstance(prio, bool):
                raise InputError("delete_period: priority must be an integer")
            return e.delete_period(str(args["table"]), str(args["period"]),
                                   target=args["target"] or None,
                                   date_column=args["date_column"] or None,
                                   priority=prio).to_dict()
        raise InputError(f"unknown op {op!r}")
