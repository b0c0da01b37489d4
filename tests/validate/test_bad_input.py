"""Bad input: each ends in a finding or a one-line error with exit 2, never a traceback."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

CONFIG = {
    "version": 1,
    "files": [
        {
            "file_pattern": "in_*.tsv",
            "table_name": "T",
            "columns": [
                {"name": "ID", "type": "INTEGER", "nullable": False},
                {"name": "D", "type": "DATE"},
                {"name": "NAME", "type": "VARCHAR(20)"},
            ],
            "date_column": "D",
            "date_format": "%Y-%m-%d",
            "duplicate_key_columns": ["ID"],
            "delimiter": "\t",
            "header": True,
        }
    ],
}
HEADER = b"ID\tD\tNAME\n"
ROWS = b"1\t2024-01-01\talpha\n2\t2024-01-02\tbeta\n"


@pytest.fixture
def vws(ws: Path) -> Path:
    (ws / "configs" / "t.json").write_text(json.dumps(CONFIG))
    return ws


def validate(run_cli, ws: Path, path: Path, *extra: str):
    res = run_cli("--workspace", str(ws), "validate", str(path), "--json", *extra)
    assert "Traceback" not in res.out + res.err
    return res


def checks(res) -> dict[str, dict]:
    [report] = res.json()
    return {c["name"]: c for c in report["checks"]}


def test_clean_file_passes(vws, run_cli):
    f = vws / "in_ok.tsv"
    f.write_bytes(HEADER + ROWS)
    res = validate(run_cli, vws, f)
    assert res.code == 0
    [report] = res.json()
    assert report["verdict"] == "pass" and report["rows"] == 2
    assert report["per_day"] == {"2024-01-01": 1, "2024-01-02": 1}


def test_empty_file(vws, run_cli):
    f = vws / "in_empty.tsv"
    f.write_bytes(b"")
    res = validate(run_cli, vws, f)
    assert res.code == 1
    c = checks(res)
    assert c["rows"]["status"] == "FAIL" and "empty file" in c["rows"]["message"]


def test_header_only(vws, run_cli):
    f = vws / "in_head.tsv"
    f.write_bytes(HEADER)
    res = validate(run_cli, vws, f)
    assert res.code == 1
    c = checks(res)
    assert c["rows"]["status"] == "FAIL" and "header only" in c["rows"]["message"]
    assert c["header"]["status"] == "PASS"


def test_no_final_newline_is_a_warning_not_a_lost_row(vws, run_cli):
    f = vws / "in_nonl.tsv"
    f.write_bytes(HEADER + ROWS + b"3\t2024-01-03\tgamma")
    res = validate(run_cli, vws, f)
    assert res.code == 0
    [report] = res.json()
    assert report["rows"] == 3 and report["verdict"] == "warn"
    assert checks(res)["final_newline"]["status"] == "WARN"


def test_crlf(vws, run_cli):
    f = vws / "in_crlf.tsv"
    f.write_bytes((HEADER + ROWS).replace(b"\n", b"\r\n"))
    res = validate(run_cli, vws, f)
    assert res.code == 0, res.out
    c = checks(res)
    assert c["line_endings"]["message"] == "CRLF"
    assert c["header"]["status"] == "PASS" and c["types"]["status"] == "PASS"


def test_mixed_line_endings(vws, run_cli):
    f = vws / "in_mixed.tsv"
    f.write_bytes(HEADER + b"1\t2024-01-01\talpha\r\n2\t2024-01-02\tbeta\n")
    res = validate(run_cli, vws, f)
    assert checks(res)["line_endings"]["status"] == "WARN"


def test_bom(vws, run_cli):
    f = vws / "in_bom.tsv"
    f.write_bytes(b"\xef\xbb\xbf" + HEADER + ROWS)
    res = validate(run_cli, vws, f)
    assert res.code == 0
    c = checks(res)
    assert c["bom"]["status"] == "WARN" and c["header"]["status"] == "PASS"


def test_nul_bytes(vws, run_cli):
    f = vws / "in_nul.tsv"
    f.write_bytes(HEADER + b"1\t2024-01-01\tal\x00pha\n" + b"2\t2024-01-02\tbeta\n")
    res = validate(run_cli, vws, f)
    assert res.code == 1
    nul = checks(res)["nul_bytes"]
    assert nul["status"] == "FAIL" and nul["count"] == 1
    assert nul["examples"][0]["line"] == 2


def test_invalid_utf8(vws, run_cli):
    f = vws / "in_utf8.tsv"
    f.write_bytes(HEADER + ROWS + b"3\t2024-01-03\tcaf\xe9\n")
    res = validate(run_cli, vws, f)
    assert res.code == 1
    enc = checks(res)["encoding"]
    assert enc["status"] == "FAIL" and enc["examples"][0]["line"] == 4


@pytest.mark.parametrize("chunk", ["64MB", "1KB"])
def test_a_50mb_single_line(vws, run_cli, chunk):
    f = vws / "in_long.tsv"
    with open(f, "wb") as fh:
        fh.write(HEADER + ROWS)
        fh.write(b"3\t2024-01-03\t" + b"x" * (50 << 20) + b"\n")
        fh.write(b"4\t2024-01-04\tdelta\n")
    res = validate(run_cli, vws, f, "--chunk-size", chunk)
    assert res.code == 1
    [report] = res.json()
    assert report["rows"] == 4
    types = checks(res)["types"]
    assert types["status"] == "FAIL" and types["count"] == 1  # VARCHAR(20) exceeded
    assert types["examples"][0]["line"] == 4
    assert len(types["examples"][0].get("value", "")) < 1000  # examples are capped


def test_truncated_gzip(vws, run_cli):
    data = gzip.compress(HEADER + ROWS * 5000)
    f = vws / "in_trunc.tsv.gz"
    f.write_bytes(data[: len(data) // 2])
    res = run_cli("--workspace", str(vws), "validate", str(f))
    assert res.code == 2
    assert res.err.count("\n") == 1 and "in_trunc.tsv.gz" in res.err
    assert "Traceback" not in res.err


def test_binary_file(vws, run_cli):
    f = vws / "in_bin.tsv"
    f.write_bytes(HEADER + os.urandom(200_000))
    res = validate(run_cli, vws, f)
    assert res.code == 1
    c = checks(res)
    assert c["nul_bytes"]["status"] == "FAIL" or c["encoding"]["status"] == "FAIL"


def test_unreadable_file(vws, run_cli, monkeypatch):
    f = vws / "in_secret.tsv"
    f.write_bytes(HEADER + ROWS)
    if os.geteuid() != 0:
        f.chmod(0)
    else:  # root reads anything: make the open fail as it would for an operator
        import snowetl_tui.data.sniff as sniff

        def denied(path):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(sniff, "detect_codec", denied)
    res = run_cli("--workspace", str(vws), "validate", str(f))
    assert res.code == 2
    assert res.err.strip() == f"snowetl-tui: error: {f}: permission denied"


def test_directory_and_missing_file(vws, run_cli):
    res = run_cli("--workspace", str(vws), "validate", str(vws))
    assert res.code == 2 and "is a directory" in res.err
    res = run_cli("--workspace", str(vws), "validate", str(vws / "in_missing.tsv"))
    assert res.code == 2 and "no such file" in res.err


def test_unmatched_file_says_how_to_fix(vws, run_cli):
    f = vws / "other.tsv"
    f.write_bytes(HEADER + ROWS)
    res = run_cli("--workspace", str(vws), "validate", str(f))
    assert res.code == 2
    assert "no config matches" in res.err and "config generate" in res.err


def test_wrong_types_nulls_and_dates(vws, run_cli):
    f = vws / "in_types.tsv"
    f.write_bytes(HEADER + b"x1\t2024-01-01\ta\n\t2024-01-02\tb\n3\t2024-13-01\tc\n")
    res = validate(run_cli, vws, f)
    assert res.code == 1
    c = checks(res)
    assert c["types"]["data"]["per_column"] == {"ID": 1}
    assert c["types"]["examples"][0]["line"] == 2
    assert c["not_null"]["data"]["per_column"] == {"ID": 1}
    assert c["dates"]["status"] == "FAIL" and c["dates"]["count"] == 1
    assert c["dates"]["examples"][0]["value"] == "2024-13-01"


def test_header_mismatch_names_missing_extra_and_moved(vws, run_cli):
    f = vws / "in_hdr.tsv"
    f.write_bytes(b"D\tID\tNAME\n" + b"2024-01-01\t1\ta\n")
    res = validate(run_cli, vws, f)
    hdr = checks(res)["header"]
    assert hdr["status"] == "FAIL" and "moved: ID, D" in hdr["message"]
    f.write_bytes(b"ID\tDAY\tNAME\tEXTRA\n" + b"1\t2024-01-01\ta\tz\n")
    hdr = checks(validate(run_cli, vws, f))["header"]
    assert "missing: D" in hdr["message"] and "extra: DAY, EXTRA" in hdr["message"]


def test_bad_chunk_size_is_a_usage_error(vws, run_cli):
    f = vws / "in_ok.tsv"
    f.write_bytes(HEADER + ROWS)
    res = run_cli("--workspace", str(vws), "validate", str(f), "--chunk-size", "lots")
    assert res.code == 2 and "not a size" in res.err
