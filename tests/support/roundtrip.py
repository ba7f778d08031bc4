"""Databases for the round-trip suite, and what "the same database" means there.

Each case is a database holding one class of things pg_dump handles (or one class of
hostile input); it is built as the app role, which owns it, as CitaPlanner's database is.
``snapshot`` is what a round trip must preserve: ``pg_dump --schema-only`` text (owners
and grants included), per-table content (row count and md5 of the ordered rows, every
table, partition and materialized view), sequence positions, and large objects.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.tools import embedded_bindir
from tests.support.db import APP_PASSWORD, APP_ROLE, AppDB

OBJECTS = r"""
CREATE SCHEMA app;
CREATE SCHEMA "s p";
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE EXTENSION ltree;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gist;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (a int, b text);
CREATE TYPE app.floatrange AS RANGE (subtype = float8);
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);
CREATE SEQUENCE app.odd START 7 INCREMENT 3;
SELECT setval('app.odd', 1000003, false);
CREATE SEQUENCE app.used;
SELECT nextval('app.used'), nextval('app.used');
CREATE SEQUENCE app.untouched;
CREATE TABLE app.things (
    id int GENERATED ALWAYS AS IDENTITY (START 100 INCREMENT 5) PRIMARY KEY,
    n app.positive NOT NULL,
    twice int GENERATED ALWAYS AS (n * 2) STORED,
    mood app.mood DEFAULT 'ok',
    p app.pair,
    r app.floatrange,
    tags hstore,
    email citext UNIQUE,
    path ltree,
    seq int DEFAULT nextval('app.odd'),
    during tsrange,
    EXCLUDE USING gist (n WITH =, during WITH &&)
);
INSERT INTO app.things (n, mood, p, r, tags, email, path, during)
SELECT g, (ARRAY['sad','ok','happy'])[g % 3 + 1]::app.mood, ROW(g, 'p' || g)::app.pair, app.floatrange(g, g + 0.5),
       hstore('k', g::text), 'User' || g || '@X.org', ('top.n' || g)::ltree,
       tsrange('2026-01-01'::timestamp + g * interval '1 day', '2026-01-01'::timestamp + (g + 1) * interval '1 day')
