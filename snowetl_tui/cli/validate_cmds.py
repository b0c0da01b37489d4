"""``snowetl-tui validate``: check files against their configs, headless."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.config.registry import ConfigRegistry, MatchResult
from snowetl_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, SnowetlError
from snowetl_tui.workspace import Workspace


def resolve_file(ws: Workspace, registry: ConfigRegistry, file: str) -> MatchResult:
    """Check the path and match it; raises a one-line InputError otherwise."""
    path = Path(file)
    if not path.exists():
        raise InputError(f"{file}: no such file")
    if path.is_dir():
        raise InputError(f"{file}: is a directory, not a data file")
    result = registry.match(path)
    if not result.matched:
        raise InputError(result.unmatched_message())
    return result


def parse_size(text: str) -> int:
    """``64MB``, ``1KB``, ``512k``, ``1048576`` → bytes."""
    units = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
             "G": 1 << 30, "GB": 1 << 30}
    raw = text.strip().upper()
    num = raw.rstrip("KMGB")
    unit = raw[len(num):]
    try:
        value = int(float(num) * units[unit])
    except (KeyError, ValueError):
        raise click.BadParameter(f"'{text}' is not a size like 64MB or 1KB") from None
    if value < 1:
        raise click.BadParameter("size must be positive")
    return value


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Match against this config file only (default: every configs/*.json).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as a JSON list.")
@click.option("--report-dir", type=click.Path(file_okay=False),
              help="Also write each report as <file>.validation.json into this directory.")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes (default: cores).")
@click.option("--chunk-size", default="64MB", show_default=True,
              help="Bytes per chunk handed to a worker.")
@click.option("--all-checks", is_flag=True, help="Also list the checks that passed.")
@pass_app
def validate_cmd(
    app: AppContext,
    files: tuple[str, ...],
    config_file: str | None,
    as_json: bool,
    report_dir: str | None,
    workers: int | None,
    chunk_size: str,
    all_checks: bool,
) -> None:
    """Validate FILES against their load configs: structure, encoding, types, NULLs, dates,
    calendar, anomalies, duplicate keys and custom rules, in one streaming pass.

    Exit 0 when every file passes (warnings allowed), 1 when a check fails, 2 on input or
    config errors.
    """
    from snowetl_tui.validate.report import render
    from snowetl_tui.validate.runner import default_executor, plan_file, validate_file

    ws = app.workspace
    size = parse_size(chunk_size)
    registry = ConfigRegistry.load(ws, [Path(config_file)] if config_file else None)
    out_dir = Path(report_dir) if report_dir else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{report_dir}: cannot create the report directory: "
                             f"{exc.strerror}") from None
    reports: list[dict[str, Any]] = []
    worst = EXIT_OK
    out = console()
    err = console(stderr=True)
    show_progress = not as_json and sys.stderr.isatty()
    executor = default_executor(workers)
    try:
        for file in files:
            try:
                match = resolve_file(ws, registry, file)
                plan = plan_file(Path(file), match.entry, match.period, match.config_display)
                with _progress_bar(show_progress, Path(file).name) as bar:
                    report = validate_file(
                        plan, executor=executor, workers=workers, chunk_size=size,
                        spill_root=ws.spool_dir if ws.state_dir.exists() else None,
                        progress=bar,
                    )
            except SnowetlError as exc:
                for line in str(exc).splitlines():
                    click.echo(f"snowetl-tui: error: {line}", err=True)
                worst = max(worst, exc.exit_code)
                continue
            data = report.as_dict()
            reports.append(data)
            if out_dir is not None:
                target = out_dir / f"{Path(file).name}.validation.json"
                target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            if report.verdict == "fail":
                worst = max(worst, EXIT_FAILED)
            if not as_json:
                out.print(render(report, show_passed=all_checks))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    if as_json:
        emit_json(reports)
    elif worst == EXIT_USAGE and len(files) > 1:
        err.print("some files could not be validated (see errors above)")
    raise SystemExit(worst)


class _progress_bar:
    """A transient Rich progress bar on stderr (TTY only), fed by the progress callback."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> _progress_bar | None:
        if not self.enabled:
            return None
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            console=console(stderr=True),
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=None, rows=0)
        return self

    def __call__(self, p: Any) -> None:
        if self.progress is None or self.task is None:
            return
        desc = self.label if p.phase == "read" else f"{self.label} (checking duplicates)"
        self.progress.update(self.task, completed=p.bytes_done, total=p.bytes_total,
                             rows=p.rows, description=desc)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
