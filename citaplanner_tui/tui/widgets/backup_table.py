"""A table of backups that stays fast with thousands of rows.

Textual's DataTable measures every cell of every row it is given (5,000 backups took
seconds on the event loop).  Backups have a fixed set of short columns, so this table
uses fixed widths and draws only the rows on screen: refilling it is a list
assignment, whatever the catalog's size.  Rows whose state is a problem are drawn in
the colour of their health, and the state word is always there.
"""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from citaplanner_tui.core.i18n import N_, _


class BackupTable(ScrollView, can_focus=True):
    """``columns``: (title, width) pairs; ``set_rows([(key, cells, health), ...])``."""

    BINDINGS = [
        Binding("up", "cursor(-1)", N_("Up"), show=False),
        Binding("down", "cursor(1)", N_("Down"), show=False),
        Binding("pageup", "page(-1)", N_("Page up"), show=False),
        Binding("pagedown", "page(1)", N_("Page down"), show=False),
        Binding("home", "jump(0)", N_("First"), show=False),
        Binding("end", "jump(-1)", N_("Last"), show=False),
    ]
    COMPONENT_CLASSES = {"backup-table--header", "backup-table--cursor", "backup-table--warn", "backup-table--fail"}
    DEFAULT_CSS = """
    BackupTable { background: $surface; overflow-x: hidden; }
    BackupTable > .backup-table--header { text-style: bold; background: $panel; }
    BackupTable > .backup-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    BackupTable > .backup-table--warn { color: $warning; }
    BackupTable > .backup-table--fail { color: $error; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0)

    class Highlighted(Message):
        def __init__(self, table: BackupTable, key: str | None) -> None:
            super().__init__()
            self.table, self.key = table, key

    def __init__(self, columns: tuple[tuple[str, int], ...], *, id: str | None = None):
        super().__init__(id=id)
        self.columns = columns
        self.rows: list[tuple[str, tuple[str, ...], str]] = []
        self._index: dict[str, int] = {}

    # -- content -----------------------------------------------------------------------
    def set_rows(self, rows: list[tuple[str, tuple[str, ...], str]]) -> None:
        """Replace the rows, keeping the cursor on the same key when it is still there."""
        key = self.cursor_key
        self.rows = rows
        self._index = {row[0]: i for i, row in enumerate(rows)}
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        fallback = min(self.cursor, max(0, len(rows) - 1))
        self.set_reactive(BackupTable.cursor, self._index.get(key, fallback) if key is not None else fallback)
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor][0] if 0 <= self.cursor < len(self.rows) else None

    def select(self, key: str) -> None:
        if key in self._index:
            self.cursor = self._index[key]

    def cells(self, key: str) -> tuple[str, ...]:
        return self.rows[self._index[key]][1]

    # -- moving ------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor(self) -> None:
        body = self.size.height - 1  # the header row stays
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif body > 0 and self.cursor >= self.scroll_y + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 2)

    def action_jump(self, where: int) -> None:
        self.cursor = where if where >= 0 else len(self.rows) - 1

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.cursor = int(self.scroll_y) + event.y - 1

    # -- drawing: the header, then only the visible rows -----------------------------------
    def _line(self, cells: Sequence[str], style: Style) -> Strip:
        """One row as one segment that carries its style.

        Not through ``rich.text.Text.render``: for a text without spans it yields a
        segment with no style at all, and Textual's ``NO_COLOR`` filter reads the style
        of every segment (``'NoneType' object has no attribute 'color'``).
        """
        line = "".join(f" {cell[:width]:<{width}}" for (_, width), cell in zip(self.columns, cells))
        return Strip([Segment(line, style)], cell_len(line)).crop_extend(0, self.size.width, style)

    def render_line(self, y: int) -> Strip:
        if y == 0:
            return self._line(
                [_(title) for title, _width in self.columns], self.get_component_rich_style("backup-table--header")
            )
        row = int(self.scroll_y) + y - 1
        if row >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        _key, cells, health = self.rows[row]
        if row == self.cursor and self.has_focus:
            style = self.get_component_rich_style("backup-table--cursor")
        elif health in ("WARN", "FAIL"):
            style = self.rich_style + self.get_component_rich_style(f"backup-table--{health.lower()}")
        else:
            style = self.rich_style
        return self._line(cells, style)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
