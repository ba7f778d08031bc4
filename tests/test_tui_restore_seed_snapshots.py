"""Snapshots of every restore-wizard step and of the seed screen at 80x24.

Deterministic: the sample volume and clock of ``tests/support/sample.py``, and the engines' own
dataclasses built from fixed values by ``tests/support/sample_plans.py`` (a restore plan from
``steps_for``, a seed plan from ``decide``), so no port, time or cuid shows.  The same
stages make the screenshots (``scripts/export_screenshots.py``).
Regenerate after an intended change with ``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.support.sample import sample_console
from tests.support.sample_plans import SAMPLE_STAGES
from tests.support.tui import NOW, settle


def staged(name: str):
    async def run(pilot) -> None:
        await settle(pilot)
        await SAMPLE_STAGES[name](pilot, NOW)

    return run


@pytest.mark.parametrize("name", list(SAMPLE_STAGES))
def test_screen(snap_compare, pinned_sample_volume, name):
    assert snap_compare(sample_console(pinned_sample_volume, NOW), terminal_size=(80, 24), run_before=staged(name))


def test_seed_screen_in_16_colours(snap_compare, pinned_sample_volume):
    assert snap_compare(
        sample_console(pinned_sample_volume, NOW, theme="ansi-dark"),
        terminal_size=(80, 24),
        run_before=staged("seed_conflicts"),
    )
