"""Newline-aligned (record-aligned) chunks of a file, read once, in order.

The parent process reads the (decompressed) byte stream sequentially in blocks of about
``chunk_size`` bytes. For each block it finds the last record boundary — the last newline, or
with quoting on the last newline outside quotes (even quote parity) — hashes the bytes
(SHA-256 of the whole content, in order) and counts the newlines so every chunk knows its first
line number. It then hands the chunk to a worker either as a byte range of the file (plain
files: the worker reads the range itself, from the page cache, so no 64 MB buffer is pickled)
or as the bytes themselves (compressed input, where only a sequential reader can produce them).

A record longer than the chunk size simply makes a bigger chunk, so a 50 MB single line with
a 1 KB chunk size is one chunk, not an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from snowetl_tui.data.compression import Codec, open_stream_with_raw

DEFAULT_CHUNK_SIZE = 64 << 20


@dataclass(frozen=True)
class Chunk:
    """One record-aligned piece of the data region.

    ``start`` is the offset in the decompressed stream. ``data`` is ``None`` when the worker is
    to read ``[start, start + length)`` from the plain file itself. Line numbers are not known
    here (counting newlines would cost the parent a pass); workers count the lines of their
    chunk and the merge turns chunk-relative line numbers into global ones.
    """

    index: int
    start: int
    length: int
    data: bytes | None = None


@dataclass
class StreamSummary:
    """What the sequential read learned about the whole stream (final after iteration)."""

    sha256: str = ""
    raw_position: int = 0
    total_bytes: int = 0
    ends_with_newline: bool = True
    chunks: int = 0


def record_boundary(block: bytes | bytearray, quote: bytes | None, end: int | None = None) -> int:
    """Index just past the last record terminator in ``block[:end]``, or -1 if none.

    With quoting, a newline ends a record only if an even number of quote characters precede
    it in the block (the block starts at a record start; doubled quotes keep parity). Each byte
    is counted at most twice, so a block full of quoted newlines stays linear.
    """
    end = len(block) if end is None else end
    pos = block.rfind(b"\n", 0, end)
    if quote is None or pos < 0:
        return pos + 1 if pos >= 0 else -1
    total = block.count(quote, 0, end)
    after = block.count(quote, pos, end)
    while pos >= 0:
        if (total - after) % 2 == 0:
            return pos + 1
        prev = block.rfind(b"\n", 0, pos)
        if prev < 0:
            return -1
        after += block.count(quote, prev, pos)
        pos = prev
    return -1


def iter_chunks(
    path: Path,
    *,
    data_start: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    quote: bytes | None = None,
    codec: Codec = "none",
    ship_bytes: bool | None = None,
    summary: StreamSummary | None = None,
) -> Iterator[Chunk]:
    """Yield the chunks of ``path`` after ``data_start`` (BOM and header already skipped).

    ``summary`` is filled in as the stream is read: SHA-256 of *all* bytes (header included),
    whether the stream ends with a newline, totals. One buffer is reused for the whole file
    (``readinto``), so the parent's memory is one chunk whatever the file size.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    ship = codec != "none" if ship_bytes is None else ship_bytes
    summary = summary if summary is not None else StreamSummary()
    hasher = hashlib.sha256()
    buf = bytearray(max(chunk_size, 1 << 16))
    fh, raw = open_stream_with_raw(path, codec)
    with fh, raw:
        head = _read_exact(fh, data_start)
        hasher.update(head)
        offset = len(head)
        last_byte = head[-1:]
        filled = 0
        index = 0
        eof = False
        target = chunk_size
        while True:
            while filled < target and not eof:
                with memoryview(buf) as whole, whole[filled:target] as view:
                    n = fh.readinto(view)
                    if n:
                        hasher.update(view[:n])
                if not n:
                    eof = True
                    break
                last_byte = bytes(buf[filled + n - 1 : filled + n])
                filled += n
                summary.raw_position = raw.tell()
            if filled == 0:
                break
            cut = filled if eof else record_boundary(buf, quote, filled)
            if cut <= 0:
                # No complete record yet (a record longer than the chunk size): read more,
                # doubling, and grow the buffer only when it is full.
                target = max(target * 2, filled + 1)
                if target > len(buf):
                    buf.extend(bytes(target - len(buf)))
                continue
            yield Chunk(index, offset, cut, bytes(buf[:cut]) if ship else None)
            rest = filled - cut
            buf[:rest] = buf[cut:filled]
            filled = rest
            offset += cut
            index += 1
            target = chunk_size
    summary.sha256 = hasher.hexdigest()
    summary.total_bytes = offset
    summary.ends_with_newline = last_byte in (b"\n", b"")
    summary.chunks = index


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    remaining = n
    while remaining > 0:
        got = fh.read(remaining)
        if not got:
            break
        parts.append(got)
        remaining -= len(got)
    return b"".join(parts)


def read_range(path: Path, start: int, length: int) -> bytes:
    """The bytes of a plain file's range, as a worker reads its chunk."""
    with open(path, "rb", buffering=0) as fh:
        fh.seek(start)
        return _read_exact(fh, length)
