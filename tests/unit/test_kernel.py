"""The validation kernel against a plain-Python reference implementation.

The reference (``ref_validate``) is deliberately naive: it splits records and fields with a
character loop / ``bytes.split``, checks every field with regexes, ``int()``, ``strptime`` and
``bytes.decode``, and hashes keys with Python integers. Hypothesis generates files with random
defects, cuts them into chunks at random record boundaries and runs the kernel with tiny block
sizes, so the multi-block and multi-chunk paths are exercised on every example.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snowetl_tui.validate.kernel import ChunkResult, KernelSpec, validate_chunk

# ----------------------------------------------------------------------------------------------
# Reference implementation
# ----------------------------------------------------------------------------------------------

EPOCH = date(1970, 1, 1).toordinal()
INT_RE = re.compile(rb"[+-]?[0-9]+")
NUM_RE = re.compile(rb"[+-]?([0-9]*)(?:\.([0-9]*))?")
FLOAT_RE = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
FLOAT_SPECIAL = {b"inf", b"infinity", b"nan"}
TS_RE = re.compile(
    rb"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,6})?"
)
BOOLS = {b"true", b"false", b"t", b"f", b"yes", b"no", b"y", b"n", b"on", b"off", b"1", b"0"}
M64 = (1 << 64) - 1


def ref_type_ok(typ: str, raw: bytes, encoding: str = "utf-8") -> bool:
    if typ == "INTEGER":
        return bool(INT_RE.fullmatch(raw)) and -(2**63) <= int(raw) < 2**63
    if typ.startswith("NUMBER"):
        p, s = map(int, typ[7:-1].split(","))
        m = NUM_RE.fullmatch(raw)
        if not m:
            return False
        ip, fp = m[1], m[2] or b""
        return len(ip) + len(fp) >= 1 and len(ip) <= p - s and len(fp) <= s
    if typ == "FLOAT":
        body = raw[1:] if raw[:1] in (b"+", b"-") else raw
        return bool(FLOAT_RE.fullmatch(raw)) or body.lower() in FLOAT_SPECIAL
    if typ == "BOOLEAN":
        return raw.lower() in BOOLS
    if typ == "DATE":
        return ref_date(raw, "%Y-%m-%d") is not None
    if typ == "TIMESTAMP":
        m = TS_RE.fullmatch(raw)
        if not m:
            return False
        try:
            datetime(*(int(g) for g in m.groups()[:6]))
        except ValueError:
            return False
        return True
    if typ.startswith("VARCHAR("):
        n = int(typ[8:-1])
        if encoding.replace("-", "").lower() == "utf8":
            chars = sum(1 for b in raw if not 0x80 <= b <= 0xBF)
        else:
            chars = len(raw.decode(encoding, errors="replace"))
        return chars <= n
    assert typ == "VARCHAR", typ
    return True


def ref_date(raw: bytes, fmt: str) -> int | None:
    try:
        return datetime.strptime(raw.decode("utf-8"), fmt).toordinal() - EPOCH
    except (ValueError, UnicodeDecodeError):
        return None


def ref_finalize(x: int) -> int:
    x = ((x ^ (x >> 31)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 29)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 32)


def ref_mix(x: int) -> int:
    x = (x * 0x9E3779B97F4A7C15) & M64
    return x ^ (x >> 32)


def ref_digest(f: bytes) -> int:
    """Sum over the field's zero-padded little-endian 8-byte words w_m of
    finalize(w_m ^ S(m)) - finalize(S(m)), S(m) = (m + 1) * K1 (all mod 2**64)."""
    padded = f + b"\0" * (-len(f) % 8)
    if len(padded) > 80_000:  # the same formula, vectorised, for the giant-field test
        w = np.frombuffer(padded, dtype="<u8")
        s = (np.arange(w.size, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)

        def fin(x):
            x = (x ^ (x >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(29))) * np.uint64(0x94D049BB133111EB)
            return x ^ (x >> np.uint64(32))

        return int((fin(w ^ s) - fin(s)).sum(dtype=np.uint64))
    total = 0
    for m in range(0, len(padded) // 8):
        w = int.from_bytes(padded[8 * m : 8 * m + 8], "little")
        s = ((m + 1) * 0x9E3779B97F4A7C15) & M64
        total += ref_finalize(w ^ s) - ref_finalize(s)
    return total & M64


def ref_hash(fields: list[bytes]) -> int:
    """The documented key hash: per field, absorb its length then its digest, each with one
    multiply/xor-shift round; splitmix64's finalizer at the end."""
    h = 0x243F6A8885A308D3
    for f in fields:
        h = ref_mix(h ^ len(f))
        h = ref_mix(h ^ ref_digest(f))
    return ref_finalize(h)


