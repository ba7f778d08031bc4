"""The manifest's pure parts: reading it back, and the warning across Prisma migration heads."""

from __future__ import annotations

from datetime import datetime

from citaplanner_tui.core.settings import Retention
from citaplanner_tui.core.volume import manifest
from citaplanner_tui.core.volume.catalog import State, scan
from citaplanner_tui.core.volume.manifest import Manifest, Migration, migration_warning
from citaplanner_tui.core.volume.retention import to_remove
from tests.support.catalog import old_dump

INIT = Migration("20260901_init", "2026-09-01T10:00:00+00:00", 1)
PAYMENTS = Migration("20261001_add_payments", "2026-10-01T10:00:00+00:00", 2)


def test_the_same_head_is_no_warning():
    assert migration_warning(PAYMENTS, PAYMENTS) is None
    assert migration_warning(None, None) is None


def test_an_older_backup_predates_the_targets_newest_migration():
    assert migration_warning(INIT, PAYMENTS).startswith("this backup predates migration 20261001_add_payments")
    assert migration_warning(None, PAYMENTS).startswith("this backup predates migration 20261001_add_payments")


def test_a_newer_backup_says_the_target_lacks_its_migration():
    assert "its newest migration 20261001_add_payments is not applied there" in migration_warning(PAYMENTS, INIT)
    assert "the target has none applied" in migration_warning(PAYMENTS, None)


def _facts(path) -> Manifest:
    return Manifest(
        "0.1.0",
        "18.1",
        "18.1",
        "citaplanner",
        1 << 20,
        "gzip",
        "0" * 64,
        path.stat().st_size,
        "2026-11-03T02:00:00",
        {"public.clients": 3},
        PAYMENTS,
    )


def test_round_trip_and_a_damaged_manifest_reads_as_none(backup_dir):
    dump = old_dump(backup_dir / "daily", "daily", datetime(2026, 11, 3, 2))
    manifest.path_for(dump).write_bytes(manifest.encode(_facts(dump)))
    assert manifest.read(dump) == _facts(dump)
    manifest.path_for(dump).write_text('{"tool_version": ')
    assert manifest.read(dump) is None


def test_retention_takes_the_manifest_along_and_an_orphan_goes_too(backup_dir):
    days = [old_dump(backup_dir / "daily", "daily", datetime(2026, 11, d, 2)) for d in (1, 2, 3)]
    for dump in days:
        manifest.path_for(dump).write_bytes(manifest.encode(_facts(dump)))
    days[0].unlink()
    days[0].with_name(days[0].name + ".sha256").unlink()  # a crash left only the manifest
    catalog = scan(backup_dir)
    assert catalog.find(manifest.path_for(days[0])).state is State.ORPHAN_SIDECAR
    assert catalog.find(days[2]).companions == (manifest.path_for(days[2]),)
    gone = {p.name for r in to_remove(catalog, Retention(daily=1)) for p in r.paths}
    assert gone == {
        manifest.path_for(days[0]).name,
        days[1].name,
        manifest.path_for(days[1]).name,
        days[1].name + ".sha256",
    }
    assert not [e for e in catalog if e.state is State.FOREIGN]  # manifests are ours, not strangers
