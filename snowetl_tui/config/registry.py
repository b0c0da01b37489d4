"""All load configs of a workspace, and matching file names against them.

The registry is what the Files view, ``match``, ``validate`` and ``load`` ask "which config is
this file for, and what period is it?". A file matches the most specific pattern (most literal
characters); an unmatched file gets ranked suggestions, each with the reason it failed, so an
operator sees at once that ``orders_2024-13.tsv`` has a bad month rather than "no config".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snowetl_tui.config.loader import Entry, LoadedConfig, load_config
from snowetl_tui.config.patterns import Period, PeriodError
from snowetl_tui.errors import ConfigError, ConfigIssue
from snowetl_tui.workspace import Workspace


@dataclass(frozen=True)
class Suggestion:
    """A near-miss pattern and why it did not match."""

    config: str
    pattern: str
    table: str
    reason: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "pattern": self.pattern,
            "table": self.table,
            "reason": self.reason,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class MatchResult:
    """The answer for one file name."""

    file: str
    entry: Entry | None
    period: Period | None
    config_display: str | None = None
    also_matches: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

    @property
    def matched(self) -> bool:
        return self.entry is not None

    def unmatched_message(self) -> str:
        """One line: the file matched nothing, the closest pattern and why, how to fix it."""
        best = self.suggestions[0] if self.suggestions else None
        hint = f"; closest: {best.pattern} in {best.config} ({best.reason})" if best else ""
        return (
            f"{self.file}: no config matches this file{hint}; "
            f"create one with `snowetl-tui config generate {self.file}`"
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "matched": self.matched,
            "config": self.config_display,
            "pattern": self.entry.spec.file_pattern if self.entry else None,
            "table": self.entry.table if self.entry else None,
            "target": self.entry.target if self.entry else None,
            "period_start": self.period.start.isoformat() if self.period else None,
            "period_end": self.period.end.isoformat() if self.period else None,
        }
        if self.also_matches:
            out["also_matches"] = list(self.also_matches)
        if not self.matched:
            out["suggestions"] = [s.as_dict() for s in self.suggestions]
        return out


class ConfigRegistry:
    """The validated configs of a workspace."""

    def __init__(self, workspace: Workspace, configs: list[LoadedConfig]) -> None:
        self.workspace = workspace
        self.configs = configs
        self.entries: list[Entry] = [e for c in configs for e in c.entries]
        self.entries.sort(key=lambda e: -e.pattern.specificity)

    @classmethod
    def load(cls, workspace: Workspace, files: list[Path] | None = None) -> ConfigRegistry:
        """Load every config (or the given files); raises one ConfigError with all issues."""
        issues: list[ConfigIssue] = []
        configs: list[LoadedConfig] = []
        for path in files if files is not None else workspace.config_files():
            try:
                configs.append(
                    load_config(
                        path,
                        display=workspace.display(path),
                        configs_dir=workspace.configs_dir,
                        connections_hint=str(workspace.connections_path),
                    )
                )
            except ConfigError as exc:
                issues.extend(exc.issues)
        if issues:
            raise ConfigError(issues)
        return cls(workspace, configs)

    def entries_for_table(self, table: str, target: str | None = None) -> list[Entry]:
        """The entries that load ``table`` (names compare case-insensitively, as Snowflake's
        unquoted identifiers do), on ``target`` when one is given."""
        return [e for e in self.entries if e.table.upper() == table.upper()
                and (target is None or e.target == target)]

    def display(self, entry: Entry) -> str:
        return self.workspace.display(entry.config_path)

    def match(self, file: str | os.PathLike[str], *, suggest: bool = True) -> MatchResult:
        """Match a file by its base name. ``suggest=False`` skips ranking the near misses of an
        unmatched name (difflib per pattern), for callers matching whole directories."""
        shown = str(file)
        name = os.path.basename(os.fspath(file).rstrip("/"))
        hits: list[tuple[Entry, Period | None]] = []
        period_errors: list[Suggestion] = []
        for entry in self.entries:
            try:
                period = entry.pattern.match(name)
            except LookupError:
                continue
            except PeriodError as exc:
                period_errors.append(self._suggestion(entry, str(exc), 0.95))
                continue
            hits.append((entry, period))
        if hits:
            entry, period = hits[0]
            others = tuple(
                f"{self.display(e)}:{e.json_path}" for e, _ in hits[1:]
            )
            return MatchResult(shown, entry, period, self.display(entry), others)
        found = self.suggest(name, period_errors) if suggest else tuple(period_errors)
        return MatchResult(shown, None, None, suggestions=found)

    def _suggestion(self, entry: Entry, reason: str, score: float) -> Suggestion:
        return Suggestion(
            self.display(entry), entry.spec.file_pattern, entry.table, reason, score
        )

    def suggest(
        self, name: str, first: list[Suggestion] | None = None, limit: int = 3
    ) -> tuple[Suggestion, ...]:
        """Closest patterns for an unmatched name, best first, each with its reason."""
        out = list(first or [])
        seen = {(s.config, s.pattern) for s in out}
        for entry in self.entries:
            key = (self.display(entry), entry.spec.file_pattern)
            if key in seen:
                continue
            why = entry.pattern.explain(name)
            out.append(self._suggestion(entry, why.reason, why.score))
        out.sort(key=lambda s: -s.score)
        good = [s for s in out if s.score >= 0.3]
        return tuple((good or out)[:limit])
