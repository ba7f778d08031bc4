"""A scrolling view of one log file of any size, reading only the lines on screen.

The file is indexed by ``core.logs.index.LineIndex`` in a thread worker (a 1 GB log
takes about a second; the first paint does not wait for it).  The screen asks the
index for the visible window only.  Following re-indexes the appended bytes on a
timer and scrolls to the end only while the view is at the end: scrolling up pauses
following, scrolling back to the end resumes it.  Levels are shown as a word and a
colour (component classes using theme variables), never colour alone.

At 80 columns most messages are longer than the view: ``wrap`` folds them under
their time and level (one scroll step is still one log line; at the end the last
line sits at the bottom), and without it left/right pan the messages while the time
and level stay.  A log that spans days shows the day on every line.

Indexing, the level marks (made once the lines show) and level filtering run in one
worker lane (``_busy``), never two at once, so they never race each other; the lock
only keeps ``refresh`` (which remaps the file) away from the readers on the event loop
and the search worker.  A filter
reports its progress and is dropped mid-scan when the operator changes it again.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from citaplanner_tui.core import i18n
from citaplanner_tui.core.logs.index import LevelFilter, LineIndex, Superseded
from citaplanner_tui.core.logs.lines import parse_line

LEVEL_FILTERS = (None, ("WARN", "ERROR"), ("ERROR",))  # cycled by the level-filter key


class LogView(ScrollView, can_focus=True):
    """Shows ``path``; ``follow`` keeps the end in view while the operator is at the end."""

    COMPONENT_CLASSES = {
        "log-view--info",
        "log-view--ok",
        "log-view--warn",
        "log-view--error",
        "log-view--time",
        "log-view--match",
        "log-view--notice",
    }
    DEFAULT_CSS = """
    LogView { background: $surface; overflow-x: hidden; }
    LogView.-wrap { scrollbar-gutter: stable; }
    LogView > .log-view--time { color: $text-muted; }
    LogView > .log-view--info { color: $text; }
    LogView > .log-view--ok { color: $success; text-style: bold; }
    LogView > .log-view--warn { color: $warning; text-style: bold; }
    LogView > .log-view--error { color: $error; text-style: bold reverse; }
    LogView > .log-view--match { background: $accent; color: $text; text-style: underline; }
    LogView > .log-view--notice { color: $text-muted; text-style: italic; }
    """

    follow: reactive[bool] = reactive(True)
    levels: reactive[tuple[str, ...] | None] = reactive(None)
    wrap: reactive[bool] = reactive(False)
    pan: reactive[int] = reactive(0)

    class Indexed(Message):
        """The file was (re)indexed or filtered: ``lines`` in total."""

        def __init__(self, view: LogView, lines: int) -> None:
            super().__init__()
            self.view, self.lines = view, lines

    class Filtering(Message):
        """A level filter is ``percent`` of the way through the file."""

        def __init__(self, view: LogView, percent: int) -> None:
            super().__init__()
            self.view, self.percent = view, percent

    def __init__(
        self,
        path: Path | None = None,
        *,
        follow: bool = True,
        wrap: bool = False,
        poll: float | None = 1.0,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(id=id, classes=classes)
        self._lock = threading.Lock()
        self._index: LineIndex | None = None
        self._filter: LevelFilter | None = None  # the filter whose rows are shown
        self._rows = array("q")  # its rows, as of the last report (it only grows)
        self._count = 0  # rows shown: filtered lines, or every line indexed so far
        self._total = 0  # lines indexed so far
        self._dated = False  # the log spans days: show the day on every line
        self._progress: int | None = None  # percent of a level filter still running
        self._busy = False
        self._stale = False  # asked for while busy: run again when the lane is free
        self._match: int | None = None
        self._screen_key: tuple | None = None
        self._screen_strips: list[Strip] = []
        self._shown = 0  # log lines on screen (for paging while wrapped)
        self._widest = 0  # the longest message on screen (how far panning goes)
        self.path = path
        self.poll = poll
        self.set_reactive(LogView.follow, follow)
        self.set_reactive(LogView.wrap, wrap)
        self.set_class(wrap, "-wrap")

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
        self._index, self._filter, self._rows, self._match = LineIndex(self.path), None, array("q"), None
        self._count = self._total = 0
        self._dated = False
        self._progress = 0 if self.levels else None
        self._retire(old)
        self.virtual_size = Size(self.size.width, 0)
        self.pan = 0
        self.reload()

    # -- the worker lane: indexing, then filtering --------------------------------------
    def reload(self) -> None:
        """Index what was appended (or start over after rotation) and bring the filter along."""
        if self._index is None:
            return
        if self._busy:
            self._stale = True
            return
        self._busy, self._stale = True, False
        index, levels = self._index, self.levels
        flt = self._filter if self._filter is not None and self._filter.levels == frozenset(levels or ()) else None
        self.run_worker(lambda: self._work(index, levels, flt), thread=True, group="log-index", exit_on_error=False)

    def _work(self, index: LineIndex, levels: tuple[str, ...] | None, flt: LevelFilter | None) -> None:
        changed = fresh = False
        dated = None
        try:
            with self._lock:
                changed = index.refresh()
            if changed:
                first, last = index.days()
                dated = first is not None and first != last
            fresh = bool(levels) and flt is None
            if fresh and levels:
                flt = LevelFilter(index, levels)
            if flt is not None and (fresh or changed):
                flt.update(self._reporter(index, levels))
        except Superseded:
            flt = None  # ``_reported`` sees the levels changed and runs again
        finally:
            count = len(flt.rows) if flt is not None else len(index)
            self.app.call_from_thread(self._reported, index, changed or fresh, flt, count, len(index), dated)

    def _reporter(self, index: LineIndex, levels: tuple[str, ...] | None) -> Callable[[int, int], None]:
        """Progress for a level filter: a message per percent, and a stop once it is not wanted."""
        last = -1

        def report(done: int, total: int) -> None:
            nonlocal last
            if self._index is not index or self.levels != levels:
                raise Superseded
            percent = done * 100 // max(total, 1)
            if percent != last:
                last = percent
                self.post_message(self.Filtering(self, percent))

        return report

    def _reported(
        self, index: LineIndex, changed: bool, flt: LevelFilter | None, count: int, total: int, dated: bool | None
    ) -> None:
        self._busy = False
        if index is not self._index:
            index.close()  # another file was opened meanwhile
            self.reload()
            return
        wanted = frozenset(self.levels or ())
        if (flt.levels if flt is not None else frozenset()) != wanted:
            self.reload()  # the levels changed while it ran
            return
        if self._stale:
            self.call_later(self.reload)
        else:
            self._mark(index)
        if not changed:
            return
        new_filter = flt is not self._filter
        self._filter, self._rows = flt, (flt.rows if flt is not None else array("q"))
        self._count, self._total, self._progress = count, total, None
        if dated is not None:
            self._dated = dated
        self._fit_virtual_size()
        if self.follow or new_filter:  # scrolling up turns following off, so this never yanks the operator
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self._redraw()
        self.post_message(self.Indexed(self, total))

    def _mark(self, index: LineIndex) -> None:
        """Mark the index's blocks for the level filters (``LineIndex.mark``, about as long as
        indexing) in the lane, once the lines show: a filter asked for later only searches."""
        if self._busy or not index.unmarked:
            return
        self._busy = True

        def mark() -> None:
            try:
                index.mark()  # reads the map as the screen and the search do; only the lane remaps it
            finally:
                self.app.call_from_thread(self._marked, index)

        self.run_worker(mark, thread=True, group="log-index", exit_on_error=False)

    def _marked(self, index: LineIndex) -> None:
        self._busy = False
        if index is not self._index:
            index.close()  # another file was opened meanwhile
            self.reload()
        elif self._stale:
            self.reload()

    def on_log_view_filtering(self, event: LogView.Filtering) -> None:
        if event.view is self and self._progress is not None:
            self._progress = event.percent
            self._redraw()

    def row_count(self) -> int:
        """Rows to show: the filtered lines, or every line indexed so far."""
        return self._count

    @property
    def filtering(self) -> int | None:
        """Percent done of a level filter still running, or None."""
        return self._progress

    def watch_levels(self) -> None:
        self._filter, self._rows, self._count = None, array("q"), (0 if self.levels else self._total)
        self._progress = 0 if self.levels and self._index is not None else None
        self._fit_virtual_size()
        if not self.levels:  # every line is known already: to the end, as a new filter goes
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self._redraw()
        self.reload()

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
            self.scroll_to(y=self._top_centring(row), animate=False, immediate=True)
            self._redraw()
        self.post_message(self.Found(self, text, None if row is None else line))

    def _top_centring(self, row: int) -> int:
        """The top row that puts ``row`` in the middle of the screen (wrapped lines take
        several rows each, so half a screen above is fewer lines)."""
        above = self.size.height // 2
        if self.wrap:
            above = (self._fit_above(row + 1) or 1) // 2
        return max(0, row - above)

    def _line_of_row(self, row: int) -> int:
        if not self.levels:
            return row
        return self._rows[min(row, self._count - 1)] if self._count else 0

    def _row_of_line(self, line: int) -> int | None:
        if not self.levels:
            return line
        i = bisect_left(self._rows, line, 0, self._count)
        return i if i < self._count and self._rows[i] == line else None

    # -- drawing: only the visible window is read ---------------------------------------
    def _redraw(self) -> None:
        self._screen_key = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        key = (
            self.scroll_offset.y,
            self.scrollable_content_region.size,
            self.wrap,
            self.pan,
            self._count,
            self._match,
            self._progress,
            self.app.theme,
        )
        if key != self._screen_key:
            strips = self._layout()
            if strips is None:  # a worker is remapping the file: drawn when it reports back
                return Strip.blank(self.size.width, self.rich_style)
            self._screen_key, self._screen_strips = key, strips
        return self._screen_strips[y] if y < len(self._screen_strips) else Strip.blank(self.size.width, self.rich_style)

    def _layout(self) -> list[Strip] | None:
        """The strips of the whole screen, or None when the index is busy."""
        width, height = self._width, self.size.height
        notice = self._notice()
        if notice is not None:
            text = Text(notice, style=self.get_component_rich_style("log-view--notice"))
            return [self._strip(part, width) for part in text.wrap(self.app.console, max(1, width))][:height]
        top = self.scroll_offset.y
        blocks = self._blocks(range(top, min(self._count, top + height)))
        if blocks is None:
            return None
        self._widest = max((w for _, w in blocks), default=0)
        strips: list[Strip] = []
        self._shown = 0
        for block, _ in blocks:
            if len(strips) >= height:
                break
            self._shown += len(strips) + len(block) <= height
            strips += block
        self._shown = max(1, self._shown)
        return strips[:height]

    def _blocks(self, rows: range) -> list[tuple[list[Strip], int]] | None:
        """Each row's screen strips and how much of its message is cut; None when busy."""
        texts = self._read(rows)
        if texts is None:
            return None
        width = self._width
        return [self._render_row(line, texts.get(line, ""), width) for line in map(self._line_of_row, rows)]

    def _fit_above(self, end: int) -> int | None:
        """How many whole rows before row ``end`` fit on one screen (at least 1); None when busy."""
        height = self.size.height
        blocks = self._blocks(range(max(0, end - height), end))
        if blocks is None:
            return None
        fit, used = 0, 0
        for block, _ in reversed(blocks):
            used += len(block)
            if used > height:
                break
            fit += 1
        return max(1, fit)

    def _fit_virtual_size(self) -> None:
        """One scroll step is one row; wrapped, the last step puts the last line at the bottom.

        So the scroll range ends at the first of the last rows that fit on one screen: every
        line can be reached and the end shows the end (follow, End) whatever the wrapping.
        """
        count, height = self._count, self.size.height
        top = count - height
        if self.wrap and count and height:
            fit = self._fit_above(count)
            top = count - (fit if fit is not None else height)
        self.virtual_size = Size(self.size.width, max(0, top) + height)
        self._redraw()

    @property
    def _width(self) -> int:
        """Columns for text: wrapped lines keep the scrollbar's room (``-wrap``), so none
        of their characters goes under it."""
        return self.scrollable_content_region.width

    def _notice(self) -> str | None:
        """What the view says instead of lines: a filter running, or one that found nothing."""
        if not self.levels or self._index is None:
            return None
        which = i18n._(" or ").join(self.levels)
        if self._progress is not None:
            return i18n._("filtering for {levels} lines: {percent}% of the file read").format(
                levels=which, percent=self._progress
            )
        if self._count == 0:
            return i18n._("no matching lines: nothing at {levels} level in this log (w shows all levels)").format(
                levels=which
            )
        return None

    def _read(self, rows: range) -> dict[int, str] | None:
        """The text of the log lines behind ``rows``; None when a worker holds the index."""
        if not rows:
            return {}
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._index is None:
                return {}
            if not self.levels:
                return dict(zip(rows, self._index.lines(rows.start, len(rows))))
            return {line: text for line in map(self._line_of_row, rows) for text in self._index.lines(line, 1)}
        finally:
            self._lock.release()

    def _render_row(self, line: int, raw: str, width: int) -> tuple[list[Strip], int]:
        """One log line as screen rows (several when wrapped), and its message's width."""
        prefix, message = self.format(raw)
        if line == self._match:
            for part in (prefix, message):
                part.stylize(self.get_component_rich_style("log-view--match"))
        room = max(8, width - prefix.cell_len)
        if not self.wrap:
            if self.pan:  # the separator says the message is panned, so no character is hidden
                prefix = prefix[:-1] + Text("…", style=self.get_component_rich_style("log-view--time"))
            return [self._strip(prefix + message[self.pan :], width)], message.cell_len - room
        pieces = message.wrap(self.app.console, room, overflow="fold") or [Text("")]
        indent = Text(" " * prefix.cell_len, style=self.rich_style)
        return [self._strip((prefix if i == 0 else indent) + piece, width) for i, piece in enumerate(pieces)], 0

    def _strip(self, text: Text, width: int) -> Strip:
        """One screen row.  A Text renders its own base style only where it has spans, and
        NO_COLOR's filter crashes on a segment with no style, so the base style is applied."""
        text.no_wrap = True
        base = text.style if isinstance(text.style, Style) and text.style else self.rich_style  # ours: no names
        strip = Strip(text.render(self.app.console), text.cell_len).apply_style(base)
        return strip.crop_extend(0, width, self.rich_style)

    def format(self, raw: str) -> tuple[Text, Text]:
        """``HH:MM:SS LEVEL `` (``Nov 27 HH:MM:SS`` when the log spans days) and the message.

        The level is a word and a colour.  An untimed line of a client tool with a level of
        its own (``pg_dump: error: ...``) shows that level; other untimed lines continue the
        entry above and are indented under its message.
        """
        record = parse_line(raw)
        stamp = "%b %d %H:%M:%S " if self._dated else "%H:%M:%S "
        blank = " " * (len("Nov 27 ") if self._dated else 0) + " " * 9
        prefix = Text(style=self.rich_style)
        if record.time is None:
            prefix.append(blank, self.get_component_rich_style("log-view--time"))
        else:
            prefix.append(record.time.strftime(stamp), self.get_component_rich_style("log-view--time"))
        if record.time is None and record.level not in ("WARN", "ERROR"):
            prefix.append(" " * 6)
            return prefix, Text(record.message, style=self.get_component_rich_style("log-view--time"))
        prefix.append(f"{record.level:<5}", self.get_component_rich_style(f"log-view--{record.level.lower()}"))
        prefix.append(" ")
        return prefix, Text(record.message, style=self.rich_style)

    # -- moving around ----------------------------------------------------------------
    def action_scroll_left(self) -> None:
        self._pan(-1)

    def action_scroll_right(self) -> None:
        self._pan(1)

    def _pan(self, direction: int) -> None:
        """Slide the messages half a view sideways, time and level staying (not while wrapped:
        nothing is cut).  ScrollView's own left/right keys land here."""
        if self.wrap:
            return
        step = max(8, (self._width - 15) // 2)
        self.pan = max(0, min(self.pan + direction * step, self._widest))

    def watch_pan(self) -> None:
        self._redraw()

    def watch_wrap(self, wrap: bool) -> None:
        self.set_class(wrap, "-wrap")
        self.pan = 0
        if self.is_mounted:
            self._fit_virtual_size()

    def action_page_down(self) -> None:
        if not self.wrap:
            super().action_page_down()
            return
        self.scroll_to(y=self.scroll_offset.y + max(1, self._shown), animate=False)

    def action_page_up(self) -> None:
        if not self.wrap:
            super().action_page_up()
            return
        top = self.scroll_offset.y
        self.scroll_to(y=max(0, top - (self._fit_above(top) or 1)), animate=False)

    def _scroll_to(self, *args: Any, **kwargs: Any) -> bool:
        """Every scroll of the view jumps, none animates (Home, End, PageUp, the scrollbar…).

        Textual's scroll stops the running scroll animations first; one asked for while
        an animation was mid-frame (a key, follow, a refresh) removed it under the
        animator's feet: KeyError 'scroll_y' and a crash.  Without animations there is
        nothing to stop, and a view of a million lines has no use for a glide anyway.
        """
        kwargs["animate"] = False
        return super()._scroll_to(*args, **kwargs)

    # -- following ------------------------------------------------------------------
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old and not self.is_vertical_scroll_end:
            self.follow = False
        elif new > old and self.is_vertical_scroll_end:
            self.follow = True

    def watch_follow(self, follow: bool) -> None:
        self.border_subtitle = i18n._("following") if follow else i18n._("paused (End resumes)")
        # Resumed by reaching the end (``watch_scroll_y``) there is nothing to scroll; doing
        # it anyway ran inside the End animation's frame and stopped the animation Textual
        # was running, which crashed the console (KeyError 'scroll_y' in its animator).
        if follow and not self.is_vertical_scroll_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def on_resize(self) -> None:
        if not self._count and not self.virtual_size.height:  # nothing shown nor fitted yet (the first
            return  # layout, before the first index): setting the size would lay the screen out once more
        self._fit_virtual_size()
        if self.follow:  # the first index may land before the first layout
            self.scroll_end(animate=False, immediate=False, x_axis=False)
