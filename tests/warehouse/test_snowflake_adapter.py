"""The Snowflake adapter with the real connector against a fakesnow server on 127.0.0.1.

What fakesnow cannot do is bent in the test set-up only, never in the product:
REMOVE and ALTER SESSION SET QUERY_TAG are no-ops through ``nop_regexes``; a RUNNING phase, a
poll-time failure and a login failure are injected by wrapping the server's routes
(see ``conftest.py``).
"""

from __future__ import annotations

import gzip
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zstandard

from snowetl_tui.warehouse.base import (
    ColumnDef,
    FileFormatSpec,
    PartToCopy,
    QueryState,
    TableRef,
    Warehouse,
    WarehouseError,
)
from snowetl_tui.warehouse.snowflake import (
    RetryPolicy,
    SnowflakeWarehouse,
    connect_snowflake,
    is_transient,
)
from snowetl_tui.warehouse.snowflake_sql import STAGE
from tests.warehouse.conftest import PASSWORD, FakesnowControl, free_port, write_connections

COLUMNS = [
    ColumnDef("id", "INTEGER", nullable=False),
    ColumnDef("d", "DATE"),
    ColumnDef("name", "VARCHAR(20)"),
    ColumnDef("amount", "NUMBER(12,2)"),
]
TSV = FileFormatSpec(delimiter="\t", quote=None, skip_header=0, null_values=("", "\\N"),
                     date_format="%Y-%m-%d")
TABLE = TableRef("FACT")

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")


def rows_tsv(rows: list[tuple[Any, ...]]) -> bytes:
    return "".join("\t".join(str(v) for v in r) + "\n" for r in rows).encode()


def make_part(tmp: Path, name: str, rows: list[tuple[Any, ...]]) -> PartToCopy:
    """A compressed part as the pipeline writes it: zstd or gzip by its suffix."""
    data = rows_tsv(rows)
    path = tmp / name
    if name.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor(level=1).compress(data))
    else:
        path.write_bytes(gzip.compress(data))
    return PartToCopy(name=name, path=path, rows=len(rows))


def day_rows(start_id: int, day: date, n: int) -> list[tuple[Any, ...]]:
    return [(start_id + i, day.isoformat(), f"n{start_id + i}", f"{i}.50") for i in range(n)]


@pytest.fixture
def parts(tmp_path: Path) -> list[PartToCopy]:
    return [
        make_part(tmp_path, "part-000001.tsv.zst",
                  day_rows(1, date(2024, 1, 1), 3) + day_rows(10, date(2024, 1, 2), 2)),
        make_part(tmp_path, "part-000002.tsv.gz",
                  [*day_rows(20, date(2024, 1, 3), 4), (99, "2024-01-03", "", "\\N")]),
    ]


def loaded(wh: SnowflakeWarehouse, load_id: str, parts: list[PartToCopy]) -> str:
    wh.create_table(TABLE, COLUMNS)
    for p in parts:
        wh.stage_part(load_id, p)
    qid = wh.submit_copy(TABLE, load_id, parts, TSV, COLUMNS)
    assert wh.poll(qid).state is QueryState.SUCCEEDED
    return qid


# -- connecting ------------------------------------------------------------------------------
def test_connect_through_connections_toml(wh: SnowflakeWarehouse, fs_ctl: FakesnowControl,
                                          db_name: str) -> None:
    assert isinstance(wh, Warehouse)
    assert wh.name == "fake"
    assert wh.engine == "fakesnow"
    assert (wh.current_database, wh.current_schema) == (db_name, "LOAD")
    caps = wh.capabilities
    assert (caps.needs_staging, caps.files_list_copy, caps.remove_staged,
            caps.transactional_copy) == (True, False, False, True)
    login = fs_ctl.logins[-1]
    assert login["QUERY_TAG"] == "job-test"
    assert login["CLIENT_SESSION_KEEP_ALIVE"] is True


