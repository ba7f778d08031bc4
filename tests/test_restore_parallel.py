"""A parallel swap restore gives the same database as the serial one, on every round-trip case.

Each case database (``tests.support.roundtrip.CASES``: every class of object pg_dump
handles, hostile identifiers, COPY-looking text in bodies and comments, RLS, LATIN1, ...)
is backed up once and restored in swap mode over two connections: ``pg_dump
--schema-only``, the content of every table, sequences and large objects must be the
source's, which the serial restore is held to by ``test_roundtrip.py``.  The objects case
is also restored with ``--jobs 1`` and compared with the parallel result directly, and
once with every table cut into tiny COPY pieces, so pieces of one table land on both
workers.  On PostgreSQL 18 for every case, on 15 for the objects case.
"""

from __future__ import annotations

import os
import threading

import pytest

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore import execute, parallel, preflight
from citaplanner_tui.core.restore.swap import PAUSE_ENV
from citaplanner_tui.core import settings
from citaplanner_tui.core.errors import BusyError, ConfigError, OperatorError
from citaplanner_tui.core.settings import RestoreKeep
from citaplanner_tui.core.volume import lock
from tests.support.backup import cli
from tests.support.db import drop_app_db
from tests.support.restore import databases, settings_for, take_backup, wait_for
from tests.support.roundtrip import CASES, Case, build, snapshot

OBJECTS = next(c for c in CASES if c.name == "objects")


def _restore(db, backup_dir, archive, jobs: int):
    chosen = settings_for(db, backup_dir, restore=RestoreKeep(jobs=jobs))
    plan = preflight(chosen, archive, mode="swap")
    assert plan.ok, plan.checks
    return execute(chosen, plan, confirm=db.name)


@pytest.fixture
def source(request, tmp_path):
    """Build a case database on a server, back it up; yield (db, archive, snapshot); drop it after."""
    made = []

    def make(case, server_fixture: str):
        server = request.getfixturevalue(server_fixture)
        name = f"par_{case.name}_{server_fixture}"
        drop_app_db(server, name)
        db = build(server, case, name)
        made.append((server, name))
        archive = take_backup(db, tmp_path / "source-backups")
        return db, archive, snapshot(server, name)

    yield make
    for server, name in made:
        drop_app_db(server, name)


def _log(backup_dir) -> str:
    return "".join(p.read_text() for p in sorted((backup_dir / "logs").glob("restore_*.log")))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_parallel_restore_gives_the_source_back(source, tmp_path, case):
    db, archive, before = source(case, "pg")
    with connect(db.info) as conn:  # live moves on
        conn.execute("CREATE TABLE public.added_after_backup (x int)")
    _restore(db, tmp_path / "volume", archive, jobs=2)
    assert "over 2 connections" in _log(tmp_path / "volume")
    assert snapshot(db.server, db.name).differences(before) == []


def test_parallel_equals_serial_on_pg15(source, tmp_path):
    db, archive, before = source(OBJECTS, "pg15")
    _restore(db, tmp_path / "parallel", archive, jobs=2)
    assert snapshot(db.server, db.name).differences(before) == []


def test_tiny_pieces_and_serial_give_the_same_database(source, tmp_path, monkeypatch):
    db, archive, before = source(OBJECTS, "pg")
    _restore(db, tmp_path / "serial", archive, jobs=1)
    serial = snapshot(db.server, db.name)
    assert "over " not in _log(tmp_path / "serial")
    monkeypatch.setattr(parallel, "PIECE", 64)  # every table in many pieces, spread over both workers
    _restore(db, tmp_path / "parallel", archive, jobs=3)
    assert snapshot(db.server, db.name).differences(serial) == []
    assert serial.differences(before) == []


def test_autovacuum_is_off_on_the_new_tables_while_the_workers_load(source, tmp_path, monkeypatch):
    """Autovacuum would take each table as its first pieces commit, and its lock holds an index
    build or a key check up for a whole deadlock_timeout: it is off while the workers load
    (where the dump does not set it itself), and back on, as the dump had it, at the end."""
    db, archive, before = source(OBJECTS, "pg")
    pause = tmp_path / "pause"
    pause.mkdir()
    monkeypatch.setenv(PAUSE_ENV, f"loading:{pause}")
    raised: list[BaseException] = []

    def restore():
        try:
            _restore(db, tmp_path / "volume", archive, jobs=2)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=restore)
    thread.start()
    try:
        wait_for(lambda: (pause / "loading.reached").exists() or raised, "the first COPY on a worker")
        (scratch,) = databases(db.server, db.name + "__restore_")
        during = dict(
            db.server.sql(
                "SELECT oid::regclass::text, reloptions FROM pg_class WHERE relkind = 'r' AND oid >= 16384",
                dbname=scratch,
            )
        )
    finally:
        (pause / "loading.go").touch()
        thread.join(120)
    assert not raised, raised
    assert during["app.quiet"] == ["autovacuum_enabled=false"]  # the dump's own setting, left alone
    assert during["app.eager"] == ["autovacuum_enabled=true", "autovacuum_vacuum_scale_factor=0.01"]
    assert during["app.tuned"] == ["fillfactor=70", "autovacuum_enabled=false"]
    paused = [table for table, options in during.items() if "autovacuum_enabled=false" in (options or [])]
    assert sorted(paused) == sorted(t for t in during if t != "app.eager"), during
    assert snapshot(db.server, db.name).differences(before) == []  # every table's options as dumped


