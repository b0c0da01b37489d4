"""Benchmark of the validation kernel on a realistic 40-column TSV.

Prints, measured in the same run on the same file (in the page cache):

* the kernel on one core (single process, 64 MB chunks read with ``os.pread``);
* the whole validator: 2 worker processes (forkserver), one 64 MB chunk each at a time, at most
  4 chunks in flight, workers reading their byte range themselves (no chunk bytes pickled),
  the parent merging per-day counts and spilling key hashes to disk partitions for the
  duplicate check — plus peak RSS of the parent and of each worker;
* DuckDB doing the same aggregate checks with 2 threads (typed read with explicit column types,
  row count, rows per day, duplicate keys);
* a Python ``csv.reader`` baseline doing the same checks row by row (on the first chunks only:
  it is slow), and the ratios.

Usage::

    python benchmarks/bench_kernel.py [--size-gb 1] [--path /tmp/snowetl_bench_1gb.tsv]

The file is generated once (numpy + pyarrow, ~1 minute per GB) and reused.
"""

from __future__ import annotations

import argparse
import csv
import io
import mmap
import multiprocessing as mp
import os
import re
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime
from pathlib import Path

import numpy as np

from snowetl_tui.validate.kernel import ChunkResult, KernelSpec, validate_chunk

CHUNK = 64 << 20
IN_FLIGHT = 4
WORKERS = 2

# ----------------------------------------------------------------------------------------------
# Data: 40 columns, ~350 bytes per row, a realistic mix of types
# ----------------------------------------------------------------------------------------------

COLUMNS: list[tuple[str, str]] = [
    ("period_date", "DATE"),
    ("row_id", "INTEGER"),
    ("account_code", "VARCHAR(12)"),
]
COLUMNS += [(f"int_{i}", "INTEGER") for i in range(8)]
COLUMNS += [(f"amt_{i}", "NUMBER(18,2)") for i in range(6)]
COLUMNS += [(f"rate_{i}", "NUMBER(12,6)") for i in range(2)]
COLUMNS += [(f"flt_{i}", "FLOAT") for i in range(4)]
COLUMNS += [(f"flag_{i}", "BOOLEAN") for i in range(3)]
COLUMNS += [(f"ts_{i}", "TIMESTAMP") for i in range(3)]
COLUMNS += [("settle_date", "DATE")]
COLUMNS += [(f"txt_{i}", "VARCHAR(64)" if i % 3 else "VARCHAR") for i in range(10)]
WORDS = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "zürich", "café",
]  # fmt: skip


def spec() -> KernelSpec:
    names = tuple(n for n, _ in COLUMNS)
    return KernelSpec(
        delimiter=b"\t",
        quote=None,
        ncols=len(COLUMNS),
        column_names=names,
        column_types=tuple(t for _, t in COLUMNS),
        nullable=tuple(
            not n.startswith(("period_date", "row_id", "account_code", "int_", "amt_"))
            for n in names
        ),
        null_values=(b"",),
        date_index=0,
        date_format="%Y-%m-%d",
        key_indices=(1, 2),
    )


