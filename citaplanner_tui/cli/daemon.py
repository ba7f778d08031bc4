"""``citaplanner-tui daemon``: run the [schedule] in the foreground (a container's main process).

SIGTERM (``docker stop``) and Ctrl-C stop it safely: a running backup is cancelled and
leaves nothing half-written, and it runs again at the next start.
"""

from __future__ import annotations

import signal
import sys

from citaplanner_tui.core.errors import ConfigError

ORDER = 80


def register(sub) -> None:
    p = sub.add_parser(
        "daemon", help="run the scheduled backups, verifies and drills (for containers)",
        description="Run the jobs of the config file's [schedule] section (cron syntax or HH:MM, "
                    "in its timezone) one at a time, until SIGTERM. A run missed while the daemon "
                    "was down runs once at start-up; failures and health changes go to the "
                    "[[notify]] channels; every run is logged.")
    p.set_defaults(run=run)


def run(args, settings) -> int:
    from citaplanner_tui.core.unattended import notify, schedule
    from citaplanner_tui.core.unattended.daemon import Daemon

    plan = schedule.parse(settings.schedule)
    if not plan.jobs:
        raise ConfigError("no job is scheduled: add a [schedule] section to the config file, "
                          "e.g. backup = \"0 2 * * *\"")
    settings.require_writable("the daemon (it takes backups)")
    if any(j.name in ("backup", "drill") for j in plan.jobs):
        settings.conninfo()  # a bad DATABASE_URL is one sentence now, not a failure every night
    channels = notify.channels(settings)
    daemon = Daemon(settings, plan, echo=_echo)
    daemon.notifier = notify.Notifier(channels, daemon.log.write, pause=daemon.stopping.wait)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: daemon.stop())
    daemon.run()
    return 0


def _echo(record) -> None:
    print(f"{record.level} {record.message}", file=sys.stderr, flush=True)
