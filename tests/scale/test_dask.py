"""Validation through a Dask cluster: a ``distributed.LocalCluster`` of 2 worker processes.

The cluster's report must equal the local pool's exactly (timing fields aside) for every demo
file — plain, gzip-compressed, quoted CSV — with chunks small enough that every file is split
across both workers. Also: the load's compressed parts, progress and cancel, the CLI and the
workspace setting, and the bad input (unreachable scheduler, file not visible to the workers).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.data.compression import open_stream
from snowetl_tui.engine.paths import EngineSettings
from snowetl_tui.errors import InputError
from snowetl_tui.validate import executors
from snowetl_tui.validate.executors import (
    DaskExecutor,
    ExecutorError,
    make_executor,
    parse_executor_spec,
    remote_chunk,
)
from snowetl_tui.validate.runner import ValidationCancelled, plan_file, validate_file
from snowetl_tui.validate.worker import CompressSpec
from snowetl_tui.workspace import Workspace
from tests.scale.conftest import JAN, MAY, ORDERS, strip_timing
from tests.warehouse.conftest import free_port

distributed = pytest.importorskip("distributed")

CHUNK = 64 << 10


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """``dask://127.0.0.1:PORT`` of a 2-process LocalCluster (one thread each)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as lc:
        yield "dask://" + lc.scheduler_address.removeprefix("tcp://")


@pytest.fixture
def dask_pool(cluster: str) -> Iterator[DaskExecutor]:
    pool = make_executor(cluster)
    assert isinstance(pool, DaskExecutor)
    yield pool
    pool.shutdown()


def plans(ws: Path) -> list[Any]:
    registry = ConfigRegistry.load(Workspace.resolve(str(ws)))
    out = []
    for path in sorted((ws / "data").iterdir()):
        m = registry.match(path)
        out.append(plan_file(path, m.entry, m.period, m.config_display))
    return out


def test_cluster_report_equals_the_local_pool_exactly(scale_template, dask_pool, tmp_path):
    local = make_executor("process", 2)
    try:
        for plan in plans(scale_template):
            seen: list[Any] = []
            remote = validate_file(plan, executor=dask_pool, chunk_size=CHUNK,
                                   spill_root=tmp_path / "spill", progress=seen.append)
            here = validate_file(plan, executor=local, chunk_size=CHUNK,
                                 spill_root=tmp_path / "spill")
            assert strip_timing(remote.as_dict()) == strip_timing(here.as_dict()), plan.path
            # really spread over the cluster: several chunks, progress reported as locally
            assert seen and seen[-1].chunks_done >= 2, plan.path
            assert seen[-1].bytes_done == seen[-1].bytes_total
    finally:
        local.shutdown()
    assert dask_pool._max_workers == 2
    # the spill files came back to this host and were cleaned up with the rest
    assert not any((tmp_path / "spill").iterdir())


def test_compressed_parts_come_back_from_the_workers(scale_template, dask_pool, tmp_path):
    """The load's single read on the cluster: each worker compresses its chunk; the parts land
    in the local spool and decompress to exactly the file's data."""
    plan = next(p for p in plans(scale_template) if p.path.name == JAN)
    out = tmp_path / "spool"
    out.mkdir()
    parts: list[Any] = []
    validate_file(plan, executor=dask_pool, chunk_size=CHUNK,
                  compress=CompressSpec("zstd", 1, str(out)), on_chunk=parts.append)
    assert len(parts) >= 4
    data = b""
    for outcome in parts:
        assert Path(outcome.compressed_file).parent == out
        with open_stream(Path(outcome.compressed_file), "zstd") as fh:
            data += fh.read()
    assert data == plan.path.read_bytes()[plan.fmt.data_start:]
    assert not list(out.glob("*.partial"))


def test_progress_and_cancel_through_the_cluster(scale_template, dask_pool):
    plan = next(p for p in plans(scale_template) if p.path.name == MAY)  # gzip: bytes shipped
    cancel = threading.Event()
    ticks: list[Any] = []

    def progress(p: Any) -> None:
        ticks.append(p)
        cancel.set()

    with pytest.raises(ValidationCancelled):
        validate_file(plan, executor=dask_pool, chunk_size=8 << 10, progress=progress,
                      cancel=cancel)
    assert ticks
    # the executor is still usable after a cancelled validation
    report = validate_file(plan, executor=dask_pool, chunk_size=CHUNK)
    assert report.rows > 0


def test_cli_through_the_cluster_and_the_setting(scale_ws, cluster, run_cli):
    files = [str(scale_ws / "data" / n) for n in (JAN, MAY, ORDERS)]
    local = run_cli("-w", str(scale_ws), "validate", *files, "--chunk-size", "64KB", "--json")
    remote = run_cli("-w", str(scale_ws), "validate", *files, "--chunk-size", "64KB", "--json",
                     "--executor", cluster)
    assert local.code == remote.code == 1  # January carries an anomaly
    assert [strip_timing(r) for r in remote.json()] == [strip_timing(r) for r in local.json()]
    # [engine] executor in snowetl.toml is the default of the command (and of the engine)
    (scale_ws / "snowetl.toml").write_text(f'[engine]\nexecutor = "{cluster}"\n')
    assert EngineSettings.load(Workspace.resolve(str(scale_ws))).executor == cluster
    setting = run_cli("-w", str(scale_ws), "validate", *files, "--chunk-size", "64KB", "--json")
    assert [strip_timing(r) for r in setting.json()] == [strip_timing(r) for r in local.json()]


