"""Benchmark: validate a large demo-style TSV with all checks; compare with baselines.

Prints, from one run on this machine: MB/s and peak RSS (whole process tree, sampled from
/proc) for

* ``ours``     — snowetl-tui's validator, all checks on (types of 40 columns, NULLs, dates,
                 calendar, anomalies, duplicate keys), 2 worker processes;
* ``csv``      — a Python ``csv.reader`` loop doing the same checks (the previous tool's way),
                 run on the first ``--baseline-mb`` MB only, since it is ~20x slower;
* ``duckdb``   — DuckDB (2 threads) doing the same aggregate checks: typed read with rejects
                 counted, rows per day, duplicate keys;

and the ratios. With ``--scale 4`` it also validates a 4x larger file to show that memory does
not grow with the file. Run:  python benchmarks/bench_validate.py --size-gb 2 --scale 4
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from snowetl_tui.demo import FACT_COLUMNS, write_fact_file
from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES


class TreeRss:
    """Peak RSS of a process (default: this one) plus its descendants, sampled every 20 ms."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return 0
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                return [int(x) for x in fh.read().split()]
        except OSError:
            return []

    def _run(self) -> None:
        while not self._stop.is_set():
            todo, total = [self.root], 0
            while todo:
                pid = todo.pop()
                total += self._rss(pid)
                todo.extend(self._children(pid))
            self.peak = max(self.peak, total)
            self._stop.wait(0.02)


def make_file(path: Path, size_gb: float) -> Path:
    if path.exists() and abs(path.stat().st_size - size_gb * 1e9) < 0.05 * size_gb * 1e9:
        return path
    days = 21  # business days in January 2024 minus the holidays
    rows_per_day = int(size_gb * 1e9 / AVG_FACT_ROW_BYTES / days)
    print(f"generating {path} ({size_gb:g} GB, {rows_per_day:,} rows/day) …", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_fact_file(path, date(2024, 1, 1), date(2024, 1, 31), rows_per_day=rows_per_day, seed=1,
                    duplicate_rows=10, ragged_rows=1)
    return path


def run_ours(path: Path, workers: int) -> dict[str, Any]:
    """The real command, ``snowetl-tui validate FILE --json``, measured from outside."""
    from snowetl_tui.demo import demo_config

    ws_dir = path.parent / "bench-ws"
    (ws_dir / "configs").mkdir(parents=True, exist_ok=True)
    (ws_dir / ".snowetl").mkdir(exist_ok=True)
    (ws_dir / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "snowetl_tui", "--workspace", str(ws_dir), "validate", str(path),
         "--json", "--workers", str(workers)],
        stdout=subprocess.PIPE, text=True,
    )
    with TreeRss(proc.pid) as rss:
        out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    [report] = json.loads(out)
    fails = [c["name"] for c in report["checks"] if c["status"] == "FAIL"]
    return {"bytes": report["bytes"], "seconds": report["seconds"], "wall": wall,
            "rss": rss.peak, "rows": report["rows"], "fails": fails}


def _csv_checks(path: Path, limit: int) -> dict[str, Any]:
    """The previous tool's approach: a Python loop per row, same checks."""
    types = [c.type for c in FACT_COLUMNS]
    ncols = len(types)
    per_day: dict[str, int] = {}
    keys: set[tuple[str, str]] = set()
    dups = bad_fields = bad_types = rows = 0
    done = 0
    with open(path, newline="", encoding="utf-8") as fh:
        header = fh.readline()
        done += len(header)
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows += 1
            if len(row) != ncols:
                bad_fields += 1
                continue
            for v, t in zip(row, types, strict=True):
                if not v:
                    continue
                try:
                    if t == "INTEGER":
                        int(v)
                    elif t.startswith("NUMBER") or t == "FLOAT":
                        Decimal(v)
                    elif t == "DATE":
                        date.fromisoformat(v)
                    elif t == "TIMESTAMP":
                        datetime.fromisoformat(v)
                    elif t == "BOOLEAN" and v.lower() not in ("true", "false"):
                        bad_types += 1
                except (ValueError, InvalidOperation):
                    bad_types += 1
            per_day[row[0]] = per_day.get(row[0], 0) + 1
            key = (row[0], row[1])
            if key in keys:
                dups += 1
            else:
                keys.add(key)
            done += sum(len(v) for v in row) + ncols
            if done >= limit:
                break
    return {"bytes": done, "rows": rows, "dups": dups, "bad_fields": bad_fields}


