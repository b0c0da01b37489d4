"""The audit trail: what each record holds, the hash chain, tampering found, old stores
migrated, concurrent writers, and the `audit` command's bad input."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from snowetl_tui.load import ledger as ledger_mod
from snowetl_tui.load.ledger import GENESIS, Ledger, record_hash
from tests.report.conftest import FACT, JAN, MAY

OLD_AUDIT = """
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    host      TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    table_name TEXT,
    period    TEXT,
    rows      INTEGER,
    load_id   TEXT,
    detail    TEXT
);
"""


def store(ws: Path) -> Path:
    return ws / ".snowetl" / "store.sqlite"


def sql(ws: Path, statement: str, *args: object) -> None:
    con = sqlite3.connect(store(ws))
    try:
        con.execute(statement, args)
        con.commit()
    finally:
        con.close()


@pytest.fixture
def loaded(demo: Path, run_cli) -> Path:
    res = run_cli("--workspace", str(demo), "load", "--foreground", str(demo / JAN),
                  str(demo / MAY))
    assert res.code == 0, res.err
    return demo


def test_every_load_is_recorded_with_who_where_what(loaded: Path, run_cli):
    res = run_cli("--workspace", str(loaded), "audit", "--json")
    assert res.code == 0, res.err
    records = res.json()
    loads = [r for r in records if r["action"] == "load"]
    assert len(loads) == 2
    ledger = Ledger(store(loaded))
    for r in loads:
        rec = ledger.get(r["load_id"])
        assert rec is not None
        assert r["user"] == rec.user and r["host"] == rec.host and r["at"]
        assert r["workspace"] == str(loaded)
        assert r["file"] == rec.file and r["fingerprint"] == f"sha256:{rec.sha256}"
        assert r["target"] == "local" and r["table"] == FACT
        assert r["rows"] == rec.rows_loaded and r["query_ids"] == [rec.query_id]
    # the chain: each record names the hash of the one before it
    assert records[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(records):
        assert after["prev_hash"] == before["hash"]
    res = run_cli("--workspace", str(loaded), "audit", "--verify")
    assert res.code == 0 and "audit trail intact: 4 records" in res.out


def test_text_listing_and_filters(loaded: Path, run_cli):
    res = run_cli("--workspace", str(loaded), "audit", "--last", "1")
    assert res.code == 0
    assert "load" in res.out and "2024-05" in res.out and "start" not in res.out
    res = run_cli("--workspace", str(loaded), "audit", "--table", "NOPE")
    assert res.code == 2 and "no audit record of that table" in res.err and FACT in res.err


def test_verify_names_an_edited_record(loaded: Path, run_cli):
    sql(loaded, "UPDATE audit SET rows = rows + 1 WHERE id = 2")
    res = run_cli("--workspace", str(loaded), "audit", "--verify")
    assert res.code == 1
    assert "audit record #2" in res.err and "was altered" in res.err
    assert "Traceback" not in res.err
    res = run_cli("--workspace", str(loaded), "audit", "--verify", "--json")
    assert res.code == 1 and res.json()["ok"] is False
    assert "audit record #2" in res.json()["problems"][0]


def test_verify_finds_a_record_rehashed_after_editing(loaded: Path, run_cli):
    """Editing a record and recomputing its own hash still breaks the next link."""
    con = sqlite3.connect(store(loaded))
    con.row_factory = sqlite3.Row
    con.execute("UPDATE audit SET user = 'mallory' WHERE id = 2")
    row = dict(con.execute("SELECT * FROM audit WHERE id = 2").fetchone())
    con.execute("UPDATE audit SET hash = ? WHERE id = 2", [record_hash(row)])
    con.commit()
    con.close()
    res = run_cli("--workspace", str(loaded), "audit", "--verify")
    assert res.code == 1 and "audit record #3" in res.err and "does not follow record #2" \
        in res.err


def test_verify_finds_removed_records(loaded: Path, run_cli):
    sql(loaded, "DELETE FROM audit WHERE id = 1")
    res = run_cli("--workspace", str(loaded), "audit", "--verify")
    assert res.code == 1 and "does not follow the start of the trail" in res.err


def test_verify_finds_the_newest_record_removed(loaded: Path, run_cli):
    """The chain cannot show a cut tail; the ledger's succeeded load without its record can."""
    last = Ledger(store(loaded)).audit_records()[-1]
    assert last["action"] == "load"
    sql(loaded, "DELETE FROM audit WHERE id = ?", last["id"])
    res = run_cli("--workspace", str(loaded), "audit", "--verify")
    assert res.code == 1
    assert f"load {last['load_id']} of {FACT}" in res.err
    assert "succeeded but has no audit record" in res.err


