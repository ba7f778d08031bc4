"""``citaplanner-tui notify test``: prove every [[notify]] channel reaches someone, before a night needs it.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import socket
import time
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import _, say, shown
from citaplanner_tui.cli.output import write_text
from citaplanner_tui.core.errors import ConfigError, OperatorError
from citaplanner_tui.core.logs.writer import Log

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

ORDER = 85


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "notify",
        help=_("test the notification channels"),
        description=_("Send a test message to every [[notify]] channel of the config file."),
    )
    actions = p.add_subparsers(dest="notify_action", metavar="ACTION", required=True)
    actions.add_parser("test", help=_("send a test message to every channel"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.unattended import notify

    channels = notify.channels(settings)
    if not channels:
        raise ConfigError(_("no [[notify]] channel is configured in the config file"))
    log = Log(settings.logs, "backup")

    def write(level: str, message: str) -> None:
        try:
            log.write(level, message)
        except OSError:
            pass  # the answer on the terminal is what matters here

    event = notify.Event(
        "test",
        say(
            "citaplanner-tui test message from {host}: this channel receives the backup alerts",
            host=socket.gethostname(),
        ),
    )
    outcomes = notify.Notifier(channels, write, pause=time.sleep).send(event)
    for name, problem in outcomes:
        write_text(f"OK   {shown(name)}" if problem is None else f"FAIL {shown(problem)}")
    failed = [p for _, p in outcomes if p]
    if failed:
        raise OperatorError(
            _("{failed} of {total} channels could not be reached").format(failed=len(failed), total=len(outcomes))
        )
    return 0
