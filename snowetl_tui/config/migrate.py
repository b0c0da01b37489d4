"""``config migrate``: move a legacy inline connection into Snowflake's connections.toml.

The previous tool kept account, user and a plaintext password in each JSON config. We move the
connection (password included) into the connector's own ``connections.toml`` (mode 0600, which
the connector itself checks), rewrite the config to reference the connection by name, and keep a
backup of the old config with its secrets blanked — so no copy of the password is left behind in
``configs/`` and nothing secret is ever printed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from snowetl_tui.config.loader import SECRET_KEYS, parse_json, read_config_text
from snowetl_tui.config.types import check_connection_name
from snowetl_tui.errors import ConfigError, ConfigIssue, InputError

# Legacy key → connector keyword (connections.toml uses the connector's connect() names).
_KEYS = {
    "account": "account",
    "user": "user",
    "password": "password",
    "warehouse": "warehouse",
    "database": "database",
    "schema": "schema",
    "role": "role",
    "authenticator": "authenticator",
    "private_key_file": "private_key_file",
    "region": "region",
    "host": "host",
}
REDACTED = "<moved to connections.toml>"


@dataclass(frozen=True)
class MigrationResult:
    """What was done, for the CLI to report (no secret in here)."""

    config: Path
    backup: Path
    connections: Path
    name: str
    keys: tuple[str, ...]
    replaced_existing: bool


def default_name(config: Path) -> str:
    """A connection name derived from the config's file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", config.stem).strip("_.-") or "migrated"
    return name[:64]


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _backup_path(config: Path) -> Path:
    candidate = config.with_name(config.name + ".bak")
    n = 1
    while candidate.exists():
        candidate = config.with_name(f"{config.name}.bak{n}")
        n += 1
    return candidate


def migrate_config(
    config: Path,
    connections: Path,
    *,
    name: str | None = None,
    force: bool = False,
    display: str | None = None,
) -> MigrationResult:
    """Move the ``snowflake`` block of ``config`` into ``connections`` under ``name``."""
    shown = display or str(config)
    text = read_config_text(config, shown)
    raw = parse_json(text, shown)
    if not isinstance(raw, dict) or not isinstance(raw.get("snowflake"), dict):
        raise ConfigError(
            [ConfigIssue(shown, "snowflake", "no legacy `snowflake` block: nothing to migrate")]
        )
    block: dict[str, Any] = raw["snowflake"]
    unknown = sorted(set(block) - set(_KEYS))
    if unknown:
        raise ConfigError(
            [
                ConfigIssue(
                    shown,
                    f"snowflake.{unknown[0]}",
                    f"unknown key '{unknown[0]}'; expected one of: {', '.join(_KEYS)}",
                )
            ]
        )
    for key, value in block.items():
        if value is not None and not isinstance(value, str | int):
            raise ConfigError([ConfigIssue(shown, f"snowflake.{key}", "expected a string")])
    params = {_KEYS[k]: v for k, v in block.items() if v not in (None, "")}
    if not params.get("account"):
        raise ConfigError(
            [ConfigIssue(shown, "snowflake.account", "missing: a connection needs an account")]
        )
    name = name or default_name(config)
    try:
        check_connection_name(name)
    except ValueError as exc:
        raise InputError(str(exc)) from None

    existing: dict[str, Any] = {}
    old_text = ""
    if connections.exists():
        try:
            old_text = connections.read_text(encoding="utf-8")
            existing = tomllib.loads(old_text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(
                f"{connections}: cannot read it as TOML ({exc}); fix it first"
            ) from None
    replaced = False
    if name in existing:
        if existing[name] != params and not force:
            raise InputError(
                f"{connections} already has a different connection '{name}'; choose another "
                "name with --name, or replace it with --force"
            )
        replaced = existing[name] != params
        existing[name] = params
        new_text = tomli_w.dumps(existing)
    else:
        sep = "" if not old_text or old_text.endswith("\n\n") else (
            "\n" if old_text.endswith("\n") else "\n\n"
        )
        new_text = old_text + sep + tomli_w.dumps({name: params})
    connections.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _atomic_write(connections, new_text.encode("utf-8"), 0o600)

    backup = _backup_path(config)
    redacted = dict(raw)
    redacted["snowflake"] = {
        k: (REDACTED if k in SECRET_KEYS and v not in (None, "") else v) for k, v in block.items()
    }
    _atomic_write(backup, (json.dumps(redacted, indent=2) + "\n").encode(), 0o600)

    rewritten: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "snowflake":
            continue
        rewritten[key] = value
        if key == "version" and "target" not in raw:
            rewritten["target"] = name
    if "target" not in rewritten or raw.get("target") is None:
        rewritten["target"] = name
    mode = config.stat().st_mode & 0o777
    _atomic_write(config, (json.dumps(rewritten, indent=2) + "\n").encode(), mode)
    return MigrationResult(
        config, backup, connections, name, tuple(sorted(k for k in params if k != "password")),
        replaced,
    )
