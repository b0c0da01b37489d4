"""Viewing huge, growing log files without loading them: a byte-offset line index, block
search/filter and log-level detection.

Nothing here imports Textual: the Logs view runs these generators in thread workers and applies
their batches on the UI thread, and the unit tests drive them directly. Files are read with
``os.pread`` (never ``mmap``: a log truncated under a mapping raises SIGBUS and kills the
process), in big blocks scanned by numpy / ``str.find`` / ``re``, never line by line in Python.
"""

from snowetl_tui.logindex.levels import LEVEL_CHOICES, detect_level
from snowetl_tui.logindex.line_index import (
    Change,
    IndexBatch,
    IntColumn,
    LineIndex,
    LogFile,
    LogLine,
    scan_breaks,
)
from snowetl_tui.logindex.search import MatchBatch, Query, QueryError, find_lines

__all__ = [
    "LEVEL_CHOICES",
    "Change",
    "IndexBatch",
    "IntColumn",
    "LineIndex",
    "LogFile",
    "LogLine",
    "MatchBatch",
    "Query",
    "QueryError",
    "detect_level",
    "find_lines",
    "scan_breaks",
]
