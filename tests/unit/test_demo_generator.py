"""The demo generator writes what its FileTruth claims, verified independently.

Every check reads the files back with a different tool than the one that wrote them (DuckDB's
CSV reader with explicit types, Python's csv module, a plain line scan), so a bug in the
generator's bookkeeping cannot hide behind the same bug in the check.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from snowetl_tui.demo import (
    BLOCK_ROWS,
    DEMO_HOLIDAYS,
    FACT_COLUMNS,
    ORDERS_COLUMNS,
    RAGGED_DROPPED_COLUMN,
    DemoManifest,
    FileTruth,
    business_days,
    create_demo_workspace,
    demo_config,
    write_fact_file,
    write_orders_file,
)
from snowetl_tui.demo.schema import duckdb_type, varchar_length

SIZE_MB = 0.3
HOLIDAYS = {date.fromisoformat(d) for d in DEMO_HOLIDAYS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return create_demo_workspace(tmp_path_factory.mktemp("demo"), size_mb=SIZE_MB, seed=7)


def truth(demo: DemoManifest, prefix: str) -> FileTruth:
    (found,) = [f for f in demo.files if f.path.name.startswith(prefix)]
    return found


def fact_source(path: Path, *, strict: bool = True) -> str:
    """A DuckDB ``read_csv(...)`` with the declared types and no sniffing: a value that does not
    fit its declared type, or a wrong field count, is an error (unless ``strict`` is off)."""
    cols = ", ".join(f"'{c.name}': '{duckdb_type(c.type)}'" for c in FACT_COLUMNS)
    return (
        f"read_csv('{path}', columns={{{cols}}}, delim='\t', header=true, "
        "quote='', escape='', nullstr='', dateformat='%Y-%m-%d', "
        f"timestampformat='%Y-%m-%d %H:%M:%S', auto_detect=false, strict_mode={strict}, "
        f"ignore_errors={not strict})"
    )


def query(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def load(path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the file as table ``t`` (read once, queried many times)."""
    con = duckdb.connect()
    con.execute(f"create table t as select * from {fact_source(path)}")
    return con


def per_day_duckdb(path: Path) -> dict[date, int]:
    return dict(query(f"select BUSINESS_DATE, count(*) from {fact_source(path)} group by 1"))


