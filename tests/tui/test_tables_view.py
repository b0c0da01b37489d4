"""The Tables view: the ledger grouped by target and table, details, checks, delete, keys,
the empty ledger and the narrow layout — Pilot tests on a real small workspace (DuckDB tables
and a ledger with fixed timestamps), and SVG snapshots at 120×40 and 80×24."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from rich.console import Console

from snowetl_tui.load.ledger import Ledger
from snowetl_tui.tui.app import SnowetlApp, make_app
from snowetl_tui.tui.screens.confirm import ConfirmScreen
from snowetl_tui.tui.screens.help import HelpScreen
from snowetl_tui.tui.views import tables as tables_module
from snowetl_tui.tui.views.tables import CHECKING, EmptyNote, TablesView
from snowetl_tui.tui.widgets.table_ledger import LedgerTable
from snowetl_tui.workspace import Workspace
from tests.tui.conftest import fixed_clock, fixed_dir, wait_until
from tests.tui.fake_engine import FakeEngine, make_job
from tests.unit.test_client_tables import (
    FX_MAR,
    JOB_APR,
    JOB_MAR,
    ORDERS_APR,
    ORDERS_MAR,
    ORDERS_MAY,
    REPLACED,
    build_orders_workspace,
)


# -- helpers -------------------------------------------------------------------------------------
def plain(content: Any, width: int = 200) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(content)
    return console.export_text()


def panel_text(app: SnowetlApp) -> str:
    return plain(app.query_one("#tables-checks").content) + \
        plain(app.query_one("#tables-detail").content)


def summary(app: SnowetlApp) -> str:
    return plain(app.query_one("#tables-summary").content)


def view_of(app: SnowetlApp) -> TablesView:
    return app.query_one(TablesView)


async def open_tables(pilot: Any, app: SnowetlApp) -> TablesView:
    await wait_until(pilot, lambda: app.engine_state.connected, "connected")
    await pilot.press("4")
    view = view_of(app)
    await wait_until(pilot, lambda: view.snapshot is not None, "ledger read")
    return view


async def goto(pilot: Any, view: TablesView, load_id: str) -> None:
    view.table.move_cursor(row=view.table.keys_in_order.index(f"load:{load_id}"))
    await pilot.pause()
    assert view.current_period() is not None and view.current_period().key == load_id


@pytest.fixture
def shop(tui_ws: Workspace) -> Workspace:
    return build_orders_workspace(tui_ws.root)


def hold_lock(ws: Workspace) -> subprocess.Popen[str]:
    """Another process with the local database open for writing, as a COPY has it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(ws.local_db_path)!r})\nprint('ready', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


# -- grouping, all, navigation -------------------------------------------------------------------
async def test_ledger_grouped_by_target_and_table(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        table = view.table
        assert table.keys_in_order == [
            "target:local", "table:local\x1fFX_RATES", f"load:{FX_MAR}",
            "table:local\x1fORDERS", f"load:{ORDERS_MAR}", f"load:{ORDERS_APR}"]
        assert [c.key for c in table.columns_in_use] == ["name", "rows", "loaded", "job",
                                                         "user", "file"]
        cells = [c.plain for c in table.get_row(f"load:{ORDERS_MAR}")]
        assert [c.strip() for c in cells] == ["2024-03", "310", "2024-04-03 09:15", JOB_MAR,
                                              "ops", "orders_2024-03.csv"]
        assert [c.plain.strip() for c in table.get_row("table:local\x1fORDERS")] == [
            "▾ ORDERS", "610", "", "", "", "2 periods"]
        assert [c.plain.strip() for c in table.get_row(f"load:{FX_MAR}")][3:5] == ["-", "ann"]
        text = summary(app)
        assert "2 tables · 3 periods loaded · 673 rows on local" in text
        assert "2 failed/deleted loads hidden (a shows them)" in text
        assert app.focused is table


async def test_a_toggles_failed_and_replaced_loads(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: view.snapshot is not None and view.snapshot.show_all,
                         "all loads")
        table = view.table
        assert [c.key for c in table.columns_in_use][:3] == ["name", "rows", "state"]
        assert f"load:{REPLACED}" in table.keys_in_order
        assert table.get_row(f"load:{REPLACED}")[2].plain == "⊘ deleted"
        assert table.get_row(f"load:{ORDERS_MAY}")[2].plain == "✗ failed"
        assert table.get_row(f"load:{ORDERS_MAY}")[1].plain.strip() == "-"
        assert "showing every load (a: loaded only)" in summary(app)
        await goto(pilot, view, REPLACED)
        await pilot.press("enter")  # beside the panel the state replaces the time
        assert [c.key for c in table.columns_in_use] == ["name", "rows", "state"]
        await pilot.press("escape")
        await pilot.press("a")
        await wait_until(pilot, lambda: f"load:{REPLACED}" not in table.keys_in_order,
                         "loaded only again")
        assert "state" not in [c.key for c in table.columns_in_use]


async def test_j_k_g_G_move_and_enter_folds_a_group(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        table = view.table
        await pilot.press("G")
        assert table.current_key() == f"load:{ORDERS_APR}"
        await pilot.press("k")
        assert table.current_key() == f"load:{ORDERS_MAR}"
        await pilot.press("g")
        assert table.current_key() == "target:local"
        await pilot.press("j", "j", "j")
        assert table.current_key() == "table:local\x1fORDERS"
        await pilot.press("enter")
        assert f"load:{ORDERS_MAR}" not in table.keys_in_order
        assert table.get_row("table:local\x1fORDERS")[0].plain.strip() == "▸ ORDERS"
        assert table.current_key() == "table:local\x1fORDERS"
        assert not view.has_class("-panel-open")
        await pilot.press("enter")
        assert f"load:{ORDERS_MAR}" in table.keys_in_order
        await pilot.press("c")  # a group row: nothing to check
        assert ("warning", "select a period (a row under a table) first") in app.said


async def test_enter_shows_the_details_of_a_period(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("enter")
        assert view.has_class("-panel-open")
        await wait_until(pilot, lambda: ORDERS_MAR in view.details, "details read")
        text = panel_text(app)
        assert "ORDERS\n2024-03 on local · ✓ loaded" in text
        assert f"job      {JOB_MAR}" in text
        assert f"query id {ORDERS_MAR}" in text
        assert "part 1   orders_2024-03.csv · 48.2 KB · 310 rows · copied" in text
        assert f"report   logs/jobs/{JOB_MAR}.report.json" in text
        assert "not run — press c" in text
        # beside the panel the table drops file, job and user; the cursor keeps its row
        assert [c.key for c in view.table.columns_in_use] == ["name", "rows", "loaded"]
        assert view.table.current_key() == f"load:{ORDERS_MAR}"
        # the panel follows the cursor
        await pilot.press("j")
        await wait_until(pilot, lambda: view.panel_key == ORDERS_APR and
                         f"job      {JOB_APR}" in panel_text(app), "panel follows")
        await pilot.press("escape")
        assert not view.has_class("-panel-open") and view.panel_key is None
        assert [c.key for c in view.table.columns_in_use][-1] == "file"


# -- checks --------------------------------------------------------------------------------------
@pytest.fixture
def gated_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold every check in its worker until the test opens the gate."""
    gate = threading.Event()
    real = tables_module.run_checks

    def held(ws: Workspace, row: Any) -> Any:
        gate.wait(timeout=20)
        return real(ws, row)

    monkeypatch.setattr(tables_module, "run_checks", held)
    yield gate
    gate.set()


async def test_check_shows_checking_then_the_findings(shop, make_tui, gated_checks):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("c")
        assert view.checks[ORDERS_MAR] == CHECKING
        assert "⟳ checking ORDERS 2024-03 on local…" in summary(app)
        assert "⟳ checking… (counting in the warehouse)" in panel_text(app)
        await pilot.press("c")
        assert ("information", "already checking ORDERS 2024-03 on local") in app.said
        gated_checks.set()
        await wait_until(pilot, lambda: view.checks[ORDERS_MAR] != CHECKING, "check done",
                         steps=1500)
        text = panel_text(app)
        assert "✓ PASS — all 5 checks passed" in text
        assert "✓ PASS rows: 310 rows in the warehouse = 310 loaded (1 load)" in text
        assert "✓ PASS per_day: per-day counts equal the loaded file's on all 31 days" in text
        assert "✓ PASS duplicates: no duplicate keys (ORDER_ID)" in text
        assert "checking" not in summary(app)
        assert ("information", "ORDERS 2024-03 on local: ✓ PASS — all 5 checks passed") in \
            app.said


async def test_failed_checks_are_words_and_symbols(shop, make_tui):
    con = duckdb.connect(str(shop.local_db_path))
    con.execute("DELETE FROM ORDERS WHERE ORDER_DATE = DATE '2024-03-05'")
    con.execute("INSERT INTO ORDERS SELECT * FROM ORDERS WHERE ORDER_ID = 7")
    con.close()
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("c")
        await wait_until(pilot, lambda: view.checks.get(ORDERS_MAR) not in (None, CHECKING),
                         "check done", steps=1500)
        text = panel_text(app)
        assert "✗ FAIL — 4 of 5 checks failed" in text
        assert "✗ FAIL rows: 301 rows in the warehouse, 310 loaded (1 load): 9 fewer" in text
        assert "✗ FAIL calendar: 1 of 31 expected days have no rows" in text
        assert "· 2024-03-05 (Tuesday)" in text
        assert "✗ FAIL duplicates: 1 duplicate key (ORDER_ID) in ORDERS" in text
        assert "· ORDER_ID=7: 2 rows" in text
        assert "· 2024-03-05: file 10 / warehouse 0" in text
        assert any(s == "warning" and m.startswith("ORDERS 2024-03 on local: ✗ FAIL")
                   for s, m in app.said)


async def test_check_while_a_load_writes_says_so(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        holder = hold_lock(shop)
        try:
            await pilot.press("c")
            await wait_until(pilot, lambda: view.checks.get(ORDERS_MAR) not in (None, CHECKING),
                             "check done", steps=1500)
        finally:
            release(holder)
        text = panel_text(app)
        assert "✗ could not check: a load is writing to target local" in text
        assert "try again when it finishes" in text
        assert any(s == "error" and "a load is writing to target local" in m
                   for s, m in app.said)
        await pilot.press("c")  # free again: the same key now checks
        await wait_until(pilot, lambda: not isinstance(view.checks.get(ORDERS_MAR), str),
                         "check done", steps=1500)
        assert "✓ PASS — all 5 checks passed" in panel_text(app)


async def test_an_unexpected_error_in_a_check_is_shown(shop, make_tui, monkeypatch):
    def broken(ws: Workspace, row: Any) -> Any:
        raise RuntimeError("connector fell over")

    monkeypatch.setattr(tables_module, "run_checks", broken)
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("c")
        await wait_until(pilot, lambda: view.checks.get(ORDERS_MAR) not in (None, CHECKING),
                         "check done")
        assert "✗ could not check: unexpected RuntimeError: connector fell over" in \
            panel_text(app)
        assert "checking" not in summary(app)
        assert ("error", "check of ORDERS 2024-03 on local: unexpected RuntimeError: "
                         "connector fell over") in app.said


# -- delete --------------------------------------------------------------------------------------
async def test_delete_asks_with_the_count_and_defaults_to_no(shop, make_tui, engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked")
        question = plain(app.screen.query_one("#question").content)
        assert question.startswith("Delete 310 rows of ORDERS for 2024-03 on local?")
        await pilot.press("enter")  # the focused button is No
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "closed")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked again")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "closed")
        await pilot.pause()
        assert not [r for r in engine.requests if r[0] == "delete_period"]
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked a third")
        await pilot.press("y")
        await wait_until(pilot, lambda: any(r[0] == "delete_period" for r in engine.requests),
                         "delete sent")
        assert [r for r in engine.requests if r[0] == "delete_period"] == [
            ("delete_period", {"table": "ORDERS", "period": "2024-03-01..2024-03-31",
                               "target": "local", "date_column": "ORDER_DATE"})]
        await wait_until(pilot, lambda: any("queued as job" in m for _, m in app.said),
                         "toast")
        assert any(m.startswith("delete of ORDERS 2024-03 on local queued as job J")
                   for _, m in app.said)


async def test_delete_of_an_empty_period_still_asks(shop, make_tui):
    con = duckdb.connect(str(shop.local_db_path))
    con.execute("DELETE FROM ORDERS WHERE ORDER_DATE < DATE '2024-04-01'")
    con.close()
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked")
        question = plain(app.screen.query_one("#question").content)
        assert question.startswith("Delete 0 rows of ORDERS for 2024-03 on local?")
        assert "holds no rows for this period" in question
        await pilot.press("n")


async def test_delete_count_while_locked_is_an_error_not_a_question(shop, make_tui, engine):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        holder = hold_lock(shop)
        try:
            await pilot.press("d")
            await wait_until(pilot, lambda: any(s == "error" for s, _ in app.said), "error",
                             steps=1500)
        finally:
            release(holder)
        assert any(m.startswith("cannot delete ORDERS 2024-03 on local: a load is writing to "
                                "target local") for _, m in app.said)
        assert not isinstance(app.screen, ConfirmScreen)
        assert not [r for r in engine.requests if r[0] == "delete_period"]


# -- engine updates, refresh ---------------------------------------------------------------------
async def test_ledger_reloads_when_a_load_or_delete_job_finishes(shop, make_tui, engine,
                                                                 monkeypatch):
    engine.jobs = {"JV": make_job("JV", kind="validate", state="running"),
                   "JD": make_job("JD", kind="delete", file=None, state="running")}
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        reloads: list[int] = []
        real = view.reload
        monkeypatch.setattr(view, "reload", lambda: (reloads.append(1), real())[1])
        engine.update("JV", state="succeeded")  # a validation does not touch the ledger
        await wait_until(pilot, lambda: app.engine_state.jobs["JV"]["state"] == "succeeded",
                         "validate done")
        await pilot.pause()
        assert reloads == []
        Ledger(shop.store_path).mark_period_deleted("local", "ORDERS", "2024-03-01",
                                                    "2024-03-31")
        engine.update("JD", progress=0.5)  # still running: no reload
        await pilot.pause()
        assert reloads == []
        engine.update("JD", state="succeeded")
        await wait_until(pilot, lambda: f"load:{ORDERS_MAR}" not in view.table.keys_in_order,
                         "reloaded")
        assert reloads == [1]
        assert "2 tables · 2 periods loaded · 363 rows on local" in summary(app)
        engine.update("JD", updated="2026-11-27T07:31:00.000Z")  # already final: no reload
        engine.update("JV", updated="2026-11-27T07:31:00.000Z")
        await wait_until(pilot, lambda: app.engine_state.jobs["JD"]["updated"].endswith(
            "07:31:00.000Z"), "update seen")
        await pilot.pause()
        assert reloads == [1]


async def test_r_reads_the_ledger_again(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_APR)
        ledger = Ledger(shop.store_path)
        rec = ledger.create_load(job_id="J9", file="/d/orders_2024-06.csv",
                                 file_name="orders_2024-06.csv", size=1, mtime_ns=1,
                                 quick_hash="q", target="local", table_name="ORDERS",
                                 period_start="2024-06-01", period_end="2024-06-30",
                                 mode="append")
        ledger.update(rec.load_id, state="succeeded", rows_loaded=5)
        await pilot.press("r")
        await wait_until(pilot, lambda: f"load:{rec.load_id}" in view.table.keys_in_order,
                         "new load shown")
        assert view.table.current_key() == f"load:{ORDERS_APR}"  # the cursor stayed
        assert ("information", "reading the ledger again") in app.said


# -- log, report ---------------------------------------------------------------------------------
async def test_l_opens_the_log_of_the_periods_job(shop, make_tui, monkeypatch):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        shown: list[tuple[str, dict[str, Any]]] = []
        real = app.show_view
        monkeypatch.setattr(app, "show_view",
                            lambda name, **args: (shown.append((name, args)),
                                                  real(name, **args))[1])
        await goto(pilot, view, FX_MAR)
        await pilot.press("l")
        assert ("warning", "FX_RATES 2024-03 on local was loaded without the engine "
                           "(foreground): it has no job log") in app.said
        assert shown == [] and app.current_view == "tables"
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("l")
        assert shown == [("logs", {"job": JOB_MAR})]
        assert app.current_view == "logs"


async def test_o_shows_the_report_paths(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("o")
        await wait_until(pilot, lambda: any(m.startswith("report:") for _, m in app.said),
                         "report said")
        assert ("information", f"report: logs/jobs/{JOB_MAR}.report.json") in app.said
        shop.reports_dir.mkdir(parents=True)
        (shop.reports_dir / f"{JOB_MAR}.html").write_text("<html></html>")
        await pilot.press("o")
        await wait_until(pilot, lambda: any("logs/reports/" in m for _, m in app.said),
                         "html report said")
        assert ("information", f"report: logs/reports/{JOB_MAR}.html · "
                               f"logs/jobs/{JOB_MAR}.report.json") in app.said
        (shop.logs_dir / "jobs" / f"{JOB_APR}.report.json").unlink()
        await goto(pilot, view, ORDERS_APR)
        await pilot.press("o")
        await wait_until(pilot, lambda: any("no report on disk" in m for _, m in app.said),
                         "missing report said")
        await goto(pilot, view, FX_MAR)
        await pilot.press("o")
        assert ("warning", "FX_RATES 2024-03 on local was loaded without the engine: no "
                           "report was kept") in app.said


# -- empty ledger, narrow, help ------------------------------------------------------------------
async def test_empty_ledger_explains_how_to_load(make_tui, tui_ws):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        assert view.has_class("-empty")
        note = app.query_one(EmptyNote)
        text = plain(note.content)
        assert "Nothing has been loaded into this workspace yet." in text
        assert f"snowetl-tui -w {tui_ws.root} load FILE…" in text
        assert "snowetl-tui -w DIR demo" in text
        assert app.focused is note
        assert not app.query_one(LedgerTable).display or \
            not app.query_one("#tables-main").display
        await pilot.press("c")
        assert ("warning", "select a period (a row under a table) first") in app.said
        await pilot.press("r")
        assert ("information", "reading the ledger again") in app.said
        assert not tui_ws.state_dir.exists()  # reading created no store


async def test_only_failed_loads_say_how_to_see_them(make_tui, tui_ws):
    ledger = Ledger(tui_ws.store_path)
    rec = ledger.create_load(job_id="J1", file="/d/orders_2024-03.csv",
                             file_name="orders_2024-03.csv", size=1, mtime_ns=1,
                             quick_hash="q", target="local", table_name="ORDERS",
                             period_start="2024-03-01", period_end="2024-03-31",
                             mode="append")
    ledger.update(rec.load_id, state="failed", error="validation failed")
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        text = plain(app.query_one(EmptyNote).content)
        assert text.startswith("No load has succeeded here yet; 1 failed or deleted load is "
                               "hidden — press a to show them.")
        await pilot.press("a")
        await wait_until(pilot, lambda: not view.has_class("-empty"), "shown")
        assert f"load:{rec.load_id}" in view.table.keys_in_order
        assert app.focused is view.table


async def test_narrow_layout_shows_the_panel_instead_of_the_table(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_tables(pilot, app)
        assert [c.key for c in view.table.columns_in_use] == ["name", "rows", "loaded", "file"]
        assert "2 tables · 3 periods · 673 rows on local · 2 hidden (a: all)" in summary(app)
        await goto(pilot, view, ORDERS_MAR)
        await pilot.press("enter")
        await pilot.pause()
        panel = app.query_one("#tables-panel")
        assert panel.display and not view.table.display
        assert app.focused is panel
        await pilot.press("c")  # the view's keys work from the panel
        await wait_until(pilot, lambda: view.checks.get(ORDERS_MAR) not in (None, CHECKING),
                         "check done", steps=1500)
        await pilot.press("escape")
        await pilot.pause()
        assert view.table.display and not panel.display
        assert app.focused is view.table
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: len(view.table.columns_in_use) == 6, "wide again")


async def test_help_lists_the_tables_bindings(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tables(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {table.get_row_at(i)[3] for i in range(table.row_count)}
        assert {"tables.check", "tables.delete", "tables.log", "tables.report",
                "tables.refresh", "tables.all", "tables.details", "tables.down", "tables.up",
                "tables.top", "tables.bottom"} <= ids


async def test_palette_offers_the_periods_actions(shop, make_tui):
    app = make_tui()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_tables(pilot, app)
        await goto(pilot, view, ORDERS_MAR)
        titles = [t for t, _, _ in view.palette_commands()]
        assert "Tables: check ORDERS 2024-03 on local" in titles
        assert "Tables: delete ORDERS 2024-03 on local" in titles
        view.table.move_cursor(row=0)
        await pilot.pause()
        assert not [t for t, _, _ in view.palette_commands() if "check" in t]


# -- snapshots -----------------------------------------------------------------------------------
def snapshot_app(name: str) -> tuple[SnowetlApp, Workspace]:
    root = fixed_dir(name)
    ws = build_orders_workspace(root)
    app = make_app(Workspace(root), root, client_factory=FakeEngine().factory,
                   clock=fixed_clock(), watch_tty=False)
    return app, ws


async def _ready(pilot: Any) -> TablesView:
    app = pilot.app
    view = await open_tables(pilot, app)
    await goto(pilot, view, ORDERS_MAR)
    return view


async def _checked(pilot: Any) -> None:
    view = await _ready(pilot)
    await pilot.press("c")
    await wait_until(pilot, lambda: view.checks.get(ORDERS_MAR) not in (None, CHECKING),
                     "check done", steps=1500)
    await wait_until(pilot, lambda: ORDERS_MAR in view.details, "details")
    await pilot.pause()


def _break_march(ws: Workspace) -> None:
    con = duckdb.connect(str(ws.local_db_path))
    con.execute("DELETE FROM ORDERS WHERE ORDER_DATE = DATE '2024-03-05'")
    con.execute("INSERT INTO ORDERS SELECT * FROM ORDERS WHERE ORDER_ID = 7")
    con.close()


def test_snapshot_ledger_wide(snap_compare):
    app, _ = snapshot_app("tables-wide")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_ready)


def test_snapshot_checks_wide(snap_compare):
    app, ws = snapshot_app("tables-wide-checks")
    _break_march(ws)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_checked)


def test_snapshot_all_loads_narrow(snap_compare):
    app, _ = snapshot_app("tables-narrow")

    async def run_before(pilot: Any) -> None:
        view = await _ready(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: view.snapshot is not None and view.snapshot.show_all,
                         "all")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_checks_narrow(snap_compare):
    app, ws = snapshot_app("tables-narrow-checks")
    _break_march(ws)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_checked)

