"""The app shell: view switching, status bar, help, palette, confirm, disconnect, quit."""

from __future__ import annotations

from snowetl_tui.tui.screens.confirm import ConfirmScreen
from snowetl_tui.tui.screens.help import HelpScreen
from snowetl_tui.tui.widgets.status_bar import StatusBar
from tests.tui.conftest import wait_until
from tests.tui.fake_engine import make_job


def status_text(app) -> str:
    return str(app.query_one(StatusBar).render_text(app.engine_state))


async def test_views_switch_with_number_keys(make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        for key, name in (("2", "jobs"), ("3", "logs"), ("4", "tables"), ("1", "files")):
            await pilot.press(key)
            assert app.current_view == name
            assert app.query_one("#views").current == name


async def test_status_bar_shows_engine_and_counts_as_words(make_tui, engine):
    engine.jobs = {"J1": make_job("J1", state="running"), "J2": make_job("J2"),
                   "J3": make_job("J3", state="failed")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        text = status_text(app)
        assert "pid 4242" in text and "up 1h30m" in text
        assert "1 running" in text and "1 queued" in text and "1 failed" in text
        engine.update("J1", state="succeeded")
        await wait_until(pilot, lambda: "1 running" not in status_text(app), "count update")
        assert ("information", "✓ load orders_202403.tsv succeeded") in app.said


async def test_disconnect_shows_banner_and_reconnects(make_tui, engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        engine.refuse_connect = "the engine is not running"
        engine.drop()
        await wait_until(pilot, lambda: not app.engine_state.connected, "disconnected")
        assert "engine disconnected" in status_text(app)
        assert app.screen.has_class("-disconnected")
        assert any("reconnecting" in m for _, m in app.said)
        engine.refuse_connect = None
        engine.add_job(make_job("J9", state="running"))
        await wait_until(pilot, lambda: app.engine_state.connected, "reconnected", steps=800)
        assert "J9" in app.engine_state.jobs
        await pilot.pause()
        assert not app.screen.has_class("-disconnected")


async def test_help_lists_bindings_of_context_and_filters(make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {table.get_row_at(i)[3] for i in range(table.row_count)}
        assert {"app.view.files", "app.view.jobs", "app.help", "app.quit"} <= ids
        await pilot.press(*"tables")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert rows and all("table" in " ".join(map(str, r)).lower() for r in rows)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_from_settings_remaps_by_id(make_tui, tui_ws):
    tui_ws.settings_path.parent.mkdir(parents=True, exist_ok=True)
    tui_ws.settings_path.write_text('[keys]\n"app.view.jobs" = "j,f2"\n')
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        assert app.current_view == "jobs"


def test_unknown_binding_id_names_file_and_key(make_tui, tui_ws):
    import pytest

    from snowetl_tui.errors import InputError

    tui_ws.settings_path.parent.mkdir(parents=True, exist_ok=True)
    tui_ws.settings_path.write_text('[keys]\n"app.view.jobz" = "f2"\n')
    with pytest.raises(InputError) as err:
        make_tui()
    assert "snowetl.toml: keys.app.view.jobz" in str(err.value)
    assert "app.view.jobs" in str(err.value)


async def test_palette_cancel_asks_first_default_no(make_tui, engine):
    engine.jobs = {"J1": make_job("J1", state="running")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        app.confirm_cancel(app.engine_state.jobs["J1"])
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # focus starts on No
        await pilot.pause()
        assert not any(op == "cancel" for op, _ in engine.requests)
        app.confirm_cancel(app.engine_state.jobs["J1"])
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: engine.jobs["J1"]["state"] == "cancelled", "cancel")
        assert ("cancel", {"job": "J1"}) in engine.requests


async def test_quit_says_jobs_continue(make_tui, engine, tui_ws):
    engine.jobs = {"J1": make_job("J1", state="running")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_state.connected, "connected")
        msg = app.quit_message()
        assert msg is not None and "1 job continues" in msg and str(tui_ws.root) in msg
        engine.update("J1", state="succeeded")
        await wait_until(pilot, lambda: not app.engine_state.active_jobs(), "job done")
        msg = app.quit_message()
        assert msg is not None and "no job is running" in msg and "engine stop" in msg
        await pilot.press("q")
    assert app.return_code == 0


async def test_narrow_layout_class(make_tui):
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.has_class("-narrow")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-narrow")
