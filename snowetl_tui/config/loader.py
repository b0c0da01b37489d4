"""Loading config files with errors that name the file, the JSON path and the fix.

Loading is three passes, each reporting *every* problem it finds: JSON syntax (line and
column), the model (unknown keys with "did you mean", wrong types, missing keys), then
cross-checks the model cannot express (date column among the columns, holidays file present,
a plaintext password refused without ever echoing it).
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from snowetl_tui.config.model import LOCAL_TARGET, ConfigFile, FileEntry
from snowetl_tui.config.patterns import FilePattern, PatternError
from snowetl_tui.config.types import parse_iso_date
from snowetl_tui.errors import ConfigError, ConfigIssue

SECRET_KEYS = frozenset({"password", "private_key_passphrase", "token", "passcode"})


@dataclass(frozen=True)
class Entry:
    """A file entry of a loaded config, with its compiled pattern and resolved target."""

    config_path: Path
    index: int
    spec: FileEntry
    pattern: FilePattern
    target: str
    holidays: frozenset[Any]

    @property
    def json_path(self) -> str:
        return f"files[{self.index}]"

    @property
    def table(self) -> str:
        return self.spec.table_name


@dataclass(frozen=True)
class LoadedConfig:
    """One config file, validated."""

    path: Path
    model: ConfigFile
    entries: tuple[Entry, ...]


def json_path(loc: tuple[int | str, ...]) -> str:
    """``('files', 2, 'date_column')`` → ``files[2].date_column``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def parse_json(text: str, display: str) -> Any:
    """Parse JSON, turning syntax errors into an issue with line and column."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [
                ConfigIssue(
                    display,
                    f"line {exc.lineno}, column {exc.colno}",
                    f"invalid JSON: {exc.msg}",
                )
            ]
        ) from None
    except _DuplicateKey as dup:
        hits = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(
            r'"' + re.escape(dup.key) + r'"\s*:', text)]
        where = f"line {hits[-1]}" if hits else ""
        raise ConfigError(
            [ConfigIssue(display, where, f"duplicate key '{dup.key}' in the same object")]
        ) from None


def read_config_text(path: Path, display: str) -> str:
    """Read the file as UTF-8 (a BOM is tolerated), with one-line errors for the usual trouble."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(display, "", "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigIssue(display, "", "is a directory, not a config file")]) from None
    except PermissionError:
        raise ConfigError([ConfigIssue(display, "", "permission denied")]) from None
    except OSError as exc:
        raise ConfigError([ConfigIssue(display, "", f"cannot read: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [ConfigIssue(display, f"line {line}", "not UTF-8 text; save the config as UTF-8")]
        ) from None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The config model class inside ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = ConfigFile
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
    return model


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _issue_from_pydantic(err: Any, display: str) -> ConfigIssue:
    loc = tuple(err["loc"])
    path = json_path(loc)
    kind = err["type"]
    value = err.get("input")
    secret = any(isinstance(p, str) and p in SECRET_KEYS for p in loc) or (
        loc and loc[0] == "snowflake"
    )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        known = _keys_of(model) if model else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (
            f"; expected one of: {', '.join(known)}" if known else ""
        )
        return ConfigIssue(display, path, f"unknown key '{key}'{hint}")
    if kind == "missing":
        return ConfigIssue(display, path, f"missing required key '{loc[-1]}'")
    expected = {
        "string_type": "a string",
        "bool_type": "true or false",
        "int_type": "an integer",
        "float_type": "a number",
        "list_type": "a list",
        "model_type": "an object",
        "dict_type": "an object",
        "model_attributes_type": "an object",
    }.get(kind)
    if expected:
        return ConfigIssue(display, path, f"expected {expected}, got {_describe(value)}")
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if kind == "literal_error":
        msg = msg.replace("Input should be", "expected")
        if not secret and isinstance(value, str | int | float):
            msg += f", got {json.dumps(value)}"
    elif kind.startswith(("too_short", "greater_than", "less_than")):
        msg = msg.replace("Input should", "value should").replace("List should", "list should")
        if not secret and isinstance(value, int | float):
            msg += f", got {value}"
    return ConfigIssue(display, path, msg[:1].lower() + msg[1:] if msg else msg)


def _password_issue(raw: dict[str, Any], display: str, connections_hint: str) -> ConfigIssue | None:
    block = raw.get("snowflake")
    if not isinstance(block, dict):
        return None
    for key in SECRET_KEYS:
        value = block.get(key)
        if value not in (None, ""):
            return ConfigIssue(
                display,
                f"snowflake.{key}",
                f"a plaintext {key} is not accepted in a load config; move the connection into "
                f"Snowflake's connections.toml ({connections_hint}, mode 0600) with "
                f"`snowetl-tui config migrate {display}`, which then references it by name",
            )
    return None


def _cross_check(
    model: ConfigFile, display: str, configs_dir: Path | None
) -> tuple[list[ConfigIssue], list[Entry]]:
    issues: list[ConfigIssue] = []
    entries: list[Entry] = []
    patterns_seen: dict[str, int] = {}

    def add(path: str, message: str) -> None:
        issues.append(ConfigIssue(display, path, message))

    for i, e in enumerate(model.files):
        base = f"files[{i}]"
        pattern: FilePattern | None = None
        try:
            pattern = FilePattern(e.file_pattern)
        except PatternError as exc:
            add(f"{base}.file_pattern", str(exc))
        if e.file_pattern in patterns_seen:
            add(f"{base}.file_pattern", f"same pattern as files[{patterns_seen[e.file_pattern]}]")
        patterns_seen.setdefault(e.file_pattern, i)

        names = e.column_names
        if (
            e.columns is not None
            and e.expected_columns is not None
            and [c.name for c in e.columns] != e.expected_columns
        ):
            add(f"{base}.expected_columns", "differs from the names in columns; give one")
        if names is not None:
            if not names:
                add(f"{base}.{'columns' if e.columns is not None else 'expected_columns'}",
                    "needs at least one column")
            seen: dict[str, int] = {}
            key = "columns" if e.columns is not None else "expected_columns"
            for j, n in enumerate(names):
                if n.upper() in seen:
                    suffix = ".name" if e.columns is not None else ""
                    add(f"{base}.{key}[{j}]{suffix}", f"duplicate column '{n}'")
                seen.setdefault(n.upper(), j)

        def check_col(path: str, col: str, names: list[str] | None = names) -> None:
            if names is None or col in names:
                return
            close = difflib.get_close_matches(col, names, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
            add(path, f"'{col}' is not one of the columns ({shown}){hint}")

        if e.date_column is not None:
            check_col(f"{base}.date_column", e.date_column)
        elif e.date_format is not None:
            add(f"{base}.date_format", "date_format is given but date_column is not")
        for k, col in enumerate(e.duplicate_key_columns):
            check_col(f"{base}.duplicate_key_columns[{k}]", col)
        if len(set(e.duplicate_key_columns)) != len(e.duplicate_key_columns):
            add(f"{base}.duplicate_key_columns", "a column is listed twice")
        if e.delimiter is not None and e.delimiter == e.quote_char:
            add(f"{base}.quote_char", "must differ from the delimiter")

        holidays: set[Any] = set()
        for k, h in enumerate(e.calendar.holidays):
            try:
                holidays.add(parse_iso_date(h))
            except ValueError as exc:
                add(f"{base}.calendar.holidays[{k}]", str(exc))
        if e.calendar.holidays_file is not None:
            holidays |= _read_holidays(
                e.calendar.holidays_file, configs_dir, f"{base}.calendar.holidays_file", add
            )
        rule_names: set[str] = set()
        for k, r in enumerate(e.rules):
            if r.name in rule_names:
                add(f"{base}.rules[{k}].name", f"duplicate rule name '{r.name}'")
            rule_names.add(r.name)
            if r.kind == "aggregate" and r.min is None and r.max is None:
                add(f"{base}.rules[{k}]", "an aggregate rule needs min or max")
            if r.kind == "row" and (r.min is not None or r.max is not None):
                add(f"{base}.rules[{k}]", "min/max apply to aggregate rules only")
        if e.anomaly.low_pct < e.anomaly.severely_low_pct:
            add(f"{base}.anomaly.low_pct", "must be ≥ severely_low_pct")
        if e.load.create_table and e.columns is None:
            add(f"{base}.load.create_table", "needs `columns` (with types) to create the table")
        if e.load.mode == "replace_period" and pattern is not None and pattern.placeholder is None:
            add(f"{base}.load.mode", "replace_period needs a period placeholder in file_pattern")

        target = e.target or model.target or (
            f"config:{display}" if model.snowflake is not None else LOCAL_TARGET
        )
        if pattern is not None:
            entries.append(Entry(Path(display), i, e, pattern, target, frozenset(holidays)))
    return issues, entries


def _read_holidays(name: str, configs_dir: Path | None, path: str, add: Any) -> set[Any]:
    if "/" in name or "\\" in name or name.startswith("."):
        add(path, f"'{name}' must be a file name inside configs/")
        return set()
    if configs_dir is None:
        return set()
    file = configs_dir / name
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        add(path, f"holidays file '{name}' not found in {configs_dir}")
        return set()
    except (OSError, UnicodeDecodeError) as exc:
        add(path, f"cannot read holidays file '{name}': {exc}")
        return set()
    out: set[Any] = set()
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out.add(parse_iso_date(text))
        except ValueError as exc:
            add(path, f"{name} line {n}: {exc}")
    return out


def load_config(
    path: Path,
    *,
    display: str | None = None,
    configs_dir: Path | None = None,
    connections_hint: str = "~/.snowflake/connections.toml",
) -> LoadedConfig:
    """Load and fully check one config file; raises :class:`ConfigError` listing every issue."""
    display = display or str(path)
    text = read_config_text(path, display)
    raw = parse_json(text, display)
    return validate_config_data(
        raw,
        path=path,
        display=display,
        configs_dir=configs_dir if configs_dir is not None else path.parent,
        connections_hint=connections_hint,
    )


def validate_config_data(
    raw: Any,
    *,
    path: Path,
    display: str,
    configs_dir: Path | None,
    connections_hint: str = "~/.snowflake/connections.toml",
) -> LoadedConfig:
    """Check already-parsed JSON (also used by ``config generate`` before writing)."""
    if not isinstance(raw, dict):
        raise ConfigError(
            [ConfigIssue(display, "", f"expected a JSON object at the top, got {_describe(raw)}")]
        )
    issues: list[ConfigIssue] = []
    secret = _password_issue(raw, display, connections_hint)
    if secret is not None:
        issues.append(secret)
        raw = {**raw, "snowflake": {k: v for k, v in raw["snowflake"].items()
                                    if k not in SECRET_KEYS}}
    try:
        model = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        issues.extend(_issue_from_pydantic(err, display) for err in exc.errors())
        raise ConfigError(issues) from None
    more, entries = _cross_check(model, display, configs_dir)
    issues.extend(more)
    if issues:
        raise ConfigError(issues)
    entries = [
        Entry(path, e.index, e.spec, e.pattern, e.target, e.holidays) for e in entries
    ]
    return LoadedConfig(path, model, tuple(entries))
