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
from collections.abc import Callable, Iterator
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
    whether the stream ends with a newline, totals. Plain files are read in small blocks and
    only the chunk boundaries are handed out (workers read their ranges themselves), so the
    parent holds a few MB whatever the chunk size; compressed streams must ship the bytes.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    ship = codec != "none" if ship_bytes is None else ship_bytes
    summary = summary if summary is not None else StreamSummary()
    if ship:
        yield from _iter_shipped(path, data_start, chunk_size, quote, codec, summary)
    else:
        yield from _iter_ranges(path, data_start, chunk_size, quote, summary)


READ_BLOCK = 4 << 20


def _iter_ranges(
    path: Path, data_start: int, chunk_size: int, quote: bytes | None, summary: StreamSummary
) -> Iterator[Chunk]:
    """Boundaries of a plain file, found while hashing it in ``READ_BLOCK`` reads.

    A chunk ends at the first record terminator at or after ``start + chunk_size - 1``; with
    quoting, at the first such newline preceded (since the chunk start) by an even number of
    quote characters.
    """
    hasher = hashlib.sha256()
    buf = bytearray(READ_BLOCK)
    index = 0
    with open(path, "rb", buffering=0) as fh:
        head = read_exact(fh, data_start)
        hasher.update(head)
        last_byte = head[-1:]
        pos = len(head)  # file offset of buf[0]
        start = pos  # current chunk start
        quotes = 0  # quote characters seen since the chunk start
        while True:
            with memoryview(buf) as view:
                n = fh.readinto(view)
                if n:
                    hasher.update(view[:n])
            if not n:
                break
            last_byte = bytes(buf[n - 1 : n])
            summary.raw_position = pos + n
            scan = 0  # bytes of buf already accounted for in ``quotes``
            while True:
                want = max(start + chunk_size - 1 - pos, scan)
                if want >= n:
                    break
                if quote is not None:
                    quotes += buf.count(quote, scan, want)
                    scan = want
                nl = buf.find(b"\n", want, n)
                if nl < 0:
                    break
                if quote is not None:
                    quotes += buf.count(quote, scan, nl + 1)
                    scan = nl + 1
                    if quotes % 2:
                        continue
                end = pos + nl + 1
                yield Chunk(index, start, end - start)
                index += 1
                start, quotes, scan = end, 0, nl + 1
            if quote is not None and scan < n:
                quotes += buf.count(quote, scan, n)
            pos += n
        if pos > start:
            yield Chunk(index, start, pos - start)
            index += 1
    summary.sha256 = hasher.hexdigest()
    summary.total_bytes = pos
    summary.ends_with_newline = last_byte in (b"\n", b"")
    summary.chunks = index


def split_records(
    fh: BinaryIO, chunk_size: int, quote: bytes | None, limit: int | None = None,
    on_read: Callable[[memoryview], None] | None = None,
) -> Iterator[memoryview]:
    """Record-aligned pieces of a stream, as views into one reused buffer.

    Each view is valid only until the next iteration (the buffer is reused: no allocation
    per piece). ``limit`` stops after that many bytes; ``on_read`` sees every byte read once,
    in order (for hashing). A record longer than ``chunk_size`` grows the buffer.
    """
    buf = bytearray(max(chunk_size, 1 << 16))
    filled = 0
    remaining = limit
    eof = False
    target = chunk_size
    while True:
        while filled < target and not eof:
            stop = target if remaining is None else min(target, filled + remaining)
            if stop <= filled:
                eof = True
                break
            with memoryview(buf) as whole, whole[filled:stop] as view:
                n = fh.readinto(view)
                if n and on_read is not None:
                    on_read(view[:n])
            if not n:
                eof = True
                break
            filled += n
            if remaining is not None:
                remaining -= n
        if filled == 0:
            return
        cut = filled if eof else record_boundary(buf, quote, filled)
        if cut <= 0:
            # No complete record yet (a record longer than the chunk size): read more,
            # doubling, and grow the buffer only when it is full.
            target = max(target * 2, filled + 1)
            if target > len(buf):
                buf.extend(bytes(target - len(buf)))
            continue
        with memoryview(buf) as whole, whole[:cut] as piece:
            yield piece
        rest = filled - cut
        buf[:rest] = buf[cut:filled]
        filled = rest
        target = chunk_size


def _iter_shipped(
    path: Path, data_start: int, chunk_size: int, quote: bytes | None, codec: Codec,
    summary: StreamSummary,
) -> Iterator[Chunk]:
    """Chunks of a (decompressed) stream, carrying their bytes."""
    hasher = hashlib.sha256()
    last = [b""]

    def seen(view: memoryview) -> None:
        hasher.update(view)
        last[0] = bytes(view[-1:])
        summary.raw_position = raw.tell()

    fh, raw = open_stream_with_raw(path, codec)
    offset = 0
    index = 0
    with fh, raw:
        head = read_exact(fh, data_start)
        hasher.update(head)
        last[0] = head[-1:]
        offset = len(head)
        for piece in split_records(fh, chunk_size, quote, on_read=seen):
            yield Chunk(index, offset, len(piece), bytes(piece))
            offset += len(piece)
            index += 1
    summary.sha256 = hasher.hexdigest()
    summary.total_bytes = offset
    summary.ends_with_newline = last[0] in (b"\n", b"")
    summary.chunks = index


def read_exact(fh: BinaryIO, n: int) -> bytes:
    """``n`` bytes, or fewer only at the end: decompressing streams return short reads."""
    parts: list[bytes] = []
    remaining = n
    while remaining > 0:
        got = fh.read(remaining)
        if not got:
            break
        parts.append(got)
        remaining -= len(got)
    return b"".join(parts)

