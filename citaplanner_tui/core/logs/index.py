"""A line index over a log file of any size, for viewers that show a window of it.

A 1 GB log has millions of lines; holding their offsets in a Python list costs
hundreds of megabytes and seconds to build.  Instead we keep, for every 8 KiB
block of the file, how many newlines come before it (``_cum``), counted with
``bytes.count`` on an ``mmap`` (C speed: the whole file is read once).  Finding line
*n* is a binary search over the blocks plus a scan inside one block, so a viewer
reads only the lines it shows.  ``refresh()`` indexes what was appended since, and
starts over when the file was rotated (new inode) or truncated (smaller size).  The
table costs 1 MiB per GiB of log; blocks that small halve a level filter's time
against 64 KiB ones (a line number is counted from at most 4 KiB away, and fewer
blocks hold a marker's first byte); indexing stays within the machine's noise of what it
was, and the level marks take about a fifth longer (more blocks, each a few calls).

Level filters and searches find literal markers in the mapped bytes (``mmap.find``,
also C speed), check the line each one sits on with a regular expression, and turn
offsets into line numbers with the same block table.  An untimed line takes the
level of the entry it continues (``core.logs.lines.untimed_level``), so a level filter is
a ``LevelFilter`` that remembers where it stopped and goes on as the file grows.

For level filters, ``mark()`` notes for every block which level markers' first bytes it
holds and whether a line in it starts untimed (``_marks``; as long again as counting the
lines, so a viewer does it after showing them, and a filter marks what is still unmarked
itself).  A filter then searches only the blocks that can hold what it wants: a
WARN+ERROR filter over a 1 GB log of ours reads the few blocks with a ``W``, ``E`` or
emoji and never looks for a client tool's lower-case ``error:`` at all (timed lines
only), where searching the whole file for each marker took seconds.
"""

from __future__ import annotations

import mmap
import os
import re
from array import array
from bisect import bisect_left
from datetime import date
from functools import cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from citaplanner_tui.core.logs.lines import EMOJI, LEVELS, TOOL_LINE, TOOL_SEVERITY, parse_line

BLOCK = 8 * 1024
SCAN = 4 * 2**20  # bytes searched per call while holding the GIL
PROBE_SAMPLE = 64 * 1024  # bytes of each of the four samples a needle's probe byte is chosen from
RARE_PROBE = 4096  # a probe byte is used when it is rarer than one in this many bytes
MAX_LINE_CHARS = 4096  # a runaway line is shown cut, never read whole into a screen row

_ANSI = rb"(?:\x1b\[[0-9;]*[A-Za-z])*"
_MARKERS = {level.encode(): level for level in LEVELS} | {e.encode(): lv for e, lv in EMOJI}
_TIMED = _ANSI + rb"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]"
# A block's marks: one bit per first byte of a level marker, and one for "a line starting in it
# may be a client tool's" (it starts with neither "[" nor an ANSI escape, as every timed line does).
_FIRST_BYTES = tuple(sorted({m[:1] for m in _MARKERS}))
_UNTIMED = 1 << len(_FIRST_BYTES)
_UNTIMED_START = re.compile(rb"\n(?=[^\[\x1b])")  # the newline before an untimed line


@cache
def _line_heads() -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """The timed head, the timed head with a level marker, a client tool's head: compiled on
    first use, since the dashboard imports this module before its first paint and compiling
    them was a tenth of the console's start-up."""
    markers = b"|".join(re.escape(m) for m in sorted(_MARKERS, key=len, reverse=True))
    return (
        re.compile(_TIMED),
        re.compile(_TIMED + _ANSI + rb"[ \t]*(" + markers + rb")"),
        re.compile(TOOL_LINE.encode()),
    )


# What a tool's ERROR or WARN line holds that no level marker already finds ("ERROR:" and
# "WARNING:" are found by the markers "ERROR" and "WARN").
_TOOL_NEEDLES = {
    level: [w.encode() + b":" for w, lv in TOOL_SEVERITY.items() if lv == level and w.islower()]
    for level in set(TOOL_SEVERITY.values())
}


