"""File-name patterns: compile once to anchored regexes, extract and check the period.

A pattern is a file name with placeholders:

* ``{date_range}`` — ``YYYYMMDD-YYYYMMDD``, the period's first and last day;
* ``{month}`` — ``YYYY-MM``, the whole calendar month;
* ``{date}`` — ``YYYYMMDD``, a single day;
* ``*`` — any run of characters.

A compressed file (``.gz`` / ``.zst``) matches the pattern of its uncompressed name, because
operators compress extracts in place and the load must still find its config. Patterns are
compiled once; matching a directory of thousands of files is a regex per file.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import cached_property

PLACEHOLDERS: dict[str, str] = {
    "date_range": r"(?P<start>\d{8})-(?P<end>\d{8})",
    "month": r"(?P<month>\d{4}-\d{2})",
    "date": r"(?P<day>\d{8})",
}
PLACEHOLDER_HELP = {
    "date_range": "YYYYMMDD-YYYYMMDD",
    "month": "YYYY-MM",
    "date": "YYYYMMDD",
}
COMPRESSION_SUFFIXES = (".gz", ".zst")
_TOKEN = re.compile(r"\{([^{}]*)\}|\*")
_COMPRESSED_TAIL = r"(?:\.gz|\.zst)?"


class PatternError(ValueError):
    """The pattern itself is malformed (unknown placeholder, two periods, a slash ...)."""


class PeriodError(ValueError):
    """The name has the pattern's shape but its date part is not a valid period."""


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive range of days implied by a file name."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        """Short human form: ``2024-03`` for a whole month, else ``start..end``."""
        if (
            self.start.day == 1
            and self.start.year == self.end.year
            and self.start.month == self.end.month
            and self.end.day == calendar.monthrange(self.end.year, self.end.month)[1]
        ):
            return self.start.strftime("%Y-%m")
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_yyyymmdd(text: str) -> date:
    """Parse ``YYYYMMDD``; raises :class:`PeriodError` naming the bad part."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise PeriodError(f"date part '{text}' is not a valid date (expected YYYYMMDD)") from None


def month_period(text: str) -> Period:
    """The whole month named by ``YYYY-MM``."""
    year, month = int(text[:4]), int(text[5:7])
    if not 1 <= month <= 12 or year < 1:
        raise PeriodError(f"date part '{text}' is not a month (expected YYYY-MM)")
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last))


def period_option(text: str) -> Period:
    """``--period TEXT`` of a command: the period, or an InputError naming the option."""
    from snowetl_tui.errors import InputError

    try:
        return parse_period(text)
    except PeriodError as exc:
        raise InputError(f"--period: {exc}") from None


