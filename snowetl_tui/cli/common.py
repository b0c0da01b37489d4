"""Shared plumbing of the headless commands: the workspace option, output, error handling.

Every command follows one contract: ``--json`` prints data for machines, exit code 0 = ok/pass,
1 = checks or job failed, 2 = usage, config or input error. Expected errors are one line on
stderr; unexpected ones are written in full to the workspace's ``logs/cli.log`` and summarised
in one line, so an operator never has to read a Python traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from snowetl_tui.errors import EXIT_FAILED, SnowetlError
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.cli")


@dataclass
class AppContext:
    """What every command gets: the workspace it works in."""

    workspace_arg: str | None

    @property
    def workspace(self) -> Workspace:
        return Workspace.resolve(self.workspace_arg)


pass_app = click.make_pass_decorator(AppContext)


def console(stderr: bool = False) -> Console:
    """A Rich console that honours NO_COLOR and plain pipes."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def emit_json(data: Any) -> None:
    """Machine output: stable, indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one error line and exit with ``code``."""
    for line in message.splitlines() or [""]:
        click.echo(f"snowetl-tui: error: {line}", err=True)
    sys.exit(code)


def report_unexpected(exc: BaseException, workspace_arg: str | None) -> NoReturn:
    """Log the full traceback where the operator can send it to us, print one line."""
    text = "".join(traceback.format_exception(exc))
    target: Path | None = None
    try:
        ws = Workspace.resolve(workspace_arg)
        ws.logs_dir.mkdir(parents=True, exist_ok=True)
        target = ws.cli_log_path
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')} {sys.argv!r}\n{text}\n")
    except Exception:
        target = None
    where = f" (details in {target})" if target else ""
    summary = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    click.echo(f"snowetl-tui: internal error: {summary}{where}", err=True)
    sys.exit(EXIT_FAILED)


def run_guarded(fn: Any, workspace_arg: str | None) -> Any:
    """Run ``fn`` turning expected errors into their exit code and message."""
    try:
        return fn()
    except SnowetlError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        click.echo("snowetl-tui: interrupted", err=True)
        sys.exit(130)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        report_unexpected(exc, workspace_arg)
