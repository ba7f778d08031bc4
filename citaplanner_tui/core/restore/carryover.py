"""What a swap carries over from the live database to the restored one, which pg_dump does not.

Our dumps are plain, without ``--create``, and ``--no-owner --no-acl``: they hold
neither the database's own properties nor any privilege.  A swapped-in database must
still behave as the live one did for every role, so after the load (and before the
swap) the live database's catalogs are read and replayed onto the scratch database:

- object privileges (tables, views, columns, sequences, functions and procedures,
  schemas, types, large objects, languages, foreign data wrappers and servers) and
  default privileges, from ``aclexplode`` of their ACLs;
- the owner of every object another role than the database's owner owns (the load
  makes the database's owner own everything);
- the database's grants, comment, connection limit, and every ``pg_db_role_setting`` entry: ``ALTER
  DATABASE ... SET`` and ``ALTER ROLE ... IN DATABASE ... SET``.  A list setting keeps
  its elements (``search_path = app, public`` is two schemas, not one quoted name),
  split as pg_dump does for the settings it knows to be quoted lists.

Settings (and the connection limit) are applied last: one such as
``default_transaction_read_only`` must not reach the sessions that load and grant.
The database's owner, encoding, locale provider and locale and tablespace are given at
``CREATE DATABASE`` (``server.database_options``).  Each statement group runs on its
own (in a savepoint); any the server refuses
(an object created in live after the backup, a role this one may not act for) is
returned as one line, for the outcome to list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from citaplanner_tui.core.pg.connect import connect, one_row
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore.sqltext import literal, quote_ident, quote_role

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

# The settings pg_dump treats as lists of quoted elements (dumputils.c, variable_is_guc_list_quote).
LIST_SETTINGS = {
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
}
_ELEMENT = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^\s,"]+))\s*(?:,|$)')
_DEFAULT_KINDS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS", "L": "LARGE OBJECTS"}
_USER_NAMESPACE = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'"

# (kind, object, column, owner, grantee or 0 for PUBLIC, privilege, grantable) of every non-default ACL.
_OBJECT_ACLS = f"""
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, format('%I.%I', n.nspname, c.relname),
       NULL::text, c.relowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
WHERE c.relacl IS NOT NULL AND {_USER_NAMESPACE}
UNION ALL
SELECT 'TABLE', format('%I.%I', n.nspname, c.relname), quote_ident(t.attname), c.relowner, a.grantee,
       a.privilege_type, a.is_grantable
FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
     aclexplode(t.attacl) a
WHERE t.attacl IS NOT NULL AND t.attnum > 0 AND NOT t.attisdropped AND {_USER_NAMESPACE}
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text, NULL, p.proowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a
WHERE p.proacl IS NOT NULL AND {_USER_NAMESPACE}
UNION ALL
SELECT 'SCHEMA', quote_ident(n.nspname), NULL, n.nspowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_namespace n, aclexplode(n.nspacl) a
WHERE n.nspacl IS NOT NULL AND {_USER_NAMESPACE}
UNION ALL
SELECT 'TYPE', format_type(t.oid, NULL), NULL, t.typowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace, aclexplode(t.typacl) a
WHERE t.typacl IS NOT NULL AND {_USER_NAMESPACE}
UNION ALL
SELECT 'LARGE OBJECT', m.oid::text, NULL, m.lomowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_largeobject_metadata m, aclexplode(m.lomacl) a WHERE m.lomacl IS NOT NULL
UNION ALL
SELECT 'LANGUAGE', quote_ident(l.lanname), NULL, l.lanowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_language l, aclexplode(l.lanacl) a WHERE l.lanacl IS NOT NULL
UNION ALL
SELECT 'FOREIGN DATA WRAPPER', quote_ident(w.fdwname), NULL, w.fdwowner, a.grantee, a.privilege_type,
       a.is_grantable