@dataclass
class Ref:
    lines: int = 0
    rows: int = 0
    bad_field_count: int = 0
    field_count_examples: list = field(default_factory=list)
    per_day: dict = field(default_factory=dict)
    bad_dates: int = 0
    bad_date_offsets: list = field(default_factory=list)
    type_errors: dict = field(default_factory=dict)
    type_error_cells: list = field(default_factory=list)
    null_violations: dict = field(default_factory=dict)
    null_cells: list = field(default_factory=list)
    keys: list = field(default_factory=list)
    nul_bytes: int = 0
    first_nul: int | None = None
    cr_count: int = 0
    encoding_errors: int = 0
    first_encoding_error: int | None = None
    unbalanced_quotes: int = 0
    unbalanced_offsets: list = field(default_factory=list)


def ref_records(data: bytes, quote: bytes | None) -> list[tuple[int, bytes, bool]]:
    """(offset, record bytes without its newline, terminated-outside-quotes)."""
    out = []
    start = 0
    inside = False
    for i, c in enumerate(data):
        if quote is not None and c == quote[0]:
            inside = not inside
        elif c == 10 and not inside:
            out.append((start, data[start:i], True))
            start = i + 1
    if start < len(data):
        out.append((start, data[start:], not inside))
    return out


def ref_fields(rec: bytes, delim: bytes, quote: bytes | None) -> list[bytes]:
    if quote is None:
        return rec.split(delim)
    out, start, inside = [], 0, False
    for i, c in enumerate(rec):
        if c == quote[0]:
            inside = not inside
        elif c == delim[0] and not inside:
            out.append(rec[start:i])
            start = i + 1
    out.append(rec[start:])
    return out


def ref_quote_ok(f: bytes, q: bytes) -> bool:
    if q not in f:
        return True
    if len(f) < 2 or f[:1] != q or f[-1:] != q:
        return False
    return q not in f[1:-1].replace(q + q, b"")


def ref_validate(spec: KernelSpec, data: bytes, base: int = 0) -> Ref:
    r = Ref()
    r.nul_bytes = data.count(b"\0")
    if r.nul_bytes:
        r.first_nul = base + data.index(b"\0")
    errors = []

    def handler(exc):
        errors.append(exc.start)
        return ("\ufffd", exc.end)

    import codecs

    codecs.register_error("ref-count", handler)
    data.decode(spec.encoding, errors="ref-count")
    r.encoding_errors = len(errors)
    r.first_encoding_error = base + errors[0] if errors else None
    q = spec.quote
    r.lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    for off, rec, terminated in ref_records(data, q):
        r.rows += 1
        if not terminated:
            r.unbalanced_quotes += 1
            r.unbalanced_offsets.append(base + off)
            continue
        if rec.endswith(b"\r"):
            r.cr_count += 1
            rec = rec[:-1]
        fields = ref_fields(rec, spec.delimiter, q)
        bad = False
        if len(fields) != spec.ncols:
            r.bad_field_count += 1
            r.field_count_examples.append((base + off, len(fields)))
            bad = True
        if q is not None and not all(ref_quote_ok(f, q) for f in fields):
            r.unbalanced_quotes += 1
            r.unbalanced_offsets.append(base + off)
            bad = True
        if bad:
            continue
        if q is not None:
            fields = [f[1:-1] if len(f) >= 2 and f[:1] == q else f for f in fields]
        for j, (f, typ) in enumerate(zip(fields, spec.column_types, strict=True)):
            value = f.replace(q + q, q) if q is not None else f
            if f in spec.null_values:
                if not spec.nullable[j]:
                    r.null_violations[j] = r.null_violations.get(j, 0) + 1
                    r.null_cells.append((base + off, j))
                continue
            if j == spec.date_index:
                d = ref_date(f, spec.date_format)
                if d is None:
                    r.bad_dates += 1
                    r.bad_date_offsets.append(base + off)
                else:
                    r.per_day[d] = r.per_day.get(d, 0) + 1
                continue
            if not ref_type_ok(typ, value if typ.startswith("VARCHAR") else f, spec.encoding):
                r.type_errors[j] = r.type_errors.get(j, 0) + 1
                r.type_error_cells.append((base + off, j))
        if spec.key_indices:
            r.keys.append((base + off, ref_hash([fields[k] for k in spec.key_indices])))
    return r


# ----------------------------------------------------------------------------------------------
# Running the kernel over chunks and comparing
# ----------------------------------------------------------------------------------------------


