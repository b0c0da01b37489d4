"""Loads into the embedded DuckDB target, end to end, including crashes at every step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.load.ledger import Ledger

FACT = "FACT_LENDING_BENCHMARK"
JAN = "data/factLendingBenchmark_20240101-20240131.tsv"
FEB = "data/factLendingBenchmark_20240201-20240229.tsv"
MAR = "data/factLendingBenchmark_20240301-20240331.tsv"
APR = "data/factLendingBenchmark_20240401-20240430.tsv"
MAY = "data/factLendingBenchmark_20240501-20240531.tsv.gz"
ORDERS = "data/orders_2024-06.csv"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tpl") / "ws"
    create_demo_workspace(root, size_mb=0.3, seed=5)
    return root


@pytest.fixture
def demo(template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(template, dst)
    return dst


def rows_by_month(ws: Path, table: str = FACT) -> dict[str, int]:
    db = ws / ".snowetl" / "local.duckdb"
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_name = ?",
                             [table]).fetchone()[0]
        if not exists:
            return {}
        date_col = "BUSINESS_DATE" if table == FACT else "ORDER_DATE"
        rows = con.execute(f"select strftime({date_col}, '%Y-%m'), count(*) from {table} "
                           "group by 1").fetchall()
    finally:
        con.close()
    return dict(rows)


def duplicates(ws: Path) -> int:
    con = duckdb.connect(str(ws / ".snowetl" / "local.duckdb"), read_only=True)
    try:
        return con.execute(f"select count(*) from (select BUSINESS_DATE, LOAN_ID from {FACT} "
                           "group by all having count(*) > 1)").fetchone()[0]
    finally:
        con.close()


def data_rows(path: Path) -> int:
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.count(b"\n") - 1


def test_demo_end_to_end(demo: Path, run_cli):
    res = run_cli("--workspace", str(demo), "load", "--foreground", *[str(demo / f) for f in
                                                       (JAN, FEB, MAR, APR, MAY, ORDERS)],
                  "--json")
    assert res.code == 1  # three files are stopped before COPY
    by_file = {Path(r["file"]).name: r for r in res.json()}
    for name in (JAN, MAY, ORDERS):
        r = by_file[Path(name).name]
        assert r["state"] == "succeeded", r["error"]
        assert r["rows_loaded"] == r["rows_validated"] == data_rows(demo / name)
    for name, finding in ((FEB, "calendar"), (MAR, "duplicates"), (APR, "field_count")):
        r = by_file[Path(name).name]
        assert r["state"] == "failed" and "nothing was loaded" in r["error"]
        assert finding in r["error"]
        assert r["report"]["verdict"] == "fail"
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN),
                                   "2024-05": data_rows(demo / MAY)}
    assert rows_by_month(demo, "ORDERS") == {"2024-06": data_rows(demo / ORDERS)}
    # the ledger lists exactly the three loads
    res = run_cli("--workspace", str(demo), "tables", "--json")
    listed = sorted((i["table"], i["period_start"], i["rows"]) for i in res.json())
    assert listed == sorted([
        (FACT, "2024-01-01", data_rows(demo / JAN)), (FACT, "2024-05-01", data_rows(demo / MAY)),
        ("ORDERS", "2024-06-01", data_rows(demo / ORDERS))])
    assert all(len(i["sha256"]) == 64 for i in res.json())


def test_second_load_refused_and_replace_keeps_one_copy(demo: Path, run_cli):
    jan = str(demo / JAN)
    assert run_cli("--workspace", str(demo), "load", "--foreground", jan).code == 0
    res = run_cli("--workspace", str(demo), "load", "--foreground", jan, "--json")
    assert res.code == 1
    [r] = res.json()
    assert r["state"] == "refused" and "already loaded" in r["error"]
    assert "--replace" in r["error"]
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN)}
    res = run_cli("--workspace", str(demo), "load", "--foreground", jan, "--replace", "--json")
    assert res.code == 0, res.out
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN)}
    assert duplicates(demo) == 0
    ledger = Ledger(demo / ".snowetl" / "store.sqlite")
    states = sorted(r.state for r in ledger.loads())
    assert states == ["deleted", "succeeded"]
    actions = [a["action"] for a in ledger.audit_records()]
    assert actions.count("load") == 1 and actions.count("replace") == 1
    assert actions.count("refused") == 1


def test_other_file_for_a_loaded_period_is_refused(demo: Path, run_cli):
    jan = demo / JAN
    assert run_cli("--workspace", str(demo), "load", "--foreground", str(jan)).code == 0
    other = demo / "other" / jan.name
    other.parent.mkdir()
    other.write_bytes(jan.read_bytes().replace(b"\n2024-01-31\t", b"\n2024-01-31\t", 1) + b"")
    # same content under another path: refused as the same file
    res = run_cli("--workspace", str(demo), "load", "--foreground", str(other), "--json")
    assert res.json()[0]["state"] == "refused"


def test_dry_run_loads_nothing(demo: Path, run_cli):
    res = run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN),
                  "--dry-run", "--json")
    assert res.code == 0
    assert res.json()[0]["state"] == "validated"
    assert rows_by_month(demo) == {}


def test_delete_period(demo: Path, run_cli):
    assert run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN),
                   str(demo / MAY)).code == 0
    res = run_cli("--workspace", str(demo), "delete", "--foreground", "--table", FACT,
                  "--period", "2024-05",
                  "--yes", "--json")
    assert res.code == 0, res.err
    assert res.json()["rows_deleted"] == data_rows(demo / MAY)
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN)}
    audit = Ledger(demo / ".snowetl" / "store.sqlite").audit_records()
    assert audit[-1]["action"] == "delete" and audit[-1]["rows"] == data_rows(demo / MAY)
    # the period can be loaded again after the delete
    assert run_cli("--workspace", str(demo), "load", "--foreground", str(demo / MAY)).code == 0


def test_delete_asks_and_defaults_to_no(demo: Path, run_cli, monkeypatch):
    assert run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN)).code == 0
    monkeypatch.setattr("snowetl_tui.cli.load_cmds.can_ask", lambda: True)
    res = run_cli("--workspace", str(demo), "delete", "--foreground", "--table", FACT,
                  "--period", "2024-01",
                  input="\n")
    assert "Delete" in res.out and "[y/N]" in res.out
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN)}
    res = run_cli("--workspace", str(demo), "delete", "--foreground", "--table", FACT,
                  "--period", "2024-13",
                  "--yes")
    assert res.code == 2 and "--period" in res.err


def _config(demo: Path) -> dict:
    return json.loads((demo / "configs" / "demo.json").read_text())


def test_missing_table_without_create_table(demo: Path, run_cli):
    cfg = _config(demo)
    cfg["files"][0]["load"]["create_table"] = False
    (demo / "configs" / "demo.json").write_text(json.dumps(cfg))
    res = run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN), "--json")
    assert res.code == 1
    err = res.json()[0]["error"]
    assert "does not exist" in err and "create_table" in err
    assert rows_by_month(demo) == {}


def test_column_mismatch(demo: Path, run_cli):
    db = duckdb.connect(str(demo / ".snowetl" / "local.duckdb"))
    db.execute(f"create table {FACT} (BUSINESS_DATE date, SOMETHING varchar)")
    db.close()
    res = run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN), "--json")
    assert res.code == 1
    err = res.json()[0]["error"]
    assert "does not match" in err and "never altered" in err
    assert rows_by_month(demo) == {}


def test_file_changed_between_validate_and_copy(demo: Path):
    from snowetl_tui.config.registry import ConfigRegistry
    from snowetl_tui.load.pipeline import Loader
    from snowetl_tui.workspace import Workspace

    ws = Workspace.resolve(demo)
    target = demo / JAN

    def emit(kind: str, data: dict) -> None:
        if kind == "step" and data["step"] == "decide":
            st = target.stat()
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:
        res = Loader(ws, ConfigRegistry.load(ws), executor=ex, emit=emit).load(target)
    assert res.state == "failed" and "changed after it was validated" in res.error
    assert rows_by_month(demo) == {}


KILL_POINTS = ["read", "copy_in_transaction", "copy_submitted", "copied", "cleanup"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_then_rerun_loads_exactly_once(demo: Path, point: str):
    cmd = [sys.executable, "-m", "snowetl_tui", "--workspace", str(demo), "load",
           "--foreground", str(demo / JAN), "--chunk-size", "20KB", "--workers", "2", "--json"]
    env = {**os.environ, "SNOWETL_FAULT": point}
    crashed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == -9, crashed.stderr
    env.pop("SNOWETL_FAULT")
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    [r] = json.loads(again.stdout)
    assert r["state"] == "succeeded"
    assert rows_by_month(demo) == {"2024-01": data_rows(demo / JAN)}
    assert duplicates(demo) == 0
    ledger = Ledger(demo / ".snowetl" / "store.sqlite")
    loads = ledger.loads()
    assert [x.state for x in loads] == ["succeeded"]
    assert loads[0].rows_loaded == loads[0].rows_validated == data_rows(demo / JAN)
    # and a third run is refused: the ledger knows the file is in
    third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 1 and json.loads(third.stdout)[0]["state"] == "refused"
