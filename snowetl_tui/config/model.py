"""The load-config model (DESIGN §7), strict: unknown keys and wrong types are errors.

A config file holds a list of file entries; each says which files it covers (``file_pattern``),
where they go (``table_name``, ``target``) and how to check them (columns, dates, keys,
calendar, anomaly thresholds, custom rules). A config written for the previous generation of
the tool — a top-level ``snowflake`` block plus a ``files`` list — is the same model with the
legacy block, so it loads as is (without a password).
"""

from __future__ import annotations

import codecs
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from snowetl_tui.config.types import (
    check_column_name,
    check_connection_name,
    check_table_name,
    normalize_date_format,
    normalize_type,
)

LOCAL_TARGET = "local"
DELIMITER_ALIASES = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "pipe": "|",
    "semicolon": ";",
}
CONFIG_VERSION = 1
#: A named file format as ``stage_file_format`` takes it (for editors; the validator decides).
FORMAT_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_$]{0,254}(\.[A-Za-z_][A-Za-z0-9_$]{0,254}){0,2}$"


class _Strict(BaseModel):
    """Base of every config object: no unknown keys, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class ColumnSpec(_Strict):
    """One column of the file, in file order."""

    name: str = Field(description="Column name as in the header (quoted in SQL).")
    type: str = Field(
        "VARCHAR",
        description="INTEGER, NUMBER(p,s), FLOAT, BOOLEAN, DATE, TIMESTAMP, VARCHAR(n).",
    )
    nullable: bool = Field(True, description="false = an empty/NULL value is a finding.")

    _name = field_validator("name")(lambda v: check_column_name(v))
    _type = field_validator("type")(lambda v: normalize_type(v))


class CalendarSpec(_Strict):
    """Which days of the period must have rows."""

    days: Literal["all", "business"] = Field(
        "all", description="all = every calendar day; business = Monday to Friday."
    )
    holidays: list[str] = Field(
        default_factory=list, description="ISO dates (YYYY-MM-DD) that need no rows."
    )
    holidays_file: str | None = Field(
        None,
        description="Name of a file in configs/ with one ISO date per line (# comments).",
    )


Severity = Literal["fail", "warn", "info", "off"]


class AnomalySpec(_Strict):
    """Thresholds for days whose row count is far from the period's robust baseline."""

    enabled: bool = True
    severely_low_pct: float = Field(10.0, ge=0, le=100, description="% of the median.")
    low_pct: float = Field(50.0, ge=0, le=100, description="% of the median.")
    iqr_factor: float = Field(1.5, gt=0, description="Tukey fence factor.")
    min_days: int = Field(5, ge=3, description="Fewer days with rows: no anomaly check.")
    severely_low: Severity = "fail"
    outlier_low: Severity = "fail"
    low: Severity = "warn"
    outlier_high: Severity = "warn"


class RuleSpec(_Strict):
    """A custom check: a row rule (SQL boolean over columns) or an aggregate query."""

    name: str = Field(min_length=1)
    kind: Literal["row", "aggregate"] = "row"
    sql: str = Field(
        min_length=1,
        description="row: boolean expression every row must satisfy; aggregate: a SELECT over "
        "the table `data` returning one number.",
    )
    severity: Literal["critical", "warning", "info"] = "critical"
    min: float | None = Field(None, description="aggregate: the value must be ≥ min.")
    max: float | None = Field(None, description="aggregate: the value must be ≤ max.")
    description: str | None = None


class LoadSpec(_Strict):
    """How the validated file is loaded."""

    mode: Literal["append", "replace_period"] = "append"
    on_error: Literal["abort"] = Field(
        "abort", description="abort = nothing is loaded if any row fails (exactly once)."
    )
    part_size_mb: int = Field(128, ge=16, le=1024, description="Compressed part size.")
    compression: Literal["zstd", "gzip"] = "zstd"
    create_table: bool = Field(False, description="Create the table from `columns` if missing.")


