"""``G`` in the Files view: the generated config, shown (highlighted) before anything is written.

The default is not to write: enter on the focused Cancel, esc and n all close without touching
``configs/``; only ``w`` or the Write button write. When a config of that name already exists
the Write button is disabled and the dialog says so — it never overwrites.
"""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from snowetl_tui.client.files import GeneratedConfig, safe_text


class GenerateConfigScreen(ModalScreen[bool]):
    """Dismisses with True only when the user chose to write the config."""

    BINDINGS = [
        Binding("w", "write", "Write config", id="generate.write"),
        Binding("n,escape", "close", "Cancel", id="generate.cancel"),
    ]
    DEFAULT_CSS = """
    GenerateConfigScreen { align: center middle; }
    GenerateConfigScreen > Vertical { width: 96; max-width: 100%; height: 90%;
                                      border: thick $accent; background: $surface; padding: 0 1; }
    GenerateConfigScreen #gen-about { height: auto; margin-bottom: 1; }
    GenerateConfigScreen #gen-scroll { height: 1fr; border: round $panel; }
    GenerateConfigScreen #gen-buttons { height: auto; align: right middle; }
    GenerateConfigScreen Button { margin-left: 2; }
    """

    def __init__(self, generated: GeneratedConfig, shown_target: str) -> None:
        super().__init__()
        self.generated = generated
        self.shown_target = shown_target

    def compose(self) -> ComposeResult:
        gen = self.generated
        with Vertical() as box:
            box.border_title = f"Generated config for {safe_text(gen.source.name)}"
            box.border_subtitle = "w writes · esc / n cancels (default)"
            yield Static(self._about(), id="gen-about")
            with VerticalScroll(id="gen-scroll"):
                yield Static(Syntax(gen.text, "json", theme="ansi_dark", line_numbers=True,
                                    word_wrap=True), id="gen-text")
            with Horizontal(id="gen-buttons"):
                yield Button("Cancel", id="gen-no", variant="primary")
                yield Button(f"Write {self.shown_target}", id="gen-yes", variant="warning",
                             disabled=gen.exists)

    def _about(self) -> Text:
        gen = self.generated
        t = Text()
        t.append("Detected from the head of the file (nothing is read beyond it). Check the "
                 "columns, the date column and the pattern before writing.\n")
        if gen.exists:
            t.append(f"✗ {self.shown_target} already exists — not overwritten. Edit that file, "
                     "or rename it and press G again.", style="bold red")
        else:
            tables = ", ".join(gen.tables)
            t.append(f"Would write {self.shown_target} (table {tables}); the file list "
                     "re-matches as soon as it exists.", style="dim")
        return t

    def on_mount(self) -> None:
        self.query_one("#gen-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "gen-yes":
            self.action_write()
        else:
            self.dismiss(False)

    def action_write(self) -> None:
        if self.generated.exists:
            message = f"{self.shown_target} already exists; not overwritten"
            say = getattr(self.app, "say", None)
            if say is not None:
                say(message, "error")
            else:
                self.notify(message, severity="error", markup=False)
            return
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
