"""Headless commands of the job engine: ``engine``, ``submit``, ``jobs``, ``job``, ``cancel``,
``retry``, ``pause``, ``resume``, ``logs``.

Every command goes through the engine's socket (starting the engine when it is not running),
so cron, CI, a second terminal and the TUI all see the same queue. Exit codes follow the CLI
contract: 0 ok, 1 a job failed or was cancelled, 2 usage/input error (unknown job id, engine
that cannot start, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from pathlib import Path
from typing import Any

import click

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.client.socket_client import (
    EngineClient,
    EngineError,
    call,
    engine_status,
    start_engine,
    wait_engine_gone,
)
from snowetl_tui.errors import EXIT_FAILED, EXIT_OK, InputError
from snowetl_tui.workspace import Workspace

FINAL = ("succeeded", "failed", "cancelled")
_MARK = {"succeeded": "✓", "failed": "✗", "cancelled": "✗", "running": "▶", "queued": "·",
         "paused": "‖"}


def job_item(job: dict[str, Any]) -> dict[str, Any]:
    """The stable ``--json`` shape of a job (a superset of what scripts rely on)."""
    return {
        "id": job["id"], "kind": job["kind"], "state": job["state"], "step": job.get("step"),
        "file": job.get("file"), "table": job.get("table"), "target": job.get("target"),
        "progress": job.get("progress", 0.0), "rows": job.get("rows", 0),
        "bytes": job.get("bytes", 0), "total_bytes": job.get("total_bytes", 0),
        "rate_bytes": job.get("rate_bytes", 0.0), "eta_seconds": job.get("eta_seconds"),
        "priority": job.get("priority", 0), "attempt": job.get("attempt", 1),
        "error": job.get("error"), "findings": job.get("findings", []),
        "created": job.get("created"), "started": job.get("started"),
        "finished": job.get("finished"), "log_path": job.get("log_path"),
        "pause_requested": job.get("pause_requested", False), "result": job.get("result"),
    }


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _progress_line(job: dict[str, Any]) -> str:
    parts = [f"{_MARK.get(job['state'], '?')} {job['id']} {job['state']}"]
    if job.get("step") and job["state"] not in FINAL:
        parts.append(job["step"])
    parts.append(f"{job.get('progress', 0) * 100:.0f}%")
    if job.get("rows"):
        parts.append(f"{job['rows']:,} rows")
    if job.get("rate_bytes") and job["state"] == "running":
        parts.append(f"{job['rate_bytes'] / 1e6:.1f} MB/s")
    if job.get("eta_seconds") is not None and job["state"] == "running":
        parts.append(f"ETA {job['eta_seconds']:.0f} s")
    if job.get("error"):
        parts.append(f"— {_short(job['error'], 200)}")
    return " ".join(parts)


def _exit_for(jobs: list[dict[str, Any]]) -> int:
    return EXIT_OK if all(j["state"] == "succeeded" for j in jobs) else EXIT_FAILED


# -- engine ------------------------------------------------------------------------------------
@click.group("engine")
def engine_group() -> None:
    """Start, stop or inspect the workspace's job engine (a background daemon)."""


@engine_group.command("start")
@click.option("--json", "as_json", is_flag=True, help="Print the engine status as JSON.")
@pass_app
def engine_start(app: AppContext, as_json: bool) -> None:
    """Start the engine unless it runs (commands start it on demand anyway)."""
    ws = app.workspace
    before = engine_status(ws)
    pid = before["pid"] if before["running"] else start_engine(ws)
    status = {**engine_status(ws), "already_running": before["running"]}
    if as_json:
        emit_json(status)
    elif before["running"]:
        click.echo(f"engine already running (pid {pid})")
    else:
        click.echo(f"engine started (pid {pid}); log: {ws.engine_log_path}")


