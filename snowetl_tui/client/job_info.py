"""What a client shows about one job, computed from the job dict and its report file.

The Jobs view of the TUI (and any other client) needs the same answers: which step is where,
how fast the read goes, where a queued job stands in line, why an action is refused, what the
reconciliation said, how many rows each day of the period has and which days are missing or
anomalous, and where the job's reports are. Keeping that here, free of Textual, makes it unit
testable and keeps widgets to drawing (DESIGN §2, principle 4).

Everything takes the wire form of a job (``Job.to_dict()``: plain dicts and ISO strings), so a
field an older engine does not send simply reads as absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from snowetl_tui.errors import SnowetlError
from snowetl_tui.report.paths import open_report as open_report  # re-exported for the views
from snowetl_tui.workspace import Workspace

FINAL = frozenset({"succeeded", "failed", "cancelled"})
#: Display order of states: what needs watching on top, finished jobs below.
STATE_RANK = {"running": 0, "paused": 1, "queued": 2}
STEP_ORDER = ("plan", "connect", "read", "stage", "decide", "copy", "reconcile", "cleanup")
STEP_LABELS = {
    "plan": "plan", "connect": "connect", "read": "read & validate", "stage": "stage",
    "decide": "decide", "copy": "copy", "reconcile": "reconcile", "cleanup": "clean up",
}
#: The steps that take time and get a progress bar, per kind of job.
MAIN_STEPS = {"load": ("read", "stage", "copy", "reconcile"), "validate": ("read",)}
#: Longest period the chart draws day by day (two years); longer spans are cut at the end.
MAX_CHART_DAYS = 731


class ReportError(SnowetlError):
    """A report file that cannot be read or does not have the expected shape."""


# -- small formatting helpers -----------------------------------------------------------------
def parse_time(stamp: object) -> datetime | None:
    """Engine timestamps (``2026-11-27T06:32:24.102Z``) as aware datetimes; junk → None."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        out = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def compact_count(n: float | None) -> str:
    """12_345 → ``"12.3k"``: rates in a narrow column."""
    if n is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            value = n / size
            return f"{value:.0f}{unit}" if abs(value) >= 100 else f"{value:.1f}{unit}"
    return f"{n:.0f}"


def middle_ellipsis(text: str, width: int) -> str:
    """Shorten keeping both ends: data file names differ in their dates, at the end."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width <= 3:
        return text[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return text[:head] + "…" + text[len(text) - tail:]


def job_title(job: Mapping[str, Any]) -> str:
    """What the job is about, in a few words: the file name, or the period a delete removes."""
    if job.get("kind") == "delete":
        period = (job.get("options") or {}).get("period") or "?"
        return f"delete {period} of {job.get('table') or '?'}"
    return str(job.get("file_name") or job.get("file") or job.get("table") or job.get("id"))


def matches(job: Mapping[str, Any], text: str) -> bool:
    """The ``/`` filter: case-insensitive substring of id, file, table, target, kind, state,
    step or error — what an operator remembers about a job."""
    needle = text.strip().lower()
    if not needle:
        return True
    fields_ = ("id", "file", "file_name", "table", "target", "kind", "state", "step", "error")
    hay = " ".join(str(job.get(k) or "") for k in fields_) + " " + job_title(job)
    return needle in hay.lower()


def display_order(jobs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Job ids in the order the Jobs view lists them: running, then paused, then queued in
    the order they will start (so ``waits #1`` is on top), then finished jobs newest first
    (job ids sort by creation time)."""
    jobs = list(jobs)
    positions = queue_positions(jobs)
    active = sorted((j for j in jobs if j.get("state") in STATE_RANK),
                    key=lambda j: (STATE_RANK[str(j.get("state"))],
                                   positions.get(str(j.get("id")), 0), str(j.get("id"))))
    finished = sorted((j for j in jobs if j.get("state") not in STATE_RANK),
                      key=lambda j: str(j.get("id")), reverse=True)
    return [str(j["id"]) for j in active + finished]