def run_kernel(spec: KernelSpec, data: bytes, cuts: list[int], block: int,
               use_fast: bool = True) -> list[ChunkResult]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    out = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        if b > a:
            out.append(validate_chunk(spec, data[a:b], i, a, block_size=block,
                                      use_fast=use_fast))
    return out


def merged(results: list[ChunkResult]) -> dict:
    m: dict = {
        "lines": 0,
        "rows": 0,
        "bad_field_count": 0,
        "field_count_examples": [],
        "per_day": {},
        "bad_dates": 0,
        "bad_date_offsets": [],
        "type_errors": {},
        "type_error_cells": [],
        "null_violations": {},
        "null_cells": [],
        "keys": [],
        "nul_bytes": 0,
        "cr_count": 0,
        "encoding_errors": 0,
        "unbalanced_quotes": 0,
        "unbalanced_offsets": [],
    }
    for r in results:
        for k in (
            "lines",
            "rows",
            "bad_field_count",
            "bad_dates",
            "nul_bytes",
            "cr_count",
            "encoding_errors",
            "unbalanced_quotes",
        ):
            m[k] += getattr(r, k)
        m["field_count_examples"] += r.field_count_examples
        m["bad_date_offsets"] += [o for o, _ in r.bad_date_examples]
        m["type_error_cells"] += [(o, c) for o, c, _ in r.type_error_examples]
        m["null_cells"] += r.null_violation_examples
        m["unbalanced_offsets"] += r.unbalanced_quote_examples
        for d, n in zip(r.day_numbers.tolist(), r.day_counts.tolist(), strict=True):
            m["per_day"][d] = m["per_day"].get(d, 0) + n
        for src, dst in ((r.type_errors, "type_errors"), (r.null_violations, "null_violations")):
            for c, n in src.items():
                m[dst][c] = m[dst].get(c, 0) + n
        if r.key_hashes is not None:
            m["keys"] += list(zip(r.key_offsets.tolist(), r.key_hashes.tolist(), strict=True))
    return m


def assert_matches(spec: KernelSpec, data: bytes, cuts: list[int] = (), block: int = 1 << 20):
    """Both kernels — numpy alone, and the compiled fast path in front of it (each block
    accepted by one or the other) — against the reference."""
    for use_fast in (False, True):
        results = _assert_matches(spec, data, cuts, block, use_fast)
    return results


def _assert_matches(spec, data, cuts, block, use_fast):
    results = run_kernel(spec, data, list(cuts), block, use_fast)
    got = merged(results)
    ref = ref_validate(spec, data)
    for k in (
        "lines",
        "rows",
        "bad_field_count",
        "bad_dates",
        "nul_bytes",
        "cr_count",
        "per_day",
        "type_errors",
        "null_violations",
        "unbalanced_quotes",
    ):
        assert got[k] == getattr(ref, k), (k, got[k], getattr(ref, k))
    assert sorted(got["field_count_examples"]) == sorted(ref.field_count_examples)
    assert sorted(got["bad_date_offsets"]) == sorted(ref.bad_date_offsets)
    assert sorted(got["type_error_cells"]) == sorted(ref.type_error_cells)
    assert sorted(got["null_cells"]) == sorted(ref.null_cells)
    assert sorted(got["unbalanced_offsets"]) == sorted(ref.unbalanced_offsets)
    assert got["keys"] == ref.keys
    assert got["encoding_errors"] == ref.encoding_errors
    if ref.first_encoding_error is not None:
        firsts = [r.first_encoding_error_offset for r in results if r.encoding_errors]
        assert firsts[0] == ref.first_encoding_error
    if ref.first_nul is not None:
        firsts = [r.first_nul_offset for r in results if r.nul_bytes]
        assert firsts[0] == ref.first_nul
    return results


def make_spec(
    types,
    *,
    delim=b"\t",
    quote=None,
    nullable=None,
    null_values=(b"",),
    date_index=None,
    date_format="%Y-%m-%d",
    keys=(),
    encoding="utf-8",
    max_examples=10**6,
) -> KernelSpec:
    n = len(types)
    return KernelSpec(
        delimiter=delim,
        quote=quote,
        ncols=n,
        column_names=tuple(f"c{i}" for i in range(n)),
        column_types=tuple(types),
        nullable=tuple(nullable or [True] * n),
        null_values=tuple(null_values),
        date_index=date_index,
        date_format=date_format,
        key_indices=tuple(keys),
        encoding=encoding,
        max_examples=max_examples,
    )


# ----------------------------------------------------------------------------------------------
# Value generators (valid and invalid per type)
# ----------------------------------------------------------------------------------------------

