"""The ``snowetl-tui`` command: headless subcommands for cron/CI; no subcommand = the app."""

from __future__ import annotations

import importlib
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
    "engine": "snowetl_tui.cli.engine_cmds:engine_group",
    "submit": "snowetl_tui.cli.engine_cmds:submit_cmd",
    "jobs": "snowetl_tui.cli.engine_cmds:jobs_cmd",
    "job": "snowetl_tui.cli.engine_cmds:job_cmd",
    "cancel": "snowetl_tui.cli.engine_cmds:cancel_cmd",
    "retry": "snowetl_tui.cli.engine_cmds:retry_cmd",
    "pause": "snowetl_tui.cli.engine_cmds:pause_cmd",
    "resume": "snowetl_tui.cli.engine_cmds:resume_cmd",
    "logs": "snowetl_tui.cli.engine_cmds:logs_cmd",
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
@click.version_option(__version__, "-V", "--version", prog_name="snowetl-tui")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """Validate and load very large TSV/CSV extracts into Snowflake or an embedded DuckDB,
    exactly once.

    \b
    Exit codes: 0 ok/pass, 1 checks or job failed, 2 usage, config or input error.
    """
    ctx.obj = AppContext(workspace)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="snowetl-tui")
