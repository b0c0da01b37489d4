"""Snowflake adapter of the :class:`~snowetl_tui.warehouse.base.Warehouse` protocol.

Uses the real ``snowflake-connector-python`` and only calls that exist in both 4.8 and 5.x
(``connect``, ``cursor``, ``execute``, ``execute_async``, ``sfqid``, ``get_query_status``,
``get_query_status_throw_if_error``, ``is_still_running``, ``get_results_from_sfqid``,
``fetchall``, ``close``), so the same code runs against a real account and against the fakesnow
server the test-suite starts on 127.0.0.1.

Behaviour in short (details and the fakesnow differences: ``docs/snowflake.md``):

* connection parameters come from Snowflake's own ``connections.toml`` (see
  :mod:`snowetl_tui.warehouse.snowflake_connections`); the session carries the job id as
  ``QUERY_TAG`` and keeps itself alive for multi-hour loads;
* parts are PUT under ``@SNOWETL_STAGE/<load_id>/<part>`` with deterministic names, so a re-run
  skips what is already staged;
* a COPY is submitted with ``execute_async`` and its query id returned at once, so the ledger
  holds it before polling starts; paths that need a transaction (replace period, per-part COPY,
  more than 1000 parts) run synchronously inside BEGIN … COMMIT instead, because a transaction
  dies with its session and could never be re-attached after a crash;
* every failure becomes a one-line :class:`WarehouseError` naming the connection and account,
  ``transient`` when a retry can help; idempotent calls are retried here with capped
  exponential backoff.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from snowetl_tui.warehouse.base import (
    Capabilities,
    ColumnDef,
    CopyFileResult,
    CopyOutcome,
    DuplicateFacts,
    FileFormatSpec,
    PartToCopy,
    QueryState,
    QueryStatus,
    RowGroup,
    RowSource,
    StagedFile,
    StagedProfile,
    StagedRows,
    TableRef,
    TableRows,
    WarehouseError,
    duplicate_groups_sql,
    duplicate_totals_sql,
    row_rule_expression,
    with_data,
)
from snowetl_tui.warehouse.identifiers import normalize, quote
from snowetl_tui.warehouse.snowflake_connections import (
    ResolvedConnection,
    resolve_connection,
    scrub,
)
from snowetl_tui.warehouse.snowflake_sql import (
    STAGE,
    bad_dates_sql,
    canonical_type,
    copy_file_results,
    copy_statements,
    count_per_day_sql,
    count_period_sql,
    create_table_sql,
    create_temp_format_sql,
    delete_period_sql,
    describe_copy_error,
    describe_stage_sql,
    duplicate_keys_sql,
    list_stage_sql,
    named_format,
    parse_stage_location,
    put_sql,
    stage_copy_statements,
    stage_path,
    stage_url,
    staged_data_sql,
    staged_files,
    staged_parts,
    staged_profile_sql,
    staged_select_sql,
    table_columns_sql,
    table_period_sql,
    temp_format_name,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Separator of the query ids of a load that ran as several COPY statements.
COMPOSITE_SEPARATOR = ","

# Connector errno values meaning "the network or the service hiccuped": a retry can help.
_TRANSIENT_ERRNOS = frozenset(
    {
        250001,  # could not connect to Snowflake backend
        250002,  # connection is closed (we reconnect)
        250003,  # failed to get the response (hang/abort)
        250005,  # failed to execute request
        251004,  # failed to get bootstrap information
        251011,  # connection timeout
        251012,  # retryable error code
        390112,  # session no longer exists (we reconnect)
        390114,  # authentication token has expired (we reconnect)
    }
)
_RECONNECT_ERRNOS = frozenset({250002, 390112, 390114})
_TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})
_TRANSIENT_CLASSES = frozenset(
    {
        "ServiceUnavailableError",
        "GatewayTimeoutError",
        "BadGatewayError",
        "InternalServerError",
        "TooManyRequests",
        "OtherHTTPRetryableError",
        "RequestTimeoutError",
        "RequestExceedMaxRetryError",
    }
)
# Login errors: wrong or expired credentials, bad key, missing user/password, SSO refusals.
_AUTH_ERRNOS = frozenset({251005, 251006, 251008, 251010, 250006, 250008, 250009})

_HINTS = {
    2003: "check the name and that the connection's role may use it",
    3001: "grant the missing privilege to the connection's role",
    606: "set `warehouse` in the connection or grant USAGE on it",
    90105: "an explicit transaction is blocked; check for other sessions holding locks",
}


# -- retry ---------------------------------------------------------------------------------------
@dataclass
class RetryPolicy:
    """Capped exponential backoff with jitter, for transient errors of idempotent calls.

    ``sleep`` and ``jitter`` are injectable so tests neither wait nor depend on chance.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    jitter: Callable[[], float] = field(default=random.random)

    def delays(self) -> Iterator[float]:
        """Waits between attempts: ``base·2^i`` capped, scaled by a jitter in [0.5, 1)."""
        for i in range(max(self.attempts - 1, 0)):
            yield min(self.cap, self.base * 2**i) * (0.5 + self.jitter() / 2)

    def call(self, fn: Callable[[], T], *, what: str = "call",
             before_retry: Callable[[WarehouseError], None] | None = None) -> T:
        """``fn()``; a transient :class:`WarehouseError` is retried, anything else raised."""
        delays = self.delays()
        while True:
            try:
                return fn()
            except WarehouseError as exc:
                if not exc.transient:
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise
                log.warning("%s failed (%s); retrying in %.1f s", what, exc, delay)
                self.sleep(delay)
                if before_retry is not None:
                    before_retry(exc)