TYPES = [
    "INTEGER",
    "NUMBER(12,2)",
    "NUMBER(5,0)",
    "NUMBER(38,10)",
    "FLOAT",
    "BOOLEAN",
    "DATE",
    "TIMESTAMP",
    "VARCHAR(5)",
    "VARCHAR(40)",
    "VARCHAR",
]

ODD = [
    b"",
    b" ",
    b"-",
    b"+",
    b".",
    b"e",
    b"x",
    b"1 ",
    b" 1",
    b"\xc3\xa9",
    b"1_0",
    b"0x1F",
    b"\xd9\xa1",
    b"NULL",
    b"\\N",
    b"--1",
    b"+-1",
    b"1e",
    b"1e+",
    b"12a",
    b"inf",
    b"NaN",
    b"-Infinity",
    b"infinite",
    b"1.2.3",
    b"2024-02-30",
    b"2024-1-5",
    b"9999-12-31",
    b"0000-01-01",
    b"2024-02-29",
    b"2023-02-29",
    b"true",
    b"TRUE",
    b"Yes",
    b"off",
    b"2",
    b"2024-01-01 24:00:00",
    b"2024-01-01T23:59:59.1234567",
    b"2024-01-01 23:59:59.",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"00000000000000000000001",
    b"12345678901234567890123456789012345",
    b"1" * 40,
    b"\xff\xfe",
    b"a\x00b",
    b"\x01",
    b"\xe2\x82",
    b"\xe2\x82\xac" * 6,
]


@st.composite
def value(draw, typ: str) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(ODD))
    if typ == "INTEGER":
        v = draw(
            st.one_of(
                st.integers(-(2**63), 2**63 - 1),
                st.integers(-999, 999),
                st.integers(2**63 - 5, 2**63 + 5),
            )
        )
        s = str(v).encode()
        if draw(st.booleans()) and v >= 0:
            s = draw(st.sampled_from([b"+", b"0", b"00", b""])) + s
        return s
    if typ.startswith("NUMBER"):
        ip = draw(st.text("0123456789", max_size=40)).encode()
        fp = draw(st.text("0123456789", max_size=12)).encode()
        sign = draw(st.sampled_from([b"", b"-", b"+"]))
        return sign + ip + (b"." + fp if draw(st.booleans()) else b"")
    if typ == "FLOAT":
        mant = draw(st.sampled_from([b"1", b"12.5", b".5", b"5.", b"0.000001", b"123456789012"]))
        exp = draw(st.sampled_from([b"", b"e5", b"E-12", b"e+300", b"e", b"E+"]))
        return draw(st.sampled_from([b"", b"-", b"+"])) + mant + exp
    if typ == "BOOLEAN":
        t = draw(st.sampled_from([*sorted(BOOLS), b"tru", b"yess", b"nope"]))
        return bytes(c ^ 0x20 if draw(st.booleans()) and 97 <= c <= 122 else c for c in t)
    if typ == "DATE":
        d = draw(st.dates(date(1, 1, 1), date(9999, 12, 31)))
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}".encode()
    if typ == "TIMESTAMP":
        d = draw(st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31)))
        sep = draw(st.sampled_from([" ", "T"]))
        frac = draw(st.sampled_from(["", ".1", ".123456", ".000"]))
        s = d.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + frac
        if draw(st.integers(0, 6)) == 0:  # corrupt one digit position
            i = draw(st.integers(0, len(s) - 1))
            s = s[:i] + draw(st.sampled_from(["9", "a", " ", "6"])) + s[i + 1 :]
        return s.encode()
    alphabet = st.sampled_from(["a", "b", "Z", " ", "é", "€", "𝄞", "ü", "7"])
    return draw(st.text(alphabet, max_size=50)).encode()


