"""The engine proper: jobs in memory and in the store, the scheduler, and the loader threads.

Everything that changes a job runs on the asyncio loop thread, in this order: change the job,
commit it to the store, then broadcast it. Loaders run in threads (``asyncio.to_thread``) and
talk back only through ``loop.call_soon_threadsafe``, so job objects have a single writer and
events keep their order.

Control granularity (what a command can interrupt, and when):

* **cancel** sets the job's ``threading.Event``: the read stops before the next chunk, a COPY
  being polled is cancelled on the warehouse, and the loader removes spool and staged parts; the
  ledger records ``cancelled`` and the table is untouched. A local (DuckDB) COPY is one short
  transaction and is not interrupted — a cancel that arrives during it is too late.
* **pause** is checked at step boundaries and between chunks of the read: the loader thread
  waits there (chunks already in the pool finish). A paused job keeps its concurrency slot,
  because its load is half-done in the ledger and letting another job start on the same target
  would only make both slower. A queued job can be paused too: it is held until resumed.
* **drain** (first SIGTERM, ``engine stop``): no new job starts; a job still planning or
  reading stops at its next chunk boundary and goes back to ``queued`` (the ledger resumes it
  on the next start); a job whose read is done finishes its COPY and reconcile, then the engine
  exits. A second SIGTERM cancels what is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from snowetl_tui import __version__
from snowetl_tui.engine import protocol
from snowetl_tui.engine.joblog import JobLog, apply_retention
from snowetl_tui.engine.metrics import Metrics, MetricsSettings
from snowetl_tui.engine.model import (
    CANCELLED,
    FAILED,
    FINAL_STATES,
    PAUSED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Job,
    new_job_id,
    now_iso,
)
from snowetl_tui.engine.notify import Notifier, NotifySettings
from snowetl_tui.engine.paths import EngineSettings
from snowetl_tui.engine.store import JobStore
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.engine")

#: Steps at which a draining engine hands the job back; after the read it is cheaper to finish.
DRAIN_STEPS = frozenset({"plan", "connect", "read"})
#: How often progress is also written to the store (the broadcast is 4/s; the store needs less).
PERSIST_PROGRESS_S = 2.0
RECENT = timedelta(hours=24)


class JobNotFound(SnowetlError):
    """An id that names no job of this workspace."""


class Drained(BaseException):
    """Raised inside a loader thread to hand the job back while the engine drains.

    A ``BaseException`` so the pipeline's ``except SnowetlError`` does not record it as a
    failure: the ledger keeps its last durable step and the next engine resumes from there.
    """


@dataclass
class Runtime:
    """What exists only while a job's loader thread runs."""

    log: JobLog
    cancel: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)
    pause: bool = False
    drain: bool = False
    task: asyncio.Task[None] | None = None
    last_persist: float = 0.0


Listener = Callable[[dict[str, Any]], None]