def test_old_store_is_migrated_and_sealed_as_found(tmp_path: Path):
    path = tmp_path / ".snowetl" / "store.sqlite"
    path.parent.mkdir()
    con = sqlite3.connect(path)
    con.executescript(OLD_AUDIT)
    rows = [("2024-01-01T00:00:00", "ann", "box", "load", "local", "T", "2024-01", 5, "L1",
             json.dumps({"file": "/d/a.tsv"})),
            ("2024-02-01T00:00:00", "bob", "box", "delete", "local", "T", "2024-01", 5, None,
             "{}")]
    con.executemany("INSERT INTO audit (at, user, host, action, target, table_name, period, "
                    "rows, load_id, detail) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    ledger = Ledger(path)
    records = ledger.audit_records()
    assert [(r["at"], r["user"], r["action"], r["rows"], r["detail"]) for r in records] == [
        (r[0], r[1], r[3], r[7], r[9]) for r in rows]
    assert records[0]["prev_hash"] == GENESIS and records[1]["prev_hash"] == records[0]["hash"]
    assert ledger.verify_audit().ok
    # opening again changes nothing; new records chain onto the migrated ones
    Ledger(path)
    assert Ledger(path).audit_records() == records
    ledger.audit("cancel", table="T", job_id="J1")
    after = ledger.audit_records()
    assert after[2]["prev_hash"] == records[1]["hash"] and ledger.verify_audit().ok


def test_rows_appended_by_an_older_version_are_chained_before_new_ones(tmp_path: Path):
    path = tmp_path / "store.sqlite"
    ledger = Ledger(path)
    ledger.audit("load", table="T", rows=1)
    sql_path = sqlite3.connect(path)
    sql_path.execute("INSERT INTO audit (at, user, host, action, detail) VALUES "
                     "('2024-01-01', 'old', 'box', 'delete', '{}')")
    sql_path.commit()
    sql_path.close()
    ledger.audit("load", table="T", rows=2)
    assert ledger.verify_audit().ok and ledger.audit_count() == 3


WRITER = """
import sys
from pathlib import Path
from snowetl_tui.load.ledger import Ledger
ledger = Ledger(Path(sys.argv[1]))
for i in range(40):
    ledger.audit("load", table="T", rows=i, detail={"writer": sys.argv[2]})
"""


def test_concurrent_writers_keep_one_chain(tmp_path: Path):
    path = tmp_path / "store.sqlite"
    Ledger(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)])
             for n in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    result = Ledger(path).verify_audit()
    assert result.ok, result.problems
    assert result.records == 120


def test_unsealed_head_is_what_a_new_record_chains_to(tmp_path: Path):
    ledger = Ledger(tmp_path / "s.sqlite")
    first = ledger.audit("load", table="T")
    second = ledger.audit("replace", table="T")
    recs = {r["id"]: r for r in ledger.audit_records()}
    assert recs[second]["prev_hash"] == recs[first]["hash"] == record_hash(recs[first])


# -- bad input ---------------------------------------------------------------------------------
def test_no_store_and_empty_trail_are_clear_errors(ws: Path, run_cli):
    res = run_cli("--workspace", str(ws), "audit")
    assert res.code == 2 and "no ledger" in res.err and "Traceback" not in res.err
    Ledger(ws / ".snowetl" / "store.sqlite")
    res = run_cli("--workspace", str(ws), "audit", "--verify")
    assert res.code == 2 and "audit trail" in res.err and "is empty" in res.err


def test_corrupt_store_is_one_line(ws: Path, run_cli):
    (ws / ".snowetl").mkdir()
    (ws / ".snowetl" / "store.sqlite").write_bytes(b"this is not a database" * 100)
    res = run_cli("--workspace", str(ws), "audit")
    assert res.code == 2 and "unreadable" in res.err and "Traceback" not in res.err


def test_chain_constants_are_stable():
    """Changing what is hashed breaks every existing trail: it needs a new chain version."""
    assert ledger_mod.CHAIN_VERSION == 1
    assert ledger_mod.AUDIT_HASHED == (
        "id", "at", "user", "host", "action", "workspace", "target", "table_name", "period",
        "rows", "load_id", "job_id", "file", "fingerprint", "query_ids", "detail",
        "chain_version", "prev_hash")
