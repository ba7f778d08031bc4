"""The console's frame: help, palette, read-only gate, typed confirmation, quit with a job."""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import Button, DataTable, Input

from citaplanner_tui.tui.screens.ask import AskScreen
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.help import HelpScreen

from tests.support.tui import burst, drawn_lines, make_console, settle, sync, wait_until


def rows_of(table: DataTable) -> list[tuple]:
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


@sync
async def test_help_lists_every_active_binding_with_its_description(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        over = app.screen
        bound = {b.binding.action for b in over.active_bindings.values()}
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = rows_of(app.screen.query_one(DataTable))
        titles = {title for _, title, _ in rows}
        assert {"Help", "Quit", "Backups", "Backup now", "Logs", "Refresh"} <= titles
        assert len({r[1] for r in rows}) >= len({a for a in bound if a}) - 1  # every action has a row
        assert ("?", "Help", "List every key of this screen") in rows
        await pilot.press("escape")
        assert app.screen is over


@sync
async def test_backups_help_lists_screen_actions(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.press("question_mark")
        titles = {r[1] for r in rows_of(app.screen.query_one(DataTable))}
        assert {"Verify", "Deep verify", "Drill", "Restore", "Delete", "Filter"} <= titles


@sync
async def test_home_and_end_in_help_go_to_the_first_and_last_key(sample_volume):
    """A one-column-wide table has no left and right: Home and End are its top and bottom."""
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b", "question_mark")
        table = app.screen.query_one(DataTable)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1 > 10 and table.scroll_y == table.max_scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0


@sync
async def test_palette_offers_the_registry_actions(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Backups", "Backup now", "Logs", "Refresh", "Quit"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press(*"backups", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "BackupsScreen"


@sync
async def test_read_only_hides_and_refuses_every_write_action(sample_volume):
    app = make_console(sample_volume, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in str(app.screen.query_one("#status-bar").render())
        keys = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "open_backup_now" not in keys and "open_backups" in keys
        assert "Backup now" not in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("n")  # the key does nothing
        assert type(app.screen).__name__ == "DashboardScreen"
        await app.run_action("open_backup_now")  # the palette's path: refused by check_action
        app.action_open_backup_now()  # a direct call: refused by the handler's own gate
        await pilot.pause()
        assert type(app.screen).__name__ == "DashboardScreen"
        assert any("read-only" in n.message for n in app._notifications)
        await pilot.press("b")
        backups = app.screen
        enabled = {b.binding.action for b in backups.active_bindings.values() if b.enabled}
        assert {"verify", "deep_verify", "filter"} <= enabled
        assert not {"drill", "restore", "delete"} & enabled
        for action in ("drill", "restore", "delete"):
            await backups.run_action(action)
            getattr(backups, f"action_{action}")()
        await pilot.pause()
        assert app.screen is backups and not app.jobs


@sync
async def test_typed_confirmation_starts_in_the_empty_name_box_and_says_why_enter_did_nothing(sample_volume):
    app = make_console(sample_volume)
    answers = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmScreen("Drop it?", ["step one"], "citaplanner"), answers.append)
        await burst(pilot, *"citap")  # typed while the dialog opens
        dialog = app.screen
        box = dialog.query_one(Input)
        assert app.focused is box and box.value == "citap" and not box.placeholder
        confirm, refusal = dialog.query_one("#confirm", Button), dialog.query_one("#confirm-prompt")
        assert confirm.disabled
        await pilot.press("enter")  # a wrong name: said, and the dialog stays
        assert app.screen is dialog and "'citap' is not 'citaplanner'" in str(refusal.render())
        box.value = ""
        await pilot.press("enter")  # nothing typed: said too
        assert app.screen is dialog and "Nothing typed yet" in str(refusal.render())
        await pilot.press(*"citaplanner ", "enter")
        assert app.screen is dialog and "spaces around it" in str(refusal.render())
        await pilot.press("backspace")
        assert not confirm.disabled and str(refusal.render()).startswith("Type 'citaplanner'")
        box.value = ""
        await burst(pilot, *"citaplannex", "backspace", "r")  # a fast correction keeps its order
        assert box.value == "citaplanner"
        await pilot.press("enter")
        await pilot.pause()
        assert answers == [True]
        for keys in (["escape"], [*"citaplanner", "escape"]):  # Esc cancels, typed or not
            app.push_screen(ConfirmScreen("Drop it?", ["step one"], "citaplanner"), answers.append)
            await burst(pilot, *keys)
        assert answers == [True, False, False]


SWAP_STEPS = [  # as long as a parallel swap restore's plan, the swap last
    "safety backup: back up the current 'citaplanner' into the safety tier, taken alongside the load in the "
    "tier of the same name (restores keep the newest few, [restore] keep)",
    "create scratch: create 'citaplanner__restore_20261127120000' with the owner, grants and settings of 'citaplanner'",
    "load: stream the archive into 'citaplanner__restore_20261127120000' over 2 connections (schema, data, "
    "indexes and constraints in parallel); meanwhile, the safety backup of 'citaplanner'",
    "validate: once the load is in, check every table's row count against the dump's",
    "swap: block new connections to 'citaplanner' (5 s at most, journaled), end its sessions, rename it to "
    "'citaplanner__pre_restore_20261127120000', rename the scratch database to 'citaplanner' THE-END",
]


@sync
async def test_a_tall_terminal_shows_every_step_and_a_short_one_scrolls_them_from_the_name_box(sample_volume):
    """The swap is the last step: it must be on the screen, or one key away, before the name is typed."""
    for size in ((100, 40), (80, 24)):
        app = make_console(sample_volume)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.push_screen(ConfirmScreen("Restore it?", SWAP_STEPS, "citaplanner"))
            await settle(pilot)
            steps, box = app.screen.query_one("#confirm-steps-box"), app.screen.query_one(Input)

            def on_screen(text: str) -> bool:
                return any(text in strip.text for strip in app.screen._compositor.render_strips())

            if size == (100, 40):
                assert steps.max_scroll_y == 0 and on_screen("THE-END")
                continue
            assert steps.max_scroll_y > 0 and not on_screen("THE-END")
            await pilot.press(*"cita", "pagedown", "pagedown")
            assert app.focused is box and box.value == "cita"
            assert steps.scroll_y == steps.max_scroll_y and on_screen("THE-END")
            await pilot.press("pageup", "pageup")
            assert steps.scroll_y == 0 and app.focused is box
            assert on_screen(" Cancel ") and on_screen(" Confirm ")
            await pilot.press("enter")  # a wrong name: its two-line refusal must not push the buttons off
            await settle(pilot)
            assert on_screen("'cita' is not 'citaplanner'") and on_screen(" Cancel ") and on_screen(" Confirm ")


@sync
async def test_quit_asks_while_a_job_runs_and_cancels_it(sample_volume):
    app = make_console(sample_volume)
    release = threading.Event()
    seen = {}

    def work(reporter):
        release.wait(10)
        seen["cancelled"] = reporter.cancel.is_set()
        reporter.check_cancel()

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        job = app.start_job("backup", "backup (auto)", work)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the quit question")
        assert app.focused.id == "no"
        await pilot.press("enter")  # "Keep running"
        await wait_until(pilot, lambda: not isinstance(app.screen, AskScreen), "closing the question")
        assert app.is_running and job.running
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the quit question")
        app.screen.query_one("#yes", Button).press()
        await wait_until(pilot, lambda: job.cancelling, "the cancel request")
        release.set()
    for _ in range(200):  # the job's thread ends after the app did: on a loaded machine, a moment later
        if job.done:
            break
        time.sleep(0.05)
    assert seen == {"cancelled": True}
    assert job.cancelled and "nothing was changed" in job.error


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@sync
async def test_dashboard_fits_the_terminal(sample_volume, size):
    app = make_console(sample_volume)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for pane_id in ("#tiers", "#checks", "#disk", "#log-pane"):
            region = app.screen.query_one(pane_id).region
            assert region.width > 0 and region.height >= 3
            assert region.right <= size[0] and region.bottom <= size[1]


@sync
async def test_help_descriptions_are_whole_at_80_columns(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 60)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        column = [line[28:].rstrip() for line in drawn_lines(table)[1:]]  # after the key and action columns
        shown = " ".join(" ".join(column).split())
        descriptions = [text for _, _, text in rows_of(table) if text]
        assert any(len(text) > 40 for text in descriptions)  # some need more than one line
        for text in descriptions:
            assert " ".join(text.split()) in shown, text


@sync
async def test_panes_use_the_width_they_get_at_120_columns(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tiers, checks = app.screen.query_one("#tiers"), app.screen.query_one("#checks")
        assert tiers.region.width > 44 and tiers.region.width + checks.region.width == 120
        for pane in (tiers, checks, app.screen.query_one("#disk")):
            assert not any("…" in line for line in drawn_lines(pane)), pane.id


@sync
async def test_letters_typed_fast_after_slash_go_to_the_box_never_to_bindings(sample_volume):
    from citaplanner_tui.tui.screens.backups import BackupsScreen
    from citaplanner_tui.tui.screens.logs import LogsScreen

    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        backups = app.screen
        assert isinstance(backups, BackupsScreen)
        await burst(pilot, "slash", *"daily")  # `l` would open the logs, `d` the dashboard
        assert app.screen is backups
        assert backups.query_one("#backups-filter", Input).value == "daily"
        await pilot.press("escape", "escape")
        await pilot.press("l")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        await burst(pilot, "slash", *"backup")  # `b` would open the backups list
        assert app.screen is logs
        assert logs.query_one("#log-search", Input).value == "backup"


@sync
async def test_the_incident_path_typed_in_one_burst_never_runs_letters_as_commands(sample_volume, app_db):
    from citaplanner_tui.tui.screens.restore import RestoreScreen

    app = make_console(sample_volume, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "R", "enter", "enter", *"citaplanner", "enter")
        await wait_until(pilot, lambda: not app.running_jobs(), "the pre-flight finishing")
        await settle(pilot)
        wizard = app.screen
        assert isinstance(wizard, RestoreScreen)  # not the logs (`l`), not cancelled (`c`)
        assert wizard.step in ("preflight", "plan") and not any(j.kind == "restore" for j in app.jobs)


@sync
async def test_the_quit_question_goes_away_once_the_job_has_finished(sample_volume):
    from citaplanner_tui.tui.job_result import JobOutcome

    app = make_console(sample_volume)
    release = threading.Event()

    def work(reporter):
        release.wait(10)
        return JobOutcome.ok(None, "backup written")

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        job = app.start_job("backup", "backup (auto)", work)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the quit question")
        release.set()
        await wait_until(pilot, lambda: job.done, "the job finishing")
        await wait_until(pilot, lambda: not isinstance(app.screen, AskScreen), "the stale question closing")
        await settle(pilot)
        assert app.is_running and any("nothing is running" in n.message for n in app._notifications)


@sync
async def test_cancel_and_quit_during_a_swap_says_so_and_quits_when_the_swap_is_done(sample_volume):
    from citaplanner_tui.tui.job_result import JobOutcome

    app = make_console(sample_volume)
    release, in_swap = threading.Event(), threading.Event()

    def work(reporter):
        reporter("swap", message="swapping", force=True)  # past the point a cancel can stop
        in_swap.set()
        release.wait(10)
        return JobOutcome.ok(None, "restored 'citaplanner' from x.sql.gz")

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        job = app.start_job("restore", "restore x.sql.gz", work)
        await wait_until(pilot, lambda: in_swap.is_set() and job.progress is not None, "the swap starting")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the quit question")
        app.screen.query_one("#yes", Button).press()
        await wait_until(
            pilot,
            lambda: any("cannot be cancelled" in n.message for n in app._notifications),
            "the console saying the swap cannot be cancelled",
        )
        assert app.is_running and not job.cancelling
        release.set()
        await wait_until(pilot, lambda: not app.is_running, "the console quitting after the swap")
    assert app.return_code in (0, None) and job.done and not job.cancelled
    assert app.exit_note == "restore x.sql.gz: restored 'citaplanner' from x.sql.gz"


@sync
async def test_read_only_says_so_when_a_write_key_is_pressed(sample_volume):
    """R and U did nothing and said nothing in read-only mode: the gate hid them from Textual."""
    app = make_console(sample_volume, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for key in ("U", "n"):
            before = len(app._notifications)
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == "DashboardScreen"
            said = list(app._notifications)[before:]
            assert [n.title for n in said] == ["Read-only"], (key, said)
        await pilot.press("b")
        before = len(app._notifications)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "BackupsScreen"
        assert [n.title for n in list(app._notifications)[before:]] == ["Read-only"]
        before = len(app._notifications)
        await pilot.press("v")  # verify reads only: no read-only sentence
        await settle(pilot)
        assert "Read-only" not in [n.title for n in list(app._notifications)[before:]]
