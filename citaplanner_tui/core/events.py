"""Progress events for long work (backup, verify, restore, drill).

The engine reports through a plain callback so the CLI can draw a text bar and the
TUI a ProgressBar without the engine knowing either.  A callback may also cancel
the work by returning from ``cancel.is_set()`` checks the engine does between chunks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from citaplanner_tui.core.errors import Cancelled
from citaplanner_tui.core.i18n import say


@dataclass(frozen=True)
class Progress:
    """One step of long work: which phase, how far, and a human message."""

    phase: str
    done: int = 0
    total: int | None = None
    message: str = ""
    elapsed: float = 0.0

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def rate(self) -> float | None:
        """Bytes (or units) per second so far."""
        if self.elapsed <= 0:
            return None
        return self.done / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when the total is known."""
        rate = self.rate
        if not rate or not self.total:
            return None
        return max(0.0, (self.total - self.done) / rate)


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """Default callback: headless runs without a terminal report nothing."""


class CancelFlag(Protocol):
    """What the engine checks between chunks: a ``threading.Event``, or the console's request to a child job."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


@dataclass
class Reporter:
    """Throttles progress for one job: at most one event per ``interval`` seconds.

    Phase changes and final events always go through, so no caller misses a step.
    """

    callback: ProgressCallback = ignore_progress
    interval: float = 0.1
    cancel: CancelFlag = field(default_factory=threading.Event)
    _start: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    _phase: str = ""

    def __call__(
        self, phase: str, done: int = 0, total: int | None = None, message: str = "", *, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and phase == self._phase and now - self._last < self.interval:
            return
        self._phase, self._last = phase, now
        self.callback(Progress(phase, done, total, message, now - self._start))

    def check_cancel(self) -> None:
        """Raise ``Cancelled`` if the operator asked to stop."""
        if self.cancel.is_set():
            raise Cancelled(say("cancelled by the operator; nothing was changed"))
