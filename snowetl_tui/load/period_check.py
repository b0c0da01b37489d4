"""Warehouse-side checks of one loaded period, run on demand (the Tables view's ``c``).

A load reconciles its own rows when it commits; this re-asks the warehouse later, when rows
may have been deleted, duplicated or loaded around the tool, and answers with the same words
the load report uses:

* **rows** — the period's rows in the warehouse against the ledger's ``rows_loaded`` of the
  loads that are recorded for it;
* **per_day** — the warehouse's per-day counts against the per-day counts of the loaded files
  (their job reports), when those reports exist;
* **calendar** — expected days of the config's calendar with no rows, first and last day
  included (the period comes from the ledger, never from the data);
* **duplicates** — keys occurring more than once among the period's rows: an exact GROUP BY in
  the warehouse, with the most repeated keys as examples;
* **anomalies** — days far from the period's robust baseline (``validate/anomaly.py``) on the
  warehouse's counts.

Only the warehouse protocol (:class:`~snowetl_tui.warehouse.base.StageWarehouse`) is used, so
the same code runs on the embedded DuckDB database and on Snowflake. The embedded database
admits one writer: while a load copies into it, a read waits; instead of waiting (or failing
with DuckDB's lock text) the check says which target is busy and that it can be run again when
the load finishes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period, PeriodError, parse_period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.load.ledger import Ledger, LoadRecord
from snowetl_tui.validate import anomaly
from snowetl_tui.validate.calendar import compare_days, expected_days
from snowetl_tui.warehouse.base import StageWarehouse, TableRef, TableRows, WarehouseError
from snowetl_tui.workspace import Workspace

Status = Literal["PASS", "WARN", "FAIL"]
SYMBOL: dict[str, str] = {"PASS": "✓", "WARN": "!", "FAIL": "✗"}
_ORDER = {"PASS": 0, "WARN": 1, "FAIL": 2}
_SEVERITY = {"fail": "FAIL", "warn": "WARN", "info": "PASS"}
MAX_EXAMPLES = 5

WarehouseOpener = Callable[[str, Entry | None], StageWarehouse]


class TargetBusy(SnowetlError):
    """The embedded database is locked by a writer (a load or delete in the engine)."""

    exit_code = 1


@dataclass(frozen=True)
class Finding:
    """One check's outcome: a status, one sentence, and a few examples."""

    check: str
    status: Status
    message: str
    examples: tuple[str, ...] = ()

    @property
    def symbol(self) -> str:
        return SYMBOL[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "message": self.message,
                "examples": list(self.examples)}


