"""The Warehouse protocol: what the load pipeline needs from a target, and nothing more.

Two adapters implement it: the embedded DuckDB database (``local``, the default) and Snowflake
through ``snowflake-connector-python``. The pipeline only ever talks to this protocol, so the
exactly-once logic (ledger, resume, reconcile) is written once.

Conventions every adapter follows:

* identifiers are validated and quoted by :mod:`snowetl_tui.warehouse.identifiers`; values are
  always bound parameters, never formatted into SQL;
* every statement of a job carries the job id (Snowflake: ``QUERY_TAG``);
* errors are raised as :class:`WarehouseError` with ``transient`` telling the pipeline whether a
  retry with backoff can help (network, throttling, lost session) or not (compilation,
  permissions, missing table), and a message that names the object and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Protocol, runtime_checkable

from snowetl_tui.errors import SnowetlError


class WarehouseError(SnowetlError):
    """A warehouse operation failed; ``transient`` errors may be retried."""

    exit_code = 1

    def __init__(self, message: str, *, transient: bool = False, code: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


class QueryState(Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the warehouse does not know the query id (yet, or any more)


@dataclass(frozen=True)
class QueryStatus:
    state: QueryState
    error: str | None = None


@dataclass(frozen=True)
class TableRef:
    """A validated table name, possibly qualified (``db.schema.table``)."""

    name: str

    @property
    def parts(self) -> list[str]:
        return self.name.split(".")


@dataclass(frozen=True)
class ColumnDef:
    """A column as the warehouse sees it (canonical config types)."""

    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True)
class FileFormatSpec:
    """How staged parts (or, locally, the source file) are to be parsed by COPY."""

    delimiter: str
    quote: str | None
    skip_header: int
    null_values: tuple[str, ...]
    date_format: str | None
    encoding: str = "utf-8"
    date_column: str | None = None  # the column ``date_format`` applies to (others are ISO)


@dataclass(frozen=True)
class PartToCopy:
    """One staged part (Snowflake) or source file (DuckDB) of a load."""

    name: str
    path: Path
    rows: int


@dataclass
class CopyFileResult:
    """Per-part outcome of a COPY: the numbers reconciliation compares."""

    name: str
    status: str
    rows_parsed: int
    rows_loaded: int
    first_error: str | None = None
    first_error_line: int | None = None
    first_error_column: str | None = None


@dataclass
class CopyOutcome:
    query_id: str
    files: list[CopyFileResult] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_parsed(self) -> int:
        return sum(f.rows_parsed for f in self.files)


@dataclass(frozen=True)
class StagedFile:
    """One file already in a stage (or, locally, in the directory standing in for one)."""

    name: str  # relative to the stage location that was listed: what ``FILES=(…)`` takes
    size: int
    last_modified: str | None = None
    md5: str | None = None


@dataclass(frozen=True)
class StagedRows:
    """Files of a stage read as rows, for checks before COPY and for the COPY itself.

    ``location`` is what follows ``@``: ``STAGE/path/`` on Snowflake (internal or external
    stage), a directory on the local target (files read in place). ``file_format`` names a
    Snowflake FILE FORMAT; without one, the adapter builds a temporary one from ``fmt``.
    """

    location: str
    files: tuple[str, ...]
    fmt: FileFormatSpec
    file_format: str | None = None


@dataclass(frozen=True)
class TableRows:
    """The rows of one period of a table (``date_column`` between ``start`` and ``end``)."""

    table: TableRef
    date_column: str
    start: date
    end: date


RowSource = StagedRows | TableRows


@dataclass
class RowGroup:
    """One group of a staged profile: the rows of one file on one day (``day`` None = the date
    did not parse) and, per column in order, values not of the declared type and NULLs in
    NOT NULL columns."""

    file: str
    day: date | None
    rows: int
    bad_dates: int  # date values present but not parseable with the configured format
    type_errors: tuple[int, ...]
    nulls: tuple[int, ...]


@dataclass
class StagedProfile:
    """What one pass over staged files tells; ``rejected`` is None where the warehouse cannot
    count rows with the wrong number of fields (Snowflake queries pad or cut them)."""

    groups: list[RowGroup] = field(default_factory=list)
    bad_date_examples: list[str] = field(default_factory=list)
    rejected: int | None = None
    rejected_examples: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class DuplicateFacts:
    """Keys occurring more than once: how many, the excess rows, the largest groups."""

    keys: int
    excess_rows: int
    groups: list[tuple[tuple[str, ...], int]] = field(default_factory=list)


@dataclass(frozen=True)
class Capabilities:
    """What a target can do; decided at connect time and documented per adapter."""

    needs_staging: bool  # parts must be uploaded before COPY (Snowflake) or not (DuckDB)
    files_list_copy: bool  # COPY ... FILES=(...) works on the internal stage
    remove_staged: bool  # REMOVE @stage/path works
    transactional_copy: bool  # a COPY can run inside an explicit transaction


@runtime_checkable
class Warehouse(Protocol):
    """A load target."""

    name: str
    capabilities: Capabilities

    def close(self) -> None: ...

    def set_tag(self, tag: str) -> None:
        """Tag every following statement (job id)."""
        ...

    # -- tables ------------------------------------------------------------------------------
    def table_columns(self, table: TableRef) -> list[ColumnDef] | None:
        """Columns of an existing table, or ``None`` when it does not exist."""
        ...

    def create_table(self, table: TableRef, columns: list[ColumnDef]) -> None: ...

    # -- staging (no-ops where ``needs_staging`` is false) -----------------------------------
    def stage_part(self, load_id: str, part: PartToCopy) -> None:
        """Upload one part under the load's deterministic stage path; skip if present."""
        ...

    def list_staged(self, load_id: str) -> dict[str, int]:
        """Staged part names of a load with their sizes."""
        ...

    def remove_staged(self, load_id: str) -> None: ...

    # -- copy --------------------------------------------------------------------------------
    def submit_copy(
        self,
        table: TableRef,
        load_id: str,
        parts: list[PartToCopy],
        fmt: FileFormatSpec,
        columns: list[ColumnDef],
        *,
        replace: tuple[str, date, date] | None = None,
    ) -> str:
        """Submit the COPY of ``parts`` (with ``replace`` = (date column, start, end): delete the
        period first, in the same transaction); returns the query id at once."""
        ...

    def poll(self, query_id: str) -> QueryStatus: ...

    def copy_results(self, query_id: str) -> CopyOutcome: ...

    def cancel(self, query_id: str) -> None: ...

    # -- checks and deletes ------------------------------------------------------------------
    def count_per_day(self, table: TableRef, date_column: str, start: date, end: date
                      ) -> dict[date, int]: ...

    def duplicate_keys(self, table: TableRef, keys: list[str], date_column: str, start: date,
                       end: date) -> int:
        """Number of keys occurring more than once among the period's rows."""
        ...

    def count_period(self, table: TableRef, date_column: str, start: date, end: date) -> int: ...

    def delete_period(self, table: TableRef, date_column: str, start: date, end: date) -> int:
        """Delete the period's rows in one transaction; returns how many were deleted."""
        ...


