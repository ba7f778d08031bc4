"""Restore drills: a scratch restore with count checks, compared with live, recorded; live untouched."""

from __future__ import annotations

from datetime import datetime

import pytest

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.restore import drill
from citaplanner_tui.core.volume.catalog import scan
from citaplanner_tui.core.volume.records import Records
from tests.support.restore import content, databases, fill, settings_for, take_backup


def test_drill_restores_newest_good_backup_and_records_it(app_db15, backup_dir):
    live = app_db15
    fill(live)
    take_backup(live, backup_dir, tier="daily", now=datetime(2026, 1, 1, 2, 0))
    newest = take_backup(live, backup_dir, tier="daily", now=datetime(2026, 1, 2, 2, 0))
    # Newer, but never chosen by default: a restore's safety backup and an operator's manual one.
    take_backup(live, backup_dir, tier="safety", now=datetime(2026, 1, 2, 9, 0))
    take_backup(live, backup_dir, tier="manual", now=datetime(2026, 1, 2, 10, 0))
    live.sql("DELETE FROM payments WHERE ctid IN (SELECT ctid FROM payments LIMIT 5)")
    before = content(live.server, live.name)
    settings = settings_for(live, backup_dir)

    result = drill(settings)

    assert result.archive == str(newest)
    assert result.rows["public.payments"] == before["payments"][0] + 5
    assert result.differences == {"public.payments": -5}
    assert content(live.server, live.name) == before
    assert not databases(live.server, live.name + "__")
    facts = Records(settings).lookup(newest)
    assert facts.drill.ok and facts.drill.extra["rows"] == result.rows and facts.drills == 1
    assert scan(settings).find(newest).drill_ok is True


def test_failed_drill_is_recorded_and_leaves_nothing(app_db, backup_dir):
    fill(app_db)
    archive = take_backup(app_db, backup_dir)
    archive.write_bytes(archive.read_bytes()[:-100])
    settings = settings_for(app_db, backup_dir)
    with pytest.raises(OperatorError) as err:
        drill(settings, archive)
    refused = f"{archive.name} changed since it was checked: its SHA-256 no longer matches"  # its sidecar
    assert refused in err.value.sentence
    facts = Records(settings).lookup(archive)
    assert facts.drill.ok is False and refused in facts.drill.detail
    assert not databases(app_db.server, app_db.name + "__")


def test_no_backup_to_drill_is_one_sentence(app_db, backup_dir):
    with pytest.raises(OperatorError, match="no good backup"):
        drill(settings_for(app_db, backup_dir))


def test_a_file_that_is_not_ours_is_refused_like_verify_and_restore(app_db, backup_dir, tmp_path):
    settings = settings_for(app_db, backup_dir)
    stranger = tmp_path / "notes.sql.gz"
    stranger.write_bytes(b"\x1f\x8b" + b"\0" * 100)
    with pytest.raises(OperatorError) as err:
        drill(settings, stranger)
    assert err.value.sentence == f"{stranger} is not a backup file of ours (the name is not one of ours)"
    with pytest.raises(OperatorError, match="^no such backup file: "):
        drill(settings, tmp_path / "citaplanner_daily_20260101_020000.sql.gz")
    assert Records(settings).lookup(stranger) is None  # nothing recorded for a refused file
    assert not databases(app_db.server, app_db.name + "__")
