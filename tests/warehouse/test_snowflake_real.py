"""Contract test against a REAL Snowflake account — skipped unless asked for.

Run with ``SNOWETL_TEST_CONNECTION=<name> pytest tests/warehouse/test_snowflake_real.py``; the
name is looked up in your own ``connections.toml`` (``$SNOWFLAKE_HOME`` or ``~/.snowflake``, or
``SNOWETL_TEST_CONNECTIONS_FILE``). The connection needs a warehouse, a database and a schema
where it may create a table and a stage. The test creates ``SNOWETL_TEST_<random>`` and drops it.

It checks what fakesnow cannot show: ``COPY … FILES=(…)`` on an internal stage, true async
polling, REMOVE, SYSTEM$CANCEL_QUERY and the shape of a COPY that skips loaded files.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date
from pathlib import Path

import pytest

from snowetl_tui.warehouse.base import QueryState, TableRef
from snowetl_tui.warehouse.snowflake import connect_snowflake
from snowetl_tui.workspace import snowflake_home
from tests.warehouse.test_snowflake_adapter import COLUMNS, TSV, day_rows, make_part

CONNECTION = os.environ.get("SNOWETL_TEST_CONNECTION")
# resolved at import, before the suite's autouse fixture points SNOWFLAKE_HOME at a temp dir
CONNECTIONS_FILE = Path(
    os.environ.get("SNOWETL_TEST_CONNECTIONS_FILE") or snowflake_home() / "connections.toml"
)

pytestmark = [
    pytest.mark.skipif(not CONNECTION, reason="set SNOWETL_TEST_CONNECTION to a connection name"),
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]


def test_main_scenario_on_a_real_account(tmp_path: Path) -> None:
    assert CONNECTION
    table = TableRef("SNOWETL_TEST_" + uuid.uuid4().hex[:8].upper())
    load_id = "test-" + uuid.uuid4().hex[:8]
    parts = [
        make_part(tmp_path, "part-000001.tsv.zst",
                  day_rows(1, date(2024, 1, 1), 3) + day_rows(10, date(2024, 1, 2), 2)),
        make_part(tmp_path, "part-000002.tsv.gz", day_rows(20, date(2024, 1, 3), 4)),
    ]
    wh = connect_snowflake(CONNECTION, tag=f"snowetl-test-{load_id}",
                           connections_path=CONNECTIONS_FILE)
    try:
        assert wh.engine == "snowflake"
        assert wh.capabilities.files_list_copy and wh.capabilities.remove_staged
        wh.create_table(table, COLUMNS)
        for p in parts:
            wh.stage_part(load_id, p)
        assert set(wh.list_staged(load_id)) == {p.name for p in parts}

        qid = wh.submit_copy(table, load_id, parts, TSV, COLUMNS)
        deadline = time.monotonic() + 600
        while (state := wh.poll(qid).state) in (QueryState.RUNNING, QueryState.UNKNOWN):
            assert time.monotonic() < deadline, "COPY did not finish in 10 minutes"
            time.sleep(1)
        assert state is QueryState.SUCCEEDED
        outcome = wh.copy_results(qid)
        assert sorted((f.name, f.rows_loaded) for f in outcome.files) == [
            ("part-000001.tsv.zst", 5), ("part-000002.tsv.gz", 4)]

        jan = (date(2024, 1, 1), date(2024, 1, 31))
        assert wh.count_per_day(table, "d", *jan) == {
            date(2024, 1, 1): 3, date(2024, 1, 2): 2, date(2024, 1, 3): 4}
        assert wh.duplicate_keys(table, ["id"], "d", *jan) == 0

        # the same files again: skipped by load metadata, nothing loaded twice
        again = wh.copy_results(wh.submit_copy(table, load_id, parts, TSV, COLUMNS))
        assert again.rows_loaded == 0
        assert all(f.status == "LOAD_SKIPPED" for f in again.files)  # or no rows at all

        # replace one day in one transaction
        rqid = wh.submit_copy(table, load_id, parts[1:], TSV, COLUMNS,
                              replace=("d", date(2024, 1, 3), date(2024, 1, 3)))
        assert wh.poll(rqid).state is QueryState.SUCCEEDED
        assert wh.count_period(table, "d", *jan) == 9

        wh.cancel(qid)  # finished already: must not raise
        assert wh.delete_period(table, "d", date(2024, 1, 1), date(2024, 1, 1)) == 3
        wh.remove_staged(load_id)
        assert wh.list_staged(load_id) == {}
    finally:
        try:
            wh._run("drop test table", lambda cur: cur.execute(
                f'DROP TABLE IF EXISTS "{table.name}"'))
        finally:
            wh.close()
