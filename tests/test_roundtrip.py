"""Round trips: backup, then restore (swap and in-place), compared with the source and with psql.

For every case database (``tests.support.roundtrip.CASES``) and server (PostgreSQL 18; 15 with
its own pg_dump; 15 with a dump by pg_dump 18), the plain pipe
``gunzip -c | psql -v ON_ERROR_STOP=1 --single-transaction`` into an empty database
is the baseline: it must succeed and give the source back (except pg_dump 18's dump
into 15, which psql cannot load: ``SET transaction_timeout``).  Our restore must then
succeed in both modes and give the same database: identical ``pg_dump --schema-only``,
identical content of every table, sequences and large objects, and a row count
checked for every table the dump fills.
"""

from __future__ import annotations

import pytest

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.tools import embedded_bindir
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.stream.dumpscan import name_key
from tests.support.db import PG15_BINDIR, drop_app_db
from tests.support.restore import settings_for, take_backup
from tests.support.roundtrip import CASES, build, plain_pipe, snapshot

SERVERS = {"pg18": "pg", "pg15": "pg15", "pg15-dump18": "pg15"}


@pytest.fixture(scope="module")
def sources(request, tmp_path_factory):
    """Build each (case, server) source once: its database, archive and snapshot."""
    made: dict[tuple[str, str], tuple] = {}
    built = []

    def get(case, server_name: str):
        key = (case.name, server_name)
        if key not in made:
            server = request.getfixturevalue(SERVERS[server_name])
            name = f"rt_{case.name}_{server_name.replace('-', '_')}"
            built.append((server, name))
            drop_app_db(server, name)  # what an earlier, failed build of it left
            db = build(server, case, name)
            backup_dir = tmp_path_factory.mktemp(f"rt-{case.name}-{server_name}")
            if server_name == "pg15-dump18":
                settings = settings_for(db, backup_dir, pg_bindir=embedded_bindir())
                archive = run_backup(settings, tier="manual").files[0]
            else:
                archive = take_backup(db, backup_dir)
            made[key] = (server, db, backup_dir, archive, snapshot(server, db.name), _dump_rows(server, db.name))
        return made[key]

    yield get
    for server, name in built:
        drop_app_db(server, name)


def _dump_rows(server, dbname: str) -> dict[str, tuple[str, int]]:
    """Every table the dump fills with a COPY block, keyed as the dump scanner keys them: (SQL name, rows)."""
    rows = server.sql(
        "SELECT n.nspname, c.relname, c.oid::regclass::text FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN "
        "('pg_catalog', 'information_schema') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
        "WHERE d.objid = c.oid AND d.deptype = 'e')",
        dbname,
    )
    return {name_key([s, t]): (reg, server.sql(f"SELECT count(*) FROM ONLY {reg}", dbname)[0][0]) for s, t, reg in rows}


def _cases():
    for case in CASES:
        for server_name in SERVERS:
            if int(server_name[2:4]) in case.servers:
                for mode in ("plain", "swap", "in-place"):
                    yield pytest.param(case, server_name, mode, id=f"{case.name}-{server_name}-{mode}")


@pytest.mark.parametrize("case,server_name,mode", list(_cases()))
def test_round_trip(sources, case, server_name, mode, tmp_path):
    server, db, _, archive, source, dump_rows = sources(case, server_name)
    if mode == "plain":
        psql = (PG15_BINDIR if server_name.startswith("pg15") else embedded_bindir()) / "psql"
        target = db.name + "_plain"
        try:
            piped = plain_pipe(server, archive, target, case.encoding, psql)
            if server_name == "pg15-dump18":
                assert piped.returncode != 0 and "transaction_timeout" in piped.stderr
                return
            assert piped.returncode == 0, piped.stderr
            assert snapshot(server, target).differences(source) == []
        finally:
            server.sql(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        return

    # Live moves on after the backup: a table emptied, a table added.
    changed = next(reg for reg, n in sorted(dump_rows.values()) if n)
    server.sql(f"DELETE FROM ONLY {changed}", db.name)
    with connect(db.info) as conn:
        conn.execute("CREATE TABLE public.added_after_backup (x int)")
    settings = settings_for(db, tmp_path)  # its own volume: safety backups of two runs in a second differ
    plan = preflight(settings, archive, mode=mode)
    assert plan.ok, plan.checks
    outcome = execute(settings, plan, confirm=db.name)
    assert outcome.rows == {key: n for key, (_, n) in dump_rows.items()}
    assert snapshot(server, db.name).differences(source) == []
