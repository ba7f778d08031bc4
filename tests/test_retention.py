"""Retention as a pure decision over catalog entries (no files, no database)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from citaplanner_tui.core.settings import Retention
from citaplanner_tui.core.volume.catalog import Entry, State
from citaplanner_tui.core.volume.naming import make_name
from citaplanner_tui.core.volume.retention import covered, decide, to_remove
from citaplanner_tui.core.volume.tiers import period, tiers_for

ROOT = Path("/backups")
DAY0 = datetime(2026, 1, 1, 2, 0, 0)
_inode = iter(range(100, 10**6))


def dump(tier: str, day: int, state: State = State.OK, folder: str | None = None, fmt="gzip") -> Entry:
    name = make_name(tier, DAY0 + timedelta(days=day), fmt)
    folder = tier if folder is None else folder
    path = ROOT / folder / name.filename
    sidecar = None if state is State.NO_SIDECAR else path.with_name(name.sidecar)
    return Entry(
        path, name, folder or tier, name.taken_at, 1000, 0, state, sidecar, folder=folder, inode=next(_inode), dev=1
    )


def other(tier: str, day: int, state: State, filename: str | None = None) -> Entry:
    name = make_name(tier, DAY0 + timedelta(days=day))
    path = ROOT / tier / (filename or name.filename + ".sha256")
    return Entry(path, name, tier, name.taken_at, 10, 0, state, None, folder=tier)


def removed(entries, keep=Retention(), tiers=("daily", "weekly", "monthly")) -> set[str]:
    return {p.name for r in to_remove(entries, keep, tiers) for p in r.paths}


def test_keeps_the_n_newest_good_and_removes_older_dumps_with_their_sidecars():
    entries = [dump("daily", d) for d in range(10)]
    gone = removed(entries, Retention(daily=7))
    assert gone == {f"citaplanner_daily_2026010{d + 1}_020000.sql.gz{s}" for d in (0, 1, 2) for s in ("", ".sha256")}


def test_damaged_backups_do_not_count_and_newer_damaged_ones_stay():
    entries = [
        dump("daily", 0),
        dump("daily", 1),
        dump("daily", 2, State.MISMATCH),
        dump("daily", 3),
        dump("daily", 4, State.NO_SIDECAR),
        dump("daily", 5, State.CORRUPT),
    ]
    gone = removed(entries, Retention(daily=2))
    # kept good: days 3 and 1; day 2 (mismatch) and later damaged ones are newer than the cutoff
    assert gone == {"citaplanner_daily_20260101_020000.sql.gz", "citaplanner_daily_20260101_020000.sql.gz.sha256"}


def test_newest_good_is_never_removed_and_a_tier_without_good_backups_is_untouched():
    bad_only = [dump("weekly", d, State.MISMATCH) for d in range(0, 70, 7)]
    assert removed(bad_only, Retention(weekly=1)) == set()
    entries = [dump("daily", d, State.CORRUPT) for d in range(5, 9)] + [dump("daily", 1)]
    assert removed(entries, Retention(daily=1)) == set()  # the only good one is the oldest


def test_old_damaged_files_and_orphan_sidecars_beyond_the_cutoff_go():
    entries = [
        dump("daily", 0, State.MISMATCH),
        other("daily", 1, State.ORPHAN_SIDECAR),
        dump("daily", 2),
        dump("daily", 3),
    ]
    gone = removed(entries, Retention(daily=2))
    assert gone == {
        "citaplanner_daily_20260101_020000.sql.gz",
        "citaplanner_daily_20260101_020000.sql.gz.sha256",
        "citaplanner_daily_20260102_020000.sql.gz.sha256",
    }


def test_never_manual_safety_partial_foreign_unreadable_or_misplaced():
    entries = [dump("daily", 50), dump("daily", 51)]
    entries += [dump("manual", d) for d in range(5)] + [dump("safety", d) for d in range(5)]
    entries += [
        other("daily", 1, State.PARTIAL, "citaplanner_daily_20260102_020000.sql.gz.partial"),
        other("daily", 2, State.FOREIGN, "citaplanner_daily_20260103_020000.sql.gz"),
        other("daily", 3, State.UNREADABLE, "citaplanner_daily_20260104_020000.sql.gz"),
        dump("daily", 4, folder=""),  # named like ours but outside its tier folder
        dump("weekly", 5, folder="daily"),
    ]  # a weekly name in the daily folder
    plan_all = to_remove(entries, Retention(daily=1), ("daily", "weekly", "monthly", "manual", "safety"))
    assert {p.name for r in plan_all for p in r.paths} == {
        "citaplanner_daily_20260220_020000.sql.gz",  # day 50: beyond the newest good one
        "citaplanner_daily_20260220_020000.sql.gz.sha256",
    }
    assert [r.reason for r in plan_all] == ["2026-02-20 is older than the 1 day kept"]


def test_only_the_tiers_asked_for_are_planned():
    entries = [dump("daily", d) for d in range(3)] + [dump("weekly", d) for d in range(0, 21, 7)]
    assert {p.parent.name for r in to_remove(entries, Retention(daily=1, weekly=1), ("daily",)) for p in r.paths} == {
        "daily"
    }


def test_invariants_hold_on_random_volumes():
    rng = random.Random(7)
    states = [State.OK] * 6 + [State.MISMATCH, State.NO_SIDECAR, State.CORRUPT, State.PARTIAL, State.FOREIGN]
    for _ in range(300):
        entries = [
            dump(rng.choice(["daily", "weekly", "monthly", "manual", "safety"]), rng.randrange(400), rng.choice(states))
            for _ in range(rng.randrange(40))
        ]
        entries = list({e.path: e for e in entries}.values())
        keep = Retention(rng.randint(1, 8), rng.randint(1, 5), rng.randint(1, 7))
        gone = {r.entry.path for r in to_remove(entries, keep)}
        for tier in ("daily", "weekly", "monthly"):
            good = sorted(
                (e for e in entries if e.tier == tier and e.state is State.OK), key=lambda e: e.taken_at, reverse=True
            )
            kept = [e for e in good if e.path not in gone]
            newest_per_period = list({period(tier, e.taken_at): e for e in reversed(good)}.values())[::-1]
            assert kept == newest_per_period[: getattr(keep, tier)]  # the newest good of the N newest periods
        assert all(
            e.tier in ("daily", "weekly", "monthly") and e.state not in (State.PARTIAL, State.FOREIGN)
            for e in entries
            if e.path in gone
        )


# -- retention by period, over simulated cron runs -----------------------------------


class Volume:
    """The rotated tiers as a backup run leaves them: files the day calls for, then retention."""

    def __init__(self, keep=Retention()):
        self.keep, self.entries = keep, []

    def run(self, when: datetime, ok: bool = True) -> tuple[str, ...]:
        """One ``--tier auto`` run; a failed run leaves nothing (the backup rolls back)."""
        if not ok:
            return ()
        tiers = tiers_for("auto", when.date(), covered(self.entries, when))
        for tier in tiers:
            name = make_name(tier, when)
            path = ROOT / tier / name.filename
            self.entries.append(
                Entry(
                    path,
                    name,
                    tier,
                    name.taken_at,
                    1000,
                    0,
                    State.OK,
                    path.with_name(name.sidecar),
                    folder=tier,
                    inode=next(_inode),
                    dev=1,
                )
            )
        gone = {r.entry.path for r in to_remove(self.entries, self.keep, tiers)}
        self.entries = [e for e in self.entries if e.path not in gone]
        return tiers

    def kept(self, tier: str) -> list[datetime]:
        return sorted((e.taken_at for e in self.entries if e.tier == tier), reverse=True)


def _days(start: datetime, n: int):
    return [start + timedelta(days=d) for d in range(n)]


def test_a_month_of_runs_several_a_day_keeps_one_per_period():
    vol = Volume()
    for day in _days(datetime(2026, 10, 1), 31):
        for hour in (2, 10, 14, 23):  # the nightly cron plus three "Backup now"
            vol.run(day.replace(hour=hour))
            assert all(vol.kept(t) for t in ("daily", "weekly", "monthly"))  # never an empty tier
    # the newest of each of the last 7 days, at 23:00
    assert vol.kept("daily") == [datetime(2026, 10, d, 23) for d in range(31, 24, -1)]
    # one per ISO week: each Sunday's last run, and the current week's first run until its Sunday
    assert vol.kept("weekly") == [
        datetime(2026, 10, 26, 2),
        datetime(2026, 10, 25, 23),
        datetime(2026, 10, 18, 23),
        datetime(2026, 10, 11, 23),
    ]
    assert vol.kept("monthly") == [datetime(2026, 10, 1, 23)]  # the 1st's last run


def test_six_runs_on_the_first_keep_the_previous_five_months():
    vol = Volume()
    for month in range(5, 12):  # the 1st of May .. November, one nightly run each
        vol.run(datetime(2026, month, 1, 2))
    assert len(vol.kept("monthly")) == 6
    for hour in range(3, 9):  # five more on December 1st
        vol.run(datetime(2026, 12, 1, hour))
    assert vol.kept("monthly") == [datetime(2026, 12, 1, 8)] + [datetime(2026, m, 1, 2) for m in (11, 10, 9, 8, 7)]


def test_four_runs_on_a_sunday_keep_the_earlier_weeks():
    vol = Volume(Retention(weekly=4))
    for sunday in (datetime(2026, 11, d, 2) for d in (1, 8, 15)):
        vol.run(sunday)
    for hour in (3, 4, 5, 6):
        vol.run(datetime(2026, 11, 22, hour))
    assert vol.kept("weekly") == [datetime(2026, 11, 22, 6)] + [datetime(2026, 11, d, 2) for d in (15, 8, 1)]


def test_first_install_on_a_wednesday_fills_every_tier_at_once():
    vol = Volume()
    assert vol.run(datetime(2026, 11, 4, 2)) == ("daily", "weekly", "monthly")
    assert vol.run(datetime(2026, 11, 5, 2)) == ("daily",)  # week and month are covered
    assert vol.kept("weekly") == vol.kept("monthly") == [datetime(2026, 11, 4, 2)]


def test_a_failed_sunday_and_first_leave_no_period_empty():
    vol = Volume()
    failed = {"2026-11-01", "2026-11-08"}  # two Sundays, the first also the 1st of November
    for day in _days(datetime(2026, 10, 26, 2), 15):
        tiers = vol.run(day, ok=day.date().isoformat() not in failed)
        if day.date().isoformat() == "2026-11-02":  # Monday: a new week, and November is still empty
            assert tiers == ("daily", "weekly", "monthly")
    # the first good run of each ISO week stands in for its failed Sunday
    assert vol.kept("weekly") == [datetime(2026, 11, 9, 2), datetime(2026, 11, 2, 2), datetime(2026, 10, 26, 2)]
    assert vol.kept("monthly") == [datetime(2026, 11, 2, 2), datetime(2026, 10, 26, 2)]


def test_gaps_cost_no_period_its_backup():
    vol = Volume(Retention(daily=3))
    for day in (1, 2, 10, 30):  # the server was down for weeks in between
        vol.run(datetime(2026, 11, day, 2))
    assert vol.kept("daily") == [datetime(2026, 11, d, 2) for d in (30, 10, 2)]


def test_dry_run_explains_every_file():
    entries = [
        dump("daily", 0),
        dump("daily", 0)._replace(
            path=ROOT / "daily" / "citaplanner_daily_20260101_230000.sql.gz",
            name=make_name("daily", datetime(2026, 1, 1, 23)),
            taken_at=datetime(2026, 1, 1, 23),
        ),
        dump("daily", 1, State.MISMATCH),
        dump("daily", 2),
    ]
    kept, removals = decide(entries, Retention(daily=1))
    assert [(k.entry.path.name, k.reason) for k in kept] == [
        ("citaplanner_daily_20260103_020000.sql.gz", "the newest good backup of 2026-01-03")
    ]
    assert [(r.entry.path.name, r.reason) for r in removals] == [
        ("citaplanner_daily_20260102_020000.sql.gz", "checksum mismatch, older than the oldest kept daily backup"),
        ("citaplanner_daily_20260101_230000.sql.gz", "2026-01-01 is older than the 1 day kept"),
        ("citaplanner_daily_20260101_020000.sql.gz", "2026-01-01 is older than the 1 day kept"),
    ]
    kept, removals = decide(entries, Retention(daily=3))
    assert [(r.entry.path.name, r.reason) for r in removals] == [
        (
            "citaplanner_daily_20260101_020000.sql.gz",
            "2026-01-01 is kept by the newer citaplanner_daily_20260101_230000.sql.gz",
        )
    ]
    assert [k.period for k in kept] == ["2026-01-03", "2026-01-02", "2026-01-01"]
    assert "left for the operator" in kept[1].reason


def _sized(tier: str, when: datetime, size: int) -> Entry:
    name = make_name(tier, when)
    path = ROOT / tier / name.filename
    return Entry(
        path,
        name,
        tier,
        name.taken_at,
        size,
        0,
        State.OK,
        path.with_name(name.sidecar),
        folder=tier,
        inode=next(_inode),
        dev=1,
    )


def test_a_backup_much_smaller_than_the_one_before_does_not_prune_that_days_good_backup():
    good = _sized("daily", DAY0, 10_000)
    incident = _sized("daily", DAY0 + timedelta(hours=8), 1_000)  # taken after most rows were deleted
    kept, removals = decide([good, incident], Retention(daily=7), ("daily",))
    assert removals == []
    why = {k.entry.path.name: (k.reason, k.period) for k in kept}
    assert why[good.path.name] == ("the newest good backup of 2026-01-01", "2026-01-01")
    assert why[incident.path.name][0] == "kept: much smaller than the backup before it; it does not replace it"


def test_suspect_backups_never_take_a_period_and_a_second_small_run_is_suspect_too():
    older = [_sized("daily", DAY0 + timedelta(days=d), 10_000) for d in range(3)]
    small = [_sized("daily", DAY0 + timedelta(days=3, hours=h), 1_000) for h in (1, 2)]
    monthly = [_sized("monthly", DAY0, 10_000), _sized("monthly", DAY0 + timedelta(days=3), 2_000)]
    kept, removals = decide(older + small + monthly, Retention(daily=2, monthly=1), ("daily", "monthly"))
    # the two small runs do not count as day 3's backup: days 2 and 1 stay the kept periods
    assert {r.entry.path.name for r in removals} == {older[0].path.name}
    reasons = {k.entry.path.name: k.reason for k in kept}
    assert all(reasons[e.path.name].startswith("kept: much smaller") for e in small + monthly[1:])
    assert reasons[monthly[0].path.name] == "the newest good backup of 2026-01"


def test_the_shrink_ratio_comes_from_the_caller_and_normal_shrinkage_is_not_suspect():
    entries = [_sized("daily", DAY0, 10_000), _sized("daily", DAY0 + timedelta(hours=8), 6_000)]
    assert {r.entry.path.name for r in to_remove(entries, Retention(daily=7), ("daily",))} == {entries[0].path.name}
    assert to_remove(entries, Retention(daily=7), ("daily",), shrink_ratio=0.7) == []