FROM pg_foreign_data_wrapper w, aclexplode(w.fdwacl) a WHERE w.fdwacl IS NOT NULL
UNION ALL
SELECT 'FOREIGN SERVER', quote_ident(f.srvname), NULL, f.srvowner, a.grantee, a.privilege_type, a.is_grantable
FROM pg_foreign_server f, aclexplode(f.srvacl) a WHERE f.srvacl IS NOT NULL
ORDER BY 1, 2, 3 NULLS FIRST, 5, 6
"""

_NOT_IN_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass "
    "AND e.objid = {oid} AND e.deptype = 'e')"
)
# (kind, object, owner) of what the dump recreates, for the objects another role than the database's owns.
# Sequences owned by a column, indexes, row types and array types follow their table or type.
_OWNERS = f"""
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                      WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, format('%I.%I', n.nspname, c.relname), c.relowner
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition AND {_USER_NAMESPACE}
  AND {_NOT_IN_EXTENSION.format(catalog="pg_class", oid="c.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text, p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_USER_NAMESPACE} AND {_NOT_IN_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
UNION ALL
SELECT 'SCHEMA', quote_ident(n.nspname), n.nspowner FROM pg_namespace n
WHERE {_USER_NAMESPACE} AND {_NOT_IN_EXTENSION.format(catalog="pg_namespace", oid="n.oid")}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, format_type(t.oid, NULL), t.typowner
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r') AND {_USER_NAMESPACE}
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  AND {_NOT_IN_EXTENSION.format(catalog="pg_type", oid="t.oid")}
UNION ALL
SELECT 'LARGE OBJECT', m.oid::text, m.lomowner FROM pg_largeobject_metadata m
ORDER BY 1, 2
"""

_DEFAULT_ACLS = """
SELECT pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, a.grantee, a.privilege_type, a.is_grantable
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
ORDER BY 1, 2 NULLS FIRST, 3, 4, 5
"""


def split_list(value: str) -> list[str]:
    """A list setting's stored value -> its elements (``app, "my schema"`` -> ``["app", "my schema"]``)."""
    if not value.strip():
        return []
    return [
        m[1].replace('""', '"') if m[1] is not None else m[2]
        for m in _ELEMENT.finditer(value)
        if m[1] is not None or m[2]
    ]


def setting_clause(entry: str) -> str:
    """``search_path=app, public`` (a ``setconfig`` entry) -> ``SET "search_path" TO 'app', 'public'``."""
    name, _, value = entry.partition("=")
    if name.lower() in LIST_SETTINGS:
        values = ", ".join(literal(v) for v in split_list(value)) or "''"
    else:
        values = literal(value)
    return f"SET {quote_ident(name)} TO {values}"


def _grant(privilege: str, column: str | None, kind: str, obj: str, grantee: str, grantable: bool) -> str:
    cols = f" ({column})" if column else ""
    return f"GRANT {privilege}{cols} ON {kind} {obj} TO {quote_role(grantee)}" + (
        " WITH GRANT OPTION" if grantable else ""
    )


@dataclass
class Replay:
    """Statements to run, grouped so that a refused group is reported once, by its first line."""

    groups: list[list[str]] = field(default_factory=list)

    def add(self, *statements: str) -> None:
        self.groups.append(list(statements))

    def run(self, conn: Connection) -> list[str]:
        refused = []
        for group in self.groups:
            try:
                with conn.transaction():
                    for statement in group:
                        conn.execute(statement)
            except psycopg.Error as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                refused.append(f"{group[-1]}: {first}")
        return refused


def _role_names(conn: Connection) -> dict[int, str]:
    return {oid: name for oid, name in conn.execute("SELECT oid::bigint, rolname FROM pg_roles")}


def object_privileges(conn: Connection) -> Replay:
    """The GRANTs (and default privileges) that give the connection's database's ACLs to a copy of it."""
    roles = _role_names(conn)
    conn.execute("SET search_path = ''")  # names come out schema-qualified
    replay = Replay()
    objects: dict[tuple[str, str, bool], list[str]] = {}
    for kind, obj, column, owner, grantee, privilege, grantable in conn.execute(_OBJECT_ACLS):
        grants = objects.setdefault((kind, obj, column is not None), [])
        if grantee != owner:  # the owner's own rights come with ownership
            who = roles.get(grantee, "PUBLIC") if grantee else "PUBLIC"
            grants.append(_grant(privilege, column, kind, obj, who, grantable))
    for (kind, obj, columns), grants in objects.items():
        # A non-default ACL replaces the defaults, some of which go to PUBLIC (EXECUTE, USAGE);
        # column privileges only add to the table's.
        replay.add(*([] if columns else [f"REVOKE ALL ON {kind} {obj} FROM PUBLIC"]), *grants)
    defaults: dict[tuple[str, str, bool, str], list[str]] = {}
    for role, schema, objtype, grantee, privilege, grantable in conn.execute(_DEFAULT_ACLS):
        kind = _DEFAULT_KINDS.get(objtype)
        if kind is None:
            continue
        target = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(role)}" + (
            f" IN SCHEMA {quote_ident(schema)}" if schema else ""
        )
        who = roles.get(grantee, "PUBLIC") if grantee else "PUBLIC"
        defaults.setdefault((target, kind, schema is None, role), []).append(
            f"{target} GRANT {privilege} ON {kind} TO {quote_role(who)}" + (" WITH GRANT OPTION" if grantable else "")
        )
    for (target, kind, everywhere, role), grants in defaults.items():
        # A role-wide entry replaces the built-in defaults (the owner's and PUBLIC's) entirely.
        resets = (
            [f"{target} REVOKE ALL ON {kind} FROM PUBLIC", f"{target} REVOKE ALL ON {kind} FROM {quote_ident(role)}"]
            if everywhere
            else []
        )
        replay.add(*resets, *grants)
    conn.execute("RESET search_path")
    return replay


