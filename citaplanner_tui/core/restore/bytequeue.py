"""A queue between the loader and a session, bounded by the bytes it holds, not by its items.

One queue per session carries, in order, COPY chunks of a few MB and statements of a few
hundred bytes.  Bounded by a count of items, a burst of small statements fills it: the
six foreign-key checks of the biggest table, given to one worker, held the loader on that
worker until its first two checks were done, and the other worker sat idle meanwhile
(half a second of a 500 MB load).  Bounded by bytes, memory stays as bounded as before
and statements never hold the loader up.
"""

from __future__ import annotations

import collections
import queue
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class ByteQueue(Generic[T]):
    """A FIFO of ``(item, size)``: ``put`` waits while ``limit`` bytes or more are held.

    An item is taken whatever its size once the queue holds less than ``limit``, so one
    bigger than the limit never waits for ever; at most ``limit`` plus one item is held.
    Raises ``queue.Full`` and ``queue.Empty`` as ``queue.Queue`` does.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._items: collections.deque[tuple[T, int]] = collections.deque()
        self._held = 0
        self._changed = threading.Condition()

    def put(self, item: T, size: int, timeout: float | None = None) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._held < self.limit, timeout):
                raise queue.Full
            self._items.append((item, size))
            self._held += size
            self._changed.notify_all()

    def get(self) -> T:
        with self._changed:
            self._changed.wait_for(lambda: self._items)
            return self._take()

    def get_nowait(self) -> T:
        with self._changed:
            if not self._items:
                raise queue.Empty
            return self._take()

    def _take(self) -> T:
        item, size = self._items.popleft()
        self._held -= size
        self._changed.notify_all()
        return item
