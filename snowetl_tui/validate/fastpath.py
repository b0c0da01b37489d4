"""The kernel's fused fast path: clean blocks checked in one compiled pass (``_fastscan.c``).

The numpy kernel is exact for every input but makes dozens of passes over each block, which
caps it near 240 MB/s per core. Real extracts are overwhelmingly clean, so each block is first
offered to a small C function that splits rows and checks every field while it is in L1; it
either accepts the whole block (and then its outputs equal the numpy kernel's for that block)
or declines, and the numpy kernel processes the block and finds, counts and locates whatever
is wrong. It serves TSV and CSV alike, quoted fields included (RFC 4180, as the numpy kernel
checks it); a newline inside quotes, rare in extracts, sends its block to the numpy kernel.
Correctness therefore never depends on the fast path: it can only say "clean".

The library is built by ``pip install`` (a setuptools extension, plain C through ctypes: no
Python API, no LLVM in the workers as numba would need). Where it is missing — a platform
without a compiler — or when ``SNOWETL_KERNEL_FAST=0``, validation runs the numpy kernel alone,
with the same results, slower.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from snowetl_tui.validate.kernel import _Plan

__all__ = ["HIGH_NONE", "HIGH_OTHER", "HIGH_UTF8", "FastPath", "available", "fast_path"]

HIGH_NONE, HIGH_UTF8, HIGH_OTHER = 0, 1, 2
_ABI = 2
_KINDS = {"text": 1, "int": 2, "number": 3, "float": 4, "bool": 5, "date": 6, "ts": 7, "varchar": 8}

_P32 = ctypes.POINTER(ctypes.c_int32)
_P8 = ctypes.POINTER(ctypes.c_uint8)
_P64 = ctypes.c_void_p  # int64 / uint64 arrays are passed as raw addresses


class _Spec(ctypes.Structure):
    """Mirrors ``FastSpec`` in ``_fastscan.c``, field for field."""

    _fields_ = [
        ("ncols", ctypes.c_int32),
        ("delim", ctypes.c_int32),
        ("date_index", ctypes.c_int32),
        ("date_nullable", ctypes.c_int32),
        ("date_width", ctypes.c_int32),
        ("date_y", ctypes.c_int32),
        ("date_m", ctypes.c_int32),
        ("date_d", ctypes.c_int32),
        ("null_empty", ctypes.c_int32),
        ("ntokens", ctypes.c_int32),
        ("nkeys", ctypes.c_int32),
        ("quote", ctypes.c_int32),
        ("kind", _P32),
        ("nullable", _P32),
        ("arg1", _P32),
        ("arg2", _P32),
        ("keys", _P32),
        ("date_text", _P8),
        ("date_digit", _P8),
        ("tok_len", _P32),
        ("tok_off", _P32),
        ("tok_bytes", _P8),
        ("cls", _P8),
    ]


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL | None:
    """The compiled ``_fastscan`` library, or None (not built, disabled, wrong ABI)."""
    if os.environ.get("SNOWETL_KERNEL_FAST", "1") == "0" or sys.byteorder != "little":
        return None
    spec = importlib.util.find_spec("snowetl_tui.validate._fastscan")
    if spec is None or not spec.origin:
        return None
    try:
        lib = ctypes.CDLL(spec.origin)
    except OSError:
        return None
    lib.fs_version.restype = ctypes.c_int32
    if lib.fs_version() != _ABI:
        return None
    lib.fs_block.restype = ctypes.c_int64
    lib.fs_block.argtypes = [
        ctypes.POINTER(_Spec),
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_int32,
        _P64,  # scratch: 3 * ncols
        _P64,  # offsets
        _P64,  # hashes
        _P64,  # days
        _P64,  # number of days
        _P64,  # CRLF rows
    ]
    lib.fs_any_high.restype = ctypes.c_int32
    lib.fs_any_high.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    return lib


def available() -> bool:
    """Is the compiled fast path loaded in this process?"""
    return _library() is not None


class FastPath:
    """The fast path for one kernel plan: the C spec and the arrays it points into."""

    def __init__(self, lib: ctypes.CDLL, plan: _Plan) -> None:
        self._lib = lib
        ncols = plan.ncols
        kind = np.zeros(ncols, np.int32)
        arg1 = np.zeros(ncols, np.int32)
        arg2 = np.zeros(ncols, np.int32)
        nullable = np.ones(ncols, np.int32)
        for g in plan.groups:
            for i, j in enumerate(g.cols.tolist()):
                kind[j] = _KINDS[g.kind]
                nullable[j] = int(g.nullable[i, 0])
                arg1[j] = min(int(g.arg1[i, 0]), 2**31 - 1) if g.arg1 is not None else 0
                arg2[j] = min(int(g.arg2[i, 0]), 2**31 - 1) if g.arg2 is not None else 0
        keys = plan.key_cols.astype(np.int32)
        fmt = plan.date_fmt
        width = fmt.width if plan.date_index is not None else 0
        text = np.zeros(max(width, 1), np.uint8)
        digit = np.zeros(max(width, 1), np.uint8)
        if width:
            layout = b"".join(int(w).to_bytes(8, "little") for w in fmt.expected)[:width]
            keep = b"".join(int(w).to_bytes(8, "little") for w in fmt.keep)[:width]
            assert all(keep), "date layout mask"
            text[:] = np.frombuffer(layout, np.uint8)
            for k, n in ((fmt.year, 4), (fmt.month, 2), (fmt.day, 2)):
                digit[k : k + n] = 1
        tokens = plan.null_tokens
        tok_len = np.array([len(t) for t in tokens] or [0], np.int32)
        tok_off = np.array(
            np.cumsum([0, *(len(t) for t in tokens)])[:-1] if tokens else [0], np.int32
        )
        tok_bytes = np.frombuffer(b"".join(tokens) or b"\0", np.uint8).copy()
        cls = np.zeros(256, np.uint8)
        cls[plan.delim] = 1
        cls[10] = 1
        cls[0] = 2  # NUL bytes are a finding: the numpy kernel counts and locates them
        if plan.quote is not None:
            cls[plan.quote] = 3
        self._keep = (
            kind,
            nullable,
            arg1,
            arg2,
            keys,
            text,
            digit,
            tok_len,
            tok_off,
            tok_bytes,
            cls,
        )
        self.ncols = ncols
        self.nkeys = int(keys.size)
        self.spec = _Spec(
            ncols,
            plan.delim,
            plan.date_index if plan.date_index is not None else -1,
            int(plan.date_nullable),
            width,
            fmt.year,
            fmt.month,
            fmt.day,
            int(plan.null_empty),
            len(tokens),
            self.nkeys,
            plan.quote if plan.quote is not None else -1,
            *(a.ctypes.data_as(_P32) for a in (kind, nullable, arg1, arg2, keys)),
            *(a.ctypes.data_as(_P8) for a in (text, digit)),
            *(a.ctypes.data_as(_P32) for a in (tok_len, tok_off)),
            *(a.ctypes.data_as(_P8) for a in (tok_bytes, cls)),
        )
        self._spec_ref = ctypes.byref(self.spec)

    def any_high(self, block: np.ndarray) -> bool:
        """Does the block hold a byte >= 0x80?"""
        return bool(self._lib.fs_any_high(block.ctypes.data, block.size))

    def run(self, block: np.ndarray, base: int, high_mode: int) -> FastBlock | None:
        """Check one record-aligned block; None when the numpy kernel must process it."""
        n = int(block.size)
        cap = n // self.ncols + 2
        scratch = np.empty(3 * self.ncols, np.int64)
        offsets = np.empty(cap, np.int64)
        hashes = np.empty(cap if self.nkeys else 1, np.uint64)
        days = np.empty(cap, np.int64)
        counts = np.zeros(2, np.int64)  # days found, CRLF rows
        rows = self._lib.fs_block(
            self._spec_ref,
            block.ctypes.data,
            n,
            base,
            high_mode,
            scratch.ctypes.data,
            offsets.ctypes.data,
            hashes.ctypes.data,
            days.ctypes.data,
            counts.ctypes.data,
            counts.ctypes.data + 8,
        )
        if rows < 0:
            return None
        # The outputs are sized for the worst case (one-byte rows); a chunk keeps its blocks'
        # arrays until it is merged, so keep only the rows found (typically 1/8 of the room).
        return FastBlock(
            int(rows),
            int(counts[1]),
            _fit(days, int(counts[0])),
            _fit(offsets, rows),
            _fit(hashes, rows) if self.nkeys else None,
        )


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` items, copied out unless they fill most of the array."""
    return a[:n] if 2 * n >= a.size else a[:n].copy()


class FastBlock:
    """What the fast path found in a clean block (the numpy kernel's aggregates for it)."""

    __slots__ = ("cr", "days", "hashes", "offsets", "rows")

    def __init__(
        self, rows: int, cr: int, days: np.ndarray, offsets: np.ndarray, hashes: np.ndarray | None
    ) -> None:
        self.rows = rows
        self.cr = cr
        self.days = days
        self.offsets = offsets
        self.hashes = hashes


def fast_path(plan: _Plan) -> FastPath | None:
    """The fast path for ``plan``, or None when it cannot serve it: library missing or off, or
    a date format without a fixed-width layout (strptime decides those)."""
    lib = _library()
    if lib is None:
        return None
    if plan.date_index is not None and not plan.date_fmt.width:
        return None
    return FastPath(lib, plan)
