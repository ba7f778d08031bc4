"""Log lines: their format, and reading ours and the old script's.

Ours are ``[YYYY-MM-DD HH:MM:SS] LEVEL message``, with no colour codes.  The old script wrote
ANSI colour codes and an emoji instead of a level word; ``parse_line`` reads both.
Lines without a timestamp are the stderr of the client tools the old script ran
(pg_dump's verbose output, its errors), or continue the entry before them;
``untimed_level`` tells which.  The writer (``core/logs/writer.py``) and the index
(``core/logs/index.py``) share these definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

LEVELS = ("INFO", "OK", "WARN", "ERROR")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LINE = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\]\s*(.*)$")
EMOJI = (("ℹ️", "INFO"), ("ℹ", "INFO"), ("✅", "OK"), ("⚠️", "WARN"), ("⚠", "WARN"), ("❌", "ERROR"))

# The client tools whose stderr the old script appended to its logs, untimed.  Such a line is
# the tool's own entry: ERROR or WARN when it says "error:"/"warning:" (the first of them; in
# lower case from the tool, in upper case from the server it quotes), INFO otherwise (pg_dump's
# verbose progress).  Its "detail:" and "hint:" lines, like any other untimed line, continue
# the entry before them.  Also compiled for bytes by ``core.logs.index`` (one definition).
CLIENT_TOOLS = (
    "pg_dump",
    "pg_dumpall",
    "pg_restore",
    "pg_isready",
    "psql",
    "createdb",
    "dropdb",
    "gzip",
    "gunzip",
    "sha256sum",
)
TOOL_SEVERITY = {"error": "ERROR", "ERROR": "ERROR", "warning": "WARN", "WARNING": "WARN"}
TOOL_LINE = (
    r"(?:" + "|".join(CLIENT_TOOLS) + r")(?::[^\s:]+)*: (?:"
    r"(?P<continued>(?:detail|hint|DETAIL|HINT):)"
    r"|[^\n]*?\b(?P<severity>" + "|".join(TOOL_SEVERITY) + r"):)?"
)
_TOOL_LINE = re.compile(TOOL_LINE)


@dataclass(frozen=True)
class LogRecord:
    """One log line: time (None for continuation lines), level word, message."""

    time: datetime | None
    level: str
    message: str


def parse_line(line: str) -> LogRecord:
    """Read one line of ours or of the old script's (emoji + ANSI) format."""
    text = _ANSI.sub("", line.rstrip("\r\n"))
    match = _LINE.match(text)
    if not match:
        return LogRecord(None, untimed_level(text) or "INFO", text)
    when = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S")
    rest = match[2]
    for emoji, level in EMOJI:
        if rest.startswith(emoji):
            return LogRecord(when, level, rest[len(emoji) :].lstrip("\ufe0f").strip())
    word, _, message = rest.partition(" ")
    if word in LEVELS:
        return LogRecord(when, word, message.strip())
    return LogRecord(when, "INFO", rest.strip())


def untimed_level(text: str) -> str | None:
    """The level an untimed line has of its own (a client tool's line), or None when it
    continues the entry before it and so takes that entry's level."""
    match = _TOOL_LINE.match(text)
    if match is None or match["continued"]:
        return None
    return TOOL_SEVERITY[match["severity"]] if match["severity"] else "INFO"


def format_line(when: datetime, level: str, message: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    flat = " ".join(message.split())
    return f"[{when.strftime('%Y-%m-%d %H:%M:%S')}] {level} {flat}\n"
