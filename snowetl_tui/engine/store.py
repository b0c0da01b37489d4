"""The engine's durable state: ``jobs`` and ``job_events`` in the workspace's SQLite store.

The same ``.snowetl/store.sqlite`` holds the load ledger (``loads``, ``load_parts``, ``audit``,
owned by :mod:`snowetl_tui.load.ledger`); the engine only adds its own two tables, so a backup
of one file is a backup of everything. A job is stored as a JSON document plus the columns the
engine queries by; that keeps schema migrations rare as the job model grows. Every transition
is committed here *before* it is broadcast, so what a client saw is always what a restarted
engine finds.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from snowetl_tui.engine.model import ACTIVE_STATES, Job, now_iso
from snowetl_tui.load.ledger import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    state     TEXT NOT NULL,
    priority  INTEGER NOT NULL DEFAULT 0,
    created   TEXT NOT NULL,
    updated   TEXT NOT NULL,
    finished  TEXT,
    data      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS job_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT NOT NULL,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events (job_id, seq);
"""


def corrupt_message(path: Path, exc: BaseException) -> str:
    """The way out of a broken store, in one line."""
    return (
        f"{path}: the store is unreadable ({exc}); stop the engine, move the file aside "
        f"(`mv {path} {path}.broken`, and its -wal/-shm files) and run again — a new store "
        "starts empty; the data in your warehouse is not affected"
    )


class JobStore:
    """One connection owned by the engine's event-loop thread (short writes, WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")
            self.con.executescript(SCHEMA)
            self.con.execute("SELECT count(*) FROM jobs").fetchone()
            # a cheap integrity probe: a truncated or overwritten file fails here, at start,
            # instead of halfway through a job
            row = self.con.execute("PRAGMA quick_check").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(row[0] if row else "quick_check failed")
        except sqlite3.DatabaseError as exc:
            raise StoreError(corrupt_message(path, exc)) from None

    def close(self) -> None:
        self.con.close()

    # -- jobs ----------------------------------------------------------------------------------
    def save(self, job: Job) -> None:
        """Insert or replace the job; committed on return."""
        self.con.execute(
            "INSERT INTO jobs (id, kind, state, priority, created, updated, finished, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
            "priority=excluded.priority, updated=excluded.updated, finished=excluded.finished, "
            "data=excluded.data",
            (job.id, job.kind, job.state, job.priority, job.created, job.updated, job.finished,
             json.dumps(job.to_dict(), ensure_ascii=False)),
        )

    def get(self, job_id: str) -> Job | None:
        row = self.con.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_dict(json.loads(row[0])) if row else None

    def all(self) -> list[Job]:
        rows = self.con.execute("SELECT data FROM jobs ORDER BY id").fetchall()
        return [Job.from_dict(json.loads(r[0])) for r in rows]

    def active(self) -> list[Job]:
        marks = ", ".join("?" for _ in ACTIVE_STATES)
        rows = self.con.execute(f"SELECT data FROM jobs WHERE state IN ({marks}) ORDER BY id",
                                tuple(ACTIVE_STATES)).fetchall()
        return [Job.from_dict(json.loads(r[0])) for r in rows]

    # -- events --------------------------------------------------------------------------------
    def event(self, job_id: str, kind: str, data: dict[str, Any] | None = None) -> int:
        """Append to the job's durable history (state changes, steps, findings); returns seq."""
        cur = self.con.execute(
            "INSERT INTO job_events (job_id, at, kind, data) VALUES (?, ?, ?, ?)",
            (job_id, now_iso(), kind, json.dumps(data or {}, ensure_ascii=False, default=str)),
        )
        return int(cur.lastrowid or 0)

    def events(self, job_id: str) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT seq, at, kind, data FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,)
        ).fetchall()
        return [{"seq": s, "at": a, "kind": k, "data": json.loads(d)} for s, a, k, d in rows]

    def transition(self, job: Job, new_state: str, *, error: str | None = None,
                   detail: dict[str, Any] | None = None) -> None:
        """Move the job and commit job + event in one transaction (before any broadcast)."""
        old = job.state
        job.transition(new_state, error=error)
        self.con.execute("BEGIN IMMEDIATE")
        try:
            self.save(job)
            self.event(job.id, "state", {"from": old, "to": new_state, "error": error,
                                         **(detail or {})})
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
