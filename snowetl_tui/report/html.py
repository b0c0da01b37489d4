"""Self-contained HTML for job reports: one file, inline CSS and an inline SVG chart.

The page must open anywhere the file lands — mailed to a manager, copied off an air-gapped box,
printed — so it references nothing: no script, no web font, no image file, no link that a
browser would fetch. Every value from the data file is escaped. Colour is never the only
signal: the verdict says PASS/WARN/FAIL in words with a symbol, missing days carry ✗ and
anomalies ! in the chart and are listed in text under it, and ``@media print`` keeps borders
and labels so a black-and-white printout reads the same.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from html import escape
from typing import Any

SYMBOL = {"PASS": "✓", "WARN": "!", "FAIL": "✗"}
_OUTCOME_WORD = {"succeeded": "LOADED", "validated": "VALID", "failed": "FAILED",
                 "refused": "REFUSED", "cancelled": "CANCELLED"}

CSS = """
:root { --ink: #1d232a; --muted: #5b6570; --line: #d5dbe1; --pass: #1b6b34; --pass-bg: #e6f4ea;
  --warn: #8a5300; --warn-bg: #fff4dc; --fail: #b3261e; --fail-bg: #fdecea; --bar: #3569a8;
  --anom: #c77c00; --extra: #8b939b; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 40px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 20px; margin: 8px 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid
  var(--line); }
.banner { border: 2px solid; border-radius: 6px; padding: 12px 16px; margin: 12px 0;
  font-size: 18px; }
.banner strong { font-size: 24px; letter-spacing: .04em; margin-right: 8px; }
.banner .sub { display: block; font-size: 14px; margin-top: 4px; }
.pass { color: var(--pass); background: var(--pass-bg); border-color: var(--pass); }
.warn { color: var(--warn); background: var(--warn-bg); border-color: var(--warn); }
.fail { color: var(--fail); background: var(--fail-bg); border-color: var(--fail); }
.status { font-weight: 600; white-space: nowrap; padding: 1px 6px; border-radius: 4px;
  border: 1px solid; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid
  var(--line); }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; }
