"""Entry from the CLI: build the app for these settings and run it in the terminal.

``cli/main.py`` has already checked for a terminal.  ``--demo`` is handled by the
demo module when it exists (it prepares settings for an embedded server and stops it
on exit); otherwise the console opens on the configured database.
"""

from __future__ import annotations

import argparse

from citaplanner_tui.core.settings import Settings


def launch(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "demo", False):
        import importlib
        import importlib.util

        if importlib.util.find_spec("citaplanner_tui.tui.demo") is None:
            from citaplanner_tui.core.errors import OperatorError

            raise OperatorError("--demo is not available in this build yet")
        return importlib.import_module("citaplanner_tui.tui.demo").run_demo(args, settings)
    from citaplanner_tui.tui.app import CitaPlannerApp

    return int(CitaPlannerApp(settings).run() or 0)
