"""Which tiers one backup run files its dump under.

The old script took a second full dump on Sundays and a third on the 1st of the month.
We take one dump and file it under every tier the day calls for (the weekly and
monthly copies are hard links of the daily).
"""

from __future__ import annotations

from datetime import date

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.naming import TIERS

CHOICES = ("auto",) + TIERS


def tiers_for(tier: str, day: date) -> tuple[str, ...]:
    """The tiers for a run asked for ``tier`` on ``day``; the first one gets the dump itself.

    ``auto``: daily always, weekly on Sunday, monthly on the 1st.  An explicit tier
    files the dump under that tier only.
    """
    if tier not in CHOICES:
        raise ConfigError(f"unknown tier {tier!r}: expected one of {', '.join(CHOICES)}")
    if tier != "auto":
        return (tier,)
    chosen = ["daily"]
    if day.isoweekday() == 7:
        chosen.append("weekly")
    if day.day == 1:
        chosen.append("monthly")
    return tuple(chosen)
