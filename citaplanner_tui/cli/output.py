"""What a headless command writes: its result as JSON or text on stdout, and one progress
line on stderr while it works.

Every command goes through here, so ``--json`` output has one shape of options (UTF-8 as
is, values JSON cannot hold, such as dates and paths, as strings) and every progress line
is ended when the work ends, by failure or Ctrl-C too, before the error sentence is
printed.  The line is drawn only when stderr is a terminal: cron mail and pipes get no
carriage returns.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, TextIO

from citaplanner_tui.core.i18n import shown
from citaplanner_tui.core.events import Progress, Reporter, ignore_progress
from citaplanner_tui.core.report import units

CLEAR = "\r\x1b[2K"  # back to the start of the line, and erase it
INTERVAL = 0.2  # seconds between redraws


def write_json(data: object) -> None:
    """The result for scripts: indented JSON and a newline on stdout."""
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def write_text(*lines: str) -> None:
    """The result for people: lines on stdout."""
    for line in lines:
        print(line)


def write_result(as_json: bool, data: object, text: str) -> None:
    """``data`` as JSON when ``--json`` was given, else ``text``."""
    if as_json:
        write_json(data)
    else:
        write_text(text)


def render(p: Progress) -> str:
    """``dump  812.0 MiB / ~1.0 GiB  81%  64.2 MiB/s  3 s left``, compact enough for 80 columns."""
    parts = [f"{p.phase:<7}"]
    if p.done or p.total:
        parts.append(units.size(p.done) + (f" / ~{units.size(p.total)}" if p.total else ""))
    if p.fraction is not None:
        parts.append(f"{p.fraction:4.0%}")
    if p.rate:
        parts.append(f"{units.size(p.rate)}/s")
    if p.eta is not None and p.done < (p.total or 0):
        parts.append(f"{p.eta:.0f} s left")
    if p.message:
        parts.append(shown(p.message))
    return "  ".join(parts)[:79]


def _draw(stream: TextIO) -> Callable[[Progress], None]:
    """A progress callback that redraws one line of ``stream``, or one that ignores events off a TTY."""
    if not stream.isatty():
        return ignore_progress

    def show(p: Progress) -> None:
        stream.write(CLEAR + render(p))
        if p.phase == "done":
            stream.write(CLEAR)
        stream.flush()

    return show


def _end(stream: TextIO) -> None:
    """Clear the progress line, so what follows starts on a clean line."""
    if stream.isatty():
        stream.write(CLEAR)
        stream.flush()


@contextmanager
def progress(stream: TextIO | None = None) -> Iterator[Reporter]:
    """A Reporter that draws one stderr line for the work in the block; the line is ended
    when the block ends, whether the work finished, failed or was interrupted."""
    stream = stream or sys.stderr
    try:
        yield Reporter(_draw(stream), interval=INTERVAL)
    finally:
        _end(stream)
