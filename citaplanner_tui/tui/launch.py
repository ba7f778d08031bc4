"""Entry from the CLI: build the app for these settings and run it in the terminal.

``cli/main.py`` has already checked for a terminal.  ``--demo`` goes to the demo
module (it prepares settings for an embedded server and stops it on exit); otherwise
the console opens on the configured database.  Imports are deferred so the first
paint comes as early as possible.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from citaplanner_tui.core.settings import Settings

if TYPE_CHECKING:
    from citaplanner_tui.tui.app import CitaPlannerApp


def launch(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "demo", False):
        from citaplanner_tui.tui.demo import run_demo

        return run_demo(args, settings)
    from citaplanner_tui.tui.app import CitaPlannerApp

    return run_console(CitaPlannerApp(settings))


def run_console(app: CitaPlannerApp, **options: Any) -> int:
    """Run ``app`` in the terminal; its exit code, non-zero after a crash (``app._handle_exception``).

    ``App.run`` returns the value given to ``exit``, which a crash never sets: the
    exit code is the app's return code instead.  The crash's sentence is printed
    here, after ``run`` has given the terminal back.
    """
    app.run(**options)
    if app.exit_note:
        print(app.exit_note, file=sys.stderr, flush=True)
    if app.crash_report:
        print(app.crash_report, file=sys.stderr, flush=True)
    return app.return_code or 0
