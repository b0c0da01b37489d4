"""Validation against known truth: seeded defects, and an independent DuckDB computation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.demo import DemoManifest, FileTruth, create_demo_workspace
from snowetl_tui.validate.report import Report
from snowetl_tui.validate.runner import default_executor, plan_file, validate_file
from snowetl_tui.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return create_demo_workspace(tmp_path_factory.mktemp("demo") / "ws", size_mb=0.4, seed=3)


@pytest.fixture(scope="module")
def pool():
    with ThreadPoolExecutor(2) as ex:
        yield ex


def run(demo: DemoManifest, truth: FileTruth, executor: Any = None, **kw: Any) -> Report:
    reg = ConfigRegistry.load(Workspace.resolve(demo.workspace))
    m = reg.match(truth.path)
    assert m.entry is not None
    plan = plan_file(truth.path, m.entry, m.period, m.config_display)
    return validate_file(plan, executor=executor, **kw)


def file_of(demo: DemoManifest, start: str) -> FileTruth:
    return next(f for f in demo.files if start in f.path.name)


def comparable(report: Report) -> dict[str, Any]:
    data = report.as_dict()
    for key in ("seconds", "mb_per_s", "created_at"):
        data.pop(key)
    return data


def ragged_dates(truth: FileTruth) -> dict[date, int]:
    """Dates of the ragged rows (excluded from per-day counts: their fields cannot be trusted)."""
    out: dict[date, int] = {}
    lines = truth.path.read_bytes().split(b"\n")
    for n in truth.ragged_lines:
        d = date.fromisoformat(lines[n - 1].split(b"\t")[0].decode())
        out[d] = out.get(d, 0) + 1
    return out


@pytest.mark.parametrize("month", ["202401", "202402", "202403", "202404", "202405"])
def test_counts_equal_the_seeded_truth(demo, pool, month):
    truth = file_of(demo, f"_{month}01-")
    report = run(demo, truth, pool)
    assert report.rows == truth.rows
    expected = {d.isoformat(): n for d, n in truth.per_day.items()}
    for d, n in ragged_dates(truth).items():
        expected[d.isoformat()] -= n
    assert report.per_day == {d: n for d, n in expected.items() if n}
    cal = report.check("calendar")
    assert cal is not None
    assert cal.data.get("missing_days", []) == [d.isoformat() for d in truth.missing_days]
    assert (cal.status == "FAIL") == bool(truth.missing_days)
    dup = report.check("duplicates")
    assert dup is not None
    assert dup.count == truth.duplicate_excess_rows
    assert dup.data.get("duplicate_keys", 0) == len(truth.duplicate_keys)
    fc = report.check("field_count")
    assert fc is not None and fc.count == len(truth.ragged_lines)
    assert [e.line for e in fc.examples] == truth.ragged_lines
    assert report.verdict == ("fail" if (truth.missing_days or truth.duplicate_keys
                                         or truth.ragged_lines) else "pass")
    import gzip
    import hashlib
    raw = truth.path.read_bytes()
    if truth.compressed == "gzip":
        raw = gzip.decompress(raw)
    assert report.sha256 == hashlib.sha256(raw).hexdigest()


def test_duplicate_examples_point_at_the_duplicated_lines(demo, pool):
    truth = file_of(demo, "_20240301-")
    report = run(demo, truth, pool)
    dup = report.check("duplicates")
    lines = truth.path.read_text().split("\n")
    assert dup is not None and dup.examples
    for ex in dup.examples:
        d, loan = ex.value.split(" | ")
        listed = [int(x) for x in ex.detail.split("lines ")[1].rstrip(" …").split(", ")]
        for n in listed:
            fields = lines[n - 1].split("\t")
            assert (fields[0], fields[1]) == (d, loan)
    keys = {tuple(k) for k in truth.duplicate_keys}
    assert {tuple(e.value.split(" | ")) for e in dup.examples} <= keys


def test_duckdb_agrees(demo, pool):
    """A second, independent computation: DuckDB's CSV reader and SQL."""
    for truth in demo.files:
        if "factLending" not in truth.path.name:
            continue
        report = run(demo, truth, pool)
        src = (f"read_csv('{truth.path}', delim='\t', header=true, all_varchar=true, "
               "auto_detect=false, columns={" + ", ".join(
                   f"'c{i}': 'VARCHAR'" for i in range(40)) + "}, ignore_errors=true, "
               "store_rejects=true, quote='', escape='')")
        con = duckdb.connect()
        con.execute(f"create table t as select * from {src}")
        rejects = con.execute("select count(*) from reject_errors").fetchall()[0][0]
        per_day = dict(con.execute("select c0, count(*) from t group by 1").fetchall())
        dup_keys, excess = con.execute(
            "select count(*), coalesce(sum(n - 1), 0) from "
            "(select c0, c1, count(*) n from t group by 1, 2 having n > 1)").fetchall()[0]
        assert report.per_day == per_day
        fc = report.check("field_count")
        assert fc is not None and fc.count == rejects
        dup = report.check("duplicates")
        assert dup is not None
        assert dup.data.get("duplicate_keys", 0) == dup_keys
        assert dup.count == excess


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=st.integers(min_value=1024, max_value=64 << 20), workers=st.integers(1, 3),
       which=st.sampled_from(["_20240301-", "_20240401-", "_20240501-", "orders_"]))
def test_identical_for_any_chunk_size_and_worker_count(demo, chunk, workers, which):
    truth = file_of(demo, which)
    with ThreadPoolExecutor(1) as ex1:
        baseline = comparable(run(demo, truth, ex1, chunk_size=64 << 20))
    with ThreadPoolExecutor(workers) as ex:
        other = comparable(run(demo, truth, ex, chunk_size=chunk,
                               max_in_flight=workers + 1))
    assert other == baseline


def test_process_pool_gives_the_same_report(demo):
    truth = file_of(demo, "_20240301-")
    with ThreadPoolExecutor(1) as ex:
        threads = comparable(run(demo, truth, ex, chunk_size=50_000))
    pool = default_executor(2)
    try:
        procs = comparable(run(demo, truth, pool, chunk_size=50_000))
    finally:
        pool.shutdown()
    assert procs == threads


def test_progress_is_reported(demo, pool):
    truth = file_of(demo, "_20240101-")
    seen = []
    run(demo, truth, pool, chunk_size=20_000, progress=seen.append)
    assert seen
    last = seen[-1]
    assert last.bytes_done == last.bytes_total
    assert last.rows == truth.rows
