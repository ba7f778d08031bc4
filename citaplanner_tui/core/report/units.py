"""How byte counts and counted things are written for operators, the same in logs, the CLI
and the console."""

from __future__ import annotations

import humanize


def size(n: float) -> str:
    """``812.0 MiB``: binary units, one decimal (humanize)."""
    return humanize.naturalsize(n, binary=True)


def every(n: int, done: str) -> str:
    """``all 3 backups verified``, but ``1 backup verified``: "all 1 backups" reads as a bug."""
    return f"1 backup {done}" if n == 1 else f"all {n} backups {done}"
