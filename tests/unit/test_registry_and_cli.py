"""Matching files against a workspace's configs, legacy configs, locate, schema, migrate."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.workspace import Workspace

CONFIG = {
    "version": 1,
    "files": [
        {"file_pattern": "orders_{month}.tsv", "table_name": "ORDERS",
         "expected_columns": ["ID", "D"], "date_column": "D"},
        {"file_pattern": "fact_{date_range}.tsv", "table_name": "FACT", "target": "prod"},
        {"file_pattern": "fact_special_{date_range}.tsv", "table_name": "FACT_SPECIAL"},
        {"file_pattern": "snap_{date}.csv", "table_name": "SNAP"},
    ],
}

LEGACY = {
    "snowflake": {"account": "acme-xy12345", "user": "LOADER", "password": "",
                  "warehouse": "LOAD_WH", "database": "RAW", "schema": "PUBLIC", "role": "LOADER"},
    "files": [
        {"file_pattern": "factLendingBenchmark_{date_range}.tsv",
         "table_name": "FACT_LENDING_BENCHMARK", "date_column": "BUSINESS_DATE",
         "expected_columns": ["BUSINESS_DATE", "LOAN_ID", "AMOUNT"],
         "duplicate_key_columns": ["BUSINESS_DATE", "LOAN_ID"],
         "delimiter": "\t", "quote_char": "", "file_format": "TSV_FORMAT"},
    ],
}


@pytest.fixture
def registry(ws: Path) -> ConfigRegistry:
    (ws / "configs" / "main.json").write_text(json.dumps(CONFIG))
    return ConfigRegistry.load(Workspace.resolve(ws))


def test_match_table_period_and_target(registry: ConfigRegistry):
    r = registry.match("/data/orders_2024-02.tsv.gz").as_dict()
    assert r["matched"] is True
    assert (r["table"], r["period_start"], r["period_end"]) == (
        "ORDERS", "2024-02-01", "2024-02-29"
    )
    assert r["config"] == "configs/main.json"
    assert r["target"] == "local"
    assert registry.match("fact_20240101-20240131.tsv").as_dict()["target"] == "prod"


def test_most_specific_pattern_wins(registry: ConfigRegistry):
    r = registry.match("fact_special_20240101-20240131.tsv")
    assert r.entry is not None and r.entry.table == "FACT_SPECIAL"


def test_unmatched_gets_ranked_suggestions_with_reasons(registry: ConfigRegistry):
    r = registry.match("orders_2024-13.tsv").as_dict()
    assert r["matched"] is False
    best = r["suggestions"][0]
    assert best["pattern"] == "orders_{month}.tsv"
    assert best["reason"] == "date part '2024-13' is not a month (expected YYYY-MM)"
    r = registry.match("snap_2024-03-05.csv").as_dict()
    assert r["suggestions"][0]["pattern"] == "snap_{date}.csv"
    assert "is not YYYYMMDD" in r["suggestions"][0]["reason"]


def test_match_cli_json_and_exit_codes(ws: Path, run_cli, tmp_path: Path):
    (ws / "configs" / "main.json").write_text(json.dumps(CONFIG))
    good = tmp_path / "orders_2024-03.tsv"
    bad = tmp_path / "orders_2024-3.tsv"
    good.write_text("ID\tD\n")
    bad.write_text("ID\tD\n")
    res = run_cli("--workspace", str(ws), "match", str(good), "--json")
    assert res.code == 0
    [item] = res.json()
    assert item == {
        "file": str(good), "matched": True, "config": "configs/main.json",
        "pattern": "orders_{month}.tsv", "table": "ORDERS", "target": "local",
        "period_start": "2024-03-01", "period_end": "2024-03-31",
    }
    res = run_cli("--workspace", str(ws), "match", str(good), str(bad), "--json")
    assert res.code == 1
    assert [i["matched"] for i in res.json()] == [True, False]
    res = run_cli("--workspace", str(ws), "match", str(bad))
    assert res.code == 1 and "not matched" in res.out and "orders_{month}.tsv" in res.out
    res = run_cli("--workspace", str(ws), "match", str(tmp_path / "missing.tsv"))
    assert res.code == 2 and "no such file" in res.err


def test_legacy_config_without_password_loads(ws: Path, run_cli):
    (ws / "configs" / "legacy.json").write_text(json.dumps(LEGACY))
    res = run_cli("--workspace", str(ws), "config", "check")
    assert res.code == 0, res.err
    assert "FACT_LENDING_BENCHMARK" in res.out
    reg = ConfigRegistry.load(Workspace.resolve(ws))
    entry = reg.entries[0]
    assert entry.target == "config:configs/legacy.json"
    assert entry.spec.delimiter == "\t" and entry.spec.quote_char == ""
    assert entry.spec.effective_quote is None


SECRET = "s3cr3t-Hunter2-!x"


def _legacy_with_password(ws: Path) -> Path:
    data = json.loads(json.dumps(LEGACY))
    data["snowflake"]["password"] = SECRET
    path = ws / "configs" / "legacy.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_plaintext_password_refused_and_never_shown(ws: Path, tmp_path: Path):
    """Real subprocess: the secret must not appear on stdout, stderr or in any log file."""
    _legacy_with_password(ws)
    env = {**os.environ, "HOME": str(tmp_path), "SNOWFLAKE_HOME": str(tmp_path / "sf")}
    for args in (["config", "check"], ["config", "check", "--json"], ["match", str(ws)]):
        proc = subprocess.run(
            [sys.executable, "-m", "snowetl_tui", "--workspace", str(ws), *args],
            capture_output=True, text=True, env=env, timeout=60,
        )
        assert proc.returncode == 2
        assert SECRET not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert "snowflake.password" in proc.stdout + proc.stderr
        assert "config migrate" in proc.stdout + proc.stderr
    for log in (ws / "logs").rglob("*"):
        if log.is_file():
            assert SECRET not in log.read_text(errors="replace")


def test_migrate_moves_the_secret_into_connections_toml(ws: Path, run_cli):
    cfg = _legacy_with_password(ws)
    res = run_cli("--workspace", str(ws), "config", "migrate", str(cfg), "--name", "lending")
    assert res.code == 0, res.err
    assert SECRET not in res.out + res.err
    toml_path = Path(os.environ["SNOWFLAKE_HOME"]) / "connections.toml"
    assert stat.S_IMODE(toml_path.stat().st_mode) == 0o600
    conn = tomllib.loads(toml_path.read_text())["lending"]
    assert conn["password"] == SECRET and conn["account"] == "acme-xy12345"
    assert conn["warehouse"] == "LOAD_WH" and conn["schema"] == "PUBLIC"
    migrated = json.loads(cfg.read_text())
    assert "snowflake" not in migrated and migrated["target"] == "lending"
    backup = cfg.with_name("legacy.json.bak")
    assert backup.exists() and SECRET not in backup.read_text()
    assert json.loads(backup.read_text())["snowflake"]["account"] == "acme-xy12345"
    # the migrated config now checks clean and targets the connection by name
    res = run_cli("--workspace", str(ws), "config", "check")
    assert res.code == 0, res.err
    assert ConfigRegistry.load(Workspace.resolve(ws)).entries[0].target == "lending"


def test_migrate_keeps_other_connections_and_refuses_a_clash(ws: Path, run_cli):
    toml_path = Path(os.environ["SNOWFLAKE_HOME"]) / "connections.toml"
    toml_path.parent.mkdir(parents=True)
    toml_path.write_text('# my connections\n[other]\naccount = "x"\n\n[lending]\naccount = "y"\n')
    cfg = _legacy_with_password(ws)
    res = run_cli("--workspace", str(ws), "config", "migrate", str(cfg), "--name", "lending")
    assert res.code == 2 and "already has a different connection 'lending'" in res.err
    assert json.loads(cfg.read_text())["snowflake"]["password"] == SECRET  # untouched
    res = run_cli("--workspace", str(ws), "config", "migrate", str(cfg), "--name", "lend2")
    assert res.code == 0, res.err
    text = toml_path.read_text()
    assert text.startswith("# my connections")
    data = tomllib.loads(text)
    assert set(data) == {"other", "lending", "lend2"}


def test_migrate_without_legacy_block(ws: Path, run_cli):
    cfg = ws / "configs" / "main.json"
    cfg.write_text(json.dumps(CONFIG))
    res = run_cli("--workspace", str(ws), "config", "migrate", str(cfg))
    assert res.code == 2 and "nothing to migrate" in res.err


def test_locate_json_lists_every_path(ws: Path, run_cli):
    res = run_cli("--workspace", str(ws), "locate", "--json")
    assert res.code == 0
    paths = res.json()
    assert paths["workspace"] == str(ws.resolve())
    assert paths["configs"] == str(ws.resolve() / "configs")
    assert paths["state"] == str(ws.resolve() / ".snowetl")
    assert paths["snowflake_connections"].endswith("connections.toml")
    assert {"logs", "store", "local_database", "engine_socket", "engine_pid", "spool"} <= set(paths)


def test_workspace_from_environment(ws: Path, run_cli, monkeypatch):
    monkeypatch.setenv("SNOWETL_WORKSPACE", str(ws))
    assert run_cli("locate", "--json").json()["workspace"] == str(ws.resolve())


def test_workspace_that_is_a_file(tmp_path: Path, run_cli):
    f = tmp_path / "f"
    f.write_text("")
    res = run_cli("--workspace", str(f), "locate")
    assert res.code == 2 and "is not a directory" in res.err


def test_schema_is_valid_json_schema_that_accepts_a_config(run_cli):
    jsonschema = pytest.importorskip("jsonschema")
    res = run_cli("config", "schema")
    schema = json.loads(res.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(CONFIG, schema)
    jsonschema.validate(LEGACY, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"files": [{"file_pattern": "x", "table_name": "T", "bogus": 1}]},
                            schema)


def test_version_and_help(run_cli):
    res = run_cli("--version")
    assert res.code == 0 and "snowetl-tui" in res.out
    for args in (["--help"], ["config", "--help"], ["match", "--help"], ["demo", "--help"],
                 ["config", "generate", "--help"], ["locate", "--help"]):
        res = run_cli(*args)
        assert res.code == 0 and "Usage:" in res.out


def test_usage_error_exit_2(run_cli):
    res = run_cli("match", "--bogus")
    assert res.code == 2
    res = run_cli("nosuchcommand")
    assert res.code == 2


def test_unexpected_error_is_one_line_and_logged_in_full(ws: Path, run_cli, monkeypatch):
    from snowetl_tui.config import registry as registry_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(registry_module.ConfigRegistry, "load", boom)
    res = run_cli("--workspace", str(ws), "match", str(ws))
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        f"snowetl-tui: internal error: disk on fire (details in {ws.resolve()}/logs/cli.log)"
    ]
    log = (ws / "logs" / "cli.log").read_text()
    assert "Traceback" in log and "RuntimeError: disk on fire" in log
