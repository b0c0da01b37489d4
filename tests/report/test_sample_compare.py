"""`snowetl-tui sample` and `compare`: correctness on files with known content, streaming
across blocks, compressed input, and bad input."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date
from pathlib import Path

from snowetl_tui.data import sample as sample_mod
from snowetl_tui.data.compare import key_overlap, scan_file
from snowetl_tui.data.sample import sample_file
from snowetl_tui.demo import write_fact_file
from tests.report.conftest import APR, FEB, JAN, MAR, ORDERS


def lines_of(path: Path) -> list[bytes]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.splitlines(keepends=True)


# -- sample ------------------------------------------------------------------------------------
def test_head_is_the_header_and_the_first_rows(demo: Path, run_cli):
    res = run_cli("--workspace", str(demo), "sample", str(demo / JAN), "--rows", "5")
    assert res.code == 0, res.err
    assert res.out.encode().splitlines(keepends=True) == lines_of(demo / JAN)[:6]
    res = run_cli("--workspace", str(demo), "sample", str(demo / JAN), "-n", "2", "--json")
    data = res.json()
    assert data["mode"] == "head" and data["columns"][:2] == ["BUSINESS_DATE", "LOAN_ID"]
    assert [r["line"] for r in data["rows"]] == [2, 3]
    assert data["rows"][0]["fields"] == lines_of(demo / JAN)[1].decode().rstrip("\n").split("\t")


def test_random_is_reproducible_with_a_seed_and_a_subset(demo: Path, run_cli):
    args = ("--workspace", str(demo), "sample", str(demo / JAN), "--random", "-n", "7")
    one = run_cli(*args, "--seed", "42")
    two = run_cli(*args, "--seed", "42")
    other = run_cli(*args, "--seed", "43")
    assert one.code == 0 and one.out == two.out and one.out != other.out
    assert "seed 42" in one.err
    got = one.out.encode().splitlines(keepends=True)
    source = lines_of(demo / JAN)
    assert got[0] == source[0] and len(got) == 8
    positions = [source.index(line) for line in got[1:]]
    assert positions == sorted(positions) and len(set(positions)) == 7  # file order, distinct
    unseeded = run_cli(*args)
    assert "--seed" in unseeded.err  # the drawn seed is printed so it can be repeated


def test_gz_samples_like_the_plain_file(demo: Path, tmp_path: Path, run_cli):
    gz = tmp_path / (Path(JAN).name + ".gz")
    gz.write_bytes(gzip.compress((demo / JAN).read_bytes()))
    for extra in ((), ("--random", "--seed", "9")):
        plain = run_cli("--workspace", str(demo), "sample", str(demo / JAN), *extra)
        packed = run_cli("--workspace", str(demo), "sample", str(gz), *extra)
        assert packed.code == 0 and packed.out == plain.out


def test_random_sample_is_uniform_across_blocks(demo: Path, monkeypatch):
    """Small blocks force many record-aligned pieces; fixed seeds keep the check exact."""
    monkeypatch.setattr(sample_mod, "BLOCK", 4096)
    path = demo / JAN
    rows = len(lines_of(path)) - 1
    buckets: Counter[int] = Counter()
    for seed in range(400):
        s = sample_file(path, rows=5, randomly=True, seed=seed)
        assert s.rows_seen == rows and len({r.index for r in s.rows}) == 5
        for r in s.rows:
            assert r.raw == lines_of(path)[r.line - 1]
            buckets[r.index * 10 // rows] += 1
    assert all(150 <= buckets[b] <= 250 for b in range(10)), buckets  # 200 expected each


def test_quoted_newlines_are_never_cut(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sample_mod, "BLOCK", 64)
    f = tmp_path / "q.csv"
    rows = [f'{i},"line one\nline two of {i}",x\n' for i in range(50)]
    f.write_text("ID,NOTE,FLAG\n" + "".join(rows))
    s = sample_file(f, rows=50)
    assert [r.raw.decode() for r in s.rows] == rows
    assert [r.line for r in s.rows] == [2 + 2 * i for i in range(50)]
    assert s.fields(s.rows[3]) == ["3", "line one\nline two of 3", "x"]
    r = sample_file(f, rows=4, randomly=True, seed=1)
    assert all(row.raw.decode() in rows for row in r.rows)


def test_more_rows_than_the_file_and_no_final_newline(tmp_path: Path):
    f = tmp_path / "t.tsv"
    f.write_bytes(b"A\tB\n1\t2\n3\t4")
    for randomly in (False, True):
        s = sample_file(f, rows=10, randomly=randomly, seed=1)
        assert [r.raw for r in s.rows] == [b"1\t2\n", b"3\t4"]
        assert b"".join(s.raw_bytes()) == b"A\tB\n1\t2\n3\t4\n"


def test_sample_bad_input(demo: Path, tmp_path: Path, run_cli):
    base = ("--workspace", str(demo), "sample")
    res = run_cli(*base, str(tmp_path / "nope.tsv"))
    assert res.code == 2 and "no such file" in res.err
    res = run_cli(*base, str(tmp_path))
    assert res.code == 2 and "is a directory" in res.err
    res = run_cli(*base, str(demo / JAN), "--seed", "3")
    assert res.code == 2 and "--seed only applies to --random" in res.err
    truncated = tmp_path / "t.tsv.gz"
    data = gzip.compress((demo / JAN).read_bytes() * 20)
    truncated.write_bytes(data[: len(data) // 2])
    res = run_cli(*base, str(truncated), "--random")
    assert res.code == 2 and "truncated compressed data" in res.err and str(truncated) in res.err
    corrupt = tmp_path / "c.tsv.gz"
    corrupt.write_bytes(b"\x1f\x8b" + b"\x00garbage" * 50)
    res = run_cli(*base, str(corrupt))
    assert res.code == 2 and str(corrupt) in res.err
    empty = tmp_path / "e.tsv"
    empty.write_bytes(b"")
    res = run_cli(*base, str(empty))
    assert res.code == 0 and "no data rows" in res.err
    for r in (res,):
        assert "Traceback" not in r.err


# -- compare -------------------------------------------------------------------------------------
def compare(run_cli, ws: Path, a: Path, b: Path, *extra: str):
    res = run_cli("--workspace", str(ws), "compare", str(a), str(b), "--json", *extra)
    assert "Traceback" not in res.err, res.err
    return res


def test_same_content_plain_and_gz(demo: Path, tmp_path: Path, run_cli):
    gz = tmp_path / "copy.tsv.gz"
    gz.write_bytes(gzip.compress((demo / JAN).read_bytes()))
    res = compare(run_cli, demo, demo / JAN, gz)
    assert res.code == 0, res.out
    r = res.json()
    assert r["same"] and r["identical_content"] and r["differences"] == []
    assert r["keys"]["in_both"] == r["keys"]["distinct_a"] == r["rows"]["a"]
    assert r["a"]["codec"] == "none" and r["b"]["codec"] == "gzip"
    text = run_cli("--workspace", str(demo), "compare", str(demo / JAN), str(gz))
    assert text.code == 0 and "✓ no difference" in text.out


def test_a_lost_day_shows_in_rows_days_and_keys(tmp_path: Path, demo: Path, run_cli):
    lost = date(2024, 1, 17)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_fact_file(tmp_path / "a" / "factLendingBenchmark_20240101-20240131.tsv",
                        date(2024, 1, 1), date(2024, 1, 31), rows_per_day=30, seed=4)
    b = write_fact_file(tmp_path / "b" / "factLendingBenchmark_20240101-20240131.tsv",
                        date(2024, 1, 1), date(2024, 1, 31), rows_per_day=30, seed=4,
                        missing_days=[lost])
    res = compare(run_cli, demo, a.path, b.path)  # key and date column from demo.json
    assert res.code == 1
    r = res.json()
    gone = a.per_day[lost]
    assert r["rows"] == {"a": a.rows, "b": b.rows, "difference": -gone}
    assert r["per_day"]["days_only_in_a"] == [lost.isoformat()]
    assert r["per_day"]["differences"] == [{"day": lost.isoformat(), "a": gone, "b": 0,
                                            "difference": -gone}]
    k = r["keys"]
    assert (k["only_in_a"], k["only_in_b"], k["in_both"]) == (gone, 0, b.rows)
    assert all(e.startswith("2024-01-17 | ") for e in k["examples_only_in_a"])
    assert len(k["examples_only_in_a"]) == 5


def test_duplicates_ragged_rows_and_columns(demo: Path, tmp_path: Path, run_cli):
    r = compare(run_cli, demo, demo / JAN, demo / MAR).json()
    assert r["keys"]["duplicate_rows_b"] == 25 and r["keys"]["duplicate_rows_a"] == 0
    ragged = compare(run_cli, demo, demo / JAN, demo / APR).json()
    assert ragged["b"]["field_count"]["bad_rows"] == 1
    truth_line = next(i + 1 for i, line in enumerate(lines_of(demo / APR))
                      if line.count(b"\t") == 38)
    assert ragged["b"]["field_count"]["examples"] == [{"line": truth_line, "fields": 39}]
    assert any("B: 1 row does not have 40 fields" in d for d in ragged["differences"])
    # a column dropped from B
    src = lines_of(demo / FEB)
    dropped = tmp_path / "dropped.tsv"
    dropped.write_bytes(b"".join(b"\t".join(line.rstrip(b"\n").split(b"\t")[:-1]) + b"\n"
                                 for line in src))
    r = compare(run_cli, demo, demo / FEB, dropped).json()
    assert r["columns"] == {"same": False, "only_in_a": ["UPDATED_AT"], "only_in_b": [],
                            "moved": []}
    assert r["rows"]["difference"] == 0


def test_options_override_and_bad_input(demo: Path, tmp_path: Path, run_cli):
    r = compare(run_cli, demo, demo / ORDERS, demo / ORDERS, "--key", "ORDER_ID",
                "--date-column", "ORDER_DATE").json()
    assert r["same"] and r["keys"]["columns"] == ["ORDER_ID"] and r["per_day"]["days_a"] == 30
    res = compare(run_cli, demo, demo / JAN, demo / ORDERS, "--key", "LOAN_ID")
    assert res.code == 2 and "no column 'LOAN_ID' (key column)" in res.err
    assert str(demo / ORDERS) in res.err
    res = compare(run_cli, demo, demo / JAN, tmp_path / "missing.tsv")
    assert res.code == 2 and "missing.tsv: no such file" in res.err
    res = compare(run_cli, demo, demo / JAN, demo / JAN, "--key", " , ")
    assert res.code == 2 and "--key" in res.err
    bad = tmp_path / "bad.tsv.gz"
    data = gzip.compress((demo / JAN).read_bytes() * 30)
    bad.write_bytes(data[: len(data) // 2])
    res = compare(run_cli, demo, demo / JAN, bad)
    assert res.code == 2 and "truncated compressed data" in res.err and str(bad) in res.err


def test_key_overlap_does_not_depend_on_the_partitioning(demo: Path, tmp_path: Path):
    """Tiny partitions (many passes) give the counts of one big partition."""
    from concurrent.futures import ThreadPoolExecutor

    from snowetl_tui.data.compare import _kernel_spec, _names
    from snowetl_tui.data.sniff import sniff_file

    scans = []
    with ThreadPoolExecutor(2) as pool:
        for name, f in (("a", demo / JAN), ("b", demo / MAR)):
            fmt = sniff_file(f)
            names = _names(fmt, None)
            spec = _kernel_spec(fmt, names, None, "%Y-%m-%d", (1,))  # LOAN_ID only
            (tmp_path / name).mkdir()
            scans.append(scan_file(f, fmt, spec, executor=pool, workers=2, chunk_size=16384,
                                   spill_dir=str(tmp_path / name)))
    a, b = scans
    assert len(a.spill_files) > 5  # many chunks
    big = key_overlap(a.spill_files, a.keyed_rows, b.spill_files, b.keyed_rows)
    small = key_overlap(a.spill_files, a.keyed_rows, b.spill_files, b.keyed_rows,
                        partition_bytes=256)
    ids_a = {line.split(b"\t")[1] for line in lines_of(demo / JAN)[1:]}
    ids_b = {line.split(b"\t")[1] for line in lines_of(demo / MAR)[1:]}
    for ov in (big, small):
        assert (ov.distinct_a, ov.distinct_b, ov.in_both) == (len(ids_a), len(ids_b),
                                                              len(ids_a & ids_b))
    assert big.only_a_offsets == small.only_a_offsets


def test_compare_json_is_stable_for_scripts(demo: Path, run_cli):
    r = compare(run_cli, demo, demo / JAN, demo / JAN).json()
    assert set(r) == {"compare_version", "identical_content", "a", "b", "columns", "rows",
                      "per_day", "keys", "differences", "same", "seconds"}
    json.dumps(r)
