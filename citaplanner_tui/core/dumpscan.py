"""Read a plain-format pg_dump stream as it flows by, without holding it.

One scanner serves three jobs: the backup checks that the dump it is writing ends with
pg_dump's completion trailer (a dump cut short must never count as a backup), deep
verify checks the same on an archive, and restore counts the data rows of every
``COPY ... FROM stdin`` block so the loaded database can be checked table by table.
Row counting uses ``bytes.count`` over whole buffers, so it costs little next to
decompression.  Restore also passes the stream on to psql through ``filter``, which
drops the statement lines (never COPY data) a ``drop_line`` predicate rejects, e.g.
settings an older target server does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

HEADER = b"-- PostgreSQL database dump"
TRAILER = b"-- PostgreSQL database dump complete"
_COPY = re.compile(rb"^COPY (.+?) \(.*\) FROM stdin;$")
_FROM = re.compile(rb"^-- Dumped from database version (\d+)(?:\.(\d+))?")
_BY = re.compile(rb"^-- Dumped by pg_dump version (\d+)(?:\.(\d+))?")
_END_OF_DATA = b"\\.\n"


@dataclass
class DumpInfo:
    """What a scan found: header facts, per-table row counts, whether it is complete."""

    header: bool = False
    complete: bool = False
    server_version: tuple[int, int] | None = None
    pg_dump_version: tuple[int, int] | None = None
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


class DumpScanner:
    """Feed decompressed chunks in order; read ``info`` at the end."""

    def __init__(self, drop_line: Callable[[bytes], bool] | None = None) -> None:
        self.info = DumpInfo()
        self._pending = bytearray()
        self._table: str | None = None
        self._lines_seen = 0
        self._drop_line = drop_line
        self._out: bytearray | None = None

    def filter(self, chunk: bytes) -> bytearray:
        """Feed ``chunk``; return the complete lines read so far, minus dropped statement lines."""
        out = self._out = bytearray()
        try:
            self.feed(chunk)
        finally:
            self._out = None
        return out

    def rest(self) -> bytes:
        """At the end of the stream: the unterminated last line, if any (passed on unfiltered)."""
        return bytes(self._pending)

    def feed(self, chunk: bytes) -> None:
        self.info.bytes += len(chunk)
        self._pending += chunk
        while self._pending:
            if self._table is not None:
                if not self._copy_data():
                    return
            elif not self._statement_line():
                return

    def _copy_data(self) -> bool:
        """Count complete data lines; return False when more input is needed."""
        buf = self._pending
        if buf.startswith(_END_OF_DATA):
            self._pass(3)
            self._table = None
            return True
        end = buf.find(b"\n" + _END_OF_DATA)
        if end >= 0:
            self.info.rows[self._table] += buf.count(b"\n", 0, end + 1)
            self._pass(end + 4)
            self._table = None
            return True
        last = buf.rfind(b"\n")
        if last >= 0:
            self.info.rows[self._table] += buf.count(b"\n", 0, last + 1)
            self._pass(last + 1)
        return False

    def _pass(self, n: int) -> None:
        """Consume ``n`` bytes of the buffer, handing them on when filtering."""
        if self._out is not None:
            with memoryview(self._pending) as view:
                self._out += view[:n]  # no intermediate copy of the slice
        del self._pending[:n]

    def _statement_line(self) -> bool:
        nl = self._pending.find(b"\n")
        if nl < 0:
            return False
        line = bytes(self._pending[:nl])
        del self._pending[:nl + 1]
        self._lines_seen += 1
        if self._out is not None and not (self._drop_line and self._drop_line(line)):
            self._out += line + b"\n"
        if line.startswith(b"--"):
            self._comment(line)
        elif line.startswith(b"COPY "):
            match = _COPY.match(line)
            if match:
                self._table = _table_name(match[1])
                self.info.rows.setdefault(self._table, 0)
        elif line.strip() and not line.startswith((b"\\", b"SET ", b"SELECT ")):
            # Any statement after the trailer means the trailer was not the end.
            self.info.complete = False
        return True

    def _comment(self, line: bytes) -> None:
        if line == HEADER and self._lines_seen <= 10:
            self.info.header = True
        elif line == TRAILER:
            self.info.complete = True
        elif match := _FROM.match(line):
            self.info.server_version = (int(match[1]), int(match[2] or 0))
        elif match := _BY.match(line):
            self.info.pg_dump_version = (int(match[1]), int(match[2] or 0))


def _table_name(raw: bytes) -> str:
    """``public.users`` or ``public."camelCase"`` -> ``public.users`` / ``public.camelCase``."""
    return raw.decode("utf-8").replace('"', "")
