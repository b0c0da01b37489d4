"""Transient warehouse errors are retried with capped backoff; terminal ones are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from snowetl_tui.config.registry import ConfigRegistry
from snowetl_tui.load.pipeline import Loader
from snowetl_tui.warehouse.base import WarehouseError
from snowetl_tui.workspace import Workspace


@pytest.fixture
def loader(ws: Path) -> tuple[Loader, list[float]]:
    sleeps: list[float] = []
    w = Workspace.resolve(ws)
    return Loader(w, ConfigRegistry(w, []), sleep=sleeps.append), sleeps


def test_transient_errors_are_retried_with_growing_delays(loader):
    lo, sleeps = loader
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 4:
            raise WarehouseError("HTTP 503 from the account", transient=True)
        return "ok"

    assert lo._retry(flaky) == "ok"
    assert len(calls) == 4 and len(sleeps) == 3
    # jittered between 50 % and 150 % of 0.5 s, 1 s, 2 s: strictly growing bands, capped at 8 s
    assert 0.25 <= sleeps[0] <= 0.75 and 0.5 <= sleeps[1] <= 1.5 and 1.0 <= sleeps[2] <= 3.0


def test_terminal_errors_fail_at_once(loader):
    lo, sleeps = loader
    calls = []

    def broken():
        calls.append(1)
        raise WarehouseError("SQL compilation error: table X does not exist")

    with pytest.raises(WarehouseError, match="compilation"):
        lo._retry(broken)
    assert calls == [1] and sleeps == []


def test_gives_up_after_the_last_attempt(loader):
    lo, sleeps = loader

    def down():
        raise WarehouseError("connection reset", transient=True)

    with pytest.raises(WarehouseError, match="reset"):
        lo._retry(down, attempts=3)
    assert len(sleeps) == 2
