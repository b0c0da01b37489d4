"""Where the engine of a workspace lives (socket, pid file) and its settings.

Kept free of heavy imports: every client computes these before it decides whether to start an
engine, and ``engine status`` must answer in milliseconds.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace

#: ``sun_path`` is 108 bytes on Linux (104 on macOS); keep a margin for the terminating NUL.
MAX_SOCKET_PATH = 100


def socket_path(ws: Workspace) -> Path:
    """``.snowetl/engine.sock``, or a short per-user path under /tmp when that is too long.

    The fallback name is a hash of the workspace root, so every client of the same workspace
    derives the same path without asking anyone; the directory is private (0700).
    """
    path = ws.socket_path
    if len(os.fsencode(str(path))) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(str(ws.root))).hexdigest()[:16]
    base = Path("/tmp") / f"snowetl-{os.getuid()}"
    return base / f"{digest}.sock"


def prepare_socket_dir(path: Path) -> None:
    """Create the socket's directory private to the user; refuse a foreign or open one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.parent.stat()
    if path.parent.name.startswith("snowetl-") and (st.st_uid != os.getuid() or
                                                    st.st_mode & 0o077):
        raise InputError(f"{path.parent} is not private to this user; remove it and try again")


def engine_lock_held(ws: Workspace) -> bool:
    """Whether a live engine holds the pid file's lock — the only reliable liveness test.

    A pid can be reused by another program after a crash and a socket file survives its
    process; an ``flock`` dies with its holder, even if the holder was SIGKILLed.
    """
    try:
        fd = os.open(ws.pid_path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def read_pid(ws: Workspace) -> int | None:
    try:
        text = ws.pid_path.read_text().strip()
    except (FileNotFoundError, OSError):
        return None
    return int(text) if text.isdigit() else None


def clean_stale(ws: Workspace) -> list[str]:
    """Remove the pid file and socket of an engine that is gone; returns what was removed."""
    if engine_lock_held(ws):
        return []
    removed = []
    for p in (ws.pid_path, socket_path(ws)):
        try:
            p.unlink()
            removed.append(str(p))
        except FileNotFoundError:
            pass
    return removed


def settings_section(ws: Workspace, name: str) -> dict[str, Any]:
    """One ``[name]`` table of the workspace's ``snowetl.toml`` (empty when absent).

    ``[engine]``, ``[notify]`` and ``[metrics]`` are read by different modules; each validates
    its own keys, and a file that does not parse is reported the same way by all of them.
    """
    path = ws.settings_path
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read settings: {exc}") from None
    section: Any = data.get(name, {})
    if not isinstance(section, dict):
        raise InputError(f"{path}: [{name}] must be a table")
    return section


@dataclass
class EngineSettings:
    """``[engine]`` of the workspace's ``snowetl.toml``; defaults suit a 2-core box.

    One job at a time by default: DuckDB has one writer and most loads are bound by the disk
    and the network, so parallel jobs mostly fight each other.
    """

    concurrency: int = 1
    per_target: int = 1
    workers: int | None = None
    log_retention_days: float = 30.0
    log_retention_mb: float = 500.0
    chunk_size_mb: int = 64
    #: where validation chunks run: process | thread | dask://HOST:PORT (validate.executors)
    executor: str = "process"

    @classmethod
    def load(cls, ws: Workspace) -> EngineSettings:
        path = ws.settings_path
        section = settings_section(ws, "engine")
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in section.items():
            if key not in known:
                raise InputError(f"{path}: engine.{key}: unknown setting; known: "
                                 f"{', '.join(known)}")
            if key == "executor":
                # parsed here so a typo stops the engine at start, not at the first job; the
                # parser imports nothing heavy (Dask is only imported on connect)
                from snowetl_tui.validate.executors import parse_executor_spec

                if not isinstance(value, str):
                    raise InputError(f"{path}: engine.executor: expected a string such as "
                                     f"\"process\" or \"dask://HOST:PORT\", got {value!r}")
                values[key] = parse_executor_spec(value, where=f"{path}: engine.executor").text
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise InputError(f"{path}: engine.{key}: expected a non-negative number, "
                                 f"got {value!r}")
            values[key] = value
        s = cls(**values)
        if s.concurrency < 1 or s.per_target < 1:
            raise InputError(f"{path}: engine.concurrency and engine.per_target must be ≥ 1")
        return s
