"""A swap interrupted inside its critical section never leaves the live database locked.

The restore CLI runs in a real process, held at an exact step of the swap (the engine's
pause point, ``CITAPLANNER_TUI_PAUSE``), and gets a signal there.  Afterwards the live
database accepts connections with its old content (stopped before the renames) or the
backup's (after), and a killed run's journal is finished or undone by the next command
in one sentence.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.restore.journal import JOURNAL, LAST_SWAP
from citaplanner_tui.core.restore.leftovers import leftovers
from citaplanner_tui.core.restore.swap import SwapFailed
from tests.support.backup import REPO, cli, cli_env
from tests.support.restore import content, databases, fill, held_cli, settings_for, take_backup


@pytest.fixture
def live(app_db, backup_dir):
    """A filled database, its backup, and then a change, so old and restored content differ."""
    fill(app_db, clients=30, appointments=80)
    app_db.archive = take_backup(app_db, backup_dir)
    app_db.at_backup = content(app_db.server, app_db.name)
    app_db.sql("DELETE FROM payments")
    app_db.before = content(app_db.server, app_db.name)
    assert app_db.before != app_db.at_backup
    return app_db


def _allows(db) -> bool:
    return db.server.sql("SELECT datallowconn FROM pg_database WHERE datname = %s", params=(db.name,))[0][0]


def _held_restore(db, backup_dir: Path, pause: Path, phase: str, *mode: str) -> subprocess.Popen:
    """The restore CLI, stopped at ``phase`` of the swap (asserted, never assumed)."""
    return held_cli(db, backup_dir, pause, phase, "restore", str(db.archive), "--confirm", db.name, *mode)


def _journal(backup_dir: Path) -> Path:
    return backup_dir / ".citaplanner-tui" / JOURNAL


@pytest.mark.parametrize("phase", ["locked", "renamed"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_signal_inside_the_swap_leaves_live_usable(live, backup_dir, tmp_path, phase, sig):
    env = cli_env(live.url, backup_dir)
    pause = tmp_path / "pause"
    proc = _held_restore(live, backup_dir, pause, phase)
    try:
        journal = json.loads(_journal(backup_dir).read_text())
        assert (
            journal["live"] == live.name
            and journal["phase"] == {"locked": "locking"}.get(phase, phase)
            and journal["pid"] == proc.pid
        )
        assert _journal(backup_dir).stat().st_mode & 0o777 == 0o600
        if phase == "locked":
            assert not _allows(live)  # really inside the lock-out
            during = cli("status", env=env)  # a command while the swap runs leaves it to its process
            assert "swap interrupted" not in during.stderr and not _allows(live)
        else:
            assert journal["parked"] in databases(live.server, live.name + "__pre_restore_")
        proc.send_signal(sig)
        if sig != signal.SIGKILL:
            (pause / f"{phase}.go").touch()  # the signal waits for the section to end
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert _journal(backup_dir).exists()
        if phase == "locked":  # before any command recovers, status's leftovers name the full scratch
            listed = [(k.kind, k.name) for k in leftovers(settings_for(live, backup_dir))]
            assert ("scratch database", journal["incoming"]) in listed
        after = cli("status", env=env)  # any command
        said = [ln for ln in after.stderr.splitlines() if "swap interrupted" in ln]
        assert len(said) == 1, after.stderr
        assert ("finished the swap" if phase == "renamed" else "undid the swap") in said[0]
        if phase == "locked":  # the loaded scratch was never swapped in: named, and dropped
            assert (
                f"the scratch database {journal['incoming']!r}, which held the backup's data but was never "
                "swapped in, was dropped" in said[0]
            )
        assert not databases(live.server, live.name + "__restore_")
        again = cli("status", env=env)
        assert "swap interrupted" not in again.stderr
        expected = live.at_backup if phase == "renamed" else live.before
    else:
        # The signal waited for the section, whose renames committed: the restore is done, so it finishes
        # (rotation, outcome) and says so truthfully instead of unwinding.
        assert proc.returncode == 0, err
        assert "interrupted" not in err and "half-written" not in err and "Traceback" not in err
        lines = out.strip().splitlines()
        assert lines[0].startswith(f"OK {live.archive.name} restored into {live.name!r}"), out
        assert lines[-1] == (
            f"NOTE the interrupt ({sig.name}) came after the swap had committed, so the "
            "restore was finished rather than undone"
        )
        log = next((backup_dir / "logs").glob("restore_*.log")).read_text()
        assert f"{sig.name} arrived during the swap" in log
        assert log.index(f"is now {live.name!r}") < log.index(f"{sig.name} arrived during the swap")
        assert "restore interrupted" not in log and f"into {live.name!r} done in" in log  # rotated, then done
        expected = live.at_backup
    assert not _journal(backup_dir).exists()
    assert _allows(live)
    assert content(live.server, live.name) == expected
    with connect(live.info) as conn:  # the app's own role gets in
        assert conn.execute("SELECT count(*) FROM clients").fetchone()[0] == expected["clients"][0]
    if phase == "renamed":
        plan = cli("restore", "--rollback", "--plan", "--json", env=env)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["would_bring_back"] == journal["parked"]
        last = json.loads((backup_dir / ".citaplanner-tui" / LAST_SWAP).read_text())
        assert last["target"] == live.name and last["parked"] == journal["parked"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_signal_before_the_swap_says_what_was_undone(live, backup_dir, tmp_path, sig):
    pause = tmp_path / "pause"
    proc = _held_restore(live, backup_dir, pause, "loaded")
    try:
        scratch = [d for d in databases(live.server, live.name + "__restore_")]
        assert len(scratch) == 1  # loaded, not yet swapped
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (
        f"citaplanner-tui: interrupted; the restore stopped before the swap, so {live.name!r} keeps its "
        f"previous data and no scratch database {scratch[0]!r} is left"
    )
    assert not databases(live.server, live.name + "__")
    assert _allows(live) and content(live.server, live.name) == live.before


def test_signal_inside_a_rollback_swap_finishes_it_and_says_so(live, backup_dir, tmp_path):
    env = cli_env(live.url, backup_dir)
    done = cli("restore", str(live.archive), "--confirm", live.name, env=env)
    assert done.returncode == 0, done.stderr
    # The recorded server text is stale (another port, localhost): the parked database still identifies it.
    record_path = backup_dir / ".citaplanner-tui" / LAST_SWAP
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "server": "localhost:1"}))
    live.server.create_database(f"{live.name}__pre_restore_20991231235959", owner="citaplanner")  # newest by name
    pause = tmp_path / "pause"
    proc = held_cli(live, backup_dir, pause, "renamed", "restore", "--rollback", "--confirm", live.name)
    try:
        proc.send_signal(signal.SIGTERM)
        (pause / "renamed.go").touch()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.startswith(f"OK {record['parked']!r} is {live.name!r} again"), out
    assert out.strip().splitlines()[-1] == (
        "NOTE the interrupt (SIGTERM) came after the swap had committed, so "
        "the rollback was finished rather than undone"
    )
    assert content(live.server, live.name) == live.before and _allows(live)
    assert json.loads(record_path.read_text())["kind"] == "rollback"


def test_scratch_left_by_a_restore_killed_before_the_swap_is_listed(live, backup_dir, tmp_path):
    """No journal then (nothing was locked); status names the scratch and the next restore drops it."""
    env = cli_env(live.url, backup_dir)
    proc = _held_restore(live, backup_dir, tmp_path / "pause", "loaded")
    proc.kill()
    proc.communicate()
    scratch = databases(live.server, live.name + "__restore_")
    assert len(scratch) == 1 and not _journal(backup_dir).exists()
    status = cli("status", "--json", env=env)
    listed = json.loads(status.stdout)["leftovers"]
    named = [k for k in listed if k["kind"] == "scratch database"]
    assert [k["name"] for k in named] == scratch and named[0]["size"] > 0
    assert scratch[0] in cli("status", env=env).stdout


_DB_SETTINGS = (
    "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
    "WHERE d.datname = %s AND s.setrole = 0"
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_in_place_restore_killed_with_writes_stopped_lets_the_app_write_again(live, backup_dir, tmp_path, sig):
    env = cli_env(live.url, backup_dir)
    pause = tmp_path / "pause"
    proc = _held_restore(live, backup_dir, pause, "writes-stopped", "--mode", "in-place")
    try:
        assert json.loads(_journal(backup_dir).read_text())["kind"] == "in-place"
        assert live.server.sql(_DB_SETTINGS, params=(live.name,)) == [(["default_transaction_read_only=on"],)]
        proc.send_signal(sig)
        if sig != signal.SIGKILL:
            (pause / "writes-stopped.go").touch()
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if sig == signal.SIGKILL:
        after = cli("status", env=env)
        said = [ln for ln in after.stderr.splitlines() if "allowed writes" in ln]
        assert len(said) == 1 and "interrupted" in said[0], after.stderr
    else:
        assert proc.returncode == 130
        assert err.strip().splitlines()[-1] == (
            f"citaplanner-tui: interrupted; the restore stopped before its load committed, so {live.name!r} "
            "keeps its previous data and accepts writes again"
        )
    assert not _journal(backup_dir).exists()
    assert live.server.sql(_DB_SETTINGS, params=(live.name,)) == []
    assert content(live.server, live.name) == live.before
    with connect(live.info) as conn:  # a new session of the app writes again
        conn.execute(
            'DELETE FROM clients WHERE id NOT IN (SELECT "clientId" FROM appointments) '
            'AND id NOT IN (SELECT "clientId" FROM payments)'
        )


class _Watch(threading.Thread):
    """Polls ``datallowconn`` of the live database until stopped; remembers any refusal."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db, self.stop, self.refused, self.polls = db, threading.Event(), False, 0

    def run(self) -> None:
        with connect(self.db.server.admin("postgres")) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT datallowconn FROM pg_database WHERE datname = %s", (self.db.name,)
                ).fetchone()
                self.polls += 1
                if not row[0]:
                    self.refused = True
                    return
                time.sleep(0.005)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(timeout=10)


