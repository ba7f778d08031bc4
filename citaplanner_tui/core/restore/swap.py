"""The critical section of a swap restore, and rollback, which is the same move backwards.

Renaming a database needs it to have no sessions, and CitaPlanner's app reconnects
within moments of losing its pool.  So: first forbid new connections
(``ALLOW_CONNECTIONS false``, committed, so the app's reconnects are refused), then end
the remaining sessions and, once none is left, in one transaction rename the live
database away, rename the incoming one into its place and allow connections to both.
The transaction makes the two renames one step: the name never points at nothing and
never at both.

The section is bounded and survives interruptions:

- sessions this role may not end (a DBA's psql) are refused *before* anything is
  locked (pre-flight says so too); inside, connections are refused for at most
  ``LOCKOUT`` seconds, after which they are allowed again and nothing is renamed;
- a journal (``journal.py``) is written before the first step, so that a process
  killed inside the section is finished or undone by the next command (``recover``);
- SIGINT, SIGTERM and SIGHUP arriving inside the section wait until it is over (when
  it runs in the main thread; the console runs it in a worker and owns its signals):
  if the renames committed, the restore is done and they are reported, not acted on
  (``Swapped.late_signals``); otherwise they act once the section is undone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import psycopg

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg.connect import one_row
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore.journal import Intent, Journal
from citaplanner_tui.core.restore.server import SESSIONS, drop_database, end_sessions, maintenance, refusals
from citaplanner_tui.core.restore.sqltext import quote_ident

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

LOCKOUT = 5.0  # seconds new connections may be refused while the sessions go
POLL = 0.05
DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Tests hold the swap at a named point: "<phase>:<folder>" (see ``pause_point``).
PAUSE_ENV = "CITAPLANNER_TUI_PAUSE"


class SwapFailed(OperatorError):
    """The live database kept sessions open; nothing was renamed."""


def server_key(info: ConnInfo) -> str:
    """The server a journal belongs to (no user, no password)."""
    return f"{info.host}:{info.port}"


def _allow(conn: Connection, db: str, allow: bool) -> None:
    conn.execute(f"ALTER DATABASE {quote_ident(db)} WITH ALLOW_CONNECTIONS {str(allow).lower()}")


def _sessions(conn: Connection, db: str) -> int:
    return int(one_row(conn, f"SELECT count(*) {SESSIONS}", (db,))[0])


def unendable_sessions(conn: Connection, db: str) -> list[str]:
    """The roles with sessions on ``db`` that this role may not end (so a swap could not finish)."""
    return [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT usename::text {SESSIONS} AND NOT pg_has_role(usesysid, 'MEMBER') ORDER BY 1", (db,)
        ).fetchall()
    ]


def unendable_sentence(db: str, roles: list[str], blocked: str = "the swap could not rename it") -> str:
    return (
        f"{db!r} has sessions of {', '.join(roles)}, which this role may not end, so {blocked}; "
        "ask them to disconnect (or end them as a superuser)"
    )


def pause_point(phase: str) -> None:
    """Hold here while ``$CITAPLANNER_TUI_PAUSE`` is ``<phase>:<folder>``, for tests.

    Creates ``<folder>/<phase>.reached`` and waits for ``<folder>/<phase>.go``, so a
    test can deliver a signal at an exact step of the critical section.
    """
    name, _, folder = os.environ.get(PAUSE_ENV, "").partition(":")
    if name != phase or not folder:
        return
    (Path(folder) / f"{phase}.reached").touch()
    while not (Path(folder) / f"{phase}.go").exists():
        time.sleep(0.01)


@contextmanager
def held_signals() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends; yield the list of those that arrived.

    Outside the main thread it holds nothing (the console owns its signals).
    """
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in DEFERRED}
    try:
        yield caught
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def act_on(caught: list[int], log: Log, when: str) -> None:
    """Deliver held signals to the previous handlers (the section did not commit: unwind as usual)."""
    for s in dict.fromkeys(caught):
        log.warn(f"{signal.Signals(s).name} arrived during the swap; acting on it now that {when}")
        signal.raise_signal(s)


def signal_names(caught: list[int]) -> list[str]:
    return [signal.Signals(s).name for s in dict.fromkeys(caught)]


@dataclass(frozen=True)
class Swapped:
    """A committed swap: the attempts used and the signals that arrived inside it (held, not acted on:
    once the renames committed the restore is done, and unwinding it would only mislead)."""

    attempts: int
    late_signals: tuple[str, ...] = ()


