"""verify: checksums against sidecars, --deep to the end of a real pg_dump, no database needed."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.verify import verify
from citaplanner_tui.core.volume.catalog import State, scan
from citaplanner_tui.core.volume.naming import make_name
from tests.support.backup import cli, cli_env, fill, row_counts
from tests.support.catalog import DAYS_BASE, old_dump

# No server listens here: verify must never need one.
DEAD_URL = "postgresql://citaplanner:pw@127.0.0.1:1/citaplanner"


@pytest.fixture
def plain_dump(app_db) -> bytes:
    """A real plain pg_dump of a CitaPlanner database with rows, as our backups hold it."""
    fill(app_db)
    info = app_db.info
    out = subprocess.run(
        [str(app_db.server.bindir / "pg_dump"), "--format=plain", "--no-owner", "--no-acl", info.conninfo()],
        env={**os.environ, **info.env()},
        capture_output=True,
        check=True,
    )
    return out.stdout


def put(folder: Path, tier: str, day: int, body: bytes, *, sidecar: bool = True) -> Path:
    """A backup made with the real gzip and a ``HASH  basename`` sidecar made by the real sha256sum."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / make_name(tier, DAYS_BASE.replace(day=day)).filename
    with path.open("wb") as out:
        subprocess.run(["gzip", "-c"], input=body, stdout=out, check=True)
    if sidecar:
        reseal(path)
    return path


def reseal(path: Path) -> None:
    """Write the sidecar for the file as it is now (so its checksum matches whatever it holds)."""
    with open(str(path) + ".sha256", "wb") as out:
        subprocess.run(["sha256sum", path.name], cwd=path.parent, stdout=out, check=True)


def settings(backup_dir: Path) -> Settings:
    return Settings(database_url=DEAD_URL, backup_dir=backup_dir)


def test_real_dump_passes_checksum_and_deep_and_is_remembered(app_db, plain_dump, backup_dir):
    good = put(backup_dir / "daily", "daily", 5, plain_dump)
    weekly = backup_dir / "weekly" / make_name("weekly", DAYS_BASE.replace(day=5)).filename
    weekly.parent.mkdir()
    os.link(good, weekly)  # our engine files the weekly as a hard link of the daily
    shutil.copy(str(good) + ".sha256", str(weekly) + ".sha256")
    events = []
    results = verify(settings(backup_dir), deep=True, reporter=Reporter(events.append, interval=0))
    assert [(r.path, r.ok, r.checksum_ok, r.deep_ok) for r in results] == [
        (good, True, True, True),
        (weekly, True, True, True),
    ]
    dump = results[0].dump
    assert dump.header and dump.complete and dump.server_version[0] == app_db.server.major
    counts = row_counts(app_db.server, app_db.name)
    assert {t.split(".")[-1]: n for t, n in dump.rows.items()} == counts and sum(counts.values()) > 100
    assert (
        results[0].sha256
        == results[1].sha256
        == subprocess.run(["sha256sum", str(good)], capture_output=True, text=True).stdout.split()[0]
    )
    # The hard link is read once: progress counts its bytes once.
    assert events[-1].phase == "done" and events[-1].done == events[-1].total == good.stat().st_size
    assert max(e.done for e in events if e.phase == "verify") == good.stat().st_size
    # A later scan knows, without hashing.
    entry = scan(backup_dir).find(good)
    assert entry.verify_ok and entry.deep_ok and entry.last_verified_at is not None
    assert entry.deep_detail.startswith("a complete dump of ")


def test_truncated_dump_that_checksums_fine_is_caught_only_by_deep(plain_dump, backup_dir):
    cut = plain_dump[: int(len(plain_dump) * 0.6)]  # pg_dump killed mid-way, then compressed and sealed
    path = put(backup_dir / "daily", "daily", 3, cut)
    assert subprocess.run(["gunzip", "-t", str(path)]).returncode == 0
    assert (
        subprocess.run(["sha256sum", "-c", path.name + ".sha256"], cwd=path.parent, capture_output=True).returncode == 0
    )
    [plain] = verify(settings(backup_dir))
    assert plain.ok and plain.deep_ok is None
    assert scan(backup_dir).find(path).state is State.OK
    [deep] = verify(settings(backup_dir), deep=True)
    assert (deep.ok, deep.checksum_ok, deep.deep_ok, deep.problem) == (False, True, False, "incomplete")
    assert "ends before pg_dump's completion line" in deep.detail
    entry = scan(backup_dir).find(path)
    assert entry.state is State.CORRUPT and not entry.good and "completion line" in entry.reason


