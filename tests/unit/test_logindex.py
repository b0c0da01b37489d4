"""Line index, block search/filter and level detection, checked against naive references."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snowetl_tui.logindex.levels import (
    NO_LEVEL,
    block_levels,
    detect_level,
    inherit,
    level_span,
)
from snowetl_tui.logindex.line_index import (
    Change,
    IntColumn,
    LineIndex,
    LogFile,
    build_index,
    scan_breaks,
)
from snowetl_tui.logindex.search import (
    Query,
    QueryError,
    find_lines,
    level_before,
    searchable,
)

# -- naive references ---------------------------------------------------------------------------


def ref_lines(data: bytes) -> list[bytes]:
    """A file's lines the obvious way: split on newlines, a final newline ends the last line."""
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return parts


def ref_text(raw: bytes, cap: int) -> str:
    raw = raw[:cap]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


def ref_match(query: Query, line: str) -> bool:
    if query.regex:
        flags = 0 if query.case_sensitive else re.IGNORECASE
        return re.search(query.text, line, flags) is not None
    if query.case_sensitive:
        return query.text in line
    return query.text.casefold() in line.casefold()


def ref_levels(lines: list[bytes]) -> list[int]:
    out, level = [], NO_LEVEL
    for raw in lines:
        found = detect_level(raw)
        if found is not None:
            level = found
        out.append(level)
    return out


def ref_find(data: bytes, query: Query | None, min_level: int | None,
             cap: int = 1 << 30) -> list[int]:
    lines = ref_lines(data)
    levels = ref_levels(lines)
    return [i for i, raw in enumerate(lines)
            if (query is None or ref_match(query, ref_text(raw, cap)))
            and (min_level is None or levels[i] >= min_level)]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def index_of(path: Path, block: int = 7, chunk: int = 3) -> tuple[LogFile, LineIndex]:
    log = LogFile.open(path)
    index = LineIndex(IntColumn(chunk_size=chunk))
    for batch in scan_breaks(log.fd, 0, log.size(), block_size=block):
        assert index.add(batch)
    return log, index


def all_found(log: LogFile, index: LineIndex, **kwargs) -> list[int]:
    out: list[int] = []
    for batch in find_lines(log.fd, index.snapshot(), **kwargs):
        out.extend(batch.lines.tolist())
    return out


TOKENS = [b"a", b"b", b"A", b"B", b"ab", b" ", b"\t", b"\r", b"\r\n", b"\n", b"\n", b"\n",
          "é".encode(), "É".encode(), "ß".encode(), b"SS", b"ss", b"\xff", b"\xe2\x82",
          "\u212a".encode(), "\ufb01".encode(), b"k", b"fi",
          b"INFO", b"ERROR", b"WARNING", b"DEBUG", b"_", b"2026-11-27T06:32:45Z ", b"x" * 30]
data_st = st.lists(st.sampled_from(TOKENS), max_size=80).map(b"".join)
PLAIN = ["a", "A", "b", "ab", "é", "É", "ß", "ss", "SS", "\ufffd", "b\r", "a\nb", "",
         "ERROR", "error", " a", "x" * 31, "K", "k", "fi", "FI"]
REGEX = ["a+", "^a", "b$", "a.b", "[^a]b", "a\\s*b", "(?s)a.b", "(?<=a)b", "\\Aa", "b\\Z",
         "é", "É", "x|a$", "", "^$", "\\bab\\b", "a(?!b)", "s{2}", "ERR|WARN", "\\r"]
query_st = st.one_of(
    st.builds(Query, st.sampled_from(PLAIN), st.just(False), st.booleans()),
    st.builds(Query, st.sampled_from(REGEX), st.just(True), st.booleans()))
