"""Health rules and the disk estimates: pure functions, no files, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citaplanner_tui.core.report.health import (
    FAIL,
    OK,
    WARN,
    Health,
    database_health,
    disk_health,
    overall,
    shrink_health,
    state_health,
    tier_health,
)
from citaplanner_tui.core.settings import Thresholds
from citaplanner_tui.core.volume import disk
from citaplanner_tui.core.volume.catalog import Catalog, Entry, State
from citaplanner_tui.core.volume.naming import make_name

NOW = datetime(2026, 11, 27, 12, 0, 0)
T = Thresholds()


@pytest.mark.parametrize(
    "tier, age_h, level, reason",
    [
        ("daily", 2, OK, ""),
        ("daily", 25.5, WARN, "newest good daily backup is 26 h old (warning after 25 h)"),
        ("daily", 26.5, FAIL, "newest good daily backup is 26 h old (limit 26 h)"),
        ("daily", 30, FAIL, "newest good daily backup is 30 h old (limit 26 h)"),
        ("weekly", 6 * 24, OK, ""),
        ("weekly", 9 * 24, WARN, "newest good weekly backup is 9.0 d old (warning after 8.0 d)"),
        ("monthly", 70 * 24, FAIL, "newest good monthly backup is 70.0 d old (limit 62.0 d)"),
        ("manual", 900 * 24, OK, ""),
    ],
)
def test_tier_age_limits(tier, age_h, level, reason):
    verdict = tier_health(tier, NOW - timedelta(hours=age_h), NOW, T)
    assert (verdict.level, verdict.reason) == (level, reason)


def test_tier_without_a_good_backup():
    assert tier_health("daily", None, NOW, T) == Health("daily", FAIL, "no good daily backup")
    assert tier_health("weekly", None, NOW, T) == Health("weekly", WARN, "no weekly backup yet")
    assert tier_health("weekly", None, NOW, T, any_backup=True) == Health("weekly", FAIL, "no good weekly backup")
    assert tier_health("daily", NOW - timedelta(hours=30), NOW, Thresholds(daily_fail_hours=48)).level is WARN


def test_states_that_need_attention():
    assert state_health({State.OK: 9, State.FOREIGN: 3}) == []
    verdicts = state_health({State.MISMATCH: 1, State.CORRUPT: 2, State.NO_SIDECAR: 1, State.PARTIAL: 1})
    assert [(v.level, v.reason) for v in verdicts] == [
        (FAIL, "1 backup does not match its checksum sidecar"),
        (FAIL, "2 backups are damaged (the deep check failed)"),
        (WARN, "1 backup has no checksum sidecar, so cannot be verified"),
        (WARN, "1 unfinished backup was left by a run that stopped (the next backup removes them)"),
    ]
    # While a backup runs, its .partial file is expected.
    assert state_health({State.PARTIAL: 1}, backup_running=True) == []
    assert [v.word for v in state_health({State.UNREADABLE: 1, State.ORPHAN_SIDECAR: 2})] == ["FAIL", "WARN"]


def test_disk_size_and_database_verdicts():
    assert disk_health(10 << 30, None, T).level is OK
    assert disk_health(10 << 30, 20, T).level is OK
    assert disk_health(10 << 30, 10, T) == Health(
        "disk", WARN, "the backup volume is full in about 10 days at the current growth"
    )
    assert disk_health(1 << 20, 2, T).level is FAIL
    assert disk_health(0, None, T) == Health("disk", FAIL, "the backup volume is full")
    assert disk_health(None, None, T).level is WARN
    assert shrink_health(100, 110, T).level is OK and shrink_health(None, 100, T).level is OK
    assert shrink_health(40, 100, T) == Health(
        "size", WARN, "the newest daily backup is 40% of the size of the one before"
    )
    assert database_health(None) == Health("database", OK)
    assert database_health("cannot reach the server at db:5432: is it running?").level is FAIL


def test_overall_is_the_worst_and_names_it():
    assert overall([Health("daily", OK), Health("disk", OK)]) == Health("overall", OK)
    verdict = overall(
        [
            Health("weekly", WARN, "old weekly"),
            Health("daily", FAIL, "old daily"),
            Health("disk", WARN, "disk soon full"),
        ]
    )
    assert (verdict.level, verdict.word, verdict.reason) == (FAIL, "FAIL", "old daily (and 2 other problems)")
    assert int(overall([Health("x", WARN, "w")]).level) == 1
    assert str(Health("daily", FAIL, "old daily")) == "FAIL daily: old daily"


def _entry(tier: str, taken: datetime, size: int, inode: int, state: State = State.OK) -> Entry:
    name = make_name(tier, taken)
    return Entry(
        Path("/b") / tier / name.filename,
        name,
        tier,
        taken,
        size,
        0,
        state,
        Path("/b") / tier / name.sidecar,
        dev=1,
        inode=inode,
    )


def _catalog(entries: list[Entry]) -> Catalog:
    return Catalog(Path("/b"), tuple(sorted(entries, key=lambda e: e.taken_at, reverse=True)), NOW)


KEEP = {"daily": 7, "weekly": 4, "monthly": 6}


def test_growth_while_tiers_fill_and_from_the_dump_size_trend():
    days = [NOW - timedelta(days=i) for i in range(3)]
    filling = _catalog([_entry("daily", d, 1000, i + 1) for i, d in enumerate(days)])
    # daily is 3 of 7: each day adds a whole dump (1000); the dumps do not grow.
    assert disk.growth_per_day(filling, KEEP, NOW) == pytest.approx(1000)
    days = [NOW - timedelta(days=i) for i in range(7)]
    full = [_entry("daily", d, 10_000 - 100 * i, i + 1) for i, d in enumerate(days)]  # +100 bytes a day
    full.append(_entry("weekly", days[0], full[0].size, 1))  # a hard link: the same inode
    assert disk.size_trend([(e.taken_at, e.size) for e in full[:7]]) == pytest.approx(100)
    # daily full; weekly 1 of 4 adds 10,000/7 a day; 7 distinct dumps grow by 100 a day each.
    assert disk.growth_per_day(_catalog(full), KEEP, NOW) == pytest.approx(10_000 / 7 + 7 * 100)
    assert disk.days_left(7000, 700) == pytest.approx(10)
    assert disk.days_left(7000, -5) is None and disk.days_left(7000, None) is None
    # Bad backups and dumps older than the window do not count; a lone backup gives no trend.
    lone = _catalog([_entry("daily", NOW, 1000, 1), _entry("daily", NOW - timedelta(days=1), 9, 2, State.MISMATCH)])
    assert disk.growth_per_day(lone, {"daily": 1}, NOW) is None
    assert disk.unique_bytes(full) == sum(e.size for e in full[:7])
