"""A one-line progress display on stderr for long headless work (backup, verify, restore).

Drawn only when stderr is a terminal: cron mail and pipes get no carriage returns.
"""

from __future__ import annotations

import sys

from citaplanner_tui.core import units
from citaplanner_tui.core.events import Progress, ignore_progress


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
        parts.append(p.message)
    return "  ".join(parts)[:79]


def stderr_progress(stream=None):
    """A progress callback that redraws one stderr line, or one that ignores events off a TTY."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return ignore_progress

    def show(p: Progress) -> None:
        stream.write("\r\x1b[2K" + render(p))
        if p.phase == "done":
            stream.write("\r\x1b[2K")
        stream.flush()

    return show


def end_progress(stream=None) -> None:
    """Clear the progress line (after a failure too), so what follows starts on a clean line."""
    stream = stream or sys.stderr
    if stream.isatty():
        stream.write("\r\x1b[2K")
        stream.flush()
