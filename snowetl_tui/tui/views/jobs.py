"""The Jobs view: every job of the engine, live, with a detail panel for the selected one.

Top: the jobs table (running, paused, queued first, then finished; newest first), filterable
with ``/`` and with finished jobs hidden or shown with ``a``. Below: the selected job's
detail — error, one bar per step, findings, reconciliation, report path, rows-per-day chart.
Row actions are single keys on the selected job (``c`` cancel after a question whose default
is No, ``r`` retry, ``p`` pause/resume, ``+``/``-`` priority, ``l`` its log, ``o`` its
report); an action the job's state does not allow is explained in a toast instead of sent.

Engine updates arrive coalesced from the app (:meth:`JobsView.state_changed`); the table
updates the changed cells only and the detail is redrawn only for the selected job. The
report file behind the chart is read in a thread worker, once per job attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from snowetl_tui.client.job_info import (
    FINAL,
    DayCounts,
    ReportError,
    load_day_counts,
    matches,
    open_report,
    pause_op,
    queue_positions,
    refusal,
    report_json_path,
    report_paths,
)
from snowetl_tui.tui.views.base import PaletteCommand, View
from snowetl_tui.tui.widgets.job_detail import JobDetail
from snowetl_tui.tui.widgets.job_table import JobTable

BINDABLE: list[type] = [JobTable, JobDetail]

#: (report path, attempt, finished?) — when any of these changes the chart is read again
ChartKey = tuple[str | None, int, bool]


@dataclass
class ChartLoaded(Message):
    """The per-day counts of a job were read (or could not be: ``note`` says why)."""

    job_id: str
    key: ChartKey
    data: DayCounts | None
    note: str
    reports: list[Path] | None


@dataclass
class ReportsFound(Message):
    """Report files of a job, and what opening the first one in a browser did."""

    job_id: str
    paths: list[Path]
    opened: str


class JobsView(View):
    VIEW_NAME = "jobs"
    TITLE = "Jobs"
    HELP = (
        "Every job of the engine, live: running, paused and queued first (queued in the order "
        "they will start), then finished ones, newest first. The panel below shows the "
        "selected job: error, one bar per step, findings, reconciliation, report and rows per "
        "day (✗ missing day, ! anomaly). "
        "enter focuses the panel (j/k scroll it), esc comes back. c cancels (asks first), "
        "r retries a failed or cancelled job, p pauses or resumes, +/- change the priority of "
        "a waiting job (higher runs first), l opens its log, o shows its report (opened in "
        "$BROWSER if set), / filters, a hides or shows finished jobs."
    )
    BINDINGS = [
        Binding("c", "cancel", "Cancel", id="jobs.cancel"),
        Binding("r", "retry", "Retry", id="jobs.retry"),
        Binding("p", "pause", "Pause/resume", id="jobs.pause"),
        Binding("l", "log", "Log", id="jobs.log"),
        Binding("o", "report", "Report", id="jobs.report", show=False),
        Binding("slash", "filter", "Filter", id="jobs.filter"),
        Binding("plus", "priority(1)", "Priority up", id="jobs.priority.up", show=False),
        Binding("minus", "priority(-1)", "Priority down", id="jobs.priority.down",
                show=False),
        Binding("a", "toggle_finished", "Hide/show finished", id="jobs.finished",
                show=False),
        Binding("escape", "back", "Back", id="jobs.back"),
    ]
    SCOPED_CSS = False  # the narrow rules start at the Screen's -narrow class
    DEFAULT_CSS = """
    JobsView #jobs-filter { display: none; height: 1; padding: 0 1; }
    JobsView #jobs-filter-label { width: auto; margin-right: 1; text-style: bold; }
    JobsView #jobs-filter-input { width: 1fr; }
    JobsView.-filtering #jobs-filter { display: block; }
    JobsView JobTable { border-top: solid $panel-lighten-2; }
    JobsView JobTable:focus { border-top: solid $accent; }
    .-narrow JobsView.-drilled JobTable { display: none; }
    .-narrow JobsView #detail-cols { layout: vertical; }
    .-narrow JobsView JobDetail Section { margin-bottom: 0; }
    .-narrow JobsView JobDetail DayChart { width: 100%; max-width: 100%; margin: 1 0 0 0;
                                          padding: 0; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filter_text = ""
        self.show_finished = True
        self._shown_id: str | None = None
        self._charts: dict[str, tuple[ChartKey, DayCounts | None, str]] = {}
        self._chart_pending: dict[str, ChartKey] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="jobs-filter"):
            yield Static("Filter /", id="jobs-filter-label")
            yield Input(placeholder="id, file, table, state, error… (enter keeps it, esc "
                        "clears it)", id="jobs-filter-input", compact=True)
        yield JobTable(id="jobs-table")
        yield JobDetail(self.snow.workspace, id="jobs-detail")

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    @property
    def detail(self) -> JobDetail:
        return self.query_one(JobDetail)

    def focus_default(self) -> None:
        self.table.focus()

    # -- engine updates ------------------------------------------------------------------------
    def _visible(self, job: Mapping[str, Any]) -> bool:
        if not self.show_finished and job.get("state") in FINAL:
            return False
        return matches(job, self.filter_text)

    def state_changed(self, changed: set[str] | None) -> None:
        jobs = self.engine_state.jobs
        positions = queue_positions(jobs.values())
        check = None if changed is None else set(changed) | set(positions)
        self.table.sync([j for j in jobs.values() if self._visible(j)], check, positions)
        self._update_title()
        self._show_selected(changed)

    def _refilter(self) -> None:
        """The filter or the finished toggle changed: same diff, every row checked."""
        self.state_changed(set())

    def _update_title(self) -> None:
        jobs = self.engine_state.jobs
        shown = sum(1 for j in jobs.values() if self._visible(j))
        parts = [f"Jobs {shown}" + (f" of {len(jobs)}" if shown != len(jobs) else "")]
        active = sum(1 for j in jobs.values() if j.get("state") not in FINAL)
        parts.append(f"{active} active")
        if self.filter_text:
            parts.append(f"filter “{self.filter_text}”")
        if not self.show_finished:
            parts.append("finished hidden (a)")
        if not self.snow.narrow:
            parts.append("active first (queued in start order), then newest first")
        if not jobs:
            parts.append("no jobs yet")
        title = " · ".join(parts)
        if self.table.border_title != title:
            self.table.border_title = title

    def _empty_reason(self) -> str:
        """Why the table is empty when the engine has jobs: what hides them and the key that
        shows them again."""
        if not self.engine_state.jobs:
            return ""
        hidden = []
        if self.filter_text:
            hidden.append(f"no job matches “{self.filter_text}” (esc clears the filter)")
        if not self.show_finished:
            hidden.append("finished jobs are hidden (a shows them)")
        if not hidden:
            return ""
        text = "; ".join(hidden)
        return text[0].upper() + text[1:] + "."

    def _show_selected(self, changed: set[str] | None) -> None:
        jid = self.table.current_id()
        job = self.engine_state.jobs.get(jid) if jid else None
        moved = jid != self._shown_id
        if moved or changed is None or jid is None or jid in changed:
            self._shown_id = jid
            self.detail.show_job(job, self.snow.clock.wall(), empty_reason=self._empty_reason())
            if job is not None:
                self._want_chart(job)
            if moved:
                self.detail.scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _on_highlight(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_selected(set())

    @on(DataTable.RowSelected, "#jobs-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    # -- the chart -----------------------------------------------------------------------------
    def _chart_key(self, job: Mapping[str, Any]) -> ChartKey:
        path = report_json_path(self.snow.workspace, job)
        return (str(path) if path else None, int(job.get("attempt") or 1),
                job.get("state") in FINAL)

    def _want_chart(self, job: Mapping[str, Any]) -> None:
        jid = str(job["id"])
        chart = self.detail.chart
        if job.get("kind") == "delete":
            chart.show(None, "a delete job has no per-day counts")
            return
        key = self._chart_key(job)
        cached = self._charts.get(jid)
        if cached is not None and cached[0] == key:
            chart.show(cached[1], cached[2])
            return
        has_counts = isinstance(job.get("per_day"), Mapping) or isinstance(
            (job.get("result") or {}).get("per_day"), Mapping)
        if key[0] is None and not has_counts:
            chart.show(None, "per-day counts appear when the read has finished (they come "
                             "from the job's report)")
            return
        chart.show(None, "reading the report…")
        if self._chart_pending.get(jid) != key:
            self._chart_pending[jid] = key
            self._read_chart(dict(job), key)

    @work(thread=True, group="jobs-chart", exit_on_error=False)
    def _read_chart(self, job: dict[str, Any], key: ChartKey) -> None:
        """Runs in a thread: reads the report file; the result goes back as a message.

        Not exclusive: a read that was cancelled before it started would leave its job
        "pending" forever; reads are small and happen once per job attempt (cached)."""
        try:
            data = load_day_counts(self.snow.workspace, job)
            note = "" if data is not None else \
                "no per-day counts: the config has no date column"
        except ReportError as exc:
            data, note = None, str(exc)
        except Exception as exc:  # the panel must always get an answer, never "reading…"
            data, note = None, f"cannot read the report of {job['id']}: {exc}"
        try:
            reports: list[Path] | None = report_paths(self.snow.workspace, job)
        except OSError:
            reports = None  # keep showing the expected path
        self.post_message(ChartLoaded(str(job["id"]), key, data, note, reports))

    @on(ChartLoaded)
    def _on_chart(self, msg: ChartLoaded) -> None:
        if self._chart_pending.get(msg.job_id) == msg.key:
            del self._chart_pending[msg.job_id]
        self._charts[msg.job_id] = (msg.key, msg.data, msg.note)
        if msg.reports is not None:
            self.detail.set_reports(msg.job_id, msg.reports)
        job = self.engine_state.jobs.get(msg.job_id)
        if msg.job_id == self._shown_id and job is not None and \
                self._chart_key(job) == msg.key:
            self.detail.chart.show(msg.data, msg.note)

    # -- actions -------------------------------------------------------------------------------
    def selected_job(self) -> dict[str, Any] | None:
        jid = self.table.current_id()
        return self.engine_state.jobs.get(jid) if jid else None

    def _allowed(self, action: str) -> dict[str, Any] | None:
        job = self.selected_job()
        why = refusal(action, job)
        if why is not None:
            self.snow.say(why, "warning")
            return None
        return job

    def action_cancel(self) -> None:
        job = self._allowed("cancel")
        if job is not None:
            self.snow.confirm_cancel(job)

    def action_retry(self) -> None:
        job = self._allowed("retry")
        if job is not None:
            self.snow.run_command("retry", f"retry: job {job['id']} queued again (attempt "
                                  f"{int(job.get('attempt') or 1) + 1})", job=job["id"])

    def action_pause(self) -> None:
        job = self._allowed("pause")
        if job is None:
            return
        op = pause_op(job)
        done = (f"resumed job {job['id']}" if op == "resume" else
                f"pause requested for {job['id']}: it stops at the next chunk or step"
                if job.get("state") == "running" else f"job {job['id']} held (paused)")
        self.snow.run_command(op, done, job=job["id"])

    def action_priority(self, delta: int) -> None:
        job = self._allowed("priority")
        if job is None:
            return
        new = int(job.get("priority") or 0) + delta
        self.snow.run_command("set_priority", f"priority of {job['id']} now {new} (higher runs "
                              "first)", job=job["id"], priority=new)

    def action_log(self) -> None:
        job = self.selected_job()
        if job is None:
            self.snow.say("no job selected", "warning")
            return
        self.snow.show_view("logs", job=job["id"])

    def action_report(self) -> None:
        job = self.selected_job()
        if job is None:
            self.snow.say("no job selected", "warning")
            return
        self._find_reports(dict(job))

    @work(thread=True, exclusive=True, group="jobs-report", exit_on_error=False)
    def _find_reports(self, job: dict[str, Any]) -> None:
        """Runs in a thread: stats/lists report files and may start a browser."""
        try:
            paths = report_paths(self.snow.workspace, job)
            opened = open_report(paths[0]) if paths else ""
        except Exception as exc:  # say why instead of staying silent
            paths, opened = [], f"(looking for reports failed: {exc})"
        self.post_message(ReportsFound(str(job["id"]), paths, opened))

    @on(ReportsFound)
    def _on_reports(self, msg: ReportsFound) -> None:
        if not msg.paths:
            self.snow.say(f"job {msg.job_id} has no report yet: it is written when the read "
                          f"ends {msg.opened}".rstrip(), "warning")
            return
        others = " · ".join(str(p) for p in msg.paths[1:])
        self.snow.say(f"{msg.job_id} {msg.opened}" + (f" · also {others}" if others else ""))

    # -- navigation, filter --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """esc (back) is offered in the footer only when there is something to go back from."""
        if action == "back":
            return self.has_class("-drilled") or self.has_class("-filtering") or \
                bool(self.filter_text)
        return True

    def _set_mode(self, drilled: bool | None = None, filtering: bool | None = None) -> None:
        if drilled is not None:
            self.set_class(drilled, "-drilled")
        if filtering is not None:
            self.set_class(filtering, "-filtering")
        self.refresh_bindings()

    def action_drill(self) -> None:
        if self.selected_job() is None:
            self.snow.say("no job selected", "warning")
            return
        self._set_mode(drilled=True)
        self.detail.focus()

    def action_back(self) -> None:
        """esc: leave the detail, else close the filter, else nothing."""
        if self.has_class("-drilled") or self.detail.has_focus:
            self._set_mode(drilled=False)
            self.table.focus()
        elif self.filter_text or self.has_class("-filtering"):
            self._close_filter()

    def action_filter(self) -> None:
        self._set_mode(drilled=False, filtering=True)
        box = self.query_one("#jobs-filter-input", Input)
        box.value = self.filter_text
        box.focus()

    def _close_filter(self) -> None:
        box = self.query_one("#jobs-filter-input", Input)
        if self.filter_text or box.value:
            box.value = ""
            self.filter_text = ""
            self._refilter()
        self._set_mode(filtering=False)
        self.table.focus()

    @on(Input.Changed, "#jobs-filter-input")
    def _on_filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.filter_text:
            self.filter_text = event.value
            self._refilter()

    @on(Input.Submitted, "#jobs-filter-input")
    def _on_filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self._set_mode(filtering=False)
        self.table.focus()

    def action_toggle_finished(self) -> None:
        self.show_finished = not self.show_finished
        self._refilter()
        self.snow.say("finished jobs shown" if self.show_finished else
                      "finished jobs hidden (a shows them again)")

    def on_resize(self) -> None:
        self._update_title()

    def open(self, **args: Any) -> None:
        """``show_view("jobs", job=ID)`` selects that job (clearing what would hide it)."""
        jid = args.get("job")
        if not jid:
            return
        job = self.engine_state.jobs.get(str(jid))
        if job is not None and not self._visible(job):
            self.filter_text = ""
            self.show_finished = True
            self.query_one("#jobs-filter-input", Input).value = ""
            self._set_mode(filtering=False)
            self._refilter()
        if self.table.select(str(jid)):
            self._show_selected(set())

    def palette_commands(self) -> Iterable[PaletteCommand]:
        yield ("Jobs: filter…", "Show only jobs matching a text (/)", self.action_filter)
        yield ("Jobs: hide finished jobs" if self.show_finished else "Jobs: show finished jobs",
               "Toggle finished jobs in the table (a)", self.action_toggle_finished)
        job = self.selected_job()
        if job is not None:
            yield (f"Jobs: report of {job['id']}", "Show the report paths; open in $BROWSER (o)",
                   self.action_report)
            if job.get("state") in ("failed", "cancelled"):
                yield (f"Jobs: retry {job['id']}", "Queue the job again (r)", self.action_retry)
