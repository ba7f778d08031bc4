"""Retention on a target with object lock, and pulls that cannot finish, against SeaweedFS."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.offsite.client import OffsiteError, connect
from citaplanner_tui.core.offsite.prune import prune_target
from citaplanner_tui.core.offsite.pull import pull
from citaplanner_tui.core.offsite.push import push
from citaplanner_tui.core.settings import load
from tests.support.backup import cli, cli_env
from tests.support.catalog import old_dump
from tests.support.s3 import config_file

DAY = datetime.now().replace(hour=2, minute=0, second=0, microsecond=0)


def settings_with(tmp_path: Path, s3, bucket: str, vol: Path | None = None, **extra):
    config = config_file(tmp_path / "cfg", s3, bucket, **extra)
    return load({"config_file": str(config), "backup_dir": str(vol or tmp_path / "vol")}, env={})


def two_the_same_day(vol: Path) -> tuple[Path, Path]:
    """An older and a newer daily of one day: retention keeps only the newer."""
    return old_dump(vol / "daily", "daily", DAY), old_dump(vol / "daily", "daily", DAY + timedelta(hours=1))


def versions(s3, bucket: str, name: str) -> list[str]:
    listed = s3.client().list_object_versions(Bucket=bucket, Prefix=f"prod/daily/{name}")
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == f"prod/daily/{name}"]


def test_retention_leaves_locked_objects_and_says_until_when(tmp_path, s3, bucket):
    settings = settings_with(tmp_path, s3, bucket, object_lock_days=1)
    older, newer = two_the_same_day(settings.backup_dir)
    (result,) = push(settings, settings.offsite)
    assert result.ok, result.error
    assert result.pruned.removed == []
    ((backup, until),) = result.pruned.locked
    assert backup == f"daily/{older.name}"
    assert timedelta(hours=23) < until - datetime.now(timezone.utc) <= timedelta(days=1)
    assert versions(s3, bucket, older.name) and versions(s3, bucket, older.name + ".sha256")
    head = s3.client().head_object(Bucket=bucket, Key=f"prod/daily/{older.name}")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    env = cli_env("postgresql://x@127.0.0.1:1/x", settings.backup_dir, CITAPLANNER_TUI_CONFIG=str(settings.config_file))
    said = cli("offsite", "prune", env=env)
    assert said.returncode == 0, said.stderr
    assert f"left t1:daily/{older.name}: under object lock until " in said.stdout


def test_a_delete_the_server_refuses_is_one_sentence_and_keeps_the_backup(tmp_path, s3, bucket):
    """Our clock says the lock has ended (three days on); the server's says not: it refuses."""
    settings = settings_with(tmp_path, s3, bucket, object_lock_days=1)
    older, _ = two_the_same_day(settings.backup_dir)
    (result,) = push(settings, settings.offsite)
    assert result.ok and result.pruned.locked
    before = versions(s3, bucket, older.name)
    target = settings.offsite[0]
    later = datetime.now(timezone.utc) + timedelta(days=3)
    with pytest.raises(OffsiteError, match=f"refused to delete daily/{older.name} .*so daily/{older.name} stays there"):
        prune_target(connect(target), target, settings, now=later)
    assert versions(s3, bucket, older.name) == before
    assert versions(s3, bucket, older.name + ".sha256")


def test_retention_without_lock_removes_every_version(tmp_path, s3):
    bucket = s3.make_bucket(lock=False)
    s3.client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    settings = settings_with(tmp_path, s3, bucket)
    older, newer = two_the_same_day(settings.backup_dir)
    (result,) = push(settings, settings.offsite)
    assert result.ok and result.pruned.removed == [f"daily/{older.name}"]
    assert versions(s3, bucket, older.name) == [] and versions(s3, bucket, older.name + ".sha256") == []
    assert versions(s3, bucket, newer.name)
    assert older.exists()  # a push never touches the volume


@pytest.fixture
def tiny_volume(tmp_path):
    """A 1 MiB tmpfs as the backup volume (we run as root); unmounted afterwards."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here, so no full volume")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_pull_onto_a_full_volume_leaves_nothing_behind(tmp_path, s3, bucket, tiny_volume):
    settings = settings_with(tmp_path, s3, bucket)
    big = old_dump(settings.backup_dir / "daily", "daily", DAY)
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    Path(str(big) + ".sha256").write_text(f"{hashlib.sha256(big.read_bytes()).hexdigest()}  {big.name}\n")
    (result,) = push(settings, settings.offsite)
    assert result.ok, result.error
    kept = old_dump(tiny_volume / "daily", "daily", DAY - timedelta(days=1))
    before = {p.name: p.read_bytes() for p in (tiny_volume / "daily").iterdir()}
    small = settings_with(tmp_path, s3, bucket, vol=tiny_volume)
    target = small.offsite[0]
    with pytest.raises(OperatorError, match=f"the backup volume is full: daily/{big.name} did not fit") as info:
        pull(connect(target), target, small, big.name)
    assert "\n" not in info.value.sentence
    assert {p.name: p.read_bytes() for p in (tiny_volume / "daily").iterdir()} == before
    assert kept.exists()