@engine_group.command("stop")
@click.option("--cancel", is_flag=True,
              help="Cancel running jobs instead of letting them reach a safe point.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_app
def engine_stop(app: AppContext, cancel: bool, timeout: float, as_json: bool) -> None:
    """Stop the engine: running jobs stop at their next safe point and resume on next start."""
    ws = app.workspace
    status = engine_status(ws)
    if not status["running"]:
        if as_json:
            emit_json({"stopped": False, "was_running": False, **status})
        else:
            click.echo("no engine is running" + (" (stale files cleaned)"
                                                 if status["stale_cleaned"] else ""))
        return
    with contextlib.suppress(EngineError):  # it may have gone between the check and the call
        call(ws, "shutdown", autostart=False, cancel=cancel)
    gone = wait_engine_gone(ws, timeout)
    if as_json:
        emit_json({"stopped": gone, "was_running": True, "pid": status["pid"]})
    elif gone:
        click.echo(f"engine stopped (pid {status['pid']})")
    if not gone:
        raise EngineError(f"the engine (pid {status['pid']}) did not stop within {timeout:.0f} s;"
                          " `snowetl-tui engine stop --cancel` cancels its running jobs")


@engine_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_app
def engine_status_cmd(app: AppContext, as_json: bool) -> None:
    """Is the engine running, with which pid, socket, settings and job counts."""
    ws = app.workspace
    status = engine_status(ws)
    if status["running"] and status["socket_ready"]:
        try:
            status["engine"] = call(ws, "status", autostart=False)
        except EngineError as exc:
            status["error"] = str(exc)
    if as_json:
        emit_json(status)
        return
    if not status["running"]:
        click.echo("engine: not running" + (f" (cleaned stale {', '.join(status['stale_cleaned'])})"
                                            if status["stale_cleaned"] else ""))
        return
    info = status.get("engine", {})
    counts = ", ".join(f"{n} {s}" for s, n in sorted(info.get("jobs", {}).items())) or "no jobs"
    click.echo(f"engine: running (pid {status['pid']}) since {info.get('started', '?')}; "
               f"socket {status['socket']}; concurrency {info.get('concurrency', '?')}; {counts}")


# -- jobs --------------------------------------------------------------------------------------
@click.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--validate-only", is_flag=True, help="Validate only; load nothing.")
@click.option("--replace", is_flag=True, help="Replace the file's period (delete + copy).")
@click.option("--target", help="Connection name to load into (default: the config's target).")
@click.option("--priority", type=int, default=0, show_default=True,
              help="Higher runs first; FIFO within a priority.")
@click.option("--chunk-size", help="Bytes per chunk, e.g. 64MB (default: engine setting).")
@click.option("--wait", is_flag=True, help="Follow the jobs and exit with their result.")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
@pass_app
def submit_cmd(app: AppContext, files: tuple[str, ...], validate_only: bool, replace: bool,
               target: str | None, priority: int, chunk_size: str | None, wait: bool,
               as_json: bool) -> None:
    """Queue FILES as jobs of the engine (it keeps running after this command exits).

    Without --wait, prints the job ids and exits 0. With --wait, streams progress and exits 0
    when every job succeeded, 1 when one failed or was cancelled.
    """
    from snowetl_tui.cli.validate_cmds import parse_size

    ws = app.workspace
    paths = [str(Path(f).expanduser().resolve()) for f in files]
    args: dict[str, Any] = {"files": paths, "kind": "validate" if validate_only else "load",
                            "replace": replace, "target": target, "priority": priority}
    if chunk_size:
        args["chunk_size"] = parse_size(chunk_size)
    jobs = asyncio.run(_submit(ws, args, wait=wait, quiet=as_json))
    if as_json:
        emit_json([job_item(j) for j in jobs])
    elif not wait:
        for j in jobs:
            click.echo(f"queued {j['id']}: {j['kind']} {j['file']} → {j['table']} on "
                       f"{j['target']}")
    raise SystemExit(_exit_for(jobs) if wait else EXIT_OK)


async def _submit(ws: Workspace, args: dict[str, Any], *, wait: bool,
                  quiet: bool) -> list[dict[str, Any]]:
    return await run_jobs(ws, "submit", args, wait=wait, quiet=quiet)


async def run_jobs(ws: Workspace, op: str, args: dict[str, Any], *, wait: bool,
                   quiet: bool) -> list[dict[str, Any]]:
    """Send ``op`` (``submit`` or ``delete_period``) and, with ``wait``, follow its jobs.

    The subscription is made before the command is sent, so no state change of the new jobs
    can slip between the reply and the first delta. Progress lines go to stderr (stdout stays
    for the result); ``quiet`` (``--json``) suppresses them.
    """
    async with EngineClient(ws) as client:
        if wait:
            await client.subscribe()
        reply = await client.request(op, **args)
        jobs = list(reply) if isinstance(reply, list) else [reply]
        if not wait:
            return jobs
        ids = [j["id"] for j in jobs]
        out = console(stderr=True)
        shown: dict[str, tuple[str, str | None]] = {}
        last_print: dict[str, float] = {}
        if all(client.jobs.get(j, {}).get("state") in FINAL for j in ids):
            return [client.jobs[j] for j in ids]
        async for _msg in client.events():
            for jid in ids:
                job = client.jobs.get(jid)
                if job is None:
                    continue
                key = (job["state"], job.get("step"))
                now = time.monotonic()
                if not quiet and (shown.get(jid) != key or now - last_print.get(jid, 0) >= 2.0):
                    shown[jid] = key
                    last_print[jid] = now
                    out.print(_progress_line(job))
            if all(client.jobs.get(j, {}).get("state") in FINAL for j in ids):
                return [client.jobs[j] for j in ids]
        raise EngineError("the engine stopped while the jobs ran; they resume when it restarts "
                          f"— follow them with `snowetl-tui jobs` ({', '.join(ids)})")


@click.command("jobs")
@click.option("--all", "show_all", is_flag=True,
              help="Every job in the store (default: active ones and those of the last 24 h).")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
@pass_app
def jobs_cmd(app: AppContext, show_all: bool, as_json: bool) -> None:
    """The engine's jobs: state, step, progress, rows."""
    jobs = call(app.workspace, "list", all=show_all)
    if as_json:
        emit_json([job_item(j) for j in jobs])
        return
    if not jobs:
        click.echo("no jobs" + ("" if show_all else " in the last 24 h (--all shows every job)"))
        return
    # plain columns: Rich tables drop columns on narrow terminals and in pipes
    click.echo(f"{'ID':<18}  {'STATE':<9}  {'STEP':<9}  {'PROG':>4}  {'ROWS':>12}  "
               f"{'TABLE':<22}  FILE / ERROR")
    for j in jobs:
        tail = j.get("file_name") or ""
        if j.get("error"):
            tail += f"  — {_short(j['error'], 80)}"
        click.echo(f"{j['id']:<18}  {j['state']:<9}  {j.get('step') or '':<9}  "
                   f"{j['progress'] * 100:>3.0f}%  {j.get('rows', 0):>12,}  "
                   f"{(j.get('table') or '')[:22]:<22}  {tail}")


@click.command("job")
@click.argument("job_id")
@click.option("--events", is_flag=True, help="Include the job's durable event history.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@pass_app
def job_cmd(app: AppContext, job_id: str, events: bool, as_json: bool) -> None:
    """One job in detail (unknown id: exit 2)."""
    job = call(app.workspace, "get", job=job_id, events=events)
    if as_json:
        item = job_item(job)
        if events:
            item["events"] = job.get("events", [])
        emit_json(item)
        return
    out = console()
    out.print(_progress_line(job))
    for key in ("kind", "file", "table", "target", "priority", "attempt", "created", "started",
                "finished", "log_path"):
        out.print(f"  {key + ':':<10} {job.get(key)}")
    for name, sp in job.get("steps", {}).items():
        done = "done" if sp.get("finished") else "…"
        out.print(f"  step {name:<10} {done:<5} rows {sp.get('rows', 0):,} bytes "
                  f"{sp.get('bytes', 0):,}")
    for f in job.get("findings", []):
        out.print(f"  {f['status']} {f['name']}: {f['message']}")
    for ev in job.get("events", []):
        out.print(f"  {ev['at']} {ev['kind']} {ev['data']}")


def _simple(op: str, help_text: str) -> click.Command:
    @click.command(op, help=help_text)
    @click.argument("job_id")
    @click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
    @pass_app
    def cmd(app: AppContext, job_id: str, as_json: bool) -> None:
        job = call(app.workspace, op, job=job_id)
        if as_json:
            emit_json(job_item(job))
        else:
            note = " (takes effect at the next step or chunk)" if job["state"] == "running" \
                else ""
            click.echo(f"{op}: {_progress_line(job)}{note}")

    return cmd


cancel_cmd = _simple("cancel", "Cancel a job; the table is left unchanged.")
retry_cmd = _simple("retry", "Queue a failed or cancelled job again.")
pause_cmd = _simple("pause", "Pause a job at its next step or chunk boundary (or hold it).")
resume_cmd = _simple("resume", "Resume a paused job.")


@click.command("logs")
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the job ends.")
@click.option("--grep", "pattern", help="Only lines matching this regular expression.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON-lines log instead.")
@pass_app
def logs_cmd(app: AppContext, job_id: str, follow: bool, pattern: str | None,
             as_json: bool) -> None:
    """Print a job's log (``engine`` for the engine's own log)."""
    ws = app.workspace
    try:
        rx = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise InputError(f"--grep: not a regular expression: {exc}") from None
    if job_id == "engine":
        path = ws.engine_log_path
        is_done: Any = lambda: True  # noqa: E731
    else:
        job = call(ws, "get", job=job_id)
        path = Path(job["log_path"])
        if as_json:
            path = path.with_suffix(".jsonl")

        def is_done() -> bool:
            return call(ws, "get", job=job_id)["state"] in FINAL

    if not path.exists():
        raise InputError(f"{path}: the log is gone (removed by log retention?)")
    _print_log(path, rx, follow, is_done)


def _print_log(path: Path, rx: re.Pattern[str] | None, follow: bool, is_done: Any) -> None:
    """Stream the file line by line (never loaded whole), then follow it if asked."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        pending = ""
        last_check = 0.0
        while True:
            chunk = fh.readline()
            if chunk:
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                line, pending = pending.rstrip("\n"), ""
                if rx is None or rx.search(line):
                    click.echo(line)
                continue
            if not follow:
                return
            now = time.monotonic()
            if now - last_check >= 1.0:
                last_check = now
                if is_done():
                    rest = fh.read()
                    for line in rest.splitlines():
                        if rx is None or rx.search(line):
                            click.echo(line)
                    sys.stdout.flush()
                    return
            sys.stdout.flush()
            time.sleep(0.2)


ENGINE_COMMANDS = [engine_group, submit_cmd, jobs_cmd, job_cmd, cancel_cmd, retry_cmd,
                   pause_cmd, resume_cmd, logs_cmd]
