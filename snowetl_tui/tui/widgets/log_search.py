"""The one-line bar under a log where a search (``/``) or a filter (``\\``) is typed.

Enter submits (an empty box clears); esc closes it, once any running scan is stopped. ctrl+t
toggles "match case" and ctrl+r "regular expression" (also clickable). A bad regular expression
is reported in the bar, in words, and nothing is submitted — the scan itself runs in the view's
worker, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from snowetl_tui.logindex.search import Query, QueryError

MODES = {"search": "Search", "filter": "Filter"}


class _Toggle(Static):
    """A clickable option: ``☑ match case ^T`` (a box and words, not a colour)."""

    def __init__(self, option: str, id: str) -> None:
        super().__init__(id=id)
        self.option = option


class LogSearchBar(Vertical):
    """Prompt, input, the two options and an error line (when the regex is bad)."""

    TITLE = "Logs search bar"  # the "Where" column of the help screen
    BINDINGS = [
        Binding("escape", "close", "Close", id="logs.bar.close"),
        Binding("ctrl+t", "toggle_option('case_sensitive')", "Match case", id="logs.bar.case"),
        Binding("ctrl+r", "toggle_option('regex')", "Regex", id="logs.bar.regex"),
    ]
    DEFAULT_CSS = """
    LogSearchBar { height: auto; background: $boost; display: none; }
    LogSearchBar.-open { display: block; }
    LogSearchBar #bar-row { height: 1; }
    LogSearchBar #bar-prompt { width: auto; padding: 0 1; text-style: bold; }
    LogSearchBar Input, LogSearchBar Input:focus { width: 1fr; height: 1; border: none;
                                                   padding: 0; }
    LogSearchBar Input.-invalid { background: $error 25%; }
    LogSearchBar _Toggle { width: auto; padding: 0 1; }
    LogSearchBar #bar-error { display: none; height: 1; color: $error; padding: 0 1; }
    LogSearchBar.-error #bar-error { display: block; }
    """

    mode: reactive[str] = reactive("search", init=False)
    case_sensitive: reactive[bool] = reactive(False, init=False)
    regex: reactive[bool] = reactive(False, init=False)

    @dataclass
    class Submitted(Message):
        """Enter in the bar: a query to run, or None to clear (the box was empty)."""

        mode: str
        query: Query | None

    @dataclass
    class CloseRequested(Message):
        """Esc in the bar. The view decides: stop a running scan first, else close."""

        mode: str

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar-row"):
            yield Label("Search:", id="bar-prompt")
            yield Input(id="bar-input", select_on_focus=True)
            yield _Toggle("case_sensitive", id="bar-case")
            yield _Toggle("regex", id="bar-regex")
        yield Static(id="bar-error", markup=False)

    def on_click(self, event: Click) -> None:
        if isinstance(event.widget, _Toggle):
            event.stop()
            self.toggle(event.widget.option)

    def on_mount(self) -> None:
        self._show_options()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def input(self) -> Input:
        return self.query_one("#bar-input", Input)

    def open(self, mode: str, query: Query | None) -> None:
        """Show the bar for ``mode``, prefilled with the query already in force."""
        self.mode = mode
        self.query_one("#bar-prompt", Label).update(f"{MODES[mode]}:")
        if query is not None:
            self.case_sensitive, self.regex = query.case_sensitive, query.regex
        self.input.value = query.text if query else ""
        self.input.placeholder = "text or regex — enter applies, empty enter clears" \
            if mode == "filter" else "text or regex — enter searches, empty enter clears"
        self._set_error(None)
        self.add_class("-open")
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")

    def action_close(self) -> None:
        self.post_message(self.CloseRequested(self.mode))

    def action_toggle_option(self, option: str) -> None:
        self.toggle(option)

    def toggle(self, option: str) -> None:
        setattr(self, option, not getattr(self, option))
        self._validate(self.input.value)

    def watch_case_sensitive(self) -> None:
        self._show_options()

    def watch_regex(self) -> None:
        self._show_options()

    def _show_options(self) -> None:
        narrow = self.app.size.width < 100
        case = "Aa" if narrow else "match case"
        regex = ".*" if narrow else "regex"
        self.query_one("#bar-case", _Toggle).update(
            f"{'☑' if self.case_sensitive else '☐'} {case} ^T")
        self.query_one("#bar-regex", _Toggle).update(f"{'☑' if self.regex else '☐'} {regex} ^R")

    def current_query(self) -> Query | None:
        text = self.input.value
        return Query(text, self.regex, self.case_sensitive) if text else None

    def _validate(self, text: str) -> bool:
        if not text or not self.regex:
            self._set_error(None)
            return True
        try:
            Query(text, True, self.case_sensitive).compile()
        except QueryError as exc:
            self._set_error(str(exc))
            return False
        self._set_error(None)
        return True

    def _set_error(self, error: str | None) -> None:
        self.input.set_class(error is not None, "-invalid")
        self.set_class(error is not None, "-error")
        self.query_one("#bar-error", Static).update(f"✗ {error}" if error else "")

    @on(Input.Changed, "#bar-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._validate(event.value)

    @on(Input.Submitted, "#bar-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self._validate(event.value):
            return
        self.close()
        self.post_message(self.Submitted(self.mode, self.current_query()))
