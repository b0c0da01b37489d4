"""Job-end notifications (command, webhook, SMTP) and the Prometheus endpoint of a real engine.

Every receiver is a tiny server of the test's own on 127.0.0.1 (no aiosmtpd: a line-based SMTP
fake is enough for ``smtplib``), stopped in the fixture's teardown.
"""

from __future__ import annotations

import json
import socketserver
import sys
import threading
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from snowetl_tui.engine.metrics import MetricsSettings
from snowetl_tui.engine.notify import NotifySettings
from snowetl_tui.engine.scheduler import Engine
from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace
from tests.engine.conftest import JAN, data_rows, wait_for
from tests.warehouse.conftest import free_port


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append({  # type: ignore[attr-defined]
            "path": self.path, "type": self.headers.get("Content-Type"),
            "body": json.loads(self.rfile.read(length))})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        out = self.wfile
        out.write(b"220 fake ESMTP\r\n")
        envelope: dict[str, Any] = {"rcpt": []}
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                out.write(b"250 fake\r\n")
            elif verb == b"MAIL":
                envelope["from"] = line.decode().split(":", 1)[1].strip()
                out.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                envelope["rcpt"].append(line.decode().split(":", 1)[1].strip())
                out.write(b"250 OK\r\n")
            elif verb == b"DATA":
                out.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.received.append({**envelope, "data": data})  # type: ignore
                out.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                out.write(b"221 bye\r\n")
                return
            else:
                out.write(b"250 OK\r\n")


@pytest.fixture
def smtp() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


RECORDER = ("import json, os, sys; out = {k: v for k, v in os.environ.items() "
            "if k.startswith('SNOWETL_')}; out['stdin'] = json.load(sys.stdin); "
            "open(sys.argv[1], 'w').write(json.dumps(out))")


def _settings(ws: Path, text: str) -> None:
    (ws / "snowetl.toml").write_text(text)


def test_everything_is_off_by_default(tmp_path: Path):
    ws = Workspace(tmp_path).ensure()
    notify = NotifySettings.load(ws)
    assert not notify.enabled and notify.command is None and notify.smtp is None
    assert MetricsSettings.load(ws).port == 0
    engine = Engine(ws)
    assert engine.notifier.job_ended({"id": "J1", "state": "failed"}) is None
    assert engine.metrics is None
    engine.store.close()


@pytest.mark.parametrize(("text", "message"), [
    ("[notify]\ncommand = 'mail -s x'\n", "list of strings"),
    ("[notify]\nwebhook_url = 'ftp://x'\n", "http:// or https://"),
    ("[notify]\non = ['running']\n", "final states"),
    ("[notify]\nbogus = 1\n", "notify.bogus: unknown setting"),
    ("[notify.smtp]\nhost = 'h'\nfrom = 'a@b'\nto = 'c@d'\npassword = 'pw'\n",
     "never kept in snowetl.toml"),
    ("[notify.smtp]\nhost = 'h'\nfrom = 'a@b'\nto = 'c@d'\nusername = 'u'\n", "password_env"),
    ("[notify.smtp]\nhost = 'h'\nto = 'c@d'\n", "smtp.from: missing"),
    ("[metrics]\nport = 70000\n", "metrics.port"),
])
def test_bad_settings_are_one_clear_error(tmp_path: Path, text: str, message: str):
    ws = Workspace(tmp_path).ensure()
    ws.settings_path.write_text(text)
    with pytest.raises(InputError, match=message):
        NotifySettings.load(ws)
        MetricsSettings.load(ws)


def test_job_end_runs_command_posts_webhook_sends_mail_and_counts(demo: Path, sub, webhook,
                                                                  smtp, tmp_path: Path):
    out = tmp_path / "notified.json"
    port = free_port()
    _settings(demo, f"""
[notify]
command = [{json.dumps(sys.executable)}, "-c", {json.dumps(RECORDER)}, {json.dumps(str(out))}]
webhook_url = "http://127.0.0.1:{webhook.server_address[1]}/hooks/etl"
[notify.smtp]
host = "127.0.0.1"
port = {smtp.server_address[1]}
from = "etl@example.com"
to = ["team@example.com", "oncall@example.com"]
[metrics]
port = {port}
""")
    res = sub(demo, "load", str(demo / JAN), "--wait", "--json")
    assert res.returncode == 0, res.stderr
    [r] = json.loads(res.stdout)
    job_id, rows = r["job_id"], data_rows(demo / JAN)
    # the command: job JSON on stdin, id and state in the environment
    got = wait_for(lambda: out.exists() and out.read_text() and json.loads(out.read_text()))
    assert got["SNOWETL_JOB_ID"] == job_id and got["SNOWETL_JOB_STATE"] == "succeeded"
    assert got["SNOWETL_JOB_KIND"] == "load" and got["SNOWETL_WORKSPACE"] == str(demo)
    assert got["stdin"]["id"] == job_id and got["stdin"]["rows"] == rows
    # the webhook: a POST of the job
    [hook] = wait_for(lambda: webhook.received)
    assert hook["path"] == "/hooks/etl" and hook["type"] == "application/json"
    assert hook["body"]["id"] == job_id and hook["body"]["state"] == "succeeded"
    assert hook["body"]["result"]["rows_loaded"] == rows
    # the mail
    [mail] = wait_for(lambda: smtp.received)
    assert mail["rcpt"] == ["<team@example.com>", "<oncall@example.com>"]
    msg = message_from_bytes(mail["data"], policy=policy.default)
    assert msg["Subject"].startswith("[snowetl-tui] succeeded: load ") and job_id in msg["Subject"]
    assert f"Rows: {rows:,}" in msg.get_content()
    # the metrics endpoint, scraped like Prometheus would
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'snowetl_jobs_finished_total{kind="load",state="succeeded"} 1.0' in text
    assert 'snowetl_jobs{state="succeeded"} 1.0' in text
    assert f'snowetl_rows_loaded_total{{target="local"}} {float(rows)}' in text
    assert 'snowetl_step_duration_seconds_count{kind="load",step="read"} 1.0' in text
    samples = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    assert samples['snowetl_rows_processed_total{kind="load"}'] > 0
    assert samples['snowetl_bytes_processed_total{kind="load"}'] > 0


def test_failing_notifications_are_logged_and_the_engine_keeps_going(demo: Path, sub):
    dead = free_port()
    _settings(demo, f"""
[notify]
command = ["{sys.executable}", "-c", "import sys; sys.exit('no pager today')"]
webhook_url = "http://127.0.0.1:{dead}/hook"
webhook_timeout = 2
[notify.smtp]
host = "127.0.0.1"
port = {dead}
from = "etl@example.com"
to = "team@example.com"
timeout = 2
""")
    res = sub(demo, "load", str(demo / JAN), "--wait")
    assert res.returncode == 0, res.stderr
    log = demo / "logs" / "engine.log"
    wait_for(lambda: log.read_text().count("notify ") >= 3)
    text = log.read_text()
    assert "notify command" in text and "no pager today" in text
    assert "notify webhook for job" in text and "unreachable" in text
    assert "/hook" not in text.split("notify webhook", 1)[1].splitlines()[0]
    assert "notify mail" in text
    # still serving
    assert sub(demo, "jobs", "--json").returncode == 0
