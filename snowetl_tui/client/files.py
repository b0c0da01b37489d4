"""What the Files view knows about a directory, computed without Textual and without ever
reading a whole data file.

Everything here runs in a worker thread of the TUI (or a test), never on the event loop:

* :func:`list_directory` — one ``scandir`` of the directory, one ``stat`` per entry, the config
  match of each name (:class:`ConfigRegistry`, loaded once and reused until ``configs/``
  changes) and the ledger's "already loaded" answer keyed by path + size + mtime, so a
  directory of 100 GB extracts lists as fast as one of empty files.
* :func:`preview_file` — the head of one file (the sniffer's 1 MB, decompressed), its detected
  format, its header checked against the config, the first rows, and the ledger record found
  by the quick fingerprint (size + head + tail hash; never the whole file).
* :func:`generate_config` / :func:`write_config` — a config for an unmatched file, written only
  when asked and never over an existing file.
* :func:`file_status` — the one status word + symbol per file, from engine jobs, the ledger and
  the match, shared by the table and the panel.

Heavy modules (pydantic models, the validation runner, DuckDB) are imported inside the
functions: the TUI imports this module at startup and must stay quick to start over SSH.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from snowetl_tui.errors import SnowetlError

if TYPE_CHECKING:
    from snowetl_tui.config.generate import Generated
    from snowetl_tui.config.registry import ConfigRegistry, MatchResult, Suggestion
    from snowetl_tui.load.ledger import LoadRecord
    from snowetl_tui.workspace import Workspace

PREVIEW_ROWS = 20
PREVIEW_CELL_CHARS = 60
DIR_COUNT_CAP = 10_000
SORT_KEYS: tuple[str, ...] = ("name", "size", "mtime")
ItemKind = Literal["parent", "dir", "file", "special", "broken", "error"]


# -- safe display of names -----------------------------------------------------------------------
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def safe_text(text: str) -> str:
    """``text`` with everything a terminal would act on made visible.

    File names are bytes chosen by whoever wrote the file: a newline would break the table row,
    an ESC sequence would drive the terminal, a bidi override would reverse what follows, and
    bytes that are not UTF-8 arrive as lone surrogates (``os.fsdecode``). Each of those becomes
    a visible escape (``\\n``, ``\\e``, ``\\x9f``, ``\\u202e``); everything else is kept.
    """
    if text.isprintable():  # the common case, at C speed (listing 10k names stays cheap)
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # a raw byte os.fsdecode could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif unicodedata.category(ch) in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


# -- configs and ledger, loaded once per listing --------------------------------------------
@dataclass(frozen=True)
class Configs:
    """The workspace's configs as of ``signature``; ``error`` when one of them is broken."""

    registry: ConfigRegistry | None
    error: str | None
    signature: tuple[Any, ...]


def configs_signature(ws: Workspace) -> tuple[Any, ...]:
    """Names, sizes and mtimes of everything in ``configs/`` (holiday files too): a change in
    any of them means the registry must be reloaded. One ``scandir``, no file is opened."""
    try:
        with os.scandir(ws.configs_dir) as it:
            entries = []
            for e in it:
                try:
                    st = e.stat()
                except OSError:
                    continue
                entries.append((e.name, st.st_size, st.st_mtime_ns))
    except OSError:
        return ()
    return tuple(sorted(entries))


def load_configs(ws: Workspace, previous: Configs | None = None) -> Configs:
    """The registry, reused from ``previous`` unless ``configs/`` changed since."""
    sig = configs_signature(ws)
    if previous is not None and previous.signature == sig:
        return previous
    from snowetl_tui.config.registry import ConfigRegistry

    try:
        return Configs(ConfigRegistry.load(ws), None, sig)
    except SnowetlError as exc:
        return Configs(None, str(exc), sig)


