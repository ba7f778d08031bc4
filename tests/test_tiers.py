"""Which tiers a run files its one dump under (pure, no database)."""

from datetime import date

import pytest

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.volume.tiers import period, tiers_for


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 11, 3), ("daily",)),  # Tuesday
        (date(2026, 11, 8), ("daily", "weekly")),  # Sunday
        (date(2026, 12, 1), ("daily", "monthly")),  # Tuesday the 1st
        (date(2026, 11, 1), ("daily", "weekly", "monthly")),  # Sunday the 1st
        (date(2026, 11, 7), ("daily",)),  # Saturday
    ],
)
def test_auto(day, expected):
    assert tiers_for("auto", day) == expected


@pytest.mark.parametrize("tier", ["daily", "weekly", "monthly", "manual", "safety"])
def test_explicit_tier_is_the_only_one_even_on_a_sunday_the_first(tier):
    assert tiers_for(tier, date(2026, 11, 1)) == (tier,)


def test_unknown_tier_is_one_sentence():
    with pytest.raises(ConfigError, match="unknown tier 'hourly'"):
        tiers_for("hourly", date(2026, 11, 1))


@pytest.mark.parametrize(
    "covered, expected",
    [
        ((), ("daily", "weekly", "monthly")),  # first install on a Wednesday
        (("daily", "weekly"), ("daily", "monthly")),  # the month has no backup yet (its 1st failed)
        (("daily", "monthly"), ("daily", "weekly")),  # the week has none yet (a new week)
        (("daily", "weekly", "monthly"), ("daily",)),
    ],
)
def test_auto_fills_a_tier_whose_period_has_no_good_backup(covered, expected):
    assert tiers_for("auto", date(2026, 11, 4), covered) == expected
    assert tiers_for("daily", date(2026, 11, 4), covered) == ("daily",)  # an explicit tier stays alone


@pytest.mark.parametrize(
    "tier, when, label",
    [
        ("daily", date(2026, 11, 4), "2026-11-04"),
        ("weekly", date(2026, 11, 1), "2026-W44"),  # Sunday closes its ISO week
        ("weekly", date(2026, 11, 2), "2026-W45"),
        ("weekly", date(2027, 1, 1), "2026-W53"),  # ISO year, not calendar year
        ("monthly", date(2026, 11, 30), "2026-11"),
    ],
)
def test_periods(tier, when, label):
    assert period(tier, when) == label