@dataclass
class PeriodCheck:
    """Everything the checks found about one period of one table on one target."""

    table: str
    target: str
    period: Period
    date_column: str
    findings: list[Finding] = field(default_factory=list)
    rows_in_warehouse: int = 0
    rows_in_ledger: int = 0
    per_day: dict[date, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        worst = max((_ORDER[f.status] for f in self.findings), default=0)
        return ("PASS", "WARN", "FAIL")[worst]

    @property
    def symbol(self) -> str:
        return SYMBOL[self.status]

    def summary(self) -> str:
        """``✗ FAIL — 2 of 5 checks failed, 1 warning`` (words and symbol)."""
        fails = sum(f.status == "FAIL" for f in self.findings)
        warns = sum(f.status == "WARN" for f in self.findings)
        n = len(self.findings)
        parts = []
        if fails:
            parts.append(f"{fails} of {n} checks failed")
        if warns:
            parts.append(f"{warns} warning{'s' if warns != 1 else ''}")
        return f"{self.symbol} {self.status} — " + (", ".join(parts) or f"all {n} checks passed")

    def finding(self, check: str) -> Finding | None:
        return next((f for f in self.findings if f.check == check), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table, "target": self.target,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(), "date_column": self.date_column,
            "status": self.status, "rows_in_warehouse": self.rows_in_warehouse,
            "rows_in_ledger": self.rows_in_ledger,
            "findings": [f.as_dict() for f in self.findings],
            "per_day": {d.isoformat(): n for d, n in sorted(self.per_day.items())},
            "seconds": round(self.seconds, 3),
        }


def check_period(ws: Workspace, registry: ConfigRegistry, table: str, period: Period | str,
                 target: str, *, open_warehouse: WarehouseOpener | None = None) -> PeriodCheck:
    """Run every check of ``table`` for ``period`` on ``target``.

    Raises :class:`InputError` when no config knows the table's date column,
    :class:`TargetBusy` when the local database is being written, and
    :class:`WarehouseError` for any other warehouse failure (each message names the fix).
    """
    started = time.monotonic()
    per = _period(period)
    loads = _ledger_loads(ws, target, table, per)
    entry = entry_for(registry, table, target, loads)
    if entry is None or entry.spec.date_column is None:
        raise InputError(f"no config gives the date column of {table}: add date_column to "
                         "its entry in configs/ to check its periods")
    date_column = entry.spec.date_column
    result = PeriodCheck(table, target, per, date_column)
    opener = open_warehouse or _default_opener(ws, registry)
    probe_local_lock(ws, target)
    try:
        wh = opener(target, entry)
    except WarehouseError as exc:
        raise _busy_or(exc, target) from None
    ref = TableRef(table)
    try:
        columns = wh.table_columns(ref)
        if columns is None:
            result.findings.append(Finding(
                "table", "FAIL", f"table {table} does not exist on target {target}"))
            result.seconds = time.monotonic() - started
            return result
        per_day = wh.count_per_day(ref, date_column, per.start, per.end)
        keys = list(entry.spec.duplicate_key_columns)
        dups, top = 0, []
        if keys:
            # the same query the in-warehouse validation uses (count + the largest groups)
            facts = wh.duplicate_facts(TableRows(ref, date_column, per.start, per.end),
                                       columns, keys, MAX_EXAMPLES)
            dups, top = facts.keys, facts.groups
    except WarehouseError as exc:
        raise _busy_or(exc, target) from None
    except Exception as exc:
        if not type(exc).__module__.startswith(("duckdb", "_duckdb")):
            raise
        raise WarehouseError(f"checking {table} on {target} failed: "
                             f"{str(exc).splitlines()[0]}") from None
    finally:
        wh.close()
    result.per_day = per_day
    result.rows_in_warehouse = sum(per_day.values())
    result.findings.append(_rows_finding(result, loads))
    result.findings.append(_per_day_finding(ws, per_day, loads, per))
    result.findings.extend(_calendar_findings(per_day, per, entry))
    result.findings.append(_duplicates_finding(keys, dups, top, table))
    result.findings.append(_anomaly_finding(per_day, per, entry))
    result.seconds = time.monotonic() - started
    return result


# -- inputs --------------------------------------------------------------------------------------
def _period(period: Period | str) -> Period:
    if isinstance(period, Period):
        return period
    try:
        return parse_period(period)
    except PeriodError as exc:
        raise InputError(f"period: {exc}") from None


def _ledger_loads(ws: Workspace, target: str, table: str, per: Period) -> list[LoadRecord]:
    """Succeeded loads of the table on the target whose period overlaps ``per``."""
    if not ws.store_path.exists():
        return []
    return Ledger(ws.store_path).overlapping(target, table, per.start.isoformat(),
                                             per.end.isoformat())


def entry_for(registry: ConfigRegistry, table: str, target: str,
              loads: list[LoadRecord] | None = None) -> Entry | None:
    """The config entry of a table: the one that matched the loaded files (its calendar and
    keys are the ones that applied), else the table's entry for the target, else any entry of
    the table (a load may have been sent to another target with ``--target``)."""
    for rec in reversed(loads or []):
        match = registry.match(rec.file_name)
        if match.entry is not None and match.entry.table.upper() == table.upper():
            return match.entry
    same = registry.entries_for_table(table)
    return next((e for e in same if e.target == target), same[0] if same else None)




def _default_opener(ws: Workspace, registry: ConfigRegistry) -> WarehouseOpener:
    from snowetl_tui.load.pipeline import default_warehouse_factory

    return default_warehouse_factory(ws, registry)


# -- the embedded database's single writer -------------------------------------------------------
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def busy_message(target: str, pid: str | None = None) -> str:
    who = f" (process {pid} holds the database)" if pid else ""
    return (f"a load is writing to target {target}{who}; try again when it finishes")


def probe_local_lock(ws: Workspace, target: str) -> None:
    """Probe the local database once, without the adapter's wait: a COPY holds the lock for
    as long as it runs, and a check is not worth waiting minutes for."""
    if target != "local" or not ws.local_db_path.exists():
        return
    import duckdb

    try:
        duckdb.connect(str(ws.local_db_path), read_only=True).close()
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            m = _LOCK_PID.search(text)
            raise TargetBusy(busy_message(target, m.group(1) if m else None)) from None
        raise WarehouseError(f"{ws.local_db_path}: cannot open the local database: "
                             f"{text.splitlines()[0]}") from None


def _busy_or(exc: WarehouseError, target: str) -> SnowetlError:
    text = str(exc)
    if target == "local" and "lock" in text.lower():
        m = _LOCK_PID.search(text)
        return TargetBusy(busy_message(target, m.group(1) if m else None))
    return exc


# -- the checks ----------------------------------------------------------------------------------
def _rows_finding(result: PeriodCheck, loads: list[LoadRecord]) -> Finding:
    per = result.period
    inside = [r for r in loads if r.period_start and r.period_end
              and per.start.isoformat() <= r.period_start and r.period_end <= per.end.isoformat()]
    wider = [r for r in loads if r not in inside]
    expected = sum(r.rows_loaded or 0 for r in inside)
    result.rows_in_ledger = expected
    have = result.rows_in_warehouse
    if wider:
        return Finding("rows", "WARN", (
            f"{have:,} rows in the warehouse; not compared: "
            f"{len(wider)} recorded load{'s' if len(wider) != 1 else ''} cover"
            f"{'s' if len(wider) == 1 else ''} more than {per.label()}"),
            tuple(f"{r.file_name}: {r.period_start}..{r.period_end}" for r in wider[:3]))
    if not inside:
        if have:
            return Finding("rows", "FAIL", (
                f"{have:,} rows in the warehouse but no load of {per.label()} in the ledger "
                "(loaded around this tool?)"))
        return Finding("rows", "PASS", f"no rows and no load of {per.label()} in the ledger")
    n = len(inside)
    loads_txt = f"{n} load{'s' if n != 1 else ''}"
    if have == expected:
        return Finding("rows", "PASS",
                       f"{have:,} rows in the warehouse = {expected:,} loaded ({loads_txt})")
    diff = have - expected
    how = f"{abs(diff):,} {'more' if diff > 0 else 'fewer'}"
    return Finding("rows", "FAIL", (
        f"{have:,} rows in the warehouse, {expected:,} loaded ({loads_txt}): {how} than "
        "the ledger recorded"))


def report_per_day(ws: Workspace, rec: LoadRecord) -> dict[date, int] | None:
    """Per-day counts of the file a load read, from its job's report (None when absent)."""
    candidates = []
    if rec.report_path:
        candidates.append(Path(rec.report_path))
    if rec.job_id:
        candidates.append(ws.logs_dir / "jobs" / f"{rec.job_id}.report.json")
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {date.fromisoformat(d): int(n) for d, n in data["per_day"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


def _per_day_finding(ws: Workspace, per_day: dict[date, int], loads: list[LoadRecord],
                     per: Period) -> Finding:
    if not loads:
        return Finding("per_day", "PASS", "per-day counts not compared: no load in the ledger")
    expected: dict[date, int] = {}
    missing_reports = []
    for rec in loads:
        counts = report_per_day(ws, rec)
        if counts is None:
            missing_reports.append(rec)
            continue
        for d, n in counts.items():
            if per.start <= d <= per.end:
                expected[d] = expected.get(d, 0) + n
    if missing_reports:
        why = ("loaded without the engine" if any(r.job_id is None for r in missing_reports)
               else "report file gone")
        return Finding("per_day", "PASS", (
            f"per-day counts not compared: no report of {missing_reports[0].file_name} "
            f"({why})"))
    diff = {d: (expected.get(d, 0), per_day.get(d, 0)) for d in set(expected) | set(per_day)
            if expected.get(d, 0) != per_day.get(d, 0)}
    if not diff:
        return Finding("per_day", "PASS",
                       f"per-day counts equal the loaded file's on all {len(expected)} days")
    return Finding("per_day", "FAIL", (
        f"per-day counts differ from the loaded file's on {len(diff)} day"
        f"{'s' if len(diff) != 1 else ''}"),
        tuple(f"{d}: file {a:,} / warehouse {b:,}"
              for d, (a, b) in sorted(diff.items())[:MAX_EXAMPLES]))


def _calendar_findings(per_day: dict[date, int], per: Period, entry: Entry) -> list[Finding]:
    cal = entry.spec.calendar
    want = expected_days(per, cal, entry.holidays)
    cmp = compare_days(per_day, per, want)
    kind = "business days" if cal.days == "business" else "days"
    out: list[Finding] = []
    if cmp.missing:
        out.append(Finding("calendar", "FAIL", (
            f"{len(cmp.missing)} of {len(want)} expected {kind} have no rows"),
            tuple(f"{d.isoformat()} ({d:%A})" for d in cmp.missing[:MAX_EXAMPLES])
            + ((f"… and {len(cmp.missing) - MAX_EXAMPLES} more",)
               if len(cmp.missing) > MAX_EXAMPLES else ())))
    else:
        out.append(Finding("calendar", "PASS", f"all {len(want)} expected {kind} have rows"))
    if cmp.unexpected_days:
        out.append(Finding("unexpected_days", "WARN", (
            f"{cmp.rows_on_unexpected_days:,} rows on {len(cmp.unexpected_days)} days that "
            "need none (weekends/holidays)"),
            tuple(f"{d.isoformat()} ({d:%A}): {n:,} rows"
                  for d, n in list(cmp.unexpected_days.items())[:MAX_EXAMPLES])))
    return out


def _duplicates_finding(keys: list[str], dups: int, top: list[tuple[tuple[Any, ...], int]],
                        table: str) -> Finding:
    if not keys:
        return Finding("duplicates", "PASS",
                       "no duplicate_key_columns in the config: duplicates not checked")
    cols = ", ".join(keys)
    if not dups:
        return Finding("duplicates", "PASS", f"no duplicate keys ({cols})")
    return Finding("duplicates", "FAIL", (
        f"{dups:,} duplicate key{'s' if dups != 1 else ''} ({cols}) in {table}"),
        tuple(", ".join(f"{k}={_show(v)}" for k, v in zip(keys, values, strict=False))
              + f": {n} rows" for values, n in top))


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _anomaly_finding(per_day: dict[date, int], per: Period, entry: Entry) -> Finding:
    want = expected_days(per, entry.spec.calendar, entry.holidays)
    base, found = anomaly.detect(per_day, want, entry.spec.anomaly)
    if base is None:
        return Finding("anomalies", "PASS", "too few days with rows for a baseline"
                       if entry.spec.anomaly.enabled else "anomaly check disabled")
    if not found:
        return Finding("anomalies", "PASS", (
            f"no anomalous day (median {base.median:g}, IQR {base.q1:g}–{base.q3:g})"))
    worst = cast(Status, max((_SEVERITY[a.severity] for a in found), key=_ORDER.__getitem__))
    return Finding("anomalies", worst, (
        f"{len(found)} day{'s' if len(found) != 1 else ''} far from the baseline "
        f"(median {base.median:g}, IQR {base.q1:g}–{base.q3:g})"),
        tuple(f"{a.day.isoformat()}: {a.kind}, {a.detail}" for a in found[:MAX_EXAMPLES]))
