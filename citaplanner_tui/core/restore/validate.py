"""Per-table row counts: what the dump holds against what the database holds.

The dump scanner counts the data rows of every ``COPY ... FROM stdin`` block while
the stream flows to psql, so the expected counts cost nothing extra.  They are checked
by one statement at the end of the load's transaction, just before our ``COMMIT``: a
mismatch raises, psql stops (``ON_ERROR_STOP``), and the transaction is rolled back,
so neither a scratch database nor an in-place restore can commit a table that lacks
rows, whatever the dump did after its COPY.  A parallel load given pre-flight's counts
for the same sealed bytes (the manifest's, or a deep verify's) checks against those and
does not count again (``LoadSpec.rows``).  A drill also counts the live database
(``count_rows``, one query) to say how far the backup is from it.

A COPY fills exactly the table it names, so counts use ``FROM ONLY`` (an inheritance
parent's own rows, not its children's; a partitioned table, which holds no rows of its
own, is counted whole, as a dump made with ``--load-via-partition-root`` fills it).
pg_dump's script ends with ``row_security = off``, under which a query that row-level
security would filter is an error; the loading role owns every table, so for a table
with FORCE ROW LEVEL SECURITY the check lifts FORCE around its count and puts it back,
all inside the same transaction (superusers and BYPASSRLS roles need not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from citaplanner_tui.core.restore.sqltext import literal, quote_ident
from citaplanner_tui.core.stream.dumpscan import split_key

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection


def qualified(table: str) -> str:
    """``public.camelCase`` (the scanner's key) -> ``"public"."camelCase"``."""
    return ".".join(quote_ident(part) for part in split_key(table))


def count_query(tables: list[str]) -> str:
    """One query returning ``(table, rows)`` for every table."""
    return " UNION ALL ".join(f"SELECT {literal(t)}, count(*) FROM ONLY {qualified(t)}" for t in tables)


_CHECK = """DO $cpt_check$
DECLARE
  n bigint;
  forced boolean;
  t record;
  bypass boolean := (SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
  FOR t IN SELECT v.name, c.oid::pg_catalog.regclass AS rel, v.rows, c.relkind, c.relforcerowsecurity AS force
           FROM (VALUES {values}) v(name, rel, rows)
           JOIN pg_catalog.pg_class c ON c.oid = v.rel::pg_catalog.regclass LOOP
    forced := t.force AND NOT bypass;
    IF forced THEN EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t.rel); END IF;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s %s',
                              CASE WHEN t.relkind = 'p' THEN '' ELSE 'ONLY' END, t.rel) INTO n;
    IF forced THEN EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t.rel); END IF;
    IF n <> t.rows THEN
      RAISE EXCEPTION 'table % holds % rows but the dump has %', t.name, n, t.rows;
    END IF;
  END LOOP;
END
$cpt_check$;
"""


def check_block(expected: Mapping[str, int]) -> str:
    """A DO block that raises (aborting the transaction) when any table's count differs."""
    if not expected:
        return ""
    values = ", ".join(
        f"({literal(t)}, {literal(qualified(t))}, {rows}::bigint)" for t, rows in sorted(expected.items())
    )
    return _CHECK.format(values=values)


def count_rows(conn: Connection, tables: list[str]) -> dict[str, int]:
    """Rows per table in the connection's database (one query)."""
    if not tables:
        return {}
    return {t: n for t, n in conn.execute(count_query(tables)).fetchall()}
