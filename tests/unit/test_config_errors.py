"""Malformed configs: each gives exit 2 and one line naming the file, the JSON path and the fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

BASE: dict[str, Any] = {
    "version": 1,
    "files": [
        {
            "file_pattern": "sales_{month}.tsv",
            "table_name": "SALES",
            "expected_columns": ["ID", "SALE_DATE", "AMOUNT"],
            "date_column": "SALE_DATE",
            "duplicate_key_columns": ["ID"],
        }
    ],
}


def edit(fn: Any) -> str:
    data = copy.deepcopy(BASE)
    fn(data)
    return json.dumps(data, indent=2)


def entry(**changes: Any) -> str:
    def apply(d: dict[str, Any]) -> None:
        for k, v in changes.items():
            if v is _DROP:
                d["files"][0].pop(k)
            else:
                d["files"][0][k] = v

    return edit(apply)


_DROP = object()

CASES: list[tuple[str, str | bytes, str, str]] = [
    # id, file content, expected JSON path (or line), expected words in the message
    ("trailing-comma", '{"version": 1,\n "files": [],\n}', "line 3, column 1", "invalid JSON"),
    ("unterminated", '{"version": 1, "files": [{"file_pattern": "x}]}', "line 1, column 43",
     "invalid JSON"),
    ("empty-file", "", "line 1, column 1", "invalid JSON"),
    ("top-level-list", "[1, 2]", "", "expected a JSON object at the top, got a list"),
    ("not-utf8", b'{"version": 1, "description": "caf\xe9"}', "line 1", "not UTF-8"),
    ("duplicate-json-key",
     '{"version": 1,\n "files": [{"file_pattern": "a_{date}.tsv",\n "table_name": "A",\n'
     ' "table_name": "B"}]}', "line 4", "duplicate key 'table_name'"),
    ("unknown-top-key", edit(lambda d: d.update(fils=[])), "fils", "did you mean 'files'"),
    ("unknown-entry-key", entry(date_colum="SALE_DATE"), "files[0].date_colum",
     "did you mean 'date_column'"),
    ("unknown-nested-key", entry(calendar={"holiday": []}), "files[0].calendar.holiday",
     "did you mean 'holidays'"),
    ("wrong-type-bool", entry(header="yes"), "files[0].header", "expected true or false"),
    ("wrong-type-list", entry(expected_columns="ID,SALE_DATE"), "files[0].expected_columns",
     "expected a list, got a string"),
    ("wrong-type-string", entry(table_name=5), "files[0].table_name",
     "expected a string, got a number"),
    ("wrong-type-object", entry(load=[1]), "files[0].load", "expected an object"),
    ("missing-table", entry(table_name=_DROP), "files[0].table_name",
     "missing required key 'table_name'"),
    ("missing-files", edit(lambda d: d.pop("files")), "files", "missing required key 'files'"),
    ("empty-files", edit(lambda d: d.update(files=[])), "files", "at least 1"),
    ("unknown-placeholder", entry(file_pattern="sales_{year}.tsv"), "files[0].file_pattern",
     "unknown placeholder {year}"),
    ("two-placeholders", entry(file_pattern="s_{month}_{date}.tsv"), "files[0].file_pattern",
     "two period placeholders"),
    ("pattern-with-dir", entry(file_pattern="in/sales_{month}.tsv"), "files[0].file_pattern",
     "without a directory"),
    ("bad-identifier", entry(table_name="SALES-2024"), "files[0].table_name",
     "not a valid table name"),
    ("identifier-digit", entry(table_name="1SALES"), "files[0].table_name",
     "not a valid table name"),
    ("date-column-missing", entry(date_column="SALEDATE"), "files[0].date_column",
     "did you mean 'SALE_DATE'"),
    ("key-column-missing", entry(duplicate_key_columns=["ID", "NOPE"]),
     "files[0].duplicate_key_columns[1]", "'NOPE' is not one of the columns"),
    ("duplicate-column", entry(expected_columns=["ID", "SALE_DATE", "id"]),
     "files[0].expected_columns[2]", "duplicate column 'id'"),
    ("bad-column-type",
     entry(expected_columns=_DROP, columns=[{"name": "ID", "type": "INTEGER"},
                                            {"name": "SALE_DATE", "type": "DATE"},
                                            {"name": "AMOUNT", "type": "NUMBR(10,2)"}]),
     "files[0].columns[2].type", "unknown column type 'NUMBR(10,2)'"),
    ("bad-number-scale",
     entry(expected_columns=_DROP, columns=[{"name": "ID"}, {"name": "SALE_DATE"},
                                            {"name": "AMOUNT", "type": "NUMBER(4,6)"}]),
     "files[0].columns[2].type", "scale"),
    ("bad-date-format", entry(date_format="%Y-%Q"), "files[0].date_format", "date format"),
    ("date-format-no-day", entry(date_format="YYYY-MM"), "files[0].date_format",
     "must contain a year, a month and a day"),
    ("bad-holiday", entry(calendar={"days": "business", "holidays": ["2024-02-30"]}),
     "files[0].calendar.holidays[0]", "not an ISO date"),
    ("missing-holidays-file", entry(calendar={"holidays_file": "nope.txt"}),
     "files[0].calendar.holidays_file", "not found"),
    ("bad-calendar-days", entry(calendar={"days": "weekly"}), "files[0].calendar.days",
     "expected 'all' or 'business'"),
    ("bad-load-mode", entry(load={"mode": "upsert"}), "files[0].load.mode",
     "expected 'append' or 'replace_period'"),
    ("part-size-too-small", entry(load={"part_size_mb": 1}), "files[0].load.part_size_mb",
     "greater than or equal to 16"),
    ("bad-delimiter", entry(delimiter="ab"), "files[0].delimiter", "expected one character"),
    ("newline-delimiter", entry(delimiter="\n"), "files[0].delimiter", "not a newline"),
    ("unknown-encoding", entry(encoding="utf-9"), "files[0].encoding", "unknown encoding"),
    ("utf16-encoding", entry(encoding="utf-16"), "files[0].encoding", "not ASCII-compatible"),
    ("quote-equals-delimiter", entry(delimiter=",", quote_char=","), "files[0].quote_char",
     "must differ from the delimiter"),
    ("future-version", edit(lambda d: d.update(version=2)), "version", "less than or equal"),
    ("aggregate-rule-no-bound",
     entry(rules=[{"name": "total", "kind": "aggregate", "sql": "SELECT SUM(AMOUNT) FROM data"}]),
     "files[0].rules[0]", "needs min or max"),
    ("duplicate-rule-name",
     entry(rules=[{"name": "pos", "sql": "AMOUNT > 0"}, {"name": "pos", "sql": "ID > 0"}]),
     "files[0].rules[1].name", "duplicate rule name"),
    ("create-table-without-types", entry(load={"create_table": True}),
     "files[0].load.create_table", "needs `columns`"),
    ("bad-target", entry(target="my conn"), "files[0].target", "not a valid connection name"),
    ("replace-without-period", entry(file_pattern="sales.tsv", load={"mode": "replace_period"}),
     "files[0].load.mode", "needs a period placeholder"),
    ("columns-disagree",
     entry(columns=[{"name": "ID"}, {"name": "SALE_DATE"}, {"name": "AMT"}]),
     "files[0].expected_columns", "differs from the names in columns"),
    ("same-pattern-twice", edit(lambda d: d["files"].append(copy.deepcopy(d["files"][0]))),
     "files[1].file_pattern", "same pattern as files[0]"),
    ("date-format-without-column", entry(date_column=_DROP, date_format="%Y-%m-%d"),
     "files[0].date_format", "date_column is not"),
    ("warehouse-checks-not-bool", entry(warehouse_checks="yes"), "files[0].warehouse_checks",
     "expected true or false, got a string"),
    ("warehouse-checks-number", entry(warehouse_checks=1), "files[0].warehouse_checks",
     "expected true or false, got a number"),
    ("warehouse-checks-without-date-column", entry(warehouse_checks=True, date_column=_DROP),
     "files[0].warehouse_checks", "warehouse_checks needs date_column"),
    ("warehouse-checks-without-columns",
     entry(warehouse_checks=True, expected_columns=_DROP, duplicate_key_columns=[]),
     "files[0].warehouse_checks", "needs columns or expected_columns"),
    ("stage-file-format-not-string", entry(stage_file_format=5), "files[0].stage_file_format",
     "expected a string, got a number"),
    ("stage-file-format-list", entry(stage_file_format=["FMT"]), "files[0].stage_file_format",
     "expected a string, got a list"),
    ("stage-file-format-injection", entry(stage_file_format="FMT'); DROP TABLE SALES; --"),
     "files[0].stage_file_format", "is not a valid file format name"),
    ("stage-file-format-four-parts", entry(stage_file_format="a.b.c.d"),
     "files[0].stage_file_format", "'a.b.c.d' is not a valid file format name"),
    ("stage-file-format-empty", entry(stage_file_format=""), "files[0].stage_file_format",
     "is not a valid file format name"),
]


@pytest.mark.parametrize(("content", "path", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_malformed_config_is_one_clear_line(ws: Path, run_cli, content, path, words):
    cfg = ws / "configs" / "bad.json"
    if isinstance(content, bytes):
        cfg.write_bytes(content)
    else:
        cfg.write_text(content)
    res = run_cli("--workspace", str(ws), "config", "check")
    assert res.code == 2
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, res.err
    line = lines[0]
    assert line.startswith("snowetl-tui: error: configs/bad.json: ")
    assert f": {path}: " in line or (not path and "configs/bad.json: " in line)
    assert words in line
    assert "Traceback" not in res.err + res.out


def test_at_least_25_malformed_configs_are_covered():
    assert len(CASES) >= 25


def test_all_issues_of_a_file_are_reported_together(ws: Path, run_cli):
    cfg = ws / "configs" / "bad.json"
    cfg.write_text(entry(header="yes", date_colum="x", table_name="bad name"))
    res = run_cli("--workspace", str(ws), "config", "check", "--json")
    assert res.code == 2
    data = res.json()
    paths = {i["path"] for i in data["files"][0]["issues"]}
    assert {"files[0].header", "files[0].date_colum", "files[0].table_name"} <= paths


def test_match_refuses_to_work_with_a_broken_config(ws: Path, run_cli, tmp_path: Path):
    (ws / "configs" / "bad.json").write_text(entry(header="yes"))
    f = tmp_path / "sales_2024-03.tsv"
    f.write_text("x\n")
    res = run_cli("--workspace", str(ws), "match", str(f))
    assert res.code == 2
    assert "configs/bad.json: files[0].header" in res.err


def test_config_check_on_missing_and_directory(ws: Path, run_cli):
    res = run_cli("--workspace", str(ws), "config", "check", str(ws / "nope.json"))
    assert res.code == 2 and "file not found" in res.err
    res = run_cli("--workspace", str(ws), "config", "check", str(ws / "configs"))
    assert res.code == 2 and "is a directory" in res.err


def test_config_check_with_no_configs(ws: Path, run_cli):
    res = run_cli("--workspace", str(ws), "config", "check")
    assert res.code == 2 and "no config files" in res.err
