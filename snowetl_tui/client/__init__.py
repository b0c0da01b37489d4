"""Clients of the engine: the socket client (autostarts the daemon) used by the CLI and the TUI.

The TUI imports from here only; it never reaches into ``snowetl_tui.engine`` beyond the protocol.
"""

from snowetl_tui.client.socket_client import (
    CommandFailed,
    EngineClient,
    EngineError,
    call,
    engine_status,
    start_engine,
    wait_engine_gone,
)

__all__ = [
    "CommandFailed",
    "EngineClient",
    "EngineError",
    "call",
    "engine_status",
    "start_engine",
    "wait_engine_gone",
]
