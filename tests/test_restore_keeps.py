"""A swap keeps the database as it was: its properties, settings and every privilege the dump lacks.

Dumps are ``--no-owner --no-acl`` and without ``--create``, so none of this is in the
archive; the swap reads it from the live database and replays it on the restored one.
What it could not carry over is listed in the outcome.
"""

from __future__ import annotations

import pytest

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.restore.carryover import setting_clause, split_list
from tests.support.db import APP_PASSWORD, APP_ROLE, AppDB, drop_app_db
from tests.support.restore import settings_for, take_backup
from tests.support.roundtrip import SUPERUSER, SUPERUSER_PASSWORD

READER, MIGRATOR = "rt_reporting", "rt_migrator"

OBJECTS = """
CREATE SCHEMA app;
CREATE SCHEMA "my schema";
CREATE TABLE app.t (a int, secret text);
CREATE TABLE app.u (a int, b int);
CREATE SEQUENCE app.s;
CREATE VIEW app.v AS SELECT a FROM app.t;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE DOMAIN app.d AS int;
INSERT INTO app.t VALUES (1, 'x');
GRANT USAGE ON SCHEMA app TO {r};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT SELECT ON app.t TO {r} WITH GRANT OPTION;
GRANT SELECT (a), UPDATE (b) ON app.u TO {r};
GRANT USAGE, SELECT ON SEQUENCE app.s TO {r};
GRANT SELECT ON app.v TO PUBLIC;
REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.f() TO {r};
REVOKE EXECUTE ON PROCEDURE app.p() FROM PUBLIC;
REVOKE USAGE ON DOMAIN app.d FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO {r};
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT CREATE ON SCHEMA app TO {m};
CREATE TABLE app.w (a int);
GRANT SELECT ON app.w TO {r};
ALTER TABLE app.w OWNER TO {m};
ALTER FUNCTION app.f() OWNER TO {m};
ALTER SCHEMA "my schema" OWNER TO {m};
SELECT lo_from_bytea(515151, 'x');
GRANT SELECT ON LARGE OBJECT 515151 TO {r};
ALTER LARGE OBJECT 515151 OWNER TO {m};
""".format(r=READER, m=MIGRATOR)

PROPERTIES = """
SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, d.datconnlimit,
       to_jsonb(d)->>'datlocprovider', COALESCE(to_jsonb(d)->>'datlocale', to_jsonb(d)->>'daticulocale'),
       ARRAY(SELECT unnest(d.datacl)::text ORDER BY 1)::text, shobj_description(d.oid, 'pg_database')
FROM pg_database d WHERE d.datname = current_database()
"""

SETTINGS = """
SELECT COALESCE(pg_get_userbyid(NULLIF(s.setrole, 0)), '-'), s.setconfig FROM pg_db_role_setting s
JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() ORDER BY 1
"""

PRIVILEGES = """
SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relowner::regrole::text || ' ' || COALESCE(c.relacl::text, '-')
  FROM pg_class c
  WHERE c.relnamespace IN ('app'::regnamespace, 'public'::regnamespace)
UNION ALL SELECT 'col ' || attrelid::regclass::text || '.' || attname || ' ' || attacl::text FROM pg_attribute
  WHERE attacl IS NOT NULL
UNION ALL SELECT 'fn ' || oid::regprocedure::text || ' ' || proowner::regrole::text || ' '
  || COALESCE(proacl::text, '-') FROM pg_proc
  WHERE pronamespace = 'app'::regnamespace
UNION ALL SELECT 'ns ' || nspname || ' ' || nspowner::regrole::text || ' ' || COALESCE(nspacl::text, '-')
  FROM pg_namespace
  WHERE nspname IN ('app', 'public', 'my schema')
UNION ALL SELECT 'type ' || oid::regtype::text || ' ' || COALESCE(typacl::text, '-') FROM pg_type
  WHERE typnamespace = 'app'::regnamespace AND typtype = 'd'
UNION ALL SELECT 'lo ' || oid::text || ' ' || lomowner::regrole::text || ' ' || COALESCE(lomacl::text, '-')
  FROM pg_largeobject_metadata
UNION ALL SELECT 'default ' || defaclrole::regrole::text || ' '
  || COALESCE(NULLIF(defaclnamespace, 0)::regnamespace::text, '-') || ' ' || defaclobjtype::text || ' '
  || defaclacl::text FROM pg_default_acl
ORDER BY 1
"""


