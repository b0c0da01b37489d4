"""The per-job report: the validation report extended with what the load did.

One JSON document per validate or load job (``logs/reports/<job id>.json``, versioned by
``job_report_version`` and described by ``job_report.schema.json`` beside this module) and its
HTML rendering next to it. The validation report is embedded unchanged under ``validation``, so
every tool that reads validation reports reads this one too; the load adds its parts, rows
parsed and loaded, query ids, reconciliation, step timings and who ran it when.

Built from three sources, each optional: the validation report (absent when the job stopped
before reading), the pipeline's ``LoadResult.as_dict()`` (the outcome and step timings) and the
ledger's record of the load (rows parsed, parts, user and host, the content hash). A load whose
config entry has ``warehouse_checks: true`` also carries ``warehouse_report``: the period
report the warehouse ran on the loaded table after the COPY (same format as ``validation``);
the key is absent from every other report.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snowetl_tui import __version__
from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace

JOB_REPORT_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("job_report.schema.json")
_OK_OUTCOMES = ("succeeded", "validated")


@dataclass(frozen=True)
class ReportFiles:
    """Where a job's report was written."""

    json: Path
    html: Path


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the job report (shipped as package data)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _reconciliation(kind: str, outcome: str, error: str | None,
                    load: dict[str, Any] | None) -> dict[str, Any] | None:
    """Did the warehouse get exactly the rows that were validated?

    The pipeline compares rows validated, parsed and loaded (per part and in total) and the
    table's per-day counts with the file's; a load succeeds only when all agree, and a
    mismatch fails it with a message starting ``reconciliation failed``.
    """
    if kind != "load":
        return None
    rows = {k: (load or {}).get(k) for k in ("rows_validated", "rows_parsed", "rows_loaded")}
    if error and error.startswith("reconciliation failed"):
        return {"status": "failed", **rows, "message": error}
    if outcome == "succeeded":
        return {"status": "ok", **rows,
                "message": "rows validated = parsed = loaded, per part and in total; with a "
                "period and a date column, the table's per-day counts equal the file's and "
                "its keys are unique"}
    return {"status": "not_run", **rows,
            "message": "the load stopped before the COPY; nothing to reconcile"}


def build_job_report(
    *,
    kind: str,
    validation: dict[str, Any] | None,
    result: dict[str, Any] | None = None,
    load_record: dict[str, Any] | None = None,
    parts: list[dict[str, Any]] | None = None,
    job: dict[str, Any] | None = None,
    workspace: Workspace | None = None,
    who: tuple[str, str] | None = None,
    cancelled: bool = False,
) -> dict[str, Any]:
    """Assemble the job report (a plain dict that validates against the schema).

    ``result`` is ``LoadResult.as_dict()`` (its ``report`` key is ignored: pass the validation
    report as ``validation``); ``load_record`` is ``LoadRecord.as_dict()`` of the ledger.
    """
    if kind not in ("load", "validate"):
        raise ValueError(f"a job report is for load or validate jobs, not {kind!r}")
    result = dict(result or {})
    result.pop("report", None)
    rec = load_record or {}
    job = job or {}
    v = validation or {}
    verdict = v.get("verdict")
    outcome = result.get("state")
    if outcome is None:
        outcome = ("validated" if verdict in ("pass", "warn") else "failed") if validation \
            else "failed"
    if cancelled and outcome not in _OK_OUTCOMES:
        outcome = "cancelled"
    error = result.get("error") or job.get("error")
    if who is None:
        from snowetl_tui.load.ledger import who as ledger_who

        who = ledger_who()
    user = rec.get("user") or who[0]
    host = rec.get("host") or who[1]
    file = str(result.get("file") or v.get("file") or job.get("file") or rec.get("file") or "")

    load: dict[str, Any] | None = None
    if kind == "load":
        query_ids = [q for q in (result.get("query_id"), rec.get("query_id")) if q]
        load = {
            "load_id": result.get("load_id") or rec.get("load_id"),
            "mode": rec.get("mode"),
            "state": rec.get("state") or outcome,
            "sha256": rec.get("sha256") or v.get("sha256"),
            "rows_validated": _first(result.get("rows_validated"), rec.get("rows_validated")),
            "rows_parsed": rec.get("rows_parsed"),
            "rows_loaded": _first(result.get("rows_loaded"), rec.get("rows_loaded")),
            "query_ids": list(dict.fromkeys(query_ids)),
            "parts": int(result.get("parts") or len(parts or [])),
            "part_list": [
                {"name": p["name"], "bytes": int(p["bytes"]), "rows": int(p["rows"]),
                 "state": p["state"]}
                for p in (parts or [])
            ],
        }

    steps = {str(k): round(float(s), 3) for k, s in (result.get("steps") or {}).items()}
    if not steps and validation and v.get("seconds") is not None:
        steps = {"read": round(float(v["seconds"]), 3)}
    total = float(result.get("seconds") or sum(steps.values()) or 0.0)
    nbytes = v.get("bytes")
    read_s = steps.get("read") or v.get("seconds")
    timings = {
        "steps": steps,
        "total_seconds": round(total, 3),
        "bytes": nbytes,
        "read_mb_per_s": (round(nbytes / 1e6 / read_s, 1)
                          if nbytes is not None and read_s else None),
        "rows_per_s": (round(v["rows"] / read_s) if v.get("rows") is not None and read_s
                       else None),
    }
    now = _now()
    report: dict[str, Any] = {
        "job_report_version": JOB_REPORT_VERSION,
        "tool_version": __version__,
        "kind": kind,
        "job_id": job.get("id"),
        "workspace": str(workspace.root) if workspace else None,
        "generated_at": now,
        "who": {"user": str(user), "host": str(host)},
        "when": {
            "created": job.get("created") or rec.get("created_at") or v.get("created_at"),
            "started": job.get("started") or rec.get("created_at"),
            "finished": job.get("finished") or rec.get("finished_at") or now,
        },
        "file": file,
        "file_name": os.path.basename(file),
        "table": result.get("table") or v.get("table") or job.get("table"),
        "target": result.get("target") or job.get("target") or rec.get("target"),
        "period_start": v.get("period_start") or rec.get("period_start"),
        "period_end": v.get("period_end") or rec.get("period_end"),
        "outcome": outcome,
        "verdict": verdict,
        "error": error,
        "validation": validation,
        "load": load,
        "reconciliation": _reconciliation(kind, outcome, error, load),
        "timings": timings,
    }
    if result.get("warehouse_report") is not None:
        report["warehouse_report"] = result["warehouse_report"]
    return report


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _atomic_write(path: Path, text: str) -> None:
    """Readers (the TUI, a browser) never see half a report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_dir(directory: Path) -> Path:
    """Create a report directory or raise a one-line InputError that says what to fix."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-", delete=True)  # noqa: SIM115
        probe.close()
    except PermissionError:
        raise InputError(f"{directory}: permission denied — reports cannot be written there; "
                         "fix its permissions or choose another directory") from None
    except OSError as exc:
        raise InputError(f"{directory}: cannot write reports there: "
                         f"{exc.strerror or exc}") from None
    return directory


