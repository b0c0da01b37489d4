"""The ledger: what was loaded where, recorded before and after every step.

SQLite in WAL mode in the workspace's ``.snowetl/store.sqlite``. A load is a row in ``loads``
whose ``state`` moves planned → validated → staged → copy_submitted → copied → succeeded (or
failed / refused / cancelled); each transition is committed before the step that follows it
starts, so a crash always leaves a state from which the pipeline knows what is durable: the
parts already staged (``load_parts``), the COPY's query id (to re-attach instead of running it
twice). ``audit`` is the append-only trail of loads, replacements and deletes.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snowetl_tui.errors import SnowetlError

SCHEMA = """
CREATE TABLE IF NOT EXISTS loads (
    load_id        TEXT PRIMARY KEY,
    job_id         TEXT,
    file           TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    size           INTEGER NOT NULL,
    mtime_ns       INTEGER NOT NULL,
    quick_hash     TEXT NOT NULL,
    sha256         TEXT,
    target         TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    period_start   TEXT,
    period_end     TEXT,
    mode           TEXT NOT NULL,
    state          TEXT NOT NULL,
    rows_validated INTEGER,
    rows_parsed    INTEGER,
    rows_loaded    INTEGER,
    query_id       TEXT,
    error          TEXT,
    report_path    TEXT,
    user           TEXT NOT NULL,
    host           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    finished_at    TEXT
);
CREATE INDEX IF NOT EXISTS loads_by_table ON loads (target, table_name, state);
CREATE INDEX IF NOT EXISTS loads_by_hash ON loads (sha256);
CREATE TABLE IF NOT EXISTS load_parts (
    load_id  TEXT NOT NULL,
    part_no  INTEGER NOT NULL,
    name     TEXT NOT NULL,
    path     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    rows     INTEGER NOT NULL,
    state    TEXT NOT NULL,
    PRIMARY KEY (load_id, part_no)
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    host      TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    table_name TEXT,
    period    TEXT,
    rows      INTEGER,
    load_id   TEXT,
    detail    TEXT
);
"""

ACTIVE_STATES = ("planned", "validated", "staged", "copy_submitted", "copied")
FINAL_STATES = ("succeeded", "failed", "refused", "cancelled", "deleted")


class StoreError(SnowetlError):
    """The store cannot be opened or is corrupt; the message says how to get out."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id(prefix: str = "") -> str:
    """Unique and sortable: milliseconds since the epoch, then randomness."""
    return f"{prefix}{int(time.time() * 1000):013x}{uuid.uuid4().hex[:8]}"


def who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return user, socket.gethostname()


@dataclass
class LoadRecord:
    load_id: str
    job_id: str | None
    file: str
    file_name: str
    size: int
    mtime_ns: int
    quick_hash: str
    sha256: str | None
    target: str
    table_name: str
    period_start: str | None
    period_end: str | None
    mode: str
    state: str
    rows_validated: int | None
    rows_parsed: int | None
    rows_loaded: int | None
    query_id: str | None
    error: str | None
    report_path: str | None
    user: str
    host: str
    created_at: str
    updated_at: str
    finished_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class PartRecord:
    load_id: str
    part_no: int
    name: str
    path: str
    bytes: int
    rows: int
    state: str


