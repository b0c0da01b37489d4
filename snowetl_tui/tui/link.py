"""The engine link: one async worker that keeps a subscription to the engine alive.

It turns the client's snapshot + deltas into :mod:`messages` for the app and, when the engine
goes away (stopped, restarted, socket lost), reports it and reconnects with capped backoff. It
is the only place the app awaits the engine's event stream, so a slow terminal never slows the
engine: the client keeps reading the socket and the app renders the latest state on its own
schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from textual.message import Message

from snowetl_tui.client import EngineClient, EngineError
from snowetl_tui.errors import SnowetlError
from snowetl_tui.tui.messages import EngineDisconnected, EngineSnapshot, JobChanged
from snowetl_tui.workspace import Workspace

BACKOFF_START = 0.5
BACKOFF_MAX = 10.0


class LinkClient(Protocol):
    """What the app needs of an engine client (the real one, or a scripted one in tests)."""

    closed: bool

    async def connect(self) -> None: ...

    async def subscribe(self) -> dict[str, Any]: ...

    def events(self) -> AsyncIterator[dict[str, Any]]: ...

    async def request(self, op: str, **args: Any) -> Any: ...

    async def close(self) -> None: ...


ClientFactory = Callable[[], LinkClient]


def real_client_factory(ws: Workspace) -> ClientFactory:
    """Clients of the workspace's engine; the first connection starts the engine if needed."""
    return lambda: EngineClient(ws, autostart=True)


async def run_link(factory: ClientFactory, post: Callable[[Message], Any],
                   on_client: Callable[[LinkClient | None], None],
                   sleep: Callable[[float], Any] = asyncio.sleep) -> None:
    """Connect, subscribe, forward events; on loss, report and retry with backoff. Never
    returns on its own: the app cancels the worker on exit."""
    backoff = BACKOFF_START
    while True:
        client = factory()
        reason = "the engine closed the connection"
        try:
            await client.connect()
            snap = await client.subscribe()
            on_client(client)
            backoff = BACKOFF_START
            post(EngineSnapshot(snap.get("engine", {}), list(snap.get("jobs", []))))
            async for msg in client.events():
                if msg.get("type") == "snapshot":
                    post(EngineSnapshot(msg.get("engine", {}), list(msg.get("jobs", []))))
                elif msg.get("type") == "job":
                    post(JobChanged(msg["job"]))
        except (EngineError, SnowetlError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
        finally:
            on_client(None)
            with contextlib.suppress(Exception):
                await client.close()
        post(EngineDisconnected(reason, backoff))
        await sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_MAX)
