"""``?`` help: every binding of the current context (hidden ones too), filterable by typing.

The rows are collected by the app from the focus chain when ``?`` is pressed, so the list is
always what the keys do *here* — including keys remapped in ``snowetl.toml`` — plus the view's
own short explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static


@dataclass(frozen=True)
class HelpRow:
    keys: str
    description: str
    binding_id: str
    context: str


class HelpScreen(ModalScreen[None]):
    """A modal table of bindings with a filter box at the top."""

    BINDINGS = [Binding("escape,question_mark,f1", "close", "Close help", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 96; max-width: 100%; height: 90%; border: thick $accent;
                            background: $surface; padding: 0 1; }
    HelpScreen #help-filter { border: none; height: 1; padding: 0 1; margin-bottom: 1; }
    HelpScreen DataTable { height: 1fr; min-height: 5; }
    HelpScreen #help-intro-box { height: auto; max-height: 40%; margin-top: 1; }
    HelpScreen #help-intro { height: auto; color: $text-muted; }
    """

    def __init__(self, title: str, intro: str, rows: list[HelpRow]) -> None:
        super().__init__()
        self.title_text = title
        self.intro = intro
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Help — {self.title_text}"
            box.border_subtitle = "type to filter · esc closes"
            yield Input(placeholder="type to filter keys…", id="help-filter")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="help-intro-box"):
                yield Static(self.intro, id="help-intro")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Keys", "Does", "Where", "Binding id")
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = text.lower().strip()
        for row in self.rows:
            hay = f"{row.keys} {row.description} {row.context} {row.binding_id}".lower()
            if needle and needle not in hay:
                continue
            table.add_row(row.keys, row.description, row.context, row.binding_id)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_close(self) -> None:
        self.dismiss(None)