MANY_TABLES = Case(
    "many_tables",
    "DO $$ BEGIN FOR i IN 1..600 LOOP "
    "EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text)', i); "
    "EXECUTE format('INSERT INTO public.t%s VALUES (%s, %L)', i, i, 'row ' || i); END LOOP; END $$",
)


def test_a_schema_of_many_tables_has_autovacuum_paused_and_back_in_batches(source, tmp_path):
    """Each table's ALTER holds a lock until its transaction ends: the pause and the resume commit
    every 500 tables, and every table still ends with the options it was dumped with."""
    db, archive, before = source(MANY_TABLES, "pg")
    _restore(db, tmp_path / "volume", archive, jobs=2)
    assert "over 2 connections" in _log(tmp_path / "volume")
    assert snapshot(db.server, db.name).differences(before) == []
    assert db.server.sql(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND reloptions IS NOT NULL", dbname=db.name
    ) == [(0,)]


MEMORY = Case(
    "memory",
    "CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1); "
    "CREATE MATERIALIZED VIEW public.mem AS SELECT current_setting('maintenance_work_mem') AS mem",
)


@pytest.mark.parametrize(("mode", "jobs"), [("swap", 2), ("swap", 1), ("in-place", 1)])
def test_a_restore_loads_with_the_configured_maintenance_memory(source, tmp_path, mode, jobs):
    """pg_dump refreshes a materialized view in post-data: what it holds after the restore is what
    the loading session had, 256 MB by default and ``[restore] maintenance_work_mem_mb`` when set."""
    db, archive, _ = source(MEMORY, "pg")
    for keep, expected in (
        (RestoreKeep(jobs=jobs), "256MB"),
        (RestoreKeep(jobs=jobs, maintenance_work_mem_mb=300), "300MB"),
    ):
        chosen = settings_for(db, tmp_path / f"volume-{expected}", restore=keep)
        plan = preflight(chosen, archive, mode=mode)
        assert plan.ok, plan.checks
        execute(chosen, plan, confirm=db.name)
        assert db.server.sql("SELECT mem FROM public.mem", dbname=db.name) == [(expected,)], (mode, jobs, keep)


# An index whose expression refuses to be computed, in a scratch database, by a session that lets the
# build take the server's parallel workers or waits for its commits to reach the disk (pg_dump puts
# the function in the schema and the index in post-data, which a worker builds).
SCRATCH_SESSION = Case(
    "scratch_session",
    "CREATE FUNCTION public.probe(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN "
    "IF current_database() LIKE '%\\_\\_restore\\_%' AND (current_setting('max_parallel_maintenance_workers') <> '0' "
    "OR current_setting('synchronous_commit') <> 'off') THEN RAISE EXCEPTION 'built with % parallel workers "
    "and synchronous_commit %', current_setting('max_parallel_maintenance_workers'), "
    "current_setting('synchronous_commit'); END IF; RETURN i; END $$; "
    "CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t SELECT generate_series(1, 1000); "
    "CREATE INDEX t_probe ON public.t (public.probe(id))",
)


def test_a_parallel_load_works_in_one_process_per_session_and_commits_without_waiting(source, tmp_path, monkeypatch):
    """One session per core: an index build takes none of the server's parallel workers, which would
    only take cores from the other sessions' builds; and the scratch database's many commits do not
    wait for the disk (the swap's commit does, for all of them).  The serial load, one transaction
    with one commit, keeps the server's settings and its parallel index builds."""
    db, archive, snap = source(SCRATCH_SESSION, "pg")
    # What a durable production server gives every session (the test servers run without fsync).
    monkeypatch.setenv("PGOPTIONS", "-c synchronous_commit=on -c max_parallel_maintenance_workers=2")
    with pytest.raises(OperatorError, match="built with 2 parallel workers and synchronous_commit on"):
        _restore(db, tmp_path / "serial", archive, jobs=1)
    _restore(db, tmp_path / "parallel", archive, jobs=2)
    assert snapshot(db.server, db.name) == snap
    assert db.server.sql("SELECT count(*) FROM public.t WHERE public.probe(id) = id", dbname=db.name) == [(1000,)]


