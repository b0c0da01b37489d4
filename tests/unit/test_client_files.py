"""client/files.py: listing, matching, ledger status, head-only preview, config generation."""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path

import pytest

from snowetl_tui.client import files as cf
from snowetl_tui.client.files import (
    FileItem,
    LedgerIndex,
    arrange,
    check_target,
    file_status,
    generate_config,
    list_directory,
    load_configs,
    preview_file,
    safe_text,
    write_config,
)
from snowetl_tui.errors import SnowetlError
from snowetl_tui.load.ledger import Ledger
from snowetl_tui.workspace import Workspace

ORDERS_CONFIG = {
    "version": 1,
    "target": "local",
    "files": [{
        "name": "orders",
        "file_pattern": "orders_{month}.tsv",
        "table_name": "ORDERS",
        "columns": [{"name": "ORDER_ID", "type": "INTEGER"},
                    {"name": "ORDER_DATE", "type": "DATE"},
                    {"name": "AMOUNT", "type": "NUMBER(12,2)"}],
        "date_column": "ORDER_DATE",
        "date_format": "%Y-%m-%d",
        "delimiter": "\t",
        "header": True,
    }],
}
ORDERS_HEAD = b"ORDER_ID\tORDER_DATE\tAMOUNT\n1\t2024-03-01\t10.50\n2\t2024-03-02\t7.25\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "ws")
    w.configs_dir.mkdir(parents=True)
    (w.configs_dir / "orders.json").write_text(json.dumps(ORDERS_CONFIG))
    return w


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


def by_name(listing: cf.Listing) -> dict[str, FileItem]:
    return {i.name: i for i in listing.items}