@st.composite
def tsv_case(draw, quote: bytes | None = None):
    ncols = draw(st.integers(1, 7))
    types = [draw(st.sampled_from(TYPES)) for _ in range(ncols)]
    date_index = draw(st.one_of(st.none(), st.integers(0, ncols - 1)))
    date_format = "%Y-%m-%d"
    if date_index is not None:
        types[date_index] = "DATE"
        date_format = draw(st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d %b %Y"]))
    nullable = [draw(st.booleans()) for _ in range(ncols)]
    null_values = draw(st.sampled_from([(b"",), (b"", b"NULL"), (b"\\N",), (), (b"", b"-")]))
    keys = draw(st.lists(st.integers(0, ncols - 1), max_size=3, unique=True))
    spec = make_spec(
        types,
        quote=quote,
        delim=b"\t" if quote is None else b",",
        nullable=nullable,
        null_values=null_values,
        date_index=date_index,
        date_format=date_format,
        keys=keys,
    )
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        vals = []
        for j, t in enumerate(types):
            if j == date_index and draw(st.integers(0, 5)):
                d = draw(st.dates(date(2023, 12, 25), date(2024, 3, 5)))
                vals.append(d.strftime(date_format).encode())
            else:
                vals.append(draw(value(t)))
        if quote is not None:
            vals = [csv_quote(v, draw) for v in vals]
        defect = draw(st.integers(0, 12))
        if defect == 0 and vals:
            vals.pop()
        elif defect == 1:
            vals.append(b"extra")
        sep = spec.delimiter
        line = sep.join(vals)
        if defect == 2:
            line += b"\r"
        if defect == 3:
            line = line.replace(b"\t", b"") if quote is None else line + b'"'
        if defect == 4:
            line = b""
        rows.append(line)
    data = b"\n".join(rows)
    if rows and draw(st.booleans()):
        data += b"\n"
    elif not rows:
        data = b""
    return spec, data


def csv_quote(v: bytes, draw) -> bytes:
    mode = draw(st.integers(0, 8))
    if mode == 0:
        return b'"' + v + b'"'
    if mode == 1:
        return b'"' + v + b',x"' if v else b'""'
    if mode == 2:
        return b'"a""b\nc"'
    if mode == 3:
        return v + b'"' if v else b'x"y'
    if b'"' in v or b"," in v or b"\n" in v:
        return b'"' + v.replace(b'"', b'""') + b'"'
    return v


def record_starts(data: bytes, quote: bytes | None) -> list[int]:
    return [off for off, _, _ in ref_records(data, quote)][1:]


# ----------------------------------------------------------------------------------------------
# Property tests
# ----------------------------------------------------------------------------------------------

COMMON = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@COMMON
@given(tsv_case(), st.data())
def test_tsv_matches_reference(case, data):
    spec, raw = case
    starts = record_starts(raw, None)
    cuts = data.draw(st.lists(st.sampled_from(starts), max_size=3)) if starts else []
    block = data.draw(st.sampled_from([16, 64, 200, 1 << 20]))
    assert_matches(spec, raw, cuts, block)


@COMMON
@given(tsv_case(quote=b'"'), st.data())
def test_csv_quoted_matches_reference(case, data):
    spec, raw = case
    # Chunks are cut where the chunker would: at record starts (even quote parity).
    starts = record_starts(raw, b'"')
    cuts = data.draw(st.lists(st.sampled_from(starts), max_size=3)) if starts else []
    block = data.draw(st.sampled_from([16, 64, 200, 1 << 20]))
    assert_matches(spec, raw, cuts, block)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*ODD, b"1", b"-12", b"3.25", b"x" * 70]), min_size=1, max_size=30),
    st.sampled_from(TYPES),
)
def test_single_column_values(values, typ):
    spec = make_spec([typ, "VARCHAR"], nullable=[True, True], null_values=())
    data = b"".join(v.replace(b"\n", b"").replace(b"\t", b"") + b"\tz\n" for v in values)
    assert_matches(spec, data, block=64)


# ----------------------------------------------------------------------------------------------
# Explicit edge cases
# ----------------------------------------------------------------------------------------------

MIXED = ["DATE", "INTEGER", "NUMBER(10,2)", "FLOAT", "BOOLEAN", "TIMESTAMP", "VARCHAR(4)"]
GOOD = b"2024-01-02\t-42\t123.45\t1e-3\ttrue\t2024-01-02 03:04:05\tabcd"


def mixed_spec(**kw) -> KernelSpec:
    return make_spec(MIXED, date_index=0, keys=(1, 6), **kw)


def test_empty_chunk():
    r = validate_chunk(mixed_spec(), b"", 0, 0)
    assert (r.rows, r.lines, r.bad_field_count) == (0, 0, 0)
    assert r.key_hashes is not None and r.key_hashes.size == 0
    assert r.per_day() == {}


def test_single_row_without_final_newline():
    r = assert_matches(mixed_spec(), GOOD)
    assert r[0].rows == 1 and r[0].missing_final_newline
    assert r[0].per_day() == {date(2024, 1, 2): 1}


def test_crlf_lines_are_counted_and_stripped():
    data = (GOOD + b"\r\n") * 3 + GOOD + b"\n"
    r = assert_matches(mixed_spec(), data)
    assert r[0].cr_count == 3 and not r[0].type_errors


def test_crlf_with_short_last_column():
    spec = make_spec(["INTEGER", "VARCHAR(1)"])
    r = assert_matches(spec, b"1\tx\r\n2\t\r\n3\txy\r\n")
    assert r[0].cr_count == 3 and r[0].type_errors == {1: 1}