def _live(server, name: str, create: str) -> AppDB:
    for role in (READER, MIGRATOR):
        if not server.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", params=(role,)):
            server.sql(f"CREATE ROLE {role} NOLOGIN")
    server.sql(f"GRANT {MIGRATOR} TO {APP_ROLE}")  # the app role may hand objects to it
    server.sql(f'CREATE DATABASE "{name}" OWNER {APP_ROLE} TEMPLATE template0 {create}')
    db = AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD))
    q = f'"{name}"'
    server.sql(f"GRANT CREATE ON DATABASE {q} TO {MIGRATOR}")  # it owns a schema
    with connect(db.info) as conn:
        conn.execute(OBJECTS)
    server.sql(
        f"REVOKE CONNECT ON DATABASE {q} FROM PUBLIC; GRANT CONNECT, TEMP ON DATABASE {q} TO {READER}; "
        f"GRANT CONNECT ON DATABASE {q} TO {APP_ROLE}; ALTER DATABASE {q} CONNECTION LIMIT 40; "
        f"COMMENT ON DATABASE {q} IS 'CitaPlanner''s data'; "
        f'ALTER DATABASE {q} SET search_path = app, "my schema", public; '
        f"ALTER DATABASE {q} SET work_mem = '12MB'; ALTER DATABASE {q} SET DateStyle = 'SQL, DMY'; "
        f"ALTER ROLE {APP_ROLE} IN DATABASE {q} SET statement_timeout = '5min'; "
        f"ALTER ROLE {READER} IN DATABASE {q} SET search_path = app"
    )
    return db


CREATES = {
    "pg": "LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8' LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'",
    "pg15": "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'",
}


@pytest.mark.parametrize("server_fixture,as_superuser", [("pg", False), ("pg15", False), ("pg", True)])
def test_swap_keeps_properties_settings_and_privileges(request, server_fixture, as_superuser, backup_dir):
    server = request.getfixturevalue(server_fixture)
    name = f"keeps_{server_fixture}{'_su' if as_superuser else ''}"
    drop_app_db(server, name)
    live = _live(server, name, CREATES[server_fixture])
    if as_superuser:  # a superuser may set every role's settings: only the late grant stays behind
        if not server.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", params=(SUPERUSER,)):
            server.sql(f"CREATE ROLE {SUPERUSER} SUPERUSER LOGIN PASSWORD '{SUPERUSER_PASSWORD}'")
        live = AppDB(server, name, server.url(name, SUPERUSER, SUPERUSER_PASSWORD))
    try:
        archive = take_backup(live, backup_dir)
        properties, settings_before, privileges = live.sql(PROPERTIES), live.sql(SETTINGS), live.sql(PRIVILEGES)
        # Made after the backup: its grant has nowhere to go, and must be reported.
        with connect(AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD)).info) as conn:
            conn.execute(f"CREATE TABLE app.late (x int); GRANT SELECT ON app.late TO {READER}")
        settings = settings_for(live, backup_dir)
        plan = preflight(settings, archive)
        assert plan.ok and plan.mode == "swap", plan.checks
        outcome = execute(settings, plan, confirm=live.name)

        assert live.sql(PROPERTIES) == properties
        # All but the other role's setting, which the app role may not set (listed below).
        assert live.sql(SETTINGS) == [row for row in settings_before if as_superuser or row[0] != READER]
        assert len(settings_before) == 3
        assert live.sql(PRIVILEGES) == privileges
        app = AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD))
        with connect(app.info) as conn:  # the list came back as a list: three schemas, not one name
            assert conn.execute("SHOW search_path").fetchone()[0] == 'app, "my schema", public'
            assert conn.execute("SELECT current_schemas(false)").fetchone()[0] == ["app", "my schema", "public"]
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5min"
            assert conn.execute("SELECT upper('ǆ'), 'b' < 'B'").fetchone() == (
                ("Ǆ", False) if server_fixture == "pg" else ("Ǆ", True)
            )
        late = f'GRANT SELECT ON TABLE app.late TO "{READER}": relation "app.late" does not exist'
        if as_superuser:
            assert outcome.not_carried == [late]
        else:  # another role's setting is not the app role's to make; the late table is not in the backup
            reader_setting, late_line = sorted(outcome.not_carried)
            assert reader_setting.startswith(f'ALTER ROLE "{READER}" IN DATABASE') and "search_path" in reader_setting
            assert late_line == late
        assert outcome.to_dict()["not_carried"] == outcome.not_carried
    finally:
        drop_app_db(server, name)


def test_list_settings_keep_their_elements():
    assert split_list('app, "my schema", "we""ird", public') == ["app", "my schema", 'we"ird', "public"]
    assert split_list("") == []
    assert setting_clause("search_path=app, public") == """SET "search_path" TO 'app', 'public'"""
    assert setting_clause('search_path=""') == """SET "search_path" TO ''"""
    assert setting_clause("DateStyle=SQL, DMY") == """SET "DateStyle" TO 'SQL, DMY'"""
    assert setting_clause("work_mem=12MB") == """SET "work_mem" TO '12MB'"""
