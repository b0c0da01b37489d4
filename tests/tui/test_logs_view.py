"""The Logs view: open job/engine logs, follow, search, filter, levels, esc, odd files."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input, OptionList

from snowetl_tui.logindex import search as search_module
from snowetl_tui.logindex.search import MatchBatch
from snowetl_tui.tui.screens.help import HelpScreen
from snowetl_tui.tui.views import logs as logs_module
from snowetl_tui.tui.views.logs import LogsView
from snowetl_tui.tui.widgets.log_picker import LogPickerScreen
from snowetl_tui.tui.widgets.log_search import LogSearchBar
from tests.tui.conftest import wait_until
from tests.tui.fake_engine import make_job


def log_line(i: int) -> str:
    level = "ERROR" if i % 10 == 7 else "WARNING" if i % 10 == 3 else "INFO"
    return f"2026-11-27T06:{i // 60 % 60:02d}:{i % 60:02d}.000Z {level:<7} step copy part {i}"


def write_log(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a") as fh:
        fh.write("".join(f"{line}\n" for line in lines))


def logs_of(app) -> LogsView:
    return app.query_one("#logs", LogsView)


def screen_text(view: LogsView) -> list[str]:
    """What the log area shows, row by row (rendered, gutter included)."""
    lines = view.lines
    height = lines.scrollable_content_region.height
    return [lines.render_line(y).text.rstrip() for y in range(height)]


def status(view: LogsView) -> str:
    return str(view.query_one("#log-status").render())


def title(view: LogsView) -> str:
    return str(view.query_one("#log-title").render())


def idle(view: LogsView) -> bool:
    busy = any(s.running for s in (view.search, view.filter) if s is not None)
    return view.index is not None and not view.indexing and not busy and \
        view.lines.screen_ready


async def settle(pilot, view: LogsView) -> None:
    await wait_until(pilot, lambda: idle(view), "log view settled")


async def open_log(app, pilot, **args) -> LogsView:
    await wait_until(pilot, lambda: app.engine_state.connected, "connected")
    app.show_view("logs", **args)
    view = logs_of(app)
    await settle(pilot, view)
    return view


async def type_in_bar(pilot, key: str, text: str) -> None:
    await pilot.press(key)
    await pilot.press(*text)
    await pilot.press("enter")


# -- opening ------------------------------------------------------------------------------------


async def test_job_log_opens_at_the_path_the_engine_reports(make_tui, engine, tui_ws):
    path = write_log(tui_ws.root / "elsewhere" / "J1.log", [log_line(i) for i in range(30)])
    engine.jobs = {"J1": make_job("J1", state="succeeded", log_path=str(path))}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, job="J1")
        assert "job J1" in title(view) and "✓ succeeded" in title(view)
        assert "orders_202403.tsv" in title(view) and "elsewhere/J1.log" in title(view)
        shown = screen_text(view)
        assert shown[0].startswith(" 1  2026-11-27T06:00:00.000Z INFO")
        assert shown[29].endswith("step copy part 29")
        assert "● following" in status(view) and "30 lines" in status(view)


async def test_default_is_newest_started_job_else_engine_log(make_tui, engine, tui_ws):
    write_log(tui_ws.logs_dir / "jobs" / "J1.log", ["job one"])
    write_log(tui_ws.engine_log_path, ["2026-11-27T06:00:00.000Z INFO    [1] engine up"])
    engine.jobs = {"J1": make_job("J1", state="failed"), "J2": make_job("J2", state="queued")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await pilot.press("3")
        view = logs_of(app)
        await settle(pilot, view)
        assert view.entry.job_id == "J1"  # J2 is newer but queued: no log yet
        assert view.lines.line_text(0) == "job one"
        app.show_view("logs", engine=True)
        await settle(pilot, view)
        assert "engine log" in title(view) and "logs/engine.log" in title(view)
        assert view.lines.line_text(0).endswith("[1] engine up")


async def test_without_jobs_the_engine_log_is_shown(make_tui, tui_ws):
    write_log(tui_ws.engine_log_path, ["2026-11-27T06:00:00.000Z INFO    [1] engine up"])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot)
        assert view.entry.job_id is None


async def test_missing_file_names_the_path_then_opens_when_it_appears(make_tui, engine, tui_ws):
    engine.jobs = {"J9": make_job("J9", state="queued")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        app.show_view("logs", job="J9")
        view = logs_of(app)
        await wait_until(pilot, lambda: view.problem is not None, "missing message")
        message = str(view.query_one("#log-message").render())
        assert "No log file at logs/jobs/J9.log" in message
        assert view.has_class("-no-file") and not view.lines.display
        write_log(tui_ws.logs_dir / "jobs" / "J9.log", ["2026-11-27T06:00:00.000Z INFO    hi"])
        view.poll()
        await settle(pilot, view)
        assert view.problem is None and view.lines.display
        assert view.lines.line_text(0).endswith("INFO    hi")


async def test_unreadable_and_empty_files(make_tui, tui_ws):
    tui_ws.engine_log_path.mkdir(parents=True)  # a directory where the log should be
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        app.show_view("logs", engine=True)
        view = logs_of(app)
        await wait_until(pilot, lambda: view.problem is not None, "error message")
        assert "Cannot read logs/engine.log" in str(view.query_one("#log-message").render())
        tui_ws.engine_log_path.rmdir()
        tui_ws.engine_log_path.write_bytes(b"")
        view.poll()
        await wait_until(pilot, lambda: view.index is not None and not view.indexing, "opened")
        assert "0 lines" in status(view) and "empty — waiting for lines" in status(view)


async def test_bad_bytes_crlf_long_lines_and_control_characters(make_tui, tui_ws):
    long = "x" * 100_000
    tui_ws.engine_log_path.write_bytes(
        b"bad \xff\xfe bytes\r\nescape \x1b[2J here\r\n" + long.encode() + b"\nend")
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        shown = screen_text(view)
        assert shown[0].rstrip().endswith("bad \ufffd\ufffd bytes")
        assert "escape ␛[2J here" in shown[1]  # the terminal never sees the raw ESC
        assert view.index.line_count == 4 and view.lines.line_text(3) == "end"
        await pilot.press("w")  # wrapped, the cut line shows its marker
        await pilot.pause()
        joined = " ".join(row[3:].strip() for row in screen_text(view))
        assert "x … [line cut: 100.0 KB, first 4,096 bytes shown] end" in joined


# -- follow -------------------------------------------------------------------------------------


async def test_follow_sticks_to_the_tail_and_pauses_when_scrolled_up(make_tui, tui_ws):
    path = write_log(tui_ws.engine_log_path, [log_line(i) for i in range(300)])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        assert view.lines.visible_lines()[-1] == 299
        append(path, [log_line(i) for i in range(300, 350)])
        view.poll()
        await wait_until(pilot, lambda: view.index.line_count == 350, "appended lines")
        await settle(pilot, view)
        assert view.lines.visible_lines()[-1] == 349
        assert screen_text(view)[-1].endswith("part 349")

        await pilot.press("k", "k")  # scrolling up pauses following
        assert not view.lines.following
        top = view.lines.top_line
        append(path, [log_line(i) for i in range(350, 370)])
        view.poll()
        await wait_until(pilot, lambda: view.index.line_count == 370, "more lines")
        assert view.lines.top_line == top
        assert "‖ paused · 20 new lines" in status(view)

        await pilot.press("f")
        await settle(pilot, view)
        assert view.lines.following and view.lines.visible_lines()[-1] == 369
        assert "● following" in status(view) and "new line" not in status(view)
        await pilot.press("g")
        assert not view.lines.following and view.lines.top_line == 0
        await pilot.press("G")
        assert view.lines.following and view.lines.visible_lines()[-1] == 369
        await pilot.press("pageup")
        assert not view.lines.following
        await pilot.press("end")
        assert view.lines.following and view.lines.visible_lines()[-1] == 369


async def test_wrap_mode_keeps_the_newest_line_whole_at_the_bottom(make_tui, tui_ws):
    path = write_log(tui_ws.engine_log_path,
                     [f"line {i} " + "abcdefghij" * 30 + f" end {i}" for i in range(50)])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await pilot.press("w")
        await settle(pilot, view)
        shown = screen_text(view)
        assert shown[-1].endswith("end 49")  # the last line's last piece is the bottom row
        assert not shown[-1].lstrip().startswith("50")  # a continuation row has no number
        assert sum(row.lstrip().startswith("50  line 49") for row in shown) == 1
        assert "│ wrap" in status(view)
        append(path, ["short newest line"])
        view.poll()
        await wait_until(pilot, lambda: view.index.line_count == 51, "new line")
        await settle(pilot, view)
        assert screen_text(view)[-1].endswith("51  short newest line")
        await pilot.press("w", "g")
        shown = screen_text(view)  # not wrapped: one row per line, cut at the edge
        assert "end 0" not in shown[0] and shown[1].startswith(" 2  line 1 ")


async def test_a_line_written_in_two_parts_is_shown_whole(make_tui, tui_ws):
    path = tui_ws.engine_log_path
    path.write_text("first\nhalf a li")
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        assert view.lines.line_text(1) == "half a li"
        with open(path, "a") as fh:
            fh.write("ne\nnext\n")
        view.poll()
        await wait_until(pilot, lambda: view.index.line_count == 3, "completed line")
        await settle(pilot, view)
        assert view.lines.line_text(1) == "half a line"
        assert view.lines.line_text(2) == "next"


async def test_truncated_or_rotated_file_is_read_again(make_tui, tui_ws):
    path = write_log(tui_ws.engine_log_path, [log_line(i) for i in range(100)])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        write_log(path, ["after truncation"])
        view.poll()
        await wait_until(pilot, lambda: view.index is not None and view.index.line_count == 1,
                         "re-read after truncation")
        await settle(pilot, view)
        assert view.lines.line_text(0) == "after truncation"
        assert any("was truncated" in m for _, m in app.said)
        os.rename(path, path.with_suffix(".log.1"))
        write_log(path, ["rotated one", "rotated two"])
        view.poll()
        await wait_until(pilot, lambda: view.index is not None and view.index.line_count == 2,
                         "re-read after rotation")
        assert any("was replaced (rotated)" in m for _, m in app.said)
        path.unlink()
        view.poll()
        await pilot.pause()
        assert "✗ file removed from disk" in status(view)


# -- search -------------------------------------------------------------------------------------


def needle_log(tui_ws) -> Path:
    lines = [log_line(i) for i in range(300)]
    for i in (9, 49, 199):
        lines[i] += " needle"
    return write_log(tui_ws.engine_log_path, lines)


async def test_search_highlights_and_n_N_move_between_matches(make_tui, tui_ws):
    needle_log(tui_ws)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await pilot.press("g")
        await type_in_bar(pilot, "slash", "NEEDLE")
        await settle(pilot, view)
        assert view.search.lines.to_array().tolist() == [9, 49, 199]
        assert view.current_match == 9 and view.lines.current_line == 9
        assert '/ "NEEDLE": 1/3' in status(view)
        row = view.lines.visible_lines().index(9)
        strip = view.lines.render_line(row)
        assert strip.text.lstrip().startswith("10▶ ")
        match_style = view.lines.get_component_rich_style("log-lines--match")
        assert [s.text for s in strip if s.style and s.style.bgcolor == match_style.bgcolor
                and s.text.strip()] == ["needle"]
        await pilot.press("n")
        assert view.current_match == 49 and 49 in view.lines.visible_lines()
        await pilot.press("n")
        assert view.current_match == 199 and "3/3" in status(view)
        await pilot.press("n")
        assert view.current_match == 9
        assert any("continued from the top" in m for _, m in app.said)
        await pilot.press("N")
        assert view.current_match == 199
        await pilot.press("escape")  # nothing running: clears the search
        assert view.search is None and view.lines.current_line is None


async def test_regex_search_and_a_bad_regex_is_reported_in_the_bar(make_tui, tui_ws):
    write_log(tui_ws.engine_log_path, [log_line(i) for i in range(300)])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await pilot.press("slash", "ctrl+r", *"part (", "enter")
        bar = view.query_one(LogSearchBar)
        assert bar.is_open and view.search is None
        assert "not a valid regular expression" in str(bar.query_one("#bar-error").render())
        await pilot.press("backspace", *r"1\d\d$", "enter")
        await settle(pilot, view)
        assert not bar.is_open
        assert view.search.query.regex
        assert view.search.lines.to_array().tolist() == list(range(100, 200))
        await pilot.press("slash")  # reopens with the query in force
        assert bar.input.value == r"part 1\d\d$" and bar.regex
        await pilot.press("escape")
        assert not bar.is_open and view.search is not None
        assert app.focused is view.lines


async def test_search_match_case_toggle(make_tui, tui_ws):
    write_log(tui_ws.engine_log_path, ["Alpha", "alpha", "ALPHA"])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await type_in_bar(pilot, "slash", "alpha")
        await settle(pilot, view)
        assert view.search.lines.to_array().tolist() == [0, 1, 2]
        await pilot.press("slash", "ctrl+t", "enter")
        await settle(pilot, view)
        assert view.search.lines.to_array().tolist() == [1]
        assert "(match case)" in status(view)


# -- filter and levels --------------------------------------------------------------------------


async def test_filter_mode_shows_only_matching_lines(make_tui, tui_ws):
    write_log(tui_ws.engine_log_path, [log_line(i) for i in range(300)])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await type_in_bar(pilot, "backslash", "part 2")
        await settle(pilot, view)
        want = [i for i in range(300) if f"part {i}".startswith("part 2")]
        assert view.filter.lines.to_array().tolist() == want
        assert all("part 2" in row for row in screen_text(view) if row.strip())
        assert f"{len(want)} of 300 lines" in status(view)
        assert screen_text(view)[-1].startswith("300  ")  # following: the newest match
        await pilot.press("g")
        assert screen_text(view)[0].startswith("  3  ")  # real line numbers in the gutter
        await pilot.press("escape")  # clears the filter, back to every line
        assert view.filter is None and view.lines.row_count == 300
        await pilot.press("F")  # htop's \ and a letter for keyboards without it
        assert view.bar.is_open and view.bar.mode == "filter"


async def test_level_filter_cycles_and_keeps_tracebacks_with_their_error(make_tui, tui_ws):
    lines = [log_line(i) for i in range(40)]
    lines[18:18] = ["Traceback (most recent call last):", "  File \"x.py\", line 1",
                    "ValueError: boom"]  # after the ERROR of line 17
    write_log(tui_ws.engine_log_path, lines)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)

        async def level(expect: str) -> list[int]:
            await pilot.press("v")
            await settle(pilot, view)
            assert expect in status(view)
            return [] if view.filter is None else view.filter.lines.to_array().tolist()

        assert len(await level("info+")) == 43
        warn = await level("warning+")
        assert [lines[i].split()[1] if i not in (18, 19, 20) else "tb" for i in warn] == \
            ["WARNING", "ERROR", "WARNING", "ERROR", "tb", "tb", "tb", "WARNING", "ERROR",
             "WARNING", "ERROR"]
        errors = await level("error+")
        assert errors[:4] == [7, 17, 18, 19] and len(errors) == 7
        await type_in_bar(pilot, "backslash", "part 3")
        await settle(pilot, view)
        assert [lines[i] for i in view.filter.lines.to_array()] == [log_line(37)]
        assert 'filter "part 3" error+' in status(view)
        await level('filter "part 3"')  # back to all levels, the text filter stays
        assert view.level_choice == 0 and view.filter is not None
        await pilot.press("escape")
        assert view.filter is None


async def test_search_inside_a_filter_only_stops_on_shown_lines(make_tui, tui_ws):
    needle_log(tui_ws)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await type_in_bar(pilot, "backslash", "part 4")  # lines 4, 40-49, 400.. -> 4, 40-49
        await settle(pilot, view)
        await type_in_bar(pilot, "slash", "needle")
        await settle(pilot, view)
        assert view.current_match == 49
        await pilot.press("n")
        assert view.current_match == 49  # 9 and 199 are filtered out


# -- esc and cancel -----------------------------------------------------------------------------


def blocking_scan(real):
    """A find_lines that yields real results once, then hangs until cancelled."""
    started = threading.Event()

    def scan(fd, index, **kwargs):
        cancel = kwargs["cancel"]
        first = next(iter(real(fd, index, **kwargs)), None)
        if first is not None:
            yield first
        started.set()
        while not cancel():
            threading.Event().wait(0.005)
        return
        yield MatchBatch(np.empty(0, np.int64), 0, 0, 0, -1)  # keeps this a generator

    return scan, started


async def test_esc_stops_a_running_search_then_clears_it(make_tui, tui_ws, monkeypatch):
    needle_log(tui_ws)
    scan, started = blocking_scan(search_module.find_lines)
    monkeypatch.setattr(logs_module, "find_lines", scan)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await type_in_bar(pilot, "slash", "needle")
        await wait_until(pilot, started.is_set, "search running")
        assert view.search.running and "⟳" in status(view)
        await pilot.press("escape")
        assert not view.search.running and view.search.stopped
        assert ("warning", "stopped the search — r resumes") in app.said
        await pilot.pause()
        assert "⊘ stopped" in status(view)
        await pilot.press("escape")
        assert view.search is None


async def test_esc_in_the_open_bar_stops_the_search_before_closing(make_tui, tui_ws,
                                                                     monkeypatch):
    needle_log(tui_ws)
    scan, started = blocking_scan(search_module.find_lines)
    monkeypatch.setattr(logs_module, "find_lines", scan)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await type_in_bar(pilot, "slash", "needle")
        await wait_until(pilot, started.is_set, "search running")
        await pilot.press("slash")  # the bar is open again while the search runs
        bar = view.query_one(LogSearchBar)
        await pilot.press("escape")
        assert view.search.stopped and bar.is_open
        await pilot.press("escape")
        assert not bar.is_open and view.search is not None
        await pilot.press("escape")
        assert view.search is None


async def test_esc_stops_indexing_and_r_resumes(make_tui, tui_ws, monkeypatch):
    write_log(tui_ws.engine_log_path, [log_line(i) for i in range(2000)])
    real = logs_module.scan_breaks
    gate = threading.Event()

    def slow_scan(fd, start, end, **kwargs):
        cancel = kwargs["cancel"]
        for batch in real(fd, start, end, block_size=4096, cancel=cancel):
            yield batch
            while not gate.is_set() and not cancel():
                threading.Event().wait(0.005)

    monkeypatch.setattr(logs_module, "scan_breaks", slow_scan)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        app.show_view("logs", engine=True)
        view = logs_of(app)
        await wait_until(pilot, lambda: view.index is not None and view.index.line_count > 0,
                         "first batch")
        assert "⟳ indexing" in status(view)
        await pilot.press("escape")
        assert view.index_stopped and not view.indexing
        await pilot.pause()
        assert "⊘ indexing stopped at" in status(view)
        partial_count = view.index.line_count
        assert 0 < partial_count < 2000
        gate.set()
        await pilot.press("r")
        await wait_until(pilot, lambda: view.index.line_count == 2000 and not view.indexing,
                         "resumed indexing")
        assert not view.index_stopped


# -- picker, help, palette ----------------------------------------------------------------------


async def test_picker_lists_engine_and_job_logs_newest_first(make_tui, engine, tui_ws):
    write_log(tui_ws.logs_dir / "jobs" / "J1.log", ["one"])
    write_log(tui_ws.logs_dir / "jobs" / "J2.log", ["two"])
    write_log(tui_ws.logs_dir / "jobs" / "J0.log", ["orphan"])
    write_log(tui_ws.engine_log_path, ["engine"])
    engine.jobs = {"J1": make_job("J1", state="succeeded"),
                   "J2": make_job("J2", state="failed", file="/d/b.tsv")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, engine=True)
        await pilot.press("o")
        assert isinstance(app.screen, LogPickerScreen)
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 4, "orphan logs listed")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(4)]
        assert labels[0].startswith("≡ engine log")
        assert labels[1].startswith("✗ failed") and "J2" in labels[1] and "b.tsv" in labels[1]
        assert labels[2].startswith("✓ succeeded") and "J1" in labels[2]
        assert labels[3].startswith("? log only") and "J0" in labels[3]
        await pilot.press(*"succ", "enter")
        await settle(pilot, view)
        assert view.entry.job_id == "J1" and view.lines.line_text(0) == "one"
        await pilot.press("o", "escape")
        assert not isinstance(app.screen, LogPickerScreen) and view.entry.job_id == "J1"


async def test_help_lists_every_log_binding(make_tui, tui_ws):
    write_log(tui_ws.engine_log_path, ["x"])
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_log(app, pilot, engine=True)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {table.get_row_at(i)[3] for i in range(table.row_count)}
        assert {"logs.search", "logs.next", "logs.previous", "logs.filter", "logs.level",
                "logs.follow", "logs.wrap", "logs.open", "logs.escape", "logs.reload",
                "logs.down", "logs.up", "logs.top", "logs.bottom"} <= ids


async def test_state_change_updates_the_title(make_tui, engine, tui_ws):
    write_log(tui_ws.logs_dir / "jobs" / "J1.log", ["x"])
    engine.jobs = {"J1": make_job("J1", state="running")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_log(app, pilot, job="J1")
        assert "▶ running" in title(view)
        engine.update("J1", state="succeeded")
        await wait_until(pilot, lambda: "✓ succeeded" in title(view), "title update")


# -- layout -------------------------------------------------------------------------------------


async def test_narrow_layout_keeps_the_essentials(make_tui, engine, tui_ws):
    write_log(tui_ws.logs_dir / "jobs" / "J1.log", [log_line(i) for i in range(100)])
    engine.jobs = {"J1": make_job("J1", state="succeeded")}
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_log(app, pilot, job="J1")
        assert app.screen.has_class("-narrow")
        assert "logs/jobs" not in title(view)  # the path goes first
        assert "● following" in status(view) and "100 lines" in status(view)
        assert screen_text(view)[-1].startswith("100  ")
        await pilot.press("slash")
        bar = view.query_one(LogSearchBar)
        assert "Aa ^T" in str(bar.query_one("#bar-case").render())
        assert bar.input.size.width > 30  # the box keeps room to type


# -- snapshots ----------------------------------------------------------------------------------


def snapshot_workspace(engine, tui_ws) -> None:
    lines = [log_line(i) for i in range(60)]
    lines[28:28] = ["Traceback (most recent call last):", '  File "load.py", line 88, in copy',
                    "OSError: [Errno 28] No space left on device"]  # after the ERROR of 27
    lines[40] += "\tbytes=1234\tparts=3"
    write_log(tui_ws.logs_dir / "jobs" / "J1a21bb4d613bddea8.log", lines)
    engine.jobs = {"J1a21bb4d613bddea8": make_job("J1a21bb4d613bddea8", state="failed",
                                                  file="/data/orders_2024-06.csv")}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_snapshot_search_in_a_job_log(snap_compare, make_tui, engine, tui_ws, size):
    snapshot_workspace(engine, tui_ws)
    app = make_tui()

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await pilot.press("3")
        view = logs_of(app)
        await settle(pilot, view)
        await pilot.press("g")
        await type_in_bar(pilot, "slash", "part 3")
        await settle(pilot, view)
        await pilot.press("n")
        await settle(pilot, view)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_snapshot_level_filter_and_open_filter_bar(snap_compare, make_tui, engine, tui_ws, size):
    snapshot_workspace(engine, tui_ws)
    app = make_tui()

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        await pilot.press("3")
        view = logs_of(app)
        await settle(pilot, view)
        await pilot.press("v", "v")
        await settle(pilot, view)
        await pilot.press("backslash")
        view.query_one(LogSearchBar).query_one(Input).cursor_blink = False
        await pilot.press(*"part")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
