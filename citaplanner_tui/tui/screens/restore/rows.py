"""Two-column rows whose right cell wraps under itself (a hanging indent).

Pre-flight checks and plan steps have long details; wrapped under the word or the
step number they would be hard to scan at 80 columns.
"""

from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.widgets import Static


class Rows(Vertical):
    DEFAULT_CSS = """
    Rows { height: auto; }
    Rows > Horizontal { height: auto; }
    Rows .rows-right { width: 1fr; }
    """

    def __init__(self, left_width: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.left_width = left_width

    def set(self, rows: list[tuple[str, str]]) -> None:
        """Replace the rows; both cells are content markup."""
        self.remove_children()
        for left, right in rows:
            cell = Static(left, classes="rows-left")
            cell.styles.width = self.left_width
            self.mount(Horizontal(cell, Static(right, classes="rows-right")))

    @property
    def text(self) -> str:
        """What the rows say, as plain text (for tests)."""
        return "\n".join(" ".join(str(cell.render()) for cell in row.query(Static)) for row in self.children)
