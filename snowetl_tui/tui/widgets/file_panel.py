"""The detail panel of the Files view: which config matches the file under the cursor and why
(or the closest configs and why not), its period and status, and — from a worker reading only
its head — the detected format, the header check and the first rows.

The panel is told what to show (:meth:`FilePanel.show_item` from the listing, at once, and
:meth:`FilePanel.show_preview` when the head has been read); it never reads a file itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.widgets import Static

from snowetl_tui.client.files import FileItem, FileStatus, Preview, safe_text
from snowetl_tui.tui.state import STATE_LOOK, human_bytes
from snowetl_tui.tui.widgets.file_table import STATUS_STYLE, display_name, format_mtime

GRID_CELL_MAX = 30
GRID_GAP = "  "
VERDICT_LOOK = {"PASS": ("✓", "green"), "WARN": ("!", "yellow"), "FAIL": ("✗", "bold red")}


class FilePanel(Vertical):
    """Info on the left (or on top when narrow), the first rows on the right (or below)."""

    SCOPED_CSS = False  # the narrow rules hang off the Screen's -narrow class
    DEFAULT_CSS = """
    FilePanel { height: 45%; min-height: 8; border-top: solid $primary; layout: horizontal;
                border-title-color: $text; border-title-style: bold; }
    FilePanel #panel-info-scroll { width: 58; height: 100%; padding: 0 1; }
    FilePanel #panel-info { width: 100%; height: auto; }
    FilePanel #panel-head { width: 1fr; height: 100%; border-left: solid $panel; }
    FilePanel #panel-head-title { height: 1; padding: 0 1; color: $text-muted; }
    FilePanel #panel-rows-scroll { height: 1fr; padding: 0 1; }
    FilePanel #panel-rows { width: auto; height: auto; }
    FilePanel #panel-head-note { height: auto; padding: 0 1; }
    FilePanel.-hidden { display: none; }
    .-narrow FilePanel { layout: vertical; height: 11; min-height: 6; }
    .-narrow FilePanel #panel-info-scroll { width: 100%; height: auto; max-height: 5; }
    .-narrow FilePanel #panel-head { width: 100%; border-left: none; }
    .-narrow FilePanel #panel-head-title { display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item: FileItem | None = None
        self.preview: Preview | None = None
        self.status: FileStatus | None = None
        self.jobs: Sequence[dict[str, Any]] = ()
        self.listing_error: str | None = None
        self.info_plain = ""  # what the info part says, as plain text (tests read it)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="panel-info-scroll"):
            yield Static("", id="panel-info")
        with Vertical(id="panel-head"):
            yield Static("", id="panel-head-title")
            with ScrollableContainer(id="panel-rows-scroll", can_focus=True):
                yield Static("", id="panel-rows")
            yield Static("", id="panel-head-note")

    # -- what the view tells us -----------------------------------------------------------------
    def show_item(self, item: FileItem | None, status: FileStatus | None,
                  jobs: Sequence[dict[str, Any]], *, now: datetime, narrow: bool,
                  configs_error: str | None = None, listing_error: str | None = None) -> None:
        """The part known from the listing; the head part is cleared unless it is this file's."""
        if self.preview is not None and (item is None or self.preview.path != item.path):
            self.preview = None
        self.item, self.status, self.jobs = item, status, jobs
        self.listing_error = listing_error
        self.border_title = safe_text(item.name) if item is not None else ""
        self._render_info(now=now, narrow=narrow, configs_error=configs_error)
        if self.preview is None:
            self._show_head_pending()

    def show_preview(self, preview: Preview, *, now: datetime, narrow: bool,
                     configs_error: str | None = None) -> None:
        """The head has been read (only applied if it is still the file under the cursor)."""
        if self.item is None or preview.path != self.item.path:
            return
        self.preview = preview
        self._render_info(now=now, narrow=narrow, configs_error=configs_error)
        self._show_rows(preview)

    # -- info text ------------------------------------------------------------------------------
    def _render_info(self, *, now: datetime, narrow: bool, configs_error: str | None) -> None:
        lines = self.info_lines(now=now, narrow=narrow, configs_error=configs_error)
        self.info_plain = "\n".join(f"{label} {value.plain}".strip() for label, value in lines)
        self.query_one("#panel-info", Static).update(self._grid(lines))

    @staticmethod
    def _grid(lines: list[tuple[str, Text]]) -> RenderableType:
        """Label column + value column, so a long value wraps under itself, not the label."""
        if all(label == "" for label, _ in lines):
            return Group(*(value for _, value in lines))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in lines:
            grid.add_row(label, value)
        return grid

    def info_lines(self, *, now: datetime, narrow: bool,
                   configs_error: str | None) -> list[tuple[str, Text]]:
        """(label, value) rows; a row with an empty label continues the one above."""
        rows: list[tuple[str, Text]] = []
        item = self.item
        if self.listing_error:
            rows.append(("", Text.assemble(("✗ ", "bold red"), self.listing_error)))
            rows.append(("", Text("backspace or h goes to the parent directory", style="dim")))
            return rows
        if item is None:
            return [("", Text("Nothing here (empty directory, or everything is filtered out).",
                              style="dim"))]
        if item.kind == "parent":
            rows.append(("", Text(f"▴ parent directory {safe_text(str(item.path))}",
                                  style="bold")))
            rows.append(("", Text("enter opens it; backspace and h do from anywhere",
                                  style="dim")))
            return rows
        if item.kind == "dir":
            rows.append(("", Text(f"▸ directory {display_name(item)}", style="bold")))
            p = self.preview
            if p is not None and p.error:
                rows.append(("", Text.assemble(("✗ ", "bold red"), p.error)))
            elif p is not None and p.entries is not None:
                more = "+" if p.entries_capped else ""
                rows.append(("", Text(f"{p.entries:,}{more} "
                                      f"entr{'y' if p.entries == 1 else 'ies'}")))
            rows.append(("", Text("enter or l opens it", style="dim")))
            return rows
        if item.kind in ("broken", "special", "error"):
            symbol, style = ("– ", "dim") if item.kind == "special" else ("✗ ", "red")
            rows.append(("", Text.assemble((symbol, style), item.error or "cannot be read")))
            rows.append(("", Text("nothing to preview, match or load", style="dim")))
            return rows
        self._match_lines(rows, item, narrow, configs_error)
        self._status_lines(rows, narrow, now)
        self._head_lines(rows, narrow)
        if not narrow:
            rows.append(("File", Text(f"{human_bytes(item.size)} · modified "
                                      f"{format_mtime(item.mtime_ns, now)}")))
        return rows

    def _match_lines(self, rows: list[tuple[str, Text]], item: FileItem, narrow: bool,
                     configs_error: str | None) -> None:
        match = item.match
        if configs_error:
            lines = configs_error.splitlines()
            more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
            rows.append(("Config", Text.assemble(("! configs are invalid: ", "bold yellow"),
                                                 lines[0] + more)))
            return
        if match is None:
            return
        if match.entry is not None:
            entry = match.entry
            label = f" ({entry.spec.name})" if entry.spec.name else ""
            rows.append(("Config", Text.assemble(("✓ ", "green"), f"{match.config_display} "
                                                 f"{entry.json_path}{label}")))
            if not narrow:
                rows.append(("Pattern", Text(entry.spec.file_pattern)))
            where = f"{entry.table} on {entry.target}"
            if narrow and match.period is not None:
                where += f" · period {match.period.label()}"
            rows.append(("Table", Text(where)))
            if narrow:
                return
            if match.period is not None:
                p = match.period
                rows.append(("Period", Text(f"{p.label()} ({p.start.isoformat()} … "
                                            f"{p.end.isoformat()}, {p.days} "
                                            f"day{'s' if p.days != 1 else ''})")))
            else:
                rows.append(("Period", Text("none in the name (the pattern has no date part)",
                                            style="dim")))
            if match.also_matches:
                rows.append(("Also", Text(", ".join(match.also_matches) +
                                          " (the most specific pattern wins)", style="dim")))
            return
        rows.append(("Config", Text("? no config matches this name", style="bold")))
        found = self.preview.suggestions if self.preview is not None else match.suggestions
        if self.preview is None and not found:
            rows.append(("Closest", Text("looking for the closest configs…", style="dim")))
        for i, s in enumerate(found[:1] if narrow else found):
            rows.append(("Closest" if i == 0 else "",
                         Text(f"{s.pattern} ({s.config}): {safe_text(s.reason)}")))
        rows.append(("", Text("G generates a config for this file", style="dim")))

    def _status_lines(self, rows: list[tuple[str, Text]], narrow: bool, now: datetime) -> None:
        if self.status is not None:
            rows.append(("Status", Text(self.status.label,
                                        style=STATUS_STYLE.get(self.status.key, ""))))
        p = self.preview
        if p is not None and p.loaded is not None and not narrow:
            ld = p.loaded
            how = "; same content under another path" if ld.by_content else ""
            count = f"{ld.rows:,} rows · " if ld.rows is not None else ""
            rows.append(("Loaded", Text(f"{count}{ld.when(now.tzinfo)} by {ld.user} · "
                                        f"load {ld.load_id}{how}")))
        if self.jobs and not narrow:
            job = self.jobs[0]
            symbol, word, _ = STATE_LOOK.get(job.get("state", ""), ("?", job.get("state"), ""))
            more = f" (latest of {len(self.jobs)})" if len(self.jobs) > 1 else ""
            step = f" ({job['step']})" if job.get("state") == "running" and job.get("step") \
                else ""
            line = Text(f"{symbol} {job.get('kind')} {word}{step} · {job.get('id')}{more}")
            if job.get("error"):
                line.append(f": {safe_text(str(job['error']))}", style="red")
            rows.append(("Job", line))

    def _head_lines(self, rows: list[tuple[str, Text]], narrow: bool) -> None:
        p = self.preview
        if p is None:
            rows.append(("Header", Text("reading the head of the file…", style="dim")))
            return
        if p.error:
            rows.append(("Head", Text.assemble(("✗ ", "bold red"), p.error)))
            return
        if p.header is not None:
            symbol, style = VERDICT_LOOK.get(p.header.verdict, ("?", ""))
            rows.append(("Header", Text.assemble((f"{symbol} ", style), p.header.message)))
        rows.append(("Format", Text(p.format_text)))
        for note in p.notes[:1] if narrow else p.notes:
            rows.append(("Note", Text.assemble(("! ", "yellow"), note)))

    # -- the first rows -------------------------------------------------------------------------
    def _show_head_pending(self) -> None:
        self.query_one("#panel-rows", Static).update("")
        item = self.item
        title = "" if item is None or not item.is_file else "First rows — reading the head…"
        self.query_one("#panel-head-title", Static).update(title)
        self.query_one("#panel-head-note", Static).update("")

    def _show_rows(self, p: Preview) -> None:
        rows = self.query_one("#panel-rows", Static)
        note = self.query_one("#panel-head-note", Static)
        title = self.query_one("#panel-head-title", Static)
        with self.app.batch_update():
            if p.error or not p.columns:
                rows.update("")
                title.update("")
                empty = p.error is None and p.entries is None  # a file with nothing in it
                note.update(Text("no rows to show" if empty else "", style="dim"))
                return
            rows.update(head_grid(p.columns, p.rows))
            whole = "the whole file" if p.head_complete else "read from the head only"
            n = len(p.rows)
            title.update(Text(f"First {n} row{'s' if n != 1 else ''} — {whole}"))
            note.update(Text("no data rows in the head", style="dim") if not p.rows else "")


def head_grid(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Text:
    """The first rows as one block of aligned text.

    Not a DataTable: that renders every cell of every visible line on each refresh, ~0.2 s for
    20 rows of a 40-column extract, which made holding ``j`` over a directory stutter. One
    Text renders once and scrolls sideways by cropping.
    """
    widths = [min(GRID_CELL_MAX, max([cell_len(c), *(cell_len(r[i]) for r in rows if
                                                     i < len(r))]))
              for i, c in enumerate(columns)]

    def line(cells: Sequence[str], style: str) -> Text:
        t = Text(no_wrap=True, end="")
        for i, width in enumerate(widths):
            value = cells[i] if i < len(cells) else ""
            if cell_len(value) > width:
                value = value[: width - 1] + "…"
            t.append(value.ljust(width + (len(value) - cell_len(value))), style=style)
            t.append(GRID_GAP)
        return t

    out = Text(no_wrap=True, end="")
    out.append_text(line(columns, "bold underline"))
    for n, row in enumerate(rows):
        out.append("\n")
        out.append_text(line(row, "" if n % 2 == 0 else "dim"))
    return out
