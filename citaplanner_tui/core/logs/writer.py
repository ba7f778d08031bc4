"""The backup log: append our lines to the day's file.

We append ``[YYYY-MM-DD HH:MM:SS] LEVEL message`` (``core/logs/lines.py``) to
``LOG_DIR/backup_YYYYMMDD.log`` (``restore_YYYYMMDD.log`` for restores).
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from citaplanner_tui.core.logs.lines import LogRecord, format_line

_lock = threading.Lock()


def log_path(log_dir: Path, kind: str, when: datetime) -> Path:
    """``backup_YYYYMMDD.log`` or ``restore_YYYYMMDD.log`` for the day of ``when``."""
    return Path(log_dir) / f"{kind}_{when.strftime('%Y%m%d')}.log"


class Log:
    """Appends our lines to the day's log file; creates LOG_DIR (0700) when missing.

    The old script died on its first run because its log folder did not exist yet;
    we create it.  ``echo`` receives each line too (the CLI prints, the TUI shows).
    """

    def __init__(
        self,
        log_dir: Path,
        kind: str = "backup",
        echo: Callable[[LogRecord], None] | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ):
        self.log_dir, self.kind, self.echo, self.clock = Path(log_dir), kind, echo, clock

    def write(self, level: str, message: str) -> None:
        now = self.clock()
        line = format_line(now, level, message)
        self.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = log_path(self.log_dir, self.kind, now)
        with _lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        if self.echo is not None:
            self.echo(LogRecord(now, level, message))

    def info(self, message: str) -> None:
        self.write("INFO", message)

    def ok(self, message: str) -> None:
        self.write("OK", message)

    def warn(self, message: str) -> None:
        self.write("WARN", message)

    def error(self, message: str) -> None:
        self.write("ERROR", message)
