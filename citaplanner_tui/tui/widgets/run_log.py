"""The log lines of one run (a restore, a rollback) as the engine writes them.

The screen reads the records the engine appends to the day's log file
(``core.logs.lines.parse_line``) and adds them here.  Levels are a word and a colour
(component classes with theme variables), so they read in 16 colours and with
``NO_COLOR``.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from citaplanner_tui.core.logs.lines import LogRecord


class RunLog(RichLog):
    COMPONENT_CLASSES = {"run-log--time", "run-log--info", "run-log--ok", "run-log--warn", "run-log--error"}
    DEFAULT_CSS = """
    RunLog { background: $surface; border: round $primary; height: 1fr; min-height: 4; }
    RunLog > .run-log--time { color: $text-muted; }
    RunLog > .run-log--info { color: $text; }
    RunLog > .run-log--ok { color: $success; text-style: bold; }
    RunLog > .run-log--warn { color: $warning; text-style: bold; }
    RunLog > .run-log--error { color: $error; text-style: bold reverse; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # Lines wrap at the width they get: RichLog's default minimum of 78 columns is wider
        # than the log at 80 columns, and its last two characters went under the scrollbar.
        super().__init__(wrap=True, markup=False, highlight=False, min_width=1, id=id)

    def add(self, record: LogRecord) -> None:
        line = Text()
        if record.time is not None:
            line.append(f"{record.time:%H:%M:%S} ", self.get_component_rich_style("run-log--time"))
        level = record.level.lower() if record.level in ("INFO", "OK", "WARN", "ERROR") else "info"
        line.append(f"{record.level:<5}", self.get_component_rich_style(f"run-log--{level}"))
        line.append(f" {record.message}")
        self.write(line)
