"""Snapshots at 80x24 of the off-site screen and the backups list with its Where column, on the
sample volume with the two sample targets (``tests/support/sample.py``: fixed clock, listings and
last pushes), and of the off-site screen without colour.

Regenerate after an intended change with ``pytest tests/test_tui_offsite_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.support.sample import SAMPLE_OFFSITE_SCREENS, sample_offsite_console
from tests.support.tui import NOW, pinned_sample_volume, settle  # noqa: F401


def _keys(*keys):
    async def run(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


@pytest.mark.parametrize("name", list(SAMPLE_OFFSITE_SCREENS))
def test_screen(snap_compare, pinned_sample_volume, name):
    app = sample_offsite_console(pinned_sample_volume, NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys(*SAMPLE_OFFSITE_SCREENS[name]))


def test_offsite_without_colour(snap_compare, pinned_sample_volume, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # health stays a word
    app = sample_offsite_console(pinned_sample_volume, NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("o"))