@dataclass(frozen=True)
class LoadedInfo:
    """A succeeded load of a file, as the ledger has it."""

    load_id: str
    table: str
    target: str
    rows: int | None
    finished_at: str | None
    period: str | None
    user: str
    by_content: bool = False  # found by fingerprint (same content, other path/mtime)

    @classmethod
    def from_record(cls, rec: LoadRecord, by_content: bool = False) -> LoadedInfo:
        period = None
        if rec.period_start and rec.period_end:
            period = rec.period_start if rec.period_start == rec.period_end else \
                f"{rec.period_start}..{rec.period_end}"
        return cls(rec.load_id, rec.table_name, rec.target, rec.rows_loaded,
                   rec.finished_at or rec.updated_at, period, rec.user, by_content)

    def date(self, tz: tzinfo | None = None) -> str:
        """The day of the load (``2026-11-27``) in ``tz`` (the app's clock zone)."""
        return local_date(self.finished_at, tz)

    def when(self, tz: tzinfo | None = None) -> str:
        """``2026-11-27 07:12`` in ``tz``."""
        return local_date(self.finished_at, tz, minutes=True)


def local_date(stamp: str | None, tz: tzinfo | None, *, minutes: bool = False) -> str:
    """An ISO timestamp as a day (or day and minute) in ``tz``."""
    if not stamp:
        return "?"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:16 if minutes else 10]
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return when.strftime("%Y-%m-%d %H:%M") if minutes else when.date().isoformat()


class LedgerIndex:
    """Succeeded loads keyed by (size, mtime_ns): finding a listed file's load costs a dict
    lookup — nothing is hashed while listing. A key hit counts when the recorded path (or, for
    a file moved with its mtime kept, the name) is the file's."""

    def __init__(self, records: Iterable[LoadRecord] = (), error: str | None = None) -> None:
        self.error = error
        self._by_key: dict[tuple[int, int], list[LoadRecord]] = {}
        for rec in records:
            self._by_key.setdefault((rec.size, rec.mtime_ns), []).append(rec)

    @classmethod
    def load(cls, ws: Workspace) -> LedgerIndex:
        """Succeeded loads of the workspace (none if it has no store yet: we never create one
        just to look)."""
        if not ws.store_path.exists():
            return cls()
        from snowetl_tui.load.ledger import HOLDING_STATES, Ledger

        try:
            return cls(Ledger(ws.store_path).loads(states=HOLDING_STATES))
        except (SnowetlError, OSError) as exc:
            return cls(error=f"ledger unreadable: {exc}")
        except Exception as exc:  # sqlite3 errors other than DatabaseError
            return cls(error=f"ledger unreadable: {type(exc).__name__}: {exc}")

    def lookup(self, real_path: str, name: str, size: int, mtime_ns: int) -> LoadRecord | None:
        found = self._by_key.get((size, mtime_ns))
        if not found:
            return None
        for rec in reversed(found):  # newest last in the ledger's order
            if rec.file == real_path:
                return rec
        for rec in reversed(found):
            if rec.file_name == name:
                return rec
        return None


# -- listing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileItem:
    """One row of the Files view."""

    name: str
    path: Path
    kind: ItemKind
    size: int | None = None
    mtime_ns: int | None = None
    link_target: str | None = None
    error: str | None = None
    match: MatchResult | None = None
    loaded: LoadedInfo | None = None

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".") and self.kind != "parent"

    @property
    def is_dir(self) -> bool:
        return self.kind in ("dir", "parent")

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def matched(self) -> bool:
        return self.match is not None and self.match.matched

    @property
    def period_label(self) -> str:
        if self.match is None or self.match.period is None:
            return ""
        return self.match.period.label()

    @property
    def table(self) -> str:
        return self.match.entry.table if self.match and self.match.entry else ""

    @property
    def target(self) -> str | None:
        return self.match.entry.target if self.match and self.match.entry else None


def parent_item(path: Path) -> FileItem | None:
    """The ``..`` row (None at the root)."""
    parent = path.parent
    return None if parent == path else FileItem("..", parent, "parent")


@dataclass(frozen=True)
class Listing:
    """A directory as listed, with the configs and ledger used for its rows."""

    path: Path
    items: tuple[FileItem, ...]
    configs: Configs
    error: str | None = None
    ledger_error: str | None = None
    dir_mtime_ns: int | None = None


