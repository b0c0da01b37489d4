"""Benchmark: the kernel's compiled fast path against the numpy kernel alone, per core.

Prints, from one run: MB/s of ``validate_chunk`` on one core with the fast path and with
``use_fast=False``, on the same demo-style rows written two ways — the 40-column TSV, and a
CSV whose text fields are all quoted (RFC 4180) — plus the ratio. Both kernels must report the
same rows and findings, which the script checks. Run:

    python benchmarks/bench_fastpath.py [--mb 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from snowetl_tui.demo import FACT_COLUMNS, write_fact_file
from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES
from snowetl_tui.validate.fastpath import available
from snowetl_tui.validate.kernel import ChunkResult, KernelSpec, validate_chunk


def spec(delimiter: bytes, quote: bytes | None) -> KernelSpec:
    return KernelSpec(
        delimiter=delimiter, quote=quote, ncols=len(FACT_COLUMNS),
        column_names=tuple(c.name for c in FACT_COLUMNS),
        column_types=tuple(c.type for c in FACT_COLUMNS),
        nullable=tuple(c.nullable for c in FACT_COLUMNS), null_values=(b"",),
        date_index=0, date_format="%Y-%m-%d", key_indices=(0, 1))


def as_quoted_csv(tsv: bytes) -> bytes:
    """The same rows as CSV with every text field quoted."""
    text = {i for i, c in enumerate(FACT_COLUMNS) if c.type.startswith("VARCHAR")}
    out = []
    for line in tsv.split(b"\n")[:-1]:
        fields = line.split(b"\t")
        out.append(b",".join(b'"' + f + b'"' if i in text else f for i, f in enumerate(fields)))
    return b"\n".join(out) + b"\n"


def best_of(data: bytes, kspec: KernelSpec, use_fast: bool, runs: int = 3
            ) -> tuple[float, ChunkResult]:
    validate_chunk(kspec, data[: 1 << 20], 0, 0, use_fast=use_fast)  # warm up
    best, res = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        res = validate_chunk(kspec, data, 0, 0, use_fast=use_fast)
        best = min(best, time.perf_counter() - t0)
    assert res is not None
    return len(data) / best / 1e6, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=64, help="size of the TSV chunk (MB)")
    args = ap.parse_args()
    if not available():
        raise SystemExit("the compiled fast path is not built: pip install -e . first")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fact.tsv"
        days = 21
        write_fact_file(path, date(2024, 1, 1), date(2024, 1, 31), seed=3,
                        rows_per_day=int(args.mb * 1e6 / AVG_FACT_ROW_BYTES / days))
        raw = path.read_bytes()
    tsv = raw[raw.index(b"\n") + 1:]  # without the header
    csv = as_quoted_csv(tsv)
    print(f"one core; {len(FACT_COLUMNS)} columns, all checks, keys (BUSINESS_DATE, LOAN_ID)")
    for name, data, kspec in (("TSV", tsv, spec(b"\t", None)),
                              ("quoted CSV", csv, spec(b",", b'"'))):
        fast, a = best_of(data, kspec, True)
        slow, b = best_of(data, kspec, False)
        assert (a.rows, a.bad_field_count, a.type_errors, a.per_day()) == (
            b.rows, b.bad_field_count, b.type_errors, b.per_day()), "kernels disagree"
        assert (a.key_hashes == b.key_hashes).all()
        print(f"{name:<11} {len(data) / 1e6:6.0f} MB  fast path {fast:6.0f} MB/s   numpy alone "
              f"{slow:6.0f} MB/s   ratio {fast / slow:4.2f}x   ({a.rows:,} rows, same results)")


if __name__ == "__main__":
    main()
