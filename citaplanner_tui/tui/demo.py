"""``citaplanner-tui --demo``: open the console on the embedded demo, stop its server on exit."""

from __future__ import annotations

import argparse
import sys

from citaplanner_tui.core.settings import Settings


def run_demo(args: argparse.Namespace, _settings: Settings) -> int:
    from citaplanner_tui.core.demo import open_demo

    def say(message: str) -> None:
        print(f"citaplanner-tui demo: {message}", file=sys.stderr, flush=True)

    demo = open_demo(reset=args.reset, read_only=bool(args.read_only), progress=say)
    try:
        from citaplanner_tui.tui.app import CitaPlannerApp

        return int(CitaPlannerApp(demo.settings).run() or 0)
    finally:
        say("stopping the demo server")
        demo.close()