ul.examples { margin: 0; padding-left: 16px; }
ul.examples li { word-break: break-all; }
figure { margin: 8px 0; }
figcaption { color: var(--muted); font-size: 13px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg.chart .axis { stroke: var(--ink); stroke-width: 1; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .bar { fill: var(--bar); }
svg.chart .bar.anomaly { fill: var(--anom); }
svg.chart .bar.extra { fill: var(--extra); }
svg.chart .missing { fill: url(#hatch); stroke: var(--fail); stroke-width: 1.5; }
svg.chart .off { fill: #f1f3f5; }
svg.chart .mark-missing { fill: var(--fail); font-weight: 700; }
svg.chart .mark-anomaly { fill: var(--anom); font-weight: 700; }
svg.chart .median { stroke: var(--muted); stroke-dasharray: 4 3; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px;
  margin-right: 4px; border: 1px solid var(--ink); }
.cols { columns: 4 180px; margin: 0; padding-left: 2.6em; }
.tbar { display: inline-block; height: 10px; background: var(--bar); vertical-align: middle; }
.error { border-left: 4px solid var(--fail); padding: 6px 10px; background: var(--fail-bg);
  white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.fail-text { color: var(--fail); }
.pass-text { color: var(--pass); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; color: #000; }
  .banner, .status, .swatch, svg.chart { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  h2 { break-after: avoid; }
  figure, .banner, dl.facts, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def e(value: Any) -> str:
    """Escape anything for HTML text and attribute values."""
    return escape("" if value is None else str(value), quote=True)


def num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return e(value)


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML document."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        # no fetch of any kind: a CSP that forbids everything but inline styles and data
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def status_badge(status: str) -> str:
    cls = {"PASS": "pass", "WARN": "warn", "FAIL": "fail"}.get(status, "warn")
    return f'<span class="status {cls}">{SYMBOL.get(status, "?")} {e(status)}</span>'


# ----------------------------------------------------------------------------------------------
# The per-day chart
# ----------------------------------------------------------------------------------------------


def _nice_max(value: int, ticks: int = 4) -> int:
    """The smallest "round" axis maximum ≥ ``value`` whose ``ticks`` steps are integers."""
    if value <= 0:
        return ticks
    raw = value / ticks
    exp = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        tick = step * exp
        if tick >= raw and float(tick).is_integer():
            return int(tick) * ticks
    return 10 * exp * ticks


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def per_day_chart(
    per_day: dict[str, int],
    *,
    period_start: str | None = None,
    period_end: str | None = None,
    missing: list[str] | None = None,
    anomalies: dict[str, str] | None = None,
    unexpected: list[str] | None = None,
    median: float | None = None,
    chart_id: str = "per-day-chart",
) -> str:
    """An inline SVG bar chart of rows per day (per month beyond ~13 months of days).

    Missing days (expected, no rows) are hatched red boxes marked ✗; anomalous days are amber
    bars marked !; days with rows that needed none are grey; days with neither rows nor an
    expectation are shaded. Each slot carries a ``<title>`` (a tooltip, no script needed).
    """
    missing_set = set(missing or [])
    anomalies = anomalies or {}
    unexpected_set = set(unexpected or [])
    counts = {date.fromisoformat(k): int(v) for k, v in per_day.items()}
    if period_start and period_end:
        lo, hi = date.fromisoformat(period_start), date.fromisoformat(period_end)
    elif counts or missing_set:
        known = list(counts) + [date.fromisoformat(d) for d in missing_set]
        lo, hi = min(known), max(known)
    else:
        return (f'<p id="{e(chart_id)}" class="muted">No dated rows: the per-day chart needs a '
                "date column in the config.</p>")
    if hi < lo:
        lo, hi = hi, lo
    slots: list[dict[str, Any]] = []
    monthly = (hi - lo).days > 400
    if monthly:
        months: dict[tuple[int, int], dict[str, Any]] = {}
        for d in _days(lo, hi):
            m = months.setdefault((d.year, d.month), {
                "label": f"{d.year}-{d.month:02d}", "rows": 0, "missing": 0, "anomaly": 0,
                "extra": 0})
            iso = d.isoformat()
            m["rows"] += counts.get(d, 0)
            m["missing"] += iso in missing_set
            m["anomaly"] += iso in anomalies
            m["extra"] += iso in unexpected_set
        for (y, mo), m in months.items():
            last = calendar.monthrange(y, mo)[1]
            notes = []
            if m["missing"]:
                notes.append(f"{m['missing']} missing days")
            if m["anomaly"]:
                notes.append(f"{m['anomaly']} anomalous days")
            slots.append({"label": m["label"], "rows": m["rows"],
                          "state": "missing" if m["missing"] and not m["rows"] else (
                              "anomaly" if m["anomaly"] or m["missing"] else "normal"),
                          "mark": "✗" if m["missing"] else ("!" if m["anomaly"] else ""),
                          "title": f"{m['label']} ({last} days): {m['rows']:,} rows"
                          + (f"; {', '.join(notes)}" if notes else "")})
    else:
        for d in _days(lo, hi):
            iso = d.isoformat()
            n = counts.get(d, 0)
            day = f"{iso} {d:%a}"
            if iso in missing_set:
                slot = {"state": "missing", "mark": "✗",
                        "title": f"{day}: missing — no rows on an expected day"}
            elif iso in anomalies:
                slot = {"state": "anomaly", "mark": "!",
                        "title": f"{day}: {n:,} rows — anomaly ({anomalies[iso]})"}
            elif iso in unexpected_set:
                slot = {"state": "extra", "mark": "",
                        "title": f"{day}: {n:,} rows on a day that needs none"}
            elif n == 0:
                slot = {"state": "off", "mark": "", "title": f"{day}: no rows"}
            else:
                slot = {"state": "normal", "mark": "", "title": f"{day}: {n:,} rows"}
            slots.append({"label": d.strftime("%m-%d"), "rows": n, **slot})

    n_slots = len(slots)
    left, right, top, bottom, plot_h = 64, 16, 24, 44, 200
    slot_w = max(4.0, min(28.0, 960 / n_slots))
    plot_w = max(slot_w * n_slots, 560.0)
    slot_w = plot_w / n_slots
    width, height = left + plot_w + right, top + plot_h + bottom
    ymax = _nice_max(max((s["rows"] for s in slots), default=0))

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / ymax

    out: list[str] = [
        f'<svg id="{e(chart_id)}" class="chart" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-labelledby="{e(chart_id)}-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{e(chart_id)}-title">Rows per {"month" if monthly else "day"}, '
        f"{lo.isoformat()} to {hi.isoformat()}</title>",
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fdecea"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#b3261e" stroke-width="2"/></pattern></defs>',
    ]
    for i in range(5):
        v = ymax * i / 4
        yy = y(v)
        out.append(f'<line class="grid" x1="{left}" y1="{yy:.1f}" x2="{left + plot_w:.1f}" '
                   f'y2="{yy:.1f}"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    gap = max(1.0, slot_w * 0.18)
    for i, s in enumerate(slots):
        x = left + i * slot_w
        title = f"<title>{e(s['title'])}</title>"
        if s["state"] == "missing":
            out.append(f'<rect class="missing" data-day="{e(s["label"])}" x="{x + gap / 2:.1f}" '
                       f'y="{top}" width="{slot_w - gap:.1f}" height="{plot_h}">{title}</rect>')
        elif s["state"] == "off":
            out.append(f'<rect class="off" x="{x:.1f}" y="{top}" width="{slot_w:.1f}" '
                       f'height="{plot_h}">{title}</rect>')
        else:
            cls = {"anomaly": "bar anomaly", "extra": "bar extra"}.get(s["state"], "bar")
            yy = y(s["rows"])
            h = max(top + plot_h - yy, 1.0 if s["rows"] else 0.0)
            out.append(f'<rect class="{cls}" x="{x + gap / 2:.1f}" y="{top + plot_h - h:.1f}" '
                       f'width="{slot_w - gap:.1f}" height="{h:.1f}">{title}</rect>')
        if s["mark"]:
            cls = "mark-missing" if s["mark"] == "✗" else "mark-anomaly"
            my = top - 6 if s["state"] == "missing" else max(y(s["rows"]) - 4, top - 6)
            out.append(f'<text class="{cls}" x="{x + slot_w / 2:.1f}" y="{my:.1f}" '
                       f'text-anchor="middle">{s["mark"]}</text>')
    if median:
        my = y(median)
        out.append(f'<line class="median" x1="{left}" y1="{my:.1f}" x2="{left + plot_w:.1f}" '
                   f'y2="{my:.1f}"><title>median {median:,.0f} rows</title></line>')
        out.append(f'<text x="{left + plot_w:.1f}" y="{my - 4:.1f}" text-anchor="end" '
                   f'class="muted">median {median:,.0f}</text>')
    base = top + plot_h
    out.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w:.1f}" '
               f'y2="{base}"/>')
    out.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>')
    label_w = 56 if monthly else 38
    every = max(1, math.ceil(label_w / slot_w))
    for i, s in enumerate(slots):
        if i % every == 0:
            x = left + i * slot_w + slot_w / 2
            out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">'
                       f"{e(s['label'])}</text>")
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6:.0f}" text-anchor="middle" '
               f'class="muted">{"month" if monthly else "day (MM-DD)"}; rows per '
               f'{"month" if monthly else "day"} (max {ymax:,})</text>')
    out.append("</svg>")
    return "".join(out)


LEGEND = (
    '<div class="legend">'
    '<span><span class="swatch" style="background:#3569a8"></span>rows per day</span>'
    '<span><span class="swatch" style="background:#fdecea;border-color:#b3261e"></span>'
    "✗ missing day (expected, no rows)</span>"
    '<span><span class="swatch" style="background:#c77c00"></span>! anomaly (far from the '
    "median)</span>"
    '<span><span class="swatch" style="background:#8b939b"></span>rows on a day that needs '
    "none</span>"
    '<span><span class="swatch" style="background:#f1f3f5"></span>no rows, none expected</span>'
    "</div>"
)


# ----------------------------------------------------------------------------------------------
# The job report page
# ----------------------------------------------------------------------------------------------


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    v = report.get("validation") or {}
    return {c["name"]: c for c in v.get("checks", [])}


def _example(ex: dict[str, Any]) -> str:
    parts = []
    if ex.get("line") is not None:
        parts.append(f"line {int(ex['line']):,}")
    if ex.get("byte_offset") is not None:
        parts.append(f"byte {int(ex['byte_offset']):,}")
    if ex.get("value") is not None:
        parts.append(f"<code>{e(ex['value'])}</code>")
    if ex.get("detail"):
        parts.append(e(ex["detail"]))
    return " · ".join(parts)


def _banner(report: dict[str, Any]) -> str:
    verdict = (report.get("verdict") or "").upper()
    outcome = report.get("outcome") or ""
    kind = report.get("kind")
    v = report.get("validation") or {}
    failed_checks = [c for c in v.get("checks", []) if c.get("status") == "FAIL"]
    if kind == "load":
        bad = outcome not in ("succeeded", "validated")
        cls = "fail" if outcome in ("failed", "refused") else ("warn" if bad else (
            "warn" if verdict == "WARN" else "pass"))
        word = _OUTCOME_WORD.get(outcome, outcome.upper() or "?")
        mark = "✓" if not bad else ("!" if outcome == "cancelled" else "✗")
        load = report.get("load") or {}
        if outcome == "succeeded":
            sub = (f"{num(load.get('rows_loaded'))} rows loaded into {e(report.get('table'))} "
                   f"on {e(report.get('target'))}")
        elif outcome == "validated":
            sub = f"dry run: {num(v.get('rows'))} rows would be loaded"
        else:
            sub = e(report.get("error") or outcome)
        if verdict:
            sub += f" · validation {SYMBOL.get(verdict, '?')} {e(verdict)}"
            if failed_checks:
                sub += f" ({len(failed_checks)} check{'s' if len(failed_checks) > 1 else ''} " \
                       "failed)"
    else:
        word = verdict or _OUTCOME_WORD.get(outcome, outcome.upper() or "?")
        cls = {"PASS": "pass", "WARN": "warn"}.get(verdict, "fail")
        mark = SYMBOL.get(verdict, "✗")
        if verdict == "FAIL":
            names = ", ".join(c["name"] for c in failed_checks)
            sub = f"{len(failed_checks)} check{'s' if len(failed_checks) != 1 else ''} failed: " \
                  f"{e(names)} — this file must not be loaded"
        elif verdict:
            sub = f"{num(v.get('rows'))} rows may be loaded"
        else:
            sub = e(report.get("error") or "the job stopped before the file was read")
    return (f'<div id="verdict" class="banner {cls}" role="status"><strong>{mark} {e(word)}'
            f"</strong>{e(report.get('file_name'))}<span class=\"sub\">{sub}</span></div>")


def _facts(report: dict[str, Any]) -> str:
    v = report.get("validation") or {}
    load = report.get("load") or {}
    who = report.get("who") or {}
    when = report.get("when") or {}
    period = "—"
    if report.get("period_start"):
        period = f"{report['period_start']} .. {report['period_end']}"
    rows: list[tuple[str, str]] = [
        ("File", f"<span class=\"mono\">{e(report.get('file'))}</span>"),
        ("SHA-256", f"<span class=\"mono\">{e(v.get('sha256') or load.get('sha256') or '—')}"
                    "</span>"),
        ("Size", f"{num(v.get('bytes'))} bytes ({(v.get('bytes') or 0) / 1e6:,.1f} MB) · "
                 f"{num(v.get('rows'))} rows" if v else "—"),
        ("Config", e(v.get("config") or "—")),
        ("Table", f"{e(report.get('table') or '—')}"
         + (f" on {e(report.get('target'))}" if report.get("target") else "")),
        ("Period", e(period)),
        ("Job", f"{e(report.get('job_id') or '—')} ({e(report.get('kind'))})"),
    ]
    if load:
        rows.append(("Load", f"{e(load.get('load_id') or '—')} · mode {e(load.get('mode') or '—')}"
                     f" · ledger state {e(load.get('state'))}"))
        rows.append(("Query ids", "<span class=\"mono\">"
                     + (e(", ".join(load.get("query_ids") or [])) or "—") + "</span>"))
    rows += [
        ("Run by", f"{e(who.get('user'))}@{e(who.get('host'))}"),
        ("Started", e(when.get("started") or "—")),
        ("Finished", e(when.get("finished") or "—")),
    ]
    body = "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in rows)
    return f'<section id="summary"><h2>Summary</h2><dl class="facts">{body}</dl></section>'


def _chart_section(report: dict[str, Any]) -> str:
    v = report.get("validation") or {}
    checks = _checks(report)
    cal = checks.get("calendar") or {}
    missing = list((cal.get("data") or {}).get("missing_days") or [])
    anom = checks.get("anomalies") or {}
    anomalies = dict((anom.get("data") or {}).get("days") or {})
    unexpected = [ex["value"] for ex in (checks.get("unexpected_days") or {}).get("examples", [])
                  if ex.get("value")]
    median = (anom.get("data") or {}).get("median")
    chart = per_day_chart(v.get("per_day") or {}, period_start=report.get("period_start"),
                          period_end=report.get("period_end"), missing=missing,
                          anomalies=anomalies, unexpected=unexpected, median=median)
    notes: list[str] = []
    if missing:
        days = ", ".join(f"{d} ({date.fromisoformat(d):%A})" for d in missing)
        notes.append(f'<li class="fail-text"><strong>✗ Missing days ({len(missing)}):</strong> '
                     f'<span id="missing-days">{e(days)}</span></li>')
    if anomalies:
        listed = ", ".join(f"{d} ({k})" for d, k in sorted(anomalies.items()))
        notes.append(f"<li><strong>! Anomalous days ({len(anomalies)}):</strong> {e(listed)}"
                     "</li>")
    period = checks.get("period") or {}
    if period.get("status") == "FAIL":
        notes.append(f"<li><strong>✗ Outside the period:</strong> {e(period.get('message'))}</li>")
    if unexpected:
        notes.append(f"<li><strong>Rows on days that need none:</strong> "
                     f"{e(', '.join(unexpected))}</li>")
    if not notes and v.get("per_day"):
        notes.append("<li>Every expected day has rows; no anomalous day.</li>")
    caption = (f"<figcaption>{LEGEND}<ul>{''.join(notes)}</ul></figcaption>" if v.get("per_day")
               or missing else "")
    return (f'<section id="per-day"><h2>Rows per day</h2><figure>{chart}{caption}</figure>'
            "</section>")


def _findings(report: dict[str, Any]) -> str:
    v = report.get("validation")
    if not v:
        return ('<section id="findings"><h2>Findings</h2><p class="muted">The file was not '
                "validated: the job stopped before the read.</p></section>")
    return _checks_table(v, "findings", "Findings")


def _warehouse(report: dict[str, Any]) -> str:
    """The in-warehouse report of the loaded period (config ``warehouse_checks``): the same
    checks as the file's, run as SQL on the rows in the table after the COPY."""
    w = report.get("warehouse_report")
    if not w:
        return ""
    return _checks_table(w, "warehouse-checks",
                         "Warehouse checks of the loaded period", table_id="warehouse-table")


def _checks_table(v: dict[str, Any], section: str, title: str,
                  table_id: str = "findings-table") -> str:
    """A report's checks: failures and warnings with examples first, passed ones listed."""
    order = {"FAIL": 0, "WARN": 1, "PASS": 2}
    checks = sorted(v.get("checks", []), key=lambda c: order.get(c.get("status"), 3))
    bad = [c for c in checks if c.get("status") != "PASS"]
    good = [c for c in checks if c.get("status") == "PASS"]
    rows = []
    for c in bad:
        examples = c.get("examples") or []
        items = "".join(f"<li>{_example(x)}</li>" for x in examples[:10])
        more = f"<li class=\"muted\">… {len(examples) - 10} more in the JSON report</li>" \
            if len(examples) > 10 else ""
        rows.append(
            f'<tr class="check" data-check="{e(c["name"])}"><td>{status_badge(c["status"])}</td>'
            f'<td><code>{e(c["name"])}</code></td><td class="num">{num(c.get("count"))}</td>'
            f"<td>{e(c.get('message'))}"
            + (f'<ul class="examples">{items}{more}</ul>' if items else "") + "</td></tr>")
    table = (
        f'<table id="{table_id}"><thead><tr><th>Status</th><th>Check</th>'
        '<th class="num">Count</th><th>Finding and examples (line numbers count the header)'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows else '<p class="pass-text">✓ No finding: every check passed.</p>'
    )
    passed = ", ".join(f"✓ {e(c['name'])}" for c in good)
    return (f'<section id="{section}"><h2>{e(title)} ({len(bad)} of {len(checks)} checks)'
            f"</h2>{table}<p class=\"muted\">Passed: {passed or '—'}</p></section>")


def _schema(report: dict[str, Any]) -> str:
    v = report.get("validation")
    if not v:
        return ""
    header = _checks(report).get("header") or {}
    fmt = v.get("format") or {}
    delim = fmt.get("delimiter")
    delim_name = {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}.get(delim, delim)
    facts = [("Header check", f"{status_badge(header.get('status', 'PASS'))} "
                              f"{e(header.get('message', '—'))}"),
             ("Delimiter", e(delim_name or "—")), ("Quote", e(fmt.get("quote") or "none")),
             ("Header row", e("yes" if fmt.get("header") else "no")),
             ("Encoding", e(fmt.get("encoding") or "—")),
             ("Compression", e(fmt.get("codec") or "none")),
             ("Byte-order mark", e("yes" if fmt.get("bom") else "no"))]
    for ex in header.get("examples") or []:
        facts.append(("Header found", f"<code>{e(ex.get('value'))}</code>"))
    cols = "".join(f"<li><code>{e(c)}</code></li>" for c in v.get("columns") or [])
    return ('<section id="schema"><h2>Columns and format</h2><dl class="facts">'
            + "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in facts)
            + f"</dl><p>{len(v.get('columns') or [])} columns, in file order:</p>"
            f'<ol class="cols">{cols}</ol></section>')


def _duplicates(report: dict[str, Any]) -> str:
    if not report.get("validation"):
        return ""
    c = _checks(report).get("duplicates")
    if c is None:
        return ('<section id="duplicates"><h2>Duplicate keys</h2><p class="muted">No key '
                "configured (duplicate_key_columns): duplicates were not checked.</p></section>")
    data = c.get("data") or {}
    if c.get("status") == "PASS":
        return (f'<section id="duplicates"><h2>Duplicate keys</h2><p>{status_badge("PASS")} '
                f"{e(c.get('message'))}</p></section>")
    rows = "".join(
        f'<tr><td><code class="dup-key">{e(x.get("value"))}</code></td>'
        f"<td>{e(x.get('detail'))}</td></tr>" for x in c.get("examples") or [])
    keys = ", ".join(data.get("key_columns") or [])
    return (
        f'<section id="duplicates"><h2>Duplicate keys</h2><p>{status_badge(c["status"])} '
        f"<strong>{num(data.get('duplicate_keys'))}</strong> keys ({e(keys)}) occur more than "
        f"once; <strong>{num(data.get('excess_rows'))}</strong> excess rows.</p>"
        f'<table id="duplicates-table"><thead><tr><th>Key ({e(keys)})</th><th>Rows and lines'
        f"</th></tr></thead><tbody>{rows}</tbody></table></section>")


def _reconciliation(report: dict[str, Any]) -> str:
    rec = report.get("reconciliation")
    if rec is None:
        return ('<section id="reconciliation"><h2>Reconciliation</h2><p class="muted">Not '
                "applicable: a validation job loads nothing.</p></section>")
    status = {"ok": "PASS", "failed": "FAIL"}.get(rec.get("status"), "WARN")
    word = {"ok": "matches", "failed": "does not match", "not_run": "not run"}.get(
        rec.get("status"), rec.get("status"))
    load = report.get("load") or {}
    parts = load.get("part_list") or []
    part_rows = "".join(
        f"<tr><td class=\"mono\">{e(p['name'])}</td><td class=\"num\">{num(p['bytes'])}</td>"
        f"<td class=\"num\">{num(p['rows'])}</td><td>{e(p['state'])}</td></tr>" for p in parts)
    parts_html = (
        f"<p>{num(load.get('parts'))} parts:</p><table><thead><tr><th>Part</th>"
        '<th class="num">Bytes</th><th class="num">Rows</th><th>State</th></tr></thead>'
        f"<tbody>{part_rows}</tbody></table>" if parts else
        f"<p class=\"muted\">{num(load.get('parts'))} part(s) copied"
        + (" (the local target reads the file in place)" if not parts else "") + ".</p>")
    return (
        f'<section id="reconciliation"><h2>Reconciliation</h2><p>{status_badge(status)} '
        f"{e(word)} — {e(rec.get('message'))}</p><table><thead><tr><th>Rows validated</th>"
        '<th class="num">Rows parsed</th><th class="num">Rows loaded</th></tr></thead><tbody>'
        f"<tr><td class=\"num\">{num(rec.get('rows_validated'))}</td>"
        f"<td class=\"num\">{num(rec.get('rows_parsed'))}</td>"
        f"<td class=\"num\">{num(rec.get('rows_loaded'))}</td></tr></tbody></table>"
        f"{parts_html}</section>")


def _timings(report: dict[str, Any]) -> str:
    t = report.get("timings") or {}
    steps: dict[str, float] = t.get("steps") or {}
    longest = max(steps.values(), default=0.0) or 1.0
    rows = "".join(
        f"<tr><td>{e(name)}</td><td class=\"num\">{secs:,.3f} s</td><td>"
        f'<span class="tbar" style="width:{max(1.0, 240 * secs / longest):.0f}px"></span></td>'
        "</tr>" for name, secs in steps.items())
    speed = []
    if t.get("read_mb_per_s") is not None:
        speed.append(f"read and validated at <strong>{t['read_mb_per_s']:,} MB/s</strong>")
    if t.get("rows_per_s") is not None:
        speed.append(f"{num(t['rows_per_s'])} rows/s")
    speed.append(f"total {float(t.get('total_seconds') or 0):,.2f} s")
    return (f'<section id="timings"><h2>Timings and throughput</h2><p>{" · ".join(speed)}</p>'
            '<table><thead><tr><th>Step</th><th class="num">Seconds</th><th>Share</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></section>")


def render_job_html(report: dict[str, Any]) -> str:
    """The whole page for one job report (see ``build_job_report``)."""
    title = f"{(report.get('verdict') or report.get('outcome') or '').upper()} · " \
            f"{report.get('file_name') or 'report'}"
    error = report.get("error")
    parts = [
        f"<h1>{e(report.get('file_name') or 'Job report')}</h1>",
        _banner(report),
        f'<p class="error" id="error">{e(error)}</p>' if error else "",
        _facts(report),
        _chart_section(report),
        _findings(report),
        _schema(report),
        _duplicates(report),
        _reconciliation(report),
        _warehouse(report),
        _timings(report),
        f"<footer>snowetl-tui {e(report.get('tool_version'))} · job report version "
        f"{e(report.get('job_report_version'))} · generated {e(report.get('generated_at'))} · "
        "the JSON report next to this file has every example</footer>",
    ]
    return page(title, "\n".join(p for p in parts if p))