def _os_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory (moved or deleted?)"
    if isinstance(exc, NotADirectoryError):
        return "not a directory"
    return exc.strerror or type(exc).__name__


def describe_os_error(path: Path | str, exc: OSError, doing: str = "cannot read") -> str:
    """One line for an OS error: what, where, why — never a traceback."""
    return f"{doing} {safe_text(str(path))}: {_os_error(exc)}"


def _special_kind(mode: int) -> str:
    for test, word in ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device")):
        if test(mode):
            return word
    return "special file"


def _item(entry: os.DirEntry[str], directory: Path) -> FileItem:
    path = directory / entry.name
    link: str | None = None
    try:
        if entry.is_symlink():
            try:
                link = os.readlink(entry.path)
            except OSError:
                link = "?"
        try:
            st = entry.stat()  # follows symlinks: a link to a file lists as that file
        except FileNotFoundError:
            if link is not None:
                return FileItem(entry.name, path, "broken", link_target=link,
                                error=f"broken symbolic link → {safe_text(link)}")
            return FileItem(entry.name, path, "error", error="vanished while listing")
    except OSError as exc:
        return FileItem(entry.name, path, "error", link_target=link, error=_os_error(exc))
    if stat.S_ISDIR(st.st_mode):
        return FileItem(entry.name, path, "dir", None, st.st_mtime_ns, link)
    if stat.S_ISREG(st.st_mode):
        return FileItem(entry.name, path, "file", st.st_size, st.st_mtime_ns, link)
    return FileItem(entry.name, path, "special", None, st.st_mtime_ns, link,
                    error=f"{_special_kind(st.st_mode)}: not a regular file, nothing is read")


def list_directory(path: Path, ws: Workspace, configs: Configs | None = None,
                   ledger: LedgerIndex | None = None) -> Listing:
    """Every entry of ``path`` (hidden ones too; the view filters), each file matched against
    the configs and looked up in the ledger. Errors become :attr:`Listing.error`."""
    configs = load_configs(ws, configs)
    try:
        dir_mtime = os.stat(path).st_mtime_ns
        with os.scandir(path) as it:
            raw = list(it)
    except OSError as exc:
        return Listing(path, (), configs, describe_os_error(path, exc, "cannot list"))
    ledger = ledger if ledger is not None else LedgerIndex.load(ws)
    real_dir = os.path.realpath(path)
    items: list[FileItem] = []
    for entry in raw:
        item = _item(entry, path)
        if item.kind == "file":
            # no ranked suggestions here (difflib per pattern): the panel asks for them for
            # the one file under the cursor
            match = configs.registry.match(item.path, suggest=False) if configs.registry \
                else None
            real = os.path.realpath(item.path) if item.link_target is not None else \
                os.path.join(real_dir, item.name)
            rec = ledger.lookup(real, item.name, item.size or 0, item.mtime_ns or 0)
            item = replace(item, match=match,
                           loaded=LoadedInfo.from_record(rec) if rec else None)
        items.append(item)
    return Listing(path, tuple(items), configs, None, ledger.error, dir_mtime)


def directory_signature(path: Path, ws: Workspace) -> tuple[Any, ...]:
    """What, if changed, means the listing is stale: the directory's mtime (entries added,
    removed, renamed) and the configs (matches change). Two stats and a small scandir."""
    try:
        mtime: int | None = os.stat(path).st_mtime_ns
    except OSError:
        mtime = None
    return (mtime, configs_signature(ws))


