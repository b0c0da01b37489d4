"""The Files view against the fake engine: listing, sort, filter, hidden, drill in/out, odd
names, marks and queueing, validate, config generation, live job status, narrow layout, and
head-only previews of huge files; plus SVG snapshots at 120×40 and 80×24."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from snowetl_tui.demo.generator import demo_config, write_fact_file, write_orders_file
from snowetl_tui.tui.screens.generate_config import GenerateConfigScreen
from snowetl_tui.tui.screens.help import HelpScreen
from snowetl_tui.tui.screens.queue_dialog import QueueDialog
from snowetl_tui.tui.views import files as files_view
from snowetl_tui.tui.views.files import FilesView
from snowetl_tui.tui.widgets.file_panel import FilePanel
from snowetl_tui.tui.widgets.file_table import FileTable
from tests.tui.conftest import fixed_dir, wait_until
from tests.tui.fake_engine import make_job

MTIME = datetime(2026, 11, 20, 9, 15, tzinfo=UTC).timestamp()
HEAD = b"ORDER_ID,ORDER_DATE,CUSTOMER,AMOUNT,STATUS\n1,2024-06-01,\"A, Ltd.\",1.50,PAID\n"


def write_demo_config(ws) -> None:
    (ws.configs_dir / "demo.json").write_text(json.dumps(demo_config(), indent=2))


def make_data(root: Path) -> Path:
    """A matched orders file, an unmatched file, a hidden file and a directory."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "orders_2024-06.csv").write_bytes(HEAD * 1)
    (root / "orders_2024-07.csv").write_bytes(HEAD * 3)
    (root / "notes_export.tsv").write_bytes(b"a\tb\n1\t2\n")
    (root / ".secret_hidden.tsv").write_bytes(b"x\n")
    (root / "archive").mkdir()
    (root / "archive" / "orders_2024-01.csv").write_bytes(HEAD)
    for i, p in enumerate(sorted(root.rglob("*"))):
        os.utime(p, (MTIME + i * 60, MTIME + i * 60))
    return root


def view_of(app) -> FilesView:
    return app.query_one(FilesView)


def rows(app) -> list[str]:
    return list(app.query_one(FileTable).order)


def cell(app, name: str, column: str) -> str:
    return app.query_one(FileTable).get_cell(name, column).plain


async def listed(pilot, app, path: Path | None = None) -> FilesView:
    view = view_of(app)
    await wait_until(pilot, lambda: view.listing is not None and not view._listing_busy and
                     (path is None or view.dir == path), f"listing of {path}")
    return view


async def previewed(pilot, app, path: Path) -> FilePanel:
    panel = app.query_one(FilePanel)
    await wait_until(pilot, lambda: panel.preview is not None and panel.preview.path == path,
                     f"preview of {path.name}")
    return panel


async def cursor_to(pilot, app, name: str) -> None:
    table = app.query_one(FileTable)
    table.move_cursor(row=table.order.index(name))
    await pilot.pause()


@pytest.fixture(autouse=True)
def no_background_poll(monkeypatch):
    """Tests change the directory on purpose; the 2 s poll would relist at a random moment.
    The poll itself is tested by calling it."""
    monkeypatch.setattr(files_view, "POLL_SECONDS", 3600.0)


@pytest.fixture
def data(tmp_path, tui_ws) -> Path:
    write_demo_config(tui_ws)
    return make_data(tmp_path / "data")