HYP = settings(max_examples=300, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- the index ----------------------------------------------------------------------------------


@HYP
@given(data=data_st, block=st.integers(1, 40), chunk=st.integers(1, 5))
def test_index_spans_equal_naive_split_for_any_block_size(tmp_path, data, block, chunk):
    log, index = index_of(write(tmp_path / "a.log", data), block, chunk)
    lines = ref_lines(data)
    assert index.line_count == len(lines)
    assert index.size == len(data)
    for i, raw in enumerate(lines):
        s, e = index.span(i)
        assert data[s:e] == raw
        assert index.line_at(s) == i
    got = log.read_lines(index, range(len(lines)))
    assert [got[i].text for i in range(len(lines))] == [ref_text(r, 1 << 30) for r in lines]
    log.close()


@pytest.mark.parametrize(("data", "lines"), [
    (b"", []),
    (b"\n", [b""]),
    (b"one", [b"one"]),
    (b"one\ntwo", [b"one", b"two"]),
    (b"one\r\ntwo\r\n", [b"one\r", b"two\r"]),
    (b"\n\n\n", [b"", b"", b""]),
])
def test_index_edge_files(tmp_path, data, lines):
    log, index = index_of(write(tmp_path / "e.log", data))
    assert index.line_count == len(lines)
    assert [data[slice(*index.span(i))] for i in range(index.line_count)] == lines
    assert index.has_partial_line == (bool(data) and not data.endswith(b"\n"))
    with pytest.raises(IndexError):
        index.span(len(lines))
    log.close()


def test_crlf_and_bad_bytes_are_shown_clean(tmp_path):
    log, index = index_of(write(tmp_path / "c.log", b"caf\xc3\xa9\r\nbad \xff\xfe\r\nlast\r"))
    got = log.read_lines(index, [0, 1, 2, 99])
    assert [got[i].text for i in range(3)] == ["café", "bad \ufffd\ufffd", "last"]
    assert 99 not in got
    log.close()


def test_very_long_line_is_capped_without_splitting_a_character(tmp_path):
    long = "é" * 5000  # 10,000 bytes
    log, index = index_of(write(tmp_path / "l.log", f"short\n{long}\nend\n".encode()), 4096)
    got = log.read_lines(index, [0, 1, 2], cap=1001)
    assert got[0].text == "short" and not got[0].cut
    assert got[1].cut and got[1].nbytes == 10_000
    assert got[1].text == "é" * 500  # byte 1001 would split a character: left out, not "�"
    assert got[2].text == "end"
    log.close()


def test_far_apart_or_huge_runs_are_read_line_by_line(tmp_path, monkeypatch):
    from snowetl_tui.logindex import line_index

    data = b"".join(b"line %d \xff\r\n" % i for i in range(50))
    log, index = index_of(write(tmp_path / "r.log", data), 64)
    together = log.read_lines(index, range(50))
    monkeypatch.setattr(line_index, "RUN_READ_MAX", 10)  # every run now too big for one read
    apart = log.read_lines(index, [*range(50), 7, 7])
    assert apart == together and apart[7].text == "line 7 \ufffd"
    log.close()


@HYP
@given(data=data_st, cuts=st.lists(st.integers(0, 400), max_size=4), block=st.integers(1, 16))
def test_index_extends_as_the_file_grows(tmp_path, data, cuts, block):
    path = tmp_path / "g.log"
    path.write_bytes(b"")
    log = LogFile.open(path)
    index = LineIndex(IntColumn(chunk_size=2))
    snapshots = []
    for cut in [*sorted(c for c in cuts if c < len(data)), len(data)]:
        with open(path, "r+b") as fh:
            fh.seek(0, os.SEEK_END)
            fh.write(data[fh.tell():cut] if cut >= fh.tell() else b"")
        change, size = log.change(index.size)
        assert change in (Change.GREW, Change.SAME)
        assert log.still_matches(index)
        snapshots.append((index.snapshot(), index.line_count))
        for batch in scan_breaks(log.fd, index.size, size, block_size=block):
            assert index.add(batch)
    fresh = build_index(log)
    assert index.line_count == fresh.line_count == len(ref_lines(data))
    assert [index.span(i) for i in range(index.line_count)] == \
        [fresh.span(i) for i in range(fresh.line_count)]
    for snap, count in snapshots:  # frozen views did not move while the index grew
        assert snap.line_count == count
    log.close()


def test_stale_batch_is_refused(tmp_path):
    log, index = index_of(write(tmp_path / "s.log", b"a\nb\n"))
    batches = list(scan_breaks(log.fd, 0, 4, block_size=2))
    assert not index.add(batches[0])  # does not continue at index.size
    assert index.line_count == 2
    with pytest.raises(RuntimeError):
        index.snapshot().add(batches[0].__class__(4, 4, np.empty(0, np.int64)))
    log.close()


def test_truncation_rewrite_rotation_and_removal_are_noticed(tmp_path):
    path = write(tmp_path / "t.log", b"line one\nline two\n")
    log, index = index_of(path)
    assert log.change(index.size)[0] is Change.SAME
    path.write_bytes(b"x\n")  # truncated in place
    assert log.change(index.size) == (Change.SHRANK, 2)
    path.write_bytes(b"rewritten with more bytes than before\n")
    assert log.change(index.size)[0] is Change.GREW
    assert not log.still_matches(index)  # the last indexed newline is gone: re-index
    os.rename(path, tmp_path / "t.log.1")
    path.write_bytes(b"new file\n")
    assert log.change(index.size)[0] is Change.REPLACED
    path.unlink()
    assert log.change(index.size) == (Change.MISSING, 0)
    log.close()
    with pytest.raises(FileNotFoundError):
        LogFile.open(path)
    with pytest.raises(IsADirectoryError):
        LogFile.open(tmp_path)


def test_scan_stops_quietly_at_a_truncated_end_and_on_cancel(tmp_path):
    path = write(tmp_path / "x.log", b"a\n" * 100)
    log = LogFile.open(path)
    batches = list(scan_breaks(log.fd, 0, 1000, block_size=64))  # asked past the real end
    assert batches[-1].end == 200
    calls = iter([False, False, True])
    assert len(list(scan_breaks(log.fd, 0, 200, block_size=10,
                                cancel=lambda: next(calls)))) == 2
    log.close()


def test_int_column_chunks_slices_and_search():
    col = IntColumn(chunk_size=4)
    col.extend(range(0, 30, 3))
    col.extend(np.array([30, 33], np.int64))
    assert len(col) == 12 and col[5] == 15 and col[11] == 33
    assert col.slice(2, 9).tolist() == [6, 9, 12, 15, 18, 21, 24]
    assert [col.count_below(x) for x in (-1, 0, 1, 16, 33, 34)] == [0, 0, 1, 6, 11, 12]
    assert col.count_below(100, n=5) == 5
    col.truncate(3)
    col.extend([7, 8])
    assert col.to_array().tolist() == [0, 3, 6, 7, 8]
    with pytest.raises(IndexError):
        col[5]
    with pytest.raises(ValueError):
        IntColumn(0)


# -- search and filter --------------------------------------------------------------------------


@HYP
@given(data=data_st, query=query_st, block=st.integers(1, 60))
def test_search_equals_naive_per_line_search(tmp_path, data, query, block):
    log, index = index_of(write(tmp_path / "q.log", data))
    got = all_found(log, index, matcher=query.compile(), block_size=block)
    assert got == ref_find(data, query, None)
    log.close()


@HYP
@given(data=data_st, query=st.one_of(st.none(), query_st),
       min_level=st.sampled_from([5, 20, 30, 40]), block=st.integers(1, 60))
def test_level_filter_alone_and_with_text_equals_naive(tmp_path, data, query, min_level, block):
    log, index = index_of(write(tmp_path / "f.log", data))
    matcher = query.compile() if query else None
    got = all_found(log, index, matcher=matcher, min_level=min_level, block_size=block)
    assert got == ref_find(data, query, min_level)
    log.close()


@HYP
@given(data=data_st, query=query_st, cap=st.integers(1, 12), block=st.integers(1, 30))
def test_lines_longer_than_the_cap_are_searched_in_their_head(tmp_path, data, query, cap, block):
    log, index = index_of(write(tmp_path / "h.log", data))
    got = all_found(log, index, matcher=query.compile(), block_size=block, line_cap=cap)
    assert got == ref_find(data, query, None, cap=max(cap, block))
    log.close()


@HYP
@given(data=data_st, split=st.integers(0, 400), query=st.one_of(st.none(), query_st),
       min_level=st.one_of(st.none(), st.sampled_from([20, 30, 40])))
def test_incremental_filter_after_growth_equals_full_scan(tmp_path, data, split, query,
                                                          min_level):
    """What the view does when following: keep results before the first line that changed
    (the old partial line), scan from there with the carried level."""
    if query is None and min_level is None:
        min_level = 30
    path = write(tmp_path / "i.log", data[:split])
    log, index = index_of(path)
    matcher = query.compile() if query else None
    found = all_found(log, index, matcher=matcher, min_level=min_level)
    first_changed = index.n  # the partial last line (if any) may grow
    with open(path, "ab") as fh:
        fh.write(data[split:])
    for batch in scan_breaks(log.fd, index.size, log.size(), block_size=5):
        index.add(batch)
    kept = [i for i in found if i < first_changed]
    more = all_found(log, index, matcher=matcher, min_level=min_level, first=first_changed)
    assert kept + more == ref_find(data, query, min_level)
    log.close()


def test_search_progress_and_cancel(tmp_path):
    data = b"".join(b"line %d %s\n" % (i, b"needle" if i % 7 == 0 else b"hay")
                    for i in range(1000))
    log, index = index_of(write(tmp_path / "p.log", data), 4096, 1 << 10)
    batches = list(find_lines(log.fd, index, matcher=Query("NEEDLE").compile(),
                              block_size=1000))
    assert len(batches) > 5
    assert batches[-1].done_bytes == batches[-1].total_bytes == len(data) - 1
    assert [b.done_bytes for b in batches] == sorted(b.done_bytes for b in batches)
    seen = []
    stop = iter([False, False, True])
    for batch in find_lines(log.fd, index, matcher=Query("needle").compile(), block_size=1000,
                            cancel=lambda: next(stop)):
        seen.append(batch)
    assert len(seen) == 2 and seen[-1].next_line < 1000
    assert Query("NEEDLE", case_sensitive=True).compile().block_hits(data.decode()) == []
    log.close()


def test_bad_regex_is_a_readable_error():
    with pytest.raises(QueryError, match="not a valid regular expression"):
        Query("(unclosed", regex=True).compile()
    with pytest.raises(ValueError):
        next(find_lines(0, LineIndex()))


def test_highlight_spans_and_descriptions():
    m = Query("err").compile()
    assert m.spans("ERR one err two Err") == [(0, 3), (8, 11), (16, 19)]
    assert Query("o+", regex=True).compile().spans("foo bar") == [(1, 3)]
    assert Query("x*", regex=True).compile().spans("abc") == []  # empty matches: nothing
    assert Query("a", case_sensitive=True).describe() == '"a" (match case)'
    assert Query("a+", regex=True).describe() == "/a+/"


def test_folds_to_ascii_lists_every_such_character():
    """The byte fast path is exact only if this list is complete (checked over all of Unicode)."""
    from snowetl_tui.logindex.search import FOLDS_TO_ASCII

    found = "".join(chr(c) for c in range(128, 0x110000)
                    if any(ch.isascii() for ch in chr(c).casefold()))
    assert found == FOLDS_TO_ASCII


def test_searchable_text_rule():
    assert searchable(b"abc\r") == "abc"
    assert searchable(b"abc\r\r") == "abc\r"
    assert searchable(b"abcdef\r", cap=4) == "abcd"
    assert searchable(b"ab\rcd", cap=3) == "ab"


# -- levels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "level"), [
    (b"2026-11-27T06:32:46.940Z ERROR   running -> failed", 40),
    (b"2026-11-27T06:32:45.709Z INFO    [25175] engine serving", 20),
    (b"2026-11-27T06:32:45.709Z WARNING [25175] slow", 30),
    (b"WARN: disk almost full", 30),
    (b"ERROR:root:boom", 40),
    (b"[DEBUG] details", 10),
    (b"INFO job failed: ERROR in row 5", 20),  # the first level word wins
    (b"Traceback (most recent call last):", None),
    (b"INFORMATION is not a level", None),
    (b"error in lower case is not a level", None),
    (b"x" * 81 + b" ERROR late in the line", None),
    (b"x" * 70 + b" FATAL", 50),
    (b"\xffERROR\xff", 40),  # non-ASCII bytes delimit words
    (b"", None),
])
def test_detect_level(line, level):
    assert detect_level(line) == level
    got = block_levels(line, np.array([0]), np.array([len(line)]))[0]
    assert got == (NO_LEVEL if level is None else level)


