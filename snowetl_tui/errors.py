"""User-facing error types.

Every expected failure (bad config, bad input file, unknown connection ...) is raised as a
:class:`SnowetlError`. The CLI turns it into one line on stderr and the exit code it carries,
so no traceback ever reaches an operator for something they can fix themselves.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class SnowetlError(Exception):
    """An expected, explainable failure; ``str(err)`` is the message shown to the operator."""

    exit_code: int = EXIT_USAGE


class InputError(SnowetlError):
    """A file, path or argument the operator gave cannot be used as is."""


class ConfigIssue:
    """One problem found in a load config: the file, the JSON path of the key and what is wrong.

    Kept separate from the exception so a config check can collect every issue in a file
    before reporting, instead of stopping at the first one.
    """

    __slots__ = ("file", "message", "path")

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigIssue({self.file!r}, {self.path!r}, {self.message!r})"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "message": self.message}


class ConfigError(SnowetlError):
    """A load config cannot be used; carries every issue found in it."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))
