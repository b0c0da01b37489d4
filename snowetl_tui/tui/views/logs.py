"""The Logs view (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from snowetl_tui.tui.views.base import View

BINDABLE: list[type] = []


class LogsView(View):
    VIEW_NAME = "logs"
    TITLE = "Logs"

    def compose(self) -> ComposeResult:
        yield Static("Logs", id="logs-body")
