"""Comparing two data files of any size: structure, field counts, rows, per-day counts, keys.

Typical questions: is the re-delivered extract the same as the one loaded last month? Did the
new export drop a column, lose a day, or change which loans it holds? Each file is read once
through the validator's machinery — record-aligned chunks (:mod:`snowetl_tui.data.chunks`) run
through the per-chunk kernel in a process pool, which counts fields per row, rows per day and
spills 64-bit key hashes to disk per chunk — so memory is flat whatever the size, and ``.gz`` /
``.zst`` stream like plain files. By default the kernel runs in one thread of this process
(about 100 MB of RSS in all); ``workers`` > 1 uses a process pool instead.

Key overlap is then computed partition by partition of the hash space, like the duplicate scan
(:mod:`snowetl_tui.validate.duplicates`): each partition of both files' spilled hashes fits in
a few MB, is de-duplicated and intersected, and only counts survive. Counting by 64-bit hash
means two different keys could be taken as one when their hashes collide; with 10 million keys
per file the chance that this happens at all is about 3 in a million. The example keys shown
are read back from the files, so they are exact values.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snowetl_tui.config.model import FileEntry
from snowetl_tui.data.chunks import StreamSummary, iter_chunks
from snowetl_tui.data.sample import read_errors
from snowetl_tui.data.sniff import FileFormat, sniff_file
from snowetl_tui.errors import InputError
from snowetl_tui.validate.duplicates import (
    PARTITION_BYTES,
    KeyReader,
    gather_partition,
    partition_bounds,
    plain_key_reader,
    stream_key_reader,
)
from snowetl_tui.validate.kernel import KernelSpec
from snowetl_tui.validate.worker import ChunkOutcome, process_chunk

COMPARE_VERSION = 1
CHUNK_SIZE = 16 << 20
MAX_EXAMPLES = 5
MAX_DAY_DIFFS = 100


@dataclass
class CompareOptions:
    """What to compare on; unset fields come from the files' configs."""

    key_columns: list[str] | None = None
    date_column: str | None = None
    date_format: str | None = None
    workers: int | None = None
    chunk_size: int = CHUNK_SIZE


@dataclass
class FileScan:
    """What one pass over one file learned."""

    path: Path
    fmt: FileFormat
    columns: list[str]
    rows: int = 0
    lines: int = 0
    bytes: int = 0
    sha256: str = ""
    bad_field_rows: int = 0
    field_examples: list[tuple[int, int]] = field(default_factory=list)  # (line, fields)
    per_day: dict[str, int] = field(default_factory=dict)
    bad_dates: int = 0
    keyed_rows: int = 0
    spill_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self, key_columns: list[str] | None, date_column: str | None) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "codec": self.fmt.codec,
            "delimiter": self.fmt.delimiter,
            "quote": self.fmt.quote,
            "header": self.fmt.header,
            "encoding": self.fmt.encoding,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "rows": self.rows,
            "columns": self.columns,
            "field_count": {"expected": len(self.columns), "bad_rows": self.bad_field_rows,
                            "examples": [{"line": ln, "fields": n}
                                         for ln, n in self.field_examples]},
            "date_column": date_column,
            "rows_with_bad_dates": self.bad_dates if date_column else None,
            "key_columns": key_columns,
            "seconds": round(self.seconds, 3),
        }


def _names(fmt: FileFormat, spec: FileEntry | None) -> list[str]:
    if fmt.header_fields:
        return [f.strip() for f in fmt.header_fields]
    if spec is not None and spec.column_names:
        return list(spec.column_names)
    return [f"COL{i + 1}" for i in range(max(1, len(fmt.first_fields)))]


def _index(names: list[str], wanted: str, path: Path, what: str) -> int:
    upper = [n.upper() for n in names]
    if wanted.upper() not in upper:
        raise InputError(f"{path}: no column {wanted!r} ({what}); its columns: "
                         f"{', '.join(names[:12])}{' …' if len(names) > 12 else ''}")
    return upper.index(wanted.upper())


def _kernel_spec(fmt: FileFormat, names: list[str], date_index: int | None, date_format: str,
                 key_indices: tuple[int, ...]) -> KernelSpec:
    """Structure, days and keys only: every column is VARCHAR, nullable, no rule."""
    return KernelSpec(
        delimiter=fmt.delimiter.encode(fmt.encoding),
        quote=fmt.quote.encode(fmt.encoding) if fmt.quote else None,
        ncols=len(names), column_names=tuple(names),
        column_types=tuple("VARCHAR" for _ in names), nullable=tuple(True for _ in names),
        null_values=(b"",), date_index=date_index, date_format=date_format,
        key_indices=key_indices, encoding=fmt.encoding, max_examples=MAX_EXAMPLES,
    )


