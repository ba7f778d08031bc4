"""Read a plain-format pg_dump stream as it flows by, the way psql will read it, without holding it.

One scanner serves three jobs: the backup checks that the dump it is writing ends with
pg_dump's completion trailer (a dump cut short must never count as a backup), deep
verify checks the same on an archive, and restore counts the data rows of every
``COPY ... FROM stdin`` block so the loaded database can be checked table by table.
Restore also passes the stream on to psql through ``filter``, which drops the few
top-level lines a ``drop_line`` predicate rejects (settings an older server does not
know, transaction control that would end our own transaction).

Where a data block starts is decided as psql decides it: a ``COPY`` statement at the
top level of the script, never text inside a comment, a quoted literal or identifier,
or a dollar-quoted function body (a body holding ``COPY t FROM stdin;`` on a line of
its own is just text).  pg_dump writes these statements on one line right after its
``-- Data for Name: ...; Type: TABLE DATA`` header; the lexer below tracks quotes,
dollar quotes, comments and parentheses across chunk boundaries, so it knows the top
level exactly.  (psql also keeps ``BEGIN ATOMIC`` bodies together; semicolons inside
those are taken here as statement ends, which is harmless: such a body holds only
deparsed SQL, never a ``COPY``, ``SET`` or comment line.)

Memory stays bounded whatever the line length: data lines are passed on and counted
in whole buffers (``bytes.count``), and only lines between statements (comments,
``SET``, the ``COPY`` line itself) are held, up to ``LINE_CAP``.  Names are kept in
the dump's own encoding (its ``SET client_encoding``) and decoded losslessly.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Callable

HEADER = b"-- PostgreSQL database dump"
TRAILER = b"-- PostgreSQL database dump complete"
LINE_CAP = 1 << 20  # a line between statements longer than this is an ordinary statement
IDENTIFIER = rb'(?:"(?:[^"]|"")*"|[^\s".(),;]+)'
_COPY = re.compile(
    rb"^COPY (" + IDENTIFIER + rb"(?:\." + IDENTIFIER + rb")*)"
    rb'(?: \((?:"(?:[^"]|"")*"|[^"()])*\))? +FROM stdin;$'
)
_PART = re.compile(IDENTIFIER)
_SET = re.compile(rb"^SET (\w+) = (.*);$")
_FROM = re.compile(rb"^-- Dumped from database version (\d+)(?:\.(\d+))?")
_BY = re.compile(rb"^-- Dumped by pg_dump version (\d+)(?:\.(\d+))?")
# Inside a statement: what can change the lexer's state, or may once more bytes arrive.
_SPECIAL = re.compile(rb"['\"$;()]|--|/\*|[-/]\Z")
_DOLLAR = re.compile(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
_DOLLAR_PART = re.compile(rb"\$[A-Za-z_\x80-\xff]?[A-Za-z0-9_\x80-\xff]*\Z")
_COMMENT_END = re.compile(rb"/\*|\*/|[/*]\Z")
_ESCAPED = re.compile(rb"['\\]")
_NONBLANK = re.compile(rb"[^ \t\r\n]")
_IDENT_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$") | frozenset(
    range(0x80, 0x100)
)
_END_OF_DATA = b"\n\\.\n"
_FIND_END = re.compile(re.escape(_END_OF_DATA)).search  # faster than bytes.find on this needle
# PostgreSQL encoding names Python spells differently; the rest are found by codecs.lookup.
_CODECS = {
    "SQL_ASCII": "utf-8",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "SJIS": "shift_jis",
    "UHC": "cp949",
    "EUC_CN": "gb2312",
    "KOI8R": "koi8_r",
    "KOI8U": "koi8_u",
    "ISO_8859_5": "iso8859_5",
    "ISO_8859_6": "iso8859_6",
    "ISO_8859_7": "iso8859_7",
    "ISO_8859_8": "iso8859_8",
    "ALT": "cp866",
}

# Lexer states.
(TOP, STATEMENT, QUOTE, ESCAPE_QUOTE, IDENT, DOLLAR, LINE_COMMENT, LONG_LINE, BLOCK_COMMENT, AFTER, COPY_DATA) = range(
    11
)


def codec_for(encoding: str) -> str:
    """The Python codec for a PostgreSQL encoding name (``ascii`` when Python has none).

    Used with ``surrogateescape``, so bytes always survive a decode/encode round trip.
    """
    name = encoding.upper()
    if name.startswith("WIN") and name[3:].isdigit():
        name = "cp" + name[3:]
    try:
        return codecs.lookup(_CODECS.get(name, name)).name
    except LookupError:
        return "ascii"


def name_key(parts: list[str]) -> str:
    """``["public", "camelCase"]`` -> ``public.camelCase``; parts holding ``.`` or ``"`` are quoted."""
    return ".".join(p if p and '"' not in p and "." not in p else '"' + p.replace('"', '""') + '"' for p in parts)