def arrange(items: Iterable[FileItem], *, sort: str = "name", reverse: bool = False,
            show_hidden: bool = False, filter_text: str = "") -> list[FileItem]:
    """Visible rows in order: directories first, then files by ``sort``; a filter is a
    case-insensitive substring, or a glob when it holds ``*``, ``?`` or ``[``."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}; expected one of {', '.join(SORT_KEYS)}")
    needle = filter_text.strip().casefold()
    is_glob = any(c in needle for c in "*?[")
    kept: list[FileItem] = []
    for item in items:
        if item.kind == "parent":
            continue
        if item.hidden and not show_hidden:
            continue
        name = item.name.casefold()
        if needle and not (fnmatch.fnmatchcase(name, needle) if is_glob else needle in name):
            continue
        kept.append(item)

    def key(item: FileItem) -> tuple[Any, ...]:
        if sort == "size":
            return (item.size if item.size is not None else -1, item.name.casefold())
        if sort == "mtime":
            return (item.mtime_ns or 0, item.name.casefold())
        return (item.name.casefold(), item.name)

    dirs = sorted((i for i in kept if i.is_dir), key=key, reverse=reverse)
    files = sorted((i for i in kept if not i.is_dir), key=key, reverse=reverse)
    return dirs + files


# -- status ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileStatus:
    """A status word with its symbol (colour is decoration the table adds by ``key``)."""

    key: str
    symbol: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.symbol} {self.text}" if self.symbol else self.text


_ACTIVE = ("running", "queued", "paused")


def file_status(item: FileItem, jobs: Sequence[dict[str, Any]] = (), *,
                configs_error: bool = False, tz: tzinfo | None = None) -> FileStatus:
    """One status per row. Precedence: a job in flight, then the ledger (data is in the
    warehouse), then the last job's failure or validation, then whether a config matches.
    ``jobs`` are the file's engine jobs, newest first."""
    if item.kind == "parent":
        return FileStatus("parent", "▴", "parent")
    if item.kind == "dir":
        return FileStatus("dir", "▸", "directory")
    if item.kind == "broken":
        return FileStatus("broken", "✗", "broken link")
    if item.kind == "special":
        return FileStatus("special", "–", "not a file")
    if item.kind == "error":
        return FileStatus("error", "✗", "unreadable")
    for job in jobs:
        state = job.get("state")
        if state in _ACTIVE:
            if state == "running":
                pct = f" {float(job.get('progress') or 0) * 100:.0f}%"
                word = "validating" if job.get("kind") == "validate" else "running"
                return FileStatus("running", "▶", word + pct)
            if state == "queued":
                return FileStatus("queued", "◌", "queued" if job.get("kind") != "validate"
                                  else "queued (validate)")
            return FileStatus("paused", "‖", "paused")
    if item.loaded is not None:
        return FileStatus("loaded", "✓", f"loaded on {item.loaded.date(tz)}")
    latest = jobs[0] if jobs else None
    if latest is not None:
        kind = latest.get("kind")
        if latest.get("state") == "succeeded" and kind == "load":
            return FileStatus("loaded", "✓", f"loaded on {local_date(latest.get('finished'), tz)}")
        if latest.get("state") == "failed":
            return FileStatus("failed", "✗", f"{kind} failed")
        if latest.get("state") == "succeeded" and kind == "validate":
            return FileStatus("validated", "✓", "validated")
    if configs_error:
        return FileStatus("config-error", "!", "configs invalid")
    if not item.matched:
        return FileStatus("unmatched", "?", "not matched")
    return FileStatus("ready", "○", "ready")


# -- the head of one file --------------------------------------------------------------------------
@dataclass(frozen=True)
class HeaderCheck:
    """The header against the config's columns: ``PASS`` / ``WARN`` / ``FAIL`` and why."""

    verdict: str
    message: str


@dataclass(frozen=True)
class Preview:
    """What the panel shows beyond the listing, for one file: read from its head only."""

    path: Path
    error: str | None = None
    format_text: str = ""
    header: HeaderCheck | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    head_complete: bool = False
    loaded: LoadedInfo | None = None
    notes: tuple[str, ...] = ()
    entries: int | None = None  # for a directory: how many entries (capped)
    entries_capped: bool = False
    suggestions: tuple[Suggestion, ...] = ()  # closest configs of an unmatched file, and why


_DELIMITER_NAMES = {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}


