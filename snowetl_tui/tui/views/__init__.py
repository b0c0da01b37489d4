"""The four top-level views, switched with 1–4.

Each view module lists in ``BINDABLE`` the widget/screen classes (besides the view itself)
whose bindings carry ids, so ``[keys]`` remapping knows every id.
"""

from __future__ import annotations

import importlib

VIEW_MODULES = ("files", "jobs", "logs", "tables")


def bindable() -> list[type]:
    out: list[type] = []
    for name in VIEW_MODULES:
        module = importlib.import_module(f"snowetl_tui.tui.views.{name}")
        out.extend(getattr(module, "BINDABLE", []))
    return out
