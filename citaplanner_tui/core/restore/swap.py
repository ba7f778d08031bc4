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
from citaplanner_tui.core.restore.sqltext import quote_ident

ATTEMPTS = 12  # each rename itself waits up to 5 s for sessions to go
PAUSE = 0.1
# Sessions of roles on a database (other roles' rows show no backend_type to us, but a role);
# autovacuum workers have no role and are left alone: the rename stops them itself.
_SESSIONS = ("FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
             "AND usesysid IS NOT NULL")


class SwapFailed(OperatorError):
    """The live database kept sessions open; nothing was renamed."""


def _allow(conn, db: str, allow: bool) -> None:
    conn.execute(f"ALTER DATABASE {quote_ident(db)} WITH ALLOW_CONNECTIONS {str(allow).lower()}")


def _end_sessions(conn, db: str) -> int:
    """End the sessions this role may end (its own and its members'; all for a superuser)."""
    return len(conn.execute(f"SELECT pg_terminate_backend(pid) {_SESSIONS} AND pg_has_role(usesysid, 'MEMBER')",
                            (db,)).fetchall())


def _others(conn, db: str) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT DISTINCT usename::text {_SESSIONS} "
                                       "AND NOT pg_has_role(usesysid, 'MEMBER')", (db,)).fetchall()]


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
        others = _others(conn, live)
    why = f" (sessions of {', '.join(others)}, which this role may not end)" if others else ""
    raise SwapFailed(f"{live!r} kept sessions open through {ATTEMPTS} attempts{why}; nothing was renamed "
                     "and it accepts connections again")
