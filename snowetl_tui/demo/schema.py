"""The demo tables' schemas, declared once as data.

The generator, the demo config (`configs/demo.json`) and the tests all derive from these lists,
so the columns a file is written with and the columns the config promises can never drift apart.
Type strings use Snowflake spelling because that is what an operator writes in a load config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = [
    "FACT_COLUMNS",
    "ORDERS_COLUMNS",
    "ColumnDef",
    "arrow_schema",
    "arrow_type",
    "duckdb_type",
    "varchar_length",
]


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """One column of a demo table: what a load config's `columns` entry says about it."""

    name: str
    type: str
    nullable: bool = False

    def to_config(self) -> dict[str, Any]:
        """Return the `columns` entry of a load config, so demo.json is derived, not retyped."""
        return {"name": self.name, "type": self.type, "nullable": self.nullable}


_NUMBER_RE = re.compile(r"^NUMBER\((\d+),(\d+)\)$")
_VARCHAR_RE = re.compile(r"^VARCHAR\((\d+)\)$")


def varchar_length(type_: str) -> int | None:
    """Return n for `VARCHAR(n)`, else None; the tests use it to check declared lengths hold."""
    m = _VARCHAR_RE.match(type_)
    return int(m.group(1)) if m else None


def arrow_type(type_: str) -> pa.DataType:
    """Map a declared type to the Arrow type the generator builds the column with.

    Arrow's CSV writer renders each of these exactly as the declared type is spelled in text:
    decimal128 keeps the two decimals of NUMBER(18,2), date32 prints ISO dates and
    timestamp[s] prints `YYYY-MM-DD HH:MM:SS`.
    """
    simple: dict[str, pa.DataType] = {
        "DATE": pa.date32(),
        "INTEGER": pa.int64(),
        "FLOAT": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("s"),
    }
    if type_ in simple:
        return simple[type_]
    if m := _NUMBER_RE.match(type_):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    if _VARCHAR_RE.match(type_):
        return pa.string()
    raise ValueError(f"unsupported demo column type {type_!r}")


def duckdb_type(type_: str) -> str:
    """Map a declared type to DuckDB's spelling (tests read the files back with explicit types)."""
    if m := _NUMBER_RE.match(type_):
        return f"DECIMAL({m.group(1)},{m.group(2)})"
    if _VARCHAR_RE.match(type_):
        return "VARCHAR"
    return {"INTEGER": "BIGINT", "FLOAT": "DOUBLE"}.get(type_, type_)


def arrow_schema(columns: list[ColumnDef]) -> pa.Schema:
    """Build the Arrow schema for a column list (nullability included, so Arrow checks it)."""
    return pa.schema([pa.field(c.name, arrow_type(c.type), c.nullable) for c in columns])


# A daily snapshot of a commercial lending book: one row per loan per business day.
# Order matters: it is the field order in the file.
FACT_COLUMNS: list[ColumnDef] = [
    ColumnDef("BUSINESS_DATE", "DATE"),
    ColumnDef("LOAN_ID", "INTEGER"),
    ColumnDef("FACILITY_ID", "VARCHAR(16)"),
    ColumnDef("COUNTERPARTY_ID", "VARCHAR(12)"),
    ColumnDef("PORTFOLIO_CODE", "VARCHAR(8)"),
    ColumnDef("BOOK_CODE", "VARCHAR(8)"),
    ColumnDef("LEGAL_ENTITY", "VARCHAR(16)"),
    ColumnDef("BRANCH_CODE", "VARCHAR(8)"),
    ColumnDef("COUNTRY_CODE", "VARCHAR(2)"),
    ColumnDef("CURRENCY", "VARCHAR(3)"),
    ColumnDef("PRODUCT_TYPE", "VARCHAR(24)"),
    ColumnDef("SECTOR_CODE", "VARCHAR(8)"),
    ColumnDef("RATING", "VARCHAR(4)"),
    ColumnDef("RATING_AGENCY", "VARCHAR(8)"),
    ColumnDef("IFRS9_STAGE", "INTEGER"),
    ColumnDef("INTEREST_TYPE", "VARCHAR(8)"),
    ColumnDef("REFERENCE_RATE", "VARCHAR(16)"),
    ColumnDef("ORIGINATION_DATE", "DATE"),
    ColumnDef("MATURITY_DATE", "DATE"),
    ColumnDef("ORIGINAL_TERM_MONTHS", "INTEGER"),
    ColumnDef("REMAINING_TERM_MONTHS", "INTEGER"),
    ColumnDef("ORIGINAL_PRINCIPAL", "NUMBER(18,2)"),
    ColumnDef("COMMITTED_AMOUNT", "NUMBER(18,2)"),
    ColumnDef("OUTSTANDING_PRINCIPAL", "NUMBER(18,2)"),
    ColumnDef("UNDRAWN_AMOUNT", "NUMBER(18,2)"),
    ColumnDef("ACCRUED_INTEREST", "NUMBER(18,2)"),
    ColumnDef("COLLATERAL_VALUE", "NUMBER(18,2)"),
    ColumnDef("EXPOSURE_AT_DEFAULT", "NUMBER(18,2)"),
    ColumnDef("EXPECTED_LOSS", "NUMBER(18,2)"),
    ColumnDef("INTEREST_RATE", "FLOAT"),
    ColumnDef("SPREAD_BPS", "FLOAT"),
    ColumnDef("PROBABILITY_OF_DEFAULT", "FLOAT"),
    ColumnDef("LOSS_GIVEN_DEFAULT", "FLOAT"),
    ColumnDef("DAYS_PAST_DUE", "INTEGER"),
    ColumnDef("PAYMENTS_MADE", "INTEGER"),
    ColumnDef("IS_SECURED", "BOOLEAN"),
    ColumnDef("IS_DEFAULTED", "BOOLEAN"),
    ColumnDef("IS_FORBORNE", "BOOLEAN"),
    ColumnDef("COLLATERAL_TYPE", "VARCHAR(24)", nullable=True),
    ColumnDef("UPDATED_AT", "TIMESTAMP"),
]

ORDERS_COLUMNS: list[ColumnDef] = [
    ColumnDef("ORDER_ID", "INTEGER"),
    ColumnDef("ORDER_DATE", "DATE"),
    ColumnDef("CUSTOMER", "VARCHAR(64)"),
    ColumnDef("AMOUNT", "NUMBER(12,2)"),
    ColumnDef("STATUS", "VARCHAR(16)"),
]

assert len(FACT_COLUMNS) == 40, "the demo fact table is documented as exactly 40 columns"
