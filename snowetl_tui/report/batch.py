"""The batch summary: per table and period, what the ledger says was loaded — and what was not.

Replaces the previous tool's cross-table report. One row per (table, period): rows, source
files, validation verdicts, the last load, and failures with their reasons; between the first
and the last loaded period of a table, every stretch of days that no load covers is a *gap*
(a month nobody loaded shows up as its own row, ``never loaded``), because the question a
manager asks is "is anything missing?", not only "what is there?".

Read-only over the ledger (``loads``); verdicts come from the job reports under
``logs/reports/`` (or the legacy ``logs/jobs/<id>.report.json``) when the load ran as a job.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from snowetl_tui.config.patterns import Period
from snowetl_tui.errors import InputError
from snowetl_tui.load.ledger import Ledger, LoadRecord
from snowetl_tui.workspace import Workspace

BATCH_REPORT_VERSION = 1
STATUS_SYMBOL = {"loaded": "✓", "failed": "✗", "never loaded": "✗", "deleted": "–",
                 "in progress": "…"}
CSV_COLUMNS = ("table", "target", "period", "period_start", "period_end", "status", "rows",
               "loads", "files", "verdicts", "last_load", "failures")


class EmptyLedger(InputError):
    """Nothing has been loaded in this workspace yet."""


@dataclass
class PeriodSummary:
    """One (table, period) row of the summary."""

    start: date | None
    end: date | None
    status: str = "never loaded"
    rows: int = 0
    loads: int = 0
    files: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    last_load: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.start is None or self.end is None:
            return "(no period)"
        return Period(self.start, self.end).label()

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.label,
            "period_start": self.start.isoformat() if self.start else None,
            "period_end": self.end.isoformat() if self.end else None,
            "status": self.status, "rows": self.rows, "loads": self.loads,
            "files": self.files, "verdicts": self.verdicts, "last_load": self.last_load,
            "failures": self.failures,
        }


def parse_since(text: str) -> date:
    """``2024-03`` (its first day) or ``2024-03-05``; InputError otherwise."""
    raw = text.strip()
    try:
        if len(raw) == 7:
            return date.fromisoformat(raw + "-01")
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"--since {text!r}: expected a date like 2024-03-01 or a month like "
                         "2024-03") from None


def _read_verdict(ws: Workspace, rec: LoadRecord) -> str | None:
    """The validation verdict of a load, from its job report when there is one."""
    from snowetl_tui.report.paths import report_paths

    candidates: list[Path] = []
    if rec.report_path:
        candidates.append(Path(rec.report_path))
    if rec.job_id:
        candidates.append(report_paths(ws, rec.job_id)["json"])
        candidates.append(ws.logs_dir / "jobs" / f"{rec.job_id}.report.json")
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("verdict") in ("pass", "warn", "fail"):
            return str(data["verdict"])
    if rec.error and rec.error.startswith("validation failed"):
        return "fail"
    return None


def _month_pieces(start: date, end: date) -> list[tuple[date, date]]:
    """Split ``start..end`` at month boundaries (a gap of three months = three rows)."""
    out = []
    cur = start
    while cur <= end:
        nxt = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((cur, min(end, nxt - timedelta(days=1))))
        cur = nxt
    return out


def span_label(start: date, end: date) -> str:
    """``2024-02``, ``2024-02..2024-04`` for whole months, else what ``Period.label`` says."""
    month_end = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if start.day == 1 and end == month_end and (start.year, start.month) != (end.year,
                                                                              end.month):
        return f"{start:%Y-%m}..{end:%Y-%m}"
    return Period(start, end).label()


def _gaps(covered: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Days between the first and last covered day that no interval covers."""
    gaps: list[tuple[date, date]] = []
    reach: date | None = None
    for start, end in sorted(covered):
        if reach is not None and start > reach + timedelta(days=1):
            gaps.append((reach + timedelta(days=1), start - timedelta(days=1)))
        reach = end if reach is None else max(reach, end)
    return gaps