@runtime_checkable
class StageWarehouse(Warehouse, Protocol):
    """What validation inside the warehouse and loading from a stage need on top.

    Every query here is read-only: aggregates over a period of a table, or over staged files
    read through a file format, so a file too big to pull to this box is still checked
    before COPY. Names are validated and quoted, values bound.
    """

    def list_stage(self, location: str) -> list[StagedFile]:
        """Files under ``@location`` (sorted by name); a stage that does not exist is a
        one-line :class:`WarehouseError`."""
        ...

    def profile_staged(self, src: StagedRows, columns: list[ColumnDef]) -> StagedProfile:
        """Rows per file and day, type errors and NULL violations per column, in one pass."""
        ...

    def duplicate_facts(self, src: RowSource, columns: list[ColumnDef], keys: list[str],
                        limit: int = 20) -> DuplicateFacts: ...

    def rule_value(self, src: RowSource, columns: list[ColumnDef], sql: str) -> float | None:
        """An aggregate rule (a SELECT over ``data``, the typed rows) evaluated in place."""
        ...

    def rule_violations(self, src: RowSource, columns: list[ColumnDef], expr: str) -> int:
        """Rows of ``data`` for which the boolean ``expr`` is false."""
        ...

    def submit_stage_copy(self, table: TableRef, load_id: str, src: StagedRows,
                          parts: list[PartToCopy], columns: list[ColumnDef], *,
                          replace: tuple[str, date, date] | None = None) -> str:
        """COPY the staged files ``parts`` (names relative to ``src.location``, rows as
        validated) with explicit file lists, at most 1000 per statement; returns the query id
        that ``poll``/``copy_results`` follow."""
        ...


# -- SQL shared by the adapters (dialect-neutral text) ------------------------------------------
_SQL_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def read_only_query(sql: str, what: str) -> str:
    """A rule's SQL as one read-only statement: a single SELECT (or WITH … SELECT).

    Rules come from the operator's config and run inside the warehouse with the connection's
    rights, so anything that is not one query is refused before it is sent.
    """
    text = sql.strip().rstrip(";").strip()
    if ";" in text or not _SQL_START.match(text):
        raise WarehouseError(f"{what}: must be a single SELECT query, not {sql.strip()[:80]!r}")
    return text


def row_rule_expression(expr: str, what: str) -> str:
    """A row rule's boolean expression, refused if it could end the statement."""
    text = expr.strip()
    if not text or ";" in text:
        raise WarehouseError(f"{what}: must be one boolean expression, not {expr.strip()[:80]!r}")
    return text


def with_data(rule_sql: str, data_sql: str) -> str:
    """``rule_sql`` (which reads the view ``data``) over ``data_sql`` as a CTE named data."""
    text = read_only_query(rule_sql, "aggregate rule")
    if text[:4].upper() == "WITH":
        return f"WITH data AS ({data_sql}), {text[4:].lstrip()}"
    return f"WITH data AS ({data_sql}) {text}"


def duplicate_groups_sql(relation: str, key_columns: list[str]) -> str:
    """Keys (as text) occurring more than once in ``relation``, largest groups first;
    ``key_columns`` are already quoted."""
    cols = ", ".join(key_columns)
    as_text = ", ".join(f"CAST({c} AS VARCHAR) AS K{i}" for i, c in enumerate(key_columns))
    order = ", ".join(f"K{i}" for i in range(len(key_columns)))
    return (
        f"SELECT {as_text}, COUNT(*) AS N FROM ({relation}) AS R GROUP BY {cols} "
        f"HAVING COUNT(*) > 1 ORDER BY N DESC, {order}"
    )


def duplicate_totals_sql(relation: str, key_columns: list[str]) -> str:
    """Number of duplicated keys and of excess rows in ``relation``."""
    cols = ", ".join(key_columns)
    return (
        "SELECT COUNT(*) AS K, COALESCE(SUM(N - 1), 0) AS E FROM (SELECT COUNT(*) AS N FROM "
        f"({relation}) AS R GROUP BY {cols} HAVING COUNT(*) > 1) AS G"
    )
