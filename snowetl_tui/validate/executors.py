"""Where validation chunks run: a local process pool, threads, or a Dask cluster.

One box is enough for most files (the kernel runs at C speed on every core); when it is not,
the chunks go to an engine that already scales — a Dask ``distributed`` cluster — rather than to
a home-made one. The choice is a string, so the CLI (``--executor``) and the workspace settings
(``[engine] executor``) share one syntax:

* ``process`` (default) — a process pool sized to the cores (forkserver);
* ``thread`` — a thread pool (tests, debugging: everything in one process);
* ``dask://HOST:PORT`` — the scheduler of a Dask cluster, through ``Client.get_executor()``;
  needs the optional extra (``pip install 'snowetl-tui[dask]'``).

A remote worker reads its byte range of the file itself, exactly as a local one does, so the
file must be visible to the workers under the same path (a shared filesystem). That is checked
before the first chunk is sent — every worker stats the path and opens it, and size and mtime
must equal what the parent sees — and again in each task, so a worker that joins later or sees
another file fails with one line naming the path and the worker instead of a wrong report. What
workers *write* (duplicate-key spill files, compressed parts of a load) is shipped back to the
parent instead of being left on the worker's disk, so nothing else needs to be shared.

Nothing here imports ``distributed`` at module level: it is optional, and the engine computes
its settings without it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from snowetl_tui.errors import InputError

DEFAULT_EXECUTOR = "process"
#: How long to wait for a Dask scheduler to answer (and for its first worker) before giving up.
CONNECT_TIMEOUT = 10.0

_DASK = re.compile(r"^dask://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})/?$")


class ExecutorError(InputError):
    """The executor cannot be used as configured (unreachable scheduler, path not shared …)."""


@dataclass(frozen=True)
class ExecutorSpec:
    """A parsed executor string."""

    kind: Literal["process", "thread", "dask"]
    address: str | None = None  # ``tcp://host:port`` of a Dask scheduler

    @property
    def text(self) -> str:
        if self.kind == "dask" and self.address:
            return "dask://" + self.address.removeprefix("tcp://")
        return self.kind


def parse_executor_spec(text: str, *, where: str = "--executor") -> ExecutorSpec:
    """``process`` | ``thread`` | ``dask://HOST:PORT``; anything else is a one-line error."""
    value = text.strip() if isinstance(text, str) else text
    if value in ("process", "thread"):
        return ExecutorSpec(value)
    if isinstance(value, str) and (m := _DASK.match(value)):
        port = int(m["port"])
        if 1 <= port <= 65535:
            return ExecutorSpec("dask", f"tcp://{m['host']}:{port}")
    raise InputError(
        f"{where}: {text!r} is not an executor; use process, thread or dask://HOST:PORT "
        "(e.g. dask://scheduler.example.com:8786)"
    )


def make_executor(
    spec: str | ExecutorSpec,
    workers: int | None = None,
    *,
    connect: bool = True,
    timeout: float | None = None,
) -> Executor:
    """The executor a spec names. ``workers`` sizes local pools (a cluster sizes itself).

    ``connect=False`` defers the connection to a Dask scheduler until the first validation
    (the engine builds its pool on the event loop, which must not wait on the network; the
    error then fails the job with the same one line the CLI prints).
    """
    parsed = spec if isinstance(spec, ExecutorSpec) else parse_executor_spec(spec)
    if parsed.kind == "process":
        from snowetl_tui.validate.runner import default_executor

        return default_executor(workers)
    if parsed.kind == "thread":
        return ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                  thread_name_prefix="validate")
    assert parsed.address is not None
    pool = DaskExecutor(parsed.address, timeout=CONNECT_TIMEOUT if timeout is None else timeout)
    if connect:
        pool.connect()
    return pool


