"""In-place restore: for a role that may not create databases.

The order makes sure no write the app was told is committed goes missing:

1. **Writes stop.**  New sessions of the database default to read-only
   (``ALTER DATABASE ... SET default_transaction_read_only = on``) and the app's sessions
   are ended; the app reconnects and reads, but every write fails.  Sessions this role
   may not end would keep writing, so pre-flight refuses while there are any.  A journal
   (``journal.py``) lets the next command undo this step if we are killed.
2. **The safety backup** is taken: it holds every write committed before step 1.
3. **One transaction** drops everything the dump will create (every schema of the
   database, with whatever depends on it; its large objects, publications and event
   triggers), recreates ``public`` with its owner and grants as they were (PostgreSQL
   15+ gives ``public`` to ``pg_database_owner`` with USAGE for everyone; the dump,
   taken with ``--no-acl``, does not carry them), loads the dump and checks the row
   counts.  Any error, count mismatch, cancel or crash rolls all of it back.
4. **Writes are allowed again** (the database's previous setting is put back) and the
   read-only sessions are ended, so the app reconnects writable.

What readers see: the old rows through steps 1 and 2 and the start of the load; from the
transaction's first drop until its COMMIT they wait on its locks; then the restored rows.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg.connect import connect, one_row
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore.journal import Intent, Journal
from citaplanner_tui.core.restore.server import SchemaFacts, end_sessions, maintenance, refusals
from citaplanner_tui.core.restore.sqltext import literal, quote_ident, quote_role
from citaplanner_tui.core.restore.swap import (
    pause_point,
    server_key,
    unendable_sentence,
    unendable_sessions,
)

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

READ_ONLY = "default_transaction_read_only"
# Every schema but the system's own (pg_catalog, information_schema, pg_toast*, pg_temp*).
_SCHEMAS = r"""
SELECT n.nspname, pg_has_role(n.nspowner, 'MEMBER'),
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','S','f','c'))
       + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)
       + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid AND t.typtype IN ('d','e','r','m'))
FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1
"""


@dataclass(frozen=True)
class Reset:
    """What the load's transaction drops first, and what this role may not drop."""

    schemas: dict[str, int] = field(default_factory=dict)  # schema -> tables, views, functions, types in it
    large_objects: int = 0
    publications: tuple[str, ...] = ()
    event_triggers: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()  # "schema x (owner y)", ... this role may not drop

    def summary(self) -> str:
        parts = (
            [
                ", ".join(f"schema {s} ({n} objects)" for s, n in self.schemas.items())
                + " with everything that depends on them"
            ]
            if self.schemas
            else []
        )
        if self.large_objects:
            parts.append(f"{self.large_objects} large object(s)")
        if self.publications:
            parts.append("publication(s) " + ", ".join(self.publications))
        if self.event_triggers:
            parts.append("event trigger(s) " + ", ".join(self.event_triggers))
        return "; ".join(parts) or "nothing (the database is empty)"


def inventory(info: ConnInfo) -> Reset:
    """Read what an in-place restore of ``info``'s database would drop."""
    with connect(info) as conn:
        schemas = conn.execute(_SCHEMAS).fetchall()
        los, los_ours = one_row(
            conn,
            "SELECT count(*), COALESCE(bool_and(pg_has_role(lomowner, 'MEMBER')), true) FROM pg_largeobject_metadata",
        )
        pubs = conn.execute(
            "SELECT pubname, pg_has_role(pubowner, 'MEMBER'), pg_get_userbyid(pubowner) FROM pg_publication ORDER BY 1"
        ).fetchall()
        events = conn.execute(
            "SELECT evtname, pg_has_role(evtowner, 'MEMBER'), pg_get_userbyid(evtowner) "
            "FROM pg_event_trigger ORDER BY 1"
        ).fetchall()
        owners = dict(conn.execute("SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace").fetchall())
    forbidden = [f"schema {name} (owner {owners[name]})" for name, ours, _ in schemas if not ours]
    forbidden += [] if los_ours else ["large objects of other roles"]
    forbidden += [f"publication {name} (owner {owner})" for name, ours, owner in pubs if not ours]
    forbidden += [f"event trigger {name} (owner {owner})" for name, ours, owner in events if not ours]
    return Reset(
        {name: n for name, _, n in schemas},
        los,
        tuple(p[0] for p in pubs),
        tuple(e[0] for e in events),
        tuple(forbidden),
    )


