"""What the app knows about the engine, plus the words and symbols it shows for job states.

Kept free of widgets so views, the status bar and tests share one source of truth. Colour is
never the only signal: every state has a word and a symbol (DESIGN §2, operators on 16-colour or
``NO_COLOR`` terminals, screen readers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: state → (symbol, word, style). The word is always printed; the style is decoration.
STATE_LOOK: dict[str, tuple[str, str, str]] = {
    "queued": ("◌", "queued", "dim"),
    "running": ("▶", "running", "bold $accent"),
    "paused": ("‖", "paused", "$warning"),
    "succeeded": ("✓", "succeeded", "$success"),
    "failed": ("✗", "failed", "bold $error"),
    "cancelled": ("⊘", "cancelled", "$text-muted"),
}
ACTIVE = frozenset({"queued", "running", "paused"})


def state_label(state: str) -> str:
    """``"▶ running"`` — symbol and word, never colour alone."""
    symbol, word, _ = STATE_LOOK.get(state, ("?", state, ""))
    return f"{symbol} {word}"


def human_bytes(n: float | None) -> str:
    """1536 → ``"1.5 KB"`` (decimal units, as disks and the CLI report them)."""
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns


def human_duration(seconds: float | None) -> str:
    """75 → ``"1m15s"``; None → ``"-"``."""
    if seconds is None or seconds < 0:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def human_rate(bytes_per_s: float | None) -> str:
    if not bytes_per_s:
        return "-"
    return f"{bytes_per_s / 1e6:.0f} MB/s" if bytes_per_s >= 1e7 else \
        f"{bytes_per_s / 1e6:.1f} MB/s"


def parse_iso(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class Clock:
    """Wall and monotonic time, injectable so snapshots and ETAs are stable in tests."""

    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    mono: Callable[[], float] = field(default=time.monotonic)


@dataclass
class EngineState:
    """The engine as last seen: its info block, every job, and whether the link is up."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)
    connected: bool = False
    reconnect_in: float | None = None
    error: str | None = None
    last_update: datetime | None = None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for job in self.jobs.values():
            out[job.get("state", "?")] = out.get(job.get("state", "?"), 0) + 1
        return out

    def active_jobs(self) -> list[dict[str, Any]]:
        return [j for j in self.jobs.values() if j.get("state") in ACTIVE]

    def jobs_for_file(self, path: str) -> list[dict[str, Any]]:
        """Jobs of one file, newest first (ids sort by creation time)."""
        return sorted((j for j in self.jobs.values() if j.get("file") == path),
                      key=lambda j: j["id"], reverse=True)
