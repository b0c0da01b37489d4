"""The job model and its state machine.

A job is the engine's unit of work (load a file, validate a file, delete a period). Its state
moves only along :data:`TRANSITIONS`, so every client can rely on a small, closed vocabulary
(the TUI colours states, cron scripts branch on them) and the store never holds an impossible
history. The dataclass is plain data: it crosses the socket as JSON and sits in SQLite as JSON,
which keeps old stores readable when fields are added (unknown keys are ignored, missing ones
take defaults).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from snowetl_tui.errors import SnowetlError

QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
SUCCEEDED, FAILED, CANCELLED = "succeeded", "failed", "cancelled"
STATES = (QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED)
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})
ACTIVE_STATES = frozenset({QUEUED, RUNNING, PAUSED})
KINDS = ("load", "validate", "delete")

#: Every allowed move. ``running → queued`` is the engine handing a job back (drain on SIGTERM,
#: recovery after a crash); ``paused → queued`` is resuming a job that was held before it ever
#: started; ``failed|cancelled → queued`` is a retry. A succeeded job is final: loading the same
#: file again is a new submission (and the ledger refuses it unless it replaces the period).
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, PAUSED, CANCELLED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLED, PAUSED, QUEUED}),
    PAUSED: frozenset({RUNNING, QUEUED, CANCELLED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset({QUEUED}),
    CANCELLED: frozenset({QUEUED}),
}

#: Share of a load's total work per step, for one 0–1 progress figure. Reading (validate +
#: compress + stage) dominates; the weights only need to make the bar move monotonically.
STEP_WEIGHTS: dict[str, float] = {
    "plan": 0.02, "connect": 0.01, "read": 0.80, "stage": 0.0, "decide": 0.01, "copy": 0.12,
    "reconcile": 0.03, "cleanup": 0.01,
}
STEP_ORDER = ("plan", "connect", "read", "stage", "decide", "copy", "reconcile", "cleanup")


_last_ms = 0
_id_lock = threading.Lock()


class InvalidTransition(SnowetlError):
    """A command asked for a move the state machine forbids (e.g. pause a finished job)."""


def new_job_id() -> str:
    """``J`` + milliseconds since the epoch (hex, fixed width) + randomness.

    Sortable by creation time as plain strings and unique across processes without a
    counter — the previous tool's second-resolution ids collided when two jobs started at once.
    """
    global _last_ms
    with _id_lock:
        # strictly increasing within a process, so FIFO holds for jobs submitted in one batch
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        ms = _last_ms
    return f"J{ms:011x}{uuid.uuid4().hex[:6]}"


def now_iso() -> str:
    """UTC timestamps everywhere: operators on different hosts compare them."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StepProgress:
    """Where one step stands. ``total`` is 0 when the step has no measurable size."""

    bytes: int = 0
    total: int = 0
    rows: int = 0
    parts: int = 0
    started: str | None = None
    finished: str | None = None
    elapsed: float = 0.0

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        return min(1.0, self.bytes / self.total) if self.total else 0.0


@dataclass
class Job:
    """One unit of work and everything a client shows about it."""

    id: str
    kind: str
    file: str | None = None
    table: str | None = None
    target: str | None = None
    state: str = QUEUED
    step: str | None = None
    priority: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepProgress] = field(default_factory=dict)
    rows: int = 0
    bytes: int = 0
    total_bytes: int = 0
    rate_bytes: float = 0.0
    eta_seconds: float | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    log_path: str | None = None
    attempt: int = 1
    recovered: bool = False
    pause_requested: bool = False
    created: str = field(default_factory=now_iso)
    started: str | None = None
    finished: str | None = None
    updated: str = field(default_factory=now_iso)

    # -- state machine -------------------------------------------------------------------------
    def can(self, new_state: str) -> bool:
        return new_state in TRANSITIONS[self.state]

    def transition(self, new_state: str, *, error: str | None = None) -> None:
        """Move to ``new_state`` or raise :class:`InvalidTransition` naming both states."""
        if new_state not in STATES:
            raise InvalidTransition(f"unknown job state {new_state!r}")
        if not self.can(new_state):
            raise InvalidTransition(
                f"job {self.id} is {self.state}; it cannot become {new_state}"
            )
        stamp = now_iso()
        if new_state == RUNNING and self.started is None:
            self.started = stamp
        if new_state in FINAL_STATES:
            self.finished = stamp
            self.pause_requested = False
            if self.step and self.step in self.steps and not self.steps[self.step].finished:
                self.steps[self.step].finished = stamp
        if new_state == QUEUED and self.state in (FAILED, CANCELLED):
            self._reset_for_retry()
        if error is not None:
            self.error = error
        self.state = new_state
        self.updated = stamp

    def _reset_for_retry(self) -> None:
        self.attempt += 1
        self.error = None
        self.result = None
        self.findings = []
        self.step = None
        self.steps = {}
        self.rows = self.bytes = self.total_bytes = 0
        self.rate_bytes, self.eta_seconds = 0.0, None
        self.started = self.finished = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    # -- progress ------------------------------------------------------------------------------
    def enter_step(self, name: str) -> None:
        """Start step ``name``; the previous step is finished at the same instant."""
        stamp = now_iso()
        if self.step and self.step in self.steps and not self.steps[self.step].finished:
            self.steps[self.step].finished = stamp
        self.step = name
        self.steps[name] = StepProgress(started=stamp)
        self.updated = stamp

    def record_progress(self, data: dict[str, Any]) -> None:
        """Fold one loader progress event into the step and the job's totals, rates and ETA."""
        name = data.get("step") or self.step or "read"
        sp = self.steps.setdefault(name, StepProgress(started=now_iso()))
        for key in ("bytes", "total", "rows", "parts"):
            if isinstance(data.get(key), int):
                setattr(sp, key, data[key])
        if isinstance(data.get("elapsed"), int | float):
            sp.elapsed = float(data["elapsed"])
        if name == "read":
            self.rows, self.bytes, self.total_bytes = sp.rows, sp.bytes, sp.total
            if sp.elapsed > 0:
                self.rate_bytes = sp.bytes / sp.elapsed
                left = max(sp.total - sp.bytes, 0)
                self.eta_seconds = round(left / self.rate_bytes, 1) if self.rate_bytes else None
        self.updated = now_iso()

    @property
    def progress(self) -> float:
        """One 0–1 figure over all steps (1.0 only once succeeded)."""
        if self.state == SUCCEEDED:
            return 1.0
        done = 0.0
        for name in STEP_ORDER:
            sp = self.steps.get(name)
            if sp is None:
                continue
            done += STEP_WEIGHTS.get(name, 0.0) * sp.fraction
        return round(min(done, 0.99), 4)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The wire and storage form; ``progress`` is derived, included for clients."""
        out = asdict(self)
        out["progress"] = self.progress
        out["file_name"] = os.path.basename(self.file) if self.file else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        """Tolerant of added/removed fields so a newer or older store still loads."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["steps"] = {
            k: StepProgress(**{sk: sv for sk, sv in v.items()
                               if sk in StepProgress.__dataclass_fields__})
            for k, v in (data.get("steps") or {}).items()
        }
        return cls(**values)

    def sort_key(self) -> tuple[int, int, str]:
        """Scheduling order: recovered jobs first, then higher priority, then FIFO (id)."""
        return (0 if self.recovered else 1, -self.priority, self.id)