# -- error translation -----------------------------------------------------------------------------
def is_transient(exc: BaseException) -> bool:
    """Whether a retry can help: network errors, HTTP 5xx/408/429, lost sessions.

    Decided by errno and class name rather than by importing the connector's error classes,
    whose modules differ between connector 4.x and 5.x.
    """
    if isinstance(exc, WarehouseError):
        return exc.transient
    errno = getattr(exc, "errno", None)
    if isinstance(errno, int):
        if errno in _TRANSIENT_ERRNOS:
            return True
        if 290000 <= errno < 291000 and (errno - 290000) in _TRANSIENT_HTTP:
            return True
    if type(exc).__name__ in _TRANSIENT_CLASSES:
        return True
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror))


def _errno(exc: BaseException) -> int | None:
    errno = getattr(exc, "errno", None)
    return errno if isinstance(errno, int) and errno > 0 else None


def _message(exc: BaseException) -> str:
    """The first meaningful line of a connector error, without its ``000000 (42S02): `` prefix."""
    raw = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    lines = [ln.strip() for ln in str(raw).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    if len(lines) > 1 and text.rstrip().endswith(":"):
        text = f"{text} {lines[1]}"
    head, sep, rest = text.partition(": ")
    if sep and head[:6].isdigit():
        text = rest
    return text[:300] + ("..." if len(text) > 300 else "")


def _is_connector_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("snowflake.") or hasattr(exc, "sfqid")


# -- connect -------------------------------------------------------------------------------------
def connect_snowflake(
    name: str,
    *,
    tag: str | None = None,
    connections_path: Path | None = None,
    inline: dict[str, Any] | None = None,
    connect_kwargs: dict[str, Any] | None = None,
    retry: RetryPolicy | None = None,
) -> SnowflakeWarehouse:
    """Open the Snowflake connection ``name`` as a :class:`SnowflakeWarehouse`.

    ``name`` is looked up in ``connections.toml`` (or ``connections_path``); ``inline`` is the
    legacy config block (password from ``$SNOWFLAKE_PASSWORD``); ``connect_kwargs`` override
    or add connector parameters (tests: a fakesnow server's host/port/protocol). ``tag`` is the
    job id, set as the session's ``QUERY_TAG`` from the first statement on.
    """
    resolved = resolve_connection(name, connections_path=connections_path, inline=inline)
    params = dict(resolved.params)
    if connect_kwargs:
        extra = dict(connect_kwargs)
        sp = {**params.get("session_parameters", {}), **extra.pop("session_parameters", {})}
        params.update(extra)
        if sp:
            params["session_parameters"] = sp
    resolved = ResolvedConnection(name=resolved.name, source=resolved.source, params=params)
    return SnowflakeWarehouse(resolved, tag=tag, retry=retry)


def _open(resolved: ResolvedConnection, tag: str | None) -> Any:
    """A connector connection with our session settings; errors as one-line WarehouseErrors."""
    import snowflake.connector

    params = dict(resolved.params)
    session = dict(params.pop("session_parameters", None) or {})
    if tag:
        session["QUERY_TAG"] = tag
    params["client_session_keep_alive"] = True
    if session:
        params["session_parameters"] = session
    try:
        return snowflake.connector.connect(**params)
    except Exception as exc:
        raise _connect_error(exc, resolved) from None


def _connect_error(exc: BaseException, resolved: ResolvedConnection) -> WarehouseError:
    """Why the login failed and what to do, for the operator; never a secret."""
    errno = _errno(exc)
    detail = scrub(_message(exc), resolved.secrets)
    log.debug("connect %s failed: %s %s", resolved.describe(), type(exc).__name__, detail)
    transient = is_transient(exc)
    where = f"[{resolved.name}] in {resolved.source}"
    if transient:
        text = (
            f"cannot reach Snowflake for {resolved.describe()}: {detail}; check the network "
            f"or proxy and the account identifier of {where}; retrying later may help"
        )
    elif errno is not None and (errno in _AUTH_ERRNOS or 390000 <= errno < 391000):
        user = f" as user '{resolved.user}'" if resolved.user else ""
        text = (
            f"login failed for {resolved.describe()}{user}: {detail}; fix the credentials of "
            f"{where}"
        )
    else:
        text = f"cannot connect {resolved.describe()}: {detail}; check {where}"
    text = scrub(" ".join(text.split()), resolved.secrets)
    return WarehouseError(text, transient=transient, code=str(errno) if errno else None)


# -- the adapter ---------------------------------------------------------------------------------
class SnowflakeWarehouse:
    """A Snowflake (or fakesnow) account as a load target. One instance = one session.

    Thread-safe by serialising calls on a lock: the connector tolerates one statement at a time
    per connection, and a load job talks to its warehouse from one worker anyway.
    """

    def __init__(
        self,
        resolved: ResolvedConnection,
        *,
        tag: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = resolved.name
        self._resolved = resolved
        self._secrets = resolved.secrets
        self._tag = tag
        self.retry = retry or RetryPolicy()
        self._lock = threading.RLock()
        self._stage_ready = False
        self._staged: dict[str, dict[str, int]] = {}
        self._sync_results: dict[str, list[CopyFileResult]] = {}
        self._copy_columns: dict[str, list[ColumnDef]] = {}
        self._conn: Any = _open(resolved, tag)
        self.engine = "snowflake"
        self.current_warehouse: str | None = None
        self.current_database: str | None = None
        self.current_schema: str | None = None
        self.capabilities = self._detect_capabilities()

    # -- plumbing ------------------------------------------------------------------------------
    def __enter__(self) -> SnowflakeWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return self._resolved.describe()

    def _error(self, what: str, exc: BaseException, *, detail: str | None = None) -> WarehouseError:
        """A one-line WarehouseError for a failed statement; hints at the fix when known."""
        errno = _errno(exc)
        text = detail if detail is not None else _message(exc)
        hint = _HINTS.get(errno or -1)
        msg = f"{what} failed on {self.describe()}: {text}" + (f"; {hint}" if hint else "")
        msg = scrub(" ".join(msg.split()), self._secrets)
        return WarehouseError(msg, transient=is_transient(exc), code=str(errno) if errno else None)

    def _reconnect(self) -> None:
        """A fresh session after a lost one (same parameters, current tag)."""
        with self._lock:
            try:
                self._conn.close()
            except Exception:  # the old session is gone anyway
                log.debug("closing the lost session failed", exc_info=True)
            self._conn = _open(self._resolved, self._tag)
            self._stage_ready = False
            log.info("reconnected %s", self.describe())

    def _maybe_reconnect(self, exc: WarehouseError) -> None:
        """Between retries: re-open the session when the error says it is gone."""
        if exc.code is not None and int(exc.code) in _RECONNECT_ERRNOS:
            self._reconnect()

    def _run(self, what: str, fn: Callable[[Any], T], *, retry: bool = True) -> T:
        """``fn(cursor)`` under the lock; connector errors become WarehouseErrors.

        Transient errors are retried (``retry``) with the policy's backoff; a lost session is
        re-opened between attempts.
        """

        def attempt() -> T:
            with self._lock:
                if self._conn is None:
                    raise WarehouseError(f"{self.describe()} is closed")
                cur = None
                try:
                    cur = self._conn.cursor()
                    return fn(cur)
                except WarehouseError:
                    raise
                except Exception as exc:
                    if not (_is_connector_error(exc) or isinstance(exc, OSError)):
                        raise
                    raise self._error(what, exc) from None
                finally:
                    if cur is not None:
                        try:
                            cur.close()
                        except Exception:
                            log.debug("cursor close failed", exc_info=True)

        if not retry:
            return attempt()
        return self.retry.call(attempt, what=f"{what} on {self.describe()}",
                               before_retry=self._maybe_reconnect)

    @staticmethod
    def _rows(cur: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        log.debug("sql: %s", sql[:300])
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, params)
        return list(cur.fetchall())

    # -- capabilities ----------------------------------------------------------------------------
    def _detect_capabilities(self) -> Capabilities:
        """Decide what the target can do from its identity, with one metadata-only query.

        ``SELECT CURRENT_WAREHOUSE()`` needs no running warehouse on a real account (no
        credits) and tells whether COPY will have compute. fakesnow answers it with DuckDB's
        "Catalog Error"; only then is fakesnow confirmed positively by its private catalog
        ``_fs_global``. Identity rather than a probe COPY: a probe would need a warehouse, a
        table and an error text we cannot verify here, and every fakesnow gap (FILES on
        internal stages, REMOVE, SYSTEM$CANCEL_QUERY) has the same cause, so one check
        settles them all.
        """

        def probe(cur: Any) -> tuple[bool, Any, Any, Any]:
            try:
                rows = self._rows(
                    cur,
                    "SELECT CURRENT_WAREHOUSE() AS WH, CURRENT_DATABASE() AS DB, "
                    "CURRENT_SCHEMA() AS SC",
                )
                wh, db, sc = rows[0] if rows else (None, None, None)
                return False, wh, db, sc
            except Exception as exc:
                if "Catalog Error" not in _raw(exc):
                    raise
                try:
                    self._rows(cur, "SELECT COUNT(*) AS N FROM "
                                    "_fs_global._fs_information_schema._fs_stages")
                except Exception:
                    raise exc from None
            rows = self._rows(cur, "SELECT CURRENT_DATABASE() AS DB, CURRENT_SCHEMA() AS SC")
            db, sc = rows[0] if rows else (None, None)
            return True, None, db, sc

        try:
            fakesnow, wh, db, sc = self._run("checking the session", probe)
        except WarehouseError:
            self.close()
            raise
        self.current_warehouse, self.current_database, self.current_schema = wh, db, sc
        if fakesnow:
            self.engine = "fakesnow"
            return Capabilities(
                needs_staging=True, files_list_copy=False, remove_staged=False,
                transactional_copy=True,
            )
        if not wh:
            log.warning(
                "%s has no warehouse: COPY and checks will fail until `warehouse` is set "
                "in [%s] of %s", self.describe(), self.name, self._resolved.source,
            )
        return Capabilities(
            needs_staging=True, files_list_copy=True, remove_staged=True,
            transactional_copy=True,
        )

    # -- protocol: session -------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # closing is best effort; the session times out anyway
                    log.debug("closing %s failed", self.describe(), exc_info=True)

    def set_tag(self, tag: str) -> None:
        """``ALTER SESSION SET QUERY_TAG`` with the tag bound; kept for reconnects."""
        self._run("setting QUERY_TAG",
                  lambda cur: self._rows(cur, "ALTER SESSION SET QUERY_TAG = %s", (tag,)))
        self._tag = tag

    # -- protocol: tables ----------------------------------------------------------------------
    def table_columns(self, table: TableRef) -> list[ColumnDef] | None:
        sql, params = table_columns_sql(table)
        rows = self._run(f"reading the columns of {table.name}",
                         lambda cur: self._rows(cur, sql, params))
        if not rows:
            return None
        return [
            ColumnDef(
                name=str(name),
                type=canonical_type(str(dtype), prec, scale, length),
                nullable=str(nullable).upper() == "YES",
            )
            for name, dtype, prec, scale, length, nullable in rows
        ]

    def create_table(self, table: TableRef, columns: list[ColumnDef]) -> None:
        """CREATE TABLE IF NOT EXISTS, then verify: an existing table with other columns is
        an error, never silently accepted."""
        sql = create_table_sql(table, columns)
        self._run(f"creating table {table.name}", lambda cur: self._rows(cur, sql))
        got = [c.name for c in self.table_columns(table) or []]
        if [normalize(c.name) for c in columns] != got:
            raise WarehouseError(
                f"table {table.name} already exists on {self.describe()} with columns "
                f"{', '.join(got)}, not {', '.join(c.name for c in columns)}"
            )

    # -- protocol: staging ---------------------------------------------------------------------
    def _ensure_stage(self) -> None:
        if self._stage_ready:
            return
        self._run(f"creating stage {STAGE}",
                  lambda cur: self._rows(cur, f"CREATE STAGE IF NOT EXISTS {STAGE}"))
        self._stage_ready = True

    def stage_part(self, load_id: str, part: PartToCopy) -> None:
        """PUT one part to ``@SNOWETL_STAGE/<load_id>/``; a part already there is skipped.

        Presence is decided by name from one LIST per load (cached), so a resumed load does not
        even read its staged parts again; ``OVERWRITE=FALSE`` makes Snowflake skip too.
        """
        sql = put_sql(load_id, part)
        staged = self._staged_for(load_id)
        if part.name in staged:
            log.info("part %s of load %s already staged; skipped", part.name, load_id)
            return
        if not part.path.is_file():
            raise WarehouseError(f"part {part.path} does not exist; it cannot be staged")

        def put(cur: Any) -> int:
            rows = self._rows(cur, sql)
            names = [d[0].lower() for d in (cur.description or [])]
            for row in rows:
                r = dict(zip(names, row, strict=False))
                status = str(r.get("status", "")).upper()
                if status not in ("UPLOADED", "SKIPPED"):
                    raise WarehouseError(
                        f"PUT of {part.name} to {stage_path(load_id)} on {self.describe()} "
                        f"ended {status or 'without status'}: {r.get('message') or ''}".strip()
                    )
                log.info("part %s of load %s: %s", part.name, load_id, status)
                return int(r.get("target_size") or part.path.stat().st_size)
            return part.path.stat().st_size

        staged[part.name] = self._run(f"PUT of {part.name}", put)

    def _staged_for(self, load_id: str) -> dict[str, int]:
        if load_id not in self._staged:
            self._staged[load_id] = self.list_staged(load_id)
        return self._staged[load_id]

    def list_staged(self, load_id: str) -> dict[str, int]:
        """Staged parts of a load: ``LIST @SNOWETL_STAGE`` filtered by the load's folder
        (fakesnow cannot LIST a path; on a real account the listing is small because
        loads remove their parts)."""
        stage_path(load_id)  # validates the id
        self._ensure_stage()
        rows = self._run(f"LIST @{STAGE}", lambda cur: self._rows(cur, f"LIST @{STAGE}"))
        return staged_parts(((r[0], r[1]) for r in rows), load_id)

    def remove_staged(self, load_id: str) -> None:
        """REMOVE the load's folder, then LIST to verify; leftovers are an error naming them."""
        path = stage_path(load_id)
        self._ensure_stage()
        failure: WarehouseError | None = None
        try:
            self._run(f"REMOVE {path}", lambda cur: self._rows(cur, f"REMOVE {path}"))
        except WarehouseError as exc:
            failure = exc
        self._staged.pop(load_id, None)
        left = self.list_staged(load_id)
        if left:
            names = sorted(left)
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10
                                              else "")
            why = f" ({failure})" if failure else ""
            raise WarehouseError(
                f"{len(names)} staged part(s) still in {path} on {self.describe()} after "
                f"REMOVE{why}: {shown}; remove them by hand with REMOVE {path}"
            )
        if failure is not None:
            log.info("REMOVE %s failed but nothing is left: %s", path, failure)

    # -- protocol: copy ------------------------------------------------------------------------
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
        """COPY the load's parts; returns the query id.

        One statement and no ``replace``: submitted with ``execute_async``, the id returned at
        once (fakesnow runs it synchronously and raises failures here; a real account reports
        them when polled). Otherwise — ``replace``, per-part COPY (no FILES support), more than
        1000 parts — all statements run synchronously in one transaction and the id returned
        after COMMIT: ids of several COPY statements are joined by ``,`` (opaque to callers).
        ``replace`` adds ``FORCE=TRUE`` so re-running a committed replacement reloads instead of
        skipping files and leaving the period empty.
        """
        self._ensure_stage()
        statements = copy_statements(
            table, load_id, parts, fmt, columns,
            files_list=self.capabilities.files_list_copy, force=replace is not None,
        )
        what = f"COPY into {table.name}"
        if replace is None and len(statements) == 1:
            return self._submit_async(what, statements[0], columns)
        return self._copy_in_transaction(what, table, statements, columns, replace)

    def _submit_async(self, what: str, sql: str, columns: list[ColumnDef]) -> str:
        def submit(cur: Any) -> str:
            log.debug("sql: %s", sql[:300])
            try:
                cur.execute_async(sql)
            except Exception as exc:
                if not _is_connector_error(exc):
                    raise
                raise self._error(what, exc, detail=describe_copy_error(_raw(exc), columns)
                                  ) from None
            qid = str(cur.sfqid)
            log.info("%s submitted as query %s", what, qid)
            return qid

        qid = self._run(what, submit, retry=False)
        self._copy_columns[qid] = columns
        return qid

    def _copy_in_transaction(
        self,
        what: str,
        table: TableRef,
        statements: list[str],
        columns: list[ColumnDef],
        replace: tuple[str, date, date] | None,
    ) -> str:
        def run(cur: Any) -> str:
            qids: list[str] = []
            results: dict[str, list[CopyFileResult]] = {}
            self._rows(cur, "BEGIN")
            try:
                if replace is not None:
                    col, start, end = replace
                    self._rows(cur, delete_period_sql(table, col), (start, end))
                    log.info("%s: deleted %s rows of %s..%s before COPY", what,
                             cur.rowcount, start, end)
                for sql in statements:
                    rows = self._rows(cur, sql)
                    qid = str(cur.sfqid)
                    names = [d[0] for d in (cur.description or [])]
                    results[qid] = copy_file_results(names, rows)
                    qids.append(qid)
                self._rows(cur, "COMMIT")
            except Exception as exc:
                self._rollback(cur)
                if isinstance(exc, WarehouseError) or not _is_connector_error(exc):
                    raise
                raise self._error(what, exc, detail=describe_copy_error(_raw(exc), columns)
                                  ) from None
            self._sync_results.update(results)
            return COMPOSITE_SEPARATOR.join(qids)

        qid = self._run(what, run, retry=False)
        log.info("%s committed (queries %s)", what, qid)
        return qid

    def _rollback(self, cur: Any) -> None:
        try:
            cur.execute("ROLLBACK")
        except Exception:  # the session may be gone, which rolls back as well
            log.warning("ROLLBACK on %s failed", self.describe(), exc_info=True)

    def poll(self, query_id: str) -> QueryStatus:
        """State of a submitted COPY (all of its statements, for a composite id)."""
        states = [self._poll_one(q) for q in query_id.split(COMPOSITE_SEPARATOR)]
        for wanted in (QueryState.FAILED, QueryState.RUNNING, QueryState.UNKNOWN):
            for st in states:
                if st.state is wanted:
                    return st
        return QueryStatus(QueryState.SUCCEEDED)

    def _poll_one(self, qid: str) -> QueryStatus:
        try:
            uuid.UUID(qid)
        except ValueError:
            return QueryStatus(QueryState.UNKNOWN)
        if qid in self._sync_results:
            return QueryStatus(QueryState.SUCCEEDED)
        columns = self._copy_columns.get(qid, [])

        def status(cur: Any) -> QueryStatus:
            try:
                st = self._conn.get_query_status_throw_if_error(qid)
            except Exception as exc:
                if not _is_connector_error(exc) or is_transient(exc):
                    raise
                detail = describe_copy_error(_raw(exc), columns)
                return QueryStatus(QueryState.FAILED, self._error(f"query {qid}", exc,
                                                                  detail=detail).args[0])
            name = getattr(st, "name", str(st))
            if name == "SUCCESS":
                return QueryStatus(QueryState.SUCCEEDED)
            if name == "NO_DATA":
                return QueryStatus(QueryState.UNKNOWN)
            if self._conn.is_still_running(st):
                return QueryStatus(QueryState.RUNNING)
            return QueryStatus(QueryState.FAILED, f"query {qid} ended with status {name}")

        return self._run(f"polling query {qid}", status)

    def copy_results(self, query_id: str) -> CopyOutcome:
        """Per-part results of a finished COPY (``get_results_from_sfqid``).

        Parts Snowflake skipped as already loaded show up as ``LOAD_SKIPPED`` rows (fakesnow)
        or not at all (a real account answers "Copy executed with 0 files processed.").
        """
        files: list[CopyFileResult] = []
        for qid in query_id.split(COMPOSITE_SEPARATOR):
            if qid in self._sync_results:
                files.extend(self._sync_results[qid])
                continue
            st = self._poll_one(qid)
            if st.state is QueryState.RUNNING:
                raise WarehouseError(f"query {qid} is still running; poll until it finishes",
                                     transient=True)
            if st.state is QueryState.FAILED:
                raise WarehouseError(st.error or f"query {qid} failed")
            if st.state is QueryState.UNKNOWN:
                raise WarehouseError(
                    f"query {qid} is unknown to {self.describe()}; Snowflake keeps results "
                    "24 hours (fakesnow only within the session that ran it)"
                )

            def fetch(cur: Any, qid: str = qid) -> list[CopyFileResult]:
                cur.get_results_from_sfqid(qid)
                rows = list(cur.fetchall())
                names = [d[0] for d in (cur.description or [])]
                return copy_file_results(names, rows)

            files.extend(self._run(f"reading the results of query {qid}", fetch))
        return CopyOutcome(query_id=query_id, files=files)

    def cancel(self, query_id: str) -> None:
        """``SYSTEM$CANCEL_QUERY`` per statement. fakesnow has no such function — and never a
        running query to cancel, its statements being synchronous — so there it is a no-op."""
        for qid in query_id.split(COMPOSITE_SEPARATOR):
            if qid in self._sync_results:
                continue
            try:
                self._run(f"cancelling query {qid}", lambda cur, q=qid: self._rows(
                    cur, "SELECT SYSTEM$CANCEL_QUERY(%s) AS RESULT", (q,)))
            except WarehouseError as exc:
                if self.engine != "fakesnow":
                    raise
                log.info("cancel of %s ignored on fakesnow: %s", qid, exc)

    # -- protocol: checks and deletes --------------------------------------------------------
    def count_per_day(self, table: TableRef, date_column: str, start: date, end: date
                      ) -> dict[date, int]:
        sql = count_per_day_sql(table, date_column)
        rows = self._run(f"counting rows per day of {table.name}",
                         lambda cur: self._rows(cur, sql, (start, end)))
        return {_as_date(d): int(n) for d, n in rows if d is not None}

    def duplicate_keys(self, table: TableRef, keys: list[str], date_column: str, start: date,
                       end: date) -> int:
        sql = duplicate_keys_sql(table, keys, date_column)
        rows = self._run(f"counting duplicate keys of {table.name}",
                         lambda cur: self._rows(cur, sql, (start, end)))
        return int(rows[0][0]) if rows else 0

    def count_period(self, table: TableRef, date_column: str, start: date, end: date) -> int:
        sql = count_period_sql(table, date_column)
        rows = self._run(f"counting rows of {table.name}",
                         lambda cur: self._rows(cur, sql, (start, end)))
        return int(rows[0][0]) if rows else 0

    def delete_period(self, table: TableRef, date_column: str, start: date, end: date) -> int:
        """DELETE the period in its own transaction. Not retried: after an unclear failure
        the count of deleted rows would be wrong — the caller re-reads ``count_period``."""
        sql = delete_period_sql(table, date_column)

        def run(cur: Any) -> int:
            self._rows(cur, "BEGIN")
            try:
                self._rows(cur, sql, (start, end))
                deleted = int(cur.rowcount or 0)
                self._rows(cur, "COMMIT")
            except Exception:
                self._rollback(cur)
                raise
            return deleted

        deleted = self._run(f"deleting {start}..{end} from {table.name}", run, retry=False)
        log.info("deleted %d rows of %s..%s from %s", deleted, start, end, table.name)
        return deleted

    # -- stages holding source files (validation in place, load from a stage) -----------------
    def list_stage(self, location: str) -> list[StagedFile]:
        """``LIST @STAGE/path/``; for an external stage ``DESC STAGE`` gives the URL that LIST
        prefixes to every name. A missing stage is Snowflake's one-line error with a hint."""
        loc = parse_stage_location(location)

        def run(cur: Any) -> list[dict[str, Any]]:
            rows = self._rows(cur, list_stage_sql(loc))
            names = [d[0].lower() for d in (cur.description or [])]
            return [dict(zip(names, r, strict=False)) for r in rows]

        rows = self._run(f"LIST {loc.display}", run)
        url = None
        if any("://" in str(r.get("name", "")) for r in rows):
            url = stage_url(self._run(f"DESC STAGE {loc.name.name}",
                                      lambda cur: self._rows(cur, describe_stage_sql(loc))))
        return staged_files(rows, loc, url)

    def _format_name(self, src: StagedRows) -> str:
        """The named file format, or a temporary one (this session only) built from the
        config's format, created if needed — a reconnect loses it, so it is never cached."""
        if src.file_format:
            return named_format(src.file_format)
        self._run("creating the temporary file format",
                  lambda cur: self._rows(cur, create_temp_format_sql(src.fmt)))
        return temp_format_name(src.fmt)

    def _staged_select(self, src: StagedRows, columns: list[ColumnDef]) -> str:
        loc = parse_stage_location(src.location)
        return staged_select_sql(loc, src.files, self._format_name(src), len(columns))

    def _relation(self, src: RowSource, columns: list[ColumnDef], *, typed: bool
                  ) -> tuple[str, tuple[Any, ...] | None]:
        if isinstance(src, TableRows):
            return table_period_sql(src.table, src.date_column), (src.start, src.end)
        staged = self._staged_select(src, columns)
        return staged_data_sql(staged, columns, src.fmt, typed=typed), None

    @staticmethod
    def _what(src: RowSource) -> str:
        return src.table.name if isinstance(src, TableRows) else f"@{src.location}"

    def profile_staged(self, src: StagedRows, columns: list[ColumnDef]) -> StagedProfile:
        """One aggregate pass over the staged files (the warehouse reads them, not this box).
        Rows with the wrong number of fields cannot be counted by a query (Snowflake pads or
        cuts them): the COPY's ON_ERROR=ABORT_STATEMENT stops those."""
        staged = self._staged_select(src, columns)
        loc = parse_stage_location(src.location)
        rows = self._run(f"checking {loc.display}",
                         lambda cur: self._rows(cur, staged_profile_sql(staged, columns, src.fmt)))
        bad_sql = bad_dates_sql(staged, columns, src.fmt)
        bad = self._run(f"checking the dates of {loc.display}",
                        lambda cur: self._rows(cur, bad_sql)) if bad_sql else []
        n = len(columns)
        out = StagedProfile(rejected=None)
        for f, d, count, bd, *rest in rows:
            out.groups.append(RowGroup(
                _relative_to(str(f), loc.path), _as_date(d) if d is not None else None,
                int(count), int(bd or 0),
                tuple(int(rest[2 * i] or 0) for i in range(n)),
                tuple(int(rest[2 * i + 1] or 0) for i in range(n)),
            ))
        out.bad_date_examples = [str(r[0]) for r in bad]
        return out

    def duplicate_facts(self, src: RowSource, columns: list[ColumnDef], keys: list[str],
                        limit: int = 20) -> DuplicateFacts:
        relation, params = self._relation(src, columns, typed=False)
        cols = [quote(k) for k in keys]
        what = f"counting duplicate keys of {self._what(src)}"
        totals = self._run(what, lambda cur: self._rows(
            cur, duplicate_totals_sql(relation, cols), params))
        k, e = totals[0] if totals else (0, 0)
        groups: list[tuple[Any, ...]] = []
        if k:
            groups = self._run(what, lambda cur: self._rows(
                cur, duplicate_groups_sql(relation, cols) + f" LIMIT {int(limit)}", params))
        return DuplicateFacts(int(k), int(e or 0),
                              [(tuple(str(v) for v in g[:-1]), int(g[-1])) for g in groups])

    def rule_value(self, src: RowSource, columns: list[ColumnDef], sql: str) -> float | None:
        data, params = self._relation(src, columns, typed=True)
        # with bound parameters the connector formats the text: a literal % must be doubled
        text = sql.replace("%", "%%") if params else sql
        rows = self._run(f"evaluating a rule on {self._what(src)}",
                         lambda cur: self._rows(cur, with_data(text, data), params))
        if not rows or rows[0][0] is None:
            return None
        return float(rows[0][0])

    def rule_violations(self, src: RowSource, columns: list[ColumnDef], expr: str) -> int:
        data, params = self._relation(src, columns, typed=True)
        cond = row_rule_expression(expr, "row rule")
        cond = cond.replace("%", "%%") if params else cond
        rows = self._run(f"evaluating a rule on {self._what(src)}", lambda cur: self._rows(
            cur, f"SELECT COUNT(*) AS N FROM ({data}) AS data WHERE NOT ({cond})", params))
        return int(rows[0][0]) if rows else 0

    def submit_stage_copy(self, table: TableRef, load_id: str, src: StagedRows,
                          parts: list[PartToCopy], columns: list[ColumnDef], *,
                          replace: tuple[str, date, date] | None = None) -> str:
        """COPY the staged files by name (≤ 1000 per statement) through the file format.

        One statement and no ``replace``: asynchronous, the id returned at once; otherwise
        all statements in one transaction (as :meth:`submit_copy`)."""
        loc = parse_stage_location(src.location)
        statements = stage_copy_statements(table, loc, [p.name for p in parts],
                                           self._format_name(src), force=replace is not None)
        what = f"COPY into {table.name} from {loc.display}"
        if replace is None and len(statements) == 1:
            return self._submit_async(what, statements[0], columns)
        return self._copy_in_transaction(what, table, statements, columns, replace)


def _relative_to(name: str, path: str) -> str:
    """A METADATA$FILENAME (path from the stage root) relative to the listed folder."""
    if path and name.startswith(path):
        return name[len(path):]
    if path and "/" + path in name:
        return name[name.index("/" + path) + len(path) + 1:]
    return name


def _raw(exc: BaseException) -> str:
    return str(getattr(exc, "msg", None) or exc)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
