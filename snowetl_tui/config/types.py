"""Column types, identifiers and date formats as a load config spells them.

Operators write types the way Snowflake does (``NUMBER(18,2)``, ``VARCHAR(16)``, ``INT``,
``TIMESTAMP_NTZ``); we normalise them to a small canonical set the validator and the warehouse
adapters understand, and reject anything else with a message listing what is accepted.
"""

from __future__ import annotations

import re
from datetime import date, datetime

CANONICAL_TYPES = "INTEGER, NUMBER(p,s), FLOAT, BOOLEAN, DATE, TIMESTAMP, VARCHAR(n)"

_INTEGER = {"INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"}
_NUMBER = {"NUMBER", "NUMERIC", "DECIMAL"}
_FLOAT = {"FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"}
_BOOLEAN = {"BOOLEAN", "BOOL"}
_DATE = {"DATE"}
_TIMESTAMP = {"TIMESTAMP", "TIMESTAMP_NTZ", "DATETIME"}
_VARCHAR = {"VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER"}
_TYPE_RE = re.compile(r"^\s*([A-Za-z_ 0-9]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")

# Unquoted Snowflake identifier; table names may be qualified as db.schema.table.
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_CONNECTION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")


def normalize_type(raw: str) -> str:
    """Canonical form of a column type; raises ``ValueError`` with what is accepted."""
    m = _TYPE_RE.match(raw)
    if not m:
        raise ValueError(f"unknown column type '{raw}'; expected one of {CANONICAL_TYPES}")
    base = " ".join(m[1].upper().split())
    p, s = m[2], m[3]
    if base in _INTEGER and p is None:
        return "INTEGER"
    if base in _NUMBER:
        precision = int(p) if p is not None else 38
        scale = int(s) if s is not None else 0
        if not 1 <= precision <= 38:
            raise ValueError(f"precision of '{raw}' must be 1..38")
        if not 0 <= scale <= precision:
            raise ValueError(f"scale of '{raw}' must be 0..precision")
        return f"NUMBER({precision},{scale})"
    if base in _FLOAT and p is None:
        return "FLOAT"
    if base in _BOOLEAN and p is None:
        return "BOOLEAN"
    if base in _DATE and p is None:
        return "DATE"
    if base in _TIMESTAMP and s is None:
        return "TIMESTAMP"
    if base in _VARCHAR and s is None:
        if p is None:
            return "VARCHAR"
        n = int(p)
        if not 1 <= n <= 16_777_216:
            raise ValueError(f"length of '{raw}' must be 1..16777216")
        return f"VARCHAR({n})"
    raise ValueError(f"unknown column type '{raw}'; expected one of {CANONICAL_TYPES}")


def check_table_name(name: str) -> str:
    """A table name: an unquoted identifier, optionally qualified ``db.schema.table``."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or not all(_IDENT.match(p) for p in parts):
        raise ValueError(
            f"'{name}' is not a valid table name (letters, digits, _ and $, starting with a "
            "letter or _; optionally qualified as database.schema.table)"
        )
    return name


def check_column_name(name: str) -> str:
    """A column name: any printable text without double quotes (it is always quoted in SQL)."""
    if not name or not name.strip():
        raise ValueError("a column name must not be empty")
    if len(name) > 255:
        raise ValueError(f"column name '{name[:40]}…' is longer than 255 characters")
    if '"' in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"column name {name!r} contains a double quote or a control character")
    return name


def check_connection_name(name: str) -> str:
    """A connection name as used in Snowflake's connections.toml (or ``local``)."""
    if not _CONNECTION.match(name):
        raise ValueError(
            f"'{name}' is not a valid connection name (letters, digits, _, . and -)"
        )
    return name


_SNOWFLAKE_TOKENS = [
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MON", "%b"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH24", "%H"),
    ("MI", "%M"),
    ("SS", "%S"),
]
_SAMPLE = datetime(2024, 11, 28, 13, 45, 59)


def normalize_date_format(raw: str) -> str:
    """A strptime format for a date column; accepts strptime (``%Y-%m-%d``) or Snowflake
    style (``YYYY-MM-DD``). Checked by formatting and parsing back a sample date, so a format
    that cannot round-trip a date is refused at config time, not in the middle of a load."""
    fmt = raw
    if "%" not in raw:
        fmt, rest = "", raw
        while rest:
            for token, directive in _SNOWFLAKE_TOKENS:
                if rest.upper().startswith(token):
                    fmt += directive
                    rest = rest[len(token) :]
                    break
            else:
                if rest[0].isalpha():
                    raise ValueError(
                        f"date format '{raw}' has an unknown part at '{rest}'; use strptime "
                        "directives like %Y-%m-%d or Snowflake tokens like YYYY-MM-DD"
                    )
                fmt += rest[0]
                rest = rest[1:]
    has_year = "%Y" in fmt or "%y" in fmt
    has_month = "%m" in fmt or "%b" in fmt
    if not (has_year and has_month and "%d" in fmt):
        raise ValueError(f"date format '{raw}' must contain a year, a month and a day")
    try:
        text = _SAMPLE.strftime(fmt)
        back = datetime.strptime(text, fmt)
    except ValueError as exc:
        raise ValueError(f"date format '{raw}' is not a valid format: {exc}") from None
    if back.date() != _SAMPLE.date():
        raise ValueError(f"date format '{raw}' does not read back the dates it writes")
    return fmt


def parse_iso_date(text: str) -> date:
    """An ISO ``YYYY-MM-DD`` date, with a message saying so when it is not one."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"'{text}' is not an ISO date (YYYY-MM-DD)") from None


def duckdb_type(canonical: str) -> str:
    """The DuckDB type of a canonical column type (rules and the local target both need it)."""
    if canonical == "INTEGER":
        return "BIGINT"
    if canonical.startswith("NUMBER"):
        return "DECIMAL" + canonical[len("NUMBER"):]
    if canonical == "FLOAT":
        return "DOUBLE"
    if canonical.startswith("VARCHAR"):
        return "VARCHAR"
    return canonical
