"""The per-chunk validation kernel: every check on one record-aligned chunk, at C speed.

A worker calls :func:`validate_chunk` on one chunk (~64 MB) and gets a compact, picklable
:class:`ChunkResult` of partial aggregates for the parent to merge. Each 2 MB block is first
offered to the compiled fast path (:mod:`.fastpath`, ``_fastscan.c``: ~500 MB/s per core),
which accepts only blocks where every row and field is clean and then yields exactly this
kernel's aggregates; any other block — and every block when the library is not built — is
processed by the numpy kernel below, which is exact for every input and locates the defects.

The numpy kernel's budget is ~250 MB/s per core *including every check*, so nothing on its hot
path loops in Python per row or per field: Python runs per 2 MB block and per column group,
and per *bad* field only (examples capped).

Design (each choice measured with ``benchmarks/bench_kernel.py`` and scratch benchmarks on a
2-core Xeon, 2 MB L2 per core; figures per 64 MB chunk of a 40-column TSV):

1. **2 MB blocks, copied into one reused, zero-padded buffer.** Every check gathers from the
   block, and gathers from an L2-resident buffer are 2-3x cheaper than from a cold one;
   per-block Python overhead (~0.6 ms) favours big blocks, cache favours small: 1.5-3 MB is the
   flat optimum. The padding makes 8-64-byte loads past the end safe and gives a last block
   without a final newline one.
2. **Structure** (field count of *every* row): one ``flatnonzero`` over the block (for TSV a
   single ``byte <= 10`` compare also catches NUL/control bytes): ~50 ms, the largest single
   cost (numpy's nonzero, ~6 ns per separator; Arrow's ``indices_nonzero`` and boolean indexing
   were 2-3x slower). If the block has exactly ``rows * ncols`` separators and every ``ncols``-th
   is a newline, every row has exactly ``ncols`` fields (pigeonhole) and the separator array *is*
   the row x column matrix of field bounds (a zero-copy strided view); else per-row counts
   come from the newline indices and the bad rows are set aside. Bounds are then transposed
   once so each column is a contiguous row of starts and lengths.
3. **Type checks per group of same-type columns, on 64-bit words.** One gather per field from
   a byte-strided "void" view loads 8-64 bytes from any offset (~4.5 ns, the same for 8 or 32
   bytes; two aligned gathers + funnel shifts cost more). Fields are then tested with SWAR bit
   arithmetic on whole (columns x rows x words) arrays, e.g. "every byte is a digit" is
   ``(((y & 0x7f..) + 0x76..) | y) & 0x80.. == 0`` with ``y = (w ^ "00000000") & mask``.
   Dates and timestamps are byte templates (one add per word tests every digit and separator
   position), their values come from ``y * 10 + (y >> 8)`` digit pairs and a branch-free
   days-from-civil; NUMBER precision is position-free (no dot in the first ``len-1-s`` bytes);
   BOOLEAN is a perfect hash of the case-folded token. Groups are split by word count so one
   long column does not widen the others.
4. **Exactness.** Each fast check is a *sufficient* condition for validity; what it cannot
   decide (a 19-digit integer that may overflow int64, ``NaN``, a date like ``2024-1-5`` that
   strptime accepts) is re-checked by an exact Python validator, and where the fast grammar is
   the grammar its "invalid" is final. Clean data never reaches Python.
5. **Keys**: per key field its length, then a position-salted sum of its finalised 64-bit
   words (zero words add nothing, so padding never changes it and giant fields hash vectorised),
   combined with multiply/xor-shift rounds: ``("a", "bc")`` and ``("ab", "c")`` differ. The
   caller spills hashes + row offsets and compares real values on collisions.
6. **UTF-8**: ``bytes.isascii`` skips ASCII chunks for free; otherwise each hot block is decoded
   by CPython (~12 ms per chunk, as fast as Arrow's validator on the whole chunk, without the
   24 MB of RSS that importing pyarrow costs each worker); an invalid block is decoded again with
   a counting error handler.
7. **Allocator**: numpy temporaries of 0.1-10 MB would each be mmapped and page-faulted by
   glibc; :func:`_tune_allocator` (once per process) keeps them on the heap: -15% time.

Rejected, with their measured speed on the same chunk (one core): pyarrow ``read_csv`` with
explicit types, ``use_threads=False``: 163 MB/s (parse-only 253 MB/s), and it cannot locate a
bad value without a slow path; DuckDB ``read_csv`` converting every column: 143 MB/s on one
thread; a per-byte class LUT (``take``) + ``cumsum``/``reduceat`` per field: 185 + 260 ms for
the LUT and prefix sums alone; unaligned uint64 gathers with funnel shifts: 6.2 vs 4.5 ns per
field; row-major gathers then transposes: 20 vs 13 ns per field; working in place in the chunk
instead of copying blocks: 5% slower (cold cache); folding non-ASCII bytes into the separator
scan for UTF-8 checks: +30 ms (compressing the separator arrays).

Semantic decisions (the reference implementation in ``tests/unit/test_kernel.py`` encodes the
same rules in plain Python):

* A record is ``data.split(b"\\n")`` (CSV: newlines inside quotes do not end a record, with the
  chunker's rule: a newline is outside quotes iff an even number of quotes precede it); its
  fields are ``record.split(delimiter)`` (CSV: delimiters inside quotes do not split). A blank
  line is one empty field. A trailing ``\\r`` is stripped from the last field and counted.
* Rows with a wrong field count (or, for CSV, malformed quoting) are counted in ``rows`` and in
  ``bad_field_count`` (``unbalanced_quotes``), and are *not* type-checked, not counted per day
  and not hashed as keys: their field positions cannot be trusted. A quoted CSV field must
  start and end with the quote and contain only doubled quotes inside; anything else (a quote
  in an unquoted field, text after the closing quote, an unterminated quote) is malformed.
* NULL: a field (CSV: its content inside the quotes) equal to a ``null_values`` token is NULL
  and skips the type check; NULL in a non-nullable column is a null violation, not a type error.
* INTEGER: ``[+-]?[0-9]+`` within int64. NUMBER(p,s): ``[+-]?[0-9]*(\\.[0-9]*)?`` with at least
  one digit, at most p-s integer digits (leading zeros count) and at most s fraction digits; no
  exponent. FLOAT: ``[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?`` or, ignoring case,
  ``[+-]?inf``, ``[+-]?infinity``, ``[+-]?nan`` (no range check: ``1e999`` is +inf). BOOLEAN:
  Snowflake's tokens, ignoring case: true/false, t/f, yes/no, y/n, on/off, 1/0. TIMESTAMP:
  ``YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]``, a real date and time. DATE: ``strptime`` with the date
  column's format for the date column, ``%Y-%m-%d`` for other DATE columns. VARCHAR(n): at most
  n characters (UTF-8: bytes that are not continuation bytes; CSV: ``""`` counts as one).
* The date column is parsed with ``date_format`` whatever its declared type; an unparseable
  value counts in ``bad_dates`` (not in ``type_errors``); per-day counts use days since
  1970-01-01. Other encodings than UTF-8 are decoded per chunk with a counting error handler;
  delimiter, quote and newline must be ASCII (the encoding must be ASCII-compatible).
"""

from __future__ import annotations

import codecs
import ctypes
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import numpy as np

from snowetl_tui.validate.fastpath import HIGH_NONE, HIGH_OTHER, HIGH_UTF8, FastPath, fast_path

__all__ = ["ChunkResult", "KernelSpec", "validate_chunk"]

# ----------------------------------------------------------------------------------------------
# Public contract
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelSpec:
    """Everything the kernel needs to know about a file; picklable, built once by the parent."""

    delimiter: bytes
    quote: bytes | None
    ncols: int
    column_names: tuple[str, ...]
    column_types: tuple[str, ...]
    nullable: tuple[bool, ...]
    null_values: tuple[bytes, ...]
    date_index: int | None
    date_format: str
    key_indices: tuple[int, ...]
    encoding: str = "utf-8"
    max_examples: int = 20


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass
class ChunkResult:
    """Partial aggregates of one chunk. All byte offsets are absolute (``byte_start`` + relative)
    and point at the start of the offending record, except ``first_*_offset`` (the byte)."""

    chunk_index: int
    byte_start: int
    byte_len: int
    lines: int = 0
    rows: int = 0
    bad_field_count: int = 0
    field_count_examples: list[tuple[int, int]] = field(default_factory=list)
    day_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    day_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bad_dates: int = 0
    bad_date_examples: list[tuple[int, str]] = field(default_factory=list)
    type_errors: dict[int, int] = field(default_factory=dict)
    type_error_examples: list[tuple[int, int, str]] = field(default_factory=list)
    null_violations: dict[int, int] = field(default_factory=dict)
    null_violation_examples: list[tuple[int, int]] = field(default_factory=list)
    key_hashes: np.ndarray | None = None
    key_offsets: np.ndarray | None = None
    nul_bytes: int = 0
    first_nul_offset: int | None = None
    cr_count: int = 0
    encoding_errors: int = 0
    first_encoding_error_offset: int | None = None
    unbalanced_quotes: int = 0
    unbalanced_quote_examples: list[int] = field(default_factory=list)
    missing_final_newline: bool = False

    def per_day(self) -> dict[date, int]:
        """Rows per calendar day (rows with a good field count and a parseable date)."""
        return {
            date.fromordinal(int(d) + _EPOCH_ORDINAL): int(n)
            for d, n in zip(self.day_numbers, self.day_counts, strict=True)
        }


