"""Find the lines of a log that match a query and/or a minimum level, block by block.

Semantics are per line (exactly what a naive ``for line in file`` loop would answer, which the
tests check on random data): a line is its bytes with one trailing ``\\r`` removed, decoded as
UTF-8 with replacement characters; plain text matches as a substring (case-insensitive by
default: both sides case-folded), a regex matches when ``re.search`` finds it in the line.

Speed comes from never looping over lines in Python: a block of whole lines (2 MB, 256 KB for
regexes so one ``re`` call never holds the GIL long) is read with one ``pread``, decoded once,
and scanned with ``str.find`` / one ``re`` search per *matching* line; line numbers come from
counting newlines between hits (C speed) and the index gives each block's first line. A regex
match that spans a newline is re-checked on its own line, and patterns whose meaning depends on
the string edges (lookarounds, ``\\A``, ``\\Z``) are run line by line to stay exact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import AnyStr

import numpy as np

from snowetl_tui.errors import InputError
from snowetl_tui.logindex.levels import NO_LEVEL, block_levels, inherit
from snowetl_tui.logindex.line_index import Cancel, LineIndex, never

SEARCH_BLOCK = 2 << 20
REGEX_BLOCK = 256 << 10
#: A single line longer than this is searched in its first SEARCH_LINE_CAP bytes only.
SEARCH_LINE_CAP = 16 << 20
#: How far back (lines) :func:`level_before` looks for the level a continuation line inherits.
LEVEL_LOOKBACK_LINES = 1 << 20
#: Regex constructs that see past a line's edges when run on a block: run those per line.
_EDGE_SENSITIVE = ("(?=", "(?!", "(?<", "\\A", "\\Z")
#: The non-ASCII characters whose case folding contains ASCII letters (ß → ss, K → k, ﬁ → fi
#: ...): a block holding one of them needs real case folding; others can be lowered as bytes.
FOLDS_TO_ASCII = "\u00df\u0130\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e" \
    "\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
_FOLDS_TO_ASCII_UTF8 = tuple(c.encode() for c in FOLDS_TO_ASCII)
_ASCII = bytes(range(128))


class QueryError(InputError):
    """The search text cannot be used (a bad regular expression); the message says why."""


def fold(text: str) -> str:
    """Case-fold for case-insensitive matching (``lower`` is the same, and faster, on ASCII)."""
    return text.lower() if text.isascii() else text.casefold()


def searchable(raw: bytes, cap: int = SEARCH_LINE_CAP) -> str:
    """The text of one line that queries see (the per-line reference semantics)."""
    raw = raw[:cap]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class Query:
    """What the user typed in the search or filter box, and how to match it."""

    text: str
    regex: bool = False
    case_sensitive: bool = False

    def compile(self) -> Matcher:
        return Matcher(self)

    def describe(self) -> str:
        """``"foo"`` / ``/fo+/ (match case)`` — for status lines."""
        shown = f"/{self.text}/" if self.regex else f"\"{self.text}\""
        return shown + (" (match case)" if self.case_sensitive else "")


class Matcher:
    """A compiled :class:`Query`: per-line test, block scan and highlight spans."""

    def __init__(self, query: Query) -> None:
        self.query = query
        flags = 0 if query.case_sensitive else re.IGNORECASE
        self._raw_needle: bytes | None = None
        if query.regex:
            try:
                self._line_rx = re.compile(query.text, flags)
                self._block_rx = re.compile(query.text, flags | re.MULTILINE)
            except re.error as exc:
                raise QueryError(f"not a valid regular expression: {exc}") from None
            self._per_line = any(tok in query.text for tok in _EDGE_SENSITIVE)
            self._highlight = self._line_rx
        else:
            self._needle = query.text if query.case_sensitive else fold(query.text)
            self._highlight = re.compile(re.escape(query.text), flags)
            # Fast path: search the raw bytes (lowered as ASCII when case-insensitive) without
            # decoding. Exact when the needle cannot meet what decoding changes: no CR/LF (CRLF
            # is trimmed), no U+FFFD (bad bytes), and for case-insensitive an ASCII fold.
            if not any(c in query.text for c in "\r\n\ufffd") and (
                    query.case_sensitive or self._needle.isascii()):
                self._raw_needle = self._needle.encode()

    @property
    def block_size(self) -> int:
        return REGEX_BLOCK if self.query.regex else SEARCH_BLOCK

    def matches(self, line: str) -> bool:
        """Does one line (no newline in it) match? The reference the block scan must equal."""
        if self.query.regex:
            return self._line_rx.search(line) is not None
        hay = line if self.query.case_sensitive else fold(line)
        return self._needle in hay

    def raw_hits(self, data: bytes) -> list[int] | None:
        """Like :meth:`block_hits` on the undecoded block, or None when only the decoded text
        can answer exactly (regex, or a character that folds to ASCII is in the block)."""
        needle = self._raw_needle
        if needle is None:
            return None
        if self.query.case_sensitive:
            return _line_hits(data, needle, b"\n")
        rest = data.translate(None, _ASCII)  # the non-ASCII bytes, usually few
        if rest and any(c in rest for c in _FOLDS_TO_ASCII_UTF8):
            return None
        return _line_hits(data.lower(), needle, b"\n")

    def block_hits(self, block: str) -> list[int]:
        """Matching lines of a newline-joined block, as 0-based positions in the block."""
        if self.query.regex:
            if self._per_line:
                rx = self._line_rx
                return [k for k, line in enumerate(block.split("\n")) if rx.search(line)]
            return self._regex_hits(block)
        return self._plain_hits(block)

    def _plain_hits(self, block: str) -> list[int]:
        needle = self._needle
        if "\n" in needle:
            return []
        return _line_hits(block if self.query.case_sensitive else fold(block), needle, "\n")

    def _regex_hits(self, block: str) -> list[int]:
        out: list[int] = []
        search, line_search = self._block_rx.search, self._line_rx.search
        find, rfind, count = block.find, block.rfind, block.count
        size = len(block)
        pos = counted = line = 0
        while pos <= size and (m := search(block, pos)) is not None:
            start = m.start()
            line += count("\n", counted, start)
            end = find("\n", start)
            end = size if end < 0 else end
            # a match inside its line is a per-line match; one that crossed a newline is not
            # necessarily, so check that line alone
            if m.end() <= end or line_search(block, rfind("\n", 0, start) + 1, end):
                out.append(line)
            if end >= size:
                break
            pos = counted = end + 1
            line += 1
        return out

    def spans(self, line: str, limit: int = 64) -> list[tuple[int, int]]:
        """Where to highlight in a shown line (non-empty matches, at most ``limit``)."""
        out: list[tuple[int, int]] = []
        for m in self._highlight.finditer(line):
            if m.end() > m.start():
                out.append((m.start(), m.end()))
                if len(out) >= limit:
                    break
        return out


def _line_hits(hay: AnyStr, needle: AnyStr, newline: AnyStr) -> list[int]:
    """Positions (in lines) of the lines of ``hay`` holding ``needle`` (no newline in it):
    ``find`` jumps from hit to hit, ``count`` numbers the lines between them, all in C."""
    if not needle:
        return list(range(hay.count(newline) + 1))
    out: list[int] = []
    find, count = hay.find, hay.count
    pos = counted = line = 0
    while (hit := find(needle, pos)) >= 0:
        line += count(newline, counted, hit)
        out.append(line)
        nl = find(newline, hit + len(needle))
        if nl < 0:
            break
        pos = counted = nl + 1
        line += 1
    return out


@dataclass(frozen=True)
class MatchBatch:
    """Lines found in one block, and how far the scan got."""

    lines: np.ndarray  # absolute line numbers, ascending
    next_line: int  # every line before this one has been scanned
    done_bytes: int
    total_bytes: int
    carry: int  # level in force after line next_line - 1 (NO_LEVEL if none yet)


def find_lines(fd: int, index: LineIndex, *, matcher: Matcher | None = None,
               min_level: int | None = None, first: int = 0, end_line: int | None = None,
               carry: int | None = None, block_size: int | None = None,
               line_cap: int = SEARCH_LINE_CAP, cancel: Cancel = never) -> Iterator[MatchBatch]:
    """Scan lines ``[first, end_line)`` for those matching ``matcher`` (if given) whose level,
    inherited by continuation lines, is at least ``min_level`` (if given).

    ``index`` should be a snapshot (it is read from this thread). A line longer than
    ``max(line_cap, block_size)`` is searched in that many first bytes only. ``carry`` is the
    level in force before ``first`` when already known; otherwise it is looked up. Yields one
    batch per block and stops early, quietly, when ``cancel()`` turns true.
    """
    if matcher is None and min_level is None:
        raise ValueError("find_lines needs a matcher, a minimum level, or both")
    end_line = index.line_count if end_line is None else min(end_line, index.line_count)
    first = max(0, first)
    if first >= end_line:
        return
    size = block_size or (matcher.block_size if matcher else SEARCH_BLOCK)
    # a line longer than a block is alone in its block, so capping only those lines gives one
    # simple rule: lines over max(cap, block) bytes are searched in that many first bytes
    line_cap = max(line_cap, size)
    base = index.line_start(first)
    total = index.line_end(end_line - 1) - base
    level = NO_LEVEL
    if min_level is not None:
        level = level_before(fd, index, first) if carry is None else carry
    i = first
    while i < end_line and not cancel():
        j = index.block_end(i, end_line, size)
        start, stop = index.line_start(i), index.line_end(j - 1)
        read_to = start + line_cap if j == i + 1 and stop - start > line_cap else stop
        data = os.pread(fd, read_to - start, start)
        rel: np.ndarray
        hits = None
        if matcher is not None and (raw := matcher.raw_hits(data)) is not None:
            hits = np.asarray(raw, np.int64)
        elif matcher is not None:
            text = data.decode("utf-8", "replace")
            if "\r" in text:
                text = text.replace("\r\n", "\n")
                if text.endswith("\r"):
                    text = text[:-1]
            hits = np.asarray(matcher.block_hits(text), np.int64)
        if min_level is not None:
            starts = index.starts_between(i, j) - start
            ends = index.ends_between(i, j) - start
            levels = inherit(block_levels(data, starts, ends), level)
            level = int(levels[-1])
            ok = levels >= min_level
            rel = np.flatnonzero(ok) if hits is None else hits[ok[hits]]
        else:
            assert hits is not None
            rel = hits
        yield MatchBatch(rel.astype(np.int64) + i, j, stop - base, total, level)
        i = j


def level_before(fd: int, index: LineIndex, line: int,
                 max_lines: int = LEVEL_LOOKBACK_LINES) -> int:
    """The level in force just before ``line``: that of the nearest earlier line with one
    (looking back at most ``max_lines``), else ``NO_LEVEL``."""
    i = min(line, index.line_count)
    stop = max(0, i - max_lines)
    while i > stop:
        a = max(stop, i - 4096)
        starts = index.starts_between(a, i)
        ends = index.ends_between(a, i)
        base = int(starts[0])
        if int(ends[-1]) - base <= 4 << 20:
            data = os.pread(fd, int(ends[-1]) - base, base)
            levels = block_levels(data, starts - base, ends - base)
        else:  # long lines: only their heads matter
            levels = np.full(len(starts), NO_LEVEL, np.int16)
            for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
                head = os.pread(fd, min(e - s, 128), s)
                levels[k] = block_levels(head, np.zeros(1, np.int64),
                                         np.array([len(head)], np.int64))[0]
        found = np.flatnonzero(levels != NO_LEVEL)
        if len(found):
            return int(levels[found[-1]])
        i = a
    return NO_LEVEL
