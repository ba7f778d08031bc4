"""Whatever goes wrong, no file that looks complete is left and older backups stay as they were."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from citaplanner_tui.core import recovery_doc
from citaplanner_tui.core.backup import DumpFailed, VolumeFull, run_backup
from citaplanner_tui.core.errors import BusyError
from citaplanner_tui.core.volume import lock
from citaplanner_tui.core.volume.catalog import State, scan
from citaplanner_tui.demo.server import LocalServer
from tests.support.backup import (
    REPO,
    cli,
    cli_env,
    fill,
    freeze_pg_dump_mid_stream,
    kill_9_mid_dump,
    settings_for,
    wait_gone,
)
from tests.support.db import APP_PASSWORD, APP_ROLE, drop_app_db, make_app_db

PASSWORD_FORMS = (APP_PASSWORD, quote(APP_PASSWORD, safe=""))


@pytest.fixture(scope="module")
def big_db(pg):
    """About 8 MiB of SQL: long enough to stop pg_dump in the middle of its output."""
    db = make_app_db(pg)
    fill(db, big=True)
    yield db
    drop_app_db(pg, db.name)


@pytest.fixture
def small_db(app_db):
    fill(app_db)
    return app_db


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (except our logs and bookkeeping, and RECOVERY.md, which
    every backup rewrites) with its SHA-256."""
    skip = {lock.LOCK_NAME, recovery_doc.FILENAME}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "logs" not in p.parts and ".citaplanner-tui" not in p.parts and p.name not in skip
    }


def _older_backup(db, backup_dir: Path) -> dict[str, str]:
    run_backup(settings_for(db, backup_dir), tier="daily", now=datetime(2026, 11, 2, 2, 0, 0))
    return _snapshot(backup_dir)


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("citaplanner-tui: ")
    assert not any(form in stderr for form in PASSWORD_FORMS)
    return lines[0]


# -- refused before anything is written ------------------------------------------
def test_concurrent_backup_is_refused_at_once_naming_the_holder(small_db, backup_dir):
    before = _older_backup(small_db, backup_dir)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom citaplanner_tui.core.volume.lock import hold\n"
            f"with hold({str(backup_dir)!r}, 'restore'):\n    print('held', flush=True)\n    sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert lock.holder(backup_dir).pid == holder.pid
        started = time.monotonic()
        result = cli("backup", env=cli_env(small_db.url, backup_dir))
        assert time.monotonic() - started < 30  # refused, not queued
        assert result.returncode != 0
        line = _one_sentence(result.stderr)
        assert f"another backup or restore is running (pid {holder.pid}, since " in line
        with pytest.raises(BusyError):
            run_backup(settings_for(small_db, backup_dir), tier="manual")
    finally:
        holder.communicate("", timeout=10)
    assert lock.holder(backup_dir) is None
    assert _snapshot(backup_dir) == before


def _stopped_server_url(tmp_path) -> str:
    server = LocalServer(tmp_path / "stopped", fast=True).start()
    url = server.url("citaplanner", APP_ROLE, APP_PASSWORD)
    server.stop()
    return url


@pytest.mark.parametrize(
    "case, expected",
    [
        ("scheme", "the connection string uses scheme 'mysql'"),
        ("port", "the port 'port' in the connection string is not a number"),
        ("malformed", "the connection string is not valid"),
        ("password", "the server refused the password for user 'citaplanner'"),
        ("stopped", "cannot reach the server at 127.0.0.1:"),
        ("no_database", "the database 'nosuchdb' does not exist"),
        ("no_pg_dump", "no pg_dump and psql in the configured pg_bindir"),
    ],
)
def test_bad_targets_give_one_sentence_and_write_nothing(case, expected, small_db, backup_dir, pg, tmp_path):
    url, extra = small_db.url, {}
    if case == "scheme":
        url = f"mysql://{APP_ROLE}:{quote(APP_PASSWORD, safe='')}@127.0.0.1/{small_db.name}"
    elif case == "malformed":
        url = f"host=127.0.0.1 password={APP_PASSWORD} dbname"
    elif case == "port":
        url = f"postgresql://{APP_ROLE}:{quote(APP_PASSWORD, safe='')}@127.0.0.1:port/{small_db.name}"
    elif case == "password":
        url = pg.url(small_db.name, APP_ROLE, "not-the-password")
    elif case == "stopped":
        url = _stopped_server_url(tmp_path)
    elif case == "no_database":
        url = pg.url("nosuchdb", APP_ROLE, APP_PASSWORD)
    else:
        (tmp_path / "empty-bin").mkdir()
        extra["PG_BINDIR"] = str(tmp_path / "empty-bin")
    result = cli("backup", env=cli_env(url, backup_dir, **extra))
    assert result.returncode != 0 and result.stdout == ""
    assert expected in _one_sentence(result.stderr)
    assert _snapshot(backup_dir) == {}


