"""Read a plain-format pg_dump stream as it flows by, without holding it.

One scanner serves three jobs: the backup checks that the dump it is writing ends with
pg_dump's completion trailer (a dump cut short must never count as a backup), deep
verify checks the same on an archive, and restore counts the data rows of every
``COPY ... FROM stdin`` block so the loaded database can be checked table by table.
Row counting uses ``bytes.count`` over whole buffers, so it costs little next to
decompression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

    def __init__(self) -> None:
        self.info = DumpInfo()
        self._pending = bytearray()
        self._table: str | None = None
        self._lines_seen = 0

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
            del buf[:3]
            self._table = None
            return True
        end = buf.find(b"\n" + _END_OF_DATA)
        if end >= 0:
            self.info.rows[self._table] += buf.count(b"\n", 0, end + 1)
            del buf[:end + 4]
            self._table = None
            return True
        last = buf.rfind(b"\n")
        if last >= 0:
            self.info.rows[self._table] += buf.count(b"\n", 0, last + 1)
            del buf[:last + 1]
        return False

    def _statement_line(self) -> bool:
        nl = self._pending.find(b"\n")
        if nl < 0:
            return False
        line = bytes(self._pending[:nl])
        del self._pending[:nl + 1]
        self._lines_seen += 1
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
