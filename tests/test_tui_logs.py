"""The logs screen and the dashboard's log pane: real files, ours and the old script's."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest
from textual import events
from textual.widgets import OptionList

from citaplanner_tui.tui.widgets.log_view import LogView
from tests.support.tui import burst, make_console, settle, sync, wait_until


def visible_text(view: LogView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


@sync
async def test_log_files_are_listed_newest_first_and_old_lines_read_with_levels(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        names = [os.path.basename(o.id or "") for o in app.screen.query_one(OptionList).options]
        assert names == ["backup_20261127.log", "backup_20261126.log"]
        view = app.screen.query_one(LogView)
        assert any("ERROR verify: 1 of 14 backups failed" in line for line in visible_text(view))
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
        lines = [line for line in visible_text(view) if line and not line.startswith(" ")]  # wrapped rows
        assert len(lines) == 2 and all("ERROR verify:" in line for line in lines)  # the sample verify's verdicts
        await pilot.press("w", "w")  # ERROR only, then all again
        await settle(pilot)
        assert view.row_count() == 502
        assert "filler line 499" in visible_text(view)[-1]  # back at the end, still following
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
        assert "ERROR verify: 1 of 14 backups failed" in " ".join(visible_text(pane))
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
async def test_home_end_and_mashed_scroll_keys_on_a_20_mb_log_do_not_crash(sample_volume):
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
            await wait_until(pilot, lambda: not view.follow and view.scroll_y == 0, "Home pausing at the top")
            assert "· paused ·" in str(app.screen.query_one("#log-state").render())
            await pilot.press("end")
            await wait_until(
                pilot, lambda: not app.is_running or view.scroll_y == view.max_scroll_y, "the End animation finishing"
            )
            assert app.is_running and app.return_code is None
            assert view.follow and visible_text(view)[-1].endswith("INFO  ok")
            assert "· following ·" in str(app.screen.query_one("#log-state").render())  # the state line too
        # QA's sequence (Tab, then Home/End/PageUp over and over, mixed with w/f) still crashed:
        # a scroll asked for while the last one animated stopped that animation from inside the
        # animator's frame.  The view's scrolls no longer animate, so there is none to stop.
        app.set_focus(view)
        await settle(pilot)
        for key in ("home", "end", "pageup", "pagedown", "home"):  # the crash needs an animation to stop
            app.post_message(events.Key(key, None))
            await asyncio.sleep(0.05)
            assert not app.animator.is_being_animated(view, "scroll_y"), key
        for keys in (
            ["tab", "home", "end", "pageup"] * 4,
            [
                "up",
                "down",
                "tab",
                "home",
                "end",
                "pageup",
                "pagedown",
                "w",
                "f",
                "end",
                "home",
                "w",
                "pageup",
                "end",
                "f",
                "pagedown",
            ]
            * 2,
        ):
            await burst(pilot, *keys)
            await pilot.pause(0.3)
            assert app.is_running and app.return_code is None


@sync
async def test_run_log_wraps_long_lines_without_losing_characters_under_the_scrollbar():
    from datetime import datetime

    from textual.app import App

    from citaplanner_tui.core.logs.lines import LogRecord
    from citaplanner_tui.tui.widgets.run_log import RunLog

    class One(App):
        def compose(self):
            yield RunLog(id="run")

    words = " ".join(f"w{i:03d}" for i in range(40))  # 199 characters: wraps at 80 columns
    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(RunLog)
        for n in range(12):  # enough to need the scrollbar
            log.add(LogRecord(datetime(2026, 11, 27, 2, 0, n), "INFO", f"table {n}: {words}"))
        await pilot.pause()
        await pilot.pause()
        log.scroll_home(animate=False)
        await pilot.pause()
        screen = [strip.text for strip in app.screen._compositor.render_strips()]
        shown = " ".join(row.strip("│╭╮╰╯─ ▁▂▃▄▅▆▇█▉▊▋▌▍▎▏▔▕") for row in screen)
        assert log.show_vertical_scrollbar
        assert f"02:00:00 INFO table 0: {words}" in " ".join(shown.split())


LONG = (
    "backup started: daily of citaplanner@db.example:5432/citaplanner as gzip, "
    "with a message long enough to be cut twice at eighty columns: the end is HERE"
)
PG_DUMP_FAILURE = [
    f"[2026-11-27 11:00:00] INFO {LONG}\n",
    'pg_dump: error: connection to server at "db.example" (10.0.0.5), port 5432 failed: '
    'FATAL:  password authentication failed for user "citaplanner"\n',
    "pg_dump: detail: the server rejected the password\n",
    "[2026-11-27 11:00:01] ERROR backup failed: pg_dump exited with status 1\n",
    "[2026-11-27 11:00:02] INFO cleaned up\n",
]


@sync
async def test_each_log_file_is_one_row_of_the_list_with_its_size_at_80_columns(sample_volume):
    """A name and a size wider than the list cut the name, never push the size onto a second row."""
    logs = sample_volume / "logs"
    (logs / "restore_20261127.log").write_bytes(b"x" * 381)
    (logs / "citaplanner_pg_backup_legacy_script.log").write_bytes(b"y" * 12_390)
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_logs(pilot)
        await pilot.press("l")  # the file list, hidden below 100 columns
        await settle(pilot)
        files = app.screen.query_one(OptionList)
        region = files.content_region
        rows = [row[region.x : region.right].rstrip() for row in screen_text(app)[region.y : region.bottom]]
        shown = [row for row in rows if row.strip()]
        assert len(shown) == files.option_count == 4, rows
        by_size = {row.split()[-2] + " " + row.split()[-1]: row for row in shown}
        assert by_size["381 Bytes"].startswith("restore_20261127.log ")  # our own names are shown whole
        assert by_size["12.1 KiB"].startswith("citaplanner_pg_back") and "…" in by_size["12.1 KiB"], shown


@sync
async def test_a_long_search_that_finds_nothing_is_said_in_one_short_notice(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_logs(pilot)
        await pilot.press("slash", *("[b]nothing like this " * 3), "enter")  # markup is not markup here
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert len(said) == 1 and said[0].startswith("'[b]nothing") and said[0].endswith("…' not found"), said
        assert len(said[0]) <= 60


def big_failed_log(volume) -> None:
    """Today's log: 4 MB of backups, then pg_dump's failure (its untimed error and detail)."""
    log = volume / "logs" / "backup_20261127.log"
    append_big_log(log, 4)
    with open(log, "a") as fh:
        fh.writelines(PG_DUMP_FAILURE)


@pytest.fixture
def failed_backup_volume(sample_volume):
    """The sample volume whose log of today ends with a backup pg_dump could not log in for."""
    with open(sample_volume / "logs" / "backup_20261127.log", "a") as fh:
        fh.writelines(PG_DUMP_FAILURE)
    return sample_volume


@pytest.fixture
def wrapping_volume(sample_volume):
    """The sample volume with 300 lines that each wrap to several rows at 80 columns."""
    with open(sample_volume / "logs" / "backup_20261127.log", "a") as fh:
        fh.writelines(f"[2026-11-27 11:00:00] INFO batch {n}: {LONG}\n" for n in range(300))
    return sample_volume


async def open_logs(pilot):
    await settle(pilot)
    await pilot.press("l")
    await settle(pilot)
    return pilot.app.screen.query_one("#log-viewer", LogView)


def screen_text(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@sync
async def test_at_80_columns_the_file_list_hides_and_long_messages_wrap_whole(failed_backup_volume):
    app = make_console(failed_backup_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        files = app.screen.query_one(OptionList)
        assert not files.display and view.region.width == 80  # the log has the whole width
        lines = visible_text(view)
        at = next(i for i, line in enumerate(lines) if line.startswith("11:00:00 INFO  backup started"))
        rows = [lines[at]] + list(itertools.takewhile(lambda row: row.startswith(" " * 15), lines[at + 1 : at + 5]))
        assert len(rows) >= 3 and all(len(row) <= 76 for row in rows)  # under its time and level
        assert " ".join(row.strip() for row in rows) == "11:00:00 INFO  " + LONG  # every character
        assert [line for line in lines if line][-1].startswith("11:00:02 INFO  cleaned up")
        with open(failed_backup_volume / "logs" / "backup_20261127.log", "a") as fh:
            fh.writelines(f"[2026-11-27 11:01:{n:02d}] INFO {n} {LONG}\n" for n in range(10))
        view.reload()
        await settle(pilot)
        lines = visible_text(view)  # following, wrapped: the last message ends on the last row
        shown = [line for line in lines if line]
        assert shown[-1].endswith("end is HERE") and len(shown) > len(lines) - 4
        last = max(i for i, line in enumerate(lines) if line.startswith("11:01:09 INFO  9 backup started"))
        assert " ".join(line.strip() for line in shown[last:]) == "11:01:09 INFO  9 " + LONG
        top = int(lines[0][len("11:01:0") :].split()[0])  # whole lines: the top row starts one
        assert lines[0].startswith(f"11:01:0{top} INFO  {top} backup")
        assert view.show_vertical_scrollbar  # and no character goes under it, on the screen itself
        screen = screen_text(app)[2 : 2 + len(lines)]
        assert [row[1 : 1 + view.scrollable_content_region.width].rstrip() for row in screen] == lines
        await pilot.press("up")  # one step is one line, whatever its height
        await pilot.pause()
        assert not view.follow and visible_text(view)[0].startswith(f"11:01:0{top - 1} INFO  {top - 1} backup")
    async with make_console(failed_backup_volume).run_test(size=(120, 30)) as pilot:
        await open_logs(pilot)
        assert pilot.app.screen.query_one(OptionList).display  # room for both


@sync
async def test_without_wrap_messages_pan_left_and_right(failed_backup_volume):
    app = make_console(failed_backup_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("W")
        await pilot.pause()
        assert not view.wrap and "cut (←→ pan)" in str(app.screen.query_one("#log-state").render())
        row = next(line for line in visible_text(view) if line.startswith("11:00:00 INFO"))
        assert row == ("11:00:00 INFO  " + LONG)[:78] and "HERE" not in row
        await pilot.press("right", "right", "right", "right")
        await pilot.pause()
        row = next(line for line in visible_text(view) if line.startswith("11:00:00 INFO"))
        assert row.startswith("11:00:00 INFO …") and row.endswith("the end is HERE")  # as far as it goes
        assert LONG[view.pan :].startswith(row[len("11:00:00 INFO …") :])
        assert f"panned {view.pan}" in str(app.screen.query_one("#log-state").render())
        await pilot.press("left", "left", "left", "left", "left")
        await pilot.pause()
        assert (
            view.pan == 0
            and next(line for line in visible_text(view) if line.startswith("11:00:00 INFO"))
            == ("11:00:00 INFO  " + LONG)[:78]
        )


@sync
async def test_a_log_spanning_days_shows_the_day_on_every_line(sample_volume):
    with open(sample_volume / "logs" / "backup_20261127.log", "a") as fh:
        fh.write("[2026-11-28 00:00:05] WARN past midnight\n")
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        lines = [line for line in visible_text(view) if line]
        assert lines[0].startswith("Nov 27 09:00:00 ERROR verify: citaplanner_daily_20261124_020000.sql.gz")
        assert lines[-1] == "Nov 28 00:00:05 WARN  past midnight"
        app.screen.query_one(OptionList).focus()
        await pilot.press("down", "enter")  # yesterday's log is within one day: times only
        await settle(pilot)
        assert [line for line in visible_text(view) if line][0].startswith("02:00:00 INFO  Iniciando")


@sync
async def test_the_error_filter_shows_pg_dumps_own_untimed_error_and_its_detail(failed_backup_volume):
    app = make_console(failed_backup_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("w", "w")  # ERROR only
        await settle(pilot)
        lines = [line for line in visible_text(view) if line]
        at = lines.index("09:00:00 ERROR verify: 1 of 14 backups failed") + 1  # the sample's verify, then pg_dump
        assert lines[at].startswith('         ERROR pg_dump: error: connection to server at "db.example"')
        assert "password authentication failed" in " ".join(" ".join(lines[at : at + 3]).split())
        assert any(line.strip() == "pg_dump: detail: the server rejected the password" for line in lines)
        assert lines[-1] == "11:00:01 ERROR backup failed: pg_dump exited with status 1"
        assert view.row_count() == 5


@sync
async def test_an_empty_filter_says_no_matching_lines(sample_volume):
    log = sample_volume / "logs" / "backup_20261127.log"
    log.write_text("[2026-11-27 11:00:00] INFO all quiet\n[2026-11-27 11:00:01] WARN only a warning\n")
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("w", "w")
        await settle(pilot)
        assert visible_text(view)[0].startswith("no matching lines: nothing at ERROR level in this log")
        assert "0 lines · only ERROR" in str(app.screen.query_one("#log-state").render())


@sync
async def test_a_level_filter_runs_in_a_worker_and_shows_its_progress(sample_volume, monkeypatch):
    """The filter is held at a pause point half-way through: the screen says how far it got
    and keys still work; released, it shows the lines."""
    import threading

    from citaplanner_tui.core.logs import index as logindex
    from citaplanner_tui.tui.widgets import log_view

    monkeypatch.setattr(logindex, "SCAN", 64 * 1024)  # many progress steps on a small log
    halfway, release = threading.Event(), threading.Event()

    class HeldFilter(logindex.LevelFilter):
        def update(self, progress=None):
            def held(done, total):
                progress(done, total)
                if done * 2 >= total and not halfway.is_set():
                    halfway.set()
                    release.wait(20)

            super().update(held)

    monkeypatch.setattr(log_view, "LevelFilter", HeldFilter)
    big_failed_log(sample_volume)
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("w")
        await wait_until(pilot, halfway.is_set, "the filter reaching half-way")
        await wait_until(pilot, lambda: (view.filtering or 0) >= 40, "the progress reaching the screen")
        percent = view.filtering
        assert visible_text(view)[0] == f"filtering for WARN or ERROR lines: {percent}% of the file read"
        assert f"filtering {percent}% · only WARN and ERROR" in str(app.screen.query_one("#log-state").render())
        await pilot.press("W")  # the event loop is free: keys work while it filters
        await pilot.pause()
        assert not view.wrap
        release.set()
        await settle(pilot)
        assert view.filtering is None and view.row_count() == 5
        assert [line for line in visible_text(view) if line][-1].startswith("11:00:01 ERROR backup failed")


@sync
async def test_without_colour_the_notices_and_wrapped_lines_draw(sample_volume, monkeypatch):
    """NO_COLOR's filter crashed on unstyled segments (a Text without spans renders them)."""
    monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made
    log = sample_volume / "logs" / "backup_20261127.log"
    log.write_text(f"[2026-11-27 11:00:00] INFO {LONG}\n  an untimed continuation\n")
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_logs(pilot)
        await pilot.press("w", "w")  # nothing at ERROR: the notice
        await settle(pilot)
        assert any("no matching lines" in row for row in screen_text(app))
        await pilot.press("w")
        await settle(pilot)
        assert any(row.startswith("│" + " " * 17 + "an untimed continuation") for row in screen_text(app))
        assert app.is_running


