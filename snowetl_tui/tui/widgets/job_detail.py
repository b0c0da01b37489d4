"""The detail panel of the selected job: what it is, its error, one bar per step, findings,
reconciliation, report path and the per-day chart.

It is redrawn only when the selected job changed (the view calls :meth:`JobDetail.show_job`
for that job alone), and each part is replaced only if its text differs, so a progress delta
repaints one or two lines. Everything is built as Rich ``Text``/grids, never markup, because
file names and error messages may contain brackets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from snowetl_tui.client.job_info import (
    STEP_LABELS,
    StepView,
    job_title,
    parse_time,
    reconciliation,
    report_json_path,
    step_flow,
    step_views,
)
from snowetl_tui.tui.state import STATE_LOOK, human_duration, state_label
from snowetl_tui.tui.widgets.day_chart import DayChart
from snowetl_tui.tui.widgets.job_table import progress_bar, theme_style
from snowetl_tui.workspace import Workspace

STEP_SYMBOL = {
    "done": "✓", "running": "▶", "paused": "‖", "failed": "✗", "cancelled": "⊘",
    "waiting": "◌", "not reached": "·", "skipped": "–", "not needed": "–",
}
FINDING_LOOK = {"FAIL": ("✗", "error"), "WARN": ("!", "warning"), "PASS": ("✓", "success")}
STEP_BAR = 12
LABEL_W = max(len(v) for v in STEP_LABELS.values())


class Section(Static):
    """A part of the panel that repaints only when its content changes."""

    DEFAULT_CSS = "Section { height: auto; margin-bottom: 1; } Section.-empty { display: none; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.add_class("-empty")
        self.key: object = None
        self.text = ""

    def set(self, key: object, renderable: RenderableType | None, text: str = "") -> None:
        """Show ``renderable``; ``key`` identifies its content (skip if unchanged); ``text``
        is its plain form for tests. None hides the section."""
        if key == self.key:
            return
        self.key, self.text = key, text
        self.set_class(renderable is None, "-empty")
        self.update(renderable if renderable is not None else "")


class JobDetail(VerticalScroll):
    """Scrollable detail of one job (focus it with enter in the table, esc to go back)."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", id="jobs.detail.down", show=False),
        Binding("k", "scroll_up", "Scroll up", id="jobs.detail.up", show=False),
        Binding("g", "scroll_home", "Top", id="jobs.detail.top", show=False),
        Binding("G", "scroll_end", "Bottom", id="jobs.detail.bottom", show=False),
    ]
    DEFAULT_CSS = """
    JobDetail { height: 1fr; border-top: solid $panel-lighten-2; padding: 0 1;
                scrollbar-size-vertical: 1; }
    JobDetail:focus { border-top: solid $accent; }
    JobDetail #detail-cols { height: auto; }
    JobDetail #detail-left { width: 1fr; height: auto; }
    JobDetail DayChart { width: auto; max-width: 60%; margin-left: 1; }
    JobDetail #detail-empty { color: $text-muted; }
    """

    def __init__(self, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.job: Mapping[str, Any] | None = None
        self.reports: dict[str, list[Path]] = {}
        self.border_title = "No job selected"

    def compose(self) -> ComposeResult:
        yield Section(id="detail-empty")
        yield Section(id="detail-head")
        with Horizontal(id="detail-cols"):
            with Vertical(id="detail-left"):
                yield Section(id="detail-error")
                yield Section(id="detail-steps")
                yield Section(id="detail-findings")
                yield Section(id="detail-recon")
                yield Section(id="detail-report")
            yield DayChart(id="detail-chart")

    def on_mount(self) -> None:
        self.query_one(DayChart).set_styles({
            "bar": theme_style(self.app, "$primary"),
            "anomaly": theme_style(self.app, "bold $warning"),
            "missing": theme_style(self.app, "bold $error"),
        })
        self.show_job(None, datetime.now().astimezone())

    def section(self, name: str) -> Section:
        return self.query_one(f"#detail-{name}", Section)

    @property
    def chart(self) -> DayChart:
        return self.query_one(DayChart)

    # -- content -------------------------------------------------------------------------------
    def _style(self, spec: str) -> str:
        return theme_style(self.app, spec)

    def show_job(self, job: Mapping[str, Any] | None, now: datetime, *,
                 empty_reason: str = "") -> None:
        """Show ``job`` (None: the empty state, explained by ``empty_reason`` when jobs exist
        but are filtered out); repaints only the parts that changed."""
        self.job = job
        cols = self.query_one("#detail-cols")
        if job is None:
            self.border_title = "No job selected"
            empty = Text(empty_reason or (
                "No job to show. Queue files in the Files view (press 1), or load from a shell "
                "with `snowetl-tui load FILE` — jobs appear here live."))
            self.section("empty").set(empty.plain, empty, empty.plain)
            self.section("head").set(None, None)
            cols.display = False
            return
        cols.display = True
        self.section("empty").set(None, None)
        self.border_title = f"Job {job.get('id')}"
        self._head(job, now)
        self._error(job)
        self._steps(job, now)
        self._findings(job)
        self._recon(job)
        self._report(job)

    def _head(self, job: Mapping[str, Any], now: datetime) -> None:
        state = str(job.get("state"))
        t = Text()
        t.append(state_label(state), style=self._style(STATE_LOOK.get(state, ("", "", ""))[2]))
        if state == "running" and job.get("pause_requested"):
            t.append(" (pause requested: stops at the next chunk)", style="italic")
        t.append(f"  {job.get('kind')}  ", style="bold")
        t.append(job_title(job), style="bold")
        if job.get("table") and job.get("kind") != "delete":
            t.append(f" → {job.get('table')}")
        if job.get("target"):
            t.append(f" on {job.get('target')}")
        t.append("\n")
        info = [str(job.get("id"))]
        if int(job.get("attempt") or 1) > 1:
            info.append(f"attempt {job.get('attempt')}")
        info.append(f"priority {int(job.get('priority') or 0)}")
        if job.get("recovered"):
            info.append("recovered after an engine restart")
        times = []
        for key in ("created", "started", "finished"):
            stamp = parse_time(job.get(key))
            if stamp is not None:
                times.append(f"{key} {stamp:%H:%M:%S}" + ("" if times else " UTC"))
        start, end = parse_time(job.get("started")), parse_time(job.get("finished"))
        if start is not None:
            took = ((end or now) - start).total_seconds()
            times.append(("took " if end else "elapsed ") + human_duration(took))
        t.append(" · ".join(info + times), style="dim")
        if job.get("file"):
            t.append(f"\n{job.get('file')}", style="dim")
        self.section("head").set(t.plain, t, t.plain)

    def _error(self, job: Mapping[str, Any]) -> None:
        error = job.get("error")
        if not error:
            self.section("error").set(None, None)
            return
        t = Text()
        t.append("✗ Error  ", style=self._style("bold $error"))
        t.append(str(error))
        self.section("error").set(t.plain, t, t.plain)

    def _steps(self, job: Mapping[str, Any], now: datetime) -> None:
        flow = Text()
        flow.append("Steps  ", style="bold")
        trail = step_flow(job)
        for i, (name, status) in enumerate(trail):
            if i:
                flow.append(" › ", style="dim")
            flow.append(f"{name} {STEP_SYMBOL.get(status, '?')}",
                        style=self._step_style(status))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1, no_wrap=True)
        grid.add_column(ratio=1)
        views = step_views(job, now)
        for view in views:
            grid.add_row(Text(STEP_SYMBOL.get(view.status, "?"),
                              style=self._step_style(view.status)), self._step_text(view))
        plain = flow.plain + "\n" + "\n".join(
            f"{STEP_SYMBOL.get(v.status, '?')} {v.label} {v.status} "
            f"{'' if v.fraction is None else f'{v.fraction * 100:.0f}%'} {v.detail}"
            for v in views)
        self.section("steps").set(plain, Group(flow, grid) if views else flow, plain)

    def _step_style(self, status: str) -> str:
        return {"done": self._style("$success"), "running": self._style("bold $accent"),
                "paused": self._style("$warning"), "failed": self._style("bold $error"),
                "cancelled": "dim"}.get(status, "dim")

    def _step_text(self, view: StepView) -> Text:
        t = Text()
        t.append(f"{view.label:<{LABEL_W}} ", style="bold" if view.status == "running" else "")
        if view.status == "not needed":
            t.append(f"not needed ({view.detail})", style="dim")
            return t
        if view.fraction is None:
            t.append("▕" + "░" * STEP_BAR + "▏    ", style="dim")
        else:
            t.append("▕" + progress_bar(view.fraction, STEP_BAR) + "▏",
                     style=self._step_style(view.status) if view.status != "waiting" else "dim")
            t.append(f"{view.fraction * 100:4.0f}%")
        t.append(f" {view.status}", style=self._step_style(view.status))
        if view.detail:
            t.append(f"\n{view.detail}", style="dim")
        return t

    def _findings(self, job: Mapping[str, Any]) -> None:
        findings = [f for f in job.get("findings") or [] if isinstance(f, Mapping)]
        verdict = (job.get("result") or {}).get("verdict")
        head = Text()
        head.append(f"Findings ({len(findings)})", style="bold")
        if verdict:
            sym = {"pass": "✓", "warn": "!", "fail": "✗"}.get(str(verdict), "?")
            head.append(f"  validation verdict: {sym} {verdict}")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for f in findings:
            status = str(f.get("status") or "?")
            sym, role = FINDING_LOOK.get(status, ("?", "text"))
            name = str(f.get("name") or "?")
            count = f.get("count")
            body = Text()
            body.append(name, style="bold")
            if isinstance(count, int) and count:
                body.append(f" ×{count:,}")
            body.append(f" — {f.get('message') or ''}")
            grid.add_row(Text(f"{sym} {status}", style=self._style(f"bold ${role}")), body)
        if not findings:
            state = job.get("state")
            note = ("✓ none: every check passed" if verdict in ("pass", "warn") else
                    "none so far: checks report when the read ends" if state in
                    ("queued", "running", "paused") else "none recorded")
            body_r: RenderableType = Text(note, style="dim")
            lines = [note]
        else:
            body_r = grid
            lines = [f"{f.get('status')} {f.get('name')} {f.get('count')} {f.get('message')}"
                     for f in findings]
        plain = "\n".join([head.plain, *lines])
        self.section("findings").set(plain, Group(head, body_r), plain)

    def _recon(self, job: Mapping[str, Any]) -> None:
        status, sentence = reconciliation(job)
        sym, role = {"ok": ("✓", "$success"), "failed": ("✗", "bold $error"),
                     "pending": ("◌", "dim"), "none": ("–", "dim")}[status]
        t = Text()
        t.append("Reconciliation  ", style="bold")
        t.append(f"{sym} ", style=self._style(role))
        t.append(sentence, style=self._style(role) if status == "failed" else "")
        self.section("recon").set(t.plain, t, t.plain)

    def _report(self, job: Mapping[str, Any]) -> None:
        found = self.reports.get(str(job.get("id")))
        path = report_json_path(self.workspace, job)
        paths = found if found is not None else ([path] if path is not None else [])
        if not paths or job.get("kind") == "delete":
            self.section("report").set(None, None)
            return
        t = Text()
        t.append("Report  ", style="bold")
        t.append(" · ".join(self._short(p) for p in paths))
        t.append("  (key o)", style="dim")
        self.section("report").set(t.plain, t, t.plain)

    def set_reports(self, job_id: str, paths: list[Path]) -> None:
        """Report files found on disk for ``job_id`` (HTML and JSON), shown instead of the
        expected JSON path once known."""
        self.reports[job_id] = paths
        if self.job is not None and str(self.job.get("id")) == job_id:
            self._report(self.job)

    def _short(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.workspace.root))
        except ValueError:
            return str(path)

    @property
    def plain(self) -> str:
        """Everything the panel shows, as text (tests assert on it)."""
        if self.job is None:
            return self.section("empty").text
        parts = [s.text for s in self.query(Section) if not s.has_class("-empty")]
        return "\n".join([*parts, self.chart.plain])
