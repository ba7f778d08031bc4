"""Snapshots of every screen at 80x24 on the deterministic sample volume (fixed clock,
target, database facts and volume size; no timers), one in 16 colours and one read-only;
the off-site screen and the backups' Where column with the two pinned sample targets.

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.support.sample import SAMPLE_OFFSITE_SCREENS, SAMPLE_SCREENS, sample_console, sample_offsite_console
from tests.support.tui import NOW, settle


async def _ready(pilot) -> None:
    await settle(pilot)


def _keys(*keys):
    async def run(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


@pytest.mark.parametrize("name", list(SAMPLE_SCREENS))
def test_screen(snap_compare, pinned_sample_volume, name):
    assert snap_compare(
        sample_console(pinned_sample_volume, NOW), terminal_size=(80, 24), run_before=_keys(*SAMPLE_SCREENS[name])
    )


def test_dashboard_in_16_colours(snap_compare, pinned_sample_volume):
    assert snap_compare(
        sample_console(pinned_sample_volume, NOW, theme="ansi-dark"), terminal_size=(80, 24), run_before=_ready
    )


def test_dashboard_read_only(snap_compare, pinned_sample_volume):
    assert snap_compare(
        sample_console(pinned_sample_volume, NOW, read_only=True), terminal_size=(80, 24), run_before=_ready
    )


def test_dashboard_in_a_larger_terminal(snap_compare, pinned_sample_volume):
    assert snap_compare(sample_console(pinned_sample_volume, NOW), terminal_size=(120, 40), run_before=_ready)


def test_dashboard_without_colour(snap_compare, pinned_sample_volume, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made: health stays a word
    assert snap_compare(sample_console(pinned_sample_volume, NOW), terminal_size=(80, 24), run_before=_ready)


@pytest.mark.parametrize("name", list(SAMPLE_OFFSITE_SCREENS))
def test_offsite_screen(snap_compare, pinned_sample_volume, name):
    app = sample_offsite_console(pinned_sample_volume, NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys(*SAMPLE_OFFSITE_SCREENS[name]))


def test_offsite_without_colour(snap_compare, pinned_sample_volume, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # health stays a word
    app = sample_offsite_console(pinned_sample_volume, NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("o"))