def test_set_tag_binds_the_job_id(wh: SnowflakeWarehouse, fs_ctl: FakesnowControl) -> None:
    wh.set_tag("job-42 'quoted'")
    # pyformat binding happens in the connector: the value arrives escaped, never spliced
    assert any(s.startswith("ALTER SESSION SET QUERY_TAG = 'job-42 \\'quoted\\''")
               for s in fs_ctl.statements), fs_ctl.statements


def test_group_readable_connections_file_warns(sf_home: Path, fakesnow_server: dict[str, Any],
                                                 db_name: str) -> None:
    path = write_connections(sf_home, {"fake": {**fakesnow_server, "database": db_name}},
                             mode=0o644)
    with pytest.warns(UserWarning, match=r"chmod 600") as rec:
        connect_snowflake("fake").close()
    assert str(path) in str(rec[0].message)


def test_unknown_connection_lists_known_ones(sf_home: Path) -> None:
    path = write_connections(sf_home, {"prod": {"account": "a"}, "dev": {"account": "b"},
                                       "default_connection_name": "dev"})
    with pytest.raises(WarehouseError) as err:
        connect_snowflake("x")
    assert str(err.value) == f"unknown connection 'x' in {path}; known: dev, prod"
    assert not err.value.transient


def test_missing_connections_file(sf_home: Path) -> None:
    with pytest.raises(WarehouseError, match=r"connections.toml does not exist; create it"):
        connect_snowflake("prod")


def test_unreachable_account_is_one_line_transient(sf_home: Path, caplog: pytest.LogCaptureFixture
                                                   ) -> None:
    write_connections(sf_home, {"prod": {
        "account": "acme-prod", "user": "loader", "password": PASSWORD, "host": "127.0.0.1",
        "port": free_port(), "protocol": "http", "login_timeout": 1, "network_timeout": 1,
        "socket_timeout": 1,
    }})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WarehouseError) as err:
        connect_snowflake("prod")
    msg = str(err.value)
    assert err.value.transient
    assert "\n" not in msg
    assert "connection 'prod'" in msg and "account 'acme-prod'" in msg
    assert "check the network" in msg
    assert PASSWORD not in msg and PASSWORD not in repr(err.value)
    assert PASSWORD not in caplog.text


def test_login_failure_is_terminal_and_secret_free(conn_toml: Path, fs_ctl: FakesnowControl,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    fs_ctl.login_failure = ("390100", "Incorrect username or password was specified.")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WarehouseError) as err:
        connect_snowflake("fake")
    msg = str(err.value)
    assert not err.value.transient
    assert err.value.code == "390100"
    assert msg.startswith("login failed for connection 'fake' (account 'fakesnow') as user 'fake'")
    assert "Incorrect username or password" in msg and "fix the credentials of [fake]" in msg
    for text in (msg, repr(err.value), caplog.text):
        assert PASSWORD not in text


