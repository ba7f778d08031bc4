"""Stream an archive into one database through psql, all or nothing.

One pass over the archive: ``ArchiveReader`` decompresses and hashes, the dump scanner
counts each table's rows and drops the few top-level lines the target would reject or
that would end our transaction early, and the rest goes down a pipe to
``psql -X -v ON_ERROR_STOP=1``.

We write ``BEGIN;`` and ``COMMIT;`` ourselves instead of using ``--single-transaction``:
psql sends the closing COMMIT of ``--single-transaction`` even when its input ends
early, so if this process died mid-stream a half-loaded database would be committed.
With our own COMMIT, written only after the whole archive decompressed, the trailer was
seen and the row counts matched, any early end (crash, kill -9, cancel, corrupt
archive) leaves an open transaction that the server rolls back.  For the same reason
pg_dump's own ``BEGIN;``/``COMMIT;`` around large-object data never reach psql: that
COMMIT would commit everything loaded before it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Mapping

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.pg.tools import ClientTools
from citaplanner_tui.core.restore.bytequeue import ByteQueue
from citaplanner_tui.core.restore.compat import line_dropper
from citaplanner_tui.core.restore.validate import check_block
from citaplanner_tui.core.stream.archive import ArchiveReader
from citaplanner_tui.core.stream.dumpscan import DumpInfo, DumpScanner, codec_for

_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_STDERR_KEEP = 64 * 1024
# What waits for each loading session (psql's pipe, a parallel load's worker), in bytes:
# about 6 of the reader's chunks (1-2 MiB of SQL each).
QUEUE_BYTES = 8 << 20
# pg_dump brackets large-object data with its own BEGIN/COMMIT; inside our transaction
# that COMMIT would commit everything loaded so far, so those top-level lines never reach psql.
_TRANSACTION_CONTROL = (b"BEGIN;", b"COMMIT;")


class LoadFailed(OperatorError):
    """psql stopped on an error; its transaction was rolled back."""


class RowsDiffer(LoadFailed):
    """The loaded tables are not the ones, or do not hold the rows, that ``LoadSpec.rows`` gave.

    The caller may load again without them, counting the archive itself: a manifest
    written by an older scanner may count an unusual dump differently.
    """


@dataclass(frozen=True)
class LoadSpec:
    """Where and how to load: the database, the client, and SQL to run first in the transaction."""

    target: ConnInfo
    client: ClientTools
    target_major: int
    prologue: str = ""
    sealed: str | None = None  # the archive's SHA-256 when it was checked: the load reads those bytes or fails
    work_mem_mb: int = 0  # ``[restore] maintenance_work_mem_mb``: raise the sessions' to this (0: the server's)
    # The rows per table pre-flight found in the ``sealed`` archive (its manifest's, or a deep
    # verify's): a parallel load checks the database against them instead of counting the
    # stream again.  The serial load always counts, inside its transaction.
    rows: Mapping[str, int] | None = None


def psql(spec: LoadSpec, *options: str, stdout: int | IO[bytes] = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """``psql -X -v ON_ERROR_STOP=1`` on the target, reading our pipe (the password only in its environment)."""
    argv = [spec.client.path("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *options, "-d", spec.target.conninfo()]
    proc = subprocess.Popen(
        argv,
        bufsize=0,
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **spec.target.env()},
        start_new_session=True,
    )
    assert proc.stdin is not None  # stdin=PIPE
    try:
        fcntl.fcntl(proc.stdin.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
    except OSError:
        pass  # a smaller pipe only costs a little speed
    return proc


class StderrTail(threading.Thread):
    """Drains psql's stderr (so it never blocks) and keeps the end for the error sentence."""

    def __init__(self, stream: IO[bytes]):
        super().__init__(daemon=True)
        self.stream, self.data = stream, bytearray()

    def run(self) -> None:
        for line in self.stream:
            self.data += line
            del self.data[:-_STDERR_KEEP]

    def first_error(self, codec: str = "utf-8") -> str:
        """The first error line; the server writes it in the session's client encoding."""
        lines = self.data.decode(codec, "replace").splitlines()
        errors = [ln for ln in lines if "ERROR:" in ln or "FATAL:" in ln or "error:" in ln]
        return (errors or lines or ["psql failed without a message"])[0].strip()


class PipeWriter(threading.Thread):
    """Writes to psql's stdin from its own thread, so decompression never waits for psql.

    A single loop that decompresses and then writes leaves psql idle while the next
    chunk is being decompressed; with a small queue between them (``QUEUE_BYTES``) both
    run at once.
    """

    def __init__(self, stdin: IO[bytes]):
        super().__init__(daemon=True)
        self.queue: ByteQueue[bytes | bytearray | memoryview | None] = ByteQueue(QUEUE_BYTES)
        self.stdin, self.failed = stdin, False
        self._finished = False

    def run(self) -> None:
        while (data := self.queue.get()) is not None:
            if not self.failed:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[self.stdin.write(view) :]
                except OSError:
                    self.failed = True  # psql is gone; keep draining so put() never blocks

    def put(self, data: bytes | bytearray | memoryview) -> None:
        if self.failed:
            raise BrokenPipeError("psql stopped reading")
        if data:
            self.queue.put(data, len(data))

    def finish(self) -> None:
        if not self._finished:
            self._finished = True
            self.queue.put(None, 0)
            self.join()


