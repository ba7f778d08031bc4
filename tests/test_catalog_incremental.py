"""The catalog's kept listings: a rescan gives exactly what a fresh full scan gives, and lists only
the folders that changed."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

from citaplanner_tui.core.volume import catalog
from citaplanner_tui.core.volume.catalog import State, scan
from citaplanner_tui.core.volume.records import Records
from tests.support.catalog import old_dump, old_volume

DAYS = [datetime(2025, 1, 1, 2, 0, 0) + timedelta(days=i) for i in range(6)]
HOUR_NS = 3600 * 10**9


def same_as_full_scan(root) -> catalog.Catalog:
    kept = scan(root)
    full = scan(root, reuse=False)
    assert kept.entries == full.entries and kept.notes == full.notes
    return kept


@pytest.fixture
def listings(monkeypatch):
    """Every listing is kept at once (no wait for the clock to move on), and each folder
    listed is counted."""
    monkeypatch.setattr(catalog, "TRUST_AFTER_NS", 0)
    listed = []
    real = os.scandir

    def counting(path="."):
        listed.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    return listed


def names(listed, root) -> list[str]:
    return [os.path.relpath(path, root).replace(".", "") for path in listed]


def touched(folder, step: int) -> None:
    """Give a folder a time stamp of its own after a change, so two changes within one tick of
    the kernel's clock cannot leave it as it was (coarse clocks: the next test)."""
    os.utime(folder, ns=(step * HOUR_NS, step * HOUR_NS))


def test_creates_deletes_renames_and_rewrites_between_rescans_match_a_full_scan(backup_dir, listings):
    made = old_volume(backup_dir, DAYS)
    daily = backup_dir / "daily"
    same_as_full_scan(backup_dir)
    listings.clear()
    same_as_full_scan(backup_dir)
    assert sorted(names(listings, backup_dir)) == ["", "daily", "logs", "monthly", "weekly"]  # the full scan's
    listings.clear()

    new = old_dump(daily, "daily", DAYS[-1] + timedelta(days=1))  # created
    touched(daily, 1)
    assert scan(backup_dir).find(new).state is State.OK
    assert names(listings, backup_dir) == ["daily"]  # the other folders were not listed again
    same_as_full_scan(backup_dir)

    made["daily"][0].unlink()  # deleted: its sidecar stays, an orphan
    touched(daily, 2)
    found = same_as_full_scan(backup_dir)
    assert found.find(str(made["daily"][0]) + ".sha256").state is State.ORPHAN_SIDECAR

    manual = backup_dir / "manual"
    manual.mkdir()
    moved = manual / made["daily"][1].name.replace("daily", "manual")
    os.rename(made["daily"][1], moved)  # renamed into another folder, which is new on the top level
    touched(daily, 3)
    touched(backup_dir, 3)
    found = same_as_full_scan(backup_dir)
    assert found.find(moved).tier == "manual" and found.find(made["daily"][1]) is None

    (daily / (new.name + ".partial")).write_bytes(b"x" * 100)  # a run writing
    touched(daily, 4)
    assert same_as_full_scan(backup_dir).find(daily / (new.name + ".partial")).state is State.PARTIAL

    # In place, the folder's own time stamp untouched: a dump cut short and a sidecar rewritten.
    listings.clear()
    before = os.stat(daily)
    with open(made["daily"][2], "r+b") as fh:
        fh.truncate(10)
    with open(str(made["daily"][3]) + ".sha256", "w") as fh:
        fh.write("not a checksum\n")
    os.utime(daily, ns=(before.st_atime_ns, before.st_mtime_ns))
    found = same_as_full_scan(backup_dir)
    assert found.find(made["daily"][2]).state is State.CORRUPT
    assert names(listings, backup_dir)[0] == "daily"

    # A check recorded: only the facts changed.
    sidecar_mtime = os.stat(str(made["daily"][4]) + ".sha256").st_mtime_ns
    Records(backup_dir).record(
        made["daily"][4],
        "verify",
        False,
        "the checksum does not match its sidecar",
        {"problem": "mismatch", "sidecar_mtime_ns": sidecar_mtime},
    )
    assert same_as_full_scan(backup_dir).find(made["daily"][4]).state is State.MISMATCH

    # A folder removed, then the whole volume.
    for f in manual.iterdir():
        f.unlink()
    manual.rmdir()
    touched(backup_dir, 5)
    assert same_as_full_scan(backup_dir).find(moved) is None


def test_a_change_in_the_same_tick_of_a_coarse_clock_is_still_seen(backup_dir, monkeypatch):
    """On a file system whose time stamps are coarse (here: an hour), a file created just after
    a listing leaves the folder's stamps as they were; such a listing is never kept."""

    def coarse(st):
        return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size) if st is not None else None

    monkeypatch.setattr(catalog, "_signature", coarse)  # no time in it: as if every change fell in one tick
    monkeypatch.setattr(catalog, "_changed_at", lambda st: max(st.st_mtime_ns, st.st_ctime_ns) // HOUR_NS * HOUR_NS)
    monkeypatch.setattr(catalog, "TRUST_AFTER_NS", HOUR_NS)
    made = old_volume(backup_dir, DAYS[:3])
    daily = backup_dir / "daily"
    same_as_full_scan(backup_dir)
    new = old_dump(daily, "daily", DAYS[3])
    assert same_as_full_scan(backup_dir).find(new).state is State.OK
    os.rename(made["daily"][0], daily / "renamed.sql.gz")
    found = same_as_full_scan(backup_dir)
    assert found.find(daily / "renamed.sql.gz").state is State.FOREIGN and found.find(made["daily"][0]) is None


def test_a_volume_that_disappears_is_said_and_a_new_one_is_listed(tmp_path, listings):
    root = tmp_path / "volume"
    old_volume(root, DAYS[:2])
    same_as_full_scan(root)
    for folder in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        folder.unlink() if folder.is_file() else folder.rmdir()
    root.rmdir()
    assert same_as_full_scan(root).notes == (f"the backup folder {root} does not exist",)
    made = old_volume(root, DAYS[2:4])
    assert [e.path for e in same_as_full_scan(root).backups("daily")] == list(reversed(made["daily"]))