def queue_positions(jobs: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """1-based place of each queued job in the scheduler's order: recovered jobs first, then
    higher priority, then first come first served (``Job.sort_key`` in the engine)."""
    queued = [j for j in jobs if j.get("state") == "queued"]
    queued.sort(key=lambda j: (0 if j.get("recovered") else 1, -int(j.get("priority") or 0),
                               str(j.get("id"))))
    return {str(j["id"]): i for i, j in enumerate(queued, start=1)}


def _read_step(job: Mapping[str, Any]) -> Mapping[str, Any]:
    return (job.get("steps") or {}).get("read") or {}


def rows_per_second(job: Mapping[str, Any]) -> float | None:
    """Rows per second of the read (the step that sets the pace of a load)."""
    sp = _read_step(job)
    elapsed = float(sp.get("elapsed") or 0)
    rows = int(sp.get("rows") or 0)
    return rows / elapsed if elapsed > 0 and rows else None


def bytes_per_second(job: Mapping[str, Any]) -> float | None:
    rate = job.get("rate_bytes")
    return float(rate) if isinstance(rate, int | float) and rate > 0 else None


def eta_seconds(job: Mapping[str, Any]) -> float | None:
    """Only a running read has a meaningful ETA; other states show none."""
    if job.get("state") != "running" or job.get("step") != "read":
        return None
    eta = job.get("eta_seconds")
    return float(eta) if isinstance(eta, int | float) and eta >= 0 else None


# -- steps -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepView:
    """One step as the detail panel shows it.

    ``status`` is one of done, running, paused, failed, cancelled, waiting, not reached,
    skipped, not needed; ``fraction`` is None when the step has no measurable size yet.
    """

    name: str
    label: str
    status: str
    fraction: float | None
    detail: str


def _elapsed(sp: Mapping[str, Any], now: datetime) -> float | None:
    if float(sp.get("elapsed") or 0) > 0:
        return float(sp["elapsed"])
    start = parse_time(sp.get("started"))
    if start is None:
        return None
    end = parse_time(sp.get("finished")) or now
    return max((end - start).total_seconds(), 0.0)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    s = round(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"


def step_status(job: Mapping[str, Any], name: str) -> str:
    """Where step ``name`` stands (see :class:`StepView`), from the job's steps and state."""
    steps = job.get("steps") or {}
    sp = steps.get(name)
    state = str(job.get("state"))
    if sp is not None:
        if state in ("failed", "cancelled") and job.get("step") == name:
            return state
        if sp.get("finished"):
            return "done"
        return "paused" if state == "paused" else "running"
    if state == "succeeded":
        return "skipped"
    if state in FINAL:
        return "not reached"
    return "waiting"


def _recorded_steps(steps: Mapping[str, Any]) -> tuple[str, ...]:
    """Steps a job went through, known ones in pipeline order, others (``delete``) after."""
    return tuple(n for n in STEP_ORDER if n in steps) + tuple(n for n in steps
                                                               if n not in STEP_ORDER)


def step_views(job: Mapping[str, Any], now: datetime) -> list[StepView]:
    """The bars of the detail panel: read & validate, stage, copy, reconcile for a load (the
    steps that take time), the read for a validation, every recorded step for other kinds."""
    kind = str(job.get("kind"))
    steps = job.get("steps") or {}
    names = MAIN_STEPS.get(kind) or _recorded_steps(steps)
    out: list[StepView] = []
    for name in names:
        sp = steps.get(name) or {}
        status = step_status(job, name)
        label = STEP_LABELS.get(name, name)
        if name == "stage" and not sp:
            if str(job.get("target") or "local") == "local":
                out.append(StepView(name, label, "not needed", None,
                                    "local target"))
                continue
            read = steps.get("read") or {}
            status = step_status(job, "read") if read else status
            fraction = _fraction(read, status)
            out.append(StepView(name, label, status, fraction,
                                "parts upload while the read goes on"))
            continue
        out.append(StepView(name, label, status, _fraction(sp, status),
                            _step_detail(job, name, sp, status, now)))
    return out


def _fraction(sp: Mapping[str, Any], status: str) -> float | None:
    if status in ("done", "skipped"):
        return 1.0
    total = int(sp.get("total") or 0)
    if total > 0:
        return min(1.0, int(sp.get("bytes") or 0) / total)
    if status in ("waiting", "not reached"):
        return 0.0
    return None


def _step_detail(job: Mapping[str, Any], name: str, sp: Mapping[str, Any], status: str,
                 now: datetime) -> str:
    if status in ("waiting", "not reached", "skipped"):
        return ""
    parts: list[str] = []
    if name == "read":
        total = int(sp.get("total") or 0)
        done = int(sp.get("bytes") or 0)
        if total:
            parts.append(f"{_mb(done)} of {_mb(total)}")
        if sp.get("rows"):
            parts.append(f"{int(sp['rows']):,} rows")
        rps = rows_per_second(job)
        if rps:
            parts.append(f"{compact_count(rps)} rows/s")
        bps = bytes_per_second(job)
        if bps:
            parts.append(f"{bps / 1e6:,.1f} MB/s")
        eta = eta_seconds(job)
        if eta is not None and status == "running":
            parts.append(f"ETA {_duration(eta)}")
    elif name == "copy":
        result = job.get("result") or {}
        if result.get("parts"):
            parts.append(f"{int(result['parts'])} part{'s' if result['parts'] != 1 else ''}")
    elif int(sp.get("parts") or 0):
        parts.append(f"{int(sp['parts'])} parts")
    took = _duration(_elapsed(sp, now))
    if took:
        parts.append(("for " if status == "running" else "") + took)
    return " · ".join(parts)


def step_flow(job: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every step the job went through or will go through, with its status: a one-line trail
    that shows at a glance where a job stopped (e.g. at ``decide`` = validation failed)."""
    steps = job.get("steps") or {}
    kind = str(job.get("kind"))
    if kind == "load":
        names: Iterable[str] = [n for n in STEP_ORDER if n != "stage" or n in steps]
    elif kind == "validate":
        names = [n for n in STEP_ORDER if n in ("plan", "read", "decide") or n in steps]
    else:
        names = _recorded_steps(steps)
    return [(n, step_status(job, n)) for n in names]


# -- reconciliation and actions --------------------------------------------------------------
def reconciliation(job: Mapping[str, Any]) -> tuple[str, str]:
    """(status, sentence) where status is ok, failed, pending or none.

    The engine reports the reconciliation through the result (rows validated vs loaded) and,
    when it fails, through the error; a ``reconciliation`` block, if a newer engine sends one,
    is shown as is.
    """
    kind = job.get("kind")
    state = job.get("state")
    result = job.get("result") or {}
    error = str(job.get("error") or "")
    block = result.get("reconciliation")
    if kind == "delete":
        if state == "succeeded":
            return "ok", f"deleted {int(result.get('rows_deleted') or job.get('rows') or 0):,} rows"
        return "none", "a delete job has no reconciliation"
    if kind == "validate":
        return "none", "validation only: nothing is loaded, so nothing to reconcile"
    if isinstance(block, Mapping) and block:
        ok = block.get("ok", block.get("passed"))
        text = " · ".join(f"{k}: {v}" for k, v in block.items() if k not in ("ok", "passed"))
        return ("ok" if ok else "failed" if ok is not None else "pending"), text
    if error.startswith("reconciliation failed"):
        return "failed", error
    validated, loaded = result.get("rows_validated"), result.get("rows_loaded")
    if loaded is not None and state == "succeeded":
        same = validated is None or int(validated) == int(loaded)
        return ("ok" if same else "failed",
                f"rows validated {int(validated or loaded):,} = loaded {int(loaded):,}; "
                "per-day counts and keys checked in the table" if same else
                f"rows validated {int(validated or 0):,} ≠ loaded {int(loaded):,}")
    if state in ("failed", "cancelled"):
        return "none", f"not reached: the job {state} before its COPY committed" if \
            loaded is None else f"not reached: the job {state}"
    if job.get("step") == "reconcile":
        return "pending", "running: comparing rows and per-day counts with the table"
    return "pending", "after the COPY: rows and per-day counts are compared with the table"


_ALLOWED = {
    "cancel": ("queued", "running", "paused"),
    "retry": ("failed", "cancelled"),
    "pause": ("queued", "running", "paused"),
    "priority": ("queued", "running", "paused"),
}


def refusal(action: str, job: Mapping[str, Any] | None) -> str | None:
    """Why ``action`` (cancel, retry, pause, priority) cannot apply to ``job``; None if it can.

    Said before anything is sent, so the operator learns the rule instead of an engine error.
    """
    if job is None:
        return "no job selected"
    jid, state = job.get("id"), str(job.get("state"))
    if state in _ALLOWED.get(action, ()):
        return None
    already = f"job {jid} already {state}" if state in FINAL else f"job {jid} is {state}"
    if action == "cancel":
        return f"{already}; nothing to cancel"
    if action == "retry":
        return f"{already}; only failed or cancelled jobs can be retried"
    if action == "pause":
        return f"{already}; only queued or running jobs can be paused (paused ones resumed)"
    if action == "priority":
        return f"{already}; priority only orders jobs that have not finished"
    return f"{already}; cannot {action} it"


def pause_op(job: Mapping[str, Any]) -> str:
    """``p`` toggles: resume a paused job (or one whose pause is still pending), else pause."""
    return "resume" if job.get("state") == "paused" or job.get("pause_requested") else "pause"


# -- report and per-day counts ---------------------------------------------------------------
@dataclass(frozen=True)
class DayCounts:
    """Rows per day of a file's period, with the days the validation flagged."""

    start: date
    end: date
    counts: dict[date, int]
    missing: frozenset[date] = frozenset()
    anomalies: dict[date, str] = field(default_factory=dict)
    median: float | None = None

    def days(self) -> list[date]:
        """Every day of the period (at most :data:`MAX_CHART_DAYS`)."""
        n = min((self.end - self.start).days + 1, MAX_CHART_DAYS)
        return [self.start + timedelta(days=i) for i in range(max(n, 0))]

    @property
    def truncated(self) -> bool:
        return (self.end - self.start).days + 1 > MAX_CHART_DAYS

    def mark(self, day: date) -> str:
        """missing (expected, no rows), anomaly, none (no rows, none expected) or rows."""
        if day in self.missing:
            return "missing"
        if day in self.anomalies:
            return "anomaly"
        return "rows" if self.counts.get(day, 0) > 0 else "none"


def read_report(path: Path) -> dict[str, Any]:
    """The JSON report of a job; errors name the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReportError(f"{path}: no such report (it is written when the read ends)") from exc
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the report: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _date(value: object, where: str) -> date:
    if not isinstance(value, str):
        raise ReportError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ReportError(f"{where}: expected a YYYY-MM-DD date, got {value!r}") from exc


def day_counts(report: Mapping[str, Any], where: str = "report") -> DayCounts | None:
    """Per-day counts and flagged days of a report; None when it has no per-day counts (no
    date column configured). ``where`` prefixes error messages (the file path)."""
    raw = report.get("per_day")
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise ReportError(f"{where}: per_day: expected an object of date → rows")
    counts: dict[date, int] = {}
    for key, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ReportError(f"{where}: per_day[{key!r}]: expected a row count, got {value!r}")
        counts[_date(key, f"{where}: per_day")] = value
    missing: set[date] = set()
    anomalies: dict[date, str] = {}
    median: float | None = None
    for check in report.get("checks") or []:
        if not isinstance(check, Mapping):
            continue
        data = check.get("data") if isinstance(check.get("data"), Mapping) else {}
        if check.get("name") == "calendar":
            for d in data.get("missing_days") or []:
                missing.add(_date(d, f"{where}: calendar.missing_days"))
        elif check.get("name") == "anomalies":
            days = data.get("days")
            if isinstance(days, Mapping):
                for d, kind in days.items():
                    anomalies[_date(d, f"{where}: anomalies.days")] = str(kind)
            else:  # older reports: only examples ("SEVERELY_LOW: 12 rows …")
                for ex in check.get("examples") or []:
                    if isinstance(ex, Mapping) and ex.get("value"):
                        kind = str(ex.get("detail") or "anomaly").split(":", 1)[0]
                        anomalies[_date(ex["value"], f"{where}: anomalies")] = kind
            if isinstance(data.get("median"), int | float):
                median = float(data["median"])
    flagged = set(counts) | missing | set(anomalies)
    start = (_date(report["period_start"], f"{where}: period_start")
             if report.get("period_start") else min(flagged))
    end = (_date(report["period_end"], f"{where}: period_end")
           if report.get("period_end") else max(flagged))
    if end < start:
        raise ReportError(f"{where}: period_end {end} is before period_start {start}")
    if median is None and counts:
        values = sorted(v for v in counts.values() if v > 0)
        if values:
            mid = len(values) // 2
            median = float(values[mid]) if len(values) % 2 else \
                (values[mid - 1] + values[mid]) / 2
    return DayCounts(start, end, counts, frozenset(missing), anomalies, median)


def report_json_path(ws: Workspace, job: Mapping[str, Any]) -> Path | None:
    """The JSON report of this attempt of the job, if the engine recorded one.

    ``result.report_path`` is authoritative (a retry clears the result, so an old attempt's
    report is not shown for a new run); a finished job without it falls back to the usual
    place, ``logs/jobs/<id>.report.json``.
    """
    result = job.get("result") or {}
    if isinstance(result.get("report_path"), str) and result["report_path"]:
        return Path(result["report_path"])
    if job.get("state") in FINAL and job.get("id"):
        return ws.logs_dir / "jobs" / f"{job['id']}.report.json"
    return None


def load_day_counts(ws: Workspace, job: Mapping[str, Any]) -> DayCounts | None:
    """Per-day counts of a job: from the job dict if the engine put them there, else from its
    report file. Blocking file I/O: call it from a thread."""
    for holder in (job, job.get("result") or {}):
        if isinstance(holder.get("per_day"), Mapping) and holder["per_day"]:
            return day_counts({"per_day": holder["per_day"],
                               "period_start": holder.get("period_start"),
                               "period_end": holder.get("period_end"),
                               "checks": holder.get("checks") or []}, f"job {job.get('id')}")
    path = report_json_path(ws, job)
    if path is None:
        return None
    return day_counts(read_report(path), str(path))


def report_paths(ws: Workspace, job: Mapping[str, Any]) -> list[Path]:
    """Existing report files of the job: HTML first (for a browser), then JSON.

    HTML reports live under ``logs/reports/`` with the job id in their name, or are named by
    the result (``html_report`` / ``report_html``). Blocking (stat, listdir): call from a thread.
    """
    found: list[Path] = []
    result = job.get("result") or {}
    for key in ("html_report", "report_html", "html_report_path"):
        if isinstance(result.get(key), str) and result[key]:
            found.append(Path(result[key]))
    jid = str(job.get("id") or "")
    if jid and ws.reports_dir.is_dir():
        try:
            names = sorted(os.listdir(ws.reports_dir))
        except OSError:
            names = []
        found.extend(ws.reports_dir / n for n in names
                     if jid in n and n.lower().endswith((".html", ".htm")))
    json_path = report_json_path(ws, job)
    if json_path is not None:
        found.append(json_path)
    out: list[Path] = []
    for p in found:
        if p not in out and p.is_file():
            out.append(p)
    return out
