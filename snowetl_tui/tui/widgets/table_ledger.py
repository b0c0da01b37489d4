"""The ledger as a grouped table: a row per target, per table under it, per load under that.

A DataTable rather than a Tree so the columns (rows, loaded at, job, file) line up and the
whole thing reads like ``snowetl-tui tables``. Rows are keyed (``target:…``, ``table:…``,
``load:<load id>``); a reload of the ledger updates the cells that changed and rebuilds only
when rows appear, vanish or move, keeping the cursor on the same load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from snowetl_tui.client.tables import LedgerSnapshot, PeriodRow, TableGroup

GROUP_TARGET, GROUP_TABLE, PERIOD = "target", "table", "load"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    right: bool = False


WIDE_COLUMNS = (Column("name", "TARGET / TABLE / PERIOD"), Column("rows", "ROWS", True),
                Column("loaded", "LOADED (UTC)"), Column("job", "JOB"), Column("user", "USER"),
                Column("file", "FILE"))
NARROW_COLUMNS = (Column("name", "TABLE / PERIOD"), Column("rows", "ROWS", True),
                  Column("loaded", "LOADED (UTC)"), Column("file", "FILE"))
#: Beside the details panel, which shows the file, job and user itself.
PANEL_COLUMNS = (Column("name", "TABLE / PERIOD"), Column("rows", "ROWS", True),
                 Column("loaded", "LOADED (UTC)"))
LAYOUTS = {"wide": WIDE_COLUMNS, "narrow": NARROW_COLUMNS, "panel": PANEL_COLUMNS}
STATE_COLUMN = Column("state", "STATE")
CELL_PADDING = 1  # DataTable's default, each side
SCROLLBAR = 2  # room kept for the vertical scrollbar
MIN_FILE_WIDTH = 12


def crop_middle(text: Text, width: int) -> Text:
    """``factLendingBe…20240131.tsv``: file names differ at their end (the period), so the
    middle goes first."""
    plain = text.plain
    if len(plain) <= width:
        return text
    if width <= 1:
        return Text("…", style=text.style)
    tail = (width - 1) * 3 // 5
    head = width - 1 - tail
    return Text(plain[:head] + "…" + plain[len(plain) - tail:], style=text.style)


def row_key(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


class LedgerTable(DataTable[Text]):
    """Row-cursor table of the ledger; ``enter`` asks for details (or folds a group)."""

    TITLE = "Ledger"  # the "where" of its keys in the help screen
    BINDINGS = [
        Binding("enter", "select_cursor", "Details", id="tables.details"),
        Binding("j", "cursor_down", "Down", show=False, id="tables.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tables.up"),
        Binding("g,home", "scroll_top", "First row", show=False, id="tables.top"),
        Binding("G,end", "scroll_bottom", "Last row", show=False, id="tables.bottom"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.columns_in_use: tuple[Column, ...] = ()
        self.widths_in_use: tuple[int, ...] = ()
        self.keys_in_order: list[str] = []
        self.collapsed: set[str] = set()

    # -- building -------------------------------------------------------------------------------
    def show(self, snap: LedgerSnapshot, *, layout: str, width: int,
             keep: str | None = None) -> None:
        """Render ``snap`` in ``layout`` (wide, narrow, panel) within ``width`` columns;
        update changed cells when the rows and widths stay the same, rebuild otherwise.

        Widths are computed here rather than left to the DataTable: it measures new rows only
        when idle, and a rebuild drawn before that shows columns as wide as their labels.
        """
        cols = LAYOUTS[layout]
        if snap.show_all:
            # beside the panel the state replaces the time (the panel shows it)
            cols = (*cols[:2], STATE_COLUMN) if layout == "panel" else \
                (*cols[:2], STATE_COLUMN, *cols[2:])
        wanted = self._rows(snap, cols)
        widths = self._widths(cols, wanted, width)
        wanted = [(key, [crop_middle(c, w) for c, w in zip(cells, widths, strict=True)]
                   if key.startswith(f"{PERIOD}:") else cells) for key, cells in wanted]
        keys = [k for k, _ in wanted]
        keep = keep or self.current_key()
        if (cols, widths) == (self.columns_in_use, self.widths_in_use) and \
                keys == self.keys_in_order:
            for key, cells in wanted:
                old = self.get_row(key)
                for col, new, before in zip(cols, cells, old, strict=True):
                    if new != before or new.style != before.style:
                        self.update_cell(key, col.key, new)
            return
        self.clear(columns=True)
        for col, w in zip(cols, widths, strict=True):
            self.add_column(Text(col.label, justify="right" if col.right else "left"),
                            key=col.key, width=w)
        self.columns_in_use, self.widths_in_use = cols, widths
        for key, cells in wanted:
            self.add_row(*cells, key=key)
        self.keys_in_order = keys
        if keep in keys:
            self.move_cursor(row=keys.index(keep), scroll=True)

    @staticmethod
    def _widths(cols: Sequence[Column], rows: list[tuple[str, list[Text]]], width: int
                ) -> tuple[int, ...]:
        """Each column as wide as its widest cell; the file column gets what is left (its
        names are cropped in the middle) but never less than MIN_FILE_WIDTH."""
        natural = [max([len(c.label)] + [cells[i].cell_len for _, cells in rows])
                   for i, c in enumerate(cols)]
        if cols[-1].key != "file":
            return tuple(natural)
        used = sum(w + 2 * CELL_PADDING for w in natural[:-1]) + 2 * CELL_PADDING + SCROLLBAR
        natural[-1] = min(natural[-1], max(MIN_FILE_WIDTH, width - used))
        return tuple(natural)

    def _rows(self, snap: LedgerSnapshot, cols: Sequence[Column]
              ) -> list[tuple[str, list[Text]]]:
        out: list[tuple[str, list[Text]]] = []
        for target in snap.targets():
            groups = [g for g in snap.groups if g.target == target]
            tkey = row_key(GROUP_TARGET, target)
            folded = tkey in self.collapsed
            rows = sum(g.rows for g in groups)
            out.append((tkey, self._cells(cols, {
                "name": Text(f"{'▸' if folded else '▾'} {target}", style="bold"),
                "rows": Text(f"{rows:,}", style="bold", justify="right"),
                "file": Text(f"{len(groups)} table{'s' if len(groups) != 1 else ''}",
                             style="dim"),
            })))
            if folded:
                continue
            for group in groups:
                out.extend(self._group_rows(group, cols))
        return out

    def _group_rows(self, group: TableGroup, cols: Sequence[Column]
                    ) -> list[tuple[str, list[Text]]]:
        gkey = row_key(GROUP_TABLE, group.key)
        folded = gkey in self.collapsed
        n = group.loaded_periods
        out = [(gkey, self._cells(cols, {
            "name": Text(f"  {'▸' if folded else '▾'} {group.table}", style="bold"),
            "rows": Text(f"{group.rows:,}", style="bold", justify="right"),
            "file": Text(f"{n} period{'s' if n != 1 else ''}", style="dim"),
        }))]
        if not folded:
            out.extend((row_key(PERIOD, p.key), self._period_cells(p, cols))
                       for p in group.periods)
        return out

    def _period_cells(self, p: PeriodRow, cols: Sequence[Column]) -> list[Text]:
        style = "" if p.loaded else "dim"
        rows = "-" if p.rows is None else f"{p.rows:,}"
        return self._cells(cols, {
            "name": Text(f"      {p.period_label}", style=style),
            "rows": Text(rows, style=style, justify="right"),
            "state": Text(p.state_label, style="" if p.loaded else "bold"),
            "loaded": Text(p.loaded_at, style=style),
            "job": Text(p.record.job_id or "-", style=style),
            "user": Text(p.record.user, style=style),
            "file": Text(p.record.file_name, style=style),
        })

    @staticmethod
    def _cells(cols: Sequence[Column], values: dict[str, Text]) -> list[Text]:
        return [values.get(c.key, Text("")) for c in cols]

    # -- reading --------------------------------------------------------------------------------
    def current_key(self) -> str | None:
        if not self.row_count or not 0 <= self.cursor_row < len(self.keys_in_order):
            return None
        return self.keys_in_order[self.cursor_row]

    def toggle(self, key: str) -> None:
        """Fold or unfold a target or table row (the caller re-renders)."""
        if key in self.collapsed:
            self.collapsed.discard(key)
        else:
            self.collapsed.add(key)