def write_text_file(path: Path, text: str) -> Path:
    """Write one report file atomically, or raise a one-line InputError naming the place."""
    ensure_dir(path.parent)
    try:
        _atomic_write(path, text)
    except PermissionError:
        raise InputError(f"{path}: permission denied — cannot write the report there"
                         ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def write_report_files(report: dict[str, Any], json_path: Path, html_path: Path) -> ReportFiles:
    """Write the JSON and its HTML rendering (each atomically)."""
    from snowetl_tui.report.html import render_job_html

    ensure_dir(json_path.parent)
    if html_path.parent != json_path.parent:
        ensure_dir(html_path.parent)
    try:
        _atomic_write(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        _atomic_write(html_path, render_job_html(report))
    except PermissionError:
        raise InputError(f"{json_path.parent}: permission denied — cannot write the report"
                         ) from None
    except OSError as exc:
        raise InputError(f"{json_path.parent}: cannot write the report: "
                         f"{exc.strerror or exc}") from None
    return ReportFiles(json_path, html_path)


def write_job_reports(ws: Workspace, job: dict[str, Any], result: dict[str, Any] | None,
                      validation: dict[str, Any] | None, *, cancelled: bool = False
                      ) -> ReportFiles:
    """Build and write ``logs/reports/<job id>.json`` and ``.html`` at the end of a job.

    The ledger is read for the load's rows parsed, parts, user and host; a workspace without a
    store (a validate job of a fresh workspace) simply has no load record.
    """
    from snowetl_tui.report.paths import report_paths

    kind = "validate" if job.get("kind") == "validate" else "load"
    rec: dict[str, Any] | None = None
    parts: list[dict[str, Any]] = []
    load_id = (result or {}).get("load_id")
    if load_id and ws.store_path.exists():
        from snowetl_tui.load.ledger import Ledger

        ledger = Ledger(ws.store_path)
        found = ledger.get(load_id)
        rec = found.as_dict() if found else None
        parts = [{"name": p.name, "bytes": p.bytes, "rows": p.rows, "state": p.state}
                 for p in ledger.parts(load_id)]
    report = build_job_report(kind=kind, validation=validation, result=result, load_record=rec,
                              parts=parts, job=job, workspace=ws, cancelled=cancelled)
    paths = report_paths(ws, str(job["id"]))
    return write_report_files(report, paths["json"], paths["html"])


def read_job_report(path: Path) -> dict[str, Any]:
    """A job report from disk, or a one-line InputError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such report") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable report: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a job report")
    return data
