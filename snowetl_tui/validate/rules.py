"""Custom rules from the config, evaluated by DuckDB.

* A **row rule** is a SQL boolean expression over the columns (``AMOUNT >= 0``); a row violates
  it when the expression is false (NULL passes, as in a SQL CHECK constraint — NULLs have
  their own check). Row rules run in the worker, on the chunk it already holds: Arrow parses
  the chunk as text, DuckDB casts each column to its declared type and counts violations.
* An **aggregate rule** is a query over the whole file, exposed as the view ``data``
  (``SELECT COUNT(DISTINCT LOAN_ID) FROM data``), whose single number must lie within
  ``min``/``max``. It cannot be merged from chunks, so it costs one extra pass over the file —
  at DuckDB's speed, and only when such rules are configured.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snowetl_tui.config.types import duckdb_type as duck_type
from snowetl_tui.validate.kernel import KernelSpec

MAX_RULE_EXAMPLES = 10


@dataclass(frozen=True)
class RowRule:
    """A row rule as shipped to workers (plain data, picklable)."""

    name: str
    sql: str


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def typed_view_sql(spec: KernelSpec, source: str) -> str:
    """``SELECT`` turning the all-text columns of ``source`` into typed, NULL-aware columns."""
    nulls = ", ".join("'" + v.decode(spec.encoding).replace("'", "''") + "'"
                      for v in spec.null_values)
    cols = []
    for i, (name, ctype) in enumerate(zip(spec.column_names, spec.column_types, strict=True)):
        raw = f"c{i}"
        if i == spec.date_index:
            fmt = spec.date_format.replace("'", "''")
            expr = f"CAST(TRY_STRPTIME({raw}, '{fmt}') AS DATE)"
        else:
            expr = f"TRY_CAST({raw} AS {duck_type(ctype)})"
        if nulls:
            expr = f"CASE WHEN {raw} IN ({nulls}) THEN NULL ELSE {expr} END"
        cols.append(f"{expr} AS {_quote_ident(name)}")
    return f"SELECT {', '.join(cols)}, __row FROM {source}"


def _arrow_text_table(spec: KernelSpec, data: bytes | memoryview) -> tuple[Any, list[int]]:
    """Parse the chunk as text; returns the table and the record numbers that were skipped."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    skipped: list[int] = []

    def on_invalid(row: Any) -> str:
        skipped.append(row.number if row.number is not None else -1)
        return "skip"

    names = [f"c{i}" for i in range(spec.ncols)]
    table = pacsv.read_csv(
        io.BytesIO(bytes(data)),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                       block_size=1 << 26, encoding=spec.encoding),
        parse_options=pacsv.ParseOptions(
            delimiter=spec.delimiter.decode(),
            quote_char=spec.quote.decode() if spec.quote else False,
            newlines_in_values=spec.quote is not None,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, skipped


def run_row_rules(
    spec: KernelSpec, data: bytes | memoryview, base: int, rules: Sequence[RowRule]
) -> tuple[dict[str, int], dict[str, list[tuple[int, str]]]]:
    """Count violations of each row rule in one chunk; examples are (record offset, values)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    table, skipped = _arrow_text_table(spec, data)
    kept = np.arange(table.num_rows + len(skipped), dtype=np.int64)
    if skipped:
        gone = np.asarray([s - 1 for s in skipped if s > 0], dtype=np.int64)
        kept = np.setdiff1d(kept, gone)[: table.num_rows]
    table = table.append_column("__row", pa.array(kept[: table.num_rows]))
    con = duckdb.connect()
    counts: dict[str, int] = {}
    examples: dict[str, list[tuple[int, str]]] = {}
    try:
        con.register("raw_chunk", table)
        con.execute(f"CREATE TEMP VIEW data AS {typed_view_sql(spec, 'raw_chunk')}")
        for rule in rules:
            n = con.execute(f"SELECT COUNT(*) FROM data WHERE NOT ({rule.sql})").fetchone()
            counts[rule.name] = int(n[0]) if n else 0
            if counts[rule.name]:
                rows = con.execute(
                    f"SELECT __row FROM data WHERE NOT ({rule.sql}) ORDER BY __row LIMIT ?",
                    [MAX_RULE_EXAMPLES],
                ).fetchall()
                examples[rule.name] = [(int(r[0]), "") for r in rows]
    finally:
        con.close()
    if examples:
        starts = _record_starts(spec, data)
        for name, rows in examples.items():
            examples[name] = [
                (base + int(starts[r]), _record_text(data, int(starts[r]), spec))
                for r, _ in rows if r < len(starts)
            ]
    return counts, examples


def _record_starts(spec: KernelSpec, data: bytes | memoryview) -> list[int]:
    """Offsets of record starts in the chunk (only computed when a rule has examples)."""
    buf = bytes(data)
    if spec.quote is None:
        starts = [0]
        pos = buf.find(b"\n")
        while pos >= 0 and pos + 1 < len(buf):
            starts.append(pos + 1)
            pos = buf.find(b"\n", pos + 1)
        return starts
    starts, quotes, prev = [0], 0, 0
    pos = buf.find(b"\n")
    while pos >= 0 and pos + 1 < len(buf):
        quotes += buf.count(spec.quote, prev, pos)
        prev = pos
        if quotes % 2 == 0:
            starts.append(pos + 1)
        pos = buf.find(b"\n", pos + 1)
    return starts


def _record_text(data: bytes | memoryview, start: int, spec: KernelSpec, limit: int = 200) -> str:
    buf = bytes(data[start : start + limit + 1])
    end = buf.find(b"\n")
    text = buf[: end if end >= 0 else limit].decode(spec.encoding, errors="replace")
    return text.rstrip("\r")


def check_rule_sql(spec: KernelSpec, sql: str, kind: str) -> str | None:
    """Compile a rule against an empty typed view; returns DuckDB's error or ``None``."""
    import duckdb
    import pyarrow as pa

    names = [f"c{i}" for i in range(spec.ncols)]
    empty = pa.table({**{n: pa.array([], pa.string()) for n in names},
                      "__row": pa.array([], pa.int64())})
    con = duckdb.connect()
    try:
        con.register("raw_chunk", empty)
        con.execute(f"CREATE TEMP VIEW data AS {typed_view_sql(spec, 'raw_chunk')}")
        query = sql if kind == "aggregate" else f"SELECT COUNT(*) FROM data WHERE NOT ({sql})"
        con.execute(query).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.close()
    return None


def run_aggregate_rule(
    spec: KernelSpec, path: Path, data_start_header: bool, sql: str
) -> float | None:
    """Evaluate an aggregate rule over the whole file (one DuckDB pass)."""
    import duckdb

    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(spec.ncols)) + "}"
    quote = spec.quote.decode() if spec.quote else ""
    con = duckdb.connect()
    try:
        # A view cannot take bound parameters, so the path is an escaped literal.
        con.execute(
            f"CREATE TEMP VIEW raw_file AS SELECT *, 0 AS __row FROM read_csv({lit(str(path))}, "
            f"delim = {lit(spec.delimiter.decode())}, quote = {lit(quote)}, "
            f"escape = {lit(quote)}, header = {'true' if data_start_header else 'false'}, "
            f"columns = {cols}, auto_detect = false, ignore_errors = true, "
            "null_padding = false, strict_mode = false)"
        )
        con.execute(f"CREATE TEMP VIEW data AS {typed_view_sql(spec, 'raw_file')}")
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    if row is None or row[0] is None:
        return None
    return float(row[0])
