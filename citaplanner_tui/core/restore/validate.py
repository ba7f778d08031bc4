"""Per-table row counts: what the dump holds against what the database holds.

The dump scanner counts the data rows of every ``COPY ... FROM stdin`` block while
the stream flows to psql, so the expected counts cost nothing extra.  They are checked
twice: inside the load's transaction, just before ``COMMIT`` (a mismatch aborts the
transaction, so an in-place restore can never commit a short table), and after the
load with one query, whose answer the outcome reports.
"""

from __future__ import annotations

from typing import Mapping

from citaplanner_tui.core.errors import OperatorError


class ValidationFailed(OperatorError):
    """The restored database does not hold the rows the dump holds."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(table: str) -> str:
    """``public.camelCase`` (the scanner's name) -> ``"public"."camelCase"``."""
    schema, _, name = table.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(name)}" if name else quote_ident(schema)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def count_query(tables: list[str]) -> str:
    """One query returning ``(table, rows)`` for every table."""
    return " UNION ALL ".join(f"SELECT {_literal(t)}, count(*) FROM {qualified(t)}" for t in tables)


def check_block(expected: Mapping[str, int]) -> str:
    """A DO block that raises (aborting the transaction) when any table's count differs."""
    checks = "".join(
        f"  SELECT count(*) INTO n FROM {qualified(t)};\n"
        f"  IF n <> {rows} THEN RAISE EXCEPTION 'table % holds % rows but the dump has {rows}', "
        f"{_literal(t)}, n; END IF;\n"
        for t, rows in sorted(expected.items()))
    return f"DO $cpt_check$\nDECLARE n bigint;\nBEGIN\n{checks}END\n$cpt_check$;\n"


def mismatches(expected: Mapping[str, int], actual: Mapping[str, int | None]) -> list[str]:
    """One phrase per table whose count differs (a missing table counts as a difference)."""
    out = []
    for table, rows in sorted(expected.items()):
        got = actual.get(table)
        if got is None:
            out.append(f"{table} is missing")
        elif got != rows:
            out.append(f"{table} holds {got} rows instead of {rows}")
    return out


def count_rows(conn, tables: list[str]) -> dict[str, int]:
    """Rows per table in the connection's database (one query)."""
    if not tables:
        return {}
    return {t: n for t, n in conn.execute(count_query(tables)).fetchall()}


def require_counts(expected: Mapping[str, int], actual: Mapping[str, int | None], where: str) -> None:
    problems = mismatches(expected, actual)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"the restored data in {where} does not match the dump: {problems[0]}{more}")
