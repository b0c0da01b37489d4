"""Start the app from the CLI (imported only when no subcommand is given)."""

from __future__ import annotations

from pathlib import Path

from snowetl_tui.workspace import Workspace


def run_app(ws: Workspace, start_path: Path | None, *, mouse: bool = True) -> int:
    """Run the app until the user quits; print where the jobs continue."""
    from snowetl_tui.tui.app import make_app

    app = make_app(ws, start_path)
    app.run(mouse=mouse)
    return app.return_code or 0
