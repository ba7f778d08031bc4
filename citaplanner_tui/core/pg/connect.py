"""Connections to the CitaPlanner server, with failures turned into one sentence.

psycopg is imported inside the functions that connect, not at the top: settings, the
status report and the console's first paint import this module, and psycopg costs
~0.4 s (design.md's performance notes), paid only when a connection is made.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.errors import ConnectionFailed
from citaplanner_tui.core.pg.conninfo import ConnInfo

if TYPE_CHECKING:
    from typing import TypeAlias

    import psycopg
    from psycopg.abc import Params, QueryNoTemplate

    # What connect() yields (rows as tuples): the one connection type core functions take.
    Connection: TypeAlias = psycopg.Connection[tuple[Any, ...]]


def explain(exc: Exception, info: ConnInfo) -> str:
    """One sentence for a failed connection, naming the target but never the password."""
    text = str(exc).lower()
    where = info.redacted()
    if "password authentication failed" in text or "no password supplied" in text:
        return say("the server refused the password for user {user} ({where})", user=repr(info.user), where=where)
    if "does not exist" in text and "database" in text:
        return say(
            "the database {db} does not exist on {host}:{port}", db=repr(info.dbname), host=info.host, port=info.port
        )
    if "role" in text and "does not exist" in text:
        return say(
            "the role {user} does not exist on {host}:{port}", user=repr(info.user), host=info.host, port=info.port
        )
    if "timeout" in text:
        return say("the server at {host}:{port} did not answer in time", host=info.host, port=info.port)
    if (
        "connection refused" in text
        or "no such file or directory" in text
        or "could not connect" in text
        or "is the server running" in text
    ):
        return say("cannot reach the server at {host}:{port}: is it running?", host=info.host, port=info.port)
    if "could not translate host name" in text:
        return say("the host name {host} does not resolve", host=repr(info.host))
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return say("cannot connect to {where}: {why}", where=where, why=first)


@contextmanager
def connect(info: ConnInfo, *, autocommit: bool = True, dbname: str | None = None) -> Iterator[Connection]:
    """A psycopg connection with our search path, closed on exit."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    target = info.with_dbname(dbname) if dbname else info
    kwargs = target.connect_kwargs()
    if target.schema and target.schema != "public":
        kwargs["options"] = f"-c search_path={target.schema}"
    try:
        conn = psycopg.connect(make_conninfo("", **kwargs), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(explain(exc, target)) from None
    try:
        yield conn
    finally:
        conn.close()


def one_row(conn: Connection, query: QueryNoTemplate, params: Params | None = None) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate, a row known to exist)."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, "the query returned no row"
    return row


def server_version(info: ConnInfo) -> tuple[int, int]:
    """``(major, minor)`` of the server, e.g. (17, 2)."""
    with connect(info) as conn:
        num = conn.info.server_version
    return num // 10000, num % 10000


def database_size(info: ConnInfo) -> int:
    """Bytes on disk of the target database."""
    with connect(info) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None  # a SELECT without FROM returns exactly one row
    return int(row[0])
