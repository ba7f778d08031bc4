"""Load an archive into a scratch database over several connections at once.

A single psql session leaves the other cores idle while the server copies one table
after the other, and then builds one index after the other.  In swap mode (and
drills) the load goes into a scratch database that is swapped in only once it is
complete and checked, so it need not be one transaction, and the work can be spread
the way ``pg_restore -j`` spreads a directory dump, from the plain ``.sql.gz`` read
once:

- the schema (pre-data) runs first, in order, on one session ("main");
- the data: each ``COPY`` block goes to the least busy of ``jobs`` worker sessions
  (a big table is cut into pieces at row boundaries, so one table keeps every worker
  busy); what else the data section holds (sequence positions, large objects) runs
  on main meanwhile;
- post-data: indexes and PK/unique/exclusion/check constraints in parallel (the
  statements of one table on one session, so they never wait on each other's
  locks; a comment goes where its object went), then, once all are built, the
  rest in order on main: index attachments, foreign keys (after the PK/unique
  indexes they need), triggers, rules, policies, grants, materialized views;
- a foreign key's check of every existing row is what takes time, and two keys on
  tables that share a parent (``tenants``, say) lock each other out when added.  So
  main adds each key of an ordinary table ``NOT VALID`` (a catalog change, instant),
  and at the end the workers ``VALIDATE`` them, all of a table's keys on one worker,
  the biggest tables first: validating takes a lock that only conflicts on the table
  being checked, never on the parents.  The keys end up validated, as psql leaves
  them.  A key the dump already marks ``NOT VALID`` (or ``NOT ENFORCED``) stays so,
  and a key of a partitioned table (no ``ONLY``) is added as the dump says;
- the per-table row-count check last, on main, while the workers validate, against the
  counts pre-flight found in the same sealed bytes when it has them (``LoadSpec.rows``:
  counting the stream's lines again is the reader's biggest cost after inflating, on
  cores the server needs), else against the stream's own;
- autovacuum is off on the new tables from the end of the schema to the last key
  check (its lock would hold an index build or a ``VALIDATE`` up for a whole
  ``deadlock_timeout``), then back as the dump had it.

The dump is split only where ``DumpScanner`` (psql's own lexing: quotes, dollar
quotes, comments, COPY only at the top level) says a statement or a data block
starts, and pg_dump's ``-- Name: ...; Type: ...`` headers say which section an entry
belongs to.  Every session gets the settings the dump's own ``SET`` lines gave so far
(client_encoding, search_path, standard_conforming_strings, ...) before its next
piece.  Main is a psql, as the serial load's; the workers are direct connections, which
take the COPY pieces as data (``core/restore/sessions.py``).  Each session says when it
has run every piece, so the loader knows what each one is doing: barriers between
sections wait for that, and a session that stops is named with the table it was
working on.

Memory stays bounded: each session is fed through a queue bounded by the bytes it holds
(``core/restore/bytequeue.py``: a burst of statements for a busy session never holds the
loader up while the others are idle), and only one post-data entry (a few lines) is held
at a time.  A failure in any session kills the others; the caller drops the scratch
database.
"""

from __future__ import annotations

import collections
import os
import re
import secrets
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn, cast

from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.restore.load import (
    LoadFailed,
    Loaded,
    LoadSpec,
    RowsDiffer,
    count_check,
    load_archive,
    rejected_lines,
    session_opening,
)
from citaplanner_tui.core.restore.sessions import PsqlSession, Session, SocketSession
from citaplanner_tui.core.restore.swap import pause_point

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.stream.archive import ArchiveReader
from citaplanner_tui.core.stream.dumpscan import IDENTIFIER, LINE_CAP, TRAILER, DumpScanner, codec_for, table_key

