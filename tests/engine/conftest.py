"""Fixtures of the engine tests: demo workspaces, a CLI in a subprocess, daemon cleanup."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.engine.paths import engine_lock_held, read_pid
from snowetl_tui.workspace import Workspace

FACT = "FACT_LENDING_BENCHMARK"
JAN = "data/factLendingBenchmark_20240101-20240131.tsv"
FEB = "data/factLendingBenchmark_20240201-20240229.tsv"


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eng-small") / "ws"
    create_demo_workspace(root, size_mb=0.3, seed=5)
    return root


@pytest.fixture(scope="session")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that a read with 20 KB chunks lasts a few seconds (to act during it)."""
    root = tmp_path_factory.mktemp("eng-big") / "ws"
    create_demo_workspace(root, size_mb=12, seed=5)
    return root


def _kill_engine(root: Path) -> None:
    ws = Workspace(root)
    if engine_lock_held(ws):
        pid = read_pid(ws)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while engine_lock_held(ws) and time.monotonic() < deadline:
            time.sleep(0.05)


def _copy(template: Path, tmp_path: Path) -> Iterator[Path]:
    dst = tmp_path / "ws"
    shutil.copytree(template, dst)
    try:
        yield dst
    finally:
        _kill_engine(dst)  # never leave a daemon behind


@pytest.fixture
def demo(small_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield from _copy(small_template, tmp_path)


@pytest.fixture
def big(big_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield from _copy(big_template, tmp_path)


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SNOWETL_FAULT", None)
    return env


@pytest.fixture
def sub() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``snowetl-tui -w WS ARGS`` in its own process."""

    def run(ws: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "snowetl_tui", "-w", str(ws), *args],
                              capture_output=True, text=True, timeout=timeout,
                              env=env or clean_env())

    return run


def jobs_json(sub: Callable[..., Any], ws: Path) -> list[dict[str, Any]]:
    res = sub(ws, "jobs", "--all", "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def wait_for(pred: Callable[[], Any], timeout: float = 30, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


def data_rows(path: Path) -> int:
    return path.read_bytes().count(b"\n") - 1


def table_rows(ws: Path, table: str = FACT) -> int:
    db = ws / ".snowetl" / "local.duckdb"
    if not db.exists():
        return 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("select count(*) from information_schema.tables where table_name = ?",
                        [table]).fetchone()[0]
        return con.execute(f"select count(*) from {table}").fetchone()[0] if n else 0
    finally:
        con.close()


def duplicate_keys(ws: Path) -> int:
    con = duckdb.connect(str(ws / ".snowetl" / "local.duckdb"), read_only=True)
    try:
        return con.execute(f"select count(*) from (select BUSINESS_DATE, LOAN_ID from {FACT} "
                           "group by all having count(*) > 1)").fetchone()[0]
    finally:
        con.close()
