"""Fixtures of the report tests: demo workspaces, a failing extract, in-process validation."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.demo import FileTruth, create_demo_workspace, write_fact_file
from snowetl_tui.validate.runner import plan_file, validate_file
from snowetl_tui.workspace import Workspace

FACT = "FACT_LENDING_BENCHMARK"
JAN = "data/factLendingBenchmark_20240101-20240131.tsv"
FEB = "data/factLendingBenchmark_20240201-20240229.tsv"
MAR = "data/factLendingBenchmark_20240301-20240331.tsv"
APR = "data/factLendingBenchmark_20240401-20240430.tsv"
MAY = "data/factLendingBenchmark_20240501-20240531.tsv.gz"
ORDERS = "data/orders_2024-06.csv"
#: A June extract with both defects the HTML must show: a missing business day and duplicates.
FAILING = "data/factLendingBenchmark_20240601-20240630.tsv"
MISSING_DAY = date(2024, 6, 12)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-tpl") / "ws"
    create_demo_workspace(root, size_mb=0.3, seed=5)
    return root


@pytest.fixture
def demo(template: Path, tmp_path: Path) -> Iterator[Path]:
    dst = tmp_path / "ws"
    shutil.copytree(template, dst)
    yield dst


@pytest.fixture(scope="session")
def failing(tmp_path_factory: pytest.TempPathFactory) -> FileTruth:
    """Deterministic: seed and size fixed, so golden files can hold its exact findings.
    Written outside the template, so copies of the demo hold only the demo's files."""
    target = tmp_path_factory.mktemp("failing") / Path(FAILING).name
    return write_fact_file(target, date(2024, 6, 1), date(2024, 6, 30),
                           rows_per_day=40, seed=3, missing_days=[MISSING_DAY],
                           duplicate_rows=4)


@pytest.fixture(scope="session")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as ex:
        yield ex


def validate(ws: Path, rel: str, pool: ThreadPoolExecutor) -> dict[str, Any]:
    """The validation report of ``ws/rel`` as ``validate --json`` prints it."""
    workspace = Workspace(ws)
    match = ConfigRegistry.load(workspace).match(ws / rel)
    plan = plan_file(ws / rel, match.entry, match.period, match.config_display)
    return validate_file(plan, executor=pool, workers=2).as_dict()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
