"""The Snowflake SQL for staged files, statement by statement.

fakesnow cannot query staged files (``SELECT … FROM @stage (FILE_FORMAT => …)``), LIST a path,
or COPY with FILES from an internal stage, so the statements are checked here as text — names
validated and quoted, values bound or narrowly validated — and run for real only by the opt-in
test against an account (``test_stage_real.py``). What fakesnow can run (a missing stage, the
temporary file format) is run through the real connector below.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from snowetl_tui.warehouse.base import (
    ColumnDef,
    FileFormatSpec,
    StagedFile,
    TableRef,
    WarehouseError,
    duplicate_groups_sql,
    duplicate_totals_sql,
    read_only_query,
    with_data,
)
from snowetl_tui.warehouse.snowflake_sql import (
    MAX_FILES_PER_COPY,
    bad_dates_sql,
    check_staged_file,
    create_temp_format_sql,
    describe_stage_sql,
    list_stage_sql,
    named_format,
    parse_stage_location,
    stage_copy_statements,
    stage_url,
    staged_data_sql,
    staged_files,
    staged_pattern,
    staged_profile_sql,
    staged_select_sql,
    table_period_sql,
    temp_format_name,
)
from tests.warehouse.conftest import start_fakesnow, write_connections

FMT = FileFormatSpec("\t", None, 1, ("", "NULL"), "%d.%m.%Y", "utf-8", "BUSINESS_DATE")
COLS = [ColumnDef("BUSINESS_DATE", "DATE", False), ColumnDef("LOAN_ID", "INTEGER"),
        ColumnDef("CODE", "VARCHAR(4)"), ColumnDef("NOTE", "VARCHAR")]


def test_stage_locations():
    loc = parse_stage_location("@ext_stage/lending/2024-03")
    assert (loc.name.name, loc.path) == ("ext_stage", "lending/2024-03/")
    assert loc.sql == '@"EXT_STAGE"/lending/2024-03/'
    assert loc.display == "@ext_stage/lending/2024-03/"
    assert parse_stage_location("RAW.LANDING.S").sql == '@"RAW"."LANDING"."S"/'
    assert list_stage_sql(loc) == 'LIST @"EXT_STAGE"/lending/2024-03/'
    assert describe_stage_sql(loc) == 'DESC STAGE "EXT_STAGE"'
    for bad in ("@", "@a.b.c.d/x/", '@"S"/x/', "@S x/", "@S/../x/", "@S/a//b/", "@S/x'y/",
                "@S/a b/", "@S;DROP/"):
        with pytest.raises(WarehouseError, match="invalid stage"):
            parse_stage_location(bad)


def test_staged_file_names_are_narrow():
    assert check_staged_file("2024/part-0001.csv.gz") == "2024/part-0001.csv.gz"
    for bad in ("a'b.csv", "../x.csv", "a/./b", "/abs.csv", "a b.csv", "x\\y", "", "a/"):
        with pytest.raises(WarehouseError, match="cannot be loaded by name"):
            check_staged_file(bad)


def test_list_rows_become_relative_names():
    loc = parse_stage_location("@S/in/2024/")
    internal = [{"name": "s/in/2024/a.tsv", "size": 10, "md5": "m1", "last_modified": "t"},
                {"name": "s/in/2024/sub/b.tsv.gz", "size": 5, "md5": None,
                 "last_modified": None},
                {"name": "s/in/2024/", "size": 0}]
    assert staged_files(internal, loc, None) == [
        StagedFile("a.tsv", 10, "t", "m1"), StagedFile("sub/b.tsv.gz", 5, None, None)]
    url = stage_url([("STAGE_LOCATION", "URL", "String", '["s3://bucket/landing/"]', "")])
    assert url == "s3://bucket/landing/"
    external = [{"name": "s3://bucket/landing/in/2024/a.tsv", "size": 7},
                {"name": "s3://other/in/2024/x.tsv", "size": 1}]
    assert staged_files(external, loc, url) == [StagedFile("a.tsv", 7)]
    assert stage_url([("STAGE_LOCATION", "URL", "String", "", "")]) is None


def test_staged_select_reads_through_a_named_format_with_an_exact_pattern():
    loc = parse_stage_location("@S/in/")
    sql = staged_select_sql(loc, ["a.tsv", "sub/b.tsv.gz"], "raw.fmt_tsv", 4)
    assert sql == (
        'SELECT METADATA$FILENAME AS "__FILE", $1 AS "C0", $2 AS "C1", $3 AS "C2", $4 AS "C3" '
        "FROM @\"S\"/in/ (FILE_FORMAT => 'RAW.FMT_TSV', "
        "PATTERN => '(.*/)?(a[.]tsv|sub/b[.]tsv[.]gz)')"
    )
    assert staged_pattern(["x-1.csv"]) == "(.*/)?(x-1[.]csv)"
    for bad in ("fmt'; DROP TABLE X; --", "a.b.c.d", ""):
        with pytest.raises(WarehouseError, match="invalid file format name"):
            named_format(bad)


def test_profile_and_typed_view():
    staged = 'SELECT 1 AS "__FILE"'
    sql = staged_profile_sql(staged, COLS, FMT)
    assert sql.startswith("SELECT F, D, COUNT(*) AS N, SUM(BD) AS BD, SUM(TE0) AS TE0, ")
    assert "TRY_TO_DATE(\"C0\", 'DD.MM.YYYY')" in sql  # the config's date format, converted
    assert "TRY_CAST(\"C1\" AS NUMBER(38,0)) IS NULL" in sql
    assert 'LENGTH("C2") > 4' in sql
    assert "0 AS TE3" in sql  # VARCHAR: nothing to check
    assert "(\"C0\" IS NULL OR \"C0\" IN ('', 'NULL'))" in sql  # NOT NULL date column
    assert "0 AS NN1" in sql  # nullable
    assert sql.endswith("GROUP BY F, D ORDER BY F, D")
    assert bad_dates_sql(staged, COLS, FMT).endswith("IS NULL ORDER BY 1 LIMIT 20")
    data = staged_data_sql(staged, COLS, FMT, typed=True)
    assert 'TRY_CAST("C1" AS NUMBER(38,0)) END AS "LOAN_ID"' in data
    assert staged_data_sql(staged, COLS, FMT, typed=False) == (
        'SELECT "C0" AS "BUSINESS_DATE", "C1" AS "LOAN_ID", "C2" AS "CODE", "C3" AS "NOTE" '
        f"FROM ({staged}) AS R")
    assert table_period_sql(TableRef("db.s.fact"), "business_date") == (
        'SELECT * FROM "DB"."S"."FACT" WHERE "BUSINESS_DATE" BETWEEN %s AND %s')


def test_temporary_format_from_the_config():
    sql = create_temp_format_sql(FMT)
    name = temp_format_name(FMT)
    assert name.startswith("SNOWETL_FMT_") and len(name) == 24
    assert sql.startswith(f'CREATE TEMPORARY FILE FORMAT IF NOT EXISTS "{name}" TYPE=CSV ')
    assert "FIELD_DELIMITER='\\t' SKIP_HEADER=1" in sql
    assert "DATE_FORMAT='DD.MM.YYYY'" in sql and "ESCAPE_UNENCLOSED_FIELD=NONE" in sql
    other = FileFormatSpec(",", '"', 1, ("",), None, "utf-8", None)
    assert temp_format_name(other) != name  # one format per set of options


def test_copy_statements_name_every_file_at_most_1000_at_a_time():
    loc = parse_stage_location("@S/in/")
    table = TableRef("FACT")
    files = [f"part-{i:05d}.csv.gz" for i in range(2 * MAX_FILES_PER_COPY + 1)]
    statements = stage_copy_statements(table, loc, files, "FMT")
    assert len(statements) == 3
    assert [s.count(".csv.gz'") for s in statements] == [1000, 1000, 1]
    assert statements[2] == (
        "COPY INTO \"FACT\" FROM @\"S\"/in/ FILES=('part-02000.csv.gz') "
        "FILE_FORMAT=(FORMAT_NAME='FMT') ON_ERROR=ABORT_STATEMENT")
    forced = stage_copy_statements(table, loc, ["a.tsv"], "FMT", force=True)
    assert forced[0].endswith("ON_ERROR=ABORT_STATEMENT FORCE=TRUE")
    with pytest.raises(WarehouseError, match="no staged files"):
        stage_copy_statements(table, loc, [], "FMT")
    with pytest.raises(WarehouseError, match="duplicate staged file names"):
        stage_copy_statements(table, loc, ["a.tsv", "a.tsv"], "FMT")
    with pytest.raises(WarehouseError, match="cannot be loaded by name"):
        stage_copy_statements(table, loc, ["a'); DROP TABLE FACT; --"], "FMT")


def test_rule_and_duplicate_sql():
    assert with_data("select count(*) from data", "SELECT 1") == \
        "WITH data AS (SELECT 1) select count(*) from data"
    assert with_data("WITH x AS (SELECT 2) SELECT * FROM x, data;", "SELECT 1") == \
        "WITH data AS (SELECT 1), x AS (SELECT 2) SELECT * FROM x, data"
    for bad in ("DROP TABLE X", "SELECT 1; DROP TABLE X", "  ", "INSERT INTO T SELECT 1"):
        with pytest.raises(WarehouseError, match="must be a single SELECT"):
            read_only_query(bad, "rule")
    assert duplicate_totals_sql("SELECT 1", ['"A"', '"B"']) == (
        "SELECT COUNT(*) AS K, COALESCE(SUM(N - 1), 0) AS E FROM (SELECT COUNT(*) AS N FROM "
        '(SELECT 1) AS R GROUP BY "A", "B" HAVING COUNT(*) > 1) AS G')
    assert duplicate_groups_sql("SELECT 1", ['"A"']).endswith("ORDER BY N DESC, K0")


@pytest.fixture(scope="module")
def fake_wh(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from snowetl_tui.warehouse.snowflake import RetryPolicy, connect_snowflake

    home = tmp_path_factory.mktemp("sfhome")
    with start_fakesnow() as server:
        path = write_connections(home, {"fake": {**server, "database": "S_" + uuid.uuid4()
                                                 .hex[:8].upper(), "schema": "PUBLIC"}})
        wh = connect_snowflake("fake", connections_path=path,
                               retry=RetryPolicy(sleep=lambda s: None))
        try:
            yield wh
        finally:
            wh.close()


def test_missing_stage_through_the_real_connector(fake_wh):
    with pytest.raises(WarehouseError) as info:
        fake_wh.list_stage("NO_SUCH_STAGE/x/")
    message = str(info.value)
    assert message.startswith("LIST @NO_SUCH_STAGE/x/ failed on ")
    assert "\n" not in message and "NO_SUCH_STAGE" in message


def test_table_checks_through_the_real_connector(fake_wh):
    """Duplicates and rules of a period, on fakesnow: the values bound, `%` in a rule kept."""
    from snowetl_tui.warehouse.base import TableRows

    table = TableRef("T_" + uuid.uuid4().hex[:6].upper())
    cols = [ColumnDef("D", "DATE", False), ColumnDef("ID", "INTEGER"), ColumnDef("N", "VARCHAR")]
    fake_wh.create_table(table, cols)
    fake_wh._run("seed", lambda cur: cur.executemany(
        f'INSERT INTO "{table.name}" VALUES (%s, %s, %s)',
        [(date(2024, 1, 1), 1, "a%"), (date(2024, 1, 1), 1, "b"), (date(2024, 1, 2), 2, "c"),
         (date(2024, 2, 1), 1, "x")]))
    src = TableRows(table, "D", date(2024, 1, 1), date(2024, 1, 31))
    dups = fake_wh.duplicate_facts(src, cols, ["D", "ID"])
    assert (dups.keys, dups.excess_rows, dups.groups) == (1, 1, [(("2024-01-01", "1"), 2)])
    # with the period bound as parameters, a literal % must reach the server intact
    assert fake_wh.rule_value(src, cols, "SELECT COUNT(*) FROM data WHERE N LIKE 'a%'") == 1.0
    assert fake_wh.rule_value(src, cols, "SELECT COUNT(DISTINCT ID) FROM data") == 2.0
    assert fake_wh.rule_violations(src, cols, "N <> 'b'") == 1
    assert fake_wh.rule_violations(src, cols, "N LIKE 'a%' OR N IN ('b', 'c')") == 0
