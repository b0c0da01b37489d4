"""The ``snowetl-tui`` command: headless subcommands for cron/CI; no subcommand = the app."""

from __future__ import annotations

from typing import Any

import click

from snowetl_tui import __version__
from snowetl_tui.cli.common import AppContext, run_guarded
from snowetl_tui.cli.config_cmds import config_group
from snowetl_tui.cli.engine_cmds import ENGINE_COMMANDS
from snowetl_tui.cli.load_cmds import delete_cmd, load_cmd, tables_cmd
from snowetl_tui.cli.validate_cmds import validate_cmd
from snowetl_tui.cli.workspace_cmds import demo_cmd, locate_cmd, match_cmd


class GuardedGroup(click.Group):
    """The top-level group: every expected error becomes one line and an exit code."""

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


cli.add_command(locate_cmd)
cli.add_command(match_cmd)
cli.add_command(demo_cmd)
cli.add_command(config_group)
cli.add_command(validate_cmd)
cli.add_command(load_cmd)
cli.add_command(tables_cmd)
cli.add_command(delete_cmd)
for _engine_cmd in ENGINE_COMMANDS:
    cli.add_command(_engine_cmd)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="snowetl-tui")
