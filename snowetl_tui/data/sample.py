"""Sampling rows of a data file of any size: the head, or a uniform random sample.

``head`` reads only as far as the rows it returns. ``random`` streams the whole file once and
keeps a reservoir of N records (Algorithm L: after the reservoir is full it draws how many
records to *skip* before the next replacement, so the per-record cost is finding record
boundaries, done per 4 MB block with numpy, not a Python call per row). Memory is the block
plus the N records kept, whatever the file size; ``.gz`` and ``.zst`` stream through
:func:`~snowetl_tui.data.compression.open_stream`.

Records are what the chunker and the validator call records: a newline ends one unless (with
quoting) an odd number of quote characters precede it since the record started, so a sample of
a CSV with quoted newlines never cuts a row in half. Each sampled record keeps its line number
in the (decompressed) file, header included, as ``sed -n Np`` counts.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snowetl_tui.config.model import FileEntry
from snowetl_tui.data.chunks import read_exact, split_records
from snowetl_tui.data.compression import open_stream
from snowetl_tui.data.sniff import BOM, FileFormat, sniff_file
from snowetl_tui.errors import InputError

BLOCK = 4 << 20
MAX_ROWS = 1_000_000
_TINY = 5e-324


@contextmanager
def read_errors(path: Path) -> Iterator[None]:
    """Turn read and decompression failures into one-line InputErrors naming the file."""
    try:
        yield
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except EOFError as exc:
        raise InputError(f"{path}: truncated compressed data: {exc}") from None
    except OSError as exc:
        if type(exc).__name__ == "BadGzipFile":
            raise InputError(f"{path}: corrupt compressed data: {exc}") from None
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except Exception as exc:
        if type(exc).__name__ in ("ZstdError", "IsalError", "error"):
            raise InputError(f"{path}: corrupt compressed data: {exc}") from None
        raise


@dataclass
class SampleRow:
    """One sampled record: its index among the data rows, its line and its raw bytes."""

    index: int
    line: int
    raw: bytes


@dataclass
class Sample:
    """The sample and what is needed to print it."""

    path: Path
    fmt: FileFormat
    header: bytes
    mode: str
    rows: list[SampleRow] = field(default_factory=list)
    seed: int | None = None
    rows_seen: int = 0
    complete: bool = False  # the whole file was read (random mode, or head of a short file)

    def fields(self, row: SampleRow) -> list[str]:
        """The record split into fields (quoting honoured), decoded."""
        text = row.raw.decode(self.fmt.encoding, errors="replace").rstrip("\r\n")
        if self.fmt.quote is None:
            return text.split(self.fmt.delimiter)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.fmt.delimiter,
                            quotechar=self.fmt.quote)
        return next(reader, [])

    def columns(self) -> list[str]:
        if self.fmt.header_fields:
            return [f.strip() for f in self.fmt.header_fields]
        return [f"COL{i + 1}" for i in range(len(self.fmt.first_fields))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "mode": self.mode,
            "seed": self.seed,
            "rows_seen": self.rows_seen,
            "complete": self.complete,
            "columns": self.columns(),
            "rows": [{"line": r.line, "index": r.index, "fields": self.fields(r)}
                     for r in self.rows],
        }

    def raw_bytes(self) -> Iterator[bytes]:
        """The header then the records, as in the file: a small extract of the same format."""
        if self.header:
            yield self.header
        for r in self.rows:
            yield r.raw if r.raw.endswith(b"\n") else r.raw + (b"\r\n" if self.fmt.crlf
                                                               else b"\n")


def _record_ends(piece: memoryview, quote: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(end offsets of the records in a record-aligned piece, offsets of all its newlines)."""
    arr = np.frombuffer(piece, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    ends = newlines
    if quote is not None and len(newlines):
        is_quote = arr == quote
        if is_quote.any():
            # parity of the quotes before each newline; uint8 wraps mod 256, keeping parity
            parity = np.cumsum(is_quote, dtype=np.uint8)
            ends = newlines[(parity[newlines] & 1) == 0]
    ends = ends + 1
    if len(arr) and arr[-1] != 10:  # the last record of a file without a final newline
        ends = np.append(ends, len(arr))
    return ends, newlines


def sample_file(path: Path, *, rows: int = 10, randomly: bool = False, seed: int | None = None,
                spec: FileEntry | None = None) -> Sample:
    """Sample ``rows`` records of ``path`` (its first ones, or uniformly at random).

    ``seed`` makes a random sample reproducible; without one a seed is drawn and reported in
    ``Sample.seed`` so the same sample can be taken again.
    """
    if not 1 <= rows <= MAX_ROWS:
        raise InputError(f"--rows must be between 1 and {MAX_ROWS:,}, not {rows}")
    path = Path(path)
    fmt = sniff_file(path, spec)
    quote = fmt.quote.encode(fmt.encoding)[0] if fmt.quote else None
    if randomly and seed is None:
        seed = random.SystemRandom().randrange(1 << 31)
    out = Sample(path, fmt, b"", "random" if randomly else "head", seed=seed if randomly else None)
    with read_errors(path), open_stream(path, fmt.codec) as fh:
        head = read_exact(fh, fmt.data_start)
        out.header = head[len(BOM):] if fmt.bom else head
        if randomly:
            _reservoir(fh, quote, fmt.header_lines, rows, random.Random(seed), out)
            out.complete = True
        else:
            _head(fh, quote, fmt.header_lines, rows, out)
    return out


def _line_of(newlines: np.ndarray, first_line: int, start: int) -> int:
    return first_line + int(np.searchsorted(newlines, start)) if len(newlines) else first_line


def _head(fh: Any, quote: int | None, header_lines: int, n: int, out: Sample) -> None:
    index = 0
    line = header_lines + 1
    qb = bytes([quote]) if quote is not None else None
    for piece in split_records(fh, BLOCK, qb):
        ends, newlines = _record_ends(piece, quote)
        start = 0
        for end in ends.tolist():
            if len(out.rows) >= n:
                out.rows_seen = index
                return
            out.rows.append(SampleRow(index, _line_of(newlines, line, start),
                                      bytes(piece[start:end])))
            index += 1
            start = end
        line += len(newlines)
    out.rows_seen = index
    out.complete = True


@dataclass
class _Block:
    """The records of one block, to copy out the few that are drawn."""

    piece: memoryview
    starts: np.ndarray
    ends: np.ndarray
    newlines: np.ndarray
    first_line: int
    first_index: int

    def take(self, j: int) -> SampleRow:
        s, e = int(self.starts[j]), int(self.ends[j])
        return SampleRow(self.first_index + j, _line_of(self.newlines, self.first_line, s),
                         bytes(self.piece[s:e]))


def _reservoir(fh: Any, quote: int | None, header_lines: int, k: int, rng: random.Random,
               out: Sample) -> None:
    """Algorithm L (Li, 1994): uniform without replacement, O(k (1 + log(n/k))) draws."""

    def u() -> float:
        return rng.random() or _TINY

    def skip(w: float) -> int:
        step = math.log1p(-w)
        if step == 0.0:  # w underflowed: no later record can be drawn
            return 1 << 62
        return math.floor(math.log(u()) / step) + 1

    kept: list[SampleRow] = []
    w = 0.0
    next_pick = -1
    index = 0
    qb = bytes([quote]) if quote is not None else None
    line = header_lines + 1
    for piece in split_records(fh, BLOCK, qb):
        ends, newlines = _record_ends(piece, quote)
        count = len(ends)
        if not count:
            continue
        starts = np.concatenate(([0], ends[:-1]))
        block = _Block(piece, starts, ends, newlines, line, index)
        j = 0
        while len(kept) < k and j < count:
            kept.append(block.take(j))
            j += 1
            if len(kept) == k:
                w = min(math.exp(math.log(u()) / k), math.nextafter(1.0, 0.0))
                next_pick = index + j - 1 + skip(w)
        while len(kept) == k and next_pick < index + count:
            kept[rng.randrange(k)] = block.take(next_pick - index)
            w = min(w * math.exp(math.log(u()) / k), math.nextafter(1.0, 0.0))
            next_pick += skip(w)
        index += count
        line += len(newlines)
    kept.sort(key=lambda r: r.index)
    out.rows = kept
    out.rows_seen = index