def validate_chunk(
    spec: KernelSpec,
    data: bytes | bytearray | memoryview,
    chunk_index: int,
    byte_start: int,
    *,
    block_size: int = 2 << 20,
    use_fast: bool = True,
) -> ChunkResult:
    """Validate one record-aligned chunk (header already stripped) and return its aggregates.

    ``data`` ends with a newline except possibly for the last chunk of a file, whose last record
    is then counted as usual (``missing_final_newline`` is set). Each block is first offered to
    the compiled fast path (:mod:`.fastpath`), which accepts only clean blocks; ``use_fast=False``
    runs the numpy kernel alone (the reference the tests compare both against).
    """
    if not _TUNED:
        _tune_allocator()
    plan = _plan(spec)
    view = np.frombuffer(data, dtype=np.uint8)
    n = int(view.size)
    acc = _Acc(spec, chunk_index, byte_start, n)
    if n == 0:
        return acc.result()
    acc.res.missing_final_newline = bool(view[-1] != 10)
    # bytes.isascii() is free; for other buffers (an mmap) each block is decoded instead.
    high = not data.isascii() if isinstance(data, (bytes, bytearray)) else True
    if high and not plan.utf8:
        _check_other_encoding(view, spec, acc)
    # Each block is copied into one reused, zero-padded buffer: it stays hot in L2 while all
    # the checks gather from it (measured faster than working in place in the chunk), and the
    # padding gives room for wide loads past the end and for a missing final newline.
    work = _Source(np.zeros(0, dtype=np.uint8), 0)
    fast = _fast_for(spec) if use_fast else None
    for start, end in _blocks(view, n, block_size, plan.quote):
        if fast is not None and _fast_block(plan, acc, fast, view[start:end], start, high):
            continue
        work.load(view[start:end], acc.base + start)
        _process_block(plan, acc, work, 0, work.size, high and plan.utf8)
    return acc.result()


@lru_cache(maxsize=16)
def _fast_for(spec: KernelSpec) -> FastPath | None:
    return fast_path(_plan(spec))


def _fast_block(
    plan: _Plan, acc: _Acc, fast: FastPath, block: np.ndarray, start: int, high: bool
) -> bool:
    """Offer one block to the compiled fast path; True when it was clean and is accounted for
    (False: nothing was recorded and the numpy kernel must process it)."""
    mode = HIGH_NONE
    if high and fast.any_high(block):
        if not plan.utf8:
            mode = HIGH_OTHER
        else:
            try:
                codecs.utf_8_decode(block, "strict", True)
            except UnicodeDecodeError:
                return False  # the numpy kernel counts and locates the errors
            mode = HIGH_UTF8
    got = fast.run(block, acc.base + start, mode)
    if got is None:
        return False
    res = acc.res
    res.rows += got.rows
    res.lines += got.rows
    res.cr_count += got.cr
    if plan.date_index is not None:
        acc.days.append(got.days)
    if got.hashes is not None:
        acc.hashes.append(got.hashes)
        acc.offsets.append(got.offsets)
    return True


_TUNED = False


def _tune_allocator() -> None:
    """Keep numpy's temporaries on the heap (once per process; ``SNOWETL_KERNEL_MALLOPT=0``
    disables it).

    The kernel's temporaries are 0.1-10 MB arrays. glibc serves allocations above its mmap
    threshold (128 KB, adapted upwards only slowly) with a fresh ``mmap`` and trims the heap top
    eagerly, so most array operations would start by page-faulting their output: measured at
    15-20% of the kernel's time. A fixed 32 MB threshold, a 128 MB trim threshold and a 16 MB
    top pad make freed temporaries reusable; the process keeps at most ~128 MB of free heap,
    well within a worker's budget, and chunk-sized buffers (> 32 MB) are still mmapped.
    """
    global _TUNED
    _TUNED = True
    if os.environ.get("SNOWETL_KERNEL_MALLOPT", "1") == "0":
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc: nothing to tune
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 128 << 20)
    mallopt(m_top_pad, 16 << 20)


# ----------------------------------------------------------------------------------------------
# SWAR helpers on uint64 words (8 bytes of a field, little-endian: byte i = bits 8i..8i+7).
# Word arrays are (columns, rows, words): the layout one gather produces. Operations with the
# same constant for every word run on the whole array; word-specific constants are applied one
# word at a time (strided views with a scalar), never by broadcasting over the tiny last axis.
# ----------------------------------------------------------------------------------------------

_U = np.uint64
_HI = _U(0x8080808080808080)
_LO7 = _U(0x7F7F7F7F7F7F7F7F)
_ONES = 0x0101010101010101
_ZEROS = _U(0x30 * _ONES)  # b"00000000"
_DOTS = _U(0x2E * _ONES)
_MINUS = _U(0x2D * _ONES)
_PLUS = _U(0x2B * _ONES)
_CASE = _U(0x20 * _ONES)
_EEE = _U(0x65 * _ONES)
_GT9 = _U(0x76 * _ONES)  # (byte & 0x7f) + 0x76 has its top bit set iff byte > 9
_FF = _U(0xFF)
_S1, _S2, _S6, _S7, _S8, _S56 = _U(1), _U(2), _U(6), _U(7), _U(8), _U(56)
_MAXW = 8  # widest gather: 64 bytes
_LCAP = 8 * _MAXW + 1  # lengths are clipped to this for mask lookups


def _mask_table(nw: int) -> np.ndarray:
    """``table[length, m]`` keeps the bytes of word m that lie inside a field of that length."""
    t = np.zeros((_LCAP + 1, nw), dtype=np.uint64)
    for length in range(_LCAP + 1):
        for m in range(nw):
            c = min(max(length - 8 * m, 0), 8)
            t[length, m] = (1 << (8 * c)) - 1
    return t


_MASK_TABLES = {nw: _mask_table(nw) for nw in range(1, _MAXW + 1)}


def _masks(lengths: np.ndarray, nw: int) -> np.ndarray:
    """Per-field byte masks, shape ``lengths.shape + (nw,)`` (rows of a tiny table)."""
    return _MASK_TABLES[nw].take(np.minimum(lengths, _LCAP), axis=0)


def _each_word(op: Any, w: np.ndarray, consts: np.ndarray) -> None:
    """``w[..., m] = op(w[..., m], consts[m])`` in place, word by word."""
    for m in range(w.shape[-1]):
        view = w[..., m]
        op(view, consts[m], out=view)


def _nonzero_hi(y: np.ndarray) -> np.ndarray:
    """0x80 in every byte of ``y`` that is non-zero (exact: no carries between bytes)."""
    u = y & _LO7
    u += _LO7
    u |= y
    u &= _HI
    return u


def _gt_hi(y: np.ndarray, k: int) -> np.ndarray:
    """0x80 in every byte of ``y`` that is greater than ``k`` (0 <= k < 0x7f)."""
    u = y & _LO7
    u += _U((0x7F - k) * _ONES)
    u |= y
    u &= _HI
    return u


def _eq_hi(x: np.ndarray, pattern: np.uint64) -> np.ndarray:
    """0x80 in every byte of ``x`` equal to the corresponding byte of ``pattern``."""
    u = _nonzero_hi(x ^ pattern)
    u ^= _HI
    return u


def _or_words(x: np.ndarray) -> np.ndarray:
    """OR over the words axis (a view of ``x[..., 0]`` when there is one word: callers only
    modify the result in place when ``x`` is their own temporary)."""
    if x.shape[-1] == 1:
        return x[..., 0]
    out = x[..., 0] | x[..., 1]
    for m in range(2, x.shape[-1]):
        out |= x[..., m]
    return out


def _sum_words(x: np.ndarray) -> np.ndarray:
    out = x[..., 0].astype(np.int64)
    for m in range(1, x.shape[-1]):
        out += x[..., m]
    return out


def _any(x: np.ndarray) -> bool:
    return np.count_nonzero(x) > 0


def _digits_bad(y: np.ndarray) -> np.ndarray:
    """Per field: non-zero iff some byte of ``y`` (field bytes XOR '0', outside bytes 0) > 9."""
    t = y & _LO7
    t += _GT9
    t |= y
    out = _or_words(t)
    out &= _HI
    return out


def _positions(flags: np.ndarray) -> np.ndarray:
    """Byte offset within the field of the flagged byte, for fields with exactly one flag
    (summed over words; garbage elsewhere, callers only use it where the count is 1)."""
    idx = np.bitwise_count(flags - _S1) >> np.uint8(3)
    _each_word(np.add, idx, np.arange(0, 8 * flags.shape[-1], 8, dtype=np.uint8))
    idx *= flags != 0
    return _sum_words(idx)


def _nwords(lengths: np.ndarray, cap_bytes: int) -> int:
    top = int(lengths.max()) if lengths.size else 0
    return max(1, (min(top, cap_bytes) + 7) >> 3)


def _strip_sign(w0: np.ndarray) -> np.ndarray:
    """Replace a leading '+'/'-' of the first words ``w0`` by '0' in place; return "had one"."""
    b0 = w0 & _FF
    sign = (b0 == 0x2D) | (b0 == 0x2B)
    b0 ^= _U(0x30)
    b0 *= sign
    w0 ^= b0
    return sign


# ----------------------------------------------------------------------------------------------
# Plan: what to check per column, derived once per spec (per worker process)
# ----------------------------------------------------------------------------------------------

_TYPE_RE = re.compile(
    r"^(INTEGER|NUMBER|FLOAT|BOOLEAN|DATE|TIMESTAMP|VARCHAR)(?:\((\d+)(?:,(\d+))?\))?$"
)


