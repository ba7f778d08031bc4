"""The critical section of a swap restore, and rollback, which is the same move backwards.

Renaming a database needs it to have no sessions, and CitaPlanner's app reconnects
within moments of losing its pool.  So: first forbid new connections
(``ALLOW_CONNECTIONS false``, committed, so the app's reconnects are refused), then,
until it succeeds, end the remaining sessions and in one transaction rename the live
database away, rename the incoming one into its place and allow connections to both.
The transaction makes the two renames one step: the name never points at nothing and
never at both.  If the renames keep failing, connections are allowed again and the
live database is left exactly as it was.
"""

from __future__ import annotations

import time

from citaplanner_tui.core.conninfo import ConnInfo
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.logs import Log
from citaplanner_tui.core.restore.server import maintenance
from citaplanner_tui.core.restore.validate import quote_ident

ATTEMPTS = 50
PAUSE = 0.1


class SwapFailed(OperatorError):
    """The live database kept sessions open; nothing was renamed."""


def _allow(conn, db: str, allow: bool) -> None:
    conn.execute(f"ALTER DATABASE {quote_ident(db)} WITH ALLOW_CONNECTIONS {str(allow).lower()}")


def _end_sessions(conn, db: str) -> int:
    return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (db,)).fetchall())


def swap(info: ConnInfo, live: str, incoming: str, parked: str, log: Log) -> int:
    """Put ``incoming`` in place of ``live``, which becomes ``parked``; return the attempts used."""
    import psycopg

    with maintenance(info) as conn:
        _allow(conn, live, False)
        log.info(f"new connections to {live!r} are refused from now on")
        try:
            for attempt in range(1, ATTEMPTS + 1):
                ended = _end_sessions(conn, live) + _end_sessions(conn, incoming)
                try:
                    with conn.transaction():
                        conn.execute(f"ALTER DATABASE {quote_ident(live)} RENAME TO {quote_ident(parked)}")
                        conn.execute(f"ALTER DATABASE {quote_ident(incoming)} RENAME TO {quote_ident(live)}")
                        _allow(conn, live, True)
                        _allow(conn, parked, True)  # the operator may want to look inside it
                except psycopg.errors.ObjectInUse:
                    log.warn(f"attempt {attempt}: {live!r} still had sessions ({ended} ended); retrying")
                    time.sleep(PAUSE)
                    continue
                log.ok(f"{incoming!r} is now {live!r}; the previous database is kept as {parked!r}")
                return attempt
        except BaseException:
            _allow(conn, live, True)
            raise
        _allow(conn, live, True)
    raise SwapFailed(f"{live!r} kept sessions open through {ATTEMPTS} attempts; nothing was renamed "
                     "and it accepts connections again")
