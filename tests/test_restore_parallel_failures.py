"""A parallel restore that fails anywhere, or is interrupted while its workers load, changes nothing.

A bad row in one COPY, a worker's connection ended by ``pg_terminate_backend``, a
constraint that fails in post-data, a failed safety backup: each stops every session,
leaves the live database as it was and no scratch database behind, and says in one
sentence which table it was working on.  Signals arrive at a deterministic point (the
engine's ``CITAPLANNER_TUI_PAUSE`` point ``loading``: a worker has its first COPY).  The
safety backup runs alongside the load, and the swap waits for it: shown with a lock
that holds pg_dump back until the load is over, not with sleeps.
"""

from __future__ import annotations

import gzip
import json
import signal
import threading

import pytest

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.restore.load import LoadSpec
from citaplanner_tui.core.restore.sessions import SocketSession
from citaplanner_tui.core.restore.swap import PAUSE_ENV
from citaplanner_tui.core.settings import RestoreKeep
from citaplanner_tui.core.volume import manifest
from tests.support.backup import cli, cli_env
from tests.support.db import APP_ROLE
from tests.support.restore import (
    content,
    databases,
    fill,
    held_cli,
    insert_into_dump,
    rewrite_archive,
    settings_for,
    take_backup,
    wait_for,
)


@pytest.fixture
def live(app_db, backup_dir):
    """A filled database and its backup; then live changes, so old and restored content differ."""
    fill(app_db)
    app_db.archive = take_backup(app_db, backup_dir)
    app_db.sql("DELETE FROM payments")
    app_db.before = content(app_db.server, app_db.name)
    return app_db


def _settings(db, backup_dir):
    return settings_for(db, backup_dir, restore=RestoreKeep(jobs=2))


def _left_alone(db) -> None:
    """Live as it was, no scratch database, no session of ours still on the server."""
    assert content(db.server, db.name) == db.before
    assert not databases(db.server, db.name + "__restore_")
    assert not databases(db.server, db.name + "__pre_restore_")
    wait_for(lambda: not _our_sessions(db), "the end of every psql session")


