"""What a swap carries over from the live database to the restored one, which pg_dump does not.

Our dumps are plain, without ``--create``, and ``--no-owner --no-acl``: they hold
neither the database's own properties nor any privilege.  A swapped-in database must
still behave as the live one did for every role, so after the load (and before the
swap) the live database's catalogs are read and replayed onto the scratch database:

- object privileges (tables, views, columns, sequences, functions and procedures,
  schemas, types) and default privileges, from ``aclexplode`` of their ACLs;
- the database's grants, comment, connection limit, and every ``pg_db_role_setting`` entry: ``ALTER
  DATABASE ... SET`` and ``ALTER ROLE ... IN DATABASE ... SET``.  A list setting keeps
  its elements (``search_path = app, public`` is two schemas, not one quoted name),
  split as pg_dump does for the settings it knows to be quoted lists.

Settings are applied last: one such as ``default_transaction_read_only`` must not
reach the sessions that load and grant.  The owner, encoding, locale provider and
locale and tablespace are given at ``CREATE DATABASE`` (``server.database_options``),
the connection limit at the end.  Each statement runs on its own; any the server refuses
(an object created in live after the backup, a role this one may not act for) is
returned as one line, for the outcome to list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from citaplanner_tui.core.conninfo import ConnInfo
from citaplanner_tui.core.db import connect
from citaplanner_tui.core.restore.sqltext import literal, quote_ident, quote_role

# The settings pg_dump treats as lists of quoted elements (dumputils.c, variable_is_guc_list_quote).
LIST_SETTINGS = {"local_preload_libraries", "search_path", "session_preload_libraries",
                 "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"}
_ELEMENT = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^\s,"]+))\s*(?:,|$)')
_DEFAULT_KINDS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS",
                  "L": "LARGE OBJECTS"}
_USER_NAMESPACE = ("n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'")

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
ORDER BY 1, 2, 3 NULLS FIRST, 5, 6
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
    return [m[1].replace('""', '"') if m[1] is not None else m[2] for m in _ELEMENT.finditer(value)
            if m[1] is not None or m[2]]


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
    return (f"GRANT {privilege}{cols} ON {kind} {obj} TO {quote_role(grantee)}"
            + (" WITH GRANT OPTION" if grantable else ""))


@dataclass
class Replay:
    """Statements to run, grouped so that a refused group is reported once, by its first line."""

    groups: list[list[str]] = field(default_factory=list)

    def add(self, *statements: str) -> None:
        self.groups.append(list(statements))

    def run(self, conn) -> list[str]:
        import psycopg

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


def _role_names(conn) -> dict[int, str]:
    return {oid: name for oid, name in conn.execute("SELECT oid::bigint, rolname FROM pg_roles")}


def object_privileges(conn) -> Replay:
    """The GRANTs (and default privileges) that give the connection's database's ACLs to a copy of it."""
    roles = _role_names(conn)
    conn.execute("SET search_path = ''")  # names come out schema-qualified
    replay, objects = Replay(), {}
    for kind, obj, column, owner, grantee, privilege, grantable in conn.execute(_OBJECT_ACLS):
        grants = objects.setdefault((kind, obj, column is not None), [])
        if grantee != owner:  # the owner's own rights come with ownership
            who = roles.get(grantee, "PUBLIC") if grantee else "PUBLIC"
            grants.append(_grant(privilege, column, kind, obj, who, grantable))
    for (kind, obj, columns), grants in objects.items():
        # A non-default ACL replaces the defaults, some of which go to PUBLIC (EXECUTE, USAGE);
        # column privileges only add to the table's.
        replay.add(*([] if columns else [f"REVOKE ALL ON {kind} {obj} FROM PUBLIC"]), *grants)
    defaults: dict[tuple, list[str]] = {}
    for role, schema, objtype, grantee, privilege, grantable in conn.execute(_DEFAULT_ACLS):
        kind = _DEFAULT_KINDS.get(objtype)
        if kind is None:
            continue
        target = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(role)}" + (
            f" IN SCHEMA {quote_ident(schema)}" if schema else "")
        who = roles.get(grantee, "PUBLIC") if grantee else "PUBLIC"
        defaults.setdefault((target, kind, schema is None, role), []).append(
            f"{target} GRANT {privilege} ON {kind} TO {quote_role(who)}" + (" WITH GRANT OPTION" if grantable else ""))
    for (target, kind, everywhere, role), grants in defaults.items():
        # A role-wide entry replaces the built-in defaults (the owner's and PUBLIC's) entirely.
        resets = [f"{target} REVOKE ALL ON {kind} FROM PUBLIC",
                  f"{target} REVOKE ALL ON {kind} FROM {quote_ident(role)}"] if everywhere else []
        replay.add(*resets, *grants)
    conn.execute("RESET search_path")
    return replay


def database_setup(conn, source: str, name: str) -> Replay:
    """Grants, comment and settings of database ``source``, as statements for database ``name``."""
    db = quote_ident(name)
    row = conn.execute("SELECT oid, datacl IS NOT NULL, datdba, shobj_description(oid, 'pg_database'), "
                       "datconnlimit FROM pg_database WHERE datname = %s", (source,)).fetchone()
    oid, has_acl, dba, comment, limit = row
    replay = Replay()
    if limit != -1:  # not at CREATE DATABASE: the load and the grants need their connections
        replay.add(f"ALTER DATABASE {db} CONNECTION LIMIT {int(limit)}")
    if has_acl:  # NULL means the defaults, which the new database has already
        grants = [_grant(privilege, None, "DATABASE", db, grantee, grantable) for grantee, privilege, grantable in
                  conn.execute("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
                               "a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a "
                               "WHERE d.oid = %s AND a.grantee <> %s ORDER BY 1, 2", (oid, dba))]
        replay.add(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC", *grants)
    if comment is not None:
        replay.add(f"COMMENT ON DATABASE {db} IS {literal(comment)}")
    for role, entries in conn.execute(
            "SELECT CASE WHEN setrole = 0 THEN NULL ELSE pg_get_userbyid(setrole) END, setconfig "
            "FROM pg_db_role_setting WHERE setdatabase = %s ORDER BY 1 NULLS FIRST", (oid,)):
        prefix = f"ALTER ROLE {quote_ident(role)} IN DATABASE {db}" if role else f"ALTER DATABASE {db}"
        for entry in entries:
            replay.add(f"{prefix} {setting_clause(entry)}")
    return replay


def carry_over(info: ConnInfo, maintenance_conn, live: str, scratch: str) -> list[str]:
    """Replay ``live``'s privileges and database setup onto ``scratch``; return what was refused."""
    with connect(info, dbname=live) as conn:
        privileges = object_privileges(conn)
    with connect(info, dbname=scratch) as conn:
        refused = privileges.run(conn)
    return refused + database_setup(maintenance_conn, live, scratch).run(maintenance_conn)
