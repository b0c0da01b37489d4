"""The ``o`` picker of the Logs view: the engine log and every job log, newest first.

Known jobs come from the engine state at once (state word + file name); logs on disk whose job
the engine has forgotten are added when a worker has listed ``logs/jobs`` (it can be large).
Typing filters the list; enter opens, esc closes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from snowetl_tui.logindex.catalog import LogEntry, orphan_job_logs
from snowetl_tui.tui.state import state_label
from snowetl_tui.workspace import Workspace


def entry_label(entry: LogEntry, ws: Workspace, width: int) -> Text:
    """``✓ succeeded  J1a2…  orders.csv`` / ``≡ engine log  logs/engine.log``, cut to one row
    of ``width`` cells with an ellipsis (a long file name must not wrap in a narrow terminal)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if entry.job_id is None:
        text.append("≡ engine log".ljust(14), style="bold")
        text.append(ws.display(entry.path), style="dim")
    else:
        text.append((state_label(entry.state) if entry.state else "? log only").ljust(14))
        text.append(entry.job_id, style="bold")
        if entry.name:
            text.append(f"  {entry.name}")
    text.truncate(max(10, width), overflow="ellipsis")
    return text


class LogPickerScreen(ModalScreen[LogEntry | None]):
    """A filterable list of logs; dismisses with the chosen entry (None on esc)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="logs.picker.close"),
        Binding("down", "move(1)", "Next", id="logs.picker.down", show=False),
        Binding("up", "move(-1)", "Previous", id="logs.picker.up", show=False),
    ]
    DEFAULT_CSS = """
    LogPickerScreen { align: center middle; }
    LogPickerScreen > Vertical { width: 90; max-width: 100%; height: 80%; border: thick $accent;
                                 background: $surface; padding: 0 1; }
    LogPickerScreen Input { margin-bottom: 1; }
    LogPickerScreen OptionList { height: 1fr; }
    """

    @dataclass
    class Found(Message):
        """Job logs on disk the engine does not list (from the listing worker)."""

        entries: list[LogEntry]

    def __init__(self, ws: Workspace, entries: list[LogEntry], current: str | None) -> None:
        super().__init__()
        self.ws = ws
        self.entries = list(entries)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Open a log"
            box.border_subtitle = "type to filter · enter opens · esc closes"
            yield Input(placeholder="filter: job id, file name, state…", id="picker-filter")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()
        self._list_orphans([e.job_id for e in self.entries if e.job_id])

    @work(thread=True, exclusive=True, group="log-picker", exit_on_error=False)
    def _list_orphans(self, known: list[str]) -> None:
        self.post_message(self.Found(orphan_job_logs(self.ws, known)))

    @on(Found)
    def _found(self, msg: Found) -> None:
        if msg.entries:
            self.entries.extend(msg.entries)
            self._fill(self.query_one(Input).value)

    def _fill(self, needle: str) -> None:
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else self.current
        options.clear_options()
        needle = needle.lower().strip()
        shown = []
        width = min(90, self.app.size.width) - 8  # box border, padding and scrollbar
        for entry in self.entries:
            label = entry_label(entry, self.ws, width)
            if needle and needle not in label.plain.lower():
                continue
            shown.append(Option(label, id=entry.key))
        options.add_options(shown)
        ids = [o.id for o in shown]
        if shown:
            options.highlighted = ids.index(keep) if keep in ids else 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted_option is not None:
            self._choose(options.highlighted_option.id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, key: str | None) -> None:
        entry = next((e for e in self.entries if e.key == key), None)
        self.dismiss(entry)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_close(self) -> None:
        self.dismiss(None)
