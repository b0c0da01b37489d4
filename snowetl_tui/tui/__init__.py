"""The Textual app. Everything here renders state and sends commands; the data comes from
:mod:`snowetl_tui.client` only, so the core never learns about Textual (DESIGN §2)."""
