"""Load configs: the JSON model, loading with precise errors, file-name matching, generation."""
