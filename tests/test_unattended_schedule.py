"""The [schedule] section: parsing (one sentence for each kind of bad input) and due()."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.unattended import schedule
from citaplanner_tui.core.unattended.schedule import due

MX = ZoneInfo("America/Mexico_City")
UTC = timezone.utc
ISSUE = {
    "backup": "0 2 * * *",
    "verify_deep": "30 3 * * *",
    "drill": "0 4 * * sun",
    "offsite_push": "after backup",
    "timezone": "America/Mexico_City",
}


def test_the_issues_schedule_reads_in_its_time_zone():
    s = schedule.parse(ISSUE)
    assert [j.name for j in s.jobs] == ["backup", "verify_deep", "drill", "offsite_push"]
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # a Tuesday, 06:00 in Mexico City
    backup = s.job("backup").next(now)
    assert backup == datetime(2026, 12, 2, 2, 0, tzinfo=MX)
    assert backup.astimezone(timezone.utc) == datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
    assert s.job("drill").next(now) == datetime(2026, 12, 6, 4, 0, tzinfo=MX)  # Sunday
    assert s.job("offsite_push").next(now) is None
    assert [j.name for j in s.following("backup")] == ["offsite_push"]


def test_a_simple_time_is_daily_and_seconds_may_come_sixth():
    s = schedule.parse({"backup": "2:05", "verify_deep": "0 3 * * * 30"})
    now = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
    assert s.job("backup").next(now) == datetime(2026, 12, 1, 2, 5, tzinfo=timezone.utc)
    assert s.job("verify_deep").next(now) == datetime(2026, 12, 1, 3, 0, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"backup": "0 25 * * *"}, "backup = '0 25 * * *' is not a cron expression"),
        ({"backup": "every night"}, "is not a cron expression"),
        ({"backup": 2}, "backup = 2 is not a cron expression"),
        ({"backups": "0 2 * * *"}, "unknown job 'backups'"),
        ({"backup": "0 2 * * *", "timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a known time zone"),
        ({"offsite_push": "after backup"}, "offsite_push runs after backup, but backup is not scheduled"),
        ({"backup": "after backup"}, "backup cannot run after itself"),
        ("0 2 * * *", "must be a table"),
    ],
)
def test_bad_schedules_are_one_sentence_naming_the_key(raw, words):
    with pytest.raises(ConfigError) as err:
        schedule.parse(raw)
    assert words in err.value.sentence
    assert "\n" not in err.value.sentence


def test_due_runs_a_missed_time_once_and_not_before_the_daemon_first_started():
    job = schedule.parse({"backup": "0 2 * * *"}).job("backup")
    since = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    # Started at noon: last night's 02:00 was before the daemon existed, so nothing is due.
    assert due(job, None, since, since + timedelta(hours=1)) is None
    # Exactly at the scheduled time it is due, and stays due until it has run.
    at = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
    assert due(job, None, since, at) == at
    assert due(job, None, since, at - timedelta(seconds=1)) is None
    assert due(job, at, since, at + timedelta(hours=5)) is None
    # Down for three nights: one run, for the latest missed time.
    back = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    assert due(job, at, since, back) == datetime(2026, 12, 5, 2, 0, tzinfo=timezone.utc)


def _runs(job, start, end):
    """Every time the daemon would run ``job`` between start and end, waking at each next()."""
    runs, t = [], start
    while (t := job.next(t)) < end:
        assert due(job, runs[-1] if runs else None, start, t) == t
        runs.append(t)
    return runs


def test_a_dst_change_runs_each_wall_clock_time_once():
    ny = ZoneInfo("America/New_York")
    fall = schedule.parse({"backup": "30 1 * * *", "timezone": "America/New_York"}).job("backup")
    # 1 Nov 2026 has 01:30 twice (EDT, then EST): one backup, at the first.
    runs = _runs(fall, datetime(2026, 10, 31, 12, tzinfo=UTC), datetime(2026, 11, 2, 12, tzinfo=UTC))
    assert [r.astimezone(UTC) for r in runs] == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
    ]
    second_pass = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST, after 01:30 EDT ran
    assert fall.previous(second_pass).astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # 8 Mar 2026 has no 02:30: that night's backup runs just after the gap, once.
    spring = schedule.parse({"backup": "30 2 * * *", "timezone": "America/New_York"}).job("backup")
    runs = _runs(spring, datetime(2026, 3, 7, 12, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC))
    assert [r.astimezone(ny).strftime("%d %H:%M %Z") for r in runs] == ["08 03:30 EDT", "09 02:30 EDT"]
