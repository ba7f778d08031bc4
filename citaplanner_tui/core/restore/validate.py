"""Per-table row counts: what the dump holds against what the database holds.

The dump scanner counts the data rows of every ``COPY ... FROM stdin`` block while
the stream flows to psql, so the expected counts cost nothing extra.  They are checked
by one statement at the end of the load's transaction, just before our ``COMMIT``: a
mismatch raises, psql stops (``ON_ERROR_STOP``), and the transaction is rolled back,
so neither a scratch database nor an in-place restore can commit a table that lacks
rows, whatever the dump did after its COPY.  A drill also counts the live database
(``count_rows``, one query) to say how far the backup is from it.
"""

from __future__ import annotations

from typing import Mapping

from citaplanner_tui.core.restore.sqltext import literal, quote_ident


def qualified(table: str) -> str:
    """``public.camelCase`` (the scanner's name) -> ``"public"."camelCase"``."""
    schema, _, name = table.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(name)}" if name else quote_ident(schema)


def count_query(tables: list[str]) -> str:
    """One query returning ``(table, rows)`` for every table."""
    return " UNION ALL ".join(f"SELECT {literal(t)}, count(*) FROM {qualified(t)}" for t in tables)


def check_block(expected: Mapping[str, int]) -> str:
    """A DO block that raises (aborting the transaction) when any table's count differs."""
    checks = "".join(
        f"  SELECT count(*) INTO n FROM {qualified(t)};\n"
        f"  IF n <> {rows} THEN RAISE EXCEPTION 'table % holds % rows but the dump has {rows}', "
        f"{literal(t)}, n; END IF;\n"
        for t, rows in sorted(expected.items()))
    return f"DO $cpt_check$\nDECLARE n bigint;\nBEGIN\n{checks}END\n$cpt_check$;\n"


def count_rows(conn, tables: list[str]) -> dict[str, int]:
    """Rows per table in the connection's database (one query)."""
    if not tables:
        return {}
    return {t: n for t, n in conn.execute(count_query(tables)).fetchall()}

