"""Benchmark: is the app responsive? Time to first frame and the longest event-loop stall.

Measures, on this machine, in one run:

* ``first frame`` — ``snowetl-tui`` started in a real PTY (tmux, 120×40) on a demo workspace,
  from the command to the first screen showing the engine connected (includes Python start-up,
  imports and autostarting the engine on the first run; a second start re-attaches to it);
* ``stall during load`` — the app (headless, in-process, real engine) while a ≥ 2 GB file is
  loaded into the local target and the Jobs view shows it: a 10 ms heartbeat timer in the app
  records the longest gap between ticks (the event loop's worst stall) and how many engine
  updates were rendered;
* the log-search stall is measured by ``benchmarks/bench_log_view.py`` (1 GB log).

Targets (issue #6): first frame < 1 s, stall < 100 ms. Run:
    python benchmarks/bench_tui.py --size-gb 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def make_workspace(base: Path, size_gb: float) -> Path:
    from bench_load import clean_file

    from snowetl_tui.demo import demo_config

    src = clean_file(base, size_gb)
    ws = base / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "configs").mkdir(parents=True)
    (ws / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    (ws / "data").mkdir()
    os.link(src, ws / "data" / src.name)
    return ws


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "snowetl-bench", *args], capture_output=True,
                          text=True, check=False).stdout


def first_frame(ws: Path) -> tuple[float, float]:
    """Seconds from launching the app in a PTY to its first frame (the view bar drawn), and
    to a screen showing the engine connected."""
    exe = shutil.which("snowetl-tui") or f"{sys.executable} -m snowetl_tui"
    tmux("kill-server")
    t0 = time.perf_counter()
    tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "40",
         f"env TEXTUAL_ANIMATIONS=none {exe} -w {ws} {ws / 'data'}")
    frame: float | None = None
    try:
        while time.perf_counter() - t0 < 30:
            screen = tmux("capture-pane", "-p", "-t", "b")
            if frame is None and "1 Files" in screen:
                frame = time.perf_counter() - t0
            if "engine pid" in screen:
                return frame or time.perf_counter() - t0, time.perf_counter() - t0
            time.sleep(0.005)
        raise RuntimeError("the app did not show a connected engine within 30 s:\n"
                           + tmux("capture-pane", "-p", "-t", "b"))
    finally:
        tmux("send-keys", "-t", "b", "q")
        time.sleep(0.5)
        tmux("kill-server")


async def stall_during_load(ws: Path) -> dict[str, Any]:
    from snowetl_tui.tui.app import make_app
    from snowetl_tui.workspace import Workspace

    app = make_app(Workspace(ws), ws / "data", watch_tty=False)
    gaps: list[float] = []
    renders = 0
    last = time.perf_counter()

    def beat() -> None:
        nonlocal last
        now = time.perf_counter()
        gaps.append(now - last)
        last = now

    original_flush = app.flush_state

    def counting_flush() -> None:
        nonlocal renders
        renders += 1
        original_flush()

    app.flush_state = counting_flush  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.engine_state.connected:
            await pilot.pause(0.05)
        await pilot.press("2")
        file = next((ws / "data").iterdir())
        [job] = await app.engine_request("submit", files=[str(file)], kind="load")
        app.set_interval(0.01, beat)
        t0 = time.perf_counter()
        last = t0
        while app.engine_state.jobs.get(job["id"], {}).get("state") not in (
                "succeeded", "failed", "cancelled"):
            await pilot.pause(0.1)
        seconds = time.perf_counter() - t0
        final = app.engine_state.jobs[job["id"]]
        await app.engine_request("shutdown")
    gaps.sort()
    return {"state": final["state"], "rows": final.get("rows"), "seconds": round(seconds, 1),
            "mb_s": round(file.stat().st_size / 1e6 / seconds, 1),
            "ticks": len(gaps), "renders": renders,
            "stall_max_ms": round(gaps[-1] * 1000, 1) if gaps else None,
            "stall_p99_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1) if gaps else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-gb", type=float, default=2.0)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "snowetl-bench")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    ws = make_workspace(args.dir, args.size_gb)
    subprocess.run([sys.executable, "-m", "snowetl_tui", "-w", str(ws), "engine", "stop"],
                   capture_output=True, check=False)
    cold = first_frame(ws)   # autostarts the engine
    warm = first_frame(ws)   # re-attaches to it
    print(f"first frame: cold {cold[0]:.2f} s (engine autostarted, connected at {cold[1]:.2f} s);"
          f" warm {warm[0]:.2f} s (re-attached, connected at {warm[1]:.2f} s)")
    out = asyncio.run(stall_during_load(ws))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load of {args.size_gb:g} GB while the Jobs view is shown: {out['state']}, "
          f"{out['rows']:,} rows in {out['seconds']} s ({out['mb_s']} MB/s)")
    print(f"event loop: {out['ticks']} heartbeats, {out['renders']} renders of engine updates, "
          f"longest stall {out['stall_max_ms']} ms (p99 {out['stall_p99_ms']} ms); "
          f"app peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