class Engine:
    """Jobs, their store, the scheduler; the socket server is a thin layer over this."""

    def __init__(self, ws: Workspace, settings: EngineSettings | None = None, *,
                 executor_factory: Callable[[int | None], Executor] | None = None,
                 notify: NotifySettings | None = None,
                 metrics: MetricsSettings | None = None) -> None:
        self.ws = ws
        self.settings = settings or EngineSettings.load(ws)
        # read at construction so a bad [notify]/[metrics] stops the engine at start, with the
        # file and key in the message, instead of at the first job end
        self.notifier = Notifier(ws, notify or NotifySettings.load(ws))
        self.metrics_settings = metrics or MetricsSettings.load(ws)
        self.metrics: Metrics | None = None
        self.store = JobStore(ws.store_path)
        self.jobs: dict[str, Job] = {}
        self.rt: dict[str, Runtime] = {}
        self.logs: dict[str, JobLog] = {}
        self.listeners: set[Listener] = set()
        self.seq = 0
        self.started_at = now_iso()
        self.draining = False
        self.stopped = asyncio.Event()
        self._executor_factory = executor_factory
        self._pool: Executor | None = None
        self._last_sent: dict[str, float] = {}
        self._flush: dict[str, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sigterms = 0

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the store, re-queue interrupted jobs first, apply log retention, schedule."""
        self._loop = asyncio.get_running_loop()
        for job in self.store.all():
            self.jobs[job.id] = job
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            if job.state == RUNNING:
                job.recovered = True
                self.store.transition(job, QUEUED, detail={"reason": "engine restarted; "
                                                           "resuming from the ledger"})
                self._joblog(job).write("warning", "engine restarted while this job ran; it "
                                        "resumes from its last durable step")
                log.info("job %s was running when the engine stopped; re-queued", job.id)
        keep = {j.id for j in self.jobs.values() if not j.final}
        removed = apply_retention(self.ws, days=self.settings.log_retention_days,
                                  total_mb=self.settings.log_retention_mb, keep=keep)
        if removed:
            log.info("log retention removed %d old job log files", len(removed))
        if self.metrics_settings.port:
            self._start_metrics(self.metrics_settings.port)
        self._schedule()

    def _start_metrics(self, port: int) -> None:
        """Metrics are optional: an endpoint that cannot listen is logged, jobs still run."""
        try:
            self.metrics = Metrics(lambda: self.jobs.values())
            bound = self.metrics.serve(port)
            log.info("metrics on http://127.0.0.1:%d/metrics", bound)
        except (OSError, ImportError) as exc:
            log.error("metrics endpoint on 127.0.0.1:%d not started: %s", port, exc)
            self.metrics = None

    @property
    def pool(self) -> Executor:
        """One pool for every job's chunks, created on first use: ``[engine] executor``
        (a local process pool sized to the cores by default, or a Dask cluster, which is
        connected to lazily, in the job's thread, never on the event loop)."""
        if self._pool is None:
            if self._executor_factory is not None:
                self._pool = self._executor_factory(self.settings.workers)
            else:
                from snowetl_tui.validate.executors import make_executor

                self._pool = make_executor(self.settings.executor, self.settings.workers,
                                           connect=False)
        return self._pool

    def request_stop(self, *, cancel: bool = False) -> None:
        """Drain (first call) or cancel (``cancel`` or a second call); ``stopped`` fires after."""
        self._sigterms += 1
        self.draining = True
        if cancel or self._sigterms > 1:
            log.info("stopping: cancelling %d running job(s)", len(self.rt))
            for rt in self.rt.values():
                rt.cancel.set()
                rt.resume.set()
        else:
            log.info("draining: %d running job(s) stop at their next step boundary",
                     len(self.rt))
            for rt in self.rt.values():
                rt.drain = True
                rt.resume.set()
        self._check_stopped()

    def _check_stopped(self) -> None:
        if self.draining and not self.rt:
            self.stopped.set()

    async def close(self) -> None:
        """Wait for loader threads, release the pool and the store."""
        tasks = [rt.task for rt in self.rt.values() if rt.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for handle in self._flush.values():
            handle.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self.notifier.close)
        if self.metrics is not None:
            self.metrics.close()
        self.store.close()

    # -- broadcast -----------------------------------------------------------------------------
    def engine_info(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for j in self.jobs.values():
            counts[j.state] = counts.get(j.state, 0) + 1
        return {
            "pid": os.getpid(), "version": __version__, "protocol": protocol.VERSION,
            "workspace": str(self.ws.root), "started": self.started_at,
            "draining": self.draining, "concurrency": self.settings.concurrency,
            "per_target": self.settings.per_target, "jobs": counts,
        }

    def snapshot(self) -> dict[str, Any]:
        jobs = [j.to_dict() for j in sorted(self.jobs.values(), key=lambda j: j.id)]
        return protocol.snapshot(self.seq, jobs, self.engine_info())

    def _send(self, job: Job) -> None:
        """Broadcast the job now (state changes, steps) and drop any pending coalesced delta."""
        handle = self._flush.pop(job.id, None)
        if handle is not None:
            handle.cancel()
        self._last_sent[job.id] = time.monotonic()
        self.seq += 1
        msg = protocol.job_delta(self.seq, job.to_dict())
        for listener in list(self.listeners):
            listener(msg)

    def _send_progress(self, job: Job) -> None:
        """At most PROGRESS_HZ deltas per job per second; the last value is never lost."""
        if job.id in self._flush:
            return
        wait = self._last_sent.get(job.id, 0.0) + 1 / protocol.PROGRESS_HZ - time.monotonic()
        if wait <= 0:
            self._send(job)
            return
        assert self._loop is not None
        self._flush[job.id] = self._loop.call_later(wait, self._flush_one, job.id)

    def _flush_one(self, job_id: str) -> None:
        self._flush.pop(job_id, None)
        job = self.jobs.get(job_id)
        if job is not None:
            self._send(job)

    def _move(self, job: Job, state: str, *, error: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Transition, commit, log, broadcast — in that order."""
        old = job.state
        self.store.transition(job, state, error=error, detail=detail)
        reason = f" ({detail['reason']})" if detail and "reason" in detail else ""
        line = f"{old} → {state}{reason}" + (f": {error}" if error else "")
        self._joblog(job).write("error" if state == FAILED else "info", line, event="state",
                                state=state)
        log.info("job %s %s", job.id, line)
        if state == CANCELLED:
            self._audit_cancel(job, error or (detail or {}).get("reason"))
        self._send(job)
        if state in FINAL_STATES:
            self._ended(job)

    def _audit_cancel(self, job: Job, reason: str | None) -> None:
        """Every cancel goes into the audit trail; a trail that cannot be written never stops
        the state change (the job's log says so)."""
        from snowetl_tui.load.ledger import Ledger

        result = job.result or {}
        try:
            Ledger(self.ws.store_path).audit(
                "cancel", target=job.target, table=job.table, rows=result.get("rows_loaded"),
                load_id=result.get("load_id"), job_id=job.id, file=job.file,
                detail={"kind": job.kind, "step": job.step, "reason": reason,
                        "period": job.options.get("period")})
        except Exception as exc:
            log.exception("audit of the cancel of job %s", job.id)
            self._joblog(job).write("warning", f"the cancel could not be audited: {exc}")

    def _ended(self, job: Job) -> None:
        """Metrics and notifications of a job end; neither may fail the state change."""
        if self.metrics is not None:
            try:
                self.metrics.job_finished(job)
            except Exception:
                log.exception("metrics of job %s", job.id)
        try:
            self.notifier.job_ended(job.to_dict())
        except Exception:
            log.exception("notifications of job %s", job.id)

    def _joblog(self, job: Job) -> JobLog:
        jl = self.logs.get(job.id)
        if jl is None:
            jl = self.logs[job.id] = JobLog(self.ws, job.id)
        return jl

    # -- commands ------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id} in this workspace (list them with "
                              "`snowetl-tui jobs --all`)")
        return job

    def list_jobs(self, *, everything: bool = False) -> list[Job]:
        """Active jobs and those finished in the last 24 h (``everything``: the whole store)."""
        cutoff = (datetime.now(UTC) - RECENT).isoformat().replace("+00:00", "Z")
        out = [j for j in self.jobs.values()
               if everything or not j.final or (j.finished or "") >= cutoff]
        return sorted(out, key=lambda j: j.id)

    def submit(self, files: Iterable[str], *, kind: str = "load", replace: bool = False,
               target: str | None = None, priority: int = 0,
               chunk_size: int | None = None, part_bytes: int | None = None) -> list[Job]:
        """Queue one job per file; all files are checked first, so it is all or nothing."""
        from snowetl_tui.config.registry import ConfigRegistry

        if self.draining:
            raise SnowetlError("the engine is stopping; submit again once it has restarted")
        if kind not in ("load", "validate"):
            raise InputError(f"cannot submit a {kind!r} job with files")
        registry = ConfigRegistry.load(self.ws)
        planned: list[Job] = []
        for raw in files:
            path = Path(raw)
            if not path.is_absolute():
                raise InputError(f"{raw}: the engine needs an absolute path")
            if not path.exists():
                raise InputError(f"{raw}: no such file")
            if path.is_dir():
                raise InputError(f"{raw}: is a directory, not a data file")
            match = registry.match(path)
            if match.entry is None:
                raise InputError(match.unmatched_message())
            options: dict[str, Any] = {"replace": replace, "target": target}
            if chunk_size:
                options["chunk_size"] = int(chunk_size)
            if part_bytes:
                options["part_bytes"] = int(part_bytes)
            jid = new_job_id()
            while jid in self.jobs or any(j.id == jid for j in planned):
                jid = new_job_id()
            planned.append(Job(
                id=jid, kind=kind, file=str(path), table=match.entry.table,
                target=target or match.entry.target, priority=int(priority), options=options,
                log_path=str(self._joblog(Job(id=jid, kind=kind)).text_path),
            ))
        for job in planned:
            self._queue(job, f"submitted: {job.kind} {job.file} → {job.table} on {job.target} "
                        f"(priority {job.priority})")
        self._schedule()
        return planned

    def _queue(self, job: Job, message: str) -> None:
        self.jobs[job.id] = job
        self.store.save(job)
        self.store.event(job.id, "submitted", {"file": job.file, "options": job.options})
        self._joblog(job).write("info", message, event="submitted")
        self._send(job)

    def delete_period(self, table: str, period: str, *, target: str | None = None,
                      date_column: str | None = None, priority: int = 0) -> Job:
        """Queue a ``delete`` job: one period of a table, in one warehouse transaction.

        The arguments are resolved here, at submission, so a bad period or an unknown date
        column is an immediate error for the client rather than a failed job. The job goes
        through the scheduler like a load, so it never runs beside a load of the same target.
        """
        from snowetl_tui.config.registry import ConfigRegistry
        from snowetl_tui.load.delete import resolve_delete

        if self.draining:
            raise SnowetlError("the engine is stopping; submit again once it has restarted")
        req = resolve_delete(ConfigRegistry.load(self.ws), table, period, target, date_column)
        jid = new_job_id()
        while jid in self.jobs:
            jid = new_job_id()
        job = Job(id=jid, kind="delete", table=req.table, target=req.target,
                  priority=int(priority),
                  options={"period": req.period_text, "date_column": req.date_column},
                  log_path=str(self._joblog(Job(id=jid, kind="delete")).text_path))
        self._queue(job, f"submitted: delete {req.period.label()} of {req.table} on "
                    f"{req.target} (date column {req.date_column})")
        self._schedule()
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.job(job_id)
        if job.final:
            raise InputError(f"job {job_id} is already {job.state}")
        rt = self.rt.get(job_id)
        if rt is None:
            self._move(job, CANCELLED, detail={"reason": "cancelled before it ran"})
        else:
            rt.cancel.set()
            rt.resume.set()
            self._joblog(job).write("warning", "cancel requested; stopping at the next chunk or "
                                    "poll", event="cancel")
            self.store.event(job.id, "cancel_requested")
        return job

    def retry(self, job_id: str) -> Job:
        job = self.job(job_id)
        if job.state not in (FAILED, CANCELLED):
            raise InputError(f"job {job_id} is {job.state}; only failed or cancelled jobs can be "
                             "retried")
        self._move(job, QUEUED, detail={"reason": "retry"})
        self._schedule()
        return job

    def pause(self, job_id: str) -> Job:
        job = self.job(job_id)
        rt = self.rt.get(job_id)
        if job.state == QUEUED:
            self._move(job, PAUSED, detail={"reason": "held before it started"})
        elif job.state == RUNNING and rt is not None:
            rt.pause = True
            rt.resume.clear()
            job.pause_requested = True
            self.store.save(job)
            self._send(job)
        elif job.state == PAUSED:
            pass
        else:
            raise InputError(f"job {job_id} is {job.state}; it cannot be paused")
        return job

    def resume(self, job_id: str) -> Job:
        job = self.job(job_id)
        rt = self.rt.get(job_id)
        if rt is not None:
            rt.pause = False
            job.pause_requested = False
            rt.resume.set()
            if job.state == RUNNING:  # the pause had not taken effect yet
                self.store.save(job)
                self._send(job)
        elif job.state == PAUSED:
            self._move(job, QUEUED, detail={"reason": "resumed"})
            self._schedule()
        else:
            raise InputError(f"job {job_id} is {job.state}; only paused jobs can be resumed")
        return job

    def set_priority(self, job_id: str, priority: int) -> Job:
        job = self.job(job_id)
        if job.final:
            raise InputError(f"job {job_id} is already {job.state}")
        job.priority = int(priority)
        job.updated = now_iso()
        self.store.save(job)
        self.store.event(job.id, "priority", {"priority": job.priority})
        self._send(job)
        self._schedule()
        return job

    # -- scheduling ----------------------------------------------------------------------------
    def _schedule(self) -> None:
        """Start queued jobs while the global and per-target limits allow."""
        if self.draining:
            return
        running = [self.jobs[jid] for jid in self.rt]
        per_target: dict[str | None, int] = {}
        for j in running:
            per_target[j.target] = per_target.get(j.target, 0) + 1
        queued = sorted((j for j in self.jobs.values() if j.state == QUEUED),
                        key=Job.sort_key)
        for job in queued:
            if len(running) >= self.settings.concurrency:
                break
            if per_target.get(job.target, 0) >= self.settings.per_target:
                continue
            running.append(job)
            per_target[job.target] = per_target.get(job.target, 0) + 1
            rt = Runtime(log=self._joblog(job))
            self.rt[job.id] = rt
            rt.task = asyncio.get_running_loop().create_task(self._run(job, rt))

    async def _run(self, job: Job, rt: Runtime) -> None:
        try:
            await self._run_inner(job, rt)
        except Exception as exc:  # never let one job take the engine down
            log.exception("job %s: internal error", job.id)
            with contextlib.suppress(Exception):
                if not job.final:
                    self._move(job, FAILED, error=f"internal engine error: {exc}")
        finally:
            self.rt.pop(job.id, None)
            self._check_stopped()
            self._schedule()

    async def _run_inner(self, job: Job, rt: Runtime) -> None:
        from snowetl_tui.config.registry import ConfigRegistry
        from snowetl_tui.load.pipeline import Loader, LoadOptions

        try:
            rt.log.open_check()
        except OSError as exc:
            job.recovered = False
            self._move(job, RUNNING)
            self._move(job, FAILED, error=f"cannot write the job log {rt.log.text_path}: "
                       f"{exc.strerror or exc}; free space in {self.ws.logs_dir} and retry")
            return
        self._move(job, RUNNING, detail={"attempt": job.attempt})
        loop = asyncio.get_running_loop()
        if job.kind == "delete":
            await self._run_delete(job, rt, loop)
            return

        def emit(kind: str, data: dict[str, Any]) -> None:
            # runs in the loader thread
            if kind == "step" or (kind == "progress" and data.get("step") == "read"):
                self._gate(job, rt, loop, kind, data)
            loop.call_soon_threadsafe(self._on_event, job, rt, kind, dict(data))

        opts = job.options
        chunk = opts.get("chunk_size") or self.settings.chunk_size_mb << 20
        try:
            registry = ConfigRegistry.load(self.ws)
            loader = Loader(self.ws, registry, executor=self.pool, emit=emit, cancel=rt.cancel)
            result = await asyncio.to_thread(loader.load, Path(job.file or ""), LoadOptions(
                replace=bool(opts.get("replace")), dry_run=job.kind == "validate",
                target=opts.get("target"), job_id=job.id, workers=self.settings.workers,
                chunk_size=int(chunk), part_bytes=opts.get("part_bytes")))
        except Drained:
            job.recovered = True
            self._move(job, QUEUED, detail={"reason": "engine stopping; resumes on next start"})
            return
        except SnowetlError as exc:
            cancelled = rt.cancel.is_set()
            job.result = {**(job.result or {}), **self._write_job_report(
                job, rt, {"file": job.file, "table": job.table, "target": job.target,
                          "state": "cancelled" if cancelled else "failed", "error": str(exc)},
                None)}
            self._move(job, CANCELLED if cancelled else FAILED, error=str(exc))
            return
        except Exception as exc:
            rt.log.write("error", "".join(traceback.format_exception(exc)))
            raise
        self._finish(job, rt, result)

    async def _run_delete(self, job: Job, rt: Runtime, loop: asyncio.AbstractEventLoop) -> None:
        from snowetl_tui.config.registry import ConfigRegistry
        from snowetl_tui.load.delete import resolve_delete, run_delete

        def emit(kind: str, data: dict[str, Any]) -> None:
            if kind == "step":
                self._gate(job, rt, loop, kind, data)
            loop.call_soon_threadsafe(self._on_event, job, rt, kind, dict(data))

        opts = job.options
        try:
            registry = ConfigRegistry.load(self.ws)
            req = resolve_delete(registry, job.table or "", str(opts.get("period")),
                                 job.target, opts.get("date_column"))
            data = await asyncio.to_thread(run_delete, self.ws, registry, req, job_id=job.id,
                                           cancel=rt.cancel, emit=emit)
        except Drained:
            job.recovered = True
            self._move(job, QUEUED, detail={"reason": "engine stopping; runs on next start"})
            return
        except SnowetlError as exc:
            self._move(job, CANCELLED if rt.cancel.is_set() else FAILED, error=str(exc))
            return
        job.result = data
        job.rows = int(data["rows_deleted"])
        job.recovered = False
        self._move(job, SUCCEEDED)

    def _finish(self, job: Job, rt: Runtime, result: Any) -> None:
        data = result.as_dict()
        report = data.pop("report", None)
        if report is not None:
            job.findings = [
                {"name": c["name"], "status": c["status"], "count": c["count"],
                 "message": c["message"]}
                for c in report.get("checks", []) if c.get("status") != "PASS"
            ]
            data["verdict"] = report.get("verdict")
            report_path = rt.log.text_path.with_suffix(".report.json")
            try:
                report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False),
                                       encoding="utf-8")
                data["report_path"] = str(report_path)
            except OSError as exc:
                rt.log.write("warning", f"cannot write the report {report_path}: {exc}")
        data.update(self._write_job_report(job, rt, data, report))
        job.result = data
        rows = data.get("rows_loaded") if job.kind == "load" else data.get("rows_validated")
        if rows is None:
            rows = data.get("rows_validated")
        if rows is not None:
            job.rows = int(rows)
        state = data["state"]
        if state in ("succeeded", "validated"):
            job.recovered = False
            self._move(job, SUCCEEDED)
        elif state == "cancelled" or rt.cancel.is_set():
            self._move(job, CANCELLED, error=data.get("error"))
        else:
            self._move(job, FAILED, error=data.get("error") or state)

    def _write_job_report(self, job: Job, rt: Runtime, data: dict[str, Any],
                          validation: dict[str, Any] | None) -> dict[str, str]:
        """``logs/reports/<id>.json`` + ``.html``; their paths go into the job's result.

        A report that cannot be written (permissions, full disk) is a warning in the job's
        log, never a failed job: the load itself is what the ledger records.
        """
        from snowetl_tui.report.job_report import write_job_reports

        try:
            files = write_job_reports(self.ws, job.to_dict(), data, validation,
                                      cancelled=rt.cancel.is_set())
        except Exception as exc:
            if not isinstance(exc, SnowetlError | OSError):
                log.exception("job report of %s", job.id)
            rt.log.write("warning", f"cannot write the job report: {exc}")
            return {}
        return {"report_json": str(files.json), "report_html": str(files.html)}

    # -- loader thread side --------------------------------------------------------------------
    def _gate(self, job: Job, rt: Runtime, loop: asyncio.AbstractEventLoop, kind: str,
              data: dict[str, Any]) -> None:
        """Runs in the loader thread at step and chunk boundaries: drain and pause live here."""
        step = data.get("step")
        if rt.drain and step in DRAIN_STEPS and not rt.cancel.is_set():
            raise Drained()
        if not rt.pause or rt.cancel.is_set():
            return
        loop.call_soon_threadsafe(self._paused, job, rt)
        while rt.pause and not rt.cancel.is_set() and not rt.drain:
            rt.resume.wait(0.2)
        if rt.drain and not rt.cancel.is_set():
            raise Drained()
        loop.call_soon_threadsafe(self._resumed, job)

    def _paused(self, job: Job, rt: Runtime) -> None:
        if job.state == RUNNING and rt.pause:
            job.pause_requested = False
            self._move(job, PAUSED, detail={"reason": f"paused at {job.step}"})

    def _resumed(self, job: Job) -> None:
        if job.state == PAUSED:
            self._move(job, RUNNING, detail={"reason": "resumed"})

    def _on_event(self, job: Job, rt: Runtime, kind: str, data: dict[str, Any]) -> None:
        """A loader event, now on the loop thread."""
        if job.state in FINAL_STATES:
            return
        if kind == "step":
            name = str(data.get("step"))
            job.enter_step(name)
            self.store.save(job)
            self.store.event(job.id, "step", {"step": name})
            self._joblog(job).write("info", f"step {name}", event="step", step=name)
            self._send(job)
        elif kind == "progress":
            job.record_progress(data)
            if self.metrics is not None and data.get("step") == "read":
                self.metrics.progress(job)
            now = time.monotonic()
            if now - rt.last_persist >= PERSIST_PROGRESS_S:
                rt.last_persist = now
                self.store.save(job)
            self._send_progress(job)
        elif kind == "log":
            level = str(data.pop("level", "info"))
            message = str(data.pop("message", ""))
            err = self._joblog(job).write(level, message, event="log", **data)
            if err:
                log.error("job %s: %s", job.id, err)
            if level in ("warning", "error"):
                self.store.event(job.id, "log", {"level": level, "message": message})
        elif kind == "report":
            self._joblog(job).write("info", f"validation verdict: {data.get('verdict')} "
                                    f"({data.get('rows', 0):,} rows)", event="report", **data)
            self.store.event(job.id, "report", data)
            job.result = {**(job.result or {}), "verdict": data.get("verdict")}
            self._send(job)
