"""Locating a workspace and every path the tool uses inside it.

A workspace is a plain directory holding ``configs/`` (load configs), ``logs/`` (job and engine
logs, reports) and ``.snowetl/`` (state: the SQLite store and ledger, the embedded DuckDB
database, the engine's pid file and socket, the spool of compressed parts). It is chosen by
``--workspace DIR``, else ``$SNOWETL_WORKSPACE``, else the current directory, so cron jobs and
interactive sessions agree on where state lives without any global registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from snowetl_tui.errors import InputError

ENV_WORKSPACE = "SNOWETL_WORKSPACE"
APP_NAME = "snowetl-tui"


def snowflake_home() -> Path:
    """Directory of Snowflake's own ``connections.toml`` (``$SNOWFLAKE_HOME`` or ``~/.snowflake``).

    We never keep credentials ourselves: load configs name a connection defined here.
    """
    env = os.environ.get("SNOWFLAKE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".snowflake"


@dataclass(frozen=True)
class Workspace:
    """All paths of one workspace; creating the object touches nothing on disk."""

    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> Workspace:
        """Pick the workspace from the flag, the environment or the current directory."""
        raw = explicit if explicit else os.environ.get(ENV_WORKSPACE) or os.getcwd()
        root = Path(raw).expanduser()
        if root.exists() and not root.is_dir():
            raise InputError(f"workspace {root} is not a directory")
        return cls(root.resolve())

    @property
    def configs_dir(self) -> Path:
        return self.root / "configs"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def reports_dir(self) -> Path:
        return self.logs_dir / "reports"

    @property
    def state_dir(self) -> Path:
        return self.root / ".snowetl"

    @property
    def store_path(self) -> Path:
        return self.state_dir / "store.sqlite"

    @property
    def local_db_path(self) -> Path:
        return self.state_dir / "local.duckdb"

    @property
    def spool_dir(self) -> Path:
        return self.state_dir / "spool"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "engine.pid"

    @property
    def socket_path(self) -> Path:
        return self.state_dir / "engine.sock"

    @property
    def engine_log_path(self) -> Path:
        return self.logs_dir / "engine.log"

    @property
    def cli_log_path(self) -> Path:
        return self.logs_dir / "cli.log"

    @property
    def settings_path(self) -> Path:
        return self.root / "snowetl.toml"

    @property
    def user_settings_path(self) -> Path:
        return Path(platformdirs.user_config_dir(APP_NAME)) / "settings.toml"

    @property
    def connections_path(self) -> Path:
        return snowflake_home() / "connections.toml"

    def ensure(self) -> Workspace:
        """Create the workspace directories (idempotent); state is private to the owner."""
        for d in (self.configs_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    def paths(self) -> dict[str, Path]:
        """Every path the tool uses, for ``snowetl-tui locate``."""
        return {
            "workspace": self.root,
            "configs": self.configs_dir,
            "logs": self.logs_dir,
            "reports": self.reports_dir,
            "state": self.state_dir,
            "store": self.store_path,
            "local_database": self.local_db_path,
            "spool": self.spool_dir,
            "engine_pid": self.pid_path,
            "engine_socket": self.socket_path,
            "engine_log": self.engine_log_path,
            "cli_log": self.cli_log_path,
            "settings": self.settings_path,
            "user_settings": self.user_settings_path,
            "snowflake_connections": self.connections_path,
        }

    def config_files(self) -> list[Path]:
        """The load configs of this workspace, in a stable order."""
        if not self.configs_dir.is_dir():
            return []
        return sorted(p for p in self.configs_dir.glob("*.json") if p.is_file())

    def display(self, path: Path) -> str:
        """A path relative to the workspace when inside it, so messages stay short."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)
