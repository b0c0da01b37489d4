"""Staged files on a REAL Snowflake account — skipped unless asked for.

Run with ``SNOWETL_TEST_CONNECTION=<name> pytest tests/scale/test_stage_real.py``; the name is
looked up in your own ``connections.toml`` (``$SNOWFLAKE_HOME`` or ``~/.snowflake``, or
``SNOWETL_TEST_CONNECTIONS_FILE``). The connection needs a warehouse and a schema where it may
create a table and a stage; both are named ``SNOWETL_TEST_<random>`` and dropped at the end.

What fakesnow cannot show: ``LIST @stage/path/``, ``SELECT … FROM @stage (FILE_FORMAT => …,
PATTERN => …)`` through a temporary file format, and ``COPY … FILES=(…)`` from a named stage,
driven by the stage loader with its ledger and reconciliation.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.load.pipeline import LoadOptions
from snowetl_tui.load.stage_load import StageLoader, check_staged, group_staged
from snowetl_tui.warehouse.identifiers import string_literal
from snowetl_tui.warehouse.snowflake import connect_snowflake
from snowetl_tui.workspace import Workspace, snowflake_home

CONNECTION = os.environ.get("SNOWETL_TEST_CONNECTION")
# resolved at import, before the suite's autouse fixture points SNOWFLAKE_HOME at a temp dir
CONNECTIONS_FILE = Path(
    os.environ.get("SNOWETL_TEST_CONNECTIONS_FILE") or snowflake_home() / "connections.toml"
)

pytestmark = [
    pytest.mark.skipif(not CONNECTION, reason="set SNOWETL_TEST_CONNECTION to a connection name"),
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]


def month_file(path: Path, start: date, end: date, *, skip: date | None = None,
               duplicate: bool = False) -> None:
    lines = ["D\tID\tN"]
    d = start
    while d <= end:
        if d != skip:
            lines += [f"{d.isoformat()}\t{i}\tname {i}" for i in range(1, 4)]
        d += timedelta(days=1)
    if duplicate:
        lines.append(lines[1])
    path.write_text("\n".join(lines) + "\n")


def test_staged_files_are_checked_and_copied_by_name(tmp_path: Path) -> None:
    assert CONNECTION
    suffix = uuid.uuid4().hex[:8].upper()
    table, stage = f"SNOWETL_TEST_{suffix}", f"SNOWETL_TEST_STG_{suffix}"
    ws_root = tmp_path / "ws"
    (ws_root / "configs").mkdir(parents=True)
    (ws_root / "configs" / "real.json").write_text(json.dumps({"version": 1, "files": [{
        "file_pattern": "real_{month}.tsv", "table_name": table, "target": CONNECTION,
        "columns": [{"name": "D", "type": "DATE", "nullable": False},
                    {"name": "ID", "type": "INTEGER"}, {"name": "N", "type": "VARCHAR"}],
        "date_column": "D", "date_format": "%Y-%m-%d", "duplicate_key_columns": ["D", "ID"],
        "delimiter": "\t", "header": True, "calendar": {"days": "all"},
        "load": {"create_table": True}}]}))
    month_file(tmp_path / "real_2024-01.tsv", date(2024, 1, 1), date(2024, 1, 31))
    month_file(tmp_path / "real_2024-02.tsv", date(2024, 2, 1), date(2024, 2, 29),
               skip=date(2024, 2, 14), duplicate=True)
    ws = Workspace.resolve(str(ws_root))
    registry = ConfigRegistry.load(ws)

    def factory(target: str, entry: object) -> object:
        return connect_snowflake(CONNECTION, connections_path=CONNECTIONS_FILE)

    wh = connect_snowflake(CONNECTION, connections_path=CONNECTIONS_FILE)
    try:
        wh._run("create stage", lambda cur: cur.execute(f'CREATE STAGE "{stage}"'))
        for name in ("real_2024-01.tsv", "real_2024-02.tsv"):
            local = string_literal("file://" + str(tmp_path / name))
            wh._run("put", lambda cur, local=local: cur.execute(
                f'PUT {local} @"{stage}"/in/ AUTO_COMPRESS=TRUE'))
        files = wh.list_stage(f"{stage}/in/")
        assert [f.name for f in files] == ["real_2024-01.tsv.gz", "real_2024-02.tsv.gz"]

        groups = {g.period.label(): g for g in group_staged(registry, files, "@stage")}
        feb, _, _ = check_staged(wh, f"{stage}/in/", groups["2024-02"], file_format=None)
        assert feb.check("calendar").data["missing_days"] == ["2024-02-14"]
        assert feb.check("duplicates").data["excess_rows"] == 1
        jan, _, per_file = check_staged(wh, f"{stage}/in/", groups["2024-01"], file_format=None)
        assert jan.verdict == "pass" and per_file == {"real_2024-01.tsv.gz": 93}

        loader = StageLoader(ws, registry, warehouse_factory=factory)
        results = {r.file.rsplit("/", 1)[-1]: r
                   for r in loader.load_stage(f"@{stage}/in/", LoadOptions())}
        assert results["real_2024-01.tsv.gz"].state == "succeeded"
        assert results["real_2024-01.tsv.gz"].rows_loaded == 93
        assert results["real_2024-02.tsv.gz"].state == "failed"
        rows = wh._run("count", lambda cur: cur.execute(
            f'SELECT COUNT(*) FROM "{table}"').fetchall())
        assert rows[0][0] == 93
        assert len(wh.list_stage(f"{stage}/in/")) == 2  # the operator's files stay staged
    finally:
        try:
            wh._run("drop", lambda cur: cur.execute(f'DROP TABLE IF EXISTS "{table}"'))
            wh._run("drop", lambda cur: cur.execute(f'DROP STAGE IF EXISTS "{stage}"'))
        finally:
            wh.close()
