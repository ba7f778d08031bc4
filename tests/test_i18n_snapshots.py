"""The console in Spanish at 80x24: the dashboard, the restore wizard's confirmation and the seed screen.

The same pinned sample volume, clock and staged engine results as the English snapshots
(``tests/test_tui_snapshots.py``, ``tests/test_tui_restore_seed_snapshots.py``), so only the
language differs.  Spanish runs longer than English: these snapshots are where a cut word shows.
Regenerate after an intended change with ``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from citaplanner_tui.core import i18n
from tests.support.sample import sample_console
from tests.support.sample_plans import SAMPLE_STAGES
from tests.support.tui import NOW, settle


@pytest.fixture
def spanish():
    i18n.activate("es")
    yield
    i18n.activate("en")


async def _ready(pilot) -> None:
    await settle(pilot)


def _staged(name: str):
    async def run(pilot) -> None:
        await settle(pilot)
        await SAMPLE_STAGES[name](pilot, NOW)

    return run


def test_dashboard_in_spanish(snap_compare, pinned_sample_volume, spanish):
    assert snap_compare(sample_console(pinned_sample_volume, NOW), terminal_size=(80, 24), run_before=_ready)


@pytest.mark.parametrize("name", ["restore_confirm", "seed"])
def test_screen_in_spanish(snap_compare, pinned_sample_volume, spanish, name):
    assert snap_compare(sample_console(pinned_sample_volume, NOW), terminal_size=(80, 24), run_before=_staged(name))