@dataclass(frozen=True)
class _DateFormat:
    """A strptime format and, when it is fixed-width digits and literals, its byte template."""

    fmt: str
    width: int = 0  # 0 = no fast path (strptime on the distinct values)
    year: int = -1
    month: int = -1
    day: int = -1
    expected: np.ndarray | None = None  # per word: expected bytes (digits as '0')
    add: np.ndarray | None = None  # per word: addends for _layout_bad
    keep: np.ndarray | None = None  # per word: the bytes inside the width


def _template(text: bytes, is_digit: bytes) -> tuple[np.ndarray, ...]:
    """Per-word constants of a fixed layout: expected bytes, digit and literal positions, and
    the mask of the bytes within the layout."""
    pad = (-len(text)) % 8
    n = len(text)
    exp = text + b"\0" * pad
    dig = bytes(0x80 if k < n and is_digit[k] else 0 for k in range(n + pad))
    lit = bytes(0x80 if k < n and not is_digit[k] else 0 for k in range(n + pad))
    keep = bytes(0xFF if k < n else 0 for k in range(n + pad))

    def words(b: bytes) -> np.ndarray:
        return np.array(
            [int.from_bytes(b[k : k + 8], "little") for k in range(0, len(b), 8)], dtype=np.uint64
        )

    return words(exp), words(dig), words(lit), words(keep)


def _compile_date_format(fmt: str) -> _DateFormat:
    """Fast path for formats made only of %Y, %m, %d and punctuation literals.

    Anything else (%b, %y, %H, letters, whitespace — which strptime treats as "any
    whitespace") has no fast path: such a column is parsed with strptime on its distinct values.
    """
    pos, i = 0, 0
    where: dict[str, int] = {}
    text = bytearray()
    digit = bytearray()
    while i < len(fmt):
        c = fmt[i]
        if c == "%":
            d = fmt[i + 1 : i + 2]
            width = {"Y": 4, "m": 2, "d": 2}.get(d)
            if width is None or d in where:
                return _DateFormat(fmt)
            where[d] = pos
            text += b"0" * width
            digit += b"\x01" * width
            pos += width
            i += 2
        else:
            if not (c.isascii() and c.isprintable() and not c.isspace() and not c.isalnum()):
                return _DateFormat(fmt)
            text += c.encode()
            digit += b"\x00"
            pos += 1
            i += 1
    if set(where) != {"Y", "m", "d"} or pos > 16:
        return _DateFormat(fmt)
    exp, dig, lit, keep = _template(bytes(text), bytes(digit))
    return _DateFormat(
        fmt, pos, where["Y"], where["m"], where["d"], exp, _layout_add(dig, lit), keep
    )


@dataclass
class _Group:
    """Columns of one check kind, processed together as (columns x rows) arrays."""

    kind: str
    cols: np.ndarray  # column indices
    nullable: np.ndarray  # bool per column, shape (k, 1)
    arg1: np.ndarray | None = None  # NUMBER: max integer digits; VARCHAR: max chars; (k, 1)
    arg2: np.ndarray | None = None  # NUMBER: max fraction digits; (k, 1)


@dataclass
class _Plan:
    ncols: int
    delim: int
    quote: int | None
    tab_scan: bool  # TSV: one `<= 10` compare finds tabs, newlines and NUL together
    groups: list[_Group]
    date_index: int | None
    date_nullable: bool
    date_fmt: _DateFormat
    iso_date: _DateFormat
    key_cols: np.ndarray
    null_empty: bool
    null_tokens: tuple[bytes, ...]  # non-empty tokens
    utf8: bool
    encoding: str
    max_examples: int


@lru_cache(maxsize=16)
def _plan(spec: KernelSpec) -> _Plan:
    if not (len(spec.column_names) == len(spec.column_types) == len(spec.nullable) == spec.ncols):
        raise ValueError("column_names, column_types and nullable must all have ncols entries")
    if spec.ncols < 1:
        raise ValueError("ncols must be at least 1")
    if len(spec.delimiter) != 1 or spec.delimiter in b"\r\n":
        raise ValueError(f"delimiter must be one byte other than CR/LF, got {spec.delimiter!r}")
    if spec.quote is not None and (
        len(spec.quote) != 1 or spec.quote in b"\r\n" or spec.quote == spec.delimiter
    ):
        raise ValueError(f"quote must be one byte other than CR/LF/delimiter, got {spec.quote!r}")
    if spec.date_index is not None and not 0 <= spec.date_index < spec.ncols:
        raise ValueError("date_index out of range")
    if any(not 0 <= k < spec.ncols for k in spec.key_indices):
        raise ValueError("key_indices out of range")
    by_kind: dict[str, list[tuple[int, int, int]]] = {}
    for j, raw in enumerate(spec.column_types):
        kind, a1, a2 = _parse_type(raw)
        if j != spec.date_index:
            by_kind.setdefault(kind, []).append((j, a1, a2))
    groups = []
    for kind, items in by_kind.items():
        cols = np.array([j for j, _, _ in items], dtype=np.int64)
        nullable = np.array([[spec.nullable[j]] for j, _, _ in items], dtype=bool)
        if kind == "text" and nullable.all():
            continue  # unlimited VARCHAR that may be NULL: nothing to check
        g = _Group(kind, cols, nullable)
        g.arg1 = np.array([[a] for _, a, _ in items], dtype=np.int64)
        g.arg2 = np.array([[b] for _, _, b in items], dtype=np.int64)
        groups.append(g)
    enc = codecs.lookup(spec.encoding).name
    return _Plan(
        ncols=spec.ncols,
        delim=spec.delimiter[0],
        quote=spec.quote[0] if spec.quote is not None else None,
        tab_scan=spec.delimiter == b"\t" and spec.quote is None,
        groups=groups,
        date_index=spec.date_index,
        date_nullable=bool(spec.nullable[spec.date_index]) if spec.date_index is not None else True,
        date_fmt=_compile_date_format(spec.date_format),
        iso_date=_compile_date_format("%Y-%m-%d"),
        key_cols=np.array(spec.key_indices, dtype=np.int64),
        null_empty=b"" in spec.null_values,
        null_tokens=tuple(t for t in spec.null_values if t),
        utf8=enc in ("utf-8", "utf-8-sig"),
        encoding=spec.encoding,
        max_examples=spec.max_examples,
    )


def _parse_type(raw: str) -> tuple[str, int, int]:
    """Canonical type → (kind, arg1, arg2). NUMBER(p,s) → ("number", p - s, s)."""
    m = _TYPE_RE.match(raw.replace(" ", "").upper())
    if not m:
        raise ValueError(f"unsupported column type {raw!r}")
    base, p, s = m[1], m[2], m[3]
    if base == "NUMBER":
        prec, scale = int(p or 38), int(s or 0)
        if not (1 <= prec <= 38 and 0 <= scale <= prec):
            raise ValueError(f"bad NUMBER precision/scale in {raw!r}")
        return "number", prec - scale, scale
    if base == "VARCHAR":
        return ("varchar", int(p), 0) if p is not None else ("text", 0, 0)
    kinds = {"INTEGER": "int", "FLOAT": "float", "BOOLEAN": "bool", "DATE": "date"}
    return kinds.get(base, "ts"), 0, 0


# ----------------------------------------------------------------------------------------------
# Accumulator
# ----------------------------------------------------------------------------------------------


class _Acc:
    """Mutable per-chunk state; :meth:`result` freezes it into a :class:`ChunkResult`."""

    def __init__(self, spec: KernelSpec, chunk_index: int, byte_start: int, n: int) -> None:
        self.spec = spec
        self.cap = spec.max_examples
        self.base = byte_start
        self.res = ChunkResult(chunk_index, byte_start, n)
        self.days: list[np.ndarray] = []
        self.hashes: list[np.ndarray] = []
        self.offsets: list[np.ndarray] = []
        self.type_examples: dict[int, int] = {}
        self.null_examples: dict[int, int] = {}

    def nul(self, count: int, first_abs: int) -> None:
        r = self.res
        r.nul_bytes += count
        if count and r.first_nul_offset is None:
            r.first_nul_offset = first_abs

    def result(self) -> ChunkResult:
        r = self.res
        allday = np.concatenate(self.days) if self.days else np.zeros(0, np.int64)
        if allday.size:
            lo = int(allday.min())
            if int(allday.max()) - lo < 1_000_000:
                counts = np.bincount(allday - lo)
                nz = np.flatnonzero(counts)
                r.day_numbers = (nz + lo).astype(np.int32)
                r.day_counts = counts[nz].astype(np.int64)
            else:
                u, c = np.unique(allday, return_counts=True)
                r.day_numbers, r.day_counts = u.astype(np.int32), c.astype(np.int64)
        if self.spec.key_indices:
            r.key_hashes = np.concatenate(self.hashes) if self.hashes else np.zeros(0, np.uint64)
            r.key_offsets = np.concatenate(self.offsets) if self.offsets else np.zeros(0, np.int64)
        return r


# ----------------------------------------------------------------------------------------------
# Blocks and the work buffer
# ----------------------------------------------------------------------------------------------

_PAD = 8 * _MAXW + 64  # zero bytes after a block: room for the widest gather past any field


