"""A demo workspace whose files carry every finding the scale-out paths must reproduce.

The demo's own defects (a missing business day in February, duplicate keys in March, a ragged
row in April) plus two more made here: January loses all but 5 rows of one day (an anomaly)
and the fact config gets custom rules — one row rule that some rows violate, one aggregate
rule out of bounds — so "same findings" compares real, non-trivial numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.demo import create_demo_workspace
from snowetl_tui.validate.executors import make_executor
from snowetl_tui.validate.runner import plan_file, validate_file
from snowetl_tui.workspace import Workspace

FACT = "FACT_LENDING_BENCHMARK"
JAN = "factLendingBenchmark_20240101-20240131.tsv"
FEB = "factLendingBenchmark_20240201-20240229.tsv"
MAR = "factLendingBenchmark_20240301-20240331.tsv"
APR = "factLendingBenchmark_20240401-20240430.tsv"
MAY = "factLendingBenchmark_20240501-20240531.tsv.gz"
ORDERS = "orders_2024-06.csv"
THIN_DAY = "2024-01-10"
RULES = [
    {"name": "stage_below_3", "kind": "row", "sql": "IFRS9_STAGE < 3", "severity": "warning"},
    {"name": "loans_per_month", "kind": "aggregate",
     "sql": "SELECT COUNT(DISTINCT LOAN_ID) FROM data", "max": 50, "severity": "warning"},
]
#: Findings that file validation and validation inside the warehouse must agree on.
PERIOD_CHECKS = ("calendar", "anomalies", "duplicates", "unexpected_days", "rule:stage_below_3",
                 "rule:loans_per_month")
TIMING = ("seconds", "mb_per_s", "created_at")


def build_workspace(root: Path) -> Path:
    create_demo_workspace(root, size_mb=0.4, seed=11)
    cfg_path = root / "configs" / "demo.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["files"][0]["rules"] = RULES
    cfg_path.write_text(json.dumps(cfg, indent=2))
    jan = root / "data" / JAN
    lines = jan.read_bytes().split(b"\n")
    kept, seen = [], 0
    for line in lines:
        if line.startswith(THIN_DAY.encode()):
            seen += 1
            if seen > 5:
                continue
        kept.append(line)
    jan.write_bytes(b"\n".join(kept))
    return root


@pytest.fixture(scope="package")
def scale_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("scale") / "ws")


@pytest.fixture
def scale_ws(scale_template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(scale_template, dst)
    return dst


def strip_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in TIMING}


def findings(report: dict[str, Any], names: tuple[str, ...] = PERIOD_CHECKS
             ) -> dict[str, tuple[str, int, Any]]:
    """(status, count, data) of the named checks: what two validations must agree on."""
    return {c["name"]: (c["status"], c["count"], c.get("data"))
            for c in report["checks"] if c["name"] in names}


@pytest.fixture(scope="package")
def file_reports(scale_template: Path) -> dict[str, dict[str, Any]]:
    """File validation of every demo file (threads, 64 KB chunks): the reference."""
    ws = Workspace.resolve(str(scale_template))
    registry = ConfigRegistry.load(ws)
    pool = make_executor("thread", 2)
    out = {}
    try:
        for path in sorted((scale_template / "data").iterdir()):
            m = registry.match(path)
            plan = plan_file(path, m.entry, m.period, m.config_display)
            out[path.name] = validate_file(plan, executor=pool, chunk_size=64 << 10).as_dict()
    finally:
        pool.shutdown()
    return out
