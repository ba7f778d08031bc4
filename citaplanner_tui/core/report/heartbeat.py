"""The daemon's heartbeat: a file saying it is alive, what it is doing and what runs next.

Rewritten on every wake-up and while a job reports progress, so a stale file means the
daemon is dead or stuck.  ``staleness()`` turns that into a verdict the status report
and the console can show ("daemon: no heartbeat for 2 h").
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from citaplanner_tui.core.report import health
from citaplanner_tui.core.report.health import Health
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.files import read_json, write_json

HEARTBEAT_FILE = "daemon-heartbeat.json"
WARN_AFTER = 10 * 60  # seconds without a beat
FAIL_AFTER = 60 * 60


def path(settings: Settings) -> Path:
    return settings.state_dir / HEARTBEAT_FILE


def beat(settings: Settings, now: datetime, doing: str, next_runs: dict[str, datetime | None]) -> None:
    """Record that the daemon (this pid) is alive at ``now`` (aware) doing ``doing``."""
    write_json(
        path(settings),
        {
            "pid": os.getpid(),
            "at": now.isoformat(timespec="seconds"),
            "doing": doing,
            "next": {job: t.isoformat(timespec="seconds") if t else None for job, t in next_runs.items()},
        },
    )


def read(settings: Settings) -> dict[str, Any]:
    """The last heartbeat ({} when the daemon never ran here)."""
    return read_json(path(settings))


def staleness(settings: Settings, now: datetime | None = None) -> Health | None:
    """WARN/FAIL when a daemon is configured (``[schedule]``) but its heartbeat is old or absent.

    None when no schedule is configured: then nobody promised a daemon.
    """
    if not settings.schedule:
        return None
    now = now or datetime.now(timezone.utc)
    last = read(settings)
    if last.get("doing") == "stopped":
        return Health("daemon", health.FAIL, "the daemon was stopped, so no scheduled job runs")
    try:
        at = datetime.fromisoformat(last["at"])
    except (KeyError, TypeError, ValueError):
        return Health("daemon", health.FAIL, "a schedule is configured but the daemon has never run")
    age = (now - at).total_seconds()
    took = f"{age / 60:.0f} min" if age < 3600 else health.hours(age / 3600)
    if age >= FAIL_AFTER:
        return Health("daemon", health.FAIL, f"no daemon heartbeat for {took}")
    if age >= WARN_AFTER:
        return Health("daemon", health.WARN, f"no daemon heartbeat for {took}")
    return Health("daemon", health.OK)  # OK carries no reason: a reason is what the problems line lists