def _our_sessions(db) -> list:
    return db.server.sql(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'citaplanner-tui' "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )


def _in_a_thread(settings, plan, confirm: str) -> tuple[threading.Thread, list[BaseException]]:
    """``execute`` running in a thread; what it raised lands in the list."""
    raised: list[BaseException] = []

    def run():
        try:
            execute(settings, plan, confirm=confirm)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, raised


def _log(backup_dir) -> str:
    return "".join(p.read_text() for p in sorted((backup_dir / "logs").glob("restore_*.log")))


def _first_row(archive, table: bytes) -> bytes:
    """The first data row of ``table``'s COPY block: inserting before it puts a row first."""
    dump = gzip.decompress(archive.read_bytes())
    start = dump.index(b"\n", dump.index(b"COPY " + table + b" ")) + 1
    return dump[start : dump.index(b"\n", start) + 1]


@pytest.mark.parametrize(
    "damage,table",
    [
        ("bad row", "public.appointments"),  # COPY rejects it on a worker
        ("duplicate key", "public.clients"),  # the primary key fails in post-data
    ],
)
def test_a_failing_worker_names_its_table_and_changes_nothing(live, backup_dir, damage, table):
    first = _first_row(live.archive, table.encode())
    row = b"not a row\n" if damage == "bad row" else first
    insert_into_dump(live.archive, first, row)
    env = cli_env(live.url, backup_dir)
    done = cli("restore", str(live.archive), "--confirm", live.name, "--jobs", "2", env=env)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    doing = "loading the data of" if damage == "bad row" else "creating "  # its primary key or an index
    assert doing in lines[0] and table in lines[0], lines[0]
    assert "nothing was committed to the live database" in lines[0]
    _left_alone(live)
    assert "dropped" in _log(backup_dir) and "the live database was not touched" in _log(backup_dir)


def test_a_foreign_key_the_data_breaks_fails_on_its_worker_and_changes_nothing(live, backup_dir):
    """The clients' rows gone from the dump: their keys fail when the workers validate them, at the end."""
    dump = gzip.decompress(live.archive.read_bytes())
    start = dump.index(b"\n", dump.index(b"COPY public.clients ")) + 1
    rewrite_archive(live.archive, gzip.compress(dump[:start] + dump[dump.index(b"\\.\n", start) :]))
    done = cli("restore", str(live.archive), "--confirm", live.name, "--jobs", "2", env=cli_env(live.url, backup_dir))
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "while checking the foreign keys of public." in lines[0], lines[0]
    assert 'violates foreign key constraint "' in lines[0] and "_clientId_fkey" in lines[0], lines[0]
    _left_alone(live)


@pytest.mark.parametrize("stale", ["a count", "a table"])
def test_a_manifest_that_miscounts_the_archive_costs_a_second_load_not_the_restore(live, backup_dir, stale):
    """The parallel load checks the database against pre-flight's counts, the manifest's here.  One
    that does not match its archive (an older scanner may count an unusual dump differently) is
    refused by that check, and the load runs again counting the archive itself: the restore succeeds."""
    path = manifest.path_for(live.archive)
    written = json.loads(path.read_text())
    truth = dict(written["rows"])
    if stale == "a count":
        written["rows"]["public.payments"] += 1
    else:
        written["rows"]["public.no_such_table"] = 0
    path.write_text(json.dumps(written))
    settings = _settings(live, backup_dir)
    plan = preflight(settings, live.archive)
    assert plan.ok and plan.rows == written["rows"]  # the manifest vouched: its sha256 is the archive's
    outcome = execute(settings, plan, confirm=live.name)
    assert outcome.rows == truth
    assert content(live.server, live.name)["payments"][0] == truth["public.payments"] > 0
    log = _log(backup_dir)
    assert "counting its rows as it streams" in log, log
    reason = "holds" if stale == "a count" else "loaded other tables than pre-flight counted: public.no_such_table"
    assert reason in log.split("counting its rows as it streams")[0].splitlines()[-1]
    assert not databases(live.server, live.name + "__restore_")


def test_statements_added_after_the_last_foreign_key_run_as_psql_runs_them(live, backup_dir):
    """An edited dump: a statement after pg_dump's last entry (a foreign key, read whole by the
    loader) is not taken for part of the key, which is then added as the dump says, validated."""
    last = gzip.decompress(live.archive.read_bytes()).rsplit(b"; Type: FK CONSTRAINT;", 1)[1]
    assert b"; Type: " not in last  # a foreign key is the dump's last entry
    insert_into_dump(
        live.archive,
        b"-- PostgreSQL database dump complete",
        b"CREATE TABLE public.added_by_hand (x int);\nINSERT INTO public.added_by_hand VALUES (1), (2);\n",
    )
    settings = _settings(live, backup_dir)
    execute(settings, preflight(settings, live.archive), confirm=live.name)
    assert live.server.sql("SELECT sum(x) FROM public.added_by_hand", live.name) == [(3,)]
    keys = live.server.sql("SELECT count(*), bool_and(convalidated) FROM pg_constraint WHERE contype = 'f'", live.name)
    assert keys[0][0] > 0 and keys[0][1] is True


def test_a_sound_manifest_is_checked_against_once(live, backup_dir):
    settings = _settings(live, backup_dir)
    plan = preflight(settings, live.archive)
    outcome = execute(settings, plan, confirm=live.name)
    assert outcome.rows == manifest.read(live.archive).rows
    assert "counting its rows" not in _log(backup_dir) and "over 2 connections" in _log(backup_dir)


def test_a_worker_whose_connection_is_ended_stops_the_restore(live, backup_dir, tmp_path, monkeypatch):
    pause = tmp_path / "pause"
    pause.mkdir()
    monkeypatch.setenv(PAUSE_ENV, f"loading:{pause}")
    settings = _settings(live, backup_dir)
    plan = preflight(settings, live.archive, mode="swap")
    worker, raised = _in_a_thread(settings, plan, live.name)
    try:
        wait_for(lambda: (pause / "loading.reached").exists() or not worker.is_alive(), "the loading point")
        copying = wait_for(
            lambda: live.server.sql(
                "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND query LIKE 'COPY %%'",
                params=(plan.scratch,),
            ),
            "a worker's COPY",
        )
        pid, query = copying[0]
        live.server.sql("SELECT pg_terminate_backend(%s)", params=(pid,))
    finally:
        (pause / "loading.go").touch()
        worker.join(60)
    assert len(raised) == 1 and isinstance(raised[0], OperatorError), raised
    sentence = raised[0].sentence
    table = query.split()[1].replace('"', "")  # as the dump scanner names it
    assert f"loading the data of {table}" in sentence and "terminating connection" in sentence, sentence
    _left_alone(live)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_signal_while_the_workers_load_leaves_live_untouched(live, backup_dir, tmp_path, sig):
    argv = ("restore", str(live.archive), "--confirm", live.name, "--jobs", "2")
    proc = held_cli(live, backup_dir, tmp_path / "pause", "loading", *argv)
    try:
        scratch = databases(live.server, live.name + "__restore_")
        assert len(scratch) == 1  # the workers are loading into it
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        wait_for(lambda: not _our_sessions(live), "the orphaned psql sessions' end")
        assert content(live.server, live.name) == live.before
        # The next restore drops the scratch database the killed one left, and succeeds.
        again = cli(
            "restore", str(live.archive), "--confirm", live.name, "--jobs", "2", env=cli_env(live.url, backup_dir)
        )
        assert again.returncode == 0, again.stderr
        assert f"dropped {scratch[0]!r}, left by an interrupted restore or drill" in _log(backup_dir)
        assert content(live.server, live.name)["payments"][0] > 0
        assert not databases(live.server, live.name + "__restore_")
        return
    assert proc.returncode == 130, err  # as for any interrupted command
    assert "Traceback" not in err and "interrupted" in err, err
    _left_alone(live)


def test_the_safety_backup_runs_alongside_and_the_swap_waits_for_it(live, backup_dir):
    """pg_dump is held back by a lock until the load has finished: the swap must wait for it."""
    settings = _settings(live, backup_dir)
    plan = preflight(settings, live.archive, mode="swap")
    with connect(live.info, autocommit=False) as holder:  # the app role: the swap may end it
        holder.execute("LOCK TABLE public.clients IN ACCESS EXCLUSIVE MODE")
        worker, raised = _in_a_thread(settings, plan, live.name)
        try:
            wait_for(
                lambda: live.server.sql(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                    "AND query LIKE 'LOCK TABLE%%'",
                    params=(live.name,),
                ),
                "the safety backup's pg_dump waiting for its lock",
            )
            wait_for(lambda: "loaded " in _log(backup_dir), "the end of the load")
            assert not databases(live.server, live.name + "__pre_restore_")  # not swapped yet
            assert "is now" not in _log(backup_dir)
        finally:
            holder.rollback()  # pg_dump goes on
        worker.join(60)
    assert not raised, raised
    log = _log(backup_dir)
    order = ["started alongside the load", "loaded ", f"safety backup of {live.name!r}: ", "are refused from now on"]
    at = [log.index(s) for s in order]
    assert at == sorted(at), log
    assert content(live.server, live.name) != live.before  # restored


def test_a_failed_safety_backup_aborts_before_the_swap(live, backup_dir):
    """A table the restoring role may not read makes pg_dump fail; the loaded scratch is never swapped in."""
    live.server.sql("CREATE TABLE public.not_for_the_app (x int)", live.name)
    live.before = content(live.server, live.name)
    settings = _settings(live, backup_dir)
    plan = preflight(settings, live.archive, mode="swap")
    with pytest.raises(OperatorError) as err:
        execute(settings, plan, confirm=live.name)
    assert err.value.sentence.startswith(f"the safety backup of {live.name!r} failed, so nothing was swapped")
    log = _log(backup_dir)
    assert "loaded " in log and "are refused from now on" not in log
    _left_alone(live)
    assert not list((backup_dir / "safety").glob("*"))  # the failed backup left no file


def test_a_worker_dropped_between_two_pieces_of_its_copy_ends_with_the_load(app_db):
    """The interrupted load's path: a worker idle inside a COPY is dropped, then closed.

    Its thread ends (the piece it held is never committed) and it says why, so the
    loader's wait for it returns at once instead of waiting out its timeout.
    """
    app_db.sql(f"CREATE TABLE pieces (a int); ALTER TABLE pieces OWNER TO {APP_ROLE}")
    ended: list[int] = []
    session = SocketSession(LoadSpec(app_db.info, pgtools.choose(18), 18), lambda _s, code: ended.append(code))
    session.copy_begin(b"COPY public.pieces (a) FROM stdin;\n")
    session.send(b"1\n2\n")
    session.done("loading the data of public.pieces")
    wait_for(lambda: session.idle() or ended, "the worker to take the piece", timeout=10)
    assert not ended, session.first_error("utf-8")  # it now waits for more data, inside the COPY
    session.kill()
    session.wait_ended()
    assert not session.running() and ended == [1], ended
    assert session.first_error("utf-8"), "the stop is said"
    assert app_db.sql("SELECT count(*) FROM pieces") == [(0,)]


def test_a_worker_that_breaks_on_a_bug_still_ends_and_says_so(app_db):
    """Not only a server error: whatever stops a worker's thread ends the session as failed,
    so the loader's barriers stop waiting for it (a thread that just died would hang them)."""
    ended: list[int] = []
    session = SocketSession(LoadSpec(app_db.info, pgtools.choose(18), 18), lambda _s, code: ended.append(code))
    session._in_copy = True  # data with no COPY begun: the thread's own assertion fails
    session.send(b"1\n")
    session.done("loading nothing")
    wait_for(lambda: ended, "the session's end")
    session.wait_ended()
    assert ended == [1] and not session.running(), ended
    assert session.first_error("utf-8").startswith("AssertionError"), session.first_error("utf-8")
