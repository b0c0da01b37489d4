"""``config generate``: write a config entry for a file nobody has described yet.

We sniff only the head of the file (decompressed, newline-aligned) with DuckDB's CSV sniffer,
which detects delimiter, quoting, header and column types far better than ``csv.Sniffer``;
then find the period column and its format, and turn the date part of the file name into a
placeholder. The result is checked with the same loader as hand-written configs and must match
the file it came from before it is shown or written.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from snowetl_tui.config.loader import validate_config_data
from snowetl_tui.config.patterns import month_period, parse_yyyymmdd, strip_compression
from snowetl_tui.data.compression import read_head
from snowetl_tui.data.sniff import guess_delimiter
from snowetl_tui.errors import InputError

HEAD_BYTES = 4 << 20
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")
_DUCK_TYPES = {
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "SMALLINT": "INTEGER",
    "TINYINT": "INTEGER",
    "HUGEINT": "NUMBER(38,0)",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "VARCHAR",
    "TIME": "VARCHAR",
    "VARCHAR": "VARCHAR",
}
_FIXED_DECIMAL = re.compile(r"^-?(\d*)\.?(\d*)$")


@dataclass(frozen=True)
class Generated:
    """A generated config for one or more files sharing a pattern."""

    files: tuple[Path, ...]
    config: dict[str, Any]
    filename: str

    def text(self) -> str:
        return json.dumps(self.config, indent=2) + "\n"


def derive_pattern(name: str) -> tuple[str, str]:
    """(pattern, table prefix) from a file name: date parts become placeholders."""
    bare = strip_compression(name)
    candidates = [
        (r"(?<!\d)(\d{8})-(\d{8})(?!\d)", "{date_range}"),
        (r"(?<![\d-])(\d{4}-\d{2})(?![\d-])", "{month}"),
        (r"(?<!\d)(\d{8})(?!\d)", "{date}"),
    ]
    for regex, placeholder in candidates:
        for m in re.finditer(regex, bare):
            try:
                if placeholder == "{date_range}":
                    if parse_yyyymmdd(m[1]) > parse_yyyymmdd(m[2]):
                        continue
                elif placeholder == "{month}":
                    month_period(m[1])
                else:
                    parse_yyyymmdd(m[1])
            except ValueError:
                continue
            pattern = bare[: m.start()] + placeholder + bare[m.end() :]
            return pattern, bare[: m.start()]
    stem = bare.rsplit(".", 1)[0]
    return bare, stem


def table_name_for(prefix: str) -> str:
    """``factLendingBenchmark_`` → ``FACT_LENDING_BENCHMARK``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", prefix)
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").upper()
    text = re.sub(r"_+", "_", text)
    if not text or not (text[0].isalpha() or text[0] == "_"):
        text = "T_" + text
    return text[:255] or "LOADED_FILE"