# -- failures in the middle of the dump --------------------------------------------
def test_server_gone_mid_dump_keeps_nothing(big_db, small_db, backup_dir, pg):
    before = _older_backup(small_db, backup_dir)
    failure: list[BaseException] = []

    def backup():
        try:
            run_backup(settings_for(big_db, backup_dir), tier="daily", now=datetime(2026, 11, 3, 2, 0, 0))
        except BaseException as exc:  # noqa: BLE001 - checked below
            failure.append(exc)

    worker = threading.Thread(target=backup)
    worker.start()
    pid = freeze_pg_dump_mid_stream(os.getpid(), lambda: (backup_dir / "daily").glob("*.partial"))
    try:
        killed = pg.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'citaplanner-tui'",
            params=(big_db.name,),
        )
        assert killed == [(True,)]
    finally:
        os.kill(pid, signal.SIGCONT)
        worker.join(60)
    assert len(failure) == 1 and isinstance(failure[0], DumpFailed), failure
    assert "pg_dump failed:" in str(failure[0]) and "no backup was kept" in str(failure[0])
    assert _snapshot(backup_dir) == before
    log = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert "ERROR backup failed: pg_dump failed" in log


def test_kill_9_mid_dump_leaves_only_a_partial_that_the_next_run_removes(big_db, small_db, backup_dir):
    before = _older_backup(small_db, backup_dir)
    kill_9_mid_dump(cli_env(big_db.url, backup_dir), backup_dir)

    after = _snapshot(backup_dir)
    leftovers = set(after) - set(before)
    assert len(leftovers) == 1 and next(iter(leftovers)).endswith(".sql.gz.partial")
    assert {k: v for k, v in after.items() if k in before} == before  # older backups byte-identical
    states = {e.path.name: e.state for e in scan(backup_dir)}
    assert states[Path(next(iter(leftovers))).name] is State.PARTIAL
    assert sum(s is State.OK for s in states.values()) == 1  # only the older backup counts

    result = run_backup(settings_for(small_db, backup_dir), tier="daily", now=datetime(2026, 11, 4, 2, 0, 0))
    assert not list((backup_dir / "daily").glob("*.partial"))
    assert result.files[0].exists() and _snapshot(backup_dir).items() >= before.items()


