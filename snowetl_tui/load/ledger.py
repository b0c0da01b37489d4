"""The ledger: what was loaded where, recorded before and after every step.

SQLite in WAL mode in the workspace's ``.snowetl/store.sqlite``. A load is a row in ``loads``
whose ``state`` moves planned → validated → staged → copy_submitted → copied → succeeded (or
failed / refused / cancelled); each transition is committed before the step that follows it
starts, so a crash always leaves a state from which the pipeline knows what is durable: the
parts already staged (``load_parts``), the COPY's query id (to re-attach instead of running it
twice).

``audit`` is the append-only trail of loads, replacements, deletes and cancels: who (user,
host), when, in which workspace, which file (path and content fingerprint), which target and
table, how many rows, which warehouse query ids. It is a hash chain: each record stores the
SHA-256 of its own content together with the hash of the record before it (``prev_hash``), so
editing, removing or reordering a record breaks the chain at that record and
:meth:`Ledger.verify_audit` names it. Rows written before the chain existed (older stores) are
sealed as found, in id order, the first time this version opens the store. What a chain alone
cannot show is the removal of the newest records; ``verify_audit`` therefore also checks that
every load the ledger holds as succeeded has its audit record, and prints the head hash, which
an operator can keep elsewhere to compare later.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
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

#: Columns the hash chain added to ``audit`` (older stores get them by ALTER TABLE).
AUDIT_CHAIN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("workspace", "TEXT"),
    ("job_id", "TEXT"),
    ("file", "TEXT"),
    ("fingerprint", "TEXT"),
    ("query_ids", "TEXT"),
    ("chain_version", "INTEGER"),
    ("prev_hash", "TEXT"),
    ("hash", "TEXT"),
)
#: What a record's hash covers, in this order (everything but the hash itself).
AUDIT_HASHED = ("id", "at", "user", "host", "action", "workspace", "target", "table_name",
                "period", "rows", "load_id", "job_id", "file", "fingerprint", "query_ids",
                "detail", "chain_version", "prev_hash")
CHAIN_VERSION = 1
GENESIS = "0" * 64

ACTIVE_STATES = ("planned", "validated", "staged", "copy_submitted", "copied")
FINAL_STATES = ("succeeded", "unreconciled", "failed", "refused", "cancelled", "deleted")
#: Loads whose rows are in the table: ``unreconciled`` = the COPY committed but the checks after
#: it failed. Both count as "loaded" for refusing a second load of the same file or period, so
#: re-running a load that failed after its COPY can never put the rows in twice.
HOLDING_STATES = ("succeeded", "unreconciled")


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
                _migrate_audit(con)
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
        """A load of this content whose rows are in this table (succeeded or unreconciled)."""
        holding = "state IN ('succeeded', 'unreconciled')"
        if sha256 is not None:
            found = self._find(f"sha256 = ? AND target = ? AND table_name = ? AND {holding}",
                               [sha256, target, table])
        else:
            found = self._find(
                f"quick_hash = ? AND size = ? AND target = ? AND table_name = ? AND {holding}",
                [quick_hash, size, target, table])
        return found[-1] if found else None

    def overlapping(self, target: str, table: str, start: str, end: str) -> list[LoadRecord]:
        """Loads holding rows of the table whose period overlaps ``start..end``."""
        return self._find(
            "target = ? AND table_name = ? AND state IN ('succeeded', 'unreconciled') AND "
            "period_start <= ? AND "
            "period_end >= ?",
            [target, table, end, start],
        )

    def mark_period_deleted(self, target: str, table: str, start: str, end: str) -> int:
        with self._connect() as con:
            cur = con.execute(
                "UPDATE loads SET state = 'deleted', updated_at = ? WHERE target = ? AND "
                "table_name = ? AND state IN ('succeeded', 'unreconciled') AND "
                "period_start >= ? AND period_end <= ?",
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
    @property
    def workspace(self) -> str:
        """The workspace this store belongs to (``<workspace>/.snowetl/store.sqlite``)."""
        path = self.path.resolve()
        return str(path.parent.parent if path.parent.name == ".snowetl" else path.parent)

    def audit(self, action: str, *, target: str | None = None, table: str | None = None,
              period: str | None = None, rows: int | None = None, load_id: str | None = None,
              detail: dict[str, Any] | None = None, job_id: str | None = None,
              file: str | None = None, fingerprint: str | None = None,
              query_ids: Iterable[str] | None = None) -> int:
        """Append one sealed record; returns its id.

        What the caller does not pass is taken from the load (``load_id``) and from ``detail``
        (``file``, ``sha256``, ``query_id``, ``job_id``), so every call site records the file's
        fingerprint and the query ids without repeating the ledger's bookkeeping. The insert,
        the read of the previous hash and the sealing are one ``BEGIN IMMEDIATE`` transaction:
        two processes appending at once (engine and a foreground command) cannot both chain
        onto the same record.
        """
        user, host = who()
        info = dict(detail or {})
        rec = self.get(load_id) if load_id else None
        if job_id is None:
            job_id = (rec.job_id if rec else None) or _str_or_none(info.get("job_id"))
        if file is None:
            file = _str_or_none(info.get("file")) or (rec.file if rec else None)
        if fingerprint is None:
            fingerprint = file_fingerprint(
                sha256=_str_or_none(info.get("sha256")) or (rec.sha256 if rec else None),
                size=rec.size if rec else None, quick_hash=rec.quick_hash if rec else None)
        ids = [q for q in [*(query_ids or ()), _str_or_none(info.get("query_id")),
                           rec.query_id if rec else None] if q]
        values = {
            "at": now_iso(), "user": user, "host": host, "action": action,
            "workspace": self.workspace, "target": target, "table_name": table,
            "period": period, "rows": rows, "load_id": load_id, "job_id": job_id, "file": file,
            "fingerprint": fingerprint,
            "query_ids": json.dumps(list(dict.fromkeys(ids))) if ids else None,
            "detail": json.dumps(info, sort_keys=True, default=str),
            "chain_version": CHAIN_VERSION,
        }
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                _seal_unsealed(con)  # rows an older version appended meanwhile come first
                cur = con.execute(f"INSERT INTO audit ({cols}) VALUES ({marks})",
                                  list(values.values()))
                row_id = int(cur.lastrowid or 0)
                _seal(con, row_id, _head(con, before=row_id))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return row_id

    def audit_records(self) -> list[dict[str, Any]]:
        with self._connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id").fetchall()]

    def iter_audit(self, *, since: str | None = None, table: str | None = None
                   ) -> Iterator[dict[str, Any]]:
        """Audit records in order, streamed (the trail grows without bound)."""
        where, args = ["1 = 1"], []
        if since:
            where.append("at >= ?")
            args.append(since)
        if table:
            where.append("UPPER(table_name) = UPPER(?)")
            args.append(table)
        with self._connect() as con:
            cur = con.execute(f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id",
                              args)
            for row in cur:
                yield dict(row)

    def audit_count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def verify_audit(self, max_problems: int = 20) -> AuditVerification:
        """Recompute the chain from the first record; name every record that breaks it."""
        out = AuditVerification()
        expected = GENESIS
        with self._connect() as con:
            for row in con.execute("SELECT * FROM audit ORDER BY id"):
                rec = dict(row)
                out.records += 1
                name = describe_audit_record(rec)
                stored = rec.get("hash")
                problem = None
                if rec.get("chain_version") != CHAIN_VERSION:
                    problem = (f"{name}: unknown chain version {rec.get('chain_version')!r} "
                               "(written by another tool, or the column was edited)")
                elif rec.get("prev_hash") != expected:
                    problem = (f"{name} does not follow "
                               + ("the start of the trail" if expected == GENESIS
                                  else f"record #{out.last_id}")
                               + ": a record before it was removed, inserted or edited")
                elif record_hash(rec) != stored:
                    problem = (f"{name} was altered after it was written (its content no "
                               "longer matches its hash)")
                if problem is not None:
                    out.add(problem, max_problems)
                expected = stored or ""
                out.last_id = int(rec["id"])
                out.head = stored
            missing = con.execute(
                "SELECT load_id, table_name, period_start, period_end FROM loads WHERE "
                "state = 'succeeded' AND load_id NOT IN (SELECT load_id FROM audit WHERE "
                "load_id IS NOT NULL AND action IN ('load', 'replace')) ORDER BY created_at"
            ).fetchall()
        for m in missing:
            out.add(f"load {m['load_id']} of {m['table_name']} ({m['period_start']}.."
                    f"{m['period_end']}) succeeded but has no audit record: the newest "
                    "records were removed, or the process died between the load's commit and "
                    "its audit record", max_problems)
        return out


@dataclass
class AuditVerification:
    """The outcome of :meth:`Ledger.verify_audit`."""

    records: int = 0
    head: str | None = None
    last_id: int = 0
    problems: list[str] = field(default_factory=list)
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str, cap: int) -> None:
        if len(self.problems) < cap:
            self.problems.append(problem)
        else:
            self.more += 1


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def file_fingerprint(*, sha256: str | None, size: int | None = None,
                     quick_hash: str | None = None) -> str | None:
    """The content's identity: SHA-256 when known, else size + hash of head and tail."""
    if sha256:
        return f"sha256:{sha256}"
    if quick_hash:
        return f"size:{size}:head-tail-sha256:{quick_hash}"
    return None


