"""The catalog: old-script volumes read as they are, every state named, nothing foreign touched."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citaplanner_tui.core.logs.lines import parse_line
from citaplanner_tui.core.volume.catalog import State, parse_sidecar, scan
from citaplanner_tui.core.volume.records import Records
from tests.support.catalog import old_dump, old_volume

DAYS = [datetime(2025, 1, 1, 2, 0, 0) + timedelta(days=i) for i in range(6)]  # Wed 1st .. Mon 6th


def test_old_script_volume_reads_as_it_is(backup_dir):
    made = old_volume(backup_dir, DAYS)
    catalog = scan(backup_dir)
    assert catalog.tiers() == ["daily", "weekly", "monthly"]
    assert [e.path for e in catalog.backups("daily")] == list(reversed(made["daily"]))
    assert [e.path.name for e in catalog.backups("weekly")] == ["citaplanner_weekly_20250105_020000.sql.gz"]
    assert [e.path.name for e in catalog.backups("monthly")] == ["citaplanner_monthly_20250101_020000.sql.gz"]
    assert all(e.state is State.OK for e in catalog)  # logs/ holds no backup and is not listed
    newest = catalog.newest_good("daily")
    assert newest.taken_at == datetime(2025, 1, 6, 2, 0, 0)
    assert newest.size == newest.path.stat().st_size
    # The sidecar written by the real sha256sum: its hash and its absolute path.
    assert newest.recorded_hash == hashlib.sha256(newest.path.read_bytes()).hexdigest()
    assert newest.recorded_path == str(newest.path)
    assert newest.sidecar_elsewhere is None
    # The day's log of the old script is readable line by line.
    records = [parse_line(line) for line in (backup_dir / "logs" / "backup_20250106.log").read_text().splitlines()]
    assert [r.level for r in records] == ["INFO", "INFO", "OK", "WARN"]
    assert records[2].message.endswith(made["daily"][-1].name)


def test_moved_volume_still_pairs_sidecars_by_file_name(backup_dir, tmp_path):
    made = old_volume(backup_dir, DAYS[:2])
    moved = tmp_path / "moved"
    shutil.copytree(backup_dir, moved)
    daily = moved / "daily"
    # What the old script's restore did: sha256sum -c re-reads the recorded path (the old place).
    shutil.rmtree(backup_dir)
    check = subprocess.run(["sha256sum", "-c", made["daily"][0].name + ".sha256"], cwd=daily, capture_output=True)
    assert check.returncode != 0
    catalog = scan(moved)
    entry = catalog.newest_good("daily")
    assert entry.state is State.OK and entry.sidecar == daily / (entry.path.name + ".sha256")
    assert entry.recorded_hash == hashlib.sha256(entry.path.read_bytes()).hexdigest()
    assert entry.recorded_path == str(made["daily"][1])
    assert "paired with citaplanner_daily_20250102_020000.sql.gz by file name" in entry.sidecar_elsewhere


def test_every_state_is_named_and_foreign_files_are_left_alone(backup_dir, tmp_path):
    daily = backup_dir / "daily"
    ok = old_dump(daily, "daily", DAYS[0])
    bare = old_dump(daily, "daily", DAYS[1], sidecar=False)
    orphan = old_dump(daily, "daily", DAYS[2])
    orphan.unlink()
    partial = daily / (bare.name.replace("20250102", "20250105") + ".partial")
    partial.write_bytes(b"\x1f\x8b half")
    junk = daily / "notes.txt"
    junk.write_text("keep me")
    outside = old_dump(tmp_path / "elsewhere", "daily", DAYS[3])
    link = daily / outside.name
    link.symlink_to(outside)
    (daily / "citaplanner_daily_20250106_020000.sql.gz").mkdir()
    os.mkfifo(daily / "pipe")
    stray = old_dump(backup_dir / "old-server", "weekly", DAYS[4])  # a folder we do not own, a file we do
    (backup_dir / "old-server" / "readme.txt").write_text("not listed: this folder is not a tier")
    before = {p: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in [junk, link, outside]}

    catalog = scan(backup_dir)
    states = {e.path.name: (e.state, e.reason) for e in catalog}
    assert states[ok.name][0] is State.OK
    assert states[bare.name] == (State.NO_SIDECAR, "no .sha256 sidecar: its checksum cannot be checked")
    assert states[orphan.name + ".sha256"][0] is State.ORPHAN_SIDECAR
    assert states[partial.name][0] is State.PARTIAL
    assert states["notes.txt"] == (State.FOREIGN, "the name is not one of ours")
    assert states[link.name] == (State.FOREIGN, "a symbolic link (never followed)")
    assert states["citaplanner_daily_20250106_020000.sql.gz"] == (State.FOREIGN, "not a regular file")
    assert states["pipe"] == (State.FOREIGN, "not a regular file")
    assert states[stray.name][0] is State.OK and catalog.find(stray).tier == "weekly"
    assert "readme.txt" not in states
    assert {s.word for s, _ in states.values()} == {
        "ok",
        "no sidecar",
        "sidecar without dump",
        "unfinished",
        "not ours",
    }
    counts = catalog.counts("daily")
    assert counts[State.FOREIGN] == 4 and counts[State.OK] == 1 and counts[State.MISMATCH] == 0
    # Only the ok dump is good; the symlink's target was not followed (its size is the link's).
    assert [e.path for e in catalog.backups("daily") if e.good] == [ok]
    assert catalog.find(link).size == len(os.fsencode(outside))
    assert before == {p: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in [junk, link, outside]}


def test_newest_first_and_newest_good_skips_bad_backups(backup_dir):
    paths = [old_dump(backup_dir / "daily", "daily", day) for day in DAYS[:3]]
    store = Records(backup_dir)
    store.record(
        paths[2],
        "verify",
        False,
        "the checksum does not match its sidecar",
        {"problem": "mismatch", "sidecar_mtime_ns": os.stat(str(paths[2]) + ".sha256").st_mtime_ns},
    )
    catalog = scan(backup_dir)
    assert [e.taken_at for e in catalog.backups()] == [DAYS[2], DAYS[1], DAYS[0]]
    assert catalog.newest("daily").state is State.MISMATCH
    assert catalog.newest("daily").state.word == "checksum mismatch"
    assert catalog.newest_good("daily").path == paths[1]
    assert catalog.newest_good("weekly") is None


def test_check_results_merge_only_while_the_file_is_unchanged(backup_dir):
    path = old_dump(backup_dir / "daily", "daily", DAYS[0])
    sidecar = path.with_name(path.name + ".sha256")
    store = Records(backup_dir)
    mark = {"problem": "mismatch", "sidecar_mtime_ns": sidecar.stat().st_mtime_ns}
    store.record(path, "verify", False, "differs", mark, at=datetime(2025, 1, 2, 3, 0))
    entry = scan(backup_dir).find(path)
    assert (entry.state, entry.reason, entry.verify_ok) == (State.MISMATCH, "differs", False)
    assert entry.last_verified_at == datetime(2025, 1, 2, 3, 0)
    # A rewritten sidecar voids the checksum verdict: it is ok until verified again.
    os.utime(sidecar, ns=(1, sidecar.stat().st_mtime_ns + 1_000_000_000))
    assert scan(backup_dir).find(path).state is State.OK
    # A failed deep check marks it damaged; touching the dump voids every fact.
    store.record(path, "deep", False, "citaplanner_daily_20250101_020000.sql.gz is truncated")
    entry = scan(backup_dir).find(path)
    assert entry.state is State.CORRUPT and entry.deep_ok is False and "truncated" in entry.reason
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000_000))
    entry = scan(backup_dir).find(path)
    assert entry.state is State.OK and entry.checks is None and entry.last_deep_at is None


def test_missing_volume_is_a_note_not_a_crash(tmp_path):
    catalog = scan(tmp_path / "nowhere")
    assert len(catalog) == 0 and catalog.newest_good("daily") is None
    assert catalog.notes == (f"the backup folder {tmp_path / 'nowhere'} does not exist",)


def test_symlinked_tier_folder_is_listed_not_followed(backup_dir, tmp_path):
    real = tmp_path / "real-daily"
    old_dump(real, "daily", DAYS[0])
    (backup_dir / "daily").symlink_to(real)
    catalog = scan(backup_dir)
    assert [(e.path.name, e.state) for e in catalog] == [("daily", State.FOREIGN)]
    assert catalog.backups() == []


@pytest.fixture
def open_dir():
    """A temp folder others may enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="cpt-test-catalog-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_unreadable_files_and_folders_as_an_unprivileged_user(open_dir):
    daily = open_dir / "daily"
    good = old_dump(daily, "daily", DAYS[0])
    secret = old_dump(daily, "daily", DAYS[1])
    old_dump(open_dir / "weekly", "weekly", DAYS[4])
    daily.chmod(0o755)
    for f in daily.iterdir():
        f.chmod(0o644)
    secret.chmod(0o600)
    (open_dir / "weekly").chmod(0o700)
    code = (
        "import sys; from citaplanner_tui.core.volume.catalog import scan\n"
        "for e in scan(sys.argv[1]): print(e.path.name, e.state.value, e.reason, sep='|')\n"
    )
    out = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c", code, str(open_dir)],
        capture_output=True,
        text=True,
        cwd=os.getcwd(),
        check=True,
    ).stdout
    rows = {line.split("|")[0]: line.split("|")[1:] for line in out.splitlines()}
    assert rows[good.name] == ["ok", ""]
    assert rows[secret.name] == ["unreadable", "permission denied"]
    assert rows["weekly"] == ["unreadable", "cannot list this folder: Permission denied"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ab" * 32 + "  /backup-citaplanner/daily/f.sql.gz\n", ("ab" * 32, "/backup-citaplanner/daily/f.sql.gz")),
        ("AB" * 32 + "  f.sql.gz\n", ("ab" * 32, "f.sql.gz")),
        ("ab" * 32 + " *f.sql.gz\n", ("ab" * 32, "f.sql.gz")),
        ("SHA256 (f.sql.gz) = " + "ab" * 32 + "\n", ("ab" * 32, "f.sql.gz")),
        ("", None),
        ("not a checksum\n", None),
        ("ab" * 31 + "  f.sql.gz\n", None),
    ],
)
def test_sidecar_formats(text, expected):
    assert parse_sidecar(text) == expected
