"""The one-line view switcher: ``1 Files  2 Jobs  3 Logs  4 Tables``.

One row instead of Textual's two-row ``Tabs`` (at 80×24 every row counts). The active view is
marked by brackets as well as by style, so it survives ``NO_COLOR``; labels are clickable.
"""

from __future__ import annotations

from textual.widgets import Static


class ViewBar(Static):
    DEFAULT_CSS = """
    ViewBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, views: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.views = views  # (name, title) in key order
        self.active = views[0][0]

    def set_active(self, name: str) -> None:
        self.active = name
        self.update(self.render_text())

    def on_mount(self) -> None:
        self.update(self.render_text())

    def render_text(self) -> str:
        """Textual markup (its ``@click`` actions make the labels clickable)."""
        parts = ["[b]snowetl-tui[/b] "]
        for i, (name, title) in enumerate(self.views, start=1):
            label = f"{i} {title}"
            if name == self.active:
                parts.append(f"[b reverse @click=app.show_view('{name}')]\\[{label}][/] ")
            else:
                parts.append(f"[@click=app.show_view('{name}')] {label} [/] ")
        parts.append(" [dim]? help  : commands  q quit[/]")
        return "".join(parts)
