"""The console's sample data is a test fixture: outside the package, pinned without patching
the core, and its log lines (the volume's, the staged restore's) are the engines' own."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from tests.support.restore import settings_for
from tests.support.tui import backed_up_then_changed

import citaplanner_tui.tui as tui
from citaplanner_tui.core import verify
from citaplanner_tui.core.volume import disk
from citaplanner_tui.core.logs.lines import parse_line
from citaplanner_tui.core.logs.writer import log_path
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.settings import Settings
from tests.support.sample import SAMPLE_VOLUME_TOTAL, sample_console
from tests.support.sample_plans import swap_log_messages
from tests.support.tui import NOW, settle, sync


def test_the_package_ships_no_sample_data():
    shipped = {p.name for p in Path(tui.__file__).parent.rglob("*.py")}
    assert not shipped & {"sample.py", "sample_plans.py"}


@sync
async def test_the_sample_console_pins_the_volume_size_without_patching_the_core(pinned_sample_volume):
    app = sample_console(pinned_sample_volume, NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert disk.space.__module__ == disk.__name__ and disk.space.__qualname__ == "space"
        assert app.data.report.disk.space.total == SAMPLE_VOLUME_TOTAL


def test_the_sample_log_of_today_is_what_the_verify_engine_writes(pinned_sample_volume, tmp_path):
    """Re-run the real verify on a copy of the volume: it writes the same messages, in order."""
    today = log_path(pinned_sample_volume / "logs", "backup", NOW)
    shown = [parse_line(line) for line in today.read_text().splitlines()]
    copy = tmp_path / "backups"
    shutil.copytree(pinned_sample_volume, copy, copy_function=shutil.copy2)
    shutil.rmtree(copy / "logs")
    verify.verify(Settings(backup_dir=copy))
    written = [
        parse_line(line) for path in sorted((copy / "logs").glob("*.log")) for line in path.read_text().splitlines()
    ]
    assert shown and [(r.level, r.message.replace(str(copy), "")) for r in shown] == [
        (r.level, r.message.replace(str(copy), "")) for r in written
    ]


def test_the_staged_restore_log_is_what_a_real_swap_writes(app_db, backup_dir):
    """The wizard's staged run log (snapshots, screenshots) holds the engine's own lines: those of a
    serial swap (``--jobs 1``), as the sample plan is; on more cores the default load is parallel."""
    archive, _ = backed_up_then_changed(app_db, backup_dir)
    settings = settings_for(app_db, backup_dir)
    settings = replace(settings, restore=replace(settings.restore, jobs=1))
    plan = preflight(settings, archive)
    outcome = execute(settings, plan, confirm=plan.target)
    written = [parse_line(line) for line in next((backup_dir / "logs").glob("restore_*.log")).read_text().splitlines()]
    assert [(r.level, r.message) for r in written] == swap_log_messages(plan, outcome)