def reset_sql(reset: Reset, public: SchemaFacts) -> str:
    """SQL that drops what ``reset`` lists and recreates ``public`` empty, same owner, grants and comment."""
    lines = [f"DROP EVENT TRIGGER IF EXISTS {quote_ident(e)};" for e in reset.event_triggers]
    lines += [f"DROP PUBLICATION IF EXISTS {quote_ident(p)};" for p in reset.publications]
    if reset.large_objects:
        lines.append("SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata;")
    lines += [f"DROP SCHEMA IF EXISTS {quote_ident(s)} CASCADE;" for s in reset.schemas]
    if "public" in reset.schemas:  # pg_dump never creates public: it is there in every new database
        lines.append("CREATE SCHEMA public;")
        if public.owner:
            lines.append(f"ALTER SCHEMA public OWNER TO {quote_ident(public.owner)};")
        lines += [
            f"GRANT {privilege} ON SCHEMA public TO {quote_role(grantee)};" for grantee, privilege in public.grants
        ]
        if public.comment is not None:
            lines.append(f"COMMENT ON SCHEMA public IS {literal(public.comment)};")
    return "\n".join(lines) + "\n"


def read_only_setting(conn: Connection, db: str) -> str | None:
    """The database's own ``default_transaction_read_only`` setting, None when it has none."""
    row = conn.execute(
        "SELECT split_part(c, '=', 2) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, "
        "unnest(s.setconfig) c WHERE d.datname = %s AND s.setrole = 0 AND c LIKE %s",
        (db, READ_ONLY + "=%"),
    ).fetchone()
    return row[0] if row else None


def _allow_writes(conn: Connection, db: str, previous: str | None) -> int:
    """Put the database's setting back and end the sessions opened read-only; return how many."""
    if previous is None:
        conn.execute(f"ALTER DATABASE {quote_ident(db)} RESET {READ_ONLY}")
    else:
        conn.execute(f"ALTER DATABASE {quote_ident(db)} SET {READ_ONLY} TO {literal(previous)}")
    return end_sessions(conn, db)


@dataclass
class WriteStop:
    """How long writes were refused (filled in when they are allowed again)."""

    since: float = field(default_factory=time.monotonic)
    seconds: float = 0.0


@contextmanager
def writes_stopped(info: ConnInfo, db: str, journal: Journal, log: Log) -> Iterator[WriteStop]:
    """Refuse writes to ``db`` (readers stay) for the block; journaled, so a killed run is undone."""
    with maintenance(info) as conn, refusals("stopping writes"):
        others = unendable_sessions(conn, db)
        if others:
            raise OperatorError(
                unendable_sentence(db, others, "their writes could not be stopped") + "; nothing was changed"
            )
        previous = read_only_setting(conn, db)
        journal.begin(Intent(db, "", "", server_key(info), None, kind="in-place", previous=previous))
        try:
            conn.execute(f"ALTER DATABASE {quote_ident(db)} SET {READ_ONLY} TO on")
            ended = end_sessions(conn, db)
        except BaseException:
            _allow_writes(conn, db, previous)
            journal.clear()
            raise
    log.info(f"writes to {db!r} are refused from now on (new sessions are read-only; {ended} session(s) ended)")
    stop = WriteStop()
    try:
        pause_point("writes-stopped")
        yield stop
    finally:
        with maintenance(info) as conn, refusals("allowing writes again"):  # on failure the journal stays
            ended = _allow_writes(conn, db, previous)
        journal.clear()
        stop.seconds = round(time.monotonic() - stop.since, 3)
        log.info(
            f"writes to {db!r} are allowed again after {stop.seconds:.1f} s ({ended} read-only session(s) "
            "ended so the app reconnects)"
        )


def recover(info: ConnInfo, journal: Journal, intent: Intent) -> str:
    """Allow writes again after an in-place restore that was killed; one sentence."""
    with maintenance(info) as conn, refusals("allowing writes again"):
        _allow_writes(conn, intent.live, intent.previous)
    journal.clear()
    return say(
        "allowed writes to {live} again after an in-place restore interrupted at {at}; "
        "its load is one transaction, so the database holds either its previous data or the whole backup",
        live=repr(intent.live),
        at=intent.at,
    )
