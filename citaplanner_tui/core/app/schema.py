"""CitaPlanner's schema, applied to a database we own (tests, benchmarks, ``--demo``).

``schema.sql`` is the schema Prisma creates from the app's ``schema.prisma`` (38 tables,
22 enums), kept as the ``pg_dump --schema-only`` of it, byte for byte, so that it can be
compared with the app's again. Production databases get their schema from the app's
Prisma migrations or ``db push``, never from us.
"""

from __future__ import annotations

import re
from functools import cache
from graphlib import TopologicalSorter
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

# The dump's session settings: ``search_path = ''`` would outlive the transaction and break
# every unqualified name the caller runs next, and ``transaction_timeout`` is PostgreSQL 17+.
_SESSION_SETTING = re.compile(r"^(SET |SELECT pg_catalog\.set_config\().*$", re.MULTILINE)


@cache
def schema_sql() -> str:
    """The schema's DDL, without the dump's session settings (names are schema-qualified)."""
    text = resources.files("citaplanner_tui.core.app").joinpath("schema.sql").read_text("utf-8")
    return _SESSION_SETTING.sub("", text)


def _tables_parents_first(sql: str) -> tuple[str, ...]:
    tables = re.findall(r'^CREATE TABLE public\.("?\w+"?) \(', sql, re.MULTILINE)
    graph: dict[str, set[str]] = {t.strip('"'): set() for t in tables}
    for child, parent in re.findall(
        r'^ALTER TABLE ONLY public\.("?\w+"?)\n\s+ADD CONSTRAINT \S+ '
        r'FOREIGN KEY \([^)]*\) REFERENCES public\.("?\w+"?)\(',
        sql,
        re.MULTILINE,
    ):
        if child != parent:
            graph[child.strip('"')].add(parent.strip('"'))
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return tuple(order)


# Every table CitaPlanner's app owns, parents before children (the order a loader needs).
TABLES = _tables_parents_first(schema_sql())


def apply_schema(conn: Connection) -> None:
    """Create the CitaPlanner tables and types in the connection's database (one transaction)."""
    with conn.transaction():
        conn.execute(schema_sql())
