"""``snowetl-tui load``, ``tables`` and ``delete``: the ledger-backed load commands."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.cli.validate_cmds import parse_size
from snowetl_tui.config.patterns import Period, PeriodError, parse_period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import EXIT_FAILED, EXIT_OK, InputError, SnowetlError
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.warehouse.base import TableRef, Warehouse

_SYMBOL = {"succeeded": "✓", "validated": "✓", "failed": "✗", "refused": "✗", "cancelled": "✗"}


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--target", help="Connection name to load into (default: the config's target).")
@click.option("--replace", is_flag=True,
              help="Replace the file's period: delete it and copy, in one transaction.")
@click.option("--dry-run", is_flag=True, help="Validate and plan only; load nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes (default: cores).")
@click.option("--chunk-size", default="64MB", show_default=True, help="Bytes per chunk.")
@click.option("--part-size", help="Compressed part size for staged loads (default: the "
              "config's load.part_size_mb).")
@pass_app
def load_cmd(app: AppContext, files: tuple[str, ...], target: str | None, replace: bool,
             dry_run: bool, as_json: bool, workers: int | None, chunk_size: str,
             part_size: str | None) -> None:
    """Validate FILES and load them into their tables, exactly once.

    A file already loaded into its table is refused (exit 1) unless --replace. Exit 0 when
    every file loaded, 1 when one failed or was refused, 2 on input or config errors.
    """
    from snowetl_tui.load.pipeline import Loader, LoadOptions
    from snowetl_tui.validate.runner import default_executor

    ws = app.workspace.ensure()
    size = parse_size(chunk_size)
    registry = ConfigRegistry.load(ws)
    executor = default_executor(workers)
    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    out = console()
    try:
        loader = Loader(ws, registry, executor=executor)
        for file in files:
            try:
                res = loader.load(Path(file), LoadOptions(
                    replace=replace, dry_run=dry_run, target=target, workers=workers,
                    chunk_size=size, part_bytes=parse_size(part_size) if part_size else None))
            except SnowetlError as exc:
                for line in str(exc).splitlines():
                    click.echo(f"snowetl-tui: error: {line}", err=True)
                worst = max(worst, exc.exit_code)
                continue
            results.append(res.as_dict())
            if res.state not in ("succeeded", "validated"):
                worst = max(worst, EXIT_FAILED)
            if not as_json:
                mark = _SYMBOL.get(res.state, "?")
                if res.state == "succeeded":
                    out.print(f"{mark} {file}: loaded {res.rows_loaded:,} rows into {res.table} "
                              f"on {res.target} in {res.seconds:.1f} s (load {res.load_id})")
                elif res.state == "validated":
                    out.print(f"{mark} {file}: valid, {res.rows_validated:,} rows would be "
                              f"loaded into {res.table} on {res.target} (dry run)")
                else:
                    out.print(f"{mark} {file}: {res.state}: {res.error}")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    if as_json:
        emit_json(results)
    raise SystemExit(worst)


@click.command("tables")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON.")
@click.option("--all", "show_all", is_flag=True,
              help="Also show failed, refused, replaced and deleted loads.")
@pass_app
def tables_cmd(app: AppContext, as_json: bool, show_all: bool) -> None:
    """What has been loaded: per table and period — rows, source file, when, job."""
    ws = app.workspace
    if not ws.store_path.exists():
        records = []
    else:
        ledger = Ledger(ws.store_path)
        records = ledger.loads(states=None if show_all else ("succeeded",))
    items = [
        {
            "table": r.table_name, "target": r.target, "period_start": r.period_start,
            "period_end": r.period_end, "rows": r.rows_loaded, "file": r.file,
            "sha256": r.sha256, "loaded_at": r.finished_at, "job_id": r.job_id,
            "load_id": r.load_id, "state": r.state, "user": r.user,
        }
        for r in sorted(records, key=lambda r: (r.target, r.table_name, r.period_start or ""))
    ]
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("nothing loaded yet")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    cols = ["TARGET", "TABLE", "PERIOD", "ROWS", "LOADED (UTC)"]
    if show_all:
        cols.append("STATE")
    for col in cols:
        table.add_column(col, justify="right" if col == "ROWS" else "left",
                         no_wrap=col not in ("TABLE", "TARGET"), overflow="fold")
    table.add_column("FILE", overflow="fold", min_width=24)
    for i in items:
        period = "-"
        if i["period_start"]:
            period = Period(date.fromisoformat(i["period_start"]),
                            date.fromisoformat(i["period_end"])).label()
        row = [i["target"], i["table"], period, f"{i['rows'] or 0:,}",
               (i["loaded_at"] or "")[:16].replace("T", " ")]
        if show_all:
            row.append(i["state"])
        table.add_row(*row, Path(i["file"]).name)
    console().print(table)


@click.command("delete")
@click.option("--table", "table_name", required=True, help="Table to delete from.")
@click.option("--period", required=True,
              help="2024-03, 2024-03-05, 20240301-20240331 or 2024-03-01..2024-03-31.")
@click.option("--target", help="Connection name (default: the table's config target).")
@click.option("--date-column", help="Period column (default: from the table's config).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_app
def delete_cmd(app: AppContext, table_name: str, period: str, target: str | None,
               date_column: str | None, yes: bool, as_json: bool) -> None:
    """Delete one period of a table, in one transaction, after showing how many rows go."""
    ws = app.workspace.ensure()
    try:
        p = parse_period(period)
    except PeriodError as exc:
        raise InputError(f"--period: {exc}") from None
    registry = ConfigRegistry.load(ws)
    entries = [e for e in registry.entries if e.table.upper() == table_name.upper()
               and (target is None or e.target == target)]
    if date_column is None:
        cols = {e.spec.date_column for e in entries if e.spec.date_column}
        if len(cols) != 1:
            raise InputError(
                f"no config gives the date column of {table_name}"
                + (f" ({', '.join(sorted(cols))} disagree)" if cols else "")
                + "; pass --date-column"
            )
        date_column = cols.pop()
    target = target or (entries[0].target if entries else "local")
    wh = _warehouse(ws, target, entries)
    table = TableRef(table_name)
    try:
        n = wh.count_period(table, date_column, p.start, p.end)
        if not yes:
            if not can_ask():
                raise InputError("refusing to delete without --yes (no terminal to ask)")
            if not click.confirm(
                f"Delete {n:,} rows of {table_name} for {p.label()} on {target}?", default=False
            ):
                click.echo("nothing deleted")
                raise SystemExit(EXIT_FAILED)
        deleted = wh.delete_period(table, date_column, p.start, p.end)
    finally:
        wh.close()
    ledger = Ledger(ws.store_path)
    ledger.mark_period_deleted(target, table_name, p.start.isoformat(), p.end.isoformat())
    ledger.audit("delete", target=target, table=table_name, period=p.label(), rows=deleted,
                 detail={"date_column": date_column, "rows_counted": n})
    if as_json:
        emit_json({"table": table_name, "target": target, "period_start": p.start.isoformat(),
                   "period_end": p.end.isoformat(), "rows_deleted": deleted})
    else:
        console().print(f"✓ deleted {deleted:,} rows of {table_name} for {p.label()} on {target}")


def can_ask() -> bool:
    """Whether a confirmation can be asked (a person at a terminal)."""
    return sys.stdin.isatty()


def _warehouse(ws: Any, target: str, entries: list[Any]) -> Warehouse:
    from snowetl_tui.load.pipeline import default_warehouse_factory

    return default_warehouse_factory(ws, ConfigRegistry.load(ws))(
        target, entries[0] if entries else None)
