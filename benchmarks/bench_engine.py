"""Benchmark of the job engine: many small jobs at once, and command latency under load.

Prints, measured in one run against a real engine daemon in a temporary demo workspace:

* 50 small load jobs (one orders CSV per month) submitted in one ``submit`` call: time to
  accept them, time until all are finished, jobs per second, all succeeded or not;
* while one large load runs (a fact TSV of ``--size-mb``): the latency of ``jobs --json`` as a
  separate CLI process (what cron sees; includes Python start-up) and of one ``list`` request
  over an already open socket (what the TUI sees) — median, p95 and max;
* the same two latencies with the engine idle, as the baseline measured in the same run.

Usage::

    python benchmarks/bench_engine.py [--size-mb 300] [--jobs 50] [--keep DIR]

Figures only: nothing is asserted (DESIGN §8.6).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from snowetl_tui.client.socket_client import EngineClient, call, start_engine, wait_engine_gone
from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.demo.generator import write_fact_file, write_orders_file
from snowetl_tui.workspace import Workspace

FINAL = ("succeeded", "failed", "cancelled")


def _stats(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
            f"max {ms[-1]:.1f} ms")


def cli_latency(ws: Path, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "snowetl_tui", "-w", str(ws), "jobs",
                              "--json"], capture_output=True, text=True, timeout=60)
        out.append(time.perf_counter() - t0)
        if res.returncode != 0:
            raise SystemExit(f"jobs --json failed: {res.stderr}")
    return out


async def socket_latency(ws: Workspace, n: int, pause: float = 0.05) -> list[float]:
    out = []
    async with EngineClient(ws) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            await client.request("list")
            out.append(time.perf_counter() - t0)
            await asyncio.sleep(pause)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=300.0, help="size of the large load")
    ap.add_argument("--jobs", type=int, default=50, help="number of small jobs")
    ap.add_argument("--keep", help="use (and keep) this directory instead of a temporary one")
    args = ap.parse_args()

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-engine-"))
    ws_dir = root / "ws"
    ws = Workspace(ws_dir)
    try:
        print(f"workspace {ws_dir}")
        create_demo_workspace(ws_dir, size_mb=0.3, seed=3)
        small = []
        for i in range(args.jobs):
            month = date(2010 + i // 12, 1 + i % 12, 1)
            p = ws_dir / "data" / f"orders_{month:%Y-%m}.csv"
            write_orders_file(p, month, rows=2000, seed=i)
            small.append(str(p))
        t0 = time.perf_counter()
        big = ws_dir / "data" / "factLendingBenchmark_20230101-20230131.tsv"
        days = 22
        rows_per_day = max(20, int(args.size_mb * 1e6 / 330 / days))
        write_fact_file(big, date(2023, 1, 1), date(2023, 1, 31), rows_per_day=rows_per_day,
                        seed=3)
        print(f"large file {big.stat().st_size / 1e6:.0f} MB generated in "
              f"{time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        start_engine(ws)
        print(f"engine start: {(time.perf_counter() - t0) * 1000:.0f} ms")
        idle_cli = cli_latency(ws_dir, 5)
        idle_sock = asyncio.run(socket_latency(ws, 20))

        # -- 50 small jobs at once -------------------------------------------------------------
        t0 = time.perf_counter()
        jobs = call(ws, "submit", files=small)
        accepted = time.perf_counter() - t0
        ids = {j["id"] for j in jobs}
        while True:
            listed = [j for j in call(ws, "list") if j["id"] in ids]
            if all(j["state"] in FINAL for j in listed):
                break
            time.sleep(0.1)
        took = time.perf_counter() - t0
        ok = sum(j["state"] == "succeeded" for j in listed)
        rows = sum(j["rows"] for j in listed)
        print(f"{len(ids)} small jobs: accepted in {accepted * 1000:.0f} ms, all finished in "
              f"{took:.1f} s ({len(ids) / took:.1f} jobs/s), {ok}/{len(ids)} succeeded, "
              f"{rows:,} rows")

        # -- latency while a large load runs ---------------------------------------------------
        [job] = call(ws, "submit", files=[str(big)])
        while call(ws, "get", job=job["id"])["step"] != "read":
            time.sleep(0.05)
        busy_sock = asyncio.run(socket_latency(ws, 40))
        busy_cli = cli_latency(ws_dir, 10)
        state = call(ws, "get", job=job["id"])
        still = state["state"] == "running"
        while call(ws, "get", job=job["id"])["state"] not in FINAL:
            time.sleep(0.2)
        final = call(ws, "get", job=job["id"])
        secs = final["result"]["seconds"] if final.get("result") else float("nan")
        print(f"large load: {final['state']}, {final['rows']:,} rows, "
              f"{big.stat().st_size / 1e6 / secs:.0f} MB/s end to end "
              f"(samples taken while it ran: {'yes' if still else 'partly'})")
        print(_stats("jobs --json (CLI process), idle", idle_cli))
        print(_stats("jobs --json (CLI process), during large load", busy_cli))
        print(_stats("list over open socket, idle", idle_sock))
        print(_stats("list over open socket, during large load", busy_sock))
    finally:
        if ws.pid_path.exists():
            try:
                call(ws, "shutdown", autostart=False, cancel=True)
            except Exception as exc:  # the figures matter more than a clean stop message
                print(f"engine stop: {exc}")
            wait_engine_gone(ws, 60)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