def test_every_row_field_count():
    rows = [GOOD, GOOD + b"\textra", GOOD.rsplit(b"\t", 1)[0], b"", GOOD]
    r = assert_matches(mixed_spec(), b"\n".join(rows) + b"\n")
    assert r[0].bad_field_count == 3
    assert [n for _, n in r[0].field_count_examples] == [8, 6, 1]
    assert r[0].field_count_examples[0][0] == len(GOOD) + 1


def test_nul_bytes_and_control_characters():
    data = (
        GOOD
        + b"\n"
        + GOOD.replace(b"abcd", b"ab\0d")
        + b"\n"
        + b"\x01\x02\x03\t"
        + GOOD[11:]
        + b"\n"
    )
    r = assert_matches(mixed_spec(), data)
    assert r[0].nul_bytes == 1 and r[0].first_nul_offset == data.index(b"\0")
    assert r[0].bad_dates == 1


def test_invalid_utf8_is_counted_and_located():
    bad = GOOD.replace(b"abcd", b"a\xffb\xc3")
    data = GOOD + b"\n" + bad + b"\n" + bad + b"\n"
    r = assert_matches(mixed_spec(), data, block=40)
    assert r[0].encoding_errors == 4
    assert r[0].first_encoding_error_offset == data.index(b"\xff")


def test_varchar_counts_characters_not_bytes():
    spec = make_spec(["VARCHAR(3)"])
    data = "é€𝄞\nabc\nabcd\néé\u00e9é\n".encode()
    r = assert_matches(spec, data)
    assert r[0].type_errors == {0: 2}


def test_fifty_megabyte_single_line():
    spec = make_spec(["INTEGER", "VARCHAR", "VARCHAR(10)"], keys=(1,))
    big = b"x" * (50 << 20)
    data = b"1\t" + big + b"\tshort\n2\tb\tthis-is-too-long\n"
    r = validate_chunk(spec, data, 0, 0, block_size=1 << 20)
    assert (r.rows, r.bad_field_count, r.type_errors) == (2, 0, {2: 1})
    assert r.key_hashes[0] == ref_hash([big])


def test_null_tokens():
    spec = make_spec(
        ["INTEGER", "DATE", "VARCHAR(2)"],
        nullable=[False, True, False],
        null_values=(b"", b"NULL", b"\\N", b"a-very-long-null-token"),
        date_index=1,
    )
    data = b"NULL\t\\N\t\n1\tNULL\tNULL\n\\N\t2024-01-01\ta-very-long-null-token\n3\tnull\tab\n"
    r = assert_matches(spec, data)
    assert r[0].null_violations == {0: 2, 2: 3}
    assert r[0].bad_dates == 1 and r[0].type_errors == {}


@pytest.mark.parametrize(
    ("typ", "good", "bad"),
    [
        (
            "INTEGER",
            [
                b"0",
                b"-0",
                b"+7",
                b"007",
                b"9223372036854775807",
                b"-9223372036854775808",
                b"0000000000000000000000000000001",
            ],
            [
                b"9223372036854775808",
                b"-9223372036854775809",
                b"1.0",
                b"1e3",
                b"",
                b"+",
                b"0x1",
                b"1_000",
                b"\xd9\xa1",
                b" 1",
            ],
        ),
        (
            "NUMBER(5,2)",
            [b"123.45", b"-123.45", b"+1", b".5", b"5.", b"000.00", b"0"],
            [b"1234.5", b"1.234", b"1e2", b".", b"-", b"1.2.3", b"12,3", b"", b"--1"],
        ),
        ("NUMBER(38,0)", [b"9" * 38, b"-" + b"9" * 38], [b"9" * 39, b"1.5", b"1."[:0]]),
        (
            "FLOAT",
            [
                b"1",
                b"-1.5",
                b".5",
                b"5.",
                b"1e10",
                b"1E-10",
                b"-1.5e+300",
                b"inf",
                b"-Infinity",
                b"NaN",
                b"1e999",
                b"0." + b"0" * 40 + b"1",
            ],
            [
                b"e5",
                b"1e",
                b"1e+",
                b"1.2.3",
                b"--1",
                b"infinite",
                b"0x10",
                b"1e5.5",
                b"",
                b".",
                b"1 ",
                b"1e5e5",
                b"+.e1",
            ],
        ),
        (
            "BOOLEAN",
            [b"true", b"FALSE", b"T", b"f", b"Yes", b"no", b"Y", b"N", b"on", b"OFF", b"1", b"0"],
            [b"tru", b"2", b"yess", b"", b"\x10", b"True ", b"t\x00"],
        ),
        (
            "DATE",
            [b"2024-02-29", b"2000-02-29", b"0001-01-01", b"9999-12-31", b"2024-1-5"],
            [
                b"2023-02-29",
                b"1900-02-29",
                b"2024-13-01",
                b"2024-00-10",
                b"2024-01-32",
                b"0000-01-01",
                b"24-01-01",
                b"2024/01/01",
                b"2024-01-01x",
            ],
        ),
        (
            "TIMESTAMP",
            [
                b"2024-01-01 00:00:00",
                b"2024-01-01T23:59:59",
                b"2024-02-29 12:00:00.5",
                b"2024-01-01 00:00:00.123456",
            ],
            [
                b"2024-01-01 24:00:00",
                b"2024-01-01 00:60:00",
                b"2024-01-01 00:00:60",
                b"2024-02-30 00:00:00",
                b"2024-01-01 00:00:00.",
                b"2024-01-01 00:00:00.1234567",
                b"2024-01-01",
                b"2024-01-01x00:00:00",
                b"2024-01-01 00:00:00Z",
            ],
        ),
        ("VARCHAR(3)", [b"", b"abc", "€€€".encode()], [b"abcd", "€€€€".encode()]),
    ],
)
def test_type_boundaries(typ, good, bad):
    spec = make_spec([typ], null_values=())
    data = b"".join(v + b"\n" for v in good + bad)
    r = assert_matches(spec, data, block=48)
    assert r[0].type_errors.get(0, 0) == len(bad), r[0].type_error_examples


