"""The footer's keys, drawn by one widget (``tui/widgets/keys_footer.py``), work as Textual's did:
a click presses the key, a disabled key only rings the bell, the key under the mouse lights up and
shows its tooltip.  The looks are pinned by the snapshots (``tests/test_tui_snapshots.py``)."""

from __future__ import annotations

from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from tests.support.tui import drawn_lines, make_console, settle, sync


def _column(app, words: str) -> int:
    """The column of ``words`` on the screen's footer line (fails if they are not drawn whole)."""
    line = drawn_lines(app.screen.query_one(KeysFooter))[0]
    assert words in line, line
    return line.index(words)


@sync
async def test_a_click_on_a_key_presses_it(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click(KeysFooter, offset=(_column(app, "b Backups") + 3, 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "BackupsScreen"
        await pilot.click(KeysFooter, offset=(_column(app, "esc Back"), 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "DashboardScreen"


@sync
async def test_a_disabled_key_rings_the_bell_and_the_palette_key_opens_the_palette(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        rings = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        await pilot.click(KeysFooter, offset=(_column(app, "c Cancel backup") + 5, 0))  # no job to cancel
        await settle(pilot)
        assert rings == ["bell"] and type(app.screen).__name__ == "BackupNowScreen" and not app.jobs
        await pilot.click(KeysFooter, offset=(_column(app, "^p palette"), 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "CommandPalette"


@sync
async def test_the_key_under_the_mouse_lights_up_and_shows_its_tooltip(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)

        def backgrounds() -> dict[str, object]:
            return {seg.text.strip(): seg.style.bgcolor for seg in footer.render_line(0) if seg.text.strip()}

        before = backgrounds()
        await pilot.hover(KeysFooter, offset=(_column(app, "q Quit"), 0))
        await settle(pilot)
        lit = backgrounds()
        assert lit["q"] == lit["Quit"] != before["Quit"], (before, lit)
        assert lit["Help"] == before["Help"]  # only that key
        await pilot.hover(KeysFooter, offset=(_column(app, "^p palette") + 1, 0))
        await settle(pilot)
        assert footer.tooltip == "Open the command palette"
        assert backgrounds()["Quit"] == before["Quit"]
