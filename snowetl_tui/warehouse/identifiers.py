"""Identifier validation and quoting: the only way a name reaches SQL.

Values are always bound parameters; names cannot be, so every table and column name goes
through here. A name that is a valid *unquoted* identifier means what Snowflake would make of
it unquoted — upper case — and is then quoted; any other name (spaces, lower case mixed with
symbols from a header) is quoted exactly as written. Quoting doubles embedded quotes, and names
with control characters are refused, so no name can break out of its quotes.
"""

from __future__ import annotations

import re

from snowetl_tui.warehouse.base import TableRef, WarehouseError

_UNQUOTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def normalize(name: str, *, fold_case: bool = True) -> str:
    """The identifier's real name: unquoted-style names fold to upper case (Snowflake)."""
    if not name or len(name) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise WarehouseError(f"invalid identifier {name!r}")
    if fold_case and _UNQUOTED.match(name):
        return name.upper()
    return name


def quote(name: str, *, fold_case: bool = True) -> str:
    """``"NAME"`` — safe to place in SQL."""
    return '"' + normalize(name, fold_case=fold_case).replace('"', '""') + '"'


def quote_table(table: TableRef, *, fold_case: bool = True) -> str:
    """``"DB"."SCHEMA"."TABLE"`` from a validated, possibly qualified table name."""
    parts = table.parts
    if not 1 <= len(parts) <= 3 or not all(_UNQUOTED.match(p) for p in parts):
        raise WarehouseError(f"invalid table name {table.name!r}")
    return ".".join(quote(p, fold_case=fold_case) for p in parts)


def string_literal(text: str) -> str:
    """A SQL string literal, for the few places a statement cannot take a bind parameter
    (file paths in PUT, stage names in COPY options)."""
    if "\x00" in text:
        raise WarehouseError("a string containing NUL cannot be used in SQL")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
