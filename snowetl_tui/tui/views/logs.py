"""The Logs view: a job's log or the engine log, of any size, followed, searched and filtered.

How it stays responsive on a 1 GB log: the file is opened and indexed (newline offsets, see
:mod:`snowetl_tui.logindex`) by a thread worker that posts batches; the first screen shows as
soon as the first batch lands. Searches (``/``, n/N) and filters (``\\`` text, ``v`` level) are
further thread workers scanning big blocks; their results are line numbers, so the filtered
view is as lazy as the full one. A half-second timer only ``stat``s the file: appended bytes
are indexed by a worker, and a file truncated, rotated or rewritten under us is read again.
Every worker's results carry a generation/token, so nothing stale lands after a switch or
a cancel; esc stops whatever is running.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from snowetl_tui.logindex.catalog import (
    LogEntry,
    default_entry,
    engine_entry,
    job_entry,
    log_entries,
)
from snowetl_tui.logindex.levels import LEVEL_CHOICES
from snowetl_tui.logindex.line_index import (
    Change,
    IndexBatch,
    IntColumn,
    LineIndex,
    LogFile,
    Throttle,
    scan_breaks,
)
from snowetl_tui.logindex.search import Matcher, Query, find_lines
from snowetl_tui.tui.state import human_bytes, state_label
from snowetl_tui.tui.views.base import PaletteCommand, View
from snowetl_tui.tui.widgets.log_lines import LogLines
from snowetl_tui.tui.widgets.log_picker import LogPickerScreen
from snowetl_tui.tui.widgets.log_search import LogSearchBar

BINDABLE: list[type] = [LogLines, LogSearchBar, LogPickerScreen]

POLL_SECONDS = 0.5  # how often the open file is stat-ed for growth / truncation / rotation
POST_EVERY = 0.1  # workers coalesce their batches into at most ~10 messages a second
#: Scans of more bytes than this are "long work": they show progress and esc stops them. The
#: small scans that keep a followed log (and its search/filter) current are neither shown nor
#: stopped by esc, so esc on a busy log still clears the search as expected.
LONG_SCAN = 16 << 20
BAR_CELLS = 10


# -- messages from the workers -------------------------------------------------------------------
@dataclass
class LogOpened(Message):
    gen: int
    log: LogFile


@dataclass
class LogUnavailable(Message):
    """The file cannot be opened: missing (``error`` None) or unreadable."""

    gen: int
    error: str | None


@dataclass
class IndexBatches(Message):
    gen: int
    batches: list[IndexBatch]
    target: int  # file size the scan is heading for


@dataclass
class IndexDone(Message):
    gen: int
    cancelled: bool


@dataclass
class IndexStale(Message):
    """The indexed content is gone (file rewritten past its old size): read it again."""

    gen: int


@dataclass
class MatchBatches(Message):
    gen: int
    token: int
    lines: np.ndarray
    done: int
    total: int


@dataclass
class MatchDone(Message):
    gen: int
    token: int
    cancelled: bool
    size: int  # index snapshot the pass covered
    complete: int  # its complete lines: results before this line are final


@dataclass
class MatchState:
    """A search or a filter over the open log, kept up to date as the log grows."""

    kind: str  # "search" or "filter"
    query: Query | None
    matcher: Matcher | None
    min_level: int | None = None
    lines: IntColumn = field(default_factory=IntColumn)  # matching line numbers, ascending
    token: int = -1
    running: bool = False
    stopped: bool = False  # esc: no automatic continuation until asked
    finished: bool = False  # a pass has completed: counts are complete up to scanned_size
    final_to: int = 0  # results for lines before this are final
    scanned_size: int = 0
    truncate_to: int | None = None  # the next pass re-scans from this line: drop older results
    long: bool = False  # the running pass is long work (first pass, or > LONG_SCAN bytes)
    done: int = 0
    total: int = 0

    def reset(self) -> None:
        self.lines.truncate(0)
        self.token, self.running, self.stopped, self.finished = -1, False, False, False
        self.final_to = self.scanned_size = self.done = self.total = 0
        self.truncate_to = None

    def progress(self) -> float:
        return self.done / self.total if self.total else 0.0


def progress_bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """``▕████░░░░░░▏`` — a text bar (stable in snapshots, readable without colour)."""
    full = max(0, min(cells, int(fraction * cells)))
    return "▕" + "█" * full + "░" * (cells - full) + "▏"


class LogsView(View):
    VIEW_NAME = "logs"
    TITLE = "Logs"
    HELP = (
        "A job's log or the engine log, read through a line index (a 1 GB log opens at once). "
        "Following (f) pauses when you scroll up; End/G resumes. Search (/, n/N) highlights; "
        "filter (\\ or F) shows only matching lines; the level filter (v) keeps tracebacks "
        "with their line. Text is case-insensitive unless match case (ctrl+t); ctrl+r for "
        "regex. esc stops a long scan (r resumes), then clears search, filter, level.")
    BINDINGS = [
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "next_match", "Next match", id="logs.next", show=False),
        Binding("N", "previous_match", "Previous match", id="logs.previous", show=False),
        Binding("backslash,F", "filter", "Filter", id="logs.filter"),
        Binding("v", "cycle_level", "Level", id="logs.level"),
        Binding("f", "toggle_follow", "Follow", id="logs.follow"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("o", "pick", "Open log", id="logs.open"),
        Binding("escape", "escape", "Stop / clear", id="logs.escape", show=False),
        Binding("r", "reload", "Re-read / resume", id="logs.reload", show=False),
        Binding("number_sign", "toggle_numbers", "Line numbers", id="logs.numbers",
                show=False),
    ]
    DEFAULT_CSS = """
    LogsView #log-title { height: 1; padding: 0 1; background: $panel; }
    LogsView #log-message { height: 1fr; padding: 1 2; display: none; }
    LogsView.-no-file #log-message { display: block; }
    LogsView.-no-file LogLines { display: none; }
    LogsView #log-status { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry: LogEntry | None = None
        self.gen = 0
        self.log_file: LogFile | None = None
        self.index: LineIndex | None = None
        self.problem: str | None = None  # why there is nothing to show
        self.indexing = False
        self.initial = False  # the first scan of this file is running
        self.long_scan = False  # the running scan is long work (see LONG_SCAN)
        self.index_stopped = False
        self.index_target = 0
        self.removed = False
        self.new_lines = 0
        self.search: MatchState | None = None
        self.filter: MatchState | None = None
        self.filter_query: Query | None = None
        self.level_choice = 0
        self.current_match: int | None = None
        self._pending_jump: int | None = None
        self._token = 0
        self._texts: dict[str, str] = {}

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="log-title", markup=False)
        yield LogLines(id="log-lines")
        yield Static(id="log-message", markup=False)
        yield LogSearchBar(id="log-search")
        yield Static(id="log-status", markup=False)

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self.poll)
        self._refresh_text()

    @property
    def lines(self) -> LogLines:
        return self.query_one(LogLines)

    @property
    def bar(self) -> LogSearchBar:
        return self.query_one(LogSearchBar)

    def focus_default(self) -> None:
        if self.bar.is_open:
            self.bar.input.focus()
        else:
            self.lines.focus()

    def on_resize(self) -> None:
        self._refresh_text()

    # -- which log ------------------------------------------------------------------------------
    def open(self, job: str | None = None, engine: bool = False, **_: Any) -> None:
        """Show a job's log (``job=``), the engine log (``engine=True``), or — the first time,
        with no argument — the newest started job's log, else the engine log."""
        ws, jobs = self.snow.workspace, self.engine_state.jobs
        if job:
            entry = job_entry(ws, job, jobs.get(job))
        elif engine:
            entry = engine_entry(ws)
        elif self.entry is not None:
            self.poll()
            return
        else:
            entry = default_entry(ws, jobs)
        if self.entry is not None and entry.key == self.entry.key and \
                entry.path == self.entry.path:
            self.entry = entry
            self._refresh_text()
            self.poll()
            return
        self.show_entry(entry)

    def show_entry(self, entry: LogEntry) -> None:
        """Switch to another log: searches, filters and the level filter start afresh."""
        self.entry = entry
        for group in ("log-search", "log-filter"):
            self.workers.cancel_group(self, group)
        self.search = self.filter = None
        self.filter_query = None
        self.level_choice = 0
        self._pending_jump = None
        self.lines.set_matcher(None)
        self.lines.following = True  # a log opens at its newest lines
        self._start_open()

    def state_changed(self, changed: set[str] | None) -> None:
        entry = self.entry
        if entry is None or entry.job_id is None:
            return
        if changed is not None and entry.job_id not in changed:
            return
        job = self.engine_state.jobs.get(entry.job_id)
        if job is not None:
            self.entry = job_entry(self.snow.workspace, entry.job_id, job)
            if self.entry.path != entry.path:  # the engine reported where the log really is
                self._start_open()
            self._refresh_text()

    # -- opening and indexing ---------------------------------------------------------------------
    def _start_open(self) -> None:
        """(Re)read the current entry's file from the start with a fresh index."""
        assert self.entry is not None
        self.gen += 1
        self.log_file = self.index = None
        self.problem = None
        self.removed = False
        self.new_lines = 0
        self.indexing = self.initial = self.long_scan = True
        self.index_stopped = False
        self.index_target = 0
        self.current_match = None
        for state in (self.search, self.filter):
            if state is not None:
                self.workers.cancel_group(self, f"log-{state.kind}")
                state.reset()
        self.lines.set_source(None, None, self.gen)
        self.lines.hold = True
        self._open_and_index(self.gen, self.entry.path)
        self._refresh_text()

    @work(thread=True, exclusive=True, group="log-index", exit_on_error=False)
    def _open_and_index(self, gen: int, path: Path) -> None:
        try:
            log = LogFile.open(path)
        except FileNotFoundError:
            self.post_message(LogUnavailable(gen, None))
            return
        except OSError as exc:
            self.post_message(LogUnavailable(gen, exc.strerror or str(exc)))
            return
        self.post_message(LogOpened(gen, log))
        self._scan(gen, log, 0, log.size())

    @work(thread=True, exclusive=True, group="log-index", exit_on_error=False)
    def _index_more(self, gen: int, log: LogFile, index: LineIndex, end: int) -> None:
        if not log.still_matches(index):
            self.post_message(IndexStale(gen))
            return
        self._scan(gen, log, index.size, end)

    def _scan(self, gen: int, log: LogFile, start: int, end: int) -> None:
        """Worker side: index bytes ``[start, end)``, posting coalesced batches."""
        worker = get_current_worker()
        ready = Throttle(POST_EVERY)
        pending: list[IndexBatch] = []
        for batch in scan_breaks(log.fd, start, end, cancel=lambda: worker.is_cancelled):
            pending.append(batch)
            if ready():
                self.post_message(IndexBatches(gen, pending, end))
                pending = []
        if pending:
            self.post_message(IndexBatches(gen, pending, end))
        self.post_message(IndexDone(gen, worker.is_cancelled))

    @on(LogOpened)
    def _opened(self, msg: LogOpened) -> None:
        if msg.gen != self.gen:
            return
        self.log_file, self.index = msg.log, LineIndex()
        self.lines.set_source(self.log_file, self.index, self.gen)
        self.lines.hold = True
        if self.filter is not None:
            self.lines.set_rows(self.filter.lines)
        self._refresh_text()

    @on(LogUnavailable)
    def _unavailable(self, msg: LogUnavailable) -> None:
        if msg.gen != self.gen or self.entry is None:
            return
        self.indexing = self.initial = False
        path = self.snow.workspace.display(self.entry.path)
        if msg.error is not None:
            self.problem = f"✗ Cannot read {path}: {msg.error}"
        elif self.entry.job_id is None:
            self.problem = (f"✗ No engine log yet at {path}\nThe engine writes it when it "
                            "starts; this view opens it as soon as it appears.")
        else:
            self.problem = (f"✗ No log file at {path}\nThe job has not started yet, or log "
                            "retention removed the file; this view opens it as soon as it "
                            "appears.")
        self._refresh_text()

    @on(IndexBatches)
    def _indexed(self, msg: IndexBatches) -> None:
        if msg.gen != self.gen or self.index is None:
            return
        index = self.index
        before = index.line_count
        partial_line = index.n if index.has_partial_line else None
        for batch in msg.batches:
            if not index.add(batch):
                break
        self.index_target = msg.target
        added = index.line_count - before
        if added and not self.initial and not self.lines.following:
            self.new_lines += added
        self.lines.grown(partial_line)
        self._continue_matches()
        self._refresh_text()

    @on(IndexDone)
    def _index_done(self, msg: IndexDone) -> None:
        if msg.gen != self.gen:
            return
        self.indexing = False
        if msg.cancelled:
            self.index_stopped = True
        if self.initial:
            self.initial = False
            self.lines.hold = False
            self.lines.grown()  # following: now jump to the real end
        self._continue_matches()
        self._resolve_pending_jump()
        self._refresh_text()

    @on(IndexStale)
    def _stale(self, msg: IndexStale) -> None:
        if msg.gen == self.gen:
            self.indexing = False
            self._reread("was rewritten")

    def _reread(self, what: str) -> None:
        if self.entry is not None:
            self.snow.say(f"{self.snow.workspace.display(self.entry.path)} {what} — reading it "
                          "again", "warning")
            self._start_open()

    def poll(self) -> None:
        """Timer: one ``stat`` of the file; growth is indexed by a worker, a truncated or
        rotated file is read again, a missing one is opened once it appears."""
        if self.entry is None or not self.display:
            return
        if self.log_file is None:
            if self.problem is not None and not self.indexing and self.entry.path.exists():
                self._start_open()
            return
        if self.indexing or self.index_stopped or self.index is None:
            return
        change, size = self.log_file.change(self.index.size)
        if change is Change.SAME:
            if self.removed:
                self.removed = False
                self._refresh_text()
        elif change is Change.GREW:
            self.removed = False
            self.indexing = True
            self.long_scan = size - self.index.size > LONG_SCAN
            self._index_more(self.gen, self.log_file, self.index.snapshot(), size)
            self._refresh_text()
        elif change is Change.MISSING:
            if not self.removed:
                self.removed = True  # keep showing what we have: our descriptor still reads it
                self._refresh_text()
        else:
            self._reread("was truncated" if change is Change.SHRANK else "was replaced (rotated)")

    # -- searching and filtering ----------------------------------------------------------------
    def _continue_matches(self) -> None:
        """Run a pass for each search/filter not yet covering the whole index."""
        if self.index is None or self.log_file is None:
            return
        for state in (self.search, self.filter):
            if state is not None and not state.running and not state.stopped and \
                    self.index.size > state.scanned_size:
                self._run_pass(state, state.final_to)

    def _run_pass(self, state: MatchState, first: int) -> None:
        assert self.index is not None and self.log_file is not None
        self._token += 1
        state.token, state.running, state.stopped = self._token, True, False
        state.truncate_to = first
        state.done, state.total = 0, 0
        state.long = not state.finished or \
            self.index.size - self.index.line_start(first) > LONG_SCAN
        work_fn = partial(self._match_worker, self.gen, state.token, self.log_file,
                          self.index.snapshot(), state.matcher, state.min_level, first)
        self.run_worker(work_fn, thread=True, exclusive=True, group=f"log-{state.kind}",
                        exit_on_error=False)

    def _match_worker(self, gen: int, token: int, log: LogFile, index: LineIndex,
                      matcher: Matcher | None, min_level: int | None, first: int) -> None:
        """Worker side: one pass of :func:`find_lines`, coalesced into messages."""
        worker = get_current_worker()
        ready = Throttle(POST_EVERY)
        found: list[np.ndarray] = []
        done = total = 0
        for batch in find_lines(log.fd, index, matcher=matcher, min_level=min_level,
                                first=first, cancel=lambda: worker.is_cancelled):
            found.append(batch.lines)
            done, total = batch.done_bytes, batch.total_bytes
            if ready():
                self.post_message(MatchBatches(gen, token, np.concatenate(found), done, total))
                found = []
        if found:
            self.post_message(MatchBatches(gen, token, np.concatenate(found), done, total))
        self.post_message(MatchDone(gen, token, worker.is_cancelled, index.size, index.n))

    def _state_for(self, gen: int, token: int) -> MatchState | None:
        if gen != self.gen:
            return None
        return next((s for s in (self.search, self.filter) if s is not None and s.token == token),
                    None)

    def _drop_rescanned(self, state: MatchState) -> None:
        """At the first news of a pass: forget old results for the lines it re-scans."""
        if state.truncate_to is None:
            return
        keep = state.lines.count_below(state.truncate_to)
        state.truncate_to = None
        if keep < len(state.lines):
            state.lines.truncate(keep)
            if state is self.filter:
                self.lines.grown()

    @on(MatchBatches)
    def _matched(self, msg: MatchBatches) -> None:
        state = self._state_for(msg.gen, msg.token)
        if state is None:
            return
        self._drop_rescanned(state)
        state.lines.extend(msg.lines)
        state.done, state.total = msg.done, msg.total
        if state is self.filter:
            self.lines.grown()
        else:
            self._jump_if_pending(final=False)
        self._show_status()

    @on(MatchDone)
    def _match_done(self, msg: MatchDone) -> None:
        state = self._state_for(msg.gen, msg.token)
        if state is None:
            return
        self._drop_rescanned(state)
        state.running = False
        if msg.cancelled:
            state.stopped = True
        else:
            state.finished = True
            state.final_to, state.scanned_size = msg.complete, msg.size
            state.done = state.total
        if state is self.filter:
            self.lines.grown()
        self._continue_matches()
        self._resolve_pending_jump()
        self._show_status()

    def start_search(self, query: Query | None) -> None:
        """Search (highlight + n/N) for ``query``; None clears the search."""
        self.workers.cancel_group(self, "log-search")
        self.current_match = None
        self.lines.set_current(None)
        if query is None:
            self.search = None
            self._pending_jump = None
            self.lines.set_matcher(self.filter.matcher if self.filter else None)
            self._show_status()
            return
        matcher = query.compile()
        self.search = MatchState("search", query, matcher)
        self.lines.set_matcher(matcher)
        top = self.lines.top_line
        self._pending_jump = 0 if top is None else top
        self._continue_matches()
        self._show_status()

    def apply_filter(self, query: Query | None, min_level: int | None) -> None:
        """Show only lines matching ``query`` at level ``min_level`` or above (both
        optional; neither = every line again)."""
        self.workers.cancel_group(self, "log-filter")
        self.filter_query = query
        keep = self.current_match if self.current_match is not None else self.lines.top_line
        if query is None and min_level is None:
            self.filter = None
            self.lines.set_rows(None, keep_line=keep)
            self.lines.set_matcher(self.search.matcher if self.search else None)
        else:
            matcher = query.compile() if query else None
            self.filter = MatchState("filter", query, matcher, min_level)
            self.lines.set_rows(self.filter.lines)
            if self.search is None:
                self.lines.set_matcher(matcher)
            self._continue_matches()
        self._show_status()

    def set_level(self, choice: int) -> None:
        self.level_choice = choice % len(LEVEL_CHOICES)
        self.apply_filter(self.filter_query, LEVEL_CHOICES[self.level_choice][0])

    # -- moving between matches -----------------------------------------------------------------
    def _visible_match(self, ref: int, step: int) -> int | None:
        """The nearest search result after (step 1) / before (step -1) line ``ref`` that the
        filter (if any) shows; results are scanned in vectorised slices, not one by one."""
        if self.search is None:
            return None
        found = self.search.lines
        k = found.count_below(ref + 1) if step > 0 else found.count_below(ref) - 1
        while 0 <= k < len(found):
            a, b = (k, min(len(found), k + 4096)) if step > 0 else (max(0, k - 4095), k + 1)
            cand = found.slice(a, b)
            if self.filter is not None:
                rows = self.filter.lines
                lo, hi = rows.count_below(int(cand[0])), rows.count_below(int(cand[-1]) + 1)
                cand = cand[np.isin(cand, rows.slice(lo, hi))]
            if len(cand):
                return int(cand[0] if step > 0 else cand[-1])
            k = b if step > 0 else a - 1
        return None

    def _jump(self, line: int) -> None:
        self.current_match = line
        self.lines.set_current(line)
        self.lines.show_line(line)
        self._show_status()

    def _jump_if_pending(self, final: bool) -> None:
        if self._pending_jump is None or self.search is None:
            return
        line = self._visible_match(self._pending_jump - 1, 1)
        if line is not None:
            self._pending_jump = None
            self._jump(line)
        elif final:
            self._pending_jump = None
            first = self._visible_match(-1, 1)
            if first is not None:
                self._jump(first)
                self.snow.say("search hit the bottom — continued from the top")

    def _resolve_pending_jump(self) -> None:
        search = self.search
        if search is not None and not search.running and not self.indexing:
            self._jump_if_pending(final=True)
            if search.finished and not len(search.lines):
                self._pending_jump = None

    def _step(self, step: int) -> None:
        if self.search is None:
            self.snow.say("no search yet — press / to search")
            return
        if self.current_match is not None and self.current_match in self.lines.visible_lines():
            ref = self.current_match
        else:
            top = self.lines.top_line or 0
            ref = top - 1 if step > 0 else top + max(1, self.lines.size.height)
        line = self._visible_match(ref, step)
        if line is None:
            line = self._visible_match(-1, 1) if step > 0 else self._visible_match(1 << 62, -1)
            if line is not None:
                self.snow.say("search hit the bottom — continued from the top" if step > 0
                              else "search hit the top — continued from the bottom")
        if line is None:
            running = self.search.running or self.indexing
            what = self.search.query.describe() if self.search.query else ""
            self.snow.say(f"no match for {what}" + (" yet — still searching" if running else ""),
                          "warning")
            return
        self._jump(line)

    # -- actions --------------------------------------------------------------------------------
    def action_search(self) -> None:
        self.bar.open("search", self.search.query if self.search else None)

    def action_filter(self) -> None:
        self.bar.open("filter", self.filter_query)

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def action_cycle_level(self) -> None:
        self.set_level(self.level_choice + 1)

    def action_toggle_follow(self) -> None:
        self.lines.following = not self.lines.following

    def action_toggle_wrap(self) -> None:
        self.lines.wrap = not self.lines.wrap
        self._show_status()

    def action_toggle_numbers(self) -> None:
        self.lines.show_numbers = not self.lines.show_numbers

    def action_pick(self) -> None:
        ws = self.snow.workspace
        entries = log_entries(ws, self.engine_state.jobs)
        current = self.entry.key if self.entry else None
        self.snow.push_screen(LogPickerScreen(ws, entries, current), self._picked)

    def _picked(self, entry: LogEntry | None) -> None:
        if entry is not None and (self.entry is None or entry.key != self.entry.key):
            self.show_entry(entry)
        self.lines.focus()

    def action_escape(self) -> None:
        """Stop running work first; then clear the search, the text filter, the level."""
        if self._stop_work():
            return
        if self.search is not None:
            self.start_search(None)
        elif self.filter_query is not None:
            self.apply_filter(None, LEVEL_CHOICES[self.level_choice][0])
        elif self.level_choice:
            self.set_level(0)

    def _stop_work(self) -> bool:
        stopped: list[str] = []
        if self.indexing and self.long_scan:
            self.workers.cancel_group(self, "log-index")
            self.indexing, self.index_stopped = False, True
            if self.initial:
                self.initial = False
                self.lines.hold = False
            stopped.append("indexing")
        for state in (self.search, self.filter):
            if state is not None and state.running and state.long:
                self.workers.cancel_group(self, f"log-{state.kind}")
                state.running, state.stopped = False, True
                stopped.append("the search" if state.kind == "search" else "the filter")
        if not stopped:
            return False
        self.snow.say(f"stopped {' and '.join(stopped)} — r resumes", "warning")
        self._refresh_text()
        return True

    def action_reload(self) -> None:
        """Resume what esc stopped; otherwise read the file again from scratch."""
        resumed = False
        if self.index_stopped and self.log_file is not None:
            self.index_stopped = False
            resumed = True
            self.poll()
        for state in (self.search, self.filter):
            if state is not None and state.stopped:
                state.reset()
                resumed = True
        if resumed:
            self._continue_matches()
            self._refresh_text()
        elif self.entry is not None:
            self._start_open()

    # -- events from the widgets ----------------------------------------------------------------
    @on(LogSearchBar.Submitted)
    def _bar_submitted(self, msg: LogSearchBar.Submitted) -> None:
        if msg.mode == "search":
            self.start_search(msg.query)
        else:
            self.apply_filter(msg.query, LEVEL_CHOICES[self.level_choice][0])
        self.lines.focus()

    @on(LogSearchBar.CloseRequested)
    def _bar_close(self) -> None:
        if self._stop_work():
            return
        self.bar.close()
        self.lines.focus()

    @on(LogLines.FollowChanged)
    def _follow_changed(self, msg: LogLines.FollowChanged) -> None:
        if msg.following:
            self.new_lines = 0
        self._show_status()

    @on(LogLines.ReadFailed)
    def _read_failed(self, msg: LogLines.ReadFailed) -> None:
        self.snow.say(msg.error, "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.group.startswith("log-"):
            self.snow.say(f"log view: {worker.error}", "error")
            if worker.group == "log-index":
                self.indexing = self.initial = False
                self.index_stopped = True
            self._refresh_text()

    # -- text -----------------------------------------------------------------------------------
    def _refresh_text(self) -> None:
        self.set_class(self.problem is not None, "-no-file")
        self.query_one("#log-message", Static).update(self.problem or "")
        self._show_title()
        self._show_status()

    def _show_title(self) -> None:
        entry, narrow = self.entry, self.snow.narrow
        text = Text(no_wrap=True, overflow="ellipsis")
        if entry is None:
            text.append("No log open — o picks one")
        elif entry.job_id is None:
            text.append("≡ engine log", style="bold")
        else:
            text.append(f"job {entry.job_id}", style="bold")
            if entry.state:
                text.append(f"  {state_label(entry.state)}")
            if entry.name:
                text.append(f"  {entry.name}")
        if entry is not None:
            if self.index is not None:
                text.append(f"  {human_bytes(self.index.size)}")
            if not narrow:
                text.append(f"  {self.snow.workspace.display(entry.path)}", style="dim")
        self._set_text("#log-title", text)

    def _show_status(self) -> None:
        narrow = self.snow.narrow
        parts: list[str] = []
        if self.problem is None:
            if self.lines.following:
                parts.append("● following")
            else:
                paused = "‖ paused"
                if self.new_lines:
                    paused += f" · {self.new_lines:,} new line{'s' if self.new_lines != 1 else ''}"
                parts.append(paused + ("" if narrow else " (f follows)"))
        parts.extend(self._index_words(narrow))
        if self.search is not None:
            parts.append(self._match_words(self.search, narrow))
        if self.filter is not None:
            parts.append(self._match_words(self.filter, narrow))
        if self.lines.wrap:
            parts.append("wrap")
        self._set_text("#log-status", " │ ".join(p for p in parts if p))

    def _set_text(self, selector: str, content: str | Text) -> None:
        """Update a one-line Static only when its text changed, without a relayout (its size
        is fixed): the status line is refreshed on every batch of a scan."""
        text = content if isinstance(content, Text) else \
            Text(content, no_wrap=True, overflow="ellipsis")
        widget = self.query_one(selector, Static)
        if self._texts.get(selector) != text.markup:
            self._texts[selector] = text.markup
            widget.update(text, layout=False)

    def _index_words(self, narrow: bool) -> list[str]:
        index = self.index
        if index is None:
            return ["opening…"] if self.indexing else []
        out: list[str] = []
        count = index.line_count
        if self.filter is not None:
            out.append(f"{len(self.filter.lines):,} of {count:,} lines")
        else:
            out.append(f"{count:,} line{'s' if count != 1 else ''}")
        fraction = index.size / self.index_target if self.index_target else 0.0
        if self.indexing and self.long_scan:
            out.append(f"⟳ indexing {progress_bar(fraction)} {fraction:.0%}"
                       + ("" if narrow else " (esc stops)"))
        elif self.index_stopped:
            out.append(f"⊘ indexing stopped at {fraction:.0%} (r resumes)")
        if self.removed:
            out.append("✗ file removed from disk")
        elif not count and not self.indexing:
            out.append("empty — waiting for lines")
        return out

    def _match_words(self, state: MatchState, narrow: bool) -> str:
        if state.kind == "search":
            label = f"/ {state.query.describe()}" if state.query else "/"
        else:
            bits = [state.query.describe()] if state.query else []
            if state.min_level is not None:
                bits.append(LEVEL_CHOICES[self.level_choice][1])
            label = "filter " + " ".join(bits)
        found = len(state.lines)
        if state.running and state.long:
            return f"{label} ⟳ {progress_bar(state.progress(), 6)} {found:,} so far"
        if state.stopped:
            return f"{label} ⊘ stopped ({found:,} found, r resumes)"
        if state.kind == "filter":
            return label
        if not found:
            return f"{label}: no match"
        if self.current_match is not None:
            k = state.lines.count_below(self.current_match) + 1
            return f"{label}: {k:,}/{found:,}" + ("" if narrow else " (n/N)")
        return f"{label}: {found:,} match{'es' if found != 1 else ''}" + \
            ("" if narrow else " (n/N)")

    # -- palette --------------------------------------------------------------------------------
    def palette_commands(self) -> Iterable[PaletteCommand]:
        yield ("Logs: open a log…", "the engine log or any job's log (o)", self.action_pick)
        yield ("Logs: search…", "highlight matches, n/N to move (/)", self.action_search)
        yield ("Logs: filter lines…", "show only matching lines (\\)", self.action_filter)
        for choice, (_, label) in enumerate(LEVEL_CHOICES):
            yield (f"Logs: level filter {label}", "combined with the text filter (v)",
                   partial(self.set_level, choice))
        yield ("Logs: follow the tail on/off", "f", self.action_toggle_follow)
        yield ("Logs: wrap long lines on/off", "w", self.action_toggle_wrap)