def table_key(qualified: bytes, codec: str) -> str:
    """A table's name as the dump writes it (``public."Account"``), as ``name_key`` keys it."""
    parts = [m[0].decode(codec, "surrogateescape") for m in _PART.finditer(qualified)]
    return name_key([p[1:-1].replace('""', '"') if p.startswith('"') else p for p in parts])


def split_key(key: str) -> list[str]:
    """The inverse of ``name_key``: ``s."a.b"`` -> ``["s", "a.b"]``."""
    parts = [
        m[1].replace('""', '"') if m[1] is not None else m[2] for m in re.finditer(r'"((?:[^"]|"")*)"|([^.]+)', key)
    ]
    return parts


@dataclass
class DumpInfo:
    """What a scan found: header facts, per-table row counts, whether it is complete.

    ``rows`` is keyed by ``name_key`` of each ``COPY`` target (``schema.table``);
    ``encoding`` is the dump's last ``SET client_encoding`` (PostgreSQL's name).
    """

    header: bool = False
    complete: bool = False
    server_version: tuple[int, int] | None = None
    pg_dump_version: tuple[int, int] | None = None
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    encoding: str = "UTF8"


class DumpScanner:
    """Feed decompressed chunks in order (``feed``, or ``filter`` to get them back); read ``info``.

    ``count_rows`` False: ``info.rows`` names every table with a COPY block but holds 0 for
    each.  Counting the data lines is the scan's biggest cost after inflating; a parallel
    restore whose expected counts pre-flight already has (from the same, sealed, bytes) skips it.
    """

    def __init__(self, drop_line: Callable[[bytes], bool] | None = None, *, count_rows: bool = True) -> None:
        self.info = DumpInfo()
        self._count_rows = count_rows
        self._buf = bytearray()
        self._state = TOP
        self._depth = 0  # parentheses (psql ends a statement only at a ';' outside them)
        self._nesting = 0  # block comments nest
        self._tag = b""  # the open dollar quote
        self._prev = b"\n\n"  # the two bytes before the buffer, for E'...' and identifiers ending in $
        self._line_start = True  # in COPY data: the next byte starts a line
        self._table: str | None = None
        self._lines_seen = 0
        self._backslash_quotes = False  # standard_conforming_strings = off
        self._drop_line = drop_line
        self._out: bytearray | None = None
        self._emitted = 0
        self._marks: list[tuple[int, str, object]] | None = None

    # -- public -------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        self.info.bytes += len(chunk)
        self._buf += chunk
        self._run(final=False)

    def filter(self, chunk: bytes) -> bytearray:
        """Feed ``chunk``; return what psql should get so far (all of it but dropped lines)."""
        out = self._out = bytearray()
        try:
            self.feed(chunk)
        finally:
            self._out = None
        return out

    def rest(self) -> bytes:
        """At the end of the stream: whatever was held back (an unterminated last line)."""
        out = self._out = bytearray()
        try:
            self._run(final=True)
        finally:
            self._out = None
        return bytes(out)

    def route(self, chunk: bytes | None) -> tuple[bytes | bytearray, list[tuple[int, str, object]]]:
        """``filter(chunk)`` (``rest()`` for None), plus where the output's top-level landmarks are.

        Each mark is ``(offset in the output, kind, value)``: ``("comment", line)`` where a
        comment line starts, ``("statement", (line, length))`` where a one-line statement
        starts, ``("copy", table)`` where a ``COPY ... FROM stdin`` line starts and ``("end",
        None)`` just after its ``\\.`` line.  The parallel restore splits the stream there, so
        it cuts exactly where psql's own lexer would see statement boundaries.
        """
        self._marks = []
        try:
            out = self.filter(chunk) if chunk is not None else self.rest()
        finally:
            marks, self._marks = self._marks, None
        return out, marks

    def _mark(self, at: int, kind: str, value: object = None) -> None:
        if self._marks is not None and self._out is not None:  # both set while route() runs
            self._emit(at)
            self._marks.append((len(self._out), kind, value))

    # -- the loop -------------------------------------------------------------
    def _run(self, final: bool) -> None:
        buf, pos, self._emitted = self._buf, 0, 0
        while pos < len(buf):
            if self._state == COPY_DATA:
                new = self._copy_data(buf, pos, final)
            elif self._state == TOP:
                new = self._top_line(buf, pos, final)
            else:
                new = self._lex(buf, pos, len(buf), final)
            if new is None:
                break
            pos = new
        if final:
            pos = len(buf)
        self._emit(pos)
        self._prev = (self._prev + bytes(buf[max(0, pos - 2) : pos]))[-2:]
        del buf[:pos]

    def _emit(self, upto: int) -> None:
        """Hand on the bytes consumed since the last emit (when filtering)."""
        if self._out is not None and upto > self._emitted:
            with memoryview(self._buf) as view:
                self._out += view[self._emitted : upto]
        self._emitted = max(self._emitted, upto)

    def _drop(self, start: int, end: int) -> None:
        self._emit(start)
        self._emitted = end

    # -- COPY data ------------------------------------------------------------
    def _copy_data(self, buf: bytearray, pos: int, final: bool) -> int | None:
        """Count whole data lines up to the ``\\.`` line; hold back at most 3 bytes."""
        rows = self.info.rows
        assert self._table is not None  # set on entering COPY
        if self._line_start:
            head = bytes(buf[pos : pos + 3])
            if head == b"\\.\n" or (final and head == b"\\."):
                return self._end_copy(pos + len(head))
            if b"\\.\n".startswith(head) and not final:
                return None  # too few bytes to tell
        if found := _FIND_END(buf, pos):
            end = found.start()
            if self._count_rows:
                rows[self._table] += buf.count(b"\n", pos, end + 1)
            return self._end_copy(end + 4)
        safe = len(buf)
        if not final:
            for k in (3, 2, 1):  # a suffix that may begin the terminator waits for more bytes
                if safe - pos >= k and buf.endswith(_END_OF_DATA[:k]):
                    safe -= k
                    break
        if safe == pos:
            return None
        if self._count_rows:
            rows[self._table] += buf.count(b"\n", pos, safe)
        self._line_start = buf[safe - 1] == 0x0A
        return safe

    def _end_copy(self, pos: int) -> int:
        self._state, self._table = TOP, None
        self._mark(pos, "end")
        return pos

    # -- between statements -------------------------------------------------------
    def _top_line(self, buf: bytearray, pos: int, final: bool) -> int | None:
        """At a line start between statements: a comment, a psql command, or a statement begins."""
        nl = buf.find(b"\n", pos, pos + LINE_CAP)
        if nl < 0 and not final:
            if len(buf) - pos < LINE_CAP:
                return None
            # Longer than any line pg_dump writes between statements: nothing to look at, stream it.
            self._state = LONG_LINE if buf.startswith((b"--", b"\\"), pos) else STATEMENT
            return pos
        end = len(buf) if nl < 0 else nl + 1
        text = bytes(buf[pos:end]).strip()
        self._lines_seen += 1
        if not text:
            return end
        if text.startswith(b"--"):
            self._mark(pos, "comment", text)
            self._comment(text)
            return end
        if text.startswith(b"\\"):  # a psql meta-command runs to the end of its line
            if self._drop_line and self._drop_line(text):
                self._drop(pos, end)
            return end
        if self.info.complete and not text.startswith((b"SET ", b"SELECT ")):
            self.info.complete = False  # a statement after the trailer: it was not the end
        self._state = STATEMENT
        after = self._lex(buf, pos, end, True)
        if self._state == AFTER and not bytes(buf[after:end]).strip():
            self._state = TOP  # one whole statement on this line
            self._statement_line(text, pos, end)
            return end
        return after

    def _statement_line(self, text: bytes, start: int, end: int) -> None:
        if self._drop_line and self._drop_line(text):
            self._drop(start, end)
            return
        if match := _COPY.match(text):
            self._table = table_key(match[1], codec_for(self.info.encoding))
            self.info.rows.setdefault(self._table, 0)
            self._mark(start, "copy", self._table)
            self._state, self._line_start = COPY_DATA, True
            return
        self._mark(start, "statement", (text, end - start))
        if match := _SET.match(text):
            name, value = match[1].lower(), match[2].strip(b"'").decode("ascii", "replace")
            if name == b"client_encoding":
                self.info.encoding = value
            elif name == b"standard_conforming_strings":
                self._backslash_quotes = value.lower() == "off"

    def _comment(self, line: bytes) -> None:
        if line == HEADER and self._lines_seen <= 10:
            self.info.header = True
        elif line == TRAILER:
            self.info.complete = True
        elif match := _FROM.match(line):
            self.info.server_version = (int(match[1]), int(match[2] or 0))
        elif match := _BY.match(line):
            self.info.pg_dump_version = (int(match[1]), int(match[2] or 0))

    # -- inside a statement ---------------------------------------------------------
    def _lex(self, buf: bytearray, pos: int, end: int, final: bool) -> int | None:
        """Lex ``buf[pos:end]``; stop after a statement's closing ``;`` (state AFTER), at a
        return to the top level, or at ``end``.

        Returns where it stopped, or None when the next token needs bytes not read yet
        (``final`` says none will come, or ``end`` is a line end, so every token is whole).
        """
        start = pos
        whole = final or end < len(buf)
        while pos < end:
            state = self._state
            if state == STATEMENT:
                m = _SPECIAL.search(buf, pos, end)
                if m is None:
                    return end
                i, tok = m.start(), m[0]
                if tok in (b"-", b"/"):  # may start -- or /* with the next chunk
                    if not whole:
                        return self._held(start, i)
                    pos = i + 1
                elif tok == b";":
                    if self._depth == 0:
                        self._state = AFTER
                        return i + 1
                    pos = i + 1
                elif tok == b"(":
                    self._depth, pos = self._depth + 1, i + 1
                elif tok == b")":
                    self._depth, pos = max(0, self._depth - 1), i + 1
                elif tok == b"--":
                    self._state, pos = LINE_COMMENT, i + 2
                elif tok == b"/*":
                    self._state, self._nesting, pos = BLOCK_COMMENT, 1, i + 2
                elif tok == b'"':
                    self._state, pos = IDENT, i + 1
                elif tok == b"'":
                    p1, p2 = self._before(buf, i)
                    escape = self._backslash_quotes or (p1 in b"Ee" and p2 not in _IDENT_BYTES)
                    self._state, pos = (ESCAPE_QUOTE if escape else QUOTE), i + 1
                else:  # "$": a dollar quote, unless it continues an identifier or is a $1 parameter
                    if self._before(buf, i)[0] in _IDENT_BYTES:
                        pos = i + 1
                    elif dm := _DOLLAR.match(buf, i, end):
                        self._state, self._tag, pos = DOLLAR, dm[0], dm.end()
                    elif not whole and end - i < 1024 and _DOLLAR_PART.match(buf, i, end):
                        return self._held(start, i)
                    else:
                        pos = i + 1
            elif state in (QUOTE, IDENT):
                quote = 0x27 if state == QUOTE else 0x22
                i = buf.find(quote, pos, end)
                if i < 0:
                    return end
                if i + 1 >= end and not whole:
                    return self._held(start, i)
                if i + 1 < end and buf[i + 1] == quote:
                    pos = i + 2  # a doubled quote stays inside
                else:
                    self._state, pos = STATEMENT, i + 1
            elif state == ESCAPE_QUOTE:
                m = _ESCAPED.search(buf, pos, end)
                if m is None:
                    return end
                i = m.start()
                if i + 1 >= end and not whole:
                    return self._held(start, i)
                if buf[i] == 0x5C or (i + 1 < end and buf[i + 1] == 0x27):
                    pos = i + 2  # \x or ''
                else:
                    self._state, pos = STATEMENT, i + 1
            elif state == DOLLAR:
                i = buf.find(self._tag, pos, end)
                if i >= 0:
                    self._state, pos = STATEMENT, i + len(self._tag)
                elif whole:
                    return end
                else:  # the closing tag may be cut by the chunk's end
                    return self._held(start, max(pos, end - len(self._tag) + 1))
            elif state in (LINE_COMMENT, LONG_LINE):
                i = buf.find(b"\n", pos, end)
                if i < 0:
                    return end
                self._state, pos = (STATEMENT if state == LINE_COMMENT else TOP), i + 1
                if self._state == TOP:
                    return pos
            elif state == BLOCK_COMMENT:
                m = _COMMENT_END.search(buf, pos, end)
                if m is None:
                    return end
                if len(m[0]) == 1:  # a lone / or * at the chunk's end
                    if not whole:
                        return self._held(start, m.start())
                    pos = m.end()
                    continue
                self._nesting += 1 if m[0] == b"/*" else -1
                pos = m.end()
                if self._nesting == 0:
                    self._state = STATEMENT
            else:  # AFTER a statement's ';': the rest of its line
                m = _NONBLANK.search(buf, pos, end)
                nl = buf.find(b"\n", pos, m.start() if m else end)
                if nl >= 0:
                    self._state = TOP
                    return nl + 1
                if m is None:
                    return end
                self._state = LONG_LINE if buf.startswith(b"--", m.start()) else STATEMENT
                pos = m.start()  # a comment, or another statement on the same line
        return pos

    @staticmethod
    def _held(start: int, i: int) -> int | None:
        """Stop before ``buf[i]``, which needs more bytes to be understood."""
        return i if i > start else None

    def _before(self, buf: bytearray, i: int) -> tuple[int, int]:
        """The two bytes before ``buf[i]`` (from the previous chunk when needed), as ints."""
        joined = (self._prev + bytes(buf[max(0, i - 2) : i]))[-2:]
        return joined[1], joined[0]
