"""Time the demo data generator: MB/s and peak RSS for a large fact file.

Why: the demo, the tests and the other benchmarks rely on generating multi-GB extracts quickly
and in flat memory (DESIGN §8.6: benchmarks print figures, tests never assert on time). The
baseline is the same number of bytes written from one pre-rendered buffer, measured in the same
run, so the ratio says how close generation gets to the disk's own write speed.

    /work/venv/bin/python benchmarks/gen_speed.py [--size-gb 1] [--compress gzip] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from snowetl_tui.demo import business_days, write_fact_file
from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES

START, END = date(2024, 1, 1), date(2024, 1, 31)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_write(path: Path, size: int) -> float:
    """Seconds to write ``size`` bytes from one reused 16 MB buffer: the disk's share."""
    chunk = b"x" * (16 << 20)
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(size // len(chunk)):
            f.write(chunk)
    elapsed = time.perf_counter() - t0
    path.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0, help="uncompressed size (10**9 B)")
    parser.add_argument("--compress", choices=["gzip", "zstd"], default=None)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    target = int(args.size_gb * 1e9)
    rows_per_day = round(target / (AVG_FACT_ROW_BYTES * len(business_days(START, END))))
    suffix = {None: "", "gzip": ".gz", "zstd": ".zst"}[args.compress]
    path = args.dir / f"gen_speed_factLendingBenchmark_20240101-20240131.tsv{suffix}"
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    try:
        truth = write_fact_file(
            path, START, END, rows_per_day=rows_per_day, seed=args.seed, compress=args.compress
        )
        elapsed = time.perf_counter() - t0
        rss_peak = peak_rss_mb()  # before the baseline allocates its own buffer
        on_disk = truth.bytes
    finally:
        path.unlink(missing_ok=True)
    text_bytes = truth.rows * AVG_FACT_ROW_BYTES if args.compress else on_disk
    base = baseline_write(path.with_suffix(".baseline"), on_disk)

    print(f"file          {path.name} ({args.compress or 'uncompressed'}), deleted")
    print(f"rows          {truth.rows:,} ({rows_per_day:,}/business day, 40 columns)")
    print(f"size on disk  {on_disk / 1e6:,.0f} MB" + (
        f"  (~{text_bytes / 1e6:,.0f} MB of TSV text)" if args.compress else ""))  # fmt: skip
    print(f"elapsed       {elapsed:.2f} s")
    print(f"throughput    {text_bytes / 1e6 / elapsed:,.0f} MB/s of TSV text")
    print(f"baseline      {on_disk / 1e6 / base:,.0f} MB/s plain write of the same bytes "
          f"(generator at {base / elapsed:.0%} of it)")  # fmt: skip
    print(f"peak RSS      {rss_peak:,.0f} MB (after imports: {rss_before:,.0f} MB)")


if __name__ == "__main__":
    main()
