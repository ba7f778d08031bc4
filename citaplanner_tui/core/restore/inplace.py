"""In-place restore: for a role that may not create databases.

The dump is loaded into the live database inside one transaction whose first
statements empty the schema: ``DROP SCHEMA ... CASCADE`` and ``CREATE SCHEMA`` with the
schema's owner and grants put back as they were (PostgreSQL 15+ gives ``public`` to
``pg_database_owner`` with USAGE for everyone; the dump, taken with ``--no-acl``, does
not carry them).  Readers keep seeing the old rows until the COMMIT; any error, a
count mismatch, a cancel or a crash rolls all of it back.
"""

from __future__ import annotations

from citaplanner_tui.core.restore.sqltext import quote_ident, quote_role


def reset_schema_sql(schema: str, owner: str, grants: list[tuple[str, str]]) -> str:
    """SQL that drops ``schema`` with everything in it and recreates it empty, same owner and grants."""
    s = quote_ident(schema)
    lines = [f"DROP SCHEMA IF EXISTS {s} CASCADE;", f"CREATE SCHEMA {s};"]
    if owner:
        lines.append(f"ALTER SCHEMA {s} OWNER TO {quote_ident(owner)};")
    for grantee, privilege in grants:
        who = quote_role(grantee)
        lines.append(f"GRANT {privilege} ON SCHEMA {s} TO {who};")
    return "\n".join(lines) + "\n"
