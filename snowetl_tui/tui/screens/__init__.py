"""Modal screens: help, confirm, dialogs."""