# -- listing, sort, filter, hidden -------------------------------------------------------------
async def test_lists_start_path_with_match_period_and_status(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        assert rows(app) == ["..", "archive", "notes_export.tsv", "orders_2024-06.csv",
                             "orders_2024-07.csv"]
        assert cell(app, "orders_2024-06.csv", "table") == "ORDERS"
        assert cell(app, "orders_2024-06.csv", "period") == "2024-06"
        assert cell(app, "orders_2024-06.csv", "status") == "○ ready"
        assert cell(app, "notes_export.tsv", "status") == "? not matched"
        assert cell(app, "archive", "status") == "▸ directory"
        assert cell(app, "orders_2024-06.csv", "mtime") == "Nov 20 09:19"
        header = str(view.query_one("#files-header").render())
        assert "3 files, 1 dir" in header and "(+1 hidden)" in header
        # the cursor starts on the first entry, and the panel explains the match
        assert app.query_one(FileTable).current.name == "archive"
        await cursor_to(pilot, app, "orders_2024-06.csv")
        panel = await previewed(pilot, app, data / "orders_2024-06.csv")
        assert "✓ configs/demo.json files[1] (orders)" in panel.info_plain
        assert "2024-06 (2024-06-01 … 2024-06-30, 30 days)" in panel.info_plain
        assert "✓ 5 columns as expected" in panel.info_plain
        assert "CSV · comma · quote \" · header" in panel.info_plain
        grid = str(panel.query_one("#panel-rows").render()).splitlines()
        assert grid[0].split() == ["ORDER_ID", "ORDER_DATE", "CUSTOMER", "AMOUNT", "STATUS"]
        assert re.split(r"\s{2,}", grid[1])[:3] == ["1", "2024-06-01", "A, Ltd."]


async def test_start_path_may_be_a_file(make_tui, data):
    app = make_tui(data / "orders_2024-07.csv")
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        assert app.query_one(FileTable).current.name == "orders_2024-07.csv"


async def test_sort_cycles_name_size_mtime_and_reverses(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await pilot.press("s")
        assert view.sort == "size" and view.reverse
        assert rows(app)[2:] == ["orders_2024-07.csv", "orders_2024-06.csv", "notes_export.tsv"]
        assert app.query_one(FileTable).columns["size"].label.plain == "Size ▼"
        await pilot.press("S")
        assert rows(app)[2:] == ["notes_export.tsv", "orders_2024-06.csv", "orders_2024-07.csv"]
        await pilot.press("s")
        assert view.sort == "mtime"
        assert rows(app)[2:] == ["orders_2024-07.csv", "orders_2024-06.csv", "notes_export.tsv"]
        assert "sort modified ▼" in str(view.query_one("#files-header").render())
        await pilot.press("s")
        assert view.sort == "name" and rows(app)[1] == "archive"  # directories stay first


async def test_filter_then_escape_clears_filter_then_marks(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await pilot.press("space")
        assert view.marked == {"orders_2024-06.csv"}
        await pilot.press("slash", *"2024-0", "h")  # h is typed, not "parent"
        assert view.dir == data
        assert view.filter_text == "2024-0h" and rows(app) == [".."]
        await pilot.press("backspace")
        assert rows(app) == ["..", "orders_2024-06.csv", "orders_2024-07.csv"]
        await pilot.press("enter")
        assert app.focused is app.query_one(FileTable) and view.filter_text == "2024-0"
        await pilot.press("escape")
        assert view.filter_text == "" and len(rows(app)) == 5
        assert view.marked == {"orders_2024-06.csv"}  # the filter went first
        await pilot.press("escape")
        assert view.marked == set()
        assert cell(app, "orders_2024-06.csv", "name").startswith("  ")


async def test_glob_filter(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await pilot.press("slash", *"*.tsv", "enter")
        assert rows(app) == ["..", "notes_export.tsv"]


async def test_hidden_files_toggle(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        assert ".secret_hidden.tsv" not in rows(app)
        await pilot.press("full_stop")
        assert view.show_hidden and ".secret_hidden.tsv" in rows(app)
        await pilot.press("full_stop")
        assert ".secret_hidden.tsv" not in rows(app)


async def test_drill_in_and_out(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        assert app.query_one(FileTable).current.name == "archive"
        await pilot.press("enter")
        await listed(pilot, app, data / "archive")
        assert rows(app) == ["..", "orders_2024-01.csv"]
        await pilot.press("backspace")
        await listed(pilot, app, data)
        assert app.query_one(FileTable).current.name == "archive"  # back where we came from
        await pilot.press("l")
        await listed(pilot, app, data / "archive")
        await pilot.press("h")
        await listed(pilot, app, data)
        await pilot.press("g", "enter")  # the ".." row
        await listed(pilot, app, data.parent)
        assert app.query_one(FileTable).current.name == "data"


async def test_navigation_keys(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        table = app.query_one(FileTable)
        await pilot.press("j", "j")
        assert table.current.name == "orders_2024-06.csv"
        await pilot.press("k")
        assert table.current.name == "notes_export.tsv"
        await pilot.press("end")
        assert table.current.name == "orders_2024-07.csv"
        await pilot.press("g")
        assert table.current.name == ".."
        await pilot.press("pagedown")
        assert table.current.name == "orders_2024-07.csv"


# -- odd names and errors ----------------------------------------------------------------------
async def test_odd_names_are_shown_safely(make_tui, tui_ws, tmp_path):
    odd = tmp_path / "odd"
    odd.mkdir()
    raw = os.fsencode(odd)
    for name in (b"new\nline.tsv", b"esc\x1b[31mape.tsv", b"latin\xe9.tsv", b"[red]x.tsv"):
        with open(os.path.join(raw, name), "wb") as fh:
            fh.write(b"a\tb\n1\t2\n")
    (odd / "dangling").symlink_to(odd / "nowhere")
    app = make_tui(odd)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, odd)
        shown = {cell(app, n, "name").strip() for n in rows(app)[1:] if n != "dangling"}
        assert shown == {"[red]x.tsv", "esc\\e[31mape.tsv", "latin\\xe9.tsv", "new\\nline.tsv"}
        assert cell(app, "dangling", "name").strip().startswith("dangling → /")
        assert cell(app, "dangling", "status") == "✗ broken link"
        await cursor_to(pilot, app, "dangling")
        panel = app.query_one(FilePanel)
        assert "broken symbolic link" in panel.info_plain
        name = next(n for n in rows(app) if n.startswith("latin"))
        await cursor_to(pilot, app, name)
        panel = await previewed(pilot, app, odd / name)
        assert panel.border_title == "latin\\xe9.tsv"
        assert panel.preview.rows == (("1", "2"),)


async def test_vanished_file_and_directory_are_one_line_errors(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        (data / "orders_2024-07.csv").unlink()
        await cursor_to(pilot, app, "orders_2024-07.csv")
        panel = await previewed(pilot, app, data / "orders_2024-07.csv")
        assert "no such file or directory (moved or deleted?)" in panel.info_plain
        (data / "archive" / "orders_2024-01.csv").unlink()
        (data / "archive").rmdir()
        await cursor_to(pilot, app, "archive")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("cannot list" in m for _, m in app.said), "toast")
        assert view.dir == data  # stayed where it was


async def test_unreadable_start_directory_shows_why_in_the_panel(make_tui, data, monkeypatch):
    import snowetl_tui.client.files as cf

    real = cf.os.scandir

    def scandir(path):
        if Path(path) == data:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(cf.os, "scandir", scandir)
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        assert rows(app) == [".."]
        assert f"cannot list {data}: permission denied" in app.query_one(FilePanel).info_plain


# -- marks, queue, validate --------------------------------------------------------------------
async def test_mark_and_queue_load(make_tui, data, engine):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await pilot.press("space", "space")
        assert view.marked == {"orders_2024-06.csv", "orders_2024-07.csv"}
        assert "● 2 marked" in str(view.query_one("#files-header").render())
        assert cell(app, "orders_2024-06.csv", "name").startswith("● ")
        await pilot.press("slash", *"06", "enter")  # a mark hidden by the filter still counts
        assert rows(app) == ["..", "orders_2024-06.csv"]
        assert "● 2 marked" in str(view.query_one("#files-header").render())
        await pilot.press("L")
        assert isinstance(app.screen, QueueDialog)
        assert app.screen.query_one("#queue-target").value == "local"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(op == "submit" for op, _ in engine.requests),
                         "submit")
        _, args = next(r for r in engine.requests if r[0] == "submit")
        assert args == {"files": [str(data / "orders_2024-06.csv"),
                                  str(data / "orders_2024-07.csv")],
                        "kind": "load", "target": "local", "replace": False, "priority": 0}
        assert view.marked == set()
        await wait_until(pilot, lambda: cell(app, "orders_2024-06.csv", "status") ==
                         "◌ queued", "queued status")
        await pilot.press("escape")  # the filter goes; the other queued file shows queued too
        assert cell(app, "orders_2024-07.csv", "status") == "◌ queued"
        assert cell(app, "notes_export.tsv", "status") == "? not matched"
        await wait_until(pilot, lambda: any("queued load of 2 files" in m for _, m in app.said),
                         "toast")


async def test_queue_dialog_options_and_bad_input(make_tui, data, engine):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await pilot.press("L")
        dialog = app.screen
        assert isinstance(dialog, QueueDialog)
        dialog.query_one("#queue-target").value = "bad name!"
        await pilot.click("#queue-replace")
        assert "on: delete the period" in str(dialog.query_one("#queue-replace").label)
        dialog.query_one("#queue-priority").value = "7"
        dialog.action_submit()
        await pilot.pause()
        assert app.screen is dialog
        assert "not a valid connection name" in str(dialog.query_one("#queue-error").render())
        dialog.query_one("#queue-target").value = "snow_prod"
        await pilot.click("#queue-yes")
        await wait_until(pilot, lambda: any(op == "submit" for op, _ in engine.requests),
                         "submit")
        _, args = engine.requests[-1]
        assert args["target"] == "snow_prod" and args["replace"] is True
        assert args["priority"] == 7 and args["files"] == [str(data / "orders_2024-06.csv")]


async def test_escape_cancels_the_queue_dialog(make_tui, data, engine):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await pilot.press("L")
        assert isinstance(app.screen, QueueDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, QueueDialog)
        assert not [r for r in engine.requests if r[0] == "submit"]


async def test_validate_only(make_tui, data, engine):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await cursor_to(pilot, app, "orders_2024-07.csv")
        await pilot.press("V")
        assert isinstance(app.screen, QueueDialog)
        assert not app.screen.query("#queue-replace")  # nothing is loaded, nothing replaced
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(op == "submit" for op, _ in engine.requests),
                         "submit")
        _, args = engine.requests[-1]
        assert args["kind"] == "validate" and args["files"] == [str(data / "orders_2024-07.csv")]
        await wait_until(pilot, lambda: cell(app, "orders_2024-07.csv", "status") ==
                         "◌ queued (validate)", "status")


async def test_unmatched_files_are_skipped_or_refused(make_tui, data, engine):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await cursor_to(pilot, app, "notes_export.tsv")
        await pilot.press("L")
        assert not isinstance(app.screen, QueueDialog)
        assert any("no config matches notes_export.tsv — press G" in m for _, m in app.said)
        await pilot.press("space", "space")  # notes + orders_2024-06
        assert len(view.marked) == 2
        await pilot.press("L")
        assert isinstance(app.screen, QueueDialog)
        assert app.screen.files == [data / "orders_2024-06.csv"]
        assert "skipped (no config matches): notes_export.tsv" in \
            str(app.screen.query_one("#queue-files").render())


async def test_marking_a_directory_says_no(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await pilot.press("space")  # on "archive"
        assert view.marked == set()
        assert ("warning", "only files can be marked") in app.said
        await pilot.press("asterisk")
        assert view.marked == {"notes_export.tsv", "orders_2024-06.csv", "orders_2024-07.csv"}
        await pilot.press("asterisk")
        assert view.marked == set()


# -- live status -------------------------------------------------------------------------------
async def test_job_deltas_update_only_the_affected_row(make_tui, data, engine):
    target = str(data / "orders_2024-06.csv")
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        table = app.query_one(FileTable)
        rebuilds, updates = [], []
        real_rebuild, real_update = table.rebuild, table.update_cell
        table.rebuild = lambda *a, **k: (rebuilds.append(1), real_rebuild(*a, **k))[1]
        table.update_cell = lambda key, col, *a, **k: (updates.append((key, col)),
                                                       real_update(key, col, *a, **k))[1]
        engine.add_job(make_job("J1", file=target, table="ORDERS", state="queued"))
        await wait_until(pilot, lambda: cell(app, "orders_2024-06.csv", "status") == "◌ queued",
                         "queued")
        engine.update("J1", state="running", progress=0.42)
        await wait_until(pilot, lambda: cell(app, "orders_2024-06.csv", "status") ==
                         "▶ running 42%", "running")
        engine.update("J1", state="succeeded", progress=1.0,
                      finished="2026-11-27T07:29:00.000Z")
        await wait_until(pilot, lambda: cell(app, "orders_2024-06.csv", "status") ==
                         "✓ loaded on 2026-11-27", "loaded")
        engine.add_job(make_job("J2", file="/elsewhere/orders_2024-06.csv", state="running"))
        await pilot.pause()
        assert rebuilds == []
        assert set(updates) == {("orders_2024-06.csv", "status")}
        assert view.statuses["orders_2024-07.csv"].label == "○ ready"


async def test_snapshot_with_jobs_sets_statuses(make_tui, data, engine):
    engine.jobs = {"J1": make_job("J1", file=str(data / "orders_2024-07.csv"), state="failed",
                                  error="validation failed")}
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await wait_until(pilot, lambda: cell(app, "orders_2024-07.csv", "status") ==
                         "✗ load failed", "failed status")
        await cursor_to(pilot, app, "orders_2024-07.csv")
        assert "✗ load failed · J1: validation failed" in app.query_one(FilePanel).info_plain


# -- config generation -------------------------------------------------------------------------
async def test_generate_shows_config_and_writes_only_when_asked(make_tui, data, tui_ws):
    written = tui_ws.configs_dir / "notes_export.json"
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await cursor_to(pilot, app, "notes_export.tsv")
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, GenerateConfigScreen),
                         "generated config shown")
        assert '"file_pattern": "notes_export.tsv"' in app.screen.generated.text
        assert not written.exists()
        await pilot.press("enter")  # the focused default is Cancel
        await pilot.pause()
        assert not isinstance(app.screen, GenerateConfigScreen) and not written.exists()
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, GenerateConfigScreen), "again")
        await pilot.press("w")
        await wait_until(pilot, written.exists, "config written")
        assert json.loads(written.read_text())["files"][0]["table_name"] == "NOTES_EXPORT"
        await wait_until(pilot, lambda: cell(app, "notes_export.tsv", "status") == "○ ready",
                         "re-matched")
        assert cell(app, "notes_export.tsv", "table") == "NOTES_EXPORT"
        assert view.listing.configs.registry is not None
        assert any("wrote configs/notes_export.json" in m for _, m in app.said)


async def test_generate_never_overwrites(make_tui, data, tui_ws):
    existing = tui_ws.configs_dir / "notes_export.json"
    existing.write_text("{not even json")
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await cursor_to(pilot, app, "notes_export.tsv")
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, GenerateConfigScreen), "shown")
        assert app.screen.query_one("#gen-yes").disabled
        await pilot.press("w")
        await pilot.pause()
        assert ("error", "configs/notes_export.json already exists; not overwritten") in app.said
        assert existing.read_text() == "{not even json"


