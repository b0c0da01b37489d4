"""The file list of the Files view: one keyed row per directory entry.

Rows are keyed by the entry's name, so a job update changes one cell (``update_cell``) instead
of rebuilding the table; a rebuild happens only when the user changes what is shown (directory,
sort, filter, hidden files, terminal width). Every cell is a ``rich.text.Text``: a DataTable
parses plain strings as markup, and a file called ``[red]x`` must show as exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from snowetl_tui.client.files import FileItem, FileStatus, safe_text
from snowetl_tui.tui.state import human_bytes

#: status key → style. Decoration only: the word and symbol always carry the meaning.
STATUS_STYLE: dict[str, str] = {
    "ready": "",
    "unmatched": "dim",
    "loaded": "green",
    "validated": "green",
    "queued": "dim",
    "running": "bold cyan",
    "paused": "yellow",
    "failed": "bold red",
    "broken": "red",
    "error": "red",
    "config-error": "bold yellow",
    "special": "dim",
    "dir": "",
    "parent": "dim",
}
MARK = "●"
SORT_ARROWS = {False: "▲", True: "▼"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    cap: int  # widest the column may grow to (content is cropped with an ellipsis beyond)
    right: bool = False


WIDE_COLUMNS = (
    Column("name", "Name", 0),
    Column("size", "Size", 9, right=True),
    Column("mtime", "Modified", 12),
    Column("table", "Table", 24),
    Column("period", "Period", 22),
    Column("status", "Status", 22),
)
NARROW_COLUMNS = (
    Column("name", "Name", 0),
    Column("size", "Size", 9, right=True),
    Column("status", "Status", 22),
)
NAME_MIN = 16
# Always room for the longest status ("✓ loaded on 2026-11-27"), so a job update never needs
# the column re-measured.
STATUS_WIDTH = 22


def fit_middle(text: str, width: int) -> str:
    """``factLendingBen…0131.tsv.gz``: cut in the middle, where names of monthly extracts
    differ least (the prefix says what, the end says which period and compression)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if width == 1:
        return "…"
    keep_end = (width - 1) // 2
    keep_start = width - 1 - keep_end
    start, end = "", ""
    for ch in text:
        if cell_len(start + ch) > keep_start:
            break
        start += ch
    for ch in reversed(text):
        if cell_len(ch + end) > keep_end:
            break
        end = ch + end
    return f"{start}…{end}"


