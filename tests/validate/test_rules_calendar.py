"""Custom rules, calendars (business days, holidays, edges), anomalies and CSV quoting."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from snowetl_tui.config.model import AnomalySpec
from snowetl_tui.validate import anomaly

COLUMNS = [
    {"name": "ID", "type": "INTEGER", "nullable": False},
    {"name": "D", "type": "DATE", "nullable": False},
    {"name": "AMOUNT", "type": "NUMBER(10,2)"},
]


def write_config(ws: Path, **entry: object) -> None:
    base = {
        "file_pattern": "f_{date_range}.tsv",
        "table_name": "F",
        "columns": COLUMNS,
        "date_column": "D",
        "date_format": "%Y-%m-%d",
        "duplicate_key_columns": ["ID"],
        "delimiter": "\t",
        "header": True,
    }
    base.update(entry)
    (ws / "configs" / "f.json").write_text(json.dumps({"version": 1, "files": [base]}))


def write_rows(path: Path, per_day: dict[date, int], amount: str = "1.00") -> None:
    lines = ["ID\tD\tAMOUNT"]
    n = 0
    for d, count in sorted(per_day.items()):
        for _ in range(count):
            n += 1
            lines.append(f"{n}\t{d.isoformat()}\t{amount}")
    path.write_text("\n".join(lines) + "\n")


def checks(run_cli, ws: Path, path: Path) -> tuple[int, dict[str, dict]]:
    res = run_cli("--workspace", str(ws), "validate", str(path), "--json")
    assert "Traceback" not in res.out + res.err, res.err
    [report] = res.json()
    return res.code, {c["name"]: c for c in report["checks"]}


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(i) for i in range((end - start).days + 1)]


def test_missing_first_and_last_business_day(ws, run_cli):
    write_config(ws, calendar={"days": "business"})
    march = [d for d in days(date(2024, 3, 1), date(2024, 3, 31)) if d.weekday() < 5]
    present = {d: 10 for d in march[1:-1]}  # drop Fri 1st and Fri 29th
    f = ws / "f_20240301-20240331.tsv"
    write_rows(f, present)
    code, c = checks(run_cli, ws, f)
    assert code == 1
    assert c["calendar"]["data"]["missing_days"] == ["2024-03-01", "2024-03-29"]


def test_holidays_inline_and_from_file(ws, run_cli):
    (ws / "configs" / "holidays.txt").write_text("# bank holidays\n2024-03-29\n")
    write_config(ws, calendar={"days": "business", "holidays": ["2024-03-01"],
                               "holidays_file": "holidays.txt"})
    march = [d for d in days(date(2024, 3, 1), date(2024, 3, 31)) if d.weekday() < 5]
    f = ws / "f_20240301-20240331.tsv"
    write_rows(f, {d: 10 for d in march[1:-1]})
    code, c = checks(run_cli, ws, f)
    assert code == 0, c["calendar"]
    assert c["calendar"]["status"] == "PASS"


def test_rows_on_weekends_and_outside_the_period(ws, run_cli):
    write_config(ws, calendar={"days": "business"})
    march = [d for d in days(date(2024, 3, 1), date(2024, 3, 31)) if d.weekday() < 5]
    per_day = {d: 10 for d in march}
    per_day[date(2024, 3, 2)] = 3  # a Saturday
    per_day[date(2024, 4, 1)] = 4  # outside the period
    f = ws / "f_20240301-20240331.tsv"
    write_rows(f, per_day)
    code, c = checks(run_cli, ws, f)
    assert code == 1
    assert c["period"]["status"] == "FAIL" and c["period"]["count"] == 4
    assert c["unexpected_days"]["status"] == "WARN" and c["unexpected_days"]["count"] == 3


def test_anomalies_classified(ws, run_cli):
    write_config(ws, calendar={"days": "all"})
    per_day = {d: 100 + (i % 5) for i, d in enumerate(days(date(2024, 3, 1), date(2024, 3, 31)))}
    per_day[date(2024, 3, 5)] = 5     # < 10 % of the median → SEVERELY_LOW (fail)
    per_day[date(2024, 3, 12)] = 300  # far above Q3 → OUTLIER_HIGH (warn)
    f = ws / "f_20240301-20240331.tsv"
    write_rows(f, per_day)
    code, c = checks(run_cli, ws, f)
    assert code == 1
    assert c["anomalies"]["status"] == "FAIL"
    assert c["anomalies"]["data"]["days"] == {"2024-03-05": "SEVERELY_LOW",
                                              "2024-03-12": "OUTLIER_HIGH"}


def test_anomaly_rules_and_business_baseline():
    spec = AnomalySpec()
    base = {date(2024, 3, d): 100 for d in range(4, 9)} | {date(2024, 3, d): 104
                                                          for d in range(11, 16)}
    counts = dict(base)
    counts[date(2024, 3, 18)] = 40  # median 100, Q1 100, Q3 104: fence 94 → OUTLIER_LOW
    want = sorted(counts)
    b, found = anomaly.detect(counts, want, spec)
    assert b is not None and (b.median, b.q1, b.q3) == (100, 100, 104)
    assert {a.day: a.kind for a in found} == {date(2024, 3, 18): "OUTLIER_LOW"}
    spec_off = AnomalySpec(outlier_low="off", low="warn")
    _, found = anomaly.detect(counts, want, spec_off)
    assert {a.day: a.kind for a in found}[date(2024, 3, 18)] == "LOW"
    _, found = anomaly.detect(counts, want, AnomalySpec(enabled=False))
    assert found == []


def test_row_and_aggregate_rules(ws, run_cli):
    write_config(ws, calendar={"days": "all"}, rules=[
        {"name": "positive", "sql": "AMOUNT > 0", "severity": "critical"},
        {"name": "small", "sql": "AMOUNT < 1000", "severity": "warning"},
        {"name": "rowcount", "kind": "aggregate", "sql": "SELECT COUNT(*) FROM data",
         "min": 1, "max": 10},
    ])
    lines = ["ID\tD\tAMOUNT", "1\t2024-03-01\t5.00", "2\t2024-03-02\t-1.00",
             "3\t2024-03-03\t2000.00", "4\t2024-03-04\t\t"]
    f = ws / "f_20240301-20240304.tsv"
    f.write_text("\n".join([*lines[:4], "4\t2024-03-04\t"]) + "\n")
    code, c = checks(run_cli, ws, f)
    assert code == 1
    assert c["rule:positive"]["status"] == "FAIL" and c["rule:positive"]["count"] == 1
    assert c["rule:positive"]["examples"][0]["line"] == 3
    assert c["rule:small"]["status"] == "WARN" and c["rule:small"]["count"] == 1
    assert c["rule:small"]["examples"][0]["line"] == 4
    assert c["rule:rowcount"]["status"] == "PASS" and "= 4" in c["rule:rowcount"]["message"]


def test_aggregate_rule_out_of_bounds(ws, run_cli):
    write_config(ws, calendar={"days": "all"}, rules=[
        {"name": "total", "kind": "aggregate", "sql": "SELECT SUM(AMOUNT) FROM data",
         "max": 5, "severity": "critical"},
    ])
    f = ws / "f_20240301-20240302.tsv"
    write_rows(f, {date(2024, 3, 1): 4, date(2024, 3, 2): 4}, amount="1.50")
    code, c = checks(run_cli, ws, f)
    assert code == 1
    assert c["rule:total"]["status"] == "FAIL" and "= 12" in c["rule:total"]["message"]


def test_rule_that_does_not_compile_is_a_config_error(ws, run_cli):
    write_config(ws, rules=[{"name": "bad", "sql": "NO_SUCH_COLUMN > 0"}])
    f = ws / "f_20240301-20240301.tsv"
    write_rows(f, {date(2024, 3, 1): 2})
    res = run_cli("--workspace", str(ws), "validate", str(f))
    assert res.code == 2
    assert "configs/f.json: files[0].rules[0].sql: rule 'bad' does not compile" in res.err
    assert "Traceback" not in res.err


@pytest.mark.parametrize("chunk", ["64MB", "1KB"])
def test_csv_quoting_embedded_newlines_and_unbalanced_quotes(ws, run_cli, chunk):
    cfg = {"version": 1, "files": [{
        "file_pattern": "o_{month}.csv", "table_name": "O",
        "columns": [{"name": "ID", "type": "INTEGER"}, {"name": "D", "type": "DATE"},
                    {"name": "NOTE", "type": "VARCHAR"}],
        "date_column": "D", "date_format": "%Y-%m-%d", "delimiter": ",", "header": True,
        "calendar": {"days": "all"}, "anomaly": {"enabled": False},
    }]}
    (ws / "configs" / "o.json").write_text(json.dumps(cfg))
    rows = ["ID,D,NOTE"]
    for i, d in enumerate(days(date(2024, 2, 1), date(2024, 2, 29)), 1):
        note = '"line one\nline ""two"", with comma"' if i % 3 == 0 else f"plain {i}"
        rows.append(f"{i},{d.isoformat()},{note}")
    f = ws / "o_2024-02.csv"
    f.write_text("\n".join(rows) + "\n")
    res = run_cli("--workspace", str(ws), "validate", str(f), "--json", "--chunk-size", chunk)
    assert res.code == 0, res.out
    [report] = res.json()
    assert report["rows"] == 29 and report["verdict"] == "pass"
    f.write_text("\n".join([*rows, '30,2024-02-29,"never closed']) + "\n")
    res = run_cli("--workspace", str(ws), "validate", str(f), "--json", "--chunk-size", chunk)
    assert res.code == 1
    by = {c["name"]: c for c in res.json()[0]["checks"]}
    assert by["quotes"]["status"] == "FAIL" or by["field_count"]["status"] == "FAIL"