def swap(
    info: ConnInfo, live: str, incoming: str, parked: str, log: Log, journal: Journal, backup: str | None = None
) -> Swapped:
    """Put ``incoming`` in place of ``live``, which becomes ``parked``."""
    with maintenance(info) as conn:
        others = unendable_sessions(conn, live) + unendable_sessions(conn, incoming)
        if others:
            raise SwapFailed(unendable_sentence(live, sorted(set(others))) + "; nothing was locked or renamed")
        try:
            with held_signals() as caught:
                attempts = _section(conn, Intent(live, incoming, parked, server_key(info), backup), log, journal)
        except BaseException:
            act_on(caught, log, "the swap is over and did not commit")
            raise
    late = signal_names(caught)
    if late:
        log.warn(
            f"{', '.join(late)} arrived during the swap, after which the swap committed; "
            "the restore finishes instead of unwinding"
        )
    return Swapped(attempts, tuple(late))


def _section(conn: Connection, intent: Intent, log: Log, journal: Journal) -> int:
    """Journal, lock out, rename, record; undone (connections allowed, nothing renamed) on any failure."""
    live, incoming, parked = intent.live, intent.incoming, intent.parked
    intent = journal.begin(intent)
    try:
        _allow(conn, live, False)
        log.info(f"new connections to {live!r} are refused from now on")
        pause_point("locked")
        attempts = _rename(conn, live, incoming, parked, log)
    except BaseException:
        _allow(conn, live, True)  # if even this fails, the journal stays for ``recover``
        journal.clear()
        raise
    if attempts is None:
        _allow(conn, live, True)
        journal.clear()
        raise SwapFailed(
            f"{live!r} still had sessions after {LOCKOUT:.0f} s; nothing was renamed and it accepts connections again"
        )
    intent = journal.advance(intent, "renamed")
    pause_point("renamed")
    journal.finish(intent)
    log.ok(f"{incoming!r} is now {live!r}; the previous database is kept as {parked!r}")
    return attempts


def _rename(conn: Connection, live: str, incoming: str, parked: str, log: Log) -> int | None:
    """End the sessions and do the renames within ``LOCKOUT`` seconds; the attempts used, or None."""
    deadline = time.monotonic() + LOCKOUT
    attempt = 0
    while True:
        attempt += 1
        ended = end_sessions(conn, live) + end_sessions(conn, incoming)
        if _sessions(conn, live) + _sessions(conn, incoming) == 0:
            try:
                with conn.transaction():
                    conn.execute(f"ALTER DATABASE {quote_ident(live)} RENAME TO {quote_ident(parked)}")
                    conn.execute(f"ALTER DATABASE {quote_ident(incoming)} RENAME TO {quote_ident(live)}")
                    _allow(conn, live, True)
                    _allow(conn, parked, True)  # the operator may want to look inside it
                return attempt
            except psycopg.errors.ObjectInUse:
                log.warn(f"attempt {attempt}: {live!r} still had sessions ({ended} ended); retrying")
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL)


def recover(info: ConnInfo, journal: Journal, intent: Intent) -> str:
    """Finish or undo the swap ``intent`` describes, from what the server holds; one sentence."""
    live, incoming, parked = intent.live, intent.incoming, intent.parked
    with maintenance(info) as conn, refusals("finishing the interrupted swap"):
        names = {
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", ([live, incoming, parked],)
            ).fetchall()
        }
        if live in names and parked in names:
            _allow(conn, live, True)
            _allow(conn, parked, True)
            journal.finish(intent, swapped_at=intent.at)  # the renames committed moments after it began
            return say(
                "finished the swap interrupted at {at}: its renames had committed, so {live} "
                "now holds what was {incoming} and accepts connections, and the previous database "
                "is kept as {parked}",
                at=intent.at,
                live=repr(live),
                incoming=repr(incoming),
                parked=repr(parked),
            )
        if live in names:  # not renamed: the name still holds the previous database
            _allow(conn, live, True)
            # A restore's scratch, fully loaded but never swapped in, is of no use now (a rollback's incoming
            # database is a parked copy, a way back: that one stays).
            scratch = incoming in names and incoming.startswith(f"{live}__restore_")
            if scratch:
                drop_database(conn, incoming)
            journal.clear()
            dropped = (
                say(
                    "and the scratch database {incoming}, which held the backup's data but was never "
                    "swapped in, was dropped",
                    incoming=repr(incoming),
                )
                if scratch
                else say("and nothing was dropped")
            )
            return say(
                "undid the swap interrupted at {at}: nothing had been renamed, so {live} "
                "accepts connections again with its previous data, {dropped}",
                at=intent.at,
                live=repr(live),
                dropped=dropped,
            )
    return say(
        "the swap of {live} interrupted at {at} left no database named {live} on the server; "
        "check {incoming} and {parked} by hand, then remove {journal}",
        live=repr(live),
        at=intent.at,
        incoming=repr(incoming),
        parked=repr(parked),
        journal=journal.path,
    )
