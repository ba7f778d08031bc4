"""The restore wizard, one module per step; ``RestoreScreen`` is what the app opens."""

from citaplanner_tui.tui.screens.restore.wizard import RestoreScreen

__all__ = ["RestoreScreen"]