class FileEntry(_Strict):
    """One kind of file: which names it covers, where they go, how they are checked."""

    name: str | None = Field(None, description="Short label of the entry.")
    description: str | None = None
    file_pattern: str = Field(
        description="File name with {date_range}, {month}, {date} or * placeholders."
    )
    table_name: str
    target: str | None = Field(None, description="Connection name; local = embedded DuckDB.")
    expected_columns: list[str] | None = None
    columns: list[ColumnSpec] | None = None
    date_column: str | None = None
    date_format: str | None = None
    duplicate_key_columns: list[str] = Field(default_factory=list)
    delimiter: str | None = None
    quote_char: str | None = None
    header: bool | None = None
    encoding: str | None = None
    null_values: list[str] | None = None
    file_format: str | None = Field(None, description="Legacy: TSV, CSV or a named format.")
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    anomaly: AnomalySpec = Field(default_factory=AnomalySpec)
    rules: list[RuleSpec] = Field(default_factory=list)
    load: LoadSpec = Field(default_factory=LoadSpec)
    warehouse_checks: bool = Field(
        False,
        description="true = after every load of this entry (a file or staged files), at the "
        "reconcile step, run the full period report inside the warehouse on the table for the "
        "file's period (same checks and report format as file validation) and put it in the "
        "load result as warehouse_report. A FAIL fails the load like a reconciliation mismatch: "
        "the COPY stays committed, the job fails and says how to delete the period. Needs "
        "date_column and columns or expected_columns.",
    )
    stage_file_format: str | None = Field(
        None,
        description="Named Snowflake FILE FORMAT (FORMAT, SCHEMA.FORMAT or DB.SCHEMA.FORMAT) "
        "used to read and COPY files of this entry from a stage (load/validate @STAGE/...) when "
        "--file-format is not given; default: a temporary format built from this entry.",
        json_schema_extra={"pattern": FORMAT_NAME_PATTERN},
    )

    _table = field_validator("table_name")(lambda v: check_table_name(v))
    _date_format = field_validator("date_format")(
        lambda v: None if v is None else normalize_date_format(v)
    )
    _target = field_validator("target")(lambda v: None if v is None else check_connection_name(v))

    @field_validator("stage_file_format")
    @classmethod
    def _stage_format(cls, v: str | None) -> str | None:
        """Validated here, not when the first staged load reaches Snowflake: the name ends up
        inside ``FILE_FORMAT => '…'`` and ``FORMAT_NAME='…'``."""
        if v is None:
            return None
        try:
            check_table_name(v)
        except ValueError:
            raise ValueError(
                f"'{v}' is not a valid file format name (FORMAT, SCHEMA.FORMAT or "
                "DATABASE.SCHEMA.FORMAT; letters, digits, _ and $, starting with a letter or _)"
            ) from None
        return v

    @field_validator("warehouse_checks")
    @classmethod
    def _warehouse_checks(cls, v: bool, info: ValidationInfo) -> bool:
        """The period report selects the file's period by ``date_column`` and reads the
        table's columns from the config: without them it could only fail after the COPY, so
        the config is refused instead. (A key that failed its own validation is absent from
        ``info.data`` and already reported: nothing is added for it.)"""
        if not v:
            return v
        data = info.data
        if "date_column" in data and data["date_column"] is None:
            raise ValueError("warehouse_checks needs date_column (the period is selected by it)")
        if {"columns", "expected_columns"} <= data.keys() and data["columns"] is None \
                and data["expected_columns"] is None:
            raise ValueError("warehouse_checks needs columns or expected_columns (the checks "
                             "inside the warehouse read the table by column name)")
        return v

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = DELIMITER_ALIASES.get(v.lower(), v)
        if len(v) != 1 or v in "\r\n\"":
            raise ValueError(
                "expected one character (or tab, comma, pipe, semicolon), not a newline or quote"
            )
        return v

    @field_validator("quote_char")
    @classmethod
    def _quote(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return v
        if len(v) != 1 or v in "\r\n":
            raise ValueError("expected one character, or an empty string for no quoting")
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            name = codecs.lookup(v).name
        except LookupError:
            raise ValueError(f"unknown encoding '{v}' (e.g. utf-8, latin-1, cp1252)") from None
        if "\n".encode(name) != b"\n" or "\t,|;\"".encode(name) != b"\t,|;\"":
            raise ValueError(
                f"encoding '{v}' is not ASCII-compatible (UTF-16/32 files must be converted "
                "to UTF-8 first)"
            )
        return name

    @property
    def effective_quote(self) -> str | None:
        """Quote character in force: as configured ("" = none), else '"' for comma-separated
        files and none for tab-separated ones (how extracts are usually written)."""
        if self.quote_char is not None:
            return self.quote_char or None
        return '"' if self.delimiter in (",", ";") else None

    @field_validator("expected_columns")
    @classmethod
    def _expected(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            for name in v:
                check_column_name(name)
        return v

    @property
    def column_names(self) -> list[str] | None:
        """Column names in file order, from ``columns`` or ``expected_columns``."""
        if self.columns is not None:
            return [c.name for c in self.columns]
        return self.expected_columns

    @property
    def label(self) -> str:
        return self.name or self.table_name


class LegacySnowflake(_Strict):
    """The previous generation's inline connection block (no secrets accepted)."""

    account: str | None = None
    user: str | None = None
    password: str | None = Field(None, description="Refused when non-empty: use connections.toml.")
    warehouse: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")
    role: str | None = None
    authenticator: str | None = None
    private_key_file: str | None = None
    region: str | None = None
    host: str | None = None


class ConfigFile(_Strict):
    """A whole config file."""

    version: Annotated[int, Field(ge=1, le=CONFIG_VERSION)] = CONFIG_VERSION
    description: str | None = None
    target: str | None = Field(None, description="Default connection for the entries.")
    snowflake: LegacySnowflake | None = Field(
        None, description="Legacy inline connection (previous tool); no password."
    )
    files: list[FileEntry] = Field(min_length=1)

    _target = field_validator("target")(lambda v: None if v is None else check_connection_name(v))