def _block(n: int, seed: int, id0: int):  # -> pyarrow.Table
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)

    def s(a: np.ndarray) -> pa.Array:
        return pa.array(a).cast(pa.string())

    def join(*parts: pa.Array, sep: str = "") -> pa.Array:
        return pc.binary_join_element_wise(*parts, sep)

    d0 = np.datetime64("2024-01-01")
    cols = [
        s(np.datetime_as_string(d0 + rng.integers(0, 31, n).astype("timedelta64[D]"))),
        s(np.arange(id0, id0 + n)),
        join(pa.array(np.full(n, "AC")), s(rng.integers(10**6, 10**9, n))),
    ]
    for hi in (100, 10**4, 10**6, 10**9, 10**5, 10**12, 1000, 10):
        cols.append(s(rng.integers(-hi // 10, hi, n)))
    for scale, count in ((2, 6), (6, 2)):
        for _ in range(count):
            v = rng.integers(-(10**6) if scale == 2 else 0, 10**8, n)
            sign = pa.array(np.where(v < 0, "-", ""))
            ip = s(np.abs(v) // 10**scale)
            fp = pc.utf8_lpad(s(np.abs(v) % 10**scale), scale, "0")
            cols.append(join(join(sign, ip), fp, sep="."))
    for i in range(4):
        f = rng.standard_normal(n) * 10.0 ** rng.integers(-2, 5, n)
        cols.append(s(np.round(f, 4 if i % 2 else 6)))
    for t, f in (("true", "false"), ("1", "0"), ("TRUE", "FALSE")):
        cols.append(pa.array(np.where(rng.random(n) < 0.5, t, f)))
    for i in range(3):
        ts = np.datetime64("2024-01-01T00:00:00") + rng.integers(0, 31 * 86400, n).astype(
            "timedelta64[s]"
        )
        arr = pa.array(np.datetime_as_string(ts))
        cols.append(pc.replace_substring(arr, "T", " ") if i == 1 else arr)
    cols.append(s(np.datetime_as_string(d0 + rng.integers(-400, 400, n).astype("timedelta64[D]"))))
    words = np.array(WORDS)
    for i in range(10):
        k = rng.integers(1, 3, n)
        txt = join(pa.array(words[rng.integers(0, len(words), n)]))
        txt = pc.if_else(
            pa.array(k > 1),
            join(txt, pa.array(words[rng.integers(0, len(words), n)]), sep=" "),
            txt,
        )
        if i % 4 == 0:
            txt = pc.if_else(pa.array(rng.random(n) < 0.1), pa.array(np.full(n, "")), txt)
        cols.append(txt)
    return pa.table(cols, names=[n for n, _ in COLUMNS])


def generate(path: Path, size: int) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    t0 = time.perf_counter()
    opts = pcsv.WriteOptions(delimiter="\t", quoting_style="none", include_header=False)
    tmp = path.with_suffix(".partial")
    with open(tmp, "wb") as fh:
        fh.write(("\t".join(n for n, _ in COLUMNS) + "\n").encode())
        seed = 0
        rows = 200_000
        while fh.tell() < size:
            sink = pa.BufferOutputStream()
            pcsv.write_csv(_block(rows, seed, seed * rows), sink, opts)
            fh.write(sink.getvalue().to_pybytes())
            seed += 1
    tmp.rename(path)
    print(
        f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )


# ----------------------------------------------------------------------------------------------
# Chunking and workers
# ----------------------------------------------------------------------------------------------


def chunk_ranges(path: Path, chunk: int = CHUNK) -> tuple[int, list[tuple[int, int]]]:
    """(header length, newline-aligned (start, length) ranges), found with a few preads."""
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        head = os.pread(fd, 1 << 16, 0)
        start = head.index(b"\n") + 1
        data_start = start
        out = []
        while start < size:
            end = min(start + chunk, size)
            while end < size:
                tail = os.pread(fd, 1 << 16, max(start, end - (1 << 16)))
                cut = tail.rfind(b"\n")
                if cut >= 0:
                    end = max(start, end - (1 << 16)) + cut + 1
                    break
                end += 1 << 16
            out.append((start, end - start))
            start = end
    finally:
        os.close(fd)
    return data_start, out


def read_range(path: str, start: int, length: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while length > 0:
            got = os.pread(fd, length, start)
            if not got:
                break
            parts.append(got)
            start += len(got)
            length -= len(got)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


class MappedRange:
    """A chunk of the file mapped read-only (``MAP_POPULATE``: page-table entries are filled
    in one system call, ~3 ms for 64 MB, instead of a ~20 ms ``pread`` copy). The pages are the
    page cache's: nothing is copied and nothing is pickled."""

    def __init__(self, path: str, start: int, length: int) -> None:
        off = start - start % mmap.ALLOCATIONGRANULARITY
        fd = os.open(path, os.O_RDONLY)
        try:
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            self._mm = mmap.mmap(
                fd, length + start - off, flags=flags, prot=mmap.PROT_READ, offset=off
            )
        finally:
            os.close(fd)
        self.view = memoryview(self._mm)[start - off : start - off + length]

    def close(self) -> None:
        self.view.release()
        self._mm.close()


PARTS = 64


def worker(
    kspec: KernelSpec, path: str, index: int, start: int, length: int, spill: str
) -> tuple[ChunkResult, list[int], int, int, float]:
    """One chunk: map it, validate it, spill its key hashes to partition files (as the real
    job does: the parent never receives them), return the small aggregates, this worker's peak
    RSS and the CPU time the task used."""
    cpu0 = time.process_time()
    chunk = MappedRange(path, start, length)
    try:
        res = validate_chunk(kspec, chunk.view, index, start)
    finally:
        chunk.close()
    bounds = spill_keys(spill, index, res.key_hashes, res.key_offsets)
    res.key_hashes = res.key_offsets = None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return res, bounds, os.getpid(), rss, time.process_time() - cpu0


REC = np.dtype([("h", "<u8"), ("o", "<i8")])


def spill_keys(directory: str, index: int, hashes: np.ndarray, offsets: np.ndarray) -> list[int]:
    """Write this chunk's (hash, offset) records to one file, grouped by partition (the hash's
    top 6 bits); return where each of the 64 partitions starts in it."""
    part = (hashes >> np.uint64(58)).astype(np.uint8)
    order = np.argsort(part, kind="stable")  # a radix sort for 8-bit keys
    rec = np.empty(hashes.size, dtype=REC)
    rec["h"], rec["o"] = hashes[order], offsets[order]
    rec.tofile(os.path.join(directory, f"c{index:05d}"))
    return np.searchsorted(part[order], np.arange(PARTS + 1)).tolist()


def find_duplicates(
    directory: str, spills: list[tuple[int, list[int]]], parts: list[int]
) -> tuple[int, float]:
    """Rows whose key hash occurs more than once, partition by partition: memory is one
    partition of the whole file (the real tool then compares the key values at the recorded
    offsets to drop hash collisions); and the CPU time used."""
    cpu0 = time.process_time()
    dups = 0
    for k in parts:
        pieces = []
        for i, b in spills:
            if b[k + 1] > b[k]:
                name = os.path.join(directory, f"c{i:05d}")
                count = b[k + 1] - b[k]
                pieces.append(np.fromfile(name, dtype=REC, count=count, offset=b[k] * REC.itemsize))
        if pieces:
            h = np.concatenate([p["h"] for p in pieces])
            h.sort()
            dups += int(np.count_nonzero(h[1:] == h[:-1]))
    return dups, time.process_time() - cpu0


class RssSampler(threading.Thread):
    """Samples the summed RSS of this process and its descendants every 20 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    @staticmethod
    def _tree_rss(pid: int) -> int:
        total = 0
        todo = [pid]
        while todo:
            p = todo.pop()
            try:
                with open(f"/proc/{p}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                with open(f"/proc/{p}/task/{p}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
        return total * 1024

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self._tree_rss(me))


def run_pool(path: Path, kspec: KernelSpec, ranges: list[tuple[int, int]]) -> dict:
    ctx = mp.get_context("forkserver")
    sampler = RssSampler()
    sampler.start()
    per_day: dict[int, int] = {}
    totals = {"rows": 0, "bad_field_count": 0, "type_errors": 0, "bad_dates": 0}
    worker_rss: dict[int, int] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-dups-") as spill,
        ProcessPoolExecutor(WORKERS, mp_context=ctx) as pool,
    ):
        # Start the workers and import the kernel outside the timed region.
        list(pool.map(_noop, range(WORKERS * 2)))
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        cpu = 0.0
        spills: list[tuple[int, list[int]]] = []
        pending: set = set()
        todo = list(enumerate(ranges))
        while todo or pending:
            while todo and len(pending) < IN_FLIGHT:
                i, (s, n) = todo.pop(0)
                pending.add(pool.submit(worker, kspec, str(path), i, s, n, spill))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                res, bounds, pid, rss, used = fut.result()
                spills.append((res.chunk_index, bounds))
                cpu += used
                worker_rss[pid] = max(worker_rss.get(pid, 0), rss)
                _merge(res, per_day, totals)
        halves = [list(range(k, PARTS, WORKERS)) for k in range(WORKERS)]
        found = list(pool.map(find_duplicates, [spill] * WORKERS, [spills] * WORKERS, halves))
        dups = sum(d for d, _ in found)
        cpu += sum(c for _, c in found) + time.process_time() - cpu0
        elapsed = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "per_day": per_day,
        "totals": totals,
        "dups": dups,
        "worker_rss": worker_rss,
        "tree_peak": sampler.peak,
        "parent_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _noop(_: int) -> None:
    import snowetl_tui.validate.kernel  # noqa: F401


def _merge(res: ChunkResult, per_day: dict[int, int], totals: dict[str, int]) -> None:
    for d, n in zip(res.day_numbers.tolist(), res.day_counts.tolist(), strict=True):
        per_day[d] = per_day.get(d, 0) + n
    totals["rows"] += res.rows
    totals["bad_field_count"] += res.bad_field_count
    totals["type_errors"] += sum(res.type_errors.values())
    totals["bad_dates"] += res.bad_dates


# ----------------------------------------------------------------------------------------------
# Baselines
# ----------------------------------------------------------------------------------------------


def duckdb_baseline(path: Path, threads: int = 2) -> dict:
    """The same aggregate checks in DuckDB: one typed pass (explicit column types, every column
    converted) giving rows and rows per day, one pass over the key columns for duplicates."""
    import duckdb

    def sql_type(t: str) -> str:
        if t.startswith("NUMBER"):
            return "DECIMAL" + t[6:]
        if t.startswith("VARCHAR"):
            return "VARCHAR"
        return {"INTEGER": "BIGINT", "FLOAT": "DOUBLE"}.get(t, t)

    types = ", ".join(f"'{n}': '{sql_type(t)}'" for n, t in COLUMNS)
    src = (
        f"read_csv('{path}', delim='\\t', header=true, quote='', escape='', "
        f"auto_detect=false, columns={{{types}}})"
    )
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    counts = ", ".join(f'count("{n}")' for n, _ in COLUMNS)
    t0 = time.perf_counter()
    cpu0 = time.process_time()  # DuckDB's threads run in this process
    per_day = con.execute(
        f"SELECT period_date, count(*), {counts} FROM {src} GROUP BY period_date"
    ).fetchall()
    dups = con.execute(
        f"SELECT count(*) FROM (SELECT row_id, account_code FROM {src} "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    elapsed = time.perf_counter() - t0
    return {
        "elapsed": elapsed,
        "cpu": time.process_time() - cpu0,
        "rows": sum(r[1] for r in per_day),
        "days": len(per_day),
        "dups": dups,
    }


INT_RE = re.compile(r"[+-]?[0-9]+\Z")
NUM_RE = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?\Z")
FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
TS_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d{1,6})?\Z")
BOOLS = {"true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"}


def python_baseline(path: Path, ranges: list[tuple[int, int]]) -> dict:
    """What a careful Python script does: csv.reader, every row, every check."""
    cols = list(COLUMNS)
    checks = []
    for _, t in cols:
        if t == "INTEGER":
            checks.append(lambda v: INT_RE.match(v) is not None and -(2**63) <= int(v) < 2**63)
        elif t.startswith("NUMBER"):
            p, s = map(int, t[7:-1].split(","))

            def num(v: str, p: int = p, s: int = s) -> bool:
                m = NUM_RE.match(v)
                return bool(m) and len(m[1]) <= p - s and len(m[2] or "") <= s and v not in "+-."

            checks.append(num)
        elif t == "FLOAT":
            checks.append(lambda v: FLOAT_RE.match(v) is not None)
        elif t == "BOOLEAN":
            checks.append(lambda v: v.lower() in BOOLS)
        elif t == "DATE":
            checks.append(lambda v: bool(datetime.strptime(v, "%Y-%m-%d")))
        elif t == "TIMESTAMP":
            checks.append(lambda v: TS_RE.match(v) is not None)
        elif t.startswith("VARCHAR("):
            checks.append(lambda v, n=int(t[8:-1]): len(v) <= n)
        else:
            checks.append(lambda v: True)
    seen: set[int] = set()
    per_day: dict[str, int] = {}
    rows = bad = dups = 0
    nbytes = 0
    t0 = time.perf_counter()
    for start, length in ranges:
        text = read_range(str(path), start, length).decode("utf-8")
        nbytes += length
        for row in csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
            rows += 1
            if len(row) != len(cols):
                bad += 1
                continue
            day = row[0]
            per_day[day] = per_day.get(day, 0) + 1
            for v, ok in zip(row, checks, strict=True):
                if v and not ok(v):
                    bad += 1
            k = hash((row[1], row[2]))
            if k in seen:
                dups += 1
            seen.add(k)
    elapsed = time.perf_counter() - t0
    return {"elapsed": elapsed, "bytes": nbytes, "rows": rows, "bad": bad, "dups": dups}


def single_core(
    path: Path, kspec: KernelSpec, ranges: list[tuple[int, int]], use_fast: bool = True
) -> tuple[float, int]:
    """Kernel time on one core: CPU time of validate_chunk only (reads excluded), best of 2.
    ``use_fast=False``: the numpy kernel alone (the compiled fast path off)."""
    first = MappedRange(str(path), *ranges[0])
    validate_chunk(kspec, first.view, 0, ranges[0][0], use_fast=use_fast)  # warm up
    first.close()
    best = float("inf")
    nbytes = sum(n for _, n in ranges)
    for _ in range(2):
        t = 0.0
        for i, (s, n) in enumerate(ranges):
            chunk = MappedRange(str(path), s, n)
            t0 = time.perf_counter()
            validate_chunk(kspec, chunk.view, i, s, use_fast=use_fast)
            t += time.perf_counter() - t0
            chunk.close()
        best = min(best, t)
    return best, nbytes


# ----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-gb", type=float, default=1.0)
    ap.add_argument("--path", type=Path, default=None)
    ap.add_argument("--skip-python", action="store_true")
    args = ap.parse_args()
    path = args.path or Path(tempfile.gettempdir()) / f"snowetl_bench_{args.size_gb:g}gb.tsv"
    if not path.exists():  # in a child process, so that this one stays small
        proc = mp.get_context("spawn").Process(
            target=generate, args=(path, int(args.size_gb * 1e9))
        )
        proc.start()
        proc.join()
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    for off in range(0, size, 16 << 20):  # into the page cache
        os.pread(fd, 16 << 20, off)
    os.close(fd)
    kspec = spec()
    _, ranges = chunk_ranges(path)
    data_bytes = sum(n for _, n in ranges)
    mb = 1e6
    print(
        f"file {path}: {size / 1e9:.2f} GB, {len(ranges)} chunks of ~{CHUNK >> 20} MB, "
        f"{len(COLUMNS)} columns; {os.cpu_count()} CPUs; python {sys.version.split()[0]}, "
        f"numpy {np.__version__}",
        flush=True,
    )

    pool = run_pool(path, kspec, ranges)  # first, so the parent's peak RSS is the validator's
    pool_mbs = data_bytes / pool["elapsed"] / mb
    tot = pool["totals"]
    print(
        f"validator, {WORKERS} processes:   {pool_mbs:7.0f} MB/s  ({data_bytes / mb:.0f} MB in "
        f"{pool['elapsed']:.2f} s; rows {tot['rows']}, days {len(pool['per_day'])}, "
        f"dup-hash rows {pool['dups']}, bad rows {tot['bad_field_count']}, "
        f"type errors {tot['type_errors']}, bad dates {tot['bad_dates']})",
        flush=True,
    )
    pool_cpu = data_bytes / pool["cpu"] / mb
    print(
        f"  CPU time {pool['cpu']:.2f} s (workers + parent): {pool_cpu:.0f} MB per CPU-second, "
        f"{WORKERS * pool_cpu:.0f} MB/s on {WORKERS} cores not shared with other processes",
        flush=True,
    )
    wr = sorted(pool["worker_rss"].values())
    print(
        f"peak RSS: parent {pool['parent_rss'] / 2**20:.0f} MiB, workers "
        f"{', '.join(f'{r / 1024:.0f}' for r in wr)} MiB (RUSAGE_SELF in each), "
        f"sum {(pool['parent_rss'] / 1024 + sum(wr)) / 1024:.0f} MiB; sampled process-tree "
        f"peak {pool['tree_peak'] / 2**20:.0f} MiB",
        flush=True,
    )

    t1, n1 = single_core(path, kspec, ranges[:4])
    print(
        f"kernel, 1 process:        {n1 / t1 / mb:7.0f} MB/s  ({n1 / mb:.0f} MB in {t1:.2f} s)",
        flush=True,
    )
    t0, n0 = single_core(path, kspec, ranges[:4], use_fast=False)
    print(
        f"  numpy kernel alone:     {n0 / t0 / mb:7.0f} MB/s  (fast path off; "
        f"fast path {t0 / t1:.2f}x)",
        flush=True,
    )

    duck = duckdb_baseline(path)
    duck_mbs = size / duck["elapsed"] / mb
    print(
        f"duckdb, 2 threads:        {duck_mbs:7.0f} MB/s  ({duck['elapsed']:.2f} s; rows "
        f"{duck['rows']}, days {duck['days']}, duplicate keys {duck['dups']})",
        flush=True,
    )
    duck_cpu = size / duck["cpu"] / mb
    print(
        f"  CPU time {duck['cpu']:.2f} s: {duck_cpu:.0f} MB per CPU-second, "
        f"{2 * duck_cpu:.0f} MB/s on 2 cores not shared with other processes",
        flush=True,
    )

    if not args.skip_python:
        py = python_baseline(path, ranges[:1])
        py_mbs = py["bytes"] / py["elapsed"] / mb
        print(
            f"python csv.reader, 1 cpu: {py_mbs:7.0f} MB/s  (first {py['bytes'] / mb:.0f} MB, "
            f"{py['rows']} rows)"
        )
        print(f"ratio validator / python csv: {pool_mbs / py_mbs:.1f}x")
    print(
        f"ratio validator / duckdb:     {pool_mbs / duck_mbs:.2f}x wall clock, "
        f"{pool_cpu / duck_cpu:.2f}x per CPU-second"
    )
    assert tot["rows"] == duck["rows"], (tot["rows"], duck["rows"])


if __name__ == "__main__":
    main()