def _format_text(fmt: Any) -> str:
    """``TSV · tab · no quoting · header · utf-8 · LF`` from a sniffed FileFormat."""
    kind = {"\t": "TSV", ",": "CSV"}.get(fmt.delimiter, "delimited")
    parts = [kind, _DELIMITER_NAMES.get(fmt.delimiter, repr(fmt.delimiter))]
    parts.append(f"quote {fmt.quote}" if fmt.quote else "no quoting")
    parts.append("header" if fmt.header else "no header")
    parts.append(fmt.encoding + (" with BOM" if fmt.bom else ""))
    parts.append("CRLF" if fmt.crlf else "LF")
    if fmt.codec != "none":
        parts.append(fmt.codec)
    return " · ".join(parts)


def _cell(value: str) -> str:
    text = safe_text(value)
    if len(text) > PREVIEW_CELL_CHARS:
        text = text[: PREVIEW_CELL_CHARS - 1] + "…"
    return text


def _head_rows(path: Path, fmt: Any, limit: int) -> list[list[str]]:
    """The first ``limit`` records after the header, parsed like the loader would."""
    import csv
    import io

    from snowetl_tui.data.compression import read_head

    head, _ = read_head(path, min(256 << 10, max(4096, limit * 64 << 10)))
    body = head[fmt.data_start:]
    text = body.decode(fmt.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter,
                        quotechar=fmt.quote or '"',
                        quoting=csv.QUOTE_MINIMAL if fmt.quote else csv.QUOTE_NONE, strict=False)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row:
                continue
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass  # a malformed record in the head: show the rows before it
    return rows


def count_entries(path: Path, cap: int = DIR_COUNT_CAP) -> tuple[int, bool]:
    """Entries of a directory, counting at most ``cap`` (a huge directory stays cheap)."""
    n = 0
    with os.scandir(path) as it:
        for _ in it:
            n += 1
            if n >= cap:
                return n, True
    return n, False


def preview_file(path: Path, match: MatchResult | None = None, ws: Workspace | None = None,
                 *, registry: ConfigRegistry | None = None, rows: int = PREVIEW_ROWS,
                 fingerprint: bool = True) -> Preview:
    """Sniff the head of ``path`` (1 MB at most, decompressed), check its header against the
    matching config, parse the first ``rows`` records and, with ``fingerprint``, look its quick
    fingerprint (size + 1 MB head + 1 MB tail) up in the ledger; for an unmatched file, rank
    the closest configs of ``registry``. Never reads the whole file; never opens anything that
    is not a regular file (a named pipe would block forever)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return Preview(path, error=describe_os_error(path, exc))
    if stat.S_ISDIR(st.st_mode):
        try:
            n, capped = count_entries(path)
        except OSError as exc:
            return Preview(path, error=describe_os_error(path, exc, "cannot list"))
        return Preview(path, entries=n, entries_capped=capped)
    if not stat.S_ISREG(st.st_mode):
        return Preview(path, error=f"{_special_kind(st.st_mode)}: not a regular file, "
                                   "nothing is read")
    from snowetl_tui.data.sniff import sniff_file

    suggestions: tuple[Suggestion, ...] = ()
    if match is not None and not match.matched and registry is not None:
        suggestions = registry.match(path).suggestions
    entry = match.entry if match is not None else None
    try:
        fmt = sniff_file(path, entry.spec if entry is not None else None)
    except SnowetlError as exc:
        return Preview(path, error=str(exc), suggestions=suggestions)
    except OSError as exc:
        return Preview(path, error=describe_os_error(path, exc), suggestions=suggestions)
    notes: list[str] = []
    header = _check_header(fmt, entry.spec.column_names if entry is not None else None)
    if fmt.header_fields:
        columns = [f.strip() for f in fmt.header_fields]
    elif entry is not None and entry.spec.column_names:
        columns = list(entry.spec.column_names)
    else:
        columns = [f"COL{i + 1}" for i in range(len(fmt.first_fields))]
    try:
        parsed = _head_rows(path, fmt, rows)
    except SnowetlError as exc:
        parsed = []
        notes.append(str(exc))
    width = max([len(columns), *(len(r) for r in parsed)]) if parsed or columns else 0
    columns += [f"COL{i + 1}" for i in range(len(columns), width)]
    ragged = sum(1 for r in parsed if len(r) != len(columns))
    if ragged:
        notes.append(f"{ragged} of the first {len(parsed)} rows have a different number of "
                     f"fields than the {len(columns)} columns")
    loaded = None
    if fingerprint and ws is not None:
        loaded = _loaded_by_fingerprint(path, match, ws, notes)
    return Preview(
        path,
        format_text=_format_text(fmt),
        header=header,
        columns=tuple(_cell(c) for c in columns),
        rows=tuple(tuple(_cell(v) for v in r) + ("",) * (width - len(r)) for r in parsed),
        head_complete=fmt.head_complete,
        loaded=loaded,
        notes=tuple(notes),
        suggestions=suggestions,
    )


def _check_header(fmt: Any, names: list[str] | None) -> HeaderCheck:
    # The same comparison (and words) validation uses, so the panel never disagrees with it.
    from snowetl_tui.validate.runner import _header_check

    check = _header_check(fmt, names)
    return HeaderCheck(check.status, safe_text(check.message))


def _loaded_by_fingerprint(path: Path, match: MatchResult | None, ws: Workspace,
                           notes: list[str]) -> LoadedInfo | None:
    """The ledger's succeeded load of this content into the matched table, if any."""
    if match is None or match.entry is None or not ws.store_path.exists():
        return None
    from snowetl_tui.load.ledger import Ledger
    from snowetl_tui.load.pipeline import quick_fingerprint

    try:
        size, _, quick = quick_fingerprint(path)
        rec = Ledger(ws.store_path).loaded_same_file(match.entry.target, match.entry.table,
                                                     quick_hash=quick, size=size)
    except OSError as exc:
        notes.append(describe_os_error(path, exc, "cannot fingerprint"))
        return None
    except Exception as exc:  # sqlite3 / store errors: say so, keep the preview
        notes.append(f"ledger unreadable: {exc}")
        return None
    if rec is None:
        return None
    return LoadedInfo.from_record(rec, by_content=rec.file != os.path.realpath(path))