def test_session_the_role_cannot_end_is_refused_before_anything_is_locked(live, backup_dir):
    env = cli_env(live.url, backup_dir)
    with connect(live.admin()) as dba, _Watch(live) as watch:  # the app role may not end a superuser's session
        proc = subprocess.Popen(
            [sys.executable, "-m", "citaplanner_tui", "restore", str(live.archive), "--confirm", live.name],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while proc.poll() is None and not watch.refused:
                time.sleep(0.01)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate()
        dba.execute("SELECT 1")  # still connected
    assert not watch.refused, "the live database refused connections"
    assert watch.polls > 0
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert "sessions of postgres" in lines[-1] and "Traceback" not in err
    assert content(live.server, live.name) == live.before
    assert not (backup_dir / "safety").exists()  # refused before the safety backup too
    assert not databases(live.server, live.name + "__")


def test_session_opened_after_the_plan_stops_the_swap_before_the_lock_out(live, backup_dir):
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, live.archive)
    assert plan.ok, plan.checks
    with connect(live.admin()) as dba, _Watch(live) as watch:
        with pytest.raises(SwapFailed) as err:
            execute(settings, plan, confirm=live.name)
        dba.execute("SELECT 1")
    assert not watch.refused and watch.polls > 0
    assert "sessions of postgres" in err.value.sentence and "nothing was locked or renamed" in err.value.sentence
    assert content(live.server, live.name) == live.before
    assert not databases(live.server, live.name + "__")
    assert not _journal(backup_dir).exists()


