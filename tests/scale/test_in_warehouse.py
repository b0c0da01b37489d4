"""Validation inside the warehouse gives the findings file validation gives.

* rows already in a table, on the local DuckDB target and on a fakesnow server through the real
  Snowflake connector: missing day, duplicates, anomaly, custom rules, per-day counts;
* staged files on the local target (a directory read in place): the same, plus the structural
  checks a query can make (field count, types, NOT NULL);
* the CLI paths (``validate --in-warehouse``, ``validate @DIR``, ``load @DIR --config``) and
  their bad input: one line, exit 2, nothing loaded.
"""

from __future__ import annotations

import gzip
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest

from snowetl_tui.config.patterns import parse_period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.load.stage_load import check_table_period
from snowetl_tui.warehouse.base import ColumnDef, FileFormatSpec, PartToCopy, TableRef
from snowetl_tui.warehouse.duckdb_local import DuckDBWarehouse
from snowetl_tui.workspace import Workspace
from tests.scale.conftest import (
    APR,
    FACT,
    FEB,
    JAN,
    MAR,
    MAY,
    PERIOD_CHECKS,
    findings,
)
from tests.warehouse.conftest import start_fakesnow, write_connections

PERIODS = {JAN: "2024-01", FEB: "2024-02", MAR: "2024-03", MAY: "2024-05"}
TSV = FileFormatSpec("\t", None, 1, ("",), "%Y-%m-%d", "utf-8", "BUSINESS_DATE")


def fact_entry(ws: Path) -> Any:
    registry = ConfigRegistry.load(Workspace.resolve(str(ws)))
    return next(e for e in registry.entries if e.table == FACT), registry


def columns(entry: Any) -> list[ColumnDef]:
    return [ColumnDef(c.name, c.type, c.nullable) for c in entry.spec.columns]


def data_rows(path: Path) -> int:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.count(b"\n") - 1


def load_raw(wh: Any, ws: Path, entry: Any, names: list[str]) -> None:
    """Put the files' rows into the table as they are — defects included — bypassing the
    pipeline (which would refuse them): the table then holds what the files hold."""
    table = TableRef(FACT)
    wh.create_table(table, columns(entry))
    for name in names:
        path = ws / "data" / name
        wh.submit_copy(table, "raw-" + name.split("_")[1][:8], [
            PartToCopy(name, path, data_rows(path))], TSV, columns(entry))


# -- rows in a table ----------------------------------------------------------------------------
def test_table_period_on_duckdb_matches_file_validation(scale_ws, file_reports):
    entry, registry = fact_entry(scale_ws)
    wh = DuckDBWarehouse(scale_ws / ".snowetl" / "local.duckdb")
    load_raw(wh, scale_ws, entry, list(PERIODS))
    for name, period in PERIODS.items():
        report = check_table_period(wh, entry, parse_period(period),
                                    config_display=registry.display(entry)).as_dict()
        want = file_reports[name]
        assert findings(report) == findings(want), name
        assert report["per_day"] == want["per_day"], name
        assert report["rows"] == want["rows"]
        assert report["verdict"] == want["verdict"] == ("warn" if name == MAY else "fail")
    # the findings are the demo's defects, not an artefact of comparing two empty results
    jan = check_table_period(wh, entry, parse_period("2024-01"), config_display=None)
    assert jan.check("anomalies").data["days"] == {"2024-01-10": "SEVERELY_LOW"}
    feb = check_table_period(wh, entry, parse_period("2024-02"), config_display=None)
    assert feb.check("calendar").data["missing_days"] == ["2024-02-14"]
    mar = check_table_period(wh, entry, parse_period("2024-03"), config_display=None)
    assert mar.check("duplicates").data["excess_rows"] == 25
    assert mar.check("duplicates").examples[0].detail == "3 rows"  # the triplicate comes first


