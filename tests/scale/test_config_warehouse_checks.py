"""The config options of the warehouse-side checks: ``warehouse_checks`` and ``stage_file_format``.

* ``warehouse_checks: true`` — every load of the entry (a file, or staged files) runs the full
  period report inside the warehouse at the reconcile step, on the load's connection, and the
  result carries it as ``warehouse_report`` (and so do the job result and the job report). A
  clean month passes; an anomaly file validation only warns about is in it; rows changed under
  the load (counts and keys intact, so plain reconciliation cannot see it) FAIL it, which fails
  the load like a reconciliation mismatch and leaves the COPY committed for ``delete``.
* ``stage_file_format: NAME`` — the named Snowflake file format staged files of the entry are
  read and copied through when ``--file-format`` is not given (statements checked as text:
  fakesnow cannot read staged files).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest

from snowetl_tui.config.patterns import parse_period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.load.pipeline import Loader, LoadResult
from snowetl_tui.load.stage_load import StageGroup, check_staged, stage_format_name
from snowetl_tui.report.job_report import build_job_report, load_schema
from snowetl_tui.warehouse.base import PartToCopy, StagedFile, TableRef
from snowetl_tui.warehouse.duckdb_local import DuckDBWarehouse
from snowetl_tui.workspace import Workspace
from tests.scale.conftest import FACT, JAN, MAY, THIN_DAY, findings
from tests.warehouse.conftest import CONTROL, start_fakesnow, write_connections

WHO = ("tester", "testhost")
IN_RANGE = {"name": "stage_in_range", "kind": "row", "sql": "IFRS9_STAGE BETWEEN 1 AND 3",
            "severity": "critical"}


def set_entry(ws: Path, **changes: Any) -> None:
    """Edit the fact entry of the demo config, as an operator would."""
    path = ws / "configs" / "demo.json"
    cfg = json.loads(path.read_text())
    cfg["files"][0].update(changes)
    path.write_text(json.dumps(cfg, indent=2))


def load(ws: Path, name: str, emit: Any = None) -> LoadResult:
    workspace = Workspace.resolve(str(ws))
    with ThreadPoolExecutor(2) as pool:
        return Loader(workspace, ConfigRegistry.load(workspace), executor=pool,
                      emit=emit).load(ws / "data" / name)


def table_months(ws: Path) -> dict[str, int]:
    con = duckdb.connect(str(ws / ".snowetl" / "local.duckdb"), read_only=True)
    try:
        return dict(con.execute(f"SELECT strftime(BUSINESS_DATE, '%Y-%m'), count(*) FROM {FACT} "
                                "GROUP BY 1").fetchall())
    finally:
        con.close()


def schema_valid(report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker()
                                    ).validate(report)


def one_line(res: Any) -> str:
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert "Traceback" not in res.err + res.out
    return lines[0]


# -- the config keys ---------------------------------------------------------------------------
def test_config_schema_documents_both_keys(scale_ws, run_cli):
    res = run_cli("config", "schema")
    assert res.code == 0, res.err
    schema = res.json()
    props = schema["$defs"]["FileEntry"]["properties"]
    assert props["warehouse_checks"]["type"] == "boolean"
    assert props["warehouse_checks"]["default"] is False
    assert "reconcile" in props["warehouse_checks"]["description"]
    assert "--file-format" in props["stage_file_format"]["description"]
    # an editor pointed at the schema accepts the real config with both keys, flags a bad name
    set_entry(scale_ws, warehouse_checks=True, stage_file_format="RAW.LANDING.FMT_TSV")
    cfg = json.loads((scale_ws / "configs" / "demo.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(cfg)) == []
    cfg["files"][0]["stage_file_format"] = "FMT'); DROP TABLE X; --"
    [error] = validator.iter_errors(cfg)
    assert list(error.absolute_path) == ["files", 0, "stage_file_format"]
    # and the tool itself reads the good one back
    entry = next(e for e in ConfigRegistry.load(Workspace.resolve(str(scale_ws))).entries
                 if e.table == FACT)
    assert entry.spec.warehouse_checks is True
    assert entry.spec.stage_file_format == "RAW.LANDING.FMT_TSV"


# -- warehouse_checks on the local target ---------------------------------------------------------
def test_a_clean_month_carries_a_passing_warehouse_report(scale_ws):
    set_entry(scale_ws, rules=[], warehouse_checks=True)
    res = load(scale_ws, MAY)
    assert res.state == "succeeded", res.error
    wr = res.warehouse_report
    assert wr is not None and wr.verdict == "pass"
    assert wr.file == f"{FACT} on local"
    assert wr.format["checked_in"] == "warehouse" and wr.format["source"] == "table"
    assert (wr.period_start, wr.period_end) == ("2024-05-01", "2024-05-31")
    # what the warehouse counted is what the file held, day by day
    assert wr.per_day == res.report.per_day and wr.rows == res.rows_loaded
    assert {c.name for c in wr.checks} >= {"rows", "calendar", "anomalies", "duplicates"}
    assert res.as_dict()["warehouse_report"] == wr.as_dict()
    job_report = build_job_report(kind="load", validation=res.report.as_dict(),
                                  result=res.as_dict(), who=WHO)
    schema_valid(job_report)
    assert job_report["warehouse_report"]["verdict"] == "pass"
    assert job_report["reconciliation"]["status"] == "ok"


def test_without_the_option_nothing_runs_and_the_key_stays_out_of_the_job_report(scale_ws):
    set_entry(scale_ws, rules=[])
    res = load(scale_ws, MAY)
    assert res.state == "succeeded", res.error
    assert res.warehouse_report is None and res.as_dict()["warehouse_report"] is None
    job_report = build_job_report(kind="load", validation=res.report.as_dict(),
                                  result=res.as_dict(), who=WHO)
    schema_valid(job_report)
    assert "warehouse_report" not in job_report


def test_an_anomaly_file_validation_warns_about_is_in_the_warehouse_report(scale_ws, file_reports):
    """January keeps 5 rows of one day: with the severities lowered to warn the file loads,
    and the warehouse, counting the table, finds the same thin day."""
    set_entry(scale_ws, warehouse_checks=True,
              anomaly={"severely_low": "warn", "outlier_low": "warn"})
    res = load(scale_ws, JAN)
    assert res.state == "succeeded", res.error
    assert res.report.verdict == "warn"
    wr = res.warehouse_report.as_dict()
    assert wr["verdict"] == "warn"
    anomalies = res.warehouse_report.check("anomalies")
    assert anomalies.status == "WARN"
    assert anomalies.data["days"] == {THIN_DAY: "SEVERELY_LOW"}
    assert findings(wr) == findings(res.report.as_dict())  # rules included (both warnings)
    assert wr["per_day"][THIN_DAY] == 5
    # with the config's default severities, file validation stops the same file before COPY
    assert findings(file_reports[JAN])["anomalies"][0] == "FAIL"


def test_rows_changed_under_the_load_fail_it_and_keep_the_copy(scale_ws, run_cli):
    """Another writer changes values of the period while the load reconciles: counts and keys
    are intact, so only the warehouse report sees it. The load fails like a reconciliation
    mismatch: loud, COPY committed, the delete command named; after the delete it loads."""
    set_entry(scale_ws, rules=[IN_RANGE], warehouse_checks=True)
    db = scale_ws / ".snowetl" / "local.duckdb"
    changed: list[int] = []

    def emit(kind: str, data: dict[str, Any]) -> None:
        if kind == "step" and data["step"] == "reconcile":
            con = duckdb.connect(str(db))
            try:
                changed.append(con.execute(
                    f"UPDATE {FACT} SET IFRS9_STAGE = 7 WHERE BUSINESS_DATE = '2024-05-02'"
                ).fetchone()[0])
            finally:
                con.close()

    res = load(scale_ws, MAY, emit)
    assert res.report.check("rule:stage_in_range").status == "PASS"  # the file was fine
    assert changed and changed[0] > 0
    assert res.state == "failed"
    assert res.error.startswith(f"reconciliation failed — warehouse checks of {FACT} for "
                                "2024-05 on local failed: rule:stage_in_range")
    assert f"snowetl-tui delete --table {FACT} --period 2024-05" in res.error
    rule = res.warehouse_report.check("rule:stage_in_range")
    assert (rule.status, rule.count) == ("FAIL", changed[0])
    assert res.warehouse_report.check("duplicates").status == "PASS"
    # not rolled back: the rows are in the table, the ledger says the load failed and why
    assert table_months(scale_ws) == {"2024-05": res.rows_loaded}
    [rec] = Ledger(scale_ws / ".snowetl" / "store.sqlite").loads()
    assert rec.state == "unreconciled" and rec.error == res.error
    assert rec.rows_loaded == res.rows_loaded
    job_report = build_job_report(kind="load", validation=res.report.as_dict(),
                                  result=res.as_dict(), who=WHO)
    schema_valid(job_report)
    assert job_report["reconciliation"]["status"] == "failed"
    assert job_report["warehouse_report"]["verdict"] == "fail"
    from snowetl_tui.report.html import render_job_html

    page = render_job_html(job_report)
    section = page.split('<section id="warehouse-checks">', 1)[1].split("</section>", 1)[0]
    assert "Warehouse checks of the loaded period" in section
    assert "rule:stage_in_range" in section and "FAIL" in section
    # re-running the load is refused: the rows are in the table, never twice
    rerun = load(scale_ws, MAY)
    assert rerun.state == "refused", rerun.error
    assert "already loaded but unreconciled" in rerun.error and "twice" in rerun.error
    assert table_months(scale_ws) == {"2024-05": res.rows_loaded}
    # the way out the message names
    out = run_cli("-w", str(scale_ws), "delete", "--table", FACT, "--period", "2024-05",
                  "--yes", "--foreground")
    assert out.code == 0, out.out + out.err
    again = load(scale_ws, MAY)
    assert again.state == "succeeded", again.error
    assert again.warehouse_report.verdict == "pass"
    assert table_months(scale_ws) == {"2024-05": again.rows_loaded}


def test_cli_load_prints_the_warehouse_report_and_validate_stays_file_validation(scale_ws,
                                                                                 run_cli):
    set_entry(scale_ws, rules=[], warehouse_checks=True)
    may = str(scale_ws / "data" / MAY)
    res = run_cli("-w", str(scale_ws), "validate", may, "--json")
    assert res.code == 0, res.err
    [report] = res.json()
    assert report["file"] == may and "checked_in" not in report["format"]
    assert not (scale_ws / ".snowetl" / "local.duckdb").exists()  # no warehouse was asked
    res = run_cli("-w", str(scale_ws), "load", "--foreground", may, "--workers", "2", "--json")
    assert res.code == 0, res.err
    [result] = res.json()
    assert result["state"] == "succeeded"
    assert result["warehouse_report"]["verdict"] == "pass"
    assert result["warehouse_report"]["per_day"] == result["report"]["per_day"]


def test_a_stage_load_runs_the_warehouse_checks(scale_ws, run_cli):
    """``load @DIR``: the same checks on the loaded period; the config's stage_file_format is
    a Snowflake object and not used by the local target, which sniffs the files."""
    set_entry(scale_ws, rules=[], warehouse_checks=True, stage_file_format="RAW.LANDING.FMT_TSV")
    stage = scale_ws.parent / "stage"
    stage.mkdir()
    shutil.copy(scale_ws / "data" / MAY, stage / MAY)
    res = run_cli("-w", str(scale_ws), "load", f"@{stage}", "--config",
                  str(scale_ws / "configs" / "demo.json"), "--foreground", "--json")
    assert res.code == 0, res.out + res.err
    [result] = res.json()
    assert result["state"] == "succeeded", result["error"]
    assert result["report"]["format"]["source"] == "stage"
    assert result["report"]["format"]["file_format"] is None
    wr = result["warehouse_report"]
    assert wr["verdict"] == "pass" and wr["format"]["source"] == "table"
    assert wr["per_day"] == result["report"]["per_day"]
    assert sum(wr["per_day"].values()) == result["rows_loaded"]


def test_a_load_without_a_period_is_refused_before_anything_is_loaded(scale_ws, run_cli):
    cfg = {"version": 1, "files": [{
        "file_pattern": "snapshot_*.tsv", "table_name": "SNAPSHOT",
        "columns": [{"name": "D", "type": "DATE"}, {"name": "N", "type": "INTEGER"}],
        "date_column": "D", "warehouse_checks": True, "load": {"create_table": True}}]}
    config = scale_ws / "configs" / "snapshot.json"
    config.write_text(json.dumps(cfg))
    stage = scale_ws.parent / "snapshots"
    stage.mkdir()
    (stage / "snapshot_a.tsv").write_text("D\tN\n2024-05-02\t1\n")
    shutil.copy(stage / "snapshot_a.tsv", scale_ws / "data" / "snapshot_a.tsv")
    for args in (["load", "--foreground", str(scale_ws / "data" / "snapshot_a.tsv")],
                 ["load", f"@{stage}", "--config", str(config), "--foreground"]):
        res = run_cli("-w", str(scale_ws), *args)
        assert res.code == 2, (args, res.out, res.err)
        line = one_line(res)
        assert "configs/snapshot.json: files[0].warehouse_checks needs the period" in line
    store = scale_ws / ".snowetl" / "store.sqlite"
    assert not store.exists() or Ledger(store).loads() == []


# -- warehouse_checks through the real connector (fakesnow) ---------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs:
        yield kwargs


def test_load_to_snowflake_carries_the_warehouse_report(scale_ws, server, tmp_path, run_cli,
                                                        monkeypatch):
    home = tmp_path / "sfhome"
    write_connections(home, {"fake": {**server, "database": "W_" + uuid.uuid4().hex[:8].upper(),
                                      "schema": "PUBLIC"}})
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    set_entry(scale_ws, target="fake", warehouse_checks=True)
    CONTROL.reset()
    res = run_cli("-w", str(scale_ws), "load", "--foreground", str(scale_ws / "data" / MAY),
                  "--workers", "2", "--json")
    assert res.code == 0, res.out + res.err
    [result] = res.json()
    assert result["state"] == "succeeded", result["error"]
    wr = result["warehouse_report"]
    assert wr["file"] == f"{FACT} on fake" and wr["format"]["target"] == "fake"
    assert wr["verdict"] == result["report"]["verdict"] == "warn"  # the config's rules warn
    assert findings(wr) == findings(result["report"])
    assert wr["per_day"] == result["report"]["per_day"]
    # the rules ran as SQL on the Snowflake session (file validation runs them locally)
    rule_sql = [s for s in CONTROL.statements if "SELECT COUNT(DISTINCT LOAN_ID) FROM data" in s]
    assert len(rule_sql) == 1 and rule_sql[0].startswith("WITH data AS (SELECT * FROM ")


# -- stage_file_format: the generated statements -------------------------------------------------
@pytest.fixture
def fake_sf(server: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """A Snowflake session whose queries are recorded instead of run (fakesnow cannot read a
    stage); the COPY submission is recorded too."""
    from snowetl_tui.warehouse.snowflake import RetryPolicy, connect_snowflake

    path = write_connections(tmp_path / "sfhome2", {"fake": {
        **server, "database": "F_" + uuid.uuid4().hex[:8].upper(), "schema": "PUBLIC"}})
    wh = connect_snowflake("fake", connections_path=path, retry=RetryPolicy(sleep=lambda s: None))
    sent: list[str] = []

    def rows(cur: Any, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        sent.append(sql)
        return []

    def submit(what: str, sql: str, columns: Any) -> str:
        sent.append(sql)
        return "QUERY-1"

    wh._rows = rows
    wh._submit_async = submit
    wh.sent = sent
    try:
        yield wh
    finally:
        wh.close()


def staged_group(ws: Path, **changes: Any) -> StageGroup:
    set_entry(ws, **changes)
    workspace = Workspace.resolve(str(ws))
    registry = ConfigRegistry.load(workspace)
    entry = next(e for e in registry.entries if e.table == FACT)
    return StageGroup(entry, parse_period("2024-05"), [StagedFile(MAY, 1000)],
                      registry.display(entry))


def reads_of_the_stage(sent: list[str]) -> list[str]:
    return [s for s in sent if '@"LANDING"/in/' in s]


def test_stage_file_format_is_used_by_the_generated_sql(scale_ws, fake_sf):
    assert fake_sf.capabilities.needs_staging
    group = staged_group(scale_ws, stage_file_format="raw.landing.fmt_tsv")
    report, src, _ = check_staged(fake_sf, "LANDING/in/", group, file_format=None)
    assert src.file_format == "raw.landing.fmt_tsv"
    assert report.format["file_format"] == "raw.landing.fmt_tsv"
    reads = reads_of_the_stage(fake_sf.sent)
    assert len(reads) >= 3  # profile, bad dates, duplicates, rules
    assert all("(FILE_FORMAT => 'RAW.LANDING.FMT_TSV', PATTERN =>" in s for s in reads)
    assert not any("CREATE TEMPORARY FILE FORMAT" in s for s in fake_sf.sent)
    # the COPY reads through the same format, by explicit file name
    fake_sf.sent.clear()
    qid = fake_sf.submit_stage_copy(TableRef(FACT), "L1", src, [PartToCopy(MAY, Path(MAY), 10)],
                                    [])
    assert qid == "QUERY-1"
    assert fake_sf.sent == [
        f"COPY INTO \"{FACT}\" FROM @\"LANDING\"/in/ FILES=('{MAY}') "
        "FILE_FORMAT=(FORMAT_NAME='RAW.LANDING.FMT_TSV') ON_ERROR=ABORT_STATEMENT"]


def test_file_format_on_the_command_line_wins_over_the_config(scale_ws, fake_sf):
    group = staged_group(scale_ws, stage_file_format="RAW.LANDING.FMT_TSV")
    _, src, _ = check_staged(fake_sf, "LANDING/in/", group, file_format="OPS.FMT_CLI")
    assert src.file_format == "OPS.FMT_CLI"
    assert all("FILE_FORMAT => 'OPS.FMT_CLI'" in s for s in reads_of_the_stage(fake_sf.sent))


def test_without_stage_file_format_a_temporary_format_is_built(scale_ws, fake_sf):
    group = staged_group(scale_ws)
    _, src, _ = check_staged(fake_sf, "LANDING/in/", group, file_format=None)
    assert src.file_format is None
    [create] = {s for s in fake_sf.sent if s.startswith("CREATE TEMPORARY FILE FORMAT")}
    name = create.split('"')[1]
    assert name.startswith("SNOWETL_FMT_")
    assert all(f"FILE_FORMAT => '{name}'" in s for s in reads_of_the_stage(fake_sf.sent))


def test_stage_file_format_stands_in_for_delimiter_and_header(scale_ws, fake_sf):
    """Staged files cannot be sniffed from here: without delimiter/header the config needs a
    named format (or --file-format); stage_file_format is one."""
    group = staged_group(scale_ws)
    spec = group.entry.spec.model_copy(update={"delimiter": None, "header": None})
    bare = dataclasses.replace(group, entry=dataclasses.replace(group.entry, spec=spec))
    with pytest.raises(InputError, match="set both \\(or stage_file_format\\) in the config"):
        check_staged(fake_sf, "LANDING/in/", bare, file_format=None)
    named = spec.model_copy(update={"stage_file_format": "FMT_TSV"})
    group = dataclasses.replace(group, entry=dataclasses.replace(group.entry, spec=named))
    _, src, _ = check_staged(fake_sf, "LANDING/in/", group, file_format=None)
    assert src.file_format == "FMT_TSV"


def test_the_local_target_does_not_use_the_snowflake_format(scale_ws):
    group = staged_group(scale_ws, stage_file_format="FMT_TSV")
    local = DuckDBWarehouse(scale_ws / ".snowetl" / "local.duckdb")
    assert stage_format_name(local, group.entry, None) is None
    assert stage_format_name(local, group.entry, "CLI_FMT") == "CLI_FMT"  # as before