async def test_generate_on_a_matched_file_or_directory_explains(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await pilot.press("G")  # on "archive"
        assert any("G generates a config for a data file" in m for _, m in app.said)
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await pilot.press("G")
        assert any("already matches configs/demo.json" in m for _, m in app.said)
        assert not isinstance(app.screen, GenerateConfigScreen)


async def test_configs_or_directory_changing_on_disk_relist(make_tui, data, tui_ws):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, data)
        await cursor_to(pilot, app, "orders_2024-07.csv")
        (data / "orders_2024-09.csv").write_bytes(HEAD)
        view._poll()
        await wait_until(pilot, lambda: "orders_2024-09.csv" in rows(app), "new file listed")
        assert app.query_one(FileTable).current.name == "orders_2024-07.csv"  # cursor kept
        cfg = demo_config()
        cfg["files"][1]["file_pattern"] = "notes_{month}.csv"
        (tui_ws.configs_dir / "demo.json").write_text(json.dumps(cfg))
        view._poll()
        await wait_until(pilot, lambda: cell(app, "orders_2024-06.csv", "status") ==
                         "? not matched", "re-matched after the config changed")


async def test_huge_directories_hold_a_bounded_number_of_rows(make_tui, tmp_path, monkeypatch):
    monkeypatch.setattr(files_view, "MAX_ROWS", 10)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(15):
        (many / f"f{i:02d}.tsv").write_bytes(b"")
    app = make_tui(many)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await listed(pilot, app, many)
        assert rows(app) == ["..", *[f"f{i:02d}.tsv" for i in range(10)]]
        assert "first 10 of 15 shown" in str(view.query_one("#files-header").render())
        await pilot.press("S")  # reversed: the other end of the directory
        assert rows(app)[1] == "f14.tsv"
        await pilot.press("slash", *"f13", "enter")
        assert rows(app) == ["..", "f13.tsv"]
        assert "shown" not in str(view.query_one("#files-header").render())


