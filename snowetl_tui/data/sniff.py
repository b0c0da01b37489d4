"""Sniffing the head of a data file: codec, BOM, delimiter, quoting, header, line endings.

Only the head is read (1 MB, decompressed), so this is instant for any file size. What the
config states wins; what it leaves out is detected. The result fixes where the data region
starts (after BOM and header) so the chunked reader never sees the header — the previous tool
failed files because it checked the header line as data.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from snowetl_tui.config.model import FileEntry
from snowetl_tui.data.chunks import record_boundary
from snowetl_tui.data.compression import Codec, detect_codec, read_head
from snowetl_tui.errors import InputError

HEAD_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"
_CANDIDATES = ("\t", ",", "|", ";")


@dataclass(frozen=True)
class FileFormat:
    """How to read one file's bytes."""

    path: Path
    codec: Codec
    bom: bool
    encoding: str
    delimiter: str
    quote: str | None
    header: bool
    header_fields: tuple[str, ...] | None
    first_fields: tuple[str, ...]
    data_start: int
    header_lines: int
    crlf: bool
    head_complete: bool

    @property
    def ncols_in_file(self) -> int:
        return len(self.header_fields or self.first_fields)


def _split(line: str, delimiter: str, quote: str | None) -> list[str]:
    if quote is None:
        return line.split(delimiter)
    reader = csv.reader(io.StringIO(line), delimiter=delimiter, quotechar=quote, strict=False)
    return next(reader, [])


def guess_delimiter(lines: list[str]) -> str:
    """The candidate delimiter that occurs the same number of times on most lines."""
    best, best_score = "\t", -1.0
    for cand in _CANDIDATES:
        counts = [line.count(cand) for line in lines if line]
        if not counts or max(counts) == 0:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        score = freq / len(counts) + (0.01 if cand == "\t" else 0) + min(mode, 50) / 1000
        if mode > 0 and score > best_score:
            best, best_score = cand, score
    return best


def sniff_file(path: Path, spec: FileEntry | None = None) -> FileFormat:
    """Read the head of ``path`` and settle its format (config first, detection second)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a data file")
    try:
        codec = detect_codec(path)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    head, complete = read_head(path, HEAD_BYTES)
    bom = head.startswith(BOM)
    body = head[len(BOM) :] if bom else head
    encoding = (spec.encoding if spec and spec.encoding else "utf-8")
    text_lines = body[:65536].decode(encoding, errors="replace").splitlines()[:50]
    delimiter = spec.delimiter if spec and spec.delimiter else guess_delimiter(text_lines)
    if spec is not None and spec.quote_char is not None:
        quote = spec.quote_char or None
    else:
        quote = '"' if delimiter in (",", ";") else None
    qb = quote.encode() if quote else None
    first_end = record_boundary(body, qb, _first_record_search_end(body, qb))
    if first_end <= 0:
        first_end = len(body)
    first_raw = body[:first_end]
    crlf = first_raw.endswith(b"\r\n")
    first_line = first_raw.decode(encoding, errors="replace").rstrip("\r\n")
    first_fields = tuple(_split(first_line, delimiter, quote)) if first_line else ()
    names = spec.column_names if spec else None
    if spec is not None and spec.header is not None:
        header = spec.header
    elif names:
        upper = {n.upper() for n in names}
        header = sum(f.strip().upper() in upper for f in first_fields) >= max(1, len(names) // 2)
    else:
        header = True
    header_fields = first_fields if header else None
    data_start = (len(BOM) if bom else 0) + (first_end if header else 0)
    header_lines = first_raw.count(b"\n") if header else 0
    return FileFormat(
        path=path,
        codec=codec,
        bom=bom,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        header_fields=header_fields,
        first_fields=first_fields,
        data_start=data_start,
        header_lines=header_lines,
        crlf=crlf,
        head_complete=complete,
    )


def _first_record_search_end(body: bytes, quote: bytes | None) -> int:
    """End of the region in which to look for the first record's terminator."""
    pos = body.find(b"\n")
    if pos < 0:
        return len(body)
    if quote is None:
        return pos + 1
    # Walk newlines forward until the quote parity before one is even.
    while pos >= 0:
        if body.count(quote, 0, pos) % 2 == 0:
            return pos + 1
        pos = body.find(b"\n", pos + 1)
    return len(body)
