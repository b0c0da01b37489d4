"""The jobs table: one keyed row per job, updated cell by cell.

Rows are keyed by job id. An engine update changes only the cells whose text changed
(``update_cell``); rows are added or removed when jobs appear, disappear or leave the filter;
the order (running, paused, queued in the order they will start, then finished, newest first)
is re-applied only when it actually changed, and the cursor stays on the job it was on. So a
stream of progress deltas over a slow SSH link redraws a few cells, and the operator's
selection never jumps.

Columns depend on the width: below 100 columns the rows and rows/s columns go (the detail
panel has them) and the file name is shortened in the middle, where the date usually is not.
Choosing columns is the one thing that rebuilds the table, and only on a resize that crosses
a width that changes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.color import Color, ColorParseError
from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable

from snowetl_tui.client.job_info import (
    bytes_per_second,
    compact_count,
    display_order,
    eta_seconds,
    job_title,
    middle_ellipsis,
    rows_per_second,
)
from snowetl_tui.tui.state import STATE_LOOK, human_duration, state_label

NARROW_BELOW = 100


def theme_style(app: App[Any], spec: str) -> str:
    """A Rich style from a ``STATE_LOOK``-like spec (``"bold $error"``): theme variables are
    looked up; one that is not a plain colour (``auto 60%``) becomes ``dim``."""
    out: list[str] = []
    variables = getattr(app, "theme_variables", {}) or {}
    for token in spec.split():
        if not token.startswith("$"):
            out.append(token)
            continue
        value = str(variables.get(token[1:], ""))
        try:
            Color.parse(value[:7])
            out.append(value[:7])
        except ColorParseError:
            out.append("dim")
    return " ".join(out)


class KeyedText(Text):
    """A cell that knows its row's job id, so ``DataTable.sort`` can put rows in an order
    computed from job attributes that are not displayed (queue position, creation order)."""

    job_id: str = ""


@dataclass(frozen=True)
class Col:
    key: str
    label: str
    width: int  # 0 = takes what is left
    justify: str = "left"


WIDE = (
    Col("state", "State", 11), Col("file", "File", 0), Col("kind", "Kind", 8),
    Col("step", "Step", 10), Col("progress", "Progress", 11), Col("rows", "Rows", 11, "right"),
    Col("rows_s", "Rows/s", 6, "right"), Col("mb_s", "MB/s", 5, "right"),
    Col("eta", "ETA", 6, "right"),
)
NARROW = (
    Col("state", "State", 11), Col("file", "File", 0), Col("step", "Step", 10),
    Col("progress", "Done", 4, "right"), Col("mb_s", "MB/s", 5, "right"),
    Col("eta", "ETA", 6, "right"),
)
BAR_CELLS = 6
MIN_FILE = 16


def progress_bar(fraction: float, width: int) -> str:
    """``███▌░░`` — eighths of a cell, so slow progress still moves."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return bar + "░" * (width - len(bar))