def test_inline_legacy_block_takes_password_from_env(fakesnow_server: dict[str, Any], db_name: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inline = {"account": "fakesnow", "user": "fake", "database": db_name, "schema": "LEGACY",
              "warehouse": None}
    server = {k: fakesnow_server[k] for k in ("host", "port", "protocol", "session_parameters")}
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    with pytest.raises(WarehouseError, match="no password; export SNOWFLAKE_PASSWORD"):
        connect_snowflake("legacy", inline=inline, connect_kwargs=server)
    with pytest.raises(WarehouseError, match="password in the config file is not accepted"):
        connect_snowflake("legacy", inline={**inline, "password": "x"}, connect_kwargs=server)
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", PASSWORD)
    with connect_snowflake("legacy", inline=inline, connect_kwargs=server) as wh:
        assert wh.current_schema == "LEGACY"


# -- tables ----------------------------------------------------------------------------------
def test_create_table_and_read_columns_back(wh: SnowflakeWarehouse) -> None:
    cols = [*COLUMNS, ColumnDef("ratio", "FLOAT"), ColumnDef("ok", "BOOLEAN"),
            ColumnDef("at", "TIMESTAMP"), ColumnDef("note", "VARCHAR"),
            ColumnDef("Mixed Case", "NUMBER(5,0)")]
    assert wh.table_columns(TABLE) is None
    wh.create_table(TABLE, cols)
    got = wh.table_columns(TABLE)
    assert got == [
        ColumnDef("ID", "INTEGER", nullable=False), ColumnDef("D", "DATE"),
        ColumnDef("NAME", "VARCHAR(20)"), ColumnDef("AMOUNT", "NUMBER(12,2)"),
        ColumnDef("RATIO", "FLOAT"), ColumnDef("OK", "BOOLEAN"), ColumnDef("AT", "TIMESTAMP"),
        ColumnDef("NOTE", "VARCHAR"), ColumnDef("Mixed Case", "NUMBER(5,0)"),
    ]
    wh.create_table(TABLE, cols)  # idempotent
    with pytest.raises(WarehouseError, match=r"already exists .* with columns ID, D"):
        wh.create_table(TABLE, COLUMNS[:2])
    qualified = TableRef(f"{wh.current_database}.LOAD.FACT")
    assert wh.table_columns(qualified) == got


# -- staging ---------------------------------------------------------------------------------
def test_put_zstd_and_gzip_parts_then_skip_on_rerun(wh: SnowflakeWarehouse,
                                                    parts: list[PartToCopy],
                                                    fs_ctl: FakesnowControl,
                                                    tmp_path: Path) -> None:
    for p in parts:
        wh.stage_part("load-1", p)
    other = make_part(tmp_path, "part-000009.tsv.gz", day_rows(500, date(2024, 2, 1), 1))
    wh.stage_part("load-2", other)
    sizes = {p.name: p.path.stat().st_size for p in parts}
    assert wh.list_staged("load-1") == sizes
    assert wh.list_staged("load-2") == {"part-000009.tsv.gz": other.path.stat().st_size}
    assert wh.list_staged("load-3") == {}

    # a fresh session (a resumed job) stages nothing twice
    fs_ctl.statements.clear()
    with connect_snowflake("fake", retry=RetryPolicy(sleep=lambda s: None)) as again:
        for p in parts:
            again.stage_part("load-1", p)
    assert not [s for s in fs_ctl.statements if s.startswith("PUT")], fs_ctl.statements


def test_stage_part_refuses_a_renamed_file(wh: SnowflakeWarehouse, parts: list[PartToCopy]
                                            ) -> None:
    with pytest.raises(WarehouseError, match="must be written under its own name"):
        wh.stage_part("load-1", PartToCopy("other.tsv.gz", parts[1].path, 1))
    with pytest.raises(WarehouseError, match="invalid load id"):
        wh.stage_part("../x", parts[0])


# -- copy ------------------------------------------------------------------------------------
def test_copy_async_with_injected_running_phase(wh: SnowflakeWarehouse, parts: list[PartToCopy],
                                               fs_ctl: FakesnowControl) -> None:
    wh.create_table(TABLE, COLUMNS)
    for p in parts:
        wh.stage_part("load-1", p)
    fs_ctl.running_polls = 2
    one = parts[:1]
    qid = wh.submit_copy(TABLE, "load-1", one, TSV, COLUMNS)
    assert [wh.poll(qid).state for _ in range(3)] == [
        QueryState.RUNNING, QueryState.RUNNING, QueryState.SUCCEEDED]
    outcome = wh.copy_results(qid)
    assert outcome.query_id == qid
    assert [(f.name, f.status, f.rows_parsed, f.rows_loaded) for f in outcome.files] == [
        ("part-000001.tsv.zst", "LOADED", 5, 5)]
    sent = [s for s in fs_ctl.statements if s.startswith("COPY INTO")]
    assert sent[-1].startswith(
        'COPY INTO "FACT" FROM '
        "@SNOWETL_STAGE/load-1/part-000001.tsv.zst FILE_FORMAT=(TYPE=CSV")
    assert sent[-1].endswith("ON_ERROR=ABORT_STATEMENT")


def test_copy_results_while_running_is_transient(wh: SnowflakeWarehouse,
                                                 parts: list[PartToCopy],
                                                 fs_ctl: FakesnowControl) -> None:
    wh.create_table(TABLE, COLUMNS)
    wh.stage_part("load-1", parts[0])
    fs_ctl.running_polls = 1
    qid = wh.submit_copy(TABLE, "load-1", parts[:1], TSV, COLUMNS)
    with pytest.raises(WarehouseError, match="still running") as err:
        wh.copy_results(qid)
    assert err.value.transient
    assert wh.copy_results(qid).rows_loaded == 5


def test_multi_part_copy_is_one_transaction(wh: SnowflakeWarehouse, parts: list[PartToCopy],
                                            fs_ctl: FakesnowControl) -> None:
    qid = loaded(wh, "load-1", parts)
    assert "," in qid  # one COPY per part on fakesnow: a composite id
    outcome = wh.copy_results(qid)
    assert [(f.name, f.rows_loaded) for f in outcome.files] == [
        ("part-000001.tsv.zst", 5), ("part-000002.tsv.gz", 5)]
    assert outcome.rows_loaded == outcome.rows_parsed == sum(p.rows for p in parts)
    copies = [i for i, s in enumerate(fs_ctl.statements) if s.startswith("COPY INTO")]
    assert fs_ctl.statements[copies[0] - 1] == "BEGIN"
    assert fs_ctl.statements[copies[-1] + 1] == "COMMIT"
    assert wh.count_period(TABLE, "d", date(2024, 1, 1), date(2024, 1, 31)) == 10
    # NULL_IF / EMPTY_FIELD_AS_NULL: '' and \N became NULL
    assert wh.count_per_day(TABLE, "d", date(2024, 1, 3), date(2024, 1, 3)) == {
        date(2024, 1, 3): 5}


def test_copy_failure_names_first_error_line_and_column(wh: SnowflakeWarehouse,
                                                        parts: list[PartToCopy],
                                                        tmp_path: Path) -> None:
    bad = make_part(tmp_path, "part-000003.tsv.gz",
                    [*day_rows(40, date(2024, 1, 4), 2), (42, "2024-01-04", "x", "abc")])
    wh.create_table(TABLE, COLUMNS)
    for p in [*parts, bad]:
        wh.stage_part("load-1", p)
    with pytest.raises(WarehouseError) as err:
        wh.submit_copy(TABLE, "load-1", [*parts, bad], TSV, COLUMNS)
    msg = str(err.value)
    assert "\n" not in msg and not err.value.transient
    assert msg.startswith("COPY into FACT failed on connection 'fake'")
    assert 'Could not convert string "abc"' in msg
    assert "part part-000003.tsv.gz" in msg and "line 3" in msg and "column AMOUNT" in msg
    assert err.value.code == "100038"
    # all or nothing: the good parts copied before the bad one were rolled back
    assert wh.count_period(TABLE, "d", date(2024, 1, 1), date(2024, 1, 31)) == 0
    # and a single-statement (async) COPY fails at submit the same way on fakesnow
    with pytest.raises(WarehouseError, match="line 3, column AMOUNT"):
        wh.submit_copy(TABLE, "load-1", [bad], TSV, COLUMNS)


def test_failure_reported_by_polling(wh: SnowflakeWarehouse, parts: list[PartToCopy],
                                     fs_ctl: FakesnowControl) -> None:
    """A real account reports COPY errors when polled; the message is Snowflake's."""
    wh.create_table(TABLE, COLUMNS)
    wh.stage_part("load-1", parts[1])
    qid = wh.submit_copy(TABLE, "load-1", parts[1:], TSV, COLUMNS)
    fs_ctl.poll_failures[qid] = ("100038", (
        "Numeric value 'abc' is not recognized\n"
        "  File 'snowetl_stage/load-1/part-000002.tsv.gz', line 4, character 17\n"
        '  Row 4, column "FACT"["AMOUNT":4]\n'
        "  If you would like to continue loading when an error is encountered, use other "
        "values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option."))
    status = wh.poll(qid)
    assert status.state is QueryState.FAILED
    assert status.error is not None
    assert "Numeric value 'abc' is not recognized (part part-000002.tsv.gz, line 4, " \
           "character 17, column AMOUNT)" in status.error
    with pytest.raises(WarehouseError, match="Numeric value 'abc'"):
        wh.copy_results(qid)


def test_second_copy_of_the_same_parts_is_skipped(wh: SnowflakeWarehouse,
                                                  parts: list[PartToCopy]) -> None:
    loaded(wh, "load-1", parts)
    again = wh.submit_copy(TABLE, "load-1", parts, TSV, COLUMNS)
    files = wh.copy_results(again).files
    assert {f.status for f in files} == {"LOAD_SKIPPED"}
    assert sum(f.rows_loaded for f in files) == 0
    assert wh.count_period(TABLE, "d", date(2024, 1, 1), date(2024, 1, 31)) == 10


def test_replace_period_deletes_and_copies_in_one_transaction(
        wh: SnowflakeWarehouse, parts: list[PartToCopy], tmp_path: Path,
        fs_ctl: FakesnowControl) -> None:
    loaded(wh, "load-1", parts)
    (tmp_path / "new").mkdir()
    new = make_part(tmp_path / "new", "part-000001.tsv.gz", day_rows(100, date(2024, 1, 2), 7))
    wh.stage_part("load-2", new)
    fs_ctl.statements.clear()
    qid = wh.submit_copy(TABLE, "load-2", [new], TSV, COLUMNS,
                         replace=("d", date(2024, 1, 1), date(2024, 1, 2)))
    assert wh.poll(qid).state is QueryState.SUCCEEDED
    assert wh.copy_results(qid).rows_loaded == 7
    assert wh.count_per_day(TABLE, "d", date(2024, 1, 1), date(2024, 1, 31)) == {
        date(2024, 1, 2): 7, date(2024, 1, 3): 5}
    kinds = [s.split()[0] for s in fs_ctl.statements]
    begin = kinds.index("BEGIN")
    assert kinds[begin:begin + 4] == ["BEGIN", "DELETE", "COPY", "COMMIT"]
    assert "FORCE=TRUE" in fs_ctl.statements[kinds.index("COPY")]

    # a failed replacement leaves the old rows in place
    bad = make_part(tmp_path / "new", "part-000002.tsv.gz", [(1, "2024-01-03", "x", "abc")])
    wh.stage_part("load-2", bad)
    with pytest.raises(WarehouseError, match="column AMOUNT"):
        wh.submit_copy(TABLE, "load-2", [bad], TSV, COLUMNS,
                       replace=("d", date(2024, 1, 3), date(2024, 1, 3)))
    assert wh.count_period(TABLE, "d", date(2024, 1, 3), date(2024, 1, 3)) == 5


def test_poll_unknown_and_invalid_ids(wh: SnowflakeWarehouse) -> None:
    assert wh.poll("01b2c3d4-0000-0000-0000-000000000000").state is QueryState.UNKNOWN
    assert wh.poll("not-a-query-id").state is QueryState.UNKNOWN
    with pytest.raises(WarehouseError, match="is unknown to connection 'fake'"):
        wh.copy_results("01b2c3d4-0000-0000-0000-000000000000")


def test_reattach_from_a_new_session(wh: SnowflakeWarehouse, parts: list[PartToCopy]) -> None:
    """A restarted engine polls the ledger's query id from a new session."""
    wh.create_table(TABLE, COLUMNS)
    wh.stage_part("load-1", parts[0])
    qid = wh.submit_copy(TABLE, "load-1", parts[:1], TSV, COLUMNS)
    wh.close()
    with connect_snowflake("fake") as again:
        assert again.poll(qid).state is QueryState.SUCCEEDED
        assert again.copy_results(qid).rows_loaded == 5


def test_cancel_is_tolerated_on_fakesnow(wh: SnowflakeWarehouse, parts: list[PartToCopy],
                                         fs_ctl: FakesnowControl) -> None:
    qid = loaded(wh, "load-1", parts[:1])
    wh.cancel(qid)
    assert any(s.startswith(f"SELECT SYSTEM$CANCEL_QUERY('{qid}')") for s in fs_ctl.statements)


# -- clean-up --------------------------------------------------------------------------------
def test_remove_staged_reports_leftovers_honestly(wh: SnowflakeWarehouse,
                                                  parts: list[PartToCopy],
                                                  fs_ctl: FakesnowControl) -> None:
    for p in parts:
        wh.stage_part("load-1", p)
    with pytest.raises(WarehouseError) as err:
        wh.remove_staged("load-1")  # REMOVE is a no-op here (nop_regexes)
    assert "REMOVE @SNOWETL_STAGE/load-1/" in fs_ctl.statements
    msg = str(err.value)
    assert msg.startswith("2 staged part(s) still in @SNOWETL_STAGE/load-1/ on connection 'fake'")
    assert "part-000001.tsv.zst, part-000002.tsv.gz" in msg


def test_remove_staged_passes_once_the_parts_are_gone(wh: SnowflakeWarehouse,
                                                      parts: list[PartToCopy],
                                                      conn_toml: Path) -> None:
    for p in parts:
        wh.stage_part("load-1", p)
    # what REMOVE would do, done the way fakesnow can: recreate the (test's own) stage
    with connect_snowflake("fake") as admin:
        admin._run("recreate", lambda cur: cur.execute(f"CREATE OR REPLACE STAGE {STAGE}"))
    wh.remove_staged("load-1")
    assert wh.list_staged("load-1") == {}


# -- checks and deletes ----------------------------------------------------------------------
def test_period_checks_and_delete(wh: SnowflakeWarehouse, parts: list[PartToCopy],
                                  tmp_path: Path) -> None:
    loaded(wh, "load-1", parts)
    dup = make_part(tmp_path, "part-000007.tsv.gz",
                    [(1, "2024-01-01", "again", "1"), (2, "2024-01-01", "again", "1"),
                     (10, "2024-01-02", "again", "1"), (500, "2024-02-01", "x", "1")])
    wh.stage_part("load-2", dup)
    wh.copy_results(wh.submit_copy(TABLE, "load-2", [dup], TSV, COLUMNS))
    jan = (date(2024, 1, 1), date(2024, 1, 31))
    assert wh.count_per_day(TABLE, "d", *jan) == {
        date(2024, 1, 1): 5, date(2024, 1, 2): 3, date(2024, 1, 3): 5}
    assert wh.duplicate_keys(TABLE, ["id"], "d", *jan) == 3
    assert wh.duplicate_keys(TABLE, ["id", "name"], "d", *jan) == 0
    assert wh.count_period(TABLE, "d", *jan) == 13
    assert wh.delete_period(TABLE, "d", date(2024, 1, 1), date(2024, 1, 2)) == 8
    assert wh.count_period(TABLE, "d", *jan) == 5
    assert wh.count_period(TABLE, "d", date(2024, 2, 1), date(2024, 2, 29)) == 1
    assert wh.delete_period(TABLE, "d", date(2024, 1, 1), date(2024, 1, 2)) == 0


def test_statement_errors_are_one_line_and_terminal(wh: SnowflakeWarehouse) -> None:
    with pytest.raises(WarehouseError) as err:
        wh.count_period(TableRef("NO_SUCH_TABLE"), "d", date(2024, 1, 1), date(2024, 1, 2))
    assert not err.value.transient
    msg = str(err.value)
    assert msg.startswith("counting rows of NO_SUCH_TABLE failed on connection 'fake'")
    assert "\n" not in msg and PASSWORD not in msg


# -- retry -----------------------------------------------------------------------------------
def test_retry_policy_backs_off_and_stops() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=5, base=0.5, cap=4.0, sleep=slept.append, jitter=lambda: 1.0)
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] < 4:
            raise WarehouseError("network", transient=True)
        return "ok"

    assert policy.call(flaky) == "ok"
    assert slept == [0.5, 1.0, 2.0]

    slept.clear()
    with pytest.raises(WarehouseError, match="network"):
        policy.call(lambda: (_ for _ in ()).throw(WarehouseError("network", transient=True)))
    assert len(slept) == 4 and max(slept) <= 4.0

    slept.clear()
    with pytest.raises(WarehouseError, match="syntax"):
        policy.call(lambda: (_ for _ in ()).throw(WarehouseError("syntax")))
    assert slept == []


