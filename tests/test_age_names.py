"""Encrypted backup names (``.sql.gz.age``, ``.sql.zst.age``) through everything keyed by name:
naming, the catalog, tiers, retention, prune and status (real files, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from citaplanner_tui.core.report import status
from citaplanner_tui.core.report.status import DatabaseStatus
from citaplanner_tui.core.settings import Retention, Settings
from citaplanner_tui.core.stream import age
from citaplanner_tui.core.volume import catalog, retention
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.core.volume.naming import make_name, parse_name
from citaplanner_tui.core.volume.prune import prune
from tests.support.age import encrypted_backup
from tests.support.catalog import PLAIN_DUMP

DAY0 = datetime(2026, 3, 1, 2, 0, 0)


@pytest.mark.parametrize(
    "name, compression, encrypted",
    [
        ("citaplanner_daily_20260301_020000.sql.gz", "gzip", False),
        ("citaplanner_daily_20260301_020000.sql.zst", "zstd", False),
        ("citaplanner_daily_20260301_020000.sql.gz.age", "gzip", True),
        ("citaplanner_weekly_20260301_020000.sql.zst.age", "zstd", True),
    ],
)
def test_names_say_compression_and_encryption(name, compression, encrypted):
    parsed = parse_name(name)
    assert (parsed.compression, parsed.encrypted) == (compression, encrypted)
    assert make_name(parsed.tier, parsed.taken_at, compression, encrypted=encrypted).filename == name
    assert parsed.sidecar == name + ".sha256"


@pytest.mark.parametrize(
    "name",
    [
        "citaplanner_daily_20260301_020000.sql.age",
        "citaplanner_daily_20260301_020000.sql.gz.age.age",
        "citaplanner_daily_20260301_020000.sql.gz.gpg",
        "citaplanner_daily_20260301_020000.age",
    ],
)
def test_other_suffixes_are_not_ours(name):
    assert parse_name(name) is None


def test_catalog_retention_prune_and_status_treat_age_backups_as_backups(tmp_path):
    root = tmp_path / "backups"
    recipient = age.Identity.generate().recipient
    days = [DAY0 + timedelta(days=i) for i in range(6)]
    for when in days:
        encrypted_backup(root / "daily", "daily", when, recipient, PLAIN_DUMP.format(n=when.strftime("%Y%m%d")))
    settings = Settings(backup_dir=root, retention=Retention(daily=3, weekly=4, monthly=6))

    scanned = catalog.scan(settings)
    dumps = scanned.backups("daily")
    assert [e.state for e in dumps] == [State.OK] * 6 and all(e.name.encrypted for e in dumps)
    assert all(len(e.companions) == 1 for e in dumps)  # the manifest goes with its dump
    assert scanned.newest_good("daily").path.name == make_name("daily", days[-1], encrypted=True).filename
    assert "daily" in retention.covered(scanned, days[-1])

    report = status.build(
        settings, now=days[-1] + timedelta(hours=1), database=DatabaseStatus("citaplanner", None), daemon=False
    )
    (daily,) = [t for t in report.tiers if t.tier == "daily"]
    assert daily.health.word == "OK" and daily.newest_good.name.encrypted and daily.backups == 6

    planned = prune(settings, dry_run=True)
    gone = {p.name for r in planned.removals for p in r.paths}
    oldest = [make_name("daily", d, encrypted=True).filename for d in days[:3]]
    assert gone == {n + s for n in oldest for s in ("", ".sha256", ".manifest.json")}
    done = prune(settings)
    assert sorted(p.name for p in (root / "daily").iterdir() if p.name.endswith(".age")) == [
        make_name("daily", d, encrypted=True).filename for d in days[3:]
    ]
    assert {p.name for p in done.deleted} == gone
