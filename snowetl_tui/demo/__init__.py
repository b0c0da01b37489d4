"""Demo data: realistic extracts with known defects, for `snowetl-tui demo`, tests and benchmarks.

Core code (no Textual). The generator is deterministic for a seed and streams in constant memory,
so the same call produces byte-identical files of any size; see :mod:`.generator`.
"""

from snowetl_tui.demo.generator import (
    BLOCK_ROWS,
    DEMO_HOLIDAYS,
    RAGGED_DROPPED_COLUMN,
    DemoExistsError,
    DemoManifest,
    FileTruth,
    business_days,
    create_demo_workspace,
    demo_config,
    write_fact_file,
    write_orders_file,
)
from snowetl_tui.demo.schema import FACT_COLUMNS, ORDERS_COLUMNS, ColumnDef

__all__ = [
    "BLOCK_ROWS",
    "DEMO_HOLIDAYS",
    "FACT_COLUMNS",
    "ORDERS_COLUMNS",
    "RAGGED_DROPPED_COLUMN",
    "ColumnDef",
    "DemoExistsError",
    "DemoManifest",
    "FileTruth",
    "business_days",
    "create_demo_workspace",
    "demo_config",
    "write_fact_file",
    "write_orders_file",
]
