"""Which lines of a dump a given target server and psql would reject, dropped on the way.

A dump taken by a newer pg_dump than the target server may carry settings the older
server does not know: pg_dump 17+ writes ``SET transaction_timeout = 0;``, which a
PostgreSQL 15 or 16 server rejects, and under ``ON_ERROR_STOP`` that one line would
fail the whole restore.  Since August 2025 pg_dump also brackets the script with
``\\restrict <key>`` / ``\\unrestrict <key>``; a psql from before those releases calls
them invalid commands.  Dropping exactly those lines makes such a dump load; the dump
scanner only offers whole lines at the top level of the script (never COPY data, never
text inside a function body, literal or comment), and everything else stays as
pg_dump wrote it.
"""

from __future__ import annotations

import re
from typing import Callable

# Server settings pg_dump may emit, with the first server major that knows them.
SETTING_SINCE = {b"transaction_timeout": 17}
# The first minor release of each major whose psql knows \restrict; 18.0 and later all do.
RESTRICT_SINCE = {13: 22, 14: 19, 15: 14, 16: 10, 17: 6}
_SET = re.compile(rb"^SET (\w+) = ")


def psql_knows_restrict(psql: tuple[int, int]) -> bool:
    major, minor = psql
    return major >= 18 or minor >= RESTRICT_SINCE.get(major, 10**6)


def line_dropper(target_major: int, psql: tuple[int, int]) -> Callable[[bytes], bool] | None:
    """A predicate for the statement lines to drop, or None when every line can stay."""
    unknown = {name for name, since in SETTING_SINCE.items() if target_major < since}
    strip_restrict = not psql_knows_restrict(psql)
    if not unknown and not strip_restrict:
        return None

    def drop(line: bytes) -> bool:
        if strip_restrict and line.startswith((b"\\restrict ", b"\\unrestrict ")):
            return True
        match = _SET.match(line)
        return match is not None and match[1] in unknown

    return drop


def skipped(target_major: int, psql: tuple[int, int]) -> str:
    """What the dropper does, for the plan (empty when it does nothing)."""
    parts = [
        f"SET {name.decode()} (unknown before PostgreSQL {since})"
        for name, since in SETTING_SINCE.items()
        if target_major < since
    ]
    if not psql_knows_restrict(psql):
        parts.append(f"\\restrict lines (psql {psql[0]}.{psql[1]} does not know them)")
    return ", ".join(parts)
