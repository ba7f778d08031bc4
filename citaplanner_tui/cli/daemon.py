"""``citaplanner-tui daemon``: run the [schedule] in the foreground (a container's main process).

SIGTERM (``docker stop``) and Ctrl-C stop it safely: a running backup is cancelled and
leaves nothing half-written, and it runs again at the next start.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import N_, _, say, shown
from citaplanner_tui.core.errors import ConfigError

if TYPE_CHECKING:
    from citaplanner_tui.core.logs.lines import LogRecord
    from citaplanner_tui.core.settings import Settings

ORDER = 80


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "daemon",
        help=_("run the scheduled backups, verifies and drills (for containers)"),
        description=_(
            "Run the jobs of the config file's [schedule] section (cron syntax or HH:MM, "
            "in its timezone) one at a time, until SIGTERM. A run missed while the daemon "
            "was down runs once at start-up; failures and health changes go to the "
            "[[notify]] channels; every run is logged."
        ),
    )
    p.add_argument(
        "--metrics-file",
        metavar="PATH",
        help=_("also write the Prometheus metrics to PATH after every job (node_exporter's textfile)"),
    )
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help=_("serve /metrics on port N (default 9187; 0 turns it off)"),
    )
    p.add_argument("--metrics-host", default=None, metavar="H", help=_("address to serve on (default 127.0.0.1)"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.unattended import metrics, notify, schedule
    from citaplanner_tui.core.unattended.daemon import Daemon

    plan = schedule.parse(settings.schedule)
    if not plan.jobs:
        raise ConfigError(
            _('no job is scheduled: add a [schedule] section to the config file, e.g. backup = "0 2 * * *"')
        )
    settings.require_writable(N_("the daemon (it takes backups)"))
    if any(j.name in ("backup", "drill") for j in plan.jobs):
        settings.conninfo()  # a bad DATABASE_URL is one sentence now, not a failure every night
    port = metrics.DEFAULT_PORT if args.metrics_port is None else args.metrics_port
    if not 0 <= port <= 65535:
        raise ConfigError(_("--metrics-port must be from 0 to 65535, not {port}").format(port=port))
    channels = notify.channels(settings)
    publisher = metrics.Publisher(Path(args.metrics_file) if args.metrics_file else None)
    daemon = Daemon(settings, plan, publisher=publisher, echo=_echo)
    daemon.notifier = notify.Notifier(channels, daemon.log.write, pause=daemon.stopping.wait)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: daemon.stop())
    if port:
        host = args.metrics_host or metrics.DEFAULT_HOST
        problem = publisher.serve(host, port)
        daemon.log.write(
            "WARN" if problem else "INFO",
            say("daemon: {problem}", problem=problem)
            if problem
            else say("daemon: metrics on {url}", url=f"http://{host}:{port}/metrics"),
        )
    try:
        daemon.run()
    finally:
        publisher.close()
    return 0


def _echo(record: LogRecord) -> None:
    print(f"{record.level} {shown(record.message)}", file=sys.stderr, flush=True)
