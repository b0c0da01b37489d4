"""Load targets: the Warehouse protocol and its DuckDB (local) and Snowflake adapters."""