# A table's data is cut into COPY pieces of about this size, so one big table keeps every worker
# busy.  A piece a quarter of a session's queue (8 MiB) or less lets a worker have its next piece
# waiting while it copies the current one: with 8 MiB pieces a worker that finished one sat idle
# until the loader had read the next one for it (500 MB, 2 workers: 5.55-5.90 s with 8 MiB
# pieces, 5.18-5.68 s with 2 MiB, 5.29-5.33 s with 1 MiB).
PIECE = 2 << 20
_TOC = re.compile(rb"^-- (?:[A-Za-z ]+ for )?Name: (.*?); Type: ([^;]+); Schema: ([^;]*);")
# pg_dump's data section; the schema comes before it, post-data after it.
DATA = {b"TABLE DATA", b"SEQUENCE SET", b"BLOBS", b"BLOB DATA", b"LARGE OBJECTS", b"STATISTICS DATA"}
# Post-data entries that only need their own table, built in parallel.
PARALLEL = {b"INDEX", b"CONSTRAINT"}
# Entries pg_dump writes right after the object they describe: they go where it went.
FOLLOWERS = {b"COMMENT", b"SECURITY LABEL"}
FOREIGN_KEY = b"FK CONSTRAINT"
_QUALIFIED = IDENTIFIER + rb"(?:\." + IDENTIFIER + rb")?"
# pg_dump's foreign key of an ordinary table; what follows its ``;`` is blank or ``--`` lines.
# A key the dump says is NOT VALID, or NOT ENFORCED (PostgreSQL 18: never validated), is left as it is.
_ADD_KEY = re.compile(
    rb"^ALTER TABLE ONLY (" + _QUALIFIED + rb")\s+ADD CONSTRAINT (" + IDENTIFIER + rb") FOREIGN KEY "
    rb".*?(?<!NOT VALID)(?<!NOT ENFORCED)(;)\s*(?:--[^\n]*\s*)*\Z",
    re.MULTILINE | re.DOTALL,
)
# A ';' that ends a statement, and what may hide one: quoted names, strings, comments.
_STATEMENT_END = re.compile(rb'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|--[^\n]*|/\*.*?\*/|(;)', re.DOTALL)
_TABLE = re.compile(rb"(?:^ALTER TABLE|\sON)(?: ONLY)? (" + _QUALIFIED + rb")", re.MULTILINE)
_SETTING = re.compile(rb"^(?:SET (\w+) =|SELECT pg_catalog\.set_config\('(\w+)')")
# Autovacuum would vacuum and analyze each table as soon as its first pieces commit, and its
# lock makes a primary key build or a VALIDATE wait a whole deadlock_timeout (1 s) before it
# gives way; psql's single transaction shows it nothing until the end.  So main turns it off
# on the new tables once the schema is in (not where the dump sets autovacuum_enabled itself,
# nor on tables it may not alter) and keeps their OIDs in a setting of its session; once
# every key is checked it turns it back on, and the tables have the options the dump gave.
# Each ALTER holds a lock to its transaction's end, so a commit every 500 tables keeps a
# schema of thousands of tables within the server's lock table.
_PAUSE_AUTOVACUUM = b"""
DO $cpt_autovacuum$
DECLARE
  t oid;
  paused oid[] := '{}';
BEGIN
  FOR t IN SELECT c.oid FROM pg_catalog.pg_class c
    WHERE c.relkind = 'r' AND c.oid >= 16384 AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
      AND NOT EXISTS (SELECT FROM pg_catalog.unnest(c.reloptions) o
                      WHERE pg_catalog.split_part(o, '=', 1) = 'autovacuum_enabled')
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s SET (autovacuum_enabled = false)', t::pg_catalog.regclass);
    paused := paused || t;
    IF pg_catalog.cardinality(paused) % 500 = 0 THEN
      COMMIT;
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('cpt.autovacuum_paused', paused::text, false);
END
$cpt_autovacuum$;
"""
_RESUME_AUTOVACUUM = b"""
DO $cpt_autovacuum$
DECLARE
  t oid;
  done int := 0;
BEGIN
  FOREACH t IN ARRAY pg_catalog.current_setting('cpt.autovacuum_paused')::oid[] LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s RESET (autovacuum_enabled)', t::pg_catalog.regclass);
    done := done + 1;
    IF done % 500 = 0 THEN
      COMMIT;
    END IF;
  END LOOP;
END
$cpt_autovacuum$;
"""
# What every session of the parallel load sets after the serial load's opening:
# - no parallel workers for an index build: the load already runs one build per session, one
#   session per core by default, and a build's own workers would only take cores from the other
#   sessions' builds (three interleaved pairs of 1 GB loads over 2 connections: the primary key
#   of 2.5 million ``appointments`` took 2.18-2.30 s instead of 2.28-2.43, the load 13.64-14.28 s
#   instead of 14.00-14.52).  So ``jobs`` is also what the load takes of the server: one process
#   per session;
# - commits that do not wait for their WAL to reach the disk: each data piece commits on its own,
#   and on a durable server (fsync on) the sessions of a 1 GB load waited for 905 WAL flushes;
#   now for 57, and the WAL writer makes the others in the background.  At this machine's
#   0.13 ms a flush that is no time to see; at a network disk's 1-2 ms it is 0.8-1.7 s of
#   waiting per GB, shared by the sessions.  Nothing of the scratch database needs to survive a
#   crash (the next run drops it), and the swap's commit flushes all the WAL written before it
#   (as any commit does that waits, the server's default), so the data is on disk before the
#   swapped database is live.
_SCRATCH_SESSION = b"SET max_parallel_maintenance_workers = 0;\nSET synchronous_commit = off;\n"
# Main counts every table while the workers validate the keys on the other cores, where a count's
# parallel workers would only take their cores: 1 GB was counted in 0.45 CPU-s alone, 0.73 with
# two parallel workers (and no sooner).  Only for the count: a materialized view refreshed before
# it, while the workers wait, may use the idle cores.
_COUNT_BESIDE = b"SET max_parallel_workers_per_gather = 0;\n"
_COUNTING = "checking every table's row count"
PRE, DATA_SECTION, POST_PARALLEL, POST = range(4)


