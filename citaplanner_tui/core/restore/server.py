"""What the restore needs to know about the server, and the few statements it runs there.

Everything here runs as the role from ``DATABASE_URL``, connected to a maintenance
database (``postgres``, else ``template1``): a database cannot be renamed or dropped
from a session connected to it.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Iterator

from citaplanner_tui.core.conninfo import ConnInfo
from citaplanner_tui.core.db import connect
from citaplanner_tui.core.errors import ConnectionFailed, OperatorError
from citaplanner_tui.core.restore.sqltext import literal, quote_ident, quote_role

MAINTENANCE_DBS = ("postgres", "template1")


@contextmanager
def refusals(doing: str) -> Iterator[None]:
    """Turn a statement the server refuses (no right, name taken, ...) into one sentence."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OperatorError(f"the server refused {doing}: {first}") from None


@contextmanager
def maintenance(info: ConnInfo) -> Iterator:
    """An autocommit connection to a maintenance database on the target's server."""
    with ExitStack() as stack:
        for name in MAINTENANCE_DBS:
            try:
                conn = stack.enter_context(connect(info, dbname=name))
                break
            except ConnectionFailed as exc:
                last = exc
        else:
            raise ConnectionFailed(f"cannot reach a maintenance database (postgres or template1) on "
                                   f"{info.host}:{info.port}: {last}")
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
       pg_encoding_to_char(d.encoding), d.datcollate, d.datctype
FROM pg_roles r LEFT JOIN pg_database d ON d.datname = %(db)s
WHERE r.rolname = current_user
"""


def _like(db: str, kind: str) -> str:
    return db.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + f"\\_\\_{kind}\\_%"


def inspect(info: ConnInfo, db: str) -> TargetFacts:
    with maintenance(info) as conn:
        num = conn.info.server_version
        row = conn.execute(_FACTS, {"db": db}).fetchone()
        names = dict(conn.execute(
            "SELECT k, array_agg(datname ORDER BY datname) FROM (SELECT datname, "
            "CASE WHEN datname LIKE %(p)s THEN 'pre' ELSE 'scratch' END AS k FROM pg_database "
            "WHERE datname LIKE %(r)s OR datname LIKE %(d)s OR datname LIKE %(p)s) s GROUP BY k",
            {"r": _like(db, "restore"), "d": _like(db, "drill"), "p": _like(db, "pre_restore")}).fetchall())
    user, sup, createdb, exists, owner, member, allow, sessions, enc, collate, ctype = row
    options = ""
    if exists:
        # template0 with the live database's encoding and locale: template1 may hold extra objects.
        options = (f"TEMPLATE template0 ENCODING {literal(enc)} LC_COLLATE {literal(collate)} "
                   f"LC_CTYPE {literal(ctype)}")
    return TargetFacts(num // 10000, num % 10000, user, sup, createdb, exists, owner, member, allow,
                       sessions, options, tuple(names.get("scratch") or ()), tuple(names.get("pre") or ()))


def create_database(conn, name: str, owner: str, options: str) -> None:
    conn.execute(f"CREATE DATABASE {quote_ident(name)} OWNER {quote_ident(owner)} {options}")


def copy_database_setup(conn, source: str, name: str) -> int:
    """Give ``name`` the grants and ``ALTER DATABASE ... SET`` settings of ``source``.

    pg_dump (without ``--create``) carries neither, and a swapped-in database must not
    open what the live one had closed (e.g. ``REVOKE CONNECT ... FROM PUBLIC``).
    Returns the number of statements run.
    """
    acl = conn.execute(
        "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END "
        "FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = %s AND a.grantee <> d.datdba",
        (source,)).fetchall()
    has_acl = conn.execute("SELECT datacl IS NOT NULL FROM pg_database WHERE datname = %s",
                           (source,)).fetchone()[0]
    settings = conn.execute(
        "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
        "WHERE d.datname = %s AND s.setrole = 0", (source,)).fetchall()
    statements = []
    if has_acl:  # NULL means the defaults, which the new database has already
        statements.append(f"REVOKE ALL ON DATABASE {quote_ident(name)} FROM PUBLIC")
        statements += [f"GRANT {privilege} ON DATABASE {quote_ident(name)} TO "
                       f"{quote_role(grantee)}" for privilege, grantee in acl]
    for (item,) in settings:
        key, _, value = item.partition("=")
        statements.append(f"ALTER DATABASE {quote_ident(name)} SET {quote_ident(key)} TO {literal(value)}")
    for statement in statements:
        conn.execute(statement)
    return len(statements)


def drop_database(conn, name: str) -> None:
    """Drop one of our own scratch databases (never the live one), ending its sessions."""
    if "__restore_" not in name and "__drill_" not in name:
        raise OperatorError(f"refusing to drop {name!r}: only scratch databases are dropped automatically")
    conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def drop_leftovers(info: ConnInfo, facts: TargetFacts, log) -> None:
    """Drop the scratch databases killed runs left (callers hold the volume's lock, so none is in use)."""
    if not facts.leftovers:
        return
    with maintenance(info) as conn:
        for name in facts.leftovers:
            drop_database(conn, name)
            log.info(f"dropped {name!r}, left by an interrupted restore or drill")


def schema_facts(info: ConnInfo, schema: str = "public") -> tuple[str, bool, list[tuple[str, str]]]:
    """``(owner, we may drop it, grants)`` of ``schema`` in the target, grants as (grantee, privilege)."""
    with connect(info) as conn:
        row = conn.execute(
            "SELECT pg_get_userbyid(nspowner), pg_has_role(current_user, nspowner, 'MEMBER') "
            "FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        if row is None:
            return "", True, []
        grants = conn.execute(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type "
            "FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = %s AND a.grantee <> n.nspowner "
            "ORDER BY 1, 2", (schema,)).fetchall()
    return row[0], row[1], [tuple(g) for g in grants]