@pytest.mark.parametrize(
    ("fmt", "values", "bad"),
    [
        ("%Y-%m-%d", [b"2024-01-31", b"2024-1-5"], [b"2024-02-30", b"20240101"]),
        ("%Y%m%d", [b"20240131", b"20240229"], [b"20230229", b"2024-01-31"]),
        ("%d/%m/%Y", [b"31/01/2024", b"1/2/2024"], [b"31/02/2024", b"2024-01-31"]),
        ("%d %b %Y", [b"31 Jan 2024", b"1 feb 2024"], [b"31 Foo 2024"]),
        ("%Y-%m-%d %H:%M:%S", [b"2024-01-31 10:00:00"], [b"2024-01-31"]),
    ],
)
def test_date_formats(fmt, values, bad):
    spec = make_spec(["DATE", "INTEGER"], date_index=0, date_format=fmt)
    data = b"".join(v + b"\t1\n" for v in values * 3 + bad)
    r = assert_matches(spec, data, block=40)
    assert r[0].bad_dates == len(bad)
    assert sum(r[0].day_counts) == 3 * len(values)


def test_key_hash_separates_fields():
    spec = make_spec(["VARCHAR", "VARCHAR"], keys=(0, 1))
    r = validate_chunk(spec, b"a\tbc\nab\tc\na\tbc\n", 0, 0)
    h = r.key_hashes.tolist()
    assert h[0] == h[2] and h[0] != h[1]
    assert r.key_offsets.tolist() == [0, 5, 10]


def test_examples_are_capped():
    spec = make_spec(["INTEGER", "INTEGER"], max_examples=3)
    data = b"x\ty\n" * 50 + b"1\n" * 10
    r = validate_chunk(spec, data, 0, 0, block_size=64)
    assert r.type_errors == {0: 50, 1: 50} and r.bad_field_count == 10
    assert len(r.type_error_examples) == 6 and len(r.field_count_examples) == 3


def test_csv_quotes():
    spec = make_spec(["INTEGER", "VARCHAR(5)", "VARCHAR"], delim=b",", quote=b'"', keys=(1,))
    data = (
        b'1,"a,b","multi\nline"\n'
        b'2,"q""q",x\n'
        b'3,ab"c"d,x\n'  # quotes inside an unquoted field
        b'4,"abc"d,x\n'  # text after the closing quote
        b'5,"""""",""\n'  # a value of two quotes; an empty quoted field
        b'6,"toolong",x\r\n'
        b'7,"open\n'
    )  # unterminated at the end of the file
    r = assert_matches(spec, data, block=16)
    assert (r[0].rows, r[0].lines, r[0].cr_count) == (7, 8, 1)
    assert r[0].unbalanced_quotes == 3 and r[0].type_errors == {1: 1}
    starts = [0, data.index(b"\n2,") + 1, data.index(b"\n5,") + 1, data.index(b"\n6,") + 1]
    assert r[0].key_offsets.tolist() == starts