# -- the Dask executor ----------------------------------------------------------------------------
class DaskExecutor(Executor):
    """``distributed.Client(address).get_executor()`` with what a validation needs on top.

    ``remote`` tells the runner to ship chunks through :meth:`submit_chunk` and collect them
    with :meth:`collect` (worker outputs come back to the parent). ``_max_workers`` is the
    cluster's thread count, which the runner uses to size its in-flight window, as it does for
    a local pool.
    """

    remote = True

    def __init__(self, address: str, *, timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout
        self._client: Any = None
        self._executor: Any = None
        self._lock = threading.Lock()
        self._max_workers: int | None = None
        self._shutdown = False

    @property
    def label(self) -> str:
        return "dask://" + self.address.removeprefix("tcp://")

    def connect(self) -> DaskExecutor:
        """Connect once (thread-safe); one-line :class:`ExecutorError` when it cannot."""
        with self._lock:
            if self._shutdown:
                raise ExecutorError(f"{self.label}: the executor was shut down")
            if self._client is not None:
                return self
            try:
                from distributed import Client
            except ImportError:
                raise ExecutorError(
                    f"{self.label}: Dask is not installed; install the extra with "
                    "pip install 'snowetl-tui[dask]'"
                ) from None
            try:
                client = Client(self.address, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(
                    f"{self.label}: cannot reach the Dask scheduler ({_first_line(exc)}); "
                    "check that it runs and the host and port, or use --executor process"
                ) from None
            try:
                client.wait_for_workers(1, timeout=self.timeout)
                threads = sum(client.nthreads().values())
            except (OSError, TimeoutError) as exc:
                client.close()
                raise ExecutorError(
                    f"{self.label}: the Dask scheduler has no workers ({_first_line(exc)}); "
                    "start some with `dask worker " + self.address + "`"
                ) from None
            self._client = client
            self._executor = client.get_executor(pure=False)
            self._max_workers = max(1, threads)
        return self

    def prepare(self, path: Path, *, plain: bool) -> None:
        """Connect, and for a plain file make sure every worker sees the same file."""
        self.connect()
        if plain:
            self.check_path(path)

    def check_path(self, path: Path) -> None:
        """Each worker stats and opens ``path``; size and mtime must equal the parent's."""
        self.connect()
        target = os.path.abspath(path)
        mine = os.stat(target)
        answers = self._client.run(worker_stat, target, on_error="return")
        for worker, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                raise ExecutorError(
                    f"{target}: worker {worker} of {self.label} could not check the file "
                    f"({_first_line(answer)})"
                )
            problem = compare_stat(answer, mine.st_size, mine.st_mtime_ns)
            if problem:
                raise ExecutorError(not_visible_message(target, answer["host"], worker, problem,
                                                        self.label))

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.connect()
        return self._executor.submit(fn, *args, **kwargs)

    def submit_chunk(self, spec: Any, path: str, chunk: Any, want_spill: bool, rules: Any,
                     compress: Any, expect: tuple[int, int] | None) -> Future[Any]:
        """One chunk as a remote task. Shipped bytes (compressed input) are scattered to the
        cluster first, so they go straight to a worker instead of through the task graph."""
        self.connect()
        data: Any = None
        if chunk.data is not None:
            data = self._client.scatter(chunk.data, hash=False)
            chunk = replace(chunk, data=None)
        return self._executor.submit(remote_chunk, spec, path, chunk, data, want_spill, rules,
                                     compress, expect, self.label)

    def collect(self, fut: Future[Any], spill_dir: str | None, compress: Any) -> Any:
        """The chunk's outcome, with its spill file and compressed part landed locally."""
        try:
            shipped = fut.result()
        except InputError:
            raise
        except Exception as exc:
            raise ExecutorError(
                f"{self.label}: a chunk failed on the cluster: {type(exc).__name__}: "
                f"{_first_line(exc)}"
            ) from None
        return land(shipped, spill_dir, compress)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Release the client (the cluster itself keeps running: it is not ours)."""
        with self._lock:
            self._shutdown = True
            executor, client = self._executor, self._client
            self._executor = self._client = None
        if executor is not None:
            executor.shutdown(wait=wait and not cancel_futures)
        if client is not None:
            client.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- what runs on the workers ---------------------------------------------------------------------
def worker_stat(path: str) -> dict[str, Any]:
    """Run on a worker: how this machine sees ``path`` (never raises: the answer says why)."""
    out: dict[str, Any] = {"host": socket.gethostname()}
    try:
        st = os.stat(path)
        fd = os.open(path, os.O_RDONLY)
        os.close(fd)
    except OSError as exc:
        out["error"] = exc.strerror or str(exc)
        return out
    out["size"], out["mtime_ns"] = st.st_size, st.st_mtime_ns
    return out


def compare_stat(answer: dict[str, Any], size: int, mtime_ns: int) -> str | None:
    """Why a worker's view differs from the parent's, or ``None`` when it is the same file.

    mtimes may differ by less than a second: network filesystems keep coarser timestamps.
    """
    if "error" in answer:
        return str(answer["error"])
    if answer["size"] != size:
        return f"size {answer['size']:,} bytes there, {size:,} here"
    if abs(answer["mtime_ns"] - mtime_ns) >= 1_000_000_000:
        return "a different modification time there (another copy of the file?)"
    return None


def not_visible_message(path: str, host: str, worker: str, problem: str, label: str) -> str:
    return (
        f"{path}: not visible to the Dask workers: worker {worker} on {host}: {problem}; the "
        f"workers of {label} read the file themselves, so put it on a filesystem they share "
        "under the same path, or use --executor process"
    )


@dataclass
class ShippedChunk:
    """A remote chunk's outcome plus the bytes of what it wrote on the worker."""

    outcome: Any
    spill: bytes | None = None
    compressed: bytes | None = None


def remote_chunk(spec: Any, path: str, chunk: Any, data: bytes | None, want_spill: bool,
                 rules: Any, compress: Any, expect: tuple[int, int] | None,
                 label: str) -> ShippedChunk:
    """Run on a worker: :func:`process_chunk` in a private temporary directory, whose outputs
    are read back and returned, so the parent's spill and spool directories stay local."""
    from snowetl_tui.validate.worker import process_chunk

    if expect is not None:
        answer = worker_stat(path)
        problem = compare_stat(answer, *expect)
        if problem:
            raise ExecutorError(not_visible_message(path, answer["host"], _worker_address(),
                                                    problem, label))
    if data is not None:
        chunk = replace(chunk, data=data)
    tmp = tempfile.mkdtemp(prefix="snowetl-chunk-")
    try:
        local = replace(compress, out_dir=tmp) if compress is not None else None
        out = process_chunk(spec, path, chunk, tmp if want_spill else None, rules, local)
        shipped = ShippedChunk(out)
        if out.spill_file:
            shipped.spill = Path(out.spill_file).read_bytes()
        if out.compressed_file:
            shipped.compressed = Path(out.compressed_file).read_bytes()
        return shipped
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "?"


def land(shipped: ShippedChunk, spill_dir: str | None, compress: Any) -> Any:
    """Write a remote chunk's spill file and compressed part where a local worker would have."""
    out = shipped.outcome
    if shipped.spill is not None and out.spill_file and spill_dir is not None:
        target = os.path.join(spill_dir, os.path.basename(out.spill_file))
        Path(target).write_bytes(shipped.spill)
        out.spill_file = target
    if shipped.compressed is not None and out.compressed_file and compress is not None:
        target = os.path.join(compress.out_dir, os.path.basename(out.compressed_file))
        partial = target + ".partial"
        with open(partial, "wb") as fh:
            fh.write(shipped.compressed)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, target)
        out.compressed_file = target
    return out
