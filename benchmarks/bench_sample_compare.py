"""Benchmark: `snowetl-tui sample` and `compare` on multi-GB extracts — MB/s and peak RSS.

Generates (once, reused if present) two demo-style fact files of ``--size-gb`` each with the
demo generator's streaming writer: A is clean, B is the same month with one business day left
out and a few duplicated rows, so ``compare`` has real differences to find. Then runs the real
commands, each in its own process, and samples the RSS of that process *and its children*
(the worker pool) every 20 ms:

* ``sample A --rows 10``                      the head: reads only what it prints;
* ``sample A --rows 1000 --random --seed 1``  a reservoir sample: one pass over the whole file;
* ``sample A.gz --rows 1000 --random``        the same through gzip (with ``--gzip``);
* ``compare A B``                             structure, rows, per-day counts and key overlap
                                              (BUSINESS_DATE, LOAN_ID), both files read once.

MB/s counts the (uncompressed) bytes each command had to read: the file for a random sample,
both files for compare. The budget is peak RSS ≤ 200 MB whatever the size. Run:

    python benchmarks/bench_sample_compare.py --size-gb 2 [--dir /tmp] [--workers 2] [--gzip]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench_validate import TreeRss  # the same process-tree RSS sampler as the validator's

from snowetl_tui.demo import demo_config, write_fact_file
from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES

START, END = date(2024, 1, 1), date(2024, 1, 31)
MISSING = date(2024, 1, 17)
BUDGET_MB = 200


def make(path: Path, size_gb: float, **defects: Any) -> Path:
    if path.exists() and abs(path.stat().st_size - size_gb * 1e9) < 0.05 * size_gb * 1e9:
        return path
    rows_per_day = int(size_gb * 1e9 / AVG_FACT_ROW_BYTES / 21)
    print(f"generating {path} ({size_gb:g} GB, {rows_per_day:,} rows/day) …", flush=True)
    t0 = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_fact_file(path, START, END, rows_per_day=rows_per_day, seed=1, **defects)
    dt = time.perf_counter() - t0
    print(f"  {path.stat().st_size / 1e6:,.0f} MB in {dt:.0f} s", flush=True)
    return path


def run(ws: Path, args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "snowetl_tui", "--workspace", str(ws), *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeRss(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err.decode()}")
    return {"wall": wall, "rss": rss.peak, "out": out, "err": err.decode(),
            "code": proc.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of each file (1e9 B)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "snowetl-bench")
    parser.add_argument("--workers", type=int, default=1,
                        help="compare --workers (1 = in process, the default)")
    parser.add_argument("--gzip", action="store_true", help="also sample a gzip copy of A")
    args = parser.parse_args()

    name = "factLendingBenchmark_20240101-20240131.tsv"  # the demo config's pattern
    a = make(args.dir / f"A-{args.size_gb:g}" / name, args.size_gb)
    b = make(args.dir / f"B-{args.size_gb:g}" / name, args.size_gb, missing_days=[MISSING],
             duplicate_rows=10)
    ws = args.dir / "bench-ws"
    (ws / "configs").mkdir(parents=True, exist_ok=True)
    (ws / ".snowetl").mkdir(exist_ok=True)
    (ws / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    size_a, size_b = a.stat().st_size, b.stat().st_size

    cases: list[tuple[str, list[str], int]] = [
        ("sample head (10 rows)", ["sample", str(a), "--rows", "10"], 0),
        ("sample --random (1000 rows)",
         ["sample", str(a), "--rows", "1000", "--random", "--seed", "1"], size_a),
    ]
    if args.gzip:
        gz = a.with_suffix(".tsv.gz")
        if not gz.exists():
            print(f"compressing {a.name} → {gz.name} …", flush=True)
            subprocess.run(f"gzip -1 -c {a} > {gz}", shell=True, check=True)
        cases.append(("sample --random .gz (1000 rows)",
                      ["sample", str(gz), "--rows", "1000", "--random", "--seed", "1"], size_a))
    cases.append(("compare A B (keys, per day)",
                  ["compare", str(a), str(b), "--key", "BUSINESS_DATE,LOAN_ID",
                   "--date-column", "BUSINESS_DATE", "--workers", str(args.workers), "--json"],
                  size_a + size_b))

    print(f"\nfiles: A {size_a / 1e9:.2f} GB, B {size_b / 1e9:.2f} GB; {args.workers} workers; "
          f"budget {BUDGET_MB} MB peak RSS (process + children)\n")
    print(f"{'command':<34} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12}  result")
    worst = 0.0
    for label, cmd, nbytes in cases:
        r = run(ws, cmd)
        rate = f"{nbytes / 1e6 / r['wall']:,.0f}" if nbytes else "-"
        result = ""
        if cmd[0] == "compare":
            data = json.loads(r["out"])
            result = "; ".join(data["differences"])[:120]
        elif "--random" in cmd:
            result = r["err"].strip().splitlines()[-1][:120]
        else:
            result = f"{len(r['out'].splitlines()) - 1} rows printed"
        worst = max(worst, r["rss"] / 1e6)
        print(f"{label:<34} {r['wall']:>8.1f} {rate:>8} {r['rss'] / 1e6:>12.0f}  {result}",
              flush=True)
    print(f"\npeak RSS of the worst command: {worst:.0f} MB "
          f"({'within' if worst <= BUDGET_MB else 'OVER'} the {BUDGET_MB} MB budget)")
    print("command: python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
