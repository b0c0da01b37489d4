"""The local (DuckDB) COPY turns every spelling the validator accepts into the right value.

The COPY reads the validated file with DuckDB's typed CSV reader; these cases pin the values
where the two could disagree: Snowflake's boolean words, signs and bare dots in numbers,
``inf``/``nan``, ``T`` in timestamps, NULL tokens (also quoted), a custom period-column format,
and a config without any NULL token (empty strings stay empty strings).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from snowetl_tui.validate.kernel import KernelSpec, validate_chunk
from snowetl_tui.warehouse.base import ColumnDef, FileFormatSpec, PartToCopy, TableRef
from snowetl_tui.warehouse.duckdb_local import DuckDBWarehouse

COLUMNS = [
    ColumnDef("D", "DATE", False),
    ColumnDef("I", "INTEGER"),
    ColumnDef("N", "NUMBER(10,2)"),
    ColumnDef("F", "FLOAT"),
    ColumnDef("B", "BOOLEAN"),
    ColumnDef("T", "TIMESTAMP"),
    ColumnDef("S", "VARCHAR(8)"),
    ColumnDef("O", "DATE"),
]
ROWS = [
    ["2024-03-01", "+7", "+1.50", "inf", "on", "2024-03-01T01:02:03.5", "ab", "2023-01-31"],
    ["2024-03-02", "-0", ".5", "-NaN", "Off", "2024-03-01 01:02:03", "", "2023-02-28"],
    ["2024-03-03", "12", "-3.", "1e5", "YES", "2024-03-01 01:02:03.123456", "NULL", ""],
    ["2024-03-04", "", "7", "-1.5E-3", "f", "2024-02-29 23:59:59", "ü€", "2024-02-29"],
    ["2024-03-05", "1", "0.01", ".25", "n", "2024-03-05 00:00:00", "x", "2024-03-05"],
]
BOOLS = [True, False, True, False, False]


def write(path: Path, rows: list[list[str]], delim: str = "\t") -> Path:
    path.write_text("".join(delim.join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def kernel_clean(path: Path, fmt: FileFormatSpec) -> None:
    """The file really is valid for the validator (else this test would prove nothing)."""
    spec = KernelSpec(
        delimiter=fmt.delimiter.encode(), quote=fmt.quote.encode() if fmt.quote else None,
        ncols=len(COLUMNS), column_names=tuple(c.name for c in COLUMNS),
        column_types=tuple(c.type for c in COLUMNS),
        nullable=tuple(c.nullable for c in COLUMNS),
        null_values=tuple(v.encode() for v in fmt.null_values), date_index=0,
        date_format=fmt.date_format or "%Y-%m-%d", key_indices=())
    res = validate_chunk(spec, path.read_bytes(), 0, 0)
    assert (res.bad_field_count, res.type_errors, res.null_violations, res.bad_dates) == (
        0, {}, {}, 0)


def load(tmp_path: Path, path: Path, fmt: FileFormatSpec) -> list[tuple]:
    kernel_clean(path, fmt)
    wh = DuckDBWarehouse(tmp_path / "local.duckdb")
    table = TableRef("T1")
    wh.create_table(table, COLUMNS)
    wh.submit_copy(table, "load-1", [PartToCopy("p0", path, len(ROWS))], fmt, COLUMNS)
    con = duckdb.connect(str(tmp_path / "local.duckdb"), read_only=True)
    try:
        return con.execute("SELECT * FROM T1 ORDER BY D").fetchall()
    finally:
        con.close()


TSV = FileFormatSpec("\t", None, 0, ("", "NULL"), "%Y-%m-%d", date_column="D")


def test_every_accepted_spelling_loads_as_its_value(tmp_path):
    got = load(tmp_path, write(tmp_path / "f.tsv", ROWS), TSV)
    assert [r[0] for r in got] == [date(2024, 3, d) for d in range(1, 6)]
    assert [r[1] for r in got] == [7, 0, 12, None, 1]
    assert [r[2] for r in got] == [Decimal("1.50"), Decimal("0.50"), Decimal("-3.00"),
                                   Decimal("7.00"), Decimal("0.01")]
    assert got[0][3] == math.inf and math.isnan(got[1][3]) and got[2][3] == 1e5
    assert [r[4] for r in got] == BOOLS
    assert got[0][5] == datetime(2024, 3, 1, 1, 2, 3, 500000)
    assert got[2][5] == datetime(2024, 3, 1, 1, 2, 3, 123456)
    assert [r[6] for r in got] == ["ab", None, None, "ü€", "x"]  # "" and NULL are NULL tokens
    assert [r[7] for r in got] == [date(2023, 1, 31), date(2023, 2, 28), None,
                                   date(2024, 2, 29), date(2024, 3, 5)]


def test_custom_period_format_and_quoted_csv(tmp_path):
    rows = [[f"{r[0][8:10]}/{r[0][5:7]}/{r[0][:4]}", *r[1:]] for r in ROWS]
    rows[0][6] = '"a,b"'
    rows[1][6] = '""'  # a quoted NULL token is NULL too
    fmt = FileFormatSpec(",", '"', 0, ("", "NULL"), "%d/%m/%Y", date_column="D")
    got = load(tmp_path, write(tmp_path / "f.csv", rows, ","), fmt)
    assert [r[0] for r in got] == [date(2024, 3, d) for d in range(1, 6)]
    assert [r[6] for r in got] == ["a,b", None, None, "ü€", "x"]
    assert [r[4] for r in got] == BOOLS


def test_without_null_tokens_empty_strings_stay(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[3][1] = "4"
    rows[2][6] = "NULL"
    rows[2][7] = "2024-01-01"
    fmt = FileFormatSpec("\t", None, 0, (), "%Y-%m-%d", date_column="D")
    got = load(tmp_path, write(tmp_path / "f.tsv", rows), fmt)
    assert [r[6] for r in got] == ["ab", "", "NULL", "ü€", "x"]
    assert [r[1] for r in got] == [7, 0, 12, 4, 1]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_value_the_validator_would_reject_still_fails_the_copy(tmp_path, value):
    rows = [r[:] for r in ROWS]
    rows[0][4] = value
    wh = DuckDBWarehouse(tmp_path / "local.duckdb")
    table = TableRef("T1")
    wh.create_table(table, COLUMNS)
    with pytest.raises(Exception, match="BOOL"):
        wh.submit_copy(table, "load-1", [PartToCopy("p0", write(tmp_path / "f.tsv", rows),
                                                     len(rows))], TSV, COLUMNS)


def test_checks_on_staged_files_read_booleans_as_the_validator_does(tmp_path):
    """The in-warehouse checks of staged files use the same conversion as the COPY: Snowflake's
    words are booleans, anything else is a type error."""
    from snowetl_tui.warehouse.base import StagedRows

    stage = tmp_path / "stage"
    stage.mkdir()
    values = ["on", "OFF", "Yes", "n", "1", "maybe", "2", ""]
    (stage / "f.tsv").write_text("".join(f"2024-03-01\t{v}\n" for v in values))
    columns = [ColumnDef("D", "DATE", False), ColumnDef("B", "BOOLEAN")]
    fmt = FileFormatSpec("\t", None, 0, ("",), "%Y-%m-%d", date_column="D")
    wh = DuckDBWarehouse(tmp_path / "local.duckdb")
    src = StagedRows(str(stage), ("f.tsv",), fmt)
    [group] = wh.profile_staged(src, columns).groups
    assert group.rows == len(values)
    assert group.type_errors == (0, 2)  # "maybe" and "2"; "" is NULL
    sql, _ = wh._data_sql(src, columns)
    with wh._reader(src) as con:
        got = [r[1] for r in con.execute(sql).fetchall()]
    assert got == [True, False, True, False, True, None, None, None]