class JobTable(DataTable[Any]):
    """Jobs, one keyed row each; see the module docstring for how it updates."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Detail", id="jobs.open"),
        Binding("j", "cursor_down", "Down", id="jobs.down", show=False),
        Binding("k", "cursor_up", "Up", id="jobs.up", show=False),
        Binding("g,home", "scroll_top", "First job", id="jobs.first", show=False),
        Binding("G,end", "scroll_bottom", "Last job", id="jobs.last", show=False),
    ]
    DEFAULT_CSS = """
    JobTable { height: auto; max-height: 45%; min-height: 4; overflow-x: hidden;
               scrollbar-size-vertical: 1; }
    JobTable > .datatable--header { text-style: bold; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=1, **kwargs)
        self.cols: tuple[Col, ...] = ()
        self.file_width = MIN_FILE
        self._cells: dict[str, dict[str, Text]] = {}
        self._jobs: dict[str, Mapping[str, Any]] = {}
        self._positions: dict[str, int] = {}

    # -- layout --------------------------------------------------------------------------------
    def _columns_for(self, width: int) -> tuple[tuple[Col, ...], int]:
        cols = NARROW if self.app.size.width < NARROW_BELOW else WIDE
        fixed = sum(c.width for c in cols) + 2 * self.cell_padding * len(cols)
        # room for the vertical scrollbar, so a long list never needs a horizontal one
        scrollbar = self.styles.scrollbar_size_vertical
        return cols, max(MIN_FILE, width - fixed - scrollbar)

    def on_resize(self, event: Resize) -> None:
        self.set_width(event.size.width)

    def set_width(self, width: int) -> None:
        """Pick columns for ``width``; rebuild (and restore the cursor) only if they change."""
        cols, file_width = self._columns_for(width)
        if (cols, file_width) == (self.cols, self.file_width):
            return
        current = self.current_id()
        self.cols, self.file_width = cols, file_width
        self.clear(columns=True)
        for c in cols:
            self.add_column(Text(c.label, justify=c.justify),  # type: ignore[arg-type]
                            key=c.key, width=c.width or file_width)
        self._cells.clear()
        jobs = list(self._jobs.values())
        self._jobs.clear()
        self.sync(jobs, None, self._positions)
        self._restore(current)

    # -- data ----------------------------------------------------------------------------------
    def current_id(self) -> str | None:
        """The job under the cursor (the table's truth, not a possibly stale event)."""
        if not self.row_count:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        value = self.ordered_rows[row].key.value
        return str(value) if value is not None else None

    def select(self, job_id: str) -> bool:
        """Put the cursor on ``job_id`` if it has a row."""
        if job_id not in self._cells:
            return False
        self.move_cursor(row=self.get_row_index(job_id))
        return True

    def _restore(self, job_id: str | None) -> None:
        if job_id is not None and job_id in self._cells:
            index = self.get_row_index(job_id)
            if index != self.cursor_row:
                self.move_cursor(row=index)

    def sync(self, jobs: Iterable[Mapping[str, Any]], check: set[str] | None,
             positions: Mapping[str, int]) -> None:
        """Make the rows show ``jobs``: add and remove rows, update the cells of jobs in
        ``check`` (None: every job) that changed, re-order if the order changed."""
        if not self.cols:
            self._jobs = {str(j["id"]): j for j in jobs}
            self._positions = dict(positions)
            return
        current = self.current_id()
        wanted = {str(j["id"]): j for j in jobs}
        self._positions = dict(positions)
        for jid in [k for k in self._cells if k not in wanted]:
            self.remove_row(jid)
            del self._cells[jid]
            self._jobs.pop(jid, None)
        for jid, job in wanted.items():
            self._jobs[jid] = job
            if jid not in self._cells:
                cells = self.cells_for(job)
                self._cells[jid] = cells
                self.add_row(*(cells[c.key] for c in self.cols), key=jid)
            elif check is None or jid in check:
                self._update_row(jid, self.cells_for(job))
        self._apply_order()
        self._restore(current)

    def _update_row(self, jid: str, cells: dict[str, Text]) -> None:
        old = self._cells[jid]
        for col in self.cols:  # narrow layouts drop some columns: only shown ones update
            key, text = col.key, cells[col.key]
            before = old.get(key)
            if before is None or before.plain != text.plain or before.style != text.style:
                self.update_cell(jid, key, text)
                old[key] = text

    def _apply_order(self) -> None:
        want = display_order(self._jobs.values())
        if want != self.shown_ids:
            index = {jid: i for i, jid in enumerate(want)}
            self.sort("state", key=lambda cell: index[cell.job_id])

    # -- cells ---------------------------------------------------------------------------------
    def cells_for(self, job: Mapping[str, Any]) -> dict[str, Text]:
        """Every cell of ``job``'s row, as Text (never markup: file names may hold ``[``)."""
        state = str(job.get("state"))
        style = theme_style(self.app, STATE_LOOK.get(state, ("", "", ""))[2])
        label = state_label(state)
        if state == "running" and job.get("pause_requested"):
            label = "‖ pausing"
        cells: dict[str, Text] = {}
        state_cell = KeyedText(label, style=style, no_wrap=True, overflow="ellipsis")
        state_cell.job_id = str(job.get("id"))
        cells["state"] = state_cell
        cells["file"] = Text(middle_ellipsis(job_title(job), self.file_width), no_wrap=True)
        cells["kind"] = Text(str(job.get("kind") or ""), no_wrap=True)
        cells["step"] = Text(self._step_text(job), no_wrap=True, overflow="ellipsis",
                             style="dim" if state == "queued" else "")
        fraction = float(job.get("progress") or 0.0)
        pct = f"{fraction * 100:.0f}%" if state != "queued" else "-"
        if any(c.key == "progress" and c.width > 4 for c in self.cols):
            bar = progress_bar(fraction, BAR_CELLS) if state != "queued" else ""
            filled = bar.rstrip("░")
            cells["progress"] = Text.assemble(filled, (bar[len(filled):], "dim"),
                                              f"{pct:>{BAR_CELLS + 5 - len(bar)}}", no_wrap=True)
        else:
            cells["progress"] = Text(pct, justify="right", no_wrap=True)
        rows = int(job.get("rows") or 0)
        cells["rows"] = Text(f"{rows:,}" if rows else "-", justify="right", no_wrap=True)
        cells["rows_s"] = Text(compact_count(rows_per_second(job)) if state != "queued" else "-",
                               justify="right", no_wrap=True)
        bps = bytes_per_second(job) if state != "queued" else None
        cells["mb_s"] = Text(f"{bps / 1e6:.0f}" if bps and bps >= 1e7 else
                             f"{bps / 1e6:.1f}" if bps else "-", justify="right", no_wrap=True)
        eta = eta_seconds(job)
        cells["eta"] = Text(human_duration(eta) if eta is not None else "-", justify="right",
                            no_wrap=True)
        return cells

    def _step_text(self, job: Mapping[str, Any]) -> str:
        state = job.get("state")
        if state == "queued":
            pos = self._positions.get(str(job.get("id")))
            return f"waits #{pos}" if pos else "waits"
        if state == "succeeded":
            return "done"
        return str(job.get("step") or "-")

    @property
    def shown_ids(self) -> list[str]:
        """Job ids in display order (tests and the view's counters read this)."""
        return [str(r.key.value) for r in self.ordered_rows]
