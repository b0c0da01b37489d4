"""``python -m snowetl_tui`` is the same as the ``snowetl-tui`` command."""

from snowetl_tui.cli import main

if __name__ == "__main__":
    main()