class _Source:
    """The bytes blocks are read from: a reused, zero-padded copy of the current block.

    ``voids[nw]`` views the buffer with a 1-byte stride as ``8 * nw``-byte items, so one
    gather loads 8..64 bytes from any offset (the padding keeps such loads in bounds)."""

    def __init__(self, buf: np.ndarray, base: int) -> None:
        self._set(buf)
        self.base = base  # absolute offset of buf[0]
        self.size = 0  # bytes of data in buf (the rest is padding)

    def _set(self, buf: np.ndarray) -> None:
        self.buf = buf
        n = buf.size - 8 * _MAXW
        self.voids = (
            {
                nw: np.ndarray((n,), dtype=np.dtype(f"V{8 * nw}"), buffer=buf, strides=(1,))
                for nw in range(1, _MAXW + 1)
            }
            if n > 0
            else {}
        )

    def load(self, piece: np.ndarray, base: int) -> None:
        """Copy ``piece`` in, ending with a newline (added if missing), then zero padding."""
        m = piece.size
        if m + 1 + _PAD > self.buf.size:
            self._set(np.zeros((m + 1 + _PAD + 7) & ~7, dtype=np.uint8))
        self.buf[:m] = piece
        if m and piece[m - 1] != 10:
            self.buf[m] = 10
            m += 1
        self.buf[m : m + _PAD] = 0
        self.base = base
        self.size = m


def _blocks(view: np.ndarray, n: int, size: int, quote: int | None) -> list[tuple[int, int]]:
    """Record-aligned ``(start, end)`` block bounds of about ``size`` bytes.

    A block ends just after a newline; with quoting, just after a newline preceded by an even
    number of quotes since the block start (blocks start at record starts, doubled quotes keep
    the parity), so a quoted newline never splits a block. A longer record makes a longer block.
    """
    out = []
    start = 0
    while start < n:
        end = min(start + size, n)
        if end < n:
            cut = _last_newline(view, start, end)
            end = cut if cut > 0 else _next_newline(view, start + size, n)
        if quote is not None:
            odd = int(np.count_nonzero(view[start:end] == quote)) & 1
            while odd and end < n:
                nxt = _next_newline(view, end, n)
                odd ^= int(np.count_nonzero(view[end:nxt] == quote)) & 1
                end = nxt
        out.append((start, end))
        start = end
    return out


def _last_newline(view: np.ndarray, start: int, end: int) -> int:
    """Index just past the last newline in ``view[start:end]``, or -1."""
    step = 4096
    hi = end
    while hi > start:
        lo = max(start, hi - step)
        idx = np.flatnonzero(view[lo:hi] == 10)
        if idx.size:
            return lo + int(idx[-1]) + 1
        hi = lo
        step *= 4
    return -1


def _next_newline(view: np.ndarray, start: int, n: int) -> int:
    """Index just past the first newline at or after ``start``, or ``n``."""
    step = 1 << 16
    lo = start
    while lo < n:
        hi = min(n, lo + step)
        idx = np.flatnonzero(view[lo:hi] == 10)
        if idx.size:
            return lo + int(idx[0]) + 1
        lo = hi
        step *= 4
    return n


# ----------------------------------------------------------------------------------------------
# Chunk-level checks: encoding, NUL bytes
# ----------------------------------------------------------------------------------------------


def _check_other_encoding(view: np.ndarray, spec: KernelSpec, acc: _Acc) -> None:
    """Encodings other than UTF-8 (rare): decode the chunk with a counting error handler.
    (UTF-8 is validated block by block, see :func:`_check_utf8`.)"""
    if codecs.lookup(spec.encoding).name in ("latin-1", "iso8859-1"):
        return  # every byte is a character
    _locate_encoding_errors(view, spec.encoding, acc)


class _ErrorCounter(threading.local):
    """A codec error handler that counts errors and remembers the first one's position
    (thread-local state: codec error handlers are registered process-wide, by name)."""

    def __init__(self) -> None:
        self.count = 0
        self.first: int | None = None
        self.base = 0

    def __call__(self, exc: UnicodeError) -> tuple[str, int]:
        if not isinstance(exc, UnicodeDecodeError):
            raise exc
        self.count += 1
        if self.first is None:
            self.first = self.base + exc.start
        return ("\ufffd", exc.end)


_COUNTER = _ErrorCounter()
codecs.register_error("snowetl-kernel-count", _COUNTER)


def _any_high_bit(view: np.ndarray) -> bool:
    """Is any byte >= 0x80? (An OR-reduction over 8-byte words: memory speed.)"""
    n8 = view.size & ~7
    high = int(np.bitwise_or.reduce(view[:n8].view(np.uint64))) if n8 else 0
    return bool(high & 0x8080808080808080) or bool(np.any(view[n8:] >= 0x80))


def _check_utf8(block: np.ndarray, base: int, acc: _Acc) -> None:
    """Validate one block as UTF-8 with CPython's decoder, straight from the buffer.

    The block was just copied, so it is hot in cache: decoding 2 MB (into a transient str)
    costs about what Arrow's validator does on the whole chunk, without importing pyarrow
    (24 MB of RSS per worker). Blocks end with a newline (ASCII), so no sequence straddles
    two blocks and per-block error counts add up to the whole chunk's. Only an invalid block is
    decoded a second time, with a handler that counts the errors as Python reports them.
    """
    try:
        codecs.utf_8_decode(block, "strict", True)
        return
    except UnicodeDecodeError:
        pass
    _COUNTER.count, _COUNTER.first, _COUNTER.base = 0, None, base
    codecs.utf_8_decode(block, "snowetl-kernel-count", True)
    acc.res.encoding_errors += _COUNTER.count
    if _COUNTER.first is not None and acc.res.first_encoding_error_offset is None:
        acc.res.first_encoding_error_offset = _COUNTER.first


def _locate_encoding_errors(view: np.ndarray, encoding: str, acc: _Acc) -> None:
    """Decode in newline-aligned slices (newline is ASCII: never inside a character), counting
    every undecodable sequence with an error handler, in one pass."""
    n = int(view.size)
    start = 0
    step = 4 << 20
    _COUNTER.count, _COUNTER.first = 0, None
    while start < n:
        end = min(n, start + step)
        if end < n:
            cut = _last_newline(view, start, end)
            end = cut if cut > 0 else _next_newline(view, end, n)
        _COUNTER.base = acc.base + start
        view[start:end].tobytes().decode(encoding, errors="snowetl-kernel-count")
        start = end
    acc.res.encoding_errors += _COUNTER.count
    if _COUNTER.first is not None and acc.res.first_encoding_error_offset is None:
        acc.res.first_encoding_error_offset = _COUNTER.first


# ----------------------------------------------------------------------------------------------
# Block structure: which rows are well-formed, and where their fields are
# ----------------------------------------------------------------------------------------------


@dataclass
class _Block:
    """Field geometry of the well-formed rows of one block ``src.buf[lo:hi]``.

    ``bounds[r, j]`` is the offset (in ``src.buf``) of the separator *before* field j of good
    row r (the previous row's newline, or ``lo - 1``, for j = 0) and ``bounds[r, j + 1]`` the
    one after it, so field j spans ``bounds[r, j] + 1 .. bounds[r, j + 1]``. ``cr`` marks good
    rows ending in CRLF.
    """

    src: _Source
    lo: int
    hi: int
    bounds: np.ndarray
    cr: np.ndarray | None
    quoted: np.ndarray | None = None  # CSV: sorted positions of the quote chars in the block
    qbyte: int = -1
    _ascii: bool | None = None
    _cont: np.ndarray | None = None
    _starts: np.ndarray | None = None  # (ncols, rows): first byte of every field
    _lengths: np.ndarray | None = None  # (ncols, rows): its length (CR and quotes removed)

    @property
    def buf(self) -> np.ndarray:
        return self.src.buf

    @property
    def base(self) -> int:
        return self.src.base

    @property
    def nrows(self) -> int:
        return int(self.bounds.shape[0])

    def fields(self, cols: np.ndarray, ncols: int) -> tuple[np.ndarray, np.ndarray]:
        """Start offsets and byte lengths of the given columns, shape (len(cols), rows).

        Computed once per block for all columns, column-major (one transposing pass instead of
        walking the row-major bounds column by column for every group); a run of consecutive
        columns is then a zero-copy view. Callers must not modify the arrays in place.
        """
        if self._starts is None:
            self._starts, self._lengths = self._all_fields(ncols)
        first = int(cols[0])
        if cols.size == int(cols[-1]) - first + 1 and bool((np.diff(cols) == 1).all()):
            return self._starts[first : first + cols.size], self._lengths[first : first + cols.size]
        return self._starts[cols], self._lengths[cols]

    def _all_fields(self, ncols: int) -> tuple[np.ndarray, np.ndarray]:
        bt = np.ascontiguousarray(self.bounds.T)  # (ncols + 1, rows)
        lengths = bt[1:] - bt[:-1]
        lengths -= 1
        starts = bt[:-1]
        starts += 1
        if self.cr is not None:
            lengths[ncols - 1] -= self.cr
        if self.quoted is not None:
            quoted = (self.buf[starts] == self.qbyte) & (lengths >= 2)
            if quoted.any():  # narrow "..." to its content ("" pairs stay doubled inside)
                starts += quoted
                lengths -= 2 * quoted
        return starts, lengths

    def gather(self, pos: np.ndarray, nw: int) -> np.ndarray:
        """The ``nw`` words at each offset, shape ``pos.shape + (nw,)``: one gather of an
        ``8 * nw``-byte item from a byte-strided view."""
        return self.src.voids[nw][pos].view(np.uint64).reshape((*pos.shape, nw))

    def raw(self, pos: int, length: int, encoding: str, limit: int = 200) -> str:
        return (
            self.buf[pos : pos + min(length, 4 * limit)]
            .tobytes()
            .decode(encoding, errors="replace")[:limit]
        )

    def is_ascii(self) -> bool:
        if self._ascii is None:
            self._ascii = not _any_high_bit(self.buf[self.lo : self.hi])
        return self._ascii

    def continuation_bytes(self) -> np.ndarray:
        """Sorted offsets of the UTF-8 continuation bytes (0b10xxxxxx) in the block."""
        if self._cont is None:
            self._cont = np.flatnonzero((self.buf[self.lo : self.hi] & 0xC0) == 0x80) + self.lo
        return self._cont