def summarise(ws: Workspace, *, since: date | None = None, table: str | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """The batch summary as a JSON-ready dict (see ``batch_report.schema.json``)."""
    if not ws.store_path.exists():
        raise EmptyLedger(_empty_message(ws))
    ledger = Ledger(ws.store_path)
    records = ledger.loads()
    if not records:
        raise EmptyLedger(_empty_message(ws))
    if table is not None:
        known = sorted({r.table_name for r in records})
        records = [r for r in records if r.table_name.upper() == table.upper()]
        if not records:
            raise InputError(f"--table {table}: no load of that table in the ledger; tables "
                             f"with loads: {', '.join(known)}")
    by_table: dict[tuple[str, str], list[LoadRecord]] = {}
    for r in records:
        by_table.setdefault((r.target, r.table_name), []).append(r)
    tables = []
    for (target, name), recs in sorted(by_table.items()):
        summary = _table_summary(ws, target, name, recs, since)
        if summary is not None:
            tables.append(summary)
    return {
        "batch_report_version": BATCH_REPORT_VERSION,
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds").replace(
            "+00:00", "Z"),
        "workspace": str(ws.root),
        "since": since.isoformat() if since else None,
        "table": table,
        "tables": tables,
    }


def _empty_message(ws: Workspace) -> str:
    return (f"the ledger of workspace {ws.root} is empty: nothing has been loaded yet (load "
            "files with `snowetl-tui load FILE… --wait`, then run this again)")


def _table_summary(ws: Workspace, target: str, name: str, recs: list[LoadRecord],
                   since: date | None) -> dict[str, Any] | None:
    periods: dict[tuple[date | None, date | None], PeriodSummary] = {}
    states_of: dict[tuple[str | None, str | None], set[str]] = {}
    for r in recs:
        states_of.setdefault((r.period_start, r.period_end), set()).add(r.state)
    for r in sorted(recs, key=lambda r: r.created_at):
        start = date.fromisoformat(r.period_start) if r.period_start else None
        end = date.fromisoformat(r.period_end) if r.period_end else None
        if since is not None and (end or date.fromisoformat(r.created_at[:10])) < since:
            continue
        p = periods.setdefault((start, end), PeriodSummary(start, end, status=""))
        p.loads += 1
        fname = Path(r.file).name
        if fname not in p.files:
            p.files.append(fname)
        verdict = _read_verdict(ws, r)
        if verdict:
            p.verdicts.append(verdict)
        if r.state == "succeeded":
            p.rows += int(r.rows_loaded or 0)
            p.last_load = max(p.last_load or "", r.finished_at or r.updated_at)
        elif r.state in ("failed", "refused", "cancelled"):
            p.failures.append({"file": fname, "state": r.state, "reason": r.error or r.state,
                               "at": r.finished_at or r.updated_at, "load_id": r.load_id,
                               "job_id": r.job_id})
        states = states_of[(r.period_start, r.period_end)]
        if "succeeded" in states:
            p.status = "loaded"
        elif states & {"planned", "validated", "staged", "copy_submitted", "copied"}:
            p.status = "in progress"
        elif "deleted" in states:
            p.status = "deleted"
        else:
            p.status = "failed"
    if not periods:
        return None
    loaded = [(p.start, p.end) for p in periods.values()
              if p.status == "loaded" and p.start is not None and p.end is not None]
    gaps = _gaps(loaded)  # type: ignore[arg-type]
    gap_list = []
    for g_start, g_end in gaps:
        attempted = sorted(p.label for p in periods.values() if p.start is not None
                           and p.end is not None and p.start <= g_end and p.end >= g_start)
        gap_list.append({"period_start": g_start.isoformat(), "period_end": g_end.isoformat(),
                         "period": span_label(g_start, g_end),
                         "days": (g_end - g_start).days + 1, "attempted": attempted})
        # the days of the gap that no attempt covers become "never loaded" rows
        tried = [(p.start, p.end) for p in periods.values() if p.start is not None
                 and p.end is not None and p.start <= g_end and p.end >= g_start]
        for piece_start, piece_end in _uncovered(g_start, g_end, tried):  # type: ignore[arg-type]
            for m_start, m_end in _month_pieces(piece_start, piece_end):
                periods[(m_start, m_end)] = PeriodSummary(m_start, m_end, "never loaded")
    ordered = sorted(periods.values(), key=lambda p: (p.start is None, p.start or date.min,
                                                      p.end or date.min))
    last = max((p.last_load for p in ordered if p.last_load), default=None)
    return {
        "table": name,
        "target": target,
        "rows": sum(p.rows for p in ordered if p.status == "loaded"),
        "periods_loaded": sum(p.status == "loaded" for p in ordered),
        "files": sum(len(p.files) for p in ordered),
        "last_load": last,
        "failures": sum(len(p.failures) for p in ordered if p.status != "loaded"),
        "gaps": gap_list,
        "periods": [p.as_dict() for p in ordered],
    }


