"""Record-aligned chunking: any chunk size, quotes with embedded newlines, .gz, SHA-256."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from snowetl_tui.data.chunks import StreamSummary, iter_chunks, record_boundary

HEADER = b"h1,h2,h3\n"


def csv_body(n: int) -> bytes:
    rows = [b'%d,"a\nb,""c""",x\n' % i if i % 3 == 0 else b"%d,plain,y\n" % i for i in range(n)]
    return b"".join(rows) + b"big," + b"z" * 5000 + b",q\nlast,no,newline"


def pieces(path: Path, codec: str, **kw) -> tuple[list, StreamSummary]:
    summary = StreamSummary()
    chunks = list(iter_chunks(path, data_start=len(HEADER), codec=codec, summary=summary, **kw))
    return chunks, summary


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 70_000), quoted=st.booleans())
def test_plain_ranges_cover_the_data_at_record_boundaries(tmp_path_factory, size, quoted):
    data = HEADER + csv_body(300)
    path = tmp_path_factory.mktemp("c") / "f.csv"
    path.write_bytes(data)
    quote = b'"' if quoted else None
    chunks, summary = pieces(path, "none", chunk_size=size, quote=quote)
    assert all(c.data is None for c in chunks)
    joined = b"".join(data[c.start : c.start + c.length] for c in chunks)
    assert joined == data[len(HEADER):]
    for c in chunks[:-1]:
        piece = data[c.start : c.start + c.length]
        assert piece.endswith(b"\n")
        if quoted:
            assert piece.count(b'"') % 2 == 0  # never inside a quoted field
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert summary.ends_with_newline is False
    assert summary.total_bytes == len(data)


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
@pytest.mark.parametrize("size", [1, 100, 4096, 1 << 20])
def test_compressed_streams_ship_bytes(tmp_path: Path, codec: str, size: int):
    data = HEADER + csv_body(200)
    path = tmp_path / f"f.csv.{codec}"
    raw = gzip.compress(data) if codec == "gzip" else zstandard.ZstdCompressor().compress(data)
    path.write_bytes(raw)
    chunks, summary = pieces(path, codec, chunk_size=size, quote=b'"')
    assert b"".join(c.data for c in chunks) == data[len(HEADER):]
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert summary.raw_position == len(raw)


def test_a_record_longer_than_the_chunk_is_one_chunk(tmp_path: Path):
    data = HEADER + b"1," + b"x" * 200_000 + b",2\n3,4,5\n"
    path = tmp_path / "long.csv"
    path.write_bytes(data)
    chunks, _ = pieces(path, "none", chunk_size=1024)
    assert [c.length for c in chunks] == [len(b"1," + b"x" * 200_000 + b",2\n"), 6]


def test_record_boundary_respects_quote_parity():
    block = b'1,"a\nb"\n2,"c\nd'
    assert record_boundary(block, b'"') == len(b'1,"a\nb"\n')
    assert record_boundary(block, None) == len(b'1,"a\nb"\n2,"c\n')
    assert record_boundary(b"no newline", None) == -1