def _process_block(plan: _Plan, acc: _Acc, src: _Source, lo: int, hi: int, utf8: bool) -> None:
    """All checks of one block; ``utf8``: the chunk has non-ASCII bytes and must be UTF-8."""
    if utf8:
        _check_utf8(src.buf[lo:hi], src.base + lo, acc)
    if plan.quote is None:
        blk = _structure_plain(plan, acc, src, lo, hi)
    else:
        blk = _structure_quoted(plan, acc, src, lo, hi)
    if blk is None or blk.nrows == 0:
        return
    row_starts = blk.bounds[:, 0] + 1
    for g in plan.groups:
        _check_group(plan, acc, blk, g, row_starts)
    if plan.date_index is not None:
        _check_date_column(plan, acc, blk, row_starts)
    if plan.key_cols.size:
        acc.hashes.append(_hash_keys(blk, plan))
        acc.offsets.append(row_starts + src.base)


def _structure_plain(plan: _Plan, acc: _Acc, src: _Source, lo: int, hi: int) -> _Block | None:
    """Separators of an unquoted block: one compare + one ``flatnonzero`` over the bytes (for
    TSV, ``b <= 10`` finds tabs, newlines and NUL/control bytes in the same scan)."""
    b = src.buf[lo:hi]
    if plan.tab_scan:
        pos = np.flatnonzero(b <= 10)
        vals = b[pos]
        if vals.size and int(vals.min()) < 9:  # NUL or a control byte below TAB: data
            nul = np.flatnonzero(vals == 0)
            if nul.size:
                acc.nul(int(nul.size), src.base + lo + int(pos[nul[0]]))
            keep = vals >= 9
            pos, vals = pos[keep], vals[keep]
    else:
        _count_nul_block(b, src.base + lo, acc)
        pos = np.flatnonzero((b == plan.delim) | (b == 10))
        vals = b[pos]
    return _rows(plan, acc, src, lo, hi, pos, vals == 10, None, None)


def _count_nul_block(b: np.ndarray, base: int, acc: _Acc) -> None:
    """NUL bytes of a block (the TSV scan finds them with the separators instead)."""
    zero = b == 0
    count = int(np.count_nonzero(zero))
    if count:
        acc.nul(count, base + int(zero.argmax()))


def _rows(
    plan: _Plan,
    acc: _Acc,
    src: _Source,
    lo: int,
    hi: int,
    pos: np.ndarray,
    isnl: np.ndarray,
    nlines: int | None,
    bad_quotes: np.ndarray | None,
) -> _Block:
    """Separator offsets relative to ``lo`` (``isnl`` marks record ends) → field counts, bad
    rows, CRLF, bounds (offsets in ``src.buf``).

    If there are exactly ``rows * ncols`` separators and every ``ncols``-th is a newline, every
    row has ``ncols`` fields (pigeonhole) and the bounds matrix is a zero-copy strided view.
    """
    C = plan.ncols
    buf = src.buf
    base = src.base
    res = acc.res
    nrec = int(np.count_nonzero(isnl))
    res.rows += nrec
    res.lines += nrec if nlines is None else nlines
    ext = np.empty(pos.size + 1, dtype=np.int64)
    ext[0] = lo - 1
    np.add(pos, lo, out=ext[1:])
    if bad_quotes is None and pos.size == nrec * C and bool(isnl[C - 1 :: C].all()):
        bounds = np.lib.stride_tricks.as_strided(ext, shape=(nrec, C + 1), strides=(C * 8, 8))
        cr = buf[np.maximum(bounds[:, C] - 1, lo)] == 13  # (an empty first row: its newline)
        ncr = int(np.count_nonzero(cr))
        res.cr_count += ncr
        return _Block(src, lo, hi, bounds, cr if ncr else None)
    nl_idx = np.flatnonzero(isnl)
    first = np.empty(nrec, dtype=np.int64)  # index in pos of each row's first separator
    first[:1] = 0
    first[1:] = nl_idx[:-1] + 1
    nfields = nl_idx - first + 1
    good = nfields == C
    bad_fc = np.flatnonzero(~good)
    if bad_fc.size:
        res.bad_field_count += int(bad_fc.size)
        room = max(acc.cap - len(res.field_count_examples), 0)
        res.field_count_examples.extend(
            (base + int(ext[first[r]]) + 1, int(nfields[r])) for r in bad_fc[:room]
        )
    if bad_quotes is not None:
        good &= ~bad_quotes
    res.cr_count += int(np.count_nonzero(buf[np.maximum(ext[nl_idx + 1] - 1, lo)] == 13))
    bounds = ext[first[good][:, None] + np.arange(C + 1)]
    cr = buf[np.maximum(bounds[:, C] - 1, lo)] == 13
    return _Block(src, lo, hi, bounds, cr if cr.any() else None)


def _structure_quoted(plan: _Plan, acc: _Acc, src: _Source, lo: int, hi: int) -> _Block | None:
    """CSV with quoting: separators outside quotes, then RFC 4180 checks of every quote.

    A separator is outside quotes iff an even number of quote characters precede it in the
    block (doubled quotes keep the parity) — the rule the chunker uses to cut chunks. A field
    that contains a quote must be quoted (start and end with one) with only doubled quotes
    inside; a record with any other quote placement counts as an unbalanced quote.
    """
    buf = src.buf
    base = src.base
    b = buf[lo:hi]
    q = plan.quote
    _count_nul_block(b, base + lo, acc)
    pos = np.flatnonzero((b == plan.delim) | (b == 10) | (b == q))
    vals = b[pos]
    isq = vals == q
    nlines = int(np.count_nonzero(vals == 10))
    if not isq.any():
        return _rows(plan, acc, src, lo, hi, pos, vals == 10, nlines, None)
    # Odd number of quotes up to and including each position (an XOR scan: 2.5x a cumsum).
    parity = np.logical_xor.accumulate(isq)
    outside = ~isq & ~parity
    qpos = pos[isq]
    spos = pos[outside]
    isnl = vals[outside] == 10
    tail = hi - lo
    if int(np.count_nonzero(isq)) & 1:
        # The block ends inside quotes (only possible at the end of a file): the open record
        # is malformed; count it and keep the complete records before it.
        nls = np.flatnonzero(isnl)
        tail = int(spos[nls[-1]]) + 1 if nls.size else 0
        acc.res.rows += 1
        acc.res.unbalanced_quotes += 1
        if len(acc.res.unbalanced_quote_examples) < acc.cap:
            acc.res.unbalanced_quote_examples.append(base + lo + tail)
        tail_lines = int(np.count_nonzero(b[tail:] == 10))
        acc.res.lines += tail_lines
        nlines -= tail_lines
        keep = spos < tail
        spos, isnl = spos[keep], isnl[keep]
        qpos = qpos[qpos < tail]
    bad = None
    if qpos.size:
        bad = _quote_errors(acc, b, base + lo, pos, vals, isq, parity, outside, tail, spos, isnl)
    blk = _rows(plan, acc, src, lo, hi, spos, isnl, nlines, bad)
    if qpos.size:
        blk.quoted = qpos + lo
        blk.qbyte = q
    return blk


def _quote_errors(
    acc: _Acc,
    b: np.ndarray,
    base: int,
    pos: np.ndarray,
    vals: np.ndarray,
    isq: np.ndarray,
    parity: np.ndarray,
    outside: np.ndarray,
    tail: int,
    spos: np.ndarray,
    isnl: np.ndarray,
) -> np.ndarray:
    """Bool per record: does it contain a misplaced quote? Counts them and records examples.

    Linear in the number of quotes, from the block's structural characters (``pos``/``vals``,
    with the quote parity after each): a quote that opens (odd parity after it) must start its
    field — right after a separator outside quotes, or the block start — or be the second of a
    doubled pair, right after a closing quote; a quote that closes must be followed at once by
    a quote (a doubled pair), by a separator outside quotes, or by CR and the record's newline.
    That is RFC 4180: a field containing a quote is quoted, with only ``""`` inside.
    """
    n = pos.size
    # Whole-array tests with shifted slices (no gathers): is character i adjacent to the
    # previous structural character, and may a field start after that one?
    adj = np.empty(n, dtype=bool)
    adj[0] = pos[0] == 0
    np.equal(pos[1:], pos[:-1] + 1, out=adj[1:])
    start_ok = np.empty(n, dtype=bool)
    start_ok[0] = True
    np.logical_or(outside[:-1], isq[:-1] & ~parity[:-1], out=start_ok[1:])
    follow_ok = np.zeros(n, dtype=bool)  # followed at once by a quote or an outside separator
    np.logical_and(adj[1:], isq[1:] | outside[1:], out=follow_ok[:-1])
    stray = isq & parity & ~(adj & start_ok)  # opening quotes
    stray |= isq & ~parity & ~follow_ok  # closing quotes
    if tail < b.size:
        stray &= pos < tail  # quotes of an unterminated last record are already counted
    if stray.any():  # a closing quote may also be followed by CR and the record's newline
        i = (stray & ~parity).nonzero()[0]
        i = i[i + 1 < n]
        crlf = (pos[i + 1] == pos[i] + 2) & outside[i + 1] & (vals[i + 1] == 10)
        crlf &= b[pos[i] + 1] == 13
        stray[i[crlf]] = False
    nrec = int(np.count_nonzero(isnl))
    bad = np.zeros(nrec, dtype=bool)
    if stray.any():
        rec_of = np.cumsum(outside & (vals == 10))  # outside newlines up to each position
        bad[rec_of[stray]] = True
        idx = np.flatnonzero(bad)
        acc.res.unbalanced_quotes += int(idx.size)
        nl_idx = np.flatnonzero(isnl)
        room = max(acc.cap - len(acc.res.unbalanced_quote_examples), 0)
        for r in idx[:room].tolist():
            start = int(spos[nl_idx[r - 1]]) + 1 if r > 0 else 0
            acc.res.unbalanced_quote_examples.append(base + start)
    return bad