@HYP
@given(data=data_st)
def test_block_levels_equal_per_line_detection(data):
    lines = ref_lines(data)
    starts, pos = [], 0
    for raw in lines:
        starts.append(pos)
        pos += len(raw) + 1
    ends = [s + len(r) for s, r in zip(starts, lines, strict=True)]
    got = block_levels(data, np.array(starts, np.int64), np.array(ends, np.int64)).tolist()
    assert got == [NO_LEVEL if (lv := detect_level(r)) is None else lv for r in lines]


def test_inherit_and_level_before(tmp_path):
    levels = np.array([NO_LEVEL, 40, NO_LEVEL, NO_LEVEL, 20, NO_LEVEL], np.int16)
    assert inherit(levels, 30).tolist() == [30, 40, 40, 40, 20, 20]
    assert inherit(np.array([], np.int16)).tolist() == []
    data = b"ERROR boom\nTraceback:\n  File x\nINFO ok\n  more\n"
    log, index = index_of(write(tmp_path / "lv.log", data))
    assert [level_before(log.fd, index, i) for i in range(6)] == [NO_LEVEL, 40, 40, 40, 20, 20]
    assert level_before(log.fd, index, 3, max_lines=1) == NO_LEVEL
    log.close()


def test_level_span_for_highlighting():
    assert level_span("2026-11-27T06:32:46.940Z ERROR   x") == (40, 25, 30)
    assert level_span("no level here") is None