# Tables a count scans with two parallel workers once parallel plans cost nothing (the reloption
# lifts the size threshold for them alone; the catalogs stay below it).
COUNTED = Case(
    "counted",
    "CREATE TABLE public.t (id int PRIMARY KEY) WITH (parallel_workers = 2); "
    "INSERT INTO public.t SELECT generate_series(1, 5000); "
    "CREATE TABLE public.c (id int PRIMARY KEY, t int REFERENCES public.t) WITH (parallel_workers = 2); "
    "INSERT INTO public.c SELECT i, i FROM generate_series(1, 5000) i",
)


def test_the_row_counts_beside_the_validations_take_no_parallel_workers(source, tmp_path, monkeypatch):
    """The first session counts every table while the workers validate the keys on the other cores:
    a parallel count's workers would only take those cores (1 GB: 0.45 CPU-s counted alone, 0.73
    with two parallel workers).  Under costs that make every count parallel, the restored database
    launched no parallel worker (PostgreSQL 18 counts them per database; the swap keeps its OID)."""
    db, archive, snap = source(COUNTED, "pg")
    monkeypatch.setenv("PGOPTIONS", "-c parallel_setup_cost=0 -c parallel_tuple_cost=0")
    _restore(db, tmp_path / "volume", archive, jobs=2)
    monkeypatch.delenv("PGOPTIONS")  # the test's own queries below plan as usual
    # A backend gives its counters to the server as it exits, before it leaves pg_stat_activity.
    gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    wait_for(lambda: db.server.sql(gone, params=(db.name,)) == [(True,)], "the loading sessions' exit")
    launched = "SELECT parallel_workers_to_launch FROM pg_stat_database WHERE datname = %s"
    assert db.server.sql(launched, params=(db.name,)) == [(0,)]
    with connect(db.info) as conn:  # what the check would have launched: the same costs make a count parallel
        conn.execute("SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0")
        conn.execute("SELECT count(*) FROM ONLY public.t").fetchall()
        conn.commit()
        conn.execute("SELECT pg_stat_force_next_flush()")  # flushed as the session goes idle
        conn.commit()
        assert conn.execute(launched, (db.name,)).fetchall() == [(2,)]
    assert snapshot(db.server, db.name) == snap


def test_maintenance_memory_setting_and_bad_values(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[restore]\nmaintenance_work_mem_mb = 1024\n")
    assert settings.load({"config_file": str(config)}, env={}).restore.maintenance_work_mem_mb == 1024
    assert settings.Settings().restore.maintenance_work_mem_mb == 256
    for bad in ("-1", "2097152"):
        config.write_text(f"[restore]\nmaintenance_work_mem_mb = {bad}\n")
        with pytest.raises(ConfigError, match=r"\[restore\] maintenance_work_mem_mb must be 0 \(the server's own\)"):
            settings.load({"config_file": str(config)}, env={})
    config.write_text('[restore]\nmaintenance_work_mem_mb = "256MB"\n')
    with pytest.raises(ConfigError, match="restore.maintenance_work_mem_mb in the config file .* must be"):
        settings.load({"config_file": str(config)}, env={})


def test_jobs_setting_flag_and_bad_values(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[restore]\njobs = 3\n")
    loaded = settings.load({"config_file": str(config)}, env={})
    assert loaded.restore.jobs == 3 and parallel.jobs_for(loaded) == 3
    assert parallel.jobs_for(settings.Settings()) == (os.cpu_count() or 1)  # the default: one per core
    config.write_text("[restore]\njobs = 0\n")
    assert parallel.jobs_for(settings.load({"config_file": str(config)}, env={})) == (os.cpu_count() or 1)
    config.write_text("[restore]\njobs = -1\n")
    with pytest.raises(ConfigError, match=r"\[restore\] jobs must be 0 \(one per core\) or more"):
        settings.load({"config_file": str(config)}, env={})
    env = {"BACKUP_DIR": str(tmp_path / "b"), "PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://x@127.0.0.1:1/x"}
    for argv in (["restore", "f.sql.gz", "--jobs", "0"], ["drill", "--jobs", "two"]):
        done = cli(*argv, env=env)
        assert done.returncode == 2 and "--jobs takes a whole number of connections" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_the_volume_lock_is_lent_only_explicitly(tmp_path):
    """The safety backup alongside runs under the restore's hold, lent to it; a nested hold in the holder's
    own thread, or any other thread (the console starting a backup meanwhile), is refused as before."""

    def takes_it() -> bool:
        try:
            with lock.hold(tmp_path, "backup"):
                return True
        except BusyError:
            return False

    def in_thread(target) -> bool:
        got: list[bool] = []
        thread = threading.Thread(target=lambda: got.append(target()))
        thread.start()
        thread.join(10)
        return got[0]

    def lent_takes_it() -> bool:
        with lock.lent(tmp_path):
            return takes_it()

    with lock.hold(tmp_path, "restore"):
        assert not takes_it()  # nested by mistake: refused, as the daemon's scheduling relies on
        assert in_thread(lent_takes_it)
        assert not in_thread(takes_it)
    assert in_thread(takes_it)  # released at the end of the outer block
