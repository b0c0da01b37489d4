"""The load pipeline: plan, read once, stage, copy, reconcile; the ledger of loads."""