def run_csv(path: Path, limit: int) -> dict[str, Any]:
    with TreeRss() as rss:
        t0 = time.perf_counter()
        out = _csv_checks(path, limit)
        dt = time.perf_counter() - t0
    return {**out, "seconds": dt, "rss": rss.peak}


def run_duckdb(path: Path, threads: int) -> dict[str, Any]:
    import duckdb

    from snowetl_tui.demo.schema import duckdb_type

    cols = ", ".join(f"'{c.name}': '{duckdb_type(c.type)}'" for c in FACT_COLUMNS)
    src = (f"read_csv('{path}', columns={{{cols}}}, delim='\t', header=true, quote='', "
           "escape='', nullstr='', dateformat='%Y-%m-%d', timestampformat='%Y-%m-%d %H:%M:%S', "
           "auto_detect=false, ignore_errors=true, store_rejects=true)")
    with TreeRss() as rss:
        con = duckdb.connect(config={"threads": threads})
        t0 = time.perf_counter()
        # every column parsed and cast (the same type checks), rejects counted
        con.execute(f"CREATE TEMP TABLE t AS SELECT * FROM {src}")
        per_day = con.execute("SELECT BUSINESS_DATE, count(*) FROM t GROUP BY 1").fetchall()
        dups = con.execute("SELECT count(*) FROM (SELECT BUSINESS_DATE, LOAN_ID FROM t "
                           "GROUP BY ALL HAVING count(*) > 1)").fetchall()
        rejects = con.execute("SELECT count(*) FROM reject_errors").fetchall()
        dt = time.perf_counter() - t0
    return {"bytes": path.stat().st_size, "seconds": dt, "rss": rss.peak, "days": len(per_day),
            "dups": dups[0][0], "rejects": rejects[0][0]}


def child(mode: str, path: Path, arg: int) -> None:
    fn = {"ours": run_ours, "csv": run_csv, "duckdb": run_duckdb}[mode]
    print(json.dumps(fn(path, arg)))


def spawn(mode: str, path: Path, arg: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--file", str(path),
                          "--arg", str(arg)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-gb", type=float, default=2.0)
    ap.add_argument("--scale", type=int, default=0, help="also run ours on a file N x larger")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/snowetl-bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-mb", type=int, default=512)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--child")
    ap.add_argument("--file", type=Path)
    ap.add_argument("--arg", type=int, default=0)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.file, args.arg)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    big = make_file(args.dir / "factLendingBenchmark_20240101-20240131.tsv", args.size_gb)
    subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)  # warm the cache

    def line(name: str, r: dict[str, Any]) -> float:
        mbps = r["bytes"] / 1e6 / r["seconds"]
        print(f"{name:<34} {r['bytes'] / 1e9:6.2f} GB {r['seconds']:8.2f} s {mbps:8.1f} MB/s "
              f"peak RSS {r['rss'] / 1e6:7.1f} MB")
        return mbps

    ours = spawn("ours", big, args.workers)
    base = spawn("csv", big, args.baseline_mb << 20)
    duck = spawn("duckdb", big, args.workers)
    print(f"\nmachine: {os.cpu_count()} cores; file {big.name}")
    m_ours = line(f"snowetl-tui validate ({args.workers} workers)", ours)
    m_csv = line(f"csv.reader baseline (first {args.baseline_mb} MB)", base)
    m_duck = line(f"duckdb same aggregates ({args.workers} threads)", duck)
    print(f"ratio ours / csv.reader : {m_ours / m_csv:6.1f} x")
    print(f"ratio ours / duckdb     : {m_ours / m_duck:6.2f} x")
    print(f"ours found: {ours['fails']}, rows {ours['rows']:,}; wall time incl. start-up "
          f"{ours['wall']:.2f} s")
    if args.scale > 1:
        (args.dir / "scaled").mkdir(exist_ok=True)
        huge = make_file(args.dir / "scaled" / big.name, args.size_gb * args.scale)
        subprocess.run(["cat", str(huge)], stdout=subprocess.DEVNULL, check=True)
        big_run = spawn("ours", huge, args.workers)
        line(f"snowetl-tui validate, {args.scale}x file", big_run)
        print(f"peak RSS {args.scale}x / 1x: {big_run['rss'] / ours['rss']:.3f}")
        if not args.keep:
            huge.unlink()
    if not args.keep:
        big.unlink()


if __name__ == "__main__":
    main()
