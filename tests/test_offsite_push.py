"""Off-site push, list and report against a real S3 server (SeaweedFS), on a volume of real backups."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citaplanner_tui.core.offsite import report, upload
from citaplanner_tui.core.offsite.push import push
from citaplanner_tui.core.settings import load
from citaplanner_tui.core.volume.catalog import scan
from tests.support.catalog import old_dump
from tests.support.s3 import config_file

NOW = datetime(2026, 11, 10, 3, 0, 0)


def settings_with(tmp_path: Path, s3, bucket: str, **extra):
    config = config_file(tmp_path / "cfg", s3, bucket, **extra)
    return load({"config_file": str(config), "backup_dir": str(tmp_path / "vol")}, env={})


def big_dump(folder: Path, tier: str, taken_at: datetime, size: int) -> Path:
    """A dump of ``size`` incompressible bytes (so it needs a multipart upload) with its sidecar."""
    path = old_dump(folder, tier, taken_at)
    path.write_bytes(os.urandom(size))
    Path(str(path) + ".sha256").write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    return path


def test_push_uploads_every_good_backup_once_and_the_report_sees_them(tmp_path, s3, bucket, monkeypatch):
    monkeypatch.setattr(upload, "PART_SIZE", 5 * 1024 * 1024)
    settings = settings_with(tmp_path, s3, bucket)
    vol = settings.backup_dir
    small = old_dump(vol / "daily", "daily", NOW - timedelta(days=1))
    big = big_dump(vol / "daily", "daily", NOW - timedelta(hours=2), 12 * 1024 * 1024 + 123)
    old_dump(vol / "daily", "daily", NOW - timedelta(hours=1), sidecar=False)  # not good: stays home
    (results,) = push(settings, settings.offsite, now=NOW)
    assert results.ok, results.error
    assert sorted(results.uploaded) == sorted(
        [f"daily/{small.name}", f"daily/{small.name}.sha256", f"daily/{big.name}", f"daily/{big.name}.sha256"]
    )
    client = s3.client()
    got = client.get_object(Bucket=bucket, Key=f"prod/daily/{big.name}")["Body"].read()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
    head = client.head_object(Bucket=bucket, Key=f"prod/daily/{big.name}", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].endswith("-3")  # 5 + 5 + 2 MiB parts
    (again,) = push(settings, settings.offsite, now=NOW)
    assert again.ok and again.uploaded == []
    (facts,) = report.build(settings, scan(settings), NOW)
    assert facts.problem is None and facts.backups == 2 and facts.missing == 0
    assert facts.newest["daily"].path.name == big.name and facts.lag_hours == 0
    assert facts.unencrypted == 2
    assert [h.word for h in facts.checks] == ["WARN"] and "unencrypted" in facts.checks[0].reason


def test_the_lag_compares_the_rotated_tiers_so_a_manual_push_does_not_hide_a_missing_daily(tmp_path, s3, bucket):
    settings = settings_with(tmp_path, s3, bucket)
    vol = settings.backup_dir
    old_dump(vol / "daily", "daily", NOW - timedelta(days=1))
    old_dump(vol / "manual", "manual", NOW - timedelta(hours=1))
    (pushed,) = push(settings, settings.offsite, now=NOW)
    assert pushed.ok and len(pushed.uploaded) == 4, pushed.uploaded  # both dumps and their sidecars
    old_dump(vol / "daily", "daily", NOW - timedelta(hours=2))  # taken after the push: not there yet
    (facts,) = report.build(settings, scan(settings), NOW)
    assert facts.newest_any.tier == "manual" and facts.missing == 1
    assert facts.lag_hours == 22  # the new daily against the target's newest daily, not against the manual one


class StopAt:
    """A client that behaves as the real one until ``call`` is made the ``nth`` time with a key
    ending ``suffix``: then Ctrl-C arrives, as if the operator pressed it at that very moment."""

    def __init__(self, client, call: str, suffix: str = "", nth: int = 1):
        self.client, self.call, self.suffix, self.left = client, call, suffix, nth

    def __getattr__(self, name):
        real = getattr(self.client, name)
        if name != self.call:
            return real

        def stopping(**kw):
            if kw.get("Key", "").endswith(self.suffix):
                self.left -= 1
                if self.left == 0:
                    raise KeyboardInterrupt
            return real(**kw)

        return stopping


def test_ctrl_c_mid_multipart_leaves_no_object_and_no_open_upload(tmp_path, s3, bucket, monkeypatch):
    from citaplanner_tui.core.offsite.client import connect

    monkeypatch.setattr(upload, "PART_SIZE", 5 * 1024 * 1024)
    settings = settings_with(tmp_path, s3, bucket)
    big = big_dump(settings.backup_dir / "daily", "daily", NOW, 12 * 1024 * 1024)
    with pytest.raises(KeyboardInterrupt):
        push(settings, settings.offsite, connect=lambda t: StopAt(connect(t), "upload_part", nth=2), now=NOW)
    client = s3.client()
    assert client.list_objects_v2(Bucket=bucket).get("Contents", []) == []
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    (done,) = push(settings, settings.offsite, now=NOW)
    assert done.ok and f"daily/{big.name}.sha256" in done.uploaded


def test_ctrl_c_before_the_sidecar_leaves_no_good_remote_backup_and_the_next_push_finishes(tmp_path, s3, bucket):
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.verify import verify_target

    settings = settings_with(tmp_path, s3, bucket)
    dump = old_dump(settings.backup_dir / "daily", "daily", NOW - timedelta(hours=1))
    with pytest.raises(KeyboardInterrupt):
        push(settings, settings.offsite, connect=lambda t: StopAt(connect(t), "put_object", ".sha256"), now=NOW)
    (facts,) = report.build(settings, scan(settings), NOW)
    assert facts.backups == 1 and facts.newest_any is None and facts.missing == 1
    target = settings.offsite[0]
    (check,) = verify_target(connect(target), target, settings)
    assert not check.ok and "its sidecar is missing there" in check.detail
    (done,) = push(settings, settings.offsite, now=NOW)
    assert done.ok and done.uploaded == [f"daily/{dump.name}", f"daily/{dump.name}.sha256"]
    (check,) = verify_target(connect(target), target, settings, deep=True)
    assert check.ok, check.detail


def test_ctrl_c_mid_pull_removes_the_partial_file(tmp_path, s3, bucket):
    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.pull import pull

    settings = settings_with(tmp_path, s3, bucket)
    big = big_dump(settings.backup_dir / "daily", "daily", NOW, 3 * 1024 * 1024)
    assert push(settings, settings.offsite, now=NOW)[0].ok
    elsewhere = load({"config_file": str(settings.config_file), "backup_dir": str(tmp_path / "other")}, env={})

    def interrupt(progress):
        if progress.phase == "pull" and progress.done:
            raise KeyboardInterrupt

    target = elsewhere.offsite[0]
    with pytest.raises(KeyboardInterrupt):
        pull(connect(target), target, elsewhere, big.name, reporter=Reporter(interrupt, interval=0))
    assert sorted(p.name for p in (tmp_path / "other" / "daily").iterdir()) == []


def test_the_weekly_hard_link_of_a_daily_is_copied_on_the_server_not_sent_again(tmp_path, s3, bucket, monkeypatch):
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.verify import verify_target

    monkeypatch.setattr(upload, "PART_SIZE", 5 * 1024 * 1024)
    settings = settings_with(tmp_path, s3, bucket, object_lock_days=1)
    daily = big_dump(settings.backup_dir / "daily", "daily", NOW, 11 * 1024 * 1024)
    small = old_dump(settings.backup_dir / "daily", "daily", NOW - timedelta(days=1))
    (settings.backup_dir / "weekly").mkdir()
    for dump in (daily, small):
        for suffix in ("", ".sha256"):
            weekly = settings.backup_dir / "weekly" / (dump.name.replace("_daily_", "_weekly_") + suffix)
            os.link(str(dump) + suffix, weekly)
    (result,) = push(settings, settings.offsite, now=NOW)
    assert result.ok, result.error
    assert result.bytes == daily.stat().st_size + small.stat().st_size  # each dump's bytes sent once
    assert len(result.uploaded) == 8
    target = settings.offsite[0]
    checks = verify_target(connect(target), target, settings, deep=True)
    assert [c.backup.split("/")[0] for c in checks].count("weekly") == 2
    assert all(c.ok for c in checks), [c.detail for c in checks]
    head = s3.client().head_object(Bucket=bucket, Key=f"prod/weekly/{daily.name.replace('_daily_', '_weekly_')}")
    assert head["ObjectLockMode"] == "COMPLIANCE"
