"""In-place restores: one transaction that empties the schema and loads the dump."""

from __future__ import annotations

import pytest

from citaplanner_tui.core.app.schema import apply_schema
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore import execute, preflight
from tests.support.db import APP_ROLE, drop_app_db
from tests.support.restore import content, databases, fill, settings_for, take_backup

NOCREATE_ROLE, NOCREATE_PASSWORD = "citaplanner_nocreate", "pw:nocreate@1"


def test_in_place_restore_brings_back_the_backup(any_live, backup_dir):
    live = any_live
    fill(live)
    archive = take_backup(live, backup_dir)
    at_backup = content(live.server, live.name)
    schema_before = live.sql(
        "SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace WHERE nspname = 'public'"
    )
    live.sql("DELETE FROM payments; DELETE FROM appointments WHERE random() < 0.5")
    settings = settings_for(live, backup_dir)

    plan = preflight(settings, archive, mode="in-place")
    assert plan.ok and plan.mode == "in-place", plan.checks
    outcome = execute(settings, plan, confirm=live.name)

    assert content(live.server, live.name) == at_backup
    assert outcome.pre_restore is None and outcome.safety_backup
    assert (
        live.sql("SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace WHERE nspname = 'public'")
        == schema_before
    )
    assert live.sql(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE nspname = 'public'"
    ) == [(APP_ROLE,)]
    assert not databases(live.server, live.name + "__")


@pytest.fixture
def nocreate_db(pg):
    """A CitaPlanner database owned by a role that may not create databases."""
    if not pg.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", params=(NOCREATE_ROLE,)):
        pg.create_role(NOCREATE_ROLE, NOCREATE_PASSWORD, createdb=False)
    from tests.support.db import AppDB

    name = "citaplanner_nocreate_t"
    pg.create_database(name, owner=NOCREATE_ROLE)
    db = AppDB(pg, name, pg.url(name, NOCREATE_ROLE, NOCREATE_PASSWORD))
    with connect(db.info) as conn:
        apply_schema(conn)
    yield db
    drop_app_db(pg, name)


def test_role_without_createdb_gets_in_place_mode(nocreate_db, backup_dir):
    fill(nocreate_db, clients=30, appointments=80)
    archive = take_backup(nocreate_db, backup_dir)
    at_backup = content(nocreate_db.server, nocreate_db.name)
    nocreate_db.sql("TRUNCATE clients CASCADE")
    settings = settings_for(nocreate_db, backup_dir)

    plan = preflight(settings, archive)
    assert plan.mode == "in-place" and plan.ok, plan.checks
    refused = preflight(settings, archive, mode="swap")
    assert not refused.ok and "swap mode needs" in refused.problems[0].detail

    execute(settings, plan, confirm=nocreate_db.name)
    assert content(nocreate_db.server, nocreate_db.name) == at_backup


def test_in_place_resets_every_schema_large_object_and_publication_the_dump_creates(app_db, backup_dir):
    live = app_db
    fill(live, clients=30, appointments=80)
    live.sql("CREATE SCHEMA reports AUTHORIZATION citaplanner")
    with connect(live.info) as conn:  # as the app role, so everything is the app's own
        conn.execute('CREATE VIEW reports.busy AS SELECT "clientId", count(*) FROM public.appointments GROUP BY 1')
        conn.execute("CREATE TABLE reports.notes (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO reports.notes VALUES (1, 'uno'), (2, 'dos')")
        conn.execute("CREATE PUBLICATION app_pub FOR TABLE public.clients")
        conn.execute("SELECT lo_from_bytea(0, 'in the backup'::bytea)")
    archive = take_backup(live, backup_dir)
    at_backup = content(live.server, live.name)
    live.sql("DELETE FROM reports.notes WHERE id = 2; DELETE FROM payments")
    with connect(live.info) as conn:  # made after the backup, so the restore must remove it
        conn.execute("SELECT lo_from_bytea(0, 'large object body'::bytea)")
    settings = settings_for(live, backup_dir)

    plan = preflight(settings, archive, mode="in-place")
    assert plan.ok, plan.checks
    load = next(s for s in plan.steps if s.name == "load in place").detail
    assert "schema reports" in load and "schema public" in load and "2 large object" in load and "app_pub" in load
    assert [s.name for s in plan.steps][:2] == ["stop writes", "safety backup"]
    execute(settings, plan, confirm=live.name)

    assert content(live.server, live.name) == at_backup
    assert live.sql("SELECT id, body FROM reports.notes ORDER BY 1") == [(1, "uno"), (2, "dos")]
    assert live.sql("SELECT count(*) FROM reports.busy")[0][0] > 0
    assert live.sql("SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata") == [("in the backup",)]
    assert live.sql("SELECT pubname FROM pg_publication") == [("app_pub",)]