# -- catalog ------------------------------------------------------------------------------------


def test_catalog_entries_default_and_orphans(tmp_path):
    from snowetl_tui.logindex.catalog import (
        default_entry,
        job_log_path,
        log_entries,
        orphan_job_logs,
    )
    from snowetl_tui.workspace import Workspace

    ws = Workspace(tmp_path)
    jobs = {"J1": {"state": "succeeded", "file_name": "a.tsv"},
            "J3": {"state": "queued", "table": "T"},
            "J2": {"state": "failed", "file_name": "b.tsv", "log_path": "/elsewhere/J2.log"}}
    entries = log_entries(ws, jobs)
    assert [e.key for e in entries] == ["engine", "J3", "J2", "J1"]
    assert entries[0].path == ws.engine_log_path
    assert entries[1].name == "T" and entries[2].path == Path("/elsewhere/J2.log")
    assert entries[3].path == tmp_path / "logs" / "jobs" / "J1.log" and entries[3].state == \
        "succeeded"
    assert default_entry(ws, jobs).key == "J2"  # newest that has started
    assert default_entry(ws, {"J3": jobs["J3"]}).key == "engine"
    assert job_log_path(ws, "J9") == tmp_path / "logs" / "jobs" / "J9.log"
    assert orphan_job_logs(ws, []) == []  # no logs/jobs directory yet
    jobs_dir = tmp_path / "logs" / "jobs"
    jobs_dir.mkdir(parents=True)
    for name, mtime in (("J1.log", 100), ("J0.log", 300), ("J5.log", 200), ("J0.jsonl", 400)):
        (jobs_dir / name).write_text("x")
        os.utime(jobs_dir / name, (mtime, mtime))
    (jobs_dir / "Jdir.log").mkdir()
    assert [e.key for e in orphan_job_logs(ws, ["J1"])] == ["J0", "J5"]
