"""Warehouse adapter tests (Snowflake adapter against a local fakesnow server)."""
