"""A byte-offset line index of a log file, built in blocks and extended as the file grows.

Why offsets and not lines: a 1 GB log holds ~10 M lines; as Python strings that is gigabytes,
as one int64 per line it is 80 MB, and any line is one ``os.pread`` away. The index stores the
offset of every ``\\n`` (found by numpy in 8 MB blocks, ~1.5 GB/s); line ``i`` spans from just
after break ``i-1`` to break ``i``, and a last line without a final newline ends at the indexed
size (so a line being written is shown as it grows, then re-read once complete).

Threading model (the Logs view relies on it): scans run in worker threads and only *produce*
:class:`IndexBatch` objects; the owner (the UI thread) applies them with
:meth:`LineIndex.add`. Storage is append-only in fixed chunks, so a :meth:`LineIndex.snapshot`
handed to a search worker stays valid while the live index keeps growing. A truncated or
replaced file gets a fresh index, never an edited one.
"""

from __future__ import annotations

import codecs
import os
import stat
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

#: Bytes read per ``pread`` while indexing: big enough for numpy to run at memory speed, small
#: enough that each batch reaches the UI within ~10 ms and cancel stays prompt. The first
#: blocks are smaller (FIRST_BLOCK, doubling) so the first screen of a huge file shows at once.
INDEX_BLOCK = 8 << 20
FIRST_BLOCK = 256 << 10
#: Longest part of a line the viewer decodes; the rest is reported, not shown.
DISPLAY_CAP = 4 << 10
#: Consecutive visible lines are fetched with one read when their bytes fit in this.
RUN_READ_MAX = 1 << 20
NEWLINE = 10

Cancel = Callable[[], bool]


def never() -> bool:
    return False


class IntColumn:
    """An append-only int64 sequence stored in fixed-size numpy chunks.

    Appending never copies more than one chunk (no stop-the-world doubling of an 80 MB array on
    the UI thread), and readers that captured a length keep seeing consistent data while more
    values are appended: writes go past the captured length and a grown chunk replaces its list
    slot only after the data is copied.
    """

    def __init__(self, chunk_size: int = 1 << 20) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self._chunk = chunk_size
        self._chunks: list[np.ndarray] = [np.empty(min(1024, chunk_size), np.int64)]
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, values: Iterable[int] | np.ndarray) -> None:
        vals = np.asarray(values, dtype=np.int64).ravel()
        total, pos, chunk = len(vals), 0, self._chunk
        while pos < total:
            k, used = divmod(self._n, chunk)
            if k == len(self._chunks):
                self._chunks.append(np.empty(min(1024, chunk), np.int64))
            arr = self._chunks[k]
            take = min(chunk - used, total - pos)
            need = used + take
            if need > len(arr):
                grown = np.empty(min(chunk, max(need, 2 * len(arr))), np.int64)
                grown[:used] = arr[:used]
                grown[used:need] = vals[pos:pos + take]
                self._chunks[k] = grown
            else:
                arr[used:need] = vals[pos:pos + take]
            self._n += take
            pos += take

    def truncate(self, n: int) -> None:
        """Forget values from position ``n`` on (only for columns no snapshot reads)."""
        self._n = max(0, min(n, self._n))

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self._n:
            raise IndexError(i)
        k, r = divmod(i, self._chunk)
        return int(self._chunks[k][r])

    def slice(self, a: int, b: int) -> np.ndarray:
        """Values ``[a, b)`` as one array (a copy only when it spans chunks)."""
        a, b = max(0, a), min(b, self._n)
        if a >= b:
            return np.empty(0, np.int64)
        chunk = self._chunk
        ka, kb = a // chunk, (b - 1) // chunk
        if ka == kb:
            return self._chunks[ka][a - ka * chunk:b - ka * chunk]
        parts = [self._chunks[k][max(a - k * chunk, 0):min(b - k * chunk, chunk)]
                 for k in range(ka, kb + 1)]
        return np.concatenate(parts)

    def count_below(self, x: int, n: int | None = None) -> int:
        """How many of the first ``n`` values (sorted ascending) are < ``x``."""
        n = self._n if n is None else min(n, self._n)
        chunk = self._chunk
        for k, arr in enumerate(self._chunks):
            base = k * chunk
            used = min(chunk, n - base)
            if used <= 0:
                break
            if arr[used - 1] < x:
                continue
            return base + int(np.searchsorted(arr[:used], x, "left"))
        return n

    def to_array(self) -> np.ndarray:
        return self.slice(0, self._n).copy()