def test_sessions_left_inside_the_lock_out_end_it_within_the_bound(live, backup_dir, monkeypatch):
    """Should an unendable session slip past the check, connections are allowed again after LOCKOUT."""
    from citaplanner_tui.core.restore import swap

    monkeypatch.setattr(swap, "LOCKOUT", 1.0)
    monkeypatch.setattr(swap, "unendable_sessions", lambda conn, db: [])  # the race: seen too late
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, live.archive)
    with connect(live.admin()) as dba:
        with pytest.raises(SwapFailed) as err:
            execute(settings, plan, confirm=live.name)
        dba.execute("SELECT 1")
    assert "still had sessions after 1 s; nothing was renamed and it accepts connections again" in err.value.sentence
    assert _allows(live)
    assert content(live.server, live.name) == live.before
    assert not databases(live.server, live.name + "__")
    assert not _journal(backup_dir).exists()
    log = next((backup_dir / "logs").glob("restore_*.log")).read_text()
    assert "new connections to" in log  # it really was inside the lock-out


@pytest.mark.parametrize("mode", ["swap", "in-place"])
def test_journal_that_cannot_be_written_stops_the_restore_before_live_is_touched(live, backup_dir, mode):
    from citaplanner_tui.core.errors import OperatorError

    settings = settings_for(live, backup_dir)
    plan = preflight(settings, live.archive, mode=mode)
    _journal(backup_dir).mkdir(parents=True)  # the rename onto it fails, as on a full or broken volume
    with pytest.raises(OperatorError) as err:
        execute(settings, plan, confirm=live.name)
    assert "cannot write the restore journal" in err.value.sentence and "not touched" in err.value.sentence
    assert _allows(live)
    assert live.server.sql(_DB_SETTINGS, params=(live.name,)) == []
    assert content(live.server, live.name) == live.before
    assert not databases(live.server, live.name + "__")


