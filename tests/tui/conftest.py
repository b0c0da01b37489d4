"""Pilot fixtures: a demo-like workspace, the fake engine, an app factory with a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.tui.app import SnowetlApp, make_app
from snowetl_tui.tui.state import Clock
from snowetl_tui.workspace import Workspace
from tests.tui.fake_engine import FakeEngine

FIXED_NOW = datetime(2026, 11, 27, 7, 30, 0, tzinfo=UTC)


def fixed_clock() -> Clock:
    """Wall clock frozen (uptimes, "updated hh:mm:ss"); monotonic advancing is harmless."""
    return Clock(wall=lambda: FIXED_NOW, mono=lambda: 1000.0)


@pytest.fixture
def tui_ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    (root / "configs").mkdir(parents=True)
    (root / "logs").mkdir()
    return Workspace(root)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def make_tui(tui_ws: Workspace, engine: FakeEngine) -> Callable[..., SnowetlApp]:
    def make(start_path: Path | None = None, **kwargs: Any) -> SnowetlApp:
        return make_app(tui_ws, start_path or tui_ws.root, client_factory=engine.factory,
                        clock=fixed_clock(), watch_tty=False, **kwargs)

    return make


async def wait_until(pilot: Any, cond: Callable[[], bool], what: str,
                     steps: int = 400) -> None:
    """Drain messages until ``cond`` holds (no sleeps: each pause processes pending work)."""
    for _ in range(steps):
        if cond():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for: {what}")


def fixed_dir(name: str) -> Path:
    """A directory at a fixed path, emptied first, for SVG snapshots that show paths (tmp_path
    differs on every run). Snapshot tests run serially, so sharing the parent is safe."""
    import shutil
    import tempfile

    path = Path(tempfile.gettempdir()) / "snowetl-tui-snapshots" / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