# -- config generation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GeneratedConfig:
    """A generated config, not yet written: its text and where it would go."""

    source: Path
    filename: str
    text: str
    target: Path
    exists: bool
    tables: tuple[str, ...] = field(default_factory=tuple)


def generate_config(path: Path, ws: Workspace) -> GeneratedConfig:
    """Sniff the head of ``path`` (config/generate.py: 4 MB at most) and build its config.
    Raises :class:`SnowetlError` with one line when it cannot."""
    from snowetl_tui.config.generate import generate

    try:
        st = os.stat(path)
    except OSError as exc:
        raise SnowetlError(describe_os_error(path, exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise SnowetlError(f"{safe_text(path.name)}: not a regular file")
    try:
        generated: Generated = generate([path], ws.configs_dir)[0]
    except OSError as exc:
        raise SnowetlError(describe_os_error(path, exc)) from None
    target = ws.configs_dir / generated.filename
    tables = tuple(e.get("table_name", "") for e in generated.config.get("files", []))
    return GeneratedConfig(path, generated.filename, generated.text(), target, target.exists(),
                           tables)


def write_config(gen: GeneratedConfig) -> Path:
    """Write the config; refuses to overwrite anything (exclusive create, so a config saved
    by someone else in the meantime is not clobbered either)."""
    try:
        gen.target.parent.mkdir(parents=True, exist_ok=True)
        with open(gen.target, "x", encoding="utf-8") as fh:
            fh.write(gen.text)
    except FileExistsError:
        raise SnowetlError(f"configs/{gen.filename} already exists; not overwritten (edit it, "
                           "or rename it first)") from None
    except OSError as exc:
        raise SnowetlError(describe_os_error(gen.target, exc, "cannot write")) from None
    return gen.target


def check_target(name: str) -> str | None:
    """None when ``name`` is a usable connection name, else why not (for the queue dialog)."""
    from snowetl_tui.config.types import check_connection_name

    try:
        check_connection_name(name)
    except ValueError as exc:
        return str(exc)
    return None
