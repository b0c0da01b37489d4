"""The load pipeline against Snowflake: the real connector, a fakesnow server on 127.0.0.1.

Covers the staged path end to end: validate + compress in one read, PUT while reading, COPY
submitted asynchronously and polled (with an injected RUNNING phase), reconciliation, cleanup,
refusal of a second load, replace, and SIGKILL of the loader at each durable step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.load.ledger import Ledger
from tests.warehouse.conftest import CONTROL, start_fakesnow, write_connections

JAN = "data/factLendingBenchmark_20240101-20240131.tsv"
FEB = "data/factLendingBenchmark_20240201-20240229.tsv"
MAY = "data/factLendingBenchmark_20240501-20240531.tsv.gz"


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs:
        yield kwargs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tpl") / "ws"
    create_demo_workspace(root, size_mb=0.4, seed=9)
    return root


@pytest.fixture
def sf(template: Path, tmp_path: Path, server: dict[str, Any], monkeypatch) -> dict[str, Any]:
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    db = "D_" + uuid.uuid4().hex[:8].upper()
    home = tmp_path / "sfhome"
    params = {**server, "database": db, "schema": "PUBLIC"}
    write_connections(home, {"fake": params})
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    cfg = json.loads((ws / "configs" / "demo.json").read_text())
    cfg["target"] = "fake"
    (ws / "configs" / "demo.json").write_text(json.dumps(cfg))
    CONTROL.reset()
    return {"ws": ws, "db": db, "params": params, "home": home}


def query(sf: dict[str, Any], sql: str) -> list[tuple]:
    import snowflake.connector

    con = snowflake.connector.connect(**sf["params"])
    try:
        return con.cursor().execute(sql).fetchall()
    finally:
        con.close()


def month_rows(sf: dict[str, Any]) -> dict[str, int]:
    try:
        rows = query(sf, "SELECT BUSINESS_DATE AS d, COUNT(*) AS n "
                         "FROM FACT_LENDING_BENCHMARK GROUP BY 1")
    except Exception:
        return {}
    out: dict[str, int] = {}
    for d, n in rows:
        key = str(d)[:7]
        out[key] = out.get(key, 0) + int(n)
    return out


def duplicate_keys(sf: dict[str, Any]) -> int:
    return int(query(sf, "SELECT COUNT(*) AS n FROM (SELECT BUSINESS_DATE, LOAN_ID FROM "
                         "FACT_LENDING_BENCHMARK GROUP BY 1, 2 HAVING COUNT(*) > 1)")[0][0])


def data_rows(path: Path) -> int:
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.count(b"\n") - 1


def staged(sf: dict[str, Any]) -> list[str]:
    return [r[0] for r in query(sf, "LIST @SNOWETL_STAGE")]


def test_load_stage_copy_reconcile(sf, run_cli):
    ws = sf["ws"]
    CONTROL.running_polls = 2  # the COPY is RUNNING for two polls before it succeeds
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / JAN), str(ws / MAY),
                  "--json",
                  "--part-size", "64KB", "--chunk-size", "32KB")
    assert res.code == 0, res.out + res.err
    for r in res.json():
        assert r["state"] == "succeeded", r["error"]
        assert r["parts"] >= 2
        expected = data_rows(ws / Path(r["file"]).relative_to(ws))
        assert r["rows_loaded"] == r["rows_validated"] == expected
    assert month_rows(sf) == {"2024-01": data_rows(ws / JAN), "2024-05": data_rows(ws / MAY)}
    puts = [s for s in CONTROL.statements if s.lstrip().upper().startswith("PUT")]
    assert puts and all("OVERWRITE=FALSE" in p.upper() for p in puts)
    assert all(p.rstrip().count(".tsv.zst") for p in puts)
    assert not (ws / ".snowetl" / "spool").exists() or not any(
        (ws / ".snowetl" / "spool").glob("L*/*"))


def test_async_copy_is_polled_through_a_running_phase(sf, run_cli):
    ws = sf["ws"]
    CONTROL.running_polls = 2
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / JAN), "--json")
    assert res.code == 0, res.out + res.err
    [r] = res.json()
    assert r["state"] == "succeeded" and r["parts"] == 1
    # RUNNING, RUNNING, then SUCCEEDED for the COPY's query id
    assert CONTROL.poll_counts.get(r["query_id"], 0) >= 3
    ledger = Ledger(ws / ".snowetl" / "store.sqlite")
    assert ledger.loads()[0].query_id == r["query_id"]
    assert month_rows(sf) == {"2024-01": data_rows(ws / JAN)}


def test_second_load_refused_replace_keeps_one_copy(sf, run_cli):
    ws = sf["ws"]
    args = ("--workspace", str(ws), "load", "--foreground", str(ws / JAN), "--json",
            "--part-size", "64KB",
            "--chunk-size", "32KB")
    assert run_cli(*args).code == 0
    res = run_cli(*args)
    assert res.code == 1 and res.json()[0]["state"] == "refused"
    res = run_cli(*args, "--replace")
    assert res.code == 0, res.out
    assert month_rows(sf) == {"2024-01": data_rows(ws / JAN)}
    assert duplicate_keys(sf) == 0


def test_invalid_file_is_stopped_before_copy(sf, run_cli):
    ws = sf["ws"]
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / FEB), "--json")
    assert res.code == 1
    [r] = res.json()
    assert r["state"] == "failed" and "calendar" in r["error"]
    assert not any("COPY INTO" in s.upper() for s in CONTROL.statements)
    assert month_rows(sf) == {}


def test_unknown_connection_name(sf, run_cli):
    ws = sf["ws"]
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / JAN), "--target",
                  "nosuch",
                  "--json")
    assert res.code == 1
    err = res.json()[0]["error"]
    assert "unknown connection 'nosuch'" in err and "fake" in err
    assert sf["params"]["password"] not in res.out + res.err


def test_unreachable_account(sf, run_cli, monkeypatch):
    from tests.warehouse.conftest import free_port

    ws = sf["ws"]
    write_connections(sf["home"], {"fake": {**sf["params"], "port": free_port(),
                                            "login_timeout": 2, "network_timeout": 2}})
    from snowetl_tui.load import pipeline

    monkeypatch.setattr(pipeline.Loader, "_retry",
                        lambda self, fn, attempts=1: fn())  # no backoff waits in the test
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / JAN), "--json")
    assert res.code == 1
    [r] = res.json()
    assert r["state"] == "failed" and "fake" in r["error"]
    assert "Traceback" not in res.out + res.err


KILL_POINTS = ["read", "staged", "copy_submitted", "copied", "cleanup"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_at_each_step_then_rerun(sf, point):
    ws = sf["ws"]
    cmd = [sys.executable, "-m", "snowetl_tui", "--workspace", str(ws), "load", "--foreground",
           str(ws / JAN),
           "--json", "--part-size", "64KB", "--chunk-size", "32KB", "--workers", "2"]
    env = {**os.environ, "SNOWETL_FAULT": point, "SNOWFLAKE_HOME": str(sf["home"])}
    crashed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    env.pop("SNOWETL_FAULT")
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    [r] = json.loads(again.stdout)
    assert r["state"] == "succeeded"
    assert month_rows(sf) == {"2024-01": data_rows(ws / JAN)}
    assert duplicate_keys(sf) == 0
    loads = Ledger(ws / ".snowetl" / "store.sqlite").loads()
    assert [x.state for x in loads] == ["succeeded"]
    parts = Ledger(ws / ".snowetl" / "store.sqlite").parts(loads[0].load_id)
    assert parts and all(p.state == "staged" for p in parts)
    assert sum(p.rows for p in parts) == data_rows(ws / JAN)


def test_spool_full_fails_cleanly(sf, run_cli, monkeypatch):
    import errno

    from snowetl_tui.load import parts

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(parts.shutil, "copyfileobj", full)
    ws = sf["ws"]
    res = run_cli("--workspace", str(ws), "load", "--foreground", str(ws / JAN), "--json",
                  "--part-size", "64KB",
                  "--chunk-size", "32KB")
    assert res.code == 1
    [r] = res.json()
    assert r["state"] == "failed" and "spool" in r["error"] and "is full" in r["error"]
    assert "Traceback" not in res.out + res.err
    assert month_rows(sf) == {}