def test_recovery_waits_for_write_access_and_never_guesses(app_db, backup_dir):
    """A journal left by a killed swap (written here as the engine writes it, the database locked out)."""
    from dataclasses import replace

    from citaplanner_tui.core.restore import recover
    from citaplanner_tui.core.restore.journal import Intent, Journal
    from citaplanner_tui.core.restore.swap import server_key

    live = app_db
    settings = settings_for(live, backup_dir)
    journal = Journal(settings.state_dir)
    intent = Intent(live.name, live.name + "__restore_1", live.name + "__pre_restore_1", server_key(live.info), None)
    journal.begin(intent)
    live.server.sql(f'ALTER DATABASE "{live.name}" WITH ALLOW_CONNECTIONS false')

    said = recover(replace(settings, read_only=True))
    assert "without --read-only" in said and _journal(backup_dir).exists() and not _allows(live)
    said = recover(settings)
    assert said.startswith("undid the swap") and _allows(live) and not _journal(backup_dir).exists()
    assert recover(settings) is None

    journal.begin(replace(intent, live=live.name + "_gone"))
    said = recover(settings)
    assert "left no database named" in said and "by hand" in said and _journal(backup_dir).exists()
    _journal(backup_dir).write_text("{not json")
    assert "cannot be read" in recover(settings)


@pytest.mark.parametrize("phase", ["locked", "renamed"])
def test_killed_swap_is_recovered_through_another_name_of_the_same_server(live, backup_dir, tmp_path, phase):
    """The journal was written via 127.0.0.1; the next command comes via localhost (or a new port)."""
    proc = _held_restore(live, backup_dir, tmp_path / "pause", phase)
    proc.kill()
    proc.communicate()
    assert _journal(backup_dir).exists() and _allows(live) == (phase == "renamed")  # the renames allow it
    other = live.url.replace("@127.0.0.1:", "@localhost:")
    assert other != live.url
    after = cli("status", env=cli_env(other, backup_dir))
    said = [ln for ln in after.stderr.splitlines() if "swap interrupted" in ln]
    assert len(said) == 1, after.stderr
    assert ("finished the swap" if phase == "renamed" else "undid the swap") in said[0]
    assert not _journal(backup_dir).exists() and _allows(live)
    assert content(live.server, live.name) == (live.at_backup if phase == "renamed" else live.before)


def test_journal_of_another_server_is_left_alone(app_db, backup_dir):
    """Neither the host:port text nor any of its stamped databases match: recovery refuses, touches nothing."""
    from citaplanner_tui.core.restore import recover
    from citaplanner_tui.core.restore.journal import Intent, Journal

    settings = settings_for(app_db, backup_dir)
    Journal(settings.state_dir).begin(
        Intent(
            app_db.name,
            app_db.name + "__restore_19990101000000",
            app_db.name + "__pre_restore_19990101000000",
            "10.9.9.9:5432",
            None,
        )
    )
    said = recover(settings)
    assert "on 10.9.9.9:5432, not this server" in said and _journal(backup_dir).exists() and _allows(app_db)