@dataclass(frozen=True)
class IndexBatch:
    """Newline offsets found in the bytes ``[start, end)`` of a file."""

    start: int
    end: int
    breaks: np.ndarray


class LineIndex:
    """Where every line of a file starts and ends, for the first :attr:`size` bytes."""

    def __init__(self, breaks: IntColumn | None = None) -> None:
        self.breaks = breaks if breaks is not None else IntColumn()
        self.n = len(self.breaks)  # newlines covered: also the number of complete lines
        self.size = self.breaks[self.n - 1] + 1 if self.n else 0  # bytes covered
        self.frozen = False

    def snapshot(self) -> LineIndex:
        """A frozen view for another thread: later :meth:`add` calls don't change it."""
        view = LineIndex.__new__(LineIndex)
        view.breaks, view.n, view.size, view.frozen = self.breaks, self.n, self.size, True
        return view

    @property
    def line_count(self) -> int:
        n, size = self.n, self.size
        last_start = self.breaks[n - 1] + 1 if n else 0
        return n + (1 if size > last_start else 0)

    @property
    def has_partial_line(self) -> bool:
        """True when the last line has no newline yet (it may still grow)."""
        return self.line_count > self.n

    def add(self, batch: IndexBatch) -> bool:
        """Apply a scan batch; False (and nothing changed) when it does not continue the index
        exactly — a stale batch from a cancelled scan, or a scan of an older file."""
        if batch.start != self.size or batch.end < batch.start:
            return False
        if self.frozen:
            raise RuntimeError("add() on a snapshot of a line index")
        self.breaks.extend(batch.breaks)
        self.n += len(batch.breaks)
        self.size = batch.end
        return True

    def line_start(self, i: int) -> int:
        return 0 if i <= 0 else self.breaks[i - 1] + 1

    def line_end(self, i: int) -> int:
        """Offset just past the line's last byte, its newline excluded."""
        return self.breaks[i] if i < self.n else self.size

    def span(self, i: int) -> tuple[int, int]:
        if not 0 <= i < self.line_count:
            raise IndexError(f"line {i} of {self.line_count}")
        return self.line_start(i), self.line_end(i)

    def line_at(self, offset: int) -> int:
        """The line holding byte ``offset`` (its newline belongs to it)."""
        return self.breaks.count_below(offset, self.n)

    def block_end(self, first: int, end_line: int, max_bytes: int) -> int:
        """End (exclusive) of the longest run of lines from ``first`` (up to ``end_line``)
        whose bytes fit in ``max_bytes`` from the start of ``first``; at least one line."""
        limit = self.line_start(first) + max_bytes
        j = min(end_line, self.breaks.count_below(limit, self.n))  # newline before the limit
        if end_line > self.n and j >= self.n and self.size <= limit:
            j = end_line  # the partial last line fits too
        return max(first + 1, j)

    def starts_between(self, a: int, b: int) -> np.ndarray:
        """Start offsets of lines ``[a, b)``."""
        if a >= b:
            return np.empty(0, np.int64)
        tail = self.breaks.slice(max(a - 1, 0), b - 1) + 1
        return np.concatenate(([0], tail)) if a == 0 else tail

    def ends_between(self, a: int, b: int) -> np.ndarray:
        """End offsets (newline excluded) of lines ``[a, b)``."""
        if a >= b:
            return np.empty(0, np.int64)
        ends = self.breaks.slice(a, min(b, self.n))
        if b > self.n:
            ends = np.concatenate((ends, [self.size]))
        return ends


def scan_breaks(fd: int, start: int, end: int, *, block_size: int = INDEX_BLOCK,
                cancel: Cancel = never) -> Iterator[IndexBatch]:
    """Find the newlines of bytes ``[start, end)`` of ``fd``, one batch per block.

    Stops early (without error) when cancelled or when the file turned out shorter than
    ``end`` — it was truncated under us; the caller's next size check notices that.
    """
    if block_size < 1:
        raise ValueError("block_size must be positive")
    pos = start
    size = min(block_size, FIRST_BLOCK)
    while pos < end and not cancel():
        data = os.pread(fd, min(size, end - pos), pos)
        if not data:
            return
        offsets = np.flatnonzero(np.frombuffer(data, np.uint8) == NEWLINE)
        offsets += pos
        yield IndexBatch(pos, pos + len(data), offsets)
        pos += len(data)
        size = min(block_size, size * 2)


