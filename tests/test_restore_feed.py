"""What feeds the parallel load's sessions: a queue bounded by bytes, never by a count of statements.

A count-bounded queue let a burst of small statements for one busy worker (the biggest
table's foreign-key checks) hold the loader until that worker had run some of them, while
the other workers had nothing to do.  Shown on a real server with a worker stuck behind an
advisory lock the test holds, not with timings.
"""

from __future__ import annotations

import queue
import threading

import pytest

from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore.bytequeue import ByteQueue
from citaplanner_tui.core.restore.load import LoadSpec
from citaplanner_tui.core.restore.sessions import SocketSession
from tests.support.db import APP_ROLE
from tests.support.restore import wait_for


def test_small_items_never_wait_and_bytes_are_what_is_bounded():
    q: ByteQueue[int] = ByteQueue(100)
    for n in range(1000):  # a thousand statements of 0 bytes each: none waits
        q.put(n, 0, timeout=0)
    q.put(1000, 60, timeout=0)
    q.put(1001, 60, timeout=0)  # under the limit when it came: taken, though it passes it
    with pytest.raises(queue.Full):
        q.put(1002, 1, timeout=0.05)
    assert [q.get() for _ in range(1001)] == list(range(1001))
    q.put(1002, 1, timeout=0)  # 60 bytes held now: under the limit again
    assert [q.get_nowait(), q.get_nowait()] == [1001, 1002]
    q.put(1003, 500, timeout=0)  # bigger than the limit, into an empty queue: never waits for ever
    assert q.get() == 1003
    with pytest.raises(queue.Empty):
        q.get_nowait()


def test_a_waiting_put_goes_in_once_the_reader_takes_enough():
    q: ByteQueue[str] = ByteQueue(10)
    q.put("big", 10)
    went_in = threading.Event()
    putter = threading.Thread(target=lambda: (q.put("next", 5), went_in.set()))
    putter.start()
    assert not went_in.wait(0.1)  # 10 bytes held: it waits
    assert q.get() == "big"
    assert went_in.wait(10)
    putter.join(10)
    assert q.get_nowait() == "next"


def test_a_busy_worker_takes_a_burst_of_statements_without_holding_the_loader(app_db):
    """Twenty statements for a worker stuck on its first are all taken at once; they then run in order."""
    app_db.sql(f"CREATE TABLE burst (n int); ALTER TABLE burst OWNER TO {APP_ROLE}")
    ended: list[int] = []
    session = SocketSession(LoadSpec(app_db.info, pgtools.choose(18), 18), lambda _s, code: ended.append(code))
    try:
        with connect(app_db.info) as holder:
            holder.execute("SELECT pg_advisory_lock(7041)")
            session.send(b"SELECT pg_advisory_lock(7041);\n")  # the worker waits here until the holder lets go
            session.done("waiting for the test's lock")
            wait_for(lambda: _waiting_on_the_lock(holder), "the worker to wait on the lock", timeout=10)
            loader = threading.Thread(target=_burst, args=(session,), daemon=True)
            loader.start()
            loader.join(10)
            assert not loader.is_alive(), "the loader was held on the busy worker"
            assert holder.execute("SELECT count(*) FROM burst").fetchone() == (0,)  # nothing ran yet
        wait_for(session.idle, "the worker to run the burst", timeout=30)  # the holder's session ended
        assert not ended, session.first_error("utf-8")
        assert app_db.sql("SELECT array_agg(n ORDER BY n) FROM burst") == [(list(range(20)),)]
    finally:
        session.close()
        session.join(10)
    assert ended == [0] and not session.running()  # closed: it ended cleanly


def _burst(session: SocketSession) -> None:
    for n in range(20):
        session.send(f"INSERT INTO burst VALUES ({n});\n".encode())
        session.done(f"statement {n}")


def _waiting_on_the_lock(holder) -> bool:
    row = holder.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7041 AND NOT granted"
    ).fetchone()
    return bool(row and row[0])
