"""The Tables view (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from snowetl_tui.tui.views.base import View

BINDABLE: list[type] = []


class TablesView(View):
    VIEW_NAME = "tables"
    TITLE = "Tables"

    def compose(self) -> ComposeResult:
        yield Static("Tables", id="tables-body")