def fit_end(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def format_mtime(mtime_ns: int | None, now: datetime) -> str:
    """``ls``-style: ``Mar 04 14:22`` within half a year of ``now``, ``Mar 04  2023`` before,
    in the zone of ``now`` (the app's clock), so snapshots and SSH sessions agree."""
    if mtime_ns is None:
        return ""
    when = datetime.fromtimestamp(mtime_ns / 1e9, tz=now.tzinfo)
    if timedelta(days=-1) < now - when < timedelta(days=182):
        return when.strftime("%b %d %H:%M")
    return when.strftime("%b %d  %Y")


def display_name(item: FileItem) -> str:
    name = safe_text(item.name)
    if item.kind == "dir":
        name += "/"
    if item.link_target is not None:
        name += f" → {safe_text(item.link_target)}"
    return name


class FileTable(DataTable[Text]):
    """Row cursor over the entries; vim keys besides the arrows. ``enter``/``l`` select."""

    TITLE = "Files"  # the help screen groups these keys with the view's

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="files.down", show=False),
        Binding("k", "cursor_up", "Up", id="files.up", show=False),
        Binding("g,home", "scroll_top", "Top", id="files.top", show=False),
        Binding("end", "scroll_bottom", "Bottom", id="files.bottom", show=False),
        Binding("l", "select_cursor", "Open", id="files.open_l", show=False),
    ]
    DEFAULT_CSS = """
    FileTable { height: 1fr; }
    FileTable > .datatable--header { text-style: bold; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.items: dict[str, FileItem] = {}
        self.order: list[str] = []
        self.columns_shown: tuple[Column, ...] = WIDE_COLUMNS
        self._name_width = 40

    # -- building -------------------------------------------------------------------------------
    def rebuild(self, items: Iterable[FileItem], *, status: Callable[[FileItem], FileStatus],
                marked: set[str], now: datetime, narrow: bool, width: int, sort: str,
                reverse: bool, cursor_name: str | None = None) -> None:
        """Replace every row (a user-triggered change of what is shown), keeping the cursor on
        ``cursor_name`` when it is still there."""
        rows = list(items)
        columns = NARROW_COLUMNS if narrow else WIDE_COLUMNS
        statuses = {item.name: status(item) for item in rows}
        cells = {item.name: self._cells(item, statuses[item.name], now) for item in rows}
        widths: dict[str, int] = {}
        for col in columns[1:]:
            content = max((cell_len(cells[n][col.key]) for n in cells), default=0)
            if col.key == "status":
                widths[col.key] = STATUS_WIDTH
                continue
            label = cell_len(col.label) + (2 if col.key in ("size", "mtime") else 0)  # arrow
            widths[col.key] = min(col.cap, max(label, content))
        # name: what is left of the width (cell padding 1+1 per column, scrollbar 2)
        used = sum(widths.values()) + 2 * len(columns) + 2
        longest = max((cell_len(cells[n]["name"]) + 4 for n in cells), default=NAME_MIN)
        self._name_width = max(NAME_MIN, min(longest, width - used))
        widths["name"] = self._name_width
        with self.app.batch_update():
            self.clear(columns=True)
            self.columns_shown = columns
            for col in columns:
                label = col.label
                if col.key == sort:
                    label += " " + SORT_ARROWS[reverse]
                self.add_column(Text(label, justify="right" if col.right else "left"),
                                key=col.key, width=widths[col.key])
            self.items = {item.name: item for item in rows}
            self.order = [item.name for item in rows]
            for item in rows:
                self.add_row(*self._row(item, cells[item.name], statuses[item.name], marked,
                                        widths), key=item.name)
            if cursor_name is not None and cursor_name in self.items:
                self.move_cursor(row=self.order.index(cursor_name), animate=False)
            elif rows:
                # the first entry rather than "..": the panel has something to say at once
                first = 1 if rows[0].kind == "parent" and len(rows) > 1 else 0
                self.move_cursor(row=first, animate=False)

    def _cells(self, item: FileItem, status: FileStatus, now: datetime) -> dict[str, str]:
        size = "" if item.size is None else human_bytes(item.size)
        return {
            "name": display_name(item),
            "size": size,
            "mtime": format_mtime(item.mtime_ns, now) if item.kind != "parent" else "",
            "table": item.table,
            "period": item.period_label,
            "status": status.label,
        }

    def _row(self, item: FileItem, cells: dict[str, str], status: FileStatus,
             marked: set[str], widths: dict[str, int]) -> list[Text]:
        out: list[Text] = []
        for col in self.columns_shown:
            if col.key == "name":
                out.append(self._name_text(item, item.name in marked, cells["name"]))
            elif col.key == "status":
                out.append(self._status_text(status))
            else:
                text = fit_end(cells[col.key], widths[col.key])
                out.append(Text(text, justify="right" if col.right else "left",
                                style="dim" if col.key == "mtime" else ""))
        return out

    def _name_text(self, item: FileItem, marked: bool, shown: str | None = None) -> Text:
        text = Text(no_wrap=True)
        text.append(f"{MARK} " if marked else "  ", style="bold yellow" if marked else "")
        name = fit_middle(shown if shown is not None else display_name(item),
                          self._name_width - 2)
        style = "bold" if item.kind in ("dir", "parent") else \
            "red" if item.kind in ("broken", "error") else "dim" if item.kind == "special" else ""
        text.append(name, style=style)
        return text

    def _status_text(self, status: FileStatus) -> Text:
        width = self.columns["status"].width if "status" in self.columns else 24
        return Text(fit_end(status.label, width), style=STATUS_STYLE.get(status.key, ""),
                    no_wrap=True)

    # -- diff updates ---------------------------------------------------------------------------
    def set_status(self, name: str, status: FileStatus) -> bool:
        """Update one row's status cell; False when the row is not shown."""
        if name not in self.items:
            return False
        self.update_cell(name, "status", self._status_text(status))
        return True

    def set_marked(self, name: str, marked: bool) -> None:
        if name in self.items:
            self.update_cell(name, "name", self._name_text(self.items[name], marked))

    # -- cursor ---------------------------------------------------------------------------------
    @property
    def current(self) -> FileItem | None:
        if not self.order or not 0 <= self.cursor_row < len(self.order):
            return None
        return self.items.get(self.order[self.cursor_row])

    def action_scroll_top(self) -> None:
        if self.order:
            self.move_cursor(row=0, animate=False)

    def action_scroll_bottom(self) -> None:
        if self.order:
            self.move_cursor(row=len(self.order) - 1, animate=False)
