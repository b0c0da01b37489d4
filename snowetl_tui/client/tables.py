"""What the Tables view shows and does, without Textual: the ledger grouped by target and
table, one period's details, the row count a delete asks about, and the period checks.

Everything here reads SQLite, the filesystem or a warehouse, so the view calls it from thread
workers only. It shows the same facts as ``snowetl-tui tables`` (target, table, period, rows,
file, loaded at, job, user, state) so the screen and the command never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from snowetl_tui.config.patterns import Period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import ACTIVE_STATES, HOLDING_STATES, Ledger, LoadRecord, PartRecord
from snowetl_tui.load.period_check import (
    PeriodCheck,
    TargetBusy,
    busy_message,
    check_period,
    entry_for,
    probe_local_lock,
)
from snowetl_tui.warehouse.base import WarehouseError
from snowetl_tui.workspace import Workspace

#: ledger state → (symbol, word). The word is always shown; colour only decorates it.
STATE_LOOK: dict[str, tuple[str, str]] = {
    "succeeded": ("✓", "loaded"),
    "unreconciled": ("✗", "unreconciled"),
    "failed": ("✗", "failed"),
    "refused": ("✗", "refused"),
    "cancelled": ("⊘", "cancelled"),
    "deleted": ("⊘", "deleted"),
}


def state_label(state: str) -> str:
    """``✓ loaded``, ``✗ failed``, ``⊘ deleted`` (replaced or deleted), ``▶ staged``…"""
    symbol, word = STATE_LOOK.get(state, ("▶" if state in ACTIVE_STATES else "?", state))
    return f"{symbol} {word}"


def utc_minutes(stamp: str | None) -> str:
    """``2026-11-27T06:37:12.345+00:00`` → ``2026-11-27 06:37`` (the ledger writes UTC)."""
    return (stamp or "")[:16].replace("T", " ")


def utc_seconds(stamp: str | None) -> str:
    return f"{(stamp or '')[:19].replace('T', ' ')} UTC" if stamp else "-"


@dataclass(frozen=True)
class PeriodRow:
    """One load of the ledger as a row under its table."""

    record: LoadRecord

    @property
    def key(self) -> str:
        return self.record.load_id

    @property
    def target(self) -> str:
        return self.record.target

    @property
    def table(self) -> str:
        return self.record.table_name

    @property
    def period(self) -> Period | None:
        r = self.record
        if not (r.period_start and r.period_end):
            return None
        return Period(date.fromisoformat(r.period_start), date.fromisoformat(r.period_end))

    @property
    def period_label(self) -> str:
        p = self.period
        return p.label() if p else "-"

    @property
    def period_text(self) -> str | None:
        """``start..end``, unambiguous for the engine's ``delete_period``."""
        p = self.period
        return f"{p.start.isoformat()}..{p.end.isoformat()}" if p else None

    @property
    def rows(self) -> int | None:
        return self.record.rows_loaded

    @property
    def loaded(self) -> bool:
        return self.record.state in HOLDING_STATES

    @property
    def loaded_at(self) -> str:
        r = self.record
        return utc_minutes(r.finished_at or r.updated_at)

    @property
    def state_label(self) -> str:
        return state_label(self.record.state)

    def describe(self) -> str:
        """``ORDERS 2024-03 on local`` — how messages name the period."""
        return f"{self.table} {self.period_label} on {self.target}"


@dataclass(frozen=True)
class TableGroup:
    """The loads of one table on one target, oldest period first."""

    target: str
    table: str
    periods: tuple[PeriodRow, ...]

    @property
    def key(self) -> str:
        return f"{self.target}\x1f{self.table}"

    @property
    def rows(self) -> int:
        """Rows the table holds according to the ledger (succeeded loads only)."""
        return sum(p.rows or 0 for p in self.periods if p.loaded)

    @property
    def loaded_periods(self) -> int:
        return len({p.period_label for p in self.periods if p.loaded})


