"""The demo workspace end to end: every file matches; generated configs check and match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snowetl_tui.demo.generator import create_demo_workspace

EXPECTED = {
    "factLendingBenchmark_20240101-20240131.tsv": ("FACT_LENDING_BENCHMARK", "2024-01-01",
                                                   "2024-01-31"),
    "factLendingBenchmark_20240201-20240229.tsv": ("FACT_LENDING_BENCHMARK", "2024-02-01",
                                                   "2024-02-29"),
    "factLendingBenchmark_20240301-20240331.tsv": ("FACT_LENDING_BENCHMARK", "2024-03-01",
                                                   "2024-03-31"),
    "factLendingBenchmark_20240401-20240430.tsv": ("FACT_LENDING_BENCHMARK", "2024-04-01",
                                                   "2024-04-30"),
    "factLendingBenchmark_20240501-20240531.tsv.gz": ("FACT_LENDING_BENCHMARK", "2024-05-01",
                                                      "2024-05-31"),
    "orders_2024-06.csv": ("ORDERS", "2024-06-01", "2024-06-30"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "ws"
    create_demo_workspace(root, size_mb=0.3, seed=11)
    return root


def test_demo_cli_creates_and_refuses_twice(tmp_path: Path, run_cli):
    res = run_cli("demo", str(tmp_path / "d"), "--size-mb", "0.2")
    assert res.code == 0, res.err
    assert "Demo workspace created" in res.out
    res = run_cli("demo", str(tmp_path / "d"), "--size-mb", "0.2")
    assert res.code == 2 and "already" in res.err and "Traceback" not in res.err


def test_every_demo_file_matches_its_table_and_period(demo: Path, run_cli):
    files = sorted(str(p) for p in (demo / "data").iterdir())
    assert sorted(Path(f).name for f in files) == sorted(EXPECTED)
    res = run_cli("--workspace", str(demo), "match", *files, "--json")
    assert res.code == 0, res.err
    for item in res.json():
        table, start, end = EXPECTED[Path(item["file"]).name]
        assert item["matched"] is True
        assert (item["table"], item["period_start"], item["period_end"]) == (table, start, end)
        assert item["config"] == "configs/demo.json"


def test_match_without_arguments_scans_the_workspace(demo: Path, run_cli):
    res = run_cli("--workspace", str(demo), "match", "--json")
    assert res.code == 0, res.err
    assert sorted(Path(i["file"]).name for i in res.json()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_generated_config_checks_and_matches(demo: Path, tmp_path: Path, run_cli, name: str):
    ws = tmp_path / "gen"
    (ws / "configs").mkdir(parents=True)
    data = demo / "data" / name
    res = run_cli("--workspace", str(ws), "config", "generate", str(data), "--write")
    assert res.code == 0, res.err
    written = list((ws / "configs").glob("*.json"))
    assert len(written) == 1
    entry = json.loads(written[0].read_text())["files"][0]
    table, _, _ = EXPECTED[name]
    assert entry["table_name"] == table
    assert entry["date_column"] in ("BUSINESS_DATE", "ORDER_DATE")
    assert entry["date_format"] == "%Y-%m-%d"
    assert entry["header"] is True
    res = run_cli("--workspace", str(ws), "config", "check")
    assert res.code == 0, res.err
    res = run_cli("--workspace", str(ws), "match", str(data), "--json")
    assert res.code == 0, res.err
    [item] = res.json()
    assert item["table"] == table and item["period_start"] == EXPECTED[name][1]
    # never overwrite without --force
    res = run_cli("--workspace", str(ws), "config", "generate", str(data), "--write")
    assert res.code == 2 and "already exists" in res.err
    res = run_cli("--workspace", str(ws), "config", "generate", str(data), "--write", "--force")
    assert res.code == 0


def test_generated_fact_config_types(demo: Path, run_cli):
    data = demo / "data" / "factLendingBenchmark_20240101-20240131.tsv"
    res = run_cli("config", "generate", str(data), "--json")
    entry = res.json()[0]["config"]["files"][0]
    types = {c["name"]: c["type"] for c in entry["columns"]}
    assert len(types) == 40
    assert types["BUSINESS_DATE"] == "DATE" and types["LOAN_ID"] == "INTEGER"
    assert types["UPDATED_AT"] == "TIMESTAMP" and types["IS_SECURED"] == "BOOLEAN"
    assert types["ORIGINAL_PRINCIPAL"].startswith("NUMBER(") and types["CURRENCY"] == "VARCHAR"
    assert entry["delimiter"] == "\t" and entry["calendar"] == {"days": "business"}
    csv_entry = run_cli("config", "generate", str(demo / "data" / "orders_2024-06.csv"),
                        "--json").json()[0]["config"]["files"][0]
    assert csv_entry["delimiter"] == "," and csv_entry["quote_char"] == '"'
    assert csv_entry["file_pattern"] == "orders_{month}.csv"


def test_generate_bad_input(tmp_path: Path, run_cli):
    empty = tmp_path / "empty_20240101.tsv"
    empty.write_text("")
    for args, words in [
        ([str(tmp_path / "missing.tsv")], "no such file"),
        ([str(tmp_path)], "is a directory"),
        ([str(empty)], "empty"),
    ]:
        res = run_cli("config", "generate", *args)
        assert res.code == 2 and words in res.err and "Traceback" not in res.err
