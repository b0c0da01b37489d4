"""The engine process: ``python -m snowetl_tui.engine.daemon --workspace DIR``.

Started on demand by a client in its own session (so a dropped SSH connection does not reach
it), with stdio on ``logs/engine.log``. One engine per workspace: the pid file is locked with
``flock`` for the engine's whole life — the lock, not the pid, says whether an engine is alive,
because a SIGKILLed engine leaves its files behind but never its lock. SIGHUP is ignored;
SIGTERM (or SIGINT in a terminal) drains; a second one cancels running jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import sys
import time

from snowetl_tui.engine.paths import EngineSettings, socket_path
from snowetl_tui.errors import SnowetlError
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.engine")
EXIT_ALREADY_RUNNING = 3
STARTUP_FAILED_MARK = "engine cannot start:"


class AlreadyRunning(SnowetlError):
    exit_code = EXIT_ALREADY_RUNNING


class _UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        t = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(record.msecs):03d}Z"


def setup_logging() -> None:
    """Engine log lines look like job log lines: ``<UTC time> LEVEL message``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_UTCFormatter("%(asctime)s %(levelname)-7s [%(process)d] %(message)s"))
    root = logging.getLogger("snowetl_tui")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def acquire_lock(ws: Workspace, wait: float = 2.0) -> int:
    """Lock the pid file (retrying briefly: a client may be probing it) and write our pid."""
    ws.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(ws.pid_path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            if time.monotonic() >= deadline:
                other = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                raise AlreadyRunning(
                    f"an engine is already running for {ws.root} (pid {other or '?'})"
                ) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    os.fsync(fd)
    return fd


async def serve(ws: Workspace) -> None:
    """Run the engine and its socket until drained or shut down."""
    from snowetl_tui.engine.scheduler import Engine
    from snowetl_tui.engine.server import Server

    settings = EngineSettings.load(ws)
    engine = Engine(ws, settings)
    server = Server(engine, socket_path(ws))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, engine.request_stop)
    try:
        await engine.start()
        await server.start()
        log.info("engine %d serving %s on %s (concurrency %d, per target %d)", os.getpid(),
                 ws.root, server.path, settings.concurrency, settings.per_target)
        await engine.stopped.wait()
        log.info("engine stopping")
    finally:
        await server.close()
        await engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="snowetl_tui.engine.daemon",
                                     description="The snowetl-tui job engine of one workspace.")
    parser.add_argument("--workspace", required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    setup_logging()
    fd: int | None = None
    try:
        ws = Workspace.resolve(args.workspace).ensure()
        fd = acquire_lock(ws)
        asyncio.run(serve(ws))
        log.info("engine %d stopped", os.getpid())
        return 0
    except SnowetlError as exc:
        # clients read this line from engine.log to explain why the engine did not come up
        log.error("%s %s", STARTUP_FAILED_MARK, str(exc).replace("\n", "; "))
        return exc.exit_code
    except OSError as exc:
        log.error("%s %s", STARTUP_FAILED_MARK, exc)
        return 2
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(Workspace.resolve(args.workspace).pid_path)
            os.close(fd)


if __name__ == "__main__":
    sys.exit(main())
