"""How byte counts and counted things are written for operators, the same in logs, the CLI
and the console.

humanize is imported on the first size written: the console's first paint writes none."""

from __future__ import annotations

from functools import cache
from typing import Callable


def size(n: float) -> str:
    """``812.0 MiB``: binary units, one decimal (humanize)."""
    return _naturalsize()(n, binary=True)


@cache
def _naturalsize() -> Callable[..., str]:
    from humanize import naturalsize

    return naturalsize


def clipped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def every(n: int, done: str) -> str:
    """``all 3 backups verified``, but ``1 backup verified``: "all 1 backups" reads as a bug."""
    return f"1 backup {done}" if n == 1 else f"all {n} backups {done}"