def test_table_period_on_fakesnow_matches_file_validation(scale_ws, file_reports, tmp_path,
                                                          monkeypatch):
    from snowetl_tui.warehouse.snowflake import connect_snowflake

    entry, registry = fact_entry(scale_ws)
    with start_fakesnow() as server:
        home = tmp_path / "sfhome"
        write_connections(home, {"fake": {**server, "database": "S_" + uuid.uuid4().hex[:8]
                                          .upper(), "schema": "PUBLIC"}})
        monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
        wh = connect_snowflake("fake")
        try:
            table = TableRef(FACT)
            wh.create_table(table, columns(entry))
            fmt = FileFormatSpec("\t", None, 0, ("",), "%Y-%m-%d", "utf-8", "BUSINESS_DATE")
            for name in PERIODS:  # staged without header, as the pipeline stages its parts
                raw = (scale_ws / "data" / name).read_bytes()
                raw = gzip.decompress(raw) if name.endswith(".gz") else raw
                body = raw.split(b"\n", 1)[1]
                part = tmp_path / (name.removesuffix(".gz") + ".gz")
                part.write_bytes(gzip.compress(body))
                load_id = "raw-" + name[21:29]
                wh.stage_part(load_id, PartToCopy(part.name, part, body.count(b"\n")))
                wh.copy_results(wh.submit_copy(table, load_id, [
                    PartToCopy(part.name, part, body.count(b"\n"))], fmt, columns(entry)))
            for name, period in PERIODS.items():
                report = check_table_period(wh, entry, parse_period(period),
                                            config_display=registry.display(entry)).as_dict()
                want = file_reports[name]
                assert findings(report) == findings(want), name
                assert report["per_day"] == want["per_day"], name
                assert report["verdict"] == want["verdict"]
        finally:
            wh.close()


def test_cli_in_warehouse_validates_a_loaded_period(scale_ws, run_cli, file_reports):
    res = run_cli("-w", str(scale_ws), "load", "--foreground", str(scale_ws / "data" / MAY))
    assert res.code == 0, res.err
    res = run_cli("-w", str(scale_ws), "validate", "--in-warehouse", "--table", FACT,
                  "--period", "2024-05", "--json")
    assert res.code == 0, res.err  # warn (the row rule) is a pass
    [report] = res.json()
    assert report["format"]["checked_in"] == "warehouse"
    assert findings(report) == findings(file_reports[MAY])
    res = run_cli("-w", str(scale_ws), "validate", "--in-warehouse", "--table", FACT,
                  "--period", "2024-02")
    assert res.code == 1  # nothing loaded for February: every business day is missing
    assert "20 of 20 expected business days have no rows" in res.out


# -- staged files read in place ------------------------------------------------------------------
@pytest.fixture
def stage_dir(scale_ws: Path) -> Path:
    stage = scale_ws.parent / "stage" / "2024"
    stage.mkdir(parents=True)
    for name in (JAN, FEB, MAR, APR, MAY):
        shutil.copy(scale_ws / "data" / name, stage / name)
    return stage


def test_staged_files_on_duckdb_match_file_validation(scale_ws, stage_dir, run_cli,
                                                      file_reports):
    res = run_cli("-w", str(scale_ws), "validate", f"@{stage_dir}", "--json")
    assert res.code == 1, res.err
    reports = {r["period_start"][:7]: r for r in res.json()}
    assert set(reports) == {"2024-01", "2024-02", "2024-03", "2024-04", "2024-05"}
    structural = ("dates", "period", "types", "not_null", "field_count")
    for name in (JAN, FEB, MAR, MAY):
        got, want = reports[PERIODS[name]], file_reports[name]
        assert findings(got) == findings(want), name
        assert findings(got, structural) == findings(want, structural), name
        assert got["per_day"] == want["per_day"]
        assert got["rows"] == want["rows"]
        assert got["verdict"] == want["verdict"]
        assert got["format"]["source"] == "stage"
    apr = {c["name"]: c for c in reports["2024-04"]["checks"]}
    want_apr = {c["name"]: c for c in file_reports[APR]["checks"]}
    assert apr["field_count"]["status"] == want_apr["field_count"]["status"] == "FAIL"
    assert apr["field_count"]["count"] == want_apr["field_count"]["count"] == 1
    # the same line number as file validation, and the file it is in
    assert apr["field_count"]["examples"][0]["line"] == \
        want_apr["field_count"]["examples"][0]["line"]
    assert apr["field_count"]["examples"][0]["value"] == APR