# -- names -------------------------------------------------------------------------------------
def test_safe_text_makes_terminal_controls_visible():
    assert safe_text("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert safe_text("x\x1b[31mred") == "x\\e[31mred"
    assert safe_text("bell\x07") == "bell\\x07"
    assert safe_text(os.fsdecode(b"caf\xe9.tsv")) == "caf\\xe9.tsv"  # not UTF-8
    assert safe_text("evil\u202etxt.exe") == "evil\\u202etxt.exe"  # bidi override
    assert safe_text("Übersicht_日本.tsv") == "Übersicht_日本.tsv"  # real text is kept


# -- listing -----------------------------------------------------------------------------------
def test_listing_matches_files_and_classifies_entries(ws, data):
    (data / "orders_2024-03.tsv").write_bytes(ORDERS_HEAD)
    (data / "orders_2024-13.tsv").write_bytes(ORDERS_HEAD)
    (data / "notes.txt").write_text("x")
    (data / "sub").mkdir()
    (data / ".hidden.tsv").write_text("x")
    (data / "link.tsv").symlink_to(data / "orders_2024-03.tsv")
    (data / "dangling").symlink_to(data / "nowhere")
    os.mkfifo(data / "pipe")
    listing = list_directory(data, ws)
    assert listing.error is None
    items = by_name(listing)
    good = items["orders_2024-03.tsv"]
    assert good.kind == "file" and good.matched and good.table == "ORDERS"
    assert good.period_label == "2024-03" and good.target == "local"
    assert good.size == len(ORDERS_HEAD)
    bad = items["orders_2024-13.tsv"]
    assert not bad.matched
    assert "not a month" in bad.match.suggestions[0].reason
    notes = items["notes.txt"]
    assert notes.kind == "file" and not notes.matched
    assert notes.match.suggestions == ()  # not ranked while listing: that costs difflib
    ranked = preview_file(notes.path, notes.match, ws, registry=listing.configs.registry)
    assert ranked.suggestions[0].pattern == "orders_{month}.tsv"
    assert "orders_" in ranked.suggestions[0].reason
    assert items["sub"].kind == "dir"
    assert items[".hidden.tsv"].hidden
    link = items["link.tsv"]
    assert link.kind == "file" and link.link_target == str(data / "orders_2024-03.tsv")
    dangling = items["dangling"]
    assert dangling.kind == "broken" and "broken symbolic link" in dangling.error
    assert items["pipe"].kind == "special" and "named pipe" in items["pipe"].error


def test_odd_names_list_and_never_crash(ws, data):
    raw = os.fsencode(data)
    for name in (b"new\nline.tsv", b"esc\x1b[2Jape.tsv", b"latin\xe9.tsv", b"[bold]x.tsv"):
        with open(os.path.join(raw, name), "wb") as fh:
            fh.write(ORDERS_HEAD)
    listing = list_directory(data, ws)
    shown = sorted(safe_text(i.name) for i in listing.items)
    assert shown == ["[bold]x.tsv", "esc\\e[2Jape.tsv", "latin\\xe9.tsv", "new\\nline.tsv"]
    latin = next(i for i in listing.items if i.name.startswith("latin"))
    # the surrogate-escaped name still opens: the preview reads the real file
    assert preview_file(latin.path).rows[0][0] == "1"


def test_unreadable_and_missing_directories_are_one_line(ws, data, monkeypatch):
    missing = list_directory(data / "gone", ws)
    assert missing.items == () and "no such file or directory" in missing.error

    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cf.os, "scandir", denied)
    listing = list_directory(data, ws)
    assert listing.error == f"cannot list {data}: permission denied"


def test_configs_are_reused_until_configs_dir_changes(ws):
    first = load_configs(ws)
    assert first.registry is not None and first.error is None
    assert load_configs(ws, first) is first
    path = ws.configs_dir / "orders.json"
    path.write_text(json.dumps({**ORDERS_CONFIG, "description": "changed"}))
    os.utime(path, ns=(1, 1))
    second = load_configs(ws, first)
    assert second is not first and second.registry is not None
    path.write_text('{"version": 1, "files": [{"table_name": "X"}]}')
    broken = load_configs(ws, second)
    assert broken.registry is None and "file_pattern" in broken.error


def test_broken_configs_make_every_file_say_so(ws, data):
    (ws.configs_dir / "orders.json").write_text("{not json")
    (data / "orders_2024-03.tsv").write_bytes(ORDERS_HEAD)
    listing = list_directory(data, ws)
    assert listing.configs.error and "invalid JSON" in listing.configs.error
    item = by_name(listing)["orders_2024-03.tsv"]
    assert file_status(item, configs_error=True).label == "! configs invalid"


# -- ledger ------------------------------------------------------------------------------------
def record_load(ws: Workspace, path: Path, *, size: int | None = None,
                mtime_ns: int | None = None, quick: str = "q", state: str = "succeeded") -> str:
    st = path.stat()
    ledger = Ledger(ws.store_path)
    rec = ledger.create_load(file=str(path.resolve()), file_name=path.name,
                             size=st.st_size if size is None else size,
                             mtime_ns=st.st_mtime_ns if mtime_ns is None else mtime_ns,
                             quick_hash=quick, target="local", table_name="ORDERS",
                             period_start="2024-03-01", period_end="2024-03-31", mode="append")
    ledger.update(rec.load_id, state=state, rows_loaded=2,
                  finished_at="2026-11-20T10:15:00.000+00:00")
    return rec.load_id


def test_listing_never_creates_a_store(ws, data):
    (data / "orders_2024-03.tsv").write_bytes(ORDERS_HEAD)
    list_directory(data, ws)
    assert not ws.store_path.exists()


def test_loaded_by_path_size_and_mtime(ws, data):
    f = data / "orders_2024-03.tsv"
    f.write_bytes(ORDERS_HEAD)
    load_id = record_load(ws, f)
    item = by_name(list_directory(data, ws))[f.name]
    assert item.loaded is not None and item.loaded.load_id == load_id
    assert file_status(item).label == "✓ loaded on 2026-11-20"
    os.utime(f, ns=(10**18, 10**18))  # a new version of the file: not the loaded one
    assert by_name(list_directory(data, ws))[f.name].loaded is None


def test_a_moved_file_with_its_mtime_is_recognised_by_name(ws, data, tmp_path):
    f = data / "orders_2024-03.tsv"
    f.write_bytes(ORDERS_HEAD)
    record_load(ws, f)
    other = tmp_path / "archive"
    other.mkdir()
    os.rename(f, other / f.name)
    assert by_name(list_directory(other, ws))[f.name].loaded is not None


def test_failed_loads_do_not_count_as_loaded(ws, data):
    f = data / "orders_2024-03.tsv"
    f.write_bytes(ORDERS_HEAD)
    record_load(ws, f, state="failed")
    assert by_name(list_directory(data, ws))[f.name].loaded is None


def test_ledger_index_lookup_prefers_path_then_name():
    class Rec:
        def __init__(self, file: str, name: str) -> None:
            self.file, self.file_name, self.size, self.mtime_ns = file, name, 5, 7

    a, b = Rec("/x/a.tsv", "a.tsv"), Rec("/y/b.tsv", "b.tsv")
    index = LedgerIndex([a, b])  # type: ignore[list-item]
    assert index.lookup("/y/b.tsv", "b.tsv", 5, 7) is b
    assert index.lookup("/z/a.tsv", "a.tsv", 5, 7) is a
    assert index.lookup("/z/c.tsv", "c.tsv", 5, 7) is None
    assert index.lookup("/x/a.tsv", "a.tsv", 6, 7) is None


# -- arranging ---------------------------------------------------------------------------------
def items_for_sort() -> list[FileItem]:
    return [
        FileItem("b.tsv", Path("/d/b.tsv"), "file", size=300, mtime_ns=1),
        FileItem("A.tsv", Path("/d/A.tsv"), "file", size=100, mtime_ns=3),
        FileItem("c.csv", Path("/d/c.csv"), "file", size=200, mtime_ns=2),
        FileItem("zdir", Path("/d/zdir"), "dir", mtime_ns=9),
        FileItem(".h.tsv", Path("/d/.h.tsv"), "file", size=1, mtime_ns=0),
    ]


def names(items: list[FileItem]) -> list[str]:
    return [i.name for i in items]


def test_arrange_sorts_with_directories_first():
    items = items_for_sort()
    assert names(arrange(items)) == ["zdir", "A.tsv", "b.tsv", "c.csv"]
    assert names(arrange(items, sort="size", reverse=True)) == ["zdir", "b.tsv", "c.csv", "A.tsv"]
    assert names(arrange(items, sort="mtime")) == ["zdir", "b.tsv", "c.csv", "A.tsv"]
    assert names(arrange(items, show_hidden=True))[1] == ".h.tsv"
    with pytest.raises(ValueError, match="unknown sort key"):
        arrange(items, sort="colour")


def test_arrange_filters_by_substring_or_glob():
    items = items_for_sort()
    assert names(arrange(items, filter_text="a.T")) == ["A.tsv"]  # case-insensitive
    assert names(arrange(items, filter_text="*.tsv")) == ["A.tsv", "b.tsv"]
    assert names(arrange(items, filter_text="?.csv")) == ["c.csv"]
    assert names(arrange(items, filter_text="nothing")) == []


# -- status ------------------------------------------------------------------------------------
def job(state: str, kind: str = "load", **extra) -> dict:
    return {"id": "J1", "state": state, "kind": kind, **extra}


def test_status_precedence(ws, data):
    (data / "orders_2024-03.tsv").write_bytes(ORDERS_HEAD)
    (data / "other.tsv").write_bytes(ORDERS_HEAD)
    items = by_name(list_directory(data, ws))
    f, unmatched = items["orders_2024-03.tsv"], items["other.tsv"]
    assert file_status(f).label == "○ ready"
    assert file_status(unmatched).label == "? not matched"
    assert file_status(f, [job("queued")]).label == "◌ queued"
    assert file_status(f, [job("running", progress=0.456)]).label == "▶ running 46%"
    assert file_status(f, [job("running", "validate", progress=0.1)]).label == "▶ validating 10%"
    assert file_status(f, [job("paused")]).label == "‖ paused"
    assert file_status(f, [job("failed")]).label == "✗ load failed"
    assert file_status(f, [job("succeeded", "validate")]).label == "✓ validated"
    done = job("succeeded", finished="2026-11-27T23:30:00.000Z")
    assert file_status(f, [done]).label == "✓ loaded on 2026-11-27"
    # an active job wins over an older success (the newest job comes first)
    assert file_status(f, [job("running", progress=0.5), done]).key == "running"
    assert file_status(FileItem("d", Path("/d"), "dir")).label == "▸ directory"
    assert file_status(FileItem("x", Path("/x"), "broken")).label == "✗ broken link"


def test_loaded_date_follows_the_clock_zone():
    from datetime import timedelta, timezone

    info = cf.LoadedInfo("L1", "T", "local", 1, "2026-11-27T23:30:00+00:00", None, "me")
    assert info.date(UTC) == "2026-11-27"
    assert info.date(timezone(timedelta(hours=2))) == "2026-11-28"
    assert info.when(UTC) == "2026-11-27 23:30"


# -- preview -----------------------------------------------------------------------------------
def test_preview_checks_header_and_reads_rows(ws, data):
    f = data / "orders_2024-03.tsv"
    f.write_bytes(ORDERS_HEAD)
    item = by_name(list_directory(data, ws))[f.name]
    p = preview_file(f, item.match, ws)
    assert p.error is None
    assert p.header.verdict == "PASS" and "3 columns as expected" in p.header.message
    assert p.columns == ("ORDER_ID", "ORDER_DATE", "AMOUNT")
    assert p.rows == (("1", "2024-03-01", "10.50"), ("2", "2024-03-02", "7.25"))
    assert p.format_text == "TSV · tab · no quoting · header · utf-8 · LF"
    assert p.head_complete


def test_preview_names_a_header_mismatch(ws, data):
    f = data / "orders_2024-04.tsv"
    f.write_bytes(b"ORDER_ID\tDAY\tAMOUNT\n1\t2024-04-01\t1\n")
    item = by_name(list_directory(data, ws))[f.name]
    p = preview_file(f, item.match, ws)
    assert p.header.verdict == "FAIL"
    assert "missing: ORDER_DATE" in p.header.message and "extra: DAY" in p.header.message


def test_preview_of_gzip_ragged_rows_and_cells_made_safe(data):
    import gzip

    f = data / "x.tsv.gz"
    f.write_bytes(gzip.compress(b"A\tB\n1\t\x1b[31mred\n2\n"))
    p = preview_file(f)
    assert "gzip" in p.format_text
    assert p.rows == (("1", "\\e[31mred"), ("2", ""))
    assert any("1 of the first 2 rows" in n for n in p.notes)


def test_preview_never_opens_a_fifo_and_reports_vanished_files(data):
    fifo = data / "pipe"
    os.mkfifo(fifo)
    p = preview_file(fifo)  # would block forever if it were opened
    assert p.error == "named pipe: not a regular file, nothing is read"
    gone = preview_file(data / "gone.tsv")
    assert gone.error == f"cannot read {data / 'gone.tsv'}: no such file or directory " \
                         "(moved or deleted?)"


def test_preview_of_a_directory_counts_entries_capped(data):
    for i in range(5):
        (data / f"f{i}").write_text("")
    assert preview_file(data).entries == 5
    n, capped = cf.count_entries(data, cap=3)
    assert (n, capped) == (3, True)


def _rchar() -> int:
    with open("/proc/self/io") as fh:
        return int(next(line for line in fh if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux /proc/self/io")
def test_preview_of_a_sparse_100_gb_file_reads_only_its_head(ws, data):
    f = data / "orders_2024-05.tsv"
    with open(f, "wb") as fh:
        fh.write(b"ORDER_ID\tORDER_DATE\tAMOUNT\n")
        for i in range(5):
            fh.write(f"{i}\t2024-05-0{i + 1}\t1.00\n".encode())
        fh.truncate(100 * 10**9)
    item = by_name(list_directory(data, ws))[f.name]
    assert item.size == 100 * 10**9 and item.matched
    record_load(ws, f, quick="other")  # a ledger exists, so the fingerprint is computed too
    before = _rchar()
    p = preview_file(f, item.match, ws)
    read = _rchar() - before
    assert [r[0] for r in p.rows] == ["0", "1", "2", "3", "4"]
    assert not p.head_complete
    assert read < 16 << 20, f"read {read} bytes of a 100 GB file"


def test_preview_finds_a_load_by_fingerprint_even_after_a_copy(ws, data, tmp_path):
    from snowetl_tui.load.pipeline import quick_fingerprint

    f = data / "orders_2024-03.tsv"
    f.write_bytes(ORDERS_HEAD)
    _, _, quick = quick_fingerprint(f)
    record_load(ws, f, quick=quick)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / f.name).write_bytes(ORDERS_HEAD)
    os.utime(copy / f.name, ns=(10**18, 10**18))
    item = by_name(list_directory(copy, ws))[f.name]
    assert item.loaded is None  # the listing never hashes
    p = preview_file(copy / f.name, item.match, ws)
    assert p.loaded is not None and p.loaded.by_content and p.loaded.rows == 2


# -- generation --------------------------------------------------------------------------------
def test_generate_shows_first_and_write_refuses_to_overwrite(ws, data):
    f = data / "sales_20240301-20240331.tsv"
    f.write_bytes(b"SALE_ID\tSALE_DATE\tAMOUNT\n1\t2024-03-01\t1.5\n2\t2024-03-04\t2.5\n")
    gen = generate_config(f, ws)
    assert gen.filename == "sales.json" and not gen.exists
    assert not gen.target.exists()  # nothing written yet
    cfg = json.loads(gen.text)
    assert cfg["files"][0]["file_pattern"] == "sales_{date_range}.tsv"
    assert gen.tables == ("SALES",)
    assert write_config(gen) == ws.configs_dir / "sales.json"
    assert json.loads(gen.target.read_text()) == cfg
    again = generate_config(f, ws)
    assert again.exists
    with pytest.raises(SnowetlError, match="already exists; not overwritten"):
        write_config(again)
    assert json.loads(gen.target.read_text()) == cfg


def test_generate_refuses_what_is_not_a_data_file(ws, data):
    os.mkfifo(data / "pipe")
    with pytest.raises(SnowetlError, match="not a regular file"):
        generate_config(data / "pipe", ws)
    with pytest.raises(SnowetlError, match="no such file"):
        generate_config(data / "gone.tsv", ws)
    (data / "empty.tsv").write_bytes(b"")
    with pytest.raises(SnowetlError, match="empty"):
        generate_config(data / "empty.tsv", ws)


def test_check_target():
    assert check_target("local") is None
    assert check_target("prod.eu-1") is None
    assert "not a valid connection name" in check_target("bad name!")
