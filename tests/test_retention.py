"""Retention as a pure decision over catalog entries (no files, no database)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from citaplanner_tui.core.catalog import Entry, State
from citaplanner_tui.core.naming import make_name
from citaplanner_tui.core.retention import plan
from citaplanner_tui.core.settings import Retention

ROOT = Path("/backups")
DAY0 = datetime(2026, 1, 1, 2, 0, 0)
_inode = iter(range(100, 10**6))


def dump(tier: str, day: int, state: State = State.OK, folder: str | None = None, fmt="gzip") -> Entry:
    name = make_name(tier, DAY0 + timedelta(days=day), fmt)
    folder = tier if folder is None else folder
    path = ROOT / folder / name.filename
    sidecar = None if state is State.NO_SIDECAR else path.with_name(name.sidecar)
    return Entry(path, name, folder or tier, name.taken_at, 1000, 0, state, sidecar, folder=folder,
                 inode=next(_inode), dev=1)


def other(tier: str, day: int, state: State, filename: str | None = None) -> Entry:
    name = make_name(tier, DAY0 + timedelta(days=day))
    path = ROOT / tier / (filename or name.filename + ".sha256")
    return Entry(path, name, tier, name.taken_at, 10, 0, state, None, folder=tier)


def removed(entries, keep=Retention(), tiers=("daily", "weekly", "monthly")) -> set[str]:
    return {p.name for r in plan(entries, keep, tiers) for p in r.paths}


def test_keeps_the_n_newest_good_and_removes_older_dumps_with_their_sidecars():
    entries = [dump("daily", d) for d in range(10)]
    gone = removed(entries, Retention(daily=7))
    assert gone == {f"citaplanner_daily_2026010{d + 1}_020000.sql.gz{s}" for d in (0, 1, 2) for s in ("", ".sha256")}


def test_damaged_backups_do_not_count_and_newer_damaged_ones_stay():
    entries = [dump("daily", 0), dump("daily", 1), dump("daily", 2, State.MISMATCH),
               dump("daily", 3), dump("daily", 4, State.NO_SIDECAR), dump("daily", 5, State.CORRUPT)]
    gone = removed(entries, Retention(daily=2))
    # kept good: days 3 and 1; day 2 (mismatch) and later damaged ones are newer than the cutoff
    assert gone == {"citaplanner_daily_20260101_020000.sql.gz", "citaplanner_daily_20260101_020000.sql.gz.sha256"}


def test_newest_good_is_never_removed_and_a_tier_without_good_backups_is_untouched():
    bad_only = [dump("weekly", d, State.MISMATCH) for d in range(0, 70, 7)]
    assert removed(bad_only, Retention(weekly=1)) == set()
    entries = [dump("daily", d, State.CORRUPT) for d in range(5, 9)] + [dump("daily", 1)]
    assert removed(entries, Retention(daily=1)) == set()  # the only good one is the oldest


def test_old_damaged_files_and_orphan_sidecars_beyond_the_cutoff_go():
    entries = [dump("daily", 0, State.MISMATCH), other("daily", 1, State.ORPHAN_SIDECAR),
               dump("daily", 2), dump("daily", 3)]
    gone = removed(entries, Retention(daily=2))
    assert gone == {"citaplanner_daily_20260101_020000.sql.gz", "citaplanner_daily_20260101_020000.sql.gz.sha256",
                    "citaplanner_daily_20260102_020000.sql.gz.sha256"}


def test_never_manual_safety_partial_foreign_unreadable_or_misplaced():
    entries = [dump("daily", 50), dump("daily", 51)]
    entries += [dump("manual", d) for d in range(5)] + [dump("safety", d) for d in range(5)]
    entries += [other("daily", 1, State.PARTIAL, "citaplanner_daily_20260102_020000.sql.gz.partial"),
                other("daily", 2, State.FOREIGN, "citaplanner_daily_20260103_020000.sql.gz"),
                other("daily", 3, State.UNREADABLE, "citaplanner_daily_20260104_020000.sql.gz"),
                dump("daily", 4, folder=""),        # named like ours but outside its tier folder
                dump("weekly", 5, folder="daily")]  # a weekly name in the daily folder
    plan_all = plan(entries, Retention(daily=1), ("daily", "weekly", "monthly", "manual", "safety"))
    assert {p.name for r in plan_all for p in r.paths} == {
        "citaplanner_daily_20260220_020000.sql.gz",  # day 50: beyond the newest good one
        "citaplanner_daily_20260220_020000.sql.gz.sha256"}
    assert all("beyond the 1 newest good daily" in r.reason for r in plan_all)


def test_only_the_tiers_asked_for_are_planned():
    entries = [dump("daily", d) for d in range(3)] + [dump("weekly", d) for d in range(0, 21, 7)]
    assert {p.parent.name for r in plan(entries, Retention(daily=1, weekly=1), ("daily",)) for p in r.paths} == {"daily"}


def test_invariants_hold_on_random_volumes():
    rng = random.Random(7)
    states = [State.OK] * 6 + [State.MISMATCH, State.NO_SIDECAR, State.CORRUPT, State.PARTIAL, State.FOREIGN]
    for _ in range(300):
        entries = [dump(rng.choice(["daily", "weekly", "monthly", "manual", "safety"]), rng.randrange(400),
                        rng.choice(states)) for _ in range(rng.randrange(40))]
        entries = list({e.path: e for e in entries}.values())
        keep = Retention(rng.randint(1, 8), rng.randint(1, 5), rng.randint(1, 7))
        gone = {r.entry.path for r in plan(entries, keep)}
        for tier in ("daily", "weekly", "monthly"):
            good = sorted((e for e in entries if e.tier == tier and e.state is State.OK),
                          key=lambda e: e.taken_at, reverse=True)
            kept = [e for e in good if e.path not in gone]
            assert kept == good[:getattr(keep, tier)]  # exactly the N newest good survive
        assert all(e.tier in ("daily", "weekly", "monthly") and e.state not in (State.PARTIAL, State.FOREIGN)
                   for e in entries if e.path in gone)
