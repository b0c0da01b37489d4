"""End to end: the real ``snowetl-tui`` in tmux (a real PTY), against the real engine.

1. Open the app on a demo workspace, queue a load with keys in the Files view, and watch it
   reach ``succeeded`` in the Jobs view.
2. Queue a large load, kill the tmux session mid-load (the app dies of SIGHUP as over a dropped
   SSH link), start the app in a new session: the job is still there, running or done, and ends
   with the right row count — the engine never depended on the app.

Each test runs its own tmux server (``-L``) with ``escape-time 0`` so keys arrive as typed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

EXE = str(Path(sys.executable).with_name("snowetl-tui"))


class Tmux:
    """One private tmux server with one session running the app."""

    def __init__(self, name: str) -> None:
        self.sock = f"snowetl-e2e-{os.getpid()}-{name}"

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, check=False).stdout

    def start(self, command: str, width: int = 120, height: int = 40) -> None:
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "app", "-x", str(width),
                 "-y", str(height), command)
        self.run("set-option", "-g", "escape-time", "0")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", "app", key)
            time.sleep(0.05)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app")

    def wait_for(self, cond: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if cond(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def kill(self) -> None:
        self.run("kill-server")


def cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "-w", str(ws), *args], capture_output=True, text=True,
                          timeout=300, check=False)


def app_command(ws: Path, path: Path) -> str:
    env = "env TERM=xterm-256color COLORTERM=truecolor TEXTUAL_ANIMATIONS=none"
    return f"{env} {EXE} -w {ws} {path}"


@pytest.fixture
def demo_ws(tmp_path: Path):
    ws = tmp_path / "ws"
    out = cli(ws, "demo", "--size-mb", "2")
    assert out.returncode == 0, out.stderr
    yield ws
    cli(ws, "engine", "stop")


@pytest.fixture
def tmux(request: pytest.FixtureRequest):
    t = Tmux(request.node.name[-20:])
    yield t
    t.kill()


def jobs(ws: Path) -> list[dict]:
    out = cli(ws, "jobs", "--all", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_queue_a_load_with_keys_and_see_it_succeed(demo_ws: Path, tmux: Tmux):
    data = demo_ws / "data"
    tmux.start(app_command(demo_ws, data))
    tmux.wait_for(lambda s: "engine pid" in s and "orders_2024-06.csv" in s,
                  "the Files view listing the demo data with the engine connected")
    # the orders extract is clean: find it with the filter, queue it with L and the dialog
    tmux.keys("/")
    tmux.run("send-keys", "-t", "app", "-l", "orders_2024")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "orders_2024-06.csv" in s and "factLending" not in s,
                  "the filter to keep only the orders file")
    tmux.keys("L")
    tmux.wait_for(lambda s: "Queue" in s and "riority" in s, "the queue options dialog")
    tmux.keys("Enter")
    tmux.keys("2")
    screen = tmux.wait_for(lambda s: "succeeded" in s and "orders_2024-06.csv" in s,
                           "the load to reach succeeded in the Jobs view", timeout=120)
    assert "failed" not in screen.split("orders_2024-06.csv")[1].splitlines()[0]
    [job] = [j for j in jobs(demo_ws) if (j["file"] or "").endswith("/orders_2024-06.csv")]
    assert job["state"] == "succeeded" and job["kind"] == "load"
    assert job["result"]["rows_loaded"] == 3000


def test_job_survives_the_session_and_the_app_reattaches(demo_ws: Path, tmux: Tmux,
                                                         tmp_path: Path):
    from snowetl_tui.demo import write_fact_file
    from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES

    big_dir = tmp_path / "big"
    big_dir.mkdir()
    big = big_dir / "factLendingBenchmark_20240101-20240131.tsv"
    rows_per_day = int(400e6 / AVG_FACT_ROW_BYTES / 21)  # ~400 MB: several seconds to load
    truth = write_fact_file(big, date(2024, 1, 1), date(2024, 1, 31),
                            rows_per_day=rows_per_day, seed=3)
    tmux.start(app_command(demo_ws, big_dir))
    tmux.wait_for(lambda s: "engine pid" in s and big.name in s, "the app on the big file")
    tmux.keys("L")
    tmux.wait_for(lambda s: "riority" in s, "the queue options dialog")
    tmux.keys("Enter")
    tmux.keys("2")
    tmux.wait_for(lambda s: "running" in s, "the load to run")
    engine_pid = json.loads(cli(demo_ws, "engine", "status", "--json").stdout)["pid"]
    tmux.run("kill-session", "-t", "app")  # the terminal goes away mid-load
    [job] = [j for j in jobs(demo_ws) if j["file"] == str(big)]
    assert job["state"] in ("running", "succeeded"), job["state"]
    os.kill(engine_pid, 0)  # still alive
    tmux.start(app_command(demo_ws, big_dir))
    tmux.wait_for(lambda s: "engine pid" in s, "the new app to re-attach")
    tmux.keys("2")
    screen = tmux.wait_for(lambda s: big.name in s and ("running" in s or "succeeded" in s),
                           "the job shown running or done in the new session")
    assert f"pid {engine_pid}" in screen
    screen = tmux.wait_for(lambda s: "succeeded" in s, "the job to finish", timeout=300)
    [job] = [j for j in jobs(demo_ws) if j["file"] == str(big)]
    assert job["state"] == "succeeded"
    assert job["result"]["rows_loaded"] == truth.rows
    assert f"{truth.rows:,}" in screen or str(truth.rows) in screen
