"""``snowetl-tui report``, ``audit``, ``sample`` and ``compare``: reading what happened, and
looking into files, without loading anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.errors import EXIT_FAILED, EXIT_OK, ConfigError, InputError, SnowetlError
from snowetl_tui.workspace import Workspace


class AuditBroken(SnowetlError):
    """``audit --verify`` found a record that breaks the chain (exit 1, records named)."""

    exit_code = EXIT_FAILED


def _write_text(path: Path, text: str) -> None:
    """Write an output file or fail with one line that names the directory and the fix."""
    from snowetl_tui.report.job_report import write_text_file

    write_text_file(path, text)


# ----------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------


@click.command("report")
@click.option("--since", metavar="DATE",
              help="Only periods ending on or after DATE (2024-03-01 or 2024-03).")
@click.option("--table", "table_name", metavar="T", help="Only this table.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json", "csv"]),
              default="text", show_default=True, help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--output", "-o", metavar="FILE",
              help="Write here ('-' = stdout). Default: stdout; html goes to "
              "logs/reports/summary.html.")
@click.option("--job", "job_id", metavar="ID",
              help="Instead of the summary: the report of job ID (path; opened with $BROWSER).")
@pass_app
def report_cmd(app: AppContext, since: str | None, table_name: str | None, fmt: str,
               as_json: bool, output: str | None, job_id: str | None) -> None:
    """The batch summary over the ledger: per table and period — rows, files, verdicts, last
    load, gaps between loaded periods (a month never loaded is listed) and failures with their
    reasons.

    Per-job reports (JSON + self-contained HTML with charts) are written by every validate and
    load job to logs/reports/<job id>.json/.html; --job ID prints the path and opens it when
    $BROWSER is set.
    """
    from snowetl_tui.report import batch
    from snowetl_tui.report.paths import open_report, report_paths, summary_path

    ws = app.workspace
    if job_id:
        paths = report_paths(ws, job_id)
        if not paths["html"].exists():
            raise InputError(f"no report for job {job_id} in {ws.reports_dir} (reports are "
                             "written when validate and load jobs end; list jobs with "
                             "`snowetl-tui jobs --all`)")
        click.echo(open_report(paths["html"]))
        return
    fmt = "json" if as_json else fmt
    summary = batch.summarise(ws, since=batch.parse_since(since) if since else None,
                              table=table_name)
    if fmt == "json":
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = batch.to_csv(summary)
    elif fmt == "html":
        text = batch.to_html(summary)
    else:
        _print_summary(summary)
        return
    if fmt == "html" and output is None:
        target = summary_path(ws)
        _write_text(target, text)
        click.echo(open_report(target))
        return
    if output and output != "-":
        _write_text(Path(output), text)
        click.echo(f"wrote {output}", err=True)
        return
    click.echo(text, nl=False)


def _print_summary(summary: dict[str, Any]) -> None:
    from snowetl_tui.report.batch import STATUS_SYMBOL

    out = console()
    if not summary["tables"]:
        out.print("no period matches" + (f" (since {summary['since']})" if summary["since"]
                                         else ""))
        return
    for t in summary["tables"]:
        gaps = ", ".join(g["period"] for g in t["gaps"])
        out.print(f"[bold]{t['table']}[/bold] on {t['target']} — {t['rows']:,} rows in "
                  f"{t['periods_loaded']} loaded period(s), last load "
                  f"{(t['last_load'] or '—')[:16].replace('T', ' ')}"
                  + (f"; [bold red]✗ never loaded: {gaps}[/bold red]" if gaps
                     else "; ✓ no gap"), highlight=False, markup=True)
        table = Table(box=None, header_style="bold", pad_edge=False)
        for col in ("PERIOD", "STATUS", "ROWS", "LOADS", "VERDICT", "LAST LOAD (UTC)"):
            table.add_column(col, justify="right" if col in ("ROWS", "LOADS") else "left",
                             no_wrap=True)
        failures: list[str] = []
        for p in t["periods"]:
            table.add_row(p["period"], f"{STATUS_SYMBOL.get(p['status'], '?')} {p['status']}",
                          f"{p['rows']:,}", str(p["loads"]), " ".join(p["verdicts"]) or "—",
                          (p["last_load"] or "—")[:16].replace("T", " "))
            if p["status"] != "loaded":
                failures += [f"  ✗ {p['period']} {f['file']} ({f['state']}): {f['reason']}"
                             for f in p["failures"]]
        out.print(table)
        for line in failures:
            out.print(line, highlight=False, markup=False)
        out.print()


# ----------------------------------------------------------------------------------------------
# audit
# ----------------------------------------------------------------------------------------------


@click.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print the records (or the verification) "
              "as JSON.")
@click.option("--verify", is_flag=True,
              help="Check the hash chain: exit 1 naming every record that was edited, removed "
              "or reordered.")
@click.option("--since", metavar="DATE", help="Only records from DATE (UTC) on.")
@click.option("--table", "table_name", metavar="T", help="Only records of this table.")
@click.option("--last", "last", type=click.IntRange(1), metavar="N",
              help="Only the newest N records.")
@pass_app
def audit_cmd(app: AppContext, as_json: bool, verify: bool, since: str | None,
              table_name: str | None, last: int | None) -> None:
    """The audit trail: every load, replace, delete and cancel — who, when, where, which file
    (fingerprint), target, rows and query ids. Append-only; each record carries the hash of the
    one before it, so tampering is detectable with --verify."""
    from snowetl_tui.report.batch import parse_since

    ws = app.workspace
    ledger = _ledger_or_fail(ws)
    if ledger.audit_count() == 0:
        raise InputError(f"the audit trail of workspace {ws.root} is empty: nothing has been "
                         "loaded, replaced, deleted or cancelled yet")
    if verify:
        _verify(ledger, as_json)
        return
    cutoff = parse_since(since).isoformat() if since else None
    records = list(ledger.iter_audit(since=cutoff, table=table_name))
    if table_name and not records and not cutoff:
        known = sorted({r["table_name"] for r in ledger.iter_audit() if r["table_name"]})
        raise InputError(f"--table {table_name}: no audit record of that table; tables in "
                         f"the trail: {', '.join(known) or 'none'}")
    if last:
        records = records[-last:]
    items = [_audit_item(r) for r in records]
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("no audit record matches")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("#", "AT (UTC)", "ACTION", "BY", "ROWS"):
        table.add_column(col, justify="right" if col in ("#", "ROWS") else "left",
                         no_wrap=True)
    table.add_column("WHAT", overflow="fold", min_width=20)
    for i in items:
        what = " · ".join(x for x in (
            " ".join(y for y in (i["table"], i["period"]) if y),
            Path(i["file"]).name if i["file"] else "",
            f"job {i['job_id']}" if i["job_id"] else "",
            "query " + ", ".join(i["query_ids"]) if i["query_ids"] else "") if x)
        table.add_row(str(i["id"]), (i["at"] or "")[:16].replace("T", " "), i["action"],
                      f"{i['user']}@{i['host']}",
                      f"{i['rows']:,}" if i["rows"] is not None else "—", what or "—")
    console().print(table)


def _ledger_or_fail(ws: Workspace) -> Any:
    from snowetl_tui.load.ledger import Ledger

    if not ws.store_path.exists():
        raise InputError(f"no ledger in {ws.root} ({ws.store_path} does not exist): nothing "
                         "has been loaded in this workspace yet — is -w/--workspace right?")
    return Ledger(ws.store_path)


def _audit_item(r: dict[str, Any]) -> dict[str, Any]:
    def parsed(text: str | None, default: Any) -> Any:
        try:
            return json.loads(text) if text else default
        except ValueError:
            return default

    return {
        "id": r["id"], "at": r["at"], "action": r["action"], "user": r["user"],
        "host": r["host"], "workspace": r.get("workspace"), "target": r["target"],
        "table": r["table_name"], "period": r["period"], "rows": r["rows"],
        "load_id": r["load_id"], "job_id": r.get("job_id"), "file": r.get("file"),
        "fingerprint": r.get("fingerprint"), "query_ids": parsed(r.get("query_ids"), []),
        "detail": parsed(r["detail"], {}), "prev_hash": r.get("prev_hash"),
        "hash": r.get("hash"),
    }


def _verify(ledger: Any, as_json: bool) -> None:
    result = ledger.verify_audit()
    if as_json:
        emit_json({"ok": result.ok, "records": result.records, "head": result.head,
                   "problems": result.problems, "more_problems": result.more})
        raise SystemExit(EXIT_OK if result.ok else EXIT_FAILED)
    if result.ok:
        console().print(f"✓ audit trail intact: {result.records:,} records, head "
                        f"{result.head}", highlight=False)
        return
    lines = [f"audit trail broken: {len(result.problems) + result.more} problem(s) in "
             f"{result.records:,} records", *result.problems]
    if result.more:
        lines.append(f"… and {result.more} more")
    raise AuditBroken("\n".join(lines))


# ----------------------------------------------------------------------------------------------
# sample and compare
# ----------------------------------------------------------------------------------------------


def _entry_spec(ws: Workspace, file: str) -> Any:
    """The config entry's file spec when a config matches the file, else None (sniffed).

    A workspace whose configs do not load must not stop a look into a file: the format is
    then sniffed, and one line says why.
    """
    from snowetl_tui.config.registry import ConfigRegistry

    try:
        registry = ConfigRegistry.load(ws)
    except ConfigError:
        click.echo("snowetl-tui: warning: the workspace's configs have errors (see `snowetl-tui "
                   "config check`); the file's format is sniffed", err=True)
        return None
    match = registry.match(Path(file))
    return match.entry.spec if match.entry is not None else None


def _existing(file: str) -> Path:
    path = Path(file)
    if not path.exists():
        raise InputError(f"{file}: no such file")
    if path.is_dir():
        raise InputError(f"{file}: is a directory, not a data file")
    return path


@click.command("sample")
@click.argument("file", type=click.Path())
@click.option("--rows", "-n", type=click.IntRange(1, 1_000_000), default=10, show_default=True,
              help="How many data rows.")
@click.option("--random", "randomly", is_flag=True,
              help="A uniform random sample (one streaming pass) instead of the first rows.")
@click.option("--seed", type=int, help="Seed of --random, to take the same sample again.")
@click.option("--json", "as_json", is_flag=True,
              help="Print columns and rows (with line numbers) as JSON.")
@pass_app
def sample_cmd(app: AppContext, file: str, rows: int, randomly: bool, seed: int | None,
               as_json: bool) -> None:
    """Print the header and N rows of FILE (.gz/.zst too), in its own format: the first rows,
    or with --random a uniform sample of the whole file in bounded memory."""
    from snowetl_tui.data.sample import sample_file

    path = _existing(file)
    if seed is not None and not randomly:
        raise InputError("--seed only applies to --random")
    sample = sample_file(path, rows=rows, randomly=randomly, seed=seed,
                         spec=_entry_spec(app.workspace, file))
    if as_json:
        emit_json(sample.as_dict())
        return
    sys.stdout.flush()
    out = sys.stdout.buffer
    for chunk in sample.raw_bytes():
        out.write(chunk)
    out.flush()
    if randomly:
        click.echo(f"sample: {len(sample.rows):,} of {sample.rows_seen:,} rows at random "
                   f"(seed {sample.seed}; --seed {sample.seed} takes the same sample)", err=True)
    elif not sample.rows:
        click.echo(f"sample: {file} has no data rows", err=True)


@click.command("compare")
@click.argument("file_a", metavar="A", type=click.Path())
@click.argument("file_b", metavar="B", type=click.Path())
@click.option("--key", "key", metavar="COLS",
              help="Key columns for the overlap, comma-separated (default: the config's "
              "duplicate_key_columns).")
@click.option("--date-column", metavar="COL",
              help="Column for per-day counts (default: the config's date_column).")
@click.option("--date-format", metavar="FMT", help="strptime format of the date column "
              "(default: the config's, else detected).")
@click.option("--workers", type=click.IntRange(1, 256),
              help="Default 1: checks run in this process (~100 MB whatever the size); N > 1: "
              "N worker processes (faster on many cores, ~70 MB each).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@pass_app
def compare_cmd(app: AppContext, file_a: str, file_b: str, key: str | None,
                date_column: str | None, date_format: str | None, workers: int | None,
                as_json: bool) -> None:
    """Compare two files (.gz/.zst too): columns, field counts, row counts, rows per day and key
    overlap, in one streaming pass each with bounded memory.

    Exit 0 when no difference was found, 1 when they differ, 2 on input errors.
    """
    from snowetl_tui.data.compare import CompareOptions, compare_files

    path_a, path_b = _existing(file_a), _existing(file_b)
    ws = app.workspace
    keys = [k.strip() for k in key.split(",") if k.strip()] if key else None
    if key is not None and not keys:
        raise InputError("--key: give one or more column names, comma-separated")
    result = compare_files(
        path_a, path_b, spec_a=_entry_spec(ws, file_a), spec_b=_entry_spec(ws, file_b),
        options=CompareOptions(key_columns=keys, date_column=date_column,
                               date_format=date_format, workers=workers),
        spill_root=ws.spool_dir if ws.state_dir.is_dir() else None,
    )
    if as_json:
        emit_json(result)
    else:
        _print_compare(result)
    raise SystemExit(EXIT_OK if result["same"] else EXIT_FAILED)


def _print_compare(r: dict[str, Any]) -> None:
    out = console()
    a, b = r["a"], r["b"]
    for label, s in (("A", a), ("B", b)):
        out.print(f"{label}: {s['file']} — {s['rows']:,} rows, {len(s['columns'])} columns, "
                  f"{s['bytes'] / 1e6:,.1f} MB ({s['codec']})", highlight=False)
    if r["identical_content"]:
        out.print("✓ identical content (same SHA-256)", highlight=False)
    if r["keys"]:
        k = r["keys"]
        out.print(f"keys ({', '.join(k['columns'])}): {k['in_both']:,} in both, "
                  f"{k['only_in_a']:,} only in A, {k['only_in_b']:,} only in B", highlight=False)
        for side in ("a", "b"):
            if k[f"examples_only_in_{side}"]:
                out.print(f"  e.g. only in {side.upper()}: "
                          + "; ".join(k[f"examples_only_in_{side}"]), highlight=False)
    else:
        out.print("keys: not compared (no key: pass --key or configure duplicate_key_columns)",
                  highlight=False)
    if r["per_day"]:
        p = r["per_day"]
        out.print(f"per day ({p['date_column']}): {p['days_a']} days in A, {p['days_b']} in B, "
                  f"{p['days_differing']} differ", highlight=False)
    if r["same"]:
        out.print("✓ no difference", highlight=False)
        return
    out.print(f"✗ {len(r['differences'])} difference(s):", highlight=False)
    for d in r["differences"]:
        out.print(f"  ✗ {d}", highlight=False)

