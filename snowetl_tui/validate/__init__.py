"""Streaming validation: per-chunk kernel, merge, calendar and anomaly checks, report."""
