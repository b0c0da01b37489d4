"""Job-end notifications: a command, a webhook, a mail — ``[notify]`` of ``snowetl.toml``.

All off by default. They run in a small thread pool, never on the engine's event loop: a slow
mail server or a hanging webhook must not delay a state change, and a failing one must not take
the engine down — every failure becomes one line in ``logs/engine.log`` and nothing else. The
job travels as JSON (the same document ``snowetl-tui job ID --json`` is built from), passed
through :func:`redact` first, since an error message may quote a connection string.

Example::

    [notify]
    on = ["failed", "cancelled"]          # default: succeeded, failed, cancelled
    command = ["/usr/local/bin/page-me"]  # argv; job JSON on stdin; SNOWETL_JOB_ID/_STATE env
    command_timeout = 60
    webhook_url = "https://hooks.example.com/T000/B000"
    webhook_timeout = 10
    [notify.smtp]
    host = "smtp.example.com"
    port = 587
    from = "etl@example.com"
    to = ["data-team@example.com"]
    starttls = true
    username = "etl"
    password_env = "SNOWETL_SMTP_PASSWORD"  # the password itself never sits in a file
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from snowetl_tui import __version__
from snowetl_tui.engine.joblog import redact
from snowetl_tui.engine.model import FINAL_STATES
from snowetl_tui.engine.paths import settings_section
from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.engine")


@dataclass
class SmtpSettings:
    host: str
    sender: str
    to: list[str]
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout: float = 10.0


@dataclass
class NotifySettings:
    """``[notify]``; every channel is off unless configured."""

    command: list[str] | None = None
    command_timeout: float = 60.0
    webhook_url: str | None = None
    webhook_timeout: float = 10.0
    smtp: SmtpSettings | None = None
    on: tuple[str, ...] = field(default_factory=lambda: tuple(sorted(FINAL_STATES)))

    @property
    def enabled(self) -> bool:
        return bool(self.command or self.webhook_url or self.smtp)

    @classmethod
    def load(cls, ws: Workspace) -> NotifySettings:
        return cls.parse(settings_section(ws, "notify"), ws.settings_path)

    @classmethod
    def parse(cls, section: dict[str, Any], path: Path | str) -> NotifySettings:
        """Validate ``[notify]``; errors name the file and the key, like config errors do."""
        known = ("command", "command_timeout", "webhook_url", "webhook_timeout", "smtp", "on")
        s = cls()
        for key, value in section.items():
            where = f"{path}: notify.{key}"
            if key not in known:
                raise InputError(f"{where}: unknown setting; known: {', '.join(known)}")
            if key == "command":
                if (not isinstance(value, list) or not value
                        or not all(isinstance(v, str) and v for v in value)):
                    raise InputError(f"{where}: expected a non-empty list of strings (the argv "
                                     f"of the command, no shell), got {value!r}")
                s.command = list(value)
            elif key in ("command_timeout", "webhook_timeout"):
                setattr(s, key, _positive(value, where))
            elif key == "webhook_url":
                if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") \
                        or not urlsplit(value).hostname:
                    raise InputError(f"{where}: expected an http:// or https:// URL")
                s.webhook_url = value
            elif key == "on":
                if not isinstance(value, list) or not all(v in FINAL_STATES for v in value):
                    raise InputError(f"{where}: expected a list of final states "
                                     f"({', '.join(sorted(FINAL_STATES))}), got {value!r}")
                s.on = tuple(value)
            elif key == "smtp":
                s.smtp = _smtp(value, f"{path}: notify.smtp")
        return s


def _positive(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise InputError(f"{where}: expected a positive number of seconds, got {value!r}")
    return float(value)


def _smtp(value: Any, where: str) -> SmtpSettings:
    if not isinstance(value, dict):
        raise InputError(f"{where}: must be a table")
    if "password" in value:
        raise InputError(f"{where}.password: a password is never kept in snowetl.toml; put it "
                         "in an environment variable of the engine and name that variable in "
                         "notify.smtp.password_env")
    known = ("host", "port", "from", "to", "starttls", "username", "password_env", "timeout")
    for key in value:
        if key not in known:
            raise InputError(f"{where}.{key}: unknown setting; known: {', '.join(known)}")
    for key in ("host", "from", "to"):
        if key not in value:
            raise InputError(f"{where}.{key}: missing (needed to send mail)")
    to = value["to"]
    to_list = [to] if isinstance(to, str) else to
    if not isinstance(to_list, list) or not to_list or not all(
            isinstance(t, str) and "@" in t for t in to_list):
        raise InputError(f"{where}.to: expected an address or a list of addresses")
    if not isinstance(value["host"], str) or not isinstance(value["from"], str):
        raise InputError(f"{where}: host and from must be strings")
    port = value.get("port", 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise InputError(f"{where}.port: expected a TCP port, got {port!r}")
    username = value.get("username")
    password_env = value.get("password_env")
    if username is not None and not password_env:
        raise InputError(f"{where}.password_env: needed with username (the name of the "
                         "environment variable holding the password)")
    return SmtpSettings(
        host=value["host"], sender=value["from"], to=list(to_list), port=port,
        starttls=bool(value.get("starttls", False)), username=username,
        password_env=password_env,
        timeout=_positive(value.get("timeout", 10.0), f"{where}.timeout"),
    )


def _where(url: str) -> str:
    """A webhook URL as it may be logged: its path often *is* the secret (Slack, Teams)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}/…"


