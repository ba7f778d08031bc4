"""How byte counts are written for operators, the same in logs, the CLI and the console."""

from __future__ import annotations

import humanize


def size(n: float) -> str:
    """``812.0 MiB``: binary units, one decimal (humanize)."""
    return humanize.naturalsize(n, binary=True)