def test_load_from_a_local_stage(scale_ws, stage_dir, run_cli):
    before = sorted(p.name for p in stage_dir.iterdir())
    res = run_cli("-w", str(scale_ws), "load", f"@{stage_dir}/", "--config",
                  str(scale_ws / "configs" / "demo.json"), "--foreground", "--json")
    assert res.code == 1, res.err  # four of the five carry a defect
    results = {r["file"].rsplit("/", 1)[-1]: r for r in res.json()}
    assert results[MAY]["state"] == "succeeded", results[MAY]["error"]
    assert results[MAY]["rows_loaded"] == results[MAY]["rows_validated"] == \
        data_rows(stage_dir / MAY)
    for name in (JAN, FEB, MAR, APR):
        assert results[name]["state"] == "failed"
        assert results[name]["error"].startswith("validation failed, nothing was loaded")
    con = duckdb.connect(str(scale_ws / ".snowetl" / "local.duckdb"), read_only=True)
    try:
        months = dict(con.execute(f"SELECT strftime(BUSINESS_DATE, '%Y-%m'), count(*) FROM "
                                  f"{FACT} GROUP BY 1").fetchall())
    finally:
        con.close()
    assert months == {"2024-05": data_rows(stage_dir / MAY)}
    ledger = Ledger(scale_ws / ".snowetl" / "store.sqlite")
    [done] = ledger.loads(states=("succeeded",))
    assert done.file == f"@{stage_dir}/{MAY}" and done.rows_loaded == months["2024-05"]
    assert sorted(p.name for p in stage_dir.iterdir()) == before  # the stage is left alone
    again = run_cli("-w", str(scale_ws), "load", f"@{stage_dir}", "--config",
                    str(scale_ws / "configs" / "demo.json"), "--foreground", "--json")
    refused = {r["file"].rsplit("/", 1)[-1]: r for r in again.json()}[MAY]
    assert refused["state"] == "refused" and "already loaded" in refused["error"]


def test_staged_files_without_period_in_their_names(scale_ws, stage_dir, run_cli):
    """Part files (``part-0001.tsv``) carry no period: --period names it."""
    parts = stage_dir.parent / "parts"
    parts.mkdir()
    raw = gzip.decompress((stage_dir / MAY).read_bytes())
    header, body = raw.split(b"\n", 1)
    lines = body.splitlines(keepends=True)
    half = len(lines) // 2
    (parts / "part-0001.tsv").write_bytes(header + b"\n" + b"".join(lines[:half]))
    (parts / "part-0002.tsv").write_bytes(header + b"\n" + b"".join(lines[half:]))
    cfg = json.loads((scale_ws / "configs" / "demo.json").read_text())
    cfg["files"] = cfg["files"][:1]
    one = scale_ws / "configs" / "fact.json"
    one.write_text(json.dumps(cfg))
    res = run_cli("-w", str(scale_ws), "load", f"@{parts}", "--config", str(one),
                  "--period", "2024-05", "--foreground", "--json")
    assert res.code == 0, res.out + res.err
    [result] = res.json()
    assert result["state"] == "succeeded" and result["parts"] == 2
    assert result["rows_loaded"] == len(lines)
    # without --period the names match nothing: one line naming them, nothing loaded
    res = run_cli("-w", str(scale_ws), "load", f"@{parts}", "--config", str(one),
                  "--foreground", "--replace")
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        f"snowetl-tui: error: @{parts}: 2 staged file(s) match no config entry: part-0001.tsv, "
        "part-0002.tsv; pass --period for files whose names carry none"]