def _sniff(sample: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    query = (
        "SELECT Delimiter, Quote, HasHeader, Columns, DateFormat "
        "FROM sniff_csv(?, sample_size = -1{})"
    )
    # The delimiter is the one most lines agree on: DuckDB's sniffer, given a head with one
    # ragged row, can settle on a wrong single-column dialect.
    with open(sample, encoding="utf-8", errors="replace") as fh:
        delim = guess_delimiter([fh.readline() for _ in range(200)])
    try:
        try:
            row = con.execute(query.format(", delim = ?"), [str(sample), delim]).fetchone()
        except duckdb.Error:
            # A ragged or broken row in the head must not stop generation: the config is
            # about the well-formed rows, and validation will report the bad ones.
            row = con.execute(
                query.format(", delim = ?, ignore_errors = true"), [str(sample), delim]
            ).fetchone()
    except duckdb.Error as exc:
        raise InputError(f"cannot detect the format: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    if row is None:
        raise InputError("cannot detect the format: the sniffer returned nothing")
    delim, quote, header, columns, date_format = row
    return {
        "delimiter": delim,
        "quote": None if quote in ("(empty)", "", "\x00") else quote,
        "header": bool(header),
        "columns": list(columns),
        "date_format": date_format,
    }


def _values(sample: Path, sniffed: dict[str, Any], limit: int = 50_000) -> list[list[str]]:
    """Well-formed rows of the head as text, for date-format, decimal and calendar detection."""
    import csv

    with open(sample, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(
            fh,
            delimiter=sniffed["delimiter"],
            quotechar=sniffed["quote"] or '"',
            quoting=csv.QUOTE_MINIMAL if sniffed["quote"] else csv.QUOTE_NONE,
        )
        rows = []
        ncols = len(sniffed["columns"])
        for i, row in enumerate(reader):
            if (i == 0 and sniffed["header"]) or len(row) != ncols:
                continue
            rows.append(row)
            if len(rows) >= limit:
                break
    return rows


def _parse_all(values: Sequence[str], fmt: str) -> list[date] | None:
    out = []
    for v in values:
        if not v:
            continue
        try:
            out.append(datetime.strptime(v, fmt).date())
        except ValueError:
            return None
    return out or None


def _column_type(duck: str, values: Sequence[str]) -> str:
    if duck in ("DOUBLE", "FLOAT", "DECIMAL") or duck.startswith("DECIMAL"):
        ints = scale = 0
        for v in values:
            m = _FIXED_DECIMAL.match(v)
            if v and m is None:
                return "FLOAT"
            if m:
                ints, scale = max(ints, len(m[1])), max(scale, len(m[2]))
        if scale == 0:
            return "NUMBER(38,0)"
        precision = min(38, max(18, ints + scale + 4))
        return f"NUMBER({precision},{min(scale, precision)})"
    return _DUCK_TYPES.get(duck, "VARCHAR")


def generate_for_file(path: Path) -> Generated:
    """Sniff one file and build its config."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    head, _ = read_head(path, HEAD_BYTES)
    if not head.strip():
        raise InputError(f"{path}: the file is empty, nothing to detect")
    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
        tmp.write(head)
        tmp.flush()
        sniffed = _sniff(Path(tmp.name))
        rows = _values(Path(tmp.name), sniffed)
    names = [c["name"] for c in sniffed["columns"]]
    if not sniffed["header"]:
        names = [f"COL{i + 1}" for i in range(len(names))]
    by_col = [[r[i] for r in rows] for i in range(len(names))]
    columns: list[dict[str, Any]] = []
    date_column: str | None = None
    date_format: str | None = None
    for i, (name, col) in enumerate(zip(names, sniffed["columns"], strict=True)):
        ctype = _column_type(str(col["type"]), by_col[i])
        if ctype == "DATE" or (ctype in ("VARCHAR", "INTEGER") and by_col[i]):
            for fmt in ([sniffed["date_format"]] if sniffed["date_format"] else []) + list(
                _DATE_FORMATS
            ):
                if _parse_all(by_col[i], fmt):
                    ctype = "DATE"
                    if date_column is None or (
                        "DATE" in name.upper() and "DATE" not in date_column.upper()
                    ):
                        date_column, date_format = name, fmt
                    break
        nullable = any(v == "" for v in by_col[i]) or not by_col[i]
        columns.append({"name": name, "type": ctype, "nullable": nullable})

    pattern, prefix = derive_pattern(path.name)
    table = table_name_for(prefix or path.name)
    entry: dict[str, Any] = {
        "name": table.lower(),
        "file_pattern": pattern,
        "table_name": table,
        "columns": columns,
    }
    calendar: dict[str, Any] = {"days": "all"}
    if date_column is not None and date_format is not None:
        entry["date_column"] = date_column
        entry["date_format"] = date_format
        idx = names.index(date_column)
        days = _parse_all(by_col[idx], date_format) or []
        if days and (max(days) - min(days)).days >= 13 and all(d.weekday() < 5 for d in days):
            calendar = {"days": "business"}
    entry["duplicate_key_columns"] = []
    entry["delimiter"] = sniffed["delimiter"]
    if sniffed["quote"]:
        entry["quote_char"] = sniffed["quote"]
    entry["header"] = sniffed["header"]
    entry["encoding"] = "utf-8"
    entry["null_values"] = [""]
    entry["calendar"] = calendar
    entry["load"] = {"mode": "append", "create_table": True}
    config = {
        "version": 1,
        "description": f"Generated by `snowetl-tui config generate` from {path.name}",
        "target": "local",
        "files": [entry],
    }
    return Generated((path,), config, f"{table.lower()}.json")


def generate(paths: Sequence[Path], configs_dir: Path) -> list[Generated]:
    """Configs for the given files; files sharing a pattern share one config."""
    by_pattern: dict[str, Generated] = {}
    for path in paths:
        gen = generate_for_file(path)
        pattern = gen.config["files"][0]["file_pattern"]
        if pattern in by_pattern:
            prev = by_pattern[pattern]
            by_pattern[pattern] = Generated((*prev.files, path), prev.config, prev.filename)
        else:
            by_pattern[pattern] = gen
    out = list(by_pattern.values())
    for gen in out:
        loaded = validate_config_data(
            gen.config,
            path=configs_dir / gen.filename,
            display=f"configs/{gen.filename}",
            configs_dir=configs_dir,
        )
        pattern = loaded.entries[0].pattern
        for f in gen.files:
            if not pattern.matches(f.name):
                raise InputError(f"{f}: generated pattern '{pattern.pattern}' does not match it")
    return out
