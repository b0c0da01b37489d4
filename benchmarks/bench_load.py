"""Benchmark: end-to-end local load of a large demo file, against the previous tool's way.

Prints, from one run on this machine:

* ``ours local``  — ``snowetl-tui load FILE`` into the embedded DuckDB target (validate with all
                    checks, then one transactional COPY, reconcile), wall time from outside;
* ``ours staged`` — the Snowflake path's single read: validate + zstd-1 compression of parts,
                    2 workers (the upload itself depends on the network and is left out);
* ``baseline``    — the previous generation: csv-module QC, then ``gzip -6`` of the whole
                    file, then a load of the gzip into DuckDB; measured on the first
                    ``--baseline-mb`` MB (it is slow) and expressed as MB/s;

with peak RSS of each process tree and the ratios. Run:
    python benchmarks/bench_load.py --size-gb 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import TreeRss, _csv_checks, make_file


def clean_file(directory: Path, size_gb: float) -> Path:
    """A defect-free demo file (it must load)."""
    from datetime import date

    from snowetl_tui.demo import write_fact_file
    from snowetl_tui.demo.generator import AVG_FACT_ROW_BYTES

    path = directory / "clean" / "factLendingBenchmark_20240101-20240131.tsv"
    if path.exists() and abs(path.stat().st_size - size_gb * 1e9) < 0.05 * size_gb * 1e9:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"generating {path} ({size_gb:g} GB) …", flush=True)
    write_fact_file(path, date(2024, 1, 1), date(2024, 1, 31),
                    rows_per_day=int(size_gb * 1e9 / AVG_FACT_ROW_BYTES / 21), seed=2)
    return path


def ours_local(path: Path) -> dict[str, Any]:
    from snowetl_tui.demo import demo_config

    ws = Path(tempfile.mkdtemp(prefix="bench-load-", dir=path.parent.parent))
    (ws / "configs").mkdir()
    (ws / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "snowetl_tui", "--workspace", str(ws), "load",
                             str(path), "--foreground", "--json"], stdout=subprocess.PIPE,
                            text=True)
    with TreeRss(proc.pid) as rss:
        out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    [res] = json.loads(out)
    subprocess.run(["rm", "-rf", str(ws)], check=True)
    return {"bytes": path.stat().st_size, "seconds": wall, "rss": rss.peak,
            "state": res["state"], "rows": res["rows_loaded"], "steps": res["steps"],
            "error": res["error"]}


def staged_child(path: Path, workers: int) -> dict[str, Any]:
    """Validate + compress parts in one read (what a Snowflake load does before PUT)."""
    from snowetl_tui.config.registry import ConfigRegistry
    from snowetl_tui.demo import demo_config
    from snowetl_tui.validate.runner import default_executor, plan_file, validate_file
    from snowetl_tui.validate.worker import CompressSpec
    from snowetl_tui.workspace import Workspace

    ws_dir = Path(tempfile.mkdtemp(prefix="bench-staged-", dir=path.parent.parent))
    (ws_dir / "configs").mkdir()
    (ws_dir / "configs" / "demo.json").write_text(json.dumps(demo_config()))
    ws = Workspace.resolve(ws_dir)
    m = ConfigRegistry.load(ws).match(path)
    plan = plan_file(path, m.entry, m.period, m.config_display)
    spool = ws_dir / "spool"
    spool.mkdir()
    compressed = 0

    def uploaded(outcome: Any) -> None:  # the part goes to the stage and leaves the spool
        nonlocal compressed
        compressed += outcome.compressed_bytes
        os.unlink(outcome.compressed_file)

    pool = default_executor(workers)
    t0 = time.perf_counter()
    report = validate_file(plan, executor=pool, spill_root=ws_dir,
                           compress=CompressSpec("zstd", 1, str(spool)), on_chunk=uploaded)
    dt = time.perf_counter() - t0
    pool.shutdown()
    subprocess.run(["rm", "-rf", str(ws_dir)], check=True)
    return {"bytes": report.bytes, "seconds": dt, "compressed": compressed,
            "verdict": report.verdict}


def baseline_child(path: Path, limit_mb: int) -> dict[str, Any]:
    """csv QC, gzip -6, load — each on the same first ``limit_mb`` MB."""
    import duckdb

    from snowetl_tui.demo import FACT_COLUMNS
    from snowetl_tui.demo.schema import duckdb_type

    tmp = Path(tempfile.mkdtemp(prefix="bench-base-", dir=path.parent.parent))
    prefix = tmp / path.name
    with open(path, "rb") as src, open(prefix, "wb") as dst:
        data = src.read(limit_mb << 20)
        dst.write(data[: data.rfind(b"\n") + 1])
    size = prefix.stat().st_size
    t0 = time.perf_counter()
    _csv_checks(prefix, size + 1)
    t_qc = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open(str(prefix) + ".gz", "wb") as out:
        subprocess.run(["gzip", "-6", "-c", str(prefix)], stdout=out, check=True)
    t_gz = time.perf_counter() - t0
    cols = ", ".join(f"'{c.name}': '{duckdb_type(c.type)}'" for c in FACT_COLUMNS)
    con = duckdb.connect(str(tmp / "base.duckdb"))
    con.execute("SET enable_progress_bar = false")
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{prefix}.gz', columns={{{cols}}}, "
                "delim='\t', header=true, quote='', escape='', nullstr='', "
                "dateformat='%Y-%m-%d', auto_detect=false)")
    t_load = time.perf_counter() - t0
    con.close()
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    return {"bytes": size, "seconds": t_qc + t_gz + t_load, "qc": t_qc, "gzip": t_gz,
            "load": t_load}


def spawn(mode: str, path: Path, arg: int) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--file", str(path),
                             "--arg", str(arg)], stdout=subprocess.PIPE, text=True)
    with TreeRss(proc.pid) as rss:
        out, _ = proc.communicate()
    return {**json.loads(out.strip().splitlines()[-1]), "rss": rss.peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-gb", type=float, default=2.0)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/snowetl-bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-mb", type=int, default=512)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--child")
    ap.add_argument("--file", type=Path)
    ap.add_argument("--arg", type=int, default=0)
    args = ap.parse_args()
    if args.child:
        fn = {"staged": staged_child, "baseline": baseline_child}[args.child]
        print(json.dumps(fn(args.file, args.arg)))
        return
    _ = make_file  # shared generator helpers live in bench_validate
    path = clean_file(args.dir, args.size_gb)
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)

    def line(name: str, r: dict[str, Any]) -> float:
        mbps = r["bytes"] / 1e6 / r["seconds"]
        print(f"{name:<44} {r['bytes'] / 1e9:6.2f} GB {r['seconds']:8.2f} s {mbps:8.1f} MB/s "
              f"peak RSS {r['rss'] / 1e6:7.1f} MB")
        return mbps

    local = ours_local(path)
    staged = spawn("staged", path, args.workers)
    base = spawn("baseline", path, args.baseline_mb)
    print(f"\nmachine: {os.cpu_count()} cores; file {path} ({path.stat().st_size / 1e9:.2f} GB)")
    m_local = line("snowetl-tui load → local DuckDB (end to end)", local)
    m_staged = line(f"snowetl-tui staged read: validate + zstd-1 ({args.workers}w)", staged)
    m_base = line(f"baseline csv QC + gzip -6 + load ({args.baseline_mb} MB)", base)
    print(f"  local steps: {local['steps']}  state={local['state']} rows={local['rows']:,}")
    print(f"  staged: compressed to {staged['compressed'] / 1e6:,.0f} MB "
          f"(ratio {staged['bytes'] / max(staged['compressed'], 1):.2f})")
    print(f"  baseline steps (s): qc {base['qc']:.1f}, gzip {base['gzip']:.1f}, "
          f"load {base['load']:.1f}")
    print(f"ratio local / baseline  : {m_local / m_base:6.1f} x")
    print(f"ratio staged / baseline : {m_staged / m_base:6.1f} x")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