async def test_help_lists_file_bindings_and_keys_remap_by_id(make_tui, data, tui_ws):
    tui_ws.settings_path.write_text('[keys]\n"files.generate" = "c"\n')
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {table.get_row_at(i)[3] for i in range(table.row_count)}
        assert {"files.load", "files.validate", "files.generate", "files.mark", "files.filter",
                "files.sort", "files.hidden", "files.parent", "files.top", "files.down"} <= ids
        await pilot.press("escape")
        await cursor_to(pilot, app, "notes_export.tsv")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, GenerateConfigScreen),
                         "generate under its remapped key")


# -- head-only preview of a huge file ----------------------------------------------------------
async def test_sparse_100_gb_file_previews_from_its_head(make_tui, data):
    big = data / "orders_2024-08.csv"
    with open(big, "wb") as fh:
        fh.write(b"ORDER_ID,ORDER_DATE,CUSTOMER,AMOUNT,STATUS\n")
        for i in range(1, 6):
            fh.write(f'{i},2024-08-0{i},"C{i}",{i}.00,PAID\n'.encode())
        fh.truncate(100 * 10**9)
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        assert cell(app, big.name, "size") == "100.0 GB"
        assert cell(app, big.name, "status") == "○ ready"
        started = time.perf_counter()
        await cursor_to(pilot, app, big.name)
        panel = await previewed(pilot, app, big)
        shown_after = time.perf_counter() - started
        assert [r[0] for r in panel.preview.rows] == ["1", "2", "3", "4", "5"]
        assert "read from the head only" in str(panel.query_one("#panel-head-title").render())
        assert "✓ 5 columns as expected" in panel.info_plain
        # the listing stays responsive: the next file previews as usual
        await pilot.press("k")
        await previewed(pilot, app, data / "orders_2024-07.csv")
        await pilot.press("j")
        assert app.query_one(FilePanel).preview.path == big  # cached, shown at once
        print(f"\npanel of the 100 GB sparse file shown after {shown_after * 1000:.0f} ms")