def test_transient_classification() -> None:
    import snowflake.connector.errors as e

    assert is_transient(e.OperationalError(msg="x", errno=250001))
    assert is_transient(e.ServiceUnavailableError())
    assert is_transient(e.TooManyRequests())
    assert is_transient(ConnectionResetError())
    assert not is_transient(e.ProgrammingError(msg="syntax", errno=1003))
    assert not is_transient(e.DatabaseError(msg="Incorrect username", errno=390100))
    assert not is_transient(e.ProgrammingError(msg="denied", errno=3001))
    assert not is_transient(FileNotFoundError())


def test_transient_errors_are_retried_through_the_adapter(wh: SnowflakeWarehouse,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import snowflake.connector.errors as e

    slept: list[float] = []
    wh.retry = RetryPolicy(sleep=slept.append)
    conn = wh._conn
    real_cursor = conn.cursor
    failures = {"n": 2}

    def cursor(*args: Any, **kwargs: Any) -> Any:
        if failures["n"]:
            failures["n"] -= 1
            raise e.OperationalError(msg="Could not connect to Snowflake backend", errno=250001)
        return real_cursor(*args, **kwargs)

    monkeypatch.setattr(conn, "cursor", cursor)
    assert wh.table_columns(TableRef("NOPE")) is None
    assert len(slept) == 2



def test_quoted_csv_with_header_loads_verbatim(wh: SnowflakeWarehouse, tmp_path: Path) -> None:
    """FIELD_OPTIONALLY_ENCLOSED_BY, SKIP_HEADER and ESCAPE_UNENCLOSED_FIELD=NONE on fakesnow:
    a backslash in an unquoted field stays a backslash (Snowflake's default would eat it)."""
    csv = (b'id,d,name,amount\n'
           b'1,2024-01-01,"Smith, John",1.5\n'
           b'2,2024-01-01,C:\\temp\\new,2\n'
           b'3,2024-01-02,"say ""hi""",\n')
    path = tmp_path / "part-000001.csv.gz"
    path.write_bytes(gzip.compress(csv))
    part = PartToCopy("part-000001.csv.gz", path, 3)
    fmt = FileFormatSpec(delimiter=",", quote='"', skip_header=1, null_values=("",),
                         date_format=None)
    wh.create_table(TABLE, COLUMNS)
    wh.stage_part("csv-1", part)
    qid = wh.submit_copy(TABLE, "csv-1", [part], fmt, COLUMNS)
    assert wh.copy_results(qid).rows_loaded == 3
    rows = wh._run("read", lambda cur: wh._rows(
        cur, 'SELECT "ID" AS I, "NAME" AS N, "AMOUNT" AS A FROM "FACT" ORDER BY "ID"'))
    assert [(r[0], r[1], None if r[2] is None else float(r[2])) for r in rows] == [
        (1, "Smith, John", 1.5), (2, "C:\\temp\\new", 2.0), (3, 'say "hi"', None)]


# -- SQL builders (paths fakesnow cannot run) ------------------------------------------------
def test_files_list_copy_for_a_real_account() -> None:
    from snowetl_tui.warehouse.snowflake_sql import copy_statements

    parts = [PartToCopy(f"part-{i:06d}.tsv.zst", Path(f"/s/part-{i:06d}.tsv.zst"), 1)
             for i in range(1, 2501)]
    stmts = copy_statements(TABLE, "load-9", parts[:2], TSV, COLUMNS, files_list=True)
    assert stmts == [
        'COPY INTO "FACT" FROM @SNOWETL_STAGE/load-9/ '
        "FILES=('part-000001.tsv.zst', 'part-000002.tsv.zst') FILE_FORMAT=(TYPE=CSV "
        "FIELD_DELIMITER='\\t' SKIP_HEADER=0 FIELD_OPTIONALLY_ENCLOSED_BY=NONE "
        "NULL_IF=('\\\\N') EMPTY_FIELD_AS_NULL=TRUE ESCAPE_UNENCLOSED_FIELD=NONE "
        "COMPRESSION=AUTO) ON_ERROR=ABORT_STATEMENT"
    ]
    many = copy_statements(TABLE, "load-9", parts, TSV, COLUMNS, files_list=True, force=True)
    assert [s.count(".tsv.zst'") for s in many] == [1000, 1000, 500]
    assert all(s.endswith("ON_ERROR=ABORT_STATEMENT FORCE=TRUE") for s in many)


def test_file_format_options_beyond_fakesnow() -> None:
    from snowetl_tui.warehouse.snowflake_sql import file_format_sql

    fmt = FileFormatSpec(delimiter="|", quote="'", skip_header=1, null_values=("NULL",),
                         date_format="%d.%m.%Y", encoding="cp1252")
    assert file_format_sql(fmt) == (
        "FILE_FORMAT=(TYPE=CSV FIELD_DELIMITER='|' SKIP_HEADER=1 "
        "FIELD_OPTIONALLY_ENCLOSED_BY='\\'' NULL_IF=('NULL') EMPTY_FIELD_AS_NULL=FALSE "
        "ESCAPE_UNENCLOSED_FIELD=NONE COMPRESSION=AUTO ENCODING='WINDOWS1252' "
        "DATE_FORMAT='DD.MM.YYYY')"
    )
    with pytest.raises(WarehouseError, match="convert the file to UTF-8"):
        file_format_sql(FileFormatSpec("\t", None, 0, (), None, encoding="shift_jis"))


def test_type_mapping_round_trips() -> None:
    from snowetl_tui.warehouse.snowflake_sql import canonical_type, snowflake_type

    assert [snowflake_type(t) for t in ("INTEGER", "NUMBER(12,2)", "FLOAT", "BOOLEAN", "DATE",
                                        "TIMESTAMP", "VARCHAR(16)", "VARCHAR")] == [
        "NUMBER(38,0)", "NUMBER(12,2)", "FLOAT", "BOOLEAN", "DATE", "TIMESTAMP_NTZ",
        "VARCHAR(16)", "VARCHAR"]
    assert canonical_type("NUMBER", 38, 0, None) == "INTEGER"
    assert canonical_type("TEXT", None, None, 16777216) == "VARCHAR"
    assert canonical_type("TIMESTAMP_TZ", None, None, None) == "TIMESTAMP_TZ"
    with pytest.raises(WarehouseError):
        snowflake_type("VARIANT")


def test_copy_result_shapes() -> None:
    from snowetl_tui.warehouse.snowflake_sql import copy_file_results

    assert copy_file_results(["status"], [("Copy executed with 0 files processed.",)]) == []
    cols = ["file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen",
            "first_error", "first_error_line", "first_error_character",
            "first_error_column_name"]
    [res] = copy_file_results(cols, [("snowetl_stage/l/part-000001.tsv.gz", "PARTIALLY_LOADED",
                                      10, 9, 10, 1, "bad", 7, 3, '"T"["A":1]')])
    assert (res.name, res.rows_parsed, res.rows_loaded, res.first_error_line) == (
        "part-000001.tsv.gz", 10, 9, 7)
