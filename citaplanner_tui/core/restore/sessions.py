"""The parallel load's sessions: psql for the schema, direct connections for the workers.

The loader (``parallel.py``) hands each session statements and ``COPY`` pieces and
asks it to say when it has run everything given so far (``done``); what is sent and
not yet acknowledged is what the session is busy with, and names what it was doing
when it fails.

- ``PsqlSession`` (main): a psql reading our pipe, as the serial load uses.  pg_dump's
  pre-data may hold psql meta-commands (``\\restrict``, ``\\connect``), so the schema
  and the rest of the dump's own text go through psql.  Each piece is acknowledged by
  a ``SELECT`` of a token that psql prints.
- ``SocketSession`` (workers): a psycopg connection fed from a queue by its own thread.
  Workers only get what the loader cut out of pg_dump's sections (settings, ``COPY``
  pieces, indexes, constraints, key checks), plain SQL with no meta-command.  COPY
  data goes to the server as it came, in large writes: psql would read it back from
  a pipe and parse every line again (measured: 336 MB of appointments fed through psql
  used 0.40-0.46 CPU-s of this machine, 0.14 through psycopg).
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import socket
import subprocess
import threading
from typing import TYPE_CHECKING, Callable

from citaplanner_tui.core.restore.bytequeue import ByteQueue
from citaplanner_tui.core.restore.load import QUEUE_BYTES, LoadSpec, PipeWriter, StderrTail, psql

if TYPE_CHECKING:
    import psycopg

    from citaplanner_tui.core.pg.connect import Connection

_TERMINATOR = b"\\.\n"


class Session:
    """What the loader needs of a session, and the bookkeeping of what it was sent."""

    def __init__(self, on_exit: Callable[[Session, int], None]):
        self.sent = 0
        self.pending: collections.deque[tuple[int, str, int]] = collections.deque()  # (number, label, bytes)
        self.told: dict[bytes, bytes] = {}  # the dump's settings this session has been given
        self.last = "starting"
        self.closing = False
        self.cond = threading.Condition()
        self._on_exit = on_exit

    # -- for the loader -------------------------------------------------------
    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Statements (whole), or COPY data between ``copy_begin`` and ``copy_end``."""
        raise NotImplementedError

    def copy_begin(self, line: bytes) -> None:
        """Start a ``COPY ... FROM stdin`` (the dump's line)."""
        raise NotImplementedError

    def copy_end(self) -> None:
        raise NotImplementedError

    def done(self, label: str, size: int = 0) -> None:
        """Ask the session to say when it has run everything sent so far (``label`` names that work)."""
        with self.cond:
            self.sent += 1
            self.pending.append((self.sent, label, size))
        self._ask(self.sent)

    def close(self) -> None:
        """Nothing more will be sent; the session ends once it has run it all."""
        raise NotImplementedError

    def kill(self) -> None:
        """Drop the connection now; the server ends what it was doing."""
        raise NotImplementedError

    def wait_ended(self) -> None:
        """After ``kill``: wait for its threads and processes."""
        raise NotImplementedError

    def running(self) -> bool:
        raise NotImplementedError

    def join(self, timeout: float | None = None) -> None:
        raise NotImplementedError

    def first_error(self, codec: str) -> str:
        raise NotImplementedError

    # -- bookkeeping ----------------------------------------------------------
    def _ask(self, number: int) -> None:
        raise NotImplementedError

    def _acknowledged(self) -> None:
        with self.cond:
            _, self.last, _ = self.pending.popleft()
            self.cond.notify_all()

    def _ended(self, code: int) -> None:
        with self.cond:
            self.cond.notify_all()
        self._on_exit(self, code)

    @property
    def busy(self) -> int:
        with self.cond:
            return sum(size for _, _, size in self.pending)

    @property
    def doing(self) -> str:
        """What it was working on: the oldest piece not acknowledged, else the last one done."""
        with self.cond:
            return self.pending[0][1] if self.pending else self.last

    def idle(self) -> bool:
        with self.cond:
            return not self.pending

    def wait_idle(self, timeout: float) -> None:
        with self.cond:
            if self.pending and self.running():
                self.cond.wait(timeout)