# -- narrow layout -----------------------------------------------------------------------------
async def test_narrow_layout_drops_columns_and_stacks_the_panel(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(80, 24)) as pilot:
        await listed(pilot, app, data)
        table = app.query_one(FileTable)
        assert [c.key for c in table.columns_shown] == ["name", "size", "status"]
        panel = app.query_one(FilePanel)
        assert panel.styles.layout.name == "vertical"
        await cursor_to(pilot, app, "orders_2024-06.csv")
        await previewed(pilot, app, data / "orders_2024-06.csv")
        assert "ORDERS on local · period 2024-06" in panel.info_plain
        await pilot.press("p")
        assert not panel.display or panel.has_class("-hidden")
        assert panel.region.height == 0
        await pilot.press("p")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert [c.key for c in table.columns_shown][3:] == ["table", "period", "status"]
        assert panel.styles.layout.name == "horizontal"


async def test_palette_offers_file_actions(make_tui, data):
    app = make_tui(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app, data)
        titles = [t for t, _, _ in view_of(app).palette_commands()]
        assert "Files: load the marked files (or the one under the cursor)" in titles
        assert "Files: sort by size" in titles
        sort = next(cb for t, _, cb in view_of(app).palette_commands()
                    if t == "Files: sort by size")
        sort()
        assert view_of(app).sort == "size"


