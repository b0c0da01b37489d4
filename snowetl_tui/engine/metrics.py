"""Optional Prometheus endpoint of the engine — ``[metrics] port = 9464`` in ``snowetl.toml``.

Off by default; when on, it listens on 127.0.0.1 only (metrics name files and tables; put a
reverse proxy in front to expose them). ``prometheus-client`` is imported only then, so an
engine without metrics pays nothing. The registry is private to the engine (not the library's
global one), which keeps tests and several engines in one process independent.

Exported:

* ``snowetl_bytes_processed_total{kind}`` / ``snowetl_rows_processed_total{kind}`` — read by
  load and validate jobs, counted as the read progresses;
* ``snowetl_rows_loaded_total{target}`` — rows that reached a table;
* ``snowetl_jobs{state}`` — jobs in the store per state, right now;
* ``snowetl_jobs_finished_total{kind,state}`` — job ends since the engine started;
* ``snowetl_step_duration_seconds{kind,step}`` — a histogram of step durations.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from snowetl_tui.engine.model import STATES, Job
from snowetl_tui.engine.paths import settings_section
from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace

log = logging.getLogger("snowetl_tui.engine")
HOST = "127.0.0.1"
STEP_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)


@dataclass
class MetricsSettings:
    """``[metrics]``: ``port`` 0 (the default) means no endpoint."""

    port: int = 0

    @classmethod
    def load(cls, ws: Workspace) -> MetricsSettings:
        return cls.parse(settings_section(ws, "metrics"), ws.settings_path)

    @classmethod
    def parse(cls, section: dict[str, Any], path: Path | str) -> MetricsSettings:
        for key in section:
            if key != "port":
                raise InputError(f"{path}: metrics.{key}: unknown setting; known: port")
        port = section.get("port", 0)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
            raise InputError(f"{path}: metrics.port: expected a TCP port (0 = off), got {port!r}")
        return cls(port=port)


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max((b - a).total_seconds(), 0.0)


class Metrics:
    """The engine's counters and the HTTP endpoint that serves them."""

    def __init__(self, jobs: Callable[[], Iterable[Job]]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram
        from prometheus_client.core import GaugeMetricFamily

        self.registry = CollectorRegistry(auto_describe=True)
        self.bytes = Counter("snowetl_bytes_processed", "Bytes read by load and validate jobs",
                             ["kind"], registry=self.registry)
        self.rows = Counter("snowetl_rows_processed", "Rows read by load and validate jobs",
                            ["kind"], registry=self.registry)
        self.loaded = Counter("snowetl_rows_loaded", "Rows loaded into tables", ["target"],
                              registry=self.registry)
        self.finished = Counter("snowetl_jobs_finished", "Jobs that reached a final state",
                                ["kind", "state"], registry=self.registry)
        self.steps = Histogram("snowetl_step_duration_seconds", "Duration of job steps",
                               ["kind", "step"], buckets=STEP_BUCKETS, registry=self.registry)
        self._seen: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

        class JobsByState:
            """Read at scrape time from the engine's jobs (a snapshot: ``list`` of a dict's
            values is atomic under the GIL, so the scrape thread never sees it change size)."""

            def collect(self) -> Iterator[Any]:
                counts = dict.fromkeys(STATES, 0)
                for job in list(jobs()):
                    counts[job.state] = counts.get(job.state, 0) + 1
                family = GaugeMetricFamily("snowetl_jobs", "Jobs in the store by state",
                                           labels=["state"])
                for state, n in counts.items():
                    family.add_metric([state], n)
                yield family

        self.registry.register(JobsByState())
        self._server: Any = None
        self.port: int | None = None

    def serve(self, port: int) -> int:
        """Listen on 127.0.0.1:``port``; returns the port."""
        from prometheus_client import start_http_server

        server, _thread = start_http_server(port, addr=HOST, registry=self.registry)
        self._server = server
        self.port = int(server.server_address[1])
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- fed by the engine (event-loop thread) -------------------------------------------------
    def progress(self, job: Job) -> None:
        """Count what the read added since the last event (a resumed read starts again)."""
        with self._lock:
            last_bytes, last_rows = self._seen.get(job.id, (0, 0))
            if job.bytes < last_bytes or job.rows < last_rows:
                last_bytes, last_rows = 0, 0
            self.bytes.labels(job.kind).inc(job.bytes - last_bytes)
            self.rows.labels(job.kind).inc(job.rows - last_rows)
            self._seen[job.id] = (job.bytes, job.rows)

    def job_finished(self, job: Job) -> None:
        with self._lock:
            self._seen.pop(job.id, None)
        self.finished.labels(job.kind, job.state).inc()
        result = job.result or {}
        if job.kind == "load" and isinstance(result.get("rows_loaded"), int) \
                and result.get("state") == "succeeded":
            self.loaded.labels(job.target or "").inc(result["rows_loaded"])
        for name, sp in job.steps.items():
            secs = _seconds(sp.started, sp.finished)
            if secs is not None:
                self.steps.labels(job.kind, name).observe(secs)