class PsqlSession(Session):
    """One psql reading our pipe; ``SELECT '<ack> n'`` after each piece says when psql has done it."""

    def __init__(self, spec: LoadSpec, ack: bytes, on_exit: Callable[[Session, int], None]):
        super().__init__(on_exit)
        self.proc = psql(spec, "-A", "-t", stdout=subprocess.PIPE)
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout  # psql opens all three pipes
        self.tail, self.writer = StderrTail(self.proc.stderr), PipeWriter(self.stdin)
        self.ack = ack
        self.tail.start()
        self.writer.start()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        prefix = self.ack + b" "
        for line in self.stdout:
            if line.startswith(prefix):
                self._acknowledged()
        code = self.proc.wait()
        self.tail.join(timeout=5)
        self._ended(code)

    def send(self, data: bytes | bytearray | memoryview) -> None:
        self.writer.put(data)

    def copy_begin(self, line: bytes) -> None:
        self.writer.put(line)

    def copy_end(self) -> None:
        self.writer.put(_TERMINATOR)

    def _ask(self, number: int) -> None:
        self.writer.put(b"SELECT '" + self.ack + b" " + str(number).encode() + b"';\n")

    def close(self) -> None:
        self.closing = True
        self.writer.finish()
        try:
            self.stdin.close()
        except OSError:
            pass

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # the connection drops; the server ends what it was doing

    def wait_ended(self) -> None:
        self.writer.finish()  # it drains what it can no longer write
        self.proc.wait()
        self.reader.join(timeout=5)

    def running(self) -> bool:
        return self.proc.poll() is None

    def join(self, timeout: float | None = None) -> None:
        self.reader.join(timeout)

    def first_error(self, codec: str) -> str:
        return self.tail.first_error(codec)


_SQL, _COPY, _DATA, _END, _DONE = range(5)


class SocketSession(Session):
    """A psycopg connection (autocommit, as psql's) run by its own thread from a small queue.

    An error ends the session: its sentence is kept, what was queued is dropped unread
    (so the loader never blocks on it), and the loader is told, as when a psql exits.
    """

    def __init__(self, spec: LoadSpec, on_exit: Callable[[Session, int], None]):
        super().__init__(on_exit)
        self.spec = spec
        self.ops: ByteQueue[tuple[int, bytes | bytearray | memoryview] | None] = ByteQueue(QUEUE_BYTES)
        self.failed = False
        self.error = ""
        self._in_copy = False
        self._conn: Connection | None = None
        self._dropped = threading.Event()
        self._finished = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _put(self, kind: int, data: bytes | bytearray | memoryview = b"") -> None:
        if self.failed:
            raise BrokenPipeError("the worker session stopped")
        self.ops.put((kind, data), len(data))

    def send(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self._put(_DATA if self._in_copy else _SQL, data)

    def copy_begin(self, line: bytes) -> None:
        self._in_copy = True
        self._put(_COPY, line)

    def copy_end(self) -> None:
        self._in_copy = False
        self._put(_END)

    def _ask(self, number: int) -> None:
        self._put(_DONE)

    def _run(self) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        code = 0
        try:
            conninfo = make_conninfo("", **self.spec.target.connect_kwargs())
            with psycopg.connect(conninfo, autocommit=True, prepare_threshold=None) as conn:
                self._conn = conn
                if self._dropped.is_set():  # killed while it connected
                    raise psycopg.OperationalError("the load was stopped")
                self._serve(conn)
        except psycopg.Error as exc:
            code, self.error = 1, _error_line(exc)
        except Exception as exc:  # a bug: the session still ends, and says what broke
            code, self.error = 1, f"{type(exc).__name__}: {exc}"
        finally:
            self._conn = None
        if code:
            self.failed = True  # from now on the loader's puts are refused
            with contextlib.suppress(queue.Empty):  # and one waiting on a full queue returns
                while True:
                    self.ops.get_nowait()
        self._ended(code)

    def _serve(self, conn: Connection) -> None:
        cursor = conn.cursor()
        with contextlib.ExitStack() as copying:  # an error inside a COPY ends it with the error
            writer: psycopg.Copy | None = None
            while (op := self.ops.get()) is not None:
                kind, data = op
                if kind == _SQL:
                    cursor.execute(bytes(data))  # no parameters: the simple protocol, as psql sends it
                elif kind == _COPY:
                    writer = copying.enter_context(cursor.copy(bytes(data)))
                elif kind == _DATA:
                    assert writer is not None  # data only comes between _COPY and _END
                    writer.write(data)
                elif kind == _END:
                    copying.close()  # the server's answer to the piece: its errors raise here
                    writer = None
                else:
                    self._acknowledged()

    def close(self) -> None:
        self.closing = True
        if not self._finished:
            self._finished = True
            while self.thread.is_alive():  # a session that failed takes nothing more
                with contextlib.suppress(queue.Full):
                    self.ops.put(None, 0, timeout=0.1)
                    break

    def kill(self) -> None:
        """Shut the socket under the thread: whatever libpq is doing fails at once."""
        self._dropped.set()
        conn = self._conn
        if conn is not None and not conn.closed:
            import psycopg

            try:
                with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError, psycopg.Error):
                pass  # closed meanwhile

    def wait_ended(self) -> None:
        self.failed = True  # nothing more is sent
        self.close()
        self.thread.join(timeout=5)

    def running(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def first_error(self, codec: str) -> str:
        return self.error or "the worker session stopped without a message"


def _error_line(exc: psycopg.Error) -> str:
    """The server's first line as psql shows it (``ERROR:  ...``), or the library's own."""
    if exc.diag.message_primary:
        return f"{exc.diag.severity or 'ERROR'}:  {exc.diag.message_primary}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
