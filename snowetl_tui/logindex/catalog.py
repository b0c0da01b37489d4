"""Which logs exist: the engine log and one text log per job, newest first.

The job list comes from the engine's job dicts (no disk access, so the Logs view can build its
picker instantly); :func:`orphan_job_logs` adds logs on disk whose job the engine no longer
lists, and is meant for a worker thread because ``logs/jobs`` can hold thousands of files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowetl_tui.workspace import Workspace

ENGINE = "engine"


@dataclass(frozen=True)
class LogEntry:
    """One log the viewer can open: the engine's (``job_id`` None) or a job's."""

    job_id: str | None
    path: Path
    state: str | None = None  # the job's state when known
    name: str = ""  # the job's file name (or table), "" for the engine log

    @property
    def key(self) -> str:
        return self.job_id or ENGINE


def job_log_path(ws: Workspace, job_id: str, job: Mapping[str, Any] | None = None) -> Path:
    """Where a job's text log is: the engine's ``log_path`` when it said so, else the
    default ``logs/jobs/<id>.log`` (same rule as ``snowetl-tui logs``)."""
    given = (job or {}).get("log_path")
    return Path(given) if given else ws.logs_dir / "jobs" / f"{job_id}.log"


def engine_entry(ws: Workspace) -> LogEntry:
    return LogEntry(None, ws.engine_log_path, None, "")


def job_entry(ws: Workspace, job_id: str, job: Mapping[str, Any] | None = None) -> LogEntry:
    job = job or {}
    name = job.get("file_name") or job.get("table") or ""
    return LogEntry(job_id, job_log_path(ws, job_id, job), job.get("state"), str(name))


def log_entries(ws: Workspace, jobs: Mapping[str, Mapping[str, Any]]) -> list[LogEntry]:
    """The engine log, then every known job's log, newest job first (ids sort by creation)."""
    ordered = sorted(jobs, reverse=True)
    return [engine_entry(ws), *(job_entry(ws, job_id, jobs[job_id]) for job_id in ordered)]


def default_entry(ws: Workspace, jobs: Mapping[str, Mapping[str, Any]]) -> LogEntry:
    """What the Logs view shows when asked for nothing in particular: the newest job that
    has started (a queued job has no log yet), else the engine log."""
    for job_id in sorted(jobs, reverse=True):
        if jobs[job_id].get("state") != "queued":
            return job_entry(ws, job_id, jobs[job_id])
    return engine_entry(ws)


def orphan_job_logs(ws: Workspace, known: Iterable[str]) -> list[LogEntry]:
    """Job logs on disk that no known job points to, most recently written first."""
    skip = set(known)
    root = ws.logs_dir / "jobs"
    found: list[tuple[float, LogEntry]] = []
    try:
        with os.scandir(root) as it:
            for entry in it:
                if not entry.name.endswith(".log"):
                    continue
                job_id = entry.name[:-4]
                if job_id in skip:
                    continue
                try:
                    if not entry.is_file():
                        continue
                    mtime = entry.stat().st_mtime
                except OSError:
                    continue
                found.append((mtime, LogEntry(job_id, Path(entry.path), None, "")))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found.sort(key=lambda item: (item[0], item[1].key), reverse=True)
    return [entry for _, entry in found]