def scan_file(path: Path, fmt: FileFormat, spec: KernelSpec, *, executor: Executor,
              workers: int, chunk_size: int, spill_dir: str | None,
              progress: Callable[[int], None] | None = None) -> FileScan:
    """One streaming pass over ``path`` through the pool; keys spilled into ``spill_dir``."""
    started = time.monotonic()
    scan = FileScan(path, fmt, list(spec.column_names))
    summary = StreamSummary()
    pending: dict[Future[ChunkOutcome], int] = {}
    chunk_lines: dict[int, int] = {}
    examples: list[tuple[int, int, int, int]] = []  # (chunk, rel line, fields, offset)
    cap = max(2, 2 * workers)

    def collect(block: bool) -> None:
        done, _ = wait(list(pending), timeout=None if block else 0,
                       return_when=FIRST_COMPLETED)
        for fut in done:
            pending.pop(fut)
            out = fut.result()
            r = out.result
            scan.rows += r.rows
            chunk_lines[r.chunk_index] = r.lines
            scan.bad_field_rows += r.bad_field_count
            scan.bad_dates += r.bad_dates
            for off, n in r.field_count_examples:
                if off in out.offset_lines:
                    examples.append((r.chunk_index, out.offset_lines[off], n, off))
            examples.sort(key=lambda x: x[3])
            del examples[MAX_EXAMPLES:]
            for d, n in r.per_day().items():
                key = d.isoformat()
                scan.per_day[key] = scan.per_day.get(key, 0) + n
            if out.spill_file:
                scan.spill_files.append(out.spill_file)
                scan.keyed_rows += out.spill_rows
            if progress is not None:
                progress(summary.raw_position)

    try:
        for chunk in iter_chunks(path, data_start=fmt.data_start, chunk_size=chunk_size,
                                 quote=spec.quote, codec=fmt.codec, summary=summary):
            while len(pending) >= cap:
                collect(block=True)
            pending[executor.submit(process_chunk, spec, str(path), chunk, spill_dir)] = \
                chunk.index
        while pending:
            collect(block=True)
    finally:
        for fut in pending:
            fut.cancel()
    first = fmt.header_lines + 1
    starts: dict[int, int] = {}
    for idx in sorted(chunk_lines):
        starts[idx] = first
        first += chunk_lines[idx]
    scan.field_examples = [(starts.get(c, 0) + rel, n) for c, rel, n, _ in examples]
    scan.lines = first - 1
    scan.bytes = summary.total_bytes
    scan.sha256 = summary.sha256
    scan.per_day = dict(sorted(scan.per_day.items()))
    scan.seconds = time.monotonic() - started
    return scan


@dataclass
class KeyOverlap:
    distinct_a: int = 0
    distinct_b: int = 0
    in_both: int = 0
    duplicate_rows_a: int = 0
    duplicate_rows_b: int = 0
    only_a_offsets: list[int] = field(default_factory=list)
    only_b_offsets: list[int] = field(default_factory=list)

    @property
    def only_a(self) -> int:
        return self.distinct_a - self.in_both

    @property
    def only_b(self) -> int:
        return self.distinct_b - self.in_both


def _gather(files: list[str], lo: int, hi: int) -> np.ndarray:
    part = gather_partition(files, lo, hi)
    return np.zeros(0, dtype=[("h", "<u8"), ("o", "<i8")]) if part is None else part


def _smallest(current: list[int], new: np.ndarray) -> list[int]:
    if len(new) > MAX_EXAMPLES:
        new = np.partition(new, MAX_EXAMPLES)[:MAX_EXAMPLES]
    return sorted([*current, *(int(x) for x in new)])[:MAX_EXAMPLES]