class Change(Enum):
    """What happened to a log file since the index was built."""

    SAME = "same"
    GREW = "grew"
    SHRANK = "shrank"  # truncated in place (copytruncate rotation, rewritten)
    REPLACED = "replaced"  # the path now names another file (rename rotation)
    MISSING = "missing"


@dataclass(frozen=True)
class LogLine:
    """One line as shown: text decoded with replacement characters, ``\\r`` of CRLF removed,
    cut to a cap (``cut``) while ``nbytes`` keeps the real length for the marker."""

    text: str
    nbytes: int
    cut: bool = False


def decode_line(raw: bytes, nbytes: int, cap: int) -> LogLine:
    """Decode one line's bytes (``raw`` may already be shortened to ``cap``)."""
    if nbytes > cap:
        # an incremental decoder keeps a multi-byte character cut by the cap out of the text
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(raw[:cap], final=False)
        return LogLine(text, nbytes, True)
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return LogLine(raw.decode("utf-8", "replace"), nbytes, False)


class LogFile:
    """An open log file: a descriptor plus the identity of the file it was opened on.

    The descriptor stays on the file we indexed even if the path is renamed away (rotation),
    and :meth:`change` compares the path's current identity to notice that. It is closed when
    the last reference goes (or by :meth:`close`): the viewer just drops a file it no longer
    shows, so a worker still reading it never sees its descriptor number reused by another file.
    """

    def __init__(self, path: Path, fd: int, ident: tuple[int, int]) -> None:
        self.path = path
        self.fd = fd
        self.ident = ident
        self._closer = weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, path: Path) -> LogFile:
        """Open for reading; raises ``FileNotFoundError`` / ``PermissionError`` /
        ``IsADirectoryError`` with the path in the message."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            os.close(fd)
            raise IsADirectoryError(21, "is a directory", str(path))
        return cls(Path(path), fd, (st.st_dev, st.st_ino))

    def close(self) -> None:
        self._closer()

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def change(self, indexed_size: int) -> tuple[Change, int]:
        """One ``stat`` of the path: has it grown, shrunk, been replaced or removed?"""
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return Change.MISSING, 0
        if (st.st_dev, st.st_ino) != self.ident:
            return Change.REPLACED, st.st_size
        if st.st_size < indexed_size:
            return Change.SHRANK, st.st_size
        if st.st_size > indexed_size:
            return Change.GREW, st.st_size
        return Change.SAME, st.st_size

    def still_matches(self, index: LineIndex) -> bool:
        """Is the indexed content still there? A file truncated and rewritten past its old
        size between two polls no longer has a newline where the index put its last one."""
        if index.n == 0:
            return True
        last = index.breaks[index.n - 1]
        return os.pread(self.fd, 1, last) == b"\n"

    def read_lines(self, index: LineIndex, lines: Iterable[int],
                   cap: int = DISPLAY_CAP) -> dict[int, LogLine]:
        """Lines by number (those past the index are skipped), consecutive ones read at once."""
        count = index.line_count
        wanted = sorted({i for i in lines if 0 <= i < count})
        out: dict[int, LogLine] = {}
        run_start = 0
        for k in range(1, len(wanted) + 1):
            if k < len(wanted) and wanted[k] == wanted[k - 1] + 1:
                continue
            self._read_run(index, wanted[run_start], wanted[k - 1] + 1, cap, out)
            run_start = k
        return out

    def _read_run(self, index: LineIndex, a: int, b: int, cap: int,
                  out: dict[int, LogLine]) -> None:
        base, end = index.line_start(a), index.line_end(b - 1)
        if end - base <= RUN_READ_MAX:
            data = os.pread(self.fd, end - base, base)
            for i in range(a, b):
                s, e = index.line_start(i), index.line_end(i)
                out[i] = decode_line(data[s - base:min(e, s + cap) - base], e - s, cap)
            return
        for i in range(a, b):
            s, e = index.line_start(i), index.line_end(i)
            out[i] = decode_line(os.pread(self.fd, min(e - s, cap), s), e - s, cap)


def build_index(log: LogFile, *, block_size: int = INDEX_BLOCK,
                cancel: Cancel = never) -> LineIndex:
    """The whole index at once (headless callers and tests; the viewer scans in batches)."""
    index = LineIndex()
    for batch in scan_breaks(log.fd, 0, log.size(), block_size=block_size, cancel=cancel):
        index.add(batch)
    return index


class Throttle:
    """True at most every ``seconds``: workers use it to post progress without flooding."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next = 0.0

    def __call__(self) -> bool:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.seconds
            return True
        return False
