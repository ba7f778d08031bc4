"""A line index over a log file of any size, for viewers that show a window of it.

A 1 GB log has millions of lines; holding their offsets in a Python list costs
hundreds of megabytes and seconds to build.  Instead we keep, for every 64 KiB
block of the file, how many newlines come before it (``_cum``), counted with
``bytes.count`` on an ``mmap`` (C speed: the whole file is read once).  Finding line
*n* is a binary search over the blocks plus a scan inside one block, so a viewer
reads only the lines it shows.  ``refresh()`` indexes what was appended since, and
starts over when the file was rotated (new inode) or truncated (smaller size).

Level filters and searches scan the mapped bytes with regular expressions, also in
C, and turn match offsets into line numbers with the same block table.
"""

from __future__ import annotations

import mmap
import os
import re
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Callable, Iterable, Iterator

from citaplanner_tui.core.logs import _EMOJI, LEVELS

BLOCK = 64 * 1024
SCAN = 4 * 2**20  # bytes searched per call while holding the GIL
MAX_LINE_CHARS = 4096  # a runaway line is shown cut, never read whole into a screen row

_ANSI = rb"(?:\x1b\[[0-9;]*[A-Za-z])*"
_MARKERS = {level.encode(): level for level in LEVELS} | {e.encode(): lv for e, lv in _EMOJI}
_LEVEL_AT_START = re.compile(
    _ANSI + rb"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]" + _ANSI + rb"[ \t]*("
    + b"|".join(re.escape(m) for m in sorted(_MARKERS, key=len, reverse=True)) + rb")")


class LineIndex:
    """Line numbers to byte offsets for one file; call ``refresh()`` to follow it."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._inode: tuple[int, int] | None = None
        self._size = 0
        self._cum = array("q", [0])  # _cum[k]: newlines in bytes [0, k * BLOCK)
        self._tail_newlines = 0
        self._ends_with_newline = True
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self.generation = 0  # bumped whenever the file was replaced or truncated

    # -- following the file ------------------------------------------------------------
    def refresh(self, progress: Callable[[int, int], None] | None = None) -> bool:
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
        self._extend(st.st_size, progress)
        return True

    def _reset(self, inode: tuple[int, int] | None) -> None:
        self.close()
        self._inode, self._size = inode, 0
        self._cum = array("q", [0])
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

    def _extend(self, size: int, progress: Callable[[int, int], None] | None) -> None:
        mm = self._map
        full_blocks = size // BLOCK
        for k in range(len(self._cum) - 1, full_blocks):
            self._cum.append(self._cum[-1] + mm[k * BLOCK:(k + 1) * BLOCK].count(b"\n"))
            if progress is not None and k % 256 == 0:
                progress(k * BLOCK, size)
        self._tail_newlines = mm[full_blocks * BLOCK:size].count(b"\n") if mm else 0
        self._size = size
        self._ends_with_newline = size == 0 or mm[size - 1:size] == b"\n"

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
            pos = self._map.find(b"\n", pos) + 1
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
            end = self._map.find(b"\n", pos, self._size)
            end = self._size if end < 0 else end
            raw = self._map[pos:min(end, pos + MAX_LINE_CHARS * 4)]
            out.append(raw.decode("utf-8", "replace")[:MAX_LINE_CHARS])
            pos = end + 1
        return out

    def line_of_offset(self, offset: int) -> int:
        """The 0-based line holding the byte at ``offset``."""
        k = min(offset // BLOCK, len(self._cum) - 1)
        return self._cum[k] + self._map[k * BLOCK:offset].count(b"\n")

    # -- finding ----------------------------------------------------------------------
    def _lines_of(self, offsets: Iterable[int]) -> array:
        """Line numbers of ascending offsets, counting newlines between them once."""
        out, last_off, last_line = array("q"), 0, 0
        for off in offsets:
            if off - last_off > BLOCK:
                last_line, last_off = self.line_of_offset(off), off
            else:
                last_line += self._map[last_off:off].count(b"\n")
                last_off = off
            if not out or out[-1] != last_line:
                out.append(last_line)
        return out

    def lines_with_level(self, levels: Iterable[str]) -> array:
        """Line numbers whose level (ours or the old script's emoji) is in ``levels``.

        Each level marker is searched as a literal (fast; "⚠" also finds "⚠️"), then the
        line it sits on is checked to really start with a timestamp followed by it.
        """
        wanted = set(levels)
        if self._map is None:
            return array("q")
        needles = [m for m, level in _MARKERS.items() if level in wanted]
        needles = [m for m in needles if not any(m != o and m.startswith(o) for o in needles)]
        starts = set()
        for needle in needles:
            for at in self._occurrences(needle):
                start = self._map.rfind(b"\n", 0, at) + 1
                head = _LEVEL_AT_START.match(self._map, start, self._size)
                if head is not None and head.start(1) == at:
                    starts.add(start)
        return self._lines_of(sorted(starts))

    def _occurrences(self, needle: bytes) -> Iterator[int]:
        """Offsets of ``needle`` (``mmap.find`` runs at memory speed, a regex does not)."""
        at = self._find(needle, 0, self._size)
        while at >= 0:
            yield at
            at = self._find(needle, at + 1, self._size)

    def _find(self, needle: bytes, start: int, end: int, *, backwards: bool = False) -> int:
        """``mmap.find``/``rfind`` in windows of ``SCAN`` bytes.

        One call over a whole 1 GB log would hold the GIL for the whole scan and freeze
        the console's event loop; between windows other threads get their turn.
        """
        overlap = len(needle) - 1
        windows = range(start, end, SCAN)
        for lo in (reversed(windows) if backwards else windows):
            hi = min(end, lo + SCAN + overlap)
            at = self._map.rfind(needle, lo, hi) if backwards else self._map.find(needle, lo, hi)
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
