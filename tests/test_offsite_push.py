"""Off-site push, list and report against a real S3 server (SeaweedFS), on a volume of real backups."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

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
