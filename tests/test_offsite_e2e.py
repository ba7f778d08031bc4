"""The host is lost: backup -> push -> the volume is gone -> pull -> restore -> the same rows.

Real PostgreSQL 18, real pg_dump/psql, real SeaweedFS, every step as the operator types it.
"""

from __future__ import annotations

import shutil

from tests.support.backup import cli, cli_env
from tests.support.restore import content, fill
from tests.support.s3 import SECRETS, config_file


def test_backup_push_lose_the_volume_pull_and_restore_the_same_rows(tmp_path, s3, bucket, app_db):
    fill(app_db)
    at_backup = content(app_db.server, app_db.name)
    vol = tmp_path / "vol"
    config = config_file(tmp_path / "cfg", s3, bucket, object_lock_days=1)
    env = cli_env(app_db.url, vol, CITAPLANNER_TUI_CONFIG=str(config))

    done = cli("backup", "--tier", "daily", env=env)  # pushes to t1 once the backup is published
    assert done.returncode == 0 and done.stderr == "", done.stderr
    (dump,) = (vol / "daily").glob("*.sql.gz")
    listed = cli("offsite", "list", env=env)
    assert f"ok         daily/{dump.name}" in listed.stdout, listed.stdout

    shutil.rmtree(vol)  # the host and its disk are gone
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    assert content(app_db.server, app_db.name) != at_backup

    restored = cli("restore", "--from-offsite", f"t1:{dump.name}", "--confirm", app_db.name, env=env)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"OK {dump.name} restored into")
    assert content(app_db.server, app_db.name) == at_backup
    assert (vol / "daily" / (dump.name + ".sha256")).exists()  # pulled: now an ordinary backup
    drilled = cli("drill", "--from-offsite", f"t1:daily/{dump.name}", env=env)
    assert drilled.returncode == 0, drilled.stderr
    for text in (done.stdout, listed.stdout, restored.stdout, restored.stderr, drilled.stdout):
        assert not any(secret in text for secret in SECRETS)
