"""The daemon's ``offsite_push`` job after each backup, over a simulated day, against SeaweedFS."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

from citaplanner_tui.core.settings import load
from citaplanner_tui.core.unattended import schedule
from citaplanner_tui.core.unattended.daemon import Daemon
from tests.support.backup import fill, settings_for
from tests.support.s3 import config_file
from tests.support.unattended import FakeClock

START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
PLAN = {"backup": "0 2 * * *", "offsite_push": "after backup", "timezone": "UTC"}


def _night(app_db, backup_dir, offsite):
    settings = dataclasses.replace(settings_for(app_db, backup_dir, schedule=PLAN), offsite=offsite)
    Daemon(
        settings,
        schedule.parse(settings.schedule),
        clock=FakeClock(START, START + timedelta(hours=3)),
        tick=3600,
        health_every=3600,
    ).run()
    return settings, json.loads((settings.state_dir / "daemon.json").read_text())["jobs"]


def _target(s3, bucket: str, tmp_path):
    return load({"config_file": str(config_file(tmp_path / "cfg", s3, bucket))}, env={}).offsite


def test_the_nightly_backup_is_pushed_by_the_job_that_follows_it(app_db, backup_dir, s3, bucket, tmp_path):
    fill(app_db)
    settings, jobs = _night(app_db, backup_dir, _target(s3, bucket, tmp_path))
    assert jobs["backup"]["ok"] and jobs["offsite_push"]["ok"] is True, jobs
    (dump,) = (backup_dir / "daily").glob("*.sql.gz")
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"prod/daily/{dump.name}" in keys and f"prod/daily/{dump.name}.sha256" in keys


def test_a_failing_target_fails_the_job_not_the_backup(app_db, backup_dir, s3, tmp_path):
    fill(app_db)
    settings, jobs = _night(app_db, backup_dir, _target(s3, "no-such-bucket-at-all", tmp_path))
    assert jobs["backup"]["ok"] is True
    assert (
        jobs["offsite_push"]["ok"] is False and "has no bucket no-such-bucket-at-all" in jobs["offsite_push"]["detail"]
    )
    assert len(list((backup_dir / "daily").glob("*.sql.gz.sha256"))) == 1
