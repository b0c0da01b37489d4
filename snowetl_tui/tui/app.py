"""SnowetlApp: the shell — views switched with 1–4, status bar, help, palette, engine link.

The app owns all state changes: the engine link worker posts messages, the handlers here fold
them into :class:`EngineState`, and a coalesced flush tells the views what changed (a burst of
progress deltas renders once, so a slow SSH link only ever sees the latest progress per job).
Views talk to the engine through :meth:`engine_request` / :meth:`run_command`; nothing in here
blocks the event loop.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer

from snowetl_tui.client import CommandFailed, EngineError
from snowetl_tui.errors import SnowetlError
from snowetl_tui.tui.keymap import binding_ids, load_keymap
from snowetl_tui.tui.link import ClientFactory, LinkClient, real_client_factory, run_link
from snowetl_tui.tui.messages import EngineDisconnected, EngineSnapshot, JobChanged, ViewRequest
from snowetl_tui.tui.screens.confirm import ConfirmScreen
from snowetl_tui.tui.screens.help import HelpRow, HelpScreen
from snowetl_tui.tui.state import Clock, EngineState
from snowetl_tui.tui.views.base import View
from snowetl_tui.tui.views.files import FilesView
from snowetl_tui.tui.views.jobs import JobsView
from snowetl_tui.tui.views.logs import LogsView
from snowetl_tui.tui.views.tables import TablesView
from snowetl_tui.tui.widgets.status_bar import StatusBar
from snowetl_tui.tui.widgets.view_bar import ViewBar
from snowetl_tui.workspace import Workspace

VIEW_CLASSES: tuple[type[View], ...] = (FilesView, JobsView, LogsView, TablesView)
NARROW_BELOW = 100  # columns; below this the views drop side panels to the bottom
FLUSH_MIN_INTERVAL = 0.2  # seconds between two renders of engine updates


class SnowetlApp(App[None]):
    """The full-screen app of one workspace."""

    TITLE = "snowetl-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("1", "show_view('files')", "Files", id="app.view.files", show=False),
        Binding("2", "show_view('jobs')", "Jobs", id="app.view.jobs", show=False),
        Binding("3", "show_view('logs')", "Logs", id="app.view.logs", show=False),
        Binding("4", "show_view('tables')", "Tables", id="app.view.tables", show=False),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("colon", "command_palette", "Commands", id="app.palette", show=False),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, workspace: Workspace, *, start_path: Path | None = None,
                 client_factory: ClientFactory | None = None, clock: Clock | None = None,
                 keymap: dict[str, str] | None = None, watch_tty: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.start_path = (start_path or Path.cwd()).resolve()
        self.client_factory = client_factory or real_client_factory(workspace)
        self.clock = clock or Clock()
        self.engine_state = EngineState()
        self.client: LinkClient | None = None
        self.current_view = "files"
        self.said: list[tuple[str, str]] = []  # (severity, message) — every toast, for tests
        self._dirty: set[str] | None = set()
        self._flush_pending = False
        self._last_flush = 0.0
        self._watch_tty = watch_tty
        self._keymap = keymap if keymap is not None else {}

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ViewBar([(cls.VIEW_NAME, cls.TITLE) for cls in VIEW_CLASSES], id="view-bar")
        yield StatusBar(self.workspace.root.name or str(self.workspace.root), self.clock,
                        id="status")
        with ContentSwitcher(initial="files", id="views"):
            for cls in VIEW_CLASSES:
                yield cls(id=cls.VIEW_NAME)
        yield Footer()

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self._apply_narrow(self.size.width)
        self.refresh_status()
        self.engine_link()
        self.view("files").focus_default()
        if self._watch_tty and not self.is_headless:
            self.set_interval(5.0, self._check_tty)
        self.call_after_refresh(self._freeze_startup_objects)

    def _freeze_startup_objects(self) -> None:
        """Move everything alive after the first frame out of the collector's sight: a full
        collection then scans only newer objects (~10 ms instead of ~40 ms on the main thread,
        measured by benchmarks/bench_log_view.py), keeping event-loop stalls under 100 ms."""
        gc.collect()
        gc.freeze()
        # worker threads (log search, listing) hand the GIL back to the UI thread after 1 ms
        # instead of 5: keeps the longest event-loop stall well under 100 ms during scans
        sys.setswitchinterval(0.001)

    def on_unmount(self) -> None:
        gc.unfreeze()  # let the collector reclaim this app (tests run many apps per process)
        sys.setswitchinterval(0.005)

    def _check_tty(self) -> None:
        """Exit when the terminal is gone (SSH dropped without SIGHUP reaching us): an app
        reading a dead TTY would spin; the engine keeps the jobs either way."""
        if not sys.stdin.isatty():
            self.exit(return_code=0)

    def on_resize(self, event: Any) -> None:
        self._apply_narrow(event.size.width)

    def _apply_narrow(self, width: int) -> None:
        narrow = width < NARROW_BELOW
        self.screen.set_class(narrow, "-narrow")
        self.set_class(narrow, "-narrow")
        for bar in self.query(StatusBar):
            bar.update_from(self.engine_state, narrow=narrow)

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_BELOW

    def view(self, name: str) -> View:
        return self.query_one(f"#{name}", View)

    # -- engine link ----------------------------------------------------------------------------
    @work(exclusive=True, group="engine-link", exit_on_error=False)
    async def engine_link(self) -> None:
        await run_link(self.client_factory, self.post_message, self._set_client)

    def _set_client(self, client: LinkClient | None) -> None:
        self.client = client

    @on(EngineSnapshot)
    def _on_snapshot(self, msg: EngineSnapshot) -> None:
        first = not self.engine_state.connected
        st = self.engine_state
        st.jobs = {j["id"]: j for j in msg.jobs}
        st.engine = msg.engine
        st.connected, st.reconnect_in, st.error = True, None, None
        st.last_update = self.clock.wall()
        self._dirty = None
        self._schedule_flush()
        if first:
            active = len(st.active_jobs())
            if active and self.current_view != "jobs":
                self.say(f"{active} job{'s' if active != 1 else ''} in the engine — press 2 "
                         "to see them")

    @on(JobChanged)
    def _on_job(self, msg: JobChanged) -> None:
        st = self.engine_state
        old = st.jobs.get(msg.job["id"])
        st.jobs[msg.job["id"]] = msg.job
        st.last_update = self.clock.wall()
        if old is not None and old.get("state") != msg.job.get("state"):
            self._announce(msg.job)
        if self._dirty is not None:
            self._dirty.add(msg.job["id"])
        self._schedule_flush()

    def _announce(self, job: dict[str, Any]) -> None:
        name = job.get("file_name") or job.get("table") or job["id"]
        state = job.get("state")
        if state == "succeeded":
            self.say(f"✓ {job.get('kind')} {name} succeeded")
        elif state == "failed":
            self.say(f"✗ {job.get('kind')} {name} failed: {job.get('error') or '?'}", "error")

    @on(EngineDisconnected)
    def _on_disconnected(self, msg: EngineDisconnected) -> None:
        st = self.engine_state
        was = st.connected
        st.connected, st.reconnect_in, st.error = False, msg.retry_in, msg.reason
        self.screen.add_class("-disconnected")
        if was:
            self.say(f"engine disconnected: {msg.reason} — reconnecting", "warning")
        self.refresh_status()

    def _schedule_flush(self) -> None:
        if self._flush_pending:
            return
        self._flush_pending = True
        wait = FLUSH_MIN_INTERVAL - (self.clock.mono() - self._last_flush)
        if wait > 0 and not self.is_headless:
            self.set_timer(wait, self.flush_state)
        else:
            self.call_later(self.flush_state)

    def flush_state(self) -> None:
        """Render what changed since the last flush, once."""
        self._flush_pending = False
        self._last_flush = self.clock.mono()
        changed, self._dirty = self._dirty, set()
        self.screen.remove_class("-disconnected")
        with self.batch_update():
            for cls in VIEW_CLASSES:
                self.view(cls.VIEW_NAME).state_changed(changed)
            self.refresh_status()

    def refresh_status(self) -> None:
        for bar in self.query(StatusBar):
            bar.update_from(self.engine_state, narrow=self.narrow)

    # -- commands for views ---------------------------------------------------------------------
    async def engine_request(self, op: str, **args: Any) -> Any:
        """Send one command; raises :class:`EngineError` when the link is down."""
        if self.client is None or getattr(self.client, "closed", False):
            raise EngineError("not connected to the engine (it is restarting?); try again in a "
                              "moment")
        return await self.client.request(op, **args)

    def run_command(self, op: str, done: str | Callable[[Any], str] | None = None,
                    **args: Any) -> None:
        """Fire a command in a worker; the outcome becomes a toast (errors in red, one line)."""
        self._run_command(op, done, args)

    @work(group="commands", exit_on_error=False)
    async def _run_command(self, op: str, done: str | Callable[[Any], str] | None,
                           args: dict[str, Any]) -> None:
        try:
            data = await self.engine_request(op, **args)
        except (CommandFailed, EngineError, SnowetlError) as exc:
            self.say(str(exc), "error")
            return
        if done is not None:
            self.say(done(data) if callable(done) else done)

    def say(self, message: str, severity: str = "information") -> None:
        """A toast (and a record of it in :attr:`said`, which the tests read)."""
        self.said.append((severity, message))
        self.notify(message, severity=severity,  # type: ignore[arg-type]
                    timeout=8 if severity == "error" else 4, markup=False)

    def confirm(self, question: str, on_yes: Callable[[], Any], *, yes_label: str = "Yes",
                title: str = "Confirm") -> None:
        """Ask (default No); ``on_yes`` runs only on an explicit yes."""

        def answered(yes: bool | None) -> None:
            if yes:
                on_yes()

        self.push_screen(ConfirmScreen(question, yes_label, title), answered)

    # -- navigation -----------------------------------------------------------------------------
    def show_view(self, name: str, **args: Any) -> None:
        switcher = self.query_one("#views", ContentSwitcher)
        switcher.current = name
        self.current_view = name
        self.query_one(ViewBar).set_active(name)
        view = self.view(name)
        view.open(**args)
        view.focus_default()

    def action_show_view(self, name: str) -> None:
        self.show_view(name)

    @on(ViewRequest)
    def _on_view_request(self, msg: ViewRequest) -> None:
        self.show_view(msg.view, **msg.args)

    # -- help, palette, quit --------------------------------------------------------------------
    def help_rows(self) -> list[HelpRow]:
        """Bindings of the focus chain, one row per action and place (aliases joined)."""
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for active in self.screen.active_bindings.values():
            b, node = active.binding, active.node
            where = "everywhere" if node is self or isinstance(node, Screen) else \
                getattr(node, "TITLE", "") or type(node).__name__
            row = grouped.setdefault((b.action, where), {"keys": [], "desc": "", "id": ""})
            display = self.get_key_display(b)
            if display not in row["keys"]:
                row["keys"].append(display)
            row["desc"] = row["desc"] or b.description
            row["id"] = row["id"] or b.id or ""
        rows = [HelpRow(" / ".join(r["keys"]), r["desc"] or action, r["id"], where)
                for (action, where), r in grouped.items()]
        rows.sort(key=lambda r: (r.context == "everywhere", r.context, r.keys))
        return rows

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        view = self.view(self.current_view)
        intro = (view.HELP + "\n\n" if view.HELP else "") + (
            "1–4 switch views · : or ctrl+p opens the command palette · keys can be remapped "
            f"by binding id under \\[keys] in {self.workspace.settings_path}")
        self.push_screen(HelpScreen(view.TITLE, intro, self.help_rows()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for cls in VIEW_CLASSES:
            yield SystemCommand(f"View: {cls.TITLE}", f"Switch to the {cls.TITLE} view",
                                lambda name=cls.VIEW_NAME: self.show_view(name))
        yield from (SystemCommand(t, h, cb)
                    for t, h, cb in self.view(self.current_view).palette_commands())
        for job in sorted(self.engine_state.jobs.values(), key=lambda j: j["id"], reverse=True):
            name = job.get("file_name") or job.get("table") or ""
            if job.get("state") in ("queued", "running", "paused"):
                yield SystemCommand(f"Cancel job {job['id']} ({name})",
                                    f"{job.get('kind')} · {job.get('state')} — asks first",
                                    lambda j=job: self.confirm_cancel(j))
            yield SystemCommand(f"Open log of {job['id']} ({name})", f"{job.get('kind')} · "
                                f"{job.get('state')}",
                                lambda j=job: self.show_view("logs", job=j["id"]))
        yield SystemCommand("Open engine log", str(self.workspace.engine_log_path),
                            lambda: self.show_view("logs", engine=True))
        yield from super().get_system_commands(screen)

    def confirm_cancel(self, job: dict[str, Any]) -> None:
        """Cancel after a question whose default is No (shared by the Jobs view and palette)."""
        name = job.get("file_name") or job.get("table") or job["id"]
        self.confirm(f"Cancel {job.get('kind')} job {job['id']} ({name}), now "
                     f"{job.get('state')}?\nA load stops at the next safe point; nothing is "
                     "loaded twice.", lambda: self.run_command(
                         "cancel", f"cancel requested for {job['id']}", job=job["id"]),
                     yes_label="Cancel job", title="Cancel job")

    def quit_message(self) -> str | None:
        active = self.engine_state.active_jobs()
        if not active:
            if not self.engine_state.connected:
                return None
            pid = self.engine_state.engine.get("pid", "?")
            return (f"no job is running; the engine (pid {pid}) stays up for the next session "
                    f"— stop it with: snowetl-tui -w {self.workspace.root} engine stop")
        n = len(active)
        return (f"{n} job{'s' if n != 1 else ''} continue{'s' if n == 1 else ''} in the "
                f"background engine; re-attach with: snowetl-tui -w {self.workspace.root}")

    async def action_quit(self) -> None:
        self.exit(message=self.quit_message())


def make_app(workspace: Workspace, start_path: Path | None = None, **kwargs: Any) -> SnowetlApp:
    """The app with the workspace's ``[keys]`` remapping applied (errors name file and key)."""
    known = binding_ids([SnowetlApp, *VIEW_CLASSES, *_bound_widgets()])
    keymap = load_keymap(workspace, known)
    return SnowetlApp(workspace, start_path=start_path, keymap=keymap, **kwargs)


def _bound_widgets() -> list[type]:
    """Widget classes (besides views) whose bindings can be remapped."""
    from snowetl_tui.tui.views import bindable

    return [ConfirmScreen, HelpScreen, *bindable()]
