"""Deleting one period of a table: shared by ``snowetl-tui delete --foreground`` and the engine.

Both paths must leave the same trail — the rows gone in one warehouse transaction, the ledger's
loads of that period marked ``deleted`` (so the period can be loaded again) and one ``delete``
row in the audit — so the logic lives here once instead of in the command and the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from snowetl_tui.config.loader import Entry
from snowetl_tui.config.patterns import Period, period_option
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import InputError, SnowetlError
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.warehouse.base import TableRef, Warehouse
from snowetl_tui.workspace import Workspace

Emit = Callable[[str, dict[str, Any]], None]


class DeleteCancelled(SnowetlError):
    """A delete job was cancelled before its transaction started (nothing was deleted)."""

    exit_code = 1


@dataclass
class DeleteRequest:
    """A resolved delete: every name checked, the date column and target decided."""

    table: str
    target: str
    period: Period
    date_column: str
    entry: Entry | None = None

    @property
    def period_text(self) -> str:
        """The period as ``start..end``: unambiguous when it crosses the socket."""
        return f"{self.period.start.isoformat()}..{self.period.end.isoformat()}"


def resolve_delete(registry: ConfigRegistry, table_name: str, period: str,
                   target: str | None = None, date_column: str | None = None) -> DeleteRequest:
    """Check the arguments of a delete against the configs; InputError names what is missing."""
    p = period_option(period)
    entries = registry.entries_for_table(table_name, target)
    if date_column is None:
        cols = {e.spec.date_column for e in entries if e.spec.date_column}
        if len(cols) != 1:
            raise InputError(
                f"no config gives the date column of {table_name}"
                + (f" ({', '.join(sorted(cols))} disagree)" if cols else "")
                + "; pass --date-column"
            )
        date_column = cols.pop()
    resolved_target = target or (entries[0].target if entries else "local")
    return DeleteRequest(table_name, resolved_target, p, date_column,
                         entries[0] if entries else None)


def open_warehouse(ws: Workspace, registry: ConfigRegistry, req: DeleteRequest,
                   tag: str | None = None) -> Warehouse:
    from snowetl_tui.load.pipeline import default_warehouse_factory

    return default_warehouse_factory(ws, registry, tag=tag)(req.target, req.entry)


def count_rows(ws: Workspace, registry: ConfigRegistry, req: DeleteRequest) -> int:
    """How many rows the delete would remove (shown before asking for confirmation)."""
    wh = open_warehouse(ws, registry, req)
    try:
        return wh.count_period(TableRef(req.table), req.date_column, req.period.start,
                               req.period.end)
    finally:
        wh.close()


def run_delete(ws: Workspace, registry: ConfigRegistry, req: DeleteRequest, *,
               job_id: str | None = None, cancel: threading.Event | None = None,
               emit: Emit | None = None) -> dict[str, Any]:
    """Count, delete in one transaction, then mark the ledger and write the audit row.

    A cancel is honoured up to the moment the DELETE is sent; the DELETE itself is one short
    transaction and is not interrupted (like a local COPY). Running it twice is harmless: the
    second run deletes nothing and says so in its own audit row.
    """
    say = emit or (lambda kind, data: None)
    say("step", {"step": "plan"})
    wh = open_warehouse(ws, registry, req, tag=job_id)
    table = TableRef(req.table)
    try:
        counted = wh.count_period(table, req.date_column, req.period.start, req.period.end)
        say("step", {"step": "delete"})
        if cancel is not None and cancel.is_set():
            raise DeleteCancelled("cancelled before the delete started; nothing was deleted")
        deleted = wh.delete_period(table, req.date_column, req.period.start, req.period.end)
    finally:
        wh.close()
    ledger = Ledger(ws.store_path)
    ledger.mark_period_deleted(req.target, req.table, req.period.start.isoformat(),
                               req.period.end.isoformat())
    detail: dict[str, Any] = {"date_column": req.date_column, "rows_counted": counted}
    if job_id:
        detail["job_id"] = job_id
    ledger.audit("delete", target=req.target, table=req.table, period=req.period.label(),
                 rows=deleted, detail=detail)
    say("log", {"level": "info", "message": f"deleted {deleted:,} rows of {req.table} for "
                f"{req.period.label()} on {req.target}"})
    return {"table": req.table, "target": req.target,
            "period_start": req.period.start.isoformat(),
            "period_end": req.period.end.isoformat(), "date_column": req.date_column,
            "rows_counted": counted, "rows_deleted": deleted, "state": "succeeded"}