class Ledger:
    """Access to the ledger tables; one short-lived SQLite connection per call site."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as con:
                con.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: the store is unreadable ({exc}); move it aside (e.g. "
                f"`mv {path} {path}.broken`) and run again — a new store starts empty, the "
                "data in your warehouse is not affected"
            ) from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.row_factory = sqlite3.Row
            yield con
        finally:
            con.close()

    # -- loads ---------------------------------------------------------------------------------
    def create_load(self, **values: Any) -> LoadRecord:
        user, host = who()
        stamp = now_iso()
        row = {
            "load_id": values.pop("load_id", None) or new_id("L"),
            "state": "planned",
            "user": user,
            "host": host,
            "created_at": stamp,
            "updated_at": stamp,
            **values,
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._connect() as con:
            con.execute(f"INSERT INTO loads ({cols}) VALUES ({marks})", list(row.values()))
        rec = self.get(row["load_id"])
        assert rec is not None
        return rec

    def update(self, load_id: str, **values: Any) -> None:
        """Write fields of a load durably (committed before returning)."""
        values["updated_at"] = now_iso()
        if values.get("state") in FINAL_STATES:
            values.setdefault("finished_at", values["updated_at"])
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._connect() as con:
            con.execute(f"UPDATE loads SET {sets} WHERE load_id = ?", [*values.values(), load_id])

    def get(self, load_id: str) -> LoadRecord | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM loads WHERE load_id = ?", [load_id]).fetchone()
        return LoadRecord(**dict(row)) if row else None

    def _find(self, where: str, args: list[Any]) -> list[LoadRecord]:
        with self._connect() as con:
            rows = con.execute(f"SELECT * FROM loads WHERE {where} ORDER BY created_at", args
                               ).fetchall()
        return [LoadRecord(**dict(r)) for r in rows]

    def unfinished(self, quick_hash: str, size: int, target: str, table: str) -> LoadRecord | None:
        """An interrupted load of the same file to the same table (to resume it)."""
        found = self._find(
            "quick_hash = ? AND size = ? AND target = ? AND table_name = ? AND state IN "
            f"({', '.join('?' * len(ACTIVE_STATES))})",
            [quick_hash, size, target, table, *ACTIVE_STATES],
        )
        return found[-1] if found else None

    def loaded_same_file(self, target: str, table: str, *, sha256: str | None = None,
                         quick_hash: str | None = None, size: int | None = None
                         ) -> LoadRecord | None:
        """A succeeded load of this content into this table."""
        if sha256 is not None:
            found = self._find("sha256 = ? AND target = ? AND table_name = ? AND state = ?",
                               [sha256, target, table, "succeeded"])
        else:
            found = self._find(
                "quick_hash = ? AND size = ? AND target = ? AND table_name = ? AND state = ?",
                [quick_hash, size, target, table, "succeeded"])
        return found[-1] if found else None

    def overlapping(self, target: str, table: str, start: str, end: str) -> list[LoadRecord]:
        """Succeeded loads of the table whose period overlaps ``start..end``."""
        return self._find(
            "target = ? AND table_name = ? AND state = 'succeeded' AND period_start <= ? AND "
            "period_end >= ?",
            [target, table, end, start],
        )

    def mark_period_deleted(self, target: str, table: str, start: str, end: str) -> int:
        with self._connect() as con:
            cur = con.execute(
                "UPDATE loads SET state = 'deleted', updated_at = ? WHERE target = ? AND "
                "table_name = ? AND state = 'succeeded' AND period_start >= ? AND period_end <= ?",
                [now_iso(), target, table, start, end],
            )
            return cur.rowcount

    def loads(self, *, states: tuple[str, ...] | None = None) -> list[LoadRecord]:
        if states:
            return self._find(f"state IN ({', '.join('?' * len(states))})", list(states))
        return self._find("1 = 1", [])

    # -- parts ---------------------------------------------------------------------------------
    def put_part(self, part: PartRecord) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO load_parts VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (load_id, part_no)"
                " DO UPDATE SET name = excluded.name, path = excluded.path, bytes = excluded.bytes,"
                " rows = excluded.rows, state = excluded.state",
                [part.load_id, part.part_no, part.name, part.path, part.bytes, part.rows,
                 part.state],
            )

    def parts(self, load_id: str) -> list[PartRecord]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM load_parts WHERE load_id = ? ORDER BY part_no",
                               [load_id]).fetchall()
        return [PartRecord(**dict(r)) for r in rows]

    # -- audit ---------------------------------------------------------------------------------
    def audit(self, action: str, *, target: str | None = None, table: str | None = None,
              period: str | None = None, rows: int | None = None, load_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        user, host = who()
        with self._connect() as con:
            con.execute(
                "INSERT INTO audit (at, user, host, action, target, table_name, period, rows, "
                "load_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [now_iso(), user, host, action, target, table, period, rows, load_id,
                 json.dumps(detail or {}, sort_keys=True)],
            )

    def audit_records(self) -> list[dict[str, Any]]:
        with self._connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id").fetchall()]