def _uncovered(start: date, end: date, spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    out = []
    cur = start
    for s, t in sorted(spans):
        if t < cur:
            continue
        if s > cur:
            out.append((cur, min(end, s - timedelta(days=1))))
        cur = max(cur, t + timedelta(days=1))
        if cur > end:
            break
    if cur <= end:
        out.append((cur, end))
    return [(a, b) for a, b in out if a <= b]


# ----------------------------------------------------------------------------------------------
# Renderings
# ----------------------------------------------------------------------------------------------


def csv_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per (table, period), for spreadsheets."""
    out = []
    for t in summary["tables"]:
        for p in t["periods"]:
            out.append({
                "table": t["table"], "target": t["target"], "period": p["period"],
                "period_start": p["period_start"], "period_end": p["period_end"],
                "status": p["status"], "rows": p["rows"], "loads": p["loads"],
                "files": " ".join(p["files"]), "verdicts": " ".join(p["verdicts"]),
                "last_load": p["last_load"] or "",
                "failures": " | ".join(f"{f['file']}: {f['reason']}" for f in p["failures"]),
            })
    return out


def to_csv(summary: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(summary):
        writer.writerow(row)
    return buf.getvalue()


def _timeline(t: dict[str, Any], index: int) -> str:
    """One SVG strip per table: each period a segment, by status, on a day axis."""
    from snowetl_tui.report.html import e

    spans = [p for p in t["periods"] if p["period_start"]]
    if not spans:
        return ""
    lo = min(date.fromisoformat(p["period_start"]) for p in spans)
    hi = max(date.fromisoformat(p["period_end"]) for p in spans)
    days = (hi - lo).days + 1
    width, left, height = 960.0, 8.0, 58
    scale = (width - 2 * left) / days
    fill = {"loaded": "#1b6b34", "failed": "#b3261e", "never loaded": "url(#gap)",
            "deleted": "#8b939b", "in progress": "#3569a8"}
    out = [f'<svg class="chart timeline" id="timeline-{index}" viewBox="0 0 {width:.0f} '
           f'{height}" role="img" xmlns="http://www.w3.org/2000/svg"><title>Periods of '
           f"{e(t['table'])}</title>"
           '<defs><pattern id="gap" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fdecea"/><line '
           'x1="0" y1="0" x2="0" y2="6" stroke="#b3261e" stroke-width="2"/></pattern></defs>']
    for p in spans:
        s = date.fromisoformat(p["period_start"])
        en = date.fromisoformat(p["period_end"])
        x = left + (s - lo).days * scale
        w = max(((en - s).days + 1) * scale - 1, 1.0)
        out.append(f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="24" '
                   f'fill="{fill.get(p["status"], "#8b939b")}" stroke="#1d232a" '
                   f'stroke-width="0.5"><title>{e(p["period"])}: {e(p["status"])}</title></rect>')
        if w > 40:
            out.append(f'<text x="{x + w / 2:.1f}" y="48" text-anchor="middle">'
                       f"{STATUS_SYMBOL.get(p['status'], '')} {e(p['period'])}</text>")
    out.append("</svg>")
    return "".join(out)


def to_html(summary: dict[str, Any]) -> str:
    """The summary as one self-contained page (same conventions as the job report)."""
    from snowetl_tui.report.html import e, num, page

    css_status = {"loaded": "pass", "failed": "fail", "never loaded": "fail", "deleted": "warn",
                  "in progress": "warn"}
    parts = ["<h1>Load summary</h1>",
             f"<p class=\"muted\">Workspace {e(summary['workspace'])} · generated "
             f"{e(summary['generated_at'])}"
             + (f" · periods ending on or after {e(summary['since'])}" if summary["since"]
                else "")
             + (f" · table {e(summary['table'])}" if summary["table"] else "") + "</p>"]
    total_gaps = sum(len(t["gaps"]) for t in summary["tables"])
    total_fail = sum(t["failures"] for t in summary["tables"])
    cls = "fail" if total_gaps or total_fail else "pass"
    mark = "✗" if cls == "fail" else "✓"
    parts.append(f'<div id="verdict" class="banner {cls}"><strong>{mark} '
                 f"{'GAPS OR FAILURES' if cls == 'fail' else 'COMPLETE'}</strong>"
                 f"{len(summary['tables'])} tables<span class=\"sub\">{total_gaps} gap(s) "
                 f"between loaded periods · {total_fail} failed load(s) not since loaded"
                 "</span></div>")
    if not summary["tables"]:
        parts.append("<p>No period matches the filters.</p>")
    for i, t in enumerate(summary["tables"]):
        rows = []
        for p in t["periods"]:
            reasons = "".join(f"<li><strong>{e(f['file'])}</strong> ({e(f['state'])}): "
                              f"{e(f['reason'])}</li>" for f in p["failures"])
            status = p["status"]
            rows.append(
                f'<tr class="period" data-status="{e(status)}"><td class="nowrap">'
                f'{e(p["period"])}</td>'
                f'<td><span class="status {css_status.get(status, "warn")}">'
                f"{STATUS_SYMBOL.get(status, '?')} {e(status)}</span></td>"
                f"<td class=\"num\">{num(p['rows'])}</td><td>{e(' '.join(p['files']) or '—')}"
                f"</td><td>{e(' '.join(p['verdicts']) or '—')}</td>"
                f"<td class=\"nowrap\">{e((p['last_load'] or '—')[:16].replace('T', ' '))}</td>"
                f"<td>{'<ul class=examples>' + reasons + '</ul>' if reasons else ''}</td></tr>")
        gaps = "".join(f"<li>✗ <strong>{e(g['period'])}</strong> ({g['days']} days) never "
                       "loaded" + (f"; attempted: {e(', '.join(g['attempted']))}"
                                   if g["attempted"] else "") + "</li>" for g in t["gaps"])
        parts.append(
            f'<section class="table-summary" id="table-{i}"><h2>{e(t["table"])} on '
            f"{e(t['target'])}</h2><p>{num(t['rows'])} rows in {t['periods_loaded']} loaded "
            f"period(s) · last load {e((t['last_load'] or '—')[:19])}</p>{_timeline(t, i)}"
            + (f'<p class="fail-text"><strong>Gaps between loaded periods:</strong></p>'
               f'<ul class="gaps">{gaps}</ul>' if gaps else
               '<p class="pass-text">✓ No gap between loaded periods.</p>')
            + '<table><thead><tr><th>Period</th><th>Status</th><th class="num">Rows</th>'
            "<th>Files</th><th>Verdicts</th><th>Last load (UTC)</th><th>Failures</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></section>")
    return page("Load summary", "\n".join(parts))


def write_summary(ws: Workspace, path: Path | None = None, *, since: date | None = None,
                  table: str | None = None) -> Path:
    """Write the summary's HTML (default ``logs/reports/summary.html``) and return its path.

    For the TUI's Tables view ("open report") and ``report --format html``; raises
    :class:`EmptyLedger` / InputError with the one-line reason.
    """
    from snowetl_tui.report.job_report import write_text_file
    from snowetl_tui.report.paths import summary_path

    target = path or summary_path(ws)
    write_text_file(target, to_html(summarise(ws, since=since, table=table)))
    return target