def test_csv_stray_quote_follows_chunker_parity():
    """A quote inside an unquoted field opens a quoted region (the chunker's parity rule), so
    the following lines merge into one malformed record; the kernel reports, never crashes."""
    spec = make_spec(["INTEGER", "VARCHAR"], delim=b",", quote=b'"')
    r = assert_matches(spec, b'1,a"b\n2,c\n3,"d\n4,e\n')
    assert r[0].rows == 2 and r[0].unbalanced_quotes == 1


def test_csv_without_quotes_uses_plain_path():
    spec = make_spec(["INTEGER", "VARCHAR(3)"], delim=b",", quote=b'"')
    assert_matches(spec, b"1,abc\n2,abcd\nx,y\n3\n", block=8)


def test_pipe_delimited_with_nul():
    spec = make_spec(["INTEGER", "VARCHAR(3)"], delim=b"|")
    assert_matches(spec, b"1|abc\n2|a\0c\n3|\n", block=8)


def test_non_utf8_encoding():
    spec = make_spec(["VARCHAR(3)", "INTEGER"], encoding="cp1252")
    data = "é€ü\t1\néééé\t2\n".encode("cp1252") + b"\x81\t3\n"
    r = assert_matches(spec, data)
    assert r[0].encoding_errors == 1 and r[0].type_errors == {0: 1}


def test_result_is_picklable_and_compact():
    import pickle

    spec = mixed_spec()
    data = (GOOD + b"\n") * 1000
    r = validate_chunk(spec, data, 3, 1000)
    blob = pickle.dumps(r)
    assert len(blob) < 40_000
    back = pickle.loads(blob)
    assert back.per_day() == {date(2024, 1, 2): 1000}
    assert back.key_offsets[1] - back.key_offsets[0] == len(GOOD) + 1


def test_randomized_large_block_matches_small_blocks():
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(3000):
        rows.append(
            b"\t".join(
                [
                    f"2024-01-{rng.integers(1, 32):02d}".encode(),
                    str(rng.integers(-(10**12), 10**12)).encode(),
                    f"{rng.integers(0, 10**7) / 100:.2f}".encode(),
                    repr(float(rng.standard_normal())).encode(),
                    rng.choice([b"true", b"0", b"bogus"]),
                    b"2024-01-01 10:00:00",
                    b"ab" * int(rng.integers(0, 3)),
                ]
            )
        )
    data = b"\n".join(rows) + b"\n"
    spec = mixed_spec()
    a = merged(run_kernel(spec, data, [], 1 << 20))
    b = merged(run_kernel(spec, data, record_starts(data, None)[::700], 512))
    assert a["keys"] == b["keys"] and a["type_errors"] == b["type_errors"]
    assert_matches(spec, data, block=4096)


def test_buffer_types_agree(tmp_path):
    """bytes, bytearray, a memoryview slice and an mmap of a file give identical results."""
    import mmap

    spec = mixed_spec()
    bad = GOOD.replace(b"abcd", b"a\xffb")
    data = (GOOD + b"\n") * 300 + bad + b"\n" + GOOD.replace(b"-42", b"x") + b"\n" + GOOD
    ref = validate_chunk(spec, data, 0, 0, block_size=512)
    path = tmp_path / "chunk.tsv"
    path.write_bytes(b"header\n" + data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        view = memoryview(mm)[7:]
        others = [bytearray(data), memoryview(b"xx" + data)[2:], view]
        for other in others:
            got = validate_chunk(spec, other, 0, 0, block_size=512)
            for k in (
                "rows",
                "type_errors",
                "encoding_errors",
                "first_encoding_error_offset",
                "missing_final_newline",
                "type_error_examples",
            ):
                assert getattr(got, k) == getattr(ref, k), k
            assert (got.key_hashes == ref.key_hashes).all()
        view.release()


def test_float_column_in_scientific_notation():
    """Many exponents in a block take the vectorised exponent path, not per-field Python."""
    rng = np.random.default_rng(3)
    good = [f"{v:.6e}".encode() for v in rng.standard_normal(3000) * 1e5]
    good += [b"1E5", b"-2.5e-3", b".5e1", b"5.e+2", b"1e0", b"+1.5E+300"]
    bad = [
        b"1e",
        b"e5",
        b"1e+",
        b"1.2e3.4",
        b"1e5e5",
        b"--1e3",
        b"1e--3",
        b"1.e",
        b".e1",
        b"1e3-",
        b"1-e3",
        b"nan1",
        b"1e 3",
        b"1.2.3e4",
    ]
    values = good + bad
    order = rng.permutation(len(values))
    spec = make_spec(["FLOAT", "INTEGER"], null_values=())
    data = b"".join(values[i] + b"\t1\n" for i in order)
    r = assert_matches(spec, data, block=1 << 16)
    assert sum(x.type_errors.get(0, 0) for x in r) == len(bad)
