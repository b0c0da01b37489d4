"""The kernel's compiled fast path (``validate/_fastscan.c`` through ``validate/fastpath.py``).

The fast path may only ever *accept* a clean block, with exactly the numpy kernel's aggregates
for it; everything else must reach the numpy kernel. These tests check both halves: clean data
of every type never reaches the numpy kernel and gives identical results, and each kind of
defect sends its block (and only its block) to the numpy kernel, which then matches the
plain-Python reference of ``test_kernel.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snowetl_tui.validate import fastpath, kernel
from snowetl_tui.validate.kernel import validate_chunk
from tests.unit.test_kernel import assert_matches, make_spec, ref_hash

TYPES = [
    "DATE",
    "INTEGER",
    "NUMBER(10,2)",
    "FLOAT",
    "BOOLEAN",
    "TIMESTAMP",
    "VARCHAR(6)",
    "DATE",
    "VARCHAR",
]
# NUMBER and the last VARCHAR may be NULL; every other column is NOT NULL
NULLABLE = [False, False, True, False, False, False, False, False, True]


def spec(**kw):
    kw.setdefault("nullable", NULLABLE)
    return make_spec(TYPES, date_index=0, keys=(1, 8), null_values=(b"", b"NULL"), **kw)


def clean_rows(n: int, seed: int = 0) -> bytes:
    """Valid rows of every type with varying field lengths (fields cross 64-byte windows),
    CRLF endings, NULL tokens in nullable columns, multi-byte UTF-8 within VARCHAR(6)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        day = 1 + i % 28
        text = ["ab", "ünï", "€€€€€€", "", "x" * int(rng.integers(0, 200))][i % 5]
        num = ["12345678.12", "-0.5", "+7", ".25", "NULL"][i % 5]
        flt = ["1e-3", "-2.5E+10", "3.", "42", ".5"][i % 5]
        row = [
            f"2024-02-{day:02d}",
            str(int(rng.integers(-(10**17), 10**17))),
            num,
            flt,
            ["true", "F", "yes", "0", "Off"][i % 5],
            ["2024-02-29 23:59:59", "2024-01-01T00:00:00.123456", "1999-12-31 12:00:00.5"][i % 3],
            ["abc", "ünïcø", "€€€€€€"][i % 3],
            f"2023-{1 + i % 12:02d}-{day:02d}",
            text,
        ]
        out.append("\t".join(row) + ("\r\n" if i % 7 == 3 else "\n"))
    return "".join(out).encode()


def numpy_calls(monkeypatch) -> list[int]:
    """Count the blocks the numpy kernel processes."""
    calls: list[int] = []
    real = kernel._process_block

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(kernel, "_process_block", counted)
    return calls


def same(a, b) -> None:
    """Two chunk results are identical (every aggregate, every example)."""
    for k in (
        "rows",
        "lines",
        "cr_count",
        "bad_field_count",
        "bad_dates",
        "nul_bytes",
        "type_errors",
        "null_violations",
        "encoding_errors",
        "unbalanced_quotes",
        "missing_final_newline",
        "field_count_examples",
        "bad_date_examples",
        "type_error_examples",
        "null_violation_examples",
    ):
        assert getattr(a, k) == getattr(b, k), k
    assert a.per_day() == b.per_day()
    assert np.array_equal(a.key_hashes, b.key_hashes)
    assert np.array_equal(a.key_offsets, b.key_offsets)


def test_the_fast_path_is_built_and_loaded():
    # The install (README command) compiles it; without it the suite would not test it.
    assert fastpath.available()


