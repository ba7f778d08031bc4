"""The backup volume's space: used and free, bytes per tier, growth, and days until full.

Space comes from ``statvfs`` (what the operator's ``df`` shows; free is what an
unprivileged writer may use).  Growth is estimated from the catalog alone, so it needs
no history file:

- a rotated tier that holds fewer backups than retention keeps is still filling up and
  adds a whole dump per backup it takes (daily 1/day, weekly 1/7, monthly 1/30);
- once a tier is full, pruning frees about what each backup adds, and the volume grows
  only as the dumps themselves grow: the trend of the daily dumps' size over the last
  weeks (least squares), times the number of distinct dumps kept.

Hard-linked copies (weekly/monthly share the daily's dump) are counted once in every
volume total, and once per tier in ``tier_sizes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable


from citaplanner_tui.core.volume.catalog import Catalog, Entry

SECONDS_PER_DAY = 86400.0
# How often a rotated tier gets a new backup, per day.
TIER_RATE = {"daily": 1.0, "weekly": 1 / 7, "monthly": 1 / 30}


@dataclass(frozen=True)
class Space:
    """``statvfs`` of the folder holding the backups."""

    path: Path
    total: int
    used: int
    free: int


@dataclass(frozen=True)
class DiskReport:
    """Everything the status shows about the volume; ``growth_per_day``/``days_left`` may be unknown."""

    space: Space | None
    tier_sizes: dict[str, int]
    backup_bytes: int
    growth_per_day: float | None
    days_left: float | None


def space(path: Path) -> Space | None:
    """Space of the volume holding ``path`` (or its nearest existing parent); None if unknowable."""
    path = Path(path)
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except OSError:
        return None
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    return Space(path, total, total - st.f_bfree * st.f_frsize, free)


def unique_bytes(entries: Iterable[Entry]) -> int:
    """Bytes on disk of these entries, counting each hard-linked file once."""
    seen: set[tuple[object, ...]] = set()
    total = 0
    for e in entries:
        key = (e.dev, e.inode) if e.inode else (str(e.path),)
        if key not in seen:
            seen.add(key)
            total += e.size
    return total


def tier_sizes(catalog: Catalog) -> dict[str, int]:
    """Bytes held by each tier's files (ours and others), in the catalog's tier order."""
    return {tier: unique_bytes(catalog.by_tier(tier)) for tier in catalog.tiers()}


def size_trend(points: list[tuple[datetime, int]]) -> float | None:
    """Least-squares slope of size over time, in bytes per day; None with fewer than two moments."""
    if len({t for t, _ in points}) < 2:
        return None
    xs = [t.timestamp() / SECONDS_PER_DAY for t, _ in points]
    ys = [float(size) for _, size in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var


def growth_per_day(catalog: Catalog, keep: dict[str, int], now: datetime, window_days: int = 28) -> float | None:
    """Expected net growth of the backup bytes per day (see the module docstring); None if unknown."""
    growth, known = 0.0, False
    for tier, rate in TIER_RATE.items():
        dumps = [e for e in catalog.backups(tier) if e.good]
        if dumps and len(dumps) < keep.get(tier, 0):
            growth += dumps[0].size * rate
            known = True
    since = now - timedelta(days=window_days)
    recent = [(e.when, e.size) for e in catalog.backups("daily") if e.good and e.when >= since]  # a dump's name time
    trend = size_trend(recent)
    if trend is not None:
        kept = [e for tier in TIER_RATE for e in catalog.backups(tier) if e.good]
        growth += trend * len({(e.dev, e.inode) for e in kept})
        known = True
    return growth if known else None


def days_left(free: int, growth: float | None) -> float | None:
    """Days until ``free`` bytes are used at ``growth`` bytes/day; None when not growing or unknown."""
    if growth is None or growth <= 0:
        return None
    return free / growth


def report(
    catalog: Catalog, keep: dict[str, int], now: datetime, space_of: Callable[[Path], Space | None] | None = None
) -> DiskReport:
    """The disk part of the status for the catalog's volume (``space_of``: how to read its size,
    ``space`` unless the caller pins it, as the console's screenshots do)."""
    vol = (space_of or space)(catalog.backup_dir)
    growth = growth_per_day(catalog, keep, now)
    return DiskReport(
        vol, tier_sizes(catalog), unique_bytes(catalog), growth, days_left(vol.free, growth) if vol else None
    )
