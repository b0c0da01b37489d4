"""Per-job logs (``logs/jobs/<id>.log`` for people, ``.jsonl`` for machines) and retention.

Each event is written to both files at once, so ``grep`` on the text log and ``jq`` on the JSON
log see the same history. Messages pass through :func:`redact` first: loader messages may quote
a connection error, and a connection error may quote a DSN — no secret may reach a log file.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

from snowetl_tui.engine.model import now_iso
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.engine")

_SECRET = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|private_key_passphrase|passphrase|api_key|"
    r"authorization)(\s*[=:]\s*|\"\s*:\s*\")([^\s\"',;&]+)"
)
_URL_CREDS = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)")


def redact(text: str) -> str:
    """Mask values of secret-looking keys and passwords embedded in URLs."""
    text = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _URL_CREDS.sub(lambda m: f"{m.group(1)}***{m.group(3)}", text)


def jobs_log_dir(ws: Workspace) -> Path:
    return ws.logs_dir / "jobs"


def job_log_paths(ws: Workspace, job_id: str) -> tuple[Path, Path]:
    base = jobs_log_dir(ws) / job_id
    return base.with_suffix(".log"), base.with_suffix(".jsonl")


class JobLog:
    """Appends to one job's two log files; a write error is kept, not raised, after the first.

    A full disk must not kill the engine's event loop: the first failure is returned to the
    caller (which records it on the job and in the engine log), later ones are dropped.
    """

    def __init__(self, ws: Workspace, job_id: str) -> None:
        self.text_path, self.json_path = job_log_paths(ws, job_id)
        self.broken: str | None = None
        self._dir_ready = False

    def open_check(self) -> None:
        """Create the files now so a full disk or a read-only logs/ fails the job at its start."""
        self.text_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.text_path, "a", encoding="utf-8"), open(self.json_path, "a",
                                                               encoding="utf-8"):
            pass
        self._dir_ready = True
        self.broken = None  # space was freed since an earlier failure: log again

    def write(self, level: str, message: str, **data: Any) -> str | None:
        """Append one event; returns an error message the first time writing fails."""
        if self.broken:
            return None
        stamp = now_iso()
        message = redact(message)
        lines = [f"{stamp} {level.upper():<7} {line}" for line in message.splitlines() or [""]]
        record = {"at": stamp, "level": level.lower(), "message": message, **data}
        try:
            if not self._dir_ready:
                self.text_path.parent.mkdir(parents=True, exist_ok=True)
                self._dir_ready = True
            with open(self.text_path, "a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
            with open(self.json_path, "a", encoding="utf-8") as fh:
                fh.write(redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        except OSError as exc:
            self.broken = f"cannot write the job log {self.text_path}: {exc.strerror or exc}"
            return self.broken
        return None


def apply_retention(ws: Workspace, *, days: float, total_mb: float, keep: set[str]) -> list[Path]:
    """Delete job logs older than ``days``, then the oldest until they fit in ``total_mb``.

    Logs of jobs in ``keep`` (not finished) are never deleted. Returns the removed files.
    """
    root = jobs_log_dir(ws)
    if not root.is_dir():
        return []
    entries: list[tuple[float, int, Path]] = []
    for p in root.iterdir():
        if not p.is_file() or p.stem in keep:
            continue
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        entries.append((st.st_mtime, st.st_size, p))
    entries.sort()
    removed: list[Path] = []
    cutoff = time.time() - days * 86400 if days > 0 else None
    total = sum(size for _, size, _ in entries)
    limit = total_mb * 1e6 if total_mb > 0 else None
    for mtime, size, p in entries:
        too_old = cutoff is not None and mtime < cutoff
        too_big = limit is not None and total > limit
        if not (too_old or too_big):
            continue
        try:
            p.unlink()
        except OSError as exc:
            log.warning("retention: cannot remove %s: %s", p, exc)
            continue
        total -= size
        removed.append(p)
    return removed
