"""In-place restores: one transaction that empties the schema and loads the dump."""

from __future__ import annotations

import pytest
from conftest import APP_ROLE, drop_app_db
from restore_support import any_live, content, databases, fill, settings_for, take_backup

from citaplanner_tui.core.db import connect
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.schema import apply_schema

NOCREATE_ROLE, NOCREATE_PASSWORD = "citaplanner_nocreate", "pw:nocreate@1"


def test_in_place_restore_brings_back_the_backup(any_live, backup_dir):
    live = any_live
    fill(live)
    archive = take_backup(live, backup_dir)
    at_backup = content(live.server, live.name)
    schema_before = live.sql("SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace "
                             "WHERE nspname = 'public'")
    live.sql("DELETE FROM payments; DELETE FROM appointments WHERE random() < 0.5")
    settings = settings_for(live, backup_dir)

    plan = preflight(settings, archive, mode="in-place")
    assert plan.ok and plan.mode == "in-place", plan.checks
    outcome = execute(settings, plan, confirm=live.name)

    assert content(live.server, live.name) == at_backup
    assert outcome.pre_restore is None and outcome.safety_backup
    assert live.sql("SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace "
                    "WHERE nspname = 'public'") == schema_before
    assert live.sql("SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE nspname = 'public'") == [(APP_ROLE,)]
    assert not databases(live.server, live.name + "__")


@pytest.fixture
def nocreate_db(pg):
    """A CitaPlanner database owned by a role that may not create databases."""
    if not pg.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", params=(NOCREATE_ROLE,)):
        pg.create_role(NOCREATE_ROLE, NOCREATE_PASSWORD, createdb=False)
    from conftest import AppDB

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