def rejected_lines(spec: LoadSpec) -> Callable[[bytes], bool] | None:
    """The top-level lines the target server or this psql would reject (None: none)."""
    return line_dropper(spec.target_major, (spec.client.major, spec.client.minor))


def _dropper(spec: LoadSpec) -> Callable[[bytes], bool]:
    """The top-level lines psql must not get: our transaction's enemies, and what the target rejects."""
    rejected = rejected_lines(spec)
    return lambda line: line in _TRANSACTION_CONTROL or bool(rejected and rejected(line))


def session_opening(spec: LoadSpec) -> bytes:
    """What every loading session runs first: quiet notices, our prologue, then its sort and hash
    memory (a query: in-place's prologue sets the transaction read-write, which must come first).
    Our own SQL is UTF-8; the dump then sets its own client_encoding."""
    return (
        b"SET client_min_messages = warning;\nSET client_encoding = 'UTF8';\n"
        + spec.prologue.encode()
        + _work_mem(spec.work_mem_mb)
        + b"RESET client_encoding;\n"
    )


def _work_mem(mb: int) -> bytes:
    """Raise the session's ``maintenance_work_mem`` to ``mb`` MB, where the server gives it less.

    Index builds sort in it, and a foreign key's check of the existing rows hashes one side
    of its join in it; what does not fit goes through temporary files.  Only this session's
    value changes, for as long as it loads; a server set higher keeps its own.  psql prints
    the new value, or nothing, to an output nobody reads.
    """
    if not mb:
        return b""
    return (
        f"SELECT pg_catalog.set_config('maintenance_work_mem', '{mb}MB', false) WHERE "
        f"pg_catalog.pg_size_bytes(pg_catalog.current_setting('maintenance_work_mem')) < {mb << 20};\n"
    ).encode()


def count_check(archive: Path, info: DumpInfo, expected: Mapping[str, int] | None = None) -> bytes:
    """The per-table row-count check that ends a load, once the whole dump was read and found complete.

    ``expected``: the counts to check against instead of ``info.rows``, for the tables the dump
    loaded (``RowsDiffer`` if it loaded others).
    """
    if not (info.header and info.complete):
        raise OperatorError(
            say(
                "{name} is not a complete pg_dump script (no header or no completion trailer); nothing was loaded",
                name=Path(archive).name,
            )
        )
    if expected is not None and set(expected) != set(info.rows):
        raise RowsDiffer(
            say(
                "{name} loaded other tables than pre-flight counted: {tables}",
                name=Path(archive).name,
                tables=", ".join(sorted(set(expected) ^ set(info.rows))[:5]),
            )
        )
    # The check names tables as the dump does, in the encoding the dump left the session in.
    rows = info.rows if expected is None else expected
    check = check_block(rows).encode(codec_for(info.encoding), "surrogateescape")
    return b"\nSET standard_conforming_strings = on;\n" + check


@dataclass(frozen=True)
class Loaded:
    """What was committed: the dump's facts (row counts per table) and the archive's SHA-256."""

    dump: DumpInfo
    sha256: str


def load_archive(archive: Path, spec: LoadSpec, reporter: Reporter | None = None) -> Loaded:
    """Load ``archive`` into ``spec.target`` in one transaction; return what the dump held.

    Raises ``CorruptArchive``, ``Cancelled`` or ``LoadFailed``; in every case nothing
    was committed.
    """
    # Its own clock, so rate and time left describe the load, not the steps before it.
    reporter = Reporter(reporter.callback, reporter.interval, reporter.cancel) if reporter else Reporter()
    total = Path(archive).stat().st_size
    reader = ArchiveReader(archive, on_read=lambda n: reporter("load", n, total), sealed=spec.sealed)
    scanner = DumpScanner(_dropper(spec))
    proc = psql(spec)
    assert proc.stdin is not None and proc.stderr is not None  # psql opens both pipes
    tail, writer = StderrTail(proc.stderr), PipeWriter(proc.stdin)
    tail.start()
    writer.start()
    committed = False
    try:
        writer.put(b"BEGIN;\n" + session_opening(spec))
        for chunk in reader:
            reporter.check_cancel()
            writer.put(scanner.filter(chunk))
        writer.put(scanner.rest())
        info = scanner.info
        writer.put(count_check(archive, info) + b"COMMIT;\n")
        writer.finish()
        proc.stdin.close()
        committed = proc.wait() == 0
    except BrokenPipeError:
        proc.wait()  # psql stopped reading: it failed, and says why below
    finally:
        if not committed and proc.poll() is None:
            proc.kill()  # the connection drops and the server rolls the transaction back
            proc.wait()
        writer.finish()
        tail.join(timeout=5)
    if not committed:
        raise LoadFailed(
            f"psql stopped on an error and nothing was committed: {tail.first_error(codec_for(scanner.info.encoding))}"
        )
    reporter("load", total, total, force=True)
    return Loaded(info, reader.sha256)
