"""LogLines: a scrolling window onto a huge log that renders only the lines on screen.

The widget holds no file content beyond small LRU caches. Its rows are either every line of
the :class:`LineIndex` or, in filter mode, the line numbers a filter found (an
:class:`IntColumn` that grows while the filter runs) — both lazy. ``render_line`` draws from the
caches; lines not read yet are asked for in one request (the window plus a page either side)
served by a thread worker with ``pread``, and the widget repaints when they arrive, so a cold
disk or NFS never stalls the event loop.

Follow mode (``following``) keeps the last row in view as rows are added and turns itself off
as soon as the user scrolls up; End/G turns it back on. In wrap mode a row can take several
screen lines: the layout is computed for the viewport only, and when following it is anchored
at the bottom so the newest line is always fully visible.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from snowetl_tui.logindex.levels import level_span
from snowetl_tui.logindex.line_index import DISPLAY_CAP, IntColumn, LineIndex, LogFile, LogLine
from snowetl_tui.logindex.search import Matcher
from snowetl_tui.tui.state import human_bytes

#: Control characters would drive the terminal (an ESC in a log can repaint the screen): show
#: them as their visible "control picture" symbols instead; C1 controls become U+FFFD.
_CONTROL = {i: 0x2400 + i for i in range(32) if i != 9} | {0x7F: 0x2421} | \
    {i: 0xFFFD for i in range(0x80, 0xA0)}


def display_text(text: str) -> str:
    """A log line made safe and stable to draw: tabs expanded, control characters visible."""
    return text.expandtabs(4).translate(_CONTROL)


@dataclass
class _Row:
    """One screen line of the wrapped layout: a piece of a log line (or nothing yet)."""

    line: int
    piece: int
    strip: Strip | None


class LogLines(ScrollView, can_focus=True, inherit_bindings=False):
    """The lines of one log (or of a filter over it), drawn lazily."""

    TITLE = "Logs"  # the "Where" column of the help screen
    BINDINGS = [
        Binding("down,j", "line_down", "Down", id="logs.down", show=False),
        Binding("up,k", "line_up", "Up", id="logs.up", show=False),
        Binding("pagedown,space", "page_down", "Page down", id="logs.page_down", show=False),
        Binding("pageup,b", "page_up", "Page up", id="logs.page_up", show=False),
        Binding("home,g", "top", "First line", id="logs.top", show=False),
        Binding("end,G", "bottom", "Last line, follow", id="logs.bottom", show=False),
        Binding("right,l", "right", "Scroll right", id="logs.right", show=False),
        Binding("left,h", "left", "Scroll left", id="logs.left", show=False),
    ]
    COMPONENT_CLASSES = {
        "log-lines--gutter", "log-lines--marker", "log-lines--match", "log-lines--current",
        "log-lines--error", "log-lines--warning", "log-lines--quiet", "log-lines--cut",
    }
    DEFAULT_CSS = """
    LogLines { height: 1fr; scrollbar-gutter: stable; background: $surface; }
    LogLines:focus { background-tint: $foreground 3%; }
    LogLines > .log-lines--gutter { color: $text-muted; }
    LogLines > .log-lines--marker { color: $accent; text-style: bold; }
    LogLines > .log-lines--match { background: $warning 70%; color: $text; text-style: bold; }
    LogLines > .log-lines--current { background: $accent 25%; }
    LogLines > .log-lines--error { color: $error; text-style: bold; }
    LogLines > .log-lines--warning { color: $warning; text-style: bold; }
    LogLines > .log-lines--quiet { color: $text-muted; }
    LogLines > .log-lines--cut { color: $text-muted; text-style: italic; }
    """

    following: reactive[bool] = reactive(True, init=False)
    wrap: reactive[bool] = reactive(False, init=False)
    show_numbers: reactive[bool] = reactive(True, init=False)

    @dataclass
    class FollowChanged(Message):
        """Following the tail was switched on or off (by a key or by scrolling up)."""

        following: bool

    @dataclass
    class LinesRead(Message):
        """Lines fetched by the reader worker for generation ``gen`` of the source."""

        gen: int
        size: int  # the index snapshot they were read with
        complete: int
        lines: dict[int, LogLine]
        error: str | None = None

    @dataclass
    class ReadFailed(Message):
        """The file could not be read (an I/O error): the view reports it once."""

        error: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.log_file: LogFile | None = None
        self.index: LineIndex | None = None
        self.gen = 0
        self.rows: IntColumn | None = None
        self.matcher: Matcher | None = None
        self.current_line: int | None = None
        self.hold = False  # while the first scan runs: don't chase the growing end
        self._texts: LRUCache[int, LogLine] = LRUCache(2048)
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._pieces_cache: LRUCache[tuple[object, ...], list[Strip]] = LRUCache(512)
        self._layout_key: tuple[object, ...] | None = None
        self._layout: list[_Row] = []
        self._inflight: set[int] = set()
        self._max_width = 0
        self._style_gen = 0
        self._text_version = 0
        self._width_pending = False
        self._gutters: LRUCache[tuple[object, ...], Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}

    # -- what is shown ------------------------------------------------------------------------
    def set_source(self, log: LogFile | None, index: LineIndex | None, gen: int) -> None:
        """Show another file (or a fresh index of the same one): every cache is dropped."""
        self.log_file, self.index, self.gen = log, index, gen
        self.rows = None
        self.current_line = None
        self._texts.clear()
        self._clear_rendered()
        self._inflight.clear()
        self._max_width = 0
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False, force=True)
        self.refresh()

    def set_rows(self, rows: IntColumn | None, keep_line: int | None = None) -> None:
        """Show only these line numbers (a filter), or every line again (None). Not
        following, the view keeps ``keep_line`` (or the nearest row after it) at the top."""
        self.rows = rows
        self._layout_key = None
        self._update_virtual_size()
        if self.following:
            self._stick()
        else:
            row = 0 if keep_line is None else self.nearest_row(keep_line)
            self.scroll_to(y=row, animate=False, force=True)
        self.refresh()

    def grown(self, reread_line: int | None = None) -> None:
        """Rows were added (index or filter grew). ``reread_line`` was the last, partial line:
        its cached text is stale now."""
        top = self.scroll_offset.y
        before, gutter = self.virtual_size.height, self._gutter_width()
        if reread_line is not None:
            self._texts.discard(reread_line)
            self._inflight.discard(reread_line)
        self._update_virtual_size()
        if self.following and not self.hold:
            self._stick()
        # repaint only if what is on screen may differ: rows appeared in the viewport, the view
        # moved, line numbers got a digit wider, or a visible line must be read again
        height = self.scrollable_content_region.height
        if self.scroll_offset.y != top or before < top + height or self.wrap or \
                gutter != self._gutter_width() or \
                (reread_line is not None and reread_line in self.visible_lines()):
            self._layout_key = None
            self.refresh()

    def set_matcher(self, matcher: Matcher | None) -> None:
        """Highlight what this matcher finds (None: no highlight)."""
        self.matcher = matcher
        self._style_gen += 1
        self._clear_rendered()
        self.refresh()

    def set_current(self, line: int | None) -> None:
        """Mark one line (the current search match)."""
        if line != self.current_line:
            self.current_line = line
            self._layout_key = None
            self.refresh()

    def show_line(self, line: int) -> None:
        """Scroll so ``line`` is in view (a third from the top), leaving follow mode."""
        row = self.nearest_row(line)
        self.following = False
        height = max(1, self.scrollable_content_region.height)
        if not self.scroll_offset.y <= row < self.scroll_offset.y + height - 1:
            self.scroll_to(y=max(0, row - height // 3), animate=False, force=True)
        self.refresh()

    # -- rows and lines -----------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        if self.index is None:
            return 0
        return len(self.rows) if self.rows is not None else self.index.line_count

    def line_of_row(self, row: int) -> int:
        return self.rows[row] if self.rows is not None else row

    def row_of_line(self, line: int) -> int | None:
        """The row showing ``line``, or None when the filter hides it."""
        if self.rows is None:
            return line if 0 <= line < self.row_count else None
        k = self.rows.count_below(line)
        return k if k < len(self.rows) and self.rows[k] == line else None

    def nearest_row(self, line: int) -> int:
        k = line if self.rows is None else self.rows.count_below(line)
        return max(0, min(k, self.row_count - 1))

    @property
    def top_line(self) -> int | None:
        """The line at the top of the view (None when empty)."""
        row = self.scroll_offset.y
        return self.line_of_row(row) if row < self.row_count else None

    def visible_rows(self) -> range:
        top = self.scroll_offset.y
        return range(top, min(self.row_count, top + self.scrollable_content_region.height))

    def visible_lines(self) -> list[int]:
        return [self.line_of_row(r) for r in self.visible_rows()]

    def line_text(self, line: int) -> str | None:
        """The cached text of a line (None when not read yet)."""
        got = self._texts.get(line)
        return None if got is None else got.text

    @property
    def screen_ready(self) -> bool:
        """Every visible line has been read (tests and the benchmark wait for this)."""
        return self.index is not None and all(line in self._texts for line in self.visible_lines())

    # -- scrolling and follow -------------------------------------------------------------------
    def _stick(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._layout_key = None
        if self.following and new_value < old_value and round(new_value) < self.max_scroll_y:
            self.following = False

    def watch_following(self, following: bool) -> None:
        if following:
            self._stick()
        self.post_message(self.FollowChanged(following))

    def watch_wrap(self) -> None:
        self._layout_key = None
        self.scroll_to(x=0, animate=False, force=True)
        self._update_virtual_size()
        if self.following:
            self._stick()
        self.refresh()

    def watch_show_numbers(self) -> None:
        self._layout_key = None
        self._update_virtual_size()
        self.refresh()

    def action_line_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + 1, animate=False, force=True)

    def action_line_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - 1, animate=False, force=True)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + self._page(), animate=False, force=True)

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - self._page(), animate=False, force=True)

    def action_top(self) -> None:
        self.following = False
        self.scroll_to(y=0, animate=False, force=True)

    def action_bottom(self) -> None:
        if self.following:
            self._stick()
        else:
            self.following = True

    def action_right(self) -> None:
        if not self.wrap:
            self.scroll_to(x=self.scroll_offset.x + 8, animate=False, force=True)

    def action_left(self) -> None:
        if not self.wrap:
            self.scroll_to(x=max(0, self.scroll_offset.x - 8), animate=False, force=True)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def on_resize(self) -> None:
        self._layout_key = None
        self._update_virtual_size()
        if self.following:
            self._stick()

    # -- reading lines --------------------------------------------------------------------------
    def _request_visible(self) -> None:
        """Ask the reader for the window's lines not cached yet (one request, deduplicated)."""
        if self.index is None or self.log_file is None:
            return
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        first, stop = max(0, top - height), min(self.row_count, top + 2 * height)
        if first >= stop:
            return
        lines = range(first, stop) if self.rows is None else self.rows.slice(first, stop).tolist()
        missing = [line for line in lines if line not in self._texts]
        if not missing or self._inflight.issuperset(missing):
            return
        self._inflight = set(missing)
        self._read(self.gen, self.log_file, self.index.snapshot(), missing)

    @work(thread=True, exclusive=True, group="log-read", exit_on_error=False)
    def _read(self, gen: int, log: LogFile, index: LineIndex, lines: list[int]) -> None:
        try:
            got = log.read_lines(index, lines, DISPLAY_CAP)
        except OSError as exc:
            self.post_message(self.LinesRead(gen, index.size, index.n, {},
                                             f"cannot read {log.path}: {exc.strerror or exc}"))
            return
        self.post_message(self.LinesRead(gen, index.size, index.n, got))

    @on(LinesRead)
    def _lines_read(self, msg: LinesRead) -> None:
        msg.stop()
        if msg.gen != self.gen or self.index is None:
            return
        # a line that was partial when read is stale if the file grew meanwhile
        stale_from = msg.complete if self.index.size != msg.size else None
        for line, text in msg.lines.items():
            self._inflight.discard(line)
            if stale_from is None or line < stale_from:
                self._texts.set(line, text)
        if msg.error:
            self._inflight.clear()
            self.post_message(self.ReadFailed(msg.error))
        self._text_version += 1
        self._layout_key = None
        self.refresh()

    # -- rendering ------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._clear_rendered()

    def _clear_rendered(self) -> None:
        self._strips.clear()
        self._pieces_cache.clear()
        self._gutters.clear()
        self._styles.clear()
        self._layout_key = None

    def _style(self, name: str) -> Style:
        """A component style, looked up once per theme (render_line runs per row)."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"log-lines--{name}")
        return style

    def _gutter_width(self) -> int:
        if self.index is None:
            return 0
        return (len(str(max(1, self.index.line_count))) + 2) if self.show_numbers else 2

    def _update_virtual_size(self) -> None:
        gutter = self._gutter_width()
        width = self.scrollable_content_region.width if self.wrap else gutter + self._max_width
        self.virtual_size = Size(width, self.row_count)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._request_visible()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self.index is None:
            return Strip.blank(width, style)
        gutter_width = self._gutter_width()
        body_width = max(1, width - gutter_width)
        if self.wrap:
            layout = self._wrapped_layout(body_width)
            if y >= len(layout):
                return Strip.blank(width, style)
            row = layout[y]
            body = row.strip or Strip([])
            return Strip.join([self._gutter(row.line, row.piece == 0, gutter_width),
                               body.adjust_cell_length(body_width, style)])
        index_row = self.scroll_offset.y + y
        if index_row >= self.row_count:
            return Strip.blank(width, style)
        line = self.line_of_row(index_row)
        strip = self._line_strip(line)
        x = self.scroll_offset.x
        body = Strip.blank(body_width, style) if strip is None else \
            strip.crop_extend(x, x + body_width, style)
        return Strip.join([self._gutter(line, True, gutter_width), body])

    def _gutter(self, line: int, first_piece: bool, width: int) -> Strip:
        if width <= 0:
            return Strip([])
        current = first_piece and line == self.current_line
        key = (line if first_piece and self.show_numbers else -1, current, width)
        strip = self._gutters.get(key)
        if strip is None:
            number = f"{line + 1:>{width - 2}}" if key[0] >= 0 else " " * (width - 2)
            text = Text()
            text.append(number, self._style("gutter"))
            text.append("▶" if current else " ", self._style("marker"))
            text.append(" ")
            text.stylize_before(self.rich_style)
            strip = Strip(text.render(self.app.console), width)
            self._gutters.set(key, strip)
        return strip

    def _styled(self, log_line: LogLine, line: int) -> Text:
        plain = display_text(log_line.text)
        text = Text(plain, no_wrap=not self.wrap, end="")
        if line == self.current_line:
            text.stylize(self._style("current"))
        found = level_span(plain)
        if found is not None:
            rank, start, end = found
            name = "error" if rank >= 40 else "warning" if rank >= 30 else \
                "quiet" if rank <= 10 else None
            if name:
                text.stylize(self._style(name), start, end)
        if self.matcher is not None:
            match_style = self._style("match")
            for start, end in self.matcher.spans(plain):
                text.stylize(match_style, start, end)
        if log_line.cut:
            text.append(f" … [line cut: {human_bytes(log_line.nbytes)}, first "
                        f"{DISPLAY_CAP:,} bytes shown]",
                        self._style("cut"))
        text.stylize_before(self.rich_style)
        return text

    def _line_strip(self, line: int) -> Strip | None:
        log_line = self._texts.get(line)
        if log_line is None:
            return None
        key = (line, log_line.nbytes, self._style_gen, line == self.current_line)
        strip = self._strips.get(key)
        if strip is None:
            text = self._styled(log_line, line)
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips.set(key, strip)
            if strip.cell_length > self._max_width:
                self._max_width = strip.cell_length
                if not self._width_pending:  # grow the horizontal extent after this frame
                    self._width_pending = True
                    self.call_after_refresh(self._grow_width)
        return strip

    def _grow_width(self) -> None:
        self._width_pending = False
        self._update_virtual_size()

    def _pieces(self, line: int, width: int) -> list[Strip] | None:
        log_line = self._texts.get(line)
        if log_line is None:
            return None
        key = (line, log_line.nbytes, self._style_gen, line == self.current_line, width)
        pieces = self._pieces_cache.get(key)
        if pieces is None:
            console = self.app.console
            wrapped = self._styled(log_line, line).wrap(console, width, overflow="fold")
            pieces = [Strip(part.render(console), part.cell_len) for part in wrapped] or \
                [Strip([])]
            self._pieces_cache.set(key, pieces)
        return pieces

    def _wrapped_layout(self, width: int) -> list[_Row]:
        """The screen lines of the viewport in wrap mode (computed once per frame)."""
        height = max(1, self.scrollable_content_region.height)
        top, count = self.scroll_offset.y, self.row_count
        key = (top, width, height, count, self._style_gen, self._text_version,
               self.current_line, self.gen, self.rows is None)
        if key == self._layout_key:
            return self._layout
        rows: list[_Row] = []
        row = top
        while len(rows) < height and row < count:
            line = self.line_of_row(row)
            pieces = self._pieces(line, width) or [None]
            rows.extend(_Row(line, k, p) for k, p in enumerate(pieces))
            row += 1
        shown_all = row >= count and len(rows) <= height
        if top >= self.max_scroll_y and count and not shown_all:
            rows = self._bottom_layout(width, height)  # following: the newest line in full
        self._layout_key, self._layout = key, rows[:height]
        return self._layout

    def _bottom_layout(self, width: int, height: int) -> list[_Row]:
        rows: list[_Row] = []
        row = self.row_count - 1
        while len(rows) < height and row >= 0:
            line = self.line_of_row(row)
            pieces = self._pieces(line, width) or [None]
            rows[:0] = [_Row(line, k, p) for k, p in enumerate(pieces)]
            row -= 1
        return rows[-height:]
