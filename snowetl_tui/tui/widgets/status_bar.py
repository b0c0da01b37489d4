"""The status bar: workspace, engine link and pid/uptime, job counts by state, last update.

Counts are words with symbols (``▶ 2 running``), not colours, and the link state is spelled
out (``connected`` / ``reconnecting in 4s``) so an operator over a flaky SSH link knows whether
what they see is live.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from snowetl_tui.tui.state import STATE_LOOK, Clock, EngineState, human_duration, parse_iso


class StatusBar(Static):
    """One line, docked at the top under the view tabs."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $boost; color: $text; padding: 0 1; }
    """

    def __init__(self, workspace_name: str, clock: Clock, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.workspace_name = workspace_name
        self.clock = clock

    def update_from(self, state: EngineState, narrow: bool = False) -> None:
        self.update(self.render_text(state, narrow))

    def render_text(self, state: EngineState, narrow: bool = False) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        if not narrow:
            t.append(f"{self.workspace_name}  ", style="bold")
        if state.connected:
            eng = state.engine
            started = parse_iso(eng.get("started"))
            up = (self.clock.wall() - started).total_seconds() if started else None
            t.append("● engine ", style="green")
            t.append(f"pid {eng.get('pid', '?')}")
            if up is not None and not narrow:
                t.append(f" up {human_duration(up)}")
            if eng.get("draining"):
                t.append(" stopping", style="bold yellow")
        elif state.reconnect_in is not None:
            t.append("○ engine disconnected", style="bold red")
            t.append(f" — reconnecting in {human_duration(state.reconnect_in)}")
        else:
            t.append("○ connecting to the engine…", style="yellow")
        counts = state.counts()
        shown = [s for s in ("running", "queued", "paused", "failed") if counts.get(s)]
        t.append("  ")
        if not shown and state.connected:
            t.append("no active jobs  ", style="dim")
        for s in shown:
            symbol, word, _ = STATE_LOOK[s]
            t.append(f"{symbol} {counts[s]} {word}  ",
                     style="bold red" if s == "failed" else "")
        if state.last_update is not None and not narrow:
            t.append(f"updated {state.last_update.strftime('%H:%M:%S')}", style="dim")
        return t
