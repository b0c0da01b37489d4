"""The small options dialog behind ``L`` (load) and ``V`` (validate only) in the Files view.

Target, replace-period and priority are the only choices an operator makes per submission;
everything else comes from the matched config. The dialog only collects them: it dismisses
with a :class:`QueueRequest` (or None) and the view sends the command, so a slow engine never
holds a modal open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from snowetl_tui.client.files import check_target, safe_text

SHOW_FILES = 5


@dataclass(frozen=True)
class QueueRequest:
    """What the dialog decided; ``target`` None = each file's config target."""

    files: tuple[str, ...]
    kind: str
    target: str | None
    replace: bool
    priority: int


class QueueDialog(ModalScreen[QueueRequest | None]):
    """Options for queueing ``files``; enter submits from any field, esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="queue.cancel"),
        Binding("ctrl+s", "submit", "Queue", id="queue.submit", show=False),
    ]
    DEFAULT_CSS = """
    QueueDialog { align: center middle; }
    QueueDialog > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                             border: thick $accent; background: $surface; padding: 0 2; }
    QueueDialog #queue-files { height: auto; max-height: 8; margin-bottom: 1; }
    QueueDialog .field { height: auto; }
    QueueDialog .field Label { width: 10; padding-top: 1; }
    QueueDialog .field Input { width: 1fr; }
    QueueDialog .field Checkbox { width: 1fr; }
    QueueDialog #queue-priority { width: 12; }
    QueueDialog .hint { height: auto; color: $text-muted; margin-left: 10; }
    QueueDialog .hint.inline { width: 1fr; margin-left: 1; padding-top: 1; }
    QueueDialog #queue-error { height: auto; color: $error; }
    QueueDialog #queue-buttons { height: auto; align: right middle; }
    QueueDialog Button { margin-left: 2; }
    """

    def __init__(self, files: list[Path], *, kind: str = "load", target: str | None = "local",
                 replace: bool = False, replace_note: str | None = None,
                 skipped: list[str] | None = None) -> None:
        super().__init__()
        self.files = files
        self.kind = kind
        self.default_target = target
        self.default_replace = replace
        self.replace_note = replace_note
        self.skipped = skipped or []

    def compose(self) -> ComposeResult:
        verb = "Load" if self.kind == "load" else "Validate"
        n = len(self.files)
        with Vertical() as box:
            box.border_title = f"{verb} {n} file{'s' if n != 1 else ''}"
            box.border_subtitle = "enter queues · esc cancels"
            yield Static(self._files_text(), id="queue-files")
            with Horizontal(classes="field"):
                yield Label("Target")
                yield Input(self.default_target or "", id="queue-target",
                            placeholder="each file's config target")
            yield Static("local = the embedded DuckDB; any other name is a connection in "
                         "Snowflake's connections.toml", classes="hint")
            if self.kind == "load":
                with Horizontal(classes="field"):
                    yield Label("Replace")
                    yield Checkbox(self._replace_label(self.default_replace),
                                   self.default_replace, id="queue-replace")
                if self.replace_note:
                    yield Static(self.replace_note, classes="hint")
            with Horizontal(classes="field"):
                yield Label("Priority")
                yield Input("0", id="queue-priority", type="integer")
                yield Static("higher runs first; equal: first come, first served",
                             classes="hint inline")
            yield Static("", id="queue-error")
            with Horizontal(id="queue-buttons"):
                yield Button("Cancel", id="queue-no")
                yield Button(f"Queue {verb.lower()}", id="queue-yes", variant="primary")

    @staticmethod
    def _replace_label(on: bool) -> str:
        """The state in words, not only the checkbox colour."""
        return ("on: delete the period's rows and load, in one transaction" if on
                else "off: append (a period already loaded is refused)")

    @on(Checkbox.Changed, "#queue-replace")
    def _replace_changed(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = self._replace_label(event.value)

    def _files_text(self) -> Text:
        t = Text()
        for path in self.files[:SHOW_FILES]:
            t.append("• ")
            t.append(safe_text(path.name) + "\n")
        if len(self.files) > SHOW_FILES:
            t.append(f"  … and {len(self.files) - SHOW_FILES} more\n", style="dim")
        if self.skipped:
            names = ", ".join(safe_text(s) for s in self.skipped[:3])
            more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            t.append(f"! skipped (no config matches): {names}{more}", style="yellow")
        return t

    def on_mount(self) -> None:
        self.query_one("#queue-yes", Button).focus()

    @on(Button.Pressed, "#queue-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#queue-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        """Check the fields; dismiss with the request, or say what is wrong and stay open."""
        target = self.query_one("#queue-target", Input).value.strip() or None
        problem = check_target(target) if target is not None else None
        raw = self.query_one("#queue-priority", Input).value.strip() or "0"
        try:
            priority = int(raw)
        except ValueError:
            problem = problem or f"priority must be a whole number, not {raw!r}"
            priority = 0
        error = self.query_one("#queue-error", Static)
        if problem:
            error.update(Text(f"✗ {problem}"))
            return
        replace = False
        if self.kind == "load":
            replace = self.query_one("#queue-replace", Checkbox).value
        self.dismiss(QueueRequest(tuple(str(p) for p in self.files), self.kind, target,
                                  replace, priority))