def test_cut_archive_resealed_is_truncated_and_flipped_byte_is_a_mismatch(plain_dump, backup_dir):
    cut = put(backup_dir / "daily", "daily", 2, plain_dump)
    cut.write_bytes(cut.read_bytes()[:-300])
    reseal(cut)  # the checksum matches the cut file
    flipped = put(backup_dir / "daily", "daily", 4, plain_dump)
    raw = bytearray(flipped.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    flipped.write_bytes(bytes(raw))  # the sidecar still holds the good file's hash
    by_name = {r.path: r for r in verify(settings(backup_dir))}
    # Cut after compression: the cheap container check catches it without --deep.
    assert (by_name[cut].ok, by_name[cut].checksum_ok, by_name[cut].problem) == (False, True, "truncated")
    assert scan(backup_dir).find(cut).state is State.CORRUPT
    assert (by_name[flipped].ok, by_name[flipped].problem) == (False, "mismatch")
    assert "does not match its sidecar" in by_name[flipped].detail
    assert scan(backup_dir).find(flipped).state is State.MISMATCH
    by_name = {r.path: r for r in verify(settings(backup_dir), deep=True)}
    assert (by_name[cut].problem, by_name[cut].deep_problem) == ("truncated", "truncated")
    # The mismatch is named first; the damage inside is reported too, and the whole file was hashed.
    assert by_name[flipped].problem == "mismatch" and by_name[flipped].deep_problem in ("corrupt", "truncated")
    assert (
        by_name[flipped].sha256
        == subprocess.run(["sha256sum", str(flipped)], capture_output=True, text=True).stdout.split()[0]
    )
    states = {e.path: e.state for e in scan(backup_dir)}
    assert states[cut] is State.CORRUPT and states[flipped] is State.CORRUPT


def test_every_file_is_checked_after_a_failure_and_old_sidecars_work(backup_dir):
    old = [old_dump(backup_dir / "daily", "daily", DAYS_BASE.replace(day=d)) for d in (1, 2, 3)]
    newest = old[-1]
    newest.write_bytes(newest.read_bytes() + b"garbage")  # the first file checked fails
    no_sidecar = put(backup_dir / "monthly", "monthly", 1, gzip.compress(b"-- x\n"), sidecar=False)
    results = verify(settings(backup_dir))
    assert [(r.path, r.ok, r.problem) for r in results] == [
        (newest, False, "mismatch"),
        (old[1], True, None),
        (old[0], True, None),
        (no_sidecar, False, "not_a_dump"),
    ]
    # no sidecar: checked to its end, and not a dump, so marked damaged rather than sealed
    assert scan(backup_dir).find(no_sidecar).state is State.CORRUPT
    assert not Path(str(no_sidecar) + ".sha256").exists()
    log = (backup_dir / "logs").glob("backup_*.log")
    text = "".join(p.read_text() for p in log)
    assert "ERROR verify: 2 of 4 backups failed" in text


def test_a_backup_pruned_while_verify_runs_is_said_to_be_gone_not_unreadable(backup_dir):
    """Verify reads without the volume's lock, so a daemon's prune can remove a file it has listed."""
    dumps = [old_dump(backup_dir / "daily", "daily", DAYS_BASE.replace(day=d)) for d in (1, 2, 3)]
    oldest, newest = dumps[0], dumps[-1]

    def prune_on_first_file(progress) -> None:
        if progress.phase == "verify" and progress.message == newest.name and oldest.exists():
            oldest.unlink()  # as retention does: the dump, then its sidecar
            Path(str(oldest) + ".sha256").unlink()

    results = verify(settings(backup_dir), reporter=Reporter(prune_on_first_file))
    assert [(r.path, r.ok, r.problem) for r in results] == [
        (newest, True, None),
        (dumps[1], True, None),
        (oldest, False, "changed"),
    ]
    assert results[-1].detail == f"{oldest.name} changed or vanished while it was being checked; check it again"


def _cli(backup_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return cli("verify", *args, env=cli_env(DEAD_URL, backup_dir))


def test_cli_exit_codes_json_and_bad_arguments(backup_dir):
    good = old_dump(backup_dir / "daily", "daily", DAYS_BASE.replace(day=1))
    bad = old_dump(backup_dir / "daily", "daily", DAYS_BASE.replace(day=2), text="-- cut short\n")
    done = _cli(backup_dir, str(good))
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "1 backup verified")
    done = _cli(backup_dir, "--deep", "--json")
    assert done.returncode == 1 and done.stderr == ""  # no progress bar off a terminal
    report = json.loads(done.stdout)
    assert (report["checked"], report["failed"]) == (2, 1)
    assert [(r["path"], r["problem"]) for r in report["results"]] == [(str(bad), "not_a_dump"), (str(good), None)]
    for args, sentence in [
        ((str(backup_dir / "daily" / "missing.sql.gz"),), "no such backup file: "),
        ((str(good) + ".sha256",), "is a checksum sidecar; name the backup file beside it"),
    ]:
        done = _cli(backup_dir, *args)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.startswith("citaplanner-tui: ") and sentence in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_named_foreign_file_is_refused_before_anything_is_read(backup_dir, tmp_path):
    (backup_dir / "daily").mkdir()
    junk = backup_dir / "daily" / "notes.sql.gz"
    junk.write_bytes(b"x")
    with pytest.raises(ConfigError, match="is not a backup file of ours"):
        verify(settings(backup_dir), [junk])
    with pytest.raises(ConfigError, match="does not exist"):
        verify(settings(tmp_path / "nowhere"))
    assert not (backup_dir / ".citaplanner-tui").exists()


def test_sidecar_without_a_checksum_is_named(backup_dir):
    path = old_dump(backup_dir / "daily", "daily", DAYS_BASE)
    Path(str(path) + ".sha256").write_text("Checksum no coincide\n")
    [result] = verify(settings(backup_dir))
    assert (result.ok, result.checksum_ok, result.problem) == (False, None, "bad_sidecar")
    assert result.detail == f"the sidecar of {path.name} holds no SHA-256 checksum"
    entry = scan(backup_dir).find(path)
    assert (entry.state, entry.state.word, entry.good) == (State.BAD_SIDECAR, "bad sidecar", False)


def test_zstd_backups_verify_and_a_cut_one_is_truncated(backup_dir):
    import zstandard

    from tests.support.catalog import PLAIN_DUMP

    folder = backup_dir / "manual"
    folder.mkdir()
    paths = []
    for day, cut in ((1, 0), (2, 20)):
        path = folder / make_name("manual", DAYS_BASE.replace(day=day), "zstd").filename
        data = zstandard.ZstdCompressor().compress(PLAIN_DUMP.format(n=day).encode())
        path.write_bytes(data[: len(data) - cut])
        reseal(path)
        paths.append(path)
    by_path = {r.path: r for r in verify(settings(backup_dir), deep=True)}
    assert by_path[paths[0]].ok and by_path[paths[0]].dump.rows == {"public.tenants": 2}
    assert (by_path[paths[1]].checksum_ok, by_path[paths[1]].problem) == (True, "truncated")
    assert scan(backup_dir).find(paths[1]).state is State.CORRUPT


def test_a_complete_dump_that_lost_its_sidecar_gets_it_back(plain_dump, backup_dir):
    """A kill between publishing the dump and its sidecar: the next verify checks it and seals it."""
    dump = put(backup_dir / "daily", "daily", 3, plain_dump, sidecar=False)
    read_only = verify(Settings(backup_dir=backup_dir, read_only=True))
    assert (read_only[0].ok, read_only[0].problem) == (False, "no_sidecar")
    assert "the dump is complete" in read_only[0].detail
    assert not Path(str(dump) + ".sha256").exists()
    [result] = verify(settings(backup_dir))
    assert (result.ok, result.resealed, result.problem) == (True, True, None)
    sidecar = Path(str(dump) + ".sha256")
    assert oct(sidecar.stat().st_mode & 0o777) == "0o600"
    assert subprocess.run(["sha256sum", "-c", sidecar.name], cwd=dump.parent, capture_output=True).returncode == 0
    assert scan(backup_dir).find(dump).state is State.OK
    assert verify(settings(backup_dir))[0].ok  # and it stays good


def test_tiny_or_empty_dump_is_damaged_without_a_deep_verify(backup_dir):
    folder = backup_dir / "daily"
    folder.mkdir()
    tiny = folder / make_name("daily", DAYS_BASE.replace(day=1)).filename
    tiny.write_bytes(gzip.compress(b""))  # the 20 bytes a failed run of the old script left
    empty = folder / make_name("daily", DAYS_BASE.replace(day=2)).filename
    empty.write_bytes(gzip.compress(b"") + b"\0" * 60)  # large enough to pass the size rule
    reseal(empty)
    not_gzip = folder / make_name("daily", DAYS_BASE.replace(day=3)).filename
    not_gzip.write_text("-- PostgreSQL database dump\n" * 10)
    reseal(not_gzip)
    assert scan(backup_dir).find(tiny).state is State.CORRUPT  # before any verify
    by_path = {r.path: r for r in verify(settings(backup_dir))}
    assert by_path[tiny].ok is False
    assert by_path[empty].problem in ("empty", "corrupt") and by_path[not_gzip].problem == "corrupt"
    assert {e.path: e.state for e in scan(backup_dir) if e.is_dump} == dict.fromkeys(by_path, State.CORRUPT)


def test_symlinks_are_never_opened_hashed_or_stripped_of_their_sidecar(backup_dir, tmp_path):
    from citaplanner_tui.core.volume.prune import prune

    good = old_dump(backup_dir / "daily", "daily", DAYS_BASE.replace(day=2))
    outside = tmp_path / "elsewhere.sql.gz"  # outside BACKUP_DIR: someone else's file
    outside.write_bytes(good.read_bytes())
    link = backup_dir / "daily" / make_name("daily", DAYS_BASE.replace(day=1)).filename
    link.symlink_to(outside)
    sidecar = Path(str(link) + ".sha256")
    sidecar.write_text(f"{'0' * 64}  {link.name}\n")
    results = verify(settings(backup_dir))
    assert [r.path for r in results] == [good]
    entry = scan(backup_dir).find(sidecar)
    assert entry.state is State.FOREIGN and "left alone" in entry.reason
    with pytest.raises(ConfigError, match="is not a backup file of ours"):
        verify(settings(backup_dir), [link])
    result = prune(Settings(backup_dir=backup_dir, database_url=DEAD_URL))
    assert sidecar.exists() and link.is_symlink() and sidecar not in result.deleted


def test_nothing_to_verify_is_a_failure_that_says_so(backup_dir):
    (backup_dir / "daily").mkdir()
    done = _cli(backup_dir)
    assert done.returncode == 1
    assert done.stderr.strip() == f"citaplanner-tui: there are no backups to verify in {backup_dir}"


def test_a_dump_outside_backup_dir_without_sidecar_is_told_the_truth(backup_dir, tmp_path):
    elsewhere = old_dump(tmp_path / "tmp", "daily", DAYS_BASE, sidecar=False)
    settings = Settings(database_url=DEAD_URL, backup_dir=backup_dir)
    [result] = verify(settings, [elsewhere], deep=True)  # what the restore plan runs
    assert result.detail == (
        f"{elsewhere.name} has no .sha256 sidecar, so its checksum cannot be checked; "
        "the dump is complete, but it lies outside the tier folders of BACKUP_DIR, where "
        "no verify writes a sidecar: copy it into one and verify it there"
    )
    assert not Path(str(elsewhere) + ".sha256").exists()
    done = _cli(backup_dir, str(elsewhere))
    assert done.returncode == 1 and done.stdout.splitlines()[0] == f"FAIL  {elsewhere}"
    inside = old_dump(backup_dir / "daily", "daily", DAYS_BASE)
    assert _cli(backup_dir, str(inside)).stdout.splitlines()[0] == f"OK    daily/{inside.name}"
