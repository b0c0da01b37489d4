"""A scripted engine for Pilot tests: same surface as the real client, no socket, no daemon.

Tests drive it: ``engine.add_job(...)`` / ``engine.update(id, ...)`` emit deltas exactly as the
real engine does (whole job, increasing seq), ``engine.drop()`` cuts the link, ``engine.requests``
records every command the app sent, and commands change job state the way the engine would.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

from snowetl_tui.client import CommandFailed, EngineError

ENGINE_INFO = {"pid": 4242, "version": "0.1.0", "protocol": 1, "workspace": "/ws",
               "started": "2026-11-27T06:00:00.000Z", "draining": False, "concurrency": 1,
               "per_target": 1, "jobs": {}}

STEPS = ("plan", "connect", "read", "stage", "decide", "copy", "reconcile", "cleanup")


def make_job(job_id: str, *, kind: str = "load", file: str | None = "/data/orders_202403.tsv",
             table: str | None = "ORDERS", target: str = "local", state: str = "queued",
             step: str | None = None, **extra: Any) -> dict[str, Any]:
    """A job dict shaped like ``Job.to_dict()``."""
    job: dict[str, Any] = {
        "id": job_id, "kind": kind, "file": file, "table": table, "target": target,
        "state": state, "step": step, "priority": 0, "options": {}, "steps": {}, "rows": 0,
        "bytes": 0, "total_bytes": 0, "rate_bytes": 0.0, "eta_seconds": None, "findings": [],
        "result": None, "error": None, "log_path": None, "attempt": 1, "recovered": False,
        "pause_requested": False, "created": "2026-11-27T06:00:00.000Z", "started": None,
        "finished": None, "updated": "2026-11-27T06:00:00.000Z", "progress": 0.0,
        "file_name": file.rsplit("/", 1)[-1] if file else None,
    }
    job.update(extra)
    return job


class FakeEngine:
    """Holds jobs and hands out clients; each client sees snapshot + deltas."""

    def __init__(self, jobs: list[dict[str, Any]] | None = None) -> None:
        self.jobs: dict[str, dict[str, Any]] = {j["id"]: j for j in jobs or []}
        self.seq = 0
        self.info = dict(ENGINE_INFO)
        self.clients: list[FakeClient] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.refuse_connect: str | None = None
        self.fail_ops: dict[str, str] = {}
        self._ids = 0

    def factory(self) -> FakeClient:
        client = FakeClient(self)
        self.clients.append(client)
        return client

    # -- driving from tests ---------------------------------------------------------------------
    def add_job(self, job: dict[str, Any]) -> dict[str, Any]:
        self.jobs[job["id"]] = job
        self._emit(job)
        return job

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        job = self.jobs[job_id]
        job.update(changes)
        self._emit(job)
        return job

    def drop(self) -> None:
        """Cut every live connection (engine stopped / socket lost)."""
        for c in self.clients:
            c.cut()

    def _emit(self, job: dict[str, Any]) -> None:
        self.seq += 1
        for c in self.clients:
            if c.subscribed and not c.closed:
                c.queue.put_nowait({"v": 1, "type": "job", "seq": self.seq,
                                    "job": copy.deepcopy(job)})

    def snapshot(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for j in self.jobs.values():
            counts[j["state"]] = counts.get(j["state"], 0) + 1
        return {"v": 1, "type": "snapshot", "seq": self.seq,
                "engine": {**self.info, "jobs": counts},
                "jobs": [copy.deepcopy(j) for j in sorted(self.jobs.values(),
                                                           key=lambda j: j["id"])]}

    # -- commands -------------------------------------------------------------------------------
    def handle(self, op: str, args: dict[str, Any]) -> Any:
        self.requests.append((op, args))
        if op in self.fail_ops:
            raise CommandFailed(self.fail_ops[op])
        if op == "submit":
            out = []
            for f in args["files"]:
                self._ids += 1
                job = make_job(f"J{self._ids:016d}", kind=args.get("kind", "load"), file=f,
                               target=args.get("target") or "local",
                               priority=args.get("priority", 0),
                               options={"replace": bool(args.get("replace"))})
                self.add_job(job)
                out.append(copy.deepcopy(job))
            return out
        if op in ("cancel", "retry", "pause", "resume", "set_priority", "get"):
            job = self.jobs.get(args.get("job", ""))
            if job is None:
                raise CommandFailed(f"no job {args.get('job')!r}")
            new = {"cancel": "cancelled", "retry": "queued", "pause": "paused",
                   "resume": "queued"}.get(op)
            if op == "set_priority":
                self.update(job["id"], priority=args["priority"])
            elif new:
                self.update(job["id"], state=new)
            return copy.deepcopy(job)
        if op == "list":
            return [copy.deepcopy(j) for j in self.jobs.values()]
        if op == "status":
            return self.snapshot()["engine"]
        if op == "delete_period":
            self._ids += 1
            job = make_job(f"J{self._ids:016d}", kind="delete", file=None,
                           table=args["table"], options={"period": args["period"]})
            self.add_job(job)
            return copy.deepcopy(job)
        raise CommandFailed(f"unknown op {op!r}")


class FakeClient:
    """One connection to the fake engine (what ``EngineClient`` offers the app)."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.subscribed = False
        self.closed = False

    async def connect(self) -> None:
        if self.engine.refuse_connect:
            raise EngineError(self.engine.refuse_connect)

    async def subscribe(self) -> dict[str, Any]:
        self.subscribed = True
        return self.engine.snapshot()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            msg = await self.queue.get()
            if msg is None:
                return
            yield msg

    async def request(self, op: str, **args: Any) -> Any:
        if self.closed:
            raise EngineError("the engine closed the connection")
        await asyncio.sleep(0)
        return self.engine.handle(op, args)

    def cut(self) -> None:
        self.closed = True
        self.queue.put_nowait(None)

    async def close(self) -> None:
        self.closed = True
