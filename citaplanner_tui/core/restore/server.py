"""What the restore needs to know about the server, and the few statements it runs there.

Everything here runs as the role from ``DATABASE_URL``, connected to a maintenance
database (``postgres``, else ``template1``): a database cannot be renamed or dropped
from a session connected to it.
"""

from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import psycopg

from citaplanner_tui.core.errors import ConnectionFailed, OperatorError
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg.connect import connect, one_row
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore.sqltext import literal, quote_ident

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

MAINTENANCE_DBS = ("postgres", "template1")
DROP_WAIT = 10.0  # seconds a scratch database's closing sessions are waited for
# Sessions of roles on a database (other roles' rows show no backend_type to us, but a role);
# autovacuum workers have no role and are left alone: a rename or a plain DROP stops them itself.
SESSIONS = "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND usesysid IS NOT NULL"


@contextmanager
def refusals(doing: str) -> Iterator[None]:
    """Turn a statement the server refuses (no right, name taken, ...) into one sentence."""
    try:
        yield
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OperatorError(f"the server refused {doing}: {first}") from None


@contextmanager
def maintenance(info: ConnInfo) -> Iterator[Connection]:
    """An autocommit connection to a maintenance database on the target's server."""
    with ExitStack() as stack:
        for name in MAINTENANCE_DBS:
            try:
                conn = stack.enter_context(connect(info, dbname=name))
                break
            except ConnectionFailed as exc:
                last = exc
        else:
            raise ConnectionFailed(
                f"cannot reach a maintenance database (postgres or template1) on {info.host}:{info.port}: {last}"
            )
        yield conn


@dataclass(frozen=True)
class TargetFacts:
    """The role's rights and the target database's state, read in one go."""

    server_major: int
    server_minor: int
    user: str
    superuser: bool
    createdb: bool
    exists: bool
    owner: str = ""
    member_of_owner: bool = False
    allow_connections: bool = True
    sessions: int = 0
    create_options: str = ""
    leftovers: tuple[str, ...] = ()  # scratch databases of restores or drills that were killed
    pre_restores: tuple[str, ...] = ()

    @property
    def can_create(self) -> bool:
        return self.superuser or self.createdb

    @property
    def can_rename(self) -> bool:
        return self.exists and (self.superuser or self.member_of_owner)


_FACTS = """
SELECT r.rolname, r.rolsuper, r.rolcreatedb,
       d.datname IS NOT NULL, COALESCE(pg_get_userbyid(d.datdba), ''),
       COALESCE(pg_has_role(current_user, d.datdba, 'MEMBER'), false), COALESCE(d.datallowconn, true),
       (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = %(db)s AND a.pid <> pg_backend_pid()),
       to_jsonb(d), pg_encoding_to_char(d.encoding),
       (SELECT spcname FROM pg_tablespace t WHERE t.oid = d.dattablespace)
FROM pg_roles r LEFT JOIN pg_database d ON d.datname = %(db)s
WHERE r.rolname = current_user
"""


def _like(db: str, kind: str) -> str:
    return db.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + f"\\_\\_{kind}\\_%"


def inspect(info: ConnInfo, db: str) -> TargetFacts:
    with maintenance(info) as conn:
        num = conn.info.server_version
        row = conn.execute(_FACTS, {"db": db}).fetchone()
        names = dict(
            conn.execute(
                "SELECT k, array_agg(datname ORDER BY datname) FROM (SELECT datname, "
                "CASE WHEN datname LIKE %(p)s THEN 'pre' ELSE 'scratch' END AS k FROM pg_database "
                "WHERE datname LIKE %(r)s OR datname LIKE %(d)s OR datname LIKE %(p)s) s GROUP BY k",
                {"r": _like(db, "restore"), "d": _like(db, "drill"), "p": _like(db, "pre_restore")},
            ).fetchall()
        )
    assert row is not None  # _FACTS reads the current user's own role: always one row
    user, sup, createdb, exists, owner, member, allow, sessions, database, enc, space = row
    options = database_options(database, enc, space) if exists else ""
    return TargetFacts(
        num // 10000,
        num % 10000,
        user,
        sup,
        createdb,
        exists,
        owner,
        member,
        allow,
        sessions,
        options,
        tuple(names.get("scratch") or ()),
        tuple(names.get("pre") or ()),
    )


