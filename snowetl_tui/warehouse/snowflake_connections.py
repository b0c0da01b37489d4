"""Resolving a Snowflake connection name to connector parameters — without ever owning secrets.

Load configs only *name* a connection (``target``). The parameters live in Snowflake's own
``connections.toml`` (``$SNOWFLAKE_HOME/connections.toml``, default ``~/.snowflake``), the file
SnowSQL, the Snowflake CLI and the connector already share, so key-pair, SSO (externalbrowser),
OAuth (``token``/``token_file_path``), PAT and password set-ups all work exactly as the operator
configured them: we pass the section's keys to ``snowflake.connector.connect`` untouched.

Configs of the previous tool carry an inline ``snowflake`` block instead (account, user, ...).
It is accepted for migration, but its password may only come from ``$SNOWFLAKE_PASSWORD``.

Every message built here names the file, the connection and the account — never a secret.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snowetl_tui.warehouse.base import WarehouseError
from snowetl_tui.workspace import snowflake_home

log = logging.getLogger(__name__)

ENV_PASSWORD = "SNOWFLAKE_PASSWORD"

#: Parameter names whose values are secrets: never logged, scrubbed from every message.
SECRET_KEYS = frozenset(
    {
        "password",
        "token",
        "passcode",
        "private_key",
        "private_key_file_pwd",
        "private_key_pwd",
        "oauth_client_secret",
        "oauth_refresh_token",
        "proxy_password",
    }
)

#: Keys of the legacy inline block that are handed to the connector as they are.
_INLINE_KEYS = (
    "account",
    "user",
    "warehouse",
    "database",
    "schema",
    "role",
    "authenticator",
    "private_key_file",
    "region",
    "host",
)

#: Parameter values that are paths: ``~`` is expanded so operators can write ``~/.ssh/key.p8``.
_PATH_KEYS = ("private_key_file", "token_file_path")


@dataclass(frozen=True)
class ResolvedConnection:
    """Connector parameters of a named connection plus what messages may say about it."""

    name: str
    source: str  # the connections.toml path, or "inline config block"
    params: dict[str, Any] = field(repr=False)

    @property
    def account(self) -> str:
        return str(self.params.get("account") or self.params.get("host") or "?")

    @property
    def user(self) -> str | None:
        user = self.params.get("user")
        return str(user) if user else None

    @property
    def secrets(self) -> list[str]:
        """Secret values to scrub from any text that might reach a log or a message."""
        found = [str(v) for k, v in self.params.items() if k.lower() in SECRET_KEYS and v]
        token_file = self.params.get("token_file_path")
        if token_file:
            try:
                text = Path(str(token_file)).expanduser().read_text().strip()
            except OSError:
                text = ""
            if text:
                found.append(text)
        return found

    def describe(self) -> str:
        """``connection 'prod' (account 'xy12345')`` — for messages."""
        return f"connection '{self.name}' (account '{self.account}')"


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value replaced by ``***``.

    The connector does not put secrets into its messages, but an exception text can quote a
    parameter back (a URL, a malformed value); scrubbing is the cheap guarantee.
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def default_connections_path() -> Path:
    """Snowflake's own ``connections.toml``."""
    return snowflake_home() / "connections.toml"


def warn_if_readable_by_others(path: Path) -> None:
    """Warn (do not fail) when the file holding credentials is group/world readable.

    The connector refuses nothing in that case either; a loud hint with the exact fix is
    what helps the operator, a failure would only block a load.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        msg = (
            f"{path} is readable by other users (mode {stat.S_IMODE(mode):03o}); it may hold "
            f"credentials: run `chmod 600 {path}`"
        )
        log.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)


def resolve_connection(
    name: str,
    *,
    connections_path: Path | None = None,
    inline: dict[str, Any] | None = None,
) -> ResolvedConnection:
    """The connector parameters of ``name`` (or of the legacy ``inline`` block).

    Raises :class:`WarehouseError` with a one-line message naming the file and the known
    connection names when ``name`` is not defined.
    """
    if inline is not None:
        return _resolve_inline(name, inline)
    path = connections_path or default_connections_path()
    if not path.is_file():
        raise WarehouseError(
            f"unknown connection '{name}': {path} does not exist; create it with a [{name}] "
            "section (account, user, authenticator or private_key_file ...) and chmod 600 it"
        )
    warn_if_readable_by_others(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise WarehouseError(f"cannot read {path}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        # the decoder's message gives line and column, never the offending value
        raise WarehouseError(f"{path} is not valid TOML: {exc}") from None
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    section = sections.get(name)
    if section is None and name == "default":
        default_name = data.get("default_connection_name")
        if isinstance(default_name, str):
            section = sections.get(default_name)
    if section is None:
        known = ", ".join(sorted(sections)) or "(none)"
        raise WarehouseError(f"unknown connection '{name}' in {path}; known: {known}")
    params: dict[str, Any] = dict(section)
    for key in _PATH_KEYS:
        if isinstance(params.get(key), str):
            params[key] = str(Path(params[key]).expanduser())
    return ResolvedConnection(name=name, source=str(path), params=params)


def _resolve_inline(name: str, inline: dict[str, Any]) -> ResolvedConnection:
    """Parameters from a legacy inline block; the password comes only from the environment."""
    if inline.get("password"):
        raise WarehouseError(
            f"connection '{name}': a password in the config file is not accepted; put the "
            f"connection in {default_connections_path()} or export {ENV_PASSWORD}"
        )
    params: dict[str, Any] = {}
    for key in _INLINE_KEYS:
        value = inline.get(key)
        if value is None and key == "schema":
            value = inline.get("schema_")
        if value not in (None, ""):
            params[key] = value
    if not params.get("account"):
        raise WarehouseError(f"connection '{name}': the inline snowflake block has no account")
    for key in _PATH_KEYS:
        if isinstance(params.get(key), str):
            params[key] = str(Path(params[key]).expanduser())
    needs_password = "authenticator" not in params and "private_key_file" not in params
    password = os.environ.get(ENV_PASSWORD)
    if password:
        params["password"] = password
    elif needs_password:
        raise WarehouseError(
            f"connection '{name}' (account '{params['account']}'): no password; export "
            f"{ENV_PASSWORD} or move the connection to {default_connections_path()}"
        )
    return ResolvedConnection(name=name, source="inline config block", params=params)