FROM generate_series(1, 40) g;
CREATE INDEX things_email_trgm ON app.things USING gin ((email::text) gin_trgm_ops);
CREATE TABLE app.child_ref (id int PRIMARY KEY, thing int REFERENCES app.things (id) ON DELETE CASCADE);
INSERT INTO app.child_ref SELECT g, 100 + 5 * (g - 1) FROM generate_series(1, 10) g;
CREATE TABLE app.events (at date NOT NULL, region text NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY LIST (region);
CREATE TABLE app.events_2025_eu PARTITION OF app.events_2025 FOR VALUES IN ('eu');
CREATE TABLE app.events_2025_other PARTITION OF app.events_2025 DEFAULT;
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO app.events SELECT date '2025-01-01' + g * 3, (ARRAY['eu','us'])[g % 2 + 1], g
FROM generate_series(1, 200) g;
CREATE MATERIALIZED VIEW app.mood_counts AS SELECT mood, count(*) AS n FROM app.things GROUP BY mood;
CREATE MATERIALIZED VIEW app.not_filled AS SELECT 1 AS one WITH NO DATA;
CREATE VIEW "s p".big_things AS SELECT id, n FROM app.things WHERE n > 20;
CREATE TABLE app.log (id serial PRIMARY KEY, what text, at timestamptz DEFAULT '2026-01-01 00:00:00+00');
CREATE FUNCTION app.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.log (what) VALUES (TG_OP || ' ' || TG_TABLE_NAME);
  RETURN NEW;
END
$$;
CREATE TRIGGER things_log AFTER INSERT OR UPDATE ON app.things FOR EACH ROW EXECUTE FUNCTION app.log_change();
CREATE FUNCTION app.plus(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT a + b; END;
CREATE TABLE app.audit_sink (v int);
CREATE RULE keep_out AS ON INSERT TO app.audit_sink DO INSTEAD (
    INSERT INTO app.log (what) VALUES ('rule 1'); INSERT INTO app.log (what) VALUES ('rule 2'));
INSERT INTO app.audit_sink VALUES (1);
COMMENT ON SCHEMA app IS 'the application''s schema';
COMMENT ON TABLE app.things IS 'things, with every column type';
COMMENT ON COLUMN app.things.n IS 'a positive number';
COMMENT ON FUNCTION app.plus(int, int) IS 'adds';
CREATE TABLE "s p"."table with spaces" ("a column" text);
INSERT INTO "s p"."table with spaces" VALUES ('x'), ('y');
SELECT lo_from_bytea(424242, 'hello large object'::bytea);
SELECT lo_from_bytea(424243, decode(repeat('00ff', 40000), 'hex'));
COMMENT ON LARGE OBJECT 424242 IS 'a greeting';
CREATE PUBLICATION things_pub FOR TABLE app.things;
CREATE FUNCTION app.add_sq(acc int, v int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT acc + v * v';
CREATE AGGREGATE app.sum_sq(int) (SFUNC = app.add_sq, STYPE = int, INITCOND = '0');
CREATE FUNCTION app.near(a int, b int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs(a - b) < 3';
CREATE OPERATOR app.~~~ (LEFTARG = int, RIGHTARG = int, FUNCTION = app.near, COMMUTATOR = OPERATOR(app.~~~));
CREATE STATISTICS app.things_stats (dependencies, ndistinct) ON n, seq FROM app.things;
CREATE TEXT SEARCH CONFIGURATION app.simple_copy (COPY = pg_catalog.simple);
CREATE COLLATION app.plain (provider = libc, locale = 'C');
CREATE UNLOGGED TABLE app.scratchpad (k text COLLATE app.plain PRIMARY KEY, v jsonb);
INSERT INTO app.scratchpad VALUES ('a', '{"x": [1, 2]}'), ('b', 'null');
CREATE TABLE app.deferred (id int PRIMARY KEY, parent int REFERENCES app.deferred DEFERRABLE INITIALLY DEFERRED,
    CHECK (id > 0) NOT VALID);
INSERT INTO app.deferred VALUES (2, 1), (1, NULL);
CREATE TABLE app.loose (id int PRIMARY KEY, thing int);
INSERT INTO app.loose SELECT 1, min(id) FROM app.things UNION ALL SELECT 2, -1;
ALTER TABLE app.loose ADD CONSTRAINT loose_thing_fkey FOREIGN KEY (thing) REFERENCES app.things (id) NOT VALID;
CREATE TABLE app.pairs (a int, b int, UNIQUE (a, b));
INSERT INTO app.pairs SELECT g, g * 2 FROM generate_series(1, 5) g;
CREATE TABLE app."pair; refs" (a int, b int, CONSTRAINT "pair; ref" FOREIGN KEY (a, b) REFERENCES app.pairs (a, b)
    ON DELETE SET NULL (b));
INSERT INTO app."pair; refs" VALUES (1, 2), (3, 6), (NULL, 7);
CREATE TABLE app.readings (at date NOT NULL, thing int REFERENCES app.things (id)) PARTITION BY RANGE (at);
CREATE TABLE app.readings_2026 PARTITION OF app.readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO app.readings SELECT date '2026-01-01' + g, id FROM app.things, generate_series(1, 3) g;
CREATE TABLE app.zones (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE app.zones_low PARTITION OF app.zones FOR VALUES FROM (0) TO (1000);
INSERT INTO app.zones SELECT generate_series(1, 5);
CREATE TABLE app.zone_refs (zone int REFERENCES app.zones (id));
INSERT INTO app.zone_refs VALUES (1), (5), (NULL);
CREATE TABLE app.tuned (id int PRIMARY KEY, v text) WITH (fillfactor = 70);
CREATE TABLE app.quiet (id int) WITH (autovacuum_enabled = false);
CREATE TABLE app.eager (id int) WITH (autovacuum_enabled = true, autovacuum_vacuum_scale_factor = 0.01);
INSERT INTO app.tuned SELECT g, 'v' || g FROM generate_series(1, 50) g;
INSERT INTO app.quiet SELECT generate_series(1, 5);
INSERT INTO app.eager SELECT generate_series(1, 5);
CREATE INDEX things_big ON app.things (n) WHERE n > 30;
CREATE INDEX events_brin ON app.events_2026 USING brin (at);
ALTER TABLE app.things ALTER COLUMN n SET STATISTICS 500;
CLUSTER app.child_ref USING child_ref_pkey;
"""

INHERITANCE = """
CREATE TABLE public.vehicle (id int, name text);
CREATE TABLE public.car (doors int) INHERITS (public.vehicle);
CREATE TABLE public.truck (axles int) INHERITS (public.vehicle);
INSERT INTO public.vehicle VALUES (1, 'generic');
INSERT INTO public.car VALUES (2, 'mini', 3), (3, 'sedan', 5);
INSERT INTO public.truck SELECT g, 'truck ' || g, 3 FROM generate_series(10, 30) g;
"""

IDENTIFIERS = r"""
CREATE SCHEMA "we""ird schema";
CREATE TABLE public."we""ird" ("x(y)" int, "a.b" text, "tab	col" text);
CREATE TABLE public."a.b" (v text);
CREATE TABLE public."x(y)" (v text);
CREATE TABLE public."  spaced  " (v text);
CREATE TABLE public."Ünïcødé 表" ("ключ" text);
CREATE TABLE "we""ird schema"."t.1" ("q""x" text);
CREATE TABLE public."COPY" (v text);
INSERT INTO public."we""ird" VALUES (1, E'back\\slash', E'tab\there'), (2, E'\\.', E'line\nbreak'),
    (3, E'\\N', NULL), (4, E'ends with backslash\\', E'\r\n');
INSERT INTO public."a.b" VALUES (E'\\.'), (E'a\\.b'), ('.');
INSERT INTO public."x(y)" VALUES ('x(y)');
INSERT INTO public."  spaced  " VALUES ('  ');
INSERT INTO public."Ünïcødé 表" VALUES ('значение'), ('值');
INSERT INTO "we""ird schema"."t.1" VALUES ('"'), ('""');
INSERT INTO public."COPY" VALUES ('COPY public."COPY" (v) FROM stdin;');
"""

COPY_TEXT = r"""
CREATE TABLE public.target (a int);
INSERT INTO public.target SELECT generate_series(1, 5);
CREATE FUNCTION public.looks_like_data() RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
  RETURN '
COPY public.target (a) FROM stdin;
1
\.
';
END
$body$;
SET check_function_bodies = off;
CREATE FUNCTION public.plain_body() RETURNS int LANGUAGE sql AS $$
COPY public.target (a) FROM stdin;
$$;
COMMENT ON TABLE public.target IS
    E'a comment\nCOPY public.target (a) FROM stdin;\n-- PostgreSQL database dump complete\n';
CREATE INDEX target_a ON public.target (a);
COMMENT ON INDEX public.target_a IS E'post-data text\nCOPY public.target (a) FROM stdin;\n';
CREATE VIEW public.v AS SELECT 'x
COPY public.target (a) FROM stdin;
'::text AS t;
"""

RLS = """
CREATE TABLE public.secrets (id int, owner_name text);
INSERT INTO public.secrets SELECT g, 'u' || (g % 3) FROM generate_series(1, 30) g;
ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY only_u1 ON public.secrets USING (owner_name = 'u1');
CREATE TABLE public.open_rls (id int);
INSERT INTO public.open_rls VALUES (1), (2);
ALTER TABLE public.open_rls ENABLE ROW LEVEL SECURITY;
"""

ZERO_COLUMNS = """
CREATE TABLE public.nothing ();
INSERT INTO public.nothing DEFAULT VALUES;
INSERT INTO public.nothing DEFAULT VALUES;
INSERT INTO public.nothing DEFAULT VALUES;
CREATE TABLE public.nothing_empty ();
"""

SET_IN_BODY = """
CREATE FUNCTION public.with_settings() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
SET transaction_timeout = 0;
SET statement_timeout = 0;
END
$$;
CREATE TABLE public.t (v text);
INSERT INTO public.t VALUES ('SET transaction_timeout = 0;');
"""

PG18_ONLY = """
CREATE EXTENSION btree_gist;
CREATE TABLE public.booking (
    room int,
    during daterange,
    nights int GENERATED ALWAYS AS (upper(during) - lower(during)) VIRTUAL,
    PRIMARY KEY (room, during WITHOUT OVERLAPS)
);
INSERT INTO public.booking (room, during)
SELECT g % 5, daterange(date '2026-01-01' + g * 3, date '2026-01-01' + g * 3 + 2)
FROM generate_series(1, 50) g;
CREATE TABLE public.rooms (id int PRIMARY KEY);
INSERT INTO public.rooms VALUES (1), (2);
CREATE TABLE public.wish (room int REFERENCES public.rooms NOT ENFORCED, note text);
INSERT INTO public.wish VALUES (1, 'kept'), (99, 'no such room: the key is not enforced');
"""

LATIN1 = """
CREATE TABLE public."café" ("naïve" text, "größe" int);
INSERT INTO public."café" VALUES ('crème brûlée', 1), ('façade', 2), ('ÿ', 3);
CREATE SCHEMA "señal";
CREATE TABLE "señal"."año" (v text);
INSERT INTO "señal"."año" VALUES ('mañana');
"""


SUPERUSER, SUPERUSER_PASSWORD = "rt_super", "rt:super@pw"


@dataclass(frozen=True)
class Case:
    """A round-trip database: its SQL, its encoding, the servers it runs on, and who backs up and restores.

    ``superuser``: backups and restores run as a superuser (the database still belongs to
    the app role); FORCE ROW LEVEL SECURITY needs it, since pg_dump cannot read such a
    table as its owner.
    """

    name: str
    sql: str
    encoding: str = "UTF8"
    servers: tuple[int, ...] = (18, 15)
    superuser: bool = False


CASES = [
    Case("objects", OBJECTS),
    Case("inheritance", INHERITANCE),
    Case("identifiers", IDENTIFIERS),
    Case("copy_text", COPY_TEXT),
    Case("rls_force", RLS, superuser=True),
    Case("zero_columns", ZERO_COLUMNS),
    Case("set_in_body", SET_IN_BODY),
    Case("latin1", LATIN1, encoding="LATIN1"),
    Case("pg18_features", PG18_ONLY, servers=(18,)),
]


def build(server, case: Case, name: str) -> AppDB:
    """Create the case's database, owned by the app role, and fill it as that role."""
    server.sql(
        f'CREATE DATABASE "{name}" OWNER {APP_ROLE} TEMPLATE template0 ENCODING {case.encoding!r} '
        "LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    with connect(AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD)).info) as conn:
        conn.execute(case.sql)
    if not case.superuser:
        return AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD))
    if not server.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", params=(SUPERUSER,)):
        server.sql(f"CREATE ROLE {SUPERUSER} SUPERUSER LOGIN PASSWORD '{SUPERUSER_PASSWORD}'")
    return AppDB(server, name, server.url(name, SUPERUSER, SUPERUSER_PASSWORD))


def _dump_schema(server, dbname: str) -> str:
    out = subprocess.run(
        [str(embedded_bindir() / "pg_dump"), "--schema-only", "-d", server.admin(dbname).conninfo()],
        capture_output=True,
        check=True,
    ).stdout
    lines = out.decode("latin-1").splitlines()
    return "\n".join(ln for ln in lines if not ln.startswith(("\\restrict", "\\unrestrict")))


_TABLES = """
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND (c.relkind <> 'm' OR c.relispopulated) ORDER BY 1
"""


@dataclass
class Snapshot:
    schema: str
    content: dict[str, tuple[int, str]]
    sequences: list[tuple]
    large_objects: list[tuple]

    def differences(self, other: "Snapshot") -> list[str]:
        """What differs, in words (empty: the same database)."""
        out = []
        if self.schema != other.schema:
            import difflib

            diff = difflib.unified_diff(self.schema.splitlines(), other.schema.splitlines(), lineterm="", n=1)
            out.append("schema differs:\n" + "\n".join(list(diff)[:40]))
        for table in sorted(set(self.content) | set(other.content)):
            if self.content.get(table) != other.content.get(table):
                out.append(f"content of {table}: {self.content.get(table)} != {other.content.get(table)}")
        if self.sequences != other.sequences:
            out.append(f"sequences: {self.sequences} != {other.sequences}")
        if self.large_objects != other.large_objects:
            out.append(f"large objects: {self.large_objects} != {other.large_objects}")
        return out


def snapshot(server, dbname: str) -> Snapshot:
    """Everything a round trip must preserve, read as the superuser (row-level security does not apply)."""
    content = {}
    for (table,) in server.sql(_TABLES, dbname):
        content[table] = server.sql(
            f"SELECT count(*), md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ONLY {table} t",
            dbname,
        )[0]
    sequences = server.sql("SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2", dbname)
    large = server.sql("SELECT m.oid::bigint, md5(lo_get(m.oid)) FROM pg_largeobject_metadata m ORDER BY 1", dbname)
    return Snapshot(_dump_schema(server, dbname), content, sequences, large)


def plain_pipe(server, archive: Path, dbname: str, encoding: str, psql: Path) -> subprocess.CompletedProcess:
    """The baseline: ``gunzip -c archive | psql -v ON_ERROR_STOP=1 --single-transaction`` into an empty database."""
    server.sql(
        f'CREATE DATABASE "{dbname}" OWNER {APP_ROLE} TEMPLATE template0 ENCODING {encoding!r} '
        "LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    tcp = f"host=127.0.0.1 port={server.port} user={APP_ROLE} dbname={dbname}"
    return subprocess.run(
        [
            "bash",
            "-c",
            f"set -o pipefail; gunzip -c '{archive}' | '{psql}' -X -q "
            f"-v ON_ERROR_STOP=1 --single-transaction -d '{tcp}' > /dev/null",
        ],
        capture_output=True,
        text=True,
        env={"PGPASSWORD": APP_PASSWORD, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