def record_hash(rec: dict[str, Any]) -> str:
    """SHA-256 of a record's hashed fields (canonical JSON: sorted keys, no spaces)."""
    payload = json.dumps({k: rec.get(k) for k in AUDIT_HASHED}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def describe_audit_record(rec: dict[str, Any]) -> str:
    """``audit record #3 (2024-05-01T10:00:00, load of T 2024-01, by ann@box)``."""
    what = str(rec.get("action") or "?")
    if rec.get("table_name"):
        what += f" of {rec['table_name']}"
    if rec.get("period"):
        what += f" {rec['period']}"
    return (f"audit record #{rec.get('id')} ({str(rec.get('at') or '?')[:19]}, {what}, by "
            f"{rec.get('user')}@{rec.get('host')})")


def _head(con: sqlite3.Connection, before: int | None = None) -> str:
    """Hash of the last sealed record (before id ``before``), or GENESIS."""
    if before is None:
        row = con.execute("SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC "
                          "LIMIT 1").fetchone()
    else:
        row = con.execute("SELECT hash FROM audit WHERE hash IS NOT NULL AND id < ? ORDER BY "
                          "id DESC LIMIT 1", [before]).fetchone()
    return str(row[0]) if row else GENESIS


def _seal(con: sqlite3.Connection, row_id: int, prev: str) -> str:
    con.execute("UPDATE audit SET chain_version = COALESCE(chain_version, ?), prev_hash = ? "
                "WHERE id = ?", [CHAIN_VERSION, prev, row_id])
    row = con.execute("SELECT * FROM audit WHERE id = ?", [row_id]).fetchone()
    digest = record_hash(dict(row))
    con.execute("UPDATE audit SET hash = ? WHERE id = ?", [digest, row_id])
    return digest


def _seal_unsealed(con: sqlite3.Connection) -> int:
    """Chain rows without a hash (written before the chain, or by an older version)."""
    ids = [int(r[0]) for r in con.execute("SELECT id FROM audit WHERE hash IS NULL ORDER BY id")]
    if not ids:
        return 0
    prev = _head(con, before=ids[0])
    for row_id in ids:
        prev = _seal(con, row_id, prev)
    return len(ids)


def _migrate_audit(con: sqlite3.Connection) -> None:
    """Add the chain's columns to an older ``audit`` table and seal its rows, once.

    Checked without a lock first (the common case: nothing to do); the change itself runs
    under ``BEGIN IMMEDIATE`` and re-checks, so two processes opening an old store at the same
    moment migrate it once. Existing rows keep their content; they are only chained.
    """
    def todo() -> tuple[list[tuple[str, str]], bool]:
        have = {r[1] for r in con.execute("PRAGMA table_info(audit)")}
        missing = [(n, t) for n, t in AUDIT_CHAIN_COLUMNS if n not in have]
        unsealed = not missing and con.execute(
            "SELECT 1 FROM audit WHERE hash IS NULL LIMIT 1").fetchone() is not None
        return missing, unsealed

    missing, unsealed = todo()
    if not missing and not unsealed:
        con.execute("CREATE INDEX IF NOT EXISTS audit_unsealed ON audit (id) WHERE hash IS NULL")
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        missing, _ = todo()
        for name, decl in missing:
            con.execute(f"ALTER TABLE audit ADD COLUMN {name} {decl}")
        con.execute("CREATE INDEX IF NOT EXISTS audit_unsealed ON audit (id) WHERE hash IS NULL")
        _seal_unsealed(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
