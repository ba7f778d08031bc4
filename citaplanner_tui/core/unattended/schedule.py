"""The ``[schedule]`` section: when each job runs, decided without side effects.

Each job is a cron expression (five fields, or six with seconds last, as croniter
reads them), a simple daily time ``"HH:MM"``, or ``"after backup"`` (it runs right after
every successful backup).  Times are read in ``timezone`` (default UTC), so
``"0 2 * * *"`` with ``America/Mexico_City`` is 02:00 in Mexico City whatever the
container's clock says.

``due()`` is the whole policy: a job is due when a scheduled time has passed since it
last ran (or since the daemon first had the job in its schedule, so a new daemon or a
newly added job does not run at once); however many were missed while the daemon was
down, it runs once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, croniter

from citaplanner_tui.core.errors import ConfigError

JOBS = ("backup", "verify_deep", "drill", "offsite_push")
AFTER = "after backup"
_DAILY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Job:
    """One scheduled job: its name and its cron expression, or ``after`` another job."""

    name: str
    cron: str | None = None
    after: str | None = None
    zone: ZoneInfo = ZoneInfo("UTC")

    def previous(self, now: datetime) -> datetime | None:
        """The latest scheduled time at or before the aware ``now``, in the schedule's zone."""
        if self.cron is None:
            return None
        # get_prev is strictly before its start, and a run due exactly at ``now`` counts.
        wall = croniter(self.cron, self._wall(now) + timedelta(microseconds=1)).get_prev(datetime)
        if self._aware(wall) > now:  # a time skipped by a DST change, placed after the gap
            wall = croniter(self.cron, wall).get_prev(datetime)
        ahead = croniter(self.cron, wall).get_next(datetime)
        if self._aware(ahead) <= now:  # in a repeated hour, the first pass of a later wall time
            wall = ahead
        return self._aware(wall)

    def next(self, now: datetime) -> datetime | None:
        """The first scheduled time after the aware ``now``."""
        if self.cron is None:
            return None
        wall = croniter(self.cron, self._wall(now)).get_next(datetime)
        while self._aware(wall) <= now:  # the repeated hour of a DST change: that time already ran
            wall = croniter(self.cron, wall).get_next(datetime)
        return self._aware(wall)

    # Cron times are wall-clock times, counted once each: croniter runs on naive local time and
    # zoneinfo places it (fold 0: the first of a repeated hour; a skipped time just after the gap).
    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.zone).astimezone(timezone.utc).astimezone(self.zone)


@dataclass(frozen=True)
class Schedule:
    """The configured jobs in the configured time zone."""

    jobs: tuple[Job, ...]
    timezone: ZoneInfo

    def job(self, name: str) -> Job | None:
        return next((j for j in self.jobs if j.name == name), None)

    def following(self, name: str) -> list[Job]:
        """The jobs that run right after ``name`` succeeds."""
        return [j for j in self.jobs if j.after == name]


def parse(raw: Any) -> Schedule:
    """Read ``[schedule]``; a bad value is one sentence naming the key (``ConfigError``)."""
    if not isinstance(raw, Mapping):
        raise ConfigError('[schedule] in the config file must be a table of job = "cron expression"')
    zone_name = raw.get("timezone", "UTC")
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[schedule] timezone {zone_name!r} is not a known time zone (use a name like America/Mexico_City)"
        ) from None
    jobs = []
    for name, value in raw.items():
        if name == "timezone":
            continue
        if name not in JOBS:
            raise ConfigError(f"[schedule] names an unknown job {name!r}; the jobs are {', '.join(JOBS)}")
        jobs.append(_job(name, value, zone))
    for job in jobs:
        if job.after and not any(j.name == job.after for j in jobs):
            raise ConfigError(f"[schedule] {job.name} runs after {job.after}, but {job.after} is not scheduled")
    return Schedule(tuple(jobs), zone)


def _job(name: str, value: Any, zone: ZoneInfo) -> Job:
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    if text.lower() == AFTER:
        if name == "backup":
            raise ConfigError("[schedule] backup cannot run after itself")
        return Job(name, after="backup", zone=zone)
    if m := _DAILY.match(text):
        return Job(name, cron=f"{int(m[2])} {int(m[1])} * * *", zone=zone)
    if text and len(text.split()) in (5, 6) and croniter.is_valid(text):
        try:
            croniter(text).get_next(datetime)
        except (CroniterBadCronError, ValueError, KeyError):
            pass
        else:
            return Job(name, cron=text, zone=zone)
    raise ConfigError(
        f'[schedule] {name} = {value!r} is not a cron expression (like "0 2 * * *"), '
        'a time like "02:00", or "after backup"'
    )


def due(job: Job, last_run: datetime | None, since: datetime, now: datetime) -> datetime | None:
    """The scheduled time this job should run for now, or None.

    ``last_run``: the scheduled time the job last ran for (None: never); ``since``: when
    the daemon on this volume first had the job in its schedule.  Only the latest missed time is returned,
    so a week of downtime gives one run, not seven.
    """
    scheduled = job.previous(now)
    if scheduled is None:
        return None
    floor = max(t for t in (last_run, since) if t is not None)
    return scheduled if scheduled > floor else None