def parse_period(text: str) -> Period:
    """Parse a period given on the command line: ``2024-03``, ``2024-03-05``,
    ``20240301-20240331`` or ``2024-03-01..2024-03-31``."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return month_period(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = date.fromisoformat(text)
            return Period(d, d)
        if m := re.fullmatch(r"(\d{8})-(\d{8})", text):
            p = Period(parse_yyyymmdd(m[1]), parse_yyyymmdd(m[2]))
        elif m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            p = Period(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
        else:
            raise PeriodError(
                f"'{text}' is not a period (expected YYYY-MM, YYYY-MM-DD, "
                "YYYYMMDD-YYYYMMDD or YYYY-MM-DD..YYYY-MM-DD)"
            )
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"'{text}' is not a valid period: {exc}") from None
    if p.start > p.end:
        raise PeriodError(f"period start {p.start} is after its end {p.end}")
    return p


def strip_compression(name: str) -> str:
    """The file name without a ``.gz``/``.zst`` suffix."""
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Mismatch:
    """Why a name does not match a pattern, with a similarity score for ranking suggestions."""

    reason: str
    score: float


class FilePattern:
    """A compiled file-name pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.placeholder: str | None = None
        strict: list[str] = []
        loose: list[str] = []
        self.literals: list[str] = []
        pos = 0
        if not pattern:
            raise PatternError("file_pattern is empty")
        if "/" in pattern or "\\" in pattern:
            raise PatternError("file_pattern must be a file name, without a directory")
        for m in _TOKEN.finditer(pattern):
            literal = pattern[pos : m.start()]
            if "{" in literal or "}" in literal:
                raise PatternError(f"unbalanced brace in file_pattern '{pattern}'")
            strict.append(re.escape(literal))
            loose.append(re.escape(literal))
            self.literals.append(literal)
            pos = m.end()
            if m[0] == "*":
                strict.append(".*")
                loose.append(".*")
                continue
            name = m[1]
            if name not in PLACEHOLDERS:
                known = ", ".join("{" + k + "}" for k in PLACEHOLDERS)
                raise PatternError(f"unknown placeholder {{{name}}}; expected one of {known} or *")
            if self.placeholder is not None:
                raise PatternError(
                    f"file_pattern has two period placeholders ({{{self.placeholder}}} and "
                    f"{{{name}}}); use exactly one"
                )
            self.placeholder = name
            strict.append(PLACEHOLDERS[name])
            loose.append(r"(?P<part>.+?)")
        tail = pattern[pos:]
        if "{" in tail or "}" in tail:
            raise PatternError(f"unbalanced brace in file_pattern '{pattern}'")
        strict.append(re.escape(tail))
        loose.append(re.escape(tail))
        self.literals.append(tail)
        suffix = "" if pattern.endswith(COMPRESSION_SUFFIXES) else _COMPRESSED_TAIL
        self._regex = re.compile("".join(strict) + suffix)
        self._loose = re.compile("".join(loose) + suffix)

    def __repr__(self) -> str:
        return f"FilePattern({self.pattern!r})"

    @cached_property
    def specificity(self) -> int:
        """Literal characters in the pattern: the more, the more specific it is."""
        return sum(len(x) for x in self.literals) + (10 if self.placeholder else 0)

    def match(self, name: str) -> Period | None:
        """Return the period the name implies (``None`` without a placeholder).

        Raises :class:`LookupError` when the name does not have the pattern's shape and
        :class:`PeriodError` when it does but its date part is not a valid period.
        """
        m = self._regex.fullmatch(name)
        if m is None:
            raise LookupError(name)
        return self._period(m)

    def matches(self, name: str) -> bool:
        try:
            self.match(name)
        except (LookupError, PeriodError):
            return False
        return True

    def _period(self, m: re.Match[str]) -> Period | None:
        if self.placeholder == "date_range":
            start, end = parse_yyyymmdd(m["start"]), parse_yyyymmdd(m["end"])
            if start > end:
                raise PeriodError(f"period start {m['start']} is after its end {m['end']}")
            return Period(start, end)
        if self.placeholder == "month":
            return month_period(m["month"])
        if self.placeholder == "date":
            d = parse_yyyymmdd(m["day"])
            return Period(d, d)
        return None

    def render(self, period: Period | None = None, fill: str = "x") -> str:
        """Build a file name from the pattern (``*`` becomes ``fill``): examples and tests."""
        out: list[str] = []
        pos = 0
        for m in _TOKEN.finditer(self.pattern):
            out.append(self.pattern[pos : m.start()])
            pos = m.end()
            if m[0] == "*":
                out.append(fill)
                continue
            p = period or Period(date(2024, 1, 1), date(2024, 1, 31))
            if m[1] == "date_range":
                out.append(f"{p.start:%Y%m%d}-{p.end:%Y%m%d}")
            elif m[1] == "month":
                out.append(f"{p.start:%Y-%m}")
            else:
                out.append(f"{p.start:%Y%m%d}")
        out.append(self.pattern[pos:])
        return "".join(out)

    def explain(self, name: str) -> Mismatch:
        """Say why ``name`` does not match, e.g. "date part '2024-13' is not a month"."""
        score = SequenceMatcher(None, strip_compression(name), self.render()).ratio()
        try:
            self.match(name)
        except PeriodError as exc:
            return Mismatch(str(exc), max(score, 0.9))
        except LookupError:
            pass
        else:
            return Mismatch("matches", 1.0)
        loose = self._loose.fullmatch(name)
        if loose is not None and self.placeholder:
            part = loose["part"]
            fmt = PLACEHOLDER_HELP[self.placeholder]
            if self.placeholder == "month" and re.fullmatch(r"\d{4}-\d{2}", part):
                try:
                    month_period(part)
                except PeriodError as exc:
                    return Mismatch(str(exc), max(score, 0.85))
            return Mismatch(f"date part '{part}' is not {fmt}", max(score, 0.8))
        return Mismatch(self._literal_reason(name), score)

    def _literal_reason(self, name: str) -> str:
        head, tail = self.literals[0], self.literals[-1]
        bare = strip_compression(name)
        if head and not name.startswith(head):
            return f"name does not start with '{head}'"
        if tail and not (name.endswith(tail) or bare.endswith(tail)):
            return f"name does not end with '{tail}'"
        for literal in self.literals[1:-1]:
            if literal and literal not in name:
                return f"'{literal}' does not occur in the name"
        if self.placeholder:
            return f"no {PLACEHOLDER_HELP[self.placeholder]} date part where the pattern has one"
        return "the name differs from the pattern"
