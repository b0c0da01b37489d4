"""The load pipeline: plan → read/validate(/compress, stage) → decide → copy → reconcile → clean.

Exactly once, or loudly not at all:

* a file already loaded into the table (same content) is refused, and so is a period that
  already holds another load, unless the operator asks to replace it (delete + copy in one
  transaction);
* every step is recorded in the ledger before the next starts; the COPY's query id is recorded
  before polling, so a re-run re-attaches to it instead of submitting it again, and parts
  already staged are not uploaded twice;
* rows validated = rows parsed = rows loaded, per part and in total, and the warehouse's
  per-day counts equal the file's — any mismatch fails the job with the numbers;
* with ``warehouse_checks: true`` on the config entry, the reconcile step also runs the full
  period report inside the warehouse on what the table now holds for the file's period
  (``load.stage_load.check_table_period``, on the same connection) and returns it as the
  result's ``warehouse_report``; a FAIL there is a reconciliation failure like any other.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.faults import fault_point
from snowetl_tui.load.ledger import Ledger, LoadRecord
from snowetl_tui.load.parts import PartAssembler
from snowetl_tui.validate.report import Report
from snowetl_tui.validate.runner import Plan, Progress, plan_file, validate_file
from snowetl_tui.validate.worker import CompressSpec
from snowetl_tui.warehouse.base import (
    ColumnDef,
    CopyOutcome,
    FileFormatSpec,
    PartToCopy,
    QueryState,
    TableRef,
    Warehouse,
    WarehouseError,
)
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.load")
POLL_START, POLL_MAX = 0.5, 10.0


@dataclass
class LoadOptions:
    replace: bool = False
    dry_run: bool = False
    target: str | None = None
    job_id: str | None = None
    workers: int | None = None
    chunk_size: int = 64 << 20
    part_bytes: int | None = None  # override of the config's load.part_size_mb


@dataclass
class LoadResult:
    file: str
    table: str | None
    target: str | None
    state: str  # succeeded | failed | refused | validated (dry run) | cancelled
    rows_validated: int | None = None
    rows_loaded: int | None = None
    report: Report | None = None
    error: str | None = None
    load_id: str | None = None
    query_id: str | None = None
    parts: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    #: the period report run inside the warehouse after the COPY (``warehouse_checks``)
    warehouse_report: Report | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "table": self.table,
            "target": self.target,
            "state": self.state,
            "rows_validated": self.rows_validated,
            "rows_loaded": self.rows_loaded,
            "load_id": self.load_id,
            "query_id": self.query_id,
            "parts": self.parts,
            "seconds": round(self.seconds, 3),
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
            "report": self.report.as_dict() if self.report else None,
            "warehouse_report": (self.warehouse_report.as_dict() if self.warehouse_report
                                 else None),
            "error": self.error,
        }


class LoadFailed(SnowetlError):
    """A step failed; the ledger records it and the result says why."""

    exit_code = 1


class Refused(SnowetlError):
    exit_code = 1


def quick_fingerprint(path: Path) -> tuple[int, int, str]:
    """(size, mtime_ns, hash of size + head + tail): recognises a file without reading it."""
    st = path.stat()
    h = hashlib.sha256(str(st.st_size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        if st.st_size > 2 << 20:
            fh.seek(st.st_size - (1 << 20))
            h.update(fh.read(1 << 20))
    return st.st_size, st.st_mtime_ns, h.hexdigest()


def require_period_for_warehouse_checks(entry: Entry, period: Period | None, shown: str,
                                        config_display: str | None) -> None:
    """``warehouse_checks`` selects the loaded period in the table: a load without a period
    (a file name without one, staged files without ``--period``) is refused at the plan step,
    before anything is loaded, rather than after its COPY committed."""
    if entry.spec.warehouse_checks and period is None:
        raise InputError(
            f"{shown}: {config_display or entry.config_path}: {entry.json_path}.warehouse_checks "
            "needs the period of the load, and the file name carries none (give staged files "
            "--period, or turn warehouse_checks off for this entry)"
        )


WarehouseFactory = Callable[[str, Entry], Warehouse]
Emit = Callable[[str, dict[str, Any]], None]


def default_warehouse_factory(
    ws: Workspace, registry: ConfigRegistry | None = None, *, tag: str | None = None
) -> WarehouseFactory:
    """``local`` → the workspace's DuckDB; ``config:<file>`` → the legacy inline connection of
    that config; any other name → that connection of Snowflake's connections.toml."""

    def make(target: str, entry: Entry | None) -> Warehouse:
        if target == "local":
            from snowetl_tui.warehouse.duckdb_local import DuckDBWarehouse

            return DuckDBWarehouse(ws.local_db_path)
        from snowetl_tui.warehouse.snowflake import connect_snowflake

        inline = None
        if target.startswith("config:") and registry is not None:
            for cfg in registry.configs:
                if cfg.model.snowflake is not None and entry is not None and \
                        cfg.path == entry.config_path:
                    inline = cfg.model.snowflake.model_dump(by_alias=True, exclude_none=True)
        return connect_snowflake(target, connections_path=ws.connections_path, inline=inline,
                                 tag=tag)

    return make


