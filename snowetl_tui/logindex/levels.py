"""Log levels: which level a line has, and which lines pass a "warning and above" filter.

A line's level is the first level word (``TRACE DEBUG INFO NOTICE WARN WARNING ERROR CRITICAL
FATAL``, upper case, as a whole word: not next to ``[A-Za-z0-9_]``) starting in its first
:data:`HEAD` bytes. That finds it in our job logs (``<UTC time> LEVEL message``), the engine log
(``<UTC time> LEVEL [pid] message``), Python's default ``LEVEL:name:msg`` and ``[LEVEL]`` styles,
and ignores the word ``ERROR`` quoted late in an INFO message. Lines without a level (traceback
lines, continuation of a multi-line message) take the level of the last line that had one, so
"errors only" keeps the whole traceback.

The block version works on bytes with numpy (no per-line Python), at several hundred MB/s, and
is checked against :func:`detect_level` line by line in the tests.
"""

from __future__ import annotations

import re

import numpy as np

#: Level words and their rank (Python logging's numbers; WARN = WARNING, FATAL = CRITICAL).
LEVEL_WORDS: dict[bytes, int] = {
    b"TRACE": 5, b"DEBUG": 10, b"INFO": 20, b"NOTICE": 25, b"WARN": 30, b"WARNING": 30,
    b"ERROR": 40, b"CRITICAL": 50, b"FATAL": 50,
}
#: What the level filter key cycles through: (minimum rank or None for all, label).
LEVEL_CHOICES: tuple[tuple[int | None, str], ...] = (
    (None, "all levels"), (20, "info+"), (30, "warning+"), (40, "error+"))
#: A level word must start within this many bytes of the line start.
HEAD = 80
NO_LEVEL = -1

_WORDS_RX = b"|".join(sorted(LEVEL_WORDS, key=len, reverse=True))
_LEVEL_RX = re.compile(rb"(?<![A-Za-z0-9_])(" + _WORDS_RX + rb")(?![A-Za-z0-9_])")
_TEXT_RX = re.compile(r"(?<![A-Za-z0-9_])(" + _WORDS_RX.decode() + r")(?![A-Za-z0-9_])")
_LONGEST = max(len(w) for w in LEVEL_WORDS)

_WORD_BYTE = np.zeros(256, bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
    _WORD_BYTE[_c] = True
_FIRST_BYTE = np.zeros(256, bool)
for _w in LEVEL_WORDS:
    _FIRST_BYTE[_w[0]] = True
_LOW, _HIGH = min(w[0] for w in LEVEL_WORDS), max(w[0] for w in LEVEL_WORDS)


def detect_level(raw: bytes) -> int | None:
    """The level rank of one line (its bytes), or None when it has none."""
    m = _LEVEL_RX.search(raw, 0, HEAD + _LONGEST + 1)
    if m is None or m.start() >= HEAD:
        return None
    return LEVEL_WORDS[m.group(1)]


def level_span(text: str) -> tuple[int, int, int] | None:
    """(rank, start, end) of the level word in a decoded line, for highlighting it."""
    m = _TEXT_RX.search(text, 0, HEAD + _LONGEST + 1)
    if m is None or m.start() >= HEAD:
        return None
    return LEVEL_WORDS[m.group(1).encode()], m.start(), m.end()


def block_levels(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Level rank of each line of a block (``NO_LEVEL`` when none), vectorised.

    ``starts``/``ends`` are the lines' offsets inside ``data`` (ascending, ends exclusive of the
    newline). Equivalent to ``detect_level(data[s:e])`` per line.
    """
    n = len(starts)
    out = np.full(n, NO_LEVEL, np.int16)
    if n == 0 or not data:
        return out
    starts = np.asarray(starts, np.int64)
    ends = np.minimum(np.asarray(ends, np.int64), len(data))
    arr = np.frombuffer(data, np.uint8)
    last = len(arr) - 1
    # every level word starts with one of C D E F I N T W (67..87): one subtract-and-compare
    # pass over the block (wrapping uint8 arithmetic), then exact checks on the few candidates
    cand = np.flatnonzero((arr - np.uint8(_LOW)) <= _HIGH - _LOW)
    cand = cand[_FIRST_BYTE[arr[cand]]]
    cand = cand[(cand == 0) | ~_WORD_BYTE[arr[np.maximum(cand - 1, 0)]]]
    line = np.searchsorted(starts, cand, "right") - 1
    inside = line >= 0
    cand, line = cand[inside], line[inside]
    keep = (cand - starts[line] < HEAD) & (cand < ends[line])
    cand, line = cand[keep], line[keep]
    if not len(cand):
        return out
    line_end = ends[line]
    first_byte = arr[cand]
    rank = np.full(len(cand), NO_LEVEL, np.int16)
    for word, level in LEVEL_WORDS.items():
        sub = np.flatnonzero(first_byte == word[0])
        if not len(sub):
            continue
        pos, stop = cand[sub], line_end[sub]
        size = len(word)
        hit = pos + size <= stop
        for k in range(1, size):
            hit &= arr[np.minimum(pos + k, last)] == word[k]
        after = pos + size
        hit &= (after >= stop) | ~_WORD_BYTE[arr[np.minimum(after, last)]]
        rank[sub[hit]] = level
    found = rank != NO_LEVEL
    line, rank = line[found], rank[found]
    first = np.ones(len(line), bool)
    first[1:] = line[1:] != line[:-1]  # candidates are in file order: keep each line's first
    out[line[first]] = rank[first]
    return out


def inherit(levels: np.ndarray, carry: int = NO_LEVEL) -> np.ndarray:
    """Give lines without a level the level of the last line before them that had one
    (``carry`` is that level from before the block)."""
    n = len(levels)
    if n == 0:
        return np.asarray(levels, np.int16)
    idx = np.where(levels != NO_LEVEL, np.arange(n), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, levels[np.maximum(idx, 0)], carry).astype(np.int16)
