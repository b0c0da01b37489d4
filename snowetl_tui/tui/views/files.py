"""The Files view: browse directories, see which config matches each file and whether it was
loaded, preview the head of the file under the cursor, mark files and queue loads.

Everything that touches the disk runs in thread workers (:mod:`snowetl_tui.client.files`):
the listing (one ``scandir``, a ``stat`` per entry, the config match and a ledger lookup by
path + size + mtime), the preview (the head of one file only — a 100 GB extract previews as
fast as a small one), config generation and writing, and a light poll that relists when the
directory or ``configs/`` changes. The workers post messages; the handlers here own the
widgets. Engine job updates reach the table as per-row status cell updates.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from snowetl_tui.client.files import (
    Configs,
    FileItem,
    FileStatus,
    GeneratedConfig,
    Listing,
    Preview,
    arrange,
    directory_signature,
    file_status,
    generate_config,
    list_directory,
    parent_item,
    preview_file,
    safe_text,
    write_config,
)
from snowetl_tui.errors import SnowetlError
from snowetl_tui.tui.screens.generate_config import GenerateConfigScreen
from snowetl_tui.tui.screens.queue_dialog import QueueDialog, QueueRequest
from snowetl_tui.tui.views.base import PaletteCommand, View
from snowetl_tui.tui.widgets.file_panel import FilePanel
from snowetl_tui.tui.widgets.file_table import SORT_ARROWS, FileTable, fit_middle

if TYPE_CHECKING:
    from snowetl_tui.config.registry import ConfigRegistry

POLL_SECONDS = 2.0
#: Rows the table holds at most. A DataTable costs ~0.3 ms per row to add and measure, all on
#: the event loop, so a directory of 10,000 files would freeze the screen for two seconds on
#: every sort or filter keystroke. Beyond this the header says how many are not shown; sorting
#: (newest / biggest first) and the filter reach the rest.
MAX_ROWS = 500
PREVIEW_CACHE = 64
SORT_WORDS = {"name": "name", "size": "size", "mtime": "modified"}
FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class Listed(Message):
    """A listing worker finished (``token`` tells stale results from current ones)."""

    listing: Listing
    token: int
    cursor: str | None


@dataclass
class PreviewReady(Message):
    preview: Preview


@dataclass
class Polled(Message):
    path: Path
    signature: tuple[Any, ...]


@dataclass
class ConfigGenerated(Message):
    generated: GeneratedConfig | None
    error: str | None


@dataclass
class ConfigWritten(Message):
    path: Path | None
    error: str | None


class FilesView(View):
    """Directory listing with match, period and status per file, and a detail panel."""

    VIEW_NAME = "files"
    TITLE = "Files"
    HELP = ("Browse data files. Each file shows the config that matches its name, the period "
            "the name implies and its status (not matched / ready / loaded on DATE / queued / "
            "running). The panel shows why a config matches (or the closest ones and why "
            "not), the header check and the first rows — read from the head of the file only. "
            "space marks files; L queues a load of the marked files (or the one under the "
            "cursor), V a validation; G generates a config for a file nothing matches (so here "
            "the bottom of the list is End, and g or Home the top). Directories with more "
            f"than {MAX_ROWS} entries show the first {MAX_ROWS} in the current order.")
    BINDINGS = [
        Binding("L", "queue('load')", "Load", id="files.load"),
        Binding("V", "queue('validate')", "Validate", id="files.validate"),
        Binding("G", "generate", "Gen config", id="files.generate"),
        Binding("space", "mark", "Mark", id="files.mark"),
        Binding("slash", "filter", "Filter", id="files.filter"),
        Binding("s", "sort", "Sort", id="files.sort"),
        Binding("S", "reverse", "Reverse sort", id="files.reverse", show=False),
        Binding("asterisk", "mark_all", "Mark all / none", id="files.mark_all", show=False),
        Binding("full_stop", "hidden", "Hidden files", id="files.hidden", show=False),
        Binding("backspace,h", "parent", "Parent directory", id="files.parent", show=False),
        Binding("p", "panel", "Toggle panel", id="files.panel", show=False),
        Binding("R", "refresh", "Reload listing", id="files.refresh", show=False),
        Binding("escape", "escape", "Clear filter, then marks", id="files.escape",
                show=False),
    ]
    DEFAULT_CSS = """
    FilesView #files-header { height: 1; padding: 0 1; background: $boost; }
    FilesView #files-filter { display: none; height: 1; border: none; padding: 0 1;
                              background: $boost; }
    FilesView #files-filter:focus { background: $accent 30%; }
    FilesView.-filtering #files-filter { display: block; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dir: Path | None = None
        self.listing: Listing | None = None
        self.configs: Configs | None = None
        self.sort = "name"
        self.reverse = False
        self.show_hidden = False
        self.filter_text = ""
        self.marked: set[str] = set()
        self.statuses: dict[str, FileStatus] = {}
        self._token = 0
        self._listing_busy = False
        self._preview_busy = False
        self._preview_want: FileItem | None = None
        self._previews: OrderedDict[tuple[Any, ...], Preview] = OrderedDict()
        self._poll_busy = False
        self._width = 0
        self.matching = 0  # entries passing the filter (the table may hold fewer)

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="files-header")
        yield Input(id="files-filter", placeholder="/ filter: text, or a glob like *.tsv — "
                    "enter keeps it, esc clears it")
        yield FileTable(id="files-table")
        yield FilePanel(id="files-panel")

    @property
    def table(self) -> FileTable:
        return self.query_one(FileTable)

    @property
    def panel(self) -> FilePanel:
        return self.query_one(FilePanel)

    def on_mount(self) -> None:
        self.navigate(self.snow.start_path)
        self.set_interval(POLL_SECONDS, self._poll)

    def focus_default(self) -> None:
        self.table.focus()

    def open(self, **args: Any) -> None:
        if args.get("path"):
            self.navigate(Path(args["path"]))

    def on_resize(self) -> None:
        width = self.app.size.width
        if width != self._width and self.listing is not None:
            self._rebuild(keep_cursor=True)

    # -- listing --------------------------------------------------------------------------------
    def navigate(self, path: Path, cursor: str | None = None) -> None:
        """List ``path`` in a worker (a file: its directory, with the cursor on it)."""
        self._token += 1
        self._listing_busy = True
        self._render_header(busy=str(path))
        self._list_worker(Path(path), self._token, self.configs, cursor)

    @work(thread=True, exclusive=True, group="files-list", exit_on_error=False)
    def _list_worker(self, target: Path, token: int, configs: Configs | None,
                     cursor: str | None) -> None:
        ws = self.snow.workspace
        path = target
        if not os.path.isdir(target) and os.path.lexists(target):
            path, cursor = target.parent, target.name
        try:
            listing = list_directory(path, ws, configs)
        except Exception as exc:  # never a traceback on screen: one line in the panel
            fallback = configs or Configs(None, None, ())
            listing = Listing(path, (), fallback, f"cannot list {safe_text(str(path))}: {exc}")
        self.post_message(Listed(listing, token, cursor))

    @on(Listed)
    def _on_listed(self, msg: Listed) -> None:
        if msg.token != self._token:
            return  # the user has moved on
        self._listing_busy = False
        listing = msg.listing
        same_dir = self.dir is not None and listing.path == self.dir
        if listing.error and self.listing is not None and not same_dir:
            # Drilling into something unreadable: stay where we are, say why.
            self.snow.say(listing.error, "error")
            self._render_header()
            return
        cursor = msg.cursor
        if not same_dir:
            previous = self.dir
            self.marked.clear()
            self.filter_text = ""
            self.query_one("#files-filter", Input).value = ""
            self.remove_class("-filtering")
            if cursor is None and previous is not None and previous.parent == listing.path:
                cursor = previous.name  # back to the directory we came from
        elif cursor is None and self.table.current is not None:
            cursor = self.table.current.name
        if listing.configs is not self.configs:
            self._previews.clear()  # header checks were made against the old configs
        self.dir = listing.path
        self.listing = listing
        self.configs = listing.configs
        names = {i.name for i in listing.items}
        self.marked &= names
        self._rebuild(cursor=cursor)

    def _visible(self) -> list[FileItem]:
        """The rows to show: ``..``, then the arranged entries, at most :data:`MAX_ROWS`."""
        assert self.listing is not None
        rows = arrange(self.listing.items, sort=self.sort, reverse=self.reverse,
                       show_hidden=self.show_hidden, filter_text=self.filter_text)
        self.matching = len(rows)
        parent = parent_item(self.listing.path)
        return ([parent] if parent is not None else []) + rows[:MAX_ROWS]

    def _rebuild(self, cursor: str | None = None, keep_cursor: bool = False) -> None:
        """Refill the table (user-triggered: directory, sort, filter, hidden, width)."""
        if self.listing is None:
            return
        table = self.table
        if keep_cursor and cursor is None and table.current is not None:
            cursor = table.current.name
        self._width = self.app.size.width
        jobs = self._jobs_by_file()
        self.statuses = {}

        def status(item: FileItem) -> FileStatus:
            st = self._status(item, jobs.get(str(item.path), []))
            self.statuses[item.name] = st
            return st

        table.rebuild(self._visible(), status=status, marked=self.marked, now=self._now(),
                      narrow=self.snow.narrow, width=self._width, sort=self.sort,
                      reverse=self.reverse, cursor_name=cursor)
        self._render_header()
        self._cursor_moved()

    def _jobs_by_file(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for job in self.engine_state.jobs.values():
            if job.get("file"):
                out.setdefault(job["file"], []).append(job)
        for jobs in out.values():
            jobs.sort(key=lambda j: j["id"], reverse=True)
        return out

    def _status(self, item: FileItem, jobs: list[dict[str, Any]] | None = None) -> FileStatus:
        if jobs is None:
            jobs = self.engine_state.jobs_for_file(str(item.path)) if item.is_file else []
        configs_error = self.listing is not None and self.listing.configs.error is not None
        return file_status(item, jobs, configs_error=configs_error, tz=self._now().tzinfo)

    def _now(self) -> datetime:
        return self.snow.clock.wall()

    # -- header line ----------------------------------------------------------------------------
    def _render_header(self, busy: str | None = None) -> None:
        header = self.query_one("#files-header", Static)
        t = Text(no_wrap=True, overflow="ellipsis")
        shown = safe_text(busy or str(self.dir or ""))
        width = self.app.size.width or 80
        t.append(fit_middle(shown, max(20, width // 2 - 4)), style="bold")
        if busy is not None:
            t.append("  · listing…", style="dim")
            header.update(t)
            return
        if self.listing is not None:
            items = self.listing.items
            shown = [i for i in self.table.items.values() if i.kind != "parent"]
            files = sum(1 for i in shown if not i.is_dir)
            dirs = len(shown) - files
            t.append(f"  · {files:,} file{'s' if files != 1 else ''}, {dirs:,} "
                     f"dir{'s' if dirs != 1 else ''}")
            if self.matching > len(shown):
                t.append(f"  · ! first {len(shown):,} of {self.matching:,} shown: sort or "
                         "filter (/) for the rest", style="bold yellow")
            hidden = sum(1 for i in items if i.hidden)
            if hidden and not self.show_hidden:
                t.append(f" (+{hidden} hidden)", style="dim")
            t.append(f"  · sort {SORT_WORDS[self.sort]} {SORT_ARROWS[self.reverse]}")
            if self.filter_text:
                t.append("  · filter ")
                t.append(f"“{safe_text(self.filter_text)}”", style="bold")
            if self.marked:
                t.append(f"  · ● {len(self.marked)} marked", style="bold yellow")
            if self.listing.error:
                t.append("  · ✗ cannot list", style="bold red")
            if self.listing.ledger_error:
                t.append("  · ! ledger unreadable", style="yellow")
        header.update(t)

    # -- cursor and panel -----------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#files-table")
    def _on_highlight(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._cursor_moved()

    @on(DataTable.RowSelected, "#files-table")
    def _on_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self.table.current
        if item is None:
            return
        if item.is_dir:
            self.navigate(item.path)
        elif item.is_file and not self.panel.has_class("-hidden"):
            self.panel.query_one("#panel-rows-scroll").focus()

    def _cursor_moved(self) -> None:
        item = self.table.current
        listing = self.listing
        self.panel.show_item(
            item, self.statuses.get(item.name) if item else None,
            self.engine_state.jobs_for_file(str(item.path)) if item and item.is_file else [],
            now=self._now(), narrow=self.snow.narrow,
            configs_error=listing.configs.error if listing else None,
            listing_error=listing.error if listing and not listing.items else None)
        self._want_preview(item)

    def _preview_key(self, item: FileItem) -> tuple[Any, ...]:
        return (str(item.path), item.size, item.mtime_ns)

    def _want_preview(self, item: FileItem | None) -> None:
        """Read the head of the file under the cursor: one worker at a time, the latest wish
        wins (holding j over a directory of huge files reads only where the cursor stops)."""
        self._preview_want = item
        if item is None or item.kind not in ("file", "dir"):
            return
        cached = self._previews.get(self._preview_key(item))
        if cached is not None:
            self._show_preview(cached)
            return
        if self._preview_busy:
            return
        self._preview_busy = True
        registry = self.listing.configs.registry if self.listing is not None else None
        self._preview_worker(item, registry)

    @work(thread=True, group="files-preview", exit_on_error=False)
    def _preview_worker(self, item: FileItem, registry: ConfigRegistry | None) -> None:
        try:
            preview = preview_file(item.path, item.match, self.snow.workspace,
                                   registry=registry)
        except Exception as exc:  # a bug must not leave the panel waiting forever
            preview = Preview(item.path, error=f"cannot preview: {type(exc).__name__}: {exc}")
        self.post_message(PreviewReady(preview))

    @on(PreviewReady)
    def _on_preview(self, msg: PreviewReady) -> None:
        self._preview_busy = False
        want = self._preview_want
        preview = msg.preview
        if want is not None and want.path == preview.path:
            self._previews[self._preview_key(want)] = preview
            while len(self._previews) > PREVIEW_CACHE:
                self._previews.popitem(last=False)
            self._show_preview(preview)
        elif want is not None:
            self._want_preview(want)

    def _show_preview(self, preview: Preview) -> None:
        listing = self.listing
        self.panel.show_preview(preview, now=self._now(), narrow=self.snow.narrow,
                                configs_error=listing.configs.error if listing else None)

    def _forget_preview(self, path: str) -> None:
        for key in [k for k in self._previews if k[0] == path]:
            del self._previews[key]

    # -- engine updates -------------------------------------------------------------------------
    def state_changed(self, changed: set[str] | None) -> None:
        """Update the status cell of the rows whose jobs changed (all rows on a snapshot)."""
        if self.listing is None or self.dir is None:
            return
        table = self.table
        current = table.current
        touched: set[str] = set()
        if changed is None:
            jobs = self._jobs_by_file()
            for name, item in table.items.items():
                if item.is_file:
                    self._set_status(item, jobs.get(str(item.path), []))
                    touched.add(name)
        else:
            folder = str(self.dir)
            for job_id in changed:
                job = self.engine_state.jobs.get(job_id)
                file = job.get("file") if job else None
                if not file or os.path.dirname(file) != folder:
                    continue
                item = table.items.get(os.path.basename(file))
                if item is None or not item.is_file:
                    continue
                self._set_status(item)
                touched.add(item.name)
                if job is not None and job.get("state") in FINAL_STATES:
                    self._forget_preview(file)
        if current is not None and current.name in touched:
            self._cursor_moved()

    def _set_status(self, item: FileItem, jobs: list[dict[str, Any]] | None = None) -> None:
        status = self._status(item, jobs)
        if self.statuses.get(item.name) != status:
            self.statuses[item.name] = status
            self.table.set_status(item.name, status)

    # -- polling for changes on disk ------------------------------------------------------------
    def _poll(self) -> None:
        if self._poll_busy or self._listing_busy or self.dir is None:
            return
        self._poll_busy = True
        self._poll_worker(self.dir)

    @work(thread=True, group="files-poll", exit_on_error=False)
    def _poll_worker(self, path: Path) -> None:
        try:
            sig = directory_signature(path, self.snow.workspace)
        except Exception:  # a failed poll is simply retried at the next tick
            sig = ()
        self.post_message(Polled(path, sig))

    @on(Polled)
    def _on_polled(self, msg: Polled) -> None:
        self._poll_busy = False
        listing = self.listing
        if listing is None or msg.path != self.dir or self._listing_busy or not msg.signature:
            return
        if msg.signature != (listing.dir_mtime_ns, listing.configs.signature):
            self.navigate(msg.path)

    # -- actions: navigation, sort, filter, hidden ----------------------------------------------
    def action_parent(self) -> None:
        if self.dir is not None and self.dir.parent != self.dir:
            self.navigate(self.dir.parent)

    def action_refresh(self) -> None:
        if self.dir is not None:
            self._previews.clear()
            self.navigate(self.dir)

    def action_sort(self) -> None:
        order = ("name", "size", "mtime")
        self.sort = order[(order.index(self.sort) + 1) % len(order)]
        self.reverse = self.sort != "name"  # biggest / newest first is what one looks for
        self._rebuild(keep_cursor=True)

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._rebuild(keep_cursor=True)

    def action_hidden(self) -> None:
        self.show_hidden = not self.show_hidden
        if not self.show_hidden:
            self.marked = {n for n in self.marked if not n.startswith(".")}
        self._rebuild(keep_cursor=True)
        self.snow.say("hidden files shown" if self.show_hidden else "hidden files hidden")

    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#files-filter", Input).focus()

    @on(Input.Changed, "#files-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.filter_text:
            self.filter_text = event.value
            self._rebuild(keep_cursor=True)

    @on(Input.Submitted, "#files-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self.remove_class("-filtering")
        self.table.focus()

    def action_escape(self) -> None:
        """Clear the filter first, then the marks; from the panel, back to the list."""
        if self.filter_text or self.has_class("-filtering"):
            self.filter_text = ""
            self.query_one("#files-filter", Input).value = ""
            self.remove_class("-filtering")
            self.table.focus()
            self._rebuild(keep_cursor=True)
        elif self.marked:
            self._set_marks(set())
        elif self.app.focused is not self.table:
            self.table.focus()

    def action_panel(self) -> None:
        self.panel.toggle_class("-hidden")
        if self.panel.has_class("-hidden"):
            self.table.focus()

    # -- marks ----------------------------------------------------------------------------------
    def action_mark(self) -> None:
        table = self.table
        item = table.current
        if item is None:
            return
        if not item.is_file:
            self.snow.say("only files can be marked", "warning")
        else:
            self._set_marks(self.marked ^ {item.name})
        table.action_cursor_down()

    def action_mark_all(self) -> None:
        files = {i.name for i in self.table.items.values() if i.is_file}
        self._set_marks(set() if files and files <= self.marked else self.marked | files)

    def _set_marks(self, marks: set[str]) -> None:
        changed = marks ^ self.marked
        self.marked = marks
        for name in changed:
            self.table.set_marked(name, name in marks)
        self._render_header()

    def _selected(self) -> list[FileItem]:
        """The marked files (those the filter hides too: the header counts them), in table
        order; else the file under the cursor."""
        table = self.table
        if self.marked and self.listing is not None:
            position = {name: i for i, name in enumerate(table.order)}
            marked = [i for i in self.listing.items if i.name in self.marked and i.is_file]
            return sorted(marked, key=lambda i: (position.get(i.name, len(position)), i.name))
        item = table.current
        return [item] if item is not None and item.is_file else []

    # -- actions: queue, validate ---------------------------------------------------------------
    def action_queue(self, kind: str) -> None:
        items = self._selected()
        if not items:
            self.snow.say("no file here: move to a file, or mark some with space", "warning")
            return
        listing = self.listing
        if listing is not None and listing.configs.error:
            self.snow.say("the configs are invalid, so nothing can be queued: "
                          + listing.configs.error.splitlines()[0], "error")
            return
        matched = [i for i in items if i.matched]
        skipped = [i.name for i in items if not i.matched]
        if not matched:
            name = safe_text(items[0].name)
            more = f" (nor any of the other {len(items) - 1})" if len(items) > 1 else ""
            self.snow.say(f"no config matches {name}{more} — press G to generate one", "error")
            return
        targets = {i.target for i in matched}
        target = targets.pop() if len(targets) == 1 else None
        replace_cfg = [i for i in matched if i.match and i.match.entry and
                       i.match.entry.spec.load.mode == "replace_period"]
        note = ("the config says load.mode replace_period: the engine replaces the period "
                "even when this is off") if replace_cfg else None
        dialog = QueueDialog([i.path for i in matched], kind=kind, target=target,
                             replace=bool(replace_cfg), replace_note=note, skipped=skipped)
        self.app.push_screen(dialog, self._submit)

    def _submit(self, req: QueueRequest | None) -> None:
        if req is None:
            return
        n = len(req.files)
        what = "load" if req.kind == "load" else "validation"

        def done(jobs: Any) -> str:
            ids = ", ".join(j.get("id", "?") for j in jobs) if isinstance(jobs, list) else ""
            return f"queued {what} of {n} file{'s' if n != 1 else ''}" + (
                f": {ids}" if ids else "")

        self.snow.run_command("submit", done, files=list(req.files), kind=req.kind,
                              target=req.target, replace=req.replace, priority=req.priority)
        self._set_marks(set())

    # -- actions: generate a config -------------------------------------------------------------
    def action_generate(self) -> None:
        item = self.table.current
        if item is None or not item.is_file:
            self.snow.say("G generates a config for a data file: move to one first", "warning")
            return
        if item.matched and item.match is not None:
            self.snow.say(f"{safe_text(item.name)} already matches {item.match.config_display}; "
                          "G is for files no config matches", "warning")
            return
        # said on the panel's title, not in a toast that would sit on the dialog's buttons
        self.panel.border_title = f"{safe_text(item.name)} — generating a config from its head…"
        self._generate_worker(item.path)

    @work(thread=True, exclusive=True, group="files-generate", exit_on_error=False)
    def _generate_worker(self, path: Path) -> None:
        try:
            gen: GeneratedConfig | None = generate_config(path, self.snow.workspace)
            error = None
        except SnowetlError as exc:
            gen, error = None, str(exc)
        except Exception as exc:  # e.g. DuckDB refusing a binary file: a line, not a crash
            gen, error = None, f"cannot generate a config: {type(exc).__name__}: {exc}"
        self.post_message(ConfigGenerated(gen, error))

    @on(ConfigGenerated)
    def _on_generated(self, msg: ConfigGenerated) -> None:
        current = self.table.current
        self.panel.border_title = safe_text(current.name) if current is not None else ""
        if msg.generated is None:
            self.snow.say(msg.error or "cannot generate a config", "error")
            return
        gen = msg.generated
        shown = self.snow.workspace.display(gen.target)

        def answered(write: bool | None) -> None:
            if write:
                self._write_worker(gen)

        self.app.push_screen(GenerateConfigScreen(gen, shown), answered)

    @work(thread=True, group="files-generate", exit_on_error=False)
    def _write_worker(self, gen: GeneratedConfig) -> None:
        try:
            self.post_message(ConfigWritten(write_config(gen), None))
        except SnowetlError as exc:
            self.post_message(ConfigWritten(None, str(exc)))

    @on(ConfigWritten)
    def _on_written(self, msg: ConfigWritten) -> None:
        if msg.path is None:
            self.snow.say(msg.error or "cannot write the config", "error")
            return
        self.snow.say(f"✓ wrote {self.snow.workspace.display(msg.path)}; matching again")
        self._previews.clear()
        if self.dir is not None:
            self.navigate(self.dir)

    # -- palette ----------------------------------------------------------------------------------
    def palette_commands(self) -> Iterable[PaletteCommand]:
        ws = self.snow.workspace
        yield ("Files: load the marked files (or the one under the cursor)",
               "opens the queue dialog (L)", lambda: self.action_queue("load"))
        yield ("Files: validate the marked files (or the one under the cursor)",
               "validate only, nothing is loaded (V)", lambda: self.action_queue("validate"))
        yield ("Files: generate a config for the file under the cursor",
               "shown before it is written to configs/ (G)", self.action_generate)
        yield ("Files: show / hide hidden files", "toggle (.)", self.action_hidden)
        yield ("Files: reload the listing", "re-reads the directory and the configs (R)",
               self.action_refresh)
        for key, word in SORT_WORDS.items():
            yield (f"Files: sort by {word}", "s cycles, S reverses",
                   lambda k=key: self._sort_by(k))
        yield ("Files: go to the workspace", str(ws.root), lambda: self.navigate(ws.root))
        yield ("Files: go to the start directory", str(self.snow.start_path),
               lambda: self.navigate(self.snow.start_path))

    def _sort_by(self, key: str) -> None:
        self.sort = key
        self.reverse = key != "name"
        self._rebuild(keep_cursor=True)


BINDABLE: list[type] = [FileTable, QueueDialog, GenerateConfigScreen]
