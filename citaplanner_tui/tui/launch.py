"""Entry from the CLI: build the app for these settings and run it in the terminal.

``cli/main.py`` has already checked for a terminal.  ``--demo`` goes to the demo
module (it prepares settings for an embedded server and stops it on exit); otherwise
the console opens on the configured database.  Imports are deferred so the first
paint comes as early as possible.
"""

from __future__ import annotations

import argparse

from citaplanner_tui.core.settings import Settings


def launch(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "demo", False):
        from citaplanner_tui.tui.demo import run_demo

        return run_demo(args, settings)
    from citaplanner_tui.tui.app import CitaPlannerApp

    return int(CitaPlannerApp(settings).run() or 0)
