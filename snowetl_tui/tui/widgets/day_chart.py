"""Rows per day of a file's period: one bar per day, missing and anomalous days marked.

A calendar gap or a day with a tenth of the usual rows is what an operator must see before a
load is trusted, and a bar chart shows it faster than a list. Marks are symbols explained in
words in a legend (``✗ missing``, ``! anomaly``), never colour alone. The chart lays itself out
for the width it gets: vertical bars two cells apart when they fit, packed side by side when
that fits, otherwise one line per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from snowetl_tui.client.job_info import DayCounts

BAR_ROWS = 6
VBLOCKS = " ▁▂▃▄▅▆▇█"
HBLOCKS = "▏▎▍▌▋▊▉█"
MARKS = {"missing": "✗", "anomaly": "!", "none": "·", "rows": " "}
#: style roles → Rich styles; the widget fills them from the theme
DEFAULT_STYLES = {"bar": "", "anomaly": "bold", "missing": "bold", "axis": "dim",
                  "title": "bold", "dim": "dim"}
LEGEND_DAYS = 6


def _count(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    return f"{n:,.0f}"


def _day(d: date) -> str:
    return f"{d:%m-%d %a}"


def _listing(days: list[date], extra: Mapping[date, str] | None = None) -> str:
    shown = [_day(d) + (f" {extra[d]}" if extra and d in extra else "")
             for d in days[:LEGEND_DAYS]]
    more = f" +{len(days) - LEGEND_DAYS} more" if len(days) > LEGEND_DAYS else ""
    return ", ".join(shown) + more


def title_line(data: DayCounts, styles: Mapping[str, str]) -> Text:
    t = Text(no_wrap=False)
    t.append("Rows per day", style=styles["title"])
    t.append(f"  {data.start} → {data.end}", style=styles["dim"])
    if data.median is not None:
        t.append(f" · median {_count(data.median)}", style=styles["dim"])
    if data.truncated:
        t.append(f" · first {len(data.days())} days shown", style=styles["dim"])
    return t


def legend(data: DayCounts, styles: Mapping[str, str]) -> list[Text]:
    """One line per kind of mark present, with the days it applies to."""
    days = data.days()
    lines: list[Text] = []
    missing = [d for d in days if data.mark(d) == "missing"]
    anomalies = [d for d in days if data.mark(d) == "anomaly"]
    quiet = [d for d in days if data.mark(d) == "none"]
    if missing:
        t = Text()
        t.append(f"{MARKS['missing']} missing", style=styles["missing"])
        t.append(f" (expected, no rows): {_listing(missing)}")
        lines.append(t)
    if anomalies:
        t = Text()
        t.append(f"{MARKS['anomaly']} anomaly", style=styles["anomaly"])
        labels = {d: f"{data.anomalies[d]} ({data.counts.get(d, 0):,} rows)" for d in anomalies}
        t.append(f": {_listing(anomalies, labels)}")
        lines.append(t)
    if quiet:
        lines.append(Text(f"{MARKS['none']} no rows, none expected (weekends, holidays)",
                          style=styles["dim"]))
    if not missing and not anomalies:
        lines.append(Text("✓ no missing or anomalous day"))
    return lines


def _cell_width(n_days: int, gutter: int, width: int) -> int:
    """2 (bar + gap), 1 (packed) or 0 (does not fit: one line per day)."""
    if gutter + 2 * n_days <= width:
        return 2
    if gutter + n_days <= width:
        return 1
    return 0


def chart_lines(data: DayCounts, width: int, styles: Mapping[str, str] | None = None,
                bar_rows: int = BAR_ROWS) -> list[Text]:
    """Every line of the chart for ``width`` cells (pure: tests call it directly)."""
    st = {**DEFAULT_STYLES, **(styles or {})}
    days = data.days()
    top = max([data.counts.get(d, 0) for d in days] + [1])
    top_label = _count(top)
    gutter = len(top_label) + 2
    cw = _cell_width(len(days), gutter, width)
    lines = [title_line(data, st)]
    if cw == 0:
        lines.extend(_horizontal(data, days, top, width, st))
    else:
        lines.extend(_vertical(data, days, top, top_label, gutter, cw, bar_rows, st))
    lines.extend(legend(data, st))
    return lines


def _vertical(data: DayCounts, days: list[date], top: int, top_label: str, gutter: int,
              cw: int, bar_rows: int, st: Mapping[str, str]) -> list[Text]:
    heights = []
    for d in days:
        n = data.counts.get(d, 0)
        eighths = round(n / top * bar_rows * 8) if n else 0
        heights.append(max(eighths, 1) if n else 0)  # a day with rows is never invisible
    out: list[Text] = []
    for row in range(bar_rows, 0, -1):
        t = Text(no_wrap=True)
        label = top_label if row == bar_rows else ""
        t.append(f"{label:>{gutter - 2}} {'┤' if row == bar_rows else '│'}", style=st["axis"])
        floor = (row - 1) * 8
        for d, h in zip(days, heights, strict=True):
            fill = min(max(h - floor, 0), 8)
            mark = data.mark(d)
            t.append(VBLOCKS[fill], style=st["anomaly"] if mark == "anomaly" else st["bar"])
            if cw == 2:
                t.append(" ")
        out.append(t)
    out.append(Text(f"{'0':>{gutter - 2}} └" + "─" * (len(days) * cw), style=st["axis"],
                    no_wrap=True))
    marks = Text(" " * gutter, no_wrap=True)
    for d in days:
        mark = data.mark(d)
        marks.append(MARKS[mark], style=st.get(mark, st["dim"]) if mark != "none" else st["dim"])
        if cw == 2:
            marks.append(" ")
    out.append(marks)
    out.append(Text(_axis_labels(days, gutter, cw), style=st["axis"], no_wrap=True))
    return out


def _axis_labels(days: list[date], gutter: int, cw: int) -> str:
    """Day-of-month numbers under their bars (1st, 5th, 10th … and the last day), skipping
    any that would touch the previous one."""
    line = [" "] * (gutter + len(days) * cw + 2)
    end = -1
    for i, d in enumerate(days):
        if not (d.day in (1, 5, 10, 15, 20, 25) or i == len(days) - 1 or i == 0):
            continue
        label = str(d.day) if d.day != 1 or i == 0 else f"{d:%b}"
        x = gutter + i * cw
        if x <= end + 1 or x + len(label) > len(line):
            continue
        line[x:x + len(label)] = list(label)
        end = x + len(label) - 1
    return "".join(line).rstrip()


def _horizontal(data: DayCounts, days: list[date], top: int, width: int,
                st: Mapping[str, str]) -> list[Text]:
    label_w = len(_count(top))
    bar_w = max(width - 10 - label_w - 2 - 12, 4)
    out: list[Text] = []
    for d in days:
        n = data.counts.get(d, 0)
        mark = data.mark(d)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{_day(d)[:9]} ", style=st["axis"])
        eighths = round(n / top * bar_w * 8) if n else 0
        eighths = max(eighths, 1) if n else 0
        full, part = divmod(eighths, 8)
        bar = "█" * full + (HBLOCKS[part - 1] if part else "")
        t.append(f"{bar:<{bar_w}}", style=st["anomaly"] if mark == "anomaly" else st["bar"])
        t.append(f" {_count(n) if n else '-':>{label_w}}")
        if mark == "missing":
            t.append(f" {MARKS['missing']} missing", style=st["missing"])
        elif mark == "anomaly":
            t.append(f" {MARKS['anomaly']} {data.anomalies[d]}", style=st["anomaly"])
        out.append(t)
    return out


class DayChart(Widget):
    """The chart of the selected job; shows a note instead while there is nothing to draw."""

    DEFAULT_CSS = """
    DayChart { height: auto; width: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: DayCounts | None = None
        self.note = ""
        self.styles_map: dict[str, str] = dict(DEFAULT_STYLES)
        self._cache: tuple[int, list[Text]] | None = None

    def show(self, data: DayCounts | None, note: str = "") -> None:
        """Draw ``data`` (or ``note`` when there is none); no-op if nothing changed."""
        if data == self.data and note == self.note:
            return
        self.data, self.note = data, note
        self._cache = None
        self.refresh(layout=True)

    def set_styles(self, styles: Mapping[str, str]) -> None:
        self.styles_map = {**DEFAULT_STYLES, **styles}
        self._cache = None
        self.refresh()

    def lines(self, width: int) -> list[Text]:
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1]
        if self.data is None:
            lines = [Text("Rows per day", style=self.styles_map["title"]),
                     Text(self.note or "no per-day counts", style=self.styles_map["dim"])]
        else:
            lines = chart_lines(self.data, width, self.styles_map)
        self._cache = (width, lines)
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as bars two cells apart need (the panel beside it gets the rest)."""
        if self.data is None:
            return min(40, container.width)
        days = len(self.data.days())
        gutter = len(_count(max([*self.data.counts.values(), 1]))) + 2
        return min(max(gutter + 2 * days, 48), container.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        total = 0
        for line in self.lines(width):
            total += max(1, len(line.wrap(self.app.console, max(width, 1))))
        return total

    def render(self) -> Group:
        return Group(*self.lines(self.content_region.width or self.size.width))

    @property
    def plain(self) -> str:
        """The chart as text at its current width (tests assert on it)."""
        return "\n".join(t.plain for t in self.lines(self.content_region.width or 80))