def object_owners(conn: Connection) -> dict[tuple[str, str], str]:
    """``{(kind, name): owner}`` of the objects of the connection's database that a dump recreates."""
    roles = _role_names(conn)
    conn.execute("SET search_path = ''")
    owners = {(kind, obj): roles.get(owner, "") for kind, obj, owner in conn.execute(_OWNERS)}
    conn.execute("RESET search_path")
    return owners


def ownership(live: dict[tuple[str, str], str], restored: dict[tuple[str, str], str]) -> Replay:
    """``ALTER ... OWNER TO`` for every restored object another role owns in live.

    A ``--no-owner`` load makes the database's owner own everything; run after the grants,
    so each ACL moves to the real owner with its object, as live has it.
    """
    replay = Replay()
    for (kind, obj), owner in sorted(live.items()):
        if owner and restored.get((kind, obj), owner) != owner:
            replay.add(f"ALTER {kind} {obj} OWNER TO {quote_ident(owner)}")
    return replay


def database_grants(conn: Connection, source: str, name: str) -> Replay:
    """Grants and comment of database ``source``, as statements for database ``name``."""
    db = quote_ident(name)
    has_acl, comment = one_row(
        conn,
        "SELECT datacl IS NOT NULL, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        (source,),
    )
    replay = Replay()
    if has_acl:  # NULL means the defaults, which the new database has already
        grants = [
            _grant(privilege, None, "DATABASE", db, grantee, grantable)
            for grantee, privilege, grantable in conn.execute(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
                "a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a "
                "WHERE d.datname = %s AND a.grantee <> d.datdba ORDER BY 1, 2",
                (source,),
            )
        ]
        replay.add(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC", *grants)
    if comment is not None:
        replay.add(f"COMMENT ON DATABASE {db} IS {literal(comment)}")
    return replay


def database_settings(conn: Connection, source: str, name: str) -> Replay:
    """Connection limit and every ``pg_db_role_setting`` entry of ``source``, for database ``name``."""
    db = quote_ident(name)
    replay = Replay()
    limit = one_row(conn, "SELECT datconnlimit FROM pg_database WHERE datname = %s", (source,))[0]
    if limit != -1:
        replay.add(f"ALTER DATABASE {db} CONNECTION LIMIT {int(limit)}")
    for role, entries in conn.execute(
        "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END, s.setconfig "
        "FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = %s "
        "ORDER BY 1 NULLS FIRST",
        (source,),
    ):
        prefix = f"ALTER ROLE {quote_ident(role)} IN DATABASE {db}" if role else f"ALTER DATABASE {db}"
        for entry in entries:
            replay.add(f"{prefix} {setting_clause(entry)}")
    return replay


def carry_over(info: ConnInfo, maintenance_conn: Connection, live: str, scratch: str) -> list[str]:
    """Replay ``live``'s privileges and database setup onto ``scratch``; return what was refused.

    Database grants first (a new owner of a schema needs CREATE on the database), then
    object privileges and owners, then the settings and connection limit.
    """
    refused = database_grants(maintenance_conn, live, scratch).run(maintenance_conn)
    with connect(info, dbname=live) as conn:
        privileges, owners = object_privileges(conn), object_owners(conn)
    with connect(info, dbname=scratch) as conn:
        refused += privileges.run(conn) + ownership(owners, object_owners(conn)).run(conn)
    return refused + database_settings(maintenance_conn, live, scratch).run(maintenance_conn)
