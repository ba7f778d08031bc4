"""Which tiers a run files its one dump under (pure, no database)."""

from datetime import date

import pytest

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.tiers import tiers_for


@pytest.mark.parametrize("day, expected", [
    (date(2026, 11, 3), ("daily",)),                          # Tuesday
    (date(2026, 11, 8), ("daily", "weekly")),                 # Sunday
    (date(2026, 12, 1), ("daily", "monthly")),                # Tuesday the 1st
    (date(2026, 11, 1), ("daily", "weekly", "monthly")),      # Sunday the 1st
    (date(2026, 11, 7), ("daily",)),                          # Saturday
])
def test_auto(day, expected):
    assert tiers_for("auto", day) == expected


@pytest.mark.parametrize("tier", ["daily", "weekly", "monthly", "manual", "safety"])
def test_explicit_tier_is_the_only_one_even_on_a_sunday_the_first(tier):
    assert tiers_for(tier, date(2026, 11, 1)) == (tier,)


def test_unknown_tier_is_one_sentence():
    with pytest.raises(ConfigError, match="unknown tier 'hourly'"):
        tiers_for("hourly", date(2026, 11, 1))