@dataclass(frozen=True)
class LedgerSnapshot:
    """The ledger as the view shows it: groups in target, table order."""

    groups: tuple[TableGroup, ...] = ()
    show_all: bool = False
    hidden: int = 0  # loads not shown (failed, refused, deleted, running) without show_all
    store_exists: bool = True

    @property
    def empty(self) -> bool:
        return not self.groups

    def targets(self) -> list[str]:
        return list(dict.fromkeys(g.target for g in self.groups))

    def rows(self) -> list[PeriodRow]:
        return [p for g in self.groups for p in g.periods]

    def find(self, load_id: str) -> PeriodRow | None:
        return next((p for p in self.rows() if p.key == load_id), None)

    def summary(self, short: bool = False) -> str:
        """``2 tables · 3 periods loaded · 54,715 rows on local`` (``short``: without
        "loaded", for 80 columns)."""
        if self.empty:
            return "nothing loaded yet"
        tables = len(self.groups)
        periods = sum(g.loaded_periods for g in self.groups)
        rows = sum(g.rows for g in self.groups)
        targets = self.targets()
        return (f"{tables} table{'s' if tables != 1 else ''} · {periods} period"
                f"{'s' if periods != 1 else ''}{'' if short else ' loaded'} · {rows:,} rows "
                f"on {', '.join(targets)}")


def read_ledger(ws: Workspace, *, show_all: bool = False) -> LedgerSnapshot:
    """Group the ledger's loads (succeeded only unless ``show_all``) by target and table.

    A workspace that never loaded anything has no store: it is not created just to be read.
    """
    if not ws.store_path.exists():
        return LedgerSnapshot(show_all=show_all, store_exists=False)
    records = Ledger(ws.store_path).loads()
    shown = [r for r in records if show_all or r.state in HOLDING_STATES]
    shown.sort(key=lambda r: (r.target, r.table_name.upper(), r.period_start or "",
                              r.created_at))
    groups: dict[tuple[str, str], list[PeriodRow]] = {}
    for r in shown:
        groups.setdefault((r.target, r.table_name), []).append(PeriodRow(r))
    return LedgerSnapshot(
        tuple(TableGroup(t, name, tuple(rows)) for (t, name), rows in groups.items()),
        show_all=show_all, hidden=len(records) - len(shown))


# -- one period's details ------------------------------------------------------------------------
@dataclass
class PeriodDetails:
    """The ledger record of one load, its parts, its audit trail and its reports."""

    record: LoadRecord
    parts: list[PartRecord] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def report_files(ws: Workspace, job_id: str | None, load_id: str | None = None,
                 recorded: str | None = None) -> list[Path]:
    """Reports of a load that exist on disk, the readable one first: the HTML report
    (``logs/reports/<job id>.html``), then the JSON ones — the job report next to it, the
    validation report the engine writes next to the job's log, and one the ledger names.
    Exact names only: ``logs/reports`` grows with every job and is never listed."""
    candidates: list[Path] = []
    for ident in (job_id, load_id):
        if ident:
            candidates.append(ws.reports_dir / f"{ident}.html")
    if job_id:
        candidates += [ws.reports_dir / f"{job_id}.json",
                       ws.logs_dir / "jobs" / f"{job_id}.report.json"]
    if recorded:
        candidates.append(Path(recorded))
    found: list[Path] = []
    for path in candidates:
        if path not in found and path.is_file():
            found.append(path)
    return found


