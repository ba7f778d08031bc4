"""The logs screen and the dashboard's log pane: real files, ours and the old script's."""

from __future__ import annotations

import os

from textual.widgets import OptionList

from citaplanner_tui.tui.widgets.log_view import LogView
from tui_support import make_console, sample_volume, settle, sync, wait_until  # noqa: F401


def visible_text(view: LogView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


@sync
async def test_log_files_are_listed_newest_first_and_old_lines_read_with_levels(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        names = [str(o.prompt).split()[0] for o in app.screen.query_one(OptionList).options]
        assert names == ["backup_20261127.log", "backup_20261126.log"]
        view = app.screen.query_one(LogView)
        assert any("ERROR drill skipped" in line for line in visible_text(view))
        app.screen.query_one(OptionList).focus()
        await pilot.press("down", "enter")  # the old script's log
        await settle(pilot)
        lines = visible_text(view)
        assert any(line.startswith("02:00:41 OK") and "Backup diario completado" in line for line in lines)
        assert any("WARN" in line and "Espacio en disco bajo" in line for line in lines)
        assert not any("\x1b" in line for line in lines)


@sync
async def test_level_filter_search_and_follow(sample_volume):
    log = sample_volume / "logs" / "backup_20261127.log"
    with open(log, "a") as fh:
        for i in range(500):
            fh.write(f"[2026-11-27 11:00:00] INFO filler line {i}\n")
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        view = app.screen.query_one(LogView)
        assert view.follow and "filler line 499" in visible_text(view)[-1]
        await pilot.press("w")  # WARN and ERROR only
        await settle(pilot)
        lines = [line for line in visible_text(view) if line]
        assert len(lines) == 2 and "WARN" in lines[0] and "ERROR" in lines[1]
        await pilot.press("w", "w")  # ERROR only, then all again
        await settle(pilot)
        assert view.row_count() == 506
        await pilot.press("slash", *"filler line 42", "enter")
        await settle(pilot)  # the search runs in a thread
        assert not view.follow  # a search pauses following
        assert any("filler line 42" in line for line in visible_text(view))
        await pilot.press("escape")
        await pilot.press("n")  # next match: "filler line 420"
        await settle(pilot)
        assert any("filler line 420" in line for line in visible_text(view))
        await pilot.press("f")
        await pilot.pause()
        assert view.follow


@sync
async def test_follow_picks_up_appends_rotation_and_truncation(sample_volume):
    log = sample_volume / "logs" / "backup_20261127.log"
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#log-pane", LogView)
        assert "ERROR drill skipped" in " ".join(visible_text(pane))
        with open(log, "a") as fh:
            fh.write("[2026-11-27 11:59:00] OK appended while watching\n")
        pane.reload()
        await settle(pilot)
        assert "appended while watching" in [x for x in visible_text(pane) if x][-1]
        os.rename(log, log.with_suffix(".log.1"))  # rotated away: a new, short file
        log.write_text("[2026-11-27 11:59:30] INFO fresh file\n")
        pane.reload()
        await settle(pilot)
        assert [x for x in visible_text(pane) if x] == ["11:59:30 INFO  fresh file"]
        with open(log, "r+") as fh:
            fh.truncate(0)
        pane.reload()
        await settle(pilot)
        assert not any(visible_text(pane))


@sync
async def test_scrolling_up_pauses_following(sample_volume):
    log = sample_volume / "logs" / "backup_20261127.log"
    with open(log, "a") as fh:
        fh.writelines(f"[2026-11-27 11:00:00] INFO filler {i}\n" for i in range(100))
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#log-pane", LogView)
        assert pane.follow
        pane.focus()
        await pilot.press("up", "up")
        await pilot.pause()
        assert not pane.follow and pane.border_subtitle.startswith("paused")
        with open(log, "a") as fh:
            fh.write("[2026-11-27 11:59:00] INFO new while paused\n")
        pane.reload()
        await settle(pilot)
        assert "new while paused" not in " ".join(visible_text(pane))  # stays where the operator is
        await pilot.press("end")
        await pilot.pause()
        assert pane.follow and "new while paused" in " ".join(visible_text(pane))


def append_big_log(log, megabytes: int) -> int:
    """Append ``megabytes`` MB of short timed lines (many rows: the End animation is long)."""
    line = "[2026-11-27 11:00:00] INFO ok\n"
    count = megabytes * 2**20 // len(line)
    with open(log, "a") as fh:
        fh.write(line * count)
    return count


@sync
async def test_home_then_end_on_a_20_mb_log_does_not_crash(sample_volume):
    """End animates to the end; reaching it resumed following, whose scroll stopped the running
    animation from inside the animator's frame (KeyError 'scroll_y' in Textual), most tries."""
    log = sample_volume / "logs" / "backup_20261127.log"
    append_big_log(log, 20)
    assert log.stat().st_size >= 20 * 2**20
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        view = app.screen.query_one("#log-viewer", LogView)
        for _ in range(6):
            await pilot.press("home")
            await pilot.pause()
            assert not view.follow and view.scroll_y == 0
            await pilot.press("end")
            await wait_until(pilot, lambda: not app.is_running or view.scroll_y == view.max_scroll_y,
                             "the End animation finishing")
            assert app.is_running and app.return_code is None
            assert view.follow and visible_text(view)[-1].endswith("INFO  ok")
