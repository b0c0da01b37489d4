"""The Jobs view (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from snowetl_tui.tui.views.base import View

BINDABLE: list[type] = []


class JobsView(View):
    VIEW_NAME = "jobs"
    TITLE = "Jobs"

    def compose(self) -> ComposeResult:
        yield Static("Jobs", id="jobs-body")