# -- snapshots ---------------------------------------------------------------------------------
def snapshot_dir(tui_ws) -> Path:
    write_demo_config(tui_ws)
    root = fixed_dir("files-view")
    write_orders_file(root / "orders_2024-06.csv", date(2024, 6, 1), rows=90, seed=7)
    write_fact_file(root / "factLendingBenchmark_20240101-20240131.tsv", date(2024, 1, 1),
                    date(2024, 1, 31), rows_per_day=20, seed=7)
    write_fact_file(root / "factLendingBenchmark_20240201-20240229.tsv", date(2024, 2, 1),
                    date(2024, 2, 29), rows_per_day=20, seed=7)
    (root / "notes_export.tsv").write_bytes(b"id\tnote\n1\tcall back\n")
    (root / "archive").mkdir()
    for i, p in enumerate(sorted(root.iterdir())):
        os.utime(p, (MTIME + i * 3600, MTIME + i * 3600))
    return root


def snapshot_app(make_tui, engine, tui_ws):
    root = snapshot_dir(tui_ws)
    engine.jobs = {"J1a21bb43ac5cb1a70": make_job(
        "J1a21bb43ac5cb1a70", file=str(root / "factLendingBenchmark_20240201-20240229.tsv"),
        table="FACT_LENDING_BENCHMARK", state="running", step="read", progress=0.42)}
    app = make_tui(root)
    return app, root


async def _settle(pilot, root: Path, name: str) -> None:
    app = pilot.app
    await listed(pilot, app, root)
    await wait_until(pilot, lambda: app.engine_state.connected, "connected")
    await cursor_to(pilot, app, name)
    await previewed(pilot, app, root / name)
    await wait_until(pilot, lambda: "running 42%" in cell(app, "factLendingBenchmark_20240201"
                                                          "-20240229.tsv", "status"), "job")
    app.clear_notifications()  # the shell's "1 job in the engine" toast is not ours to show
    await pilot.pause()


def test_snapshot_files_view_wide(snap_compare, make_tui, engine, tui_ws):
    app, root = snapshot_app(make_tui, engine, tui_ws)

    async def run_before(pilot) -> None:
        await _settle(pilot, root, "orders_2024-06.csv")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_files_view_narrow(snap_compare, make_tui, engine, tui_ws):
    app, root = snapshot_app(make_tui, engine, tui_ws)

    async def run_before(pilot) -> None:
        await _settle(pilot, root, "notes_export.tsv")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
