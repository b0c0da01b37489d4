"""Benchmark: the Logs view on a ≥ 1 GB log — open, index, search, filter, and loop stalls.

Generates a realistic engine log (``<UTC time> LEVEL [pid] message`` lines, warnings, errors
with tracebacks, a few long lines) of the requested size in a temporary directory, then runs
the real app headless (``run_test``, 120×40, no engine) and measures:

* ``first screen`` — from asking for the Logs view to the first screen of lines drawn;
* ``index`` — until the whole file is indexed (and the tail is drawn, since the view follows);
* ``search`` — ``/`` for a term that occurs once, near the end; ``filter`` — ``\\`` for a term
  on ~1 line in 50; ``level`` — the ``error+`` level filter; ``regex`` — a regex search;
* ``stall`` — the longest gap between ticks of a 10 ms ``set_interval`` heartbeat in the app,
  per phase: how long the event loop was blocked (target < 100 ms); the ``idle (baseline)``
  phase shows what the machine alone costs an idle app (scheduling on a busy host);
* peak RSS of the process (``resource.getrusage``).

Run (about a minute on a laptop; the log is deleted afterwards unless --keep):
    python benchmarks/bench_log_view.py --size-gb 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NEEDLE = "needle-7f3a9c"
CHUNK_BYTES = 32 << 20


def _chunk(rng: random.Random) -> bytes:
    """~32 MB of log lines spread over one hour of 2026-11-27T00 (the hour is rewritten per
    chunk, so timestamps keep increasing through the file)."""
    jobs = [f"J1a21bb4d6{rng.getrandbits(36):09x}" for _ in range(40)]
    files = [f"factLendingBenchmark_2024{m:02d}01-2024{m:02d}28.tsv" for m in range(1, 13)]
    out: list[str] = []
    size = 0
    ms = 0
    while size < CHUNK_BYTES:
        ms += rng.randint(1, 3)
        stamp = f"2026-11-27T00:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z"
        roll = rng.random()
        job = rng.choice(jobs)
        if roll < 0.70:
            line = (f"{stamp} INFO    [25175] job {job} step copy part {rng.randint(1, 999)} "
                    f"rows {rng.randint(1000, 999999):,} bytes {rng.randint(1, 1 << 30):,}")
        elif roll < 0.88:
            line = (f"{stamp} DEBUG   [25175] pool worker {rng.randint(1, 16)} read chunk "
                    f"{rng.randint(0, 4096)} of {rng.choice(files)} in {rng.random():.3f} s")
        elif roll < 0.97:
            line = (f"{stamp} INFO    [25175] job {job} queued → running "
                    f"({rng.choice(files)} → FACT_LENDING_BENCHMARK on local)")
        elif roll < 0.993:
            line = (f"{stamp} WARNING [25175] job {job} slow stage upload: "
                    f"{rng.random() * 50:.1f} MB/s, retrying part {rng.randint(1, 99)}")
        elif roll < 0.998:
            line = (f"{stamp} ERROR   [25175] job {job} running → failed: validation failed\n"
                    "Traceback (most recent call last):\n"
                    '  File "snowetl_tui/load/runner.py", line 212, in run\n'
                    "OSError: [Errno 28] No space left on device")
        else:
            line = f"{stamp} INFO    [25175] job {job} report " + \
                json.dumps({"findings": [{"rule": "dupes", "row": rng.randint(1, 10**6)}] * 40})
        out.append(line)
        size += len(line) + 1
    return ("\n".join(out) + "\n").encode()


def generate(path: Path, size_gb: float) -> int:
    """Write the log: one generated chunk, re-dated per hour with ``bytes.replace`` (fast),
    with a unique needle line inserted ~97% of the way through."""
    rng = random.Random(6)
    chunk = _chunk(rng)
    target = int(size_gb * 1e9)
    count = max(1, -(-target // len(chunk)))
    needle_at = int(count * 0.97)
    base = datetime(2026, 11, 27)
    with open(path, "wb") as fh:
        for k in range(count):
            prefix = (base + timedelta(hours=k)).strftime("%Y-%m-%dT%H:").encode()
            data = chunk.replace(b"2026-11-27T00:", prefix)
            if k == needle_at:
                cut = data.index(b"\n", len(data) // 2) + 1
                data = data[:cut] + (prefix + b"30:00.000Z ERROR   [25175] " +
                                     NEEDLE.encode() + b" unique failure\n") + data[cut:]
            fh.write(data)
    return path.stat().st_size


class _IdleEngine:
    """An engine client that connects and never sends anything (no daemon in the bench)."""

    closed = False

    async def connect(self) -> None:
        return None

    async def subscribe(self) -> dict[str, Any]:
        return {"engine": {"pid": 1}, "jobs": []}

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        await asyncio.Event().wait()
        yield {}

    async def request(self, op: str, **args: Any) -> Any:
        raise RuntimeError("no engine in this benchmark")

    async def close(self) -> None:
        self.closed = True


async def measure(ws_root: Path, size: int) -> dict[str, Any]:
    from snowetl_tui.tui.app import SnowetlApp
    from snowetl_tui.tui.views.logs import LogsView
    from snowetl_tui.workspace import Workspace

    app = SnowetlApp(Workspace(ws_root), start_path=ws_root, client_factory=_IdleEngine,
                     watch_tty=False)
    gaps: dict[str, float] = {}
    phase = "startup"
    last = time.perf_counter()

    def beat() -> None:
        nonlocal last
        now = time.perf_counter()
        gaps[phase] = max(gaps.get(phase, 0.0), now - last)
        last = now

    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_interval(0.01, beat)
        view = app.query_one("#logs", LogsView)

        async def until(cond: Callable[[], bool], what: str, limit: float = 600) -> float:
            t0 = time.perf_counter()
            while not cond():
                if time.perf_counter() - t0 > limit:
                    raise RuntimeError(f"timed out: {what}")
                await pilot.pause(0.005)
            return time.perf_counter() - t0

        def matches_done(kind: str) -> bool:
            state = getattr(view, kind)
            return state is not None and state.finished and not state.running and \
                not view.indexing

        await pilot.pause(0.5)
        phase = "idle (baseline)"  # the floor this machine gives an idle app
        await pilot.pause(1.0)
        phase = "open + index"
        t0 = time.perf_counter()
        app.show_view("logs", engine=True)
        await until(lambda: view.index is not None and view.index.line_count > 0 and
                    view.lines.screen_ready, "first screen")
        out["first_screen_s"] = round(time.perf_counter() - t0, 3)
        await until(lambda: view.index is not None and not view.indexing, "index")
        out["index_s"] = round(time.perf_counter() - t0, 2)
        await until(lambda: view.lines.screen_ready, "tail screen")
        out["tail_screen_s"] = round(time.perf_counter() - t0, 2)
        out["lines"] = view.index.line_count
        out["index_mb_s"] = round(size / 1e6 / out["index_s"])

        async def timed(name: str, keys: list[str], kind: str) -> None:
            nonlocal phase
            phase = name
            t = time.perf_counter()
            await pilot.press(*keys)
            await until(lambda: matches_done(kind), name)
            seconds = time.perf_counter() - t
            state = getattr(view, kind)
            out[f"{name}_s"] = round(seconds, 2)
            out[f"{name}_mb_s"] = round(size / 1e6 / seconds)
            out[f"{name}_found"] = len(state.lines)
            await until(lambda: view.lines.screen_ready, f"{name} screen")

        await timed("search", ["slash", *NEEDLE, "enter"], "search")
        out["search_jumped_to"] = view.current_match
        await pilot.press("escape")
        await timed("filter", ["backslash", *"slow stage", "enter"], "filter")
        await pilot.press("escape")
        await timed("level_error", ["v", "v", "v"], "filter")
        await pilot.press("escape")
        await timed("regex", ["slash", "ctrl+r", *r"part 9\d\d rows 1,", "enter"], "search")
        phase = "done"
    out["stall_max_ms"] = {k: round(v * 1000, 1) for k, v in gaps.items()}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the log")
    parser.add_argument("--keep", action="store_true", help="keep the generated log")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="snowetl-logbench-", dir=args.dir))
    try:
        ws = base / "ws"
        (ws / "logs").mkdir(parents=True)
        t0 = time.perf_counter()
        size = generate(ws / "logs" / "engine.log", args.size_gb)
        gen_s = time.perf_counter() - t0
        print(f"generated {size / 1e9:.2f} GB in {gen_s:.1f} s ({size / 1e6 / gen_s:.0f} MB/s)",
              flush=True)
        result = {"size_gb": round(size / 1e9, 2), **asyncio.run(measure(ws, size))}
        print(json.dumps(result, indent=2))
        worst = max(result["stall_max_ms"].get(p, 0) for p in
                    ("open + index", "search", "filter", "level_error", "regex"))
        print(f"longest event-loop stall while indexing/searching: {worst} ms "
              f"({'OK' if worst < 100 else 'over'} the 100 ms target)")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