class Notifier:
    """Sends the job-end notifications of one engine, off the event loop."""

    def __init__(self, ws: Workspace, settings: NotifySettings) -> None:
        self.ws = ws
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None

    def job_ended(self, job: dict[str, Any]) -> Future[list[str]] | None:
        """Queue the notifications for a job that reached a final state (if configured)."""
        if not self.settings.enabled or job.get("state") not in self.settings.on:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(2, thread_name_prefix="notify")
        return self._pool.submit(self.send, job)

    def close(self) -> None:
        """Let queued notifications go out (each bounded by its timeout) before the engine
        exits: a drain must not swallow the 'failed' mail of the last job."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def send(self, job: dict[str, Any]) -> list[str]:
        """Every configured channel; returns the failures (also logged), never raises."""
        body = redact(json.dumps(job, ensure_ascii=False, default=str))
        errors: list[str] = []
        channels = [("command", self.settings.command, self._command),
                    ("webhook", self.settings.webhook_url, self._webhook),
                    ("mail", self.settings.smtp, self._mail)]
        for name, configured, fn in channels:
            if not configured:
                continue
            try:
                fn(job, body)
            except Exception as exc:
                msg = f"notify {name} for job {job.get('id')} failed: {redact(str(exc))}"
                log.warning("%s", msg)
                errors.append(msg)
        return errors

    def _command(self, job: dict[str, Any], body: str) -> None:
        argv = self.settings.command or []
        env = {**os.environ, "SNOWETL_JOB_ID": str(job.get("id")),
               "SNOWETL_JOB_STATE": str(job.get("state")),
               "SNOWETL_JOB_KIND": str(job.get("kind") or ""),
               "SNOWETL_JOB_TABLE": str(job.get("table") or ""),
               "SNOWETL_JOB_FILE": str(job.get("file") or ""),
               "SNOWETL_WORKSPACE": str(self.ws.root)}
        try:
            res = subprocess.run(argv, input=body.encode(), env=env, cwd=self.ws.root,
                                 capture_output=True, timeout=self.settings.command_timeout,
                                 check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{argv[0]} did not finish within "
                               f"{self.settings.command_timeout:g} s") from None
        except OSError as exc:
            raise RuntimeError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        if res.returncode != 0:
            tail = res.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise RuntimeError(f"{argv[0]} exited with {res.returncode}: {tail[0][:200]}")
        log.info("notify command %s ran for job %s", argv[0], job.get("id"))

    def _webhook(self, job: dict[str, Any], body: str) -> None:
        url = self.settings.webhook_url or ""
        req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"snowetl-tui/{__version__}"})
        try:
            with urllib.request.urlopen(req, timeout=self.settings.webhook_timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{_where(url)} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(f"{_where(url)} unreachable: {reason}") from None
        log.info("notify webhook %s answered %s for job %s", _where(url), status, job.get("id"))

    def _mail(self, job: dict[str, Any], body: str) -> None:
        smtp = self.settings.smtp
        assert smtp is not None
        what = job.get("file_name") or job.get("table") or ""
        msg = EmailMessage()
        msg["Subject"] = f"[snowetl-tui] {job.get('state')}: {job.get('kind')} {what} " \
                         f"({job.get('id')})"
        msg["From"] = smtp.sender
        msg["To"] = ", ".join(smtp.to)
        lines = [f"Job {job.get('id')} ({job.get('kind')}) is {job.get('state')}.",
                 f"File: {job.get('file') or '-'}", f"Table: {job.get('table') or '-'} on "
                 f"{job.get('target') or '-'}", f"Rows: {job.get('rows', 0):,}"]
        if job.get("error"):
            lines.append(f"Error: {redact(str(job['error']))}")
        lines.append(f"Log: {job.get('log_path') or '-'}")
        msg.set_content("\n".join(lines) + "\n\n" + body + "\n")
        password = None
        if smtp.username:
            password = os.environ.get(smtp.password_env or "")
            if not password:
                raise RuntimeError(f"${smtp.password_env} is not set in the engine's "
                                   "environment; mail not sent")
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username and password:
                client.login(smtp.username, password)
            client.send_message(msg)
        log.info("notify mail sent to %s for job %s", ", ".join(smtp.to), job.get("id"))
