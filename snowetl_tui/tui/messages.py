"""Messages from the engine link to the app. The link worker never touches a widget: it posts
these, and the app's handlers own every state change (harlequin's rule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class EngineSnapshot(Message):
    """A full picture: engine info and every job (on connect and after a missed delta)."""

    engine: dict[str, Any]
    jobs: list[dict[str, Any]]


@dataclass
class JobChanged(Message):
    """One job's whole new state (deltas always carry the full job)."""

    job: dict[str, Any]


@dataclass
class EngineDisconnected(Message):
    """The link is down; the worker retries in ``retry_in`` seconds."""

    reason: str
    retry_in: float


@dataclass
class ViewRequest(Message):
    """Ask the app to show a view, optionally at something (``job=..``, ``path=..``)."""

    view: str
    args: dict[str, Any]
