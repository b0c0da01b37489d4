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
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Match against this config file only (default: every configs/*.json).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as a JSON list.")
@click.option("--report-dir", type=click.Path(file_okay=False),
              help="Also write each report as <file>.validation.json and a self-contained "
              "<file>.validation.html (chart, findings) into this directory.")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes (default: cores).")
@click.option("--chunk-size", default="64MB", show_default=True,
              help="Bytes per chunk handed to a worker.")
@click.option("--all-checks", is_flag=True, help="Also list the checks that passed.")
@click.option("--executor", "executor_spec",
              help="Where chunks run: process (default: a pool sized to the cores), thread, or "
              "dask://HOST:PORT (a Dask cluster; the workers must see the files under the same "
              "path). Default: the workspace's [engine] executor setting.")
@click.option("--in-warehouse", is_flag=True,
              help="Check the rows of --table for --period where they are (SQL in the "
              "warehouse) instead of files: counts per day, calendar, anomalies, duplicate "
              "keys, rules.")
@click.option("--table", "table_name", help="With --in-warehouse: the table to check.")
@click.option("--period", help="With --in-warehouse: 2024-03, 20240301-20240331, … ; for "
              "@STAGE arguments: the period of staged files whose names carry none.")
@click.option("--target", help="Connection of --in-warehouse and @STAGE checks (default: the "
              "config's target).")
@click.option("--file-format", help="@STAGE arguments on Snowflake: a named FILE FORMAT to read "
              "the staged files with (default: the entry's stage_file_format, else a temporary "
              "one built from the config).")
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
    executor_spec: str | None,
    in_warehouse: bool,
    table_name: str | None,
    period: str | None,
    target: str | None,
    file_format: str | None,
) -> None:
    """Validate FILES against their load configs: structure, encoding, types, NULLs, dates,
    calendar, anomalies, duplicate keys and custom rules, in one streaming pass.

    An argument @STAGE/path/ checks files already in a stage, read in place by the warehouse
    (on the local target: @DIRECTORY). --in-warehouse --table T --period P checks rows already
    loaded. Both give the same report as a file.

    Exit 0 when every file passes (warnings allowed), 1 when a check fails, 2 on input or
    config errors.
    """
    from snowetl_tui.validate.report import render
    from snowetl_tui.validate.runner import plan_file, validate_file

    ws = app.workspace
    size = parse_size(chunk_size)
    if in_warehouse:
        if not table_name or not period:
            raise InputError("--in-warehouse needs --table and --period")
        if files:
            raise InputError("--in-warehouse checks a table, not files: drop the file arguments")
    elif not files:
        raise InputError("give FILES (or @STAGE/path/) to validate, or --in-warehouse --table T "
                         "--period P")
    elif table_name:
        raise InputError("--table needs --in-warehouse")
    elif (period or file_format) and not any(f.startswith("@") for f in files):
        raise InputError("--period and --file-format apply to --in-warehouse and @STAGE/path/ "
                         "arguments")
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

    def keep(report: Any, name: str) -> None:
        nonlocal worst
        data = report.as_dict()
        reports.append(data)
        if out_dir is not None:
            _write_reports(out_dir, name, data, ws)
        if report.verdict == "fail":
            worst = max(worst, EXIT_FAILED)
        if not as_json:
            out.print(render(report, show_passed=all_checks))

    if in_warehouse:
        from snowetl_tui.load.stage_load import validate_table

        assert table_name is not None and period is not None
        keep(validate_table(ws, registry, table_name, period, target=target),
             f"{table_name}.{period}")
        if as_json:
            emit_json(reports)
        raise SystemExit(worst)
    executor = _executor(ws, executor_spec, workers) if any(
        not f.startswith("@") for f in files) else None
    try:
        for file in files:
            if file.startswith("@"):
                from snowetl_tui.load.stage_load import validate_stage

                try:
                    for report in validate_stage(ws, registry, file, target=target,
                                                 file_format=file_format, period_text=period):
                        keep(report, _report_name(report))
                except SnowetlError as exc:
                    for line in str(exc).splitlines():
                        click.echo(f"snowetl-tui: error: {line}", err=True)
                    worst = max(worst, exc.exit_code)
                continue
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
            keep(report, Path(file).name)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    if as_json:
        emit_json(reports)
    elif worst == EXIT_USAGE and len(files) > 1:
        err.print("some files could not be validated (see errors above)")
    raise SystemExit(worst)


def _write_reports(out_dir: Path, name: str, data: dict[str, Any], ws: Workspace) -> None:
    """``<name>.validation.json`` (the report as printed by --json) and its HTML page."""
    from snowetl_tui.report.html import render_job_html
    from snowetl_tui.report.job_report import build_job_report

    target = out_dir / f"{name}.validation.json"
    page = out_dir / f"{name}.validation.html"
    try:
        target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        page.write_text(render_job_html(build_job_report(kind="validate", validation=data,
                                                         workspace=ws)), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the report: {exc.strerror or exc}") from None


def _executor(ws: Workspace, spec: str | None, workers: int | None) -> Any:
    """``--executor``, else the workspace's ``[engine] executor`` setting, else ``process``.

    A Dask scheduler is connected to here, before any file, so an unreachable one is one
    error line for the whole command rather than one per file.
    """
    from snowetl_tui.validate.executors import DEFAULT_EXECUTOR, make_executor

    if spec is None:
        spec = DEFAULT_EXECUTOR
        if ws.settings_path.exists():
            from snowetl_tui.engine.paths import EngineSettings

            spec = EngineSettings.load(ws).executor
    return make_executor(spec, workers)


def _report_name(report: Any) -> str:
    """File name stem of a staged group's report: table and period (a stage is no file)."""
    period = f".{report.period_start}_{report.period_end}" if report.period_start else ""
    return f"{report.table}{period}"


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
