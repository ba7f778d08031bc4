"""``citaplanner-tui --demo``: open the console on the embedded demo, stop its server on exit."""

from __future__ import annotations

import argparse
import signal
import sys

from citaplanner_tui.core.i18n import _, shown
from citaplanner_tui.core.settings import Settings


def run_demo(args: argparse.Namespace, _settings: Settings) -> int:
    from citaplanner_tui.demo.volume import open_demo

    def say(message: str) -> None:
        try:
            print(f"citaplanner-tui demo: {shown(message)}", file=sys.stderr, flush=True)
        except OSError:  # the terminal is gone (SIGHUP); stopping the server matters more
            pass

    demo = open_demo(reset=args.reset, read_only=bool(args.read_only), progress=say)
    # A closed terminal (SIGHUP) or `docker stop` (SIGTERM) must still stop the server.
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    try:
        from citaplanner_tui.tui.app import CitaPlannerApp
        from citaplanner_tui.tui.launch import run_console

        return run_console(CitaPlannerApp(demo.settings))
    finally:
        demo.close()
        say(_("demo server stopped"))
