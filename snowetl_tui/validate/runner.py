"""Validating a whole file: plan, stream the chunks through a pool, merge, decide.

The parent reads the file once, sequentially (SHA-256 and record boundaries), and keeps at most
``max_in_flight`` chunks in the executor, so memory is flat whatever the file size. Workers
return partial aggregates; the merge turns them into checks. The executor is a parameter: the
default is a process pool sized to the cores (forkserver), but any
``concurrent.futures.Executor`` works (threads in tests, a Dask cluster: see ``executors``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period
from snowetl_tui.data.chunks import DEFAULT_CHUNK_SIZE, StreamSummary, iter_chunks
from snowetl_tui.data.sniff import FileFormat, sniff_file
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.validate import anomaly
from snowetl_tui.validate.calendar import compare_days, expected_days
from snowetl_tui.validate.duplicates import (
    DuplicateSummary,
    find_duplicates,
    plain_key_reader,
    stream_key_reader,
)
from snowetl_tui.validate.kernel import KernelSpec
from snowetl_tui.validate.report import Check, Example, Report
from snowetl_tui.validate.rules import RowRule, check_rule_sql, run_aggregate_rule
from snowetl_tui.validate.worker import ChunkOutcome, CompressSpec, process_chunk

MAX_EXAMPLES = 20
_DATE_CANDIDATES = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")


class ValidationCancelled(SnowetlError):
    """The validation was cancelled between chunks."""

    exit_code = 1


@dataclass
class Progress:
    """Where a validation stands; sent to the progress callback at least every 0.5 s."""

    bytes_done: int
    bytes_total: int
    rows: int
    elapsed: float
    chunks_done: int
    phase: str = "read"

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_done / self.bytes_total) if self.bytes_total else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes_done / 1e6 / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[Progress], None]


@dataclass
class Plan:
    """What the parent decided before reading: the format, the kernel spec, the header check."""

    path: Path
    entry: Entry | None
    period: Period | None
    config_display: str | None
    fmt: FileFormat
    spec: KernelSpec
    names: list[str]
    header_check: Check
    date_note: str | None = None
    row_rules: tuple[RowRule, ...] = ()
    aggregate_rules: list[tuple[str, str, str, float | None, float | None]] = field(
        default_factory=list
    )


def _detect_date_format(values: list[str]) -> str | None:
    for fmt in _DATE_CANDIDATES:
        try:
            for v in values:
                datetime.strptime(v, fmt)
        except ValueError:
            continue
        if values:
            return fmt
    return None


def _head_values(fmt: FileFormat, index: int, limit: int = 200) -> list[str]:
    from snowetl_tui.data.compression import read_head

    head, _ = read_head(fmt.path, 1 << 18)
    text = head[fmt.data_start:].decode(fmt.encoding, errors="replace")
    out = []
    for line in text.splitlines()[:limit]:
        parts = line.split(fmt.delimiter)
        if index < len(parts) and parts[index].strip(fmt.quote or ""):
            out.append(parts[index].strip(fmt.quote or ""))
    return out


def _header_check(fmt: FileFormat, names: list[str] | None) -> Check:
    if not fmt.header:
        return Check("header", "PASS", 0, "no header expected (header: false)")
    found = list(fmt.header_fields or ())
    if names is None:
        return Check("header", "PASS", 0, f"{len(found)} columns (no expected columns configured)")
    if [f.strip() for f in found] == names:
        return Check("header", "PASS", 0, f"{len(names)} columns as expected")
    upper_found = [f.strip().upper() for f in found]
    upper_names = [n.upper() for n in names]
    missing = [n for n in names if n.upper() not in upper_found]
    extra = [f for f in found if f.strip().upper() not in upper_names]
    moved = [
        n for i, n in enumerate(names)
        if n.upper() in upper_found and upper_found.index(n.upper()) != i
    ]
    parts = []
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    if extra:
        parts.append(f"extra: {', '.join(extra)}")
    if moved and not (missing or extra):
        parts.append(f"moved: {', '.join(moved)}")
    if not parts:
        # same names, same order, different case or whitespace: Snowflake would not care
        return Check("header", "WARN", 0, "column names differ only in case or spaces")
    return Check(
        "header", "FAIL", len(missing) + len(extra) + len(moved),
        "header does not match the expected columns — " + "; ".join(parts),
        [Example(line=1, value=fmt.delimiter.join(found)[:300])],
    )


def plan_file(
    path: Path, entry: Entry | None, period: Period | None, config_display: str | None = None,
) -> Plan:
    """Sniff the file and build the kernel spec from its config entry (or from the file)."""
    spec_cfg = entry.spec if entry else None
    fmt = sniff_file(path, spec_cfg)
    names = spec_cfg.column_names if spec_cfg else None
    header = _header_check(fmt, names)
    if names is None:
        names = (
            [f.strip() for f in fmt.header_fields] if fmt.header_fields
            else [f"COL{i + 1}" for i in range(len(fmt.first_fields))]
        )
    if not names:
        names = ["COL1"]
    if spec_cfg is not None and spec_cfg.columns is not None:
        types = tuple(c.type for c in spec_cfg.columns)
        nullable = tuple(c.nullable for c in spec_cfg.columns)
    else:
        types = tuple("VARCHAR" for _ in names)
        nullable = tuple(True for _ in names)
    null_values = tuple(
        v.encode(fmt.encoding) for v in (spec_cfg.null_values if spec_cfg and
                                         spec_cfg.null_values is not None else [""])
    )
    date_index: int | None = None
    date_format = "%Y-%m-%d"
    note = None
    if spec_cfg is not None and spec_cfg.date_column is not None:
        date_index = names.index(spec_cfg.date_column)
        if spec_cfg.date_format:
            date_format = spec_cfg.date_format
        else:
            detected = _detect_date_format(_head_values(fmt, date_index))
            if detected:
                date_format = detected
                note = f"date format {detected} detected from the head"
            else:
                note = "date format not configured and not detectable; assuming %Y-%m-%d"
    key_indices = tuple(names.index(c) for c in (spec_cfg.duplicate_key_columns if spec_cfg
                                                 else []))
    kspec = KernelSpec(
        delimiter=fmt.delimiter.encode(fmt.encoding),
        quote=fmt.quote.encode(fmt.encoding) if fmt.quote else None,
        ncols=len(names),
        column_names=tuple(names),
        column_types=types,
        nullable=nullable,
        null_values=null_values,
        date_index=date_index,
        date_format=date_format,
        key_indices=key_indices,
        encoding=fmt.encoding,
        max_examples=MAX_EXAMPLES,
    )
    plan = Plan(path, entry, period, config_display, fmt, kspec, names, header, note)
    if spec_cfg is not None:
        for k, rule in enumerate(spec_cfg.rules):
            error = check_rule_sql(kspec, rule.sql, rule.kind)
            if error:
                where = f"{config_display}: " if config_display else ""
                raise InputError(
                    f"{where}{entry.json_path if entry else 'files[?]'}.rules[{k}].sql: "
                    f"rule '{rule.name}' does not compile: {error}"
                )
            if rule.kind == "row":
                plan.row_rules += (RowRule(rule.name, rule.sql),)
            else:
                plan.aggregate_rules.append(
                    (rule.name, rule.sql, rule.severity, rule.min, rule.max)
                )
    return plan


def _worker_init(owner: int) -> None:
    """Workers die with the process that owns the pool, and leave Ctrl-C to it.

    A SIGKILLed loader or engine cannot shut its pool down. Its forkserver workers would then
    wait forever on a queue nobody writes to (each holding the fork server's "alive" pipe, so
    the fork server stays too). A watchdog thread ends the worker once the owner is gone.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def gone() -> bool:
        try:  # a killed owner not yet reaped is a zombie: it "exists" but is dead
            with open(f"/proc/{owner}/stat", "rb") as fh:
                return fh.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
        except FileNotFoundError:
            return True
        except OSError:
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            return False

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if gone():
                os._exit(1)

    threading.Thread(target=watch, name="owner-watchdog", daemon=True).start()


