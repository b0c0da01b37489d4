"""``snowetl-tui load``, ``tables`` and ``delete``: the ledger-backed load commands."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.cli.validate_cmds import parse_size
from snowetl_tui.config.patterns import Period
from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.errors import EXIT_FAILED, EXIT_OK, InputError, SnowetlError
from snowetl_tui.load.ledger import HOLDING_STATES, Ledger

_SYMBOL = {"succeeded": "✓", "validated": "✓", "failed": "✗", "refused": "✗", "cancelled": "✗"}


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--target", help="Connection name to load into (default: the config's target).")
@click.option("--replace", is_flag=True,
              help="Replace the file's period: delete it and copy, in one transaction.")
@click.option("--dry-run", is_flag=True, help="Validate and plan only; load nothing.")
@click.option("--wait", is_flag=True,
              help="Follow the engine's jobs and exit with their result (0 all loaded, 1 not).")
@click.option("--foreground", is_flag=True,
              help="Run in this process, without the engine (cron/CI with no daemon); waits.")
@click.option("--priority", type=int, default=0, show_default=True,
              help="Engine jobs: higher runs first; FIFO within a priority.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file (without --wait: the queued jobs).")
@click.option("--workers", type=click.IntRange(1, 256),
              help="Worker processes with --foreground (default: cores; the engine uses its "
              "[engine] workers setting).")
@click.option("--chunk-size", help="Bytes per chunk (default: 64MB, or the engine's "
              "chunk_size_mb setting).")
@click.option("--part-size", help="Compressed part size for staged loads (default: the "
              "config's load.part_size_mb).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="@STAGE/path/ arguments: the config whose entries the staged files match.")
@click.option("--period", help="@STAGE/path/ arguments: the period of staged files whose names "
              "carry none (the config must then hold one entry).")
@click.option("--file-format", help="@STAGE/path/ on Snowflake: a named FILE FORMAT to read the "
              "staged files with (default: the entry's stage_file_format, else a temporary one "
              "built from the config).")
@pass_app
def load_cmd(app: AppContext, files: tuple[str, ...], target: str | None, replace: bool,
             dry_run: bool, wait: bool, foreground: bool, priority: int, as_json: bool,
             workers: int | None, chunk_size: str | None, part_size: str | None,
             config_file: str | None, period: str | None, file_format: str | None) -> None:
    """Validate FILES and load them into their tables, exactly once.

    By default the files become jobs of the workspace's engine (started if needed), which
    keeps running after this command exits: without --wait the job ids are printed and the
    exit code is 0. With --wait (or --foreground) the exit code is 0 when every file loaded,
    1 when one failed or was refused, 2 on input or config errors. A file already loaded into
    its table is refused unless --replace.

    @STAGE/path/ loads files that already sit in a Snowflake stage (internal or external; on the
    local target @DIRECTORY, read in place): with --config and --foreground, they are listed,
    validated by the warehouse itself and copied by explicit name, with the same ledger and
    reconciliation as files.
    """
    staged = [f for f in files if f.startswith("@")]
    if staged:
        _load_staged(app, files, target=target, replace=replace, dry_run=dry_run,
                     foreground=foreground, as_json=as_json, config_file=config_file,
                     period=period, file_format=file_format)
        return
    if config_file or period or file_format:
        raise InputError("--config, --period and --file-format apply to @STAGE/path/ arguments")
    if foreground:
        _load_foreground(app, files, target=target, replace=replace, dry_run=dry_run,
                         as_json=as_json, workers=workers, chunk_size=chunk_size or "64MB",
                         part_size=part_size)
        return
    _load_via_engine(app, files, target=target, replace=replace, dry_run=dry_run, wait=wait,
                     priority=priority, as_json=as_json, chunk_size=chunk_size,
                     part_size=part_size)


def _print_result(out: Any, res: dict[str, Any]) -> None:
    mark = _SYMBOL.get(res["state"], "?")
    file = res["file"]
    if res["state"] == "succeeded":
        job = f", job {res['job_id']}" if res.get("job_id") else ""
        out.print(f"{mark} {file}: loaded {res['rows_loaded'] or 0:,} rows into {res['table']} "
                  f"on {res['target']} in {res.get('seconds') or 0:.1f} s (load "
                  f"{res['load_id']}{job})")
    elif res["state"] == "validated":
        out.print(f"{mark} {file}: valid, {res['rows_validated'] or 0:,} rows would be "
                  f"loaded into {res['table']} on {res['target']} (dry run)")
    else:
        out.print(f"{mark} {file}: {res['state']}: {res['error']}")


def _load_foreground(app: AppContext, files: tuple[str, ...], *, target: str | None,
                     replace: bool, dry_run: bool, as_json: bool, workers: int | None,
                     chunk_size: str, part_size: str | None) -> None:
    """The pipeline in this process: what cron/CI use where no engine may run."""
    from snowetl_tui.load.pipeline import Loader, LoadOptions

    ws = app.workspace.ensure()
    size = parse_size(chunk_size)
    registry = ConfigRegistry.load(ws)
    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    out = console()
    # No shared pool: each file's read starts its own and stops it before the COPY, so idle
    # workers do not hold memory while DuckDB or Snowflake copies (peak RSS of a local load).
    loader = Loader(ws, registry, executor=None)
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
            _print_result(out, {**res.as_dict(), "file": file})
    if as_json:
        emit_json(results)
    raise SystemExit(worst)


def _load_staged(app: AppContext, files: tuple[str, ...], *, target: str | None,
                 replace: bool, dry_run: bool, foreground: bool, as_json: bool,
                 config_file: str | None, period: str | None, file_format: str | None) -> None:
    """``load @STAGE/path/ --config C --foreground``: validate in the warehouse, COPY by name."""
    from snowetl_tui.load.pipeline import LoadOptions
    from snowetl_tui.load.stage_load import StageLoader

    if len(files) > 1 and any(not f.startswith("@") for f in files):
        raise InputError("load either files or one @STAGE/path/, not both at once")
    if not config_file:
        raise InputError(f"{files[0]}: loading from a stage needs --config CONFIG (the entries "
                         "its files match)")
    if not foreground:
        raise InputError(f"{files[0]}: loading from a stage runs in this process: add "
                         "--foreground")
    ws = app.workspace.ensure()
    registry = ConfigRegistry.load(ws, [Path(config_file)])
    loader = StageLoader(ws, registry)
    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    out = console()
    for stage in files:
        for res in loader.load_stage(stage, LoadOptions(replace=replace, dry_run=dry_run,
                                                        target=target),
                                     file_format=file_format, period_text=period):
            results.append(res.as_dict())
            if res.state not in ("succeeded", "validated"):
                worst = max(worst, EXIT_FAILED)
            if not as_json:
                _print_result(out, res.as_dict())
    if as_json:
        emit_json(results)
    raise SystemExit(worst)


def _load_via_engine(app: AppContext, files: tuple[str, ...], *, target: str | None,
                     replace: bool, dry_run: bool, wait: bool, priority: int, as_json: bool,
                     chunk_size: str | None, part_size: str | None) -> None:
    import asyncio

    from snowetl_tui.cli.engine_cmds import job_item, run_jobs

    ws = app.workspace
    args: dict[str, Any] = {
        "files": [str(Path(f).expanduser().resolve()) for f in files],
        "kind": "validate" if dry_run else "load", "replace": replace, "target": target,
        "priority": priority,
    }
    if chunk_size:
        args["chunk_size"] = parse_size(chunk_size)
    if part_size:
        args["part_bytes"] = parse_size(part_size)
    jobs = asyncio.run(run_jobs(ws, "submit", args, wait=wait, quiet=as_json))
    if not wait:
        if as_json:
            emit_json([job_item(j) for j in jobs])
        else:
            for j in jobs:
                click.echo(f"queued {j['id']}: {j['kind']} {j['file']} → {j['table']} on "
                           f"{j['target']}")
        raise SystemExit(EXIT_OK)
    results = [job_result(j) for j in jobs]
    if as_json:
        emit_json(results)
    else:
        out = console()
        for res in results:
            _print_result(out, res)
    ok = all(r["state"] in ("succeeded", "validated") for r in results)
    raise SystemExit(EXIT_OK if ok else EXIT_FAILED)


#: The keys of ``LoadResult.as_dict`` in their order: ``load --wait --json`` prints the same
#: objects as ``load --foreground --json``, plus the job's id.
RESULT_KEYS = ("file", "table", "target", "state", "rows_validated", "rows_loaded", "load_id",
               "query_id", "parts", "seconds", "steps", "report", "warehouse_report", "error")


def job_result(job: dict[str, Any]) -> dict[str, Any]:
    """A finished load/validate job as the foreground load's per-file result.

    The engine keeps the validation report out of the job (it would ride along in every
    snapshot) and writes it next to the job's log; it is read back here. A job that ended
    without a pipeline result (cancelled while queued, input gone) gets one built from the job.
    """
    data = dict(job.get("result") or {})
    report = None
    report_path = data.get("report_path")
    if report_path:
        with contextlib.suppress(OSError, ValueError):
            report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    state = data.get("state")
    if state is None or (job["state"] == "cancelled" and state not in ("cancelled",)):
        state = {"succeeded": "validated" if job["kind"] == "validate" else "succeeded"}.get(
            job["state"], job["state"])
    out: dict[str, Any] = {
        "file": data.get("file") or job.get("file"), "table": data.get("table") or job.get(
            "table"), "target": data.get("target") or job.get("target"), "state": state,
        "rows_validated": data.get("rows_validated"), "rows_loaded": data.get("rows_loaded"),
        "load_id": data.get("load_id"), "query_id": data.get("query_id"),
        "parts": data.get("parts", 0), "seconds": data.get("seconds", 0.0),
        "steps": data.get("steps", {}), "report": report,
        "warehouse_report": data.get("warehouse_report"),
        "error": data.get("error") or job.get("error"),
    }
    out["job_id"] = job["id"]
    if report_path:
        out["report_path"] = report_path
    return out


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
        records = ledger.loads(states=None if show_all else HOLDING_STATES)
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
    with_state = show_all or any(i["state"] != "succeeded" for i in items)
    if with_state:
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
        if with_state:
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
@click.option("--foreground", is_flag=True,
              help="Delete from this process instead of through the engine.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_app
def delete_cmd(app: AppContext, table_name: str, period: str, target: str | None,
               date_column: str | None, yes: bool, foreground: bool, as_json: bool) -> None:
    """Delete one period of a table, in one transaction, after showing how many rows go.

    The question is asked here (default No); the delete itself runs as an engine job (so it
    never overlaps a load of the same target, and it is in `jobs`), or with --foreground in
    this process. Either way the ledger and the audit record it.
    """
    from snowetl_tui.load.delete import count_rows, resolve_delete, run_delete

    ws = app.workspace.ensure()
    registry = ConfigRegistry.load(ws)
    req = resolve_delete(registry, table_name, period, target, date_column)
    if not yes:
        if not can_ask():
            raise InputError("refusing to delete without --yes (no terminal to ask)")
        n = count_rows(ws, registry, req)
        if not click.confirm(f"Delete {n:,} rows of {req.table} for {req.period.label()} on "
                             f"{req.target}?", default=False):
            click.echo("nothing deleted")
            raise SystemExit(EXIT_FAILED)
    if foreground:
        data = run_delete(ws, registry, req)
    else:
        data = _delete_via_engine(app, req, quiet=as_json)
    if as_json:
        emit_json({k: data[k] for k in ("table", "target", "period_start", "period_end",
                                        "rows_deleted")} | {"job_id": data.get("job_id")})
    else:
        console().print(f"✓ deleted {data['rows_deleted']:,} rows of {req.table} for "
                        f"{req.period.label()} on {req.target}")


def _delete_via_engine(app: AppContext, req: Any, *, quiet: bool) -> dict[str, Any]:
    import asyncio

    from snowetl_tui.cli.engine_cmds import run_jobs

    args = {"table": req.table, "period": req.period_text, "target": req.target,
            "date_column": req.date_column}
    [job] = asyncio.run(run_jobs(app.workspace, "delete_period", args, wait=True, quiet=quiet))
    if job["state"] != "succeeded" or not job.get("result"):
        raise DeleteFailed(f"delete job {job['id']} {job['state']}: {job.get('error') or '?'}")
    return {**job["result"], "job_id": job["id"]}


class DeleteFailed(SnowetlError):
    """The engine ran the delete and it failed or was cancelled (exit 1, one line)."""

    exit_code = EXIT_FAILED


def can_ask() -> bool:
    """Whether a confirmation can be asked (a person at a terminal)."""
    return sys.stdin.isatty()
