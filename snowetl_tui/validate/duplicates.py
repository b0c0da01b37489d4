"""Exact duplicate-key detection in bounded memory.

Workers spill one file per chunk: the (64-bit key hash, row byte offset) pairs of its rows,
sorted by hash. Here the hash space is cut into partitions small enough for memory; each
partition is gathered from every spill file (a binary search per file, memory-mapped), sorted,
and runs of equal hashes become *candidates*. Candidates are then resolved exactly: the real
key values are read back from the file at their offsets and compared, so a hash collision
can never be reported as a duplicate (nor hide one). Memory is one partition plus the
candidates of a batch of partitions, whatever the row count.
"""

from __future__ import annotations

import csv
import io
import mmap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from snowetl_tui.data.compression import Codec, open_stream

PARTITION_BYTES = 8 << 20
CANDIDATE_BATCH = 2_000_000
KeyReader = Callable[[list[int]], dict[int, tuple[str, ...]]]


@dataclass
class DuplicateGroup:
    """One key that occurs more than once, with the offsets of its rows (file order)."""

    key: tuple[str, ...]
    count: int
    offsets: list[int]


@dataclass
class DuplicateSummary:
    keys: int = 0
    excess_rows: int = 0
    groups: list[DuplicateGroup] = field(default_factory=list)
    partitions: int = 0
    candidates: int = 0


def _record_key(raw: bytes, delimiter: bytes, quote: bytes | None, encoding: str,
                key_indices: tuple[int, ...]) -> tuple[str, ...]:
    if quote is None:
        line = raw.split(b"\n", 1)[0].rstrip(b"\r")
        fields = line.split(delimiter)
        return tuple(fields[i].decode(encoding, errors="replace") for i in key_indices)
    text = raw.decode(encoding, errors="replace")
    row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter.decode(),
                          quotechar=quote.decode()), [])
    return tuple(row[i] if i < len(row) else "" for i in key_indices)


def plain_key_reader(path: Path, delimiter: bytes, quote: bytes | None, encoding: str,
                     key_indices: tuple[int, ...]) -> KeyReader:
    """Random access into an uncompressed file through mmap."""

    def read(offsets: list[int]) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            for off in sorted(offsets):
                if quote is None:
                    end = mm.find(b"\n", off)
                    raw = mm[off : end if end >= 0 else len(mm)]
                else:
                    raw = mm[off : off + (1 << 20)]
                out[off] = _record_key(raw, delimiter, quote, encoding, key_indices)
        return out

    return read


def stream_key_reader(path: Path, codec: Codec, delimiter: bytes, quote: bytes | None,
                      encoding: str, key_indices: tuple[int, ...]) -> KeyReader:
    """One sequential pass over a compressed stream per batch of candidates."""

    def read(offsets: list[int]) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        window = 1 << 20
        with open_stream(path, codec) as fh:
            pos, buf, eof = 0, b"", False  # buf holds the stream from offset pos
            for off in sorted(set(offsets)):
                if off > pos:
                    drop = min(off - pos, len(buf))
                    buf, pos = buf[drop:], pos + drop
                    while pos < off and not eof:
                        skipped = fh.read(min(1 << 22, off - pos))
                        if not skipped:
                            eof = True
                        pos += len(skipped)
                while not eof and (len(buf) < window if quote else b"\n" not in buf):
                    more = fh.read(1 << 22)
                    if not more:
                        eof = True
                    buf += more
                if pos == off and buf:
                    out[off] = _record_key(buf[:window], delimiter, quote, encoding, key_indices)
        return out

    return read


def partition_bounds(partitions: int) -> list[tuple[int, int]]:
    """``partitions`` equal ranges of the 64-bit hash space, ``[lo, hi)``."""
    edges = [int(i * (2**64) // partitions) for i in range(partitions + 1)]
    return [(edges[i], edges[i + 1]) for i in range(partitions)]


def gather_partition(files: list[str], lo: int, hi: int) -> np.ndarray | None:
    """The (hash, offset) records of every spill file whose hash is in ``[lo, hi)``, or None.

    Each file is mapped afresh and the slice copied out: pages of a mapping that stays open
    count in the process's RSS, which would then grow with the file."""
    lo_u, hi_u = np.uint64(lo), np.uint64(min(hi, 2**64 - 1))
    pieces = []
    for f in files:
        arr = np.load(f, mmap_mode="r")
        h = arr["h"]
        a = int(np.searchsorted(h, lo_u, side="left"))
        b = int(np.searchsorted(h, hi_u, side="right" if hi >= 2**64 else "left"))
        if b > a:
            pieces.append(np.array(arr[a:b]))
        del h, arr
    return np.concatenate(pieces) if pieces else None


def find_duplicates(
    spill_files: Iterable[str],
    total_rows: int,
    read_keys: KeyReader,
    *,
    max_groups: int = 20,
    partition_bytes: int = PARTITION_BYTES,
) -> DuplicateSummary:
    """Scan spilled hashes partition by partition and resolve candidates exactly."""
    files = list(spill_files)
    summary = DuplicateSummary()
    if not files:
        return summary
    parts = max(1, -(-total_rows * 16 // partition_bytes))
    summary.partitions = parts
    pending: list[np.ndarray] = []
    pending_rows = 0

    def resolve() -> None:
        nonlocal pending, pending_rows
        if not pending:
            return
        cand = np.concatenate(pending)
        pending, pending_rows = [], 0
        keys = read_keys([int(o) for o in cand["o"]])
        groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
        for h, o in zip(cand["h"].tolist(), cand["o"].tolist(), strict=True):
            k = keys.get(o)
            if k is not None:
                groups.setdefault((h, k), []).append(o)
        for (_, key), offs in groups.items():
            if len(offs) < 2:
                continue
            summary.keys += 1
            summary.excess_rows += len(offs) - 1
            summary.groups.append(DuplicateGroup(key, len(offs), sorted(offs)))
        summary.groups.sort(key=lambda g: (-g.count, g.offsets[0]))
        del summary.groups[max_groups:]

    for lo, hi in partition_bounds(parts):
        part = gather_partition(files, lo, hi)
        if part is None:
            continue
        part = part[np.argsort(part["h"], kind="stable")]
        same = part["h"][1:] == part["h"][:-1]
        if not same.any():
            continue
        mark = np.zeros(len(part), dtype=bool)
        mark[1:] |= same
        mark[:-1] |= same
        cand = part[mark]
        summary.candidates += len(cand)
        pending.append(cand)
        pending_rows += len(cand)
        if pending_rows >= CANDIDATE_BATCH:
            resolve()
    resolve()
    return summary