def default_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool sized to the cores, started with forkserver (safe with threads)."""
    n = workers or os.cpu_count() or 1
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Workers need the kernel, not the CLI or the TUI the main module would drag in.
        ctx.set_forkserver_preload(["snowetl_tui.validate.worker"])
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))


@dataclass
class _Merged:
    outcomes: list[ChunkOutcome] = field(default_factory=list)


def validate_file(
    plan: Plan,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_in_flight: int | None = None,
    spill_root: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    compress: CompressSpec | None = None,
    on_chunk: Callable[[ChunkOutcome], None] | None = None,
) -> Report:
    """Run every check over the file and return the report.

    With ``compress``, each worker also writes its chunk compressed into ``compress.out_dir``
    (the load's single read); ``on_chunk`` sees every finished chunk in file order, so the
    caller can assemble and stage parts while later chunks are still being read.
    """
    started = time.monotonic()
    own = executor is None
    pool = executor or default_executor(workers)
    # A remote executor (Dask) reads plain files on its workers: it checks they see the file,
    # and its workers' outputs (spill files, compressed parts) are shipped back to this host.
    remote: Any = pool if getattr(pool, "remote", False) else None
    plain = plan.fmt.codec == "none"
    if remote is not None:
        remote.prepare(plan.path, plain=plain)
    n_workers = workers or getattr(pool, "_max_workers", None) or os.cpu_count() or 1
    in_flight_cap = max_in_flight or max(2, 2 * n_workers)
    if spill_root is not None and plan.spec.key_indices:
        spill_root.mkdir(parents=True, exist_ok=True)
    spill_dir = tempfile.mkdtemp(prefix="keys-", dir=spill_root) if plan.spec.key_indices else None
    size = plan.path.stat().st_size
    summary = StreamSummary()
    outcomes: dict[int, ChunkOutcome] = {}
    pending: dict[Future[ChunkOutcome], int] = {}
    done_bytes = 0
    rows = 0
    last_tick = 0.0

    def tick(force: bool = False) -> None:
        nonlocal last_tick
        now = time.monotonic()
        if progress is None or (not force and now - last_tick < 0.25):
            return
        last_tick = now
        total = size if plan.fmt.codec != "none" else max(size - plan.fmt.data_start, 1)
        position = summary.raw_position if plan.fmt.codec != "none" else done_bytes
        progress(Progress(min(position, total), total, rows, now - started, len(outcomes)))

    next_in_order = 0

    def collect(block: bool) -> None:
        nonlocal done_bytes, rows, next_in_order
        if not pending:
            return
        finished, _ = wait(list(pending), timeout=0.5 if block else 0, return_when=FIRST_COMPLETED)
        for fut in finished:
            pending.pop(fut)
            out = fut.result() if remote is None else remote.collect(fut, spill_dir, compress)
            outcomes[out.result.chunk_index] = out
            done_bytes += out.result.byte_len
            rows += out.result.rows
        while on_chunk is not None and next_in_order in outcomes:
            on_chunk(outcomes[next_in_order])
            next_in_order += 1
        tick()

    try:
        try:
            for chunk in iter_chunks(
                plan.path,
                data_start=plan.fmt.data_start,
                chunk_size=chunk_size,
                quote=plan.spec.quote,
                codec=plan.fmt.codec,
                summary=summary,
            ):
                if cancel is not None and cancel.is_set():
                    raise ValidationCancelled("validation cancelled")
                while len(pending) >= in_flight_cap:
                    collect(block=True)
                if remote is None:
                    fut = pool.submit(process_chunk, plan.spec, str(plan.path), chunk, spill_dir,
                                      plan.row_rules, compress)
                else:
                    fut = remote.submit_chunk(plan.spec, os.path.abspath(plan.path), chunk,
                                              spill_dir is not None, plan.row_rules, compress,
                                              _stat_key(plan.path) if plain else None)
                pending[fut] = chunk.index
                collect(block=False)
            while pending:
                if cancel is not None and cancel.is_set():
                    raise ValidationCancelled("validation cancelled")
                collect(block=True)
        except (EOFError, OSError) as exc:
            raise InputError(f"{plan.path}: cannot read: {exc}") from None
        except Exception as exc:
            if type(exc).__name__ in ("ZstdError", "BadGzipFile", "IsalError"):
                raise InputError(f"{plan.path}: corrupt or truncated compressed data: {exc}"
                                 ) from None
            raise
        tick(force=True)
        ordered = [outcomes[i] for i in sorted(outcomes)]
        dups = None
        if spill_dir is not None:
            if progress is not None:
                progress(Progress(done_bytes, done_bytes, rows, time.monotonic() - started,
                                  len(outcomes), phase="duplicates"))
            dups = _duplicates(plan, ordered, spill_dir)
        report = _build_report(plan, ordered, summary, dups, time.monotonic() - started)
    finally:
        for fut in pending:
            fut.cancel()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        if spill_dir is not None:
            shutil.rmtree(spill_dir, ignore_errors=True)
    return report


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _duplicates(plan: Plan, ordered: list[ChunkOutcome], spill_dir: str) -> DuplicateSummary:
    files = [o.spill_file for o in ordered if o.spill_file]
    total = sum(o.spill_rows for o in ordered)
    spec = plan.spec
    if plan.fmt.codec == "none":
        reader = plain_key_reader(plan.path, spec.delimiter, spec.quote, spec.encoding,
                                  spec.key_indices)
    else:
        reader = stream_key_reader(plan.path, plan.fmt.codec, spec.delimiter, spec.quote,
                                   spec.encoding, spec.key_indices)
    return find_duplicates(files, total, reader)


class _Lines:
    """Global line numbers from chunk-relative ones, and for arbitrary offsets."""

    def __init__(self, plan: Plan, ordered: list[ChunkOutcome]) -> None:
        self.plan = plan
        self.starts = [o.result.byte_start for o in ordered]
        self.first: list[int] = []
        line = plan.fmt.header_lines + 1
        for o in ordered:
            self.first.append(line)
            line += o.result.lines
        self.known: dict[int, int] = {}
        for o, first in zip(ordered, self.first, strict=True):
            for off, rel in o.offset_lines.items():
                self.known[off] = first + rel

    def line(self, offset: int) -> int | None:
        return self.known.get(offset)

    def resolve(self, offsets: list[int]) -> None:
        """Compute lines for offsets the workers did not (duplicate examples)."""
        import bisect

        from snowetl_tui.data.compression import open_stream

        todo = sorted(o for o in set(offsets) if o not in self.known)
        if not todo:
            return
        with open_stream(self.plan.path, self.plan.fmt.codec) as fh:
            pos, line = 0, 1
            for off in todo:
                k = bisect.bisect_right(self.starts, off) - 1
                if k >= 0 and self.starts[k] > pos:
                    # skip to the chunk start, whose first line we know
                    remaining = self.starts[k] - pos
                    while remaining > 0:
                        got = fh.read(min(remaining, 1 << 22))
                        if not got:
                            break
                        remaining -= len(got)
                    pos, line = self.starts[k], self.first[k]
                remaining = off - pos
                while remaining > 0:
                    got = fh.read(min(remaining, 1 << 22))
                    if not got:
                        break
                    line += got.count(b"\n")
                    remaining -= len(got)
                    pos += len(got)
                self.known[off] = line


def _ex(lines: _Lines, offset: int | None, value: str | None = None,
        detail: str | None = None) -> Example:
    return Example(line=lines.line(offset) if offset is not None else None, byte_offset=offset,
                   value=value, detail=detail)


def _build_report(
    plan: Plan,
    ordered: list[ChunkOutcome],
    summary: StreamSummary,
    dups: DuplicateSummary | None,
    seconds: float,
) -> Report:
    res = [o.result for o in ordered]
    lines = _Lines(plan, ordered)
    spec = plan.spec
    names = plan.names
    rows = sum(r.rows for r in res)
    checks: list[Check] = []

    # -- the file as a whole -------------------------------------------------------------------
    if rows == 0:
        what = "header only" if plan.fmt.header and plan.fmt.header_fields else "empty file"
        checks.append(Check("rows", "FAIL", 0, f"no data rows ({what})"))
    else:
        checks.append(Check("rows", "PASS", rows, f"{rows:,} data rows"))
    enc_errors = sum(r.encoding_errors for r in res)
    first_enc = next((r.first_encoding_error_offset for r in res
                      if r.first_encoding_error_offset is not None), None)
    checks.append(
        Check("encoding", "FAIL", enc_errors,
              f"{enc_errors:,} invalid {spec.encoding} byte sequences", [_ex(lines, first_enc)])
        if enc_errors else Check("encoding", "PASS", 0, f"valid {spec.encoding}")
    )
    checks.append(
        Check("bom", "WARN", 1, "file starts with a UTF-8 byte-order mark (skipped)")
        if plan.fmt.bom else Check("bom", "PASS", 0, "no byte-order mark")
    )
    nul = sum(r.nul_bytes for r in res)
    first_nul = next((r.first_nul_offset for r in res if r.first_nul_offset is not None), None)
    checks.append(
        Check("nul_bytes", "FAIL", nul, f"{nul:,} NUL bytes (binary data or a corrupt file)",
              [_ex(lines, first_nul)])
        if nul else Check("nul_bytes", "PASS", 0, "no NUL bytes")
    )
    cr = sum(r.cr_count for r in res)
    if cr and cr < rows:
        checks.append(Check("line_endings", "WARN", cr,
                            f"mixed line endings: {cr:,} CRLF lines, {rows - cr:,} LF lines"))
    else:
        checks.append(Check("line_endings", "PASS", 0, "CRLF" if cr else "LF"))
    if rows and not summary.ends_with_newline:
        checks.append(Check("final_newline", "WARN", 1,
                            "the last line has no newline (the row is counted)"))
    else:
        checks.append(Check("final_newline", "PASS", 0, "file ends with a newline"))
    checks.append(plan.header_check)

    # -- structure -----------------------------------------------------------------------------
    bad = sum(r.bad_field_count for r in res)
    if bad:
        examples = sorted(((o, n) for r in res for o, n in r.field_count_examples))[:MAX_EXAMPLES]
        checks.append(Check(
            "field_count", "FAIL", bad,
            f"{bad:,} {'row does' if bad == 1 else 'rows do'} not have {spec.ncols} fields",
            [_ex(lines, o, detail=f"{n} fields, expected {spec.ncols}") for o, n in examples],
        ))
    else:
        checks.append(Check("field_count", "PASS", 0, f"every row has {spec.ncols} fields"))
    if spec.quote is not None:
        uq = sum(r.unbalanced_quotes for r in res)
        ex = sorted(o for r in res for o in r.unbalanced_quote_examples)[:MAX_EXAMPLES]
        checks.append(
            Check("quotes", "FAIL", uq,
                  f"{uq:,} {'row' if uq == 1 else 'rows'} with unbalanced or stray quotes",
                  [_ex(lines, o) for o in ex])
            if uq else Check("quotes", "PASS", 0, "quoting is balanced")
        )

    # -- types and NULLs -----------------------------------------------------------------------
    type_counts: dict[int, int] = {}
    for r in res:
        for col, n in r.type_errors.items():
            type_counts[col] = type_counts.get(col, 0) + n
    if type_counts:
        per_col = ", ".join(f"{names[c]} ({spec.column_types[c]}): {n:,}"
                            for c, n in sorted(type_counts.items()))
        ex = sorted((o, c, v) for r in res for o, c, v in r.type_error_examples)[:MAX_EXAMPLES]
        checks.append(Check(
            "types", "FAIL", sum(type_counts.values()),
            f"values not of the declared type — {per_col}",
            [_ex(lines, o, v, f"{names[c]} is {spec.column_types[c]}") for o, c, v in ex],
            data={"per_column": {names[c]: n for c, n in sorted(type_counts.items())}},
        ))
    else:
        checks.append(Check("types", "PASS", 0, "every value has its declared type"))
    null_counts: dict[int, int] = {}
    for r in res:
        for col, n in r.null_violations.items():
            null_counts[col] = null_counts.get(col, 0) + n
    if null_counts:
        per_col = ", ".join(f"{names[c]}: {n:,}" for c, n in sorted(null_counts.items()))
        ex = sorted((o, c) for r in res for o, c in r.null_violation_examples)[:MAX_EXAMPLES]
        checks.append(Check(
            "not_null", "FAIL", sum(null_counts.values()), f"NULL in NOT NULL columns — {per_col}",
            [_ex(lines, o, detail=f"{names[c]} is NULL") for o, c in ex],
            data={"per_column": {names[c]: n for c, n in sorted(null_counts.items())}},
        ))
    else:
        checks.append(Check("not_null", "PASS", 0, "no NULL in NOT NULL columns"))

    # -- dates, period, calendar, anomalies ----------------------------------------------------
    per_day: dict[date, int] = {}
    for r in res:
        for d, n in r.per_day().items():
            per_day[d] = per_day.get(d, 0) + n
    if spec.date_index is not None:
        col = names[spec.date_index]
        bad_dates = sum(r.bad_dates for r in res)
        ex = sorted((o, v) for r in res for o, v in r.bad_date_examples)[:MAX_EXAMPLES]
        note = f" ({plan.date_note})" if plan.date_note else ""
        checks.append(
            Check("dates", "FAIL", bad_dates,
                  f"{bad_dates:,} values of {col} do not parse as {spec.date_format}{note}",
                  [_ex(lines, o, v) for o, v in ex])
            if bad_dates else
            Check("dates", "PASS", 0, f"every {col} parses as {spec.date_format}{note}")
        )
        checks.extend(_period_checks(plan, per_day))
    else:
        checks.append(Check("dates", "PASS", 0, "no date column configured: period checks skipped"))

    # -- duplicates ----------------------------------------------------------------------------
    if dups is not None:
        keycols = ", ".join(names[i] for i in spec.key_indices)
        if dups.keys:
            example_offsets = [o for g in dups.groups for o in g.offsets[:5]]
            lines.resolve(example_offsets)
            checks.append(Check(
                "duplicates", "FAIL", dups.excess_rows,
                f"{dups.keys:,} duplicate keys ({keycols}), {dups.excess_rows:,} excess rows",
                [
                    Example(
                        line=lines.line(g.offsets[0]), byte_offset=g.offsets[0],
                        value=" | ".join(g.key),
                        detail=f"{g.count} rows, lines "
                        + ", ".join(str(lines.line(o)) for o in g.offsets[:5])
                        + (" …" if g.count > 5 else ""),
                    )
                    for g in dups.groups
                ],
                data={"duplicate_keys": dups.keys, "excess_rows": dups.excess_rows,
                      "key_columns": [names[i] for i in spec.key_indices]},
            ))
        else:
            checks.append(Check("duplicates", "PASS", 0, f"no duplicate keys ({keycols})"))

    # -- custom rules --------------------------------------------------------------------------
    checks.extend(_rule_checks(plan, ordered, lines))

    entry = plan.entry
    return Report(
        file=str(plan.path),
        config=plan.config_display,
        table=entry.table if entry else None,
        period_start=plan.period.start.isoformat() if plan.period else None,
        period_end=plan.period.end.isoformat() if plan.period else None,
        rows=rows,
        bytes=summary.total_bytes,
        seconds=seconds,
        sha256=summary.sha256,
        checks=checks,
        per_day={d.isoformat(): n for d, n in sorted(per_day.items())},
        format={
            "codec": plan.fmt.codec,
            "delimiter": plan.fmt.delimiter,
            "quote": plan.fmt.quote,
            "header": plan.fmt.header,
            "encoding": plan.fmt.encoding,
            "bom": plan.fmt.bom,
        },
        columns=list(names),
    )


_STATUS = {"fail": "FAIL", "warn": "WARN", "info": "PASS", "critical": "FAIL",
           "warning": "WARN"}


def _period_checks(plan: Plan, per_day: dict[date, int]) -> list[Check]:
    return period_checks(plan.period, plan.entry, per_day)


def period_checks(period: Period | None, entry: Entry | None, per_day: dict[date, int]
                  ) -> list[Check]:
    """period, calendar, unexpected_days and anomalies from per-day counts — shared by file
    validation and validation inside the warehouse, so both word their findings alike."""
    out: list[Check] = []
    if period is None or entry is None:
        out.append(Check("period", "PASS", 0, "no period in the file name: calendar not checked"))
        return out
    cal = entry.spec.calendar
    want = expected_days(period, cal, entry.holidays)
    cmp = compare_days(per_day, period, want)
    if cmp.outside_period:
        out.append(Check(
            "period", "FAIL", cmp.rows_outside_period,
            f"{cmp.rows_outside_period:,} rows dated outside {period.label()} "
            f"({len(cmp.outside_period)} days)",
            [Example(value=d.isoformat(), detail=f"{n:,} rows")
             for d, n in list(cmp.outside_period.items())[:MAX_EXAMPLES]],
        ))
    else:
        out.append(Check("period", "PASS", 0, f"every row is dated within {period.label()}"))
    kind = "business days" if cal.days == "business" else "days"
    if cmp.missing:
        out.append(Check(
            "calendar", "FAIL", len(cmp.missing),
            f"{len(cmp.missing)} of {len(want)} expected {kind} have no rows: "
            + ", ".join(d.isoformat() for d in cmp.missing[:10])
            + (" …" if len(cmp.missing) > 10 else ""),
            [Example(value=d.isoformat(), detail=d.strftime("%A"))
             for d in cmp.missing[:MAX_EXAMPLES]],
            data={"missing_days": [d.isoformat() for d in cmp.missing],
                  "expected_days": len(want)},
        ))
    else:
        out.append(Check("calendar", "PASS", 0, f"all {len(want)} expected {kind} have rows"))
    if cmp.unexpected_days:
        out.append(Check(
            "unexpected_days", "WARN", cmp.rows_on_unexpected_days,
            f"{cmp.rows_on_unexpected_days:,} rows on {len(cmp.unexpected_days)} days that "
            "need none (weekends/holidays)",
            [Example(value=d.isoformat(), detail=f"{d:%A}, {n:,} rows")
             for d, n in list(cmp.unexpected_days.items())[:MAX_EXAMPLES]],
        ))
    base, found = anomaly.detect(per_day, want, entry.spec.anomaly)
    if base is None:
        out.append(Check("anomalies", "PASS", 0,
                         "too few days with rows for a baseline" if entry.spec.anomaly.enabled
                         else "anomaly check disabled"))
    elif found:
        worst = max((_STATUS[a.severity] for a in found), key=["PASS", "WARN", "FAIL"].index)
        out.append(Check(
            "anomalies", worst, len(found),
            f"{len(found)} days far from the baseline (median {base.median:g}, "
            f"IQR {base.q1:g}–{base.q3:g})",
            [Example(value=a.day.isoformat(), detail=f"{a.kind}: {a.detail}")
             for a in found[:MAX_EXAMPLES]],
            data={"days": {a.day.isoformat(): a.kind for a in found},
                  "median": base.median, "q1": base.q1, "q3": base.q3},
        ))
    else:
        out.append(Check("anomalies", "PASS", 0,
                         f"no anomalous day (median {base.median:g}, IQR {base.q1:g}–{base.q3:g})"))
    return out


def _rule_checks(plan: Plan, ordered: list[ChunkOutcome], lines: _Lines) -> list[Check]:
    out: list[Check] = []
    entry = plan.entry
    if entry is None:
        return out
    severity = {r.name: r.severity for r in entry.spec.rules}
    for rule in plan.row_rules:
        n = sum(o.rule_counts.get(rule.name, 0) for o in ordered)
        ex = sorted(e for o in ordered for e in o.rule_examples.get(rule.name, []))[:MAX_EXAMPLES]
        out.append(row_rule_check(rule.name, rule.sql, severity[rule.name], n,
                                  [_ex(lines, o, v) for o, v in ex]))
    for name, sql, sev, lo, hi in plan.aggregate_rules:
        value = run_aggregate_rule(plan.spec, plan.path, plan.fmt.header, sql)
        out.append(aggregate_rule_check(name, sql, sev, lo, hi, value))
    return out


def row_rule_check(name: str, sql: str, severity: str, violations: int,
                   examples: list[Example] | None = None) -> Check:
    """The check of a row rule from its violation count (file or warehouse validation)."""
    n = violations
    msg = (f"{n:,} {'row violates' if n == 1 else 'rows violate'} {sql}" if n
           else f"every row satisfies {sql}")
    return Check(f"rule:{name}", _STATUS[severity] if n else "PASS", n, msg, examples or [])


def aggregate_rule_check(name: str, sql: str, severity: str, lo: float | None,
                         hi: float | None, value: float | None) -> Check:
    """The check of an aggregate rule from its value (file or warehouse validation)."""
    ok = value is not None and (lo is None or value >= lo) and (hi is None or value <= hi)
    bounds = " and ".join(
        x for x in [f"≥ {lo:g}" if lo is not None else "", f"≤ {hi:g}" if hi is not None
                    else ""] if x
    )
    shown = "NULL" if value is None else f"{value:g}"
    return Check(f"rule:{name}", "PASS" if ok else _STATUS[severity], 0 if ok else 1,
                 f"{sql} = {shown} (must be {bounds})")