def test_disabled_by_environment_variable():
    env = {**os.environ, "SNOWETL_KERNEL_FAST": "0"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from snowetl_tui.validate import fastpath; print(fastpath.available())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("block", [64, 300, 4096, 1 << 20])
def test_clean_data_never_reaches_numpy_and_is_identical(monkeypatch, block):
    data = clean_rows(400)
    slow = validate_chunk(spec(), data, 0, 1000, block_size=block, use_fast=False)
    calls = numpy_calls(monkeypatch)
    fast = validate_chunk(spec(), data, 0, 1000, block_size=block)
    assert calls == []
    same(fast, slow)
    assert fast.rows == 400 and fast.cr_count == len(range(3, 400, 7))
    assert fast.type_errors == {} and fast.null_violations == {}
    assert sum(fast.per_day().values()) == 400


def test_key_hashes_are_the_documented_hash():
    data = b"".join(
        b"2024-02-01\t%d\t1\t1\tt\t2024-01-01 00:00:00\ta\t2024-01-01\t%s\n" % (i, v)
        for i, v in enumerate([b"", b"x", b"y" * 8, b"z" * 64, b"w" * 65, b"\xc3\xbc" * 90])
    )
    res = validate_chunk(spec(), data, 0, 0)
    rows = [line.split(b"\t") for line in data.splitlines()]
    assert res.key_hashes.tolist() == [ref_hash([r[1], r[8]]) for r in rows]


def test_missing_final_newline_and_crlf_last_row(monkeypatch):
    data = clean_rows(10)[:-1] + b"\r"  # last row ends in a lone CR, no newline
    calls = numpy_calls(monkeypatch)
    res = validate_chunk(spec(), data, 0, 0)
    assert calls == []
    assert res.missing_final_newline and res.rows == 10
    assert_matches(spec(), data)


DEFECTS = {
    "bad integer": (1, b"12x"),
    "19-digit integer (exact check)": (1, b"1234567890123456789"),
    "integer overflow": (1, b"99999999999999999999"),
    "too many integer digits for NUMBER": (2, b"123456789.5"),
    "float inf": (3, b"-inf"),
    "float nan": (3, b"NaN"),
    "bad boolean": (4, b"maybe"),
    "timestamp hour 24": (5, b"2024-01-01 24:00:00"),
    "varchar too long": (6, b"abcdefg"),
    "non-iso date strptime accepts": (7, b"2024-1-5"),
    "date column strptime variant": (0, b"2024-2-3"),
    "bad date in date column": (0, b"2024-02-30"),
    "null in not-null column": (1, b""),
    "null token in not-null varchar": (6, b"NULL"),
    "null token in not-null date column": (0, b"NULL"),
    "NUL byte": (8, b"a\x00b"),
    "invalid utf-8": (8, b"\xff\xfe"),
    "extra field": (8, b"a\tb"),
    "missing field": (8, None),
}


@pytest.mark.parametrize("name", list(DEFECTS))
def test_a_defect_sends_only_its_block_to_numpy(monkeypatch, name):
    col, value = DEFECTS[name]
    rows = clean_rows(300).splitlines(keepends=True)
    fields = rows[150].rstrip(b"\r\n").split(b"\t")
    if value is None:
        del fields[col]
    else:
        fields[col] = value
    rows[150] = b"\t".join(fields) + b"\n"
    data = b"".join(rows)
    s = spec()
    slow = validate_chunk(s, data, 0, 0, block_size=2048, use_fast=False)
    calls = numpy_calls(monkeypatch)
    fast = validate_chunk(s, data, 0, 0, block_size=2048)
    assert len(calls) == 1, f"{name}: {len(calls)} blocks went to numpy"
    same(fast, slow)
    monkeypatch.undo()
    assert_matches(s, data, block=2048)


CSV = ["INTEGER", "VARCHAR(5)", "DATE", "VARCHAR"]


def csv_spec():
    return make_spec(
        CSV,
        delim=b",",
        quote=b'"',
        date_index=2,
        keys=(0, 1),
        nullable=[False, True, False, True],
        null_values=(b"", b"NULL"),
    )


def clean_csv(n: int) -> bytes:
    """Well-formed RFC 4180 rows: quoted fields with separators, doubled quotes (one
    character each: 'a""b' fits VARCHAR(5) as 4 characters), quoted NULL tokens, CRLF after a
    closing quote, quoted numbers and dates."""
    cells = [b'"a,b"', b'"a""b""c"', b'""', b'"NULL"', b"plain", b'"\xc3\xbc\xc3\xbc"', b"x"]
    rows = []
    for i in range(n):
        num = b'"%d"' % i if i % 3 == 0 else b"%d" % i
        day = b'"2024-03-%02d"' % (1 + i % 28) if i % 2 else b"2024-03-%02d" % (1 + i % 28)
        last = b'"tail, with ""quotes"""' if i % 4 == 0 else b"t"
        end = b"\r\n" if i % 5 == 0 else b"\n"
        rows.append(b",".join([num, cells[i % len(cells)], day, last]) + end)
    return b"".join(rows)


@pytest.mark.parametrize("block", [64, 512, 1 << 20])
def test_quoted_csv_is_served_by_the_fast_path(monkeypatch, block):
    data = clean_csv(300)
    slow = validate_chunk(csv_spec(), data, 0, 0, block_size=block, use_fast=False)
    calls = numpy_calls(monkeypatch)
    fast = validate_chunk(csv_spec(), data, 0, 0, block_size=block)
    assert calls == []
    same(fast, slow)
    assert fast.rows == 300 and fast.unbalanced_quotes == 0 and fast.type_errors == {}
    monkeypatch.undo()
    assert_matches(csv_spec(), data, block=block)


QUOTE_DEFECTS = {
    "newline inside quotes": b'1,"a\nb",2024-03-01,t\n',
    "quote inside an unquoted field": b'1,a"b,2024-03-01,t\n',
    "text after the closing quote": b'1,"ab"c,2024-03-01,t\n',
    "CR after the closing quote, then text": b'1,ab,2024-03-01,"t"\rx\n',
    "quoted value too long ('\"\"' is one character)": b'1,"a""bcde",2024-03-01,t\n',
    "quoted integer with a space": b'" 1",ab,2024-03-01,t\n',
}


@pytest.mark.parametrize("name", list(QUOTE_DEFECTS))
def test_a_quoting_defect_sends_only_its_block_to_numpy(monkeypatch, name):
    rows = clean_csv(200).splitlines(keepends=True)
    rows[100] = QUOTE_DEFECTS[name]
    data = b"".join(rows)
    slow = validate_chunk(csv_spec(), data, 0, 0, block_size=1024, use_fast=False)
    calls = numpy_calls(monkeypatch)
    fast = validate_chunk(csv_spec(), data, 0, 0, block_size=1024)
    assert len(calls) == 1, f"{name}: {len(calls)} blocks went to numpy"
    same(fast, slow)
    monkeypatch.undo()
    assert_matches(csv_spec(), data, block=1024)


def test_unterminated_quote_at_the_end_of_the_file():
    data = clean_csv(50) + b'7,"never closed,2024-03-01,t\n'
    assert_matches(csv_spec(), data, block=256)


def test_other_encoding_varchar_longer_in_bytes_goes_to_numpy():
    s = make_spec(["VARCHAR(3)"], encoding="latin-1")
    data = "é\nabc\n".encode("latin-1") + "€€€\n".encode("cp1252")
    res = validate_chunk(s, data, 0, 0)
    ref = validate_chunk(s, data, 0, 0, use_fast=False)
    same(res, ref)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 130), st.booleans()),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([32, 64, 100, 257, 1 << 20]),
)
def test_any_field_lengths_match_numpy(rows, block):
    """Clean rows whose fields start and end anywhere relative to the 64-byte scan windows."""
    s = make_spec(["INTEGER", "VARCHAR", "VARCHAR"], keys=(0, 2))
    data = b"".join(
        b"%d\t%s\t%s%s" % (n, b"v" * w, b"k" * (w % 17), b"\r\n" if cr else b"\n")
        for n, w, cr in rows
    )
    fast = validate_chunk(s, data, 0, 5, block_size=block)
    slow = validate_chunk(s, data, 0, 5, block_size=block, use_fast=False)
    same(fast, slow)
    assert fast.rows == len(rows)