def test_no_password_in_any_process_argv_during_a_backup(big_db, backup_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", "backup"],
        env=cli_env(big_db.url, backup_dir),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()

    def sweep() -> None:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    argv = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                assert not any(form in argv for form in PASSWORD_FORMS), argv
                seen.add(argv.split(" ")[0].rsplit("/", 1)[-1])

    try:
        pg_dump = freeze_pg_dump_mid_stream(proc.pid, lambda: (backup_dir / "daily").glob("*.partial"))
        sweep()  # pg_dump is stopped mid-dump: its argv is surely there
        assert "pg_dump" in seen
        os.kill(pg_dump, signal.SIGCONT)
        while proc.poll() is None:
            sweep()
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.startswith("OK ") and not any(form in out + err for form in PASSWORD_FORMS)


# -- a full volume -------------------------------------------------------------------
@pytest.fixture
def small_volume(tmp_path):
    """An 8 MiB tmpfs as the backup volume (we run as root); unmounted afterwards."""
    mount = tmp_path / "volume"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.strip()}), so no full volume")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill_volume(volume: Path, leave: int) -> None:
    free = os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize
    with open(volume / "filler.bin", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


def test_volume_too_small_is_refused_before_pg_dump_runs(small_db, small_volume):
    before = _older_backup(small_db, small_volume)
    _fill_volume(small_volume, leave=256 * 1024)
    before["filler.bin"] = hashlib.sha256((small_volume / "filler.bin").read_bytes()).hexdigest()
    result = cli("backup", env=cli_env(small_db.url, small_volume))
    assert result.returncode != 0
    line = _one_sentence(result.stderr)
    assert "free but this backup needs about" in line
    assert _snapshot(small_volume) == before


def test_volume_filling_up_mid_dump_keeps_nothing(small_db, big_db, small_volume):
    """The last backup was small, so the estimate passes; the new data does not fit."""
    before = _older_backup(small_db, small_volume)
    _fill_volume(small_volume, leave=1536 * 1024)
    before["filler.bin"] = hashlib.sha256((small_volume / "filler.bin").read_bytes()).hexdigest()
    with pytest.raises(VolumeFull, match="is full: the dump did not fit; nothing was kept"):
        run_backup(settings_for(big_db, small_volume), tier="daily", now=datetime(2026, 11, 3, 2, 0, 0))
    assert _snapshot(small_volume) == before


def test_sigterm_mid_dump_cleans_up_like_ctrl_c(big_db, backup_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", "backup"],
        env=cli_env(big_db.url, backup_dir),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pg_dump = freeze_pg_dump_mid_stream(proc.pid, lambda: (backup_dir / "daily").glob("*.partial"))
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):  # our run may have killed it already
            os.kill(pg_dump, signal.SIGCONT)
        out, err = proc.communicate(timeout=60)
        wait_gone(pg_dump)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130 and out == ""
    assert "interrupted; nothing was left half-written" in _one_sentence(err)
    assert _snapshot(backup_dir) == {}


def test_read_only_volume_gives_one_sentence(small_db, small_volume):
    before = _older_backup(small_db, small_volume)
    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    result = cli("backup", env=cli_env(small_db.url, small_volume, LOG_DIR=str(small_volume.parent / "logs")))
    assert result.returncode != 0
    assert "Read-only file system" in _one_sentence(result.stderr)
    assert _snapshot(small_volume) == before


def test_pg_dump_error_is_one_sentence_and_keeps_nothing(small_db, backup_dir):
    """A table the app role may not read (owned by the superuser) makes pg_dump fail at once."""
    before = _older_backup(small_db, backup_dir)
    small_db.sql("CREATE TABLE secret_audit (a int)")
    result = cli("backup", env=cli_env(small_db.url, backup_dir))
    assert result.returncode != 0
    line = _one_sentence(result.stderr)
    assert "pg_dump failed:" in line and "permission denied for table secret_audit" in line
    assert "no backup was kept" in line
    assert _snapshot(backup_dir) == before


# A backup run that stops itself (SIGSTOP) just before it writes the file named by argv[1]'s
# suffix: the exact moment between publishing the dump and sealing it.
_STOP_BEFORE = """
import os, signal, sys
from citaplanner_tui.core import backup
suffix = sys.argv.pop(1)
original = backup._Run._write_beside
def stopping(self, final, data):
    if final.name.endswith(suffix):
        os.kill(os.getpid(), signal.SIGSTOP)
    return original(self, final, data)
backup._Run._write_beside = stopping
from citaplanner_tui.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


@pytest.mark.parametrize("suffix", [".manifest.json", ".sha256"])
def test_kill_9_between_the_dump_and_its_sidecar_is_sealed_by_the_next_run(small_db, backup_dir, suffix):
    proc = subprocess.Popen(
        [sys.executable, "-c", _STOP_BEFORE, suffix, "backup", "--tier", "daily"],
        env=cli_env(small_db.url, backup_dir),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 60
        while not _stopped(proc.pid):
            assert proc.poll() is None and time.monotonic() < end, "the backup never reached the pause point"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [dump] = (backup_dir / "daily").glob("*.sql.gz")
    sidecar = dump.with_name(dump.name + ".sha256")
    assert not sidecar.exists() and scan(backup_dir).find(dump).state is State.NO_SIDECAR

    run_backup(settings_for(small_db, backup_dir), tier="manual", now=datetime(2026, 11, 4, 2, 0, 0))
    assert subprocess.run(["sha256sum", "-c", sidecar.name], cwd=dump.parent, capture_output=True).returncode == 0
    assert scan(backup_dir).find(dump).state is State.OK
    assert not list((backup_dir / "daily").glob("*.partial"))  # nothing unfinished left behind
