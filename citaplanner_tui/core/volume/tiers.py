"""Which tiers one backup run files its dump under, and the period each tier keeps one of.

The old script took a second full dump on Sundays and a third on the 1st of the month.
We take one dump and file it under every tier the day calls for (the weekly and
monthly copies are hard links of the daily).

Each rotated tier keeps one backup per *period* (grandfather-father-son): a day for
daily, an ISO week (Monday to Sunday) for weekly, a calendar month for monthly.  A
run on ``auto`` also files its dump under any rotated tier whose current period has no
good backup yet, so a first install on a Wednesday, or a failed Sunday or 1st, does
not leave that week or month without one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.volume.naming import ROTATED_TIERS, TIERS

CHOICES = ("auto",) + TIERS
_UNITS = {"daily": ("day", "days"), "weekly": ("week", "weeks"), "monthly": ("month", "months")}


def period(tier: str, when: date | datetime) -> str:
    """The period of ``tier`` that ``when`` falls in, as an operator reads it.

    ``2026-11-03`` (daily), ``2026-W45`` (weekly, ISO week), ``2026-11`` (monthly).
    The labels sort in time order within a tier.
    """
    if tier == "daily":
        return f"{when:%Y-%m-%d}"
    if tier == "weekly":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    if tier == "monthly":
        return f"{when:%Y-%m}"
    raise ValueError(f"tier {tier!r} is not rotated by period")


def unit(tier: str, n: int) -> str:
    """``1 day``, ``4 weeks``: the period word of a rotated tier."""
    one, many = _UNITS[tier]
    return f"{n} {one if n == 1 else many}"


def tiers_for(tier: str, day: date, covered: Iterable[str] = ROTATED_TIERS) -> tuple[str, ...]:
    """The tiers for a run asked for ``tier`` on ``day``; the first one gets the dump itself.

    ``auto``: daily always, weekly on Sunday, monthly on the 1st, and any rotated tier
    not in ``covered`` (the tiers that already hold a good backup of ``day``'s period;
    the default, all of them, gives the plain calendar rule).  An explicit tier files
    the dump under that tier only.
    """
    if tier not in CHOICES:
        raise ConfigError(f"unknown tier {tier!r}: expected one of {', '.join(CHOICES)}")
    if tier != "auto":
        return (tier,)
    covered = set(covered)
    chosen = ["daily"]
    if day.isoweekday() == 7 or "weekly" not in covered:
        chosen.append("weekly")
    if day.day == 1 or "monthly" not in covered:
        chosen.append("monthly")
    return tuple(chosen)
