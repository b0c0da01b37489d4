"""``snowetl-tui check``: the warehouse-side checks of one loaded period, for cron.

The same checks as ``c`` in the app's Tables view (:mod:`snowetl_tui.load.period_check`): rows
in the warehouse against the ledger, per-day counts against the loaded file's report, missing
days against the calendar, duplicate keys, anomalies. Exit 0 when nothing failed, 1 when a
check failed, 2 for bad arguments or a warehouse that cannot be reached.
"""

from __future__ import annotations

import click

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.errors import EXIT_FAILED, InputError


@click.command("check")
@click.option("--table", "table_name", required=True, help="Table to check.")
@click.option("--period", required=True,
              help="2024-03, 2024-03-05, 20240301-20240331 or 2024-03-01..2024-03-31.")
@click.option("--target", help="Connection name (default: the table's config target).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_app
def check_cmd(app: AppContext, table_name: str, period: str, target: str | None,
              as_json: bool) -> None:
    """Check a loaded period in the warehouse: row counts, days, duplicates, anomalies."""
    from snowetl_tui.config.patterns import period_option
    from snowetl_tui.config.registry import ConfigRegistry
    from snowetl_tui.load.period_check import check_period

    ws = app.workspace
    registry = ConfigRegistry.load(ws)
    per = period_option(period)
    entries = registry.entries_for_table(table_name, target)
    if not entries:
        raise InputError(f"no config in {ws.configs_dir} loads table {table_name}"
                         + (f" to target {target}" if target else "")
                         + ": the checks need its date column, keys and calendar")
    target = target or entries[0].target
    result = check_period(ws, registry, entries[0].table, per, target)
    if as_json:
        emit_json(result.as_dict())
    else:
        out = console()
        out.print(f"{entries[0].table} {per.label()} on {target}: {result.summary()}",
                  markup=False)
        for f in result.findings:
            out.print(f"  {f.symbol} {f.check:<11} {f.message}", markup=False)
            for example in f.examples[:5]:
                out.print(f"      {example}", markup=False)
    if result.status == "FAIL":
        raise SystemExit(EXIT_FAILED)
