"""The state file: results tied to one version of a file, atomic, shared by concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.records import Records, records_path


def _file(folder, name="citaplanner_daily_20250101_020000.sql.gz", data=b"dump"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_record_and_lookup_for_the_same_version_only(backup_dir):
    settings = Settings(backup_dir=backup_dir)
    path = _file(backup_dir / "daily")
    store = Records(settings)
    when = datetime(2025, 1, 2, 3, 4, 5)
    store.record(path, "verify", True, "checksum matches", {"sha256": "ab" * 32}, at=when)
    store.record(path, "drill", False, "psql failed on line 3", {"rows": {"public.users": 5}}, at=when)
    store.record(path, "drill", True, "", {"rows": {"public.users": 5}}, at=when)
    st = path.stat()
    facts = Records(settings).lookup(path, st.st_size, st.st_mtime_ns)
    assert facts.verify.ok and facts.verify.at == when and facts.verify.extra == {"sha256": "ab" * 32}
    assert facts.drill.ok and facts.drill.extra["rows"] == {"public.users": 5}
    assert (facts.drills, facts.drills_ok) == (2, 1)
    assert facts.deep is None
    assert Records(settings).lookup(path) == facts  # stats the file itself
    # The file is where the settings say, private, with no temporary files left beside it.
    assert store.path == backup_dir / ".citaplanner-tui" / "state.json"
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["state.json", "state.lock"]
    # Another version of the file (rewritten, same size) has no facts, and a new record starts over.
    path.write_bytes(b"DUMP")
    assert store.lookup(path) is None
    store.record(path, "deep", True)
    facts = store.lookup(path)
    assert facts.deep.ok and facts.verify is None and facts.drills == 0


def test_records_of_removed_files_are_dropped(backup_dir):
    a, b = _file(backup_dir / "daily", "a.sql.gz"), _file(backup_dir / "daily", "b.sql.gz")
    store = Records(backup_dir)
    store.record(a, "verify", True)
    a.unlink()
    store.record(b, "verify", True)
    assert list(store.load()) == [str(b)]


def test_corrupt_file_starts_empty_says_so_once_and_is_replaced(backup_dir):
    path = _file(backup_dir / "daily")
    state = records_path(backup_dir)
    state.parent.mkdir()
    state.write_text('{"backups": {"/x": ')
    log_dir = backup_dir / "logs"
    store = Records(backup_dir, log=Log(log_dir))
    assert store.load() == {} and store.load() == {}
    assert "corrupt" in store.last_error
    lines = [line for f in log_dir.iterdir() for line in f.read_text().splitlines()]
    assert len(lines) == 1 and " WARN the check results in " in lines[0] and "are corrupt" in lines[0]
    store.record(path, "verify", True)
    assert json.loads(state.read_text())["backups"][f"daily/{path.name}"]["verify"]["ok"] is True
    assert store.last_error is None


def test_unwritable_state_folder_keeps_the_result_and_explains(backup_dir):
    path = _file(backup_dir / "daily")
    (backup_dir / ".citaplanner-tui").write_text("a file where the folder should be")
    store = Records(backup_dir)
    check = store.record(path, "verify", True, "checksum matches")
    assert check.ok and check.detail == "checksum matches"
    assert store.last_error.startswith("cannot save check results in ")
    assert store.lookup(path) is None


WRITER = """
import sys
from pathlib import Path
from citaplanner_tui.core.volume.records import Records
store = Records(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    store.record(Path(sys.argv[1]) / "daily" / f"{sys.argv[2]}{i}", "verify", True, sys.argv[2])
"""


def test_two_writers_lose_nothing(backup_dir):
    for prefix in "ab":
        for i in range(15):
            _file(backup_dir / "daily", f"{prefix}{i}")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(backup_dir), prefix, "15"]) for prefix in "ab"]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    facts = Records(backup_dir).load()
    assert len(facts) == 30
    assert {f.verify.detail for f in facts.values()} == {"a", "b"}


def test_a_moved_volume_keeps_its_history(backup_dir, tmp_path):
    path = _file(backup_dir / "daily")
    Records(backup_dir).record(path, "verify", True, "checksum matches its sidecar")
    Records(backup_dir).record(path, "drill", True, "restored")
    moved = tmp_path / "bigger-volume"
    subprocess.run(["cp", "-a", str(backup_dir), str(moved)], check=True)  # keeps mtimes, as rsync -a does
    subprocess.run(["rm", "-rf", str(backup_dir)], check=True)
    facts = Records(moved).lookup(moved / "daily" / path.name)
    assert facts is not None and facts.verify.ok and facts.drills_ok == 1


def test_state_files_of_older_versions_with_absolute_keys_are_read(backup_dir):
    path = _file(backup_dir / "daily")
    st = path.stat()
    old = {
        "version": 1,
        "backups": {
            f"/old/mount/daily/{path.name}": {
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "verify": {"at": "2026-11-01T03:00:00", "ok": True, "detail": "checksum matches its sidecar"},
            }
        },
    }
    records_path(backup_dir).parent.mkdir()
    records_path(backup_dir).write_text(json.dumps(old))
    store = Records(backup_dir)
    assert store.lookup(path).verify.at == datetime(2026, 11, 1, 3, 0)
    store.record(path, "deep", True)  # rewritten with the relative key, the old facts merged in
    saved = json.loads(records_path(backup_dir).read_text())["backups"]
    assert list(saved) == [f"daily/{path.name}"] and saved[f"daily/{path.name}"]["verify"]["ok"] is True


def test_read_only_records_nothing_and_logs_nothing(backup_dir):
    path = _file(backup_dir / "daily")
    records_path(backup_dir).parent.mkdir()
    records_path(backup_dir).write_text("not json")
    store = Records(Settings(backup_dir=backup_dir, read_only=True))
    assert store.load() == {}
    check = store.record(path, "verify", True, "ok")
    assert check.ok and records_path(backup_dir).read_text() == "not json"
    assert not (backup_dir / "logs").exists()
