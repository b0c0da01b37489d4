"""The ``snowetl-tui`` command: headless subcommands for cron/CI; no subcommand = the app."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from snowetl_tui import __version__
from snowetl_tui.cli.common import AppContext, run_guarded

# Command name → "module:attribute". Commands are imported only when used, so `snowetl-tui
# jobs` does not pay for pydantic, DuckDB or the validator (start-up over SSH matters).
LAZY_COMMANDS: dict[str, str] = {
    "locate": "snowetl_tui.cli.workspace_cmds:locate_cmd",
    "match": "snowetl_tui.cli.workspace_cmds:match_cmd",
    "demo": "snowetl_tui.cli.workspace_cmds:demo_cmd",
    "config": "snowetl_tui.cli.config_cmds:config_group",
    "validate": "snowetl_tui.cli.validate_cmds:validate_cmd",
    "load": "snowetl_tui.cli.load_cmds:load_cmd",
    "tables": "snowetl_tui.cli.load_cmds:tables_cmd",
    "delete": "snowetl_tui.cli.load_cmds:delete_cmd",
    "check": "snowetl_tui.cli.check_cmds:check_cmd",
    "engine": "snowetl_tui.cli.engine_cmds:engine_group",
    "submit": "snowetl_tui.cli.engine_cmds:submit_cmd",
    "jobs": "snowetl_tui.cli.engine_cmds:jobs_cmd",
    "job": "snowetl_tui.cli.engine_cmds:job_cmd",
    "cancel": "snowetl_tui.cli.engine_cmds:cancel_cmd",
    "retry": "snowetl_tui.cli.engine_cmds:retry_cmd",
    "pause": "snowetl_tui.cli.engine_cmds:pause_cmd",
    "resume": "snowetl_tui.cli.engine_cmds:resume_cmd",
    "logs": "snowetl_tui.cli.engine_cmds:logs_cmd",
    "report": "snowetl_tui.cli.report_cmds:report_cmd",
    "audit": "snowetl_tui.cli.report_cmds:audit_cmd",
    "sample": "snowetl_tui.cli.report_cmds:sample_cmd",
    "compare": "snowetl_tui.cli.report_cmds:compare_cmd",
}


class GuardedGroup(click.Group):
    """The top-level group: commands load lazily; every expected error becomes one line and
    an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``snowetl-tui [PATH]``: a first positional argument that is not a command but an
        existing path (or looks like one) is the directory the app opens on."""
        args = list(args)
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                break
            if arg in ("-w", "--workspace"):
                i += 2
                continue
            if arg.startswith("-"):
                i += 1
                continue
            if arg not in self.list_commands(ctx) and (os.path.exists(arg) or "/" in arg):
                ctx.meta["snowetl.open_path"] = args.pop(i)
            break
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        ws = ctx.params.get("workspace")
        return run_guarded(lambda: super(GuardedGroup, self).invoke(ctx), ws)


@click.group(
    cls=GuardedGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--workspace",
    "-w",
    metavar="DIR",
    envvar="SNOWETL_WORKSPACE",
    help="Workspace directory (configs/, logs/, .snowetl/). Default: $SNOWETL_WORKSPACE, "
    "else the current directory.",
)
@click.option("--no-mouse", is_flag=True,
              help="App: leave the mouse to the terminal (select text in tmux/SSH).")
@click.version_option(__version__, "-V", "--version", prog_name="snowetl-tui")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, no_mouse: bool) -> None:
    """Validate and load very large TSV/CSV extracts into Snowflake or an embedded DuckDB,
    exactly once.

    \b
    Without a command, opens the full-screen app on PATH (default: the current directory);
    jobs run in the workspace's background engine and survive the app.

    \b
    Usage: snowetl-tui [-w DIR] [--no-mouse] [PATH]
           snowetl-tui [-w DIR] COMMAND [ARGS]...
    Exit codes: 0 ok/pass, 1 checks or job failed, 2 usage, config or input error.
    """
    ctx.obj = AppContext(workspace)
    if ctx.invoked_subcommand is None:
        _open_app(ctx, no_mouse)


def _has_terminal() -> bool:
    """A person at a terminal: the app reads keys from stdin and draws on stdout."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _open_app(ctx: click.Context, no_mouse: bool) -> None:
    from pathlib import Path

    from snowetl_tui.errors import InputError

    path_arg = ctx.meta.get("snowetl.open_path")
    start = Path(path_arg).expanduser() if path_arg else None
    if start is not None and not start.is_dir():
        if start.exists():
            start = start.parent
        else:
            raise InputError(f"{path_arg}: no such directory")
    if not _has_terminal():
        raise InputError("the app needs a terminal; for scripts use a command (see "
                         "`snowetl-tui --help`), e.g. `snowetl-tui load FILE --wait`")
    from snowetl_tui.tui.run import run_app

    ctx.exit(run_app(ctx.obj.workspace, start, mouse=not no_mouse))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="snowetl-tui")
