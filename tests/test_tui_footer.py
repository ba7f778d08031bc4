"""The footer's keys, drawn by one widget (``tui/widgets/keys_footer.py``), work as Textual's did:
a click presses the key, a disabled key only rings the bell, the key under the mouse lights up and
shows its tooltip.  The looks are pinned by the snapshots (``tests/test_tui_snapshots.py``)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from tests.support.tui import drawn_lines, make_console, settle, sync


async def _at_key(pilot, words: str, into: int = 0, *, hover: bool = False) -> None:
    """Click (or only move the mouse) ``into`` columns into ``words`` on the footer, which must be drawn whole."""
    line = drawn_lines(pilot.app.screen.query_one(KeysFooter))[0]
    assert words in line, line
    offset = (line.index(words) + into, 0)
    await (pilot.hover if hover else pilot.click)(KeysFooter, offset=offset)
    await settle(pilot)


@asynccontextmanager
async def _console_on(volume, key: str | None = None):
    """The sample console at 80x24, settled, on the screen ``key`` opens (the dashboard without one)."""
    app = make_console(volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if key:
            await pilot.press(key)
            await settle(pilot)
        yield app, pilot


@sync
async def test_a_click_on_a_key_presses_it(sample_volume):
    async with _console_on(sample_volume) as (app, pilot):
        await _at_key(pilot, "b Backups", 3)
        assert type(app.screen).__name__ == "BackupsScreen"
        await _at_key(pilot, "esc Back")
        assert type(app.screen).__name__ == "DashboardScreen"


@sync
async def test_a_disabled_key_rings_the_bell_and_the_palette_key_opens_the_palette(sample_volume):
    async with _console_on(sample_volume, "n") as (app, pilot):
        rings = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        await _at_key(pilot, "c Cancel backup", 5)  # no job to cancel
        assert rings == ["bell"] and type(app.screen).__name__ == "BackupNowScreen" and not app.jobs
        await _at_key(pilot, "^p palette")
        assert type(app.screen).__name__ == "CommandPalette"


@sync
async def test_the_key_under_the_mouse_lights_up_and_shows_its_tooltip(sample_volume):
    async with _console_on(sample_volume, "n") as (app, pilot):
        footer = app.screen.query_one(KeysFooter)

        def backgrounds() -> dict[str, object]:
            return {seg.text.strip(): seg.style.bgcolor for seg in footer.render_line(0) if seg.text.strip()}

        before = backgrounds()
        await _at_key(pilot, "q Quit", hover=True)
        lit = backgrounds()
        assert lit["q"] == lit["Quit"] != before["Quit"], (before, lit)
        assert lit["Help"] == before["Help"]  # only that key
        await _at_key(pilot, "^p palette", 1, hover=True)
        assert footer.tooltip == "Open the command palette"
        assert backgrounds()["Quit"] == before["Quit"]