def jobs_for(settings: Settings) -> int:
    """The connections a swap restore or drill loads over: ``[restore] jobs`` (``--jobs``); 0 is one per core."""
    return settings.restore.jobs or os.cpu_count() or 1


def load_scratch(archive: Path, spec: LoadSpec, jobs: int, reporter: Reporter | None = None) -> Loaded:
    """Load into a scratch database: over ``jobs`` sessions, or today's single transaction for ``jobs`` 1."""
    if jobs <= 1:
        return load_archive(archive, spec, reporter)
    return load_parallel(archive, spec, jobs, reporter)


@dataclass
class _Entry:
    """A post-data entry being read: its header's type and name, and its text so far."""

    kind: bytes
    name: str
    text: bytearray


class _Loader:
    """Routes the scanner's output to the sessions, section by section."""

    def __init__(self, spec: LoadSpec, jobs: int, reporter: Reporter):
        self.spec, self.reporter = spec, reporter
        self.codec = "utf-8"
        self.failure: tuple[Session, str, int] | None = None
        self.failed = threading.Event()
        ack = b"cpt_" + secrets.token_hex(8).encode()
        self.main: Session = PsqlSession(spec, ack, self._exited)
        self.workers: list[Session] = [SocketSession(spec, self._exited) for _ in range(jobs)]
        for s in self.sessions:
            s.send(session_opening(spec) + _SCRATCH_SESSION)
        self.settings: dict[bytes, bytes] = {}
        self.phase = PRE
        self.entry_name = "the start of the dump"
        self.copy: tuple[Session, bytes, str, int] | None = None  # worker, COPY line, table, bytes sent
        self.line_left = 0  # bytes of the COPY line still to come in the data (copy_begin gave it)
        self.entry: _Entry | None = None
        self.tables: dict[bytes, Session] = {}  # post-data: which worker has each table's statements
        self.sizes: collections.Counter[str] = collections.Counter()  # bytes of data per table
        self.checks: dict[bytes, list[bytes]] = {}  # per table, its foreign keys' VALIDATE statements
        self.previous: Session | None = None
        self.paused = False

    @property
    def sessions(self) -> list[Session]:
        return [self.main, *self.workers]

    # -- failures ---------------------------------------------------------------
    def _exited(self, session: Session, code: int) -> None:
        if code == 0 and session.closing:
            return
        with session.cond:
            if self.failure is None:
                self.failure = (session, session.doing, code)
        self.failed.set()
        for other in self.sessions:
            if other is not session:
                other.kill()

    def check(self) -> None:
        """Raise the first session's failure as one sentence naming what it was loading."""
        self.reporter.check_cancel()
        if self.failure is not None:
            session, doing, _ = self.failure
            given = session is self.main and doing == _COUNTING and self.spec.rows is not None
            raise (RowsDiffer if given else LoadFailed)(
                say(
                    "loading stopped on an error while {doing}, so nothing was committed to the live database: {error}",
                    doing=doing,
                    error=session.first_error(self.codec),
                )
            )

    def _send(self, session: Session, data: bytes | bytearray | memoryview) -> None:
        self.check()
        diff = [stmt for name, stmt in self.settings.items() if session.told.get(name) != stmt]
        try:
            if diff:
                session.send(b"".join(diff))
                session.told.update(self.settings)
            session.send(data)
        except BrokenPipeError:
            self.stopped(session)

    def _call(self, session: Session, step: Callable[[], None]) -> None:
        """``step`` (a session's copy_begin or copy_end), its stop said as ``_send`` says one."""
        try:
            step()
        except BrokenPipeError:
            self.stopped(session)

    def stopped(self, session: Session | None = None) -> NoReturn:
        """A session stopped taking work (any write to it, ``done``'s too, says so): raise why it
        stopped once it has said (it ends in a moment), else that it stopped."""
        self.failed.wait(5)
        self.check()
        if session is None:
            raise LoadFailed(say("a loading session stopped")) from None
        raise LoadFailed(say("a loading session stopped while {doing}", doing=session.doing)) from None

    def barrier(self, sessions: list[Session]) -> None:
        """Wait until every one of ``sessions`` has run all it was sent."""
        for s in sessions:
            while not s.idle():
                self.check()
                s.wait_idle(0.2)
        self.check()

    # -- routing ----------------------------------------------------------------
    def feed(self, out: bytes | bytearray, marks: list[tuple[int, str, object]]) -> None:
        view = memoryview(out)
        pos = 0
        for offset, kind, value in marks:
            self._segment(view[pos:offset], ends_copy=kind == "end")
            pos = offset
            if kind == "comment":
                self._header(cast(bytes, value))  # the marks' values by kind: core/stream/dumpscan.py
            elif kind == "statement":
                line, length = cast("tuple[bytes, int]", value)
                if match := _SETTING.match(line):
                    self.settings[match[1] or match[2]] = bytes(view[offset : offset + length])
                    pos = offset + length  # given to each session before its next piece
            elif kind == "copy":
                self._copy_start(cast(str, value), view[offset:])
            elif kind == "end":
                self._copy_end()
        self._segment(view[pos:], ends_copy=False)

    def _segment(self, data: memoryview, *, ends_copy: bool) -> None:
        if not data:
            return
        if self.copy is not None:
            self._copy_data(data, ends_copy)
        elif self.entry is not None:
            self.entry.text += data
        else:
            self._send(self.main, data)

    def _header(self, line: bytes) -> None:
        """A pg_dump entry header: where a new entry, and maybe a new section, starts."""
        if line == TRAILER:  # what follows pg_dump's last entry (``\\unrestrict``) is main's
            kind, what = b"", b"the end of the dump"
        elif (match := _TOC.match(line)) is None:
            return
        else:
            kind, what = match[2], match[1] if match[3] == b"-" else match[3] + b"." + match[1]
        name = f"{kind.decode(self.codec, 'replace')} {what.decode(self.codec, 'replace')}".strip()
        if self.phase == POST:
            self._dispatch_entry()  # a foreign key, read whole
        if self.phase != POST_PARALLEL:
            self.main.done(f"running {self.entry_name}")  # what main was sent up to here
        self.entry_name = name
        if self.phase == POST_PARALLEL:
            self._dispatch_entry()
            if kind in PARALLEL or kind in FOLLOWERS:
                self.entry = _Entry(kind, name, bytearray())
                return
            self.barrier(self.workers)  # everything else may need the indexes and constraints
            self.phase = POST
        elif self.phase == PRE and kind in DATA:
            self._send(self.main, _PAUSE_AUTOVACUUM)
            self.main.done("pausing autovacuum on the new tables")
            self.barrier([self.main])  # the tables exist, committed, before any worker copies into them
            self.phase = DATA_SECTION
        elif self.phase == DATA_SECTION and kind not in DATA:
            self.barrier(self.sessions)  # every row is in before any index or constraint is built
            self.phase = POST_PARALLEL if kind in PARALLEL else POST
            if kind in PARALLEL:
                self.entry = _Entry(kind, name, bytearray())
        if self.phase == POST and kind == FOREIGN_KEY:
            self.entry = _Entry(kind, name, bytearray())

    def _dispatch_entry(self) -> None:
        entry, self.entry = self.entry, None
        if entry is None or not entry.text.strip():
            return
        if entry.kind == FOREIGN_KEY:
            self._send(self.main, self._check_later(entry.text))
            return
        match = None if entry.kind in FOLLOWERS else _TABLE.search(entry.text)
        table = match[1] if match else None
        if entry.kind in FOLLOWERS and self.previous is not None:
            session = self.previous
        elif table is not None and table in self.tables:
            session = self.tables[table]
        else:
            session = self._least_busy()
        if table is not None:
            self.tables.setdefault(table, session)
        self.previous = session
        on = f" on {table.decode(self.codec, 'replace')}" if table else ""
        self._send(session, entry.text)
        session.done(f"creating {entry.name}{on}", self._weight(table) if entry.kind in PARALLEL else 0)

    def _weight(self, table: bytes | None) -> int:
        """What building an index or checking a key of ``table`` costs, roughly: its data's bytes.

        The workers are given post-data work by it, so the biggest table's index is not
        followed on the same worker by the next biggest while the other one sits idle.
        """
        return (self.sizes[table_key(table, self.codec)] if table is not None else 0) + 1

    def _check_later(self, text: bytearray) -> bytes:
        """An ordinary table's foreign key, added ``NOT VALID``; its ``VALIDATE`` waits for the end.

        Only where the key is the entry's last statement, as pg_dump writes it: in an edited
        dump, statements after it run as they are, and so does the key (checked as it is added).
        """
        match = _ADD_KEY.search(text)
        if match is None or any(m[1] for m in _STATEMENT_END.finditer(text, match.start(), match.start(3))):
            return bytes(text)
        table, key, end = match[1], match[2], match.start(3)
        self.checks.setdefault(table, []).append(b"ALTER TABLE ONLY " + table + b" VALIDATE CONSTRAINT " + key + b";\n")
        return bytes(text[:end] + b" NOT VALID" + text[end:])

    def _validate(self) -> None:
        """Validate the foreign keys over the workers: a table's on one, the costliest tables first."""
        cost = {table: self._weight(table) * len(keys) for table, keys in self.checks.items()}  # a scan per key
        for table in sorted(self.checks, key=cost.__getitem__, reverse=True):
            worker = self._least_busy()
            for statement in self.checks[table]:  # each its own transaction, as psql runs them
                self._send(worker, statement)
            worker.done(f"checking the foreign keys of {table.decode(self.codec, 'replace')}", cost[table])

    # -- data -----------------------------------------------------------------
    def _copy_start(self, table: str, rest: memoryview) -> None:
        if self.phase == POST_PARALLEL:  # not pg_dump's order: from here on, everything in order on main
            self._dispatch_entry()
            self.barrier(self.workers)
            self.phase = POST
        if self.phase != DATA_SECTION:
            return  # outside the data section a COPY runs on main, in order
        line = bytes(rest[: bytes(rest[:LINE_CAP]).find(b"\n") + 1])  # the scanner marks only whole lines
        self.copy, self.line_left = (self._least_busy(), line, table, 0), len(line)
        self._begin_piece()

    def _least_busy(self) -> Session:
        return min(self.workers, key=lambda w: w.busy)

    def _begin_piece(self) -> None:
        """The current table's next COPY piece starts on its worker, after the settings it lacks."""
        assert self.copy is not None  # called only inside a COPY
        worker, line, _, _ = self.copy
        self._send(worker, b"")
        self._call(worker, lambda: worker.copy_begin(line))

    def _copy_data(self, data: memoryview, ends_copy: bool) -> None:
        """The dump's COPY text goes to the workers as data only: its COPY line went with
        ``copy_begin``, its ``\\.`` line goes as ``copy_end``."""
        assert self.copy is not None  # called only inside a COPY's data
        worker, line, table, size = self.copy
        if self.line_left:
            skip = min(self.line_left, len(data))
            data, self.line_left = data[skip:], self.line_left - skip
        if ends_copy:  # the scanner's end mark follows the whole \\. line (no newline at the very end)
            data = data[: len(data) - (3 if bytes(data[-3:]) == b"\\.\n" else 2)]
        self.sizes[table] += len(data)
        if not ends_copy and size + len(data) >= PIECE:
            cut = bytes(data[-65536:]).rfind(b"\n")
            if cut >= 0:
                cut += len(data) - min(len(data), 65536) + 1
                self._send(worker, data[:cut])
                self._call(worker, worker.copy_end)
                worker.done(f"loading the data of {table}", size + cut)
                self.copy = (self._least_busy(), line, table, 0)
                self._begin_piece()
                data = data[cut:]
                worker, size = self.copy[0], 0
                if not data:
                    return
        self._send(worker, data)
        self.copy = (worker, line, table, size + len(data))
        if not self.paused:
            self.paused = True
            pause_point("loading")  # tests: a signal while the workers load

    def _copy_end(self) -> None:
        if self.copy is None:
            return
        worker, _, table, size = self.copy
        self._call(worker, worker.copy_end)
        worker.done(f"loading the data of {table}", size)
        self.copy = None

    # -- the end ----------------------------------------------------------------
    def finish(self, check: bytes) -> None:
        self._dispatch_entry()
        self.barrier(self.sessions)  # every key exists, NOT VALID, before any worker validates one
        self._validate()
        self._send(self.main, _COUNT_BESIDE + check)  # counting takes no lock the validations conflict with
        self.main.done(_COUNTING)
        if self.phase != PRE:  # the data section began, and main paused autovacuum there
            self.barrier(self.sessions)  # a VALIDATE holds the lock that turning autovacuum on takes
            self._send(self.main, _RESUME_AUTOVACUUM)
            self.main.done("turning autovacuum back on")
        for s in self.sessions:
            s.close()
        for s in self.sessions:
            while s.running():
                self.check()
                s.join(0.2)
            s.join()
        self.check()

    def kill(self) -> None:
        for s in self.sessions:
            s.kill()
        for s in self.sessions:
            s.wait_ended()


