"""User key remapping: ``[keys]`` in the workspace's ``snowetl.toml`` maps binding ids to keys.

Every user-facing binding has an id (``jobs.cancel``, ``app.view.files`` …), posting-style, so
an operator whose terminal eats a key can move the action elsewhere without touching code. An
unknown id is an error naming the file and the key, with the closest known id.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from textual.binding import Binding, BindingType

from snowetl_tui.engine.paths import settings_section
from snowetl_tui.errors import InputError
from snowetl_tui.workspace import Workspace


def binding_ids(classes: Iterable[type]) -> dict[str, Binding]:
    """Every binding id declared on ``classes`` (App, views, widgets, screens)."""
    out: dict[str, Binding] = {}
    for cls in classes:
        bindings: list[BindingType] = list(getattr(cls, "BINDINGS", []))
        for b in bindings:
            if isinstance(b, Binding) and b.id:
                out[b.id] = b
    return out


def load_keymap(ws: Workspace, known: dict[str, Binding]) -> dict[str, str]:
    """``[keys]`` of the settings file, checked against the known binding ids."""
    section = settings_section(ws, "keys")
    keymap: dict[str, str] = {}
    for key, value in section.items():
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else \
                f"; known ids: {', '.join(sorted(known))}"
            raise InputError(f"{ws.settings_path}: keys.{key}: unknown binding id{hint}")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{ws.settings_path}: keys.{key}: expected keys like \"ctrl+k\" or "
                             f"\"x,delete\", got {value!r}")
        keymap[key] = value.replace(" ", "")
    return keymap
