"""Reports people look at: the per-job JSON + self-contained HTML report, the batch summary over
the ledger, and where they live in a workspace (``logs/reports/``). Core code: no Textual."""
