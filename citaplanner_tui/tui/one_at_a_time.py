"""A worker's run that never overlaps itself, and is not lost when asked for meanwhile.

The dashboard's refresh and the restore wizard's reads of the engine's log run in a
thread; a second one started while the first runs would race it, and one dropped would
leave the screen behind (a job that ended while a refresh ran must still show).  So a
run asked for meanwhile is remembered, and runs once, when the one under way is done.
"""

from __future__ import annotations


class OneAtATime:
    def __init__(self) -> None:
        self.running = False
        self._again = False

    def start(self) -> bool:
        """Whether the caller starts its run now; if not, one more run is owed when this one ends."""
        if self.running:
            self._again = True
            return False
        self.running, self._again = True, False
        return True

    def finished(self) -> bool:
        """The run under way is over: whether another was asked for meanwhile (the caller starts it)."""
        self.running = False
        return self._again
