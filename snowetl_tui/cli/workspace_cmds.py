"""Workspace-level commands: ``locate``, ``match`` and ``demo``."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.table import Table

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.config.patterns import strip_compression
from snowetl_tui.config.registry import ConfigRegistry, MatchResult
from snowetl_tui.errors import EXIT_FAILED, InputError
from snowetl_tui.workspace import Workspace

_SKIP_DIRS = {"configs", "logs", ".snowetl", ".git", "__pycache__"}
DATA_SUFFIXES = (".tsv", ".csv", ".psv", ".tab", ".dat", ".txt")


def is_data_name(name: str) -> bool:
    """Extract-like file names: .tsv/.csv/... possibly compressed (.gz, .zst)."""
    return strip_compression(name).lower().endswith(DATA_SUFFIXES)


@click.command("locate")
@click.option("--json", "as_json", is_flag=True, help="Print the paths as JSON.")
@pass_app
def locate_cmd(app: AppContext, as_json: bool) -> None:
    """Print every path the tool uses for this workspace."""
    paths = app.workspace.paths()
    if as_json:
        emit_json({k: str(v) for k, v in paths.items()})
        return
    width = max(len(k) for k in paths)
    for key, path in paths.items():
        mark = "" if path.exists() else "  (not created yet)"
        click.echo(f"{key:<{width}}  {path}{mark}")


def workspace_data_files(ws: Workspace) -> list[Path]:
    """Every extract-like file in the workspace (state, logs and configs excluded)."""
    out: list[Path] = []
    for root, dirs, files in os.walk(ws.root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        out.extend(
            Path(root) / f for f in sorted(files) if not f.startswith(".") and is_data_name(f)
        )
    return out


def expand_files(args: tuple[str, ...], ws: Workspace) -> list[Path]:
    """FILE arguments: files as given, directories expanded to their (non-hidden) files."""
    if not args:
        return workspace_data_files(ws)
    out: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and
                              not p.name.startswith(".")))
        elif path.exists():
            out.append(path)
        else:
            raise InputError(f"{arg}: no such file or directory")
    return out


def _render_matches(results: list[MatchResult]) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("FILE", overflow="fold")
    table.add_column("TABLE")
    table.add_column("PERIOD")
    table.add_column("CONFIG / WHY NOT", overflow="fold")
    for r in results:
        if r.matched and r.entry is not None:
            period = r.period.label() if r.period else "-"
            table.add_row("✓", r.file, r.entry.table, period, r.config_display or "")
        else:
            best = r.suggestions[0] if r.suggestions else None
            why = f"{best.pattern}: {best.reason}" if best else "no configs in this workspace"
            table.add_row("✗", r.file, "-", "-", f"not matched — {why}")
    console().print(table)


@click.command("match")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@pass_app
def match_cmd(app: AppContext, files: tuple[str, ...], as_json: bool) -> None:
    """Show which config, table and period each FILE matches (default: every file in the
    workspace). Exit 1 when a file matches no config."""
    ws = app.workspace
    registry = ConfigRegistry.load(ws)
    paths = expand_files(files, ws)
    results = [registry.match(p if files else ws.display(p)) for p in paths]
    if as_json:
        emit_json([r.as_dict() for r in results])
    else:
        if not results:
            click.echo("no files to match")
        else:
            _render_matches(results)
    if any(not r.matched for r in results):
        raise SystemExit(EXIT_FAILED)


@click.command("demo")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--size-mb", type=click.FloatRange(0.01, 1_000_000), default=8.0, show_default=True,
              help="Approximate size of each generated fact file, in MB.")
@click.option("--seed", type=int, default=7, show_default=True,
              help="Random seed; the same seed and size give byte-identical files.")
@pass_app
def demo_cmd(app: AppContext, directory: str | None, size_mb: float, seed: int) -> None:
    """Create a demo workspace (config + generated extracts with known defects) in DIRECTORY
    (default: the workspace)."""
    from snowetl_tui.demo.generator import create_demo_workspace

    target = Path(directory) if directory else app.workspace.root
    try:
        manifest = create_demo_workspace(target, size_mb=size_mb, seed=seed)
    except FileExistsError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{target}: cannot create the demo: {exc.strerror or exc}") from None
    out = console()
    out.print(f"Demo workspace created in [bold]{manifest.workspace}[/bold]")
    out.print(f"  config: {manifest.workspace / 'configs' / manifest.config_path.name}")
    for f in manifest.files:
        out.print(f"  data:   {f.path.relative_to(manifest.workspace)}  "
                  f"({f.bytes / 1e6:.1f} MB, {f.rows:,} rows)")
    data = manifest.workspace / "data"
    out.print("Next:")
    out.print(f"  snowetl-tui --workspace {manifest.workspace} {data}        # the app")
    out.print(f"  snowetl-tui --workspace {manifest.workspace} validate {data}/*")
    out.print(f"  snowetl-tui --workspace {manifest.workspace} load {data}/*")