@sync
async def test_a_search_in_wrapped_lines_lands_on_screen(wrapping_volume):
    """Half a screen above a match is fewer lines when each wraps: it was put below the fold."""
    app = make_console(wrapping_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("slash", *"batch 120:", "enter")
        await settle(pilot)
        lines = visible_text(view)
        at = next(i for i, line in enumerate(lines) if "batch 120:" in line)
        assert 0 < at < len(lines) - 4  # the match and the rows of its message, not the first line


@sync
async def test_paging_wrapped_lines_skips_none_and_repeats_none(wrapping_volume):
    app = make_console(wrapping_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await pilot.press("home")
        await wait_until(pilot, lambda: view.scroll_y == 0, "the view reaching the top")

        def batches() -> list[int]:
            return [int(line.split("batch ")[1].split(":")[0]) for line in visible_text(view) if "batch " in line]

        seen = batches()
        for _ in range(3):
            await pilot.press("pagedown")
            await pilot.pause()
            page = batches()
            assert page[0] == seen[-1] + 1 or page[0] == seen[-1]  # the next line, or the one cut at the bottom
            seen = page
        await pilot.press("pageup")
        await pilot.pause()
        assert batches()[-1] in (seen[0] - 1, seen[0])


@sync
async def test_a_newer_level_filter_wins_over_an_older_one_that_ends_later(sample_volume, monkeypatch):
    """The WARN+ERROR filter is held once it has its rows, the operator asks for ERROR only
    meanwhile: the ERROR rows arrive and the older, stale rows never reach the screen."""
    import threading

    from citaplanner_tui.core.logs import index as logindex
    from citaplanner_tui.tui.widgets import log_view

    finished, release = threading.Event(), threading.Event()

    class HeldFilter(logindex.LevelFilter):
        def update(self, progress=None):
            super().update(progress)
            if self.levels == {"WARN", "ERROR"} and not finished.is_set():
                finished.set()  # its rows are ready: now the newer request comes
                release.wait(20)

    monkeypatch.setattr(log_view, "LevelFilter", HeldFilter)
    log = sample_volume / "logs" / "backup_20261127.log"
    append_big_log(log, 1)
    with open(log, "a") as fh:
        fh.writelines(["[2026-11-27 11:00:00] WARN disk space low\n", *PG_DUMP_FAILURE])
    index = logindex.LineIndex(log)
    index.refresh()
    errors = list(index.lines_with_level(("ERROR",)))
    older = list(index.lines_with_level(("WARN", "ERROR")))
    index.close()
    assert len(older) > len(errors) > 0
    app = make_console(sample_volume)
    shown: list[tuple] = []
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        real_reported = view._reported

        def reported(index, changed, flt, *rest):
            real_reported(index, changed, flt, *rest)
            shown.append((view.levels, tuple(view._rows[: view.row_count()])))

        view._reported = reported
        await pilot.press("w")
        await wait_until(pilot, finished.is_set, "the WARN+ERROR filter holding its rows")
        await pilot.press("w")  # ERROR only, asked for while the older one has not reported
        await pilot.pause()
        release.set()
        await wait_until(pilot, lambda: view.filtering is None and view.levels == ("ERROR",), "the ERROR rows")
        await settle(pilot)
        assert list(view._rows[: view.row_count()]) == errors
        assert all("ERROR" in line for line in visible_text(view) if line and not line.startswith(" "))
        assert tuple(older) not in [rows for _, rows in shown]  # the stale rows were never shown
        assert shown[-1] == (("ERROR",), tuple(errors))


@sync
async def test_the_viewer_marks_a_big_log_for_the_level_filters_once_its_lines_show(sample_volume):
    """Marking (``LineIndex.mark``) takes about as long as indexing: the lines show first, the
    marks follow in the lane, and a filter asked for then only searches the marked blocks."""
    big_failed_log(sample_volume)
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_logs(pilot)
        await settle(pilot)
        index = view._index
        assert index is not None and len(index) > 10_000 and index.unmarked == 0
        await pilot.press("w")
        await settle(pilot)
        assert view.filtering is None and view.row_count() == 5
