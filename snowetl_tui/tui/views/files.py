"""The Files view (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from snowetl_tui.tui.views.base import View

BINDABLE: list[type] = []


class FilesView(View):
    VIEW_NAME = "files"
    TITLE = "Files"

    def compose(self) -> ComposeResult:
        yield Static("Files", id="files-body")
