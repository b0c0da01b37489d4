"""The core never imports Textual (DESIGN §2, principle 4)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import snowetl_tui

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(snowetl_tui.__path__, "snowetl_tui.")
    if not m.name.startswith("snowetl_tui.tui")
)


def test_core_modules_exist():
    assert "snowetl_tui.config.loader" in CORE
    assert "snowetl_tui.cli" in CORE


def test_core_never_imports_textual():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