def database_options(database: dict[str, Any], encoding: str, tablespace: str | None) -> str:
    """``CREATE DATABASE`` options giving a new database the encoding, locale and tablespace of ``database``.

    ``database`` is the live database's ``pg_database`` row as JSON, so the columns of
    every server version are there by name: the locale provider (libc, ICU since 15,
    builtin since 17) and its locale (``daticulocale`` on 15-16, ``datlocale`` since 17),
    ICU rules (16+).  template0, since template1 may hold extra objects.
    """
    parts = [
        f"TEMPLATE template0 ENCODING {literal(encoding)}",
        f"LC_COLLATE {literal(database['datcollate'])} LC_CTYPE {literal(database['datctype'])}",
    ]
    provider = {"i": "icu", "b": "builtin"}.get(database.get("datlocprovider") or "c")
    locale = database.get("datlocale") or database.get("daticulocale")
    if provider:
        parts.append(f"LOCALE_PROVIDER {provider}")
        if locale:
            parts.append(f"{'ICU' if provider == 'icu' else 'BUILTIN'}_LOCALE {literal(locale)}")
        if database.get("daticurules"):
            parts.append(f"ICU_RULES {literal(database['daticurules'])}")
    if tablespace and tablespace != "pg_default":
        parts.append(f"TABLESPACE {quote_ident(tablespace)}")
    return " ".join(parts)


def free_connections(info: ConnInfo) -> int:
    """Client connections the server still accepts from an ordinary role."""
    with maintenance(info) as conn, refusals("counting the server's free connections"):
        sql = (
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int "
            "- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return int(one_row(conn, sql)[0])


def create_database(conn: Connection, name: str, owner: str, options: str) -> None:
    conn.execute(f"CREATE DATABASE {quote_ident(name)} OWNER {quote_ident(owner)} {options}")


def end_sessions(conn: Connection, db: str) -> int:
    """End the sessions this role may end (its own and its members'; all for a superuser)."""
    return len(
        conn.execute(
            f"SELECT pg_terminate_backend(pid) {SESSIONS} AND pg_has_role(usesysid, 'MEMBER')", (db,)
        ).fetchall()
    )


def drop_database(conn: Connection, name: str) -> None:
    """Drop one of our own scratch databases (never the live one), ending its sessions.

    Not ``WITH (FORCE)`` first: for a role that is not a superuser, FORCE refuses ("permission
    denied to terminate process") while an autovacuum worker is in the database, which is
    likely just after a parallel load committed its tables.  A plain DROP stops autovacuum
    itself; our own sessions are ended first, and ones still closing are waited for.
    """
    if "__restore_" not in name and "__drill_" not in name:
        raise OperatorError(f"refusing to drop {name!r}: only scratch databases are dropped automatically")
    deadline = time.monotonic() + DROP_WAIT
    while True:
        end_sessions(conn, name)
        try:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")  # someone else's session: say so


def drop_leftovers(info: ConnInfo, facts: TargetFacts, log: Log) -> None:
    """Drop the scratch databases killed runs left (callers hold the volume's lock, so none is in use)."""
    if not facts.leftovers:
        return
    with maintenance(info) as conn:
        for name in facts.leftovers:
            drop_database(conn, name)
            log.info(f"dropped {name!r}, left by an interrupted restore or drill")


@dataclass(frozen=True)
class SchemaFacts:
    """What an in-place reset must give back to a schema it drops and recreates (``public``)."""

    owner: str = ""
    grants: tuple[tuple[str, str], ...] = ()  # (grantee, privilege)
    comment: str | None = None  # pg_dump writes no COMMENT ON SCHEMA public for the default one


def schema_facts(info: ConnInfo, schema: str = "public") -> SchemaFacts:
    """Owner, grants and comment of ``schema`` in the target (empty facts if it does not exist)."""
    with connect(info) as conn:
        row = conn.execute(
            "SELECT pg_get_userbyid(nspowner), obj_description(oid, 'pg_namespace') "
            "FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
        if row is None:
            return SchemaFacts()
        grants = conn.execute(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type "
            "FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = %s AND a.grantee <> n.nspowner "
            "ORDER BY 1, 2",
            (schema,),
        ).fetchall()
    return SchemaFacts(row[0], tuple((g, p) for g, p in grants), row[1])
