"""Byte-level file access: compression detection, streaming reads, head sampling."""
