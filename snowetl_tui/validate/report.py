"""The validation report: a versioned JSON document and a concise terminal rendering.

One document answers "may this file be loaded, and if not, exactly why": a verdict, and a list
of checks each with a status, a count, a message and capped examples that carry the line
number and byte offset, so an operator can jump straight to the bad row with ``sed -n Np``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from snowetl_tui import __version__

REPORT_VERSION = 1
Status = Literal["PASS", "WARN", "FAIL"]
_ORDER = {"PASS": 0, "WARN": 1, "FAIL": 2}
_SYMBOL = {"PASS": "✓", "WARN": "!", "FAIL": "✗"}
_STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red"}


@dataclass
class Example:
    """One offending row (or value)."""

    line: int | None = None
    byte_offset: int | None = None
    value: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Check:
    """One named check and its outcome."""

    name: str
    status: Status
    count: int
    message: str
    examples: list[Example] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "status": self.status,
            "count": self.count,
            "message": self.message,
            "examples": [e.as_dict() for e in self.examples],
        }
        if self.data:
            out["data"] = self.data
        return out


@dataclass
class Report:
    """Everything a validation found about one file."""

    file: str
    config: str | None
    table: str | None
    period_start: str | None
    period_end: str | None
    rows: int
    bytes: int
    seconds: float
    sha256: str
    checks: list[Check]
    per_day: dict[str, int]
    format: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )

    @property
    def verdict(self) -> Literal["pass", "warn", "fail"]:
        worst = max((_ORDER[c.status] for c in self.checks), default=0)
        return ("pass", "warn", "fail")[worst]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "FAIL"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "tool_version": __version__,
            "file": self.file,
            "config": self.config,
            "table": self.table,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "verdict": self.verdict,
            "rows": self.rows,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "mb_per_s": round(self.bytes / 1e6 / self.seconds, 1) if self.seconds > 0 else None,
            "sha256": self.sha256,
            "format": self.format,
            "columns": self.columns,
            "checks": [c.as_dict() for c in self.checks],
            "per_day": self.per_day,
            "created_at": self.created_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


def render(report: Report, *, show_passed: bool = False, max_examples: int = 3) -> RenderableType:
    """A concise view for the terminal: verdict line, then the checks that matter."""
    verdict = report.verdict.upper()
    status = {"PASS": "PASS", "WARN": "WARN", "FAIL": "FAIL"}[verdict]
    head = Text.assemble(
        (f"{_SYMBOL[status]} {verdict}", _STYLE[status]),
        f"  {report.file}",
        ("  → " + report.table if report.table else ""),
        (f"  [{report.period_start} .. {report.period_end}]" if report.period_start else ""),
    )
    speed = f"{report.bytes / 1e6 / report.seconds:,.0f} MB/s" if report.seconds > 0 else "-"
    sub = Text(
        f"  {report.rows:,} rows · {report.bytes / 1e6:,.1f} MB · {report.seconds:.2f} s · {speed}",
        style="dim",
    )
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column(width=1)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    shown = 0
    for c in report.checks:
        if c.status == "PASS" and not show_passed:
            continue
        shown += 1
        table.add_row(Text(_SYMBOL[c.status], _STYLE[c.status]), c.name, c.message)
        for ex in c.examples[:max_examples]:
            parts = [f"line {ex.line}" if ex.line is not None else "",
                     repr(ex.value) if ex.value is not None else "", ex.detail or ""]
            table.add_row("", "", Text("  " + " · ".join(p for p in parts if p), style="dim"))
    passed = sum(c.status == "PASS" for c in report.checks)
    parts: list[RenderableType] = [head, sub]
    if shown:
        parts.append(table)
    if not show_passed:
        parts.append(Text(f"  {passed} of {len(report.checks)} checks passed", style="dim"))
    return Group(*parts)