class Loader:
    """Runs loads for one workspace."""

    def __init__(
        self,
        workspace: Workspace,
        registry: ConfigRegistry,
        *,
        executor: Executor | None = None,
        warehouse_factory: WarehouseFactory | None = None,
        emit: Emit | None = None,
        cancel: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ws = workspace
        self.registry = registry
        self.executor = executor
        self.factory = warehouse_factory or default_warehouse_factory(workspace, registry)
        self.emit = emit or (lambda kind, data: None)
        self.cancel = cancel
        self.sleep = sleep
        self.ledger = Ledger(workspace.store_path)

    # -- helpers -------------------------------------------------------------------------------
    def _say(self, message: str, level: str = "info", **data: Any) -> None:
        log.log(logging.getLevelName(level.upper()), message)
        self.emit("log", {"level": level, "message": message, **data})

    def _step(self, name: str) -> None:
        self.emit("step", {"step": name})

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise LoadFailed("cancelled")

    # -- the pipeline --------------------------------------------------------------------------
    def load(self, file: Path, opts: LoadOptions | None = None) -> LoadResult:
        opts = opts or LoadOptions()
        started = time.monotonic()
        result = LoadResult(str(file), None, None, "failed")
        steps: dict[str, float] = {}
        rec: LoadRecord | None = None
        wh: Warehouse | None = None
        try:
            # -- plan --------------------------------------------------------------------------
            t0 = time.monotonic()
            self._step("plan")
            match = self.registry.match(file)
            if not file.exists():
                raise InputError(f"{file}: no such file")
            if file.is_dir():
                raise InputError(f"{file}: is a directory, not a data file")
            if match.entry is None:
                raise InputError(match.unmatched_message())
            entry, period = match.entry, match.period
            require_period_for_warehouse_checks(entry, period, str(file),
                                                match.config_display)
            target = opts.target or entry.target
            table = TableRef(entry.table)
            result.table, result.target = entry.table, target
            replace = opts.replace or entry.spec.load.mode == "replace_period"
            if replace and (period is None or entry.spec.date_column is None):
                raise InputError(
                    f"{file}: replacing needs a period in the file name and a date_column in "
                    f"{match.config_display}"
                )
            size, mtime, quick = quick_fingerprint(file)
            rec = self.ledger.unfinished(quick, size, target, entry.table)
            if rec is None and not opts.dry_run:
                self._refuse_if_loaded(file, target, entry, period, replace, quick=quick,
                                       size=size)
            plan = plan_file(file, entry, period, match.config_display)
            if rec is None and not opts.dry_run:
                rec = self._start_load(opts, str(file.resolve()), file.name, size, mtime, quick,
                                       target, entry, period, replace, {"file": str(file)})
            elif rec is not None:
                self._say(f"resuming load {rec.load_id} (last durable step: {rec.state})")
            if rec is not None:
                result.load_id = rec.load_id
            steps["plan"] = time.monotonic() - t0

            if rec is not None and rec.state in ("copy_submitted", "copied") and rec.query_id:
                wh = self._connect(target, entry, opts)
                outcome = self._reattach(wh, rec)
                if outcome is not None:
                    return self._finish_after_copy(
                        wh, rec, plan, entry, period, table, outcome, result, steps, started,
                        report=None, replace=replace,
                    )

            # -- connect, table ----------------------------------------------------------------
            if not opts.dry_run:
                wh = wh or self._connect(target, entry, opts)
                columns = self._ensure_table(wh, table, entry, plan)
            # -- read, validate (compress, stage) ----------------------------------------------
            t0 = time.monotonic()
            self._step("read")
            staging = wh is not None and wh.capabilities.needs_staging and rec is not None
            assembler: PartAssembler | None = None
            compress = None
            spool = self.ws.spool_dir / (rec.load_id if rec else "dry-run")
            if staging and rec is not None and wh is not None:
                spool.mkdir(parents=True, exist_ok=True)
                cfg = entry.spec.load
                # level 1: zstd ~325 MB/s per core at ratio ~3.6, isal gzip ~320 MB/s at ~3.0
                # (measured on a 64 MB chunk of the demo TSV)
                compress = CompressSpec(cfg.compression, 1, str(spool))
                already = wh.list_staged(rec.load_id)
                warehouse = wh
                assembler = PartAssembler(
                    load_id=rec.load_id, spool=spool, suffix=".tsv" + compress.suffix,
                    part_bytes=opts.part_bytes or cfg.part_size_mb << 20, ledger=self.ledger,
                    stage=lambda part: warehouse.stage_part(rec.load_id, part),
                    already_staged=already,
                )
            chunks_seen = [0]

            def on_chunk(outcome: Any) -> None:
                chunks_seen[0] += 1
                if chunks_seen[0] == 2:
                    fault_point("read")
                if assembler is not None:
                    assembler.add(outcome)

            def progress(p: Progress) -> None:
                self.emit("progress", {"step": "read", "bytes": p.bytes_done,
                                       "total": p.bytes_total, "rows": p.rows,
                                       "elapsed": p.elapsed, "phase": p.phase})

            try:
                report = validate_file(
                    plan, executor=self.executor, workers=opts.workers,
                    chunk_size=opts.chunk_size, spill_root=self.ws.spool_dir, progress=progress,
                    cancel=self.cancel, compress=compress, on_chunk=on_chunk,
                )
                parts = assembler.finish() if assembler is not None else []
            except BaseException:
                if assembler is not None:
                    assembler.abort()
                raise
            steps["read"] = time.monotonic() - t0
            # -- decide ------------------------------------------------------------------------
            if self._decide(report, result, opts):
                return result
            assert rec is not None and wh is not None
            same = self.ledger.loaded_same_file(target, entry.table, sha256=report.sha256)
            if same is not None and not replace:
                raise Refused(self._already_message(same))
            self.ledger.update(rec.load_id, state="validated", sha256=report.sha256,
                               rows_validated=report.rows)
            if staging:
                self.ledger.update(rec.load_id, state="staged")
            self._check_cancel()

            # -- copy --------------------------------------------------------------------------
            t0 = time.monotonic()
            self._step("copy")
            st = file.stat()
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                raise LoadFailed(
                    f"{file} changed after it was validated (size/mtime differ); nothing was "
                    "loaded — validate and load it again"
                )
            if not staging:
                parts = [PartToCopy(file.name, file, report.rows)]
            fmt = self._format(plan, staging)
            replace_arg = ((entry.spec.date_column, period.start, period.end)
                           if replace and period and entry.spec.date_column else None)
            if not wh.capabilities.needs_staging:
                # record the id before running: a synchronous local copy has no warehouse-side
                # query id, but the marker row it commits with the data can be found
                self.ledger.update(rec.load_id, state="copy_submitted", query_id=rec.load_id)
            query_id = self._retry(lambda: wh.submit_copy(table, rec.load_id, parts, fmt,
                                                          columns, replace=replace_arg))
            self.ledger.update(rec.load_id, state="copy_submitted", query_id=query_id)
            result.query_id = query_id
            fault_point("copy_submitted")
            outcome = self._wait(wh, query_id)
            fault_point("copied")
            steps["copy"] = time.monotonic() - t0
            result.parts = len(parts)
            return self._finish_after_copy(wh, rec, plan, entry, period, table, outcome, result,
                                           steps, started, report=report, replace=replace,
                                           parts=parts)
        except Refused as exc:
            return self._refused(result, rec, exc, {"file": str(file)})
        except SnowetlError as exc:
            if isinstance(exc, InputError) and rec is None:
                raise  # nothing started: the caller reports a plain input error
            return self._failed(result, rec, exc, wh)
        finally:
            result.seconds = time.monotonic() - started
            result.steps = steps
            if wh is not None:
                wh.close()

    def _refused(self, result: LoadResult, rec: LoadRecord | None, exc: Refused,
                 where: dict[str, str]) -> LoadResult:
        """A refused load (file or stage): ledger row and audit trail say why."""
        result.state, result.error = "refused", str(exc)
        if rec is not None:
            self.ledger.update(rec.load_id, state="refused", error=str(exc))
        self.ledger.audit("refused", target=result.target, table=result.table,
                          load_id=rec.load_id if rec else None,
                          detail={**where, "reason": str(exc)})
        return result

    def _failed(self, result: LoadResult, rec: LoadRecord | None, exc: SnowetlError,
                wh: Warehouse | None) -> LoadResult:
        """A failed or cancelled load (file or stage); a cancelled one cleans up after itself."""
        cancelled = self.cancel is not None and self.cancel.is_set()
        result.state = "cancelled" if cancelled else "failed"
        result.error = str(exc)
        if rec is not None:
            self.ledger.update(rec.load_id, state=result.state, error=str(exc))
            if cancelled and wh is not None:
                self._cleanup(wh, rec.load_id)
        return result

    # -- steps ---------------------------------------------------------------------------------
    def _start_load(self, opts: LoadOptions, file: str, file_name: str, size: int, mtime: int,
                    quick: str, target: str, entry: Entry, period: Period | None, replace: bool,
                    detail: dict[str, Any]) -> LoadRecord:
        """The load's ledger row (its first durable step) and the audit record of its start."""
        rec = self.ledger.create_load(
            job_id=opts.job_id, file=file, file_name=file_name, size=size, mtime_ns=mtime,
            quick_hash=quick, target=target, table_name=entry.table,
            period_start=period.start.isoformat() if period else None,
            period_end=period.end.isoformat() if period else None,
            mode="replace" if replace else "append",
        )
        self.ledger.audit("load-start", target=target, table=entry.table,
                          period=period.label() if period else None, load_id=rec.load_id,
                          detail=detail)
        return rec

    def _decide(self, report: Any, result: LoadResult, opts: LoadOptions) -> bool:
        """Record the validation outcome; any FAIL stops the job before COPY (nothing is
        loaded), a dry run stops here too. True when the job ends at this step."""
        result.report = report
        result.rows_validated = report.rows
        self.emit("report", {"verdict": report.verdict, "rows": report.rows})
        self._step("decide")
        if report.verdict == "fail":
            names = ", ".join(f"{c.name} ({c.message})" for c in report.failures())
            raise LoadFailed(f"validation failed, nothing was loaded: {names}")
        if opts.dry_run:
            result.state = "validated"
            return True
        return False

    def _already_message(self, same: LoadRecord) -> str:
        if same.state == "unreconciled":
            return (
                f"already loaded but unreconciled: {same.file_name} → {same.table_name} on "
                f"{same.target} (load {same.load_id}, {same.rows_loaded or 0:,} rows committed "
                f"at {same.finished_at or same.updated_at}; its checks failed); delete the "
                "period or use --replace — loading it again would put the rows in twice"
            )
        return (
            f"already loaded: {same.file_name} → {same.table_name} on {same.target} at "
            f"{same.finished_at or same.updated_at} by {same.user} (load {same.load_id}, "
            f"{same.rows_loaded or 0:,} rows); use --replace to load it again"
        )

    def _refuse_if_loaded(self, file: Path, target: str, entry: Entry, period: Period | None,
                          replace: bool, *, quick: str, size: int) -> None:
        if replace:
            return
        same = self.ledger.loaded_same_file(target, entry.table, quick_hash=quick, size=size)
        if same is not None:
            raise Refused(self._already_message(same))
        if period is not None:
            overlap = self.ledger.overlapping(target, entry.table, period.start.isoformat(),
                                              period.end.isoformat())
            if overlap:
                o = overlap[-1]
                raise Refused(
                    f"period {period.label()} of {entry.table} on {target} already holds load "
                    f"{o.load_id} of {o.file_name} ({o.period_start}..{o.period_end}, "
                    f"{o.rows_loaded or 0:,} rows); use --replace to replace the period"
                )

    def _connect(self, target: str, entry: Entry, opts: LoadOptions) -> Warehouse:
        self._step("connect")
        wh = self._retry(lambda: self.factory(target, entry))
        if opts.job_id:
            wh.set_tag(opts.job_id)
        return wh

    def _ensure_table(self, wh: Warehouse, table: TableRef, entry: Entry, plan: Plan
                      ) -> list[ColumnDef]:
        wanted = (
            [ColumnDef(c.name, c.type, c.nullable) for c in entry.spec.columns]
            if entry.spec.columns is not None
            else [ColumnDef(n, "VARCHAR") for n in plan.names]
        )
        existing = self._retry(lambda: wh.table_columns(table))
        if existing is None:
            if not entry.spec.load.create_table:
                raise LoadFailed(
                    f"table {table.name} does not exist on {wh.name}; create it, or set "
                    f"load.create_table: true in {plan.config_display} ({entry.json_path})"
                )
            self._say(f"creating table {table.name} on {wh.name}")
            wh.create_table(table, wanted)
            return wanted
        have = [c.name.upper() for c in existing]
        want = [c.name.upper() for c in wanted]
        if have != want:
            missing = [n for n in want if n not in have]
            extra = [n for n in have if n not in want]
            detail = "; ".join(x for x in [
                f"missing in the table: {', '.join(missing)}" if missing else "",
                f"not in the file: {', '.join(extra)}" if extra else "",
                "same columns in a different order" if not (missing or extra) else "",
            ] if x)
            raise LoadFailed(
                f"table {table.name} on {wh.name} does not match the config's columns — "
                f"{detail}; tables are never altered automatically"
            )
        return wanted

    def _format(self, plan: Plan, staged: bool) -> FileFormatSpec:
        fmt = plan.fmt
        return FileFormatSpec(
            delimiter=fmt.delimiter,
            quote=fmt.quote,
            skip_header=0 if staged else (1 if fmt.header else 0),
            null_values=tuple(v.decode(fmt.encoding) for v in plan.spec.null_values),
            date_format=plan.spec.date_format if plan.spec.date_index is not None else None,
            encoding=fmt.encoding,
            date_column=(plan.names[plan.spec.date_index]
                         if plan.spec.date_index is not None else None),
        )

    def _retry(self, fn: Callable[[], Any], attempts: int = 5) -> Any:
        delay = 0.5
        for attempt in range(1, attempts + 1):
            try:
                return fn()
            except WarehouseError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                self._say(f"transient error, retrying in {delay:.1f} s: {exc}", "warning")
                self.sleep(delay * (0.5 + (hash((attempt, time.time())) % 1000) / 1000))
                delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")

    def _wait(self, wh: Warehouse, query_id: str) -> CopyOutcome:
        delay = POLL_START
        while True:
            status = self._retry(lambda: wh.poll(query_id))
            if status.state == QueryState.SUCCEEDED:
                return self._retry(lambda: wh.copy_results(query_id))
            if status.state == QueryState.FAILED:
                raise LoadFailed(f"COPY failed: {status.error}; nothing was loaded")
            if status.state == QueryState.UNKNOWN:
                raise LoadFailed(f"the warehouse does not know query {query_id}")
            if self.cancel is not None and self.cancel.is_set():
                wh.cancel(query_id)
                raise LoadFailed("cancelled during COPY; the warehouse query was cancelled")
            self.emit("progress", {"step": "copy", "query_id": query_id})
            self.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX)

    def _reattach(self, wh: Warehouse, rec: LoadRecord) -> CopyOutcome | None:
        """A COPY was submitted before the crash: follow it instead of running it again."""
        assert rec.query_id is not None
        status = self._retry(lambda: wh.poll(rec.query_id))
        if status.state == QueryState.UNKNOWN:
            self._say(f"query {rec.query_id} of load {rec.load_id} left no trace; the COPY did "
                      "not commit and will run again")
            return None
        self._say(f"re-attaching to COPY {rec.query_id} of load {rec.load_id}")
        if status.state == QueryState.FAILED:
            return None
        return self._wait(wh, rec.query_id)

    def _finish_after_copy(
        self, wh: Warehouse, rec: LoadRecord, plan: Plan, entry: Entry, period: Period | None,
        table: TableRef, outcome: CopyOutcome, result: LoadResult, steps: dict[str, float],
        started: float, *, report: Report | None, replace: bool,
        parts: list[PartToCopy] | None = None,
    ) -> LoadResult:
        """Reconcile a committed COPY, then clean up and mark the load succeeded.

        Any problem — rows validated ≠ parsed ≠ loaded, per-day counts of the table ≠ the
        file's, duplicate keys in the period, or (``warehouse_checks``) a FAIL of the period
        report run inside the warehouse — fails the load loudly and **leaves the COPY
        committed**: the table may also hold rows someone else wrote, so nothing is deleted
        behind the operator's back. The ledger records the load as failed with the message,
        the staged parts stay for inspection, and the message names the ``delete`` command
        that removes the period before a new load. A WARN of the warehouse report is recorded
        in the result and does not fail the load (as for file validation).
        """
        t0 = time.monotonic()
        self._step("reconcile")
        rec = self.ledger.get(rec.load_id) or rec
        self.ledger.update(rec.load_id, state="copied", rows_parsed=outcome.rows_parsed,
                           rows_loaded=outcome.rows_loaded)
        result.query_id = outcome.query_id
        result.rows_loaded = outcome.rows_loaded
        validated = rec.rows_validated if rec.rows_validated is not None else (
            report.rows if report else None)
        result.rows_validated = validated
        problems: list[str] = []
        if validated is not None and not (validated == outcome.rows_parsed == outcome.rows_loaded):
            problems.append(f"rows validated {validated:,}, parsed {outcome.rows_parsed:,}, "
                            f"loaded {outcome.rows_loaded:,}")
        by_name = {p.name: p.rows for p in (parts or [])} or {
            p.name: p.rows for p in self.ledger.parts(rec.load_id)}
        for f in outcome.files:
            want = by_name.get(os.path.basename(f.name))
            if want is not None and not (want == f.rows_parsed == f.rows_loaded):
                problems.append(f"part {f.name}: validated {want:,}, parsed {f.rows_parsed:,}, "
                                f"loaded {f.rows_loaded:,}")
        date_col = entry.spec.date_column
        if period is not None and date_col is not None:
            in_table = self._retry(lambda: wh.count_per_day(table, date_col, period.start,
                                                            period.end))
            if report is not None:
                expected = {date.fromisoformat(d): n for d, n in report.per_day.items()}
                diff = {d: (expected.get(d, 0), in_table.get(d, 0))
                        for d in set(expected) | set(in_table)
                        if expected.get(d, 0) != in_table.get(d, 0)}
                if diff:
                    shown = ", ".join(f"{d}: file {a:,} / table {b:,}"
                                      for d, (a, b) in sorted(diff.items())[:5])
                    problems.append(f"per-day counts differ on {len(diff)} days ({shown})")
            keys = entry.spec.duplicate_key_columns
            if keys:
                dups = self._retry(lambda: wh.duplicate_keys(table, keys, date_col, period.start,
                                                             period.end))
                if dups:
                    problems.append(f"{dups:,} duplicate keys ({', '.join(keys)}) in "
                                    f"{table.name} for {period.label()} after the load")
        if entry.spec.warehouse_checks:
            problems.extend(self._warehouse_checks(wh, entry, period, result))
        steps["reconcile"] = time.monotonic() - t0
        if replace and period is not None:
            # the delete of the period committed with the COPY, whatever the checks say next
            self.ledger.mark_period_deleted(rec.target, rec.table_name, period.start.isoformat(),
                                            period.end.isoformat())
        if problems:
            msg = ("reconciliation failed — " + "; ".join(problems) + f". The COPY committed: "
                   f"inspect {table.name} and remove the period with `snowetl-tui delete "
                   f"--table {table.name} --period {period.label() if period else '…'}`")
            # the rows are in the table: "unreconciled" keeps a re-run from loading them twice
            self.ledger.update(rec.load_id, state="unreconciled", error=msg,
                               rows_loaded=outcome.rows_loaded,
                               rows_parsed=outcome.rows_parsed)
            result.state, result.error = "failed", msg
            return result
        # -- clean up ------------------------------------------------------------------------
        t0 = time.monotonic()
        self._step("cleanup")
        fault_point("cleanup")
        self._cleanup(wh, rec.load_id)
        steps["cleanup"] = time.monotonic() - t0
        self.ledger.update(rec.load_id, state="succeeded", rows_loaded=outcome.rows_loaded,
                           error=None)
        self.ledger.audit("replace" if replace else "load", target=rec.target,
                          table=rec.table_name, period=period.label() if period else None,
                          rows=outcome.rows_loaded, load_id=rec.load_id,
                          detail={"file": rec.file, "sha256": rec.sha256 or (
                              report.sha256 if report else None), "query_id": outcome.query_id})
        result.state = "succeeded"
        self._say(f"loaded {outcome.rows_loaded:,} rows into {table.name} on {wh.name}")
        return result

    def _warehouse_checks(self, wh: Warehouse, entry: Entry, period: Period | None,
                          result: LoadResult) -> list[str]:
        """The entry's full period report, run by the warehouse on what the table holds for
        ``period`` after the COPY (on the load's own connection); its FAIL — or its failure to
        run at all — is returned as a reconciliation problem."""
        # stage_load builds on this module: imported here, where it is needed
        from snowetl_tui.load.stage_load import check_table_period

        if period is None:  # refused at the plan step; kept for a resumed load of an old plan
            return [f"the warehouse checks of {entry.table} need a period and this load has none"]
        label = f"{entry.table} for {period.label()} on {wh.name}"
        self._say(f"running the warehouse checks of {label}")
        try:
            report = self._retry(lambda: check_table_period(
                wh, entry, period, config_display=self.registry.display(entry)))
        except SnowetlError as exc:
            return [f"the warehouse checks of {label} could not run: {exc}"]
        result.warehouse_report = report
        if report.verdict != "fail":
            self._say(f"warehouse checks of {label}: {report.verdict}")
            return []
        failed = ", ".join(f"{c.name} ({c.message})" for c in report.failures())
        self._say(f"warehouse checks of {label} failed: {failed}", "error")
        return [f"warehouse checks of {label} failed: {failed}"]

    def _cleanup(self, wh: Warehouse, load_id: str) -> None:
        if wh.capabilities.needs_staging:
            try:
                self._retry(lambda: wh.remove_staged(load_id))
            except WarehouseError as exc:
                self._say(f"staged parts of {load_id} could not all be removed: {exc}",
                          "warning")
        shutil.rmtree(self.ws.spool_dir / load_id, ignore_errors=True)
