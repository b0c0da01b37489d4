"""What every top-level view shares, and the small API the app offers views.

A view is a container in the app's content switcher. The app calls :meth:`View.state_changed`
(after engine updates, coalesced: a burst of deltas renders once) and :meth:`View.open` (when the
view is shown, with arguments such as ``job=`` or ``path=``). Views reach the engine only through
``self.snow.engine_request`` / ``self.snow.run_command`` and read ``self.snow.engine_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import Vertical

if TYPE_CHECKING:
    from snowetl_tui.tui.app import SnowetlApp
    from snowetl_tui.tui.state import EngineState

#: A command-palette entry a view offers: (title, help, callback).
PaletteCommand = tuple[str, str, Callable[[], Any]]


class View(Vertical):
    """Base of the Files, Jobs, Logs and Tables views."""

    VIEW_NAME: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    #: One short paragraph shown at the top of the help screen for this view.
    HELP: ClassVar[str] = ""

    @property
    def snow(self) -> SnowetlApp:
        from snowetl_tui.tui.app import SnowetlApp

        app = self.app
        assert isinstance(app, SnowetlApp)
        return app

    @property
    def engine_state(self) -> EngineState:
        return self.snow.engine_state

    def state_changed(self, changed: set[str] | None) -> None:
        """Jobs ``changed`` (ids) since the last call; None = everything may have changed
        (new snapshot, reconnect). Views update by diff, never by rebuilding."""

    def open(self, **args: Any) -> None:
        """The view is being shown (``args`` from :meth:`SnowetlApp.show_view`)."""

    def focus_default(self) -> None:
        """Put the focus where the user expects it when the view is shown."""
        self.focus_next_in_view()

    def focus_next_in_view(self) -> None:
        for widget in self.query("*"):
            if widget.can_focus and widget.display:
                widget.focus()
                return

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Extra command-palette entries while this view is active."""
        return ()
