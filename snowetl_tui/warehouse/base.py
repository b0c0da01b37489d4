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