def lines_of(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n") and b"\r" not in data
    return data[:-1].split(b"\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- layout and config ------------------------------------------------------------------------


def test_workspace_layout_and_config(demo: DemoManifest) -> None:
    ws = demo.workspace
    for sub in ("configs", "logs", ".snowetl", "data"):
        assert (ws / sub).is_dir()
    assert demo.config_path == ws / "configs" / "demo.json"
    names = sorted(p.name for p in (ws / "data").iterdir())
    assert names == [
        "factLendingBenchmark_20240101-20240131.tsv",
        "factLendingBenchmark_20240201-20240229.tsv",
        "factLendingBenchmark_20240301-20240331.tsv",
        "factLendingBenchmark_20240401-20240430.tsv",
        "factLendingBenchmark_20240501-20240531.tsv.gz",
        "orders_2024-06.csv",
    ]
    assert sorted(f.path.name for f in demo.files) == names
    readme = (ws / "README.md").read_text()
    assert "2024-02-14" in readme and "ragged" in readme and "duplicate" in readme

    text = demo.config_path.read_text()
    config = json.loads(text)
    assert text == json.dumps(demo_config(), indent=2) + "\n"
    fact, orders = config["files"]
    assert config["version"] == 1 and config["target"] == "local"
    assert fact["columns"] == [
        {"name": c.name, "type": c.type, "nullable": c.nullable} for c in FACT_COLUMNS
    ]
    assert fact["delimiter"] == "\t" and fact["null_values"] == [""]
    assert fact["duplicate_key_columns"] == ["BUSINESS_DATE", "LOAN_ID"]
    assert fact["calendar"] == {"days": "business", "holidays": DEMO_HOLIDAYS}
    assert [c["name"] for c in orders["columns"]] == [c.name for c in ORDERS_COLUMNS]
    assert orders["quote_char"] == '"' and orders["calendar"] == {"days": "all"}


def test_schema_is_forty_typed_columns() -> None:
    assert len(FACT_COLUMNS) == 40
    assert (FACT_COLUMNS[0].name, FACT_COLUMNS[0].type) == ("BUSINESS_DATE", "DATE")
    assert (FACT_COLUMNS[1].name, FACT_COLUMNS[1].type) == ("LOAN_ID", "INTEGER")
    types = Counter(
        "VARCHAR" if c.type.startswith("VARCHAR") else c.type.split("(")[0] for c in FACT_COLUMNS
    )
    assert types["VARCHAR"] >= 8 and types["NUMBER"] >= 4 and types["FLOAT"] >= 3
    assert types["INTEGER"] >= 3 and types["BOOLEAN"] >= 2 and types["TIMESTAMP"] == 1
    assert "MATURITY_DATE" in {c.name for c in FACT_COLUMNS}
    nullable = [c for c in FACT_COLUMNS if c.nullable]
    assert len(nullable) == 1 and nullable[0].type.startswith("VARCHAR")


# -- the clean file ----------------------------------------------------------------------------


def test_clean_file_matches_truth_and_declared_types(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240101")
    con = load(t.path)  # explicit types, strict: any non-conforming value raises
    assert con.execute("select count(*) from t").fetchall() == [(t.rows,)]
    assert per_day_duckdb(t.path) == t.per_day
    assert set(t.per_day) == set(business_days(t.period_start, t.period_end))
    assert not set(t.per_day) & HOLIDAYS
    assert all(d.weekday() < 5 for d in t.per_day)
    assert t.missing_days == [] and t.duplicate_keys == [] and t.ragged_lines == []
    assert t.bytes == t.path.stat().st_size
    assert 250 <= t.bytes / t.rows <= 350

    [(distinct,)] = con.execute("select count(distinct (BUSINESS_DATE, LOAN_ID)) from t").fetchall()
    assert distinct == t.rows

    # VARCHAR(n) lengths hold, only nullable columns have nulls, NUMBER(18,2) fits
    for c in FACT_COLUMNS:
        [(nulls, longest)] = con.execute(
            f'select count(*) - count("{c.name}"), max(length("{c.name}"::varchar)) from t'
        ).fetchall()
        assert c.nullable or nulls == 0, c.name
        if (n := varchar_length(c.type)) is not None:
            assert longest <= n, c.name


def test_raw_text_format(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240101")
    lines = lines_of(t.path)
    assert lines[0].decode().split("\t") == [c.name for c in FACT_COLUMNS]
    assert len(lines) == t.rows + 1
    rows = [line.decode().split("\t") for line in lines[1:]]
    assert all(len(r) == 40 for r in rows)
    assert not any('"' in line.decode() for line in lines)
    col = {c.name: i for i, c in enumerate(FACT_COLUMNS)}
    for c in FACT_COLUMNS:
        values = {r[col[c.name]] for r in rows}
        if c.type == "BOOLEAN":
            assert values <= {"true", "false"}, c.name
        elif c.type == "DATE":
            assert all(len(v) == 10 and date.fromisoformat(v) for v in values), c.name
        elif c.type == "TIMESTAMP":
            assert all(len(v) == 19 and v[10] == " " for v in values)
        elif c.type.startswith("NUMBER"):
            assert all(v.split(".")[1].isdigit() and len(v.split(".")[1]) == 2 for v in values)
    assert "" in {r[col["COLLATERAL_TYPE"]] for r in rows}
    assert {r[col["IS_SECURED"]] for r in rows} == {"true", "false"}
    keys = [(r[0], int(r[1])) for r in rows]
    assert keys == sorted(keys)  # by BUSINESS_DATE, then LOAN_ID


def test_nullable_column_is_empty_about_ten_percent(tmp_path: Path) -> None:
    t = write_fact_file(
        tmp_path / "f.tsv", date(2024, 1, 2), date(2024, 1, 3), rows_per_day=4000, seed=3
    )
    [(share,)] = (
        load(t.path)
        .execute("select avg(case when COLLATERAL_TYPE is null then 1.0 else 0.0 end) from t")
        .fetchall()
    )
    assert 0.07 <= share <= 0.14


def test_loan_attributes_are_stable_across_days(demo: DemoManifest) -> None:
    con = load(truth(demo, "factLendingBenchmark_20240101").path)
    [(joined, changed)] = con.execute(
        "select count(*), count(*) filter (where a.COUNTERPARTY_ID <> b.COUNTERPARTY_ID "
        "or a.PRODUCT_TYPE <> b.PRODUCT_TYPE or a.ORIGINATION_DATE <> b.ORIGINATION_DATE "
        "or a.ORIGINAL_PRINCIPAL <> b.ORIGINAL_PRINCIPAL) "
        "from t a join t b on a.LOAN_ID = b.LOAN_ID "
        "and a.BUSINESS_DATE = DATE '2024-01-02' and b.BUSINESS_DATE = DATE '2024-01-31'"
    ).fetchall()
    assert joined >= 20 and changed == 0


def test_rows_per_day_vary_within_five_percent(tmp_path: Path) -> None:
    t = write_fact_file(
        tmp_path / "f.tsv", date(2024, 1, 1), date(2024, 1, 31), rows_per_day=1000, seed=11
    )
    counts = list(t.per_day.values())
    assert all(949 <= c <= 1051 for c in counts)
    assert len(set(counts)) > 5  # it does vary
    assert per_day_duckdb(t.path) == t.per_day


# -- the defective files -----------------------------------------------------------------------


def test_missing_day_is_really_absent(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240201")
    assert t.missing_days == [date(2024, 2, 14)]
    found = per_day_duckdb(t.path)
    assert found == t.per_day
    expected = set(business_days(t.period_start, t.period_end)) - {date(2024, 2, 14)}
    assert set(found) == expected
    assert date(2024, 2, 19) not in found  # holiday


def test_duplicates_are_really_duplicated(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240301")
    con = load(t.path)
    dups = con.execute(
        "select strftime(BUSINESS_DATE, '%Y-%m-%d'), LOAN_ID::varchar, count(*) from t "
        "group by BUSINESS_DATE, LOAN_ID having count(*) > 1 order by BUSINESS_DATE, LOAN_ID"
    ).fetchall()
    assert [(d, k) for d, k, _ in dups] == t.duplicate_keys
    assert sum(n - 1 for _, _, n in dups) == t.duplicate_excess_rows == 25
    assert len(t.duplicate_keys) == 24  # one key occurs three times
    assert len({d for d, _ in t.duplicate_keys}) >= 3
    assert con.execute("select count(*) from t").fetchall() == [(t.rows,)]
    assert per_day_duckdb(t.path) == t.per_day
    # the copies are exact copies, adjacent to their original
    lines = lines_of(t.path)
    assert len(lines) - len(set(lines)) == 25


def test_ragged_row_has_39_fields(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240401")
    lines = lines_of(t.path)
    bad = [i + 1 for i, line in enumerate(lines) if line.count(b"\t") != 39]
    assert bad == t.ragged_lines and len(bad) == 1
    (lineno,) = bad
    assert 0.25 * len(lines) < lineno < 0.75 * len(lines)
    fields = lines[lineno - 1].decode().split("\t")
    assert len(fields) == 39
    names = [c.name for c in FACT_COLUMNS if c.name != RAGGED_DROPPED_COLUMN]
    assert date.fromisoformat(fields[names.index("BUSINESS_DATE")])
    # rows and per_day include the ragged row under its (intact) date
    assert len(lines) - 1 == t.rows
    assert Counter(date.fromisoformat(x.split(b"\t")[0].decode()) for x in lines[1:]) == Counter(
        t.per_day
    )
    with pytest.raises(duckdb.Error):
        query(f"select count(*) from {fact_source(t.path)}")
    [(good,)] = query(f"select count(*) from {fact_source(t.path, strict=False)}")
    assert good == t.rows - 1


def test_gzip_file_is_a_valid_tsv(demo: DemoManifest) -> None:
    t = truth(demo, "factLendingBenchmark_20240501")
    assert t.compressed == "gzip" and t.path.read_bytes()[:2] == b"\x1f\x8b"
    lines = lines_of(t.path)
    assert len(lines) == t.rows + 1 and all(x.count(b"\t") == 39 for x in lines)
    assert per_day_duckdb(t.path) == t.per_day
    assert t.bytes == t.path.stat().st_size < 0.5 * sum(len(x) + 1 for x in lines)


# -- orders CSV --------------------------------------------------------------------------------


def test_orders_csv_parses_with_csv_module(demo: DemoManifest) -> None:
    t = truth(demo, "orders_")
    with open(t.path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [c.name for c in ORDERS_COLUMNS]
    body = rows[1:]
    assert len(body) == t.rows == 3000 and all(len(r) == 5 for r in body)
    ids = [int(r[0]) for r in body]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    days = Counter(date.fromisoformat(r[1]) for r in body)
    june = {date(2024, 6, 1) + timedelta(days=i) for i in range(30)}
    assert set(days) == june and dict(days) == t.per_day
    customers = [r[2] for r in body]
    assert sum('"' in c for c in customers) == 1
    assert sum("," in c for c in customers) > 10
    assert all(len(c) <= 64 for c in customers)
    for r in body:
        amount = Decimal(r[3])
        assert amount.as_tuple().exponent == -2 and amount < Decimal("1e10")
        assert 0 < len(r[4]) <= 16
    raw = t.path.read_text(encoding="utf-8")
    assert '""Blue Door""' in raw and '",' in raw


# -- determinism and safety --------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(demo: DemoManifest, tmp_path: Path) -> None:
    again = create_demo_workspace(tmp_path / "again", size_mb=SIZE_MB, seed=7)
    other = create_demo_workspace(tmp_path / "other", size_mb=SIZE_MB, seed=8)
    for a, b, c in zip(demo.files, again.files, other.files, strict=True):
        assert sha256(a.path) == sha256(b.path), a.path.name
        assert sha256(a.path) != sha256(c.path), a.path.name
        assert a.per_day == b.per_day and a.duplicate_keys == b.duplicate_keys
    assert demo.config_path.read_bytes() == again.config_path.read_bytes()


def test_refuses_to_overwrite_an_existing_demo(demo: DemoManifest) -> None:
    before = {f.path: sha256(f.path) for f in demo.files}
    with pytest.raises(FileExistsError, match=r"demo\.json"):
        create_demo_workspace(demo.workspace, size_mb=SIZE_MB)
    assert {f.path: sha256(f.path) for f in demo.files} == before


def test_refuses_to_overwrite_a_data_file(tmp_path: Path) -> None:
    target = tmp_path / "data" / "orders_2024-06.csv"
    target.parent.mkdir()
    target.write_text("mine\n")
    with pytest.raises(FileExistsError, match=r"orders_2024-06\.csv"):
        create_demo_workspace(tmp_path, size_mb=SIZE_MB)
    assert target.read_text() == "mine\n"
    assert not (tmp_path / "configs" / "demo.json").exists()


def test_multi_block_days_with_defects(tmp_path: Path) -> None:
    """Days larger than one block: keys stay unique and ordered across block boundaries, and
    the defects land where the truth says."""
    t = write_fact_file(
        tmp_path / "big.tsv.gz", date(2024, 1, 4), date(2024, 1, 5),
        rows_per_day=BLOCK_ROWS + 700, seed=5, duplicate_rows=6, ragged_rows=2, compress="gzip",
    )  # fmt: skip
    lines = lines_of(t.path)
    assert len(lines) - 1 == t.rows == sum(t.per_day.values())
    assert [i + 1 for i, x in enumerate(lines) if x.count(b"\t") != 39] == t.ragged_lines
    keys = [tuple(x.split(b"\t", 2)[:2]) for x in lines[1:]]
    assert keys == sorted(keys, key=lambda k: (k[0], int(k[1])))
    counts = Counter(keys)
    dups = sorted((k[0].decode(), k[1].decode()) for k, n in counts.items() if n > 1)
    assert dups == t.duplicate_keys
    assert sum(n - 1 for n in counts.values()) == t.duplicate_excess_rows == 6
    assert not list(tmp_path.glob("*.partial"))


def test_invalid_requests_are_refused(tmp_path: Path) -> None:
    jan = (date(2024, 1, 1), date(2024, 1, 31))
    with pytest.raises(ValueError, match="not business days"):
        write_fact_file(tmp_path / "a.tsv", *jan, rows_per_day=5, seed=1,
                        missing_days=[date(2024, 1, 6)])  # fmt: skip
    with pytest.raises(ValueError, match="compress"):
        write_fact_file(tmp_path / "a.tsv", *jan, rows_per_day=5, seed=1, compress="bz2")
    with pytest.raises(ValueError, match="too few"):
        write_fact_file(tmp_path / "a.tsv", date(2024, 1, 2), date(2024, 1, 2), rows_per_day=3,
                        seed=1, duplicate_rows=10)  # fmt: skip
    with pytest.raises(ValueError, match="every day"):
        write_orders_file(tmp_path / "o.csv", date(2024, 2, 1), rows=10, seed=1)
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_failure_midway_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from snowetl_tui.demo import generator

    real = generator._fact_block
    calls = iter(range(100))

    def flaky(*args, **kwargs):
        if next(calls) == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(generator, "_fact_block", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_fact_file(tmp_path / "f.tsv.gz", date(2024, 1, 1), date(2024, 1, 31),
                        rows_per_day=50, seed=1, compress="gzip")  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_zstd_output_round_trips(tmp_path: Path) -> None:
    import zstandard

    kw = {"rows_per_day": 60, "seed": 2}
    plain = write_fact_file(tmp_path / "f.tsv", date(2024, 1, 2), date(2024, 1, 5), **kw)
    zst = write_fact_file(
        tmp_path / "f.tsv.zst", date(2024, 1, 2), date(2024, 1, 5), compress="zstd", **kw
    )
    with open(zst.path, "rb") as f:
        assert zstandard.ZstdDecompressor().stream_reader(f).read() == plain.path.read_bytes()
    assert zst.compressed == "zstd" and zst.per_day == plain.per_day


def test_demo_package_does_not_import_textual() -> None:
    code = "import sys, snowetl_tui.demo; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
