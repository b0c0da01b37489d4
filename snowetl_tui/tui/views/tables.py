"""The Tables view: what has been loaded, per target, table and period — and, for a period,
its details, the warehouse-side checks, and a safe delete.

Everything slow (the ledger's SQLite, the filesystem, the warehouse) runs in thread workers that
post a message back; the handlers here own every widget. The ledger reloads itself when a load
or delete job of the engine reaches a final state, and on ``r``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from snowetl_tui.client.tables import (
    DeleteQuestion,
    LedgerSnapshot,
    PeriodRow,
    delete_question,
    detail_lines,
    read_details,
    read_ledger,
    report_files,
    run_checks,
)
from snowetl_tui.errors import SnowetlError
from snowetl_tui.load.period_check import PeriodCheck
from snowetl_tui.tui.views.base import PaletteCommand, View
from snowetl_tui.tui.widgets.table_ledger import (
    GROUP_TABLE,
    GROUP_TARGET,
    PERIOD,
    LedgerTable,
)

FINAL_JOB_STATES = frozenset({"succeeded", "failed", "cancelled"})
LEDGER_JOB_KINDS = frozenset({"load", "delete"})
CHECK_STYLE = {"PASS": "", "WARN": "bold yellow", "FAIL": "bold red"}
CHECKING = "checking"
PANEL_WIDTH = 60  # columns of the details panel beside the table (wide screens)


# -- messages from the workers -------------------------------------------------------------------
@dataclass
class LedgerRead(Message):
    snapshot: LedgerSnapshot | None
    error: str | None = None


@dataclass
class DetailsRead(Message):
    key: str
    lines: list[tuple[str, str]]
    error: str | None = None


@dataclass
class CheckDone(Message):
    key: str
    label: str
    result: PeriodCheck | None
    error: str | None = None


@dataclass
class DeleteCounted(Message):
    label: str
    question: DeleteQuestion | None
    error: str | None = None


@dataclass
class ReportsFound(Message):
    job_id: str
    paths: list[str]


class EmptyNote(Static, can_focus=True):
    """The explanation shown instead of an empty table (focusable, so r and a still work)."""


class TablesView(View):
    VIEW_NAME = "tables"
    TITLE = "Tables"
    HELP = ("What has been loaded, per target, table and period: rows, source file, when, "
            "job and user (the same ledger as `snowetl-tui tables`). enter shows a period's "
            "details (or folds a group), c runs the warehouse-side checks of the period, d "
            "deletes it after showing how many rows go (default No), l opens its job's log, "
            "o its report, a shows failed and deleted loads too.")

    BINDINGS = [
        Binding("c", "check", "Check", id="tables.check"),
        Binding("d,ctrl+d", "delete", "Delete", id="tables.delete"),
        Binding("l", "log", "Log", id="tables.log"),
        Binding("o", "report", "Report", id="tables.report", show=False),
        Binding("r", "refresh", "Refresh", id="tables.refresh", show=False),
        Binding("a", "toggle_all", "All loads", id="tables.all"),
        Binding("escape", "close_panel", "Back", id="tables.close"),
    ]

    # Unscoped: the narrow layout hangs off the Screen's ``-narrow`` class (every rule still
    # starts at TablesView).
    SCOPED_CSS = False
    DEFAULT_CSS = """
    TablesView #tables-summary { height: 1; padding: 0 1; color: $text-muted; }
    TablesView #tables-main { height: 1fr; }
    TablesView LedgerTable { width: 1fr; height: 1fr; }
    TablesView #tables-panel { width: 60; height: 1fr; border-left: solid $primary;
                               padding: 0 1; display: none; }
    TablesView.-panel-open #tables-panel { display: block; }
    TablesView #tables-detail { margin-top: 1; }
    TablesView EmptyNote { height: 1fr; padding: 1 2; display: none; }
    TablesView.-empty EmptyNote { display: block; }
    TablesView.-empty #tables-main { display: none; }
    .-narrow TablesView #tables-panel { width: 1fr; border-left: none; }
    .-narrow TablesView.-panel-open LedgerTable { display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snapshot: LedgerSnapshot | None = None
        self.show_all = False
        self.panel_key: str | None = None  # load id whose details the panel shows
        self.details: dict[str, list[tuple[str, str]]] = {}
        self.checks: dict[str, PeriodCheck | str] = {}  # load id → result, CHECKING or error
        self.busy: dict[str, str] = {}  # what workers are doing (op → words), for the summary
        self._job_states: dict[str, str] = {}
        self._seen_jobs = False
        self._shape: tuple[str, int] | None = None

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("reading the ledger…", id="tables-summary")
        yield EmptyNote("", id="tables-empty")
        with Horizontal(id="tables-main"):
            yield LedgerTable(id="tables-table")
            with VerticalScroll(id="tables-panel"):
                yield Static("", id="tables-checks")
                yield Static("", id="tables-detail")

    def on_mount(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        if self.snapshot is not None and self._shape != self._want_shape():
            self._render_ledger()

    @property
    def table(self) -> LedgerTable:
        return self.query_one(LedgerTable)

    def focus_default(self) -> None:
        if self.has_class("-empty"):
            self.query_one(EmptyNote).focus()
        elif self.snow.narrow and self.has_class("-panel-open"):
            self.query_one("#tables-panel").focus()
        else:
            self.table.focus()

    def open(self, **args: Any) -> None:
        if self.snapshot is None:
            return
        self.reload()

    def palette_commands(self) -> Iterable[PaletteCommand]:
        row = self.current_period()
        yield ("Tables: refresh the ledger", "Read the ledger again", self.action_refresh)
        yield ("Tables: show all loads" if not self.show_all else "Tables: show loaded only",
               "Toggle failed, refused and deleted loads", self.action_toggle_all)
        if row is not None:
            yield (f"Tables: check {row.describe()}", "Warehouse-side checks of the period",
                   self.action_check)
            yield (f"Tables: delete {row.describe()}", "Counts the rows, then asks (default No)",
                   self.action_delete)

    # -- engine updates -------------------------------------------------------------------------
    def state_changed(self, changed: set[str] | None) -> None:
        """Reload the ledger when a load or delete job reached a final state."""
        jobs = self.engine_state.jobs
        reload = False
        for jid in list(jobs) if changed is None else changed:
            job = jobs.get(jid)
            if job is None:
                continue
            state = str(job.get("state"))
            before = self._job_states.get(jid)
            self._job_states[jid] = state
            if job.get("kind") in LEDGER_JOB_KINDS and state in FINAL_JOB_STATES and \
                    before != state and (before is not None or self._seen_jobs):
                reload = True
        self._seen_jobs = True
        if reload:
            self.reload()

    # -- the ledger -----------------------------------------------------------------------------
    def reload(self) -> None:
        self._read_ledger(self.show_all)

    @work(thread=True, exclusive=True, group="tables-ledger", exit_on_error=False)
    def _read_ledger(self, show_all: bool) -> None:
        try:
            snap = read_ledger(self.snow.workspace, show_all=show_all)
        except SnowetlError as exc:
            self.post_message(LedgerRead(None, str(exc)))
            return
        self.post_message(LedgerRead(snap))

    @on(LedgerRead)
    def _on_ledger(self, msg: LedgerRead) -> None:
        if msg.snapshot is None:
            self.snow.say(f"cannot read the ledger: {msg.error}", "error")
            self._set_summary(Text(f"✗ cannot read the ledger: {msg.error}"))
            return
        if msg.snapshot.show_all != self.show_all:
            return  # an older read, superseded by a toggle
        had_focus = self.table.has_focus or self.query_one(EmptyNote).has_focus
        self.snapshot = msg.snapshot
        self.set_class(msg.snapshot.empty, "-empty")
        self.query_one(EmptyNote).update(self._empty_text(msg.snapshot))
        self._render_ledger()
        if self.panel_key is not None:
            if msg.snapshot.find(self.panel_key) is None:
                self.close_panel()
            else:
                self._load_details(self.panel_key)
        if had_focus:
            self.focus_default()

    def _want_shape(self) -> tuple[str, int]:
        """(layout, width of the table): narrow screens drop job and user (the details
        panel has them); beside the panel the file goes too."""
        width = self.app.size.width
        if self.snow.narrow:
            return "narrow", width
        if self.has_class("-panel-open"):
            return "panel", width - PANEL_WIDTH
        return "wide", width

    def _render_ledger(self, keep: str | None = None) -> None:
        if self.snapshot is None:
            return
        self._shape = layout, width = self._want_shape()
        self.table.show(self.snapshot, layout=layout, width=width, keep=keep)
        self._show_summary()

    def _show_summary(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        narrow = self.snow.narrow
        text = Text(snap.summary(short=narrow))
        if snap.show_all:
            text.append(" · every load (a: loaded only)" if narrow else
                        " · showing every load (a: loaded only)", style="dim")
        elif snap.hidden:
            text.append(f" · {snap.hidden} hidden (a: all)" if narrow else
                        f" · {snap.hidden} failed/deleted load{'s' if snap.hidden != 1 else ''}"
                        " hidden (a shows them)", style="dim")
        for doing in self.busy.values():
            text.append(f" · ⟳ {doing}", style="bold")
        self._set_summary(text)

    def _set_summary(self, text: Text) -> None:
        self.query_one("#tables-summary", Static).update(text)

    def _empty_text(self, snap: LedgerSnapshot) -> Text:
        root = self.snow.workspace.root
        text = Text()
        if snap.hidden:
            text.append(f"No load has succeeded here yet; {snap.hidden} failed or deleted "
                        f"load{'s are' if snap.hidden != 1 else ' is'} hidden — press a to "
                        "show them.\n\n", style="bold")
        else:
            text.append("Nothing has been loaded into this workspace yet.\n\n", style="bold")
        text.append(
            "Every load is recorded here: table, period, rows, source file, when, job and "
            "user. To load files, press 1 (Files), pick data files and queue them, or from "
            "a shell:\n\n")
        text.append(f"    snowetl-tui -w {root} load FILE…\n\n", style="bold")
        text.append("To try it out, create a demo workspace with sample files and a config:"
                    "\n\n")
        text.append("    snowetl-tui -w DIR demo\n\n", style="bold")
        text.append("The ledger refreshes itself when a load finishes; r reads it again.",
                    style="dim")
        return text

    # -- cursor and panel -----------------------------------------------------------------------
    def current_period(self) -> PeriodRow | None:
        """The period row under the cursor (None on a group row or an empty ledger)."""
        if self.snapshot is None or self.has_class("-empty"):
            return None
        key = self.table.current_key()
        if key is None or not key.startswith(f"{PERIOD}:"):
            return None
        return self.snapshot.find(key.split(":", 1)[1])

    def _period_or_say(self) -> PeriodRow | None:
        row = self.current_period()
        if row is None:
            self.snow.say("select a period (a row under a table) first", "warning")
        return row

    @on(DataTable.RowSelected, "#tables-table")
    def _on_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = str(event.row_key.value)
        if key.startswith((f"{GROUP_TARGET}:", f"{GROUP_TABLE}:")):
            self.table.toggle(key)
            self._render_ledger(keep=key)
            return
        row = self.current_period()
        if row is not None:
            self.open_panel(row)

    @on(DataTable.RowHighlighted, "#tables-table")
    def _on_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if not self.has_class("-panel-open"):
            return
        row = self.current_period()
        if row is not None and row.key != self.panel_key:
            self.panel_key = row.key
            self._render_panel()
            self._load_details(row.key)

    def open_panel(self, row: PeriodRow) -> None:
        self.panel_key = row.key
        was_open = self.has_class("-panel-open")
        self.add_class("-panel-open")
        if not was_open:
            self._render_ledger()
            self.refresh_bindings()
        self._render_panel()
        self._load_details(row.key)
        if self.snow.narrow:
            self.query_one("#tables-panel").focus()

    def close_panel(self) -> None:
        self.panel_key = None
        if self.has_class("-panel-open"):
            self.remove_class("-panel-open")
            self._render_ledger()
            self.refresh_bindings()
            if not self.has_class("-empty"):
                self.table.focus()

    def action_close_panel(self) -> None:
        self.close_panel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``esc`` is offered (and shown in the footer) only while the details are open."""
        if action == "close_panel":
            return self.has_class("-panel-open")
        return True

    @work(thread=True, exclusive=True, group="tables-details", exit_on_error=False)
    def _load_details(self, key: str) -> None:
        ws = self.snow.workspace
        try:
            lines = detail_lines(ws, read_details(ws, key))
        except SnowetlError as exc:
            self.post_message(DetailsRead(key, [], str(exc)))
            return
        self.post_message(DetailsRead(key, lines))

    @on(DetailsRead)
    def _on_details(self, msg: DetailsRead) -> None:
        if msg.error:
            self.details[msg.key] = [("error", msg.error)]
        else:
            self.details[msg.key] = msg.lines
        if msg.key == self.panel_key:
            self._render_panel()

    def _render_panel(self) -> None:
        """Head (table, period, state), then the checks, then the ledger record: the
        findings stay in sight without scrolling past the record."""
        key = self.panel_key
        row = self.snapshot.find(key) if (self.snapshot and key) else None
        checks = self.query_one("#tables-checks", Static)
        detail = self.query_one("#tables-detail", Static)
        if row is None or key is None:
            checks.update("")
            detail.update("")
            return
        head = Text()
        head.append(f"{row.table}\n", style="bold")
        head.append(f"{row.period_label} on {row.target} · {row.state_label}")
        checks.update(Group(head, self._checks_text(key)))
        lines = self.details.get(key)
        if lines is None:
            detail.update(Text("reading the ledger…", style="dim"))
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in lines:
            grid.add_row(Text(label), Text(value))
        detail.update(Group(Text("Ledger record", style="bold underline"), grid))

    def _checks_text(self, key: str) -> Text:
        text = Text()
        text.append("\nWarehouse checks\n", style="bold underline")
        state = self.checks.get(key)
        if state is None:
            text.append("not run — press c to compare the warehouse with the ledger, the "
                        "loaded file and the calendar", style="dim")
        elif state == CHECKING:
            text.append("⟳ checking… (counting in the warehouse)", style="bold")
        elif isinstance(state, str):
            text.append(f"✗ could not check: {state}", style="bold red")
        else:
            text.append(f"{state.summary()}\n", style=CHECK_STYLE[state.status])
            for f in state.findings:
                text.append(f"{f.symbol} {f.status} ", style=CHECK_STYLE[f.status])
                text.append(f"{f.check}: {f.message}\n")
                for ex in f.examples:
                    text.append(f"    · {ex}\n", style="dim")
        text.rstrip()
        return text

    # -- checks ---------------------------------------------------------------------------------
    def action_check(self) -> None:
        row = self._period_or_say()
        if row is None:
            return
        if row.period is None:
            self.snow.say(f"{row.table} load {row.key} has no period: nothing to check",
                          "warning")
            return
        if self.checks.get(row.key) == CHECKING:
            self.snow.say(f"already checking {row.describe()}")
            return
        self.checks[row.key] = CHECKING
        self.busy[f"check:{row.key}"] = f"checking {row.describe()}…"
        self._show_summary()
        self.open_panel(row)
        self._run_check(row)

    @work(thread=True, group="tables-check", exit_on_error=False)
    def _run_check(self, row: PeriodRow) -> None:
        try:
            result = run_checks(self.snow.workspace, row)
        except SnowetlError as exc:
            self.post_message(CheckDone(row.key, row.describe(), None, str(exc)))
            return
        except Exception as exc:  # a connector's surprise must not leave "checking…" forever
            self.post_message(CheckDone(row.key, row.describe(), None,
                                        f"unexpected {type(exc).__name__}: {exc}"))
            return
        self.post_message(CheckDone(row.key, row.describe(), result))

    @on(CheckDone)
    def _on_check(self, msg: CheckDone) -> None:
        self.busy.pop(f"check:{msg.key}", None)
        self._show_summary()
        if msg.result is None:
            self.checks[msg.key] = msg.error or "unknown error"
            self.snow.say(f"check of {msg.label}: {msg.error}", "error")
        else:
            self.checks[msg.key] = msg.result
            self.snow.say(f"{msg.label}: {msg.result.summary()}",
                          "information" if msg.result.status == "PASS" else "warning")
        if msg.key == self.panel_key:
            self._render_panel()

    # -- delete ---------------------------------------------------------------------------------
    def action_delete(self) -> None:
        row = self._period_or_say()
        if row is None:
            return
        if row.period is None:
            self.snow.say(f"{row.table} load {row.key} has no period: delete it with "
                          "`snowetl-tui delete`", "warning")
            return
        self.busy["delete"] = f"counting the rows of {row.describe()}…"
        self._show_summary()
        self._count_rows(row)

    @work(thread=True, exclusive=True, group="tables-delete", exit_on_error=False)
    def _count_rows(self, row: PeriodRow) -> None:
        try:
            question = delete_question(self.snow.workspace, row)
        except SnowetlError as exc:
            self.post_message(DeleteCounted(row.describe(), None, str(exc)))
            return
        except Exception as exc:  # never ask a question whose count is unknown
            self.post_message(DeleteCounted(row.describe(), None,
                                            f"unexpected {type(exc).__name__}: {exc}"))
            return
        self.post_message(DeleteCounted(row.describe(), question))

    @on(DeleteCounted)
    def _on_counted(self, msg: DeleteCounted) -> None:
        self.busy.pop("delete", None)
        self._show_summary()
        q = msg.question
        if q is None:
            self.snow.say(f"cannot delete {msg.label}: {msg.error}", "error")
            return
        note = ("\n\nThe rows go in one transaction, through the engine (after any running "
                "load of the target); the ledger marks the period deleted so it can be "
                "loaded again.")
        if q.rows == 0:
            note = ("\n\nThe warehouse holds no rows for this period; deleting only marks the "
                    "ledger's loads of it deleted, so it can be loaded again.")
        self.snow.confirm(q.question() + note, lambda: self._send_delete(q),
                          yes_label="Delete", title="Delete period")

    def _send_delete(self, q: DeleteQuestion) -> None:
        self.snow.run_command(
            "delete_period",
            lambda job: f"delete of {q.table} {q.period_label} on {q.target} queued as job "
                        f"{job.get('id') if isinstance(job, dict) else job}",
            **q.command_args())

    # -- log, report, refresh, all --------------------------------------------------------------
    def action_log(self) -> None:
        row = self._period_or_say()
        if row is None:
            return
        if not row.record.job_id:
            self.snow.say(f"{row.describe()} was loaded without the engine (foreground): it "
                          "has no job log", "warning")
            return
        self.snow.show_view("logs", job=row.record.job_id)

    def action_report(self) -> None:
        row = self._period_or_say()
        if row is None:
            return
        if not row.record.job_id and not row.record.report_path:
            self.snow.say(f"{row.describe()} was loaded without the engine: no report was "
                          "kept", "warning")
            return
        self._find_reports(row)

    @work(thread=True, exclusive=True, group="tables-report", exit_on_error=False)
    def _find_reports(self, row: PeriodRow) -> None:
        ws = self.snow.workspace
        paths = report_files(ws, row.record.job_id, row.key, row.record.report_path)
        self.post_message(ReportsFound(row.record.job_id or row.key,
                                       [ws.display(p) for p in paths]))

    @on(ReportsFound)
    def _on_reports(self, msg: ReportsFound) -> None:
        if not msg.paths:
            self.snow.say(f"no report on disk for job {msg.job_id} (logs/jobs/"
                          f"{msg.job_id}.report.json is gone)", "warning")
            return
        self.snow.say("report: " + " · ".join(msg.paths))

    def action_refresh(self) -> None:
        self.reload()
        self.snow.say("reading the ledger again")

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload()

    # -- worker errors --------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker died of something unexpected: say so instead of showing a stale state."""
        if event.state != WorkerState.ERROR or event.worker.node is not self:
            return
        error = event.worker.error
        self._show_summary()
        self.snow.say(f"Tables: {type(error).__name__}: {error}", "error")

BINDABLE: list[type] = [LedgerTable]