def load_parallel(archive: Path, spec: LoadSpec, jobs: int, reporter: Reporter | None = None) -> Loaded:
    """Load ``archive`` into the (scratch) database ``spec.target`` over ``jobs`` worker sessions.

    Raises ``CorruptArchive``, ``Cancelled`` or ``LoadFailed``; the database then holds
    part of the dump, and the caller drops it.
    """
    reporter = Reporter(reporter.callback, reporter.interval, reporter.cancel) if reporter else Reporter()
    total = Path(archive).stat().st_size
    reader = ArchiveReader(archive, on_read=lambda n: reporter("load", n, total), sealed=spec.sealed)
    scanner = DumpScanner(rejected_lines(spec), count_rows=spec.rows is None)
    loader = _Loader(spec, jobs, reporter)
    ok = False
    try:
        for chunk in reader:
            loader.codec = codec_for(scanner.info.encoding)
            loader.feed(*scanner.route(chunk))
        loader.feed(*scanner.route(None))
        loader.codec = codec_for(scanner.info.encoding)
        loader.finish(count_check(archive, scanner.info, spec.rows))
        ok = True
    except BrokenPipeError:  # written outside ``_send`` (an acknowledgement's SELECT): the same sentence
        loader.stopped()
    finally:
        if not ok:
            loader.kill()
    reporter("load", total, total, force=True)
    dump = scanner.info if spec.rows is None else replace(scanner.info, rows=dict(spec.rows))
    return Loaded(dump, reader.sha256)
