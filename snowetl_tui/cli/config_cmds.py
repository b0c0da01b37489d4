"""``snowetl-tui config check|schema|migrate|generate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from snowetl_tui.cli.common import AppContext, console, emit_json, pass_app
from snowetl_tui.config.loader import load_config
from snowetl_tui.config.model import ConfigFile
from snowetl_tui.errors import ConfigError, ConfigIssue, InputError


@click.group("config")
def config_group() -> None:
    """Check, describe, migrate and generate load configs."""


@config_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def check_cmd(app: AppContext, files: tuple[str, ...], as_json: bool) -> None:
    """Validate load configs (default: every configs/*.json of the workspace). Exit 2 on any
    problem, with one line per problem naming the file and the JSON path."""
    ws = app.workspace
    paths = [Path(f) for f in files] if files else ws.config_files()
    if not paths:
        raise InputError(f"no config files in {ws.configs_dir}")
    results: list[dict[str, Any]] = []
    issues: list[ConfigIssue] = []
    for path in paths:
        shown = ws.display(path) if path.is_absolute() else str(path)
        try:
            loaded = load_config(
                path,
                display=shown,
                configs_dir=ws.configs_dir,
                connections_hint=str(ws.connections_path),
            )
        except ConfigError as exc:
            issues.extend(exc.issues)
            results.append({"file": shown, "ok": False, "entries": 0,
                            "issues": [i.as_dict() for i in exc.issues]})
            continue
        results.append({
            "file": shown,
            "ok": True,
            "entries": len(loaded.entries),
            "tables": [e.table for e in loaded.entries],
            "issues": [],
        })
    if as_json:
        emit_json({"ok": not issues, "files": results})
    else:
        out = console()
        for r in results:
            if r["ok"]:
                tables = ", ".join(r["tables"])
                out.print(f"✓ {r['file']}: {r['entries']} entr{'y' if r['entries'] == 1 else 'ies'}"
                          f" ({tables})")
    if issues:
        raise ConfigError(issues)


@config_group.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the config format (for editors: "$schema" or settings)."""
    schema = ConfigFile.model_json_schema(by_alias=True)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "snowetl-tui load config",
    }
    click.echo(json.dumps(schema, indent=2))


@config_group.command("migrate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="Connection name to create (default: derived from the file name).")
@click.option("--force", is_flag=True, help="Replace a different connection of the same name.")
@pass_app
def migrate_cmd(app: AppContext, file: str, name: str | None, force: bool) -> None:
    """Move a legacy `snowflake` block (with its password) into Snowflake's connections.toml
    and make the config reference the connection by name. Keeps a backup without secrets."""
    from snowetl_tui.config.migrate import migrate_config

    ws = app.workspace
    path = Path(file)
    result = migrate_config(path, ws.connections_path, name=name, force=force, display=file)
    out = console()
    verb = "replaced" if result.replaced_existing else "wrote"
    out.print(f"✓ {verb} connection '{result.name}' in {result.connections} (mode 0600; "
              f"keys: {', '.join(result.keys)}, password kept there only)")
    out.print(f"✓ {file} now uses \"target\": \"{result.name}\"")
    out.print(f"  backup of the old config (secrets blanked): {result.backup}")


@config_group.command("generate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--write", is_flag=True, help="Save each config under configs/.")
@click.option("--force", is_flag=True, help="With --write: overwrite an existing config file.")
@click.option("--json", "as_json", is_flag=True, help="Print the generated configs as JSON.")
@pass_app
def generate_cmd(
    app: AppContext, files: tuple[str, ...], write: bool, force: bool, as_json: bool
) -> None:
    """Sniff FILES (head only) and generate a config entry for them: delimiter, quoting,
    header, column types, the date column and its format, the file pattern, a table name."""
    from snowetl_tui.config.generate import generate

    ws = app.workspace
    paths = []
    for f in files:
        p = Path(f)
        if not p.exists():
            raise InputError(f"{f}: no such file")
        if p.is_dir():
            raise InputError(f"{f}: is a directory; give the data files")
        paths.append(p)
    generated = generate(paths, ws.configs_dir)
    written: list[str] = []
    if write:
        for gen in generated:
            target = ws.configs_dir / gen.filename
            if target.exists() and not force:
                raise InputError(
                    f"{ws.display(target)} already exists; use --force to overwrite it"
                )
        ws.configs_dir.mkdir(parents=True, exist_ok=True)
        for gen in generated:
            target = ws.configs_dir / gen.filename
            target.write_text(gen.text(), encoding="utf-8")
            written.append(ws.display(target))
    if as_json:
        emit_json([
            {"files": [str(f) for f in g.files], "filename": g.filename, "config": g.config,
             "written": write}
            for g in generated
        ])
        return
    out = console()
    for gen in generated:
        out.print(f"# configs/{gen.filename}  (from {', '.join(f.name for f in gen.files)})")
        click.echo(gen.text())
    for w in written:
        out.print(f"✓ wrote {w}")
    if not write:
        out.print("(not written; add --write to save under configs/)")