def test_unreachable_scheduler_is_one_line(scale_ws, run_cli, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 0.5)
    port = free_port()
    res = run_cli("-w", str(scale_ws), "validate", str(scale_ws / "data" / JAN),
                  "--executor", f"dask://127.0.0.1:{port}")
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        f"snowetl-tui: error: dask://127.0.0.1:{port}: cannot reach the Dask scheduler "
        f"(Timed out trying to connect to tcp://127.0.0.1:{port} after 0.5 s); check that it "
        "runs and the host and port, or use --executor process"]
    assert res.out == ""


def test_file_not_visible_to_the_workers_is_one_line(scale_ws, cluster, dask_pool, run_cli,
                                                     monkeypatch, tmp_path):
    """The parent names the file through its own working directory (``/proc/self/cwd``); the
    workers, in another directory, do not see it — as on a box without the shared mount."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = dask_pool._client
    before = client.run(os.getcwd)
    client.run(os.chdir, str(elsewhere))
    try:
        monkeypatch.chdir(scale_ws / "data")
        path = f"/proc/self/cwd/{JAN}"
        res = run_cli("-w", str(scale_ws), "validate", path, "--executor", cluster)
        assert res.code == 2
        [line] = res.err.strip().splitlines()
        assert line.startswith(f"snowetl-tui: error: {path}: not visible to the Dask workers: "
                               "worker tcp://127.0.0.1:")
        assert "No such file or directory; the workers of dask://" in line
        assert line.endswith("read the file themselves, so put it on a filesystem they share "
                             "under the same path, or use --executor process")
        # a file that exists there but is not the same file is refused too
        (elsewhere / JAN).write_bytes(b"other content\n")
        res = run_cli("-w", str(scale_ws), "validate", path, "--executor", cluster)
        assert res.code == 2
        assert "bytes there" in res.err and "Traceback" not in res.err
    finally:
        for addr, cwd in before.items():
            client.run(os.chdir, cwd, workers=[addr])


def test_each_task_checks_the_file_again(scale_template):
    """A worker that joins later (never asked up front) still refuses a file it sees
    differently, instead of validating other bytes."""
    plan = next(p for p in plans(scale_template) if p.path.name == JAN)
    from snowetl_tui.data.chunks import Chunk

    st = plan.path.stat()
    with pytest.raises(ExecutorError, match=r"not visible to the Dask workers: .*size "):
        remote_chunk(plan.spec, str(plan.path), Chunk(0, plan.fmt.data_start, 100), None,
                     False, (), None, (st.st_size + 1, st.st_mtime_ns), "dask://x:1")
    shipped = remote_chunk(plan.spec, str(plan.path), Chunk(0, plan.fmt.data_start,
                                                            st.st_size - plan.fmt.data_start),
                           None, True, (), None, (st.st_size, st.st_mtime_ns), "dask://x:1")
    assert shipped.outcome.result.rows > 0 and shipped.spill  # the key hashes travel back


def test_executor_specs():
    assert parse_executor_spec("process").kind == "process"
    assert parse_executor_spec(" thread ").kind == "thread"
    spec = parse_executor_spec("dask://scheduler.example.com:8786")
    assert (spec.kind, spec.address, spec.text) == (
        "dask", "tcp://scheduler.example.com:8786", "dask://scheduler.example.com:8786")
    assert parse_executor_spec("dask://[::1]:8786").address == "tcp://[::1]:8786"
    for bad in ("processes", "dask://host", "dask://host:0", "dask://host:70000",
                "tcp://host:8786", "dask://ho st:1", ""):
        with pytest.raises(InputError, match="is not an executor"):
            parse_executor_spec(bad)
    pool = make_executor("thread", 3)
    assert isinstance(pool, ThreadPoolExecutor) and pool._max_workers == 3
    pool.shutdown()
    lazy = make_executor("dask://127.0.0.1:1", connect=False)  # the engine's: no network yet
    assert isinstance(lazy, DaskExecutor) and lazy._client is None
    lazy.shutdown()


def test_engine_setting_is_validated(tmp_path):
    ws = Workspace.resolve(str(tmp_path))
    assert EngineSettings.load(ws).executor == "process"
    ws.settings_path.write_text('[engine]\nexecutor = "dask://10.0.0.5:8786"\nworkers = 2\n')
    assert EngineSettings.load(ws).executor == "dask://10.0.0.5:8786"
    for value, message in (('"dask:/x"', "engine.executor: 'dask:/x' is not an executor"),
                           ("4", "engine.executor: expected a string")):
        ws.settings_path.write_text(f"[engine]\nexecutor = {value}\n")
        with pytest.raises(InputError, match=message):
            EngineSettings.load(ws)


def test_engine_builds_its_pool_from_the_setting(tmp_path):
    from snowetl_tui.engine.scheduler import Engine

    ws = Workspace.resolve(str(tmp_path))
    engine = Engine(ws, EngineSettings(executor="thread", workers=2))
    try:
        assert isinstance(engine.pool, ThreadPoolExecutor)
    finally:
        engine.pool.shutdown()
        engine.store.close()
    engine = Engine(ws, EngineSettings(executor="dask://127.0.0.1:1"))
    try:
        assert isinstance(engine.pool, DaskExecutor)  # connected in the job's thread, later
        assert engine.pool._client is None
    finally:
        engine.pool.shutdown()
        engine.store.close()
