"""Transparent reading of plain, gzip and zstd files.

Extracts arrive as ``.tsv``, ``.tsv.gz`` or ``.tsv.zst``; everything that reads a data file goes
through :func:`open_stream` so a compressed file is never decompressed to disk first. The codec
is chosen from the magic bytes, not only the suffix, because operators rename files.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Literal

from snowetl_tui.errors import InputError

Codec = Literal["none", "gzip", "zstd"]
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def detect_codec(path: Path) -> Codec:
    """The compression of ``path`` from its first bytes (suffix as a tie-breaker)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic.startswith(_ZSTD_MAGIC):
        return "zstd"
    return "none"


def open_stream(path: Path, codec: Codec | None = None) -> BinaryIO:
    """Open ``path`` for sequential binary reading, decompressing on the fly."""
    stream, raw = open_stream_with_raw(path, codec)
    if stream is raw:
        return stream
    return _ClosingBoth(stream, raw)  # type: ignore[return-value]


class _ClosingBoth(io.BufferedReader):
    """A decompressing reader that also closes the raw file under it."""

    def __init__(self, stream: BinaryIO, raw: BinaryIO) -> None:
        super().__init__(stream, buffer_size=1 << 16)  # type: ignore[arg-type]
        self._raw_file = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw_file.close()


def open_stream_with_raw(path: Path, codec: Codec | None = None) -> tuple[BinaryIO, BinaryIO]:
    """Like :func:`open_stream`, also returning the raw file, whose ``tell()`` is the progress
    through the file on disk (the decompressed size of a .gz is unknown until the end)."""
    codec = codec or detect_codec(path)
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    if codec == "gzip":
        from isal import igzip

        return igzip.IGzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    if codec == "zstd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
        return io.BufferedReader(reader, buffer_size=1 << 20), raw  # type: ignore[arg-type]
    return raw, raw


def read_head(path: Path, max_bytes: int = 1 << 20) -> tuple[bytes, bool]:
    """The first complete lines of a file, at most ``max_bytes`` (decompressed).

    Returns ``(data, complete)`` where ``complete`` says the whole file fit. Only the head is
    read, so previewing a 100 GB file costs the same as a small one.
    """
    try:
        with open_stream(path) as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except Exception as exc:  # zstandard raises its own ZstdError
        raise InputError(f"{path}: cannot decompress: {exc}") from None
    if len(data) <= max_bytes:
        return data, True
    data = data[:max_bytes]
    cut = data.rfind(b"\n")
    return (data[: cut + 1] if cut >= 0 else data), False
