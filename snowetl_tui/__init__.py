"""snowetl-tui: validate and load very large TSV/CSV extracts, exactly once."""

__version__ = "0.1.0"