# ----------------------------------------------------------------------------------------------
# Column groups
# ----------------------------------------------------------------------------------------------


def _null_mask(plan: _Plan, blk: _Block, pos: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """Fields equal to a NULL token (None when there are none at all, the common case: then
    the callers skip every NULL-related operation)."""
    mask = None
    if plan.null_empty:
        mask = lengths == 0
        if not np.count_nonzero(mask):
            mask = None
    for tok in plan.null_tokens:
        cand = np.flatnonzero(lengths.ravel() == len(tok))
        if not cand.size:
            continue
        nw = (len(tok) + 7) >> 3
        if nw > _MAXW:
            hit = np.array(
                [blk.buf[p : p + len(tok)].tobytes() == tok for p in pos.ravel()[cand].tolist()],
                dtype=bool,
            )
        else:
            words = blk.gather(pos.ravel()[cand], nw)
            words &= _MASK_TABLES[nw][len(tok)]
            want = np.frombuffer(tok + b"\0" * (8 * nw - len(tok)), dtype="<u8")
            hit = (words == want).all(axis=-1)
        if hit.any():
            if mask is None:
                mask = np.zeros(lengths.shape, dtype=bool)
            mask.ravel()[cand[hit]] = True
    return mask


def _check_group(plan: _Plan, acc: _Acc, blk: _Block, g: _Group, row_starts: np.ndarray) -> None:
    """Null and type checks of one group; counts per column, capped examples."""
    pos, lengths = blk.fields(g.cols, plan.ncols)
    null = _null_mask(plan, blk, pos, lengths)
    if null is not None and not g.nullable.all():
        _count_nulls(acc, blk, g.cols, null & ~g.nullable, row_starts)
    recheck = None
    if g.kind == "int":
        ok, recheck = _by_width(_check_int, blk, pos, lengths, 24)
    elif g.kind == "number":
        ok, _ = _by_width(_check_number, blk, pos, lengths, 40, g.arg1, g.arg2)
    elif g.kind == "float":
        ok, recheck = _by_width(_check_float, blk, pos, lengths, 32)
    elif g.kind == "bool":
        ok = _check_bool(blk, pos, lengths)
    elif g.kind == "ts":
        ok = _check_timestamp(blk, pos, lengths)
    elif g.kind == "date":
        ok, _ = _check_date(blk, pos, lengths, plan.iso_date)
        recheck = ~ok
    elif g.kind == "varchar":
        ok = _check_varchar(plan, blk, pos, lengths, g.arg1)
    else:  # "text": only NULLs matter
        return
    bad = ~ok
    if null is not None:
        bad &= ~null
    if recheck is not None:
        _recheck(blk, _EXACT[g.kind], pos, lengths, bad, bad & recheck)
    if not np.count_nonzero(bad):
        return
    counts = np.count_nonzero(bad, axis=1)
    for i in counts.nonzero()[0].tolist():
        col = int(g.cols[i])
        acc.res.type_errors[col] = acc.res.type_errors.get(col, 0) + int(counts[i])
        have = acc.type_examples.get(col, 0)
        if have < acc.cap:
            rows = np.flatnonzero(bad[i])[: acc.cap - have].tolist()
            acc.res.type_error_examples.extend(
                (
                    blk.base + int(row_starts[r]),
                    col,
                    blk.raw(int(pos[i, r]), int(lengths[i, r]), plan.encoding),
                )
                for r in rows
            )
            acc.type_examples[col] = have + len(rows)


def _by_width(
    check: Any, blk: _Block, pos: np.ndarray, lengths: np.ndarray, cap: int, *args: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Run a word-based check on the columns grouped by how many words their widest field
    needs in this block, so one long column does not make the others load and test more."""
    need = ((np.minimum(np.maximum.reduce(lengths, axis=1), cap) + 7) >> 3).tolist()
    kinds = sorted(set(need))
    if len(kinds) == 1:
        out = check(blk, pos, lengths, *args)
        return out if isinstance(out, tuple) else (out, None)
    ok = np.empty(lengths.shape, dtype=bool)
    recheck = None
    for k in kinds:
        rows = np.array([i for i, n in enumerate(need) if n == k])
        out = check(blk, pos[rows], lengths[rows], *(a[rows] for a in args))
        got, again = out if isinstance(out, tuple) else (out, None)
        ok[rows] = got
        if again is not None:
            if recheck is None:
                recheck = np.zeros(lengths.shape, dtype=bool)
            recheck[rows] = again
    return ok, recheck


def _count_nulls(
    acc: _Acc, blk: _Block, cols: np.ndarray, viol: np.ndarray, row_starts: np.ndarray
) -> None:
    if not np.count_nonzero(viol):
        return
    counts = np.count_nonzero(viol, axis=1)
    for i in counts.nonzero()[0].tolist():
        col = int(cols[i])
        acc.res.null_violations[col] = acc.res.null_violations.get(col, 0) + int(counts[i])
        have = acc.null_examples.get(col, 0)
        if have < acc.cap:
            rows = np.flatnonzero(viol[i])[: acc.cap - have].tolist()
            acc.res.null_violation_examples.extend(
                (blk.base + int(row_starts[r]), col) for r in rows
            )
            acc.null_examples[col] = have + len(rows)


def _recheck(
    blk: _Block,
    exact: Any,
    pos: np.ndarray,
    lengths: np.ndarray,
    bad: np.ndarray,
    todo: np.ndarray,
) -> None:
    """Exact Python verdict on the few fields the fast path could not decide (``bad`` in place)."""
    if not todo.any():
        return
    ii, rr = np.nonzero(todo)
    buf = blk.buf
    valid = np.fromiter(
        (
            exact(buf[p : p + n].tobytes())
            for p, n in zip(pos[ii, rr].tolist(), lengths[ii, rr].tolist(), strict=True)
        ),
        dtype=bool,
        count=ii.size,
    )
    bad[ii[valid], rr[valid]] = False


# ----------------------------------------------------------------------------------------------
# Fast type checks: (block, field starts, lengths) of shape (columns, rows) → "certainly valid"
# (+ "re-check in Python" where the fast grammar is narrower than the real one).
# ----------------------------------------------------------------------------------------------


def _check_int(
    blk: _Block, pos: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """``[+-]?[0-9]+``; up to 18 digits is certainly int64, 19+ digits go to Python."""
    top = int(lengths.max()) if lengths.size else 0
    nw = max(1, (min(top, 24) + 7) >> 3)
    w = blk.gather(pos, nw)
    sign = _strip_sign(w[..., 0])
    w ^= _ZEROS
    w &= _masks(lengths, nw)
    ok = _digits_bad(w) == 0
    digits = lengths - sign
    digits -= 1
    ok &= digits.view(np.uint64) < 18  # 1 <= digits <= 18
    if top < 19:
        return ok, None
    recheck = ~ok & (digits >= 18)  # 19+ digits (or longer than we loaded): Python decides
    return ok, recheck


_DOTS_Y = _U(0x1E * _ONES)  # '.' XOR '0'


def _nondigits(blk: _Block, pos: np.ndarray, lengths: np.ndarray, cap: int) -> tuple:
    """Shared start of NUMBER and FLOAT: load, strip a sign, XOR '0', mask to the field.

    Returns (words, sign, non-digit flags, number of non-digits, "all non-digits are dots")."""
    nw = _nwords(lengths, cap)
    w = blk.gather(pos, nw)
    sign = _strip_sign(w[..., 0])
    w ^= _ZEROS
    w &= _masks(lengths, nw)
    gt = _gt_hi(w, 9)  # top bit in every byte that is not a digit
    count = _sum_words(np.bitwise_count(gt))
    fill = gt >> _S7
    fill *= _FF
    t = w ^ _DOTS_Y
    t &= fill  # zero iff every non-digit byte is a dot
    only_dots = _or_words(t) == 0
    return w, sign, gt, count, only_dots, nw


def _check_number(
    blk: _Block, pos: np.ndarray, lengths: np.ndarray, int_max: np.ndarray, frac_max: np.ndarray
) -> np.ndarray:
    """``[+-]?[0-9]*(\\.[0-9]*)?`` with 1+ digits, <= p-s integer and <= s fraction digits.

    Exact (no re-check; the longest valid value is 40 bytes) and position-free: the fraction
    is short enough iff no dot lies in the first ``length - 1 - s`` bytes, and the integer part
    iff the field is short or a dot lies in the first ``p - s + sign + 1`` bytes.
    """
    _, sign, gt, count, ok, nw = _nondigits(blk, pos, lengths, 40)
    ok &= count <= 1
    digits = lengths - sign
    ok &= digits - count >= 1
    ok &= lengths <= 8 * nw
    early = gt & _masks(np.maximum(lengths - 1 - frac_max, 0), nw)
    ok &= _or_words(early) == 0
    long_int = digits > int_max
    if _any(long_int):
        in_time = gt & _masks(int_max + sign + 1, nw)
        ok &= ~long_int | (_or_words(in_time) != 0)
    return ok


def _check_float(
    blk: _Block, pos: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?``.

    Plain decimals are decided like NUMBER without limits. Fields with other characters (an
    exponent, ``inf``/``nan``, longer than 32 bytes) go to Python when few, or — for a column
    written in scientific notation — to the full positional check of the grammar.
    """
    w, sign, _, count, ok, nw = _nondigits(blk, pos, lengths, 32)
    ok &= count <= 1
    ok &= lengths - sign - count >= 1
    fits = lengths <= 8 * nw
    ok &= fits
    odd = ~ok
    n_odd = int(np.count_nonzero(odd))
    if n_odd > 64 and n_odd * 8 > odd.size:
        w ^= _ZEROS  # back to the raw bytes (masked)
        mk = _masks(lengths, nw)
        d = _eq_hi(w, _DOTS)
        e = _eq_hi(w | _CASE, _EEE)
        sg = _eq_hi(w, _MINUS)
        sg |= _eq_hi(w, _PLUS)
        return _check_float_exp(w, mk, d, e, sg, sign, lengths, fits)
    return ok, odd


def _check_float_exp(
    w: np.ndarray,
    mk: np.ndarray,
    d: np.ndarray,
    e: np.ndarray,
    sg: np.ndarray,
    sign: np.ndarray,
    lengths: np.ndarray,
    fits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The float grammar with exponents, from the positions of the dot and the 'e'."""
    allowed = e << _S8  # an exponent sign may only follow the 'e' (possibly in the next word)
    if w.shape[-1] > 1:
        allowed[..., 1:] |= e[..., :-1] >> _S56
    flags = d | e | sg
    fill = (flags >> _S7) * _FF
    w &= ~fill
    w |= _ZEROS & fill
    w ^= _ZEROS
    w &= mk
    bad = _digits_bad(w) | _or_words(sg & ~allowed)
    ndots = _sum_words(np.bitwise_count(d))
    nexp = _sum_words(np.bitwise_count(e))
    nsig = _sum_words(np.bitwise_count(sg))
    dotpos = _positions(d)
    epos = _positions(e)
    has_dot = ndots == 1
    has_exp = nexp == 1
    mant_end = np.where(has_exp, epos, lengths)
    ok = (bad == 0) & (ndots <= 1) & (nexp <= 1) & fits
    ok &= mant_end - sign - has_dot >= 1
    ok &= ~has_dot | (dotpos < mant_end)
    ok &= ~has_exp | (lengths - epos - 1 - nsig >= 1)
    recheck = ~ok & ((lengths <= 9) | ~fits)
    return ok, recheck


_BOOL_TOKENS = (b"true", b"false", b"t", b"f", b"yes", b"no", b"y", b"n", b"on", b"off", b"1", b"0")
# A perfect hash of (lower-cased token | length << 56) into 16 slots: (key * M) >> 60.
_BOOL_MULT = _U(0xFCD58C0F7E21B8AB)
_BOOL_TABLE = np.full(16, np.iinfo(np.uint64).max, dtype=np.uint64)  # empty: impossible key
for _t in _BOOL_TOKENS:
    _k = int.from_bytes(_t, "little") | (len(_t) << 56)
    _slot = ((_k * int(_BOOL_MULT)) & ((1 << 64) - 1)) >> 60
    assert _BOOL_TABLE[_slot] == np.iinfo(np.uint64).max
    _BOOL_TABLE[_slot] = _k


def _check_bool(blk: _Block, pos: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Snowflake's boolean strings, ignoring case: or-ing 0x20 into bytes >= 0x40 maps exactly
    A-Z to a-z among ASCII (and leaves other bytes off the token set); add the length; look up."""
    w = blk.gather(pos, 1)[..., 0]
    w &= _masks(lengths, 1)[..., 0]
    w |= _gt_hi(w, 0x3F) >> _S2
    short = lengths <= 5
    w |= np.where(short, lengths, 0).view(np.uint64) << _S56
    slot = w * _BOOL_MULT
    slot >>= _U(60)
    return short & (_BOOL_TABLE[slot] == w)


_TS_TEXT = b"0000-00-00 00:00:00.000000"
_TS_EXP, _TS_DIG, _TS_LIT, _ = _template(_TS_TEXT, bytes(c == 0x30 for c in _TS_TEXT))
_DIM = np.zeros(128, dtype=np.int64)  # days in month, February as 29
_DIM[1:13] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
# Days from March 1 to the first of each month (Hinnant's (153 * mp + 2) // 5, mp = (m + 9) % 12).
_DOY0 = np.zeros(128, dtype=np.int64)
_DOY0[1:13] = [(153 * ((mo + 9) % 12) + 2) // 5 for mo in range(1, 13)]


def _valid_ymd(y: np.ndarray, mo: np.ndarray, d: np.ndarray) -> np.ndarray:
    """A real calendar date (1 <= month <= 12, y >= 1, proleptic Gregorian leap years).

    Month lengths come from a table with February = 29; only the (rare) February 29ths pay for
    the leap-year arithmetic.
    """
    mo = np.minimum(mo, 127)
    ok = (y >= 1) & (d >= 1) & (d <= _DIM[mo])
    feb29 = (mo == 2) & (d == 29)
    if np.count_nonzero(feb29):
        at = feb29.ravel().nonzero()[0]
        yy = y.ravel()[at]
        leap = ((yy & 3) == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
        ok.ravel()[at] &= leap
    return ok


def _days_from_civil(y: np.ndarray, mo: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (valid dates, y >= 1), H. Hinnant's branch-free algorithm."""
    mo = np.minimum(mo, 127)
    y = y - (mo <= 2)
    era = y // 400
    yoe = y - era * 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + _DOY0[mo] + d - 1
    return era * 146097 + doe - 719468


def _layout_add(digit_hi: np.ndarray, lit_hi: np.ndarray) -> np.ndarray:
    """Per-word addends for :func:`_layout_bad`: 0x76 at digit positions (top bit iff > 9),
    0x7f at literal positions (top bit iff non-zero), 0 elsewhere."""
    add = np.zeros(digit_hi.size, dtype=np.uint64)
    for m in range(digit_hi.size):
        for i in range(8):
            bit = _U(0x80 << (8 * i))
            if int(digit_hi[m] & bit):
                add[m] |= _U(0x76 << (8 * i))
            elif int(lit_hi[m] & bit):
                add[m] |= _U(0x7F << (8 * i))
    return add


def _layout_bad(w: np.ndarray, add: np.ndarray) -> np.ndarray:
    """``w`` = field XOR template (0 outside the field): non-zero per field unless every digit
    position holds 0..9 and every literal position 0 — one add per word does both tests."""
    t = w & _LO7
    _each_word(np.add, t, add)
    t |= w
    out = _or_words(t)
    out &= _HI
    return out


_TS_ADD = _layout_add(_TS_DIG, _TS_LIT)
_TS_KEEP19 = np.array([(1 << 64) - 1, (1 << 64) - 1, (1 << 24) - 1, 0], dtype=np.uint64)
# Range checks of two-digit values by SWAR: top bit of (pair + 0x7f - limit) set iff pair > limit.
_TS_T0 = _U(0x7F - 12) << _U(40)  # month <= 12 (byte 5 of pairs of word 0)
_TS_T1 = (_U(0x7F - 23) << _U(24)) | (_U(0x7F - 59) << _U(48))  # hour, minute
_TS_T2 = _U(0x7F - 59) << _U(8)  # second


def _pairs(y: np.ndarray) -> np.ndarray:
    """Byte i of the result is ``10 * digit_i + digit_{i+1}`` for bytes holding 0..9."""
    t = y * _U(10)
    t += y >> _S8
    return t


def _check_timestamp(blk: _Block, pos: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]`` with a real date and time, as one byte template."""
    if lengths.size == 0 or int(lengths.max()) < 19:
        return np.zeros(lengths.shape, dtype=bool)
    nw = _nwords(lengths, 26)
    w = blk.gather(pos, nw)
    w1 = w[..., 1]
    b10 = (w1 >> _U(16)) & _FF  # the date/time separator: 'T' counts as ' '
    w1 ^= (b10 == 0x54) * _U(0x74 << 16)
    _each_word(np.bitwise_xor, w, _TS_EXP)
    plain = not np.count_nonzero(lengths != 19)  # no fractions in this block: a constant mask
    if plain:
        _each_word(np.bitwise_and, w, _TS_KEEP19)
    else:
        w &= _masks(lengths, nw)
    ok = _layout_bad(w, _TS_ADD) == 0
    if not plain:
        ok &= (lengths == 19) | ((lengths >= 21) & (lengths <= 26))
    t0, t1, t2 = _pairs(w[..., 0]), _pairs(w[..., 1]), _pairs(w[..., 2])
    over = (t0 & (_FF << _U(40))) + _TS_T0
    over |= ((t1 & _U(0x00FF0000FF000000)) + _TS_T1) | ((t2 & (_FF << _S8)) + _TS_T2)
    ok &= (over & _HI) == 0
    year = ((t0 & _FF) * _U(100) + ((t0 >> _U(16)) & _FF)).view(np.int64)
    month = ((t0 >> _U(40)) & _FF).view(np.int64)
    ok &= month >= 1
    ok &= _valid_ymd(year, month, (t1 & _FF).view(np.int64))
    return ok


def _check_date(
    blk: _Block, pos: np.ndarray, lengths: np.ndarray, fmt: _DateFormat, days: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Fixed-width numeric date formats: (certainly valid, days since 1970 if ``days``)."""
    if not fmt.width or lengths.size == 0:
        return np.zeros(lengths.shape, dtype=bool), np.zeros(lengths.shape, dtype=np.int64)
    nw = (fmt.width + 7) >> 3
    w = blk.gather(pos, nw)
    _each_word(np.bitwise_xor, w, fmt.expected)
    _each_word(np.bitwise_and, w, fmt.keep)
    ok = _layout_bad(w, fmt.add) == 0
    ok &= lengths == fmt.width
    pairs: dict[int, np.ndarray] = {}

    def pair(k: int) -> np.ndarray:  # the two-digit value at byte offset k
        if (k & 7) == 7:
            hi = (w[..., k >> 3] >> _S56) & _U(0xF)
            return hi * _U(10) + (w[..., (k + 1) >> 3] & _U(0xF))
        if k >> 3 not in pairs:
            pairs[k >> 3] = _pairs(w[..., k >> 3])
        return (pairs[k >> 3] >> _U(8 * (k & 7))) & _FF

    year = (pair(fmt.year) * _U(100) + pair(fmt.year + 2)).view(np.int64)
    month = pair(fmt.month).view(np.int64)
    day = pair(fmt.day).view(np.int64)
    ok &= (month >= 1) & (month <= 12)
    ok &= _valid_ymd(year, month, day)
    return ok, _days_from_civil(year, month, day) if days else None


def _check_varchar(
    plan: _Plan, blk: _Block, pos: np.ndarray, lengths: np.ndarray, nmax: np.ndarray
) -> np.ndarray:
    """At most n characters. Characters <= bytes, so only fields longer than n bytes need a
    character count: none for ASCII, continuation bytes for UTF-8, a decode otherwise."""
    ok = lengths <= nmax
    if ok.all():
        return ok
    ii, rr = np.nonzero(~ok)
    p, n = pos[ii, rr], lengths[ii, rr]
    limit = nmax[ii, 0]
    if plan.utf8:
        if blk.is_ascii() and blk.quoted is None:
            return ok
        cont = blk.continuation_bytes()
        chars = n - (np.searchsorted(cont, p + n) - np.searchsorted(cont, p))
    else:
        chars = np.array(
            [
                len(blk.buf[a : a + b].tobytes().decode(plan.encoding, errors="replace"))
                for a, b in zip(p.tolist(), n.tolist(), strict=True)
            ],
            dtype=np.int64,
        )
    if blk.quoted is not None:  # "" inside a quoted field is one character
        chars = chars - (np.searchsorted(blk.quoted, p + n) - np.searchsorted(blk.quoted, p)) // 2
    ok[ii, rr] = chars <= limit
    return ok


# ----------------------------------------------------------------------------------------------
# The date column and duplicate keys
# ----------------------------------------------------------------------------------------------

_NO_DAY = np.iinfo(np.int64).min


def _check_date_column(plan: _Plan, acc: _Acc, blk: _Block, row_starts: np.ndarray) -> None:
    """Parse the period column; rows per day, bad dates, NULLs in a NOT NULL date column."""
    col = np.array([plan.date_index], dtype=np.int64)
    pos, lengths = blk.fields(col, plan.ncols)
    null = _null_mask(plan, blk, pos, lengths)
    pos, lengths = pos[0], lengths[0]
    ok, days = _check_date(blk, pos, lengths, plan.date_fmt, days=True)
    todo = ~ok if null is None else ~ok & ~null[0]
    if todo.any():
        idx = np.flatnonzero(todo)
        slow = _parse_dates_slow(blk, pos[idx], lengths[idx], plan.date_fmt.fmt, plan.encoding)
        fixed = slow != _NO_DAY
        days[idx[fixed]] = slow[fixed]
        ok[idx[fixed]] = True
        bad = idx[~fixed]
        if bad.size:
            acc.res.bad_dates += int(bad.size)
            room = max(acc.cap - len(acc.res.bad_date_examples), 0)
            acc.res.bad_date_examples.extend(
                (
                    blk.base + int(row_starts[r]),
                    blk.raw(int(pos[r]), int(lengths[r]), plan.encoding),
                )
                for r in bad[:room].tolist()
            )
    if null is not None and not plan.date_nullable:
        _count_nulls(acc, blk, col, null, row_starts)
    acc.days.append(days[ok])


@lru_cache(maxsize=65536)
def _strptime_days(raw: bytes, fmt: str, encoding: str) -> int:
    """Days since 1970 of ``raw`` parsed with ``fmt``, or ``_NO_DAY``."""
    try:
        return datetime.strptime(raw.decode(encoding), fmt).toordinal() - _EPOCH_ORDINAL
    except (ValueError, UnicodeDecodeError):
        return _NO_DAY


def _parse_dates_slow(
    blk: _Block, pos: np.ndarray, lengths: np.ndarray, fmt: str, encoding: str
) -> np.ndarray:
    """strptime on the *distinct* values only: a date column has few of them, so hash the
    fields, parse one representative per hash, and verify every row equals its representative
    (a hash collision falls back to a per-row parse)."""
    out = np.full(pos.size, _NO_DAY, dtype=np.int64)
    short = np.flatnonzero(lengths <= 32)
    rest = np.flatnonzero(lengths > 32)
    if short.size:
        p, n = pos[short], lengths[short]
        nw = _nwords(n, 32)
        w = blk.gather(p, nw)
        w &= _masks(n, nw)
        h = _field_digest(w) ^ n.view(np.uint64)
        _, first, inv = np.unique(h, return_index=True, return_inverse=True)
        inv = inv.ravel()
        parsed = np.array(
            [
                _strptime_days(blk.buf[a : a + b].tobytes(), fmt, encoding)
                for a, b in zip(p[first].tolist(), n[first].tolist(), strict=True)
            ],
            dtype=np.int64,
        )
        out[short] = parsed[inv]
        rep = first[inv]
        same = (n == n[rep]) & (w == w[rep]).all(axis=1)
        rest = np.concatenate([rest, short[~same]])
    for i in rest.tolist():
        a, b = int(pos[i]), int(lengths[i])
        out[i] = _strptime_days(blk.buf[a : a + b].tobytes(), fmt, encoding)
    return out


_K1 = _U(0x9E3779B97F4A7C15)
_K2 = _U(0xBF58476D1CE4E5B9)
_K3 = _U(0x94D049BB133111EB)
_S29, _S31, _S32 = _U(29), _U(31), _U(32)
_SEED = _U(0x243F6A8885A308D3)


def _mix(x: np.ndarray) -> np.ndarray:
    """One multiply/xor-shift round (absorbs a value into the running hash)."""
    x = x * _K1
    x ^= x >> _S32
    return x


def _finalize(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every output bit depends on every input bit."""
    x = (x ^ (x >> _S31)) * _K2
    x = (x ^ (x >> _S29)) * _K3
    x ^= x >> _S32
    return x


def _salts(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Position salts S(m) = (m + 1) * K1 and their finalized values, for words start..stop-1."""
    s = (np.arange(start, stop, dtype=np.uint64) + _S1) * _K1
    return s, _finalize(s)


def _field_digest(words: np.ndarray, first_word: int = 0) -> np.ndarray:
    """Sum over a field's words (last axis) of ``finalize(w ^ S(m)) - finalize(S(m))``.

    A zero word contributes nothing, so padding past the field (masked to zero) never changes
    the digest: the same field hashes the same whatever the block's widest field. The sum is
    position-salted (reordered words differ) and vectorises over the words of a giant field.
    """
    salt, base = _salts(first_word, first_word + words.shape[-1])
    if words.ndim == 1:  # the rest of one giant field: vectorised over its words
        t = _finalize(words ^ salt)
        t -= base
        return t.sum(dtype=np.uint64)
    out = None
    for m in range(words.shape[-1]):
        t = _finalize(words[..., m] ^ salt[m])
        t -= base[m]
        out = t if out is None else out + t
    return out


def _hash_keys(blk: _Block, plan: _Plan) -> np.ndarray:
    """64-bit hash per good row of its key fields: per field, its length then its digest (so
    field boundaries are part of the hash: ``("a", "bc")`` and ``("ab", "c")`` differ).
    Fields longer than 64 bytes add the digest of their remaining words row by row."""
    pos, lengths = blk.fields(plan.key_cols, plan.ncols)
    h = np.full(blk.nrows, _SEED, dtype=np.uint64)
    for i in range(plan.key_cols.size):
        p, n = pos[i], lengths[i]
        nw = _nwords(n, 8 * _MAXW)
        w = blk.gather(p, nw)
        w &= _masks(n, nw)
        digest = _field_digest(w)
        for r in np.flatnonzero(n > 8 * nw).tolist():
            raw = blk.buf[int(p[r]) + 8 * nw : int(p[r]) + int(n[r])].tobytes()
            rest = np.frombuffer(raw + b"\0" * (-len(raw) % 8), dtype="<u8")
            digest[r] = (int(digest[r]) + int(_field_digest(rest, nw))) & ((1 << 64) - 1)
        h ^= n.view(np.uint64)
        h = _mix(h)
        h ^= digest
        h = _mix(h)
    return _finalize(h)


# ----------------------------------------------------------------------------------------------
# Exact validators for re-checks (plain Python on bytes: the grammars the fast paths implement)
# ----------------------------------------------------------------------------------------------

_INT_RE = re.compile(rb"[+-]?[0-9]+\Z")
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z",
    re.IGNORECASE,
)


def _exact_int(raw: bytes) -> bool:
    return _INT_RE.match(raw) is not None and -(1 << 63) <= int(raw) < (1 << 63)


def _exact_float(raw: bytes) -> bool:
    return _FLOAT_RE.match(raw) is not None


def _exact_iso_date(raw: bytes) -> bool:
    return _strptime_days(raw, "%Y-%m-%d", "ascii") != _NO_DAY


_EXACT = {"int": _exact_int, "float": _exact_float, "date": _exact_iso_date}
