"""``snowetl-tui [PATH]``: how the app is reached from the command line, and its refusals."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from snowetl_tui.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_no_terminal_means_one_line_and_exit_2(tmp_path: Path):
    out = run("-w", str(tmp_path))
    assert out.exit_code == 2
    assert "the app needs a terminal" in out.output and "snowetl-tui load FILE --wait" in out.output
    assert "Traceback" not in out.output


def test_path_argument_must_be_a_directory(tmp_path: Path):
    out = run("-w", str(tmp_path), str(tmp_path / "missing" / "dir"))
    assert out.exit_code == 2
    assert f"{tmp_path / 'missing' / 'dir'}: no such directory" in out.output


def test_an_existing_directory_is_the_path_not_a_command(tmp_path: Path, monkeypatch):
    seen: dict[str, object] = {}

    def fake_run_app(ws, start, *, mouse: bool = True) -> int:
        seen.update(ws=ws.root, start=start, mouse=mouse)
        return 0

    monkeypatch.setattr("snowetl_tui.cli._has_terminal", lambda: True)
    monkeypatch.setattr("snowetl_tui.tui.run.run_app", fake_run_app)
    data = tmp_path / "data"
    data.mkdir()
    out = run("-w", str(tmp_path), "--no-mouse", str(data))
    assert out.exit_code == 0, out.output
    assert seen == {"ws": tmp_path, "start": data, "mouse": False}


def test_unknown_word_is_still_an_unknown_command(tmp_path: Path):
    out = run("-w", str(tmp_path), "lod")
    assert out.exit_code == 2 and "No such command 'lod'" in out.output
