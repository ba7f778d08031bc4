"""No crash reaches the operator as a traceback: NO_COLOR rendering, and the app-level catch."""

from __future__ import annotations

import stat

import pytest
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from citaplanner_tui.tui.app import CitaPlannerApp
from citaplanner_tui.tui.crash import CRASH_EXIT
from citaplanner_tui.tui.launch import run_console
from citaplanner_tui.tui.screens.backups import BackupsScreen
from citaplanner_tui.tui.widgets.backup_table import BackupTable
from tests.support.tui import drawn_lines, make_console, settle, sync


@sync
async def test_backups_screen_survives_keys_and_refresh_without_colour(sample_volume, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        await pilot.press("down", "down", "up", "pagedown", "end", "home")
        await pilot.press("slash", *"daily", "escape")
        app.action_refresh()  # what the 30 s timer does
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert app.screen is screen and app.return_code is None  # still running: no crash
        table = screen.query_one(BackupTable)
        assert table.cursor == 1 and len(table.rows) > 5
        drawn = drawn_lines(table)[2]
        assert table.rows[1][1][0] in drawn  # the row is drawn, with its tier


class Broken(Screen):
    """A screen with a bug: ``k`` raises, the way an unforeseen state would."""

    BINDINGS = [Binding("k", "break", "Break")]

    def compose(self):
        yield Static("broken")

    def action_break(self) -> None:
        {}["scroll_y"]


@sync
async def test_a_crash_in_any_screen_is_one_sentence_a_private_log_and_a_non_zero_exit(
    sample_volume, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = make_console(sample_volume)
    with pytest.raises(KeyError):  # Pilot re-raises what crashed the app, so the test sees it
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.push_screen(Broken())
            await pilot.pause()
            await pilot.press("k")
            await pilot.pause()
    assert app.return_code == CRASH_EXIT
    assert "Traceback" not in capsys.readouterr().err  # Textual's own report is not printed
    sentence = app.crash_report
    assert "\n" not in sentence and "internal error (KeyError)" in sentence
    logs = list((tmp_path / "state" / "citaplanner-tui" / "crashes").iterdir())
    assert len(logs) == 1 and str(logs[0]) in sentence
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(logs[0].parent.stat().st_mode) == 0o700
    text = logs[0].read_text()
    assert "Traceback" in text and "action_break" in text and "KeyError: 'scroll_y'" in text


class CrashingConsole(CitaPlannerApp):
    def on_ready(self) -> None:
        {}["scroll_y"]


def test_the_console_exit_code_is_non_zero_after_a_crash(sample_volume, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = make_console(sample_volume)
    app.__class__ = CrashingConsole
    assert run_console(app, headless=True, size=(80, 24)) == CRASH_EXIT
    err = capsys.readouterr().err
    assert err == app.crash_report + "\n" and "internal error (KeyError)" in err
