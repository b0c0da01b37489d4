"""Where reports live, and opening one for a person.

Per-job reports are ``logs/reports/<job id>.json`` and ``.html`` (kept apart from
``logs/jobs/``, whose files log retention removes: a report is a record, not a log). The batch
summary's HTML goes to ``logs/reports/summary.html`` unless told otherwise.

Opening is deliberately conservative: over SSH there is usually no browser, and guessing one
(``xdg-open``, a console browser taking over the terminal under the TUI) does more harm than
printing the path. So a browser is started only when ``$BROWSER`` names one, detached from the
terminal (own session, no stdio), and the message always carries the path.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import webbrowser
from pathlib import Path

from snowetl_tui.workspace import Workspace

SUMMARY_NAME = "summary.html"


def report_paths(ws: Workspace, job_id: str) -> dict[str, Path]:
    """The job's report files: ``json`` and ``html`` (they may not exist yet)."""
    base = ws.reports_dir / job_id
    return {"json": base.with_suffix(".json"), "html": base.with_suffix(".html")}


def summary_path(ws: Workspace) -> Path:
    """Default file of the batch summary's HTML (``snowetl-tui report --format html``)."""
    return ws.reports_dir / SUMMARY_NAME


class _QuietBrowser(webbrowser.BackgroundBrowser):
    """A $BROWSER command started in its own session with no stdin/stdout/stderr.

    ``webbrowser``'s own classes either wait for the browser to exit or let it write to the
    terminal, which would tear through the full-screen app.
    """

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        rest = [a.replace("%s", url) for a in self.args]
        args = [self.name, *rest] if any("%s" in a for a in self.args) else [
            self.name, *rest, url]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True,
                                    close_fds=True)
        except OSError:
            return False
        return proc.poll() in (None, 0)


def configured_browsers() -> list[str]:
    """The commands in ``$BROWSER`` (``os.pathsep``-separated, as ``webbrowser`` reads it)."""
    raw = os.environ.get("BROWSER", "")
    return [c.strip() for c in raw.split(os.pathsep) if c.strip()]


def open_report(path: Path) -> str:
    """Open ``path`` with ``$BROWSER`` when one is set; return a one-line message with the path.

    Never raises for a missing browser or a missing file: the message says what happened, so
    the TUI can show it in a toast and the CLI can print it.
    """
    path = Path(path)
    if not path.exists():
        return f"no report at {path} (it is written when the job ends)"
    for command in configured_browsers():
        try:
            args = shlex.split(command)
        except ValueError:
            continue
        if args and _QuietBrowser(args).open(path.resolve().as_uri()):
            return f"report: {path} (opened with {args[0]})"
    if configured_browsers():
        return f"report: {path} ($BROWSER could not be started)"
    return f"report: {path} (set $BROWSER to open it from here)"
