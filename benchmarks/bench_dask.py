"""Benchmark: validation through a Dask cluster against the local process pool, one box.

Prints, from one run on this machine, for a demo-style TSV of ``--size-gb`` (default 1.1 GB):

* MB/s and peak RSS (whole process tree: the command, and for Dask the scheduler, nannies and
  workers of a ``LocalCluster`` with the same number of worker processes, one thread each) of
  ``validate`` with ``--executor process`` and with ``--executor dask://…``, at 64 MB chunks
  (the default) and at 8 MB chunks;
* the ratio Dask / local, and the overhead per chunk, two ways: derived from the two chunk
  sizes ((t_dask − t_local) / chunks), and measured directly as the round trip of an empty task
  through each executor.

On one box the cluster is expected to be slower (task serialisation, a scheduler hop, results
and spill files shipped back over TCP); the point of the Dask path is that the same command
scales to many boxes. The reports of both runs are compared (timing fields aside).
Run:  python benchmarks/bench_dask.py --size-gb 1.1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_validate import TreeRss, make_file

TIMING = ("seconds", "mb_per_s", "created_at")


class ClusterRss(TreeRss):
    """TreeRss over the children of *every* thread: a LocalCluster starts its nannies (and they
    their workers) from event-loop threads, which /proc lists under those threads only."""

    @staticmethod
    def _children(pid: int) -> list[int]:
        out: list[int] = []
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return out
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    out += [int(x) for x in fh.read().split()]
            except OSError:
                continue
        return out


def workspace(directory: Path) -> Path:
    from snowetl_tui.demo import demo_config

    ws = directory / "bench-ws"
    (ws / "configs").mkdir(parents=True, exist_ok=True)
    (ws / ".snowetl").mkdir(exist_ok=True)
    (ws / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    return ws


def child(mode: str, path: Path, chunk: str, workers: int) -> None:
    """Runs in its own process (so its tree is what TreeRss measures): the validate command
    in-process, against a LocalCluster started here for ``dask``."""
    from click.testing import CliRunner

    from snowetl_tui.cli import cli

    ws = workspace(path.parent)
    args = ["--workspace", str(ws), "validate", str(path), "--json", "--chunk-size", chunk]
    cluster = None
    started = 0.0
    if mode == "dask":
        from distributed import LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        started = time.perf_counter() - t0
        args += ["--executor", "dask://" + cluster.scheduler_address.removeprefix("tcp://")]
    else:
        args += ["--executor", "process", "--workers", str(workers)]
    t0 = time.perf_counter()
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    wall = time.perf_counter() - t0
    if cluster is not None:
        cluster.close()
    [report] = json.loads(res.stdout)
    print(json.dumps({"report": report, "wall": wall, "cluster_start": started}))


def run(mode: str, path: Path, chunk: str, workers: int) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--file", str(path),
                             "--chunk", chunk, "--workers", str(workers)],
                            stdout=subprocess.PIPE, text=True)
    with ClusterRss(proc.pid) as rss:
        out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{mode} run failed (exit {proc.returncode})")
    data = json.loads(out.strip().splitlines()[-1])
    data["rss"] = rss.peak
    return data


def _noop() -> int:
    return 0


def round_trip(workers: int, path: Path, n: int = 300) -> dict[str, float]:
    """Median latency, one task at a time (nothing else in flight), of an empty task and of
    one 64 MB chunk (validate + key spill; for Dask the spill shipped back), per executor."""
    import tempfile

    from distributed import LocalCluster

    from snowetl_tui.config.registry import ConfigRegistry
    from snowetl_tui.data.chunks import iter_chunks
    from snowetl_tui.validate.executors import make_executor
    from snowetl_tui.validate.runner import plan_file
    from snowetl_tui.validate.worker import process_chunk
    from snowetl_tui.workspace import Workspace

    registry = ConfigRegistry.load(Workspace.resolve(str(workspace(path.parent))))
    m = registry.match(path)
    plan = plan_file(path, m.entry, m.period, m.config_display)
    chunks = [c for _, c in zip(range(5), iter_chunks(path, data_start=plan.fmt.data_start,
                                                       chunk_size=64 << 20), strict=False)]
    st = path.stat()
    spill = tempfile.mkdtemp(prefix="bench-spill-")
    out: dict[str, float] = {}
    local = make_executor("process", workers)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as lc:
        remote: Any = make_executor("dask://" + lc.scheduler_address.removeprefix("tcp://"))
        for name, pool in (("process", local), ("dask", remote)):
            pool.submit(_noop).result()  # warm up
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                pool.submit(_noop).result()
                times.append(time.perf_counter() - t0)
            out[name] = statistics.median(times)
            times = []
            for c in chunks:
                t0 = time.perf_counter()
                if name == "dask":
                    remote.collect(remote.submit_chunk(plan.spec, str(path), c, True, (), None,
                                                       (st.st_size, st.st_mtime_ns)), spill, None)
                else:
                    pool.submit(process_chunk, plan.spec, str(path), c, spill, ()).result()
                times.append(time.perf_counter() - t0)
            out[name + "_chunk"] = statistics.median(times)
        remote.shutdown()
    local.shutdown()
    for f in Path(spill).iterdir():
        f.unlink()
    Path(spill).rmdir()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-gb", type=float, default=1.1)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/snowetl-bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--child")
    ap.add_argument("--file", type=Path)
    ap.add_argument("--chunk", default="64MB")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.file, args.chunk, args.workers)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    big = make_file(args.dir / "factLendingBenchmark_20240101-20240131.tsv", args.size_gb)
    subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    size = big.stat().st_size
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"file {big.name} {size / 1e9:.2f} GB; {args.workers} worker processes each way")
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for chunk in ("64MB", "8MB"):
        for mode in ("process", "dask"):
            r = results[(mode, chunk)] = run(mode, big, chunk, args.workers)
            rep = r["report"]
            extra = f" (cluster start {r['cluster_start']:.2f} s, not counted)" if \
                mode == "dask" else ""
            print(f"{mode:<8} chunks {chunk:>5}: {rep['seconds']:7.2f} s "
                  f"{size / 1e6 / rep['seconds']:7.1f} MB/s  peak RSS {r['rss'] / 1e6:7.1f} MB"
                  f"{extra}")
    for chunk in ("64MB", "8MB"):
        a, b = results[("process", chunk)]["report"], results[("dask", chunk)]["report"]
        same = {k: v for k, v in a.items() if k not in TIMING} == \
            {k: v for k, v in b.items() if k not in TIMING}
        print(f"chunks {chunk:>5}: dask / local throughput {a['seconds'] / b['seconds']:.2f} x;"
              f" reports identical: {same}; verdict {b['verdict']}, rows {b['rows']:,}")
    chunks = {c: -(-size // (int(c.removesuffix("MB")) << 20)) for c in ("64MB", "8MB")}
    for chunk, n in chunks.items():
        extra = results[("dask", chunk)]["report"]["seconds"] - \
            results[("process", chunk)]["report"]["seconds"]
        print(f"overhead per chunk at {chunk:>5} ({n} chunks): {extra / n * 1e3:8.1f} ms")
    trip = round_trip(args.workers, big)
    print(f"empty task round trip: process pool {trip['process'] * 1e3:.2f} ms, "
          f"dask {trip['dask'] * 1e3:.2f} ms")
    alone = trip["dask_chunk"] - trip["process_chunk"]
    print(f"one 64 MB chunk alone: process pool {trip['process_chunk'] * 1e3:.0f} ms, dask "
          f"{trip['dask_chunk'] * 1e3:.0f} ms (overhead {alone * 1e3:.0f} ms per chunk, "
          "key spill shipped back included)")
    if not args.keep:
        big.unlink()


if __name__ == "__main__":
    main()