def key_overlap(files_a: list[str], rows_a: int, files_b: list[str], rows_b: int,
                partition_bytes: int = PARTITION_BYTES) -> KeyOverlap:
    """Distinct keys of each file and how many they share, one hash partition at a time."""
    out = KeyOverlap()
    parts = max(1, -(-(rows_a + rows_b) * 16 // partition_bytes))
    for lo, hi in partition_bounds(parts):
        a, b = _gather(files_a, lo, hi), _gather(files_b, lo, hi)
        ua, ia = np.unique(a["h"], return_index=True)
        ub, ib = np.unique(b["h"], return_index=True)
        both = np.intersect1d(ua, ub, assume_unique=True)
        out.distinct_a += len(ua)
        out.distinct_b += len(ub)
        out.in_both += len(both)
        out.duplicate_rows_a += len(a) - len(ua)
        out.duplicate_rows_b += len(b) - len(ub)
        if len(ua) > len(both):
            keep = ~np.isin(ua, both, assume_unique=True)
            out.only_a_offsets = _smallest(out.only_a_offsets, a["o"][ia[keep]])
        if len(ub) > len(both):
            keep = ~np.isin(ub, both, assume_unique=True)
            out.only_b_offsets = _smallest(out.only_b_offsets, b["o"][ib[keep]])
    return out


def _key_reader(scan: FileScan, spec: KernelSpec) -> KeyReader:
    if scan.fmt.codec == "none":
        return plain_key_reader(scan.path, spec.delimiter, spec.quote, spec.encoding,
                                spec.key_indices)
    return stream_key_reader(scan.path, scan.fmt.codec, spec.delimiter, spec.quote,
                             spec.encoding, spec.key_indices)


def _columns(a: list[str], b: list[str]) -> dict[str, Any]:
    ua, ub = [x.upper() for x in a], [x.upper() for x in b]
    only_a = [x for x in a if x.upper() not in ub]
    only_b = [x for x in b if x.upper() not in ua]
    common_a = [x for x in ua if x in ub]
    common_b = [x for x in ub if x in ua]
    moved = [x for x, y in zip(common_a, common_b, strict=True) if x != y]
    return {"same": a == b, "only_in_a": only_a, "only_in_b": only_b,
            "moved": [n for n in a if n.upper() in moved]}


def compare_files(
    path_a: Path, path_b: Path, *, spec_a: FileEntry | None = None,
    spec_b: FileEntry | None = None, options: CompareOptions | None = None,
    executor: Executor | None = None, spill_root: Path | None = None,
) -> dict[str, Any]:
    """Compare two files; returns the JSON-ready result (``differences`` empty = same)."""
    from snowetl_tui.validate.runner import (
        _detect_date_format,
        _head_values,
        default_executor,
    )

    opts = options or CompareOptions()
    started = time.monotonic()
    path_a, path_b = Path(path_a), Path(path_b)
    fmt_a, fmt_b = sniff_file(path_a, spec_a), sniff_file(path_b, spec_b)
    names_a, names_b = _names(fmt_a, spec_a), _names(fmt_b, spec_b)
    cfg = spec_a or spec_b
    key_cols = opts.key_columns or (list(cfg.duplicate_key_columns) if cfg and
                                    cfg.duplicate_key_columns else None)
    date_col = opts.date_column or (cfg.date_column if cfg else None)
    keys_a = tuple(_index(names_a, k, path_a, "key column") for k in key_cols or [])
    keys_b = tuple(_index(names_b, k, path_b, "key column") for k in key_cols or [])
    date_a = _index(names_a, date_col, path_a, "date column") if date_col else None
    date_b = _index(names_b, date_col, path_b, "date column") if date_col else None
    date_fmt = opts.date_format or (cfg.date_format if cfg and cfg.date_format else None)
    if date_col and date_fmt is None:
        date_fmt = _detect_date_format(_head_values(fmt_a, date_a or 0)) or "%Y-%m-%d"
    kspec_a = _kernel_spec(fmt_a, names_a, date_a, date_fmt or "%Y-%m-%d", keys_a)
    kspec_b = _kernel_spec(fmt_b, names_b, date_b, date_fmt or "%Y-%m-%d", keys_b)

    # One worker thread by default: the kernel runs beside the sequential read in this
    # process, ~100 MB in all whatever the size (measured: a process pool of two costs ~250 MB
    # and, with its start-up, is no faster below a few GB). More workers = processes.
    workers = opts.workers or 1
    own = executor is None
    pool = executor or (ThreadPoolExecutor(1) if workers == 1 else default_executor(workers))
    if spill_root is not None:
        spill_root.mkdir(parents=True, exist_ok=True)
    spill = tempfile.mkdtemp(prefix="compare-", dir=spill_root) if key_cols else None
    try:
        dirs = (None, None)
        if spill is not None:
            dirs = (str(Path(spill) / "a"), str(Path(spill) / "b"))
            for d in dirs:
                Path(d).mkdir()
        with read_errors(path_a):
            scan_a = scan_file(path_a, fmt_a, kspec_a, executor=pool, workers=workers,
                               chunk_size=opts.chunk_size, spill_dir=dirs[0])
        with read_errors(path_b):
            scan_b = scan_file(path_b, fmt_b, kspec_b, executor=pool, workers=workers,
                               chunk_size=opts.chunk_size, spill_dir=dirs[1])
        keys = None
        if key_cols:
            ov = key_overlap(scan_a.spill_files, scan_a.keyed_rows, scan_b.spill_files,
                             scan_b.keyed_rows)
            with read_errors(path_a):
                ex_a = _key_reader(scan_a, kspec_a)(ov.only_a_offsets)
            with read_errors(path_b):
                ex_b = _key_reader(scan_b, kspec_b)(ov.only_b_offsets)
            keys = {
                "columns": key_cols, "rows_keyed_a": scan_a.keyed_rows,
                "rows_keyed_b": scan_b.keyed_rows, "distinct_a": ov.distinct_a,
                "distinct_b": ov.distinct_b, "in_both": ov.in_both, "only_in_a": ov.only_a,
                "only_in_b": ov.only_b, "duplicate_rows_a": ov.duplicate_rows_a,
                "duplicate_rows_b": ov.duplicate_rows_b,
                "examples_only_in_a": [" | ".join(ex_a[o]) for o in ov.only_a_offsets
                                       if o in ex_a],
                "examples_only_in_b": [" | ".join(ex_b[o]) for o in ov.only_b_offsets
                                       if o in ex_b],
                "method": "64-bit key hashes, partitioned on disk; examples read back exactly",
            }
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
    return _result(scan_a, scan_b, key_cols, date_col, keys, time.monotonic() - started)


def _names_list(names: list[str], cap: int = 8) -> str:
    shown = ", ".join(names[:cap])
    return shown + (f" … ({len(names)} in all)" if len(names) > cap else "")


def _result(a: FileScan, b: FileScan, key_cols: list[str] | None, date_col: str | None,
            keys: dict[str, Any] | None, seconds: float) -> dict[str, Any]:
    cols = _columns(a.columns, b.columns)
    per_day = None
    diffs: list[str] = []
    if not cols["same"]:
        what = [f"only in A: {_names_list(cols['only_in_a'])}" if cols["only_in_a"] else "",
                f"only in B: {_names_list(cols['only_in_b'])}" if cols["only_in_b"] else "",
                f"moved: {_names_list(cols['moved'])}" if cols["moved"] else ""]
        diffs.append("columns differ — " + ("; ".join(w for w in what if w)
                                            or "names differ in case or spaces"))
    for label, s in (("A", a), ("B", b)):
        if s.bad_field_rows:
            verb = "row does" if s.bad_field_rows == 1 else "rows do"
            first = f" (first at line {s.field_examples[0][0]:,})" if s.field_examples else ""
            diffs.append(f"{label}: {s.bad_field_rows:,} {verb} not have {len(s.columns)} "
                         f"fields{first}")
    if a.rows != b.rows:
        diffs.append(f"rows: A {a.rows:,}, B {b.rows:,} ({b.rows - a.rows:+,})")
    if date_col:
        days = sorted(set(a.per_day) | set(b.per_day))
        changed = [{"day": d, "a": a.per_day.get(d, 0), "b": b.per_day.get(d, 0),
                    "difference": b.per_day.get(d, 0) - a.per_day.get(d, 0)}
                   for d in days if a.per_day.get(d, 0) != b.per_day.get(d, 0)]
        per_day = {
            "date_column": date_col,
            "days_a": len(a.per_day), "days_b": len(b.per_day),
            "days_only_in_a": [d for d in days if d not in b.per_day],
            "days_only_in_b": [d for d in days if d not in a.per_day],
            "days_differing": len(changed),
            "differences": changed[:MAX_DAY_DIFFS],
            "a": a.per_day, "b": b.per_day,
        }
        if changed:
            shown = ", ".join(f"{c['day']} {c['a']:,}→{c['b']:,}" for c in changed[:5])
            diffs.append(f"per-day counts differ on {len(changed)} days ({shown}"
                         f"{' …' if len(changed) > 5 else ''})")
    if keys is not None:
        if keys["only_in_a"] or keys["only_in_b"]:
            diffs.append(f"keys ({', '.join(key_cols or [])}): {keys['in_both']:,} in both, "
                         f"{keys['only_in_a']:,} only in A, {keys['only_in_b']:,} only in B")
        for label in ("a", "b"):
            if keys[f"duplicate_rows_{label}"]:
                diffs.append(f"{label.upper()}: {keys[f'duplicate_rows_{label}']:,} rows repeat "
                             "a key")
    return {
        "compare_version": COMPARE_VERSION,
        "identical_content": a.sha256 == b.sha256 and a.bytes == b.bytes,
        "a": a.as_dict(key_cols, date_col),
        "b": b.as_dict(key_cols, date_col),
        "columns": cols,
        "rows": {"a": a.rows, "b": b.rows, "difference": b.rows - a.rows},
        "per_day": per_day,
        "keys": keys,
        "differences": diffs,
        "same": not diffs,
        "seconds": round(seconds, 3),
    }

