"""Widgets the screens are built from: dashboard panes, the log viewer, health words."""