def _block_marks(block: bytes, *, first: bool) -> int:
    """The marks of one block (``block`` starts with the byte before it, unless ``first``): the
    markers' first bytes it holds, and ``_UNTIMED`` when a line starting in it is not timed."""
    body = 0 if first else 1
    marks = sum(1 << i for i, byte in enumerate(_FIRST_BYTES) if block.find(byte, body) >= 0)
    if _UNTIMED_START.search(block) or (first and block[:1] not in (b"[", b"\x1b")):
        marks |= _UNTIMED
    return marks


@cache
def _selector(mark: int) -> bytes:
    """A ``translate`` table turning a block's marks into 1 where ``mark`` is among them, else 0."""
    return bytes(1 if m & mark else 0 for m in range(256))


class Superseded(Exception):
    """Raised by a progress callback to stop a scan nobody wants any more."""


class LineIndex:
    """Line numbers to byte offsets for one file; call ``refresh()`` to follow it."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._inode: tuple[int, int] | None = None
        self._size = 0
        self._cum = array("q", [0])  # _cum[k]: newlines in bytes [0, k * BLOCK)
        self._marks = bytearray()  # _marks[k]: what block k may hold (``_block_marks``)
        self._tail_newlines = 0
        self._ends_with_newline = True
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self.generation = 0  # bumped whenever the file was replaced or truncated

    # -- following the file ------------------------------------------------------------
    def refresh(self) -> bool:
        """Index what changed since the last call; True if the content changed.

        A missing file reads as empty (the day's log may not exist yet).
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            changed = self._size != 0 or self._inode is not None
            self._reset(None)
            return changed
        inode = (st.st_dev, st.st_ino)
        if inode != self._inode or st.st_size < self._size:
            self._reset(inode)
        if st.st_size == self._size and self._map is not None:
            return False
        self._remap(st.st_size)
        self._extend(st.st_size)
        return True

    def _reset(self, inode: tuple[int, int] | None) -> None:
        self.close()
        self._inode, self._size = inode, 0
        self._cum, self._marks = array("q", [0]), bytearray()
        self._tail_newlines, self._ends_with_newline = 0, True
        self.generation += 1

    def _remap(self, size: int) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        if size:
            self._map = mmap.mmap(self._fd, size, access=mmap.ACCESS_READ)

    def _extend(self, size: int) -> None:
        mm: mmap.mmap | bytes = self._map if self._map is not None else b""  # an empty file is not mapped
        full_blocks = size // BLOCK
        cum, newlines = self._cum, self._cum[-1]
        for k in range(len(cum) - 1, full_blocks):  # tight: at 8 KiB, a 1 GiB log is 131,072 turns
            newlines += mm[k * BLOCK : (k + 1) * BLOCK].count(b"\n")
            cum.append(newlines)
        self._tail_newlines = mm[full_blocks * BLOCK : size].count(b"\n") if mm else 0
        self._size = size
        self._ends_with_newline = size == 0 or mm[size - 1 : size] == b"\n"

    @property
    def unmarked(self) -> int:
        """Whole blocks ``mark()`` has still to mark."""
        return len(self._cum) - 1 - len(self._marks)

    def mark(self, upto: int | None = None) -> None:
        """Mark the whole blocks not marked yet (up to block ``upto``) for the level filters."""
        end = len(self._cum) - 1 if upto is None else min(upto, len(self._cum) - 1)
        for k in range(len(self._marks), end):
            head = k * BLOCK - 1 if k else 0  # with the newline before a line starting at the block's first byte
            self._marks.append(_block_marks(self._mm[head : (k + 1) * BLOCK], first=k == 0))

    @property
    def _mm(self) -> mmap.mmap:
        """The mapped file, for the readers below: they run only while it holds bytes."""
        assert self._map is not None, "read before refresh() mapped a non-empty file"
        return self._map

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- lines ----------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    @property
    def newlines(self) -> int:
        return self._cum[-1] + self._tail_newlines

    def __len__(self) -> int:
        """Number of lines; a last line without a newline counts."""
        return self.newlines + (0 if self._ends_with_newline else 1)

    def _newline_offset(self, n: int) -> int:
        """Byte offset of the n-th newline (1-based)."""
        k = bisect_left(self._cum, n) - 1  # last block with fewer than n newlines before it
        pos, remaining = k * BLOCK, n - self._cum[k]
        while True:
            pos = self._mm.find(b"\n", pos) + 1
            remaining -= 1
            if remaining == 0:
                return pos - 1

    def offset(self, line: int) -> int:
        """Byte offset where ``line`` (0-based) starts."""
        return 0 if line <= 0 else self._newline_offset(line) + 1

    def lines(self, start: int, count: int) -> list[str]:
        """Up to ``count`` lines from ``start``, decoded leniently, without newlines."""
        total = len(self)
        if self._map is None or start >= total or count <= 0:
            return []
        start = max(0, start)
        pos, out = self.offset(start), []
        for _ in range(min(count, total - start)):
            end = self._mm.find(b"\n", pos, self._size)
            end = self._size if end < 0 else end
            raw = self._mm[pos : min(end, pos + MAX_LINE_CHARS * 4)]
            out.append(raw.decode("utf-8", "replace")[:MAX_LINE_CHARS])
            pos = end + 1
        return out

    def line_of_offset(self, offset: int) -> int:
        """The 0-based line holding the byte at ``offset``: the newlines before it, counted from
        the nearer end of its block (a level filter asks this of every line it finds)."""
        k = min(offset // BLOCK, len(self._cum) - 1)
        if k + 1 < len(self._cum) and offset - k * BLOCK > BLOCK // 2:
            return self._cum[k + 1] - self._mm[offset : (k + 1) * BLOCK].count(b"\n")
        return self._cum[k] + self._mm[k * BLOCK : offset].count(b"\n")

    # -- finding ----------------------------------------------------------------------
    def _lines_of(self, offsets: Iterable[int]) -> array[int]:
        """Line numbers of ascending offsets, counting newlines between them once."""
        out, last_off, last_line = array("q"), 0, 0
        for off in offsets:
            if off - last_off > BLOCK:
                last_line, last_off = self.line_of_offset(off), off
            else:
                last_line += self._mm[last_off:off].count(b"\n")
                last_off = off
            if not out or out[-1] != last_line:
                out.append(last_line)
        return out

    def own_level(self, start: int) -> str | None:
        """The level of the line starting at byte ``start``: its marker, INFO for a timed line
        without one, a client tool's own level, or None when it continues the line before."""
        timed, levelled, tool_head = _line_heads()
        head = levelled.match(self._mm, start, self._size)
        if head is not None:
            return _MARKERS[head[1]]
        if timed.match(self._mm, start, self._size):
            return "INFO"
        tool = tool_head.match(self._mm, start, self._size)
        if tool is None or tool["continued"]:
            return None
        return TOOL_SEVERITY[tool["severity"].decode()] if tool["severity"] else "INFO"

    def lines_with_level(self, levels: Iterable[str], progress: Callable[[int, int], None] | None = None) -> array[int]:
        """Line numbers whose level is in ``levels`` (see ``LevelFilter``), in one go."""
        found = LevelFilter(self, levels)
        found.update(progress)
        return found.rows

    def _scan_levels(
        self, wanted: frozenset[str], lo: int, hi: int, continues: bool, progress: Callable[[int, int], None] | None
    ) -> tuple[array[int], bool]:
        """Lines in bytes ``[lo, hi)`` (whole lines) whose level is in ``wanted``, and whether
        the last of them is one.  ``continues``: the line before ``lo`` is one, so the untimed
        lines at ``lo`` are too.

        Each marker is searched as a literal (fast; "⚠" also finds "⚠️") in the blocks whose
        marks say it may be there (``_spans``), the line it sits on is checked with
        ``own_level``, and the untimed lines after a wanted one are added until a line with
        a level of its own.
        """
        needles = [m for m, level in _MARKERS.items() if level in wanted]
        needles += [n for level in wanted for n in _TOOL_NEEDLES.get(level, ())]
        needles = [m for m in needles if not any(m != o and m.startswith(o) for o in needles)]
        starts = set()
        if continues and self.own_level(lo) is None:
            starts.add(lo)
        searches = [(needle, self._needle_spans(needle, lo, hi)) for needle in needles]
        total, done = sum(b - a for _, spans in searches for a, b in spans), 0
        for needle, spans in searches:
            probe = self._probe(needle, lo, hi)
            for a, b in spans:
                tick = None if progress is None else (lambda part, base=done: progress(base + part, total))
                for at in self._occurrences_by(needle, probe, a, b, tick):
                    start = self._mm.rfind(b"\n", lo, at) + 1 or lo
                    if self.own_level(start) in wanted:
                        starts.add(start)
                done += b - a
        if "INFO" in wanted:  # a client tool's own lines (pg_dump's progress) are INFO without a marker
            for a, b in self._spans(_UNTIMED, lo, hi, 0):
                for found in _UNTIMED_START.finditer(self._mm, max(lo, a - 1), b):
                    if self.own_level(found.start() + 1) == "INFO":
                        starts.add(found.start() + 1)
        ordered = sorted(starts)
        rows = array("q")
        for start, line in zip(ordered, self._lines_of(ordered)):
            rows.append(line)
            end = self._mm.find(b"\n", start, hi) + 1
            while 0 < end < hi and self.own_level(end) is None:  # its continuation lines
                line += 1
                rows.append(line)
                end = self._mm.find(b"\n", end, hi) + 1
        return rows, bool(rows) and rows[-1] == self.line_of_offset(hi - 1)

    def _needle_spans(self, needle: bytes, lo: int, hi: int) -> list[tuple[int, int]]:
        """The parts of ``[lo, hi)`` where ``needle`` may start: the blocks marked with its first
        byte (a level marker), or with an untimed line (a client tool's word, anywhere in its line)."""
        if needle in _MARKERS:
            return self._spans(1 << _FIRST_BYTES.index(needle[:1]), lo, hi, len(needle) - 1)
        return self._spans(_UNTIMED, lo, hi, None)

    def _spans(self, mark: int, lo: int, hi: int, reach: int | None) -> list[tuple[int, int]]:
        """Runs of the blocks of ``[lo, hi)`` whose marks have ``mark``, each ``reach`` bytes
        longer (None: to the end of the line its last byte is on)."""
        first, last = lo // BLOCK, (hi - 1) // BLOCK
        self.mark(upto=last + 1)
        known = self._marks[first : last + 1]  # the partial last block has no marks yet: it may hold anything
        marked = known.translate(_selector(mark)) + b"\x01" * (last + 1 - first - len(known))
        spans, run = [], marked.find(1)
        while run >= 0:
            end = marked.find(0, run)
            end = len(marked) if end < 0 else end
            a, b = max(lo, (first + run) * BLOCK), min(hi, (first + end) * BLOCK)
            if reach is None:
                newline = self._mm.find(b"\n", b - 1, hi)
                b = hi if newline < 0 else newline + 1
            else:
                b = min(hi, b + reach)
            spans.append((a, b))
            run = marked.find(1, end)
        return spans

    def _occurrences(self, needle: bytes, lo: int, hi: int, tick: Callable[[int], None] | None = None) -> Iterator[int]:
        """Offsets of ``needle`` in ``[lo, hi)`` (``_occurrences_by`` its probe in that range)."""
        return self._occurrences_by(needle, self._probe(needle, lo, hi), lo, hi, tick)

    def _occurrences_by(
        self, needle: bytes, probe: tuple[int, bytes] | None, lo: int, hi: int, tick: Callable[[int], None] | None
    ) -> Iterator[int]:
        """Offsets of ``needle`` in ``[lo, hi)``, a window of ``SCAN`` bytes at a time; ``tick(bytes
        done)`` after each.

        ``mmap.find`` of one byte is ``memchr`` (twice the speed of a longer needle's search,
        a regex is far slower), so where one of the needle's bytes is rare in this file (its
        ``probe``, as ripgrep picks one), that byte is searched and the needle checked around
        each hit; else (``probe`` None) the needle itself is searched.
        """
        size = len(needle)
        for window in range(lo, hi, SCAN):
            limit = min(hi, window + SCAN + size - 1)  # a needle starting in this window ends by here
            if probe is None:
                at = self._mm.find(needle, window, limit)
                while 0 <= at < window + SCAN:
                    yield at
                    at = self._mm.find(needle, at + 1, limit)
            else:
                k, byte = probe  # the probe sits at needle[k]: hits from window + k, ending by limit
                end = limit - (size - 1 - k)
                # (an end at or below the start is no range: mmap.find counts a negative one from the end)
                at = self._mm.find(byte, window + k, end) if end > window + k else -1
                while at >= 0:
                    if self._mm[at - k : at - k + size] == needle:
                        yield at - k
                    at = self._mm.find(byte, at + 1, end)
            if tick is not None:
                tick(min(hi, window + SCAN) - lo)

    def _probe(self, needle: bytes, lo: int, hi: int) -> tuple[int, bytes] | None:
        """``(index, byte)`` of the needle's byte rarest in samples of ``[lo, hi)``, when it is
        rarer there than one in ``RARE_PROBE`` bytes (each hit costs a Python step), else None."""
        step = max(1, (hi - lo) // 4)
        samples = [self._mm[at : min(hi, at + PROBE_SAMPLE)] for at in range(lo, hi, step)][:4]
        seen = sum(map(len, samples))
        counts = {b: sum(part.count(bytes([b])) for part in samples) for b in set(needle)}
        rarest = min(counts, key=lambda b: (counts[b], needle.index(b)))
        if seen == 0 or counts[rarest] * RARE_PROBE > seen:
            return None
        return needle.index(rarest), bytes([rarest])

    def _find(self, needle: bytes, start: int, end: int, *, backwards: bool = False) -> int:
        """``mmap.find``/``rfind`` in windows of ``SCAN`` bytes.

        One call over a whole 1 GB log would hold the GIL for the whole scan and freeze
        the console's event loop; between windows other threads get their turn.
        """
        overlap = len(needle) - 1
        windows = range(start, end, SCAN)
        for lo in reversed(windows) if backwards else windows:
            hi = min(end, lo + SCAN + overlap)
            at = self._mm.rfind(needle, lo, hi) if backwards else self._mm.find(needle, lo, hi)
            if at >= 0:
                return at
        return -1

    def find(self, text: str, from_line: int, *, backwards: bool = False) -> int | None:
        """The next (or previous) line after/before ``from_line`` containing ``text`` exactly.

        Case-sensitive on purpose: a literal search runs at memory speed on a 1 GB log,
        a case-folding one takes seconds.
        """
        if self._map is None or not text:
            return None
        needle = text.encode("utf-8")
        if backwards:
            end = self.offset(max(0, from_line)) if from_line < len(self) else self._size
            pos = self._find(needle, 0, end, backwards=True)
        else:
            start = self.offset(from_line + 1) if from_line + 1 < len(self) else self._size
            pos = self._find(needle, start, self._size)
        return None if pos < 0 else self.line_of_offset(pos)

    # -- dates --------------------------------------------------------------------------
    def days(self, probe: int = 200) -> tuple[date | None, date | None]:
        """The days of the first and of the last timed line (looking ``probe`` lines in from
        each end): a viewer shows dates only when a log spans more than one day."""

        def first_day(lines: Iterable[str]) -> date | None:
            return next((r.time.date() for r in map(parse_line, lines) if r.time is not None), None)

        return first_day(self.lines(0, probe)), first_day(reversed(self.lines(max(0, len(self) - probe), probe)))


class LevelFilter:
    """The lines of a ``LineIndex`` whose level is in ``levels``, kept in step as it grows.

    An untimed line takes the level of the entry it continues (pg_dump's "password
    authentication failed" follows the line that started the backup), so the level of a
    line can depend on lines far above it.  Rather than scan a 1 GB log again on every
    append, the filter remembers how far it got and whether the last line it classified
    was shown.  ``rows`` only ever grows (a reader in another thread may index into it);
    so a last line still being written, without its newline, waits for its newline.
    Starts over when the file was replaced or truncated.
    """

    def __init__(self, index: LineIndex, levels: Iterable[str]):
        self.index, self.levels = index, frozenset(levels)
        self.rows = array("q")
        self._done = 0  # bytes classified: whole lines
        self._last_shown = False
        self._generation = index.generation

    def update(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Classify what was appended since; ``progress(done, total)`` may raise ``Superseded``."""
        index = self.index
        if index.generation != self._generation:
            self.rows, self._done, self._last_shown = array("q"), 0, False
            self._generation = index.generation
        whole = index.size if index.size == 0 or index._ends_with_newline else index.offset(len(index) - 1)
        if whole > self._done:
            rows, self._last_shown = index._scan_levels(self.levels, self._done, whole, self._last_shown, progress)
            self.rows.extend(rows)
            self._done = whole
