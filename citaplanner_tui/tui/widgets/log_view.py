"""A scrolling view of one log file of any size, reading only the lines on screen.

The file is indexed by ``core.logindex.LineIndex`` in a thread worker (a 1 GB log
takes about a second; the first paint does not wait for it).  ``render_line`` asks
the index for the visible window only.  Following re-indexes the appended bytes on a
timer and scrolls to the end only while the view is at the end: scrolling up pauses
following, scrolling back to the end resumes it.  Levels are shown as a word and a
colour (component classes using theme variables), never colour alone.
"""

from __future__ import annotations

import threading
from array import array
from pathlib import Path

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from citaplanner_tui.core.logindex import LineIndex
from citaplanner_tui.core.logs import parse_line

LEVEL_FILTERS = (None, ("WARN", "ERROR"), ("ERROR",))  # cycled by the level-filter key


class LogView(ScrollView, can_focus=True):
    """Shows ``path``; ``follow`` keeps the end in view while the operator is at the end."""

    COMPONENT_CLASSES = {"log-view--info", "log-view--ok", "log-view--warn", "log-view--error",
                         "log-view--time", "log-view--match"}
    DEFAULT_CSS = """
    LogView { background: $surface; overflow-x: hidden; }
    LogView > .log-view--time { color: $text-muted; }
    LogView > .log-view--info { color: $text; }
    LogView > .log-view--ok { color: $success; text-style: bold; }
    LogView > .log-view--warn { color: $warning; text-style: bold; }
    LogView > .log-view--error { color: $error; text-style: bold reverse; }
    LogView > .log-view--match { background: $accent; color: $text; }
    """

    follow: reactive[bool] = reactive(True)
    levels: reactive[tuple[str, ...] | None] = reactive(None)

    class Indexed(Message):
        """The file was (re)indexed: ``lines`` in total."""

        def __init__(self, view: LogView, lines: int) -> None:
            super().__init__()
            self.view, self.lines = view, lines

    def __init__(self, path: Path | None = None, *, follow: bool = True, poll: float | None = 1.0,
                 id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._lock = threading.Lock()
        self._index: LineIndex | None = None
        self._rows: array | None = None  # line numbers shown when a level filter is on
        self._cache: dict[int, str] = {}
        self._busy = False
        self._match: int | None = None
        self._total = 0  # lines indexed so far (read without the lock)
        self.path = path
        self.poll = poll
        self.set_reactive(LogView.follow, follow)

    # -- lifecycle -------------------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        if self.path is not None:
            self.call_after_refresh(self.open, self.path)  # index after the first paint
        if self.poll:
            self.set_interval(self.poll, self.reload)

    def on_unmount(self) -> None:
        self._retire(self._index)
        self._index = None

    def _retire(self, index: LineIndex | None) -> None:
        """Close an index nobody shows; one a worker still reads is closed when it reports back."""
        if index is not None and not self._busy:
            index.close()

    def open(self, path: Path) -> None:
        """Show another file (indexed off the event loop; a big one fills in when ready)."""
        self.path = Path(path)
        old = self._index
        self._index, self._rows, self._cache, self._match, self._total = LineIndex(self.path), None, {}, None, 0
        self._retire(old)
        self.virtual_size = Size(self.size.width, 0)
        self.reload()

    # -- indexing in a thread ----------------------------------------------------------
    def reload(self) -> None:
        """Index what was appended (or start over after rotation); never two at once."""
        if self._busy or self._index is None:
            return
        self._busy = True
        index, levels = self._index, self.levels
        self.run_worker(lambda: self._reindex(index, levels), thread=True, group="log-index",
                        exit_on_error=False)

    def _reindex(self, index: LineIndex, levels: tuple[str, ...] | None) -> None:
        try:
            with self._lock:
                changed = index.refresh()
                rows = index.lines_with_level(levels) if (levels and changed) else None
                total = len(index)
        finally:
            self.app.call_from_thread(self._reindexed, index, changed, rows, total)

    def _reindexed(self, index: LineIndex, changed: bool, rows: array | None, total: int) -> None:
        self._busy = False
        if index is not self._index:
            index.close()  # another file was opened meanwhile
            self.reload()
            return
        if not changed:
            return
        if rows is not None:
            self._rows = rows
        self._cache.clear()
        self._total = total
        self.virtual_size = Size(self.size.width, self.row_count(total))
        if self.follow:  # scrolling up turns following off, so this never yanks the operator
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()
        self.post_message(self.Indexed(self, total))

    def row_count(self, total: int | None = None) -> int:
        """Rows to show: the filtered lines, or every line indexed so far."""
        if self.levels and self._rows is not None:
            return len(self._rows)
        return self._total if total is None else total

    def watch_levels(self) -> None:
        self._rows = None
        if self._index is not None:
            index, levels = self._index, self.levels
            self._busy = True
            self.run_worker(lambda: self._filter(index, levels), thread=True, group="log-index",
                            exit_on_error=False)

    def _filter(self, index: LineIndex, levels: tuple[str, ...] | None) -> None:
        try:
            with self._lock:
                rows = index.lines_with_level(levels) if levels else None
                total = len(index)
        finally:
            self.app.call_from_thread(self._filtered, index, rows, total)

    def _filtered(self, index: LineIndex, rows: array | None, total: int) -> None:
        self._busy = False
        if index is not self._index:
            index.close()
            return
        self._rows, self._cache, self._total = rows, {}, total
        self.virtual_size = Size(self.size.width, self.row_count(total))
        self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()

    def cycle_levels(self) -> None:
        self.levels = LEVEL_FILTERS[(LEVEL_FILTERS.index(self.levels) + 1) % len(LEVEL_FILTERS)]

    # -- search: in a thread, the scan of a big log must not freeze the screen -----------
    class Found(Message):
        """A search ended: ``line`` is where the text is, or None."""

        def __init__(self, view: LogView, text: str, line: int | None) -> None:
            super().__init__()
            self.view, self.text, self.line = view, text, line

    def search(self, text: str, *, backwards: bool = False) -> None:
        """Find the next (or previous) line holding ``text``, wrapping round; posts ``Found``."""
        if self._index is None or not text:
            return
        index = self._index
        current = self._match if self._match is not None else self._line_of_row(int(self.scroll_y))

        def find() -> None:
            with self._lock:
                line = index.find(text, current, backwards=backwards)
                if line is None:  # wrap round, as less and vim do
                    line = index.find(text, len(index) if backwards else -1, backwards=backwards)
            self.app.call_from_thread(self._found, index, text, line)

        self.run_worker(find, thread=True, group="log-search", exit_on_error=False)

    def _found(self, index: LineIndex, text: str, line: int | None) -> None:
        row = None if line is None or index is not self._index else self._row_of_line(line)
        if row is not None:
            self._match = line
            self.follow = False
            self.scroll_to(y=max(0, row - self.size.height // 2), animate=False, immediate=True)
            self.refresh()
        self.post_message(self.Found(self, text, None if row is None else line))

    def _line_of_row(self, row: int) -> int:
        if self.levels and self._rows is not None:
            return self._rows[row] if row < len(self._rows) else (self._rows[-1] if self._rows else 0)
        return row

    def _row_of_line(self, line: int) -> int | None:
        if not (self.levels and self._rows is not None):
            return line
        from bisect import bisect_left

        i = bisect_left(self._rows, line)
        return i if i < len(self._rows) and self._rows[i] == line else None

    # -- drawing: only the visible window is read ---------------------------------------
    def _text_of(self, line: int) -> str | None:
        if line not in self._cache:
            first = self.scroll_offset.y
            rows = range(first, first + self.size.height)
            wanted = [self._line_of_row(r) for r in rows] if self.levels and self._rows is not None else None
            if not self._lock.acquire(blocking=False):
                return None  # a worker is indexing: drawn when it reports back
            try:
                if self._index is None:
                    return None
                if wanted is None:
                    start = min(line, first)
                    self._cache = dict(zip(range(start, start + len(rows) + 1),
                                           self._index.lines(start, len(rows) + 1)))
                else:
                    self._cache = {n: self._index.lines(n, 1)[0] for n in wanted + [line]
                                   if n < len(self._index)}
            finally:
                self._lock.release()
        return self._cache.get(line)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        row = self.scroll_offset.y + y
        base = self.rich_style
        if row >= self.row_count():
            return Strip.blank(width, base)
        line = self._line_of_row(row)
        raw = self._text_of(line)
        if raw is None:
            return Strip.blank(width, base)
        text = self.format(raw)
        if line == self._match:
            text.stylize(self.get_component_rich_style("log-view--match"))
        strip = Strip(text.render(self.app.console), text.cell_len)
        return strip.crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, base)

    def format(self, raw: str) -> Text:
        """``HH:MM:SS LEVEL message``: the level is a word and a colour."""
        record = parse_line(raw)
        text = Text(no_wrap=True, style=self.rich_style)
        if record.time is None:
            text.append(" " * 15 + record.message, self.get_component_rich_style("log-view--time"))
            return text
        text.append(record.time.strftime("%H:%M:%S "), self.get_component_rich_style("log-view--time"))
        text.append(f"{record.level:<5}", self.get_component_rich_style(f"log-view--{record.level.lower()}"))
        text.append(" " + record.message)
        return text

    # -- following ------------------------------------------------------------------
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._cache = {}
        if new < old and not self.is_vertical_scroll_end:
            self.follow = False
        elif new > old and self.is_vertical_scroll_end:
            self.follow = True

    def watch_follow(self, follow: bool) -> None:
        self.border_subtitle = "following" if follow else "paused (End resumes)"
        # Resumed by reaching the end (``watch_scroll_y``) there is nothing to scroll; doing
        # it anyway ran inside the End animation's frame and stopped the animation Textual
        # was running, which crashed the console (KeyError 'scroll_y' in its animator).
        if follow and not self.is_vertical_scroll_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count())
        if self.follow:  # the first index may land before the first layout
            self.scroll_end(animate=False, immediate=False, x_axis=False)