# -- bad input: one line, exit 2, no traceback -------------------------------------------------
def one_line(res: Any) -> str:
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert "Traceback" not in res.err
    return lines[0]


def test_stage_that_does_not_exist(scale_ws, run_cli, tmp_path):
    missing = tmp_path / "no-such-stage"
    for args in (["validate", f"@{missing}"],
                 ["load", f"@{missing}", "--config", str(scale_ws / "configs" / "demo.json"),
                  "--foreground"]):
        res = run_cli("-w", str(scale_ws), *args)
        assert res.code == 2, res.err
        assert f"stage @{missing} does not exist" in one_line(res)
    assert not (scale_ws / ".snowetl" / "local.duckdb").exists() or not duckdb.connect(
        str(scale_ws / ".snowetl" / "local.duckdb"), read_only=True).execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [FACT]
    ).fetchone()[0]


def test_empty_stage_and_misuse(scale_ws, run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = str(scale_ws / "configs" / "demo.json")
    cases = [
        (["validate", f"@{empty}"], f"@{empty}: no files in the stage"),
        (["load", f"@{empty}", "--foreground"], "loading from a stage needs --config"),
        (["load", f"@{empty}", "--config", cfg], "add --foreground"),
        (["validate", "--in-warehouse", "--table", FACT], "needs --table and --period"),
        (["validate", "--in-warehouse", "--table", "NOPE", "--period", "2024-01"],
         "--table NOPE: no config loads this table"),
        (["validate", "--in-warehouse", "--table", FACT, "--period", "2024-13"], "--period"),
        (["validate", "--in-warehouse", "--table", FACT, "--period", "2024-01"],
         f"table {FACT} does not exist on local"),
        (["validate"], "give FILES"),
        (["validate", str(scale_ws / "data" / JAN), "--period", "2024-01"],
         "--period and --file-format apply to"),
        (["load", str(scale_ws / "data" / JAN), "--config", cfg, "--foreground"],
         "apply to @STAGE/path/ arguments"),
    ]
    for args, expected in cases:
        res = run_cli("-w", str(scale_ws), *args)
        assert res.code == 2, (args, res.out, res.err)
        assert expected in one_line(res), args


def test_rule_sql_must_be_one_query(scale_ws):
    """A rule that is not one read-only query never reaches the warehouse."""
    from snowetl_tui.warehouse.base import TableRows, WarehouseError

    entry, _ = fact_entry(scale_ws)
    wh = DuckDBWarehouse(scale_ws / ".snowetl" / "local.duckdb")
    load_raw(wh, scale_ws, entry, [MAY])
    may = parse_period("2024-05")
    src = TableRows(TableRef(FACT), "BUSINESS_DATE", may.start, may.end)
    for sql in (f"DELETE FROM {FACT}", f"SELECT 1; DELETE FROM {FACT}"):
        with pytest.raises(WarehouseError, match="must be a single SELECT"):
            wh.rule_value(src, columns(entry), sql)
    with pytest.raises(WarehouseError, match="one boolean expression"):
        wh.rule_violations(src, columns(entry), f"1 = 1); DELETE FROM {FACT}; SELECT (1")
    assert wh.count_period(TableRef(FACT), "BUSINESS_DATE", src.start, src.end) == \
        data_rows(scale_ws / "data" / MAY)


def test_findings_helper_sees_every_period_check(file_reports):
    """Guard for the comparisons above: the compared checks exist in the file reports
    (``unexpected_days`` only appears when a weekend or holiday has rows)."""
    for name in (JAN, FEB, MAR, MAY):
        assert set(findings(file_reports[name])) == set(PERIOD_CHECKS) - {"unexpected_days"}