def read_details(ws: Workspace, load_id: str) -> PeriodDetails:
    """Everything the ledger knows about one load (InputError when it is gone)."""
    if not ws.store_path.exists():
        raise InputError(f"no ledger in {ws.root}: nothing was loaded here")
    ledger = Ledger(ws.store_path)
    rec = ledger.get(load_id)
    if rec is None:
        raise InputError(f"load {load_id} is no longer in the ledger; press r to refresh")
    audit = [a for a in ledger.audit_records() if a.get("load_id") == load_id]
    return PeriodDetails(rec, ledger.parts(load_id),
                         report_files(ws, rec.job_id, rec.load_id, rec.report_path), audit)


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def detail_lines(ws: Workspace, details: PeriodDetails) -> list[tuple[str, str]]:
    """(label, value) lines of the details panel — everything an operator needs to trace a
    period back to its file, job, warehouse query and report."""
    r = details.record
    row = PeriodRow(r)

    def count(n: int | None) -> str:
        return "-" if n is None else f"{n:,}"

    out: list[tuple[str, str]] = [
        ("period", f"{row.period_label}" + (f" ({r.period_start}..{r.period_end})"
                                            if r.period_start else "")),
        ("state", f"{state_label(r.state)} · {r.mode}"),
        ("rows", f"validated {count(r.rows_validated)} · parsed {count(r.rows_parsed)} · "
                 f"loaded {count(r.rows_loaded)}"),
        ("file", r.file),
        ("size", human_size(r.size) + (f" · sha256 {r.sha256}" if r.sha256 else "")),
        ("loaded", utc_seconds(r.finished_at or r.updated_at)),
        ("started", utc_seconds(r.created_at)),
        ("by", f"{r.user}@{r.host}"),
        ("job", r.job_id or "- (loaded without the engine)"),
        ("load", r.load_id),
        ("query id", r.query_id or "-"),
    ]
    if r.error:
        out.append(("error", r.error))
    if details.parts:
        for p in details.parts:
            out.append((f"part {p.part_no}",
                        f"{p.name} · {human_size(p.bytes)} · {p.rows:,} rows · {p.state}"))
    else:
        out.append(("parts", "none recorded (a local load reads the file in place)"
                    if r.target == "local" else "none recorded"))
    if details.reports:
        out.extend(("report", ws.display(p)) for p in details.reports)
    else:
        out.append(("report", "none on disk" + ("" if r.job_id else
                                                " (foreground loads keep no report)")))
    for a in details.audit:
        out.append(("audit", f"{utc_minutes(a.get('at'))} {a.get('action')} by "
                             f"{a.get('user')}@{a.get('host')}"
                             + (f" · {a['rows']:,} rows" if a.get("rows") is not None else "")))
    return out


# -- actions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeleteQuestion:
    """What a delete of one period would do, counted before asking."""

    table: str
    target: str
    period_label: str
    period_text: str
    date_column: str
    rows: int

    def question(self) -> str:
        return (f"Delete {self.rows:,} row{'s' if self.rows != 1 else ''} of {self.table} for "
                f"{self.period_label} on {self.target}?")

    def command_args(self) -> dict[str, str]:
        """Arguments of the engine's ``delete_period``."""
        return {"table": self.table, "period": self.period_text, "target": self.target,
                "date_column": self.date_column}


def _need_period(row: PeriodRow) -> Period:
    period = row.period
    if period is None:
        raise InputError(f"load {row.key} of {row.table} has no period (its file name has "
                         "none): nothing to check or delete by period")
    return period


def delete_question(ws: Workspace, row: PeriodRow,
                    registry: ConfigRegistry | None = None) -> DeleteQuestion:
    """Count the rows a delete of ``row``'s period would remove (the confirmation shows it)."""
    from snowetl_tui.load.delete import count_rows, resolve_delete

    period = _need_period(row)
    reg = registry or ConfigRegistry.load(ws)
    entry = entry_for(reg, row.table, row.target, [row.record])
    date_column = entry.spec.date_column if entry is not None else None
    if date_column is None:
        raise InputError(f"no config gives the date column of {row.table}; delete it with "
                         "`snowetl-tui delete --date-column …`")
    req = resolve_delete(reg, row.table, row.period_text or "", row.target, date_column)
    probe_local_lock(ws, row.target)
    try:
        n = count_rows(ws, reg, req)
    except WarehouseError as exc:
        if row.target == "local" and "lock" in str(exc).lower():
            raise TargetBusy(busy_message(row.target)) from None
        raise
    return DeleteQuestion(req.table, req.target, period.label(), req.period_text,
                          req.date_column, n)


def run_checks(ws: Workspace, row: PeriodRow,
               registry: ConfigRegistry | None = None) -> PeriodCheck:
    """The warehouse-side checks of ``row``'s period (see ``load/period_check.py``)."""
    period = _need_period(row)
    return check_period(ws, registry or ConfigRegistry.load(ws), row.table, period, row.target)
