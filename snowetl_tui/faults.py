"""Fault injection for crash tests: ``SNOWETL_FAULT=<point>`` SIGKILLs the process there.

Exactly-once is only as good as its behaviour when the process dies between two steps, so the
kill tests need to stop the loader at precise points (mid-read, inside the COPY transaction,
after the COPY but before the ledger commit, ...). Without the variable this is a no-op.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "SNOWETL_FAULT"


def fault_point(name: str) -> None:
    """SIGKILL this process if the test-suite asked for a crash at ``name``."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
